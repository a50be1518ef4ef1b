//! `tree`: the resources as a causality tree, by trigger (who caused a resource, S4) or by
//! execution scope (which scope was running when it was created, S14), the way Node's
//! documentation draws them: `TTYWRAP(6) -> Timeout(4) -> TIMERWRAP(5) -> TickObject(3) ->
//! root(1)`.
//!
//! The answer is the resource set itself, so [`Forest`] keeps at most
//! [`TreeOptions::max_nodes`] resources, optionally only a subtree ([`TreeOptions::root`]) or
//! the subtrees of resources of some types ([`TreeOptions::types`]). `graph` and `report` draw
//! the same [`Tree`].

use std::io::{self, Write};
use std::sync::Arc;

use crate::pass::{Analysis, End, IdMap, Link, Resource, Scope, ROOT_ID};
use crate::units::duration;

/// Which edge makes a resource a child of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Relation {
    /// Its trigger: the resource responsible for its creation (S4).
    #[default]
    Trigger,
    /// Its execution scope: the resource whose code was running when it was created (S14).
    Scope,
}

/// What the tree keeps.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TreeOptions {
    /// The edge that makes the tree.
    pub relation: Relation,
    /// Only this resource and its descendants.
    pub root: Option<u64>,
    /// Only resources of these types and their descendants (all when empty).
    pub types: Vec<String>,
    /// The most resources kept; later ones are counted, not kept.
    pub max_nodes: usize,
}

impl Default for TreeOptions {
    fn default() -> TreeOptions {
        TreeOptions {
            relation: Relation::Trigger,
            root: None,
            types: Vec::new(),
            max_nodes: 10_000,
        }
    }
}

/// One resource in the tree.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Node {
    /// Its async id.
    pub id: u64,
    /// Its parent's async id (trigger or execution scope).
    pub parent: u64,
    /// Its type.
    pub resource_type: Arc<str>,
    /// Where it was created.
    pub created_at: Option<Arc<str>>,
    /// Its payload summary.
    pub payload: Option<String>,
    /// The thread that created it.
    pub thread: u32,
    /// When it was created (ns).
    pub created_ns: u64,
    /// When it was destroyed, if it was.
    pub destroyed_ns: Option<u64>,
    /// Scopes it ran.
    pub scopes: u64,
    /// Time in its outermost scopes (ns).
    pub busy_ns: u64,
}

impl Node {
    /// `Type(id)`.
    ///
    /// ```
    /// # fn f(node: &async_hooks_cli::tree::Node) -> String {
    /// node.label()
    /// # }
    /// # let _ = f;
    /// ```
    pub fn label(&self) -> String {
        format!("{}({})", self.resource_type, self.id)
    }
}

/// Collects the resources of a trace (see [`TreeOptions`]).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-tree-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// let outer = async_hooks::AsyncResource::new("Outer");
/// let inner = outer.run_in_async_scope(|| async_hooks::AsyncResource::new("Inner"));
/// # drop((inner, outer));
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let mut forest = async_hooks_cli::tree::Forest::new(Default::default());
/// async_hooks_cli::pass::run(&mut reader, &mut forest, &mut |_| {})?;
/// let tree = forest.finish();
/// let chains = tree.chains();
/// assert!(chains[0].ends_with("-> Outer(2) -> root(1)") || chains[0].contains("Inner"), "{chains:?}");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug)]
pub struct Forest {
    options: TreeOptions,
    nodes: Vec<Node>,
    index: IdMap<usize>,
    omitted: u64,
}

impl Forest {
    /// An empty forest.
    ///
    /// ```
    /// let forest = async_hooks_cli::tree::Forest::new(Default::default());
    /// assert!(forest.finish().nodes.is_empty());
    /// ```
    pub fn new(options: TreeOptions) -> Forest {
        Forest {
            options,
            nodes: Vec::new(),
            index: IdMap::default(),
            omitted: 0,
        }
    }

