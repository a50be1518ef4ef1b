//! Hooks that change the active list, create hooks or create resources from inside their own
//! callbacks (SPEC S10, S11, S21).
//!
//! Ports of Node's `test/async-hooks/test-enable-disable.js`, `test-enable-in-init.js`,
//! `test-disable-in-init.js` and `test-late-hook-enable.js`, with the sequences observed on
//! Node v20 (`/tmp/research/node_scenarios.md`). One difference, from `docs::node_compat`:
//! `destroy` is dispatched synchronously where the resource ends (S18), to the hooks enabled
//! at that moment, instead of on a later tick.
//!
//! Hooks are process-global: run these with `cargo nextest` (one process per test). The
//! checks read only the events of the test's own thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use async_hooks::{
    create_hook, execution_async_id, hook_println, in_hook_callback, trigger_async_id, AsyncHook,
    AsyncId, AsyncResource, FnHook,
};

mod support;

use support::{Event, Log};

/// What a hook does in a callback besides logging it.
type Action = Box<dyn Fn(AsyncId) + Send + Sync>;

/// A hook with all four callbacks, logging under `name`; `on` runs after the log entry.
#[derive(Default)]
struct Actions {
    init: Option<Action>,
    before: Option<Action>,
    after: Option<Action>,
    destroy: Option<Action>,
}

fn hook(name: &'static str, log: &Log, on: Actions) -> AsyncHook {
    let (l1, l2, l3, l4) = (log.clone(), log.clone(), log.clone(), log.clone());
    let run = |a: &Option<Action>, id| {
        if let Some(a) = a {
            a(id);
        }
    };
    let Actions {
        init,
        before,
        after,
        destroy,
    } = on;
    create_hook(
        FnHook::new()
            .on_init(move |id, _, _, _| {
                l1.push(name, Event::Init, id);
                run(&init, id);
            })
            .on_before(move |id| {
                l2.push(name, Event::Before, id);
                run(&before, id);
            })
            .on_after(move |id| {
                l3.push(name, Event::After, id);
                run(&after, id);
            })
            .on_destroy(move |id| {
                l4.push(name, Event::Destroy, id);
                run(&destroy, id);
            }),
    )
}

/// What callbacks on any thread append to.
type Shared<T> = Arc<Mutex<Vec<T>>>;

/// A place for a hook handle that callbacks created before it can use.
type Slot = Arc<OnceLock<AsyncHook>>;

fn slot() -> Slot {
    Arc::new(OnceLock::new())
}

/// Counts calls; `first()` is true on the first call only, `nth(n)` on the n-th only.
#[derive(Clone, Default)]
struct Calls(Arc<AtomicUsize>);

impl Calls {
    fn nth(&self, n: usize) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst) + 1 == n
    }
    fn first(&self) -> bool {
        self.nth(1)
    }
}

