//! `future::in_scope_of`: a future in the scope of a resource it does not own.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use async_hooks::future::{in_scope_of, FutureExt};
use async_hooks::{create_hook, execution_async_id, AsyncLocalStorage, AsyncResource, FnHook};

/// Returns `Pending` once, then `Ready`: a real suspension point.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn every_poll_is_a_scope_of_the_shared_resource_which_is_not_destroyed() {
    // S15, S17: two polls → two before/after pairs; no destroy until the owner drops it.
    let events = Arc::new(Mutex::new(Vec::new()));
    let (b, a, d) = (events.clone(), events.clone(), events.clone());
    let hook = create_hook(
        FnHook::new()
            .on_before(move |id| b.lock().unwrap().push(("before", id)))
            .on_after(move |id| a.lock().unwrap().push(("after", id)))
            .on_destroy(move |id| d.lock().unwrap().push(("destroy", id))),
    );
    hook.enable();
    let conn = Arc::new(AsyncResource::new("test.Conn"));
    let id = conn.async_id();
    let seen = block_on(in_scope_of(conn.clone(), async {
        let first = execution_async_id();
        yield_once().await;
        (first, execution_async_id())
    }));
    assert_eq!(seen, (id, id));
    assert_eq!(
        *events.lock().unwrap(),
        [("before", id), ("after", id), ("before", id), ("after", id)]
    );
    assert!(!conn.is_destroyed());
    drop(conn);
    assert_eq!(events.lock().unwrap().last(), Some(&("destroy", id)));
    hook.disable();
}

#[test]
fn enter_with_lasts_for_the_rest_of_the_future_and_does_not_leak() {
    // S30, S31: `enter_with` inside the future persists across its awaits, per future.
    static STORE: AsyncLocalStorage<u32> = AsyncLocalStorage::new();
    let server = STORE.run(1, || AsyncResource::new("test.Server"));
    let (in_first, after_first) = block_on(
        async {
            assert_eq!(STORE.get(), Some(1), "starts from the captured context");
            STORE.enter_with(2);
            yield_once().await;
            (STORE.get(), ())
        }
        .in_scope_of(&server),
    );
    assert_eq!((in_first, after_first), (Some(2), ()));
    assert_eq!(STORE.get(), None, "nothing leaks to the poller");
    // A second future in the same resource starts again from the captured context.
    let second = block_on(in_scope_of(&server, async { STORE.get() }));
    assert_eq!(second, Some(1));
}

#[test]
fn dropping_an_unfinished_future_drops_it_inside_the_scope() {
    // S15: the inner future's destructors run in the resource's scope.
    struct OnDrop(Arc<Mutex<Option<u64>>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(execution_async_id().as_u64());
        }
    }
    let seen = Arc::new(Mutex::new(None));
    let res = AsyncResource::new("test.Res");
    let guard = OnDrop(seen.clone());
    let fut = in_scope_of(&res, async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    {
        let mut fut = pin!(fut);
        let waker = Waker::noop();
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(waker))
            .is_pending());
    }
    assert_eq!(*seen.lock().unwrap(), Some(res.async_id().as_u64()));
    assert_eq!(execution_async_id(), async_hooks::AsyncId::ROOT);
}

#[test]
fn with_stays_valid_when_its_closure_closes_an_outer_scope_and_drops_the_context() {
    // S30, S31: `emit_after_taking_context` inside `with` hands the borrowed frame to the
    // caller; dropping it must not free what `with` still reads.
    struct Counted(Arc<Mutex<u32>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            *self.0.lock().unwrap() += 1;
        }
    }
    static STORE: AsyncLocalStorage<Counted> = AsyncLocalStorage::new();
    let drops = Arc::new(Mutex::new(0));
    let res = AsyncResource::new("test.Outer");
    res.emit_before_with(STORE.run(Counted(drops.clone()), async_hooks::ContextFrame::current));
    STORE.with(|value| {
        let value = value.expect("set in the scope");
        let context = res.emit_after_taking_context().unwrap();
        drop(context); // the last reference the caller could see
        assert_eq!(*drops.lock().unwrap(), 0, "still borrowed by `with`");
        assert_eq!(*value.0.lock().unwrap(), 0); // reading it is sound
    });
    assert_eq!(*drops.lock().unwrap(), 1, "dropped once `with` returned");
}
