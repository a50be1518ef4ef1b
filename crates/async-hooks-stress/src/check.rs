//! The checks: an always-enabled invariant hook, hooks toggled at random, and the clock that
//! orders operations against `disable()` (SPEC S1, S13, S15–S18).
//!
//! # The invariant hook
//!
//! Enabled before anything else exists, it sees every event of the run:
//!
//! - `init`: the id was never initialised before (S1). Two bit sets indexed by id, `inits` and
//!   `destroys`, set with one atomic `fetch_or` each: no lock on the event path.
//! - `before`/`after`: pushed and popped on a stack of the thread's own; an `after` must match the
//!   top (S16), and inside both the execution id is the resource's (S15).
//! - `destroy`: the id was initialised and not destroyed before (S17), and the context is
//!   `(0, 0)` (S18).
//! - At the end, with every thread joined and the runtime dropped, each initialised id has
//!   exactly one destroy (S17), and each thread left its stack empty.
//!
//! # The toggled hooks (S13)
//!
//! One global clock: every tick is a `SeqCst` read-modify-write. Each worker ticks before an
//! operation and keeps the tick as its *start*; the controller ticks just before `enable()` and
//! just after `disable()` returned, and publishes both ticks. A toggled hook called from an
//! operation that started after the last `disable()` returned, with no `enable()` begun since,
//! is a violation. A start recorded earlier than the operation (a worker that did not tick)
//! can only hide a violation, never invent one.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_hooks::{execution_async_id, trigger_async_id, AsyncId, Callbacks, Hook, Resource};

/// How many hooks the controller toggles.
pub(crate) const TOGGLED: usize = 4;

/// How many violations are kept word for word.
const SAMPLES: usize = 20;

static CLOCK: AtomicU64 = AtomicU64::new(1);

/// Ticks the global clock.
pub(crate) fn tick() -> u64 {
    CLOCK.fetch_add(1, Ordering::SeqCst)
}

/// Marks the start of an operation on this thread (S13).
pub(crate) fn start_operation() {
    let now = tick();
    let _ = LOCAL.try_with(|l| l.started.set(now));
}

/// Per-thread counters, on a cache line of their own, written only by their thread.
#[derive(Default)]
#[repr(align(64))]
pub(crate) struct Counters {
    events: AtomicU64,
    toggled: AtomicU64,
    inits: AtomicU64,
    destroys: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    // One writer per counter: a plain load and store, no locked instruction.
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// What the checks know of one thread.
struct Local {
    /// Open scopes, innermost last.
    stack: RefCell<Vec<AsyncId>>,
    /// The tick at the start of the operation under way.
    started: Cell<u64>,
    /// This thread's counters, with the run they belong to.
    counters: RefCell<Option<(u64, Arc<Counters>)>>,
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            stack: RefCell::new(Vec::new()),
            started: Cell::new(0),
            counters: RefCell::new(None),
        }
    };
}

/// One bit per id, set lock-free, allocated in chunks as ids grow.
struct IdBits {
    chunks: Box<[OnceLock<Box<[AtomicU64]>>]>,
}

const CHUNK_WORDS: usize = 1 << 16; // 4 Mi ids, 512 KiB a chunk
const CHUNK_IDS: u64 = (CHUNK_WORDS as u64) * 64;
const CHUNKS: usize = 1024; // ids up to 4 Gi

impl IdBits {
    fn new() -> IdBits {
        IdBits {
            chunks: (0..CHUNKS).map(|_| OnceLock::new()).collect(),
        }
    }

    fn word(&self, id: u64) -> Option<(&AtomicU64, u64)> {
        let chunk = self.chunks.get(usize::try_from(id / CHUNK_IDS).ok()?)?;
        let words = chunk.get_or_init(|| (0..CHUNK_WORDS).map(|_| AtomicU64::new(0)).collect());
        let at = id % CHUNK_IDS;
        Some((&words[(at / 64) as usize], 1 << (at % 64)))
    }

    /// Sets the bit of `id`; returns whether it was set already, `None` if `id` is out of range.
    fn set(&self, id: u64) -> Option<bool> {
        let (word, bit) = self.word(id)?;
        Some(word.fetch_or(bit, Ordering::AcqRel) & bit != 0)
    }

    fn get(&self, id: u64) -> Option<bool> {
        let (word, bit) = self.word(id)?;
        Some(word.load(Ordering::Acquire) & bit != 0)
    }
}

