//! Times the key operations of `async-hooks` side by side in one process and prints a markdown
//! table: ns/op for each case, then the ratios that matter and the targets they are held to.
//!
//! ```text
//! cargo run --release -p async-hooks-benches --bin ratios -- [--quick] [--markdown PATH] [--filter S]
//! ```
//!
//! `--quick` runs few iterations (a CI smoke run, seconds); `--markdown PATH` also writes the
//! tables to `PATH`; `--filter SUBSTRING` keeps only the cases whose name contains it (to
//! profile one, say). To add a row (a Tokio or Node comparison), push a [`Case`] in [`cases`]
//! and, if it has a ratio or a target, a line in [`summary`].

use std::hint::black_box;
use std::process::ExitCode;

use async_hooks::{execution_async_id, trigger_async_id, AsyncLocalStorage, AsyncResource};
use async_hooks_benches::runner::{markdown_table, measure, time, Case, Plan, Row};
use async_hooks_benches::{leak_stores, with_stores, Hooks};

const FLOOR_EMPTY: &str = "floor: empty loop";
const FLOOR_TLS: &str = "floor: thread_local! Cell<u64> read";
const EXEC_ID: &str = "execution_async_id()";
const TRIGGER_ID: &str = "trigger_async_id()";
const GET: &str = "ALS get() inside run()";
const WITH: &str = "ALS with() inside run()";
const RUN: &str = "ALS run(v, trivial closure)";

fn lifecycle(hooks: Hooks) -> String {
    format!("lifecycle: new + run_in_async_scope + drop, {}", hooks.id())
}

fn create_with_stores(n: usize) -> String {
    let stores = if n == 1 { "store" } else { "stores" };
    format!("create + drop, {n} {stores} in use")
}

thread_local! {
    static FLOOR: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

static STORE: AsyncLocalStorage<u64> = AsyncLocalStorage::new();

/// Every case, in table order.
fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case::op(FLOOR_EMPTY, Hooks::None, || black_box(())),
        Case::op(FLOOR_TLS, Hooks::None, || FLOOR.with(|c| c.get())),
        Case::op(EXEC_ID, Hooks::None, execution_async_id),
        Case::op(TRIGGER_ID, Hooks::None, trigger_async_id),
    ];
    for hooks in Hooks::ALL {
        cases.push(Case::op(lifecycle(hooks), hooks, || {
            AsyncResource::new("bench").run_in_async_scope(|| black_box(()))
        }));
    }
    cases.extend([
        Case::op("lifecycle, guard form, no_hook", Hooks::None, || {
            let res = AsyncResource::new("bench");
            let _scope = res.enter();
            black_box(());
        }),
        Case::op(
            "lifecycle, emit_before/emit_after, no_hook",
            Hooks::None,
            || {
                let res = AsyncResource::new("bench");
                res.emit_before();
                black_box(());
                res.emit_after().is_ok()
            },
        ),
        Case::op("create + drop, no_hook", Hooks::None, || {
            AsyncResource::new("bench")
        }),
        Case::custom(
            "scope only: run_in_async_scope, no_hook",
            Hooks::None,
            |iters| {
                let res = AsyncResource::new("bench");
                time(iters, || res.run_in_async_scope(|| black_box(())))
            },
        ),
        Case::custom(GET, Hooks::None, |iters| {
            STORE.run(7, || time(iters, || STORE.get()))
        }),
        Case::custom(WITH, Hooks::None, |iters| {
            STORE.run(7, || time(iters, || STORE.with(|v| v.copied())))
        }),
        Case::op(RUN, Hooks::None, || STORE.run(7, || black_box(()))),
    ]);
    let stores = leak_stores(100);
    for n in [0, 1, 10, 100] {
        let stores = stores[..n].to_vec();
        cases.push(Case::custom(
            create_with_stores(n),
            Hooks::None,
            move |iters| with_stores(&stores, &mut || time(iters, || AsyncResource::new("bench"))),
        ));
    }
    cases
}

