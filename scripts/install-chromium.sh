#!/usr/bin/env bash
# Installs headless Chromium (Debian's `chromium` package) for the browser test of
# async-hooks-cli (crates/async-hooks-cli/tests/browser.rs), which renders `async-hooks report`
# and checks what a person would see.
#
# Idempotent: does nothing when `chromium` or `chromium-browser` is already on PATH. Runs as
# root, or through sudo when it is available.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    echo "chromium is installed: $(command -v chromium || command -v chromium-browser)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: chromium is missing and apt-get is not available: install Chromium by hand" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "error: installing chromium needs root (or sudo)" >&2
        exit 1
    fi
fi

echo "installing chromium (apt-get install chromium)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends chromium fonts-dejavu-core
command -v chromium
