//! A deterministic mutation loop over valid traces, the stable-toolchain stand-in for the
//! `cargo fuzz` target in `fuzz/` (bad input; SPEC S20 for the reader: a clear error, never a
//! panic, a huge allocation or a hang).
//!
//! Seeds are real recordings made here; each input is a seed with one to four mutations: bit
//! flips, interesting bytes, absurd length fields, truncations, splices of two seeds, deleted,
//! repeated or inserted ranges. Every input is read to the end; the test fails on a panic
//! (naming the input, which it writes to a file for a repro), on an input that takes longer
//! than [`MAX_PER_INPUT`], and on more events than the bytes can hold.
//!
//! ```text
//! cargo nextest run -p async-hooks-trace --test fuzz_like --release   # 2,000,000 inputs, ~5 s
//! AHT_FUZZ_INPUTS=20000000 AHT_FUZZ_SEED=7 cargo nextest run ...       # longer, another seed
//! AHT_FUZZ_WRITE_SEEDS=fuzz/corpus/reader cargo nextest run ...         # seed cargo-fuzz
//! ```
//!
//! The recorder is process-global: run with `cargo nextest`.

use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use async_hooks::{AsyncId, AsyncResource};
use async_hooks_trace::{Recorder, TraceError, TraceReader};

/// A slow input is a bug (a loop that does not advance, a quadratic path); the bound leaves
/// room for a loaded machine and a debug build.
const MAX_PER_INPUT: Duration = Duration::from_millis(250);

/// The smallest event record (kind, timestamp and three ids).
const MIN_EVENT_LEN: usize = 33;

