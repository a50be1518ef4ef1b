//! The report's timeline: a row per thread on a time axis, a rectangle per scope colored by
//! type. Up to [`MAX_RECTS`] scopes are drawn one by one (nested scopes below their parent);
//! beyond that the timeline is drawn from a fixed number of time buckets per thread (the
//! bucket width doubles as the trace grows), each shaded by how busy the thread was and
//! colored by the type that ran longest in it. Memory is bounded either way.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use crate::escape::html;
use crate::palette::color;
use crate::pass::{Analysis, Link, Meta, Pending, Resource, Scope};
use crate::units::duration;

/// The most scopes drawn one by one.
pub const MAX_RECTS: usize = 4000;
const BUCKETS: usize = 512;
const MAX_DEPTH: u32 = 4;
const MAX_THREADS: usize = 64;

#[derive(Debug, Clone)]
struct Rect {
    thread: u32,
    start: u64,
    end: u64,
    depth: u32,
    id: u64,
    ty: Arc<str>,
}

#[derive(Debug, Clone, Default)]
struct Bucket {
    busy: u64,
    top: Option<(Arc<str>, u64)>,
}

impl Bucket {
    fn add(&mut self, ty: &Arc<str>, ns: u64) {
        self.busy += ns;
        match &mut self.top {
            Some((t, n)) if Arc::ptr_eq(t, ty) || **t == **ty => *n += ns,
            Some((_, n)) if *n >= ns => {}
            top => *top = Some((ty.clone(), ns)),
        }
    }

    fn merge(&mut self, other: Bucket) {
        self.busy += other.busy;
        if let Some((t, n)) = other.top {
            match &mut self.top {
                Some((mine, m)) if **mine == *t => *m += n,
                Some((_, m)) if *m >= n => {}
                top => *top = Some((t, n)),
            }
        }
    }
}

/// Collects what the report's timeline draws.
///
/// ```
/// # fn f(meta: &async_hooks_cli::pass::Meta) {
/// let lanes = async_hooks_cli::lanes::Lanes::default();
/// let svg = lanes.svg(meta);
/// assert!(svg.starts_with("<svg"));
/// # }
/// # let _ = f;
/// ```
#[derive(Debug)]
pub struct Lanes {
    rects: Vec<Rect>,
    exact: bool,
    width_ns: u64,
    buckets: BTreeMap<u32, Vec<Bucket>>,
    totals: HashMap<Arc<str>, u64>,
    pending: Pending<Scope>,
}

impl Default for Lanes {
    fn default() -> Lanes {
        Lanes {
            rects: Vec::new(),
            exact: true,
            width_ns: 1_000,
            buckets: BTreeMap::new(),
            totals: HashMap::new(),
            pending: Pending::default(),
        }
    }
}

impl Analysis for Lanes {
    fn init(&mut self, resource: &Resource) {
        for scope in self.pending.take(resource.link.id) {
            self.add(&scope, resource.link.resource_type.clone());
        }
    }

    fn scope(&mut self, s: &Scope, link: Option<&Arc<Link>>) {
        match link {
            Some(l) => self.add(s, l.resource_type.clone()),
            None => {
                if let Err(s) = self.pending.push(s.async_id, *s) {
                    self.add(&s, Arc::from("?"));
                }
            }
        }
    }
}

impl Lanes {
    fn add(&mut self, s: &Scope, ty: Arc<str>) {
        if self.exact {
            if self.rects.len() < MAX_RECTS {
                self.rects.push(Rect {
                    thread: s.thread,
                    start: s.start_ns,
                    end: s.end_ns,
                    depth: s.depth,
                    id: s.async_id,
                    ty: ty.clone(),
                });
            } else {
                self.exact = false;
                self.rects = Vec::new();
            }
        }
        if s.depth > 0 {
            return;
        }
        *self.totals.entry(ty.clone()).or_default() += s.duration_ns();
        while s.end_ns / self.width_ns >= BUCKETS as u64 {
            self.width_ns *= 2;
            for row in self.buckets.values_mut() {
                let old = std::mem::take(row);
                let mut merged = vec![Bucket::default(); BUCKETS];
                for (i, b) in old.into_iter().enumerate() {
                    merged[i / 2].merge(b);
                }
                *row = merged;
            }
        }
        if !self.buckets.contains_key(&s.thread) && self.buckets.len() >= MAX_THREADS {
            return;
        }
        let row = self
            .buckets
            .entry(s.thread)
            .or_insert_with(|| vec![Bucket::default(); BUCKETS]);
        let w = self.width_ns;
        let (first, last) = ((s.start_ns / w) as usize, (s.end_ns / w) as usize);
        for (i, b) in row.iter_mut().enumerate().take(last + 1).skip(first) {
            let lo = s.start_ns.max(i as u64 * w);
            let hi = s.end_ns.min((i as u64 + 1) * w);
            b.add(&ty, hi.saturating_sub(lo));
        }
    }
}

/// A tick step of 1, 2 or 5 × 10ⁿ ns giving about `target` ticks over `span`.
fn tick_step(span: u64, target: u64) -> u64 {
    let raw = (span / target.max(1)).max(1);
    let mut step = 1u64;
    while step.saturating_mul(10) <= raw {
        step *= 10;
    }
    for m in [1, 2, 5, 10] {
        if step.saturating_mul(m) >= raw {
            return step.saturating_mul(m);
        }
    }
    step.saturating_mul(10)
}

impl Lanes {
    /// Draws the scopes whose resource's `init` never came; call once the pass is over.
    ///
    /// ```
    /// let mut lanes = async_hooks_cli::lanes::Lanes::default();
    /// lanes.finish();
    /// ```
    pub fn finish(&mut self) {
        for s in self.pending.drain() {
            self.add(&s, Arc::from("?"));
        }
    }

