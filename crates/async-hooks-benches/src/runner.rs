//! The machinery of the `ratios` binary: named cases timed side by side in one process.
//!
//! Criterion measures one benchmark at a time, minutes apart, so a ratio between two of its
//! results also measures how the machine drifted in between. This runner times every case once
//! per round, in an order rotated from round to round, and reports the median and the minimum
//! over the rounds: ratios of medians taken this way are stable to a few percent even on a
//! loaded two-core machine.
//!
//! A case is a name, the [`Hooks`] state to run under, and a closure that runs the operation a
//! given number of times and returns the elapsed time. [`Case::op`] builds the closure from the
//! operation; [`Case::custom`] takes it as is, for cases with their own setup (nested stores, a
//! runtime). Slow operations (a task spawn) run fewer iterations: [`Case::fewer_iters`].
//!
//! A [`Batch`] is another process that times several cases itself (a Node script):
//! [`measure_with`] runs every batch once per round, after that round's Rust cases, and takes
//! the median of the rounds the process timed as its sample for the round. So a Node case and
//! its Rust counterpart are timed minutes apart at most, under the same load.
//!
//! ```
//! use async_hooks::execution_async_id;
//! use async_hooks_benches::runner::{measure, Case, Plan};
//! use async_hooks_benches::Hooks;
//!
//! let mut cases = vec![
//!     Case::op("floor: empty loop", Hooks::None, || ()),
//!     Case::op("execution_async_id()", Hooks::None, execution_async_id),
//! ];
//! let rows = measure(&mut cases, Plan { rounds: 3, iters: 1_000 });
//! assert_eq!(rows.len(), 2);
//! assert!(rows.iter().all(|r| r.min_ns <= r.median_ns));
//! ```

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::Hooks;

type Run = Box<dyn FnMut(u64) -> Duration>;

/// One named operation to time.
///
/// ```
/// use async_hooks_benches::runner::Case;
/// use async_hooks_benches::Hooks;
///
/// let case = Case::op("sum", Hooks::None, || (0..10u64).sum::<u64>());
/// assert_eq!(case.name(), "sum");
/// ```
pub struct Case {
    name: String,
    hooks: Hooks,
    divisor: u64,
    run: Run,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("hooks", &self.hooks)
            .field("divisor", &self.divisor)
            .finish_non_exhaustive()
    }
}

impl Case {
    /// A case that calls `op` once per iteration (its result goes through `black_box`).
    ///
    /// ```
    /// # use async_hooks_benches::{runner::Case, Hooks};
    /// let case = Case::op("trigger_async_id()", Hooks::One, async_hooks::trigger_async_id);
    /// assert_eq!(case.hooks(), Hooks::One);
    /// ```
    pub fn op<R>(
        name: impl Into<String>,
        hooks: Hooks,
        mut op: impl FnMut() -> R + 'static,
    ) -> Case {
        Case::custom(name, hooks, move |iters| time(iters, &mut op))
    }

    /// A case whose closure runs `iters` iterations itself and returns the time they took,
    /// excluding any setup it does first.
    ///
    /// ```
    /// use async_hooks::AsyncLocalStorage;
    /// use async_hooks_benches::runner::{time, Case};
    /// use async_hooks_benches::Hooks;
    ///
    /// static STORE: AsyncLocalStorage<u64> = AsyncLocalStorage::new();
    /// // The store is set outside the timed loop.
    /// let case = Case::custom("get()", Hooks::None, |iters| {
    ///     STORE.run(7, || time(iters, || STORE.get()))
    /// });
    /// assert_eq!(case.name(), "get()");
    /// ```
    pub fn custom(
        name: impl Into<String>,
        hooks: Hooks,
        run: impl FnMut(u64) -> Duration + 'static,
    ) -> Case {
        Case {
            name: name.into(),
            hooks,
            divisor: 1,
            run: Box::new(run),
        }
    }

