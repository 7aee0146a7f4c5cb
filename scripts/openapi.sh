#!/usr/bin/env bash
# Regenerates docs/openapi.json from the running code's annotations.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet -p lgsp-host --bin lgsp -- openapi > docs/openapi.json
echo "wrote docs/openapi.json"
