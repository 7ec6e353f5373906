#!/usr/bin/python3
"""Checks ctnn-plot against a run folder written by a short training run (tests/CMakeLists.txt):

  check_figures.py CTNN_PLOT RUN_DIR WORK_DIR

- every figure is drawn, as PNG and SVG; each PNG has a plausible size and is not blank;
- the confusion heatmap's annotations (SVG text) are the counts of confusion_matrix.csv;
- the misclassified grid shows exactly the first misclassified indices of misclassified.csv, each
  of which predictions.csv says is misclassified;
- the t-SNE shows each of activations.npz's images once, in its class's series;
- several run folders are compared (curves overlaid, an accuracy bar chart);
- --watch redraws the curves as history.csv grows and draws everything once run.json appears;
- a missing or malformed file gives one error line naming the file, and exit status 1.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree

import matplotlib.image
import numpy as np

FIGURES = ["curves", "confusion_matrix", "sample_images", "misclassified", "weights", "activations", "activation_scatter", "tsne", "activation_maximization"]
CNN_FIGURES = ["feature_maps", "filters"]  # for a run folder of a convolutional network
SVG = "{http://www.w3.org/2000/svg}"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAILED: {message}")


def plot(ctnn_plot, *arguments):
    return subprocess.run([ctnn_plot, *arguments], capture_output=True, text=True, timeout=300)


def texts_of(svg_path, group_id_pattern=None):
    """The strings of an SVG's <text> elements, in document order, with the id of the group that
    holds each; optionally only those whose group id matches."""
    root = ElementTree.parse(svg_path).getroot()
    parents = {child: parent for parent in root.iter() for child in parent}
    found = []
    for text in root.iter(f"{SVG}text"):
        group = parents.get(text)
        group_id = group.get("id", "") if group is not None else ""
        if group_id_pattern and not re.fullmatch(group_id_pattern, group_id):
            continue
        found.append((group_id, "".join(text.itertext())))
    return found


def main(ctnn_plot, run_dir, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    run = os.path.join(work, "run")
    shutil.copytree(run_dir, run)

    result = plot(ctnn_plot, run)
    check(result.returncode == 0, f"ctnn-plot {run} exited {result.returncode}: {result.stderr}")
    figures = os.path.join(run, "figures")
    with np.load(os.path.join(run, "activations.npz")) as activations:
        convolutional = any(activations[name].ndim == 4 for name in activations.files)
    expected_figures = FIGURES + (CNN_FIGURES if convolutional else [])
    for name in expected_figures:
        for extension in ("png", "svg"):
            check(os.path.isfile(os.path.join(figures, f"{name}.{extension}")), f"{name}.{extension} was not drawn")
        png = os.path.join(figures, f"{name}.png")
        if os.path.isfile(png):
            pixels = matplotlib.image.imread(png)
            height, width = pixels.shape[:2]
            check(300 <= width <= 3000 and 250 <= height <= 3000, f"{name}.png is {width}x{height}")
            check(float(np.var(pixels[..., :3])) > 1e-3, f"{name}.png looks blank (variance {np.var(pixels[..., :3])})")
    check(os.path.isfile(os.path.join(figures, "index.html")), "index.html was not written")
    if os.path.isfile(os.path.join(figures, "index.html")):
        page = open(os.path.join(figures, "index.html"), encoding="utf-8").read()
        for name in expected_figures:
            check(f"src='{name}.png'" in page, f"index.html does not show {name}.png")

    # The heatmap's numbers are the matrix's.
    matrix = np.loadtxt(os.path.join(run, "confusion_matrix.csv"), delimiter=",", dtype=np.int64, ndmin=2)
    annotations = {}
    for group, text in texts_of(os.path.join(figures, "confusion_matrix.svg"), r"count-\d+-\d+"):
        t, p = map(int, group.split("-")[1:])
        annotations[(t, p)] = int(text)
    check(len(annotations) == matrix.size, f"{len(annotations)} annotations for a {matrix.shape} matrix")
    check(all(annotations.get((t, p)) == matrix[t, p] for t in range(matrix.shape[0]) for p in range(matrix.shape[1])),
          "the heatmap's annotations differ from confusion_matrix.csv")

    # The misclassified grid shows the first misclassified indices, which are misclassified.
    with open(os.path.join(run, "misclassified.csv"), newline="") as file:
        misclassified = [row for row in csv.DictReader(file)]
    with open(os.path.join(run, "predictions.csv"), newline="") as file:
        predictions = {row["index"]: row for row in csv.DictReader(file)}
    check(all(row["label"] != row["predicted"] and predictions[row["index"]] == row for row in misclassified),
          "misclassified.csv lists an image that predictions.csv does not say is misclassified")
    expected = [int(row["index"]) for row in misclassified][: len(np.load(os.path.join(run, "misclassified_images.npy")))]
    shown = [int(text[1:]) for _, text in texts_of(os.path.join(figures, "misclassified.svg")) if re.fullmatch(r"#\d+", text)]
    check(len(expected) > 0 and shown == expected, f"the misclassified grid shows {shown[:8]}..., not {expected[:8]}...")

    # The t-SNE shows every image of the last hidden layer in activations.npz, one series per class, in the class its label says.
    with np.load(os.path.join(run, "activations.npz")) as activations:
        vectors = [activations[name] for name in activations.files if activations[name].ndim == 2]
        images = vectors[-2].shape[0]  # the last hidden layer's, as ctnn-plot chooses it
    labels = [int(predictions[str(i)]["label"]) for i in range(images)]
    per_class = [labels.count(c) for c in range(matrix.shape[0])]
    root = ElementTree.parse(os.path.join(figures, "tsne.svg")).getroot()
    series = [len(group.findall(f".//{SVG}use")) for group in root.iter(f"{SVG}g")
              if re.fullmatch(r"PathCollection_\d+", group.get("id", ""))][: len(per_class)]
    check(series == per_class, f"the t-SNE's series have {series} points, not the {per_class} of each class's images")

    # Several runs compared.
    other = os.path.join(work, "other")
    shutil.copytree(run_dir, other)
    compared = os.path.join(work, "compared")
    result = plot(ctnn_plot, run, other, "--out", compared)
    check(result.returncode == 0, f"ctnn-plot of two runs exited {result.returncode}: {result.stderr}")
    for name in ("curves", "test_accuracy"):
        check(os.path.isfile(os.path.join(compared, f"{name}.png")), f"the comparison's {name}.png was not drawn")

    # Live: --watch redraws the curves as history.csv grows, and ends when run.json appears.
    live = os.path.join(work, "live")
    os.makedirs(live)
    history = open(os.path.join(run_dir, "history.csv")).read().splitlines(keepends=True)
    open(os.path.join(live, "history.csv"), "w").write(history[0])
    watcher = subprocess.Popen([ctnn_plot, "--watch", "--interval", "0.05", live], stdout=subprocess.PIPE, text=True)
    time.sleep(2.0)  # the header alone, before the first epoch ends
    for rows in range(1, len(history)):
        time.sleep(0.3)
        with open(os.path.join(live, "history.csv.tmp"), "w") as file:
            file.write("".join(history[: rows + 1]))
        os.replace(os.path.join(live, "history.csv.tmp"), os.path.join(live, "history.csv"))
    time.sleep(0.5)
    # run.json last, as write_run_folder writes it: the watcher ends when it appears.
    for name in sorted(os.listdir(run_dir), key=lambda name: name == "run.json"):
        if name != "history.csv" and os.path.isfile(os.path.join(run_dir, name)):
            shutil.copy(os.path.join(run_dir, name), live)
    try:
        output, _ = watcher.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        watcher.kill()
        output = "(still running after run.json appeared)"
    check(watcher.returncode == 0, f"ctnn-plot --watch exited {watcher.returncode}: {output}")
    check(f"ctnn-plot: {len(history) - 1} epochs:" in output, f"--watch did not draw the last epoch: {output!r}")
    check(os.path.isfile(os.path.join(live, "figures", "confusion_matrix.png")), "--watch did not draw the rest at the end")

    # Broken folders: one clear line naming the file.
    breakages = {
        "history.csv": (lambda path: os.remove(path), "missing from the run folder"),
        "run.json": (lambda path: open(path, "w").write("{\"format\": 1, "), "not valid JSON"),
        "confusion_matrix.csv": (lambda path: open(path, "w").write("1,2\n3\n"), "malformed"),
        "sample_images.npy": (lambda path: open(path, "r+b").truncate(100), "not a readable .npy file"),
        "weights.npz": (lambda path: open(path, "w").write("not a zip"), "not a readable .npz archive"),
    }
    for name, (damage, problem) in breakages.items():
        broken = os.path.join(work, f"broken-{name}")
        shutil.copytree(run_dir, broken)
        damage(os.path.join(broken, name))
        result = plot(ctnn_plot, broken)
        lines = result.stderr.strip().splitlines()
        check(result.returncode == 1, f"a damaged {name}: exit status {result.returncode}, not 1")
        check(len(lines) == 1 and os.path.join(broken, name) in lines[0] and problem in lines[0],
              f"a damaged {name}: the error is {result.stderr!r}")

    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("ctnn-plot: every figure checked")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
