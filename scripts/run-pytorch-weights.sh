#!/usr/bin/env bash
# Trains a network in PyTorch, loads its weights into ctnn through .npz and checks that the
# predictions agree within 1e-5 (bench/pytorch_weights.py). Installs python3-torch from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
CTNN_EXTRA_PACKAGES="python3-torch python3-numpy libopenblas0-pthread" bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build --target import_npz ctnn-export -j "$(nproc)"
/usr/bin/python3 bench/pytorch_weights.py --build build "$@"
