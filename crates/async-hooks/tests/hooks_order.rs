//! The hook registry: creation, enable/disable, call order and registered callbacks
//! (SPEC S7, S8, S9, S11, S12).
//!
//! Hooks are process-global: run these with `cargo nextest` (one process per test). Each
//! recorder also notes the thread it ran on and the checks read only this thread's events, so
//! the tests stay correct when another test's resources fire on other threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_hooks::{
    create_hook, AsyncHook, AsyncId, AsyncResource, Callbacks, FnHook, Hook, Resource,
};

mod support;

use support::{Event, Log};

/// An [`FnHook`] with all four callbacks, logging under `name`.
fn recorder(name: &'static str, log: &Log) -> FnHook {
    let (l1, l2, l3, l4) = (log.clone(), log.clone(), log.clone(), log.clone());
    FnHook::new()
        .on_init(move |id, _, _, _| l1.push(name, Event::Init, id))
        .on_before(move |id| l2.push(name, Event::Before, id))
        .on_after(move |id| l3.push(name, Event::After, id))
        .on_destroy(move |id| l4.push(name, Event::Destroy, id))
}

/// `["a.init(r)", "b.init(r)", …]`: one event of one resource, for each hook in `order`.
fn each(order: &[&str], event: &str, name: &str) -> Vec<String> {
    order
        .iter()
        .map(|hook| format!("{hook}.{event}({name})"))
        .collect()
}

/// Creates `r`, runs it, drops it: the four events of one resource.
fn one_life(log: &Log) -> Vec<String> {
    let r = AsyncResource::new("test.One");
    r.run_in_async_scope(|| {});
    let names = [(r.async_id(), "r")];
    r.emit_destroy().unwrap();
    log.take(&names)
}

// ---------------------------------------------------------------------------------------
// S7

#[test]
fn create_hook_returns_a_disabled_hook() {
    // S7: created disabled, so it hears nothing until enabled.
    let log = Log::default();
    let hook = create_hook(recorder("h", &log));
    assert!(!hook.is_enabled());
    assert_eq!(one_life(&log), Vec::<String>::new());

    hook.enable();
    assert!(hook.is_enabled());
    assert_eq!(
        one_life(&log),
        ["h.init(r)", "h.before(r)", "h.after(r)", "h.destroy(r)"]
    );
    hook.disable();
}

#[test]
fn every_callback_is_optional() {
    // S7: a hook with no callback at all, from FnHook or from a Hook with only defaults.
    struct Silent;
    impl Hook for Silent {}

    let empty = create_hook(FnHook::new());
    assert_eq!(empty.callbacks(), Callbacks::NONE);
    let silent = create_hook(Silent);
    assert_eq!(silent.callbacks(), Callbacks::ALL);
    assert!(empty.enable().is_enabled());
    assert!(silent.enable().is_enabled());

    // S7: an FnHook with only some callbacks gets only those events.
    let log = Log::default();
    let l1 = log.clone();
    let l2 = log.clone();
    let partial = create_hook(
        FnHook::new()
            .on_before(move |id| l1.push("p", Event::Before, id))
            .on_destroy(move |id| l2.push("p", Event::Destroy, id)),
    );
    assert_eq!(partial.callbacks(), Callbacks::BEFORE | Callbacks::DESTROY);
    partial.enable();

    // Events still flow through hooks that have nothing (or only no-op defaults) to say.
    let r = AsyncResource::new("test.One");
    let inner = r.run_in_async_scope(async_hooks::execution_async_id);
    assert_eq!(inner, r.async_id());
    let names = [(r.async_id(), "r")];
    drop(r);
    assert_eq!(log.take(&names), ["p.before(r)", "p.destroy(r)"]);

    partial.disable();
    silent.disable();
    empty.disable();
    assert!(!empty.is_enabled() && !silent.is_enabled() && !partial.is_enabled());
}

// ---------------------------------------------------------------------------------------
// S8

#[test]
fn enable_and_disable_chain_and_are_idempotent() {
    // S8: both return the hook itself, so calls chain.
    let log = Log::default();
    let hook = create_hook(recorder("h", &log));
    let same: &AsyncHook = hook.enable().enable();
    assert!(std::ptr::eq(same, &hook));
    assert!(hook.is_enabled());

    // S8: enabled twice, in the list once: each callback runs once per event.
    assert_eq!(
        one_life(&log),
        ["h.init(r)", "h.before(r)", "h.after(r)", "h.destroy(r)"]
    );

    // A clone is a handle to the same hook: enabling it adds nothing, disabling it disables
    // the original.
    let clone = hook.clone();
    clone.enable();
    assert_eq!(
        one_life(&log),
        ["h.init(r)", "h.before(r)", "h.after(r)", "h.destroy(r)"]
    );

    let same: &AsyncHook = clone.disable().disable();
    assert!(std::ptr::eq(same, &clone));
    assert!(!hook.is_enabled());
    assert_eq!(one_life(&log), Vec::<String>::new());

    // Chains in any order end in the last state asked for.
    assert!(hook.enable().disable().enable().is_enabled());
    assert_eq!(one_life(&log).len(), 4);
    assert!(!hook.disable().enable().disable().is_enabled());
    assert_eq!(one_life(&log), Vec::<String>::new());
}

