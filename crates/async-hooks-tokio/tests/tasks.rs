//! Tasks spawned through the wrappers of `async_hooks_tokio::task` are resources (SPEC S3, S4,
//! S5, S14, S15, S17, S28, S29, S31). Hooks are process-global: run with `cargo nextest`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_hooks::{
    execution_async_id, execution_async_resource, scope_depth, trigger_async_id, AsyncId,
    AsyncLocalStorage,
};
use async_hooks_tokio::task::{self, TaskInfo, BLOCKING_TASK, LOCAL_TASK, TASK};
use async_hooks_tokio::AsyncResourceExt;

mod support;

use support::{record, Ev};

fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn spawn_makes_a_task_resource_on_the_spawning_thread() {
    // S14, S29, S4, S15, S17, STYLE 11
    let rec = record();
    let rt = multi_thread(2);
    let main_thread = std::thread::current().id();
    let (id, spawn_line, seen) = rt.block_on(async {
        let spawn_line = line!() + 1;
        let handle = async_hooks_tokio::spawn(async {
            tokio::task::yield_now().await;
            (execution_async_id(), trigger_async_id())
        });
        // S14: `init` ran synchronously, before `spawn` returned, on this thread.
        let inits = rec.inits(TASK);
        assert_eq!(inits.len(), 1);
        let Ev::Init {
            id,
            trigger,
            exec,
            thread,
            line,
            ..
        } = inits[0].clone()
        else {
            unreachable!()
        };
        assert_eq!(thread, main_thread);
        assert_eq!(exec, AsyncId::ROOT, "S14: init sees the creator's context");
        assert_eq!(trigger, AsyncId::ROOT, "S4: block_on is top-level code");
        assert_eq!(
            line,
            Some(spawn_line),
            "created_at names the user's spawn call"
        );
        (id, spawn_line, handle.await.unwrap())
    });
    assert!(spawn_line > 0);
    assert_eq!(
        seen,
        (id, AsyncId::ROOT),
        "S3: the task runs in its own scope"
    );
    // The task yielded once, so it ran at least twice; then one destroy, last (S15, S17).
    assert!(rec.life(id) >= 2);
    assert_eq!(execution_async_id(), AsyncId::ROOT);
}

#[test]
fn a_task_spawned_in_a_task_is_triggered_by_it() {
    // S4
    let rec = record();
    let rt = multi_thread(2);
    let (parent, child, grandchild) = rt.block_on(async {
        async_hooks_tokio::spawn(async {
            let parent = execution_async_id();
            let (child, grandchild) = async_hooks_tokio::spawn(async move {
                assert_eq!(trigger_async_id(), parent);
                let child = execution_async_id();
                let grandchild = task::Builder::new()
                    .name("g")
                    .spawn(async { (execution_async_id(), trigger_async_id()) })
                    .await
                    .unwrap();
                (child, grandchild)
            })
            .await
            .unwrap();
            (parent, child, grandchild)
        })
        .await
        .unwrap()
    });
    let by_id = |id: AsyncId| rec.inits(TASK).into_iter().find(|e| e.id() == id).unwrap();
    let Ev::Init { trigger, exec, .. } = by_id(child) else {
        unreachable!()
    };
    assert_eq!((trigger, exec), (parent, parent));
    let Ev::Init { trigger, name, .. } = by_id(grandchild.0) else {
        unreachable!()
    };
    assert_eq!(trigger, child);
    assert_eq!(grandchild.1, child);
    assert_eq!(
        name.as_deref(),
        Some("g"),
        "S28: the name is readable in init"
    );
    for id in [parent, child, grandchild.0] {
        rec.life(id);
    }
}

#[test]
fn the_execution_id_follows_the_task_onto_every_worker() {
    // S5, S15
    let rec = record();
    let rt = multi_thread(4);
    let results = rt.block_on(async {
        let handles: Vec<_> = (0..32)
            .map(|i| {
                async_hooks_tokio::spawn(async move {
                    let me = execution_async_id();
                    let mut threads = HashSet::new();
                    for round in 0..20 {
                        if (i + round) % 3 == 0 {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        } else {
                            tokio::task::yield_now().await;
                        }
                        assert_eq!(execution_async_id(), me, "S5: on every poll, every thread");
                        assert_eq!(trigger_async_id(), AsyncId::ROOT);
                        assert_eq!(scope_depth(), 1, "only the task's own scope is open");
                        threads.insert(std::thread::current().id());
                    }
                    (me, threads)
                })
            })
            .collect();
        let mut results = Vec::new();
        for h in handles {
            results.push(h.await.unwrap());
        }
        results
    });
    let ids: HashSet<AsyncId> = results.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 32, "S1: every task has its own id");
    assert_eq!(ids, rec.ids(TASK).into_iter().collect());
    for (id, _) in &results {
        assert!(rec.life(*id) >= 21, "S15: one before/after pair per poll");
    }
    let moved = results.iter().filter(|(_, t)| t.len() > 1).count();
    println!("{moved} of 32 tasks ran on more than one worker");
}

