#!/usr/bin/env bash
# The set-up-and-run command: installs the wasm target if needed, builds the
# connectors and the platform, and starts the demo (simulated population
# database + sandboxed connector + platform) on localhost. Extra arguments go
# to `lgsp demo` (see `lgsp demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-wasm.sh
cargo build --release -p lgsp-host
args=()
# Where the official GSO commune list is at hand, the synthetic population
# lives in the real 2025 communes; otherwise the demo uses labelled synthetic ones.
official=../shared/data/dvhc/1027_CTK-CSCL.md
if [ -f "$official" ]; then args+=(--communes "$official"); fi
exec "${CARGO_TARGET_DIR:-target}/release/lgsp" demo "${args[@]}" "$@"
