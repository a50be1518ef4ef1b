//! Ids and the execution context (SPEC S1–S4, S6).
//!
//! Ids are process-global: these tests assume one process per test (`cargo nextest`). The one
//! that needs a fresh process outright (S1: the first id is `2`) re-executes the test binary to
//! get one, so it holds under `cargo test` too.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_hooks::{
    create_hook, execution_async_id, execution_async_resource, scope_depth, trigger_async_id,
    AsyncId, AsyncResource, FnHook,
};

const FRESH_PROCESS: &str = "ASYNC_HOOKS_IDS_FRESH_PROCESS";

/// Runs this test again in a child process with `FRESH_PROCESS` set, and returns its stdout.
fn in_fresh_process(test_name: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(FRESH_PROCESS, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn first_resource_in_a_fresh_process_gets_id_2() {
    // S1
    if std::env::var_os(FRESH_PROCESS).is_some() {
        let first = AsyncResource::new("test.First");
        let second = AsyncResource::new("test.Second");
        println!(
            "FIRST_ID={} SECOND_ID={}",
            first.async_id(),
            second.async_id()
        );
        return;
    }
    let stdout = in_fresh_process("first_resource_in_a_fresh_process_gets_id_2");
    assert!(
        stdout.contains("FIRST_ID=2 SECOND_ID=3"),
        "expected the first two ids of a fresh process to be 2 and 3, got:\n{stdout}"
    );
}

#[test]
fn ids_increase_and_never_repeat() {
    // S1
    let mut previous = AsyncResource::new("test.Seq").async_id();
    assert!(
        previous.as_u64() >= 2,
        "0 and 1 are reserved, got {previous}"
    );
    for _ in 0..1_000 {
        // Dropped at once: a dropped resource's id must not come back either.
        let id = AsyncResource::new("test.Seq").async_id();
        assert!(id > previous, "{id} after {previous}");
        previous = id;
    }
}

#[test]
fn ids_are_unique_across_threads() {
    // S1
    const THREADS: usize = 4;
    const PER_THREAD: usize = 2_000;
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let ids: Vec<AsyncId> = (0..PER_THREAD)
                    .map(|_| AsyncResource::new("test.Threaded").async_id())
                    .collect();
                assert!(
                    ids.windows(2).all(|w| w[0] < w[1]),
                    "ids taken by one thread must increase"
                );
                ids
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for handle in handles {
        for id in handle.join().unwrap() {
            assert!(id.as_u64() >= 2, "reserved id {id} handed out");
            assert!(seen.insert(id), "id {id} handed out twice");
        }
    }
    assert_eq!(seen.len(), THREADS * PER_THREAD);
}

#[test]
fn root_context_on_main_and_new_threads() {
    // S2
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    assert_eq!(trigger_async_id(), AsyncId::NONE);
    assert_eq!(execution_async_id().as_u64(), 1);
    assert_eq!(trigger_async_id().as_u64(), 0);
    assert_eq!(scope_depth(), 0);

    // A plain std thread, started from inside a scope: the new thread still starts at the root.
    let r = AsyncResource::new("test.Spawner");
    let from_thread = r.run_in_async_scope(|| {
        assert_eq!(execution_async_id(), r.async_id());
        std::thread::spawn(|| {
            (
                execution_async_id(),
                trigger_async_id(),
                scope_depth(),
                execution_async_resource().is_root(),
            )
        })
        .join()
        .unwrap()
    });
    assert_eq!(from_thread, (AsyncId::ROOT, AsyncId::NONE, 0, true));

    let many: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| (execution_async_id(), trigger_async_id())))
        .map(|h| h.join().unwrap())
        .collect();
    assert!(many
        .iter()
        .all(|&ids| ids == (AsyncId::ROOT, AsyncId::NONE)));
}

#[test]
fn scope_sets_ids_and_restores_them() {
    // S3
    let outer = AsyncResource::with_trigger("test.Outer", AsyncId::new(777));
    outer.run_in_async_scope(|| {
        assert_eq!(execution_async_id(), outer.async_id());
        assert_eq!(trigger_async_id(), AsyncId::new(777));
        let inner = AsyncResource::new("test.Inner");
        inner.run_in_async_scope(|| {
            assert_eq!(execution_async_id(), inner.async_id());
            assert_eq!(trigger_async_id(), outer.async_id());
            assert_eq!(scope_depth(), 2);
        });
        // Restored to the outer scope's ids, not to the root's.
        assert_eq!(execution_async_id(), outer.async_id());
        assert_eq!(trigger_async_id(), AsyncId::new(777));
        assert_eq!(scope_depth(), 1);
    });
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    assert_eq!(trigger_async_id(), AsyncId::NONE);
    assert_eq!(scope_depth(), 0);
}