    /// The tree.
    ///
    /// ```
    /// let tree = async_hooks_cli::tree::Forest::new(Default::default()).finish();
    /// assert_eq!(tree.omitted, 0);
    /// ```
    pub fn finish(self) -> Tree {
        let mut children = vec![Vec::new(); self.nodes.len()];
        let mut tops: Vec<Top> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            match self.index.get(&n.parent) {
                Some(&p) if p != i => children[p].push(i),
                _ => {
                    let id = if n.parent == 0 { ROOT_ID } else { n.parent };
                    match tops.iter_mut().find(|t| t.id == id) {
                        Some(t) => t.children.push(i),
                        None => tops.push(Top {
                            id,
                            children: vec![i],
                        }),
                    }
                }
            }
        }
        tops.sort_by_key(|t| (t.id != ROOT_ID, t.id));
        Tree {
            nodes: self.nodes,
            children,
            tops,
            omitted: self.omitted,
            relation: self.options.relation,
        }
    }
}

impl Analysis for Forest {
    fn init(&mut self, r: &Resource) {
        let parent = match self.options.relation {
            Relation::Trigger => r.link.trigger,
            Relation::Scope => r.execution_id,
        };
        let id = r.link.id;
        let wanted = match self.options.root {
            Some(root) => id == root || self.index.contains_key(&parent),
            None => true,
        } && (self.options.types.is_empty()
            || self.index.contains_key(&parent)
            || self
                .options
                .types
                .iter()
                .any(|t| **t == *r.link.resource_type));
        if !wanted {
            return;
        }
        if self.nodes.len() >= self.options.max_nodes {
            self.omitted += 1;
            return;
        }
        self.index.insert(id, self.nodes.len());
        self.nodes.push(Node {
            id,
            parent,
            resource_type: r.link.resource_type.clone(),
            created_at: r.link.created_at.clone(),
            payload: r.payload.as_deref().map(str::to_string),
            thread: r.thread,
            created_ns: r.created_ns,
            destroyed_ns: None,
            scopes: 0,
            busy_ns: 0,
        });
    }

    fn scope(&mut self, scope: &Scope, _link: Option<&Arc<Link>>) {
        if let Some(&i) = self.index.get(&scope.async_id) {
            let n = &mut self.nodes[i];
            n.scopes += 1;
            if scope.depth == 0 {
                n.busy_ns += scope.duration_ns();
            }
        }
    }

    fn destroy(&mut self, end: &End, _resource: Option<&Resource>) {
        if let Some(&i) = self.index.get(&end.async_id) {
            self.nodes[i].destroyed_ns = Some(end.timestamp_ns);
        }
    }
}

/// A top of the tree: the root (`1`), or a parent whose `init` is not in the trace.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Top {
    /// Its async id.
    pub id: u64,
    /// Indices of its children in [`Tree::nodes`].
    pub children: Vec<usize>,
}

impl Top {
    /// `root(1)`, or `?(id)` for an unknown parent.
    ///
    /// ```
    /// # fn f(top: &async_hooks_cli::tree::Top) -> String {
    /// top.label()
    /// # }
    /// # let _ = f;
    /// ```
    pub fn label(&self) -> String {
        if self.id == ROOT_ID {
            "root(1)".to_string()
        } else {
            format!("?({})", self.id)
        }
    }
}

/// The resources as a tree.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Tree {
    /// The resources kept, in creation order (as read).
    pub nodes: Vec<Node>,
    /// Children (indices into `nodes`) of each node.
    pub children: Vec<Vec<usize>>,
    /// The tops: the root, then unknown parents.
    pub tops: Vec<Top>,
    /// Resources left out by the `max_nodes` cap.
    pub omitted: u64,
    /// The edge the tree follows.
    pub relation: Relation,
}

