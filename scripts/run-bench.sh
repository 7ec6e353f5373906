#!/usr/bin/env bash
# The side-by-side benchmark: installs what it needs (PyTorch from Debian's python3-torch with OpenBLAS:
# without libopenblas0 it falls back to the reference BLAS and is 10-100x slower; GNU time),
# builds the benchmark programs and runs bench/compare.py. Arguments go to compare.py
# (--rounds N, --quick, --only NETWORK, --json FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
CTNN_EXTRA_PACKAGES="python3 python3-torch libopenblas0-pthread time binutils" bash scripts/install-deps.sh
bash scripts/build.sh bench_all
/usr/bin/python3 bench/compare.py --build build "$@"
