//! Hooks and execution context across threads (SPEC S2, S5, S6, S13).
//!
//! Hooks are process-global: run these with `cargo nextest` (one process per test).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use async_hooks::{
    create_hook, execution_async_id, trigger_async_id, AsyncId, AsyncResource, FnHook,
};

// ---------------------------------------------------------------------------------------
// S13

/// One global clock. Every tick is a `SeqCst` read-modify-write, so a tick taken after
/// `disable()` returned on one thread is ordered after it for every thread that ticks later.
static CLOCK: AtomicU64 = AtomicU64::new(1);

fn tick() -> u64 {
    CLOCK.fetch_add(1, SeqCst)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Event {
    Init,
    Before,
    After,
    Destroy,
}

/// One call of the toggled hook, as seen on a worker thread.
#[derive(Clone, Copy, Debug)]
struct Call {
    event: Event,
    id: AsyncId,
    /// `trigger` argument of init; `trigger_async_id()` otherwise.
    trigger: AsyncId,
    exec: AsyncId,
    /// The clock the worker read just before the operation that caused this dispatch.
    started: u64,
    /// The clock when the callback began.
    at: u64,
}

/// What the always-enabled hook saw on one thread.
#[derive(Default)]
struct Steady {
    counts: HashMap<Event, u64>,
    inits: Vec<AsyncId>,
    destroys: Vec<AsyncId>,
}

thread_local! {
    static STARTED: Cell<u64> = const { Cell::new(0) };
    static TOGGLED_CALLS: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
    static STEADY: RefCell<Steady> = RefCell::new(Steady::default());
}

fn record_toggled(event: Event, id: AsyncId, trigger: AsyncId) {
    let at = tick();
    let call = Call {
        event,
        id,
        trigger,
        exec: execution_async_id(),
        started: STARTED.with(Cell::get),
        at,
    };
    TOGGLED_CALLS.with(|c| c.borrow_mut().push(call));
}

fn record_steady(event: Event, id: AsyncId) {
    STEADY.with(|s| {
        let mut s = s.borrow_mut();
        *s.counts.entry(event).or_default() += 1;
        match event {
            Event::Init => s.inits.push(id),
            Event::Destroy => s.destroys.push(id),
            _ => {}
        }
    });
}

/// Marks the start of the next operation that may dispatch.
fn start() {
    STARTED.with(|s| s.set(tick()));
}

/// What one worker did and saw.
struct WorkerReport {
    /// `(resource, child)` ids, in creation order.
    made: Vec<(AsyncId, AsyncId)>,
    toggled: Vec<Call>,
    steady: Steady,
}

/// Creates, enters and destroys resources until `stop`; every operation that can dispatch is
/// preceded by a clock tick. At most `max` iterations, to bound memory.
fn work(stop: &AtomicBool, done: &AtomicU64, ready: &Barrier, max: u64) -> WorkerReport {
    ready.wait();
    let mut made = Vec::new();
    while !stop.load(SeqCst) && (made.len() as u64) < max {
        start();
        let r = AsyncResource::new("test.Work"); // init
        start();
        let scope = r.enter(); // before
        start();
        let child = AsyncResource::new("test.Child"); // init, trigger = r
        made.push((r.async_id(), child.async_id()));
        start();
        drop(child); // destroy
        start();
        drop(scope); // after
        start();
        drop(r); // destroy
        done.fetch_add(1, SeqCst);
    }
    WorkerReport {
        made,
        toggled: TOGGLED_CALLS.with(|c| c.take()),
        steady: STEADY.with(|s| s.take()),
    }
}

#[test]
fn enable_and_disable_while_other_threads_fire_events() {
    // S13: one thread enables and disables a hook in a loop while four others create, enter and
    // destroy resources. A second hook stays enabled throughout and must see every event.
    const WORKERS: usize = 4;
    const MAX_ITERATIONS: u64 = 50_000;
    let toggled = create_hook(
        FnHook::new()
            .on_init(|id, _, trigger, _| record_toggled(Event::Init, id, trigger))
            .on_before(|id| record_toggled(Event::Before, id, trigger_async_id()))
            .on_after(|id| record_toggled(Event::After, id, trigger_async_id()))
            .on_destroy(|id| record_toggled(Event::Destroy, id, trigger_async_id())),
    );
    let churn = create_hook(FnHook::new().on_init(|_, _, _, _| {}));
    let steady = create_hook(
        FnHook::new()
            .on_init(|id, _, _, _| record_steady(Event::Init, id))
            .on_before(|id| record_steady(Event::Before, id))
            .on_after(|id| record_steady(Event::After, id))
            .on_destroy(|id| record_steady(Event::Destroy, id)),
    );
    steady.enable();

    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(WORKERS + 1));
    let done: Arc<Vec<AtomicU64>> = Arc::new((0..WORKERS).map(|_| AtomicU64::new(0)).collect());
    let workers: Vec<_> = (0..WORKERS)
        .map(|i| {
            let (stop, ready, done) = (stop.clone(), ready.clone(), done.clone());
            thread::spawn(move || work(&stop, &done[i], &ready, MAX_ITERATIONS))
        })
        .collect();

    // The controller: cycles of (E = tick, enable, …, disable, D = tick).
    ready.wait();
    let mut cycles: Vec<(u64, u64)> = Vec::new();
    let begin = Instant::now();
    let mut spin: u32 = 7;
    let all_done = |done: &[AtomicU64]| done.iter().all(|d| d.load(SeqCst) >= MAX_ITERATIONS);
    while (begin.elapsed() < Duration::from_millis(200) || cycles.len() < 50) && !all_done(&done) {
        spin = spin.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let enabled = tick();
        toggled.enable();
        if spin % 3 == 0 {
            churn.enable();
        }
        for _ in 0..(spin >> 16) % 4096 {
            std::hint::spin_loop();
        }
        churn.disable();
        toggled.disable();
        let disabled = tick();
        assert!(!toggled.is_enabled());
        cycles.push((enabled, disabled));
        for _ in 0..(spin >> 8) % 1024 {
            std::hint::spin_loop();
        }
    }
    // Let every worker run a while after the last disable() returned (unless one died).
    let after_last: Vec<u64> = done.iter().map(|d| d.load(SeqCst)).collect();
    let give_up = Instant::now() + Duration::from_secs(10);
    while done
        .iter()
        .zip(&after_last)
        .any(|(d, &at)| d.load(SeqCst) < (at + 100).min(MAX_ITERATIONS))
        && !workers.iter().any(thread::JoinHandle::is_finished)
        && Instant::now() < give_up
    {
        thread::yield_now();
    }
    stop.store(true, SeqCst);
    let reports: Vec<WorkerReport> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    steady.disable();

    let mut all_ids = HashSet::new();
    let mut toggled_calls = 0;
    for report in &reports {
        let n = report.made.len() as u64;
        assert!(n > 0);

        // Ids are unique across threads, and the steady hook saw every event, once each, in
        // creation order.
        let mut expected_inits = Vec::new();
        for &(r, child) in &report.made {
            assert!(all_ids.insert(r), "id {r} handed out twice");
            assert!(all_ids.insert(child), "id {child} handed out twice");
            expected_inits.extend([r, child]);
        }
        let s = &report.steady;
        same_ids("init", &s.inits, &expected_inits);
        let expected_destroys: Vec<AsyncId> =
            report.made.iter().flat_map(|&(r, c)| [c, r]).collect();
        same_ids("destroy", &s.destroys, &expected_destroys);
        for (event, per_iteration) in [
            (Event::Init, 2),
            (Event::Before, 1),
            (Event::After, 1),
            (Event::Destroy, 2),
        ] {
            assert_eq!(s.counts.get(&event).copied(), Some(per_iteration * n));
        }

        check_toggled(report, &cycles);
        toggled_calls += report.toggled.len();
    }
    eprintln!(
        "{} cycles in {:?}; {toggled_calls} calls of the toggled hook; {:?} iterations",
        cycles.len(),
        begin.elapsed(),
        reports.iter().map(|r| r.made.len()).collect::<Vec<_>>()
    );
    assert!(toggled_calls > 0, "the toggled hook never ran");
    assert!(cycles.len() >= 50);
}

