#!/usr/bin/env bash
# Builds the connectors and the test components as WebAssembly components
# (wasm32-wasip2) into ${CARGO_TARGET_DIR:-target}/wasm32-wasip2/wasm/.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi
cargo build --profile wasm --target wasm32-wasip2 \
  -p lgsp-connector-dan-cu \
  -p lgsp-connector-doanh-nghiep \
  -p lgsp-connector-bhxh \
  -p lgsp-connector-dat-dai \
  -p lgsp-test-hostile
ls -l "${CARGO_TARGET_DIR:-target}"/wasm32-wasip2/wasm/*.wasm
