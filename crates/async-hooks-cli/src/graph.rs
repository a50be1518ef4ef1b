//! `graph`: the causality graph of a [`Tree`] as Graphviz DOT, or drawn as SVG with a simple
//! layered layout (no Graphviz needed).

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::escape::{dot, html, shorten};
use crate::palette::color;
use crate::tree::Tree;
use crate::units::duration;

/// Writes `tree` as a DOT digraph: an edge from each parent (trigger or scope) to its child.
/// Resources never destroyed are drawn dashed red.
///
/// # Errors
///
/// Writing to `out` failed.
///
/// ```
/// let tree = async_hooks_cli::tree::Forest::new(Default::default()).finish();
/// let mut out = Vec::new();
/// async_hooks_cli::graph::write_dot(&tree, &mut out)?;
/// assert!(String::from_utf8(out).unwrap().starts_with("digraph causality {"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_dot(tree: &Tree, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "digraph causality {{")?;
    writeln!(out, "  rankdir=TB;")?;
    writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];"
    )?;
    writeln!(out, "  edge [color=\"#888888\"];")?;
    for top in &tree.tops {
        writeln!(
            out,
            "  \"{}\" [label=\"{}\", fillcolor=\"#eeeeee\"];",
            top.id,
            dot(&top.label())
        )?;
    }
    for n in &tree.nodes {
        let mut label = n.label();
        if let Some(site) = &n.created_at {
            label.push('\n');
            label.push_str(&shorten(site, 60));
        }
        let leaked = if n.destroyed_ns.is_none() {
            ", color=\"#c0392b\", style=\"rounded,filled,dashed\""
        } else {
            ""
        };
        writeln!(
            out,
            "  \"{}\" [label=\"{}\", fillcolor=\"{}\"{leaked}];",
            n.id,
            dot(&label),
            color(&n.resource_type, 88)
        )?;
    }
    for top in &tree.tops {
        for &c in &top.children {
            writeln!(out, "  \"{}\" -> \"{}\";", top.id, tree.nodes[c].id)?;
        }
    }
    for (i, kids) in tree.children.iter().enumerate() {
        for &c in kids {
            writeln!(
                out,
                "  \"{}\" -> \"{}\";",
                tree.nodes[i].id, tree.nodes[c].id
            )?;
        }
    }
    if tree.omitted > 0 {
        writeln!(
            out,
            "  // {} more resources not shown (raise --max-nodes)",
            tree.omitted
        )?;
    }
    writeln!(out, "}}")
}

const BOX_W: f64 = 170.0;
const BOX_H: f64 = 38.0;
const GAP_X: f64 = 16.0;
const GAP_Y: f64 = 46.0;
const MARGIN: f64 = 12.0;

