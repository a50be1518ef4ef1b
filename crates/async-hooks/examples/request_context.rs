//! A request id that follows the work a request causes.
//!
//! The "edge" (the code that accepts a request) sets the request id once, with
//! `AsyncLocalStorage::run`. Nothing passes it on by hand: callbacks queued in a job queue and
//! run later (each an `AsyncResource`), callbacks those callbacks queue, and a `std` thread
//! started with `async_hooks::thread::spawn` all read it from the store. Two requests are
//! handled with their jobs interleaved, and neither sees the other's id. Each line also prints
//! the execution id (the resource running now) and the trigger id (the one that caused it).
//!
//! Run it with:
//!
//! ```text
//! cargo run -p async-hooks --example request_context
//! ```

use std::collections::VecDeque;
use std::thread::JoinHandle;

use async_hooks::{execution_async_id, thread, trigger_async_id, AsyncLocalStorage, AsyncResource};

static REQUEST_ID: AsyncLocalStorage<u32> = AsyncLocalStorage::new();

type Job = Box<dyn FnOnce(&mut JobQueue)>;

/// Callbacks to run later, each in the scope of a resource made when it was queued.
#[derive(Default)]
struct JobQueue {
    jobs: VecDeque<(AsyncResource, Job)>,
}

impl JobQueue {
    fn push(&mut self, job: impl FnOnce(&mut JobQueue) + 'static) {
        // The resource captures the context of the code queueing the job.
        let resource = AsyncResource::new("request-context.Job");
        self.jobs.push_back((resource, Box::new(job)));
    }

    fn run_all(&mut self) {
        while let Some((resource, job)) = self.jobs.pop_front() {
            resource.run_in_async_scope(|| job(self));
        }
    }
}

/// Deep in the code: never handed the request id, it reads it from the store.
fn log(what: &str) {
    let request = REQUEST_ID.get().map_or("-".to_owned(), |id| id.to_string());
    println!(
        "{what:<26} request={request:<2} execution={:<3} trigger={}",
        execution_async_id(),
        trigger_async_id(),
    );
}

/// The edge: sets the request id once, then starts work that runs later or elsewhere.
fn handle_request(id: u32, queue: &mut JobQueue, threads: &mut Vec<JoinHandle<()>>) {
    REQUEST_ID.run(id, || {
        log("accept");
        queue.push(|queue| {
            log("  parse (job)");
            queue.push(|_| log("    respond (nested job)"));
        });
        threads.push(thread::spawn(|| log("  audit (thread)")));
    });
}

fn main() {
    let mut queue = JobQueue::default();
    let mut threads = Vec::new();
    handle_request(1, &mut queue, &mut threads);
    handle_request(2, &mut queue, &mut threads);
    for t in threads {
        t.join().expect("the audit thread panicked");
    }
    log("main, between requests");
    queue.run_all(); // the jobs of both requests, interleaved
}