/// The ticks of one toggled hook's last `enable()` start and last `disable()` return.
#[derive(Default)]
struct Toggle {
    enable_started: AtomicU64,
    disable_returned: AtomicU64,
}

/// Everything the checks of one run share.
pub(crate) struct Checker {
    run: u64,
    inits: IdBits,
    destroys: IdBits,
    toggles: [Toggle; TOGGLED],
    violations: AtomicU64,
    samples: Mutex<Vec<String>>,
    threads: Mutex<Vec<Arc<Counters>>>,
    /// Counts of events seen once a thread's state was torn down (thread exit).
    orphans: Counters,
}

/// Totals at the end of a run.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    pub(crate) events: u64,
    pub(crate) toggled: u64,
    pub(crate) inits: u64,
    pub(crate) destroys: u64,
}

impl Checker {
    pub(crate) fn new() -> Checker {
        static RUNS: AtomicU64 = AtomicU64::new(1);
        Checker {
            run: RUNS.fetch_add(1, Ordering::Relaxed),
            inits: IdBits::new(),
            destroys: IdBits::new(),
            toggles: Default::default(),
            violations: AtomicU64::new(0),
            samples: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            orphans: Counters::default(),
        }
    }

    /// Records a violation; the first few are kept word for word.
    pub(crate) fn violation(&self, what: impl FnOnce() -> String) {
        self.violations.fetch_add(1, Ordering::Relaxed);
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() < SAMPLES {
            samples.push(what());
        }
    }

    pub(crate) fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    pub(crate) fn samples(&self) -> Vec<String> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs `f` with this thread's counters for this run.
    fn count(&self, f: impl FnOnce(&Counters)) {
        let counted = LOCAL.try_with(|l| {
            let mut slot = l.counters.borrow_mut();
            match &*slot {
                Some((run, counters)) if *run == self.run => f(counters),
                _ => {
                    let counters = Arc::new(Counters::default());
                    self.threads
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(counters.clone());
                    f(&counters);
                    *slot = Some((self.run, counters));
                }
            }
        });
        if counted.is_err() {
            // Thread exit: shared counters, rarely used.
            self.orphans.events.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// S16: a thread that finishes has no scope open.
    pub(crate) fn thread_finished(&self) {
        let open = LOCAL
            .try_with(|l| std::mem::take(&mut *l.stack.borrow_mut()))
            .unwrap_or_default();
        if !open.is_empty() {
            self.violation(|| format!("S16: a thread finished with scopes open: {open:?}"));
        }
    }

    /// S17: at the end, every initialised id was destroyed exactly once.
    pub(crate) fn check_all_destroyed(&self) {
        for (c, (inits, destroys)) in self
            .inits
            .chunks
            .iter()
            .zip(self.destroys.chunks.iter())
            .enumerate()
        {
            let Some(inits) = inits.get() else { continue };
            let destroys = destroys.get();
            for (w, init) in inits.iter().enumerate() {
                let init = init.load(Ordering::Acquire);
                let destroyed = destroys.map_or(0, |d| d[w].load(Ordering::Acquire));
                let mut missing = init & !destroyed;
                while missing != 0 {
                    let bit = u64::from(missing.trailing_zeros());
                    missing &= missing - 1;
                    let id = c as u64 * CHUNK_IDS + w as u64 * 64 + bit;
                    self.violation(|| {
                        format!("S17: resource {id} was initialised but never destroyed")
                    });
                }
            }
        }
    }

    pub(crate) fn totals(&self) -> Totals {
        let threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        let mut totals = Totals::default();
        for c in threads
            .iter()
            .map(|c| &**c)
            .chain(std::iter::once(&self.orphans))
        {
            totals.events += c.events.load(Ordering::Relaxed);
            totals.toggled += c.toggled.load(Ordering::Relaxed);
            totals.inits += c.inits.load(Ordering::Relaxed);
            totals.destroys += c.destroys.load(Ordering::Relaxed);
        }
        totals
    }

    /// Publishes the tick just before toggled hook `k`'s `enable()` (S13).
    pub(crate) fn enabling(&self, k: usize) {
        self.toggles[k]
            .enable_started
            .store(tick(), Ordering::SeqCst);
    }

    /// Publishes the tick just after toggled hook `k`'s `disable()` returned (S13).
    pub(crate) fn disabled(&self, k: usize) {
        self.toggles[k]
            .disable_returned
            .store(tick(), Ordering::SeqCst);
    }
}

impl fmt::Debug for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker")
            .field("violations", &self.violations())
            .finish_non_exhaustive()
    }
}

