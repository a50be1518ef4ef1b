//! Async-local storage: reads, writes, and resource creation with 0, 1, 10 and 100 stores in
//! use (S33: capture costs the same whatever the number of stores), under every [`Hooks`]
//! state.
//!
//! `cargo bench -p async-hooks-benches --bench storage`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use async_hooks::{AsyncLocalStorage, AsyncResource};
use async_hooks_benches::{leak_stores, with_stores, Hooks};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

static STORE: AsyncLocalStorage<u64> = AsyncLocalStorage::new();

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

fn read_and_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("storage");
    for hooks in Hooks::ALL {
        let _hooks = hooks.install();
        STORE.run(7, || {
            group.bench_function(BenchmarkId::new("get", hooks.id()), |b| {
                b.iter(|| STORE.get())
            });
            group.bench_function(BenchmarkId::new("with", hooks.id()), |b| {
                b.iter(|| STORE.with(|v| v.copied()))
            });
        });
        group.bench_function(BenchmarkId::new("run", hooks.id()), |b| {
            b.iter(|| STORE.run(7, || black_box(())))
        });
    }
    group.finish();
}

fn create_with_stores(c: &mut Criterion) {
    let stores = leak_stores(100);
    for hooks in Hooks::ALL {
        let _hooks = hooks.install();
        let mut group = c.benchmark_group(format!("create_drop_with_stores/{}", hooks.id()));
        for n in [0, 1, 10, 100] {
            with_stores(&stores[..n], &mut || {
                group.bench_function(BenchmarkId::from_parameter(n), |b| {
                    b.iter(|| AsyncResource::new("bench"))
                });
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = read_and_run, create_with_stores
}
criterion_main!(benches);
