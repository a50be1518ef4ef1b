//! Timers, sockets, lookups, file requests, signals and processes as async resources
//! (SPEC S14, S15, S17, S18, S28, S29).
//!
//! Hooks are process-global: run with `cargo nextest` (one process per test).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use async_hooks::{create_hook, execution_async_id, trigger_async_id, AsyncHook, AsyncId};
use async_hooks::{FnHook, Resource};
use async_hooks_tokio::fs::FsRequest;
use async_hooks_tokio::net::{TcpListener, TcpStream, UdpSocket};
use async_hooks_tokio::{fs, net, process, signal, time};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Init {
        id: AsyncId,
        ty: String,
        trigger: AsyncId,
        exec: AsyncId,
        payload: String,
        line: u32,
    },
    Before(AsyncId),
    After(AsyncId),
    Destroy {
        id: AsyncId,
        exec: AsyncId,
        trigger: AsyncId,
    },
}

static EVENTS: Mutex<Vec<Ev>> = Mutex::new(Vec::new());

fn push(ev: Ev) {
    EVENTS.lock().unwrap().push(ev);
}

fn events() -> Vec<Ev> {
    EVENTS.lock().unwrap().clone()
}

/// Renders the payloads this crate attaches, so tests can compare them as text.
fn describe(res: &Resource) -> String {
    if let Some(d) = res.payload::<Duration>() {
        format!("{d:?}")
    } else if let Some(a) = res.payload::<SocketAddr>() {
        a.to_string()
    } else if let Some(s) = res.payload::<String>() {
        s.clone()
    } else if let Some(r) = res.payload::<FsRequest>() {
        match &r.dest {
            Some(dest) => format!("{} {} {}", r.op, r.path.display(), dest.display()),
            None => format!("{} {}", r.op, r.path.display()),
        }
    } else if let Some(k) = res.payload::<signal::unix::SignalKind>() {
        format!("signal {}", k.as_raw_value())
    } else {
        String::from("-")
    }
}

fn record() -> AsyncHook {
    let hook = create_hook(
        FnHook::new()
            .on_init(|id, ty, trigger, res| {
                push(Ev::Init {
                    id,
                    ty: ty.to_owned(),
                    trigger,
                    exec: execution_async_id(),
                    payload: describe(res),
                    line: res.created_at().map_or(0, |l| l.line()),
                })
            })
            .on_before(|id| push(Ev::Before(id)))
            .on_after(|id| push(Ev::After(id)))
            .on_destroy(|id| {
                push(Ev::Destroy {
                    id,
                    exec: execution_async_id(),
                    trigger: trigger_async_id(),
                })
            }),
    );
    hook.enable();
    hook
}

/// The `init` events of type `ty`, in order: (id, trigger, exec, payload).
fn inits(ty: &str) -> Vec<(AsyncId, AsyncId, AsyncId, String)> {
    events()
        .into_iter()
        .filter_map(|e| match e {
            Ev::Init {
                id,
                ty: t,
                trigger,
                exec,
                payload,
                ..
            } if t == ty => Some((id, trigger, exec, payload)),
            _ => None,
        })
        .collect()
}

fn init_line(id: AsyncId) -> u32 {
    events()
        .into_iter()
        .find_map(|e| match e {
            Ev::Init { id: i, line, .. } if i == id => Some(line),
            _ => None,
        })
        .unwrap()
}

fn position(ev: &Ev) -> usize {
    events().iter().position(|e| e == ev).unwrap()
}

fn count(pred: impl Fn(&Ev) -> bool) -> usize {
    events().iter().filter(|e| pred(e)).count()
}

fn destroys(id: AsyncId) -> usize {
    count(|e| matches!(e, Ev::Destroy { id: i, .. } if *i == id))
}

fn befores(id: AsyncId) -> usize {
    count(|e| *e == Ev::Before(id))
}

