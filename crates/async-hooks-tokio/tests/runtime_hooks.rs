//! Runtime-hook mode: tasks spawned with plain `tokio::spawn` on a runtime built through
//! `async_hooks_tokio::runtime::install_hooks` are resources (SPEC S3, S4, S5, S14, S15, S17,
//! S28, S29, S31). Compiled only with `--cfg tokio_unstable`:
//!
//! ```text
//! RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR=target/unstable \
//!     cargo nextest run -p async-hooks-tokio --test runtime_hooks
//! ```
//!
//! Hooks are process-global: run with `cargo nextest`.

#![cfg(tokio_unstable)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_hooks::{
    execution_async_id, execution_async_resource, scope_depth, trigger_async_id, AsyncId,
    AsyncLocalStorage,
};
use async_hooks_tokio::runtime::{install_hooks, TaskHooks};
use async_hooks_tokio::task::{self, TaskInfo, LOCAL_TASK, TASK};

mod support;

use support::{record, Ev, Recorder};

fn hooked_multi_thread(workers: usize) -> tokio::runtime::Runtime {
    install_hooks(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all(),
    )
    .build()
    .unwrap()
}

fn hooked_current_thread() -> tokio::runtime::Runtime {
    install_hooks(tokio::runtime::Builder::new_current_thread().enable_all())
        .build()
        .unwrap()
}

