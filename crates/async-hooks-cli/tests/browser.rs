//! `async-hooks report` in a real browser: headless Chromium renders the page, and the test
//! checks what a person sees (the rendered DOM, and a screenshot that is not blank).
//!
//! Needs `chromium` (or `chromium-browser`) on PATH: `scripts/install-chromium.sh` installs
//! it. Without it the test fails under CI (`CI=true`) and is skipped elsewhere. Run with
//! `cargo nextest` (the recorder is process-global).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use async_hooks::AsyncResource;
use async_hooks_tokio::{spawn, time};
use async_hooks_trace::Recorder;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Runs Chromium headless on `url` with `extra` flags, killed after two minutes.
fn headless(bin: &Path, profile: &Path, extra: &[String], url: &str) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().expect("cannot start chromium");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let start = Instant::now();
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out.expect("chromium failed"),
        Err(_) => {
            // Our own child, by its pid.
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("chromium did not finish in {:?}", start.elapsed());
        }
    }
}

/// A Tokio program on two workers: requests that sleep and spawn, one slow poll, and a
/// connection object that is never closed. Returns the leaked object's line.
fn record(path: &Path) -> u32 {
    let trace = Recorder::start(path).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("worker")
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut requests = Vec::new();
        for i in 0..6u64 {
            requests.push(spawn(async move {
                time::sleep(Duration::from_millis(3 * i)).await;
                let query = spawn(async move {
                    time::sleep(Duration::from_millis(4)).await;
                    if i == 4 {
                        std::thread::sleep(Duration::from_millis(25)); // blocks a worker
                    }
                });
                query.await.unwrap();
            }));
        }
        let connection = AsyncResource::builder("demo.Connection")
            .payload(String::from("10.0.0.7:5432 <db>"))
            .build(); // the leaked connection
        std::mem::forget(connection.unwrap());
        for r in requests {
            r.await.unwrap();
        }
    });
    // Workers exit (and write their events) when the runtime shuts down.
    drop(rt);
    trace.finish().unwrap();
    // The creation site is the line of `build()` (`#[track_caller]`).
    let at = include_str!("browser.rs")
        .lines()
        .position(|l| l.ends_with("// the leaked connection"))
        .unwrap();
    at as u32 + 1
}

// What a person sees: the leak's row with its creation site, the tree, the timeline.
#[test]
fn report_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("chromium is not installed: run scripts/install-chromium.sh (CI=true)");
        }
        eprintln!("skipped: chromium is not installed (run scripts/install-chromium.sh)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("ahc-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("run.trace");
    let line = record(&trace);
    let html = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_async-hooks"))
        .args([
            "report",
            trace.to_str().unwrap(),
            "-o",
            html.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", html.display());

    let dom = headless(
        &bin,
        &dir.join("profile-dom"),
        &["--dump-dom".to_string()],
        &url,
    );
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    assert!(
        dom.contains("<section id=\"leaks\""),
        "no leaks section in the DOM: {dom:.2000}"
    );
    let leak_row = dom
        .split("<tr class=\"leak\">")
        .skip(1)
        .find(|row| row.contains("demo.Connection"))
        .unwrap_or_else(|| panic!("no leak row for demo.Connection: {dom:.4000}"));
    assert!(
        leak_row.contains(&format!("tests/browser.rs:{line}:")),
        "the leak row lacks its creation site: {leak_row:.1500}"
    );
    assert!(
        leak_row.contains("10.0.0.7:5432 &lt;db&gt;"),
        "payload: {leak_row:.1500}"
    );
    // The tree: the requests (TASK) under the root, each with its query task below.
    let tree = dom.split("<section id=\"tree\"").nth(1).unwrap();
    assert!(tree.contains("root(1)") && tree.matches("class=\"type\"").count() >= 12);
    // The timeline: an SVG with a rectangle per scope, on the worker threads.
    let timeline = dom.split("<section id=\"timeline\"").nth(1).unwrap();
    assert!(timeline.contains("<svg"), "no SVG timeline");
    assert!(timeline.matches("class=\"scope\"").count() >= 12);
    assert!(timeline.contains("worker"), "no worker row");
    // The slow poll.
    let slow = dom.split("<section id=\"slow\"").nth(1).unwrap();
    assert!(slow.contains("TASK"), "slow scope missing");

    let png = dir.join("report.png");
    let shot = headless(
        &bin,
        &dir.join("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".to_string(),
        ],
        &url,
    );
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // A blank 1280×2000 page compresses to a few KB; text, tables and the timeline do not.
    assert!(
        bytes.len() > 60_000,
        "screenshot looks empty: {} bytes",
        bytes.len()
    );
    eprintln!("screenshot: {}", png.display());
}
