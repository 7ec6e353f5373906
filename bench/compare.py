#!/usr/bin/python3
"""The side-by-side benchmark: generated code vs the generic engine vs PyTorch, at 1 and 2 threads
(and all hardware threads when there are more).

First measures the machine's peak with bench_fma_peak (FMA throughput on 1..N threads). Then runs
several rounds; each round, for every thread count, runs bench_compare_backends (generated and
generic, alternating inside the process) and then PyTorch on the same networks, in a process of
its own with its thread variables set before torch loads. Figures are medians over all rounds;
ratios are medians of the per-round ratios, so that they hold on a noisy machine. Also measures
the compile cost of the seed example and the stripped size of inference-only programs. Prints
Markdown tables and writes JSON. Run through scripts/run-bench.sh."""

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BACKENDS = ("generated", "generic", "pytorch")
LABELS = {"micro": "micro 24-8-2", "tiny": "tiny 16-16-16-4", "small": "small 784-32-10",
          "seed": "seed 784-400-20-10", "batchnorm": "batchnorm 784-600-100-10, BN + dropout",
          "wide": "wide 784-1024-512-256-10", "cnn_a": "CNN A (conv 32, maxpool, 128, 10)",
          "cnn_b": "CNN B (conv 32/64/128 same, maxpool, dropout, 128, 10)"}
EPOCH_IMAGES = 60000


def pytorch_version():
    result = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"], capture_output=True,
                            text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def median(values):
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else 0.5 * (values[middle - 1] + values[middle])


def quantile(values, q):
    values = sorted(values)
    return values[int(q * (len(values) - 1) + 0.5)] if values else None


def machine():
    model, flags = "unknown", set()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    simd = "AVX-512" if "avx512f" in flags else "AVX2+FMA" if "avx2" in flags else "SSE"
    version = pytorch_version()
    return {"cpu": model, "cpu_simd": simd, "hardware_threads": os.cpu_count(), "kernel": platform.release(),
            "pytorch": version or "not available (no torch for /usr/bin/python3)"}


def peak_gflops(build_dir, thread_counts):
    """The FMA-throughput probe's GFLOP/s for each thread count, keyed by the count."""
    command = [os.path.join(build_dir, "bench", "bench_fma_peak")] + [str(t) for t in thread_counts]
    measured = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return {int(t): gflops for t, gflops in measured["gflops"].items()}


def run_round(binary, data, quick, only, threads, with_pytorch):
    command = [binary, "--data", data, "--threads", str(threads)] + (["--quick"] if quick else []) + \
              (["--only", only] if only else [])
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    if with_pytorch:
        # PyTorch's threads are fixed when it loads, so it runs in a process of its own.
        environment = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                           OPENBLAS_NUM_THREADS=str(threads), OMP_WAIT_POLICY="PASSIVE")
        measured = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "pytorch_backend.py"), "--threads",
                                   str(threads), "--data", data], input=json.dumps(result), env=environment,
                                  check=True, capture_output=True, text=True)
        for name, samples in json.loads(measured.stdout).items():
            next(n for n in result["networks"] if n["name"] == name)["backends"]["pytorch"] = samples
    return result


def summarize(rounds):
    """Per network and backend: medians and spread over all rounds; ratios from each round."""
    summary = {}
    for network in rounds[0]["networks"]:
        name = network["name"]
        entry = {"spec": network["spec"], "params": network["params"], "step_flops": network["step_flops"],
                 "batch": network["batch"], "backends": {}, "speedup": {}}
        per_round = [next(n for n in r["networks"] if n["name"] == name) for r in rounds]
        present = [b for b in BACKENDS if b in network["backends"]]
        for backend in present:
            samples = [n["backends"][backend] for n in per_round]
            figures = {"latency_median_s": median([s["latency_median_s"] for s in samples]),
                       "latency_p99_s": median([s["latency_p99_s"] for s in samples]),
                       "latency_calls_per_round": samples[0]["latency_calls"]}
            for metric in ("batched_s", "step_s", "epoch_s"):
                pooled = [v for s in samples for v in s[metric]]
                figures[metric] = {"median": median(pooled), "p10": quantile(pooled, 0.1), "p90": quantile(pooled, 0.9),
                                   "runs": len(pooled)}
            entry["backends"][backend] = figures
        # Speed-up of the generated code: other backend's time / generated time, per round, then the median.
        for other in present[1:]:
            ratios = {}
            for metric in ("latency", "batched_s", "step_s", "epoch_s"):
                values = []
                for n in per_round:
                    g, o = n["backends"]["generated"], n["backends"][other]
                    if metric == "latency":
                        values.append(o["latency_median_s"] / g["latency_median_s"])
                    else:
                        values.append(median(o[metric]) / median(g[metric]))
                ratios[metric] = median(values)
            entry["speedup"][other] = ratios
        summary[name] = entry
    return summary