    /// Runs `divisor` times fewer iterations than the [`Plan`] says (at least one), for
    /// operations that take microseconds.
    ///
    /// ```
    /// # use async_hooks_benches::runner::{measure, Case, Plan};
    /// # use async_hooks_benches::Hooks;
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let calls = Rc::new(Cell::new(0));
    /// let seen = calls.clone();
    /// let case = Case::op("x", Hooks::None, move || seen.set(seen.get() + 1)).fewer_iters(10);
    /// measure(&mut [case], Plan { rounds: 1, iters: 1_000 });
    /// assert_eq!(calls.get(), 5 + 100); // warm-up (1/20th) and the timed run
    /// ```
    pub fn fewer_iters(mut self, divisor: u64) -> Case {
        self.divisor = divisor.max(1);
        self
    }

    /// The case's name, its row in the table.
    ///
    /// ```
    /// # use async_hooks_benches::{runner::Case, Hooks};
    /// assert_eq!(Case::op("x", Hooks::None, || ()).name(), "x");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hook state the case runs under.
    ///
    /// ```
    /// # use async_hooks_benches::{runner::Case, Hooks};
    /// assert_eq!(Case::op("x", Hooks::Eight, || ()).hooks(), Hooks::Eight);
    /// ```
    pub fn hooks(&self) -> Hooks {
        self.hooks
    }
}

/// Runs `op` `iters` times and returns how long that took.
///
/// ```
/// # use async_hooks_benches::runner::time;
/// let mut calls = 0;
/// time(10, || calls += 1);
/// assert_eq!(calls, 10);
/// ```
#[inline]
pub fn time<R>(iters: u64, mut op: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(op());
    }
    start.elapsed()
}

/// How many rounds, and how many iterations each case runs per round.
///
/// ```
/// # use async_hooks_benches::runner::Plan;
/// assert!(Plan::FULL.iters > Plan::QUICK.iters);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Rounds; each times every case once.
    pub rounds: usize,
    /// Iterations per case per round.
    pub iters: u64,
}

impl Plan {
    /// The default: 7 rounds of 2 million iterations.
    pub const FULL: Plan = Plan {
        rounds: 7,
        iters: 2_000_000,
    };
    /// For a CI smoke run: 3 rounds of 50 000 iterations, done in seconds.
    pub const QUICK: Plan = Plan {
        rounds: 3,
        iters: 50_000,
    };
}

/// One measured case.
///
/// ```
/// # use async_hooks_benches::runner::{measure, Case, Plan};
/// # use async_hooks_benches::Hooks;
/// let rows = measure(&mut [Case::op("x", Hooks::None, || ())], Plan { rounds: 1, iters: 10 });
/// assert_eq!(rows[0].name, "x");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The case's name.
    pub name: String,
    /// The median over the rounds, in ns per operation.
    pub median_ns: f64,
    /// The fastest round, in ns per operation.
    pub min_ns: f64,
}

/// Times every case once per round, each round in an order rotated by one, with a short
/// warm-up before each timing, and returns one [`Row`] per case, in the cases' order.
///
/// Each case runs under its [`Hooks`] state, installed just before its timing and removed
/// after it.
///
/// ```
/// # use async_hooks_benches::runner::{measure, Case, Plan};
/// # use async_hooks_benches::Hooks;
/// let mut cases = vec![Case::op("lifecycle", Hooks::One, || {
///     async_hooks::AsyncResource::new("bench").run_in_async_scope(|| ())
/// })];
/// let rows = measure(&mut cases, Plan { rounds: 2, iters: 100 });
/// assert!(rows[0].median_ns > 0.0);
/// ```
pub fn measure(cases: &mut [Case], plan: Plan) -> Vec<Row> {
    measure_with(cases, &mut [], plan).rows
}

/// Another process that times several cases per run, such as a Node script.
///
/// Its closure runs the process once and returns, for each case it timed, the case's name and
/// its ns per operation, one value per round the process ran.
///
/// ```
/// use async_hooks_benches::runner::Batch;
///
/// let batch = Batch::new("fake", |_plan| Ok(vec![("node: x".to_string(), vec![3.0, 1.0, 2.0])]));
/// assert_eq!(batch.name(), "fake");
/// ```
pub struct Batch {
    name: String,
    run: BatchRun,
}

