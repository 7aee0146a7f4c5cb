#!/usr/bin/env bash
# The test command: builds the WASM components, then runs every test (unit,
# doc and end-to-end), the lints, and a short bounded fuzz run of the request
# signature parser (scripts/fuzz.sh; run it longer by hand). Used as is by
# .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-wasm.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
./scripts/fuzz.sh "${LGSP_FUZZ_SECONDS:-30}"