/// Asserts the steady hook saw exactly `expected`, naming the first difference.
fn same_ids(event: &str, seen: &[AsyncId], expected: &[AsyncId]) {
    let first_diff = seen.iter().zip(expected).position(|(a, b)| a != b);
    assert!(
        first_diff.is_none() && seen.len() == expected.len(),
        "steady hook: {} {event} events, {} expected; first difference at {first_diff:?}",
        seen.len(),
        expected.len()
    );
}

/// Checks the toggled hook's calls on one worker against the enable/disable cycles.
fn check_toggled(report: &WorkerReport, cycles: &[(u64, u64)]) {
    let mine: HashMap<AsyncId, Option<AsyncId>> = report
        .made
        .iter()
        .flat_map(|&(r, c)| [(r, None), (c, Some(r))])
        .collect();
    let mut last_event: HashMap<AsyncId, Event> = HashMap::new();
    for call in &report.toggled {
        // S13: no dispatch that started after disable() returned called the hook. Take the
        // last cycle whose enable began before the call: the dispatch must have started
        // before that cycle's disable returned.
        let k = cycles.partition_point(|&(enabled, _)| enabled < call.at);
        assert!(k > 0, "called before the first enable: {call:?}");
        let (_, disabled) = cycles[k - 1];
        assert!(
            call.started < disabled,
            "a dispatch that started at {} (after disable() returned at {disabled}) called \
             the hook: {call:?}",
            call.started
        );

        // Every event is for a resource this thread made, with a consistent context.
        let parent = *mine
            .get(&call.id)
            .unwrap_or_else(|| panic!("event for an id this thread never made: {call:?}"));
        match call.event {
            Event::Init => {
                assert_eq!(call.trigger, parent.unwrap_or(AsyncId::ROOT), "{call:?}");
                assert_eq!(call.exec, call.trigger, "{call:?}");
            }
            Event::Before | Event::After => {
                assert_eq!(call.exec, call.id, "{call:?}");
                assert_eq!(call.trigger, AsyncId::ROOT, "{call:?}");
            }
            Event::Destroy => {
                assert_eq!((call.exec, call.trigger), (AsyncId::NONE, AsyncId::NONE));
            }
        }

        // The hook may miss events (S11) but sees each resource's in order, each at most once.
        let order = |e: Event| match e {
            Event::Init => 0,
            Event::Before => 1,
            Event::After => 2,
            Event::Destroy => 3,
        };
        if let Some(&prev) = last_event.get(&call.id) {
            assert!(order(prev) < order(call.event), "{prev:?} then {call:?}");
        }
        last_event.insert(call.id, call.event);
    }
}

