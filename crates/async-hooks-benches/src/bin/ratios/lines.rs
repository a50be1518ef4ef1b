//! The table's lines: each case's row, in sections, then the ratios and their goals.

use async_hooks_benches::table::{Goal, Line};
use async_hooks_benches::tasks::Flavor;
use async_hooks_benches::Hooks;

use crate::names::*;

/// The table, in order: sections of cases, then the ratios.
pub(crate) fn lines() -> Vec<Line> {
    let op = |case: &str| Line::op(case, Goal::None);
    let mut lines = vec![
        Line::section("Floor and ids (ns per call)"),
        op(FLOOR_EMPTY),
        op(N_EMPTY),
        op(FLOOR_TLS),
        op(EXEC_ID),
        op(N_EXEC_ID),
        op(TRIGGER_ID),
        Line::section("AsyncResource lifecycle: init, before, after, destroy (ns per resource)"),
        Line::op(lifecycle(Hooks::None), Goal::AtMostNs(25.0)),
        op(&lifecycle(Hooks::Disabled)),
        Line::op(lifecycle(Hooks::One), Goal::AtMostNs(60.0)),
        op(&lifecycle(Hooks::Four)),
        Line::op(lifecycle(Hooks::Eight), Goal::AtMostNs(200.0)),
    ];
    for manual in [false, true] {
        for hooks in [0, 1, 4] {
            lines.push(op(&node_lifecycle(hooks, manual)));
        }
    }
    lines.extend([
        op("lifecycle, guard form, no_hook"),
        op("lifecycle, emit_before/emit_after, no_hook"),
        op("create + drop, no_hook"),
        op("scope only: run_in_async_scope, no_hook"),
        Line::section("Async-local storage (ns per call)"),
        op(GET),
        op(WITH),
        op(N_GET),
        op(RUN),
        op(N_RUN),
    ]);
    for n in [0, 1, 10, 100] {
        lines.push(op(&create_with_stores(n)));
        lines.push(op(&node_create_with_stores(n)));
    }
    lines.extend([
        Line::section("Await chain (ns per await)"),
        op(&await_chain_case(Hooks::None)),
        op(&await_chain_case(Hooks::One)),
        op(&node_await(false)),
        op(&node_await(true)),
        Line::section("Recorder (ns per resource, 4 events)"),
        op(RECORDED),
    ]);
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
        lines.push(Line::section(match flavor {
            Flavor::CurrentThread => "Tokio, current-thread runtime (ns per spawn + await)",
            Flavor::MultiThread => "Tokio, multi-thread runtime, 2 workers (ns per spawn + await)",
        }));
        for task in [
            Task::Plain,
            Task::Integration(Hooks::None),
            Task::Integration(Hooks::One),
            Task::IntegrationStore,
            Task::Instrument,
            Task::InstrumentRegistry,
        ] {
            lines.push(op(&task_case(flavor, task)));
        }
        lines.push(op(&tokio_hooks_case(flavor)));
        lines.push(op(&hook_mode_case(flavor, Hooks::None)));
        lines.push(op(&hook_mode_case(flavor, Hooks::One)));
    }
    lines.extend(ratio_lines());
    lines
}