    /// Draws the timeline as an SVG image 1100 pixels wide.
    pub fn svg(&self, meta: &Meta) -> String {
        const WIDTH: f64 = 1100.0;
        const LABEL: f64 = 170.0;
        const PLOT: f64 = WIDTH - LABEL - 20.0;
        const LANE: f64 = 14.0;
        let span = meta.duration_ns().max(1);
        let xs = |ns: u64| LABEL + (ns.min(span) as f64 / span as f64) * PLOT;
        let mut threads: Vec<u32> = meta.threads.keys().copied().collect();
        threads.truncate(MAX_THREADS);
        let lanes_of = |t: u32| -> u32 {
            if self.exact {
                self.rects
                    .iter()
                    .filter(|r| r.thread == t)
                    .map(|r| r.depth.min(MAX_DEPTH - 1) + 1)
                    .max()
                    .unwrap_or(1)
            } else {
                1
            }
        };
        let mut y = 34.0;
        let mut rows = Vec::new();
        for &t in &threads {
            let h = f64::from(lanes_of(t)) * LANE + 10.0;
            rows.push((t, y, h));
            y += h;
        }
        let legend_y = y + 26.0;
        let mut legend: Vec<(&Arc<str>, &u64)> = self.totals.iter().collect();
        legend.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        legend.truncate(12);
        let legend_rows = legend.len().div_ceil(4);
        let height = legend_y + legend_rows as f64 * 20.0 + 10.0;

        let mut s = String::new();
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{WIDTH}\" \
             height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\" \
             font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"11\">"
        );
        // Axis.
        let step = tick_step(span, 10);
        let mut t = 0;
        while t <= span {
            let x = xs(t);
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" y1=\"24\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#e9ecef\"/>\
                 <text x=\"{x:.1}\" y=\"18\" text-anchor=\"middle\" fill=\"#868e96\">{}</text>",
                duration(t)
            );
            t = match t.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
        for (i, &(thread, top, h)) in rows.iter().enumerate() {
            if i % 2 == 0 {
                let _ = write!(
                    s,
                    "<rect x=\"0\" y=\"{top:.1}\" width=\"{WIDTH}\" height=\"{h:.1}\" fill=\"#f8f9fa\"/>"
                );
            }
            let _ = write!(
                s,
                "<text x=\"8\" y=\"{:.1}\" fill=\"#343a40\">{}</text>",
                top + 17.0,
                html(&crate::escape::shorten(&meta.thread_label(thread), 26))
            );
            if self.exact {
                for r in self.rects.iter().filter(|r| r.thread == thread) {
                    let x = xs(r.start);
                    let w = (xs(r.end) - x).max(1.0);
                    let d = f64::from(r.depth.min(MAX_DEPTH - 1));
                    let _ = write!(
                        s,
                        "<rect class=\"scope\" x=\"{x:.2}\" y=\"{:.1}\" width=\"{w:.2}\" height=\"{:.1}\" \
                         fill=\"{}\" stroke=\"{}\" stroke-width=\"0.5\"><title>{}({}) on {}\n\
                         started {}, ran {}</title></rect>",
                        top + 5.0 + d * LANE,
                        LANE - 2.0,
                        color(&r.ty, 62),
                        color(&r.ty, 40),
                        html(&r.ty),
                        r.id,
                        html(&meta.thread_label(thread)),
                        duration(r.start),
                        duration(r.end.saturating_sub(r.start)),
                    );
                }
            } else if let Some(row) = self.buckets.get(&thread) {
                for (i, b) in row.iter().enumerate() {
                    let Some((ty, _)) = &b.top else { continue };
                    let start = i as u64 * self.width_ns;
                    if start > span {
                        break;
                    }
                    let x = xs(start);
                    let w = (xs(start + self.width_ns) - x).max(0.8);
                    let busy = (b.busy as f64 / self.width_ns as f64).clamp(0.15, 1.0);
                    let _ = write!(
                        s,
                        "<rect class=\"busy\" x=\"{x:.2}\" y=\"{:.1}\" width=\"{w:.2}\" height=\"{:.1}\" \
                         fill=\"{}\" fill-opacity=\"{busy:.2}\"><title>{} – {}: busy {:.0}%, mostly {}</title></rect>",
                        top + 5.0,
                        LANE - 2.0,
                        color(ty, 55),
                        duration(start),
                        duration(start + self.width_ns),
                        busy * 100.0,
                        html(ty),
                    );
                }
            }
        }
        if threads.is_empty() {
            let _ = write!(
                s,
                "<text x=\"{LABEL}\" y=\"48\" fill=\"#868e96\">no scope ran in this trace</text>"
            );
        }
        for (i, (ty, total)) in legend.iter().enumerate() {
            let x = 8.0 + (i % 4) as f64 * 270.0;
            let ly = legend_y + (i / 4) as f64 * 20.0;
            let _ = write!(
                s,
                "<rect x=\"{x:.0}\" y=\"{:.0}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/>\
                 <text x=\"{:.0}\" y=\"{ly:.0}\" fill=\"#343a40\">{} <tspan fill=\"#868e96\">{}</tspan></text>",
                ly - 10.0,
                color(ty, 62),
                x + 18.0,
                html(&crate::escape::shorten(ty, 28)),
                duration(**total)
            );
        }
        s.push_str("</svg>");
        s
    }

    /// Whether every scope is drawn (rather than time buckets).
    ///
    /// ```
    /// assert!(async_hooks_cli::lanes::Lanes::default().is_exact());
    /// ```
    pub fn is_exact(&self) -> bool {
        self.exact
    }
}
