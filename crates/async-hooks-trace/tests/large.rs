//! Bounded memory: recording millions of events and reading a 50-million-event stream keep
//! the process's peak memory flat (issue, section 1). Linux only (reads /proc/self/status).
//!
//! The reading test streams a generated trace (no disk). It reads 5 million events by default
//! and 50 million with `AHT_LARGE_EVENTS=50000000` (use `--release`):
//! `AHT_LARGE_EVENTS=50000000 cargo nextest run --release -p async-hooks-trace --test large`

use std::io::Read;

use async_hooks::AsyncResource;
use async_hooks_trace::{EventKind, Recorder, TraceReader};

/// The process's peak resident memory so far, in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A trace of `events` events made on the fly: header, then chunks of 2000 lifecycles on two
/// alternating threads, then the end record.
struct Generated {
    events: u64,
    made: u64,
    next_id: u64,
    pending: Vec<u8>,
    pos: usize,
    chunks: u64,
    ended: bool,
}

impl Generated {
    fn new(events: u64) -> Generated {
        let mut pending = b"AHTRACE\0".to_vec();
        pending.extend_from_slice(&1u16.to_le_bytes());
        pending.extend_from_slice(&14u32.to_le_bytes());
        pending.extend_from_slice(&[0; 14]);
        Generated {
            events,
            made: 0,
            next_id: 2,
            pending,
            pos: 0,
            chunks: 0,
            ended: false,
        }
    }

    fn refill(&mut self) {
        self.pending.clear();
        self.pos = 0;
        if self.made >= self.events {
            if !self.ended {
                self.ended = true;
                self.pending.push(b'E');
                self.pending.extend_from_slice(&24u32.to_le_bytes());
                for v in [self.made, 0, 0] {
                    self.pending.extend_from_slice(&v.to_le_bytes());
                }
            }
            return;
        }
        let mut body = Vec::new();
        let mut records = 0u32;
        if self.chunks < 2 {
            body.extend_from_slice(&[0x11, 0, 0]); // each thread's first chunk names it
            body.extend_from_slice(&[0x10, 2, 0, 0, 0, 1, 0, b'T']); // string 2 = "T"
            records += 2;
        }
        while self.made < self.events && body.len() < 64 * 1024 {
            let id = self.next_id;
            self.next_id += 1;
            for kind in 1u8..=4 {
                if self.made == self.events {
                    break;
                }
                body.push(kind);
                for v in [self.made, id, 1, id] {
                    body.extend_from_slice(&v.to_le_bytes());
                }
                if kind == 1 {
                    body.extend_from_slice(&2u32.to_le_bytes());
                    body.extend_from_slice(&[0; 6]);
                }
                self.made += 1;
                records += 1;
            }
        }
        self.pending.push(b'C');
        self.pending
            .extend_from_slice(&(1 + (self.chunks % 2) as u32).to_le_bytes());
        self.pending.extend_from_slice(&records.to_le_bytes());
        self.pending
            .extend_from_slice(&(body.len() as u32).to_le_bytes());
        self.pending.extend_from_slice(&body);
        self.chunks += 1;
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            self.refill();
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn reading_a_huge_trace_keeps_memory_bounded() {
    // Issue: "a 50-million-event file is handled in bounded memory".
    let events: u64 = std::env::var("AHT_LARGE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000_000);
    let before = peak_rss_kib();
    let mut reader = TraceReader::from_reader(Generated::new(events)).unwrap();
    let mut count = 0u64;
    let mut destroys = 0u64;
    for event in reader.by_ref() {
        let event = event.unwrap();
        count += 1;
        destroys += u64::from(event.kind == EventKind::Destroy);
    }
    assert_eq!(count, events);
    assert_eq!(destroys, events / 4);
    assert_eq!(reader.end().map(|s| s.events), Some(events));
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        // One chunk, a 256 KiB read buffer and the string table: far below 32 MiB.
        assert!(
            after - before < 32 * 1024,
            "peak grew by {} KiB",
            after - before
        );
    }
}

#[test]
fn recording_millions_of_events_keeps_memory_bounded() {
    // Issue: "bounded memory (it spills to the file as it goes)": 4 million events on two
    // threads, about 150 MiB of trace, while the process's peak grows by a few MiB.
    let before = peak_rss_kib();
    let trace = Recorder::start("/dev/null").unwrap();
    let work = || {
        for _ in 0..500_000 {
            let r = AsyncResource::new("test.Big");
            r.run_in_async_scope(|| {});
        }
    };
    let other = std::thread::spawn(work);
    work();
    other.join().unwrap();
    let summary = trace.finish().unwrap();
    assert_eq!((summary.events, summary.lost), (4_000_000, 0));
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        // Queue (16) + pool (32) + one per thread, of 64 KiB: about 3.3 MiB.
        assert!(
            after - before < 32 * 1024,
            "peak grew by {} KiB",
            after - before
        );
    }
}