/// S17, S18: every resource that had an `init` got exactly one `destroy`, with no execution
/// context inside it, and no `before`/`after` came after it.
fn assert_all_destroyed_once() {
    let evs = events();
    for e in &evs {
        if let Ev::Init { id, ty, .. } = e {
            assert_eq!(destroys(*id), 1, "{ty}({id}) destroyed once: {evs:#?}");
            let d = evs
                .iter()
                .position(|x| matches!(x, Ev::Destroy { id: i, .. } if i == id))
                .unwrap();
            assert!(
                !evs[d..]
                    .iter()
                    .any(|x| *x == Ev::Before(*id) || *x == Ev::After(*id)),
                "no scope of {ty}({id}) after its destroy"
            );
        }
        if let Ev::Destroy { exec, trigger, .. } = e {
            assert_eq!((*exec, *trigger), (AsyncId::NONE, AsyncId::NONE));
        }
    }
}

#[tokio::test]
async fn sleep_is_a_timeout_whose_firing_poll_is_in_scope() {
    // S14, S15, S17, S28, S29
    let _hook = record();
    let line = line!() + 1;
    let sleep = time::sleep(Duration::from_millis(10));
    let id = sleep.resource().async_id();
    assert_eq!(
        inits("Timeout"),
        [(id, AsyncId::ROOT, AsyncId::ROOT, "10ms".to_owned())]
    );
    assert_eq!(init_line(id), line);
    assert_eq!(befores(id), 0, "no scope before the first poll");
    sleep.await;
    // The last poll fired inside a before/after pair, then the one destroy.
    let evs = events();
    let n = evs.len();
    assert_eq!(evs[n - 3], Ev::Before(id));
    assert_eq!(evs[n - 2], Ev::After(id));
    assert!(matches!(evs[n - 1], Ev::Destroy { id: i, .. } if i == id));
    assert_all_destroyed_once();
}

#[tokio::test]
async fn cancelled_timers_are_destroyed_once() {
    // S17: a sleep dropped while pending, and a timeout that elapsed.
    let _hook = record();
    let sleep = time::sleep(Duration::from_secs(60));
    let id = sleep.resource().async_id();
    assert!(tokio::time::timeout(Duration::from_millis(5), sleep)
        .await
        .is_err());
    assert!(befores(id) >= 1, "polled in its scope (S15)");
    assert_eq!(destroys(id), 1);

    let t = time::timeout(Duration::from_millis(5), std::future::pending::<()>());
    let tid = t.resource().async_id();
    assert!(t.await.is_err());
    let t2 = time::timeout(Duration::from_secs(5), async { execution_async_id() });
    let t2id = t2.resource().async_id();
    assert_eq!(t2.await.unwrap(), t2id, "polled in its scope (S15)");
    let timers = inits("Timeout");
    assert_eq!(
        timers[1],
        (tid, AsyncId::ROOT, AsyncId::ROOT, "5ms".to_owned())
    );
    assert_eq!(timers[2].3, "5s");
    assert_all_destroyed_once();
}

#[tokio::test]
async fn interval_ticks_in_its_scope_and_dies_with_its_owner() {
    // S15, S17, S28
    let _hook = record();
    let mut every = time::interval(Duration::from_millis(2));
    let id = every.resource().async_id();
    for _ in 0..3 {
        every.tick().await;
    }
    assert!(befores(id) >= 3);
    assert_eq!(destroys(id), 0, "alive while owned");
    drop(every);
    assert_eq!(inits("Timeout")[0].3, "2ms");
    assert_all_destroyed_once();
}

