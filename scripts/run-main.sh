#!/usr/bin/env bash
# Sets up and runs the main job: train the seed network on Fashion-MNIST and print results.
# Arguments are passed to the program (see: bash scripts/run-main.sh --help), except --ranks N:
# train over N processes of this machine with OpenMPI (mpirun -np N train_seed --mpi ...).
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=0
arguments=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--ranks" ]; then
    [ $# -ge 2 ] || { echo "run-main.sh: --ranks needs a number of processes" >&2; exit 2; }
    ranks="$2"
    shift 2
  else
    arguments+=("$1")
    shift
  fi
done
bash scripts/install-deps.sh
bash scripts/build.sh train_seed
if [ "$ranks" = 0 ]; then
  exec ./build/examples/train_seed "${arguments[@]}"
fi
# OpenMPI refuses to run as root unless these say so; each rank gets an equal share of the cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
threads=$(( $(nproc) / ranks ))
exec mpirun --oversubscribe --bind-to none -np "$ranks" -x CTNN_NUM_THREADS=$(( threads > 0 ? threads : 1 )) \
  ./build/examples/train_seed --mpi "${arguments[@]}"
