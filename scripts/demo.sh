#!/usr/bin/env bash
# The set-up-and-run command: installs the wasm target if needed, builds the
# connectors and the platform, and starts the demo (simulated population
# database + sandboxed connector + platform) on localhost. Extra arguments go
# to `lgsp demo` (see `lgsp demo --help`).
#
# The platform is built with the dev profile by default (about 8 minutes from
# scratch on two cores, and shared with the test command); set
# LGSP_DEMO_PROFILE=release for an optimized build (about 30-45 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${LGSP_DEMO_PROFILE:-dev}"
./scripts/build-wasm.sh
cargo build --profile "$profile" -p lgsp-host
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
args=()
# Where the official GSO commune list is at hand, the synthetic population
# lives in the real 2025 communes; otherwise the demo uses labelled synthetic ones.
official=../shared/data/dvhc/1027_CTK-CSCL.md
if [ -f "$official" ]; then args+=(--communes "$official"); fi
exec "${CARGO_TARGET_DIR:-target}/$dir/lgsp" demo "${args[@]}" "$@"
