//! Times the key operations of `async-hooks` side by side in one process, together with Node's
//! (the scripts of `bench/node/`, one process per round between the Rust rounds), plain Tokio
//! and tracing, and prints one markdown table: ns/op for each case, then the ratios that matter
//! and the goals they are held to.
//!
//! ```text
//! cargo run --release -p async-hooks-benches --bin ratios -- \
//!     [--quick] [--rounds N] [--markdown PATH] [--filter S] [--no-node]
//! ```
//!
//! `--quick` runs few iterations (a smoke run, seconds); `--rounds N` overrides the number of
//! rounds; `--markdown PATH` also writes the table to `PATH`; `--filter SUBSTRING` keeps only
//! the cases (and ratios) whose names contain it; `--no-node` skips Node. `NODE` names the
//! Node program (default `node`). Built with `RUSTFLAGS="--cfg tokio_unstable"`, it also times
//! Tokio's own task hooks and the integration's runtime-hook mode (`scripts/bench.sh` does
//! both builds). To add a row, push a `Case` in [`cases()`] (`cases.rs`) and a `Line` in [`lines()`]
//! (`lines.rs`); names shared by both go in `names.rs`.

use std::process::ExitCode;

use async_hooks_benches::node::Node;
use async_hooks_benches::runner::{measure_with, Plan};
use async_hooks_benches::table::render;

mod cases;
mod lines;
mod names;

use crate::cases::cases;
use crate::lines::lines;
use crate::names::UNSTABLE_MARK;

struct Args {
    plan: Plan,
    markdown: Option<String>,
    filter: Option<String>,
    node: bool,
}

const USAGE: &str =
    "usage: ratios [--quick] [--rounds N] [--markdown PATH] [--filter SUBSTRING] [--no-node]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        plan: Plan::FULL,
        markdown: None,
        filter: None,
        node: true,
    };
    let mut rounds = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.plan = Plan::QUICK,
            "--rounds" => {
                let n = it.next().ok_or("--rounds needs a number")?;
                rounds = Some(
                    n.parse()
                        .map_err(|_| format!("--rounds: not a number: {n}"))?,
                );
            }
            "--markdown" => args.markdown = Some(it.next().ok_or("--markdown needs a PATH")?),
            "--filter" => args.filter = Some(it.next().ok_or("--filter needs a SUBSTRING")?),
            "--no-node" => args.node = false,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if let Some(rounds) = rounds {
        args.plan.rounds = rounds;
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let keep = |name: &str| args.filter.as_deref().is_none_or(|f| name.contains(f));
    let mut cases = cases();
    cases.retain(|c| keep(c.name()));

    let node = if args.node {
        let program = std::env::var("NODE").unwrap_or_else(|_| Node::DEFAULT_PROGRAM.into());
        Node::find(program, Node::default_dir())
    } else {
        Err("not run (--no-node)".to_owned())
    };
    let mut batches = match &node {
        Ok(node) => node.batches(),
        Err(why) => {
            eprintln!("Node comparison skipped: {why}; timing the Rust cases only");
            Vec::new()
        }
    };
    let mut measured = measure_with(&mut cases, &mut batches, args.plan);
    measured.rows.retain(|r| keep(&r.name));
    for error in &measured.errors {
        eprintln!("error: {error}");
    }

    let node_why = match &node {
        Ok(_) if measured.errors.is_empty() => "not measured".to_owned(),
        Ok(_) => format!("a Node script failed: {}", measured.errors.join("; ")),
        Err(why) => format!("Node {why}"),
    };
    let missing = |case: &str| -> Option<String> {
        if !keep(case) {
            None
        } else if case.starts_with("node:") {
            Some(node_why.clone())
        } else if case.contains(UNSTABLE_MARK) {
            Some("needs `--cfg tokio_unstable`: see the tokio_unstable run".to_owned())
        } else {
            Some("not measured".to_owned())
        }
    };
    let node_text = match &node {
        Ok(node) => format!(
            "each round followed by one run of every Node {} script",
            node.version()
        ),
        Err(_) => "Rust only".to_owned(),
    };
    let report = format!(
        "{} rounds x {} iterations per case (Tokio cases 10-20x fewer), interleaved, {}; \
         build: {}\n\n{}",
        args.plan.rounds,
        args.plan.iters,
        node_text,
        if cfg!(tokio_unstable) {
            "--cfg tokio_unstable"
        } else {
            "stable"
        },
        render(&lines(), &measured.rows, &missing),
    );
    print!("{report}");
    if let Some(path) = args.markdown {
        if let Err(e) = std::fs::write(&path, &report) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
