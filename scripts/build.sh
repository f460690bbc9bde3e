#!/usr/bin/env bash
# Builds the native targets (ASan/UBSan test build) and the wasm package.
#   scripts/build.sh          both
#   scripts/build.sh native   native only
#   scripts/build.sh wasm     wasm only (what `npm start` needs)
# Incremental: CMake rebuilds only what changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export NODE_PATH=/usr/share/nodejs  # emcc's JS optimiser needs Debian's acorn
what=${1:-all}
jobs=$(nproc)
say() { printf '\033[1m[build]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[build] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

configure() { # $1 = build dir, rest = cmake args
  local dir=$1; shift
  [ -f "$dir/Makefile" ] && return
  # A configure that failed half way (say, before setup had built the wasm
  # deps) leaves a cache and no Makefile: start that directory afresh.
  rm -rf "$dir"
  "$@" >"$dir.configure.log" 2>&1 || { rm -rf "$dir"; cat "$dir.configure.log" >&2; die "cmake configure for $dir (log: $dir.configure.log)"; }
}

mkdir -p build
if [ "$what" = all ] || [ "$what" = native ]; then
  say "native (clang, ASan + UBSan) -> build/native"
  configure build/native cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Debug -DSL_SANITIZE=ON -DCMAKE_C_COMPILER=clang
  cmake --build build/native -j"$jobs" >build/native.log 2>&1 || { tail -40 build/native.log >&2; die "native build (log: build/native.log)"; }
fi
if [ "$what" = all ] || [ "$what" = wasm ]; then
  say "wasm (emcc $(emcc --version | head -1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)) -> dist/starling_core.{mjs,wasm} + build/wasm tests"
  configure build/wasm emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release
  cmake --build build/wasm -j"$jobs" >build/wasm.log 2>&1 || { tail -40 build/wasm.log >&2; die "wasm build (log: build/wasm.log)"; }
  say "demo wallets -> build/demo/wallet.js"
  node scripts/build-demo.js || die "demo wallet bundle"
fi
say "done"
