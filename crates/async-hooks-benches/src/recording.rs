//! The recorder's cost: resource lifecycles while `async_hooks_trace::Recorder` writes every
//! event to a file.
//!
//! ```
//! let elapsed = async_hooks_benches::recording::record_lifecycles(1_000)?;
//! assert!(elapsed.as_nanos() > 0);
//! # Ok::<(), async_hooks_trace::TraceError>(())
//! ```

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use async_hooks::AsyncResource;
use async_hooks_trace::{Recorder, TraceError};

use crate::runner::time;

/// Starts a recorder to a file in the temporary directory, times `iters` lifecycles (new,
/// [`run_in_async_scope`](AsyncResource::run_in_async_scope), drop: four events each), then
/// finishes the recording and removes the file. Only the lifecycles are timed: the writer
/// thread's work on them is included (it runs meanwhile, and the recording threads wait for
/// it when its queue is full), its final flush is not.
///
/// # Errors
///
/// The recorder could not start (a recorder is already running, the file cannot be created)
/// or finish.
pub fn record_lifecycles(iters: u64) -> Result<Duration, TraceError> {
    let path = trace_path();
    let guard = Recorder::start(&path)?;
    let elapsed = time(iters, || {
        AsyncResource::new("bench").run_in_async_scope(|| black_box(()))
    });
    let finished = guard.finish();
    let _ = std::fs::remove_file(&path);
    finished.map(|_| elapsed)
}

fn trace_path() -> PathBuf {
    std::env::temp_dir().join(format!("async-hooks-bench-{}.aht", std::process::id()))
}