#[tokio::test]
async fn set_timeout_runs_its_callback_in_the_timeout_scope() {
    // S14, S15, S17, S29: Node's setTimeout.
    let _hook = record();
    let (seen_id, seen_trigger) = time::set_timeout(Duration::from_millis(5), || {
        (execution_async_id(), trigger_async_id())
    })
    .await
    .unwrap();
    let timer = inits("Timeout")[0].clone();
    assert_eq!((seen_id, seen_trigger), (timer.0, timer.1));
    assert_eq!(timer.1, AsyncId::ROOT);
    assert_eq!(timer.3, "5ms");
    let before = position(&Ev::Before(timer.0));
    let after = position(&Ev::After(timer.0));
    assert!(before < after);
    assert_eq!(befores(timer.0), 1, "one scope: the callback");

    // Aborted before it fires (clearTimeout): destroyed, never run.
    let never = time::set_timeout(Duration::from_secs(60), || unreachable!());
    never.abort();
    assert!(never.await.unwrap_err().is_cancelled());
    let aborted = inits("Timeout")[1].0;
    assert_eq!(befores(aborted), 0);
    assert_all_destroyed_once();
}

#[tokio::test]
async fn set_interval_repeats_in_one_timeout() {
    // S15, S17
    let _hook = record();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = time::set_interval(Duration::from_millis(1), move || {
        let _ = tx.send(execution_async_id());
    });
    let ids = [rx.recv().await, rx.recv().await, rx.recv().await];
    let timer = inits("Timeout")[0].0;
    assert_eq!(ids, [Some(timer); 3]);
    handle.abort();
    let _ = handle.await;
    assert_all_destroyed_once();
}

#[tokio::test]
async fn tcp_accept_is_triggered_by_the_listener_and_connect_by_the_socket() {
    // S14, S17, S28, S29: Node's order and triggers.
    let _hook = record();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_addr = listener.local_addr().unwrap();
    let server = listener.resource().async_id();
    assert_eq!(
        inits(net::TCPSERVERWRAP),
        [(
            server,
            AsyncId::ROOT,
            AsyncId::ROOT,
            server_addr.to_string()
        )]
    );

    let mut client = TcpStream::connect(server_addr).await.unwrap();
    let (mut conn, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());

    // Client: its TCPWRAP first, then the connect request triggered by it.
    let wraps = inits(net::TCPWRAP);
    let socket = client.resource().async_id();
    assert_eq!(
        wraps[0],
        (
            socket,
            AsyncId::ROOT,
            AsyncId::ROOT,
            server_addr.to_string()
        )
    );
    let reqs = inits(net::TCPCONNECTWRAP);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1, socket);
    assert_eq!(reqs[0].3, server_addr.to_string());
    assert!(reqs[0].0 > socket);
    assert_eq!(destroys(reqs[0].0), 1, "the request ends with the connect");
    assert!(
        befores(reqs[0].0) >= 1,
        "the connect is polled in its scope"
    );

    // Server side: trigger = the listener, created inside the listener's scope.
    let accepted = conn.resource().async_id();
    assert_eq!(
        wraps[1],
        (accepted, server, server, peer.to_string()),
        "accepted TCPWRAP: trigger and execution are the server"
    );

    conn.write_all(b"ok").await.unwrap();
    let mut buf = [0; 2];
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(destroys(socket) + destroys(accepted) + destroys(server), 0);
    drop((client, conn, listener));
    assert_all_destroyed_once();
}

#[tokio::test]
async fn a_cancelled_accept_creates_nothing_and_the_listener_dies_once() {
    // S17: cancellation via tokio::time::timeout on a pending accept.
    let _hook = record();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.resource().async_id();
    let res = tokio::time::timeout(Duration::from_millis(10), listener.accept()).await;
    assert!(res.is_err());
    assert!(
        befores(server) >= 1,
        "accept was polled in the listener's scope"
    );
    assert_eq!(inits(net::TCPWRAP).len(), 0);
    assert_eq!(destroys(server), 0);
    drop(listener);
    assert_eq!(destroys(server), 1);
    assert_all_destroyed_once();
}

