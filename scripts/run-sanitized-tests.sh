#!/usr/bin/env bash
# Builds the tests of the loaders, spec parsing and a slim training test on both backends and several
# threads (the list is ctnn_sanitized_tests in tests/CMakeLists.txt) with AddressSanitizer and
# UndefinedBehaviorSanitizer in ./build-sanitize, and runs them: an out-of-bounds access, a leak, a use
# after free or undefined behaviour fails the test. Unoptimised (a Debug build): with optimisation,
# the instrumented kernels take many minutes per file to compile (over 6 for two small networks at -O1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DCTNN_SANITIZE=ON -DCTNN_BUILD_EXAMPLES=OFF > /dev/null
cmake --build build-sanitize --parallel "$(nproc)" --target ctnn_sanitized_tests
cd build-sanitize
ctest --output-on-failure --parallel "$(nproc)" -L sanitized
