//! Model-based property test of hooks, ids and the execution context (SPEC S1–S18).
//!
//! Random sequences of operations (create a resource, enter it with a guard or `emit_before`,
//! leave the innermost scope, destroy it explicitly or by drop, enable and disable hooks, and
//! change the hook list from inside a hook's next callback) run against the real crate and
//! against [`Model`], a plain reference implementation of the rules: a `Vec` of enabled hooks, a
//! scope stack and an id counter. Both must agree on every hook call (hook, event, async id,
//! execution id and trigger id at the call), on every result, and on the execution context after
//! every step.
//!
//! The model never assumes absolute ids: other code may create resources. Real ids are mapped to
//! model ids (`r0`, `r1`, ...) in creation order within the test case.
//!
//! Hooks are process-global: run with `cargo nextest` (one process per test). Under `cargo
//! test` the tests of this file take one lock, so that they do not overlap.

use std::collections::HashMap;
use std::fmt;
use std::mem;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_hooks::{
    create_hook, execution_async_id, scope_depth, trigger_async_id, AsyncHook, AsyncId,
    AsyncResource, Callbacks, Hook, Resource,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError};

/// How many hooks a case plays with.
const HOOKS: usize = 3;
/// Ids named as triggers that no resource has (S4): `FOREIGN + x`.
const FOREIGN: u64 = 1 << 48;
const RES: &str = "model.Res";
const NESTED: &str = "model.Nested";

/// Hook 2 has no `before`, so that one event's listeners differ from another's (the per-event
/// lists and fast-path flags of the registry, S10, S12).
fn callbacks_of(hook: usize) -> Callbacks {
    if hook == 2 {
        Callbacks::INIT | Callbacks::AFTER | Callbacks::DESTROY
    } else {
        Callbacks::ALL
    }
}

fn has(hook: usize, kind: Kind) -> bool {
    let c = match kind {
        Kind::Init => Callbacks::INIT,
        Kind::Before => Callbacks::BEFORE,
        Kind::After => Callbacks::AFTER,
        Kind::Destroy => Callbacks::DESTROY,
    };
    callbacks_of(hook).contains(c)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    lock(&SERIAL)
}

// ---------------------------------------------------------------------------------------------
// What both sides report

/// An id as the test sees it: model ids in creation order, never absolute ones.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Id {
    None,
    Root,
    Res(usize),
    Foreign(u64),
    /// A real id that no resource of this case has: a bug on one side.
    Unknown(u64),
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::None => f.write_str("0"),
            Id::Root => f.write_str("root"),
            Id::Res(n) => write!(f, "r{n}"),
            Id::Foreign(x) => write!(f, "foreign{x}"),
            Id::Unknown(raw) => write!(f, "unknown#{raw}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Init,
    Before,
    After,
    Destroy,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Res,
    Nested,
    Other,
}

impl Ty {
    fn of(name: &str) -> Ty {
        match name {
            RES => Ty::Res,
            NESTED => Ty::Nested,
            _ => Ty::Other,
        }
    }
}

/// One hook call: which hook, which event for which resource, and the context at the call.
#[derive(Clone, PartialEq, Eq)]
struct Call {
    hook: usize,
    kind: Kind,
    id: Id,
    /// `init` only: the type and the trigger argument.
    init: Option<(Ty, Id)>,
    /// `execution_async_id()` inside the callback.
    exec: Id,
    /// `trigger_async_id()` inside the callback.
    trigger: Id,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h{}.{:?}({:?}", self.hook, self.kind, self.id)?;
        if let Some((ty, trigger)) = self.init {
            write!(f, " {ty:?} <- {trigger:?}")?;
        }
        write!(f, ") in ({:?}, {:?})", self.exec, self.trigger)
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Outcome {
    Done,
    /// A new resource, with its `async_id()` and `trigger_async_id()` (S23).
    Created {
        id: Id,
        trigger: Id,
    },
    /// `emit_after` with no scope open: an error (S20).
    NoScope,
    /// A second `emit_destroy`: an error, no event (S17).
    AlreadyDestroyed,
    /// Any other result: a bug on one side.
    Unexpected(String),
}

/// What one step did.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Obs {
    calls: Vec<Call>,
    outcome: Outcome,
    /// `execution_async_id()`, `trigger_async_id()` and `scope_depth()` after the step.
    exec: Id,
    trigger: Id,
    depth: usize,
}

// ---------------------------------------------------------------------------------------------
// Operations

/// What a hook does in its next callback, whatever the event.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Enable(usize),
    Disable(usize),
    /// Create a resource, run an empty closure in its scope and drop it: nested dispatches.
    Nested,
}

