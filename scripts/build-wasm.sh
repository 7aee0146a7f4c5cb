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
# The publishing tests need three versions of one test connector: the same
# crate built with different features, each copied under its version.
out="${CARGO_TARGET_DIR:-target}/wasm32-wasip2/wasm"
for version in 1.0.0:"" 1.1.0:v1_1 2.0.0:v2; do
  features="${version#*:}"
  cargo build --profile wasm --target wasm32-wasip2 -p lgsp-test-evolving \
    ${features:+--features "$features"}
  cp "$out/lgsp_test_evolving.wasm" "$out/lgsp_test_evolving-${version%%:*}.wasm"
done
ls -l "${CARGO_TARGET_DIR:-target}"/wasm32-wasip2/wasm/*.wasm
