'use strict';
// An await chain: one async function awaiting `n` times, with no hook and with one no-op hook.
// With a hook, each `await` is a promise resource (init, before, after, promiseResolve, and a
// destroy at GC). Rust counterpart: `ratios.rs`, the `await chain: ...` rows.

const asyncHooks = require('node:async_hooks');
const { benchAsync, noopHook } = require('./harness');

async function chain(n) {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += await i;
  return acc;
}

(async () => {
  await benchAsync('node: await chain, no hook', 1_000_000, chain);
  const hook = noopHook(asyncHooks).enable();
  await benchAsync('node: await chain, 1 hook', 100_000, chain);
  hook.disable();
})();