// ---------------------------------------------------------------------------------------
// S5, S6

#[test]
fn a_resource_carries_its_ids_to_another_thread() {
    // S5: a resource made on one thread runs on another with its own ids, while the first
    // thread is in a different scope; each thread keeps its own context. No hook (S6).
    let parent = AsyncResource::new("test.Parent");
    let work = Arc::new(parent.run_in_async_scope(|| AsyncResource::new("test.Work")));
    assert_eq!(work.trigger_async_id(), parent.async_id());

    let both_in_scope = Arc::new(Barrier::new(2));
    let (w, barrier) = (work.clone(), both_in_scope.clone());
    let other = thread::spawn(move || {
        let outside = (execution_async_id(), trigger_async_id());
        let (inside, child_trigger) = w.run_in_async_scope(|| {
            barrier.wait(); // main is inside `parent` now
            let ids = (execution_async_id(), trigger_async_id());
            let child = AsyncResource::new("test.Child");
            barrier.wait();
            (ids, child.trigger_async_id())
        });
        let back = (execution_async_id(), trigger_async_id());
        (outside, inside, child_trigger, back)
    });

    let on_main = parent.run_in_async_scope(|| {
        both_in_scope.wait();
        let ids = (execution_async_id(), trigger_async_id());
        both_in_scope.wait();
        ids
    });
    let (outside, inside, child_trigger, back) = other.join().unwrap();

    let root = (AsyncId::ROOT, AsyncId::NONE);
    assert_eq!(outside, root);
    assert_eq!(inside, (work.async_id(), parent.async_id()));
    assert_eq!(child_trigger, work.async_id()); // S4 on the other thread
    assert_eq!(back, root);
    assert_eq!(on_main, (parent.async_id(), AsyncId::ROOT));
    assert_eq!((execution_async_id(), trigger_async_id()), root);

    // The same resource in scope on two threads at once: each sees it.
    let barrier = Arc::new(Barrier::new(2));
    let (w, b) = (work.clone(), barrier.clone());
    let other = thread::spawn(move || {
        w.run_in_async_scope(|| {
            b.wait();
            let id = execution_async_id();
            b.wait();
            id
        })
    });
    let here = work.run_in_async_scope(|| {
        barrier.wait();
        let id = execution_async_id();
        barrier.wait();
        id
    });
    assert_eq!(here, work.async_id());
    assert_eq!(other.join().unwrap(), work.async_id());
}

