'use strict';
// `AsyncLocalStorage`: `getStore()` inside `run()`, `run()` itself, and the creation of a
// resource with 0, 1, 10 and 100 stores in use. Rust counterparts: `ratios.rs`, the `ALS ...`
// and `create + drop, N stores in use` rows.
//
// Node 20's stores live on the resources: each enabled store adds work to every `init`. A
// store stays enabled until `disable()`, so every case disables its stores when it is done.

const { AsyncLocalStorage, AsyncResource } = require('node:async_hooks');
const { bench } = require('./harness');

function noop() {}

{
  const als = new AsyncLocalStorage();
  als.run(7, () => {
    bench('node: ALS getStore() inside run()', 5_000_000, (n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += als.getStore();
      return acc;
    });
  });
  bench('node: ALS run(v, trivial fn)', 1_000_000, (n) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += als.run(i, noop) === undefined ? 1 : 0;
    return acc;
  });
  als.disable();
}

// Runs `f` with every store of `stores` set, one `run` nested in the next.
function withStores(stores, f, i = 0) {
  return i === stores.length ? f() : stores[i].run(i, () => withStores(stores, f, i + 1));
}

for (const count of [0, 1, 10, 100]) {
  const stores = Array.from({ length: count }, () => new AsyncLocalStorage());
  const label = count === 1 ? '1 store' : `${count} stores`;
  withStores(stores, () => {
    bench(`node: create + emitDestroy, ${label} in use`, 400_000 / Math.max(1, count / 4), (n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const r = new AsyncResource('bench', { requireManualDestroy: true });
        r.emitDestroy();
        acc += r.asyncId();
      }
      return acc;
    });
  });
  for (const store of stores) store.disable();
}
