//! Every Rust case the runner times.

use std::hint::black_box;

use async_hooks::{execution_async_id, trigger_async_id, AsyncLocalStorage, AsyncResource};
use async_hooks_benches::recording::record_lifecycles;
use async_hooks_benches::runner::{time, Case};
#[cfg(tokio_unstable)]
use async_hooks_benches::tasks::RuntimeHooks;
use async_hooks_benches::tasks::{await_chain, Flavor, Spawn, SpawnLoop};
use async_hooks_benches::{leak_stores, with_stores, Hooks};

use crate::names::*;

thread_local! {
    static FLOOR: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub(crate) static STORE: AsyncLocalStorage<u64> = AsyncLocalStorage::new();

pub(crate) fn tasks() -> Vec<Task> {
    #[allow(unused_mut)]
    let mut tasks = vec![
        Task::Plain,
        Task::Integration(Hooks::None),
        Task::Integration(Hooks::One),
        Task::IntegrationStore,
        Task::Instrument,
        Task::InstrumentRegistry,
    ];
    #[cfg(tokio_unstable)]
    tasks.extend([
        Task::TokioHooks,
        Task::RuntimeHookMode(Hooks::None),
        Task::RuntimeHookMode(Hooks::One),
    ]);
    tasks
}

pub(crate) fn task_case_of(flavor: Flavor, task: Task) -> Case {
    let new = |spawn| SpawnLoop::new(flavor, spawn);
    let (spec, hooks) = match task {
        Task::Plain => (new(Spawn::Tokio), Hooks::None),
        Task::Integration(h) => (new(Spawn::AsyncHooks), h),
        Task::IntegrationStore => (new(Spawn::AsyncHooks).with_store(), Hooks::None),
        Task::Instrument => (new(Spawn::Instrument), Hooks::None),
        Task::InstrumentRegistry => (new(Spawn::Instrument).with_subscriber(), Hooks::None),
        #[cfg(tokio_unstable)]
        Task::TokioHooks => (
            new(Spawn::Tokio).runtime_hooks(RuntimeHooks::TokioNoop),
            Hooks::None,
        ),
        #[cfg(tokio_unstable)]
        Task::RuntimeHookMode(h) => (new(Spawn::Tokio).runtime_hooks(RuntimeHooks::AsyncHooks), h),
    };
    let bench = spec.build();
    if task == Task::IntegrationStore {
        assert_eq!(bench.check(), Some(7), "the store did not reach the task");
    }
    let divisor = match flavor {
        Flavor::CurrentThread => 10,
        Flavor::MultiThread => 20,
    };
    Case::custom(task_case(flavor, task), hooks, move |iters| {
        bench.run(iters)
    })
    .fewer_iters(divisor)
}

/// Every Rust case, in table order.
pub(crate) fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case::op(FLOOR_EMPTY, Hooks::None, || black_box(())),
        Case::op(FLOOR_TLS, Hooks::None, || FLOOR.with(|c| c.get())),
        Case::op(EXEC_ID, Hooks::None, execution_async_id),
        Case::op(TRIGGER_ID, Hooks::None, trigger_async_id),
    ];
    for hooks in [
        Hooks::None,
        Hooks::Disabled,
        Hooks::One,
        Hooks::Four,
        Hooks::Eight,
    ] {
        cases.push(Case::op(lifecycle(hooks), hooks, || {
            AsyncResource::new("bench").run_in_async_scope(|| black_box(()))
        }));
    }
    cases.extend([
        Case::op("lifecycle, guard form, no_hook", Hooks::None, || {
            let res = AsyncResource::new("bench");
            let _scope = res.enter();
            black_box(());
        }),
        Case::op(
            "lifecycle, emit_before/emit_after, no_hook",
            Hooks::None,
            || {
                let res = AsyncResource::new("bench");
                res.emit_before();
                black_box(());
                res.emit_after().is_ok()
            },
        ),
        Case::op("create + drop, no_hook", Hooks::None, || {
            AsyncResource::new("bench")
        }),
        Case::custom(
            "scope only: run_in_async_scope, no_hook",
            Hooks::None,
            |iters| {
                let res = AsyncResource::new("bench");
                time(iters, || res.run_in_async_scope(|| black_box(())))
            },
        ),
        Case::custom(GET, Hooks::None, |iters| {
            STORE.run(7, || time(iters, || STORE.get()))
        }),
        Case::custom(WITH, Hooks::None, |iters| {
            STORE.run(7, || time(iters, || STORE.with(|v| v.copied())))
        }),
        Case::op(RUN, Hooks::None, || STORE.run(7, || black_box(()))),
    ]);
    let all = leak_stores(100);
    for n in [0, 1, 10, 100] {
        let stores = all[..n].to_vec();
        cases.push(Case::custom(
            create_with_stores(n),
            Hooks::None,
            move |iters| with_stores(&stores, &mut || time(iters, || AsyncResource::new("bench"))),
        ));
    }
    for hooks in [Hooks::None, Hooks::One] {
        let rt = current_thread();
        cases.push(Case::custom(await_chain_case(hooks), hooks, move |iters| {
            await_chain(&rt, iters)
        }));
    }
    cases.push(
        Case::custom(RECORDED, Hooks::None, |iters| {
            match record_lifecycles(iters) {
                Ok(elapsed) => elapsed,
                Err(e) => panic!("the recorder failed: {e}"),
            }
        })
        .fewer_iters(10),
    );
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        for task in tasks() {
            cases.push(task_case_of(flavor, task));
        }
    }
    cases
}

pub(crate) fn current_thread() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build a runtime: {e}"),
    }
}