#[test]
fn a_thread_spawned_in_a_scope_is_triggered_by_it() {
    // S5: `async_hooks::thread::spawn` runs the new thread inside a THREAD resource whose
    // trigger is the spawner's execution id.
    let parent = AsyncResource::new("test.Parent");
    let (exec, trigger) = parent.run_in_async_scope(|| {
        async_hooks::thread::spawn(|| (execution_async_id(), trigger_async_id()))
            .join()
            .unwrap()
    });
    assert_eq!(trigger, parent.async_id());
    assert!(exec > parent.async_id());
}

#[test]
fn execution_ids_are_per_thread_with_no_hook() {
    // S2, S5, S6: with no hook enabled, each of four threads nests scopes at the same time and
    // always sees its own ids; none sees another's.
    const THREADS: usize = 4;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait(); // all four run at once
                assert_eq!(execution_async_id(), AsyncId::ROOT);
                assert_eq!(trigger_async_id(), AsyncId::NONE);
                let mut seen = Vec::new();
                for _ in 0..200 {
                    let outer = AsyncResource::new("test.Outer");
                    assert_eq!(outer.trigger_async_id(), AsyncId::ROOT);
                    outer.run_in_async_scope(|| {
                        assert_eq!(execution_async_id(), outer.async_id());
                        assert_eq!(trigger_async_id(), AsyncId::ROOT);
                        let inner = AsyncResource::new("test.Inner");
                        assert_eq!(inner.trigger_async_id(), outer.async_id());
                        inner.run_in_async_scope(|| {
                            assert_eq!(execution_async_id(), inner.async_id());
                            assert_eq!(trigger_async_id(), outer.async_id());
                        });
                        assert_eq!(execution_async_id(), outer.async_id());
                        seen.extend([outer.async_id(), inner.async_id()]);
                    });
                    assert_eq!(execution_async_id(), AsyncId::ROOT);
                    assert_eq!(trigger_async_id(), AsyncId::NONE);
                }
                seen
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for h in handles {
        for id in h.join().unwrap() {
            assert!(ids.insert(id), "id {id} handed out twice"); // S1
        }
    }
    assert_eq!(ids.len(), THREADS * 200 * 2);
    assert_eq!(execution_async_id(), AsyncId::ROOT);
}