#[tokio::test]
async fn serving_code_runs_in_the_connection_scope() {
    // S15: resources made while serving a connection are triggered by it.
    let _hook = record();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (conn, _) = listener.accept().await.unwrap();
    let accepted = conn.resource().async_id();
    let (exec, timer_trigger) = conn
        .serve(|mut conn| async move {
            conn.write_all(b"x").await.unwrap();
            let timer = time::sleep(Duration::from_millis(1));
            let trigger = timer.resource().trigger_async_id();
            timer.await;
            (execution_async_id(), trigger)
        })
        .await;
    assert_eq!((exec, timer_trigger), (accepted, accepted));
    assert_eq!(destroys(accepted), 1, "the served stream was dropped");
    drop((client, listener));
    assert_all_destroyed_once();
}

#[tokio::test]
async fn udp_sockets_and_lookups() {
    // S14, S15, S17, S28, S29
    let _hook = record();
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let udp = inits(net::UDPWRAP);
    assert_eq!(udp[0].0, a.resource().async_id());
    assert_eq!(udp[0].3, a.local_addr().unwrap().to_string());
    assert_eq!(udp[1].3, b.local_addr().unwrap().to_string());
    a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
    let mut buf = [0; 8];
    let (n, from) = b.recv_from(&mut buf).await.unwrap();
    assert_eq!((n, from), (4, a.local_addr().unwrap()));
    assert!(
        befores(b.resource().async_id()) >= 1,
        "recv polled in scope"
    );
    drop((a, b));

    let lookup = net::lookup_host("127.0.0.1:8080");
    let req = inits(net::GETADDRINFOREQWRAP);
    assert_eq!(req.len(), 1, "init at the call, before any poll (S14)");
    assert_eq!(
        (req[0].1, req[0].3.as_str()),
        (AsyncId::ROOT, "127.0.0.1:8080")
    );
    let addrs: Vec<_> = lookup.await.unwrap().collect();
    assert_eq!(addrs, ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]);
    assert_eq!(destroys(req[0].0), 1);
    assert_all_destroyed_once();
}

#[tokio::test]
async fn file_operations_are_fsreqcallbacks_with_their_paths() {
    // S14, S17, S28, S29
    let dir = std::env::temp_dir().join(format!("ah-tokio-fs-{}", std::process::id()));
    let a = dir.join("a.txt");
    let b = dir.join("b.txt");
    let c = dir.join("c.txt");
    let _hook = record();
    let line = line!() + 1;
    fs::create_dir_all(&dir).await.unwrap();
    fs::write(&a, "hello").await.unwrap();
    assert_eq!(fs::read(&a).await.unwrap(), b"hello");
    assert_eq!(fs::copy(&a, &b).await.unwrap(), 5);
    fs::rename(&b, &c).await.unwrap();
    assert_eq!(fs::read_to_string(&c).await.unwrap(), "hello");
    assert!(fs::metadata(&c).await.unwrap().is_file());
    let mut names = Vec::new();
    let mut entries = fs::read_dir(&dir).await.unwrap();
    while let Some(e) = entries.next_entry().await.unwrap() {
        names.push(e.file_name());
    }
    names.sort();
    assert_eq!(names, ["a.txt", "c.txt"]);
    fs::remove_file(&a).await.unwrap();
    assert!(!fs::try_exists(&a).await.unwrap());
    assert!(fs::read(&a).await.is_err(), "a failed request is one too");
    fs::remove_dir_all(&dir).await.unwrap();

    let p = |p: &PathBuf| p.display().to_string();
    let payloads: Vec<String> = inits(fs::FSREQCALLBACK)
        .into_iter()
        .map(|(_, trigger, _, payload)| {
            assert_eq!(trigger, AsyncId::ROOT);
            payload
        })
        .collect();
    assert_eq!(
        payloads,
        [
            format!("create_dir_all {}", p(&dir)),
            format!("write {}", p(&a)),
            format!("read {}", p(&a)),
            format!("copy {} {}", p(&a), p(&b)),
            format!("rename {} {}", p(&b), p(&c)),
            format!("read_to_string {}", p(&c)),
            format!("metadata {}", p(&c)),
            format!("read_dir {}", p(&dir)),
            format!("remove_file {}", p(&a)),
            format!("try_exists {}", p(&a)),
            format!("read {}", p(&a)),
            format!("remove_dir_all {}", p(&dir)),
        ]
    );
    let first = inits(fs::FSREQCALLBACK)[0].0;
    assert_eq!(init_line(first), line, "created at the caller's line");
    assert!(befores(first) >= 1, "polled in its scope (S15)");
    assert_all_destroyed_once();
}

