#!/usr/bin/env bash
# The benchmark comparison: this project against Node v20, plain Tokio and tracing, in one run.
#
#   bash scripts/bench.sh            # the full run, a few minutes; run it on a quiet machine
#   bash scripts/bench.sh --quick    # a smoke run, seconds: checks that everything runs
#
# Writes target/bench/BENCHMARKS.table.md (the machine, the versions, and the tables) and
# prints it. Two runs of the `ratios` binary (crates/async-hooks-benches/src/bin/ratios.rs):
#
# 1. the normal build: every Rust case, each round followed by one run of every script of
#    bench/node/ (skipped, with a message, when `node` is not on the PATH; set NODE to use
#    another program);
# 2. a `--cfg tokio_unstable` build, in its own target directory: the Tokio cases again, with
#    Tokio's own task hooks and the integration's runtime-hook mode, which exist only there.
#
# The criterion suites are separate: `cargo bench -p async-hooks-benches`.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
case "${1:-}" in
    "") ;;
    --quick) args=(--quick) ;;
    *) echo "usage: bash scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

# The Tokio integration records when this is set: it must not be, while timing.
unset ASYNC_HOOKS_TRACE

out=target/bench
mkdir -p "$out"
unstable_target=target/tokio-unstable

echo "== building (release)" >&2
cargo build --release -p async-hooks-benches --bin ratios
RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR="$unstable_target" \
    cargo build --release -p async-hooks-benches --bin ratios

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
if awk -v l="${load%% *}" 'BEGIN { exit !(l > 1.0) }'; then
    echo "warning: load average is $load: other work will skew the figures" >&2
fi

echo "== run 1: every case, interleaved with Node" >&2
target/release/ratios "${args[@]}" --markdown "$out/ratios.md" >/dev/null
echo "== run 2: Tokio cases, --cfg tokio_unstable build" >&2
"$unstable_target/release/ratios" "${args[@]}" --no-node --filter "tokio " \
    --markdown "$out/ratios-tokio-unstable.md" >/dev/null

version() { # the version of a crate in Cargo.lock
    awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
node_version=$( (${NODE:-node} --version) 2>/dev/null || echo "not found")

{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC')$([ ${#args[@]} -gt 0 ] && echo ' (--quick: a smoke run, not figures to quote)')."
    echo
    echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, load average before the run: $load"
    echo "- $(rustc --version), Node ${node_version}"
    echo "- tokio $(version tokio), tracing $(version tracing), tracing-subscriber $(version tracing-subscriber)"
    echo
    echo "### Main run"
    echo
    cat "$out/ratios.md"
    echo
    echo "### Tokio cases, \`--cfg tokio_unstable\` build"
    echo
    cat "$out/ratios-tokio-unstable.md"
} >"$out/BENCHMARKS.table.md"

cat "$out/BENCHMARKS.table.md"
echo >&2
echo "written to $out/BENCHMARKS.table.md" >&2
