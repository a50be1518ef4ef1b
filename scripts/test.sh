#!/usr/bin/env bash
# Runs every test of the workspace, the way CI does.
#
# - `cargo nextest` gives each test its own process: hooks are process-global, so tests that
#   enable hooks must not share a process.
# - nextest does not run doctests; `cargo test --doc` does.
# - The Tokio integration's runtime-hook mode needs `--cfg tokio_unstable`; it is built and
#   tested a second time with that flag, in a target directory of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "cargo-nextest is missing: installing it (cargo install cargo-nextest --locked)" >&2
    cargo install cargo-nextest --locked
fi

profile=()
if [ "${CI:-}" = "true" ]; then
    profile=(--profile ci)
fi

echo "== headless Chromium, for the report's browser test"
bash scripts/install-chromium.sh

echo "== unit, integration and example tests (cargo nextest)"
cargo nextest run --workspace "${profile[@]}"

echo "== doctests"
cargo test --workspace --doc

echo "== Tokio runtime-hook mode (--cfg tokio_unstable)"
RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR=target/tokio-unstable \
    cargo nextest run -p async-hooks-tokio "${profile[@]}"

echo "== loom models of the hook registry (--cfg loom)"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p async-hooks --test loom --release