/// Lists `hook.event(name)` for every `(event, name)` and every hook in `order`.
fn expect(rows: &[(&[&str], &str, &str)]) -> Vec<String> {
    rows.iter()
        .flat_map(|(order, event, name)| {
            order
                .iter()
                .map(move |hook| format!("{hook}.{event}({name})"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// S10: test-enable-disable.js

#[test]
fn node_enable_disable() {
    // S10, S11: h3.before enables h2 (h2 misses that before, gets the after and everything
    // after it, at the end of the list); h2.before disables h1 (already called for that
    // before); h3 disables itself in its second after (h2, later in the list, still gets it).
    let log = Log::default();
    let h1 = hook("h1", &log, Actions::default());

    let once = Calls::default();
    let h1_slot = h1.clone();
    let h2 = hook(
        "h2",
        &log,
        Actions {
            before: Some(Box::new(move |_| {
                if once.first() {
                    h1_slot.disable();
                }
            })),
            ..Actions::default()
        },
    );

    let h3_self = slot();
    let (h2_slot, h3_slot) = (h2.clone(), h3_self.clone());
    let (once, afters) = (Calls::default(), Calls::default());
    let h3 = hook(
        "h3",
        &log,
        Actions {
            before: Some(Box::new(move |_| {
                if once.first() {
                    h2_slot.enable();
                }
            })),
            after: Some(Box::new(move |_| {
                if afters.nth(2) {
                    h3_slot.get().unwrap().disable();
                }
            })),
            ..Actions::default()
        },
    );
    h3_self.set(h3.clone()).unwrap();

    h1.enable();
    h3.enable();

    let r1 = AsyncResource::new("test.X");
    let r2 = r1.run_in_async_scope(|| AsyncResource::new("test.X"));
    r1.emit_destroy().unwrap();
    r2.run_in_async_scope(|| {});
    r2.emit_destroy().unwrap();
    let names = [(r1.async_id(), "r1"), (r2.async_id(), "r2")];

    let all: &[&str] = &["h1", "h3", "h2"];
    assert_eq!(
        log.take(&names),
        expect(&[
            (&["h1", "h3"], "init", "r1"),
            (&["h1", "h3"], "before", "r1"), // h3 enables h2: h2 misses this before
            (all, "init", "r2"),             // h2 is now at the end of the list
            (all, "after", "r1"),            // h2: after without init or before (S11)
            (all, "destroy", "r1"),
            (all, "before", "r2"), // h2 disables h1: h1 keeps this before
            (&["h3", "h2"], "after", "r2"), // h3 disables itself: h2 still gets it
            (&["h2"], "destroy", "r2"),
        ])
    );
    assert!(!h1.is_enabled());
    assert!(h2.is_enabled());
    assert!(!h3.is_enabled());
    h2.disable();
}

// ---------------------------------------------------------------------------------------
// S10: test-enable-in-init.js

#[test]
fn node_enable_in_init() {
    // S10: outer.init enables `nested` and creates a resource; the nested init dispatch uses
    // the list as it was, so `nested` hears nothing until the outermost dispatch returns.
    let log = Log::default();
    let nested = hook("nested", &log, Actions::default());
    let kept: Shared<AsyncResource> = Arc::default();

    let (nested_handle, keep, first) = (nested.clone(), kept.clone(), Calls::default());
    let outer = hook(
        "outer",
        &log,
        Actions {
            init: Some(Box::new(move |_| {
                nested_handle.enable();
                if first.first() {
                    let inner = AsyncResource::new("test.X");
                    keep.lock().unwrap().push(inner);
                }
            })),
            ..Actions::default()
        },
    );
    outer.enable();

    let a = AsyncResource::new("test.X");
    let b = std::mem::take(&mut *kept.lock().unwrap()).pop().unwrap();
    let probe = AsyncResource::new("test.X");
    let names = [
        (a.async_id(), "a"),
        (b.async_id(), "b"),
        (probe.async_id(), "probe"),
    ];
    assert_eq!(
        log.take(&names),
        expect(&[
            (&["outer"], "init", "a"),
            (&["outer"], "init", "b"), // nested init: the old list, without `nested`
            (&["outer", "nested"], "init", "probe"),
        ])
    );

    // S11: `nested` never saw b's init but gets its destroy.
    drop(b);
    assert_eq!(
        log.take(&names),
        expect(&[(&["outer", "nested"], "destroy", "b")])
    );
    outer.disable();
    nested.disable();
}

#[test]
fn hook_created_and_enabled_in_init_misses_the_nested_dispatch() {
    // S10: the hook is *created* inside init, enabled, then init creates a resource. The
    // nested init dispatch, and the rest of the outer one, use the list as it was.
    let log = Log::default();
    let made: Slot = slot();
    let (made_slot, log2, first) = (made.clone(), log.clone(), Calls::default());
    let kept: Shared<AsyncResource> = Arc::default();
    let keep = kept.clone();
    let outer = hook(
        "outer",
        &log,
        Actions {
            init: Some(Box::new(move |_| {
                if first.first() {
                    made_slot
                        .set(hook("new", &log2, Actions::default()))
                        .unwrap();
                    made_slot.get().unwrap().enable();
                    keep.lock().unwrap().push(AsyncResource::new("test.X"));
                }
            })),
            ..Actions::default()
        },
    );
    let after_outer = hook("last", &log, Actions::default());
    outer.enable();
    after_outer.enable();

    let a = AsyncResource::new("test.X");
    let b = std::mem::take(&mut *kept.lock().unwrap()).pop().unwrap();
    let names = [(a.async_id(), "a"), (b.async_id(), "b")];
    assert_eq!(
        log.take(&names),
        expect(&[
            (&["outer"], "init", "a"),
            (&["outer", "last"], "init", "b"),
            (&["last"], "init", "a"), // the outer dispatch resumes: still no "new"
        ])
    );
    let made = made.get().unwrap();
    assert!(made.is_enabled());

    // From the next outermost dispatch on, "new" is at the end of the list.
    a.run_in_async_scope(|| {});
    assert_eq!(
        log.take(&names),
        expect(&[
            (&["outer", "last", "new"], "before", "a"),
            (&["outer", "last", "new"], "after", "a"),
        ])
    );
    drop(b);
    drop(a);
    assert_eq!(
        log.take(&names),
        expect(&[
            (&["outer", "last", "new"], "destroy", "b"),
            (&["outer", "last", "new"], "destroy", "a"),
        ])
    );
    made.disable();
    outer.disable();
    after_outer.disable();
}

// ---------------------------------------------------------------------------------------
// S10: test-disable-in-init.js

#[test]
fn node_disable_in_init() {
    // S10: outer.init disables `nested` (later in the list) and creates a resource. Both the
    // nested init dispatch and the rest of the outer one still call `nested`, child first.
    let log = Log::default();
    let nested_slot = slot();
    let kept: Shared<AsyncResource> = Arc::default();
    let (ns, keep, first) = (nested_slot.clone(), kept.clone(), Calls::default());
    let outer = hook(
        "outer",
        &log,
        Actions {
            init: Some(Box::new(move |_| {
                if let Some(nested) = ns.get() {
                    nested.disable();
                }
                if first.first() {
                    keep.lock().unwrap().push(AsyncResource::new("test.X"));
                }
            })),
            ..Actions::default()
        },
    );
    outer.enable();
    let nested = hook("nested", &log, Actions::default());
    nested_slot.set(nested.clone()).unwrap();
    nested.enable();

    let a = AsyncResource::new("test.X");
    let b = std::mem::take(&mut *kept.lock().unwrap()).pop().unwrap();
    let probe = AsyncResource::new("test.X");
    let names = [
        (a.async_id(), "a"),
        (b.async_id(), "b"),
        (probe.async_id(), "probe"),
    ];
    assert_eq!(
        log.take(&names),
        [
            "outer.init(a)",
            "outer.init(b)",
            "nested.init(b)", // the nested dispatch: old list
            "nested.init(a)", // the outer dispatch resumes: old list
            "outer.init(probe)",
        ]
    );
    assert!(!nested.is_enabled());
    outer.disable();
}

// ---------------------------------------------------------------------------------------
// S10, S11: test-late-hook-enable.js

#[test]
fn node_late_hook_enable() {
    // S11: a hook enabled inside a resource's scope (outside any callback) takes effect at
    // once: it gets that scope's after, with the resource's context, without init or before.
    let log = Log::default();
    let r = AsyncResource::new("test.X"); // no hook yet: nobody sees this init
    let ctx: Shared<(&str, AsyncId, AsyncId)> = Arc::default();
    let (c1, c2, c3) = (ctx.clone(), ctx.clone(), ctx.clone());
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let l0 = log.clone();
    let me = thread::current().id();
    let context = move |ctx: &Mutex<Vec<_>>, event| {
        if thread::current().id() == me {
            let now = (event, execution_async_id(), trigger_async_id());
            ctx.lock().unwrap().push(now);
        }
    };
    let late = create_hook(
        FnHook::new()
            .on_init(move |id, _, _, _| l0.push("late", Event::Init, id))
            .on_before(move |id| {
                l1.push("late", Event::Before, id);
                context(&c1, "before");
            })
            .on_after(move |id| {
                l2.push("late", Event::After, id);
                context(&c2, "after");
            })
            .on_destroy(move |id| {
                l3.push("late", Event::Destroy, id);
                context(&c3, "destroy");
            }),
    );
    assert!(!in_hook_callback());
    r.run_in_async_scope(|| {
        assert!(!in_hook_callback());
        late.enable();
    });
    r.run_in_async_scope(|| {});
    r.emit_destroy().unwrap();
    let names = [(r.async_id(), "r")];
    assert_eq!(
        log.take(&names),
        [
            "late.after(r)",
            "late.before(r)",
            "late.after(r)",
            "late.destroy(r)"
        ]
    );
    let (id, trigger) = (r.async_id(), r.trigger_async_id());
    assert_eq!(trigger, AsyncId::ROOT);
    assert_eq!(
        std::mem::take(&mut *ctx.lock().unwrap()),
        [
            ("after", id, trigger),
            ("before", id, trigger),
            ("after", id, trigger),
            ("destroy", AsyncId::NONE, AsyncId::NONE),
        ]
    );

    // The variant: a resource created while the hook is disabled, then enabled again.
    late.disable();
    let r3 = AsyncResource::new("test.X");
    late.enable();
    r3.run_in_async_scope(|| {});
    r3.emit_destroy().unwrap();
    let names = [(r3.async_id(), "r3")];
    assert_eq!(
        log.take(&names),
        ["late.before(r3)", "late.after(r3)", "late.destroy(r3)"]
    );
    late.disable();
}

// ---------------------------------------------------------------------------------------
// S10: changes made in before and after (Node s5_mutate_in_before.js, s13_enable_in_after.js)

#[test]
fn changes_in_before_apply_from_the_matching_after() {
    // S10: list c, a, b, d. a.before disables b (later in the list) and enables e; d.before
    // disables c (earlier, already called). b still gets this before, not the after; e misses
    // this before and gets the after; c gets no after.
    let log = Log::default();
    let (b_slot, e_slot, c_slot) = (slot(), slot(), slot());
    let c = hook("c", &log, Actions::default());
    let (bs, es) = (b_slot.clone(), e_slot.clone());
    let a = hook(
        "a",
        &log,
        Actions {
            before: Some(Box::new(move |_| {
                bs.get().unwrap().disable();
                es.get().unwrap().enable();
            })),
            ..Actions::default()
        },
    );
    let b = hook("b", &log, Actions::default());
    let cs = c_slot.clone();
    let d = hook(
        "d",
        &log,
        Actions {
            before: Some(Box::new(move |_| {
                cs.get().unwrap().disable();
            })),
            ..Actions::default()
        },
    );
    let e = hook("e", &log, Actions::default());
    b_slot.set(b.clone()).unwrap();
    e_slot.set(e.clone()).unwrap();
    c_slot.set(c.clone()).unwrap();
    for h in [&c, &a, &b, &d] {
        h.enable();
    }

    let r = AsyncResource::builder("test.X")
        .require_manual_destroy(true)
        .build()
        .unwrap();
    let inside = r.run_in_async_scope(|| {
        // Inside the scope the before dispatch has returned: the changes are in force.
        (c.is_enabled(), b.is_enabled(), e.is_enabled())
    });
    assert_eq!(inside, (false, false, true));
    let names = [(r.async_id(), "r")];
    assert_eq!(
        log.take(&names),
        expect(&[
            (&["c", "a", "b", "d"], "init", "r"),
            (&["c", "a", "b", "d"], "before", "r"),
            (&["a", "d", "e"], "after", "r"),
        ])
    );
    r.emit_destroy().unwrap();
    assert_eq!(
        log.take(&names),
        expect(&[(&["a", "d", "e"], "destroy", "r")])
    );
    for h in [&a, &d, &e] {
        h.disable();
    }
}

#[test]
fn changes_in_after_apply_from_the_next_dispatch() {
    // S10: list a, c. a.after enables b and disables c: c still gets this after, b does not;
    // the next run is a, b.
    let log = Log::default();
    let (b_slot, c_slot) = (slot(), slot());
    let (bs, cs, once) = (b_slot.clone(), c_slot.clone(), Calls::default());
    let a = hook(
        "a",
        &log,
        Actions {
            after: Some(Box::new(move |_| {
                if once.first() {
                    bs.get().unwrap().enable();
                    cs.get().unwrap().disable();
                }
            })),
            ..Actions::default()
        },
    );
    let b = hook("b", &log, Actions::default());
    let c = hook("c", &log, Actions::default());
    b_slot.set(b.clone()).unwrap();
    c_slot.set(c.clone()).unwrap();
    a.enable();
    c.enable();

    let r = AsyncResource::new("test.X");
    r.run_in_async_scope(|| {});
    r.run_in_async_scope(|| {});
    let names = [(r.async_id(), "r")];
    assert_eq!(
        log.take(&names),
        expect(&[
            (&["a", "c"], "init", "r"),
            (&["a", "c"], "before", "r"),
            (&["a", "c"], "after", "r"),
            (&["a", "b"], "before", "r"),
            (&["a", "b"], "after", "r"),
        ])
    );
    a.disable();
    b.disable();
}

#[test]
fn changes_in_a_nested_dispatch_wait_for_the_outermost() {
    // S10: a hook enabled in the init of a resource created inside `before` (a nested
    // dispatch) joins only when the outermost `before` dispatch returns: it misses the rest of
    // that before, and gets the matching after.
    let log = Log::default();
    let late_slot: Slot = slot();
    let kept: Shared<AsyncResource> = Arc::default();
    let (ls, keep, once) = (late_slot.clone(), kept.clone(), Calls::default());
    let first = hook(
        "first",
        &log,
        Actions {
            before: Some(Box::new(move |_| {
                if once.first() {
                    keep.lock().unwrap().push(AsyncResource::new("test.Child"));
                }
            })),
            ..Actions::default()
        },
    );
    let enabler = hook(
        "enabler",
        &log,
        Actions {
            init: Some(Box::new(move |_| {
                if let Some(late) = ls.get() {
                    late.enable();
                }
            })),
            ..Actions::default()
        },
    );
    let last = hook("last", &log, Actions::default());
    let late = hook("late", &log, Actions::default());
    first.enable();
    enabler.enable();
    last.enable();
    let r = AsyncResource::new("test.X");
    late_slot.set(late.clone()).unwrap(); // from now on, enabler.init enables `late`
    log.take(&[]); // forget r's init
    r.run_in_async_scope(|| {});
    let child = std::mem::take(&mut *kept.lock().unwrap()).pop().unwrap();
    let names = [(r.async_id(), "r"), (child.async_id(), "child")];
    assert_eq!(
        log.take(&names),
        [
            "first.before(r)",
            "first.init(child)",
            "enabler.init(child)", // enables `late`
            "last.init(child)",    // nested dispatch: old list
            "enabler.before(r)",
            "last.before(r)", // outer dispatch resumes: old list
            "first.after(r)",
            "enabler.after(r)",
            "last.after(r)",
            "late.after(r)",
        ]
    );
    for h in [&first, &enabler, &last, &late] {
        h.disable();
    }
}

// ---------------------------------------------------------------------------------------
// S21

/// Code a callback calls: `in_hook_callback` holds there too.
fn helper_sees_callback() -> bool {
    in_hook_callback()
}

/// Whether a thread spawned from here is inside a callback (it never is: the flag is per thread).
fn on_another_thread() -> bool {
    thread::spawn(in_hook_callback).join().unwrap()
}

#[test]
fn in_hook_callback_is_true_inside_callbacks_only() {
    // S21
    let seen: Shared<(&str, bool, bool)> = Arc::default();
    let (s1, s2, s3, s4) = (seen.clone(), seen.clone(), seen.clone(), seen.clone());
    let hook = create_hook(
        FnHook::new()
            .on_init(move |_, _, _, _| {
                s1.lock()
                    .unwrap()
                    .push(("init", in_hook_callback(), helper_sees_callback()));
            })
            .on_before(move |_| {
                s2.lock()
                    .unwrap()
                    .push(("before", in_hook_callback(), on_another_thread()));
            })
            .on_after(move |_| {
                s3.lock()
                    .unwrap()
                    .push(("after", in_hook_callback(), helper_sees_callback()));
            })
            .on_destroy(move |_| {
                s4.lock()
                    .unwrap()
                    .push(("destroy", in_hook_callback(), helper_sees_callback()));
            }),
    );
    assert!(!in_hook_callback());
    hook.enable();
    assert!(!in_hook_callback());
    let r = AsyncResource::new("test.X");
    assert!(!in_hook_callback());
    // The resource's own code is not a callback.
    let in_scope = r.run_in_async_scope(|| (in_hook_callback(), helper_sees_callback()));
    assert_eq!(in_scope, (false, false));
    drop(r);
    assert!(!in_hook_callback());
    hook.disable();
    assert!(!in_hook_callback());

    assert_eq!(
        std::mem::take(&mut *seen.lock().unwrap()),
        [
            ("init", true, true),
            ("before", true, false), // another thread is not inside the callback
            ("after", true, true),
            ("destroy", true, true),
        ]
    );
}

/// A logger that is itself instrumented: outside hooks it makes a resource for each write (as
/// Node's `console.log` does); inside a callback it prints synchronously with `hook_println!`
/// and creates nothing, so the hook that calls it cannot recurse (S21).
fn instrumented_log(msg: &str, writes: &AtomicUsize) {
    if in_hook_callback() {
        hook_println!("[hook] {msg}");
    } else {
        let write = AsyncResource::new("test.LogWrite");
        write.run_in_async_scope(|| {
            writes.fetch_add(1, Ordering::SeqCst);
            println!("[app] {msg}");
        });
    }
}

#[test]
fn a_hook_that_logs_through_an_instrumented_logger_does_not_recurse() {
    // S21: the hook's init logs through a logger that creates resources; guarded by
    // in_hook_callback, the logger prints synchronously inside the callback instead.
    static WRITES: AtomicUsize = AtomicUsize::new(0);
    let inits = Arc::new(AtomicUsize::new(0));
    let counter = inits.clone();
    let hook = create_hook(FnHook::new().on_init(move |id, ty, trigger, _| {
        if counter.fetch_add(1, Ordering::SeqCst) > 100 {
            panic!("init recursed without end");
        }
        instrumented_log(&format!("{ty}({id}) trigger {trigger}"), &WRITES);
    }));
    hook.enable();

    let r = AsyncResource::new("test.Request"); // 1 init; the log line creates nothing
    instrumented_log("hello", &WRITES); // 1 LogWrite resource: 1 init, logged with no resource
    r.run_in_async_scope(|| instrumented_log("in scope", &WRITES)); // 1 more
    hook.disable();

    assert_eq!(inits.load(Ordering::SeqCst), 3);
    assert_eq!(WRITES.load(Ordering::SeqCst), 2);
}

#[test]
fn a_hook_that_creates_a_resource_in_its_own_init_is_bounded_by_in_hook_callback() {
    // S21: creating a resource from inside init dispatches init again to the same hook (the
    // list as it was, S10). The hook creates its resource through a helper that does so only
    // outside callbacks, and prints with hook_println!, which creates no resource.
    fn make_child_unless_in_callback() -> Option<AsyncResource> {
        (!in_hook_callback()).then(|| AsyncResource::new("test.Child"))
    }

    let inits: Shared<(AsyncId, String)> = Arc::default();
    let children = Arc::new(AtomicUsize::new(0));
    let (seen, made) = (inits.clone(), children.clone());
    let hook = create_hook(FnHook::new().on_init(move |id, ty, _, _| {
        let count = {
            let mut seen = seen.lock().unwrap();
            seen.push((id, ty.to_string()));
            seen.len()
        };
        assert!(count <= 10, "init recursed without end");
        hook_println!("init {ty}({id})");
        // The unguarded form, which would recurse: one level only, to show it does reach us.
        if ty == "test.Top" {
            let _nested = AsyncResource::new("test.Nested");
        }
        if make_child_unless_in_callback().is_some() {
            made.fetch_add(1, Ordering::SeqCst);
        }
    }));
    hook.enable();

    let top = AsyncResource::new("test.Top");
    let next = AsyncResource::new("test.Next");
    hook.disable();

    let seen = std::mem::take(&mut *inits.lock().unwrap());
    let types: Vec<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(types, ["test.Top", "test.Nested", "test.Next"]);
    assert_eq!(children.load(Ordering::SeqCst), 0);
    // hook_println! took no id: the only ids taken are the three resources'.
    assert_eq!(seen[0].0, top.async_id());
    assert_eq!(seen[1].0.as_u64(), top.async_id().as_u64() + 1);
    assert_eq!(next.async_id().as_u64(), top.async_id().as_u64() + 2);
    assert_eq!(seen[2].0, next.async_id());
}