#[test]
fn enable_chains_on_a_temporary_and_the_hook_keeps_running() {
    // S8: `create_hook(h).enable()` chains on the new handle; dropping every handle does not
    // disable the hook (as in Node).
    let log = Log::default();
    assert!(create_hook(recorder("t", &log)).enable().is_enabled());
    assert_eq!(
        one_life(&log),
        ["t.init(r)", "t.before(r)", "t.after(r)", "t.destroy(r)"]
    );
}

#[test]
fn disabling_twice_or_a_hook_never_enabled_changes_nothing() {
    // S8, with Node's `c.disable(); c.disable()` giving order a, b with single calls.
    let log = Log::default();
    let a = create_hook(recorder("a", &log));
    let b = create_hook(recorder("b", &log));
    let c = create_hook(recorder("c", &log));
    let never = create_hook(recorder("n", &log));
    a.enable();
    b.enable();
    c.enable();
    c.disable();
    c.disable();
    never.disable();
    assert!(!never.is_enabled());

    let r = AsyncResource::new("test.One");
    r.run_in_async_scope(|| {});
    let names = [(r.async_id(), "r")];
    drop(r);
    let mut expected = each(&["a", "b"], "init", "r");
    expected.extend(each(&["a", "b"], "before", "r"));
    expected.extend(each(&["a", "b"], "after", "r"));
    expected.extend(each(&["a", "b"], "destroy", "r"));
    assert_eq!(log.take(&names), expected);

    a.disable();
    b.disable();
}

// ---------------------------------------------------------------------------------------
// S9

/// Node's `s6_order.js`: a resource with a nested one, every event, for hooks in `order`.
fn nested_lives(log: &Log, order: &[&str]) {
    let r1 = AsyncResource::new("test.Outer");
    let inner_id = r1.run_in_async_scope(|| {
        let inner = AsyncResource::new("test.Inner");
        inner.run_in_async_scope(|| {});
        inner.async_id() // dropped here: destroy
    });
    let names = [(r1.async_id(), "r1"), (inner_id, "inner")];
    drop(r1);
    let got = log.take(&names);
    let mut expected = Vec::new();
    for (event, name) in [
        ("init", "r1"),
        ("before", "r1"),
        ("init", "inner"),
        ("before", "inner"),
        ("after", "inner"),
        ("destroy", "inner"),
        ("after", "r1"),
        ("destroy", "r1"),
    ] {
        expected.extend(each(order, event, name));
    }
    assert_eq!(got, expected);
}

#[test]
fn hooks_are_called_in_enable_order_for_every_event() {
    // S9: enable order b, a, c; init, before, after and destroy all use it, never reversed.
    let log = Log::default();
    let a = create_hook(recorder("a", &log));
    let b = create_hook(recorder("b", &log));
    let c = create_hook(recorder("c", &log));
    b.enable();
    a.enable();
    c.enable();
    nested_lives(&log, &["b", "a", "c"]);

    // S9: disable + enable moves b to the end; enabling a again does not move a (S8).
    b.disable();
    b.enable();
    a.enable();
    a.enable();
    nested_lives(&log, &["a", "c", "b"]);

    a.disable();
    b.disable();
    c.disable();
}