#[derive(Clone, Copy, Debug)]
enum Trigger {
    Default,
    Root,
    None,
    /// A resource of this case, the `n % count`-th.
    Earlier(u8),
    Foreign(u64),
}

/// A generated operation. Resource picks are resolved by the model against its state, so that
/// every sequence is valid (no mismatched `after`: that is fatal, and tests/fatal.rs has it).
#[derive(Clone, Copy)]
enum Op {
    Create {
        trigger: Trigger,
        manual: bool,
    },
    /// Open a guard on a resource held by the test.
    Enter(u8),
    /// `emit_before` on a resource held by the test.
    Before(u8),
    /// Close the innermost scope (drop its guard or `emit_after`); with none open, a stray
    /// `emit_after` (an error, S20).
    Leave,
    /// `emit_destroy` on a resource held by the test, destroyed already or not.
    Destroy(u8),
    /// Drop a resource held by the test whose scope is not open.
    Drop(u8),
    Enable(usize),
    Disable(usize),
    /// `hook` does `action` in its next callback.
    InCallback {
        hook: usize,
        action: Action,
    },
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Create { trigger, manual } => {
                write!(
                    f,
                    "create({trigger:?}{})",
                    if *manual { ", manual" } else { "" }
                )
            }
            Op::Enter(p) => write!(f, "enter({p})"),
            Op::Before(p) => write!(f, "before({p})"),
            Op::Leave => f.write_str("leave"),
            Op::Destroy(p) => write!(f, "destroy({p})"),
            Op::Drop(p) => write!(f, "drop({p})"),
            Op::Enable(k) => write!(f, "enable(h{k})"),
            Op::Disable(k) => write!(f, "disable(h{k})"),
            Op::InCallback { hook, action } => write!(f, "in h{hook}: {action:?}"),
        }
    }
}

/// An operation resolved against the model's state, as both sides run it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Create { trigger: Option<Id>, manual: bool },
    Enter(usize),
    Before(usize),
    DropGuard(usize),
    After(usize),
    StrayAfter(usize),
    Destroy(usize),
    Drop(usize),
    Enable(usize),
    Disable(usize),
    InCallback { hook: usize, action: Action },
    Skip,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Create { trigger, manual } => {
                f.write_str("create(")?;
                match trigger {
                    Some(t) => write!(f, "trigger {t:?}")?,
                    None => f.write_str("default trigger")?,
                }
                write!(f, "{})", if *manual { ", manual destroy" } else { "" })
            }
            Step::Enter(r) => write!(f, "r{r}.enter()"),
            Step::Before(r) => write!(f, "r{r}.emit_before()"),
            Step::DropGuard(r) => write!(f, "drop guard of r{r}"),
            Step::After(r) => write!(f, "r{r}.emit_after()"),
            Step::StrayAfter(r) => write!(f, "r{r}.emit_after() with no scope open"),
            Step::Destroy(r) => write!(f, "r{r}.emit_destroy()"),
            Step::Drop(r) => write!(f, "drop(r{r})"),
            Step::Enable(k) => write!(f, "h{k}.enable()"),
            Step::Disable(k) => write!(f, "h{k}.disable()"),
            Step::InCallback { hook, action } => {
                write!(f, "in h{hook}'s next callback: {action:?}")
            }
            Step::Skip => f.write_str("(nothing to do)"),
        }
    }
}

