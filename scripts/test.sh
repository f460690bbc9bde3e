#!/usr/bin/env bash
# The whole suite (what `npm test` and CI run), after setup and build:
#   1. native C tests under ASan + UBSan (ctest), and built with gcc -O3
#   2. the same C tests compiled with emcc, run in Node (ctest)
#   3. libFuzzer targets, each for FUZZ_SECONDS (default 15) from its seed corpus
#   4. JS tests (node:test) against the built package
#   5. Chromium tests (Debian's chromium through playwright-core)
# Every step runs even if an earlier one failed; the exit code and the
# closing line report all of them.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export NODE_PATH=/usr/share/nodejs
fuzz_seconds=${FUZZ_SECONDS:-15}
passed=0 failed=0 failed_steps=()
step() { # $1 = name, rest = command
  local name=$1; shift
  printf '\n\033[1m[test] %s\033[0m\n' "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_steps+=("$name"); fi
}

run_fuzzers() {
  if [ ! -f build/fuzz/CMakeCache.txt ]; then
    cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSL_FUZZ=ON -DSL_TESTS=OFF \
      -DCMAKE_C_COMPILER=clang >build/fuzz.configure.log 2>&1 || { cat build/fuzz.configure.log; return 1; }
  fi
  cmake --build build/fuzz -j"$(nproc)" >build/fuzz.log 2>&1 || { tail -30 build/fuzz.log; return 1; }
  local t rc=0 work
  for t in frame_decoder handshake_read peer_id jwt signal hub_session hub link delivery gossip_rpc gossip_router discovery order book negentropy booksync psbt trade tip; do
    work=$(mktemp -d)  # new inputs go here; the committed corpus stays read-only
    if build/fuzz/tests/fuzz/fuzz_$t -max_total_time="$fuzz_seconds" -max_len=8192 -print_final_stats=1 \
         -artifact_prefix="build/fuzz/crash-$t-" "$work" "tests/fuzz/corpus/$t" >build/fuzz-$t.log 2>&1; then
      echo "fuzz_$t: $(grep -oE 'Done [0-9]+ runs' build/fuzz-$t.log | head -1) in ${fuzz_seconds}s, no crash"
    else
      echo "fuzz_$t: FAILED (log: build/fuzz-$t.log)"; tail -30 build/fuzz-$t.log; rc=1
    fi
    rm -rf "$work"
  done
  return $rc
}

gcc_build() { # the native build with gcc too: its warnings differ from clang's
  if [ ! -f build/gcc/CMakeCache.txt ]; then
    cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc >build/gcc.configure.log 2>&1 \
      || { cat build/gcc.configure.log; return 1; }
  fi
  cmake --build build/gcc -j"$(nproc)" >build/gcc.log 2>&1 || { grep -E "error|warning" build/gcc.log | head -20; return 1; }
  ctest --test-dir build/gcc --output-on-failure
}

# clang-format (.clang-format) over every C file, and cppcheck over the
# core (src/wasm/ holds EM_JS blocks cppcheck cannot parse).
format_and_lint() {
  local files rc=0
  mapfile -t files < <(git ls-files 'src/*.c' 'src/*.h' 'tests/c/*.c' 'tests/c/*.h' 'tests/fuzz/*.c' 'bench/native/*.c' 'bench/sim/*.c')
  clang-format --dry-run --Werror "${files[@]}" || { echo "run: clang-format -i on the files above"; rc=1; }
  cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --std=c11 --inline-suppr \
    -I src -I src/include -i src/wasm src/ || rc=1
  [ $rc -eq 0 ] && echo "format and lint: ${#files[@]} files clean"
  return $rc
}

step "format (clang-format) and lint (cppcheck)" format_and_lint
step "native C tests (ASan + UBSan)" ctest --test-dir build/native --output-on-failure
step "native C tests built with gcc -O3" gcc_build
step "C tests in wasm under Node" ctest --test-dir build/wasm --output-on-failure
step "fuzzers (${fuzz_seconds}s each)" run_fuzzers
# --test-timeout and --test-force-exit: a stuck WebRTC path fails its test
# and cannot keep the run alive.
step "JS tests" node --test --test-timeout=180000 --test-force-exit --test-reporter=spec tests/js/
step "Chromium tests" node --test --test-timeout=180000 --test-force-exit --test-reporter=spec tests/browser/

echo
[ $failed -eq 0 ] || echo "failed steps: ${failed_steps[*]}"
echo "test steps: $passed passed, $failed failed"
[ $failed -eq 0 ]
