//! Async-local storage: `AsyncLocalStorage`, `snapshot`, `bind`, the future wrappers and
//! `thread::spawn` (SPEC S30–S33).
//!
//! The scenarios of Node's `test-async-local-storage-*` tests, ported to the semantics this crate
//! documents (`docs::node_compat`, Node 24's `AsyncContextFrame` model): `enter_with` lasts until
//! the current scope ends, and `disable()` hides every earlier value everywhere, for good.
//!
//! Tests that set values at a thread's top level run on a fresh thread (`isolated`), so they
//! pass under `cargo test` as well as under `cargo nextest`. Futures are driven by a hand-written
//! `block_on`: the core depends on no runtime.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use async_hooks::future::FutureExt;
use async_hooks::{
    bind, create_hook, execution_async_id, execution_async_resource, scope_depth, snapshot, thread,
    trigger_async_id, AsyncId, AsyncLocalStorage, AsyncResource, FnHook,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs `f` on a fresh thread (a clean top-level context) and propagates its panic.
fn isolated<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    match std::thread::spawn(f).join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Polls `f` once with a no-op waker. (`Waker::noop` is newer than the crate's MSRV; only
/// the tests use it.)
#[allow(clippy::incompatible_msrv)]
fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Drives `f` to completion on this thread; enough for futures that only wait on `yield_once`.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = poll_once(f.as_mut()) {
            return v;
        }
    }
}

/// A future that is `Pending` once, then `Ready`: an `.await` that really suspends.
fn yield_once() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |_| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            Poll::Pending
        }
    })
}