/// The always-enabled hook.
pub(crate) struct Invariant(pub(crate) Arc<Checker>);

impl Hook for Invariant {
    fn init(&self, id: AsyncId, _ty: &str, _trigger: AsyncId, _resource: &Resource) {
        let checker = &*self.0;
        checker.count(|c| {
            bump(&c.events);
            bump(&c.inits);
        });
        match checker.inits.set(id.as_u64()) {
            Some(false) => {}
            Some(true) => checker.violation(|| format!("S1: init twice for id {id}")),
            None => checker.violation(|| format!("id {id} is beyond what the checker tracks")),
        }
    }

    fn before(&self, id: AsyncId) {
        let checker = &*self.0;
        checker.count(|c| bump(&c.events));
        let exec = execution_async_id();
        if exec != id {
            checker.violation(|| format!("S15: before({id}) with execution id {exec}"));
        }
        let _ = LOCAL.try_with(|l| l.stack.borrow_mut().push(id));
    }

    fn after(&self, id: AsyncId) {
        let checker = &*self.0;
        checker.count(|c| bump(&c.events));
        let exec = execution_async_id();
        if exec != id {
            checker.violation(|| format!("S15: after({id}) with execution id {exec}"));
        }
        if let Ok(top) = LOCAL.try_with(|l| l.stack.borrow_mut().pop()) {
            if top != Some(id) {
                checker
                    .violation(|| format!("S16: after({id}) but the innermost before was {top:?}"));
            }
        }
    }

    fn destroy(&self, id: AsyncId) {
        let checker = &*self.0;
        checker.count(|c| {
            bump(&c.events);
            bump(&c.destroys);
        });
        let (exec, trigger) = (execution_async_id(), trigger_async_id());
        if exec != AsyncId::NONE || trigger != AsyncId::NONE {
            checker.violation(|| {
                format!("S18: destroy({id}) in context ({exec}, {trigger}), not (0, 0)")
            });
        }
        if checker.inits.get(id.as_u64()) != Some(true) {
            checker.violation(|| format!("S17: destroy({id}) without init"));
        }
        if checker.destroys.set(id.as_u64()) == Some(true) {
            checker.violation(|| format!("S17: a second destroy for id {id}"));
        }
    }

    fn callbacks(&self) -> Callbacks {
        Callbacks::ALL
    }
}

/// A hook the controller enables and disables at random.
pub(crate) struct Toggled {
    pub(crate) index: usize,
    pub(crate) checker: Arc<Checker>,
}

impl Toggled {
    fn called(&self, event: &str, id: AsyncId) {
        let checker = &*self.checker;
        checker.count(|c| bump(&c.toggled));
        let started = LOCAL.try_with(|l| l.started.get()).unwrap_or(0);
        let toggle = &checker.toggles[self.index];
        let enabled = toggle.enable_started.load(Ordering::SeqCst);
        let disabled = toggle.disable_returned.load(Ordering::SeqCst);
        if disabled > enabled && started > disabled {
            checker.violation(|| {
                format!(
                    "S13: toggled hook {} got {event}({id}) from an operation that started at \
                     tick {started}, after its disable() returned at tick {disabled}",
                    self.index
                )
            });
        }
    }
}

impl Hook for Toggled {
    fn init(&self, id: AsyncId, _ty: &str, _trigger: AsyncId, _resource: &Resource) {
        self.called("init", id);
    }
    fn before(&self, id: AsyncId) {
        self.called("before", id);
    }
    fn after(&self, id: AsyncId) {
        self.called("after", id);
    }
    fn destroy(&self, id: AsyncId) {
        self.called("destroy", id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_bits_set_once() {
        let bits = IdBits::new();
        assert_eq!(bits.get(5), Some(false));
        assert_eq!(bits.set(5), Some(false));
        assert_eq!(bits.set(5), Some(true));
        assert_eq!(bits.get(5), Some(true));
        assert_eq!(bits.set(CHUNK_IDS + 3), Some(false));
        assert_eq!(bits.set(CHUNK_IDS * CHUNKS as u64), None);
    }

    #[test]
    fn missing_destroys_are_violations() {
        let checker = Checker::new();
        checker.inits.set(7);
        checker.inits.set(9);
        checker.destroys.set(9);
        checker.check_all_destroyed();
        assert_eq!(checker.violations(), 1);
        assert!(checker.samples()[0].contains("resource 7"));
    }
}