impl Tree {
    /// Node indices in depth-first order with their depth (tops are depth 0, not listed).
    ///
    /// ```
    /// let tree = async_hooks_cli::tree::Forest::new(Default::default()).finish();
    /// assert!(tree.preorder().is_empty());
    /// ```
    pub fn preorder(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for top in &self.tops {
            stack.extend(top.children.iter().rev().map(|&c| (c, 1)));
            while let Some((i, d)) = stack.pop() {
                out.push((i, d));
                stack.extend(self.children[i].iter().rev().map(|&c| (c, d + 1)));
            }
        }
        out
    }

    /// The Node-style chain from every leaf to its top: `Timeout(4) -> Task(3) -> root(1)`.
    ///
    /// ```
    /// let tree = async_hooks_cli::tree::Forest::new(Default::default()).finish();
    /// assert!(tree.chains().is_empty());
    /// ```
    pub fn chains(&self) -> Vec<String> {
        let mut index = IdMap::default();
        for (i, n) in self.nodes.iter().enumerate() {
            index.insert(n.id, i);
        }
        let mut out = Vec::new();
        for (i, _) in self.preorder() {
            if !self.children[i].is_empty() {
                continue;
            }
            let mut parts = Vec::new();
            let mut at = Some(i);
            let mut last_parent = ROOT_ID;
            while let Some(j) = at {
                let n = &self.nodes[j];
                parts.push(n.label());
                last_parent = n.parent;
                at = index.get(&n.parent).copied().filter(|&p| p != j);
                if parts.len() > self.nodes.len() {
                    break;
                }
            }
            parts.push(match last_parent {
                0 | ROOT_ID => "root(1)".to_string(),
                id => format!("?({id})"),
            });
            out.push(parts.join(" -> "));
        }
        out
    }

    /// Writes the tree as indented text, one resource a line.
    ///
    /// # Errors
    ///
    /// Writing to `out` failed.
    ///
    /// ```
    /// let tree = async_hooks_cli::tree::Forest::new(Default::default()).finish();
    /// let mut out = Vec::new();
    /// tree.write_text(&mut out, 0)?;
    /// assert!(String::from_utf8(out).unwrap().contains("no resources"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_text(&self, out: &mut dyn Write, end_ns: u64) -> io::Result<()> {
        if self.nodes.is_empty() {
            writeln!(out, "(no resources match)")?;
        }
        for top in &self.tops {
            writeln!(out, "{}", top.label())?;
            // (node, prefix of its line, prefix of its children's lines)
            let mut stack: Vec<(usize, String, String)> = Vec::new();
            let push_children =
                |stack: &mut Vec<(usize, String, String)>, kids: &[usize], pre: &str| {
                    for (k, &c) in kids.iter().enumerate().rev() {
                        let last = k + 1 == kids.len();
                        let (branch, cont) = if last {
                            ("└─ ", "   ")
                        } else {
                            ("├─ ", "│  ")
                        };
                        stack.push((c, format!("{pre}{branch}"), format!("{pre}{cont}")));
                    }
                };
            push_children(&mut stack, &top.children, "");
            while let Some((i, line, cont)) = stack.pop() {
                let n = &self.nodes[i];
                let life = match n.destroyed_ns {
                    Some(d) => format!("lived {}", duration(d.saturating_sub(n.created_ns))),
                    None => format!(
                        "never destroyed, age {}",
                        duration(end_ns.saturating_sub(n.created_ns))
                    ),
                };
                let scopes = if n.scopes > 0 {
                    format!(
                        ", {} scope{} {}",
                        n.scopes,
                        crate::leaks::plural(n.scopes),
                        duration(n.busy_ns)
                    )
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "{line}{}  {}  [{life}{scopes}]",
                    n.label(),
                    n.created_at.as_deref().unwrap_or("(unknown site)")
                )?;
                push_children(&mut stack, &self.children[i], &cont);
            }
        }
        if self.omitted > 0 {
            writeln!(
                out,
                "… and {} more resource{} not shown (raise --max-nodes, or narrow with --root or --type)",
                self.omitted,
                crate::leaks::plural(self.omitted)
            )?;
        }
        Ok(())
    }
}