/// A line of the summary: a measured value and what it is held to.
enum Line {
    /// A case's median in ns, against an upper bound in ns.
    Target {
        label: &'static str,
        case: String,
        at_most_ns: f64,
    },
    /// A case's median in ns, for reference.
    Value { label: &'static str, case: String },
    /// The ratio of two cases' medians, with what to expect.
    Ratio {
        label: &'static str,
        num: String,
        den: String,
        expect: &'static str,
    },
}

/// The ratios and targets, in table order.
fn summary() -> Vec<Line> {
    let target = |label, case: String, at_most_ns| Line::Target {
        label,
        case,
        at_most_ns,
    };
    let value = |label, case: &str| Line::Value {
        label,
        case: case.into(),
    };
    let ratio = |label, num: &str, den: &str, expect| Line::Ratio {
        label,
        num: num.into(),
        den: den.into(),
        expect,
    };
    vec![
        ratio(
            "execution_async_id / thread-local read",
            EXEC_ID,
            FLOOR_TLS,
            "~1: one thread-local read",
        ),
        target("lifecycle, no hook", lifecycle(Hooks::None), 25.0),
        target("lifecycle, 1 hook", lifecycle(Hooks::One), 60.0),
        target("lifecycle, 8 hooks", lifecycle(Hooks::Eight), 200.0),
        ratio(
            "lifecycle, disabled hook / no hook",
            &lifecycle(Hooks::Disabled),
            &lifecycle(Hooks::None),
            "~1: a disabled hook is free (S12)",
        ),
        ratio(
            "lifecycle, 1 hook / no hook",
            &lifecycle(Hooks::One),
            &lifecycle(Hooks::None),
            "",
        ),
        ratio(
            "lifecycle, 8 hooks / 1 hook",
            &lifecycle(Hooks::Eight),
            &lifecycle(Hooks::One),
            "< 8: dispatch overhead is paid once",
        ),
        value("AsyncLocalStorage get()", GET),
        value("AsyncLocalStorage with()", WITH),
        value("AsyncLocalStorage run()", RUN),
        ratio(
            "create, 100 stores / 1 store",
            &create_with_stores(100),
            &create_with_stores(1),
            "~1: capture is O(1) (S33)",
        ),
    ]
}

fn summary_table(rows: &[Row]) -> String {
    let ns = |name: &str| rows.iter().find(|r| r.name == name).map(|r| r.median_ns);
    let mut out = String::from("| measure | median | target | met |\n|---|---:|---|---|\n");
    for line in summary() {
        let row = match line {
            Line::Target {
                label,
                case,
                at_most_ns,
            } => match ns(&case) {
                Some(v) => {
                    let met = if v <= at_most_ns { "yes" } else { "**no**" };
                    format!("| {label} | {v:.1} ns | <= {at_most_ns} ns | {met} |")
                }
                None => continue, // filtered out
            },
            Line::Value { label, case } => match ns(&case) {
                Some(v) => format!("| {label} | {v:.1} ns | | |"),
                None => continue,
            },
            Line::Ratio {
                label,
                num,
                den,
                expect,
            } => match (ns(&num), ns(&den)) {
                (Some(n), Some(d)) => format!("| {label} | {:.2}x | {expect} | |", n / d),
                _ => continue,
            },
        };
        out.push_str(&row);
        out.push('\n');
    }
    out
}

struct Args {
    plan: Plan,
    markdown: Option<String>,
    filter: Option<String>,
}

const USAGE: &str = "usage: ratios [--quick] [--markdown PATH] [--filter SUBSTRING]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        plan: Plan::FULL,
        markdown: None,
        filter: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.plan = Plan::QUICK,
            "--markdown" => {
                args.markdown = Some(it.next().ok_or("--markdown needs a PATH")?);
            }
            "--filter" => {
                args.filter = Some(it.next().ok_or("--filter needs a SUBSTRING")?);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
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
    let mut cases = cases();
    if let Some(filter) = &args.filter {
        cases.retain(|c| c.name().contains(filter.as_str()));
    }
    let rows = measure(&mut cases, args.plan);
    let report = format!(
        "{} rounds x {} iterations per case, interleaved; ns per operation\n\n{}\n{}",
        args.plan.rounds,
        args.plan.iters,
        markdown_table(&rows),
        summary_table(&rows),
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
