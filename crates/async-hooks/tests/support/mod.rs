//! Test support shared by the hook tests: a log of callbacks, rendered for assertions.
//!
//! Each test binary compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use async_hooks::AsyncId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Init,
    Before,
    After,
    Destroy,
}

/// A shared log of `(thread, hook name, event, id)`, rendered as `"a.init(r1)"`.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Entry>>>);

/// One logged callback: the thread it ran on, the hook's name, the event and its id.
pub type Entry = (ThreadId, &'static str, Event, AsyncId);

impl Log {
    pub fn push(&self, hook: &'static str, event: Event, id: AsyncId) {
        let me = thread::current().id();
        self.0.lock().unwrap().push((me, hook, event, id));
    }

    /// This thread's events so far, with the ids in `names` replaced by their names, and
    /// clears the log.
    pub fn take(&self, names: &[(AsyncId, &str)]) -> Vec<String> {
        let me = thread::current().id();
        let events = std::mem::take(&mut *self.0.lock().unwrap());
        events
            .into_iter()
            .filter(|(t, ..)| *t == me)
            .map(|(_, hook, event, id)| {
                let name = names
                    .iter()
                    .find(|(n, _)| *n == id)
                    .map_or_else(|| id.to_string(), |(_, n)| (*n).to_string());
                let event = match event {
                    Event::Init => "init",
                    Event::Before => "before",
                    Event::After => "after",
                    Event::Destroy => "destroy",
                };
                format!("{hook}.{event}({name})")
            })
            .collect()
    }
}
