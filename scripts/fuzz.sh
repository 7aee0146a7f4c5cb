#!/usr/bin/env bash
# Fuzzes lgsp-auth (fuzz/fuzz_targets/authorization.rs: Authorization parser, canonical form,
# tokens, dates, nonces, upstream signature) for SECONDS (default 30). Exits non-zero and
# leaves the input in fuzz/artifacts/authorization/ when something panics.
#
# Usage: scripts/fuzz.sh [SECONDS]
#
# Toolchain: this runs on stable. cargo-fuzz's default sanitizer (AddressSanitizer) is turned
# on with `-Zsanitizer=address`, a nightly-only flag; with `--sanitizer none` every flag
# cargo-fuzz passes (-Cpasses=sancov-module, -Cllvm-args=-sanitizer-coverage-*, --cfg fuzzing,
# -Cdebug-assertions) is a stable rustc option, so libFuzzer still gets full coverage feedback.
# Little is lost: lgsp-auth forbids unsafe code, so the bugs to find are panics (indexing,
# slicing, arithmetic overflow with debug assertions on, failed round-trip asserts), and
# libFuzzer reports those as crashes without ASan. RUSTC_BOOTSTRAP=1 would unlock ASan on
# stable by making rustc act as nightly; we do not rely on that.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# A target dir of its own: the fuzz flags would otherwise invalidate the main build's cache.
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/lgsp-target}/fuzz"
# libFuzzer writes new inputs to the first corpus directory; keep them out of the committed
# seeds (fuzz/corpus/authorization), which are read as a second corpus.
work_corpus="$target_dir/corpus/authorization"
mkdir -p "$work_corpus"

cargo fuzz run --sanitizer none --target-dir "$target_dir" \
  authorization "$work_corpus" fuzz/corpus/authorization \
  -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