def duration(seconds):
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def compile_cost(build_dir, runs=3):
    """Compile time and peak memory of examples/train_seed.cpp, with the build's own command:
    the median of `runs` compilations."""
    results = [compile_once(build_dir) for _ in range(runs)]
    failed = [r for r in results if "error" in r]
    if failed:
        return failed[0]
    return {"file": results[0]["file"], "runs": runs, "seconds": median([r["seconds"] for r in results]),
            "peak_memory_mib": median([r["peak_memory_mib"] for r in results])}


def compile_once(build_dir):
    with open(os.path.join(build_dir, "compile_commands.json")) as file:
        entry = next(e for e in json.load(file) if e["file"].endswith("examples/train_seed.cpp"))
    command = shlex.split(entry["command"])
    output = command.index("-o")
    with tempfile.TemporaryDirectory() as scratch:
        command[output + 1] = os.path.join(scratch, "train_seed.o")
        result = subprocess.run(["/usr/bin/time", "-v"] + command, cwd=entry["directory"], capture_output=True, text=True)
    if result.returncode != 0:
        return {"error": result.stderr[-2000:]}
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    memory = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return {"file": "examples/train_seed.cpp", "seconds": seconds, "peak_memory_mib": int(memory.group(1)) / 1024}


def binary_sizes(build_dir):
    sizes = {}
    for name in ("tiny", "small", "seed", "wide", "engine"):
        path = os.path.join(build_dir, "bench", f"bench_inference_{name}")
        if not os.path.exists(path):
            continue
        with tempfile.TemporaryDirectory() as scratch:
            stripped = os.path.join(scratch, "stripped")
            subprocess.run(["strip", "-o", stripped, path], check=True)
            sizes[name] = os.path.getsize(stripped)
    return sizes


def table(info, summaries, peaks, compile_figures, sizes, rounds):
    lines = [f"Machine: {info['cpu']}, {info['cpu_simd']} (ctnn built for {info['ctnn_simd']}), "
             f"{info['hardware_threads']} hardware threads; PyTorch {info['pytorch']}. Medians over {rounds} rounds; "
             "speed-ups are medians of per-round ratios.",
             "Measured peak (bench_fma_peak, FMA throughput): " +
             ", ".join(f"{peaks[t]:.0f} GFLOP/s on {t} thread{'s' if t > 1 else ''}" for t in sorted(peaks)) + "."]
    for threads, summary in summaries.items():
        lines += ["", f"**{threads} thread{'s' if threads > 1 else ''}** (batch-1 latency: always one thread)", ""]
        lines += table_rows(summary, peaks[threads])
    if len(summaries) > 1:
        lines += ["", scaling_table(summaries)]
    lines += ["", "Speed-up = the other backend's time / the generated code's time (above 1: generated is faster). "
              "±: half the p10-p90 range of all runs, relative to the median. % of peak: the training FLOPs "
              "(forward, kernel gradients, input gradients but the first layer's) per second over the measured peak "
              "at that thread count.", ""]
    if compile_figures:
        if "error" in compile_figures:
            lines.append(f"Compile cost: failed to measure ({compile_figures['error'][:200]})")
        else:
            lines.append(f"Compile cost of {compile_figures['file']} (median of {compile_figures['runs']}): "
                         f"{compile_figures['seconds']:.1f} s, peak compiler memory {compile_figures['peak_memory_mib']:.0f} MiB.")
    if sizes:
        lines.append("Stripped inference-only binaries: " + ", ".join(
            f"{name} {size / 1024:.0f} KiB" for name, size in sizes.items()) + " (engine: any spec).")
    return "\n".join(lines)


