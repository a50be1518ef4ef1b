//! The `async-hooks` binary on traces recorded in the test: each command's output checked for
//! real content, and bad files refused with exit status 2 and a message saying where.
//!
//! The traces are recorded with `AsyncResource`, whose events are the SPEC's: creation with
//! its trigger and scope (S4, S14, S22), scopes (S15, S24), destroy on drop (S17). Run with
//! `cargo nextest` (one process per test: the recorder is process-global).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use async_hooks::AsyncResource;
use async_hooks_trace::Recorder;

struct Demo {
    path: PathBuf,
    task: u64,
    timer: u64,
    tick: u64,
    reply: u64,
    leak: u64,
    leak_line: u32,
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ahc-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.aht"))
}

/// Task creates Timer (in its scope) and leaks a Leak; Timer's scope creates Tick, whose scope
/// sleeps 50 ms and creates Reply with Task as its explicit trigger.
fn demo(name: &str) -> Demo {
    let path = temp(name);
    let trace = Recorder::start(&path).unwrap();
    let task = AsyncResource::new("demo.Task");
    let (timer, leak, leak_line) = task.run_in_async_scope(|| {
        let timer = AsyncResource::new("demo.Timer");
        let leak_line = line!() + 1;
        let leak = AsyncResource::new("demo.Leak");
        let id = leak.async_id().as_u64();
        std::mem::forget(leak);
        (timer, id, leak_line)
    });
    let (tick_id, reply_id) = timer.run_in_async_scope(|| {
        let tick = AsyncResource::new("demo.Tick");
        let reply = tick.run_in_async_scope(|| {
            std::thread::sleep(Duration::from_millis(50));
            AsyncResource::with_trigger("demo.Reply", task.async_id())
        });
        (tick.async_id().as_u64(), reply.async_id().as_u64())
    });
    let demo = Demo {
        path: path.clone(),
        task: task.async_id().as_u64(),
        timer: timer.async_id().as_u64(),
        tick: tick_id,
        reply: reply_id,
        leak,
        leak_line,
    };
    drop(timer);
    drop(task);
    trace.finish().unwrap();
    demo
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_async-hooks"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = cli(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

// S17, S22: a resource forgotten (never destroyed) is a leak, reported with its creation site.
#[test]
fn leaks_finds_the_forgotten_resource_with_its_site() {
    let d = demo("leaks");
    let out = stdout(&["leaks", p(&d.path)]);
    assert!(
        out.starts_with("1 resource created and never destroyed"),
        "{out}"
    );
    let line = out.lines().find(|l| l.contains("demo.Leak")).expect(&out);
    assert!(
        line.contains(&format!("tests/cli.rs:{}:", d.leak_line)),
        "no creation site in {line:?}"
    );
    assert!(out.contains(&format!("ids {}", d.leak)), "{out}");
    // S4: the leak was created in Task's scope, so Task is its trigger.
    assert!(
        out.contains(&format!(
            "chain demo.Leak({}) -> demo.Task({}) -> root(1)",
            d.leak, d.task
        )),
        "{out}"
    );
    // Nothing else leaked: the other resources were dropped (S17).
    for ty in ["demo.Task", "demo.Timer", "demo.Tick", "demo.Reply"] {
        assert!(
            !out.contains(ty) || out.contains(&format!("-> {ty}")),
            "{ty} in {out}"
        );
    }
    // A filter that excludes it.
    let none = stdout(&["leaks", p(&d.path), "--type", "demo.Task"]);
    assert!(none.starts_with("No leaks"), "{none}");
}

// S15, S24: a scope that sleeps 50 ms is slow at 20 ms, with its chain of triggers.
#[test]
fn slow_finds_the_sleeping_scope() {
    let d = demo("slow");
    let out = stdout(&["slow", p(&d.path), "--threshold", "20ms"]);
    // Tick's scope slept; Timer's scope encloses it, so both took ≥ 50 ms; Task's did not.
    assert!(
        out.starts_with("2 of 3 scopes took 20.0 ms or longer"),
        "{out}"
    );
    let tick = out
        .lines()
        .find(|l| l.contains(&format!("demo.Tick({})", d.tick)))
        .expect(&out);
    let ms: f64 = tick.split_whitespace().next().unwrap().parse().unwrap();
    assert!((50.0..2000.0).contains(&ms), "{tick}");
    let task = format!("demo.Task({})", d.task);
    assert!(
        !out.lines()
            .any(|l| l.contains(&task) && !l.trim_start().starts_with("chain")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "chain demo.Tick({}) -> demo.Timer({}) -> demo.Task({}) -> root(1)",
            d.tick, d.timer, d.task
        )),
        "{out}"
    );
    let none = stdout(&["slow", p(&d.path), "--threshold", "10s"]);
    assert!(
        none.starts_with("No scope took 10.0 s or longer (3 scopes"),
        "{none}"
    );
}

