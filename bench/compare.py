#!/usr/bin/python3
"""The side-by-side benchmark: generated code vs the generic engine vs PyTorch, one thread each.

Runs several rounds; each round runs bench_compare_backends (generated and generic, alternating
inside the process) and then PyTorch on the same networks, in this process. Figures are medians
over all rounds; ratios are medians of the per-round ratios, so that they hold on a noisy machine.
Also measures the compile cost of the seed example and the stripped size of inference-only
programs. Prints a Markdown table and writes JSON. Run through scripts/run-bench.sh."""

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile

THREADS = 1
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[variable] = str(THREADS)
os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import pytorch_backend
    import torch
except ImportError as error:  # the table then has no PyTorch column
    pytorch_backend, torch, torch_missing = None, None, str(error)

BACKENDS = ("generated", "generic", "pytorch")
LABELS = {"tiny": "tiny 16-16-16-4", "small": "small 784-32-10", "seed": "seed 784-400-20-10",
          "wide": "wide 784-1024-512-256-10"}


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
    return {"cpu": model, "cpu_simd": simd, "hardware_threads": os.cpu_count(), "threads_used": THREADS,
            "kernel": platform.release(),
            "pytorch": torch.__version__ if torch else f"not available ({torch_missing})"}


def run_round(binary, data, quick, only):
    command = [binary, "--data", data] + (["--quick"] if quick else []) + (["--only", only] if only else [])
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    if torch:
        fashion = pytorch_backend.load_fashion(data)
        tiny = (pytorch_backend.synthetic(60000, 16, 4, 1), pytorch_backend.synthetic(10000, 16, 4, 2))
        overhead = pytorch_backend.timer_overhead()
        for network in result["networks"]:
            print(f"  {network['name']} pytorch", file=sys.stderr)
            network["backends"]["pytorch"] = pytorch_backend.measure(network, fashion, tiny, overhead)
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


def table(info, summary, compile_figures, sizes, rounds):
    lines = [f"Machine: {info['cpu']}, {info['cpu_simd']} (ctnn built for {info['ctnn_simd']}), "
             f"{info['hardware_threads']} hardware threads, {info['threads_used']} thread used by every backend; "
             f"PyTorch {info['pytorch']}. Medians over {rounds} rounds; speed-ups are medians of per-round ratios.", "",
             "| network | measure | generated | generic engine | PyTorch | generated vs generic | generated vs PyTorch |",
             "|---|---|---|---|---|---|---|"]
    rows = (("latency", "batch-1 latency, median (p99)"), ("batched_s", "10,000 test images (images/s)"),
            ("step_s", "SGD step, batch 200 (GFLOP/s)"), ("epoch_s", "epoch, 60,000 images"))
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
                        extra += f" ({entry['step_flops'] / value / 1e9:.1f})"
                    cells.append(duration(value) + extra)
            speedups = [f"{entry['speedup'][b][metric]:.2f}x" if b in entry["speedup"] else "n/a"
                        for b in ("generic", "pytorch")]
            lines.append(f"| {LABELS[name] if index == 0 else ''} | {label} | " + " | ".join(cells + speedups) + " |")
    lines += ["", "Speed-up = the other backend's time / the generated code's time (above 1: generated is faster). "
              "±: half the p10-p90 range of all runs, relative to the median.", ""]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", help="the CMake build directory")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions per round")
    parser.add_argument("--only", choices=sorted(LABELS), help="one network")
    parser.add_argument("--json", default=None, help="where to write the JSON (default BUILD/bench/compare.json)")
    parser.add_argument("--from-json", default=None, help="print the table of a saved run instead of running")
    args = parser.parse_args()

    if args.from_json:
        with open(args.from_json) as file:
            saved = json.load(file)
        print(table(saved["machine"], summarize(saved["raw_rounds"]), saved["compile"], saved["stripped_binary_bytes"],
                    saved["rounds"]))
        return

    if pytorch_backend:
        pytorch_backend.configure(THREADS)
    binary = os.path.join(args.build, "bench", "bench_compare_backends")
    info = machine()
    rounds = []
    for index in range(args.rounds):
        print(f"round {index + 1} of {args.rounds}", file=sys.stderr)
        rounds.append(run_round(binary, args.data, args.quick, args.only))
    info["ctnn_simd"] = rounds[0]["simd"]
    summary = summarize(rounds)
    compile_figures = compile_cost(args.build)
    sizes = binary_sizes(args.build)

    print(table(info, summary, compile_figures, sizes, args.rounds))
    path = args.json or os.path.join(args.build, "bench", "compare.json")
    with open(path + ".tmp", "w") as file:
        json.dump({"machine": info, "rounds": args.rounds, "summary": summary, "compile": compile_figures,
                   "stripped_binary_bytes": sizes, "raw_rounds": rounds}, file, indent=1)
    os.replace(path + ".tmp", path)
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
