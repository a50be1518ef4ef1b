//! Every public constructor of the core, given bad arguments: each returns a clear error, or
//! panics as its documentation says with the same clear message, or accepts the value on
//! purpose (SPEC S4, S7, S17, S20). The audit of all three crates is in RELIABILITY.md.
//! Hooks are process-global: run with `cargo nextest`.

use std::panic;
use std::sync::{Arc, Mutex};

use async_hooks::{
    create_hook, execution_async_id, thread, AsyncHook, AsyncId, AsyncLocalStorage, AsyncResource,
    Callbacks, FnHook, Hook,
};

const EMPTY_TYPE: &str =
    "the resource type is empty: expected a non-empty type name such as \"my-crate.Query\"";

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce() + panic::UnwindSafe) -> String {
    let payload = panic::catch_unwind(f).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Events as (`'i'`nit / `'b'`efore / `'d'`estroy, id).
type Events = Arc<Mutex<Vec<(char, AsyncId)>>>;

/// Records init, before and destroy.
fn lifecycle() -> (AsyncHook, Events) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let (i, b, d) = (events.clone(), events.clone(), events.clone());
    let hook = create_hook(
        FnHook::new()
            .on_init(move |id, _, _, _| i.lock().unwrap().push(('i', id)))
            .on_before(move |id| b.lock().unwrap().push(('b', id)))
            .on_destroy(move |id| d.lock().unwrap().push(('d', id))),
    );
    hook.enable();
    (hook, events)
}

#[test]
fn an_empty_type_is_an_error_from_the_builder_and_a_documented_panic_elsewhere() {
    // S20: the builder returns the error; `new` and `with_trigger` panic with its message.
    let (hook, events) = lifecycle();
    let err = AsyncResource::builder("").build().unwrap_err();
    assert!(err.is_empty_type());
    assert!(!err.is_no_scope() && !err.is_already_destroyed());
    assert_eq!(err.to_string(), EMPTY_TYPE);
    let err = AsyncResource::builder(String::new()).build().unwrap_err();
    assert!(err.is_empty_type());

    assert_eq!(panic_message(|| drop(AsyncResource::new(""))), EMPTY_TYPE);
    assert_eq!(
        panic_message(|| drop(AsyncResource::with_trigger(String::new(), AsyncId::ROOT))),
        EMPTY_TYPE
    );
    hook.disable();
    // No resource was half-made: no id taken that a hook saw, no init, no destroy.
    assert!(events.lock().unwrap().is_empty(), "{:?}", events.lock());
}

#[test]
fn odd_but_valid_types_and_triggers_are_accepted() {
    // S4: any id may be named as trigger, including 0, the root and ids never seen; a type is
    // any non-empty string (Node checks no more).
    for trigger in [AsyncId::NONE, AsyncId::ROOT, AsyncId::new(u64::MAX)] {
        let r = AsyncResource::with_trigger("test.Odd", trigger);
        assert_eq!(r.trigger_async_id(), trigger);
        let b = AsyncResource::builder(" ")
            .trigger(trigger)
            .build()
            .unwrap();
        assert_eq!(
            (b.trigger_async_id(), b.resource().resource_type()),
            (trigger, " ")
        );
    }
    let long = "x".repeat(1 << 16);
    let r = AsyncResource::builder(long.clone()).build().unwrap();
    assert_eq!(r.resource().resource_type(), long);
    let r = AsyncResource::new("test.\u{0}nul\u{1F600}");
    assert_eq!(r.resource().resource_type(), "test.\u{0}nul\u{1F600}");
    assert_eq!(AsyncId::new(u64::MAX).as_u64(), u64::MAX);
}

#[test]
fn a_second_destroy_is_an_error_never_a_second_event() {
    // S17, S20, also for a resource built with `require_manual_destroy`.
    let (hook, events) = lifecycle();
    let r = AsyncResource::builder("test.Manual")
        .require_manual_destroy(true)
        .build()
        .unwrap();
    let id = r.async_id();
    r.emit_destroy().unwrap();
    let err = r.emit_destroy().unwrap_err();
    assert!(err.is_already_destroyed());
    assert_eq!(
        err.to_string(),
        format!(
            "emit_destroy for resource {id}, which was already destroyed: expected at most \
             one destroy per resource"
        )
    );
    drop(r);
    hook.disable();
    let destroys = events.lock().unwrap().iter().filter(|e| e.0 == 'd').count();
    assert_eq!(destroys, 1);
}

#[test]
fn emit_after_with_no_scope_open_is_an_error() {
    // S20; with a scope of another resource open it is S16 (fatal, tests/fatal.rs).
    let r = AsyncResource::new("test.NoScope");
    let err = r.emit_after().unwrap_err();
    assert!(err.is_no_scope());
    assert!(
        err.to_string().contains(&format!(
            "emit_after for resource {}, but no scope is open on this thread",
            r.async_id()
        )),
        "{err}"
    );
    let err = r.emit_after_taking_context().unwrap_err();
    assert!(err.is_no_scope());
    assert_eq!(execution_async_id(), AsyncId::ROOT);
}

struct NoCallbacks;

impl Hook for NoCallbacks {
    fn callbacks(&self) -> Callbacks {
        Callbacks::NONE
    }
}

#[test]
fn a_hook_with_no_callbacks_is_valid_and_costs_nothing() {
    // S7: every callback is optional; S8: enable and disable chain and are idempotent.
    for hook in [create_hook(FnHook::new()), create_hook(NoCallbacks)] {
        assert!(hook.callbacks().is_empty());
        assert!(hook.enable().enable().is_enabled());
        drop(AsyncResource::new("test.Unheard"));
        assert!(!hook.disable().disable().is_enabled());
    }
}

#[test]
fn async_local_storage_needs_no_arguments() {
    // S30: `new` is `const` and cannot fail.
    static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    assert_eq!(STORE.get(), None);
    assert_eq!(STORE.run(7, || STORE.get()), Some(7));
}

#[test]
fn a_thread_that_cannot_be_spawned_is_an_io_error_and_its_resource_ends_once() {
    // `thread::spawn_with` returns the `Builder`'s error; the thread resource, already
    // created, is destroyed exactly once and never entered (S15: zero runs, S17).
    let (hook, events) = lifecycle();
    let impossible = std::thread::Builder::new().stack_size(1 << 50); // a PiB of stack
    let err = thread::spawn_with(impossible, || ()).unwrap_err();
    hook.disable();
    assert!(!err.to_string().is_empty());
    let events = events.lock().unwrap().clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        (events[0].0, events[1].0, events[0].1),
        ('i', 'd', events[1].1)
    );
}
