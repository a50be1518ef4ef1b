//! Fatal errors: a corrupted scope stack (S16) and a panic in a hook callback (S19).
//!
//! Each test re-executes this test binary with `ASYNC_HOOKS_FATAL_SCENARIO` naming a scenario
//! and only that test selected (`<name> --exact --nocapture`). In the child, the test runs the
//! scenario, which must kill the process; the parent asserts the exit status and stderr.

use std::os::unix::process::ExitStatusExt;
use std::panic::{self, AssertUnwindSafe};
use std::process::{Command, Output};

use async_hooks::{
    create_hook, hook_eprintln, set_abort_on_error, AsyncResource, FnHook, ABORT_ON_ERROR_ENV,
};

const SCENARIO: &str = "ASYNC_HOOKS_FATAL_SCENARIO";
/// Printed by a child only if it got past the point where it must have died.
const SURVIVED: &str = "MARKER: the child survived the fatal error";
/// The exit status of a child whose scenario returned (it must not).
const RETURNED: i32 = 99;
const SIGABRT: i32 = 6;

/// Runs in the child: enacts `name` and never returns normally.
fn run_scenario(name: &str) -> ! {
    match name {
        // S16: two guards, the outer dropped first. No hook is enabled.
        "guards_out_of_order" => {
            let outer = AsyncResource::new("test.Outer");
            let inner = AsyncResource::new("test.Inner");
            println!("IDS outer={} inner={}", outer.async_id(), inner.async_id());
            let outer_guard = outer.enter();
            let inner_guard = inner.enter();
            drop(outer_guard);
            eprintln!("{SURVIVED}");
            drop(inner_guard);
        }
        // S16: `emit_after` of a resource that is not the innermost open scope, no hook.
        "emit_after_wrong_resource" => {
            let open = AsyncResource::new("test.Open");
            let other = AsyncResource::new("test.Other");
            println!("IDS open={} other={}", open.async_id(), other.async_id());
            open.emit_before();
            let _ = other.emit_after();
            eprintln!("{SURVIVED}");
        }
        // S16 with a hook enabled: the check comes before any `after` is dispatched.
        "emit_after_wrong_resource_with_hook" => {
            create_hook(
                FnHook::new()
                    .on_before(|id| hook_eprintln!("HOOK before {id}"))
                    .on_after(|id| hook_eprintln!("HOOK after {id}")),
            )
            .enable();
            let a = AsyncResource::new("test.A");
            let b = AsyncResource::new("test.B");
            println!("IDS a={} b={}", a.async_id(), b.async_id());
            a.emit_before();
            b.emit_before();
            // `a` is open, but `b` is the innermost scope.
            let _ = a.emit_after();
            eprintln!("{SURVIVED}");
        }
        // S19: a hook panics in each callback; the code around the event tries to catch it.
        "panic_in_init" | "panic_in_before" | "panic_in_after" | "panic_in_destroy" => {
            let which = name.trim_start_matches("panic_in_").to_owned();
            let w = which.clone();
            let fail = move |event: &str| {
                if event == w {
                    panic!("boom in {event}");
                }
            };
            let (fi, fb, fa, fd) = (fail.clone(), fail.clone(), fail.clone(), fail);
            create_hook(
                FnHook::new()
                    .on_init(move |_, _, _, _| fi("init"))
                    .on_before(move |_| fb("before"))
                    .on_after(move |_| fa("after"))
                    .on_destroy(move |_| fd("destroy")),
            )
            .enable();
            // A second hook, after the panicking one: must never hear the failed event.
            create_hook(FnHook::new().on_init(|id, _, _, _| hook_eprintln!("SECOND init {id}")))
                .enable();
            let caught = panic::catch_unwind(AssertUnwindSafe(|| {
                let r = AsyncResource::new("test.Victim");
                r.run_in_async_scope(|| eprintln!("USER CODE RAN"));
                drop(r);
            }));
            eprintln!("{SURVIVED} (caught: {})", caught.is_err());
        }
        // S19: the abort policy set by a call.
        "abort_by_call_on_corruption" => {
            set_abort_on_error(true);
            let a = AsyncResource::new("test.A");
            let b = AsyncResource::new("test.B");
            a.emit_before();
            let _ = b.emit_after();
            eprintln!("{SURVIVED}");
        }
        "abort_by_call_on_hook_panic" => {
            set_abort_on_error(true);
            create_hook(FnHook::new().on_init(|_, _, _, _| panic!("boom under abort"))).enable();
            let _ = panic::catch_unwind(|| AsyncResource::new("test.Victim"));
            eprintln!("{SURVIVED}");
        }
        // The call overrides the environment variable, both ways.
        "exit_by_call_despite_env" => {
            set_abort_on_error(false);
            let a = AsyncResource::new("test.A");
            let b = AsyncResource::new("test.B");
            a.emit_before();
            let _ = b.emit_after();
            eprintln!("{SURVIVED}");
        }
        other => eprintln!("unknown scenario {other:?}"),
    }
    std::process::exit(RETURNED)
}

