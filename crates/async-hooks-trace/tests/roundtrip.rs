//! Recording a program and reading it back: every field of every event, from several threads,
//! flushed on guard drop and on thread exit. Hooks are process-global: run under nextest.

use std::net::SocketAddr;
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use async_hooks::{AsyncId, AsyncResource};
use async_hooks_trace::{Event, EventKind, Recorder, TraceReader, TRACE_ENV};

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("aht-test-{name}-{}.aht", std::process::id()))
}

fn read_all(path: &Path) -> (Vec<Event>, async_hooks_trace::Summary) {
    let mut reader = TraceReader::open(path).unwrap();
    let events: Vec<Event> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    let end = reader.end().expect("a finished trace has an end record");
    assert_eq!(end.events, events.len() as u64);
    (events, end)
}

/// What we expect of one event, timestamps and offsets aside.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expect {
    kind: EventKind,
    id: u64,
    trigger: u64,
    exec: u64,
    ty: Option<String>,
    site: Option<String>,
    payload: Option<String>,
}

fn site(loc: &Location<'_>) -> String {
    format!("{}:{}:{}", loc.file(), loc.line(), loc.column())
}

fn init(r: &AsyncResource, exec: u64, payload: Option<&str>) -> Expect {
    Expect {
        kind: EventKind::Init,
        id: r.async_id().as_u64(),
        trigger: r.trigger_async_id().as_u64(),
        exec,
        ty: Some(r.resource().resource_type().to_owned()),
        site: r.resource().created_at().map(site),
        payload: payload.map(String::from),
    }
}

fn ev(kind: EventKind, r: &AsyncResource) -> Expect {
    let (trigger, exec) = match kind {
        EventKind::Destroy => (0, 0),                                // S18
        _ => (r.trigger_async_id().as_u64(), r.async_id().as_u64()), // S15
    };
    Expect {
        kind,
        id: r.async_id().as_u64(),
        trigger,
        exec,
        ty: None,
        site: None,
        payload: None,
    }
}

fn strip(e: &Event) -> Expect {
    Expect {
        kind: e.kind,
        id: e.async_id.as_u64(),
        trigger: e.trigger_id.as_u64(),
        exec: e.execution_id.as_u64(),
        ty: e.resource_type.as_deref().map(String::from),
        site: e.created_at.as_deref().map(String::from),
        payload: e.payload.clone(),
    }
}

/// A small program: payloads of every summarised kind, a nested scope, a manual destroy.
/// Returns the events it must produce, in order.
fn program(tag: &str) -> Vec<Expect> {
    use EventKind::*;
    let mut out = Vec::new();
    let root = AsyncId::ROOT.as_u64();

    let addr: SocketAddr = "10.0.0.1:8080".parse().unwrap();
    let conn = AsyncResource::builder(format!("test.Conn.{tag}"))
        .payload(addr)
        .build()
        .unwrap();
    out.push(init(&conn, root, Some("10.0.0.1:8080"))); // S14: the creator's context
    let query = AsyncResource::builder("test.Query")
        .payload(String::from("SELECT 1"))
        .build()
        .unwrap();
    out.push(init(&query, root, Some("SELECT 1")));
    let (plain, line) = (AsyncResource::new("test.Plain"), line!());
    let plain_init = init(&plain, root, None);
    // The creation site is this file, line and column (STYLE 11).
    let expected_site = format!("{}:{line}:26", file!());
    assert_eq!(plain_init.site.as_deref(), Some(&*expected_site));
    out.push(plain_init);
    out.push(ev(Destroy, &plain));
    drop(plain);

    out.push(ev(Before, &conn));
    conn.run_in_async_scope(|| {
        // S14, S4: created inside `conn`'s scope, so triggered by it and seen from it.
        let child = AsyncResource::builder("test.Child")
            .payload(42u64)
            .build()
            .unwrap();
        out.push(init(&child, conn.async_id().as_u64(), Some("42")));
        out.push(ev(Before, &child));
        child.run_in_async_scope(|| {}); // S16: nested scope closes first
        out.push(ev(After, &child));
        out.push(ev(Destroy, &child));
    });
    out.push(ev(After, &conn));

    let others = [
        AsyncResource::builder("test.Path")
            .payload(PathBuf::from("/tmp/x"))
            .build()
            .unwrap(),
        AsyncResource::builder("test.Timer")
            .payload(Duration::from_millis(5))
            .build()
            .unwrap(),
        AsyncResource::builder("test.Static")
            .payload("static text")
            .build()
            .unwrap(),
        AsyncResource::builder("test.Opaque")
            .payload(vec![1u8, 2])
            .build()
            .unwrap(),
        AsyncResource::builder("test.Neg")
            .payload(-7i32)
            .build()
            .unwrap(),
    ];
    let payloads = [
        Some("/tmp/x"),
        Some("5ms"),
        Some("static text"),
        None,
        Some("-7"),
    ];
    for (r, p) in others.iter().zip(payloads) {
        out.push(init(r, root, p));
    }
    for r in others {
        out.push(ev(Destroy, &r));
        drop(r);
    }

    query.emit_destroy().unwrap(); // S17: explicit, then the drop adds nothing
    out.push(ev(Destroy, &query));
    drop(query);
    out.push(ev(Destroy, &conn));
    drop(conn);
    out
}