fn init_of(rec: &Recorder, id: AsyncId) -> Ev {
    rec.events()
        .into_iter()
        .find(|e| matches!(e, Ev::Init { .. }) && e.id() == id)
        .unwrap()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn a_plain_tokio_task_is_a_resource_created_on_the_spawning_thread() {
    // S14, S4, S29, S28, S3, S15, S17, STYLE 11
    let rec = record();
    let rt = hooked_multi_thread(2);
    let main_thread = std::thread::current().id();
    let (id, seen) = rt.block_on(async {
        assert_eq!(
            execution_async_id(),
            AsyncId::ROOT,
            "block_on is not a task"
        );
        let line = line!() + 1;
        let handle = tokio::spawn(async {
            tokio::task::yield_now().await;
            (execution_async_id(), trigger_async_id(), tokio::task::id())
        });
        // S14: `init` ran inside `tokio::spawn`, on this thread, in this context.
        let inits = rec.inits(TASK);
        assert_eq!(inits.len(), 1);
        let Ev::Init {
            id,
            trigger,
            exec,
            thread,
            line: at,
            name,
            tokio_id,
            ..
        } = inits[0].clone()
        else {
            unreachable!()
        };
        assert_eq!(
            (thread, exec, trigger),
            (main_thread, AsyncId::ROOT, AsyncId::ROOT)
        );
        assert_eq!(at, Some(line), "created_at is the user's tokio::spawn call");
        assert_eq!(name, None, "Tokio gives the hooks no name");
        assert_eq!(
            tokio_id,
            Some(handle.id()),
            "S28: the Tokio id is known at init"
        );
        (id, handle.await.unwrap())
    });
    // A JoinHandle can resolve before Tokio runs the final poll's hooks on the worker; the
    // runtime's drop waits for them.
    drop(rt);
    assert_eq!((seen.0, seen.1), (id, AsyncId::ROOT), "S3");
    assert!(rec.life(id) >= 2, "S15: one scope per poll");
    assert_eq!(rec.count_destroys(id), 1);
    assert_eq!(execution_async_id(), AsyncId::ROOT);
}

#[test]
fn plain_tasks_carry_triggers_ids_and_storage_across_workers() {
    // S4, S5, S15, S31, S32
    static REQUEST: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    static OTHER: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    let rec = record();
    let rt = hooked_multi_thread(4);
    let results = rt.block_on(async {
        let handles: Vec<_> = (0..16u32)
            .map(|i| {
                REQUEST.run(i, || {
                    tokio::spawn(async move {
                        let parent = execution_async_id();
                        let child = tokio::spawn(async move {
                            let me = execution_async_id();
                            assert_eq!(trigger_async_id(), parent, "S4");
                            let grandchild = tokio::spawn(async move {
                                let me = execution_async_id();
                                for _ in 0..10 {
                                    tokio::time::sleep(Duration::from_millis(1)).await;
                                    assert_eq!(execution_async_id(), me, "S5");
                                    assert_eq!(scope_depth(), 1);
                                }
                                (me, trigger_async_id(), REQUEST.get(), OTHER.get())
                            });
                            (me, grandchild.await.unwrap())
                        });
                        for _ in 0..10 {
                            tokio::task::yield_now().await;
                            assert_eq!(execution_async_id(), parent, "S5");
                        }
                        (i, parent, REQUEST.get(), child.await.unwrap())
                    })
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    drop(rt); // every hook of every task has run
    let mut ids = HashSet::new();
    for (i, parent, own, (child, (grandchild, g_trigger, g_request, g_other))) in results {
        assert_eq!(own, Some(i), "S31");
        assert_eq!(g_request, Some(i), "S31: to the grandchildren");
        assert_eq!(g_other, None, "S32");
        assert_eq!(g_trigger, child, "S4");
        let Ev::Init { trigger, .. } = init_of(&rec, child) else {
            unreachable!()
        };
        assert_eq!(trigger, parent, "S4");
        assert!(rec.life(parent) >= 11);
        assert!(rec.life(grandchild) >= 11);
        rec.life(child);
        ids.extend([parent, child, grandchild]);
    }
    assert_eq!(ids.len(), 48);
    assert_eq!(rec.ids(TASK).len(), 48, "one resource per task");
}

#[test]
fn aborted_tasks_are_destroyed_exactly_once() {
    // S17
    let rec = record();
    let rt = hooked_multi_thread(2);
    let started = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let s = started.clone();
        let running = tokio::spawn(async move {
            s.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await
        });
        while !started.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
        running.abort();
        assert!(running.await.unwrap_err().is_cancelled());
    });
    let rt2 = hooked_current_thread();
    rt2.block_on(async {
        let never = tokio::spawn(async { unreachable!("never polled") });
        never.abort();
        assert!(never.await.unwrap_err().is_cancelled());
    });
    drop((rt, rt2)); // every hook of every task has run
    let ids = rec.ids(TASK);
    assert_eq!(ids.len(), 2);
    for id in ids {
        rec.life(id);
        assert_eq!(rec.count_destroys(id), 1);
    }
}

#[test]
fn dropping_the_runtime_destroys_live_and_never_polled_tasks() {
    // S17
    let rec = record();
    let hooks = TaskHooks::new();
    let rt = hooks
        .install(tokio::runtime::Builder::new_multi_thread().worker_threads(2))
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        for _ in 0..10 {
            let r = running.clone();
            tokio::spawn(async move {
                r.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await
            });
        }
        while running.load(Ordering::SeqCst) < 10 {
            tokio::task::yield_now().await;
        }
    });
    assert_eq!(hooks.live_tasks(), 10);
    drop(rt);
    assert_eq!(hooks.live_tasks(), 0);
    let live = rec.ids(TASK);
    assert_eq!(live.len(), 10);
    for id in &live {
        assert!(rec.life(*id) >= 1);
        assert_eq!(rec.count_destroys(*id), 1);
    }

    // Never polled: spawned on a current-thread runtime that never runs them.
    let rt = hooked_current_thread();
    let guard = rt.enter();
    for _ in 0..5 {
        tokio::spawn(async { unreachable!("never polled") });
    }
    drop(guard);
    let unpolled = rec.ids(TASK)[10..].to_vec();
    assert_eq!(unpolled.len(), 5);
    drop(rt);
    for id in unpolled {
        assert_eq!(rec.life(id), 0, "never ran");
        assert_eq!(rec.count_destroys(id), 1);
    }
}

#[test]
fn a_panicking_task_is_destroyed_after_its_after() {
    // S3, S15, S17
    let rec = record();
    let rt = hooked_current_thread();
    rt.block_on(async {
        let err = tokio::spawn(async { panic!("boom") }).await.unwrap_err();
        assert!(err.is_panic());
        let depth = tokio::spawn(async { scope_depth() }).await.unwrap();
        assert_eq!(depth, 1, "S3: the panicking task's scope was closed");
    });
    drop(rt);
    let id = rec.ids(TASK)[0];
    // Tokio calls the terminate hook inside the poll that ended the task; `destroy` still
    // comes after that poll's `after` (checked by `life`).
    assert_eq!(rec.life(id), 1);
}

#[test]
fn a_wrapped_task_under_hooks_is_one_resource() {
    // S17, S28: the wrapper's resource is the task's only resource.
    let rec = record();
    let hooks = TaskHooks::new();
    let rt = hooks
        .install(tokio::runtime::Builder::new_multi_thread().worker_threads(2))
        .build()
        .unwrap();
    let h = hooks.clone();
    let (outer, inner, plain, tracked) = rt.block_on(async move {
        task::Builder::new()
            .name("wrapped")
            .spawn(async move {
                let outer = execution_async_id();
                tokio::task::yield_now().await;
                let tracked = h.live_tasks();
                // A plain task spawned from a wrapped one, and a wrapped one from a plain one.
                let (plain, inner) = tokio::spawn(async {
                    let plain = execution_async_id();
                    let inner = async_hooks_tokio::spawn(async { trigger_async_id() })
                        .await
                        .unwrap();
                    (plain, inner)
                })
                .await
                .unwrap();
                (outer, inner, plain, tracked)
            })
            .await
            .unwrap()
    });
    drop(rt);
    assert_eq!(tracked, 0, "the hooks do not track wrapped tasks");
    assert_eq!(
        inner, plain,
        "S4: the wrapped grandchild was caused by the plain task"
    );
    let tasks = rec.ids(TASK);
    assert_eq!(tasks.len(), 3, "three tasks, three resources: {tasks:?}");
    let Ev::Init { name, trigger, .. } = init_of(&rec, outer) else {
        unreachable!()
    };
    assert_eq!(name.as_deref(), Some("wrapped"));
    assert_eq!(trigger, AsyncId::ROOT);
    let Ev::Init { trigger, .. } = init_of(&rec, plain) else {
        unreachable!()
    };
    assert_eq!(trigger, outer, "S4");
    for id in tasks {
        rec.life(id);
    }
    assert_eq!(hooks.live_tasks(), 0);
}

#[test]
fn local_runtime_tasks_spawned_by_the_wrapper_are_one_resource() {
    // S17, S29: a LocalRuntime runs the hooks for its local tasks; the wrapper's LOCAL_TASK is
    // the only resource, while a plain `spawn_local` becomes a TASK.
    let rec = record();
    let rt = install_hooks(&mut tokio::runtime::Builder::new_current_thread())
        .build_local(Default::default())
        .unwrap();
    let (wrapped, plain) = rt.block_on(async {
        let wrapped = async_hooks_tokio::spawn_local(async { execution_async_id() })
            .await
            .unwrap();
        let plain = tokio::task::spawn_local(async { execution_async_id() })
            .await
            .unwrap();
        (wrapped, plain)
    });
    drop(rt);
    assert_eq!(rec.ids(LOCAL_TASK), vec![wrapped]);
    assert_eq!(rec.ids(TASK), vec![plain]);
    rec.life(wrapped);
    rec.life(plain);
}

#[test]
fn blocking_tasks_and_unknown_terminations_are_ignored() {
    // S17, S11-style tolerance: Tokio reports the termination of tasks the hooks never saw
    // spawned (blocking tasks, its own workers); they make no events and no table entries.
    let rec = record();
    let hooks = TaskHooks::new();
    let rt = hooks
        .install(tokio::runtime::Builder::new_multi_thread().worker_threads(2))
        .build()
        .unwrap();
    let (blocking_id, wrapped_id) = rt.block_on(async {
        let plain = tokio::task::spawn_blocking(execution_async_id)
            .await
            .unwrap();
        let wrapped = async_hooks_tokio::spawn_blocking(execution_async_id)
            .await
            .unwrap();
        (plain, wrapped)
    });
    drop(rt);
    assert_eq!(
        blocking_id,
        AsyncId::ROOT,
        "plain blocking tasks are not resources"
    );
    assert_eq!(rec.ids(TASK), vec![]);
    assert_eq!(
        rec.ids(async_hooks_tokio::task::BLOCKING_TASK),
        vec![wrapped_id]
    );
    rec.life(wrapped_id);
    assert_eq!(hooks.live_tasks(), 0);
    assert_eq!(rec.events().len(), 4, "{:?}", rec.events());
}

#[test]
fn a_task_spawned_after_shutdown_is_created_and_destroyed() {
    // S17: Tokio cancels it (terminate hook) before it announces it (spawn hook).
    let rec = record();
    let hooks = TaskHooks::new();
    let rt = hooks
        .install(&mut tokio::runtime::Builder::new_multi_thread())
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    drop(rt);
    let join = handle.spawn(async {});
    let ids = rec.ids(TASK);
    assert_eq!(ids.len(), 1);
    assert_eq!(rec.life(ids[0]), 0);
    assert_eq!(hooks.live_tasks(), 0, "no entry is left behind");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(rt.block_on(join).unwrap_err().is_cancelled());
}

#[test]
fn enter_with_in_a_plain_task_lasts_for_the_rest_of_the_task() {
    // S30, S31: values set with `run` around the spawn hold on every poll; `enter_with` inside
    // the task holds for the rest of the task, across polls, and never leaks out of it.
    static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    let _rec = record();
    let rt = hooked_current_thread();
    let (same_poll, next_poll) = rt.block_on(async {
        STORE
            .run(1, || {
                tokio::spawn(async {
                    STORE.enter_with(2);
                    let same_poll = STORE.get();
                    tokio::task::yield_now().await;
                    (same_poll, STORE.get())
                })
            })
            .await
            .unwrap()
    });
    assert_eq!(same_poll, Some(2));
    assert_eq!(next_poll, Some(2));
    assert_eq!(STORE.get(), None, "it never leaks out of the task");
}

#[test]
fn the_task_payload_is_what_the_task_sees() {
    // S28
    let _rec = record();
    let rt = hooked_current_thread();
    let (ty, tokio_id, id) = rt.block_on(async {
        tokio::spawn(async {
            let me = execution_async_resource();
            let info = me.payload::<TaskInfo>().map(TaskInfo::tokio_id);
            (
                me.resource_type().to_owned(),
                info.flatten(),
                tokio::task::id(),
            )
        })
        .await
        .unwrap()
    });
    assert_eq!(ty, TASK);
    assert_eq!(tokio_id, Some(id));
}