/// Runs `test_name` in a child process, enacting `scenario`, with `abort_env` as the value of
/// `ASYNC_HOOKS_ABORT_ON_ERROR` (unset if `None`).
fn run_child(test_name: &str, scenario: &str, abort_env: Option<&str>) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(SCENARIO, scenario)
        // The backtrace is written either way; skip symbolising it to keep the test fast.
        .env("RUST_BACKTRACE", "0");
    match abort_env {
        Some(v) => cmd.env(ABORT_ON_ERROR_ENV, v),
        None => cmd.env_remove(ABORT_ON_ERROR_ENV),
    };
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the child exited with status 1, printed `needle` to stderr, and did not survive.
fn assert_exit_1(out: &Output, needle: &str) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(1),
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains(needle),
        "expected {needle:?} in stderr:\n{stderr}"
    );
    assert!(!stderr.contains(SURVIVED), "the child survived:\n{stderr}");
}

/// Asserts the child was killed by `SIGABRT`, printed `needle` to stderr, and did not survive.
fn assert_aborted(out: &Output, needle: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(SIGABRT),
        "status {:?}\nstderr:\n{stderr}",
        out.status
    );
    assert_eq!(out.status.code(), None);
    assert!(
        stderr.contains(needle),
        "expected {needle:?} in stderr:\n{stderr}"
    );
    assert!(!stderr.contains(SURVIVED), "the child survived:\n{stderr}");
}

/// The value of `key=` on the child's `IDS` line.
fn id_of(out: &Output, key: &str) -> u64 {
    let stdout = text(&out.stdout);
    // libtest may have printed `test <name> ... ` on the same line first.
    let line = stdout
        .lines()
        .find_map(|l| l.find("IDS ").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("no IDS line in stdout:\n{stdout}"));
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
        .parse()
        .unwrap()
}

fn corrupted(actual: u64, expected: u64) -> String {
    format!("async hook stack has become corrupted (actual: {actual}, expected: {expected})")
}

/// At the top of every test: in the child, enact the scenario instead.
fn child_entry() {
    if let Ok(s) = std::env::var(SCENARIO) {
        run_scenario(&s)
    }
}

#[test]
fn guards_dropped_out_of_order_are_fatal() {
    // S16: the check holds with no hook enabled.
    child_entry();
    let out = run_child(
        "guards_dropped_out_of_order_are_fatal",
        "guards_out_of_order",
        None,
    );
    let (outer, inner) = (id_of(&out, "outer"), id_of(&out, "inner"));
    assert_eq!((outer, inner), (2, 3), "S1: a fresh process starts at 2");
    // The innermost open scope is `inner`; the guard of `outer` asked to close.
    assert_exit_1(&out, &corrupted(inner, outer));
    assert!(text(&out.stderr).contains("backtrace"));
}

#[test]
fn emit_after_of_the_wrong_resource_is_fatal() {
    // S16, S26: a mismatched pair, no hook enabled.
    child_entry();
    let out = run_child(
        "emit_after_of_the_wrong_resource_is_fatal",
        "emit_after_wrong_resource",
        None,
    );
    let (open, other) = (id_of(&out, "open"), id_of(&out, "other"));
    assert_exit_1(&out, &corrupted(open, other));
}

