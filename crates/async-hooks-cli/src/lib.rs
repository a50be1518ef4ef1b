//! The analyses behind the `async-hooks` command: what a recorded trace (see
//! [`async_hooks_trace`]) says about a program.
//!
//! # Why
//!
//! A trace holds every resource a program created, every scope it ran and every resource it
//! ended: millions of events. People ask it a few questions: *what leaked?* (resources never
//! destroyed, and where they were created), *what blocked?* (scopes that ran too long, and the
//! chain of triggers that led to them), *what caused what?* (the causality tree), *where did
//! the time go?* (statistics, a timeline). Each command of the binary answers one; `report`
//! answers all of them on one HTML page.
//!
//! # A tour
//!
//! - [`pass`]: the single streaming pass all commands share. A [`pass::Tracker`] keeps the
//!   live resources and each thread's open scopes; an [`pass::Analysis`] receives resources
//!   as they are created, scopes as they close, and resources as they end.
//! - One module per question: [`leaks`], [`slow`], [`stats`], [`tree`] (and [`graph`], which
//!   draws a tree as DOT or SVG), [`timeline`] (Chrome trace-event JSON), [`report`] (HTML,
//!   with the SVG timeline of [`lanes`]).
//! - Helpers: [`escape`] (every output escapes trace text: payloads are user data),
//!   [`units`], [`hist`], [`palette`].
//!
//! # Memory
//!
//! Every analysis reads the file once and keeps memory proportional to the live resources
//! and its answer: `leaks` the live set, `slow` the `--limit` longest scopes, `stats` a
//! fixed-size histogram per type, `timeline` writes as it reads. The answer of `tree` and
//! `graph` is the resource set itself, so they keep at most `--max-nodes` resources
//! (narrowed with `--root` or `--type`).
//!
//! # Example
//!
//! ```
//! use async_hooks::AsyncResource;
//! use async_hooks_cli::{leaks::Leaks, pass};
//! use async_hooks_trace::{Recorder, TraceReader};
//!
//! let path = std::env::temp_dir().join(format!("ahc-doc-crate-{}.aht", std::process::id()));
//! let trace = Recorder::start(&path)?;
//! std::mem::forget(AsyncResource::new("my.Connection")); // a leak
//! AsyncResource::new("my.Job").run_in_async_scope(|| {});
//! trace.finish()?;
//!
//! let mut reader = TraceReader::open(&path)?;
//! let (meta, tracker) = pass::run(&mut reader, &mut (), &mut |_bytes_read| {})?;
//! let leaks = Leaks::collect(&meta, &tracker, &Default::default());
//! assert_eq!(leaks.total, 1);
//! assert_eq!(&*leaks.groups[0].resource_type, "my.Connection");
//! assert!(leaks.groups[0].created_at.as_deref().unwrap().contains("src/lib.rs"));
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), async_hooks_trace::TraceError>(())
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

pub mod escape;
pub mod graph;
pub mod hist;
pub mod lanes;
pub mod leaks;
pub mod palette;
pub mod pass;
pub mod report;
pub mod slow;
pub mod stats;
pub mod timeline;
pub mod tree;
pub mod units;
