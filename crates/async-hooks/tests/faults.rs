//! Faults from the outside: a thread that ends inside an open scope, a future dropped in the
//! middle of its nested scopes, a hook that creates resources from its own callbacks (SPEC S2,
//! S3, S5, S14, S15, S17, S21). Hooks are process-global: run with `cargo nextest`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use async_hooks::{
    create_hook, execution_async_id, hook_println, in_hook_callback, scope_depth, trigger_async_id,
    AsyncHook, AsyncId, AsyncResource, FnHook,
};

/// Every event, with the execution id it ran in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Init(AsyncId, AsyncId),
    Before(AsyncId),
    After(AsyncId),
    Destroy(AsyncId),
}

struct Log {
    events: Arc<Mutex<Vec<Ev>>>,
    hook: AsyncHook,
}

impl Log {
    fn start() -> Log {
        let events = Arc::new(Mutex::new(Vec::new()));
        let (i, b, a, d) = (
            events.clone(),
            events.clone(),
            events.clone(),
            events.clone(),
        );
        let hook = create_hook(
            FnHook::new()
                .on_init(move |id, _, trigger, _| i.lock().unwrap().push(Ev::Init(id, trigger)))
                .on_before(move |id| b.lock().unwrap().push(Ev::Before(id)))
                .on_after(move |id| a.lock().unwrap().push(Ev::After(id)))
                .on_destroy(move |id| d.lock().unwrap().push(Ev::Destroy(id))),
        );
        hook.enable();
        Log { events, hook }
    }

    fn count(&self, ev: Ev) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| **e == ev)
            .count()
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.hook.disable();
    }
}

#[test]
fn a_thread_that_ends_inside_an_open_scope_harms_no_one() {
    // S2, S5: the open scope dies with its thread; S17: the resource, dropped later on another
    // thread, is destroyed exactly once; S15: its `after` never ran, and is not invented.
    let log = Log::start();
    let main_res = AsyncResource::new("test.Main");
    let _main_scope = main_res.enter();

    let (res, inner) = std::thread::spawn(|| {
        let res = AsyncResource::new("test.Forgotten");
        std::mem::forget(res.enter());
        let inner = AsyncResource::new("test.Inner"); // created inside the open scope (S4)
        std::mem::forget(inner.enter());
        assert_eq!(scope_depth(), 2);
        assert_eq!(execution_async_id(), inner.async_id());
        (res, inner) // the thread ends with two scopes open
    })
    .join()
    .unwrap();

    // This thread's context is its own (S5).
    assert_eq!(execution_async_id(), main_res.async_id());
    assert_eq!(scope_depth(), 1);
    assert_eq!(inner.trigger_async_id(), res.async_id());
    // A new thread starts at the root (S2).
    std::thread::spawn(|| {
        assert_eq!(execution_async_id(), AsyncId::ROOT);
        assert_eq!(trigger_async_id(), AsyncId::NONE);
        assert_eq!(scope_depth(), 0);
    })
    .join()
    .unwrap();

    let (id, inner_id) = (res.async_id(), inner.async_id());
    // The resources still work: their scopes can be entered here.
    res.run_in_async_scope(|| assert_eq!(execution_async_id(), id));
    drop(inner);
    drop(res);
    assert_eq!(log.count(Ev::Destroy(id)), 1); // S17
    assert_eq!(log.count(Ev::Destroy(inner_id)), 1);
    assert_eq!(log.count(Ev::Before(id)), 2); // the forgotten scope and the one above
    assert_eq!(log.count(Ev::After(id)), 1); // only the one above
    assert_eq!(log.count(Ev::After(inner_id)), 0);
    assert_eq!(execution_async_id(), main_res.async_id());
}

#[test]
fn a_resource_dropped_inside_its_own_forgotten_scope_on_an_ending_thread() {
    // S17: destroy once, on the thread that drops it, with the context cleared (S18), even
    // though its own scope is still open there and the thread then ends.
    let log = Log::start();
    let destroyed_in = Arc::new(Mutex::new(None));
    let seen = destroyed_in.clone();
    let probe = create_hook(FnHook::new().on_destroy(move |_| {
        *seen.lock().unwrap() = Some((execution_async_id(), trigger_async_id()));
    }));
    probe.enable();
    let id = std::thread::spawn(|| {
        let res = AsyncResource::new("test.DiesInScope");
        let id = res.async_id();
        std::mem::forget(res.enter());
        drop(res);
        // The open scope still names it (its `Resource` is kept by the scope).
        assert_eq!(execution_async_id(), id);
        id
    })
    .join()
    .unwrap();
    probe.disable();
    assert_eq!(log.count(Ev::Destroy(id)), 1);
    assert_eq!(log.count(Ev::After(id)), 0);
    assert_eq!(
        *destroyed_in.lock().unwrap(),
        Some((AsyncId::NONE, AsyncId::NONE))
    );
    assert_eq!(scope_depth(), 0);
    assert_eq!(execution_async_id(), AsyncId::ROOT);
}

/// Records the execution id at which it is dropped.
struct DropProbe(Arc<Mutex<Vec<AsyncId>>>);

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(execution_async_id());
    }
}