// S4, S14: the tree by trigger and by execution scope, with Node-style chains.
#[test]
fn tree_draws_node_style_chains_by_trigger_and_by_scope() {
    let d = demo("tree");
    let out = stdout(&["tree", p(&d.path), "--chains"]);
    assert!(out.starts_with("root(1)\n"), "{out}");
    assert!(out.contains(&format!("└─ demo.Task({})", d.task)), "{out}");
    // Reply's trigger is Task (given explicitly), although it was created in Tick's scope.
    let by_trigger = format!(
        "demo.Reply({}) -> demo.Task({}) -> root(1)",
        d.reply, d.task
    );
    let by_scope = format!(
        "demo.Reply({}) -> demo.Tick({}) -> demo.Timer({}) -> demo.Task({}) -> root(1)",
        d.reply, d.tick, d.timer, d.task
    );
    assert!(out.lines().any(|l| l == by_trigger), "{out}");
    assert!(!out.contains(&by_scope), "{out}");
    assert!(out.contains("never destroyed"), "{out}");

    let scoped = stdout(&["tree", p(&d.path), "--chains", "--scope"]);
    assert!(scoped.lines().any(|l| l == by_scope), "{scoped}");

    // A subtree, and a cap.
    let sub = stdout(&["tree", p(&d.path), "--root", &d.timer.to_string()]);
    assert!(sub.contains(&format!("demo.Tick({})", d.tick)), "{sub}");
    assert!(!sub.contains("demo.Leak"), "{sub}");
    let capped = stdout(&["tree", p(&d.path), "--max-nodes", "2"]);
    assert!(
        capped.contains("… and 3 more resources not shown"),
        "{capped}"
    );
}

// S15: one slice per scope, flows from creator to resource, names of threads.
#[test]
fn timeline_is_chrome_trace_json_with_a_slice_per_scope() {
    let d = demo("timeline");
    let json = stdout(&["timeline", p(&d.path)]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let slices: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(slices.len(), 3, "{json}");
    let tick = slices
        .iter()
        .find(|e| e["name"] == format!("demo.Tick({})", d.tick))
        .unwrap();
    assert!(tick["dur"].as_f64().unwrap() >= 50_000.0, "{tick}");
    assert_eq!(tick["args"]["trigger_id"], d.timer);
    // Tick was created in Timer's scope and then ran: one arrow from there to its scope.
    let starts = events
        .iter()
        .filter(|e| e["ph"] == "s" && e["id"] == d.tick)
        .count();
    let ends = events
        .iter()
        .filter(|e| e["ph"] == "f" && e["id"] == d.tick)
        .count();
    assert_eq!((starts, ends), (1, 1));
    assert!(events.iter().any(|e| e["name"] == "thread_name"));

    // To a file, too.
    let out = d.path.with_extension("json");
    stdout(&["timeline", p(&d.path), "-o", p(&out)]);
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(again, v);
}

// S4: the graph's edges go from trigger to resource; SVG is drawn without graphviz.
#[test]
fn graph_dot_has_the_edges_and_svg_draws_the_boxes() {
    let d = demo("graph");
    let dot = stdout(&["graph", p(&d.path)]);
    assert!(dot.starts_with("digraph causality {"), "{dot}");
    for (from, to) in [
        (1, d.task),
        (d.task, d.timer),
        (d.timer, d.tick),
        (d.task, d.reply),
        (d.task, d.leak),
    ] {
        assert!(
            dot.contains(&format!("\"{from}\" -> \"{to}\";")),
            "{from}->{to}: {dot}"
        );
    }
    assert!(
        dot.contains("style=\"rounded,filled,dashed\""),
        "leak not marked: {dot}"
    );

    let svg = stdout(&["graph", p(&d.path), "--svg", "--root", &d.timer.to_string()]);
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(
        svg.contains(&format!(">demo.Tick({})</text>", d.tick)),
        "{svg}"
    );
    assert!(!svg.contains("demo.Leak"), "{svg}");
    assert_eq!(svg.matches("<path ").count(), 2, "{svg}"); // Timer -> Tick, ? -> Timer
}

// S17: counts per type, alive at the end, scope percentiles.
#[test]
fn stats_counts_types_and_scope_times() {
    let d = demo("stats");
    let out = stdout(&["stats", p(&d.path)]);
    assert!(
        out.contains("init 5  before 3  after 3  destroy 4  scopes 3"),
        "{out}"
    );
    let leak: Vec<&str> = out
        .lines()
        .find(|l| l.starts_with("demo.Leak "))
        .expect(&out)
        .split_whitespace()
        .collect();
    assert_eq!(&leak[1..4], ["1", "0", "1"], "created, ended, alive: {out}");
    // Tick's one scope slept 50 ms: it is the busiest type, first in the table.
    let first = out
        .lines()
        .skip_while(|l| !l.starts_with("type"))
        .nth(1)
        .unwrap();
    assert!(
        first.starts_with("demo.Timer") || first.starts_with("demo.Tick"),
        "{out}"
    );
}

// The report holds every section, and the trace's text is escaped.
#[test]
fn report_writes_one_html_page_next_to_the_trace() {
    let d = demo("report");
    let out = cli(&["report", p(&d.path)]);
    assert!(out.status.success());
    let html = std::fs::read_to_string(d.path.with_extension("html")).unwrap();
    for needle in [
        "<section id=\"leaks\"",
        "<section id=\"slow\"",
        "<section id=\"tree\"",
        "<section id=\"timeline\"",
        "<section id=\"stats\"",
        "<svg",
        "demo.Leak",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    assert!(html.contains(&format!("tests/cli.rs:{}:", d.leak_line)));
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "external resource"
    );
    assert!(!html.contains("<script src"));
}

// Trace text is user data: it is escaped in every format.
#[test]
fn hostile_type_names_and_payloads_are_escaped() {
    let path = temp("hostile");
    let trace = Recorder::start(&path).unwrap();
    let evil = "<script>alert(\"x\")</script>&\\";
    let r = AsyncResource::builder(evil)
        .payload(String::from("</td><img src=x onerror=alert(1)>"))
        .build()
        .unwrap();
    r.run_in_async_scope(|| {});
    std::mem::forget(r);
    trace.finish().unwrap();

    stdout(&["report", p(&path)]);
    let html = std::fs::read_to_string(path.with_extension("html")).unwrap();
    assert!(!html.contains("<script>"), "unescaped type in report");
    assert!(!html.contains("<img"), "unescaped payload in report");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;\\"));
    let json = stdout(&["timeline", p(&path)]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["cat"] == evil));
    let dot = stdout(&["graph", p(&path)]);
    assert!(
        dot.contains("<script>alert(\\\"x\\\")</script>&\\\\"),
        "{dot}"
    );
    let svg = stdout(&["graph", p(&path), "--svg"]);
    assert!(!svg.contains("<script>"));
}

