//! The controller: enables and disables the toggled hooks at random while the workloads run
//! (SPEC S8, S13).

use std::thread;
use std::time::{Duration, Instant};

use async_hooks::AsyncHook;

use crate::check::Checker;
use crate::rng::Rng;

/// Toggles `hooks` until `deadline`, then disables them all; returns how many toggles it made.
pub(crate) fn run(checker: &Checker, hooks: &[AsyncHook], seed: u64, deadline: Instant) -> u64 {
    let mut rng = Rng::new(seed);
    let mut enabled = vec![false; hooks.len()];
    let mut toggles = 0;
    while Instant::now() < deadline {
        let k = rng.below(hooks.len() as u64) as usize;
        toggle(checker, hooks, &mut enabled, k);
        toggles += 1;
        match rng.below(4) {
            0 => {}
            1 => thread::yield_now(),
            _ => thread::sleep(Duration::from_micros(rng.below(200))),
        }
    }
    for k in 0..hooks.len() {
        if enabled[k] {
            toggle(checker, hooks, &mut enabled, k);
        }
    }
    toggles
}

fn toggle(checker: &Checker, hooks: &[AsyncHook], enabled: &mut [bool], k: usize) {
    if enabled[k] {
        hooks[k].disable();
        checker.disabled(k);
    } else {
        checker.enabling(k);
        hooks[k].enable();
    }
    enabled[k] = !enabled[k];
    // S8: only the controller changes these hooks, so the registry agrees with it.
    if hooks[k].is_enabled() != enabled[k] {
        let want = enabled[k];
        checker.violation(|| format!("S8: toggled hook {k} is_enabled() is {}, not {want}", !want));
    }
}
