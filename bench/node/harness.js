'use strict';
// The timing harness shared by the Node side of the comparison (`scripts/bench.sh`).
//
//   node bench/node/<script>.js [SCALE] [ROUNDS]
//
// Each case runs its loop once to warm up (so that the JIT has optimised it), then ROUNDS timed
// rounds of SCALE x its base iteration count, and prints one JSON line:
//   {"name":"node: ...","ns":[ns per operation, one per round]}
// The Rust runner (`ratios`) starts the script once per round, between its own rounds, and
// takes each process's median as that round's sample.
//
// Every case passes its own loop as a function, so each loop is a separate function the JIT
// optimises for one call site, and folds its results into a value it returns, so the work
// cannot be optimised away. (A shared loop calling `fn()` would be megamorphic and add a call
// to every operation.)

const scale = Number(process.argv[2] ?? '1');
const rounds = Math.max(1, Number(process.argv[3] ?? '3'));
if (!(scale > 0)) {
  throw new Error(`SCALE must be a positive number, not ${process.argv[2]}`);
}

let sink = 0;

function iterations(base) {
  return Math.max(1, Math.round(base * scale));
}

// A quarter of a round, and at least 20 000 iterations: enough for V8 to optimise the loop
// (on-stack replacement) and the functions it calls before anything is timed.
function warmUp(iters) {
  return Math.max(20_000, iters >> 2);
}

function report(name, ns) {
  process.stdout.write(JSON.stringify({ name, ns }) + '\n');
}

// `loop(iters)` runs the operation `iters` times and returns something derived from the
// results.
function bench(name, base, loop) {
  const iters = iterations(base);
  sink ^= Number(loop(warmUp(iters))) | 0;
  const ns = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    sink ^= Number(loop(iters)) | 0;
    ns.push(Number(process.hrtime.bigint() - start) / iters);
  }
  report(name, ns);
}

// The same for a loop that returns a promise: the time runs until it settles.
async function benchAsync(name, base, loop) {
  const iters = iterations(base);
  sink ^= Number(await loop(warmUp(iters))) | 0;
  const ns = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    sink ^= Number(await loop(iters)) | 0;
    ns.push(Number(process.hrtime.bigint() - start) / iters);
  }
  report(name, ns);
}

// A hook that listens to every event and does nothing, as the Rust side's `NoopHook`.
function noopHook(asyncHooks) {
  return asyncHooks.createHook({
    init() {},
    before() {},
    after() {},
    destroy() {},
    promiseResolve() {},
  });
}

process.on('exit', () => {
  if (sink === 0.5) console.error('unreachable'); // keeps `sink` observable
});

module.exports = { bench, benchAsync, noopHook };