/// A store value that counts its drops.
#[derive(Debug)]
struct Tracked {
    tag: String,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn tracked(tag: &str) -> (Tracked, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let value = Tracked {
        tag: tag.to_owned(),
        drops: drops.clone(),
    };
    (value, drops)
}

fn drops(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

/// Allocates and frees a lot, so that memory freed too early would likely be reused.
fn churn_heap() {
    let junk: Vec<String> = (0..256).map(|i| format!("junk-{i:0>32}")).collect();
    assert_eq!(junk.len(), 256);
}

// ---------------------------------------------------------------------------------------------
// S30: run / get / with / exit / enter_with / disable / bind / snapshot
// ---------------------------------------------------------------------------------------------

#[test]
fn run_and_exit_pass_return_values_through() {
    // S30 (Node: test-async-local-storage-args)
    static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    assert_eq!(STORE.get(), None);
    let from_run = STORE.run("foo", || {
        assert_eq!(STORE.get(), Some("foo"));
        let from_exit = STORE.exit(|| {
            assert_eq!(STORE.get(), None);
            "bar"
        });
        (STORE.get(), from_exit)
    });
    assert_eq!(from_run, (Some("foo"), "bar"));
    assert_eq!(STORE.get(), None);
    // `exit` with nothing set is a plain call.
    assert_eq!(STORE.exit(|| 5), 5);
}

#[test]
fn nested_runs_restore_the_outer_value() {
    // S30 (Node: test-async-local-storage-nested)
    let store = AsyncLocalStorage::new();
    store.run("outer", || {
        assert_eq!(store.get(), Some("outer"));
        store.run("inner", || assert_eq!(store.get(), Some("inner")));
        assert_eq!(store.get(), Some("outer"));
        store.exit(|| {
            assert_eq!(store.get(), None);
            store.run("inside exit", || {
                assert_eq!(store.get(), Some("inside exit"))
            });
            assert_eq!(store.get(), None);
        });
        assert_eq!(store.get(), Some("outer"));
    });
    assert_eq!(store.get(), None);
}

#[test]
fn run_restores_the_outer_value_when_the_closure_panics() {
    // S30
    let store = AsyncLocalStorage::new();
    store.run(1, || {
        let caught = catch_unwind(AssertUnwindSafe(|| store.run(2, || panic!("boom"))));
        assert!(caught.is_err());
        assert_eq!(store.get(), Some(1));
    });
    assert_eq!(store.get(), None);
}

#[test]
fn any_type_is_a_store() {
    // S30 (Node: test-async-local-storage-misc-stores)
    let text = AsyncLocalStorage::new();
    text.run(String::from("hello node"), || {
        assert_eq!(text.get().as_deref(), Some("hello node"));
    });

    // Zero and "no value inside" are values, distinct from "not set".
    let zero = AsyncLocalStorage::new();
    zero.run(0u8, || assert_eq!(zero.get(), Some(0)));
    let maybe: AsyncLocalStorage<Option<u8>> = AsyncLocalStorage::new();
    maybe.run(None, || assert_eq!(maybe.get(), Some(None)));
    assert_eq!(maybe.get(), None);

    // The same object comes back, not a copy (Node: `===`).
    let shared = AsyncLocalStorage::new();
    let object = Arc::new(Mutex::new(vec![1, 2]));
    shared.run(object.clone(), || {
        let got = shared.get().unwrap();
        assert!(Arc::ptr_eq(&got, &object));
        got.lock().unwrap().push(3);
    });
    assert_eq!(*object.lock().unwrap(), [1, 2, 3]);

    // A value that is not `Clone` is read in place with `with`.
    struct NotClone(u32);
    let borrowed = AsyncLocalStorage::new();
    borrowed.run(NotClone(41), || {
        assert_eq!(borrowed.with(|v| v.map(|v| v.0 + 1)), Some(42));
    });
    assert!(borrowed.with(|v| v.is_none()));
}

#[test]
fn with_reads_the_current_value_by_reference() {
    // S30
    let store = AsyncLocalStorage::new();
    assert_eq!(store.with(|v: Option<&String>| v.cloned()), None); // never set
    store.run(String::from("tenant-a"), || {
        let ptr_a = store.with(|v| v.map(|s| s.as_ptr()));
        let ptr_b = store.with(|v| v.map(|s| s.as_ptr()));
        assert!(ptr_a.is_some());
        assert_eq!(
            ptr_a, ptr_b,
            "`with` lends the stored value, it does not clone it"
        );
        assert_eq!(store.with(|v| v.map(String::len)), Some(8));
    });
    assert_eq!(store.with(|v| v.cloned()), None); // set once, not now
}

#[test]
fn enter_with_at_top_level_lasts_for_the_thread_and_is_not_a_stack() {
    // S30 (Node: enterWith at top level, nodejs/node#36683)
    isolated(|| {
        static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
        STORE.enter_with(1);
        assert_eq!(STORE.get(), Some(1));
        STORE.enter_with(2);
        assert_eq!(STORE.get(), Some(2));
        STORE.exit(|| assert_eq!(STORE.get(), None));
        assert_eq!(
            STORE.get(),
            Some(2),
            "exit restores the last value, not a stack"
        );
        STORE.run(3, || assert_eq!(STORE.get(), Some(3)));
        assert_eq!(STORE.get(), Some(2));
        // Code at the top level later on sees it, and so does what it creates.
        let later = AsyncResource::new("test.Later");
        STORE.enter_with(4);
        later.run_in_async_scope(|| assert_eq!(STORE.get(), Some(2)));
        assert_eq!(STORE.get(), Some(4));
    });
    // Another thread's top level never saw it.
    static OTHER: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    isolated(|| OTHER.enter_with(9));
    isolated(|| assert_eq!(OTHER.get(), None));
}

#[test]
fn enter_with_lasts_until_the_resource_scope_ends() {
    // S30, S31 (Node: test/async-hooks/test-async-local-storage-enter-with)
    let store = AsyncLocalStorage::new();
    let immediate = AsyncResource::new("test.Immediate");
    let sibling = AsyncResource::new("test.SiblingTimeout");
    let timeout = immediate.run_in_async_scope(|| {
        assert_eq!(store.get(), None);
        store.enter_with("store");
        assert_eq!(store.get(), Some("store"));
        // A resource created after `enter_with` in this scope captures the value.
        let timeout = AsyncResource::new("test.Timeout");
        assert_eq!(store.get(), Some("store"));
        timeout
    });
    assert_eq!(store.get(), None, "the value ended with the scope");
    sibling.run_in_async_scope(|| assert_eq!(store.get(), None));
    timeout.run_in_async_scope(|| assert_eq!(store.get(), Some("store")));
    // Running the scope again starts from the resource's captured context.
    immediate.run_in_async_scope(|| assert_eq!(store.get(), None));
}

#[test]
fn enter_with_inside_run_ends_with_the_run() {
    // S30: the innermost open scope (here the enclosing `run`) bounds `enter_with`.
    let a = AsyncLocalStorage::new();
    let b = AsyncLocalStorage::new();
    a.run(1, || {
        a.enter_with(2);
        b.enter_with("b");
        assert_eq!((a.get(), b.get()), (Some(2), Some("b")));
    });
    assert_eq!((a.get(), b.get()), (None, None));

    // Inside a guard's scope too.
    let res = AsyncResource::new("test.Guarded");
    {
        let _scope = res.enter();
        a.enter_with(3);
        assert_eq!(a.get(), Some(3));
    }
    assert_eq!(a.get(), None);
}

#[test]
fn disable_hides_values_in_every_context_that_captured_them() {
    // S30 (Node: test-async-local-storage-enable-disable)
    static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    STORE.run("foo=bar", || {
        let tick = AsyncResource::new("test.Tick");
        tick.run_in_async_scope(|| assert_eq!(STORE.get(), Some("foo=bar")));
        let tick2 = AsyncResource::new("test.Tick2"); // scheduled before `disable`
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let thread_before = thread::spawn(move || {
            wait.recv().unwrap(); // reads only after `disable`
            STORE.get()
        });
        let snap = snapshot();
        let mut bound = bind(|| STORE.get());

        STORE.disable();
        assert_eq!(STORE.get(), None);
        STORE.exit(|| assert_eq!(STORE.get(), None));
        assert_eq!(STORE.get(), None, "exit does not bring the value back");
        tick2.run_in_async_scope(|| assert_eq!(STORE.get(), None));
        snap.run(|| assert_eq!(STORE.get(), None));
        assert_eq!(bound(), None);
        go.send(()).unwrap();
        assert_eq!(thread_before.join().unwrap(), None, "other threads too");
        let tick3 = AsyncResource::new("test.Tick3");
        tick3.run_in_async_scope(|| {
            assert_eq!(STORE.get(), None);
            // Later `run`s work as usual, and end as usual.
            STORE.run("bar=foo", || assert_eq!(STORE.get(), Some("bar=foo")));
            assert_eq!(STORE.get(), None);
        });
    });
    assert_eq!(STORE.get(), None);
}

#[test]
fn disable_is_final_and_later_values_work() {
    // S30 (nodejs/node#48480: an old value must not come back after a later `run`)
    isolated(|| {
        static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
        STORE.enter_with("foo=bar");
        let captured = AsyncResource::new("test.Captured");
        STORE.disable();
        assert_eq!(STORE.get(), None);
        STORE.run("foo=zoo", || {
            assert_eq!(STORE.get(), Some("foo=zoo"));
            // Restoring an older frame inside the run does not revive the old value.
            captured.run_in_async_scope(|| assert_eq!(STORE.get(), None));
            STORE.run("nested", || assert_eq!(STORE.get(), Some("nested")));
            assert_eq!(STORE.get(), Some("foo=zoo"));
        });
        assert_eq!(
            STORE.get(),
            None,
            "the value from before `disable` stays gone"
        );
        STORE.enter_with("again");
        assert_eq!(STORE.get(), Some("again"));
        let fresh = AsyncResource::new("test.Fresh");
        fresh.run_in_async_scope(|| assert_eq!(STORE.get(), Some("again")));

        // A second `disable` hides the new values as well, and only those of this store.
        static OTHER: AsyncLocalStorage<u8> = AsyncLocalStorage::new();
        OTHER.enter_with(8);
        STORE.disable();
        assert_eq!(STORE.get(), None);
        fresh.run_in_async_scope(|| {
            assert_eq!(STORE.get(), None);
            assert_eq!(OTHER.get(), None, "OTHER was set after `fresh` was created");
        });
        assert_eq!(OTHER.get(), Some(8));
    });
}

#[test]
fn disable_of_a_store_never_set_is_harmless() {
    // S30
    let store = AsyncLocalStorage::new();
    store.disable();
    assert_eq!(store.get(), None);
    store.run(1, || assert_eq!(store.get(), Some(1)));
}

#[test]
fn exit_never_leaks_the_value_it_hides() {
    // S30 (Node: test-async-local-storage-exit-does-not-leak)
    fn step(store: &AsyncLocalStorage<u32>, data: u32, count: u32, seen: &mut u32) {
        assert_ne!(store.get(), Some(data));
        if count == 0 {
            return;
        }
        *seen += 1;
        store.run(data, || {
            assert_eq!(store.get(), Some(data));
            store.exit(|| {
                assert_eq!(store.get(), None);
                store.run(count, || step(store, data, count - 1, seen));
                assert_eq!(store.get(), None);
            });
            assert_eq!(store.get(), Some(data));
        });
    }
    let store = AsyncLocalStorage::new();
    let mut seen = 0;
    store.run(1000, || step(&store, 7777, 100, &mut seen));
    assert_eq!(seen, 100);
    assert_eq!(store.get(), None);
}

#[test]
fn snapshot_runs_code_in_the_captured_context() {
    // S30 (Node: test-async-local-storage-snapshot)
    static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    static OTHER: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let snap = STORE.run(123, || OTHER.run("other", snapshot));
    assert_eq!(
        snap.resource().resource().resource_type(),
        "AsyncLocalStorageSnapshot"
    );
    let inside = STORE.run(321, || {
        let inside = snap.run(|| (STORE.get(), OTHER.get(), execution_async_id()));
        assert_eq!(STORE.get(), Some(321));
        inside
    });
    assert_eq!(
        inside,
        (Some(123), Some("other"), snap.resource().async_id())
    );
    // Reusable, returns what the closure returns, and the method form is the same thing.
    assert_eq!(snap.run(|| STORE.get().map(|v| v + 1)), Some(124));
    let method = STORE.run(5, || OTHER.snapshot());
    assert_eq!(method.run(|| (STORE.get(), OTHER.get())), (Some(5), None));
    // A snapshot taken with nothing set runs with nothing set.
    let empty = snapshot();
    STORE.run(9, || empty.run(|| assert_eq!(STORE.get(), None)));
}

#[test]
fn bind_runs_every_call_in_the_bound_context() {
    // S30, S27 (Node: test-async-local-storage-bind)
    static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let mut plain = bind(|| 123);
    assert_eq!(plain(), 123);

    let mut calls = 0;
    let mut bound = STORE.run("A", || {
        bind(move || {
            calls += 1;
            (
                STORE.get(),
                calls,
                execution_async_id(),
                execution_async_resource(),
            )
        })
    });
    let (a, n, id, resource) = STORE.run("B", &mut bound);
    assert_eq!((a, n), (Some("A"), 1));
    assert_eq!(resource.resource_type(), "bound-anonymous-fn");
    assert_eq!(STORE.get(), None);
    let (a, n, id2, _) = bound();
    assert_eq!((a, n), (Some("A"), 2));
    assert_eq!(id, id2, "calling a bound function creates no new resource");

    // The method form.
    let mut method = STORE.run("C", || STORE.bind(|| STORE.get()));
    assert_eq!(STORE.run("D", &mut method), Some("C"));
}

// ---------------------------------------------------------------------------------------------
// S31: resources capture the stores at creation and run with them, wherever they run
// ---------------------------------------------------------------------------------------------

#[test]
fn a_resource_runs_with_the_stores_of_its_creation_wherever_it_runs() {
    // S31
    static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let res = STORE.run("created", || AsyncResource::new("test.Callback"));
    assert_eq!(STORE.get(), None);

    // Later, outside the run; and inside another run, which it does not see.
    res.run_in_async_scope(|| assert_eq!(STORE.get(), Some("created")));
    STORE.run("caller", || {
        res.run_in_async_scope(|| assert_eq!(STORE.get(), Some("created")));
        assert_eq!(STORE.get(), Some("caller"));
    });
    // Through every way of entering the scope.
    {
        let _scope = res.enter();
        assert_eq!(STORE.get(), Some("created"));
    }
    res.emit_before();
    assert_eq!(STORE.get(), Some("created"));
    res.emit_after().unwrap();
    assert_eq!(STORE.get(), None);

    // A resource created in its scope inherits the context (and names it as trigger).
    let child = res.run_in_async_scope(|| AsyncResource::new("test.Child"));
    assert_eq!(child.trigger_async_id(), res.async_id());
    child.run_in_async_scope(|| assert_eq!(STORE.get(), Some("created")));

    // On another thread, where nothing was ever set.
    let res = Arc::new(res);
    let remote = res.clone();
    let seen = std::thread::spawn(move || {
        assert_eq!(STORE.get(), None);
        let seen = remote.run_in_async_scope(|| (STORE.get(), execution_async_id()));
        assert_eq!(STORE.get(), None);
        seen
    })
    .join()
    .unwrap();
    assert_eq!(seen, (Some("created"), res.async_id()));
}

#[test]
fn a_spawned_thread_sees_the_spawners_store_and_trigger() {
    // S31, S4
    static STORE: AsyncLocalStorage<String> = AsyncLocalStorage::new();
    fn report() -> (Option<String>, AsyncId, AsyncId, String) {
        (
            STORE.get(),
            execution_async_id(),
            trigger_async_id(),
            execution_async_resource().resource_type().to_owned(),
        )
    }

    // From the top level: the trigger is the root.
    let (value, exec, trigger, ty) = STORE
        .run("top".into(), || thread::spawn(report))
        .join()
        .unwrap();
    assert_eq!(value.as_deref(), Some("top"));
    assert_eq!(trigger, AsyncId::ROOT);
    assert_eq!(ty, thread::THREAD);
    assert!(
        exec.as_u64() > 1,
        "the thread runs in a resource of its own"
    );

    // From inside a resource's scope: the trigger is that resource.
    let parent = STORE.run("parent".into(), || AsyncResource::new("test.Parent"));
    let (value, exec, trigger, _) = parent
        .run_in_async_scope(|| thread::spawn(report))
        .join()
        .unwrap();
    assert_eq!(value.as_deref(), Some("parent"));
    assert_eq!(trigger, parent.async_id());
    assert_ne!(exec, parent.async_id());

    // `spawn_with` does the same; values set in the thread do not come back.
    let handle = STORE.run("spawner".into(), || {
        let builder = std::thread::Builder::new().name("test-worker".into());
        let h = thread::spawn_with(builder, || {
            let before = STORE.get();
            STORE.enter_with("set in thread".into());
            let nested = thread::spawn(|| (STORE.get(), trigger_async_id()));
            (
                before,
                STORE.get(),
                execution_async_id(),
                nested.join().unwrap(),
            )
        })
        .unwrap();
        let joined = h.join().unwrap();
        assert_eq!(STORE.get().as_deref(), Some("spawner"));
        joined
    });
    let (before, after, worker, (nested_value, nested_trigger)) = handle;
    assert_eq!(before.as_deref(), Some("spawner"));
    assert_eq!(after.as_deref(), Some("set in thread"));
    assert_eq!(nested_value.as_deref(), Some("set in thread"));
    assert_eq!(nested_trigger, worker);
    assert_eq!(STORE.get(), None);
}

#[test]
fn scope_future_sees_its_value_on_every_poll_wherever_polled() {
    // S31, S30 (`AsyncLocalStorage::scope`)
    static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    static OTHER: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let fut = OTHER.run("captured", || {
        STORE.scope(7, async {
            let mut seen = vec![(STORE.get(), OTHER.get())];
            yield_once().await;
            seen.push((STORE.get(), OTHER.get()));
            yield_once().await;
            seen.push((STORE.get(), OTHER.get()));
            seen
        })
    });
    assert_eq!((STORE.get(), OTHER.get()), (None, None));

    let mut fut = Box::pin(fut);
    // First poll inside unrelated values, second on another thread, last at the top level.
    STORE.run(100, || {
        OTHER.run("poller", || assert!(poll_once(fut.as_mut()).is_pending()))
    });
    let mut fut = std::thread::spawn(move || {
        assert!(poll_once(fut.as_mut()).is_pending());
        assert_eq!(STORE.get(), None);
        fut
    })
    .join()
    .unwrap();
    let Poll::Ready(seen) = poll_once(fut.as_mut()) else {
        panic!("the future should be done after three polls");
    };
    assert_eq!(seen, [(Some(7), Some("captured")); 3]);
    assert_eq!((STORE.get(), OTHER.get()), (None, None));
}

#[test]
fn in_current_context_future_sees_the_captured_stores_on_every_poll() {
    // S31 (`FutureExt::in_current_context`)
    static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    let fut = STORE.run(1, || {
        async {
            let first = STORE.get();
            yield_once().await;
            let second = STORE.get();
            yield_once().await;
            (first, second, STORE.get())
        }
        .in_current_context()
    });
    let seen = STORE.run(2, || block_on(fut));
    assert_eq!(seen, (Some(1), Some(1), Some(1)));

    // Without the wrapper, a future sees whatever its poller has: the contrast.
    let bare = STORE.run(1, || async {
        yield_once().await;
        STORE.get()
    });
    assert_eq!(STORE.run(2, || block_on(bare)), Some(2));
}

#[test]
fn wrap_future_runs_every_poll_in_the_resource_scope_with_its_stores() {
    // S31, S15 (`AsyncResource::wrap_future`, `FutureExt::in_async_resource`)
    static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let res = STORE.run("job", || AsyncResource::new("test.Job"));
    let id = res.async_id();
    let fut = res.wrap_future(async {
        let mut seen = vec![(STORE.get(), execution_async_id())];
        yield_once().await;
        seen.push((STORE.get(), execution_async_id()));
        yield_once().await;
        seen.push((STORE.get(), execution_async_id()));
        seen
    });
    let mut fut = Box::pin(fut);
    STORE.run("poller", || assert!(poll_once(fut.as_mut()).is_pending()));
    assert_eq!(scope_depth(), 0, "each poll closes its scope");
    let seen = std::thread::spawn(move || block_on(fut)).join().unwrap();
    assert_eq!(seen, [(Some("job"), id); 3]);

    let res = STORE.run("ext", || AsyncResource::new("test.Step"));
    let id = res.async_id();
    let seen = STORE.run("caller", || {
        block_on(
            async {
                yield_once().await;
                (STORE.get(), execution_async_id())
            }
            .in_async_resource(res),
        )
    });
    assert_eq!(seen, (Some("ext"), id));
}

#[test]
fn enter_with_in_a_wrapped_future_persists_across_awaits_without_leaking() {
    // S30, S31 (nodejs/node#53037, as Node 24 behaves)
    static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();

    async fn body() -> Vec<Option<&'static str>> {
        let mut seen = vec![STORE.get()];
        yield_once().await;
        STORE.enter_with("after await");
        seen.push(STORE.get());
        yield_once().await;
        seen.push(STORE.get());
        seen
    }
    type Boxed = Pin<Box<dyn Future<Output = Vec<Option<&'static str>>> + Send>>;

    // Each wrapper, polled step by step from a caller with its own value.
    let res = STORE.run("resource", || AsyncResource::new("test.Async"));
    let wrapped: Vec<(Boxed, Option<&str>)> = vec![
        (Box::pin(STORE.scope("scope", body())), Some("scope")),
        (
            Box::pin(STORE.run("current", || body().in_current_context())),
            Some("current"),
        ),
        (Box::pin(res.wrap_future(body())), Some("resource")),
    ];
    for (mut fut, start) in wrapped {
        STORE.run("caller", || loop {
            let poll = poll_once(fut.as_mut());
            assert_eq!(STORE.get(), Some("caller"), "nothing leaks to the poller");
            if let Poll::Ready(seen) = poll {
                assert_eq!(seen, [start, Some("after await"), Some("after await")]);
                break;
            }
        });
    }

    // An awaited, wrapped `async fn` that calls `enter_with` after an `.await` does not leak
    // into the future that awaited it.
    let outer = async {
        let inner = async {
            yield_once().await;
            STORE.enter_with("inner");
            STORE.get()
        };
        let from_inner = inner.in_current_context().await;
        (from_inner, STORE.get())
    };
    let seen = block_on(STORE.scope("outer", outer));
    assert_eq!(seen, (Some("inner"), Some("outer")));
    assert_eq!(STORE.get(), None);
}

// ---------------------------------------------------------------------------------------------
// S32: instances are independent
// ---------------------------------------------------------------------------------------------

#[test]
fn instances_never_see_each_others_values() {
    // S32
    let a = AsyncLocalStorage::new();
    let b = AsyncLocalStorage::new();
    a.run("a", || {
        assert_eq!((a.get(), b.get()), (Some("a"), None));
        b.run("b", || {
            assert_eq!((a.get(), b.get()), (Some("a"), Some("b")));
            a.exit(|| assert_eq!((a.get(), b.get()), (None, Some("b"))));
            b.exit(|| assert_eq!((a.get(), b.get()), (Some("a"), None)));
            a.run("a2", || {
                assert_eq!((a.get(), b.get()), (Some("a2"), Some("b")))
            });
        });
        assert_eq!((a.get(), b.get()), (Some("a"), None));
    });

    // Disabling one leaves the other alone, in the same captured contexts.
    let res = a.run("a1", || b.run("b1", || AsyncResource::new("test.Both")));
    a.disable();
    res.run_in_async_scope(|| assert_eq!((a.get(), b.get()), (None, Some("b1"))));

    // Same value type, same value: still separate.
    let c: AsyncLocalStorage<u8> = AsyncLocalStorage::new();
    let d: AsyncLocalStorage<u8> = AsyncLocalStorage::new();
    c.run(5, || assert_eq!(d.get(), None));
    d.run(5, || {
        c.run(6, || assert_eq!((c.get(), d.get()), (Some(6), Some(5))))
    });
}

#[test]
fn concurrent_chains_keep_their_own_values() {
    // S32, S31 (Node: test-async-local-storage-no-mix-contexts)
    static A: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    static B: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();

    let t1 = A.run("hello", || {
        B.run("foo", || {
            let first = AsyncResource::new("test.T1");
            A.enter_with("world"); // later in the same chain: seen by what is created next
            (first, AsyncResource::new("test.T1.later"))
        })
    });
    let t2 = A.run("earth", || AsyncResource::new("test.T2"));

    // Interleave the two chains, on this thread and another.
    t2.run_in_async_scope(|| assert_eq!((A.get(), B.get()), (Some("earth"), None)));
    t1.0.run_in_async_scope(|| assert_eq!((A.get(), B.get()), (Some("hello"), Some("foo"))));
    let later = t1.1;
    let got = std::thread::spawn(move || {
        later.run_in_async_scope(|| {
            let outside = (A.get(), B.get());
            let exited = A.exit(|| (A.get(), B.get()));
            (outside, exited, (A.get(), B.get()))
        })
    })
    .join()
    .unwrap();
    assert_eq!(
        got,
        (
            (Some("world"), Some("foo")),
            (None, Some("foo")),
            (Some("world"), Some("foo"))
        )
    );
    t2.run_in_async_scope(|| assert_eq!((A.get(), B.get()), (Some("earth"), None)));
}

// ---------------------------------------------------------------------------------------------
// S33: capturing with many stores in use (functional part; timing is in the benchmarks)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_hundred_stores_are_all_captured() {
    // S33, S31, S32
    fn nest(stores: &[AsyncLocalStorage<usize>], i: usize) -> AsyncResource {
        match stores.get(i) {
            Some(store) => store.run(i * 10, || nest(stores, i + 1)),
            None => AsyncResource::new("test.ManyStores"),
        }
    }
    let stores: Arc<Vec<AsyncLocalStorage<usize>>> =
        Arc::new((0..100).map(|_| AsyncLocalStorage::new()).collect());
    let res = nest(&stores, 0);
    assert!(stores.iter().all(|s| s.get().is_none()));

