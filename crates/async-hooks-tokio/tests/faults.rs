//! Faults around tasks: a task aborted while suspended inside nested resources of its own, a
//! runtime dropped while tasks are suspended inside nested resources (SPEC S3, S15, S16, S17).
//! Hooks are process-global: run with `cargo nextest`.
//!
//! Also covered elsewhere, not repeated here: a runtime dropped with live and never-polled
//! tasks (`tests/tasks.rs`, `dropping_the_runtime_destroys_live_and_never_polled_tasks`), a
//! task aborted before or after its first poll (`an_aborted_task_is_destroyed_exactly_once`),
//! a task that panics (`a_panicking_task_is_destroyed_once_and_leaves_the_thread_clean`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_hooks::{
    create_hook, execution_async_id, scope_depth, AsyncHook, AsyncId, AsyncResource, FnHook,
};
use async_hooks_tokio::task::TASK;
use async_hooks_tokio::AsyncResourceExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Before(AsyncId),
    After(AsyncId),
    Destroy(AsyncId),
}

/// Every event; the ids of each type, in creation order.
struct Log {
    events: Arc<Mutex<Vec<Ev>>>,
    types: Arc<Mutex<HashMap<String, Vec<AsyncId>>>>,
    triggers: Arc<Mutex<HashMap<AsyncId, AsyncId>>>,
    hook: AsyncHook,
}

impl Log {
    fn start() -> Log {
        let events = Arc::new(Mutex::new(Vec::new()));
        let types = Arc::new(Mutex::new(HashMap::<String, Vec<AsyncId>>::new()));
        let triggers = Arc::new(Mutex::new(HashMap::new()));
        let (b, a, d, t, tr) = (
            events.clone(),
            events.clone(),
            events.clone(),
            types.clone(),
            triggers.clone(),
        );
        let hook = create_hook(
            FnHook::new()
                .on_init(move |id, ty, trigger, _| {
                    tr.lock().unwrap().insert(id, trigger);
                    t.lock().unwrap().entry(ty.to_owned()).or_default().push(id)
                })
                .on_before(move |id| b.lock().unwrap().push(Ev::Before(id)))
                .on_after(move |id| a.lock().unwrap().push(Ev::After(id)))
                .on_destroy(move |id| d.lock().unwrap().push(Ev::Destroy(id))),
        );
        hook.enable();
        Log {
            events,
            types,
            triggers,
            hook,
        }
    }

    fn ids(&self, ty: &str) -> Vec<AsyncId> {
        self.types
            .lock()
            .unwrap()
            .get(ty)
            .cloned()
            .unwrap_or_default()
    }

    fn count(&self, ev: Ev) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| **e == ev)
            .count()
    }

    /// S17: one destroy; S15: as many `after`s as `before`s.
    fn assert_ended_once(&self, id: AsyncId) {
        assert_eq!(self.count(Ev::Destroy(id)), 1, "S17: one destroy of {id}");
        assert_eq!(
            self.count(Ev::Before(id)),
            self.count(Ev::After(id)),
            "S15: every scope of {id} closed"
        );
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.hook.disable();
    }
}

/// Records the execution id at which it is dropped.
struct DropProbe(Arc<Mutex<Vec<AsyncId>>>);

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(execution_async_id());
    }
}

/// A task body suspended inside two resources of its own (`test.Outer` around `test.Inner`),
/// after a synchronous nested scope (`test.Sync`) opened and closed within the poll.
async fn nested_body(drops: Arc<Mutex<Vec<AsyncId>>>, started: Arc<AtomicUsize>) {
    let (d_outer, d_inner) = (drops.clone(), drops);
    async move {
        let _probe = DropProbe(d_outer);
        async move {
            let _probe = DropProbe(d_inner);
            AsyncResource::new("test.Sync").run_in_async_scope(|| {});
            started.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>().await
        }
        .in_resource("test.Inner")
        .await
    }
    .in_resource("test.Outer")
    .await
}

#[test]
fn a_task_aborted_inside_nested_scopes_of_its_own_unwinds_them() {
    // S15, S16, S17: the abort drops the task's future in the task's scope; that drops the
    // nested futures in their scopes, innermost first; each resource is destroyed once and
    // the worker thread is left clean (S3).
    let log = Log::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let drops = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let task = async_hooks_tokio::spawn(nested_body(drops.clone(), started.clone()));
        while started.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        // Every worker is back at a task's own scope only.
        for _ in 0..8 {
            let (depth, exec, own) = async_hooks_tokio::spawn(async {
                (
                    scope_depth(),
                    execution_async_id(),
                    async_hooks::execution_async_resource().async_id(),
                )
            })
            .await
            .unwrap();
            assert_eq!(depth, 1, "only the probe task's scope is open");
            assert_eq!(exec, own);
        }
    });
    drop(rt);

    let task = log.ids(TASK)[0];
    let (outer, inner, sync) = (
        log.ids("test.Outer")[0],
        log.ids("test.Inner")[0],
        log.ids("test.Sync")[0],
    );
    assert_eq!(*drops.lock().unwrap(), [inner, outer]);
    for id in [task, outer, inner, sync] {
        log.assert_ended_once(id);
    }
    for id in log.ids(TASK) {
        log.assert_ended_once(id);
    }
}

#[test]
fn a_runtime_dropped_while_tasks_sit_in_nested_scopes_destroys_everything_once() {
    // S17: the runtime drop destroys each task once (as tests/tasks.rs shows) and, through
    // the futures it drops, each nested resource once, in its own scope (S15).
    const TASKS: usize = 6;
    let log = Log::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let drops = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        for _ in 0..TASKS {
            drop(async_hooks_tokio::spawn(nested_body(
                drops.clone(),
                started.clone(),
            )));
        }
        while started.load(Ordering::SeqCst) < TASKS {
            tokio::task::yield_now().await;
        }
    });
    drop(rt);

    let tasks = log.ids(TASK);
    let (outers, inners) = (log.ids("test.Outer"), log.ids("test.Inner"));
    assert_eq!(
        (tasks.len(), outers.len(), inners.len()),
        (TASKS, TASKS, TASKS)
    );
    for id in tasks.iter().chain(&outers).chain(&inners) {
        log.assert_ended_once(*id);
    }
    let drops = drops.lock().unwrap().clone();
    assert_eq!(drops.len(), 2 * TASKS);
    // Each task's probes were dropped in its inner, then its outer scope (two workers may
    // drop two tasks at once, so only the order within a task is fixed).
    let at = |id: AsyncId| drops.iter().position(|d| *d == id);
    for inner in &inners {
        let outer = &log.triggers.lock().unwrap()[inner]; // S4: created in the outer's scope
        assert!(outers.contains(outer));
        let (i, o) = (
            at(*inner).expect("inner dropped"),
            at(*outer).expect("outer dropped"),
        );
        assert!(i < o, "{inner} dropped in its scope before {outer}");
    }
    assert_eq!(scope_depth(), 0);
    assert_eq!(execution_async_id(), AsyncId::ROOT);
}