fn pick(candidates: &[usize], p: u8) -> Option<usize> {
    if candidates.is_empty() {
        None
    } else {
        Some(candidates[p as usize % candidates.len()])
    }
}

// ---------------------------------------------------------------------------------------------
// The model

/// A deliberate mistake in the model, to prove that the check notices one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flaw {
    None,
    /// A hook disabled inside a callback is skipped at once (against S10).
    NoPinning,
    /// `destroy` runs in the context of the code that ends the resource (against S18).
    DestroyKeepsContext,
}

struct Scope {
    res: usize,
    guard: bool,
    saved: (Id, Id),
}

struct ModelResource {
    trigger: Id,
    /// The test still holds it (nested resources never are).
    held: bool,
    destroyed: bool,
    manual: bool,
}

/// SPEC S1–S18 as plainly as they can be written.
struct Model {
    flaw: Flaw,
    /// Enabled hooks, in enable order (S8, S9).
    enabled: Vec<usize>,
    /// The list the outermost dispatch under way took; nested dispatches use it too (S10).
    pinned: Option<Vec<usize>>,
    pending: [Option<Action>; HOOKS],
    /// The execution context: `(1, 0)` at the root (S2).
    exec: Id,
    trigger: Id,
    scopes: Vec<Scope>,
    /// By model id: ids are handed out in creation order and never reused (S1).
    resources: Vec<ModelResource>,
    calls: Vec<Call>,
}

impl Model {
    fn new(flaw: Flaw) -> Model {
        Model {
            flaw,
            enabled: Vec::new(),
            pinned: None,
            pending: [None; HOOKS],
            exec: Id::Root,
            trigger: Id::None,
            scopes: Vec::new(),
            resources: Vec::new(),
            calls: Vec::new(),
        }
    }

    /// The steps for `ops`, then the steps that close every scope, drop every resource and
    /// disable every hook, with what each step must do.
    fn plan(ops: &[Op], flaw: Flaw) -> (Vec<Step>, Vec<Obs>) {
        let mut model = Model::new(flaw);
        let mut steps = Vec::new();
        let mut expected = Vec::new();
        for &op in ops {
            let step = model.resolve(op);
            expected.push(model.apply(step));
            steps.push(step);
        }
        let mut cleanup: Vec<Step> = model
            .scopes
            .iter()
            .rev()
            .map(|s| {
                if s.guard {
                    Step::DropGuard(s.res)
                } else {
                    Step::After(s.res)
                }
            })
            .collect();
        cleanup.extend(
            (0..model.resources.len())
                .filter(|&r| model.resources[r].held)
                .map(Step::Drop),
        );
        cleanup.extend((0..HOOKS).map(Step::Disable));
        for step in cleanup {
            expected.push(model.apply(step));
            steps.push(step);
        }
        (steps, expected)
    }

    fn resolve(&self, op: Op) -> Step {
        let held: Vec<usize> = (0..self.resources.len())
            .filter(|&r| self.resources[r].held)
            .collect();
        match op {
            Op::Create { trigger, manual } => {
                let trigger = match trigger {
                    Trigger::Default => None,
                    Trigger::Root => Some(Id::Root),
                    Trigger::None => Some(Id::None),
                    Trigger::Earlier(p) if !self.resources.is_empty() => {
                        Some(Id::Res(p as usize % self.resources.len()))
                    }
                    Trigger::Earlier(_) => None,
                    Trigger::Foreign(x) => Some(Id::Foreign(x)),
                };
                Step::Create { trigger, manual }
            }
            Op::Enter(p) => pick(&held, p).map_or(Step::Skip, Step::Enter),
            Op::Before(p) => pick(&held, p).map_or(Step::Skip, Step::Before),
            Op::Leave => match self.scopes.last() {
                Some(s) if s.guard => Step::DropGuard(s.res),
                Some(s) => Step::After(s.res),
                None => held.first().map_or(Step::Skip, |&r| Step::StrayAfter(r)),
            },
            Op::Destroy(p) => pick(&held, p).map_or(Step::Skip, Step::Destroy),
            Op::Drop(p) => {
                let free: Vec<usize> = held
                    .into_iter()
                    .filter(|&r| self.scopes.iter().all(|s| s.res != r))
                    .collect();
                pick(&free, p).map_or(Step::Skip, Step::Drop)
            }
            Op::Enable(k) => Step::Enable(k),
            Op::Disable(k) => Step::Disable(k),
            Op::InCallback { hook, action } => Step::InCallback { hook, action },
        }
    }

