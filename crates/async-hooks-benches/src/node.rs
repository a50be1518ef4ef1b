//! The Node side of the comparison: the scripts of `bench/node/`, run as [`Batch`]es.
//!
//! Each script times a few cases of Node's `async_hooks` and prints one JSON line per case,
//! `{"name":"node: ...","ns":[...]}`, the ns per operation of each of its rounds (see
//! `bench/node/harness.js`). The `ratios` runner starts every script once per round, between
//! its own rounds, so that Node and Rust are measured under the same load.
//!
//! ```no_run
//! use async_hooks_benches::node::Node;
//! use async_hooks_benches::runner::{measure_with, Plan};
//!
//! let node = Node::find(Node::DEFAULT_PROGRAM, Node::default_dir())?;
//! println!("{}", node.version());
//! let mut batches = node.batches();
//! let out = measure_with(&mut [], &mut batches, Plan::QUICK);
//! assert!(out.rows.iter().any(|r| r.name == "node: executionAsyncId()"));
//! # Ok::<(), String>(())
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::runner::{Batch, Plan};

/// The scripts of `bench/node/`, in the order they run within a round.
pub const SCRIPTS: [&str; 3] = ["lifecycle", "storage", "await"];

/// A `node` program that answered `--version`, and the folder of the scripts.
///
/// ```no_run
/// use async_hooks_benches::node::Node;
///
/// match Node::find("node", Node::default_dir()) {
///     Ok(node) => println!("comparing with Node {}", node.version()),
///     Err(why) => println!("Rust only: {why}"),
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Node {
    program: PathBuf,
    version: String,
    dir: PathBuf,
}

impl Node {
    /// The program looked for when `NODE` is not set: `node`, on the `PATH`.
    pub const DEFAULT_PROGRAM: &'static str = "node";

    /// `bench/node/` of this repository.
    ///
    /// ```
    /// let dir = async_hooks_benches::node::Node::default_dir();
    /// assert!(dir.join("harness.js").is_file());
    /// ```
    pub fn default_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/node")
    }

    /// Checks that `program --version` runs and that `dir` has the scripts.
    ///
    /// # Errors
    ///
    /// A sentence saying what is missing: the program, or a script.
    ///
    /// ```
    /// use async_hooks_benches::node::Node;
    ///
    /// let err = Node::find("/nonexistent/node", Node::default_dir()).unwrap_err();
    /// assert!(err.contains("/nonexistent/node"), "{err}");
    /// ```
    pub fn find(program: impl Into<PathBuf>, dir: impl Into<PathBuf>) -> Result<Node, String> {
        let program = program.into();
        let dir = dir.into();
        let output = Command::new(&program)
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run `{} --version`: {e}", program.display()))?;
        if !output.status.success() {
            return Err(format!(
                "`{} --version` failed: {}",
                program.display(),
                output.status
            ));
        }
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        for script in SCRIPTS {
            let path = dir.join(format!("{script}.js"));
            if !path.is_file() {
                return Err(format!("missing Node script {}", path.display()));
            }
        }
        Ok(Node {
            program,
            version,
            dir,
        })
    }

    /// What `node --version` printed, such as `v20.20.2`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// One [`Batch`] per script of [`SCRIPTS`].
    ///
    /// A script runs `3` rounds (`2` in a quick plan) of its base iteration counts scaled by
    /// the plan's iterations over [`Plan::FULL`]'s.
    pub fn batches(&self) -> Vec<Batch> {
        SCRIPTS
            .iter()
            .map(|script| {
                let node = self.clone();
                Batch::new(format!("node {script}.js"), move |plan| {
                    node.run(script, plan)
                })
            })
            .collect()
    }

    fn run(&self, script: &str, plan: Plan) -> Result<Vec<(String, Vec<f64>)>, String> {
        let scale = plan.iters as f64 / Plan::FULL.iters as f64;
        let rounds = if plan.iters < Plan::FULL.iters { 2 } else { 3 };
        let path = self.dir.join(format!("{script}.js"));
        let output = Command::new(&self.program)
            .arg(&path)
            .arg(scale.to_string())
            .arg(rounds.to_string())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} exited with {}: {}",
                path.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(parse_line)
            .collect()
    }
}

/// Reads one line printed by a script: `{"name":"...","ns":[1.5,2]}`, as `JSON.stringify`
/// writes it (names have no quotes or escapes).
///
/// # Errors
///
/// The line is not of that shape; the message quotes it.
///
/// ```
/// use async_hooks_benches::node::parse_line;
///
/// let (name, ns) = parse_line(r#"{"name":"node: x","ns":[1.5,2,3e-1]}"#)?;
/// assert_eq!(name, "node: x");
/// assert_eq!(ns, [1.5, 2.0, 0.3]);
/// assert!(parse_line("Error: boom").is_err());
/// # Ok::<(), String>(())
/// ```
pub fn parse_line(line: &str) -> Result<(String, Vec<f64>), String> {
    let bad = || format!("not a result line: {line:?}");
    let rest = line.trim().strip_prefix(r#"{"name":""#).ok_or_else(bad)?;
    let (name, rest) = rest.split_once('"').ok_or_else(bad)?;
    let list = rest
        .strip_prefix(r#","ns":["#)
        .and_then(|r| r.strip_suffix("]}"))
        .ok_or_else(bad)?;
    let ns = list
        .split(',')
        .map(|v| v.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    if name.is_empty() || ns.is_empty() {
        return Err(bad());
    }
    Ok((name.to_owned(), ns))
}
