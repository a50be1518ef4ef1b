//! The recorder's cost per event: `AsyncResource` lifecycles (4 events each) while
//! `async_hooks_trace::Recorder` writes to a temporary file, against the same with no hook and
//! with one no-op hook. (cost per event = (recorded - no hook) / 4.)
//!
//! `cargo bench -p async-hooks-benches --bench recorder`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use async_hooks::AsyncResource;
use async_hooks_benches::recording::record_lifecycles;
use async_hooks_benches::runner::time;
use async_hooks_benches::Hooks;
use criterion::{criterion_group, criterion_main, Criterion};

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

fn lifecycle() {
    AsyncResource::new("bench").run_in_async_scope(|| black_box(()))
}

fn recorder(c: &mut Criterion) {
    let mut group = c.benchmark_group("recorder/lifecycle");
    for hooks in [Hooks::None, Hooks::One] {
        let _hooks = hooks.install();
        group.bench_function(hooks.id(), |b| {
            b.iter_custom(|iters| time(iters, lifecycle))
        });
    }
    group.bench_function("recorded", |b| {
        b.iter_custom(|iters| match record_lifecycles(iters) {
            Ok(elapsed) => elapsed,
            Err(e) => panic!("the recorder failed: {e}"),
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = recorder
}
criterion_main!(benches);