#[test]
fn emit_after_of_an_outer_scope_is_fatal_with_a_hook_enabled() {
    // S16
    child_entry();
    let out = run_child(
        "emit_after_of_an_outer_scope_is_fatal_with_a_hook_enabled",
        "emit_after_wrong_resource_with_hook",
        None,
    );
    let (a, b) = (id_of(&out, "a"), id_of(&out, "b"));
    assert_exit_1(&out, &corrupted(b, a));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("HOOK before {a}\nHOOK before {b}\n")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("HOOK after"),
        "no after for a rejected close:\n{stderr}"
    );
}

/// S19 for one callback: status 1, the panic message on stderr, nothing caught it, and nothing
/// ran after the failed event.
fn hook_panic_is_fatal(test_name: &str, event: &str) -> String {
    let out = run_child(test_name, &format!("panic_in_{event}"), None);
    let message = format!("boom in {event}");
    assert_exit_1(&out, &message);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("async hook callback panicked: {message}")),
        "{stderr}"
    );
    assert!(stderr.contains("backtrace"), "{stderr}");
    stderr
}

#[test]
fn panic_in_init_is_fatal() {
    // S19
    child_entry();
    let stderr = hook_panic_is_fatal("panic_in_init_is_fatal", "init");
    assert!(
        !stderr.contains("SECOND init"),
        "later hooks never run:\n{stderr}"
    );
    assert!(!stderr.contains("USER CODE RAN"), "{stderr}");
}

#[test]
fn panic_in_before_is_fatal() {
    // S19
    child_entry();
    let stderr = hook_panic_is_fatal("panic_in_before_is_fatal", "before");
    assert!(stderr.contains("SECOND init"), "{stderr}");
    assert!(
        !stderr.contains("USER CODE RAN"),
        "the scope's code never runs:\n{stderr}"
    );
}

#[test]
fn panic_in_after_is_fatal() {
    // S19
    child_entry();
    let stderr = hook_panic_is_fatal("panic_in_after_is_fatal", "after");
    assert!(stderr.contains("USER CODE RAN"), "{stderr}");
}

#[test]
fn panic_in_destroy_is_fatal() {
    // S19
    child_entry();
    let stderr = hook_panic_is_fatal("panic_in_destroy_is_fatal", "destroy");
    assert!(stderr.contains("USER CODE RAN"), "{stderr}");
}

#[test]
fn abort_policy_from_the_environment() {
    // S16, S19: `ASYNC_HOOKS_ABORT_ON_ERROR=1` aborts instead of exiting.
    child_entry();
    let out = run_child(
        "abort_policy_from_the_environment",
        "guards_out_of_order",
        Some("1"),
    );
    let (outer, inner) = (id_of(&out, "outer"), id_of(&out, "inner"));
    assert_aborted(&out, &corrupted(inner, outer));

    let out = run_child(
        "abort_policy_from_the_environment",
        "panic_in_before",
        Some("1"),
    );
    assert_aborted(&out, "async hook callback panicked: boom in before");
}

#[test]
fn abort_policy_from_set_abort_on_error() {
    // S16, S19
    child_entry();
    let out = run_child(
        "abort_policy_from_set_abort_on_error",
        "abort_by_call_on_corruption",
        None,
    );
    assert_aborted(&out, &corrupted(2, 3));

    let out = run_child(
        "abort_policy_from_set_abort_on_error",
        "abort_by_call_on_hook_panic",
        None,
    );
    assert_aborted(&out, "async hook callback panicked: boom under abort");
}

#[test]
fn set_abort_on_error_false_overrides_the_environment() {
    // S19
    child_entry();
    let out = run_child(
        "set_abort_on_error_false_overrides_the_environment",
        "exit_by_call_despite_env",
        Some("1"),
    );
    assert_exit_1(&out, &corrupted(2, 3));
}
