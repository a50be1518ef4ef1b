//! The names of the cases: the rows of the table, shared by the cases and the lines.

use async_hooks_benches::tasks::Flavor;
use async_hooks_benches::Hooks;

pub(crate) const FLOOR_EMPTY: &str = "floor: empty loop";
pub(crate) const FLOOR_TLS: &str = "floor: thread_local! Cell<u64> read";
pub(crate) const EXEC_ID: &str = "execution_async_id()";
pub(crate) const TRIGGER_ID: &str = "trigger_async_id()";
pub(crate) const GET: &str = "ALS get() inside run()";
pub(crate) const WITH: &str = "ALS with() inside run()";
pub(crate) const RUN: &str = "ALS run(v, trivial closure)";
pub(crate) const RECORDED: &str = "lifecycle, recorded to a file (async_hooks_trace::Recorder)";

pub(crate) const N_EMPTY: &str = "node: empty loop";
pub(crate) const N_EXEC_ID: &str = "node: executionAsyncId()";
pub(crate) const N_GET: &str = "node: ALS getStore() inside run()";
pub(crate) const N_RUN: &str = "node: ALS run(v, trivial fn)";

pub(crate) fn lifecycle(hooks: Hooks) -> String {
    format!("lifecycle: new + run_in_async_scope + drop, {}", hooks.id())
}

pub(crate) fn node_lifecycle(hooks: usize, manual: bool) -> String {
    let form = if manual { "requireManualDestroy, " } else { "" };
    let s = if hooks == 1 { "" } else { "s" };
    format!("node: lifecycle, {form}{hooks} hook{s}")
}

pub(crate) fn stores(n: usize) -> String {
    format!("{n} store{}", if n == 1 { "" } else { "s" })
}

pub(crate) fn create_with_stores(n: usize) -> String {
    format!("create + drop, {} in use", stores(n))
}

pub(crate) fn node_create_with_stores(n: usize) -> String {
    format!("node: create + emitDestroy, {} in use", stores(n))
}

pub(crate) fn await_chain_case(hooks: Hooks) -> String {
    format!("await chain: a resource per await, {}", hooks.id())
}

pub(crate) fn node_await(hook: bool) -> String {
    format!(
        "node: await chain, {}",
        if hook { "1 hook" } else { "no hook" }
    )
}

/// The Tokio cases: how the task is spawned, and the hook state.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Task {
    Plain,
    Integration(Hooks),
    IntegrationStore,
    Instrument,
    InstrumentRegistry,
    #[cfg(tokio_unstable)]
    TokioHooks,
    #[cfg(tokio_unstable)]
    RuntimeHookMode(Hooks),
}

/// Cases that exist only in a `--cfg tokio_unstable` build.
pub(crate) const UNSTABLE_MARK: &str = "[tokio_unstable]";

pub(crate) fn task_case(flavor: Flavor, task: Task) -> String {
    let rt = match flavor {
        Flavor::CurrentThread => "tokio current-thread",
        Flavor::MultiThread => "tokio multi-thread",
    };
    let what = match task {
        Task::Plain => "tokio::spawn + await".to_owned(),
        Task::Integration(h) => format!("async_hooks_tokio::spawn, {}", h.id()),
        Task::IntegrationStore => "async_hooks_tokio::spawn, no_hook, a store set".to_owned(),
        Task::Instrument => "tokio::spawn(f.instrument(span)), no subscriber".to_owned(),
        Task::InstrumentRegistry => {
            "tokio::spawn(f.instrument(span)), registry subscriber".to_owned()
        }
        #[cfg(tokio_unstable)]
        Task::TokioHooks => return tokio_hooks_case(flavor),
        #[cfg(tokio_unstable)]
        Task::RuntimeHookMode(h) => return hook_mode_case(flavor, h),
    };
    format!("{rt}: {what}")
}

/// The names of the unstable-only cases, for the table's lines (which exist in every build).
pub(crate) fn unstable_case(flavor: Flavor, what: &str) -> String {
    let rt = match flavor {
        Flavor::CurrentThread => "tokio current-thread",
        Flavor::MultiThread => "tokio multi-thread",
    };
    format!("{rt}: tokio::spawn, {what} {UNSTABLE_MARK}")
}

pub(crate) fn tokio_hooks_case(flavor: Flavor) -> String {
    unstable_case(flavor, "Tokio's 4 task hooks (no-op)")
}

pub(crate) fn hook_mode_case(flavor: Flavor, hooks: Hooks) -> String {
    unstable_case(flavor, &format!("runtime-hook mode, {}", hooks.id()))
}
