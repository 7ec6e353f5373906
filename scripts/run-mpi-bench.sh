#!/usr/bin/env bash
# The seed network's epoch on 1 rank of 2 threads, 1 rank of 1 thread and 2 ranks of 1 thread each
# (OpenMPI on this machine), the last both with the whole data set on each rank and with each rank
# reading its shard, interleaved for --rounds rounds (default 3); prints each configuration's median
# epoch, the ratios, the bytes each rank receives per step and the share of time in MPI.
#   bash scripts/run-mpi-bench.sh [--rounds N] [--ranks "2 4"] [--network seed|cnn_a] [--epochs N]
# (cnn_a, the seed's convolutional network A, takes about 10 s an epoch on one thread: try --epochs 2.)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
ranks="2"
network=seed
epochs=4
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --ranks) ranks="$2"; shift 2 ;;
    --network) network="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    *) echo "usage: run-mpi-bench.sh [--rounds N] [--ranks \"2 4\"] [--network seed|cnn_a] [--epochs N]" >&2; exit 2 ;;
  esac
done
bash scripts/install-deps.sh
bash scripts/build.sh bench_mpi_epoch > /dev/null
# OpenMPI refuses root unless told; --oversubscribe lets a rank count above the cores run (slowly).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() {
  mpirun --oversubscribe --bind-to none -np "$1" build/bench/bench_mpi_epoch --network "$network" --threads "$2" \
    --epochs "$epochs" "${@:3}"
}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((round = 1; round <= rounds; ++round)); do
  run 1 1 >> "$results"
  run 1 2 >> "$results"
  for r in $ranks; do
    run "$r" 1 >> "$results"
    run "$r" 1 --shard >> "$results"
  done
done
echo "network: $network; machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $rounds rounds"
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    key = (int(f[1]), int(f[3]), int(f[5]))
    rows.setdefault(key, []).append((float(f[7]), float(f[9]), float(f[11])))
base = statistics.median(r[0] for r in rows[(1, 1, 0)])
print(f"{'ranks x threads':>24} {'epoch (s)':>10} {'vs 1x1':>7} {'KiB/step/rank':>14} {'time in MPI':>12}")
for (ranks, threads, shard), runs in sorted(rows.items()):
    epoch = statistics.median(r[0] for r in runs)
    name = f"{ranks} x {threads}" + (", shards" if shard else "")
    print(f"{name:>24} {epoch:10.3f} {base / epoch:6.2f}x {statistics.median(r[1] for r in runs) / 1024:14.0f} "
          f"{100 * statistics.median(r[2] for r in runs):11.1f}%")
PY
