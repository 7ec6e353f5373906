#!/usr/bin/python3
"""The README's results table of the notebooks' experiments, from the CSV files that the experiments
(experiments/seed0NN --csv FILE) and their PyTorch runs (bench/notebooks_pytorch.py --csv FILE) write:

  /usr/bin/python3 bench/notebook_table.py results/seed002.ctnn.csv results/seed002.torch.csv ...

Files are told apart by their name: *.ctnn.csv and *.torch.csv. Each row is a model: its published test
accuracy, the means over seeds of ctnn's and PyTorch's (± the standard deviation over seeds, and the number
of seeds), the mean epochs run, and the mean seconds of one run of each."""

import csv
import sys
from collections import defaultdict


def main():
    runs = defaultdict(lambda: {"ctnn": [], "torch": []})
    published, order, counted = {}, [], set()
    for path in sys.argv[1:]:
        side = "torch" if path.endswith(".torch.csv") else "ctnn"
        with open(path, newline="") as file:
            for row in csv.DictReader(file):
                key = (row["notebook"].replace(" ", ""), row["model"])
                if key not in published:
                    order.append(key)
                    published[key] = row["published"]
                seen = (key, side, row["seed"])
                if seen in counted:  # the same seed twice (two --only runs that overlapped): counted once
                    continue
                counted.add(seen)
                runs[key][side].append((float(row["test_accuracy"]), float(row["seconds"]), int(row["epochs"])))

    def mean(values, at, scale=1.0):
        return sum(v[at] for v in values) / len(values) * scale if values else None

    def cell(values):
        if not values:
            return "-"
        average = mean(values, 0, 100)
        if len(values) == 1:
            return f"{average:.2f}% (1)"
        spread = (sum((100 * v[0] - average) ** 2 for v in values) / (len(values) - 1)) ** 0.5
        return f"{average:.2f}% ±{spread:.2f} ({len(values)})"

    def number(values, at, digits):
        return f"{mean(values, at):.{digits}f}" if values else "-"

    print("| notebook | model | published | ctnn | PyTorch | epochs ctnn / PyTorch | ctnn s | PyTorch s |")
    print("|---|---|---|---|---|---|---|---|")
    for key in order:
        ctnn, torch = runs[key]["ctnn"], runs[key]["torch"]
        pub = f"{float(published[key]):.2f}%" if published[key] else "-"
        print(f"| {key[0]} | {key[1]} | {pub} | {cell(ctnn)} | {cell(torch)} | {number(ctnn, 2, 1)} / {number(torch, 2, 1)} "
              f"| {number(ctnn, 1, 1)} | {number(torch, 1, 1)} |")

    # Each notebook's whole experiment, one run of every model both sides trained.
    print()
    for notebook in dict.fromkeys(key[0] for key in order):
        both = [key for key in order if key[0] == notebook and runs[key]["ctnn"] and runs[key]["torch"]]
        if both:
            ctnn_total = sum(mean(runs[key]["ctnn"], 1) for key in both)
            torch_total = sum(mean(runs[key]["torch"], 1) for key in both)
            print(f"{notebook}: one run of its {len(both)} model(s) trained on both sides: ctnn {ctnn_total:.0f} s, "
                  f"PyTorch {torch_total:.0f} s ({torch_total / ctnn_total:.1f}x)")

if __name__ == "__main__":
    main()
