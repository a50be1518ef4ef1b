//! Model checks of the lock-free parts of the core with `loom`: the published hook list
//! (`FLAGS`, `GENERATION`, the per-thread cached list refreshed at an outermost dispatch), the
//! id counter, and `enable`/`disable` racing with dispatch on other threads (S1, S10, S13).
//!
//! `loom` runs each model under every interleaving (and every allowed stale read of an atomic)
//! of its threads, so the models are kept to two or three threads and a few operations each.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p async-hooks --test loom --release
//! ```
//!
//! Built with `--cfg loom`, the crate's registry mutex, its atomics and its thread-local come
//! from `loom` (`src/sync.rs`) and its statics are rebuilt for every execution, so each
//! execution starts with no hook enabled and the id counter at 2. Counters that the models
//! only read after a `join` (or on the thread that wrote them) are plain `std` atomics; the
//! one flag whose ordering matters to a model is a `loom` atomic. Hook callbacks never assert
//! (a panic in a callback is fatal, S19): they record, and the threads assert.
#![cfg(loom)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use async_hooks::{create_hook, AsyncHook, AsyncId, AsyncResource, FnHook};
use loom::thread;

/// A counter that hook callbacks bump.
fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// A hook with only a `before` callback, counting its calls.
fn counting_before(calls: &Arc<AtomicUsize>) -> AsyncHook {
    let calls = calls.clone();
    create_hook(FnHook::new().on_before(move |_| {
        calls.fetch_add(1, SeqCst);
    }))
}

/// (a) S13: once `disable()` has returned, a dispatch that starts afterwards (here: on a thread
/// that has observed, through a `SeqCst` flag, that it returned) does not call the hook, even
/// though that thread still caches the list that held it.
#[test]
fn disable_is_seen_by_the_next_dispatch_on_another_thread() {
    loom::model(|| {
        let calls = counter();
        let hook = counting_before(&calls);
        hook.enable();
        // Another `before` hook stays enabled, so the fast-path flag stays up and the second
        // dispatch below does reach the list: it must have been refreshed.
        let other_calls = counter();
        let other = counting_before(&other_calls);
        other.enable();
        let disabled = Arc::new(loom::sync::atomic::AtomicBool::new(false));

        let dispatcher = {
            let (calls, other_calls) = (calls.clone(), other_calls.clone());
            let disabled = disabled.clone();
            thread::spawn(move || {
                let r = AsyncResource::new("loom.B");
                // Caches this thread's hook list; may or may not call the hook.
                r.run_in_async_scope(|| {});
                let first = calls.load(SeqCst);
                assert!(first <= 1);
                if disabled.load(SeqCst) {
                    let other_first = other_calls.load(SeqCst);
                    r.run_in_async_scope(|| {});
                    assert_eq!(other_calls.load(SeqCst), other_first + 1);
                    assert_eq!(
                        calls.load(SeqCst),
                        first,
                        "S13: a dispatch that started after disable() returned called the hook"
                    );
                }
            })
        };

        hook.disable();
        disabled.store(true, SeqCst);
        dispatcher.join().unwrap();

        // And on this thread, which disabled it.
        let before = calls.load(SeqCst);
        AsyncResource::new("loom.A").run_in_async_scope(|| {});
        assert_eq!(calls.load(SeqCst), before);
        assert!(!hook.is_enabled());
    });
}