fn inputs() -> u64 {
    let default = if cfg!(debug_assertions) {
        50_000
    } else {
        2_000_000
    };
    std::env::var("AHT_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Valid traces: an empty one, a small one, and one with several threads, payloads, nested
/// scopes and many strings.
fn seeds() -> Vec<Vec<u8>> {
    let record = |name: &str, body: &dyn Fn()| -> Vec<u8> {
        let path =
            std::env::temp_dir().join(format!("aht-fuzz-like-{}-{name}.aht", std::process::id()));
        let trace = Recorder::start(&path).unwrap();
        body();
        trace.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).ok();
        bytes
    };
    let empty = record("empty", &|| {});
    let small = record("small", &|| {
        let r = AsyncResource::new("fuzz.Small");
        r.run_in_async_scope(|| drop(AsyncResource::new("fuzz.Child")));
    });
    let rich = record("rich", &|| {
        let outer = AsyncResource::builder("fuzz.Outer")
            .payload(String::from("a payload that is text"))
            .build()
            .unwrap();
        outer.run_in_async_scope(|| {
            for i in 0..6 {
                let r = AsyncResource::with_trigger(format!("fuzz.Type{i}"), AsyncId::new(i));
                r.run_in_async_scope(|| {});
            }
        });
        std::thread::Builder::new()
            .name("fuzz-worker".into())
            .spawn(|| {
                let r = AsyncResource::builder("fuzz.Worker").payload(42u64).build();
                drop(r);
            })
            .unwrap()
            .join()
            .unwrap();
    });
    for seed in [&empty, &small, &rich] {
        let (events, error) = read(seed);
        assert!(error.is_none(), "seeds are valid: {error:?}");
        assert!(events > 0 || seed.len() == empty.len());
    }
    vec![empty, small, rich]
}

/// Reads `bytes` to the end: the number of events and the error that ended them, if any.
fn read(bytes: &[u8]) -> (usize, Option<TraceError>) {
    let mut reader = match TraceReader::from_reader(bytes) {
        Ok(r) => r,
        Err(e) => return (0, Some(e)),
    };
    let mut events = 0;
    let mut error = None;
    for item in reader.by_ref() {
        assert!(error.is_none(), "the iterator ends after its error");
        match item {
            Ok(event) => {
                events += 1;
                assert!(event.offset < bytes.len() as u64, "an event past the end");
            }
            Err(e) => {
                assert!(e.to_string().len() > 10, "an error says what is wrong");
                error = Some(e);
            }
        }
        assert!(
            events * MIN_EVENT_LEN <= bytes.len(),
            "more events than the bytes can hold"
        );
    }
    assert!(reader.next().is_none(), "the iterator stays ended");
    (events, error)
}

const INTERESTING_U32: [u32; 8] = [0, 1, 0x7f, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff, 1 << 24];
const INTERESTING_U64: [u64; 5] = [0, 1, u64::MAX, i64::MAX as u64, 1 << 40];

/// One mutation of `input`, in place.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = input.len();
    match rng.below(10) {
        0 | 1 => {
            // Flip one to eight bits.
            for _ in 0..=rng.below(8) {
                if len > 0 {
                    let at = rng.below(len);
                    input[at] ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            if len > 0 {
                let at = rng.below(len);
                input[at] = [0u8, 0xff, 0x7f, 0x80, 0x01, 0x10, 0x11, b'C', b'E'][rng.below(9)];
            }
        }
        3 => {
            // An absurd or off-by-one length or count, little-endian, anywhere.
            if len >= 4 {
                let at = rng.below(len - 3);
                let old = u32::from_le_bytes(input[at..at + 4].try_into().unwrap());
                let value = match rng.below(3) {
                    0 => INTERESTING_U32[rng.below(INTERESTING_U32.len())],
                    1 => old.wrapping_add(1),
                    _ => old.wrapping_sub(1),
                };
                input[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        4 => {
            if len >= 8 {
                let at = rng.below(len - 7);
                let value = INTERESTING_U64[rng.below(INTERESTING_U64.len())];
                input[at..at + 8].copy_from_slice(&value.to_le_bytes());
            }
        }
        5 => input.truncate(rng.below(len + 1)),
        6 => {
            // Splice: this input's prefix, another seed's suffix.
            let other = &seeds[rng.below(seeds.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        7 => {
            if len > 0 {
                let at = rng.below(len);
                let n = rng.below((len - at).min(64) + 1);
                input.drain(at..at + n);
            }
        }
        8 => {
            // Repeat a range (a duplicated record or chunk).
            if len > 0 {
                let at = rng.below(len);
                let n = rng.below((len - at).min(256) + 1);
                let copy = input[at..at + n].to_vec();
                let to = rng.below(len + 1);
                input.splice(to..to, copy);
            }
        }
        _ => {
            let to = rng.below(len + 1);
            let bytes: Vec<u8> = (0..=rng.below(16)).map(|_| rng.next() as u8).collect();
            input.splice(to..to, bytes);
        }
    }
}

#[test]
fn mutated_traces_never_panic_or_hang() {
    let seeds = seeds();
    if let Some(dir) = std::env::var_os("AHT_FUZZ_WRITE_SEEDS") {
        // Seeds for the cargo-fuzz corpus (fuzz/corpus/reader).
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(
                std::path::Path::new(&dir).join(format!("seed-{i}.aht")),
                seed,
            )
            .unwrap();
        }
    }
    let total = inputs();
    let seed = std::env::var("AHT_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_a5f0_0d15_ea5e_u64);
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let (mut complete, mut header_errors, mut stream_errors) = (0u64, 0u64, 0u64);
    let mut slowest = Duration::ZERO;
    let mut input = Vec::new();

    for n in 0..total {
        input.clear();
        input.extend_from_slice(&seeds[rng.below(seeds.len())]);
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut input, &seeds);
        }
        let t = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| read(&input)));
        let took = t.elapsed();
        let (events, error) = match outcome {
            Ok(result) => result,
            Err(_) => {
                let path = std::env::temp_dir().join(format!("aht-fuzz-like-crash-{n}.aht"));
                std::fs::write(&path, &input).ok();
                panic!(
                    "input {n} (seed {seed:#x}) made the reader panic; written to {}",
                    path.display()
                );
            }
        };
        assert!(
            took < MAX_PER_INPUT,
            "input {n} (seed {seed:#x}, {} bytes) took {took:?}",
            input.len()
        );
        slowest = slowest.max(took);
        match error {
            None => complete += 1,
            Some(e) if e.offset().is_some_and(|o| o < 32) && events == 0 => header_errors += 1,
            Some(_) => stream_errors += 1,
        }
    }
    eprintln!(
        "{total} inputs in {:?}: {complete} read to the end, {header_errors} refused at the \
         header, {stream_errors} ended by an error; slowest {slowest:?}",
        started.elapsed()
    );
    // The mutator reaches every outcome (a broken mutator would not).
    assert_eq!(complete + header_errors + stream_errors, total);
    assert!(complete > 0 && header_errors > 0 && stream_errors > total / 10);
}
