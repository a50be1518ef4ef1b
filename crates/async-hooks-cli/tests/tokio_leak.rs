//! A Tokio program that leaks a task, recorded and analysed: `async-hooks leaks` names the
//! task and the line that spawned it, and `async-hooks report` shows what the program did.
//! Run with `cargo nextest` (the recorder is process-global).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use async_hooks_tokio::{spawn, time};
use async_hooks_trace::Recorder;

/// Records a small Tokio program: workers that sleep and spawn, one task that never ends.
/// Returns the line of the leaked spawn.
pub fn record_tokio_program(path: &Path) -> u32 {
    let trace = Recorder::start(path).unwrap();
    // One thread: the recorder writes the buffers of threads that exit or that `finish` runs
    // on; a multi-threaded runtime still alive at `finish` would hold its workers' last events
    // (counted as lost).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let leak_line = rt.block_on(async {
        let mut jobs = Vec::new();
        for i in 0..4u64 {
            jobs.push(spawn(async move {
                time::sleep(Duration::from_millis(2 + i)).await;
                let child = spawn(async move {
                    time::sleep(Duration::from_millis(1)).await;
                    if i == 3 {
                        // Blocks its worker: a slow poll.
                        std::thread::sleep(Duration::from_millis(30));
                    }
                });
                child.await.unwrap();
            }));
        }
        let leak_line = line!() + 1;
        let _forgotten = spawn(std::future::pending::<()>());
        for job in jobs {
            job.await.unwrap();
        }
        leak_line
    });
    // The recording ends while the runtime still holds the pending task: it was never
    // destroyed in the program's life as recorded.
    trace.finish().unwrap();
    drop(rt);
    leak_line
}

// S17, S29: a task that never finishes is found by `leaks`, with the line that spawned it.
#[test]
fn leaked_tokio_task_is_found_with_its_spawn_site() {
    let dir = std::env::temp_dir().join(format!("ahc-tokio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.trace");
    let line = record_tokio_program(&path);

    let out = Command::new(env!("CARGO_BIN_EXE_async-hooks"))
        .args(["leaks", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.contains(" TASK ") && l.contains(&format!("tests/tokio_leak.rs:{line}:")))
        .unwrap_or_else(|| panic!("no leaked TASK at line {line}:\n{text}"));
    assert!(row.trim_start().starts_with("1 "), "one task leaked: {row}");

    // The slow poll (30 ms) is found as well.
    let out = Command::new(env!("CARGO_BIN_EXE_async-hooks"))
        .args(["slow", path.to_str().unwrap(), "-t", "20ms"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("TASK(") && l.contains("tokio_leak.rs:")),
        "{text}"
    );
}
