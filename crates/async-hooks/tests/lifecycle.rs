//! The life of one resource, the embedder API and its errors (SPEC S14, S15, S17, S18, S20,
//! S22–S29).
//!
//! Hooks are process-global: run with `cargo nextest` (one process per test). Each test also
//! looks only at the events of the resources it made.

use std::borrow::Cow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use async_hooks::{
    create_hook, execution_async_id, execution_async_resource, scope_depth, trigger_async_id,
    AsyncHook, AsyncId, AsyncLocalStorage, AsyncResource, Error, FnHook,
};

// ---------------------------------------------------------------------------------------------
// A hook that records every event with the context it ran in.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Init,
    Before,
    After,
    Destroy,
}

#[derive(Clone, Debug)]
struct Event {
    kind: Kind,
    id: AsyncId,
    /// `init` only.
    ty: Option<String>,
    /// `init` only: the trigger argument.
    trigger: Option<AsyncId>,
    /// `execution_async_id()` inside the callback.
    eid: AsyncId,
    /// `trigger_async_id()` inside the callback.
    tid: AsyncId,
    thread: ThreadId,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Event>>>);

impl Recorder {
    /// A recorder and its hook, enabled.
    fn enabled() -> (Recorder, AsyncHook) {
        let rec = Recorder::default();
        let hook = create_hook(rec.hook());
        hook.enable();
        (rec, hook)
    }

    fn hook(&self) -> FnHook {
        let (i, b, a, d) = (self.clone(), self.clone(), self.clone(), self.clone());
        FnHook::new()
            .on_init(move |id, ty, trigger, _| {
                i.push(Kind::Init, id, Some(ty.to_owned()), Some(trigger))
            })
            .on_before(move |id| b.push(Kind::Before, id, None, None))
            .on_after(move |id| a.push(Kind::After, id, None, None))
            .on_destroy(move |id| d.push(Kind::Destroy, id, None, None))
    }

    fn push(&self, kind: Kind, id: AsyncId, ty: Option<String>, trigger: Option<AsyncId>) {
        let event = Event {
            kind,
            id,
            ty,
            trigger,
            eid: execution_async_id(),
            tid: trigger_async_id(),
            thread: thread::current().id(),
        };
        self.0.lock().unwrap().push(event);
    }

    /// The events of the resources in `ids`, in order.
    fn of(&self, ids: &[AsyncId]) -> Vec<Event> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|e| ids.contains(&e.id))
            .cloned()
            .collect()
    }

    /// `(kind, id)` of the resources in `ids`, in order.
    fn kinds(&self, ids: &[AsyncId]) -> Vec<(Kind, AsyncId)> {
        self.of(ids).iter().map(|e| (e.kind, e.id)).collect()
    }

    fn count(&self, kind: Kind, id: AsyncId) -> usize {
        self.of(&[id]).iter().filter(|e| e.kind == kind).count()
    }

    /// The `init`s of type `ty`.
    fn of_type(&self, ty: &str) -> Vec<Event> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|e| e.kind == Kind::Init && e.ty.as_deref() == Some(ty))
            .cloned()
            .collect()
    }
}

use Kind::{After, Before, Destroy, Init};

// ---------------------------------------------------------------------------------------------
// S14: init