    fn apply(&mut self, step: Step) -> Obs {
        let outcome = match step {
            Step::Create { trigger, manual } => {
                let r = self.create(trigger, manual, Ty::Res, true);
                Outcome::Created {
                    id: Id::Res(r),
                    trigger: self.resources[r].trigger,
                }
            }
            Step::Enter(r) => {
                self.enter(r, true);
                Outcome::Done
            }
            Step::Before(r) => {
                self.enter(r, false);
                Outcome::Done
            }
            Step::DropGuard(_) | Step::After(_) => {
                self.leave();
                Outcome::Done
            }
            // S20: an error, no event.
            Step::StrayAfter(_) => Outcome::NoScope,
            // S17: a second explicit destroy is an error, never a second event.
            Step::Destroy(r) if self.resources[r].destroyed => Outcome::AlreadyDestroyed,
            Step::Destroy(r) => {
                self.destroy(r);
                Outcome::Done
            }
            Step::Drop(r) => {
                self.resources[r].held = false;
                // S17: the drop destroys, unless destroyed already or manual-destroy.
                if !self.resources[r].destroyed && !self.resources[r].manual {
                    self.destroy(r);
                }
                Outcome::Done
            }
            Step::Enable(k) => {
                self.enable(k);
                Outcome::Done
            }
            Step::Disable(k) => {
                self.disable(k);
                Outcome::Done
            }
            Step::InCallback { hook, action } => {
                self.pending[hook] = Some(action);
                Outcome::Done
            }
            Step::Skip => Outcome::Done,
        };
        Obs {
            calls: mem::take(&mut self.calls),
            outcome,
            exec: self.exec,
            trigger: self.trigger,
            depth: self.scopes.len(),
        }
    }

    /// S1, S4, S14: the next id; the trigger named or the current execution id; `init` in the
    /// creator's context.
    fn create(&mut self, trigger: Option<Id>, manual: bool, ty: Ty, held: bool) -> usize {
        let r = self.resources.len();
        let trigger = trigger.unwrap_or(self.exec);
        self.resources.push(ModelResource {
            trigger,
            held,
            destroyed: false,
            manual,
        });
        self.dispatch(Kind::Init, r, Some((ty, trigger)));
        r
    }

    /// S3, S15: push the context, then `before` inside it.
    fn enter(&mut self, r: usize, guard: bool) {
        self.scopes.push(Scope {
            res: r,
            guard,
            saved: (self.exec, self.trigger),
        });
        self.exec = Id::Res(r);
        self.trigger = self.resources[r].trigger;
        self.dispatch(Kind::Before, r, None);
    }

    /// S15, S16: `after` inside the innermost scope, then pop it.
    fn leave(&mut self) {
        let Some(r) = self.scopes.last().map(|s| s.res) else {
            return;
        };
        self.dispatch(Kind::After, r, None);
        if let Some(scope) = self.scopes.pop() {
            (self.exec, self.trigger) = scope.saved;
        }
    }

