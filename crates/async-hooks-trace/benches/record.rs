//! What recording costs per event, and how fast the reader reads.
//!
//! `cargo bench -p async-hooks-trace --bench record`
//!
//! - `lifecycle/*`: one `AsyncResource` lifecycle (init, before, after, destroy: 4 events),
//!   with no recorder (the floor), with a hook that does nothing (the core's dispatch), and
//!   recording, on one thread and with a second thread
//!   recording the same loop at the same time. Cost per event = (recording − floor) / 4.
//!   The trace goes to `/dev/null`, so the disk is not measured (the writer thread still runs).
//! - `read/*`: reading a generated trace file, in events per second.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_hooks::AsyncResource;
use async_hooks_trace::{Recorder, TraceReader};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn lifecycle() {
    let r = AsyncResource::new("bench.Job");
    r.run_in_async_scope(|| black_box(()));
    drop(r);
}

/// A hook with all four callbacks, doing nothing.
struct NoopHook;

impl async_hooks::Hook for NoopHook {
    fn init(
        &self,
        id: async_hooks::AsyncId,
        _: &str,
        _: async_hooks::AsyncId,
        _: &async_hooks::Resource,
    ) {
        black_box(id);
    }
    fn before(&self, id: async_hooks::AsyncId) {
        black_box(id);
    }
    fn after(&self, id: async_hooks::AsyncId) {
        black_box(id);
    }
    fn destroy(&self, id: async_hooks::AsyncId) {
        black_box(id);
    }
}

/// Runs `lifecycle` on another thread until dropped.
struct Background {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    fn start() -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                for _ in 0..64 {
                    lifecycle();
                }
            }
        });
        Background {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
    }
}

fn bench_lifecycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("lifecycle");
    g.throughput(Throughput::Elements(4));
    g.bench_function("no_recorder/1_thread", |b| b.iter(lifecycle));
    {
        let _bg = Background::start();
        g.bench_function("no_recorder/2_threads", |b| b.iter(lifecycle));
    }
    {
        // The core's own cost of dispatching to one hook that does nothing, to tell it apart
        // from the recorder's.
        let hook = async_hooks::create_hook(NoopHook);
        hook.enable();
        g.bench_function("noop_hook/1_thread", |b| b.iter(lifecycle));
        {
            let _bg = Background::start();
            g.bench_function("noop_hook/2_threads", |b| b.iter(lifecycle));
        }
        hook.disable();
    }
    {
        let trace = Recorder::start("/dev/null").unwrap();
        g.bench_function("recording/1_thread", |b| b.iter(lifecycle));
        {
            let _bg = Background::start();
            g.bench_function("recording/2_threads", |b| b.iter(lifecycle));
        }
        trace.finish().unwrap();
    }
    g.finish();
}

const READ_EVENTS: u64 = 1_000_000;

fn bench_read(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("aht-bench-read-{}.aht", std::process::id()));
    let trace = Recorder::start(&path).unwrap();
    let payload = AsyncResource::builder("bench.Conn")
        .payload(String::from("10.0.0.1:8080"))
        .build()
        .unwrap();
    drop(payload);
    for _ in 0..READ_EVENTS / 4 - 1 {
        lifecycle();
    }
    let summary = trace.finish().unwrap();
    assert_eq!(summary.events, READ_EVENTS - 2);

    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Elements(summary.events));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("file", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for e in TraceReader::open(&path).unwrap() {
                black_box(e.unwrap());
                n += 1;
            }
            assert_eq!(n, summary.events);
        })
    });
    g.finish();
    std::fs::remove_file(&path).ok();
}

criterion_group!(benches, bench_lifecycle, bench_read);
criterion_main!(benches);
