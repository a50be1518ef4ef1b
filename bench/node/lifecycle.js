'use strict';
// The floor, `executionAsyncId()`, and the life of an `AsyncResource` (init, before, after,
// destroy) with 0, 1 and 4 no-op hooks enabled. Rust counterparts: `ratios.rs`, the
// `execution_async_id()` and `lifecycle: ...` rows.

const asyncHooks = require('node:async_hooks');
const { AsyncResource, executionAsyncId } = asyncHooks;
const { bench, noopHook } = require('./harness');

function noop() {}

bench('node: empty loop', 20_000_000, (n) => {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += i;
  return acc;
});

bench('node: executionAsyncId()', 10_000_000, (n) => {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += executionAsyncId();
  return acc;
});

// A user's `AsyncResource`: default options (destroy also registered for GC when a destroy
// hook exists), destroyed explicitly, as a Rust resource is at its drop.
function lifecycleDefault(n) {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const r = new AsyncResource('bench');
    r.runInAsyncScope(noop);
    r.emitDestroy();
    acc += r.asyncId();
  }
  return acc;
}

// The cheapest form Node offers: `requireManualDestroy`, so no GC tracking.
function lifecycleManual(n) {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const r = new AsyncResource('bench', { requireManualDestroy: true });
    r.runInAsyncScope(noop);
    r.emitDestroy();
    acc += r.asyncId();
  }
  return acc;
}

for (const count of [0, 1, 4]) {
  const hooks = Array.from({ length: count }, () => noopHook(asyncHooks).enable());
  const label = count === 1 ? '1 hook' : `${count} hooks`;
  bench(`node: lifecycle, ${label}`, 200_000, lifecycleDefault);
  bench(`node: lifecycle, requireManualDestroy, ${label}`, 200_000, lifecycleManual);
  for (const hook of hooks) hook.disable();
}
