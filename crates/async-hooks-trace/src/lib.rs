//! Records every [`async_hooks`] event of a program to a compact binary file, and reads it
//! back as a stream.
//!
//! # Why
//!
//! A hook that prints is fine for ten events; a server makes millions. To find the task that
//! leaks sockets or the request whose spawns never finish, one wants *all* the events, with
//! their threads, times and creation sites, at a cost the program barely notices, and a tool
//! that digests them afterwards (`async-hooks-cli`). This crate is the recording half and the
//! reader that tool is built on.
//!
//! # A tour
//!
//! - **Turning it on**: one line in `main`, [`Recorder::start`], whose [`RecorderGuard`]
//!   finishes the file when dropped. Integrations call [`Recorder::start_from_env`], so that
//!   `ASYNC_HOOKS_TRACE=trace.aht ./server` records a program that uses the Tokio integration
//!   without a code change.
//! - **What is recorded**: for every `init`, `before`, `after` and `destroy` (SPEC S14–S18),
//!   the kind, the async id, the trigger id, the execution id at that moment, the thread, a
//!   timestamp (ns since the start), and for `init` the resource type, the creation site
//!   (`file:line:column`) and a short summary of the payload when it is text, an address, a
//!   path, a duration or an integer.
//! - **Reading**: [`TraceReader`] yields `Result<`[`Event`]`, `[`TraceError`]`>` one at a time.
//!   Errors say what is wrong and at which byte.
//! - **The file format** is described in [`file_format`] (the same text as `FORMAT.md`).
//!
//! # Example
//!
//! ```
//! use async_hooks::AsyncResource;
//! use async_hooks_trace::{EventKind, Recorder, TraceReader};
//!
//! let path = std::env::temp_dir().join(format!("aht-doc-crate-{}.aht", std::process::id()));
//! let trace = Recorder::start(&path)?; // the one line in `main`
//!
//! let job = AsyncResource::new("my-crate.Job");
//! job.run_in_async_scope(|| {});
//! drop(job);
//! drop(trace); // flushes and finishes the file
//!
//! let mut inits = 0;
//! for event in TraceReader::open(&path)? {
//!     let event = event?;
//!     println!("{:>8}ns {} {}", event.timestamp_ns, event.kind, event.async_id);
//!     if event.kind == EventKind::Init {
//!         inits += 1;
//!         assert_eq!(event.resource_type.as_deref(), Some("my-crate.Job"));
//!     }
//! }
//! assert_eq!(inits, 1);
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), async_hooks_trace::TraceError>(())
//! ```
//!
//! # Design, and why
//!
//! - **Per-thread buffers, no lock per event.** A callback appends a fixed-size record (33
//!   bytes; `init` 43 plus its payload text) to a buffer in the calling thread's thread-local.
//!   At 64 KiB the buffer is sealed into a *chunk* and sent over a bounded channel to one writer
//!   thread. Events contend on nothing: the only shared writes are one channel send per 64 KiB.
//!   The one per-event atomic is a counter only its own thread writes (a load and a store, no
//!   read-modify-write), so that the end record can say how many events were *lost*.
//! - **Bounded memory.** The channel holds 16 chunks and a pool keeps 32 empty buffers; a thread
//!   that finds the channel full waits for the writer (back-pressure) rather than growing a
//!   queue. So the recorder holds at most about `(16 + 32 + threads) × 64 KiB`, spilling to the
//!   file as it goes. The reader holds one chunk and the string table.
//! - **Interned strings.** Types and creation sites repeat endlessly, so records carry 4-byte
//!   string ids, and a *string record* defines an id in a thread's stream before the first
//!   record of that thread uses it. Ids come from one table behind a lock, which a thread
//!   consults only the first time it sees a string: its own cache is keyed by the string's
//!   address (a `&'static Location` for sites; for types, address and length, with the text
//!   compared on a hit, because a type built at run time may be freed and its address reused).
//!   Because every thread defines the ids it uses in its own stream, and a thread's chunks are
//!   written in order, a definition always precedes its uses in the file, with no ordering
//!   between threads. Payload summaries are *not* interned, unlike the first design: each is
//!   usually unique (a peer address, a path), so a table of them would grow with the number
//!   of events, in the recorder and in every reader; they are written inline in the `init`
//!   record, cut to 128 bytes.
//! - **Thread ids** are small numbers given per recording (from 1), with a thread-name record
//!   at the start of each thread's stream. A chunk header names its thread once, so records do
//!   not repeat it.
//! - **Timestamps** are nanoseconds since the recording started, from [`std::time::Instant`];
//!   the header keeps the wall-clock start.
//! - **Flushing.** A full buffer is sent; an exiting thread sends its buffer from the
//!   thread-local's destructor; the guard sends its own thread's buffer, disables the hook,
//!   stops the writer and writes the end record. Every 100 ms the writer flushes the file and
//!   bumps an epoch that makes each recording thread send its buffer at its next event, so a
//!   crash loses at most the last moments of the trace. Buffers of threads alive but idle when
//!   the guard drops cannot be reached without a lock per event: they are counted as `lost` in
//!   the end record ([`Summary::lost`]) rather than silently missing.
//! - **Process exit.** Rust's standard library runs no code at process exit without `unsafe`
//!   (`atexit`), and statics are never dropped. So the guard is the exit path: the one line in
//!   `main` keeps it until `main` returns. A program that calls [`std::process::exit`] should
//!   call [`RecorderGuard::finish`] first; if it does not, the file still holds every chunk sent
//!   so far, and the reader yields all of their events before an error for which
//!   [`TraceError::is_unfinished`] is true.
//! - **Events with no thread state.** An event fired while a thread tears down its
//!   thread-locals (after this crate's was destroyed) is written as a chunk of its own on
//!   thread `0`, with the string records it needs: rare, so it may allocate, and never lost.
//! - **Reading streams.** The file is a sequence of chunks, each with its thread, record count
//!   and byte length: the reader reads one chunk at a time, and a cut file shows as a chunk
//!   whose bytes are missing, or a missing end record. Every length is checked against a limit
//!   before anything is allocated for it (a chunk ≤ 16 MiB, a string id < 2²⁰, string text
//!   ≤ 64 MiB in all), and every loop consumes input, so no input makes the reader panic, hang
//!   or allocate without bound. Events of different threads come in chunk order; sort by
//!   timestamp where a global order matters.
//!
//! # Cost
//!
//! Measured with `cargo bench -p async-hooks-trace --bench record` (see `benches/record.rs`),
//! on a 2-core VM that other builds shared (so the figures moved by ±30% between runs). One
//! `AsyncResource` lifecycle is 4 events:
//!
//! | lifecycle (4 events) | 1 thread | 2 threads |
//! | --- | --- | --- |
//! | no hook | 46–66 ns | 97–127 ns |
//! | a hook that does nothing (the core's dispatch) | 95–130 ns | 125–217 ns |
//! | recording | 298–417 ns | 327–578 ns |
//!
//! So recording adds about 60–90 ns per event on one thread and 55–110 ns with two threads
//! recording at once, of which the core's dispatch to a hook is 12–25 ns and reading the
//! monotonic clock (`Instant::now`, 20–38 ns on this machine) most of the rest; the buffer
//! append is a 33-byte copy. Reading runs at about 16 million events per second (a 1-million
//! event file), and a generated 50-million-event stream is read in 3.9 s with the process's
//! peak memory flat (`tests/large.rs`).
//!
//! Only one recorder runs at a time in a process ([`TraceError::is_already_recording`]).

#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod error;
mod format;
mod local;
mod reader;
mod recorder;

pub use crate::error::TraceError;
pub use crate::reader::{Event, EventKind, Header, Summary, TraceReader};
pub use crate::recorder::{Recorder, RecorderGuard, TRACE_ENV};

/// The trace file format, version 1 (the text of `FORMAT.md`).
pub mod file_format {
    #![doc = include_str!("../FORMAT.md")]
}
