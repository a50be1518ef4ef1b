//! `stats`: counts per type, lifetimes, and percentiles of the time spent in scopes.
//!
//! Memory: one entry per resource type, each with two fixed-size histograms.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use crate::hist::Histogram;
use crate::pass::{Analysis, End, Link, Meta, Pending, Resource, Scope, Tracker};
use crate::units::duration;

/// Figures for one resource type.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TypeStats {
    /// Resources created.
    pub created: u64,
    /// Resources destroyed.
    pub destroyed: u64,
    /// Still alive at the end of the trace.
    pub alive: u64,
    /// Lifetimes (ns) of the destroyed ones.
    pub lifetimes: Histogram,
    /// Durations (ns) of their scopes.
    pub scopes: Histogram,
    /// Time in their outermost scopes (nested scopes not counted twice), ns.
    pub busy_ns: u64,
}

/// Collects [`TypeStats`] per type.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-stats-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// for _ in 0..3 {
///     async_hooks::AsyncResource::new("my.Job").run_in_async_scope(|| {});
/// }
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let mut stats = async_hooks_cli::stats::Stats::default();
/// let (meta, tracker) = async_hooks_cli::pass::run(&mut reader, &mut stats, &mut |_| {})?;
/// let answer = stats.finish(&meta, &tracker);
/// let (ty, job) = &answer.types[0];
/// assert_eq!((&**ty, job.created, job.destroyed, job.scopes.count()), ("my.Job", 3, 3, 3));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug, Default)]
pub struct Stats {
    types: HashMap<Arc<str>, TypeStats>,
    all_scopes: Histogram,
    unknown: Arc<str>,
    pending: Pending<Scope>,
}

impl Stats {
    fn entry(&mut self, ty: Option<&Arc<str>>) -> &mut TypeStats {
        let ty = match ty {
            Some(t) => t.clone(),
            None => {
                if self.unknown.is_empty() {
                    self.unknown = Arc::from("(created before the recording)");
                }
                self.unknown.clone()
            }
        };
        self.types.entry(ty).or_default()
    }

    /// The answer: types by time spent in their scopes, then by count.
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) {
    /// let tracker = async_hooks_cli::pass::Tracker::default();
    /// let answer = async_hooks_cli::stats::Stats::default().finish(meta, &tracker);
    /// assert!(answer.types.is_empty());
    /// # }
    /// # let _ = f;
    /// ```
    pub fn finish(mut self, meta: &Meta, tracker: &Tracker) -> StatsReport {
        for scope in self.pending.drain() {
            self.count_scope(&scope, None);
        }
        for r in tracker.live() {
            self.entry(Some(&r.link.resource_type)).alive += 1;
        }
        let mut types: Vec<(Arc<str>, TypeStats)> = self.types.into_iter().collect();
        types.sort_by(|a, b| {
            b.1.busy_ns
                .cmp(&a.1.busy_ns)
                .then(b.1.created.cmp(&a.1.created))
                .then_with(|| a.0.cmp(&b.0))
        });
        StatsReport {
            types,
            scopes: self.all_scopes,
            meta: meta.clone(),
        }
    }
}

impl Stats {
    fn count_scope(&mut self, scope: &Scope, ty: Option<&Arc<str>>) {
        let d = scope.duration_ns();
        let e = self.entry(ty);
        e.scopes.record(d);
        if scope.depth == 0 {
            e.busy_ns += d;
        }
    }
}

impl Analysis for Stats {
    fn init(&mut self, resource: &Resource) {
        self.entry(Some(&resource.link.resource_type)).created += 1;
        for scope in self.pending.take(resource.link.id) {
            self.count_scope(&scope, Some(&resource.link.resource_type));
        }
    }

    fn scope(&mut self, scope: &Scope, link: Option<&Arc<Link>>) {
        self.all_scopes.record(scope.duration_ns());
        match link {
            Some(l) => self.count_scope(scope, Some(&l.resource_type)),
            None => {
                if let Err(scope) = self.pending.push(scope.async_id, *scope) {
                    self.count_scope(&scope, None);
                }
            }
        }
    }

    fn destroy(&mut self, end: &End, resource: Option<&Resource>) {
        let e = self.entry(resource.map(|r| &r.link.resource_type));
        e.destroyed += 1;
        if let Some(r) = resource {
            e.lifetimes
                .record(end.timestamp_ns.saturating_sub(r.created_ns));
        }
    }
}

/// The answer of `stats`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StatsReport {
    /// Per type.
    pub types: Vec<(Arc<str>, TypeStats)>,
    /// All scopes.
    pub scopes: Histogram,
    /// The trace's metadata.
    pub meta: Meta,
}

impl StatsReport {
    /// Writes the answer as text for a terminal.
    ///
    /// # Errors
    ///
    /// Writing to `out` failed.
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) -> std::io::Result<()> {
    /// # let tracker = async_hooks_cli::pass::Tracker::default();
    /// let answer = async_hooks_cli::stats::Stats::default().finish(meta, &tracker);
    /// answer.write_text(&mut std::io::stdout())?;
    /// # Ok(())
    /// # }
    /// # let _ = f;
    /// ```
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let m = &self.meta;
        writeln!(
            out,
            "{} (pid {}): {} events in {} on {} thread{}{}",
            m.header.program,
            m.header.pid,
            m.events(),
            duration(m.duration_ns()),
            m.threads.len(),
            crate::leaks::plural(m.threads.len() as u64),
            match m.end {
                Some(s) if s.lost > 0 => format!(", {} lost", s.lost),
                Some(_) => String::new(),
                None => " (unfinished trace)".to_string(),
            }
        )?;
        writeln!(
            out,
            "  init {}  before {}  after {}  destroy {}  scopes {}",
            m.counts[0], m.counts[1], m.counts[2], m.counts[3], m.scopes
        )?;
        let s = &self.scopes;
        if s.count() > 0 {
            writeln!(
                out,
                "  scope time: p50 {}  p90 {}  p99 {}  max {}",
                duration(s.percentile(50.0)),
                duration(s.percentile(90.0)),
                duration(s.percentile(99.0)),
                duration(s.max())
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{:<28} {:>8} {:>8} {:>6} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "type",
            "created",
            "ended",
            "alive",
            "life p50",
            "life max",
            "scopes",
            "busy",
            "scope p50",
            "p90",
            "p99",
            "max"
        )?;
        for (ty, t) in &self.types {
            let life = |h: &Histogram, p| {
                if h.count() == 0 {
                    "-".to_string()
                } else {
                    duration(h.percentile(p))
                }
            };
            let sc = |p| {
                if t.scopes.count() == 0 {
                    "-".to_string()
                } else {
                    duration(t.scopes.percentile(p))
                }
            };
            writeln!(
                out,
                "{:<28} {:>8} {:>8} {:>6} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
                crate::escape::shorten(ty, 28),
                t.created,
                t.destroyed,
                t.alive,
                life(&t.lifetimes, 50.0),
                if t.lifetimes.count() == 0 {
                    "-".to_string()
                } else {
                    duration(t.lifetimes.max())
                },
                t.scopes.count(),
                duration(t.busy_ns),
                sc(50.0),
                sc(90.0),
                sc(99.0),
                if t.scopes.count() == 0 {
                    "-".to_string()
                } else {
                    duration(t.scopes.max())
                },
            )?;
        }
        Ok(())
    }
}