/// (b) S8, S9, S13: two threads enable and disable different hooks at once; afterwards the
/// list every thread dispatches to (and the fast-path flags) equal the master list: the hooks
/// left enabled are called, in enable order, and the one left disabled is not, and no event
/// bit was lost.
#[test]
fn concurrent_enable_and_disable_publish_the_final_list() {
    loom::model(|| {
        let order = Arc::new(Mutex::new(Vec::<&'static str>::new()));
        let destroy_hook = |name: &'static str| {
            let order = order.clone();
            create_hook(FnHook::new().on_destroy(move |_| order.lock().unwrap().push(name)))
        };
        // `first` is enabled before the threads start; `a` only has `init`, so a lost update
        // of the flags shows as a missing or stale bit; `b` only has `destroy`.
        let first = destroy_hook("first");
        first.enable();
        let a_inits = counter();
        let a = {
            let a_inits = a_inits.clone();
            create_hook(FnHook::new().on_init(move |_, _, _, _| {
                a_inits.fetch_add(1, SeqCst);
            }))
        };
        let b = destroy_hook("b");

        let ta = {
            let a = a.clone();
            thread::spawn(move || {
                a.enable();
                a.disable();
            })
        };
        let tb = {
            let b = b.clone();
            thread::spawn(move || {
                b.enable();
                // Dispatch on this thread too, so that its cache is refreshed while `a` moves.
                drop(AsyncResource::new("loom.B"));
            })
        };
        ta.join().unwrap();
        tb.join().unwrap();

        assert!(first.is_enabled() && b.is_enabled() && !a.is_enabled());
        let inits_before = a_inits.load(SeqCst);
        assert!(inits_before <= 1, "only loom.B may have reached `a`");
        order.lock().unwrap().clear();

        // This thread's cached list, refreshed at its next outermost dispatch:
        drop(AsyncResource::new("loom.main"));
        assert_eq!(*order.lock().unwrap(), ["first", "b"], "S9: enable order");
        assert_eq!(a_inits.load(SeqCst), inits_before, "S13: `a` is disabled");

        // And a thread that never dispatched before:
        order.lock().unwrap().clear();
        thread::spawn(|| drop(AsyncResource::new("loom.fresh")))
            .join()
            .unwrap();
        assert_eq!(*order.lock().unwrap(), ["first", "b"]);
        assert_eq!(a_inits.load(SeqCst), inits_before);
    });
}

/// (c) S1: ids taken on several threads at once are unique, and they are exactly the next ones
/// of the one counter (which starts at 2 in every execution).
#[test]
fn ids_from_two_threads_are_unique() {
    loom::model(|| {
        let spawn = || {
            thread::spawn(|| {
                let x = AsyncResource::new("loom.X").async_id();
                let y = AsyncResource::new("loom.Y").async_id();
                assert!(y > x, "S1: one counter, increasing on each thread");
                [x, y]
            })
        };
        let (t1, t2) = (spawn(), spawn());
        let here = AsyncResource::new("loom.main").async_id();
        let mut ids: Vec<AsyncId> = t1.join().unwrap().into();
        ids.extend(t2.join().unwrap());
        ids.push(here);
        ids.sort();
        let expected: Vec<AsyncId> = (2..7).map(AsyncId::new).collect();
        assert_eq!(ids, expected, "S1: five resources take 2..=6, each once");
    });
}

/// (d) S10 while another thread changes the list: hook `x`'s `before` disables `y` (after `x`
/// in the list) and then creates a resource. The dispatch under way and the `init` nested in
/// it still use the pinned list, so `y` gets that `before` and the nested `init`; that needs the
/// `init` bit of the fast-path flags held up although `y` is gone from the master list, while
/// thread B enables `z` (which has no `init`) and so republishes the flags. `y` gets no `after`.
#[test]
fn flags_held_back_inside_a_callback_survive_an_enable_on_another_thread() {
    loom::model(|| {
        let y_init = counter();
        let y_before = counter();
        let y_after = counter();
        let y = {
            let (i, b, a) = (y_init.clone(), y_before.clone(), y_after.clone());
            create_hook(
                FnHook::new()
                    .on_init(move |_, _, _, _| {
                        i.fetch_add(1, SeqCst);
                    })
                    .on_before(move |_| {
                        b.fetch_add(1, SeqCst);
                    })
                    .on_after(move |_| {
                        a.fetch_add(1, SeqCst);
                    }),
            )
        };
        let acted = Arc::new(AtomicBool::new(false));
        let x = {
            let (y, acted) = (y.clone(), acted.clone());
            create_hook(FnHook::new().on_before(move |_| {
                if !acted.swap(true, SeqCst) {
                    y.disable();
                    drop(AsyncResource::new("loom.nested")); // a nested `init`
                }
            }))
        };
        x.enable();
        y.enable();
        let z_before = counter();
        let z = counting_before(&z_before);

        let ta = thread::spawn(move || {
            let r = AsyncResource::new("loom.A"); // init: y
            r.run_in_async_scope(|| {}); // before: x (disables y, nested init: y), y; after: -
        });
        let tb = {
            let z = z.clone();
            thread::spawn(move || {
                z.enable();
            })
        };
        ta.join().unwrap();
        tb.join().unwrap();

        assert!(acted.load(SeqCst));
        assert_eq!(
            y_init.load(SeqCst),
            2,
            "S10: y gets loom.A's and the nested init"
        );
        assert_eq!(
            y_before.load(SeqCst),
            1,
            "S10: y still gets the before under way"
        );
        assert_eq!(y_after.load(SeqCst), 0, "S10: y gets no after");
        assert!(!y.is_enabled() && x.is_enabled() && z.is_enabled());

        // Afterwards: y is gone everywhere, z hears every event.
        let z_seen = z_before.load(SeqCst);
        AsyncResource::new("loom.main").run_in_async_scope(|| {});
        assert_eq!(z_before.load(SeqCst), z_seen + 1);
        assert_eq!(
            (
                y_init.load(SeqCst),
                y_before.load(SeqCst),
                y_after.load(SeqCst)
            ),
            (2, 1, 0)
        );
    });
}