#[test]
fn scope_restored_after_a_caught_panic() {
    // S3
    let r = AsyncResource::new("test.Panics");
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        r.run_in_async_scope(|| {
            assert_eq!(execution_async_id(), r.async_id());
            panic!("boom inside the scope");
        })
    }));
    let payload = caught.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"boom inside the scope")
    );
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    assert_eq!(trigger_async_id(), AsyncId::NONE);
    assert_eq!(scope_depth(), 0);
    assert!(execution_async_resource().is_root());

    // A panic two scopes deep, caught between them: back to the outer scope, not the root.
    let outer = AsyncResource::new("test.Outer");
    outer.run_in_async_scope(|| {
        let inner = AsyncResource::new("test.Inner");
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            inner.run_in_async_scope(|| panic!("boom in the inner scope"))
        }));
        assert!(caught.is_err());
        assert_eq!(execution_async_id(), outer.async_id());
        assert_eq!(trigger_async_id(), AsyncId::ROOT);
        assert_eq!(scope_depth(), 1);
        assert_eq!(execution_async_resource().async_id(), outer.async_id());
    });
    assert_eq!(execution_async_id(), AsyncId::ROOT);
    assert_eq!(scope_depth(), 0);

    // The thread's context is still usable afterwards.
    let again = AsyncResource::new("test.After");
    assert_eq!(again.trigger_async_id(), AsyncId::ROOT);
    assert_eq!(
        again.run_in_async_scope(execution_async_id),
        again.async_id()
    );
}

#[test]
fn default_trigger_is_the_current_execution_id() {
    // S4
    let at_root = AsyncResource::new("test.AtRoot");
    assert_eq!(at_root.trigger_async_id(), AsyncId::ROOT);

    let parent = AsyncResource::new("test.Parent");
    let (child_trigger, grandchild_trigger, child_id) = parent.run_in_async_scope(|| {
        let child = AsyncResource::new("test.Child");
        let grandchild = child.run_in_async_scope(|| AsyncResource::new("test.Grandchild"));
        (
            child.trigger_async_id(),
            grandchild.trigger_async_id(),
            child.async_id(),
        )
    });
    assert_eq!(child_trigger, parent.async_id());
    assert_eq!(grandchild_trigger, child_id);

    // The builder without `.trigger` takes the default too.
    let built = parent.run_in_async_scope(|| AsyncResource::builder("test.Built").build().unwrap());
    assert_eq!(built.trigger_async_id(), parent.async_id());
}

#[test]
fn named_trigger_may_be_any_id() {
    // S4
    let zero = AsyncResource::with_trigger("test.Zero", AsyncId::NONE);
    assert_eq!(zero.trigger_async_id(), AsyncId::NONE);
    assert_eq!(zero.run_in_async_scope(trigger_async_id), AsyncId::NONE);

    // Ids never handed out: far ahead of the counter, and the largest possible.
    for never_seen in [AsyncId::new(9_999_999), AsyncId::new(u64::MAX)] {
        let r = AsyncResource::with_trigger("test.Unseen", never_seen);
        assert_eq!(r.trigger_async_id(), never_seen);
        assert_eq!(r.run_in_async_scope(trigger_async_id), never_seen);
        let built = AsyncResource::builder("test.Unseen")
            .trigger(never_seen)
            .build()
            .unwrap();
        assert_eq!(built.trigger_async_id(), never_seen);
    }

    // A named trigger wins over the current execution id.
    let parent = AsyncResource::new("test.Parent");
    let named =
        parent.run_in_async_scope(|| AsyncResource::with_trigger("test.Named", AsyncId::NONE));
    assert_eq!(named.trigger_async_id(), AsyncId::NONE);
}

#[test]
fn ids_and_context_kept_with_no_hook_enabled() {
    // S6: no hook has ever been enabled in this process (one process per test).
    let a = AsyncResource::new("test.A");
    let b = AsyncResource::new("test.B");
    assert_eq!(b.async_id().as_u64(), a.async_id().as_u64() + 1);
    a.run_in_async_scope(|| {
        assert_eq!(execution_async_id(), a.async_id());
        assert_eq!(trigger_async_id(), AsyncId::ROOT);
        assert_eq!(execution_async_resource().async_id(), a.async_id());
        let c = AsyncResource::new("test.C");
        assert_eq!(c.async_id().as_u64(), b.async_id().as_u64() + 1);
        assert_eq!(c.trigger_async_id(), a.async_id());
    });
    assert_eq!(execution_async_id(), AsyncId::ROOT);

    // Enabling and then disabling a hook changes neither the counter nor the context.
    let inits = Arc::new(AtomicUsize::new(0));
    let counter = inits.clone();
    let hook = create_hook(FnHook::new().on_init(move |_, _, _, _| {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    let before_hook = AsyncResource::new("test.BeforeHook").async_id();
    hook.enable();
    let with_hook = AsyncResource::new("test.WithHook").async_id();
    hook.disable();
    let after_hook = AsyncResource::new("test.AfterHook");
    assert_eq!(with_hook.as_u64(), before_hook.as_u64() + 1);
    assert_eq!(after_hook.async_id().as_u64(), with_hook.as_u64() + 1);
    assert_eq!(
        inits.load(Ordering::SeqCst),
        1,
        "only the resource made while enabled"
    );
    assert_eq!(
        after_hook.run_in_async_scope(|| (execution_async_id(), trigger_async_id())),
        (after_hook.async_id(), AsyncId::ROOT)
    );
}