pub(crate) fn ratio_lines() -> Vec<Line> {
    let ratio = |label: &str, num: &str, den: &str, goal| Line::ratio(label, num, den, goal);
    let mut lines = vec![
        Line::section("Goals (ratios of medians; min column: ratio of minimums)"),
        ratio(
            "Node lifecycle, 1 hook, requireManualDestroy / ours, 1 hook",
            &node_lifecycle(1, true),
            &lifecycle(Hooks::One),
            Goal::AtLeast(10.0),
        ),
        ratio(
            "Node lifecycle, 1 hook (default options) / ours, 1 hook",
            &node_lifecycle(1, false),
            &lifecycle(Hooks::One),
            Goal::AtLeast(10.0),
        ),
        ratio(
            "execution_async_id / thread-local read",
            EXEC_ID,
            FLOOR_TLS,
            Goal::AtMost(2.0),
        ),
        ratio(
            "Node getStore() / ours get()",
            N_GET,
            GET,
            Goal::AtLeast(10.0),
        ),
    ];
    let plain = |f| task_case(f, Task::Plain);
    for (f, rt) in [
        (Flavor::CurrentThread, "current-thread"),
        (Flavor::MultiThread, "multi-thread"),
    ] {
        lines.extend([
            ratio(
                &format!("Tokio integration, no hook / plain Tokio ({rt})"),
                &task_case(f, Task::Integration(Hooks::None)),
                &plain(f),
                Goal::AtMost(1.05),
            ),
            ratio(
                &format!("Tokio integration, 1 no-op hook / plain Tokio ({rt})"),
                &task_case(f, Task::Integration(Hooks::One)),
                &plain(f),
                Goal::AtMost(1.15),
            ),
            ratio(
                &format!("Tokio integration, a store set / plain Tokio ({rt})"),
                &task_case(f, Task::IntegrationStore),
                &plain(f),
                Goal::AtMost(1.10),
            ),
        ]);
    }
    lines.extend([
        Line::section("For scale"),
        ratio(
            "lifecycle, disabled hook / no hook (S12: ~1)",
            &lifecycle(Hooks::Disabled),
            &lifecycle(Hooks::None),
            Goal::None,
        ),
        ratio(
            "lifecycle, 1 hook / no hook",
            &lifecycle(Hooks::One),
            &lifecycle(Hooks::None),
            Goal::None,
        ),
        ratio(
            "lifecycle, 8 hooks / 1 hook",
            &lifecycle(Hooks::Eight),
            &lifecycle(Hooks::One),
            Goal::None,
        ),
        ratio(
            "Node lifecycle, 0 hooks / ours, no hook",
            &node_lifecycle(0, true),
            &lifecycle(Hooks::None),
            Goal::None,
        ),
        ratio(
            "Node lifecycle, 4 hooks / ours, 4 hooks",
            &node_lifecycle(4, true),
            &lifecycle(Hooks::Four),
            Goal::None,
        ),
        ratio(
            "Node executionAsyncId() / ours",
            N_EXEC_ID,
            EXEC_ID,
            Goal::None,
        ),
        ratio("Node ALS run() / ours", N_RUN, RUN, Goal::None),
        ratio(
            "create, 100 stores / 1 store (S33: ~1)",
            &create_with_stores(100),
            &create_with_stores(1),
            Goal::None,
        ),
        ratio(
            "Node create, 100 stores / ours, 100 stores",
            &node_create_with_stores(100),
            &create_with_stores(100),
            Goal::None,
        ),
        ratio(
            "await chain, 1 hook / no hook: Node",
            &node_await(true),
            &node_await(false),
            Goal::None,
        ),
        ratio(
            "await chain, 1 hook / no hook: ours",
            &await_chain_case(Hooks::One),
            &await_chain_case(Hooks::None),
            Goal::None,
        ),
        ratio(
            "await chain, 1 hook: Node / ours",
            &node_await(true),
            &await_chain_case(Hooks::One),
            Goal::None,
        ),
        Line::per_event(
            "recorder, cost per event (ns)",
            RECORDED,
            lifecycle(Hooks::None),
            4.0,
        ),
    ]);
    for (f, rt) in [
        (Flavor::CurrentThread, "current-thread"),
        (Flavor::MultiThread, "multi-thread"),
    ] {
        lines.extend([
            ratio(
                &format!("tracing .instrument(), no subscriber / plain Tokio ({rt})"),
                &task_case(f, Task::Instrument),
                &plain(f),
                Goal::None,
            ),
            ratio(
                &format!("tracing .instrument(), registry / plain Tokio ({rt})"),
                &task_case(f, Task::InstrumentRegistry),
                &plain(f),
                Goal::None,
            ),
            ratio(
                &format!("Tokio's task hooks (no-op) / plain Tokio ({rt})"),
                &tokio_hooks_case(f),
                &plain(f),
                Goal::None,
            ),
            ratio(
                &format!("runtime-hook mode, no hook / plain Tokio ({rt})"),
                &hook_mode_case(f, Hooks::None),
                &plain(f),
                Goal::None,
            ),
            ratio(
                &format!("runtime-hook mode, 1 no-op hook / plain Tokio ({rt})"),
                &hook_mode_case(f, Hooks::One),
                &plain(f),
                Goal::None,
            ),
        ]);
    }
    lines
}
