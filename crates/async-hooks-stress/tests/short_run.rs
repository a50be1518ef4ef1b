//! The short stress run for CI: two seconds, two threads, no violation (SPEC S1, S4, S5, S13,
//! S15–S18, S31).
//!
//! Hooks are process-global: this file holds one test, run in its own process.

use std::time::Duration;

use async_hooks_stress::{run, Config};

#[test]
fn two_seconds_two_threads_no_violation() {
    // S1 S4 S5 S13 S15 S16 S17 S18 S31
    let report = run(&Config {
        duration: Duration::from_secs(2),
        threads: 2,
        seed: 1,
    })
    .expect("the stress run starts");
    println!("{report}");
    assert_eq!(report.violations, 0, "{report}");
    assert!(report.passed());
    // Non-trivial: each workload and the controller really ran.
    assert!(report.events > 100_000, "{report}");
    assert!(report.resources > 10_000, "{report}");
    assert_eq!(report.resources, report.destroyed, "{report}");
    assert!(
        report.checked > report.events,
        "toggled hooks checked nothing: {report}"
    );
    assert!(report.tasks > 100, "{report}");
    assert!(report.connections > 0, "{report}");
    assert!(report.toggles > 100, "{report}");
}