type BatchRun = Box<dyn FnMut(Plan) -> Result<Vec<(String, Vec<f64>)>, String>>;

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// A batch named `name` (for messages) that `run` times.
    ///
    /// ```
    /// # use async_hooks_benches::runner::Batch;
    /// let batch = Batch::new("broken", |_| Err("no such program".to_string()));
    /// # drop(batch);
    /// ```
    pub fn new(
        name: impl Into<String>,
        run: impl FnMut(Plan) -> Result<Vec<(String, Vec<f64>)>, String> + 'static,
    ) -> Batch {
        Batch {
            name: name.into(),
            run: Box::new(run),
        }
    }

    /// The batch's name.
    ///
    /// ```
    /// # use async_hooks_benches::runner::Batch;
    /// assert_eq!(Batch::new("b", |_| Ok(Vec::new())).name(), "b");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What [`measure_with`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// One row per case, then one per case the batches reported, in the order first seen.
    pub rows: Vec<Row>,
    /// One message per batch that failed; a failed batch is not run again.
    pub errors: Vec<String>,
}

/// Like [`measure`], and after each round's cases, runs every batch once (in an order rotated
/// from round to round too). A batch's sample for the round is the median of the rounds it
/// reports for one case.
///
/// ```
/// use async_hooks_benches::runner::{measure_with, Batch, Case, Plan};
/// use async_hooks_benches::Hooks;
///
/// let mut cases = [Case::op("rust: x", Hooks::None, || ())];
/// let mut batches = [
///     Batch::new("ok", |_| Ok(vec![("node: x".into(), vec![30.0, 10.0, 20.0])])),
///     Batch::new("broken", |_| Err("node: not found".into())),
/// ];
/// let out = measure_with(&mut cases, &mut batches, Plan { rounds: 3, iters: 10 });
/// assert_eq!(out.rows.len(), 2);
/// assert_eq!((out.rows[1].median_ns, out.rows[1].min_ns), (20.0, 20.0));
/// assert_eq!(out.errors, ["broken: node: not found"]);
/// ```
pub fn measure_with(cases: &mut [Case], batches: &mut [Batch], plan: Plan) -> Measured {
    let mut samples = vec![Vec::with_capacity(plan.rounds); cases.len()];
    let mut external: Vec<(String, Vec<f64>)> = Vec::new();
    let mut failed = vec![false; batches.len()];
    let mut errors = Vec::new();
    for round in 0..plan.rounds.max(1) {
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            let case = &mut cases[i];
            let iters = (plan.iters / case.divisor).max(1);
            let _hooks = case.hooks.install();
            (case.run)((iters / 20).max(1));
            let elapsed = (case.run)(iters);
            samples[i].push(elapsed.as_nanos() as f64 / iters as f64);
        }
        for k in 0..batches.len() {
            let i = (k + round) % batches.len();
            if failed[i] {
                continue;
            }
            match (batches[i].run)(plan) {
                Ok(results) => {
                    for (name, mut ns) in results {
                        ns.sort_by(f64::total_cmp);
                        let sample = median(&ns);
                        match external.iter_mut().find(|(n, _)| *n == name) {
                            Some((_, all)) => all.push(sample),
                            None => external.push((name, vec![sample])),
                        }
                    }
                }
                Err(e) => {
                    failed[i] = true;
                    errors.push(format!("{}: {e}", batches[i].name));
                }
            }
        }
    }
    let names = cases.iter().map(|c| c.name.clone());
    let rows = names
        .zip(samples)
        .chain(external)
        .map(|(name, mut ns)| {
            ns.sort_by(f64::total_cmp);
            Row {
                name,
                median_ns: median(&ns),
                min_ns: ns.first().copied().unwrap_or(f64::NAN),
            }
        })
        .collect();
    Measured { rows, errors }
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The rows as a markdown table: op, median ns, min ns.
///
/// ```
/// use async_hooks_benches::runner::{markdown_table, Row};
///
/// let rows = [Row { name: "x".into(), median_ns: 1.25, min_ns: 1.0 }];
/// assert_eq!(
///     markdown_table(&rows),
///     "| op | median ns | min ns |\n|---|---:|---:|\n| x | 1.25 | 1.00 |\n",
/// );
/// ```
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::from("| op | median ns | min ns |\n|---|---:|---:|\n");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {:.2} |",
            row.name, row.median_ns, row.min_ns
        );
    }
    out
}
