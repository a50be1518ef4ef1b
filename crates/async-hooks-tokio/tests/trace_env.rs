//! `ASYNC_HOOKS_TRACE=path` records a Tokio program with no code change, and the file is
//! finished when the process exits. The test runs itself as a child with the variable set.

use std::collections::BTreeMap;
use std::process::Command;

use async_hooks_trace::{EventKind, TraceReader, TRACE_ENV};

const CHILD: &str = "ASYNC_HOOKS_TOKIO_TRACE_CHILD";

/// In the child: a runtime with tasks and a timer, then a normal exit.
fn child_program() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let parent = async_hooks_tokio::spawn(async {
            async_hooks_tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            async_hooks_tokio::spawn(async { 7 }).await.unwrap()
        });
        assert_eq!(parent.await.unwrap(), 7);
    });
    drop(rt);
}

#[test]
fn the_environment_variable_records_the_whole_program_until_exit() {
    if std::env::var_os(CHILD).is_some() {
        child_program();
        return; // libtest returns from `main`: the `atexit` handler finishes the file
    }
    let dir = std::env::temp_dir().join(format!("ah-tokio-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.trace");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "the_environment_variable_records_the_whole_program_until_exit",
            "--exact",
        ])
        .env(CHILD, "1")
        .env(TRACE_ENV, &path)
        .status()
        .unwrap();
    assert!(status.success(), "the child failed: {status}");

    let mut reader = TraceReader::open(&path).expect("the child wrote a trace");
    let mut inits = BTreeMap::new();
    let mut destroys = 0;
    for event in reader.by_ref() {
        let event = event.expect("the trace reads back whole");
        match event.kind {
            EventKind::Init => {
                *inits
                    .entry(event.resource_type.as_deref().unwrap_or("").to_owned())
                    .or_insert(0) += 1
            }
            EventKind::Destroy => destroys += 1,
            _ => {}
        }
    }
    // S14, S17: two tasks and a timer, each created and destroyed, all in the file.
    assert_eq!(inits.get("TASK"), Some(&2), "{inits:?}");
    assert_eq!(inits.get("Timeout"), Some(&1), "{inits:?}");
    assert_eq!(destroys, 3);
    let end = reader
        .end()
        .expect("the file was finished at exit: it has its end record");
    assert_eq!(end.lost, 0);
    std::fs::remove_dir_all(&dir).ok();
}
