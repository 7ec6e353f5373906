#!/usr/bin/env bash
# Fuzzes every loader of untrusted input with AFL++ (fuzz/README.md): builds the fuzz targets and the
# library with afl-clang-fast++ in ./build-fuzz (with AddressSanitizer and UndefinedBehaviorSanitizer
# unless --no-sanitizers), runs afl-fuzz on each target from its seed corpus for about N executions,
# one target per core (or --jobs N at a time), and fails if any target crashed or hung. Each finding
# is left in build-fuzz/findings/TARGET/default/{crashes,hangs}; copy it into fuzz/regressions/TARGET/
# once fixed.
#   scripts/run-fuzz.sh [--executions N] [--jobs N] [--no-sanitizers] [TARGET...]
# CI runs 20,000 executions per target with the sanitizers; a long campaign (10.8 million in all):
#   scripts/run-fuzz.sh --executions 1200000
set -euo pipefail
cd "$(dirname "$0")/.."
executions=20000
jobs=$(nproc)
sanitize=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --executions) executions="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-sanitizers) sanitize=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-fuzz.sh: unknown flag $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
CTNN_EXTRA_PACKAGES="afl++ clang" bash scripts/install-deps.sh
build_targets=(ctnn_fuzzers)  # all of them by default, side by side
if [ ${#targets[@]} -gt 0 ]; then
  build_targets=()
  for target in "${targets[@]}"; do build_targets+=("fuzz_$target"); done
fi

build=build-fuzz
[ "$sanitize" = 1 ] || build=build-fuzz-plain
# AFL++'s GCC plugin refuses Debian's g++ 12 ("incompatible versions"): its clang mode instruments
# the library and the targets, which clang 14 compiles (the network templates of the tests aside).
export AFL_QUIET=1
if [ "$sanitize" = 1 ]; then export AFL_USE_ASAN=1 AFL_USE_UBSAN=1; fi
# -O1, as the sanitizers' documentation advises, instead of AFL++'s -O3 -funroll-loops: the library's
# kernels compile in about half the time, and a loader's speed is not what fuzzing measures.
export AFL_DONT_OPTIMIZE=1
CC=afl-clang-fast CXX=afl-clang-fast++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1 \
  -DCTNN_BUILD_TESTS=OFF -DCTNN_BUILD_EXAMPLES=OFF -DCTNN_BUILD_FUZZERS=ON > /dev/null
cmake --build "$build" --parallel "$(nproc)" --target "${build_targets[@]}" > "$build/build.log" 2>&1 ||
  { tail -40 "$build/build.log"; exit 1; }
# The targets fuzz/CMakeLists.txt lists, unless some were named.
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < "$build/fuzz/targets.txt"
unset AFL_USE_ASAN AFL_USE_UBSAN AFL_DONT_OPTIMIZE

# As root in a container: no core-dump handler to wait for, no CPU frequency to read, no core to pin.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
# A request for more than 4 GiB, which no fuzzed input needs, is refused (the target then crashes on
# std::bad_alloc) rather than granted.
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=4096
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1
# The targets' scratch files (fuzz/fuzz_target.hpp), a folder per target, removed at the end.
scratch=$(mktemp -d "$([ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/ctnn-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fuzz_one() {
  local target="$1" out="$build/findings/$1"
  rm -rf "$out"
  CTNN_FUZZ_SCRATCH="$scratch/$target" afl-fuzz -i "fuzz/corpus/$target" -o "$out" -E "$executions" -t 5000 -m none -- "$build/fuzz/fuzz_$target" \
    > "$out.log" 2>&1 || { echo "afl-fuzz failed on $target:"; tail -20 "$out.log"; return 1; }
}
mkdir -p "$build/findings"
status=0
jobs_running=0
for target in "${targets[@]}"; do
  fuzz_one "$target" &
  jobs_running=$((jobs_running + 1))
  if [ "$jobs_running" -ge "$jobs" ]; then wait -n || status=1; jobs_running=$((jobs_running - 1)); fi
done
while [ "$jobs_running" -gt 0 ]; do wait -n || status=1; jobs_running=$((jobs_running - 1)); done

total=0
for target in "${targets[@]}"; do
  stats="$build/findings/$target/default/fuzzer_stats"
  [ -f "$stats" ] || { echo "$target: no fuzzer_stats"; status=1; continue; }
  done_count=$(awk -F': *' '$1 ~ /execs_done/ {print $2}' "$stats")
  found=$(find "$build/findings/$target/default/crashes" "$build/findings/$target/default/hangs" -type f ! -name README.txt | wc -l)
  printf '%-15s %10s executions, %s crashes or hangs\n' "$target" "$done_count" "$found"
  total=$((total + done_count))
  if [ "$found" != 0 ]; then
    status=1
    find "$build/findings/$target/default/crashes" "$build/findings/$target/default/hangs" -type f ! -name README.txt
  fi
done
echo "$total executions in all"
exit "$status"