#[test]
fn async_local_storage_reaches_the_task_and_its_grandchildren() {
    // S31, S32, S30 (enter_with in a task persists across its awaits)
    static REQUEST: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    static OTHER: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let _rec = record();
    let rt = multi_thread(2);
    let seen = rt.block_on(async {
        let handle = REQUEST.run(7, || {
            async_hooks_tokio::spawn(async {
                tokio::task::yield_now().await;
                let own = REQUEST.get();
                let (child, grandchild) = async_hooks_tokio::spawn(async {
                    let child = REQUEST.get();
                    let grandchild = async_hooks_tokio::spawn(async {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        (REQUEST.get(), OTHER.get())
                    })
                    .await
                    .unwrap();
                    (child, grandchild)
                })
                .await
                .unwrap();
                // enter_with lasts for the rest of this task, across awaits, and is captured by
                // the tasks it spawns afterwards.
                REQUEST.enter_with(8);
                tokio::task::yield_now().await;
                let after_enter = REQUEST.get();
                let later_child = async_hooks_tokio::spawn(async { REQUEST.get() })
                    .await
                    .unwrap();
                (own, child, grandchild, after_enter, later_child)
            })
        });
        assert_eq!(
            REQUEST.get(),
            None,
            "run ended before the spawn was awaited"
        );
        let outside = async_hooks_tokio::spawn(async { REQUEST.get() });
        (handle.await.unwrap(), outside.await.unwrap())
    });
    let ((own, child, grandchild, after_enter, later_child), outside) = seen;
    assert_eq!(own, Some(7));
    assert_eq!(child, Some(7));
    assert_eq!(
        grandchild,
        (Some(7), None),
        "S32: another store stays unset"
    );
    assert_eq!(after_enter, Some(8));
    assert_eq!(later_child, Some(8));
    assert_eq!(outside, None, "a task spawned outside run sees no value");
}

#[test]
fn an_aborted_task_is_destroyed_exactly_once() {
    // S17, S15
    let rec = record();
    let rt = multi_thread(2);
    let started = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        // Polled, then aborted while pending.
        let s = started.clone();
        let running = async_hooks_tokio::spawn(async move {
            s.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await
        });
        while !started.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
        running.abort();
        assert!(running.await.unwrap_err().is_cancelled());
    });
    let polled = rec.ids(TASK)[0];
    assert!(rec.life(polled) >= 1);
    assert_eq!(rec.count_destroys(polled), 1);

    // Aborted before it was ever polled (a current-thread runtime runs nothing until block_on
    // yields).
    let rt = current_thread();
    rt.block_on(async {
        let never = async_hooks_tokio::spawn(async { unreachable!("never polled") });
        never.abort();
        assert!(never.await.unwrap_err().is_cancelled());
    });
    let unpolled = rec.ids(TASK)[1];
    rec.life(unpolled);
    assert_eq!(rec.count_destroys(unpolled), 1);
}

