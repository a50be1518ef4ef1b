//! Fuzzes the trace reader: any bytes give events and then at most one error, never a panic,
//! an abort from a huge allocation, or a hang.
//!
//! ```text
//! cd crates/async-hooks-trace/fuzz
//! cargo +nightly fuzz run reader -- -max_total_time=60
//! ```
//!
//! The stable-toolchain stand-in is `tests/fuzz_like.rs` (a deterministic mutation loop).
#![no_main]

use async_hooks_trace::TraceReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = TraceReader::from_reader(data) else {
        return;
    };
    let _ = reader.header();
    let mut events = 0usize;
    for event in reader.by_ref() {
        match event {
            Ok(e) => {
                events += 1;
                let _ = (e.kind.as_str(), e.resource_type.as_deref());
            }
            Err(_) => {
                // An error ends the stream.
                assert!(reader.next().is_none(), "an event after an error");
                break;
            }
        }
        // Each event takes at least one byte of input.
        assert!(events <= data.len(), "more events than bytes");
    }
    let _ = reader.end();
    let _ = reader.offset();
});