def scaling_table(summaries):
    """Epoch time at every thread count over the time on one thread, per backend."""
    counts = sorted(summaries)
    lines = ["Thread scaling: epoch time on 1 thread / epoch time on N threads",
             "", "| network | backend | " + " | ".join(f"{t} threads" for t in counts[1:]) + " |",
             "|---|---|" + "---|" * (len(counts) - 1)]
    for name in summaries[counts[0]]:
        for backend in BACKENDS:
            base = summaries[counts[0]][name]["backends"].get(backend)
            if base is None:
                continue
            cells = []
            for t in counts[1:]:
                other = summaries[t][name]["backends"].get(backend)
                cells.append(f"{base['epoch_s']['median'] / other['epoch_s']['median']:.2f}x" if other else "n/a")
            lines.append(f"| {LABELS[name]} | {backend} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_rows(summary, peak):
    lines = ["| network | measure | generated | generic engine | PyTorch | generated vs generic | generated vs PyTorch |",
             "|---|---|---|---|---|---|---|"]
    rows = (("latency", "batch-1 latency, median (p99)"), ("batched_s", "10,000 test images (images/s)"),
            ("step_s", "SGD step, batch {batch} (GFLOP/s, % of peak)"), ("epoch_s", "epoch, 60,000 images (% of peak)"))
    for name, entry in summary.items():
        for index, (metric, label) in enumerate(rows):
            cells = []
            for backend in BACKENDS:
                figures = entry["backends"].get(backend)
                if figures is None:
                    cells.append("n/a")
                elif metric == "latency":
                    cells.append(f"{duration(figures['latency_median_s'])} ({duration(figures['latency_p99_s'])})")
                else:
                    value = figures[metric]["median"]
                    spread = (figures[metric]["p90"] - figures[metric]["p10"]) / 2 / value * 100
                    extra = f" ±{spread:.0f}%"
                    if metric == "batched_s":
                        extra += f" ({10000 / value / 1e3:.0f}k/s)"
                    elif metric == "step_s":
                        gflops = entry["step_flops"] / value / 1e9
                        extra += f" ({gflops:.0f}, {100 * gflops / peak:.0f}%)"
                    else:
                        gflops = entry["step_flops"] * EPOCH_IMAGES / entry["batch"] / value / 1e9
                        extra += f" ({100 * gflops / peak:.0f}%)"
                    cells.append(duration(value) + extra)
            speedups = [f"{entry['speedup'][b][metric]:.2f}x" if b in entry["speedup"] else "n/a"
                        for b in ("generic", "pytorch")]
            lines.append(f"| {LABELS[name] if index == 0 else ''} | {label.format(batch=entry['batch'])} | " +
                         " | ".join(cells + speedups) + " |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", help="the CMake build directory")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions per round")
    parser.add_argument("--only", choices=sorted(LABELS), help="one network")
    parser.add_argument("--threads", default=None,
                        help="comma-separated thread counts (default: 1,2 and all hardware threads when more)")
    parser.add_argument("--json", default=None, help="where to write the JSON (default BUILD/bench/compare.json)")
    parser.add_argument("--from-json", default=None, help="print the table of a saved run instead of running")
    args = parser.parse_args()

    if args.from_json:
        with open(args.from_json) as file:
            saved = json.load(file)
        summaries = {int(t): summarize(r) for t, r in saved["raw_rounds"].items()}
        print(table(saved["machine"], summaries, {int(t): p for t, p in saved["peak_gflops"].items()}, saved["compile"],
                    saved["stripped_binary_bytes"], saved["rounds"]))
        return

    if args.threads:
        thread_counts = sorted({int(t) for t in args.threads.split(",")})
    else:
        thread_counts = sorted({1, 2, os.cpu_count() or 1})
    binary = os.path.join(args.build, "bench", "bench_compare_backends")
    info = machine()
    peaks = peak_gflops(args.build, thread_counts)
    print("peak: " + ", ".join(f"{peaks[t]:.0f} GFLOP/s on {t}" for t in thread_counts), file=sys.stderr)
    rounds = {t: [] for t in thread_counts}
    for index in range(args.rounds):
        for threads in thread_counts:
            print(f"round {index + 1} of {args.rounds}, {threads} threads", file=sys.stderr)
            rounds[threads].append(run_round(binary, args.data, args.quick, args.only, threads, info["pytorch"][0].isdigit()))
    info["ctnn_simd"] = rounds[thread_counts[0]][0]["simd"]
    summaries = {t: summarize(r) for t, r in rounds.items()}
    compile_figures = compile_cost(args.build)
    sizes = binary_sizes(args.build)

    print(table(info, summaries, peaks, compile_figures, sizes, args.rounds))
    path = args.json or os.path.join(args.build, "bench", "compare.json")
    with open(path + ".tmp", "w") as file:
        json.dump({"machine": info, "rounds": args.rounds, "peak_gflops": peaks, "summary": summaries,
                   "compile": compile_figures, "stripped_binary_bytes": sizes, "raw_rounds": rounds}, file, indent=1)
    os.replace(path + ".tmp", path)
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