#[test]
fn dropping_the_runtime_destroys_live_and_never_polled_tasks() {
    // S17: once each, before `drop` returns; the futures are dropped in the task's scope (S15)
    let rec = record();
    let dropped_in = Arc::new(Mutex::new(Vec::new()));
    struct OnDrop(Arc<Mutex<Vec<(AsyncId, AsyncId)>>>, AsyncId);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.lock().unwrap().push((self.1, execution_async_id()));
        }
    }

    // Multi-thread: tasks that have run and wait forever.
    let rt = multi_thread(2);
    let running = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        for _ in 0..10 {
            let (r, d) = (running.clone(), dropped_in.clone());
            async_hooks_tokio::spawn(async move {
                let _guard = OnDrop(d, execution_async_id());
                r.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await
            });
        }
        while running.load(Ordering::SeqCst) < 10 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    drop(rt);
    let live = rec.ids(TASK);
    assert_eq!(live.len(), 10);
    for id in &live {
        assert!(rec.life(*id) >= 1);
        assert_eq!(rec.count_destroys(*id), 1);
    }
    let dropped = dropped_in.lock().unwrap().clone();
    assert_eq!(dropped.len(), 10);
    for (task, exec) in dropped {
        assert_eq!(task, exec, "a task's future is dropped in the task's scope");
    }

    // Current-thread: tasks spawned but never polled.
    let rt = current_thread();
    let guard = rt.enter();
    for _ in 0..5 {
        async_hooks_tokio::spawn(async { unreachable!("never polled") });
    }
    drop(guard);
    let unpolled: Vec<AsyncId> = rec.ids(TASK)[10..].to_vec();
    assert_eq!(unpolled.len(), 5);
    assert!(unpolled.iter().all(|id| rec.count_destroys(*id) == 0));
    drop(rt);
    for id in unpolled {
        rec.life(id);
        assert_eq!(rec.count_destroys(id), 1);
    }
}

