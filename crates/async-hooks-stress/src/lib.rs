//! Stress test of `async-hooks`: millions of resources on plain threads and in a Tokio runtime,
//! while hooks are enabled and disabled at random, all checked by an always-enabled invariant
//! hook.
//!
//! # What runs
//!
//! For the configured time, at once:
//!
//! - **Plain threads** ([`Config::threads`] of them) build trees of `AsyncResource`s in nested
//!   scopes, entered with `run_in_async_scope`, guards and `emit_before`/`emit_after`, ended by
//!   explicit `emit_destroy` or by drop (some with `require_manual_destroy`), some run under
//!   `AsyncLocalStorage::run`, some handed to another thread.
//! - **A multi-thread Tokio runtime** (as many workers) runs tasks spawned with
//!   `async_hooks_tokio::spawn` that spawn tasks, sleep with `async_hooks_tokio::time::sleep`,
//!   carry async-local storage, are aborted, and echo over loopback TCP
//!   (`async_hooks_tokio::net`, `127.0.0.1:0`, a bounded number of connections).
//! - **A controller thread** enables and disables four hooks at random.
//!
//! # What is checked
//!
//! - Every id is initialised once (S1); inside `before`/`after` the execution id is the
//!   resource's (S15); every `after` matches the innermost open `before` of its thread (S16);
//!   `destroy` runs in context `(0, 0)` (S18), once per `init` (S17), and at the end, once the
//!   runtime is dropped and the threads joined, every initialised id has had its one `destroy`.
//! - No toggled hook is called by an operation that started after its `disable()` returned
//!   (S13), by the global-clock technique described in the `check` module.
//! - Async-local storage reaches resources and tasks (S31); ids travel with tasks (S4, S5).
//!
//! Hooks are process-global: run one stress run at a time in a process, and nothing else that
//! creates resources beside it.
//!
//! ```
//! use std::time::Duration;
//!
//! let report = async_hooks_stress::run(&async_hooks_stress::Config {
//!     duration: Duration::from_millis(100),
//!     threads: 1,
//!     seed: 7,
//! })?;
//! assert_eq!(report.violations, 0, "{report}");
//! assert!(report.events > 0);
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod check;
mod controller;
mod rng;
mod tasks;
mod threads;

use std::fmt;
use std::io;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use async_hooks::{create_hook, AsyncHook};

use crate::check::{Checker, Invariant, Toggled, TOGGLED};

/// How long and how wide a stress run is.
///
/// ```
/// let config = async_hooks_stress::Config::default();
/// assert_eq!(config.threads, 2);
/// assert_eq!(config.duration.as_secs(), 10);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// How long the workloads run.
    pub duration: Duration,
    /// How many plain threads run the resource workload; the Tokio runtime gets as many
    /// worker threads.
    pub threads: usize,
    /// The seed of every random choice.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            duration: Duration::from_secs(10),
            threads: 2,
            seed: 1,
        }
    }
}

/// What a stress run did and found.
///
/// ```
/// use std::time::Duration;
///
/// let config = async_hooks_stress::Config { duration: Duration::from_millis(50), ..Default::default() };
/// let report = async_hooks_stress::run(&config)?;
/// assert!(report.passed(), "{report}");
/// println!("{report}");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    /// How long the workloads ran, up to the end of the final checks.
    pub duration: Duration,
    /// Plain threads.
    pub threads: usize,
    /// Tokio worker threads.
    pub tokio_workers: usize,
    /// Lifecycle events (`init`, `before`, `after`, `destroy`) of the run: every event the
    /// invariant hook received.
    pub events: u64,
    /// Hook calls checked: those of the invariant hook, plus those of the toggled hooks, each
    /// checked against the clock of S13.
    pub checked: u64,
    /// Resources created (`init`s).
    pub resources: u64,
    /// Resources destroyed (`destroy`s).
    pub destroyed: u64,
    /// Tokio tasks that ran the task workload.
    pub tasks: u64,
    /// Tokio tasks aborted.
    pub aborted: u64,
    /// Loopback TCP connections that completed their echo exchange.
    pub connections: u64,
    /// I/O errors of the TCP workload (not violations, but worth a look).
    pub io_errors: u64,
    /// Times the controller enabled or disabled a hook.
    pub toggles: u64,
    /// Broken invariants.
    pub violations: u64,
    /// The first few violations, word for word.
    pub samples: Vec<String>,
}