    let expected: Vec<Option<usize>> = (0..100).map(|i| Some(i * 10)).collect();
    let read = |stores: &[AsyncLocalStorage<usize>]| -> Vec<Option<usize>> {
        stores.iter().map(AsyncLocalStorage::get).collect()
    };
    assert_eq!(res.run_in_async_scope(|| read(&stores)), expected);

    // A snapshot and a thread taken in that scope see all of them too, on another thread.
    let (snap, handle) = res.run_in_async_scope(|| {
        let remote = stores.clone();
        (snapshot(), thread::spawn(move || read(&remote)))
    });
    assert_eq!(handle.join().unwrap(), expected);
    assert_eq!(snap.run(|| read(&stores)), expected);

    // Overwriting one store in that scope copies on write: the captured frame is untouched.
    res.run_in_async_scope(|| {
        stores[50].run(5000, || assert_eq!(stores[50].get(), Some(5000)));
        stores[50].enter_with(5001);
        assert_eq!(stores[49].get(), Some(490));
    });
    assert_eq!(res.run_in_async_scope(|| read(&stores)), expected);
}

// ---------------------------------------------------------------------------------------------
// Storage and user hooks
// ---------------------------------------------------------------------------------------------

#[test]
fn storage_works_while_user_hooks_come_and_go() {
    // S30, S31, S15, S14
    static STORE: AsyncLocalStorage<&'static str> = AsyncLocalStorage::new();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let hook = create_hook(
        FnHook::new()
            .on_init(move |_, ty, _, _| {
                if ty.starts_with("test.") {
                    l1.lock()
                        .unwrap()
                        .push(format!("init {ty} {:?}", STORE.get()));
                }
            })
            .on_before(move |_| {
                let ty = execution_async_resource().resource_type().to_owned();
                if ty.starts_with("test.") {
                    l2.lock()
                        .unwrap()
                        .push(format!("before {ty} {:?}", STORE.get()));
                }
            })
            .on_after(move |_| {
                let ty = execution_async_resource().resource_type().to_owned();
                if ty.starts_with("test.") {
                    l3.lock()
                        .unwrap()
                        .push(format!("after {ty} {:?}", STORE.get()));
                }
            }),
    );

    STORE.run("one", || {
        let early = AsyncResource::new("test.Early"); // no hook yet
        hook.enable();
        assert_eq!(STORE.get(), Some("one"), "enabling a hook changes nothing");
        let hooked = STORE.run("two", || AsyncResource::new("test.Hooked"));
        early.run_in_async_scope(|| assert_eq!(STORE.get(), Some("one")));
        hooked.run_in_async_scope(|| assert_eq!(STORE.get(), Some("two")));
        hook.disable();
        assert_eq!(STORE.get(), Some("one"), "disabling a hook changes nothing");
        hooked.run_in_async_scope(|| assert_eq!(STORE.get(), Some("two")));
        let late = AsyncResource::new("test.Late");
        hook.enable();
        late.run_in_async_scope(|| {
            STORE.enter_with("three");
            assert_eq!(STORE.get(), Some("three"));
        });
        hook.disable();
        assert_eq!(STORE.get(), Some("one"));
    });
    assert_eq!(
        *log.lock().unwrap(),
        [
            // `init` runs in the creator's context, `before`/`after` in the resource's.
            "init test.Hooked Some(\"two\")",
            "before test.Early Some(\"one\")",
            "after test.Early Some(\"one\")",
            "before test.Hooked Some(\"two\")",
            "after test.Hooked Some(\"two\")",
            // (hook disabled: the second run of `hooked` and the creation of `late` unseen)
            "before test.Late Some(\"one\")",
            "after test.Late Some(\"three\")", // `enter_with` in the scope, before `after`
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// `with` while the closure changes the context (the crate's one `unsafe` block)
// ---------------------------------------------------------------------------------------------

#[test]
fn with_stays_valid_when_the_closure_calls_run_and_enter_with() {
    // S30
    isolated(|| {
        static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
        let (first, first_drops) = tracked("first");
        let (second, second_drops) = tracked("second");
        let (third, third_drops) = tracked("third");
        // The frame holding `first` is owned by the thread's slot alone.
        STORE.enter_with(first);
        STORE.with(|v| {
            let v = v.unwrap();
            STORE.run(second, || {
                assert_eq!(STORE.with(|s| s.unwrap().tag.clone()), "second");
            });
            // Take the borrowed frame out of the thread's slot for good.
            STORE.enter_with(third);
            churn_heap();
            assert_eq!(drops(&first_drops), 0, "the borrowed value is kept alive");
            assert_eq!(
                drops(&second_drops),
                0,
                "retired frames wait for the borrow to end"
            );
            assert_eq!(v.tag, "first");
            assert_eq!(STORE.with(|s| s.unwrap().tag.clone()), "third");
        });
        assert_eq!(drops(&first_drops), 1, "released when the borrow ends");
        assert_eq!(drops(&second_drops), 1);
        assert_eq!(drops(&third_drops), 0, "still in force");
        assert_eq!(STORE.with(|s| s.unwrap().tag.clone()), "third");
    });
}

#[test]
fn with_stays_valid_when_the_closure_enters_scopes() {
    // S30, S31
    isolated(|| {
        static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
        let (outer, outer_drops) = tracked("outer");
        let (inner, inner_drops) = tracked("inner");
        let res = AsyncResource::new("test.Guard"); // captures nothing
        STORE.enter_with(outer);
        let other = STORE.run(inner, || AsyncResource::new("test.Other"));
        STORE.with(|v| {
            let v = v.unwrap();
            other.run_in_async_scope(|| {
                assert_eq!(STORE.with(|s| s.unwrap().tag.clone()), "inner");
                let (scoped, _) = tracked("scoped");
                STORE.enter_with(scoped);
            });
            {
                let _g = res.enter();
                let (g, _) = tracked("in guard");
                STORE.enter_with(g);
            }
            STORE.exit(|| {
                let (hidden, _) = tracked("hidden");
                STORE.enter_with(hidden);
            });
            assert_eq!(STORE.with(|s| s.unwrap().tag.clone()), "outer");
            // Now take the borrowed frame out of the thread's slot for good.
            let (replacement, _) = tracked("replacement");
            STORE.enter_with(replacement);
            churn_heap();
            assert_eq!(drops(&outer_drops), 0, "the borrowed value is kept alive");
            assert_eq!(v.tag, "outer");
        });
        assert_eq!(drops(&outer_drops), 1, "released when the borrow ends");
        assert_eq!(drops(&inner_drops), 0, "`other` still holds it");
        drop(other);
        assert_eq!(drops(&inner_drops), 1);
        assert_eq!(STORE.with(|s| s.unwrap().tag.clone()), "replacement");
    });
}

#[test]
fn with_stays_valid_when_the_closure_drops_the_resource_holding_the_frame() {
    // S30, S31
    static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
    let (value, value_drops) = tracked("held by the resource");
    let res = STORE.run(value, || AsyncResource::new("test.Holder"));
    assert_eq!(drops(&value_drops), 0);
    res.emit_before();
    STORE.with(|v| {
        let v = v.unwrap();
        res.emit_after().unwrap(); // the scope's frame leaves the thread's slot
        drop(res); // and the resource's own reference goes
        churn_heap();
        assert_eq!(drops(&value_drops), 0, "the borrowed value is kept alive");
        assert_eq!(v.tag, "held by the resource");
        assert!(STORE.with(|s| s.is_none()));
    });
    assert_eq!(drops(&value_drops), 1, "released when the borrow ends");

    // The same through a guard moved into the closure.
    let (value, value_drops) = tracked("guarded");
    let res = STORE.run(value, || AsyncResource::new("test.Holder2"));
    let guard = res.enter();
    STORE.with(move |v| {
        let v = v.unwrap();
        drop(guard);
        churn_heap();
        assert_eq!(v.tag, "guarded");
    });
    drop(res);
    assert_eq!(drops(&value_drops), 1);
}

#[test]
fn with_stays_valid_when_the_closure_polls_wrapped_futures() {
    // S30, S31
    isolated(|| {
        static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
        let (top, top_drops) = tracked("top");
        STORE.enter_with(top);
        let f1_drops = STORE.with(|v| {
            let v = v.unwrap();
            let (f1, f1_drops) = tracked("scope");
            let tag = block_on(STORE.scope(f1, async {
                yield_once().await;
                let (x, _) = tracked("entered in future");
                STORE.enter_with(x);
                STORE.with(|s| s.unwrap().tag.clone())
            }));
            assert_eq!(tag, "entered in future");
            // Frames the future replaced wait, parked, for the outer borrow to end.
            assert_eq!(drops(&f1_drops), 0);
            let res = AsyncResource::new("test.Fut");
            block_on(res.wrap_future(async {
                let (y, _) = tracked("in resource future");
                STORE.enter_with(y);
                yield_once().await;
            }));
            let (z, _) = tracked("replaces top");
            STORE.enter_with(z); // the borrowed frame leaves the slot
            churn_heap();
            assert_eq!(v.tag, "top");
            assert_eq!(drops(&top_drops), 0);
            f1_drops
        });
        assert_eq!(drops(&top_drops), 1);
        assert_eq!(drops(&f1_drops), 1, "the finished future's frames are gone");
    });
}

#[test]
fn nested_with_keeps_outer_borrows_valid_until_the_outermost_returns() {
    // S30
    isolated(|| {
        static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
        static OTHER: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
        let (a, a_drops) = tracked("a");
        let (b, b_drops) = tracked("b");
        let (o, o_drops) = tracked("o");
        STORE.enter_with(a);
        OTHER.enter_with(o);
        STORE.with(|outer| {
            let outer = outer.unwrap();
            OTHER.with(|other| {
                let other = other.unwrap();
                STORE.with(|same| {
                    let same = same.unwrap();
                    STORE.enter_with(b);
                    let (c, _) = tracked("c");
                    OTHER.enter_with(c);
                    assert_eq!((same.tag.as_str(), other.tag.as_str()), ("a", "o"));
                });
                // The inner `with` returned, the outer ones still borrow.
                churn_heap();
                assert_eq!(drops(&a_drops), 0);
                assert_eq!(drops(&o_drops), 0);
                assert_eq!(other.tag, "o");
            });
            let (d, _) = tracked("d");
            STORE.enter_with(d);
            assert_eq!(
                drops(&b_drops),
                0,
                "parked until the outermost `with` returns"
            );
            churn_heap();
            assert_eq!(outer.tag, "a");
        });
        assert_eq!(drops(&a_drops), 1);
        assert_eq!(drops(&b_drops), 1);
        assert_eq!(drops(&o_drops), 1);
        // Parking is over: replacing a frame now drops it at once.
        let (e, e_drops) = tracked("e");
        STORE.enter_with(e);
        let (f, _) = tracked("f");
        STORE.enter_with(f);
        assert_eq!(drops(&e_drops), 1);
    });
}

#[test]
fn with_releases_its_borrow_when_the_closure_panics() {
    // S30
    isolated(|| {
        static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
        let (a, a_drops) = tracked("a");
        let (b, b_drops) = tracked("b");
        STORE.enter_with(a);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            STORE.with(|v| {
                assert_eq!(v.unwrap().tag, "a");
                STORE.enter_with(b);
                panic!("boom");
            })
        }));
        assert!(caught.is_err());
        assert_eq!(
            drops(&a_drops),
            1,
            "the parked frame went with the unwinding borrow"
        );
        assert_eq!(STORE.with(|v| v.unwrap().tag.clone()), "b");
        // And a later replacement is dropped at once: the borrow count was restored.
        let (c, _) = tracked("c");
        STORE.enter_with(c);
        assert_eq!(drops(&b_drops), 1);
    });
}