#[test]
fn a_panicking_task_is_destroyed_once_and_leaves_the_thread_clean() {
    // S3, S15, S17
    let rec = record();
    let rt = current_thread();
    rt.block_on(async {
        let err = async_hooks_tokio::spawn(async { panic!("boom") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(execution_async_id(), AsyncId::ROOT);
        let depth = async_hooks_tokio::spawn(async { scope_depth() })
            .await
            .unwrap();
        assert_eq!(depth, 1, "S3: the panicking task's scope was closed");
    });
    // Two scopes: the poll that panicked, then the drop of the spent future, which the wrapper
    // also runs in the task's scope; then one destroy.
    let id = rec.ids(TASK)[0];
    assert_eq!(rec.life(id), 2);
    assert_eq!(rec.count_destroys(id), 1);
}

#[test]
fn spawn_blocking_runs_the_closure_in_its_resource() {
    // S4, S14, S15, S17, S29, S31
    static USER: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let rec = record();
    let rt = multi_thread(2);
    let (parent, seen) = rt.block_on(async {
        USER.run("ada", || {
            async_hooks_tokio::spawn(async {
                let parent = execution_async_id();
                let seen = async_hooks_tokio::spawn_blocking(|| {
                    let me = execution_async_resource();
                    (
                        execution_async_id(),
                        trigger_async_id(),
                        me.resource_type().to_owned(),
                        USER.get(),
                        std::thread::current().name().map(String::from),
                    )
                })
                .await
                .unwrap();
                (parent, seen)
            })
        })
        .await
        .unwrap()
    });
    let ids = rec.ids(BLOCKING_TASK);
    assert_eq!(ids.len(), 1);
    let (id, trigger, ty, user, thread) = seen;
    assert_eq!(
        (id, trigger),
        (ids[0], parent),
        "S4: triggered by the spawning task"
    );
    assert_eq!(ty, BLOCKING_TASK);
    assert_eq!(user, Some("ada"), "S31");
    assert_ne!(thread.as_deref(), None);
    assert_eq!(rec.life(id), 1, "one run, then one destroy");

    // A panicking closure: `after` and `destroy` still come, once.
    let err = rt
        .block_on(async { async_hooks_tokio::spawn_blocking(|| panic!("boom")).await })
        .unwrap_err();
    assert!(err.is_panic());
    let panicked = rec.ids(BLOCKING_TASK)[1];
    assert_eq!(rec.life(panicked), 1);
}

#[test]
fn spawn_blocking_dropped_unrun_is_destroyed_once() {
    // S17: Tokio drops a blocking closure unrun when it is spawned after shutdown began.
    let rec = record();
    let rt = multi_thread(1);
    let handle = rt.handle().clone();
    drop(rt);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let join =
        task::Builder::new().spawn_blocking_on(move || r.store(true, Ordering::SeqCst), &handle);
    let id = rec.ids(BLOCKING_TASK)[0];
    assert_eq!(rec.count_destroys(id), 1);
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(rec.life(id), 0, "never ran");
    // The same for a task spawned on the shut-down runtime.
    let join_task = task::Builder::new().spawn_on(async {}, &handle);
    let task_id = rec.ids(TASK)[0];
    assert_eq!(rec.count_destroys(task_id), 1);
    rec.life(task_id);
    let rt = current_thread();
    assert!(rt.block_on(join).unwrap_err().is_cancelled());
    assert!(rt.block_on(join_task).unwrap_err().is_cancelled());
}

#[test]
fn spawn_local_tasks_are_local_task_resources() {
    // S4, S14, S17, S29, S31
    static STEP: AsyncLocalStorage<u8> = AsyncLocalStorage::new();
    let rec = record();
    let rt = current_thread();
    let local = tokio::task::LocalSet::new();
    let (parent, child, trigger, step) = local.block_on(&rt, async {
        let not_send = std::rc::Rc::new(());
        STEP.run(3, || {
            async_hooks_tokio::spawn_local(async move {
                let _keep = not_send;
                let parent = execution_async_id();
                let (child, trigger, step) = task::Builder::new()
                    .name("inner")
                    .spawn_local(async {
                        tokio::task::yield_now().await;
                        (execution_async_id(), trigger_async_id(), STEP.get())
                    })
                    .await
                    .unwrap();
                (parent, child, trigger, step)
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(rec.ids(LOCAL_TASK), vec![parent, child]);
    assert_eq!(trigger, parent, "S4");
    assert_eq!(step, Some(3), "S31");
    let Ev::Init { name, .. } = rec.inits(LOCAL_TASK)[1].clone() else {
        unreachable!()
    };
    assert_eq!(name.as_deref(), Some("inner"));
    rec.life(parent);
    assert_eq!(rec.life(child), 2);

    // A task alive when its LocalSet is dropped: destroyed then, once (S17).
    let live = task::Builder::new().spawn_local_on(std::future::pending::<()>(), &local);
    local.block_on(&rt, tokio::task::yield_now());
    let id = rec.ids(LOCAL_TASK)[2];
    assert_eq!(rec.count_destroys(id), 0);
    drop(local);
    assert_eq!(rec.count_destroys(id), 1);
    rec.life(id);
    assert!(rt.block_on(live).unwrap_err().is_cancelled());
}

#[test]
fn task_info_carries_the_name_and_the_tokio_id() {
    // S28
    let rec = record();
    let rt = multi_thread(2);
    let handle = task::Builder::new().name("worker-7").spawn_on(
        async {
            let me = execution_async_resource();
            let info = me.payload::<TaskInfo>().unwrap();
            (
                info.name().map(String::from),
                info.tokio_id(),
                tokio::task::id(),
            )
        },
        rt.handle(),
    );
    let tokio_id = handle.id();
    let (name, seen_id, inside) = rt.block_on(handle).unwrap();
    assert_eq!(name.as_deref(), Some("worker-7"));
    assert_eq!(seen_id, Some(inside));
    assert_eq!(inside, tokio_id);
    let Ev::Init { name, .. } = rec.inits(TASK)[0].clone() else {
        unreachable!()
    };
    assert_eq!(name.as_deref(), Some("worker-7"), "readable in init");
}

#[test]
fn in_resource_makes_any_future_a_resource() {
    // S4, S14, S15, S17, S29
    let rec = record();
    let rt = current_thread();
    let line = line!() + 1;
    let fut = async { (execution_async_id(), trigger_async_id()) }.in_resource("test.Step");
    let id = fut.resource().async_id();
    assert_eq!(
        rec.ids("test.Step"),
        vec![id],
        "S14: init at creation, before any poll"
    );
    let Ev::Init { line: at, .. } = rec.inits("test.Step")[0].clone() else {
        unreachable!()
    };
    assert_eq!(at, Some(line), "created_at is the in_resource call");
    assert_eq!(rt.block_on(fut), (id, AsyncId::ROOT));
    assert_eq!(rec.life(id), 1);

    // Created inside a task: triggered by it. Dropped unpolled: destroyed once.
    let (task_id, step_trigger) = rt
        .block_on(async {
            async_hooks_tokio::spawn(async {
                let step = async {}.in_resource("test.Step");
                let trigger = step.resource().trigger_async_id();
                drop(step);
                (execution_async_id(), trigger)
            })
            .await
        })
        .unwrap();
    assert_eq!(step_trigger, task_id);
    let dropped = rec.ids("test.Step")[1];
    rec.life(dropped);
    assert_eq!(rec.count_destroys(dropped), 1);
}

#[test]
#[should_panic(expected = "the resource type is empty")]
fn in_resource_refuses_an_empty_type() {
    // S20
    drop(async {}.in_resource(""));
}
