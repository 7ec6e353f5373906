#!/usr/bin/env bash
# Sets up and runs the main job: train the seed network on Fashion-MNIST and print results.
# Arguments are passed to the program (see: bash scripts/run-main.sh --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh train_seed
./build/examples/train_seed "$@"
