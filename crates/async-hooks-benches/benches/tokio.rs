//! Spawn + await of an empty task through the Tokio integration, against plain Tokio, tracing's
//! `.instrument()` (without and with a subscriber) and, with `--cfg tokio_unstable`, Tokio's own
//! task hooks and the integration's runtime-hook mode; on a current-thread and a multi-thread
//! runtime. Then the await chain: a future wrapped in a resource, awaited.
//!
//! ```text
//! cargo bench -p async-hooks-benches --bench tokio
//! RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR=target/tokio-unstable \
//!     cargo bench -p async-hooks-benches --bench tokio
//! ```

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::time::Duration;

#[cfg(tokio_unstable)]
use async_hooks_benches::tasks::RuntimeHooks;
use async_hooks_benches::tasks::{await_chain, Flavor, Spawn, SpawnLoop};
use async_hooks_benches::Hooks;
use criterion::{criterion_group, criterion_main, Criterion};

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

fn spawn_await(c: &mut Criterion) {
    for (flavor, group) in [
        (Flavor::CurrentThread, "spawn_await/current_thread"),
        (Flavor::MultiThread, "spawn_await/multi_thread"),
    ] {
        let mut group = c.benchmark_group(group);
        let new = |spawn| SpawnLoop::new(flavor, spawn);
        #[allow(unused_mut)]
        let mut variants = vec![
            ("tokio", new(Spawn::Tokio), Hooks::None),
            ("async_hooks/no_hook", new(Spawn::AsyncHooks), Hooks::None),
            (
                "async_hooks/disabled_hook",
                new(Spawn::AsyncHooks),
                Hooks::Disabled,
            ),
            ("async_hooks/1_hook", new(Spawn::AsyncHooks), Hooks::One),
            ("async_hooks/8_hooks", new(Spawn::AsyncHooks), Hooks::Eight),
            (
                "async_hooks/store_set",
                new(Spawn::AsyncHooks).with_store(),
                Hooks::None,
            ),
            (
                "tracing_instrument/no_subscriber",
                new(Spawn::Instrument),
                Hooks::None,
            ),
            (
                "tracing_instrument/registry",
                new(Spawn::Instrument).with_subscriber(),
                Hooks::None,
            ),
        ];
        #[cfg(tokio_unstable)]
        variants.extend([
            (
                "tokio_task_hooks/noop",
                new(Spawn::Tokio).runtime_hooks(RuntimeHooks::TokioNoop),
                Hooks::None,
            ),
            (
                "runtime_hook_mode/no_hook",
                new(Spawn::Tokio).runtime_hooks(RuntimeHooks::AsyncHooks),
                Hooks::None,
            ),
            (
                "runtime_hook_mode/1_hook",
                new(Spawn::Tokio).runtime_hooks(RuntimeHooks::AsyncHooks),
                Hooks::One,
            ),
        ]);
        for (name, spec, hooks) in variants {
            let bench = spec.build();
            let _hooks = hooks.install();
            group.bench_function(name, |b| b.iter_custom(|iters| bench.run(iters)));
        }
        group.finish();
    }
}

fn await_resource(c: &mut Criterion) {
    let rt = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build a runtime: {e}"),
    };
    let mut group = c.benchmark_group("await_chain/resource_per_await");
    for hooks in Hooks::ALL {
        let _hooks = hooks.install();
        group.bench_function(hooks.id(), |b| {
            b.iter_custom(|iters| await_chain(&rt, iters))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = spawn_await, await_resource
}
criterion_main!(benches);
