//! Ids and the life of an `AsyncResource`, against a floor, under every [`Hooks`] state.
//!
//! `cargo bench -p async-hooks-benches --bench core`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use async_hooks::{execution_async_id, trigger_async_id, AsyncResource};
use async_hooks_benches::Hooks;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};

thread_local! {
    static FLOOR: Cell<u64> = const { Cell::new(0) };
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

/// What the other benchmarks are measured against: an empty loop, a thread-local read.
fn floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    group.bench_function("empty_loop", |b| b.iter(|| black_box(())));
    group.bench_function("thread_local_read", |b| b.iter(|| FLOOR.with(|v| v.get())));
    group.finish();
}

/// Benchmarks `op` once per [`Hooks`] state, in a group called `name`.
fn under_every_hook_state<R>(c: &mut Criterion, name: &str, mut op: impl FnMut() -> R) {
    let mut group: BenchmarkGroup<'_, WallTime> = c.benchmark_group(name);
    for hooks in Hooks::ALL {
        let _hooks = hooks.install();
        group.bench_function(hooks.id(), |b| b.iter(&mut op));
    }
    group.finish();
}

fn ids(c: &mut Criterion) {
    under_every_hook_state(c, "execution_async_id", execution_async_id);
    under_every_hook_state(c, "trigger_async_id", trigger_async_id);
}

fn lifecycle(c: &mut Criterion) {
    // new (init) + one scope (before, after) + drop (destroy).
    under_every_hook_state(c, "lifecycle/closure", || {
        AsyncResource::new("bench").run_in_async_scope(|| black_box(()))
    });
    under_every_hook_state(c, "lifecycle/guard", || {
        let res = AsyncResource::new("bench");
        let _scope = res.enter();
        black_box(());
    });
    under_every_hook_state(c, "lifecycle/emit_before_after", || {
        let res = AsyncResource::new("bench");
        res.emit_before();
        black_box(());
        res.emit_after().is_ok()
    });
    // The two halves of the lifecycle, apart.
    under_every_hook_state(c, "create_drop", || AsyncResource::new("bench"));
    let res = AsyncResource::new("bench");
    under_every_hook_state(c, "scope/closure", || {
        res.run_in_async_scope(|| black_box(()))
    });
}

criterion_group! {
    name = benches;
    config = config();
    targets = floor, ids, lifecycle
}
criterion_main!(benches);
