//! `timeline`: Chrome trace-event JSON, for Perfetto (ui.perfetto.dev) or `chrome://tracing`.
//!
//! A track per thread, a complete (`"X"`) slice per scope, and a flow arrow from where a
//! resource was created (inside its creator's scope) to its first scope. Written as the file
//! is read: memory is the tracker and the set of resources created but not yet run.

use std::io::{self, Write};
use std::sync::Arc;

use async_hooks_trace::Event;

use crate::escape::json;
use crate::pass::{Analysis, End, IdMap, Link, Meta, Pending, Resource, Scope, ROOT_ID};

/// Writes trace events as the pass goes.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-timeline-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// async_hooks::AsyncResource::new("my.Job").run_in_async_scope(|| {});
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let mut timeline = async_hooks_cli::timeline::Timeline::new(Vec::new(), reader.header().pid);
/// let (meta, _) = async_hooks_cli::pass::run(&mut reader, &mut timeline, &mut |_| {})?;
/// let (json, slices) = timeline.finish(&meta).unwrap();
/// assert_eq!(slices, 1);
/// assert!(String::from_utf8(json).unwrap().contains("\"name\":\"my.Job(2)\""));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug)]
pub struct Timeline<W: Write> {
    out: W,
    pid: u32,
    first: bool,
    error: Option<io::Error>,
    /// Resources whose flow started (at `init`) and has not reached their first scope.
    flows: IdMap<()>,
    slices: u64,
    /// Scopes whose resource's `init` is later in the file (written when it comes).
    pending: Pending<Scope>,
}

/// Microseconds with three decimals (ns precision), as trace-event `ts` wants.
fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

impl<W: Write> Timeline<W> {
    /// A timeline written to `out`, for process `pid`.
    ///
    /// ```
    /// let t = async_hooks_cli::timeline::Timeline::new(std::io::sink(), 1);
    /// # let _ = t;
    /// ```
    pub fn new(out: W, pid: u32) -> Timeline<W> {
        let mut t = Timeline {
            out,
            pid,
            first: true,
            error: None,
            flows: IdMap::default(),
            slices: 0,
            pending: Pending::default(),
        };
        t.raw("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
        t
    }

    fn raw(&mut self, s: &str) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(s.as_bytes()) {
                self.error = Some(e);
            }
        }
    }

    fn event(&mut self, body: &str) {
        if self.first {
            self.first = false;
        } else {
            self.raw(",\n");
        }
        self.raw(body);
    }

    /// Ends the JSON (thread names, process name) and returns the writer and the number of
    /// slices written.
    ///
    /// # Errors
    ///
    /// Writing failed (the first error).
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) {
    /// let t = async_hooks_cli::timeline::Timeline::new(Vec::new(), 1);
    /// let (_json, slices) = t.finish(meta).unwrap();
    /// assert_eq!(slices, 0);
    /// # }
    /// # let _ = f;
    /// ```
    pub fn finish(mut self, meta: &Meta) -> io::Result<(W, u64)> {
        for scope in self.pending.drain() {
            self.slice(&scope, None);
        }
        let pid = self.pid;
        let program = format!(
            "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{pid},\"tid\":0,\"args\":{{\"name\":\"{}\"}}}}",
            json(&meta.header.program)
        );
        self.event(&program);
        for &thread in meta.threads.keys() {
            let name = format!(
                "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{pid},\"tid\":{thread},\"args\":{{\"name\":\"{}\"}}}}",
                json(&meta.thread_label(thread))
            );
            self.event(&name);
            let sort = format!(
                "{{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":{pid},\"tid\":{thread},\"args\":{{\"sort_index\":{thread}}}}}"
            );
            self.event(&sort);
        }
        self.raw("\n]}\n");
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok((self.out, self.slices))
    }
}

impl<W: Write> Analysis for Timeline<W> {
    fn init(&mut self, r: &Resource) {
        for scope in self.pending.take(r.link.id) {
            self.slice(&scope, Some(&r.link));
        }
        // A flow starts only where it can bind to a slice: inside a scope.
        if r.execution_id == ROOT_ID || r.execution_id == 0 {
            return;
        }
        self.flows.insert(r.link.id, ());
        let body = format!(
            "{{\"name\":\"causes\",\"cat\":\"trigger\",\"ph\":\"s\",\"id\":{},\"ts\":{},\"pid\":{},\"tid\":{}}}",
            r.link.id,
            us(r.created_ns),
            self.pid,
            r.thread
        );
        self.event(&body);
    }

    fn before(&mut self, e: &Event, _link: Option<&Arc<Link>>, _first: bool) {
        let id = e.async_id.as_u64();
        if self.flows.remove(&id).is_some() {
            let body = format!(
                "{{\"name\":\"causes\",\"cat\":\"trigger\",\"ph\":\"f\",\"bp\":\"e\",\"id\":{id},\"ts\":{},\"pid\":{},\"tid\":{}}}",
                us(e.timestamp_ns),
                self.pid,
                e.thread
            );
            self.event(&body);
        }
    }

    fn scope(&mut self, s: &Scope, link: Option<&Arc<Link>>) {
        match link {
            Some(_) => self.slice(s, link),
            None => {
                if let Err(s) = self.pending.push(s.async_id, *s) {
                    self.slice(&s, None);
                }
            }
        }
    }

    fn destroy(&mut self, end: &End, _resource: Option<&Resource>) {
        self.flows.remove(&end.async_id);
    }
}

impl<W: Write> Timeline<W> {
    fn slice(&mut self, s: &Scope, link: Option<&Arc<Link>>) {
        let (ty, trigger, site) = match link {
            Some(l) => (
                json(&l.resource_type),
                l.trigger,
                l.created_at.as_deref().map(json),
            ),
            None => ("?".to_string(), 0, None),
        };
        let site = match site {
            Some(s) => format!(",\"created_at\":\"{s}\""),
            None => String::new(),
        };
        let body = format!(
            "{{\"name\":\"{ty}({id})\",\"cat\":\"{ty}\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":{},\"tid\":{},\"args\":{{\"async_id\":{id},\"trigger_id\":{trigger}{site}}}}}",
            us(s.start_ns),
            us(s.duration_ns()),
            self.pid,
            s.thread,
            id = s.async_id,
        );
        self.slices += 1;
        self.event(&body);
    }
}
