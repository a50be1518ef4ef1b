//! Test support shared by the task tests: a hook that records every event with the thread
//! and context it ran in, and checks over what it recorded.
//!
//! Each test binary compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use async_hooks::{create_hook, execution_async_id, AsyncHook, AsyncId, FnHook};
use async_hooks_tokio::task::TaskInfo;

// ---------------------------------------------------------------------------------------------
// A hook that records every event with the thread and context it ran in.

#[derive(Clone, Debug)]
pub enum Ev {
    Init {
        id: AsyncId,
        ty: String,
        trigger: AsyncId,
        exec: AsyncId,
        thread: ThreadId,
        line: Option<u32>,
        name: Option<String>,
        tokio_id: Option<tokio::task::Id>,
    },
    Before {
        id: AsyncId,
        exec: AsyncId,
        thread: ThreadId,
    },
    After {
        id: AsyncId,
        exec: AsyncId,
        thread: ThreadId,
    },
    Destroy {
        id: AsyncId,
    },
}

impl Ev {
    pub fn id(&self) -> AsyncId {
        match self {
            Ev::Init { id, .. }
            | Ev::Before { id, .. }
            | Ev::After { id, .. }
            | Ev::Destroy { id } => *id,
        }
    }
}

pub struct Recorder {
    events: Arc<Mutex<Vec<Ev>>>,
    hook: AsyncHook,
}

pub fn record() -> Recorder {
    let events = Arc::new(Mutex::new(Vec::new()));
    let (i, b, a, d) = (
        events.clone(),
        events.clone(),
        events.clone(),
        events.clone(),
    );
    let hook = create_hook(
        FnHook::new()
            .on_init(move |id, ty, trigger, res| {
                i.lock().unwrap().push(Ev::Init {
                    id,
                    ty: ty.to_owned(),
                    trigger,
                    exec: execution_async_id(),
                    thread: std::thread::current().id(),
                    line: res.created_at().map(|l| l.line()),
                    name: res
                        .payload::<TaskInfo>()
                        .and_then(|t| t.name().map(String::from)),
                    tokio_id: res.payload::<TaskInfo>().and_then(TaskInfo::tokio_id),
                })
            })
            .on_before(move |id| {
                b.lock().unwrap().push(Ev::Before {
                    id,
                    exec: execution_async_id(),
                    thread: std::thread::current().id(),
                })
            })
            .on_after(move |id| {
                a.lock().unwrap().push(Ev::After {
                    id,
                    exec: execution_async_id(),
                    thread: std::thread::current().id(),
                })
            })
            .on_destroy(move |id| d.lock().unwrap().push(Ev::Destroy { id })),
    );
    hook.enable();
    Recorder { events, hook }
}

impl Recorder {
    pub fn events(&self) -> Vec<Ev> {
        self.events.lock().unwrap().clone()
    }

    /// The inits of type `ty`, in order.
    pub fn inits(&self, ty: &str) -> Vec<Ev> {
        self.events()
            .into_iter()
            .filter(|e| matches!(e, Ev::Init { ty: t, .. } if t == ty))
            .collect()
    }

    /// The ids of the resources of type `ty`, in creation order.
    pub fn ids(&self, ty: &str) -> Vec<AsyncId> {
        self.inits(ty).iter().map(Ev::id).collect()
    }

    /// Checks one resource's whole life and returns how many times it ran (S15, S17): one
    /// `init` first, one `destroy` last, `before`/`after` alternating in between, each pair on
    /// one thread, with the execution id the resource's own inside both.
    pub fn life(&self, id: AsyncId) -> usize {
        let events: Vec<Ev> = self.events().into_iter().filter(|e| e.id() == id).collect();
        assert!(
            matches!(events.first(), Some(Ev::Init { .. })),
            "{id}: {events:?}"
        );
        assert!(
            matches!(events.last(), Some(Ev::Destroy { .. })),
            "{id}: {events:?}"
        );
        let middle = &events[1..events.len() - 1];
        assert_eq!(middle.len() % 2, 0, "{id}: unbalanced {events:?}");
        for pair in middle.chunks(2) {
            match pair {
                [Ev::Before {
                    exec: e1,
                    thread: t1,
                    ..
                }, Ev::After {
                    exec: e2,
                    thread: t2,
                    ..
                }] => {
                    assert_eq!((*e1, *e2), (id, id), "S15: {id}: {events:?}");
                    assert_eq!(t1, t2, "a poll starts and ends on one thread: {events:?}");
                }
                _ => panic!("{id}: before/after do not alternate: {events:?}"),
            }
        }
        middle.len() / 2
    }

    pub fn count_destroys(&self, id: AsyncId) -> usize {
        self.events()
            .iter()
            .filter(|e| matches!(e, Ev::Destroy { id: d } if *d == id))
            .count()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.hook.disable();
    }
}