#[test]
fn events_of_two_threads_read_back_equal() {
    // S14, S15, S16, S17, S18: every field of every event of two threads.
    let path = temp_path("two-threads");
    let trace = Recorder::start(&path).unwrap();
    let worker = std::thread::Builder::new()
        .name("trace-worker".into())
        .spawn(|| program("worker"))
        .unwrap();
    let main_expected = program("main");
    let worker_expected = worker.join().unwrap();
    let summary = trace.finish().unwrap();

    let (events, end) = read_all(&path);
    assert_eq!(end, summary);
    assert_eq!(summary.lost, 0);
    assert_eq!(
        summary.events as usize,
        main_expected.len() + worker_expected.len()
    );

    let main_name = std::thread::current().name().map(String::from);
    let mut threads: Vec<u32> = events.iter().map(|e| e.thread).collect();
    threads.sort_unstable();
    threads.dedup();
    assert_eq!(threads.len(), 2, "two recording threads");
    for thread in threads {
        let mine: Vec<&Event> = events.iter().filter(|e| e.thread == thread).collect();
        let name = mine[0].thread_name.as_deref().map(String::from);
        let expected = if name.as_deref() == Some("trace-worker") {
            &worker_expected
        } else {
            assert_eq!(name, main_name);
            &main_expected
        };
        let got: Vec<Expect> = mine.iter().map(|e| strip(e)).collect();
        assert_eq!(&got, expected);
        // Timestamps of one thread never go back, and stay within the recording.
        assert!(mine
            .windows(2)
            .all(|w| w[0].timestamp_ns <= w[1].timestamp_ns));
        assert!(mine.iter().all(|e| e.timestamp_ns <= summary.duration_ns));
    }
    std::fs::remove_file(&path).ok();
}

#[test]
fn dropping_the_guard_flushes_and_finishes_the_file() {
    // Issue: "flushed when dropped". S14, S17.
    let path = temp_path("guard-drop");
    let trace = Recorder::start(&path).unwrap();
    let r = AsyncResource::new("test.Job");
    let id = r.async_id();
    drop(r);
    drop(trace);
    assert!(!Recorder::is_recording());

    let (events, end) = read_all(&path);
    let kinds: Vec<(EventKind, AsyncId)> = events.iter().map(|e| (e.kind, e.async_id)).collect();
    assert_eq!(kinds, [(EventKind::Init, id), (EventKind::Destroy, id)]);
    assert_eq!((end.events, end.lost), (2, 0));
    let header = TraceReader::open(&path).unwrap().header().clone();
    assert_eq!(header.pid, std::process::id());
    assert_eq!(header.version, 1);
    assert!(header.program.contains("roundtrip"));
    std::fs::remove_file(&path).ok();
}

