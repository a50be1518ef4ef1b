//! The plain-thread workload: trees of resources in nested scopes, entered every way the crate
//! offers, ended every way it offers, some carrying async-local storage, some handed to another
//! thread.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use async_hooks::{execution_async_id, AsyncId, AsyncLocalStorage, AsyncResource};

use crate::check::{self, Checker};
use crate::rng::Rng;

/// The async-local store the workloads check (S30, S31).
pub(crate) static STORE: AsyncLocalStorage<u64> = AsyncLocalStorage::new();

/// Resources handed from one thread to another (S5).
static EXCHANGE: Mutex<Vec<Job>> = Mutex::new(Vec::new());

const MAX_DEPTH: u32 = 4;
const MAX_HELD: usize = 64;
const MAX_EXCHANGED: usize = 256;
const TYPE: &str = "async-hooks-stress.Job";

struct Worker<'a> {
    checker: &'a Checker,
    rng: Rng,
    /// Resources kept from one iteration to a later one.
    held: Vec<Job>,
}

/// Runs the workload on this thread until `deadline`.
pub(crate) fn run(checker: &Checker, seed: u64, deadline: Instant) {
    let mut worker = Worker {
        checker,
        rng: Rng::new(seed),
        held: Vec::new(),
    };
    let mut iterations = 0u64;
    while iterations % 64 != 0 || Instant::now() < deadline {
        check::start_operation();
        worker.iteration();
        iterations += 1;
    }
    for job in worker.held.drain(..) {
        end(checker, job, true);
    }
    let exchanged = std::mem::take(&mut *EXCHANGE.lock().unwrap_or_else(PoisonError::into_inner));
    for job in exchanged {
        end(checker, job, false);
    }
    checker.thread_finished();
}

/// A resource of the workload, and whether only an explicit call destroys it.
struct Job {
    res: AsyncResource,
    manual: bool,
}

/// Ends `job`: explicitly, and then a second call must fail (S17, S20), or by drop. A
/// manual-destroy resource gets `destroy` only from an explicit call (S17), so it always gets one.
fn end(checker: &Checker, job: Job, explicit: bool) {
    if explicit || job.manual {
        if let Err(e) = job.res.emit_destroy() {
            checker.violation(|| format!("S17: the first emit_destroy failed: {e}"));
        }
        match job.res.emit_destroy() {
            Err(e) if e.is_already_destroyed() => {}
            other => checker.violation(|| format!("S17: a second emit_destroy gave {other:?}")),
        }
    }
    drop(job);
}

impl Worker<'_> {
    fn iteration(&mut self) {
        match self.rng.below(16) {
            0 => self.exchange(),
            1 if !self.held.is_empty() => {
                // Run a resource created in an earlier iteration.
                let at = self.rng.below(self.held.len() as u64) as usize;
                let job = self.held.swap_remove(at);
                job.res.run_in_async_scope(|| self.tree(1));
                self.keep_or_end(job);
            }
            _ => self.tree(0),
        }
    }

    fn new_job(&mut self) -> Job {
        let (res, manual) = match self.rng.below(10) {
            // Any id may be named as the trigger (S4).
            0 => (
                AsyncResource::with_trigger(TYPE, AsyncId::new(self.rng.below(1 << 20))),
                false,
            ),
            1 => {
                let built = AsyncResource::builder(TYPE)
                    .require_manual_destroy(true)
                    .payload(self.rng.next())
                    .build();
                match built {
                    Ok(res) => (res, true),
                    // The type is a non-empty constant: the builder's one error cannot happen.
                    Err(e) => unreachable!("{e}"),
                }
            }
            _ => (AsyncResource::new(TYPE), false),
        };
        Job { res, manual }
    }

    /// One resource, its code (with children) run in its scope, then ended or kept.
    fn tree(&mut self, depth: u32) {
        let job = self.new_job();
        let res = &job.res;
        match self.rng.below(5) {
            0 => res.run_in_async_scope(|| self.children(depth)),
            1 => {
                let _scope = res.enter();
                self.children(depth);
            }
            2 => {
                res.emit_before();
                self.children(depth);
                if let Err(e) = res.emit_after() {
                    self.checker
                        .violation(|| format!("S26: emit_after failed: {e}"));
                }
            }
            3 => {
                let value = self.rng.next();
                STORE.run(value, || {
                    let child = AsyncResource::new(TYPE);
                    let seen = STORE.exit(|| child.run_in_async_scope(|| STORE.get()));
                    if seen != Some(value) {
                        self.checker.violation(|| {
                            format!("S31: a resource created under store {value} ran with {seen:?}")
                        });
                    }
                    self.children(depth);
                });
            }
            _ => {
                // Created and ended without ever running (S15: zero runs).
            }
        }
        self.keep_or_end(job);
    }

    fn children(&mut self, depth: u32) {
        if depth < MAX_DEPTH {
            for _ in 0..self.rng.below(3) {
                self.tree(depth + 1);
            }
        }
    }

    fn keep_or_end(&mut self, job: Job) {
        match self.rng.below(8) {
            0 => {
                if self.held.len() >= MAX_HELD {
                    let at = self.rng.below(self.held.len() as u64) as usize;
                    let old = self.held.swap_remove(at);
                    end(self.checker, old, false);
                }
                self.held.push(job);
            }
            1..=3 => end(self.checker, job, true),
            _ => end(self.checker, job, false),
        }
    }

    /// Hands a resource to whichever thread comes next, and runs one another thread left (S5).
    fn exchange(&mut self) {
        let mine = self.new_job();
        let (theirs, back) = {
            let mut shared = EXCHANGE.lock().unwrap_or_else(PoisonError::into_inner);
            let theirs = if shared.is_empty() {
                None
            } else {
                let at = self.rng.below(shared.len() as u64) as usize;
                Some(shared.swap_remove(at))
            };
            if shared.len() < MAX_EXCHANGED {
                shared.push(mine);
                (theirs, None)
            } else {
                (theirs, Some(mine))
            }
        };
        for job in theirs.into_iter().chain(back) {
            let id = job.res.async_id();
            let seen = job.res.run_in_async_scope(execution_async_id);
            if seen != id {
                self.checker
                    .violation(|| format!("S5: resource {id} ran on another thread as {seen}"));
            }
            let explicit = self.rng.one_in(2);
            end(self.checker, job, explicit);
        }
    }
}