    /// S17, S18: one `destroy`, where the resource ends, with the context `(0, 0)`.
    fn destroy(&mut self, r: usize) {
        self.resources[r].destroyed = true;
        let saved = (self.exec, self.trigger);
        if self.flaw != Flaw::DestroyKeepsContext {
            (self.exec, self.trigger) = (Id::None, Id::None);
        }
        self.dispatch(Kind::Destroy, r, None);
        (self.exec, self.trigger) = saved;
    }

    /// S8, S9: at most once in the list, at the end.
    fn enable(&mut self, k: usize) {
        if !self.enabled.contains(&k) {
            self.enabled.push(k);
        }
    }

    fn disable(&mut self, k: usize) {
        self.enabled.retain(|&h| h != k);
    }

    /// S9, S10, S11: every hook of the list pinned by the outermost dispatch, in enable order,
    /// whether or not it saw the resource's `init`.
    fn dispatch(&mut self, kind: Kind, r: usize, init: Option<(Ty, Id)>) {
        let outermost = self.pinned.is_none();
        if outermost {
            self.pinned = Some(self.enabled.clone());
        }
        let list = self.pinned.clone().unwrap_or_default();
        for hook in list {
            if !has(hook, kind) {
                continue;
            }
            if self.flaw == Flaw::NoPinning && !self.enabled.contains(&hook) {
                continue;
            }
            self.calls.push(Call {
                hook,
                kind,
                id: Id::Res(r),
                init,
                exec: self.exec,
                trigger: self.trigger,
            });
            if let Some(action) = self.pending[hook].take() {
                self.perform(action);
            }
        }
        if outermost {
            self.pinned = None;
        }
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::Enable(k) => self.enable(k),
            Action::Disable(k) => self.disable(k),
            Action::Nested => {
                let n = self.create(None, false, Ty::Nested, false);
                self.enter(n, true);
                self.leave();
                self.destroy(n);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The real crate

struct RawCall {
    hook: usize,
    kind: Kind,
    id: AsyncId,
    init: Option<(Ty, AsyncId)>,
    exec: AsyncId,
    trigger: AsyncId,
}

/// What the hooks of one case share with the test.
#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<RawCall>>,
    /// Raw ids of the resources created since the last step, in any order.
    created: Mutex<Vec<u64>>,
    pending: Mutex<[Option<Action>; HOOKS]>,
    hooks: Mutex<Vec<AsyncHook>>,
}

struct ModelHook {
    index: usize,
    shared: Arc<Shared>,
}

impl ModelHook {
    fn on(&self, kind: Kind, id: AsyncId, init: Option<(Ty, AsyncId)>) {
        lock(&self.shared.calls).push(RawCall {
            hook: self.index,
            kind,
            id,
            init,
            exec: execution_async_id(),
            trigger: trigger_async_id(),
        });
        let action = lock(&self.shared.pending)[self.index].take();
        match action {
            None => {}
            Some(Action::Enable(k)) => {
                let hook = lock(&self.shared.hooks)[k].clone();
                hook.enable();
            }
            Some(Action::Disable(k)) => {
                let hook = lock(&self.shared.hooks)[k].clone();
                hook.disable();
            }
            Some(Action::Nested) => {
                let res = AsyncResource::new(NESTED);
                lock(&self.shared.created).push(res.async_id().as_u64());
                res.run_in_async_scope(|| {});
                drop(res);
            }
        }
    }
}

impl Hook for ModelHook {
    fn init(&self, id: AsyncId, ty: &str, trigger: AsyncId, _resource: &Resource) {
        self.on(Kind::Init, id, Some((Ty::of(ty), trigger)));
    }
    fn before(&self, id: AsyncId) {
        self.on(Kind::Before, id, None);
    }
    fn after(&self, id: AsyncId) {
        self.on(Kind::After, id, None);
    }
    fn destroy(&self, id: AsyncId) {
        self.on(Kind::Destroy, id, None);
    }
    fn callbacks(&self) -> Callbacks {
        callbacks_of(self.index)
    }
}

struct Real {
    shared: Arc<Shared>,
    hooks: Vec<AsyncHook>,
    /// Model id to real id, and back.
    raw_of: Vec<u64>,
    model_of: HashMap<u64, usize>,
    /// The resources the test holds, by model id.
    held: HashMap<usize, Arc<AsyncResource>>,
    /// Created in the step under way, not yet given a model id.
    fresh: Vec<Arc<AsyncResource>>,
}

impl Real {
    fn new() -> Real {
        let shared = Arc::new(Shared::default());
        let hooks: Vec<AsyncHook> = (0..HOOKS)
            .map(|index| {
                create_hook(ModelHook {
                    index,
                    shared: shared.clone(),
                })
            })
            .collect();
        *lock(&shared.hooks) = hooks.clone();
        Real {
            shared,
            hooks,
            raw_of: Vec::new(),
            model_of: HashMap::new(),
            held: HashMap::new(),
            fresh: Vec::new(),
        }
    }

    fn raw(&self, id: Id) -> AsyncId {
        AsyncId::new(match id {
            Id::None => 0,
            Id::Root => 1,
            Id::Res(n) => self.raw_of[n],
            Id::Foreign(x) => FOREIGN + x,
            Id::Unknown(raw) => raw,
        })
    }

    fn id(&self, raw: AsyncId) -> Id {
        match raw.as_u64() {
            0 => Id::None,
            1 => Id::Root,
            raw if raw >= FOREIGN => Id::Foreign(raw - FOREIGN),
            raw => self
                .model_of
                .get(&raw)
                .map_or(Id::Unknown(raw), |&n| Id::Res(n)),
        }
    }

    fn resource(&self, r: usize) -> Arc<AsyncResource> {
        self.held[&r].clone()
    }

    /// Gives the resources created in this step their model ids (S1: in creation order, each
    /// above every earlier one), and reports what the step did.
    fn observe(&mut self, outcome: impl FnOnce(&Real) -> Outcome) -> Obs {
        let mut created = mem::take(&mut *lock(&self.shared.created));
        created.sort_unstable();
        for raw in created {
            let last = self.raw_of.last().copied().unwrap_or(1);
            assert!(
                raw > last,
                "S1: new id {raw} is not above the previous one, {last}"
            );
            self.model_of.insert(raw, self.raw_of.len());
            self.raw_of.push(raw);
        }
        for res in mem::take(&mut self.fresh) {
            let r = self.model_of[&res.async_id().as_u64()];
            self.held.insert(r, res);
        }
        let raw_calls = mem::take(&mut *lock(&self.shared.calls));
        let calls = raw_calls
            .into_iter()
            .map(|c| Call {
                hook: c.hook,
                kind: c.kind,
                id: self.id(c.id),
                init: c.init.map(|(ty, trigger)| (ty, self.id(trigger))),
                exec: self.id(c.exec),
                trigger: self.id(c.trigger),
            })
            .collect();
        Obs {
            calls,
            outcome: outcome(self),
            exec: self.id(execution_async_id()),
            trigger: self.id(trigger_async_id()),
            depth: scope_depth(),
        }
    }
}

impl Drop for Real {
    fn drop(&mut self) {
        for hook in &self.hooks {
            hook.disable();
        }
        // Break the cycle hook -> shared -> hook.
        lock(&self.shared.hooks).clear();
    }
}

enum Exit {
    End,
    /// A `DropGuard` step for the guard of the caller's frame.
    DropGuard,
}

/// Runs `steps`; each guard lives in a frame of this recursion, dropped when its `DropGuard`
/// step comes.
fn run(
    real: &mut Real,
    steps: &mut std::slice::Iter<'_, Step>,
    out: &mut Vec<Obs>,
    guard_of: Option<usize>,
) -> Exit {
    while let Some(&step) = steps.next() {
        let obs = match step {
            Step::Create { trigger, manual } => {
                let trigger = trigger.map(|t| real.raw(t));
                let res = match (trigger, manual) {
                    (None, false) => AsyncResource::new(RES),
                    (Some(t), false) => AsyncResource::with_trigger(RES, t),
                    (t, true) => {
                        let mut builder = AsyncResource::builder(RES).require_manual_destroy(true);
                        if let Some(t) = t {
                            builder = builder.trigger(t);
                        }
                        builder.build().unwrap()
                    }
                };
                let (id, trigger) = (res.async_id(), res.trigger_async_id());
                lock(&real.shared.created).push(id.as_u64());
                real.fresh.push(Arc::new(res));
                real.observe(|real| Outcome::Created {
                    id: real.id(id),
                    trigger: real.id(trigger),
                })
            }
            Step::Enter(r) => {
                let res = real.resource(r);
                let guard = res.enter();
                out.push(real.observe(|_| Outcome::Done));
                let exit = run(real, steps, out, Some(r));
                drop(guard);
                match exit {
                    Exit::DropGuard => real.observe(|_| Outcome::Done),
                    Exit::End => return Exit::End,
                }
            }
            Step::DropGuard(r) => {
                assert_eq!(
                    guard_of,
                    Some(r),
                    "harness: the innermost guard is not r{r}'s"
                );
                return Exit::DropGuard;
            }
            Step::Before(r) => {
                real.resource(r).emit_before();
                real.observe(|_| Outcome::Done)
            }
            Step::After(r) | Step::StrayAfter(r) => {
                let result = real.resource(r).emit_after();
                real.observe(|_| match result {
                    Ok(()) => Outcome::Done,
                    Err(e) if e.is_no_scope() => Outcome::NoScope,
                    Err(e) => Outcome::Unexpected(e.to_string()),
                })
            }
            Step::Destroy(r) => {
                let result = real.resource(r).emit_destroy();
                real.observe(|_| match result {
                    Ok(()) => Outcome::Done,
                    Err(e) if e.is_already_destroyed() => Outcome::AlreadyDestroyed,
                    Err(e) => Outcome::Unexpected(e.to_string()),
                })
            }
            Step::Drop(r) => {
                let res = real.held.remove(&r).and_then(Arc::into_inner);
                drop(res.expect("harness: a dropped resource is still shared"));
                real.observe(|_| Outcome::Done)
            }
            Step::Enable(k) => {
                real.hooks[k].enable();
                real.observe(|_| Outcome::Done)
            }
            Step::Disable(k) => {
                real.hooks[k].disable();
                real.observe(|_| Outcome::Done)
            }
            Step::InCallback { hook, action } => {
                lock(&real.shared.pending)[hook] = Some(action);
                real.observe(|_| Outcome::Done)
            }
            Step::Skip => real.observe(|_| Outcome::Done),
        };
        out.push(obs);
    }
    Exit::End
}

/// Runs `steps` on the real crate, on a thread of its own (a fresh execution context, S2).
fn run_real(steps: &[Step]) -> Result<Vec<Obs>, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut real = Real::new();
            let mut out = Vec::new();
            run(&mut real, &mut steps.iter(), &mut out, None);
            out
        })
        .join()
    })
    .map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("the real run panicked: {message}")
    })
}

