#!/usr/bin/python3
"""The README's results table of the notebooks' experiments, from the CSV files that the experiments
(experiments/seed0NN --csv FILE) and their PyTorch runs (bench/notebooks_pytorch.py --csv FILE) write:

  /usr/bin/python3 bench/notebook_table.py results/seed002.ctnn.csv results/seed002.torch.csv ...

Files are told apart by their name: *.ctnn.csv and *.torch.csv. Each row is a model: its published test
accuracy, the means over seeds of ctnn's and PyTorch's (with the number of seeds), and the seconds of one
run of each."""

import csv
import sys
from collections import defaultdict


def main():
    runs = defaultdict(lambda: {"ctnn": [], "torch": []})
    published, order = {}, []
    for path in sys.argv[1:]:
        side = "torch" if path.endswith(".torch.csv") else "ctnn"
        with open(path, newline="") as file:
            for row in csv.DictReader(file):
                key = (row["notebook"].replace(" ", ""), row["model"])
                if key not in published:
                    order.append(key)
                    published[key] = row["published"]
                runs[key][side].append((float(row["test_accuracy"]), float(row["seconds"]), int(row["epochs"])))

    def mean(values, at, scale=1.0):
        return sum(v[at] for v in values) / len(values) * scale if values else None

    print("| notebook | model | published | ctnn | PyTorch | ctnn s | PyTorch s |")
    print("|---|---|---|---|---|---|---|")
    for key in order:
        ctnn, torch = runs[key]["ctnn"], runs[key]["torch"]
        cell = lambda values: f"{mean(values, 0, 100):.2f}% ({len(values)})" if values else "-"
        seconds = lambda values: f"{mean(values, 1):.0f}" if values else "-"
        pub = f"{float(published[key]):.2f}%" if published[key] else "-"
        print(f"| {key[0]} | {key[1]} | {pub} | {cell(ctnn)} | {cell(torch)} | {seconds(ctnn)} | {seconds(torch)} |")


if __name__ == "__main__":
    main()
