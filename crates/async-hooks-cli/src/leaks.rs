//! `leaks`: resources created and never destroyed, grouped by type and creation site.
//!
//! Needs nothing beyond the [`Tracker`]: the live resources at the end of the stream are the
//! leaks. Memory is the live set.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use crate::pass::{Meta, Tracker};
use crate::units::duration;

/// Leaks are grouped by resource type and creation site.
type GroupKey = (Arc<str>, Option<Arc<str>>);

/// Which leaks to show.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LeakOptions {
    /// Only resources at least this old at the end of the trace (ns).
    pub min_age_ns: u64,
    /// Only these types (all when empty).
    pub types: Vec<String>,
}

/// Resources of one type, created at one site, never destroyed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LeakGroup {
    /// Their type.
    pub resource_type: Arc<str>,
    /// Where they were created, when known.
    pub created_at: Option<Arc<str>>,
    /// How many.
    pub count: u64,
    /// The age of the oldest at the end of the trace (ns).
    pub oldest_age_ns: u64,
    /// The age of the newest.
    pub newest_age_ns: u64,
    /// Up to five of their async ids, oldest first.
    pub sample_ids: Vec<u64>,
    /// The oldest one's chain of triggers, Node-style.
    pub chain: String,
    /// The oldest one's payload summary, if any.
    pub payload: Option<String>,
}

/// The answer of `leaks`.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-leaks-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// std::mem::forget(async_hooks::AsyncResource::new("my.Leak"));
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let (meta, tracker) = async_hooks_cli::pass::run(&mut reader, &mut (), &mut |_| {})?;
/// let leaks = async_hooks_cli::leaks::Leaks::collect(&meta, &tracker, &Default::default());
/// assert_eq!(leaks.total, 1);
/// assert_eq!(&*leaks.groups[0].resource_type, "my.Leak");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Leaks {
    /// Groups, the largest first (then the oldest).
    pub groups: Vec<LeakGroup>,
    /// Leaked resources in all.
    pub total: u64,
    /// The trace's end (ns since its start): ages are measured to it.
    pub end_ns: u64,
    /// Whether the trace was finished (an unfinished one shows resources as alive that the
    /// program may have destroyed after the recording stopped).
    pub finished: bool,
}

impl Leaks {
    /// Groups the live resources of `tracker`.
    ///
    /// ```
    /// # use async_hooks_cli::{leaks::Leaks, pass::Tracker};
    /// # fn f(meta: &async_hooks_cli::pass::Meta) {
    /// let leaks = Leaks::collect(meta, &Tracker::default(), &Default::default());
    /// assert!(leaks.groups.is_empty());
    /// # }
    /// # let _ = f;
    /// ```
    pub fn collect(meta: &Meta, tracker: &Tracker, options: &LeakOptions) -> Leaks {
        let end_ns = meta.duration_ns();
        let mut groups: HashMap<GroupKey, (LeakGroup, u64)> = HashMap::new();
        let mut total = 0;
        for r in tracker.live() {
            let age = end_ns.saturating_sub(r.created_ns);
            let ty = &r.link.resource_type;
            if age < options.min_age_ns
                || !options.types.is_empty() && !options.types.iter().any(|t| **t == **ty)
            {
                continue;
            }
            total += 1;
            let key = (ty.clone(), r.link.created_at.clone());
            let (g, oldest_created) = groups.entry(key).or_insert_with(|| {
                (
                    LeakGroup {
                        resource_type: ty.clone(),
                        created_at: r.link.created_at.clone(),
                        count: 0,
                        oldest_age_ns: 0,
                        newest_age_ns: u64::MAX,
                        sample_ids: Vec::new(),
                        chain: String::new(),
                        payload: None,
                    },
                    u64::MAX,
                )
            });
            g.count += 1;
            g.newest_age_ns = g.newest_age_ns.min(age);
            if r.created_ns < *oldest_created
                || r.created_ns == *oldest_created && g.chain.is_empty()
            {
                *oldest_created = r.created_ns;
                g.oldest_age_ns = age;
                g.chain = r.link.chain().to_string();
                g.payload = r.payload.as_deref().map(str::to_string);
            }
            g.sample_ids.push(r.link.id);
            if g.sample_ids.len() > 5 {
                // Keep the five oldest ids (ids grow with time).
                g.sample_ids.sort_unstable();
                g.sample_ids.truncate(5);
            }
        }
        let mut groups: Vec<LeakGroup> = groups
            .into_values()
            .map(|(mut g, _)| {
                g.sample_ids.sort_unstable();
                g
            })
            .collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.oldest_age_ns.cmp(&a.oldest_age_ns))
                .then_with(|| a.resource_type.cmp(&b.resource_type))
                .then_with(|| a.created_at.cmp(&b.created_at))
        });
        Leaks {
            groups,
            total,
            end_ns,
            finished: meta.end.is_some(),
        }
    }

    /// Writes the answer as text for a terminal.
    ///
    /// # Errors
    ///
    /// Writing to `out` failed.
    ///
    /// ```
    /// # use async_hooks_cli::{leaks::Leaks, pass::Tracker};
    /// # fn f(meta: &async_hooks_cli::pass::Meta) -> std::io::Result<()> {
    /// let leaks = Leaks::collect(meta, &Tracker::default(), &Default::default());
    /// leaks.write_text(&mut std::io::stdout())?;
    /// # Ok(())
    /// # }
    /// # let _ = f;
    /// ```
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.total == 0 {
            writeln!(
                out,
                "No leaks: every resource created during the recording was destroyed \
                 (trace of {}).",
                duration(self.end_ns)
            )?;
            return Ok(());
        }
        writeln!(
            out,
            "{} resource{} created and never destroyed, in {} group{} (ages at the end of the \
             trace, {}):",
            self.total,
            plural(self.total),
            self.groups.len(),
            plural(self.groups.len() as u64),
            duration(self.end_ns)
        )?;
        if !self.finished {
            writeln!(
                out,
                "note: the trace was not finished; some of these may have ended after it stopped"
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{:>7}  {:>9}  {:>9}  {:<28} created at",
            "count", "oldest", "newest", "type"
        )?;
        for g in &self.groups {
            writeln!(
                out,
                "{:>7}  {:>9}  {:>9}  {:<28} {}",
                g.count,
                duration(g.oldest_age_ns),
                duration(g.newest_age_ns),
                g.resource_type,
                g.created_at.as_deref().unwrap_or("(unknown site)")
            )?;
            let ids: Vec<String> = g.sample_ids.iter().map(u64::to_string).collect();
            let more = if g.count > g.sample_ids.len() as u64 {
                ", …"
            } else {
                ""
            };
            writeln!(out, "{:>7}  ids {}{more}", "", ids.join(", "))?;
            writeln!(out, "{:>7}  chain {}", "", g.chain)?;
            if let Some(p) = &g.payload {
                writeln!(out, "{:>7}  payload {p}", "")?;
            }
        }
        Ok(())
    }
}

pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