#[test]
fn with_may_set_the_store_when_nothing_is_set() {
    // S30: the closure of `with(|None| ..)` may set values, whatever the current frame.
    isolated(|| {
        static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
        STORE.run(1, || {}); // the store exists, but no frame is in force now
        let got = STORE.with(|v| {
            assert!(v.is_none());
            STORE.run(2, || STORE.get())
        });
        assert_eq!(got, Some(2));
        STORE.with(|v| {
            assert!(v.is_none());
            STORE.enter_with(3);
        });
        assert_eq!(STORE.get(), Some(3));
    });
}

#[test]
fn with_may_set_the_store_when_only_other_stores_are_set() {
    // S30
    isolated(|| {
        static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
        static OTHER: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
        OTHER.enter_with(0);
        STORE.with(|v| {
            assert!(v.is_none());
            STORE.enter_with(3);
            STORE.run(4, || assert_eq!(STORE.get(), Some(4)));
        });
        assert_eq!((STORE.get(), OTHER.get()), (Some(3), Some(0)));
    });
}

#[test]
fn a_value_whose_drop_uses_storage_is_dropped_cleanly() {
    // S30, S31: drop of a store value may read stores, run, enter scopes and set values.
    isolated(|| {
        static STORE: AsyncLocalStorage<Loud> = AsyncLocalStorage::new();
        static SEEN: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
        static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
        struct Loud(&'static str);
        impl Drop for Loud {
            fn drop(&mut self) {
                let res = AsyncResource::new("test.InDrop");
                let in_scope = res.run_in_async_scope(|| SEEN.run(1, || SEEN.get()));
                let tag = STORE.with(|v| v.map(|v| v.0));
                SEEN.enter_with(2);
                LOG.lock()
                    .unwrap()
                    .push(format!("{} {in_scope:?} {tag:?}", self.0));
            }
        }
        STORE.run(Loud("run"), || {});
        STORE.enter_with(Loud("entered"));
        STORE.with(|_| STORE.enter_with(Loud("parked")));
        let res = STORE.run(Loud("resource"), || AsyncResource::new("test.Owner"));
        drop(res);
        assert_eq!(
            *LOG.lock().unwrap(),
            [
                "run Some(1) None",
                "entered Some(1) Some(\"parked\")",
                "resource Some(1) Some(\"parked\")",
            ]
        );
        assert_eq!(STORE.with(|v| v.map(|v| v.0)), Some("parked"));
    });
}

// ---------------------------------------------------------------------------------------------
// Deep nesting
// ---------------------------------------------------------------------------------------------

#[test]
fn ten_thousand_nested_runs() {
    // S30 (Node: test-async-local-storage-deep-stack, nodejs/node#34556)
    fn nest(a: &AsyncLocalStorage<u32>, b: &AsyncLocalStorage<u32>, n: u32) -> u32 {
        if n == 0 {
            return a.get().unwrap() + b.get().unwrap();
        }
        let store = if n % 2 == 0 { a } else { b };
        let sum = store.run(n, || {
            assert_eq!(store.get(), Some(n));
            nest(a, b, n - 1)
        });
        assert_eq!(store.get(), (n + 2 <= 10_000).then_some(n + 2));
        sum
    }
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let a = AsyncLocalStorage::new();
            let b = AsyncLocalStorage::new();
            let sum = nest(&a, &b, 10_000);
            (sum, a.get(), b.get())
        })
        .unwrap();
    assert_eq!(handle.join().unwrap(), (2 + 1, None, None));
}