#[test]
fn init_runs_synchronously_on_the_creating_thread() {
    // S14
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::new("test.Sync");
    // Already recorded when the constructor has returned, before anything else ran.
    let events = rec.of(&[r.async_id()]);
    assert_eq!(events.len(), 1, "{events:?}");
    let init = &events[0];
    assert_eq!(init.kind, Init);
    assert_eq!(init.thread, thread::current().id());
    // Inside `init`, the context is still the creator's: the root here.
    assert_eq!((init.eid, init.tid), (AsyncId::ROOT, AsyncId::NONE));

    // Created inside another resource's scope: `init` sees that scope as the current one.
    let parent = AsyncResource::with_trigger("test.Parent", AsyncId::new(4242));
    let child = parent.run_in_async_scope(|| AsyncResource::new("test.Child"));
    let init = &rec.of(&[child.async_id()])[0];
    assert_eq!(init.eid, parent.async_id());
    assert_eq!(init.tid, AsyncId::new(4242));

    // Created on another thread: `init` runs on that thread.
    let (id, spawned) = thread::spawn(|| {
        let r = AsyncResource::new("test.OtherThread");
        (r.async_id(), thread::current().id())
    })
    .join()
    .unwrap();
    let init = &rec.of(&[id])[0];
    assert_eq!(init.kind, Init);
    assert_eq!(init.thread, spawned);
    assert_ne!(init.thread, thread::current().id());
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S15: before/after

#[test]
fn before_and_after_bracket_each_run_in_the_resources_context() {
    // S15
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::with_trigger("test.Runs", AsyncId::new(99));
    let id = r.async_id();
    for _ in 0..3 {
        r.run_in_async_scope(|| {
            // The code runs between `before` and `after`.
            assert_eq!(rec.kinds(&[id]).last(), Some(&(Before, id)));
        });
    }
    drop(r);
    assert_eq!(
        rec.kinds(&[id]),
        [
            (Init, id),
            (Before, id),
            (After, id),
            (Before, id),
            (After, id),
            (Before, id),
            (After, id),
            (Destroy, id),
        ]
    );
    for e in rec.of(&[id]) {
        if matches!(e.kind, Before | After) {
            assert_eq!(e.eid, id, "{e:?}");
            assert_eq!(e.tid, AsyncId::new(99), "{e:?}");
        }
    }
    hook.disable();
}

#[test]
fn a_resource_may_never_run() {
    // S15: created, then cancelled.
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::new("test.Cancelled");
    let id = r.async_id();
    drop(r);
    assert_eq!(rec.kinds(&[id]), [(Init, id), (Destroy, id)]);
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S17: exactly one destroy

#[test]
fn explicit_destroy_then_drop_gives_one_event() {
    // S17
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::new("test.Explicit");
    let id = r.async_id();
    r.emit_destroy().unwrap();
    assert!(r.is_destroyed());
    assert_eq!(rec.count(Destroy, id), 1);
    drop(r);
    assert_eq!(rec.count(Destroy, id), 1, "the drop must not destroy again");
    hook.disable();
}

#[test]
fn second_emit_destroy_is_an_error_not_an_event() {
    // S17, S20
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::new("test.Twice");
    let id = r.async_id();
    r.emit_destroy().unwrap();
    let err: Error = r.emit_destroy().unwrap_err();
    assert!(err.is_already_destroyed());
    assert!(!err.is_no_scope() && !err.is_empty_type());
    assert_eq!(err.async_id(), Some(id));
    let msg = err.to_string();
    assert!(msg.contains(&id.to_string()), "{msg}");
    assert!(msg.contains("already destroyed"), "{msg}");
    assert!(msg.contains("expected"), "{msg}");
    drop(r);
    assert_eq!(rec.count(Destroy, id), 1);
    hook.disable();
}

#[test]
fn require_manual_destroy_only_destroys_on_request() {
    // S17
    let (rec, hook) = Recorder::enabled();
    let dropped = AsyncResource::builder("test.Manual")
        .require_manual_destroy(true)
        .build()
        .unwrap();
    let dropped_id = dropped.async_id();
    drop(dropped);
    assert_eq!(rec.kinds(&[dropped_id]), [(Init, dropped_id)]);

    let explicit = AsyncResource::builder("test.Manual")
        .require_manual_destroy(true)
        .build()
        .unwrap();
    let id = explicit.async_id();
    explicit.emit_destroy().unwrap();
    assert!(explicit.emit_destroy().unwrap_err().is_already_destroyed());
    drop(explicit);
    assert_eq!(rec.kinds(&[id]), [(Init, id), (Destroy, id)]);
    hook.disable();
}

#[test]
fn bind_and_snapshot_resources_are_destroyed_on_drop() {
    // S17
    let (rec, hook) = Recorder::enabled();

    let r = AsyncResource::new("test.BoundThenDropped");
    let id = r.async_id();
    let mut bound = r.bind(execution_async_id);
    assert_eq!(bound(), id);
    assert_eq!(rec.count(Destroy, id), 0);
    drop(bound);
    assert_eq!(rec.count(Destroy, id), 1);

    let store = AsyncLocalStorage::new();
    let mut bound = store.run(5u8, || {
        async_hooks::bind(|| (execution_async_id(), store.get()))
    });
    let (bound_id, value) = bound();
    assert_eq!(value, Some(5));
    assert_eq!(
        rec.of(&[bound_id])[0].ty.as_deref(),
        Some("bound-anonymous-fn")
    );
    drop(bound);
    assert_eq!(rec.kinds(&[bound_id]).last(), Some(&(Destroy, bound_id)));
    assert_eq!(rec.count(Destroy, bound_id), 1);

    let snap = async_hooks::snapshot();
    let snap_id = snap.resource().async_id();
    assert_eq!(snap.run(execution_async_id), snap_id);
    drop(snap);
    assert_eq!(
        rec.kinds(&[snap_id]),
        [
            (Init, snap_id),
            (Before, snap_id),
            (After, snap_id),
            (Destroy, snap_id)
        ]
    );
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S18: destroy is synchronous and context-free

#[test]
fn destroy_is_synchronous_with_no_context() {
    // S18
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::new("test.Sync");
    let id = r.async_id();
    drop(r);
    // Seen before `drop` returned, on this thread.
    let d = rec.of(&[id]).pop().unwrap();
    assert_eq!(d.kind, Destroy);
    assert_eq!(d.thread, thread::current().id());
    assert_eq!((d.eid, d.tid), (AsyncId::NONE, AsyncId::NONE));

    // Ended inside another resource's scope: still (0, 0) inside destroy, and the scope's own
    // context is back afterwards.
    let outer = AsyncResource::with_trigger("test.Outer", AsyncId::new(31));
    let victim = AsyncResource::new("test.Victim");
    let victim_id = victim.async_id();
    outer.run_in_async_scope(|| {
        victim.emit_destroy().unwrap();
        assert_eq!(execution_async_id(), outer.async_id());
        assert_eq!(trigger_async_id(), AsyncId::new(31));
        assert_eq!(execution_async_resource().async_id(), outer.async_id());
    });
    let d = rec.of(&[victim_id]).pop().unwrap();
    assert_eq!(d.kind, Destroy);
    assert_eq!((d.eid, d.tid), (AsyncId::NONE, AsyncId::NONE));
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S20: misuse

const EMPTY_TYPE_MESSAGE: &str =
    "the resource type is empty: expected a non-empty type name such as \"my-crate.Query\"";

#[test]
fn empty_type_is_a_builder_error() {
    // S20
    let err = AsyncResource::builder("").build().unwrap_err();
    assert!(err.is_empty_type());
    assert!(!err.is_no_scope() && !err.is_already_destroyed());
    assert_eq!(err.async_id(), None);
    assert_eq!(err.to_string(), EMPTY_TYPE_MESSAGE);
    // Owned strings too.
    let err = AsyncResource::builder(String::new()).build().unwrap_err();
    assert!(err.is_empty_type());
}

#[test]
fn empty_type_panics_in_the_plain_constructors() {
    // S20
    for make in [
        (|| drop(AsyncResource::new(""))) as fn(),
        || drop(AsyncResource::new(String::new())),
        || drop(AsyncResource::with_trigger("", AsyncId::ROOT)),
    ] {
        let payload = panic::catch_unwind(make).unwrap_err();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap();
        assert_eq!(message, EMPTY_TYPE_MESSAGE);
    }
}

#[test]
fn emit_after_with_no_scope_open_is_an_error() {
    // S20
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::new("test.NoScope");
    let id = r.async_id();
    let err = r.emit_after().unwrap_err();
    assert!(err.is_no_scope());
    assert_eq!(err.async_id(), Some(id));
    let msg = err.to_string();
    assert!(msg.contains("no scope is open"), "{msg}");
    assert!(msg.contains("expected"), "{msg}");
    // No `after` was dispatched, and the context is untouched.
    assert_eq!(rec.count(After, id), 0);
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    assert_eq!(scope_depth(), 0);
    // The resource still works afterwards.
    r.emit_before();
    r.emit_after().unwrap();
    assert_eq!(rec.kinds(&[id]), [(Init, id), (Before, id), (After, id)]);
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S22, S23: constructors and ids

#[test]
fn new_uses_the_default_trigger_and_with_trigger_the_given_one() {
    // S22
    let (rec, hook) = Recorder::enabled();
    let parent = AsyncResource::new("test.Parent");
    let child = parent.run_in_async_scope(|| AsyncResource::new("test.Child"));
    let named = parent
        .run_in_async_scope(|| AsyncResource::with_trigger("test.Named", AsyncId::new(123_456)));
    let init = |id| rec.of(&[id])[0].clone();
    assert_eq!(init(parent.async_id()).trigger, Some(AsyncId::ROOT));
    assert_eq!(init(child.async_id()).trigger, Some(parent.async_id()));
    assert_eq!(init(named.async_id()).trigger, Some(AsyncId::new(123_456)));
    assert_eq!(init(named.async_id()).kind, Init);
    hook.disable();
}

#[test]
fn ids_are_fixed_at_creation() {
    // S23
    let r = Arc::new(AsyncResource::with_trigger("test.Fixed", AsyncId::new(8)));
    let (id, trigger) = (r.async_id(), r.trigger_async_id());
    assert_eq!(trigger, AsyncId::new(8));
    let other = AsyncResource::new("test.Other");
    other.run_in_async_scope(|| {
        r.run_in_async_scope(|| {
            assert_eq!((r.async_id(), r.trigger_async_id()), (id, trigger));
        });
    });
    let r2 = r.clone();
    let seen = thread::spawn(move || (r2.async_id(), r2.trigger_async_id()))
        .join()
        .unwrap();
    assert_eq!(seen, (id, trigger));
    r.emit_destroy().unwrap();
    assert_eq!((r.async_id(), r.trigger_async_id()), (id, trigger));
    assert_eq!(r.resource().async_id(), id);
    assert_eq!(r.resource().trigger_async_id(), trigger);
}

// ---------------------------------------------------------------------------------------------
// S24: run_in_async_scope

#[test]
fn run_in_async_scope_returns_fs_value() {
    // S24
    let r = AsyncResource::new("test.Returns");
    let owned: String = r.run_in_async_scope(|| format!("ran in {}", execution_async_id()));
    assert_eq!(owned, format!("ran in {}", r.async_id()));
    let result: Result<u8, &str> = r.run_in_async_scope(|| Err("no"));
    assert_eq!(result, Err("no"));
    let moved = vec![1, 2, 3];
    assert_eq!(r.run_in_async_scope(move || moved), [1, 2, 3]);
}

#[test]
fn after_runs_when_f_panics() {
    // S24
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::new("test.Panics");
    let id = r.async_id();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        r.run_in_async_scope(|| -> () { panic!("user code failed") })
    }));
    assert!(caught.is_err());
    assert_eq!(rec.kinds(&[id]), [(Init, id), (Before, id), (After, id)]);
    let after = rec.of(&[id]).pop().unwrap();
    assert_eq!(after.eid, id, "after still runs in the resource's context");
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    assert_eq!(scope_depth(), 0);
    hook.disable();
}

/// Opens one scope per level, each of a new resource created in the scope above.
fn nest(level: usize, max: usize, deepest: &mut Option<(usize, AsyncId, AsyncId)>) {
    let r = AsyncResource::new("test.Nested");
    let parent = execution_async_id();
    assert_eq!(r.trigger_async_id(), parent);
    r.run_in_async_scope(|| {
        assert_eq!(execution_async_id(), r.async_id());
        if level == max {
            *deepest = Some((scope_depth(), execution_async_id(), trigger_async_id()));
        } else {
            nest(level + 1, max, deepest);
        }
        // The inner scopes have unwound back to this one.
        assert_eq!(execution_async_id(), r.async_id());
        assert_eq!(trigger_async_id(), parent);
        assert_eq!(scope_depth(), level);
    });
}

#[test]
fn ten_thousand_nested_scopes() {
    // S24
    const DEPTH: usize = 10_000;
    let (rec, hook) = Recorder::enabled();
    let deepest = thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let mut deepest = None;
            nest(1, DEPTH, &mut deepest);
            assert_eq!(scope_depth(), 0);
            assert_eq!(execution_async_id(), AsyncId::ROOT);
            assert_eq!(trigger_async_id(), AsyncId::NONE);
            deepest
        })
        .unwrap()
        .join()
        .unwrap();
    let (depth, id, trigger) = deepest.unwrap();
    assert_eq!(depth, DEPTH);
    assert_eq!(
        id.as_u64(),
        trigger.as_u64() + 1,
        "each level triggered by the one above"
    );
    let nested: Vec<AsyncId> = rec
        .of_type("test.Nested")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(nested.len(), DEPTH);
    for kind in [Init, Before, After, Destroy] {
        let n = rec.of(&nested).iter().filter(|e| e.kind == kind).count();
        assert_eq!(n, DEPTH, "{kind:?} events");
    }
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S25: the guard form

// The guard's `!Send` half of S25 is the `compile_fail` doctest on `ScopeGuard` in
// `src/async_resource.rs` (sending a guard to `std::thread::spawn` does not compile).
#[test]
fn guard_enters_and_restores_exactly_what_it_replaced() {
    // S25
    let (rec, hook) = Recorder::enabled();
    let outer = AsyncResource::with_trigger("test.Outer", AsyncId::new(50));
    let inner = AsyncResource::with_trigger("test.Inner", AsyncId::new(60));
    let (o, i) = (outer.async_id(), inner.async_id());
    {
        let _outer = outer.enter();
        assert_eq!(
            (execution_async_id(), trigger_async_id()),
            (o, AsyncId::new(50))
        );
        {
            let _inner = inner.enter();
            assert_eq!(
                (execution_async_id(), trigger_async_id()),
                (i, AsyncId::new(60))
            );
            assert_eq!(execution_async_resource().async_id(), i);
            assert_eq!(scope_depth(), 2);
        }
        assert_eq!(
            (execution_async_id(), trigger_async_id()),
            (o, AsyncId::new(50))
        );
        assert_eq!(execution_async_resource().async_id(), o);
    }
    assert_eq!(
        (execution_async_id(), trigger_async_id()),
        (AsyncId::ROOT, AsyncId::NONE)
    );
    assert!(execution_async_resource().is_root());
    assert_eq!(
        rec.kinds(&[o, i])[2..],
        [(Before, o), (Before, i), (After, i), (After, o)]
    );
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S26: emit_before / emit_after

#[test]
fn emit_before_and_after_nest() {
    // S26
    let (rec, hook) = Recorder::enabled();
    let a = AsyncResource::new("test.A");
    let b = AsyncResource::new("test.B");
    let (ia, ib) = (a.async_id(), b.async_id());
    a.emit_before();
    assert_eq!(execution_async_id(), ia);
    b.emit_before();
    assert_eq!(
        (execution_async_id(), trigger_async_id()),
        (ib, AsyncId::ROOT)
    );
    assert_eq!(scope_depth(), 2);
    b.emit_after().unwrap();
    assert_eq!(execution_async_id(), ia);
    // The same resource may be entered again while it is open (re-entrancy).
    a.emit_before();
    assert_eq!(scope_depth(), 2);
    a.emit_after().unwrap();
    a.emit_after().unwrap();
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    assert_eq!(scope_depth(), 0);
    assert_eq!(
        rec.kinds(&[ia, ib])[2..],
        [
            (Before, ia),
            (Before, ib),
            (After, ib),
            (Before, ia),
            (After, ia),
            (After, ia)
        ]
    );
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S27: bind

#[test]
fn bind_runs_every_call_in_scope_and_creates_nothing() {
    // S27
    let (rec, hook) = Recorder::enabled();
    let r = AsyncResource::with_trigger("test.Bound", AsyncId::new(77));
    let id = r.async_id();
    let mut calls = 0;
    let mut bound = r.bind(move || {
        calls += 1;
        (calls, execution_async_id(), trigger_async_id())
    });
    let inits_before = rec.of_type("test.Bound").len();
    for n in 1..=3 {
        assert_eq!(bound(), (n, id, AsyncId::new(77)));
        assert_eq!(execution_async_id(), AsyncId::ROOT);
    }
    // Called from inside another scope: still the bound resource's scope.
    let other = AsyncResource::new("test.Other");
    assert_eq!(other.run_in_async_scope(&mut bound).1, id);
    assert_eq!(rec.of_type("test.Bound").len(), inits_before);
    assert_eq!(inits_before, 1);
    assert_eq!(rec.count(Init, id), 1);
    assert_eq!(rec.count(Before, id), 4);
    assert_eq!(rec.count(After, id), 4);
    hook.disable();
}

// ---------------------------------------------------------------------------------------------
// S28: payloads and execution_async_resource

#[derive(Debug, PartialEq)]
struct Query {
    sql: String,
}

#[test]
fn payload_is_read_in_init_and_in_scope() {
    // S28
    type Seen = Vec<(AsyncId, Option<String>)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let log = seen.clone();
    let hook = create_hook(FnHook::new().on_init(move |id, _, _, res| {
        let sql = res.payload::<Query>().map(|q| q.sql.clone());
        log.lock().unwrap().push((id, sql));
    }));
    hook.enable();
    let query = AsyncResource::builder("my-db.Query")
        .payload(Query {
            sql: "SELECT 1".into(),
        })
        .build()
        .unwrap();
    let plain = AsyncResource::new("test.Plain");
    hook.disable();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (query.async_id(), Some("SELECT 1".to_owned())),
            (plain.async_id(), None)
        ]
    );
    assert_eq!(
        query.payload::<Query>().map(|q| q.sql.as_str()),
        Some("SELECT 1")
    );
    assert_eq!(
        query.payload::<String>(),
        None,
        "a downcast to the wrong type fails"
    );

    query.run_in_async_scope(|| {
        let now = execution_async_resource();
        assert!(!now.is_root());
        assert_eq!(now.async_id(), query.async_id());
        assert_eq!(now.resource_type(), "my-db.Query");
        assert_eq!(
            now.payload::<Query>().map(|q| q.sql.as_str()),
            Some("SELECT 1")
        );
        plain.run_in_async_scope(|| {
            let now = execution_async_resource();
            assert_eq!(now.async_id(), plain.async_id());
            assert!(now.payload_any().is_none());
        });
        assert_eq!(
            execution_async_resource().payload::<Query>(),
            Some(&Query {
                sql: "SELECT 1".into()
            })
        );
    });
}

#[test]
fn execution_async_resource_at_the_root_is_the_shared_root() {
    // S28
    let root = execution_async_resource();
    assert!(root.is_root());
    assert_eq!(root.async_id(), AsyncId::ROOT);
    assert_eq!(root.trigger_async_id(), AsyncId::NONE);
    assert_eq!(root.resource_type(), "ROOT");
    assert!(root.payload_any().is_none());
    let on_thread = thread::spawn(|| {
        let r = execution_async_resource();
        (r.is_root(), r.async_id(), r.resource_type().to_owned())
    })
    .join()
    .unwrap();
    assert_eq!(on_thread, (true, AsyncId::ROOT, "ROOT".to_owned()));
    // Back to the root after a scope.
    AsyncResource::new("test.X")
        .run_in_async_scope(|| assert!(!execution_async_resource().is_root()));
    assert!(execution_async_resource().is_root());
}

// ---------------------------------------------------------------------------------------------
// S29: types

#[test]
fn type_strings_reach_hooks_unchanged() {
    // S29
    let (rec, hook) = Recorder::enabled();
    let n = 3;
    let resources = [
        AsyncResource::new("my-crate.Job"),
        AsyncResource::new(format!("my-crate.Queue{n}")),
        AsyncResource::new(Arc::<str>::from("my-crate.Shared")),
        AsyncResource::new(Cow::<'static, str>::Owned("my-crate.Cow".into())),
        AsyncResource::new(" spaced  type\twith tab "),
        AsyncResource::new("ünïcødé.Тип.型"),
        AsyncResource::new("TCPWRAP"),
        AsyncResource::builder(String::from("my-crate.Built"))
            .build()
            .unwrap(),
    ];
    let expected = [
        "my-crate.Job",
        "my-crate.Queue3",
        "my-crate.Shared",
        "my-crate.Cow",
        " spaced  type\twith tab ",
        "ünïcødé.Тип.型",
        "TCPWRAP",
        "my-crate.Built",
    ];
    for (r, ty) in resources.iter().zip(expected) {
        let init = &rec.of(&[r.async_id()])[0];
        assert_eq!(init.ty.as_deref(), Some(ty));
        assert_eq!(r.resource().resource_type(), ty);
        r.run_in_async_scope(|| assert_eq!(execution_async_resource().resource_type(), ty));
    }
    hook.disable();
}