/// Draws `tree` as an SVG image: a row per generation, parents centred over their children,
/// a box per resource colored by type (dashed red when never destroyed), with its creation
/// site and lifetime as a tooltip.
///
/// ```
/// let tree = async_hooks_cli::tree::Forest::new(Default::default()).finish();
/// let svg = async_hooks_cli::graph::svg(&tree);
/// assert!(svg.starts_with("<svg"));
/// ```
pub fn svg(tree: &Tree) -> String {
    // Slots: tops are virtual nodes index nodes.len() + k.
    let n = tree.nodes.len();
    let total = n + tree.tops.len();
    let kids = |i: usize| -> &[usize] {
        if i < n {
            &tree.children[i]
        } else {
            &tree.tops[i - n].children
        }
    };
    let mut depth = vec![0usize; total];
    let mut order = Vec::with_capacity(total);
    let mut stack: Vec<usize> = (n..total).rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        for &c in kids(i).iter().rev() {
            depth[c] = depth[i] + 1;
            stack.push(c);
        }
    }
    let mut x = vec![0f64; total];
    let mut next_leaf = 0f64;
    // Leaves take the next slot in depth-first order; a parent sits over its children.
    for &i in &order {
        if kids(i).is_empty() {
            x[i] = next_leaf;
            next_leaf += 1.0;
        }
    }
    for &i in order.iter().rev() {
        let k = kids(i);
        if let (Some(&first), Some(&last)) = (k.first(), k.last()) {
            x[i] = (x[first] + x[last]) / 2.0;
        }
    }
    let max_depth = depth.iter().copied().max().unwrap_or(0);
    let width = MARGIN * 2.0 + next_leaf.max(1.0) * (BOX_W + GAP_X) - GAP_X;
    let height = MARGIN * 2.0 + (max_depth as f64 + 1.0) * (BOX_H + GAP_Y) - GAP_Y + 18.0;
    let px = |i: usize| MARGIN + x[i] * (BOX_W + GAP_X);
    let py = |i: usize| MARGIN + depth[i] as f64 * (BOX_H + GAP_Y);

    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"11\">"
    );
    s.push_str("<g fill=\"none\" stroke=\"#9aa5b1\" stroke-width=\"1.2\">");
    for &i in &order {
        for &c in kids(i) {
            let (x1, y1) = (px(i) + BOX_W / 2.0, py(i) + BOX_H);
            let (x2, y2) = (px(c) + BOX_W / 2.0, py(c));
            let my = (y1 + y2) / 2.0;
            let _ = write!(
                s,
                "<path d=\"M{x1:.1},{y1:.1} C{x1:.1},{my:.1} {x2:.1},{my:.1} {x2:.1},{y2:.1}\"/>"
            );
        }
    }
    s.push_str("</g>");
    for &i in &order {
        let (x0, y0) = (px(i), py(i));
        if i >= n {
            let label = tree.tops[i - n].label();
            let _ = write!(
                s,
                "<g class=\"node top\"><rect x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{BOX_W}\" \
                 height=\"{BOX_H}\" rx=\"6\" fill=\"#e9ecef\" stroke=\"#868e96\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"600\">{}</text></g>",
                x0 + BOX_W / 2.0,
                y0 + BOX_H / 2.0 + 4.0,
                html(&label)
            );
            continue;
        }
        let node = &tree.nodes[i];
        let leaked = node.destroyed_ns.is_none();
        let mut tip = node.label();
        if let Some(site) = &node.created_at {
            let _ = write!(tip, "\ncreated at {site}");
        }
        match node.destroyed_ns {
            Some(d) => {
                let _ = write!(
                    tip,
                    "\nlived {}",
                    duration(d.saturating_sub(node.created_ns))
                );
            }
            None => tip.push_str("\nnever destroyed"),
        }
        if let Some(p) = &node.payload {
            let _ = write!(tip, "\npayload: {p}");
        }
        let site = node
            .created_at
            .as_deref()
            .map(short_site)
            .unwrap_or_default();
        let _ = write!(
            s,
            "<g class=\"node{}\"><title>{}</title><rect x=\"{x0:.1}\" y=\"{y0:.1}\" \
             width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" fill=\"{}\" stroke=\"{}\"{}/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"600\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#495057\" font-size=\"9.5\">{}</text></g>",
            if leaked { " leaked" } else { "" },
            html(&tip),
            color(&node.resource_type, 88),
            if leaked { "#c0392b" } else { "#adb5bd" },
            if leaked {
                " stroke-dasharray=\"4 3\" stroke-width=\"1.5\""
            } else {
                ""
            },
            x0 + BOX_W / 2.0,
            y0 + 16.0,
            html(&shorten(&node.label(), 26)),
            x0 + BOX_W / 2.0,
            y0 + 30.0,
            html(&shorten(&site, 30)),
        );
    }
    if tree.omitted > 0 {
        let _ = write!(
            s,
            "<text x=\"{MARGIN}\" y=\"{:.1}\" fill=\"#868e96\">… {} more resources not shown</text>",
            height - 6.0,
            tree.omitted
        );
    }
    s.push_str("</svg>");
    s
}

/// `file:line` of a `file:line:column` site, with only the file's name.
pub(crate) fn short_site(site: &str) -> String {
    let mut parts = site.rsplitn(3, ':');
    let _column = parts.next();
    let line = parts.next();
    let file = parts.next();
    match (file, line) {
        (Some(file), Some(line)) => {
            let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
            format!("{name}:{line}")
        }
        _ => site.to_string(),
    }
}
