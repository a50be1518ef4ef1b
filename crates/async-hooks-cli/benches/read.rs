//! How fast the tool reads a trace: events per second through the passes of `leaks` (the
//! tracker alone) and `stats`, on a recorded trace of one million events held in memory.
//!
//! `cargo bench -p async-hooks-cli --bench read`; criterion prints the throughput in
//! elements (events) per second.
#![allow(missing_docs)]

use std::io::Cursor;

use async_hooks::AsyncResource;
use async_hooks_cli::{pass, stats};
use async_hooks_trace::{Recorder, TraceReader};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Records `lifecycles` resource lives (4 events each, nested two deep) and returns the file.
fn recorded(lifecycles: u64) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("ahc-bench-{}.aht", std::process::id()));
    let trace = Recorder::start(&path).expect("record to the temp dir");
    for _ in 0..lifecycles / 2 {
        let outer = AsyncResource::new("bench.Outer");
        outer.run_in_async_scope(|| {
            AsyncResource::new("bench.Inner").run_in_async_scope(|| {});
        });
    }
    let summary = trace.finish().expect("finish the trace");
    assert_eq!(summary.lost, 0);
    let bytes = std::fs::read(&path).expect("read the trace back");
    std::fs::remove_file(&path).ok();
    bytes
}

fn read(c: &mut Criterion) {
    let bytes = recorded(250_000);
    let events = {
        let mut reader = TraceReader::from_reader(Cursor::new(&bytes)).expect("a valid trace");
        let (meta, _) = pass::run(&mut reader, &mut (), &mut |_| {}).expect("it reads");
        meta.events()
    };
    let mut group = c.benchmark_group("read");
    group.throughput(Throughput::Elements(events));
    group.sample_size(10);
    group.bench_function("leaks pass (tracker only)", |b| {
        b.iter(|| {
            let mut reader = TraceReader::from_reader(Cursor::new(&bytes)).expect("valid");
            pass::run(&mut reader, &mut (), &mut |_| {}).expect("it reads")
        })
    });
    group.bench_function("stats pass", |b| {
        b.iter(|| {
            let mut reader = TraceReader::from_reader(Cursor::new(&bytes)).expect("valid");
            let mut analysis = stats::Stats::default();
            pass::run(&mut reader, &mut analysis, &mut |_| {}).expect("it reads")
        })
    });
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