/// Runs `ops` on both sides; on the first difference, says where, with the steps up to it.
fn check(ops: &[Op], flaw: Flaw) -> Result<(), String> {
    let _serial = serial();
    let (steps, expected) = Model::plan(ops, flaw);
    let actual = run_real(&steps)?;
    let first_difference = (0..steps.len()).find(|&i| expected.get(i) != actual.get(i));
    let Some(at) = first_difference else {
        return Ok(());
    };
    let mut report = format!("the real crate and the model disagree at step {at}:\n");
    for (i, step) in steps.iter().enumerate().take(at + 1) {
        report += &format!("  {i:>3}: {step:?}\n");
    }
    report += &format!(
        "model: {:#?}\nreal:  {:#?}\n",
        expected.get(at),
        actual.get(at)
    );
    Err(report)
}

// ---------------------------------------------------------------------------------------------
// Strategies

fn trigger() -> impl Strategy<Value = Trigger> {
    prop_oneof![
        6 => Just(Trigger::Default),
        1 => Just(Trigger::Root),
        1 => Just(Trigger::None),
        2 => any::<u8>().prop_map(Trigger::Earlier),
        1 => (0u64..4).prop_map(Trigger::Foreign),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => (0..HOOKS).prop_map(Action::Enable),
        2 => (0..HOOKS).prop_map(Action::Disable),
        1 => Just(Action::Nested),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (trigger(), prop::bool::weighted(0.2))
            .prop_map(|(trigger, manual)| Op::Create { trigger, manual }),
        3 => any::<u8>().prop_map(Op::Enter),
        2 => any::<u8>().prop_map(Op::Before),
        4 => Just(Op::Leave),
        2 => any::<u8>().prop_map(Op::Destroy),
        2 => any::<u8>().prop_map(Op::Drop),
        3 => (0..HOOKS).prop_map(Op::Enable),
        2 => (0..HOOKS).prop_map(Op::Disable),
        3 => (0..HOOKS, action()).prop_map(|(hook, action)| Op::InCallback { hook, action }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Tests

proptest! {
    #![proptest_config(Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x00a5_9c4b_0075),
        failure_persistence: None,
        ..Config::default()
    })]

    // S1 S2 S3 S4 S6 S8 S9 S10 S11 S14 S15 S16 S17 S18 S20 S22 S23 S25 S26
    #[test]
    fn real_crate_matches_the_model(ops in vec(op(), 0..=60)) {
        check(&ops, Flaw::None).map_err(TestCaseError::fail)?;
    }
}