fn fails(args: &[&str], message: &str) {
    let out = cli(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(message),
        "{args:?}: expected {message:?} in {err:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

// Bad, truncated, newer-version, empty and missing files: exit status 2 and what is wrong where.
#[test]
fn bad_files_are_refused_with_status_2_and_a_message() {
    let d = demo("bad");
    let good = std::fs::read(&d.path).unwrap();
    let dir = d.path.parent().unwrap();

    let not = dir.join("not.aht");
    std::fs::write(&not, b"hello, world").unwrap();
    fails(
        &["leaks", p(&not)],
        &format!("error: {}: at byte 0: not an async-hooks trace", p(&not)),
    );

    let newer = dir.join("newer.aht");
    let mut bytes = good.clone();
    bytes[8..10].copy_from_slice(&9u16.to_le_bytes());
    std::fs::write(&newer, &bytes).unwrap();
    fails(
        &["stats", p(&newer)],
        "at byte 8: file format version 9 is newer than this reader (1): upgrade async-hooks-cli",
    );

    let cut = dir.join("cut.aht");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    for cmd in [
        "tree", "leaks", "slow", "stats", "timeline", "graph", "report",
    ] {
        fails(
            &[cmd, p(&cut)],
            "the file is truncated: it ends inside a chunk",
        );
    }

    let unfinished = dir.join("unfinished.aht");
    std::fs::write(&unfinished, &good[..good.len() - 29]).unwrap();
    fails(&["leaks", p(&unfinished)], "the trace has no end record");

    let empty = dir.join("empty.aht");
    std::fs::write(&empty, b"").unwrap();
    fails(&["leaks", p(&empty)], "at byte 0: the file is truncated");

    fails(
        &["leaks", p(&dir.join("missing.aht"))],
        "missing.aht: I/O error",
    );

    // Every single-byte corruption of the records: an error or an answer, never a panic or
    // a hang (the reader's own tests fuzz further).
    let flipped = dir.join("flipped.aht");
    for at in (32..good.len()).step_by(7) {
        let mut bytes = good.clone();
        bytes[at] ^= 0xA5;
        std::fs::write(&flipped, &bytes).unwrap();
        let out = cli(&["report", p(&flipped), "-o", "-", "--quiet"]);
        let code = out.status.code();
        assert!(matches!(code, Some(0) | Some(2)), "byte {at}: {code:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}
