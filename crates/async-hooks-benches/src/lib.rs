//! Fixtures shared by the benchmarks of `async-hooks`.
//!
//! Every benchmark is measured against a floor (an empty loop, a thread-local read) and under
//! the [`Hooks`] states: no hook, a hook created but disabled, one enabled hook, eight enabled
//! hooks (STYLE 15, after `tracing/benches`). The hooks are [`NoopHook`]s: they listen to all
//! four events and do nothing, so what is measured is the dispatch itself.
//!
//! The criterion suites:
//!
//! - `benches/core.rs`: ids, and the life of an [`AsyncResource`](async_hooks::AsyncResource).
//! - `benches/storage.rs`: [`AsyncLocalStorage`] reads and writes, and resource creation with
//!   0, 1, 10 and 100 stores in use (S33).
//! - `benches/tokio.rs`: spawn + await through the Tokio integration against plain Tokio,
//!   tracing's `.instrument()` and Tokio's own task hooks ([`tasks`]); the await chain.
//! - `benches/recorder.rs`: the recorder's cost per event ([`recording`]).
//!
//! The comparison: `src/bin/ratios/` times the key operations side by side in one process,
//! interleaved with the Node scripts of `bench/node/` ([`node`]), and prints one markdown table
//! ([`table`]) of ns/op and the ratios that matter; the [`runner`] module is its machinery.
//! `bash scripts/bench.sh` runs it (twice: the second build has `--cfg tokio_unstable`).
//!
//! ```text
//! bash scripts/bench.sh                                   # the comparison, a few minutes
//! cargo bench -p async-hooks-benches                      # criterion, longer
//! cargo run --release -p async-hooks-benches --bin ratios # the comparison's first run only
//! ```
//!
//! Hooks are process-global: these fixtures are for benchmark processes that do nothing else.

use async_hooks::{create_hook, AsyncHook, AsyncId, AsyncLocalStorage, Hook, Resource};

pub mod node;
pub mod recording;
pub mod runner;
pub mod table;
pub mod tasks;

/// A hook that listens to all four events and does nothing: the cost it adds is the dispatch.
///
/// ```
/// use async_hooks::{create_hook, Callbacks};
/// use async_hooks_benches::NoopHook;
///
/// assert_eq!(create_hook(NoopHook).callbacks(), Callbacks::ALL);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopHook;

impl Hook for NoopHook {
    #[inline(never)]
    fn init(&self, _: AsyncId, _: &str, _: AsyncId, _: &Resource) {}
    #[inline(never)]
    fn before(&self, _: AsyncId) {}
    #[inline(never)]
    fn after(&self, _: AsyncId) {}
    #[inline(never)]
    fn destroy(&self, _: AsyncId) {}
}

/// The hook states a benchmark runs under.
///
/// ```
/// use async_hooks_benches::Hooks;
///
/// let names: Vec<_> = Hooks::ALL.iter().map(|h| h.id()).collect();
/// assert_eq!(names, ["no_hook", "disabled_hook", "1_hook", "8_hooks"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hooks {
    /// No hook was ever created by the benchmark.
    None,
    /// A [`NoopHook`] created, enabled once and disabled again: the registry has been through
    /// a change, and every event flag is clear again (S12).
    Disabled,
    /// One enabled [`NoopHook`].
    One,
    /// Four enabled [`NoopHook`]s: the middle of Node's comparison scripts (0, 1, 4 hooks).
    /// Not in [`Hooks::ALL`].
    Four,
    /// Eight enabled [`NoopHook`]s, each its own hook.
    Eight,
}

impl Hooks {
    /// The four states, cheapest first.
    ///
    /// ```
    /// # use async_hooks_benches::Hooks;
    /// assert_eq!(Hooks::ALL.len(), 4);
    /// ```
    pub const ALL: [Hooks; 4] = [Hooks::None, Hooks::Disabled, Hooks::One, Hooks::Eight];