/// The example of S10, written out: the model's prediction and the real calls, both pinned.
#[test]
fn s10_example_from_the_spec() {
    // S10
    use Op::*;
    let ops = [
        Enable(0),
        Enable(1),
        Create {
            trigger: Trigger::Default,
            manual: false,
        },
        // h0.before disables h1, later in the list: h1 still gets that `before`, not the `after`.
        InCallback {
            hook: 0,
            action: Action::Disable(1),
        },
        Enter(0),
        Leave,
        // h0.before enables h1: h1 misses that `before` but gets the matching `after`.
        InCallback {
            hook: 0,
            action: Action::Enable(1),
        },
        Enter(0),
        Leave,
    ];
    let (steps, expected) = Model::plan(&ops, Flaw::None);
    let actual = run_real(&steps).unwrap();
    assert_eq!(actual, expected);
    let calls = |i: usize| -> Vec<(usize, Kind)> {
        actual[i].calls.iter().map(|c| (c.hook, c.kind)).collect()
    };
    assert_eq!(calls(4), [(0, Kind::Before), (1, Kind::Before)]);
    assert_eq!(calls(5), [(0, Kind::After)]);
    assert_eq!(calls(7), [(0, Kind::Before)]);
    assert_eq!(calls(8), [(0, Kind::After), (1, Kind::After)]);
}

/// The check is not vacuous: a model with a mistake in it is caught, at the step it shows.
#[test]
fn a_wrong_model_is_caught() {
    // S10 S18
    use Op::*;
    let ops = [
        Enable(0),
        Enable(1),
        InCallback {
            hook: 0,
            action: Action::Disable(1),
        },
        Create {
            trigger: Trigger::Default,
            manual: false,
        },
        Destroy(0),
    ];
    assert_eq!(check(&ops, Flaw::None), Ok(()));
    let err = check(&ops, Flaw::NoPinning).unwrap_err();
    assert!(err.contains("disagree at step 3"), "{err}");
    let err = check(&ops, Flaw::DestroyKeepsContext).unwrap_err();
    assert!(err.contains("disagree at step 4"), "{err}");
}