#[test]
fn threads_that_exit_flush_their_buffers() {
    // Issue: "buffers of exiting threads are flushed". Thread 3 records enough for several
    // 64 KiB chunks, so its records span chunks and must stay in order. S15, S17.
    let path = temp_path("thread-exit");
    let trace = Recorder::start(&path).unwrap();
    let counts = [10usize, 20, 3000];
    let handles: Vec<_> = counts
        .iter()
        .map(|&n| {
            std::thread::spawn(move || {
                (0..n)
                    .map(|_| {
                        let r = AsyncResource::new("test.Exit");
                        r.run_in_async_scope(|| {});
                        r.async_id()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let ids: Vec<Vec<AsyncId>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // The threads are gone before the guard finishes: only their thread-local destructors
    // can have sent the last records.
    let summary = trace.finish().unwrap();
    assert_eq!(summary.lost, 0);
    assert_eq!(summary.events, 4 * counts.iter().sum::<usize>() as u64);

    let (events, _) = read_all(&path);
    for thread_ids in ids {
        let first = thread_ids[0];
        let thread = events.iter().find(|e| e.async_id == first).unwrap().thread;
        let got: Vec<(EventKind, AsyncId)> = events
            .iter()
            .filter(|e| e.thread == thread)
            .map(|e| (e.kind, e.async_id))
            .collect();
        let want: Vec<(EventKind, AsyncId)> = thread_ids
            .iter()
            .flat_map(|&id| {
                [
                    EventKind::Init,
                    EventKind::Before,
                    EventKind::After,
                    EventKind::Destroy,
                ]
                .map(|k| (k, id))
            })
            .collect();
        assert_eq!(got, want);
    }
    std::fs::remove_file(&path).ok();
}

#[test]
fn events_buffered_by_idle_live_threads_are_counted_as_lost() {
    // Issue: bounded cost, no lock per event: what cannot be flushed is reported, not hidden.
    let path = temp_path("lost");
    let trace = Recorder::start(&path).unwrap();
    let (recorded_tx, recorded_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let idle = std::thread::spawn(move || {
        drop(AsyncResource::new("test.Idle")); // 2 events, left in this thread's buffer
        recorded_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    recorded_rx.recv().unwrap();
    drop(AsyncResource::new("test.Main"));
    let summary = trace.finish().unwrap();
    release_tx.send(()).unwrap();
    idle.join().unwrap();

    // The idle thread may have been asked to flush by the 100 ms epoch only if it recorded
    // again, which it did not: its 2 events are lost, the main thread's 2 are written.
    assert_eq!((summary.events, summary.lost), (2, 2));
    let (events, end) = read_all(&path);
    assert_eq!(end.lost, 2);
    assert!(events
        .iter()
        .all(|e| e.resource_type.as_deref() != Some("test.Idle")));
    std::fs::remove_file(&path).ok();
}

#[test]
fn start_from_env_records_to_the_named_file() {
    // Issue: "ASYNC_HOOKS_TRACE=path turns it on".
    std::env::remove_var(TRACE_ENV);
    assert!(Recorder::start_from_env().unwrap().is_none());
    std::env::set_var(TRACE_ENV, "");
    assert!(Recorder::start_from_env().unwrap_err().is_empty_path());

    let path = temp_path("env");
    std::env::set_var(TRACE_ENV, &path);
    let trace = Recorder::start_from_env()
        .unwrap()
        .expect("the variable is set");
    assert_eq!(trace.path(), path);
    assert!(Recorder::start_from_env()
        .unwrap_err()
        .is_already_recording());
    drop(AsyncResource::new("test.Env"));
    drop(trace);
    let (events, _) = read_all(&path);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].resource_type.as_deref(), Some("test.Env"));
    std::fs::remove_file(&path).ok();
}

#[test]
fn a_second_recording_starts_afresh() {
    // A thread that recorded for a finished recorder starts a new stream (thread record,
    // string definitions) for the next one.
    let first = temp_path("first");
    let second = temp_path("second");
    let t = Recorder::start(&first).unwrap();
    drop(AsyncResource::new("test.Again"));
    t.finish().unwrap();
    drop(AsyncResource::new("test.Between")); // not recorded
    let t = Recorder::start(&second).unwrap();
    drop(AsyncResource::new("test.Again"));
    t.finish().unwrap();

    for path in [&first, &second] {
        let (events, _) = read_all(path);
        let types: Vec<_> = events.iter().map(|e| e.resource_type.as_deref()).collect();
        assert_eq!(types, [Some("test.Again"), None]);
        assert_eq!(events[0].thread, 1);
        std::fs::remove_file(path).ok();
    }
}

#[test]
fn events_from_thread_local_destructors_are_kept() {
    // S17: a resource dropped by another thread-local's destructor at thread exit still gets
    // its `destroy` recorded, whether or not this crate's thread state is gone by then.
    struct Holder(Option<AsyncResource>);
    impl Drop for Holder {
        fn drop(&mut self) {
            if self.0.take().is_some() {
                // A resource created at thread exit: its init needs string records too.
                drop(AsyncResource::new("test.FromDestructor"));
            }
        }
    }
    thread_local! {
        static HOLDER: std::cell::RefCell<Holder> = const { std::cell::RefCell::new(Holder(None)) };
    }
    let path = temp_path("tls");
    let trace = Recorder::start(&path).unwrap();
    let id = std::thread::spawn(|| {
        HOLDER.with(|_| {}); // registered before the recorder's own thread state
        let r = AsyncResource::new("test.Held");
        let id = r.async_id();
        HOLDER.with(|h| h.borrow_mut().0 = Some(r));
        id
    })
    .join()
    .unwrap();
    let summary = trace.finish().unwrap();
    assert_eq!((summary.events, summary.lost), (4, 0));
    let (events, _) = read_all(&path);
    let late = events
        .iter()
        .find(|e| e.resource_type.as_deref() == Some("test.FromDestructor"))
        .unwrap();
    assert_eq!((late.kind, late.thread), (EventKind::Init, 0));
    assert!(late.created_at.as_deref().unwrap().contains("roundtrip.rs"));
    let destroy = events
        .iter()
        .find(|e| e.kind == EventKind::Destroy && e.async_id == id)
        .unwrap();
    assert_eq!(destroy.async_id, id);
    assert_eq!(destroy.trigger_id, AsyncId::NONE);
    // Thread-local destructors run last-registered first (Linux), so the recorder's state was
    // gone: each event came as a chunk of its own on thread 0, with its strings.
    assert_eq!(destroy.thread, 0, "{destroy:?}");
    std::fs::remove_file(&path).ok();
}

#[test]
fn destroy_from_a_thread_local_destructor_sees_execution_id_0() {
    // S18: inside `destroy`, execution_async_id() is 0, also at thread exit.
    use std::sync::{Arc, Mutex};
    struct Holder(Option<AsyncResource>);
    thread_local! {
        static HOLDER: std::cell::RefCell<Holder> = const { std::cell::RefCell::new(Holder(None)) };
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let hook = async_hooks::create_hook(async_hooks::FnHook::new().on_destroy(move |_| {
        s.lock().unwrap().push(async_hooks::execution_async_id());
    }));
    hook.enable();
    std::thread::spawn(|| {
        HOLDER.with(|_| {}); // its destructor runs after the core's (LIFO)
        let r = AsyncResource::new("test.Held");
        HOLDER.with(|h| h.borrow_mut().0 = Some(r));
    })
    .join()
    .unwrap();
    hook.disable();
    assert_eq!(*seen.lock().unwrap(), [AsyncId::NONE]);
}

#[test]
fn builder_records_the_callers_creation_site() {
    // STYLE 11: the creation site of a built resource is the caller of `build`.
    let line = line!() + 1;
    let r = AsyncResource::builder("test.Built").build().unwrap();
    let at = r.resource().created_at().unwrap();
    assert_eq!((at.file(), at.line()), (file!(), line));
}

#[test]
fn the_periodic_flush_reaches_threads_that_keep_recording() {
    // Issue: "it spills to the file as it goes": every 100 ms the writer asks each recording
    // thread to send its buffer at its next event, so a live thread's older events are saved.
    let path = temp_path("epoch");
    let trace = Recorder::start(&path).unwrap();
    let (recorded_tx, recorded_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let live = std::thread::spawn(move || {
        drop(AsyncResource::new("test.Early")); // 2 events
        std::thread::sleep(Duration::from_millis(350));
        drop(AsyncResource::new("test.Late")); // its init sends the 2 before it
        recorded_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    recorded_rx.recv().unwrap();
    let summary = trace.finish().unwrap();
    release_tx.send(()).unwrap();
    live.join().unwrap();

    assert_eq!((summary.events, summary.lost), (2, 2));
    let (events, _) = read_all(&path);
    let types: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(types, [EventKind::Init, EventKind::Destroy]);
    assert_eq!(events[0].resource_type.as_deref(), Some("test.Early"));
    std::fs::remove_file(&path).ok();
}
