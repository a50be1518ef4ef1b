//! `report`: one self-contained HTML page (inline CSS and SVG, no external URL, no script
//! needed) with the summary, the leaks, the slow scopes, the causality tree, a timeline and
//! the statistics per type.

use std::fmt::Write as _;
use std::io::Read;
use std::time::UNIX_EPOCH;

use async_hooks_trace::{TraceError, TraceReader};

use crate::escape::html;
use crate::graph::short_site;
use crate::hist::Histogram;
use crate::lanes::Lanes;
use crate::leaks::{LeakOptions, Leaks};
use crate::palette::color;
use crate::pass::{self, Meta};
use crate::slow::{Slow, SlowScopes};
use crate::stats::{Stats, StatsReport};
use crate::tree::{Forest, Tree, TreeOptions};
use crate::units::duration;

/// What the report shows.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Scopes at least this long are listed as slow (ns).
    pub slow_threshold_ns: u64,
    /// The most slow scopes listed.
    pub slow_limit: usize,
    /// The most resources in the tree.
    pub max_nodes: usize,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            slow_threshold_ns: 10_000_000,
            slow_limit: 50,
            max_nodes: 2_000,
        }
    }
}

/// Reads a trace once and renders the report.
///
/// # Errors
///
/// The first problem found in the file.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-report-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// std::mem::forget(async_hooks::AsyncResource::new("my.Leak"));
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let html = async_hooks_cli::report::render(&mut reader, &Default::default(), &mut |_| {})?;
/// assert!(html.contains("my.Leak"));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
pub fn render<R: Read>(
    reader: &mut TraceReader<R>,
    options: &ReportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<String, TraceError> {
    let forest = Forest::new(TreeOptions {
        max_nodes: options.max_nodes,
        ..TreeOptions::default()
    });
    let mut analysis = (
        Stats::default(),
        (
            Slow::new(options.slow_threshold_ns, options.slow_limit),
            (forest, Lanes::default()),
        ),
    );
    let (meta, tracker) = pass::run(reader, &mut analysis, progress)?;
    let (stats, (slow, (forest, mut lanes))) = analysis;
    lanes.finish();
    let leaks = Leaks::collect(&meta, &tracker, &LeakOptions::default());
    let stats = stats.finish(&meta, &tracker);
    let slow = slow.finish(&meta);
    let tree = forest.finish();
    Ok(page(&meta, &leaks, &slow, &tree, &lanes, &stats))
}

const CSS: &str = r#"
:root { --ink: #212529; --muted: #6c757d; --line: #dee2e6; --accent: #3b5bdb; --bad: #c92a2a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f1f3f5; }
header { background: #1f2a44; color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .sub { color: #c5cee0; font-size: 13px; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 48px; }
nav { margin: 0 0 14px; font-size: 13px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin: 0 0 18px; }
h2 { font-size: 17px; margin: 0 0 10px; }
h2 .count { color: var(--muted); font-weight: 400; font-size: 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 130px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  background: #f8f9fa; }
.card .v { font-size: 21px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.bad { border-color: #ffc9c9; background: #fff5f5; } .card.bad .v { color: var(--bad); }
.card.good .v { color: #2b8a3e; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line);
  padding: 6px 8px; white-space: nowrap; }
td { border-bottom: 1px solid #f1f3f5; padding: 6px 8px; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
.chain { color: var(--muted); font-size: 12px; }
.type { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px;
  font-weight: 600; border: 1px solid rgba(0,0,0,.12); }
.ok { color: #2b8a3e; font-weight: 600; }
.note { color: var(--muted); font-size: 13px; }
.scroll { overflow-x: auto; }
details { margin: 1px 0 1px 0; }
details > summary { cursor: pointer; list-style: none; padding: 2px 0; }
details > summary::-webkit-details-marker { display: none; }
details > summary::before { content: "▸"; color: var(--muted); display: inline-block; width: 14px; }
details[open] > summary::before { content: "▾"; }
.kids { margin-left: 9px; padding-left: 14px; border-left: 1px solid var(--line); }
.leaf { padding: 2px 0 2px 14px; }
.meta { color: var(--muted); font-size: 12px; margin-left: 6px; }
.leaked { color: var(--bad); font-weight: 600; font-size: 12px; margin-left: 6px; }
"#;

fn type_badge(ty: &str) -> String {
    format!(
        "<span class=\"type\" style=\"background:{}\">{}</span>",
        color(ty, 86),
        html(ty)
    )
}

fn site_cell(site: Option<&str>) -> String {
    match site {
        Some(s) => format!("<code title=\"{}\">{}</code>", html(s), html(s)),
        None => "<span class=\"note\">unknown</span>".to_string(),
    }
}

fn page(
    meta: &Meta,
    leaks: &Leaks,
    slow: &SlowScopes,
    tree: &Tree,
    lanes: &Lanes,
    stats: &StatsReport,
) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let program = if meta.header.program.is_empty() {
        "(unnamed program)".to_string()
    } else {
        meta.header.program.clone()
    };
    let started = meta
        .header
        .start_time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>async-hooks report: {}</title><style>{CSS}</style></head><body>\
         <header><h1>What <span class=\"mono\" style=\"font-size:20px\">{}</span> did</h1>\
         <div class=\"sub\">async-hooks trace · pid {} · recorded at {} (Unix time) · {} on {} thread{}</div></header><main>",
        html(&program),
        html(&program),
        meta.header.pid,
        started,
        duration(meta.duration_ns()),
        meta.threads.len(),
        crate::leaks::plural(meta.threads.len() as u64),
    );
    h.push_str(
        "<nav><a href=\"#summary\">Summary</a><a href=\"#leaks\">Leaks</a>\
         <a href=\"#slow\">Slow scopes</a><a href=\"#timeline\">Timeline</a>\
         <a href=\"#tree\">Causality tree</a><a href=\"#stats\">Types</a></nav>",
    );

    // Summary.
    let created = meta.counts[0];
    let lost = meta.end.map_or(0, |s| s.lost);
    let card = |h: &mut String, value: String, key: &str, class: &str| {
        let _ = write!(
            h,
            "<div class=\"card {class}\"><div class=\"v\">{value}</div><div class=\"k\">{key}</div></div>"
        );
    };
    h.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
    card(&mut h, duration(meta.duration_ns()), "duration", "");
    card(&mut h, meta.events().to_string(), "events", "");
    card(&mut h, created.to_string(), "resources created", "");
    card(&mut h, meta.scopes.to_string(), "scopes run", "");
    card(
        &mut h,
        leaks.total.to_string(),
        "never destroyed",
        if leaks.total > 0 { "bad" } else { "good" },
    );
    card(
        &mut h,
        slow.over.to_string(),
        &format!("scopes ≥ {}", duration(slow.threshold_ns)),
        if slow.over > 0 { "bad" } else { "good" },
    );
    card(
        &mut h,
        lost.to_string(),
        "events lost",
        if lost > 0 { "bad" } else { "" },
    );
    h.push_str("</div>");
    if meta.end.is_none() {
        h.push_str(
            "<p class=\"note\">This trace was not finished (the program exited without \
             finishing the recording): everything up to its last complete chunk is shown.</p>",
        );
    }
    if stats.scopes.count() > 0 {
        let s: &Histogram = &stats.scopes;
        let _ = write!(
            h,
            "<p class=\"note\">Time in scopes: median {}, 90th percentile {}, 99th {}, longest {}.</p>",
            duration(s.percentile(50.0)),
            duration(s.percentile(90.0)),
            duration(s.percentile(99.0)),
            duration(s.max())
        );
    }
    h.push_str("</section>");

    // Leaks.
    let _ = write!(
        h,
        "<section id=\"leaks\"><h2>Leaks <span class=\"count\">· resources created and never destroyed</span></h2>"
    );
    if leaks.groups.is_empty() {
        h.push_str(
            "<p class=\"ok\">✓ Every resource created during the recording was destroyed.</p>",
        );
    } else {
        h.push_str(
            "<div class=\"scroll\"><table class=\"leaks\"><thead><tr><th>Count</th><th>Type</th>\
             <th>Created at</th><th>Oldest</th><th>Newest</th><th>Ids · chain of triggers</th></tr></thead><tbody>",
        );
        for g in leaks.groups.iter().take(200) {
            let ids: Vec<String> = g.sample_ids.iter().map(u64::to_string).collect();
            let payload = g
                .payload
                .as_deref()
                .map(|p| {
                    format!(
                        "<div class=\"chain\">payload: <code>{}</code></div>",
                        html(p)
                    )
                })
                .unwrap_or_default();
            let _ = write!(
                h,
                "<tr class=\"leak\"><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td><span class=\"mono\">{}{}</span><div class=\"chain\">{}</div>{payload}</td></tr>",
                g.count,
                type_badge(&g.resource_type),
                site_cell(g.created_at.as_deref()),
                duration(g.oldest_age_ns),
                duration(g.newest_age_ns),
                ids.join(", "),
                if g.count > g.sample_ids.len() as u64 { ", …" } else { "" },
                html(&g.chain),
            );
        }
        h.push_str("</tbody></table></div>");
        if !leaks.finished {
            h.push_str("<p class=\"note\">The trace was not finished: some of these may have ended after it stopped.</p>");
        }
    }
    h.push_str("</section>");

    // Slow scopes.
    let _ = write!(
        h,
        "<section id=\"slow\"><h2>Slow scopes <span class=\"count\">· code that ran {} or longer without yielding</span></h2>",
        duration(slow.threshold_ns)
    );
    if slow.scopes.is_empty() {
        let _ = write!(
            h,
            "<p class=\"ok\">✓ No scope ran {} or longer ({} scopes in all).</p>",
            duration(slow.threshold_ns),
            slow.total
        );
    } else {
        if slow.over > slow.scopes.len() as u64 {
            let _ = write!(
                h,
                "<p class=\"note\">{} scopes were over the threshold; the {} longest are shown.</p>",
                slow.over,
                slow.scopes.len()
            );
        }
        h.push_str(
            "<div class=\"scroll\"><table class=\"slow\"><thead><tr><th>Duration</th><th>Started</th>\
             <th>Thread</th><th>Resource</th><th>Created at</th><th>Chain of triggers</th></tr></thead><tbody>",
        );
        for s in &slow.scopes {
            let _ = write!(
                h,
                "<tr><td class=\"n\"><b>{}</b></td><td class=\"n\">{}</td><td>{}</td><td>{} <span class=\"mono\">{}</span></td>\
                 <td>{}</td><td class=\"chain\">{}</td></tr>",
                duration(s.scope.duration_ns()),
                duration(s.scope.start_ns),
                html(&slow.thread_label(s.scope.thread)),
                type_badge(&s.resource_type),
                s.scope.async_id,
                site_cell(s.created_at.as_deref()),
                html(&s.chain),
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");

    // Timeline.
    h.push_str("<section id=\"timeline\"><h2>Timeline <span class=\"count\">· a row per thread, a bar per scope</span></h2>");
    if !lanes.is_exact() {
        h.push_str("<p class=\"note\">Too many scopes to draw one by one: each bar shows how busy a thread was in a slice of time, colored by the type that ran most.</p>");
    }
    let _ = write!(
        h,
        "<div class=\"scroll\">{}</div></section>",
        lanes.svg(meta)
    );

    // Tree.
    let _ = write!(
        h,
        "<section id=\"tree\"><h2>Causality tree <span class=\"count\">· each resource under the one that triggered it ({} shown)</span></h2>",
        tree.nodes.len()
    );
    write_tree(&mut h, tree, meta.duration_ns());
    if tree.omitted > 0 {
        let _ = write!(
            h,
            "<p class=\"note\">… and {} more resources not shown (use <code>async-hooks tree</code> with <code>--root</code> or <code>--type</code>).</p>",
            tree.omitted
        );
    }
    h.push_str("</section>");

    // Stats.
    h.push_str(
        "<section id=\"stats\"><h2>Types <span class=\"count\">· by time spent in their scopes</span></h2>\
         <div class=\"scroll\"><table class=\"stats\"><thead><tr><th>Type</th><th>Created</th><th>Destroyed</th>\
         <th>Alive at end</th><th>Median life</th><th>Scopes</th><th>Busy</th><th>Scope p50</th><th>p90</th>\
         <th>p99</th><th>Max</th></tr></thead><tbody>",
    );
    for (ty, t) in &stats.types {
        let pct = |hist: &Histogram, p: f64| {
            if hist.count() == 0 {
                "–".to_string()
            } else {
                duration(hist.percentile(p))
            }
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            type_badge(ty),
            t.created,
            t.destroyed,
            if t.alive > 0 {
                format!("<span class=\"leaked\">{}</span>", t.alive)
            } else {
                "0".to_string()
            },
            pct(&t.lifetimes, 50.0),
            t.scopes.count(),
            duration(t.busy_ns),
            pct(&t.scopes, 50.0),
            pct(&t.scopes, 90.0),
            pct(&t.scopes, 99.0),
            if t.scopes.count() == 0 { "–".to_string() } else { duration(t.scopes.max()) },
        );
    }
    h.push_str("</tbody></table></div></section>");
    let _ = writeln!(
        h,
        "<p class=\"note\">Made by async-hooks-cli {} from a trace of {} events.</p></main></body></html>",
        env!("CARGO_PKG_VERSION"),
        meta.events()
    );
    h
}

/// The tree as nested `<details>`: open near the top, collapsed deeper down.
fn write_tree(h: &mut String, tree: &Tree, end_ns: u64) {
    enum Step {
        Open(usize, usize),
        Close,
    }
    h.push_str("<div class=\"tree\">");
    for top in &tree.tops {
        let _ = write!(
            h,
            "<details open><summary><b>{}</b> <span class=\"meta\">{} direct</span></summary><div class=\"kids\">",
            html(&top.label()),
            top.children.len()
        );
        let mut stack: Vec<Step> = top
            .children
            .iter()
            .rev()
            .map(|&c| Step::Open(c, 1))
            .collect();
        while let Some(step) = stack.pop() {
            let (i, depth) = match step {
                Step::Close => {
                    h.push_str("</div></details>");
                    continue;
                }
                Step::Open(i, d) => (i, d),
            };
            let n = &tree.nodes[i];
            let life = match n.destroyed_ns {
                Some(d) => format!("lived {}", duration(d.saturating_sub(n.created_ns))),
                None => String::new(),
            };
            let leaked = if n.destroyed_ns.is_none() {
                format!(
                    "<span class=\"leaked\">never destroyed (age {})</span>",
                    duration(end_ns.saturating_sub(n.created_ns))
                )
            } else {
                String::new()
            };
            let busy = if n.scopes > 0 {
                format!(
                    " · {} scope{} {}",
                    n.scopes,
                    crate::leaks::plural(n.scopes),
                    duration(n.busy_ns)
                )
            } else {
                String::new()
            };
            let site = n
                .created_at
                .as_deref()
                .map(|s| {
                    format!(
                        " <code title=\"{}\">{}</code>",
                        html(s),
                        html(&short_site(s))
                    )
                })
                .unwrap_or_default();
            let label = format!(
                "{} <span class=\"mono\">{}</span>{site}<span class=\"meta\">{life}{busy}</span>{leaked}",
                type_badge(&n.resource_type),
                n.id
            );
            let kids = &tree.children[i];
            if kids.is_empty() {
                let _ = write!(h, "<div class=\"leaf node\">{label}</div>");
            } else {
                let _ = write!(
                    h,
                    "<details{} class=\"node\"><summary>{label} <span class=\"meta\">({} child{})</span></summary><div class=\"kids\">",
                    if depth < 3 { " open" } else { "" },
                    kids.len(),
                    if kids.len() == 1 { "" } else { "ren" }
                );
                stack.push(Step::Close);
                stack.extend(kids.iter().rev().map(|&c| Step::Open(c, depth + 1)));
            }
        }
        h.push_str("</div></details>");
    }
    h.push_str("</div>");
}