impl Report {
    /// [`events`](Self::events) per second of [`duration`](Self::duration).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = async_hooks_stress::Config { duration: Duration::from_millis(50), ..Default::default() };
    /// assert!(async_hooks_stress::run(&config)?.events_per_second() > 0.0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.duration.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Whether no violation was found.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = async_hooks_stress::Config { duration: Duration::from_millis(50), ..Default::default() };
    /// assert!(async_hooks_stress::run(&config)?.passed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn passed(&self) -> bool {
        self.violations == 0
    }
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "duration:        {:.2} s", self.duration.as_secs_f64())?;
        writeln!(
            f,
            "threads:         {} plain, {} Tokio workers, 1 controller",
            self.threads, self.tokio_workers
        )?;
        writeln!(
            f,
            "events:          {} ({} per second)",
            grouped(self.events),
            grouped(self.events_per_second() as u64)
        )?;
        writeln!(f, "events checked:  {}", grouped(self.checked))?;
        writeln!(
            f,
            "resources:       {} created, {} destroyed",
            grouped(self.resources),
            grouped(self.destroyed)
        )?;
        writeln!(
            f,
            "tokio:           {} tasks, {} aborted, {} TCP connections, {} I/O errors",
            grouped(self.tasks),
            grouped(self.aborted),
            grouped(self.connections),
            grouped(self.io_errors)
        )?;
        writeln!(f, "hook toggles:    {}", grouped(self.toggles))?;
        writeln!(f, "violations:      {}", grouped(self.violations))?;
        for sample in &self.samples {
            writeln!(f, "  - {sample}")?;
        }
        Ok(())
    }
}

/// Runs the stress test for `config.duration` and checks everything it did.
///
/// # Errors
///
/// If the Tokio runtime cannot be built or the loopback listener cannot be bound. Broken
/// invariants are not errors: they are in [`Report::violations`].
///
/// ```
/// use std::time::Duration;
///
/// let config = async_hooks_stress::Config { duration: Duration::from_millis(50), ..Default::default() };
/// let report = async_hooks_stress::run(&config)?;
/// assert_eq!(report.threads, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn run(config: &Config) -> io::Result<Report> {
    let checker = Arc::new(Checker::new());
    // Enabled before anything of the run exists, so that it sees every resource's `init`.
    let invariant = create_hook(Invariant(Arc::clone(&checker)));
    invariant.enable();
    let toggled: Vec<AsyncHook> = (0..TOGGLED)
        .map(|index| {
            create_hook(Toggled {
                index,
                checker: Arc::clone(&checker),
            })
        })
        .collect();

    let threads = config.threads.max(1);
    let start = Instant::now();
    let deadline = start + config.duration;
    let seed = config.seed;
    let (tasks, toggles) = thread::scope(|s| {
        let workers: Vec<_> = (0..threads as u64)
            .map(|i| {
                let checker = &*checker;
                s.spawn(move || threads::run(checker, seed.wrapping_add(i), deadline))
            })
            .collect();
        let controller = s.spawn(|| controller::run(&checker, &toggled, seed ^ 0xc0, deadline));
        let tasks = tasks::run(&checker, threads, seed ^ 0x7a5c, deadline);
        for worker in workers {
            if worker.join().is_err() {
                checker.violation(|| "a plain worker thread panicked".to_owned());
            }
        }
        let toggles = controller.join().unwrap_or_else(|_| {
            checker.violation(|| "the controller thread panicked".to_owned());
            0
        });
        (tasks, toggles)
    });
    let tasks = tasks?;

    for hook in &toggled {
        hook.disable();
    }
    checker.thread_finished();
    checker.check_all_destroyed();
    invariant.disable();
    let duration = start.elapsed();

    let totals = checker.totals();
    Ok(Report {
        duration,
        threads,
        tokio_workers: threads,
        events: totals.events,
        checked: totals.events + totals.toggled,
        resources: totals.inits,
        destroyed: totals.destroys,
        tasks: tasks.tasks,
        aborted: tasks.aborted,
        connections: tasks.connections,
        io_errors: tasks.io_errors,
        toggles,
        violations: checker.violations(),
        samples: checker.samples(),
    })
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn grouped_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
