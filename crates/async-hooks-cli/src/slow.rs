//! `slow`: scopes (a resource's code running between `before` and `after`, a poll for a task)
//! longer than a threshold, with the resource, its creation site and its chain of triggers.
//!
//! Memory: the tracker, and the `limit` longest scopes (a min-heap).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};
use std::sync::Arc;

use crate::pass::{Analysis, Link, Meta, Pending, Resource, Scope};
use crate::units::duration;

/// One slow scope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlowScope {
    /// The scope.
    pub scope: Scope,
    /// The resource's type (`?` when its `init` was not read).
    pub resource_type: Arc<str>,
    /// Where it was created, when known.
    pub created_at: Option<Arc<str>>,
    /// Its chain of triggers, Node-style.
    pub chain: String,
}

impl Ord for SlowScope {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.scope
            .duration_ns()
            .cmp(&other.scope.duration_ns())
            .then(other.scope.start_ns.cmp(&self.scope.start_ns))
            .then(other.scope.async_id.cmp(&self.scope.async_id))
    }
}

impl PartialOrd for SlowScope {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Finds scopes longer than a threshold; keeps the `limit` longest.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-slow-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// let job = async_hooks::AsyncResource::new("my.Job");
/// job.run_in_async_scope(|| std::thread::sleep(std::time::Duration::from_millis(5)));
/// # drop(job);
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let mut slow = async_hooks_cli::slow::Slow::new(1_000_000, 10);
/// let (meta, _) = async_hooks_cli::pass::run(&mut reader, &mut slow, &mut |_| {})?;
/// let answer = slow.finish(&meta);
/// assert_eq!(&*answer.scopes[0].resource_type, "my.Job");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug)]
pub struct Slow {
    threshold_ns: u64,
    limit: usize,
    heap: BinaryHeap<Reverse<SlowScope>>,
    over: u64,
    /// Slow scopes whose resource's `init` is later in the file.
    pending: Pending<Scope>,
}

impl Slow {
    /// Scopes of at least `threshold_ns`, the `limit` longest kept.
    ///
    /// ```
    /// let slow = async_hooks_cli::slow::Slow::new(20_000_000, 50);
    /// # let _ = slow;
    /// ```
    pub fn new(threshold_ns: u64, limit: usize) -> Slow {
        Slow {
            threshold_ns,
            limit: limit.max(1),
            heap: BinaryHeap::new(),
            over: 0,
            pending: Pending::default(),
        }
    }

    /// The answer, longest first.
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) {
    /// let answer = async_hooks_cli::slow::Slow::new(1, 1).finish(meta);
    /// assert_eq!(answer.over, 0);
    /// # }
    /// # let _ = f;
    /// ```
    pub fn finish(mut self, meta: &Meta) -> SlowScopes {
        for scope in self.pending.drain() {
            self.keep(&scope, None);
        }
        let mut scopes: Vec<SlowScope> = self.heap.into_iter().map(|Reverse(s)| s).collect();
        scopes.sort_by(|a, b| b.cmp(a));
        SlowScopes {
            scopes,
            over: self.over,
            total: meta.scopes,
            threshold_ns: self.threshold_ns,
            threads: meta
                .threads
                .keys()
                .map(|&t| (t, meta.thread_label(t)))
                .collect(),
        }
    }
}

impl Analysis for Slow {
    fn init(&mut self, resource: &Resource) {
        for scope in self.pending.take(resource.link.id) {
            self.keep(&scope, Some(&resource.link));
        }
    }

    fn scope(&mut self, scope: &Scope, link: Option<&Arc<Link>>) {
        let d = scope.duration_ns();
        if d < self.threshold_ns {
            return;
        }
        self.over += 1;
        if link.is_none() {
            match self.pending.push(scope.async_id, *scope) {
                Ok(()) => return,
                Err(scope) => return self.keep(&scope, None),
            }
        }
        self.keep(scope, link);
    }
}

impl Slow {
    fn keep(&mut self, scope: &Scope, link: Option<&Arc<Link>>) {
        let d = scope.duration_ns();
        if self.heap.len() >= self.limit {
            match self.heap.peek() {
                Some(Reverse(min)) if min.scope.duration_ns() < d => {
                    self.heap.pop();
                }
                _ => return,
            }
        }
        let (resource_type, created_at, chain) = match link {
            Some(l) => (
                l.resource_type.clone(),
                l.created_at.clone(),
                l.chain().to_string(),
            ),
            None => (Arc::from("?"), None, format!("?({})", scope.async_id)),
        };
        self.heap.push(Reverse(SlowScope {
            scope: *scope,
            resource_type,
            created_at,
            chain,
        }));
    }
}

/// The answer of `slow`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SlowScopes {
    /// The longest scopes over the threshold, longest first.
    pub scopes: Vec<SlowScope>,
    /// How many scopes were over the threshold (some may not be listed).
    pub over: u64,
    /// Scopes in the trace.
    pub total: u64,
    /// The threshold (ns).
    pub threshold_ns: u64,
    /// Thread labels.
    pub threads: Vec<(u32, String)>,
}

impl SlowScopes {
    /// The label of a thread.
    pub(crate) fn thread_label(&self, thread: u32) -> String {
        self.threads
            .iter()
            .find(|(t, _)| *t == thread)
            .map_or_else(|| format!("thread {thread}"), |(_, l)| l.clone())
    }

    /// Writes the answer as text for a terminal.
    ///
    /// # Errors
    ///
    /// Writing to `out` failed.
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) -> std::io::Result<()> {
    /// let answer = async_hooks_cli::slow::Slow::new(1, 1).finish(meta);
    /// answer.write_text(&mut std::io::stdout())?;
    /// # Ok(())
    /// # }
    /// # let _ = f;
    /// ```
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.over == 0 {
            writeln!(
                out,
                "No scope took {} or longer ({} scopes in the trace).",
                duration(self.threshold_ns),
                self.total
            )?;
            return Ok(());
        }
        writeln!(
            out,
            "{} of {} scopes took {} or longer{}:",
            self.over,
            self.total,
            duration(self.threshold_ns),
            if self.over > self.scopes.len() as u64 {
                format!(" (the {} longest shown)", self.scopes.len())
            } else {
                String::new()
            }
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{:>9}  {:>9}  {:<18} {:<28} created at",
            "duration", "started", "thread", "resource"
        )?;
        for s in &self.scopes {
            writeln!(
                out,
                "{:>9}  {:>9}  {:<18} {:<28} {}",
                duration(s.scope.duration_ns()),
                duration(s.scope.start_ns),
                self.thread_label(s.scope.thread),
                format!("{}({})", s.resource_type, s.scope.async_id),
                s.created_at.as_deref().unwrap_or("(unknown site)")
            )?;
            writeln!(out, "{:>9}  chain {}", "", s.chain)?;
        }
        Ok(())
    }
}