/// A future that is never ready.
struct Never;

impl Future for Never {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[test]
fn a_future_dropped_in_the_middle_of_nested_scopes_unwinds_them_in_order() {
    // A cancelled task, without a runtime: the outer resource's future is suspended inside an
    // inner resource's future, which is suspended too; a nested synchronous scope ran (and
    // closed) within the poll, no guard is held across the await. Dropping the outer future
    // drops the inner one in both scopes, innermost first (S15, S16), destroys each resource
    // exactly once (S17), and leaves the thread at the root (S3).
    let log = Log::start();
    let drops = Arc::new(Mutex::new(Vec::new()));
    let outer = AsyncResource::new("test.Outer");
    let inner = AsyncResource::new("test.Inner");
    let sync_scope = AsyncResource::new("test.SyncScope");
    let (outer_id, inner_id, sync_id) = (outer.async_id(), inner.async_id(), sync_scope.async_id());

    let (d_outer, d_inner) = (drops.clone(), drops.clone());
    let inner_future = inner.wrap_future(async move {
        let _probe = DropProbe(d_inner);
        sync_scope.run_in_async_scope(|| assert_eq!(execution_async_id(), sync_id));
        Never.await;
    });
    let mut outer_future = Box::pin(outer.wrap_future(async move {
        let _probe = DropProbe(d_outer);
        inner_future.await;
    }));

    let mut cx = Context::from_waker(Waker::noop());
    assert!(outer_future.as_mut().poll(&mut cx).is_pending());
    assert_eq!(scope_depth(), 0, "no scope stays open between polls");
    assert!(outer_future.as_mut().poll(&mut cx).is_pending());
    drop(outer_future); // cancelled

    assert_eq!(scope_depth(), 0);
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    // The inner future's locals go first, in the inner scope, then the outer's, in the outer.
    assert_eq!(*drops.lock().unwrap(), [inner_id, outer_id]);
    for id in [outer_id, inner_id, sync_id] {
        assert_eq!(log.count(Ev::Destroy(id)), 1, "S17: one destroy of {id}");
        assert_eq!(log.count(Ev::Before(id)), log.count(Ev::After(id)), "S15");
    }
    assert_eq!(log.count(Ev::Before(sync_id)), 1);
    // Two polls and the drop: three scopes each.
    assert_eq!(log.count(Ev::Before(outer_id)), 3);
    assert_eq!(log.count(Ev::Before(inner_id)), 3);
    // Every `before` is matched by the `after` of the same resource, innermost first.
    let mut open = Vec::new();
    for ev in log.events.lock().unwrap().iter() {
        match *ev {
            Ev::Before(id) => open.push(id),
            Ev::After(id) => assert_eq!(open.pop(), Some(id), "S16: LIFO"),
            _ => {}
        }
    }
    assert!(open.is_empty());
}

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

#[test]
fn a_hook_that_creates_resources_in_its_own_callbacks_stays_bounded() {
    // S21: a hook whose `init` creates a resource hears that nested `init` too (S10: the same
    // list, nested dispatch), with the id of the code that created it as trigger (S4, S14);
    // a depth check the hook keeps itself bounds it. `hook_println!` creates no resource.
    const LIMIT: u32 = 3;
    let inits = Arc::new(Mutex::new(Vec::new()));
    let seen = inits.clone();
    let spawner = create_hook(FnHook::new().on_init(move |id, ty, trigger, _| {
        seen.lock()
            .unwrap()
            .push((id, ty.to_owned(), trigger, in_hook_callback()));
        hook_println!("init {ty}({id})"); // no resource, no event
        let depth = DEPTH.with(|d| d.get());
        if depth < LIMIT {
            DEPTH.with(|d| d.set(depth + 1));
            // The resource lives past this callback: destroy comes after it returns.
            let child = AsyncResource::new("test.FromHook");
            child.run_in_async_scope(|| {});
            drop(child);
            DEPTH.with(|d| d.set(depth));
        }
    }));
    spawner.enable();
    let destroys = Arc::new(Mutex::new(0usize));
    let d = destroys.clone();
    let counter = create_hook(FnHook::new().on_destroy(move |_| *d.lock().unwrap() += 1));
    counter.enable();

    let root = AsyncResource::new("test.Root");
    spawner.disable();
    counter.disable();

    let inits = inits.lock().unwrap().clone();
    assert_eq!(inits.len(), 1 + LIMIT as usize, "{inits:?}");
    assert_eq!(inits[0].1, "test.Root");
    assert!(
        inits.iter().all(|i| i.3),
        "in_hook_callback() is true in every init"
    );
    for pair in inits.windows(2) {
        assert_eq!(pair[1].1, "test.FromHook");
        assert!(pair[1].0 > pair[0].0, "S1: ids keep increasing");
        // Created from inside `init`: the creator's execution context is the root (S14).
        assert_eq!(pair[1].2, AsyncId::ROOT);
    }
    assert_eq!(
        *destroys.lock().unwrap(),
        LIMIT as usize,
        "S17: each child destroyed once"
    );
    assert!(!in_hook_callback());
    assert_eq!(scope_depth(), 0);
    drop(root);
}