// ---------------------------------------------------------------------------------------------
// Values are dropped when the last context holding them goes away
// ---------------------------------------------------------------------------------------------

#[test]
fn values_are_dropped_with_the_last_context_holding_them() {
    // S30, S31
    static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();

    // `run` with nothing capturing: dropped as the run ends.
    let (v, d) = tracked("run");
    STORE.run(v, || assert_eq!(drops(&d), 0));
    assert_eq!(drops(&d), 1);

    // Two resources capture it: dropped with the second.
    let (v, d) = tracked("resources");
    let (r1, r2) = STORE.run(v, || {
        (AsyncResource::new("test.R1"), AsyncResource::new("test.R2"))
    });
    assert_eq!(drops(&d), 0);
    drop(r1);
    assert_eq!(drops(&d), 0);
    r2.run_in_async_scope(|| assert_eq!(STORE.with(|v| v.unwrap().tag.clone()), "resources"));
    drop(r2);
    assert_eq!(drops(&d), 1);

    // `emit_destroy` does not release the context (the resource may still run); the drop does.
    let (v, d) = tracked("destroyed");
    let r = STORE.run(v, || AsyncResource::new("test.R3"));
    r.emit_destroy().unwrap();
    assert_eq!(drops(&d), 0);
    drop(r);
    assert_eq!(drops(&d), 1);

    // Snapshot and bind.
    let (v, d) = tracked("snapshot");
    let snap = STORE.run(v, snapshot);
    snap.run(|| {});
    assert_eq!(drops(&d), 0);
    drop(snap);
    assert_eq!(drops(&d), 1);
    let (v, d) = tracked("bind");
    let mut f = STORE.run(v, || bind(|| STORE.with(|v| v.unwrap().tag.len())));
    assert_eq!(f(), 4);
    assert_eq!(drops(&d), 0);
    drop(f);
    assert_eq!(drops(&d), 1);

    // `enter_with` in a scope: dropped as the scope ends.
    let (v, d) = tracked("scoped");
    let r = AsyncResource::new("test.R4");
    r.run_in_async_scope(|| STORE.enter_with(v));
    assert_eq!(drops(&d), 1);

    // A thread: dropped once the thread has finished.
    let (v, d) = tracked("thread");
    let h = STORE.run(v, || {
        thread::spawn(|| STORE.with(|v| v.unwrap().tag.clone()))
    });
    assert_eq!(h.join().unwrap(), "thread");
    assert_eq!(drops(&d), 1);

    // Every value exactly once, never twice.
    let (v, d) = tracked("nested");
    STORE.run(v, || {
        let inner = AsyncResource::new("test.R5");
        let (w, e) = tracked("inner");
        inner.run_in_async_scope(|| STORE.run(w, || {}));
        assert_eq!(drops(&e), 1);
        drop(inner);
    });
    assert_eq!(drops(&d), 1);
}