#[test]
fn hooks_with_different_callbacks_keep_the_enable_order() {
    // S9: each event's hooks are those that have that callback, in enable order.
    let log = Log::default();
    let (lz1, lz2) = (log.clone(), log.clone());
    let z = create_hook(
        FnHook::new()
            .on_init(move |id, _, _, _| lz1.push("z", Event::Init, id))
            .on_destroy(move |id| lz2.push("z", Event::Destroy, id)),
    );
    let (lw1, lw2) = (log.clone(), log.clone());
    let w = create_hook(
        FnHook::new()
            .on_before(move |id| lw1.push("w", Event::Before, id))
            .on_after(move |id| lw2.push("w", Event::After, id)),
    );
    let lx = log.clone();
    let x = create_hook(FnHook::new().on_init(move |id, _, _, _| lx.push("x", Event::Init, id)));
    let y = create_hook(recorder("y", &log));
    z.enable();
    w.enable();
    x.enable();
    y.enable();
    assert_eq!(
        one_life(&log),
        [
            "z.init(r)",
            "x.init(r)",
            "y.init(r)",
            "w.before(r)",
            "y.before(r)",
            "w.after(r)",
            "y.after(r)",
            "z.destroy(r)",
            "y.destroy(r)",
        ]
    );

    // S9: z moves to the end for init and destroy alike.
    z.disable().enable();
    assert_eq!(
        one_life(&log),
        [
            "x.init(r)",
            "y.init(r)",
            "z.init(r)",
            "w.before(r)",
            "y.before(r)",
            "w.after(r)",
            "y.after(r)",
            "y.destroy(r)",
            "z.destroy(r)",
        ]
    );

    for h in [&w, &x, &y, &z] {
        h.disable();
    }
}

// ---------------------------------------------------------------------------------------
// S11

#[test]
fn a_hook_enabled_while_a_resource_lives_gets_its_later_events_without_init() {
    // S11: enabled between creation and the first run.
    let log = Log::default();
    let r = AsyncResource::new("test.Early");
    let hook = create_hook(recorder("h", &log));
    hook.enable();
    r.run_in_async_scope(|| {});
    r.run_in_async_scope(|| {});
    let names = [(r.async_id(), "r")];
    r.emit_destroy().unwrap();
    assert_eq!(
        log.take(&names),
        [
            "h.before(r)",
            "h.after(r)",
            "h.before(r)",
            "h.after(r)",
            "h.destroy(r)"
        ]
    );
    hook.disable();

    // S11: enabled inside two open scopes (not inside a callback): the hook gets both afters,
    // innermost first, without their befores or inits.
    let outer = AsyncResource::new("test.Outer");
    let inner = AsyncResource::new("test.Inner");
    outer.run_in_async_scope(|| {
        inner.run_in_async_scope(|| {
            hook.enable();
        })
    });
    let names = [(outer.async_id(), "outer"), (inner.async_id(), "inner")];
    drop(inner);
    drop(outer);
    assert_eq!(
        log.take(&names),
        [
            "h.after(inner)",
            "h.after(outer)",
            "h.destroy(inner)",
            "h.destroy(outer)"
        ]
    );
    hook.disable();
}

// ---------------------------------------------------------------------------------------
// S12

/// A hook that implements every method but registers only `init`.
struct InitOnly {
    log: Log,
    asked: Arc<AtomicUsize>,
}

impl Hook for InitOnly {
    fn init(&self, id: AsyncId, _ty: &str, _trigger: AsyncId, _res: &Resource) {
        self.log.push("i", Event::Init, id);
    }
    fn before(&self, id: AsyncId) {
        self.log.push("i", Event::Before, id);
    }
    fn after(&self, id: AsyncId) {
        self.log.push("i", Event::After, id);
    }
    fn destroy(&self, id: AsyncId) {
        self.log.push("i", Event::Destroy, id);
    }
    fn callbacks(&self) -> Callbacks {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Callbacks::INIT
    }
}

#[test]
fn only_registered_callbacks_are_called() {
    // S12: `Hook::callbacks` says INIT, so before/after/destroy are never called, even while
    // another hook makes those events dispatch.
    let log = Log::default();
    let asked = Arc::new(AtomicUsize::new(0));
    let init_only = create_hook(InitOnly {
        log: log.clone(),
        asked: asked.clone(),
    });
    assert_eq!(init_only.callbacks(), Callbacks::INIT);
    let all = create_hook(recorder("all", &log));
    init_only.enable();
    all.enable();
    assert_eq!(
        one_life(&log),
        [
            "i.init(r)",
            "all.init(r)",
            "all.before(r)",
            "all.after(r)",
            "all.destroy(r)"
        ]
    );

    // S12: alone, it still hears only init.
    all.disable();
    assert_eq!(one_life(&log), ["i.init(r)"]);

    // `callbacks` is read once, by `create_hook`.
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    init_only.disable();

    // S12: the same with an FnHook given only `on_init`.
    let l = log.clone();
    let fn_init =
        create_hook(FnHook::new().on_init(move |id, _, _, _| l.push("f", Event::Init, id)));
    assert_eq!(fn_init.callbacks(), Callbacks::INIT);
    assert_eq!(create_hook(recorder("x", &log)).callbacks(), Callbacks::ALL);
    fn_init.enable();
    assert_eq!(one_life(&log), ["f.init(r)"]);
    fn_init.disable();
}
