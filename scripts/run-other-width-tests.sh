#!/usr/bin/env bash
# Builds the library (the engine's kernels included) and the kernel tests for the other vector width
# than this machine's, in ./build-x86-64-v3 or ./build-x86-64-v4: every kernel has AVX2 and AVX-512
# branches, and a machine of one kind compiles only its own. On an AVX-512 machine the AVX2 build
# (x86-64-v3) also runs its tests; on an AVX2 machine the AVX-512 build (x86-64-v4) is compiled only,
# at -O1: what can break there (a branch that does not compile, a failed static assertion) breaks at
# any level, and -O1 takes two thirds of -O3's time (CI has 45 minutes). Not -O0: xsimd 8's AVX-512BW
# blends do not compile without optimisation (GCC's intrinsics are macros then).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if grep -qw avx512f /proc/cpuinfo; then
  march=x86-64-v3 run=yes build_type=Release
else
  march=x86-64-v4 run=no build_type=None  # CMAKE_CXX_FLAGS alone: -O1, no -g
fi
optimization=""
[ "$run" = yes ] || optimization=" -O1"
cmake -S . -B "build-$march" -DCMAKE_BUILD_TYPE=$build_type -DCTNN_NATIVE=OFF -DCMAKE_CXX_FLAGS="-march=$march$optimization" \
  -DCTNN_BUILD_EXAMPLES=OFF > /dev/null
# One target for the tests (ctnn_kernel_tests in tests/CMakeLists.txt): several targets named to
# cmake --build are built one after the other, each test's compile alone on one core.
cmake --build "build-$march" --parallel "$(nproc)" --target ctnn_kernel_tests
if [ "$run" = yes ]; then
  (cd "build-$march" && ctest --output-on-failure --parallel "$(nproc)" -L kernels)
else
  echo "AVX-512 (x86-64-v4) kernels compiled; this machine cannot run them"
fi