#[test]
fn top_level_enter_with_values_are_dropped_on_replace_and_at_thread_exit() {
    // S30
    static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();
    let (a, a_drops) = tracked("a");
    let (b, b_drops) = tracked("b");
    let a_seen = a_drops.clone();
    isolated(move || {
        STORE.enter_with(a);
        STORE.enter_with(b);
        assert_eq!(drops(&a_seen), 1, "replaced: no context holds it");
    });
    assert_eq!(drops(&a_drops), 1);
    assert_eq!(
        drops(&b_drops),
        1,
        "the thread's context went with the thread"
    );
}

#[test]
fn future_contexts_are_dropped_with_the_future() {
    // S30, S31
    static STORE: AsyncLocalStorage<Tracked> = AsyncLocalStorage::new();

    // Never polled.
    let (v, d) = tracked("unpolled");
    let fut = STORE.scope(v, async {});
    assert_eq!(drops(&d), 0);
    drop(fut);
    assert_eq!(drops(&d), 1);

    // Dropped half-way, with a value entered inside.
    let (v, d) = tracked("half-way");
    let (w, e) = tracked("entered");
    let mut fut = Box::pin(STORE.scope(v, async move {
        STORE.enter_with(w);
        yield_once().await;
    }));
    assert!(poll_once(fut.as_mut()).is_pending());
    assert_eq!(
        (drops(&d), drops(&e)),
        (1, 0),
        "replaced inside; the entered value persists"
    );
    drop(fut);
    assert_eq!(drops(&e), 1);

    // Completed, for both wrappers.
    let (v, d) = tracked("current");
    let fut = STORE.run(v, || async { yield_once().await }.in_current_context());
    block_on(fut);
    assert_eq!(drops(&d), 1);
    let (v, d) = tracked("resource");
    let res = STORE.run(v, || AsyncResource::new("test.FutRes"));
    block_on(res.wrap_future(yield_once()));
    assert_eq!(drops(&d), 1);
}