    /// A short id for benchmark names: `no_hook`, `disabled_hook`, `1_hook`, `8_hooks`.
    ///
    /// ```
    /// # use async_hooks_benches::Hooks;
    /// assert_eq!(Hooks::Eight.id(), "8_hooks");
    /// assert_eq!(Hooks::Four.id(), "4_hooks");
    /// ```
    pub fn id(self) -> &'static str {
        match self {
            Hooks::None => "no_hook",
            Hooks::Disabled => "disabled_hook",
            Hooks::One => "1_hook",
            Hooks::Four => "4_hooks",
            Hooks::Eight => "8_hooks",
        }
    }

    /// How many hooks are enabled in this state.
    ///
    /// ```
    /// # use async_hooks_benches::Hooks;
    /// assert_eq!(Hooks::Disabled.enabled(), 0);
    /// assert_eq!(Hooks::Eight.enabled(), 8);
    /// ```
    pub fn enabled(self) -> usize {
        match self {
            Hooks::None | Hooks::Disabled => 0,
            Hooks::One => 1,
            Hooks::Four => 4,
            Hooks::Eight => 8,
        }
    }

    /// Puts the process in this state until the returned guard is dropped, which disables the
    /// hooks it enabled.
    ///
    /// ```
    /// use async_hooks::{create_hook, AsyncResource, FnHook};
    /// use async_hooks_benches::Hooks;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let inits = Arc::new(AtomicU64::new(0));
    /// let seen = inits.clone();
    /// let probe = create_hook(FnHook::new().on_init(move |_, _, _, _| {
    ///     seen.fetch_add(1, Ordering::Relaxed);
    /// }));
    /// probe.enable();
    /// {
    ///     let hooks = Hooks::Eight.install();
    ///     assert_eq!(hooks.enabled(), 8);
    ///     drop(AsyncResource::new("bench"));
    /// }
    /// probe.disable();
    /// assert_eq!(inits.load(Ordering::Relaxed), 1);
    /// ```
    #[must_use = "the hooks are disabled as soon as the guard is dropped"]
    pub fn install(self) -> Installed {
        let hooks: Vec<AsyncHook> = match self {
            Hooks::None => Vec::new(),
            Hooks::Disabled => {
                let hook = create_hook(NoopHook);
                hook.enable().disable();
                vec![hook]
            }
            Hooks::One | Hooks::Four | Hooks::Eight => (0..self.enabled())
                .map(|_| {
                    let hook = create_hook(NoopHook);
                    hook.enable();
                    hook
                })
                .collect(),
        };
        Installed { hooks }
    }
}

/// The hooks of one [`Hooks`] state; dropping it disables them.
///
/// ```
/// # use async_hooks_benches::Hooks;
/// let hooks = Hooks::One.install();
/// assert_eq!(hooks.enabled(), 1);
/// drop(hooks); // disabled again
/// ```
#[derive(Debug)]
#[must_use = "the hooks are disabled as soon as the guard is dropped"]
pub struct Installed {
    hooks: Vec<AsyncHook>,
}

impl Installed {
    /// How many of the guard's hooks are enabled now.
    ///
    /// ```
    /// # use async_hooks_benches::Hooks;
    /// assert_eq!(Hooks::Disabled.install().enabled(), 0);
    /// ```
    pub fn enabled(&self) -> usize {
        self.hooks.iter().filter(|h| h.is_enabled()).count()
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        for hook in &self.hooks {
            hook.disable();
        }
    }
}

/// `n` distinct async-local stores that live for the rest of the process.
///
/// ```
/// # use async_hooks_benches::leak_stores;
/// assert_eq!(leak_stores(3).len(), 3);
/// ```
pub fn leak_stores(n: usize) -> Vec<&'static AsyncLocalStorage<u64>> {
    (0..n)
        .map(|_| &*Box::leak(Box::new(AsyncLocalStorage::new())))
        .collect()
}

/// Runs `f` with every store of `stores` set (store `i` to `i`), one
/// [`run`](AsyncLocalStorage::run) nested in the next.
///
/// ```
/// use async_hooks_benches::{leak_stores, with_stores};
///
/// let stores = leak_stores(100);
/// let set = with_stores(&stores, &mut || stores.iter().filter_map(|s| s.get()).count());
/// assert_eq!(set, 100);
/// assert_eq!(stores[42].get(), None);
/// ```
pub fn with_stores<R>(stores: &[&AsyncLocalStorage<u64>], f: &mut dyn FnMut() -> R) -> R {
    fn nest<R>(stores: &[&AsyncLocalStorage<u64>], i: u64, f: &mut dyn FnMut() -> R) -> R {
        match stores.split_first() {
            Some((store, rest)) => store.run(i, || nest(rest, i + 1, f)),
            None => f(),
        }
    }
    nest(stores, 0, f)
}