#[cfg(unix)]
#[tokio::test]
async fn signal_streams_receive_in_their_scope() {
    // S14, S15, S17, S28, S29
    use async_hooks_tokio::signal::unix::{signal, SignalKind};
    let _hook = record();
    let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
    let id = usr1.resource().async_id();
    assert_eq!(
        inits(signal::SIGNALWRAP),
        [(
            id,
            AsyncId::ROOT,
            AsyncId::ROOT,
            format!("signal {}", SignalKind::user_defined1().as_raw_value())
        )]
    );
    let status = std::process::Command::new("kill")
        .args(["-USR1", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let got = tokio::time::timeout(Duration::from_secs(5), usr1.recv()).await;
    assert_eq!(got, Ok(Some(())));
    assert!(befores(id) >= 1);
    assert_eq!(destroys(id), 0);
    drop(usr1);

    // ctrl_c: a resource for the life of its future, destroyed when dropped unfired.
    let ctrl_c = signal::ctrl_c();
    assert_eq!(inits(signal::SIGNALWRAP).len(), 2);
    let _ = tokio::time::timeout(Duration::from_millis(5), ctrl_c).await;
    assert_all_destroyed_once();
}

#[cfg(unix)]
#[tokio::test]
async fn child_processes_are_processwraps() {
    // S14, S15, S17, S28, S29
    let _hook = record();
    let mut child = process::Command::new("sh")
        .args(["-c", "exit 3"])
        .spawn()
        .unwrap();
    let id = child.resource().async_id();
    assert_eq!(
        inits(process::PROCESSWRAP),
        [(id, AsyncId::ROOT, AsyncId::ROOT, "sh".to_owned())]
    );
    assert_eq!(child.wait().await.unwrap().code(), Some(3));
    assert!(befores(id) >= 1, "wait polled in its scope");
    assert_eq!(destroys(id), 0, "alive until the Child is dropped");
    drop(child);

    let out = process::Command::new("echo")
        .arg("hi")
        .output()
        .await
        .unwrap();
    assert_eq!(out.stdout, b"hi\n");
    let echo = inits(process::PROCESSWRAP)[1].clone();
    assert_eq!(echo.3, "echo");
    assert_eq!(destroys(echo.0), 1, "ended with the output future");

    assert!(process::Command::new("/nonexistent/program")
        .spawn()
        .is_err());
    assert_eq!(
        inits(process::PROCESSWRAP).len(),
        3,
        "a failed spawn: init…"
    );
    assert_all_destroyed_once(); // …and destroy
}

#[tokio::test]
async fn enter_with_in_served_code_lasts_across_polls_without_leaking() {
    // S30, S31: the code that serves a connection runs in its scope on every poll, and an
    // async-local value it sets with `enter_with` holds for the rest of that code.
    static STORE: async_hooks::AsyncLocalStorage<u32> = async_hooks::AsyncLocalStorage::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (conn, _) = listener.accept().await.unwrap();
    let conn_id = conn.resource().async_id();
    let seen = conn
        .serve(|_conn| async move {
            STORE.enter_with(5);
            tokio::task::yield_now().await; // a second poll
            (STORE.get(), execution_async_id())
        })
        .await;
    assert_eq!(seen, (Some(5), conn_id));
    assert_eq!(STORE.get(), None, "nothing leaks to the caller");
}
