#!/usr/bin/python3
"""The notebooks' MLP protocols of experiments/ run in PyTorch (Debian's python3-torch), with Keras's
definitions spelled out where PyTorch's defaults differ, so that ctnn's number can be told apart from
run-to-run spread: Glorot-uniform kernels and zero biases (or RandomNormal(0, sigma)), Keras's epsilons
(RMSprop rho 0.9 and eps 1e-7, Adam eps 1e-7), BatchNormalization's momentum 0.99 and eps 1e-3, L2(c)
as c * sum(w^2) added to the loss, an L1 activity penalty as c * sum(|a|) over the batch (as ctnn
computes it), the data shuffled every epoch.

  CTNN_EXTRA_PACKAGES="python3-torch libopenblas0-pthread" bash scripts/install-deps.sh   # once
  /usr/bin/python3 bench/notebooks_pytorch.py seed002 [--seeds 3] [--quick] [--threads 2] [--csv FILE]

Without libopenblas0 Debian's PyTorch multiplies matrices with the reference BLAS, 10-100x slower.

Prints the same table as the C++ programs (experiments/seed0NN) and writes the same CSV columns."""

import argparse
import os
import sys
import time

# --threads also bounds the BLAS's own threads, which are fixed when the library loads.
if "--threads" in sys.argv[:-1]:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_backend import load_fashion  # noqa: E402  (reads any MNIST-format IDX folder)


def mnist_directory():
    cache = os.environ.get("CTNN_DATA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ctnn")
    return os.path.join(cache, "mnist")


DATA = {"mnist": mnist_directory, "fashion-mnist": lambda: "/usr/share/datasets/fashion-mnist"}


# A network as a list of layers: ("dense", units, activation, sigma or None, l2, activity_l1),
# ("bn",), ("dropout", rate). The last dense layer is the softmax output (its logits go to the loss).
class Mlp(torch.nn.Module):
    def __init__(self, inputs, layers):
        super().__init__()
        self.steps = torch.nn.ModuleList()
        self.kinds = []
        width = inputs
        for layer in layers:
            if layer[0] == "dense":
                _, units, activation, sigma, l2, activity = layer
                linear = torch.nn.Linear(width, units)
                if sigma is None:
                    torch.nn.init.xavier_uniform_(linear.weight)
                else:
                    torch.nn.init.normal_(linear.weight, 0.0, sigma)
                torch.nn.init.zeros_(linear.bias)
                self.steps.append(linear)
                self.kinds.append(("dense", activation, l2, activity))
                width = units
            elif layer[0] == "bn":
                self.steps.append(torch.nn.BatchNorm1d(width, eps=1e-3, momentum=0.01))
                self.kinds.append(("bn",))
            else:
                self.steps.append(torch.nn.Dropout(layer[1]))
                self.kinds.append(("dropout",))

    def forward(self, x):
        """Logits, and the penalty of this pass's activities and weights."""
        penalty = x.new_zeros(())
        for step, kind in zip(self.steps, self.kinds):
            x = step(x)
            if kind[0] == "dense":
                _, activation, l2, activity = kind
                if activation == "relu":
                    x = F.relu(x)
                if l2:
                    penalty = penalty + l2 * (step.weight ** 2).sum()
                if activity:
                    penalty = penalty + activity * x.abs().sum()
        return x, penalty


def dense(units, activation="relu", sigma=None, l2=0.0, activity=0.0):
    return ("dense", units, activation, sigma, l2, activity)


def out(l2=0.0):
    return dense(10, "softmax", None, l2)


def rmsprop(lr):
    return lambda params: torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7)


def adam(lr):
    return lambda params: torch.optim.Adam(params, lr=lr, eps=1e-7)


def sgd(lr):
    return lambda params: torch.optim.SGD(params, lr=lr)


BN, D2, D4, D5 = ("bn",), ("dropout", 0.2), ("dropout", 0.4), ("dropout", 0.5)

# name, published, layers, optimizer, batch, epochs (a list: several fits on the same model), validation
def seed001_width(units):
    return (f"784-{units}:relu:l2=0.01-10:softmax", None, [dense(units, l2=0.01), out()], rmsprop(1e-3), 32, [200])


SEED001_PUBLISHED = {1: 38.3, 2: 66.9, 10: 92.7, 30: 96.5, 80: 96.5, 130: 97.1, 200: 96.5, 500: 96.5}


# Seed 001's experiments 9 and 10: the first 5,000 rows validate (they only monitor: not used here), the
# features are reduced with scikit-learn fitted on the other rows, as experiments/seed001.cpp does.
def pca_features(train_x, train_y, test_x):
    from sklearn.decomposition import PCA
    pca = PCA(0.95).fit(train_x.numpy())
    print(f"PCA(0.95) of the {len(train_x)} training rows keeps {pca.n_components_} components", flush=True)
    return (torch.from_numpy(pca.transform(train_x.numpy()).astype(np.float32)),
            torch.from_numpy(pca.transform(test_x.numpy()).astype(np.float32)))


def forest_features(train_x, train_y, test_x):
    from sklearn.ensemble import RandomForestClassifier
    forest = RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=torch.get_num_threads())
    forest.fit(train_x.numpy(), train_y.numpy())
    columns = torch.from_numpy(np.argsort(-forest.feature_importances_, kind="stable")[:70].copy())
    return train_x[:, columns], test_x[:, columns]


SEED001_REDUCED = [
    ("9 PCA(0.95) of the training rows, 154-130r-10s, 30 epochs", 97.78, [dense(130), out()], rmsprop(1e-3),
     32, [30], pca_features),
    ("10 a random forest's 70 first pixels, 70-130r-10s, 30 epochs", 94.21, [dense(130), out()], rmsprop(1e-3),
     32, [30], forest_features),
]

NOTEBOOKS = {
    "seed001": ("mnist", "early", [
        (name, SEED001_PUBLISHED[units], layers, optimizer, batch, fits)
        for units in SEED001_PUBLISHED
        for name, _, layers, optimizer, batch, fits in [seed001_width(units)]] + SEED001_REDUCED),
    "seed000": ("mnist", "test", [
        ("784-400r-20r-10s, 10 epochs then 25 more on the same model", 95.67, [dense(400), dense(20), out()], sgd(0.01), 200, [10, 25]),
        ("784-400r-20r-10s, 25 epochs from scratch", 94.77, [dense(400), dense(20), out()], sgd(0.01), 200, [25]),
        ("784-400r-20r-10s, L2(0.01) on both hidden layers, 25 epochs", 93.42,
         [dense(400, l2=0.01), dense(20, l2=0.01), out()], sgd(0.01), 200, [25]),
    ]),
    "seed002": ("mnist", "test", [
        ("A 784-64r-D0.2-64r-D0.2-10s, batch 128, 30 epochs", 97.50, [dense(64), D2, dense(64), D2, out()], rmsprop(1e-3), 128, [30]),
        ("B 784-400r-D0.4-300r-D0.4-10s, batch 128, 20 epochs", 98.45, [dense(400), D4, dense(300), D4, out()], rmsprop(1e-3), 128, [20]),
        ("C B + L2(0.01) on every Dense, batch 100, lr 0.001 (what ran)", 98.19,
         [dense(400, l2=0.01), D4, dense(300, l2=0.01), D4, out(0.01)], rmsprop(1e-3), 100, [20]),
        ("C at lr 0.01 (what the notebook wrote)", None,
         [dense(400, l2=0.01), D4, dense(300, l2=0.01), D4, out(0.01)], rmsprop(1e-2), 100, [20]),
    ]),
    "seed003": ("mnist", "test", [
        ("1 600(.062)-100(.125)", 98.38, [dense(600, sigma=.062), dense(100, sigma=.125), out()], adam(1e-3), 128, [20]),
        ("2 600(.039)-BN-100(.55)-BN", 97.96, [dense(600, sigma=.039), BN, dense(100, sigma=.55), BN, out()], adam(1e-3), 128, [20]),
        ("3 600(.039)-BN-D.5-100(.55)-BN-D.5", 98.16,
         [dense(600, sigma=.039), BN, D5, dense(100, sigma=.55), BN, D5, out()], adam(1e-3), 128, [20]),
        ("4 500(.062)-250(.125)-125(.125)", 98.08,
         [dense(500, sigma=.062), dense(250, sigma=.125), dense(125, sigma=.125), out()], adam(1e-3), 128, [20]),
        ("5 500(.039)-BN-D.5-250(.55)-BN-D.5-125(.55)-BN-D.5", None,
         [dense(500, sigma=.039), BN, D5, dense(250, sigma=.55), BN, D5, dense(125, sigma=.55), BN, D5, out()], adam(1e-3), 128, [20]),
        ("6 700(.062)-350(.125)-200-100-50 (.125)", 97.76,
         [dense(700, sigma=.062), dense(350, sigma=.125), dense(200, sigma=.125), dense(100, sigma=.125), dense(50, sigma=.125), out()],
         adam(1e-3), 128, [20]),
        ("7 700(.039)-350(.25)-200(.55)-100(.15)-50(.3), each BN-D.5", 98.11,
         [dense(700, sigma=.039), BN, D5, dense(350, sigma=.25), BN, D5, dense(200, sigma=.55), BN, D5,
          dense(100, sigma=.15), BN, D5, dense(50, sigma=.3), BN, D5, out()], adam(1e-3), 128, [20]),
    ]),
    "seed004": ("fashion-mnist", "split", [
        ("M0 128", 88.48, [dense(128), out()], adam(1e-3), 32, [30]),
        ("M1 256-512", 88.98, [dense(256), dense(512), out()], adam(1e-3), 32, [30]),
        ("M2 512-256", 89.14, [dense(512), dense(256), out()], adam(1e-3), 32, [30]),
        ("M3 512-D.5-256-D.5", 88.01, [dense(512), D5, dense(256), D5, out()], adam(1e-3), 32, [30]),
        ("M4 1024-512-256", 88.79, [dense(1024), dense(512), dense(256), out()], adam(1e-3), 32, [30]),
        ("M7 1024-D.5-512-D.5-256-D.5, ActivityL1(1e-4) on each hidden layer", 83.87,
         [dense(1024, activity=1e-4), D5, dense(512, activity=1e-4), D5, dense(256, activity=1e-4), D5, out()],
         adam(1e-3), 32, [30]),
    ]),
}


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[i:i + 4096])[0].argmax(1) == y[i:i + 4096]).sum()) for i in range(0, len(x), 4096))
    model.train()
    return correct / len(x)


def val_metrics(model, x, y):
    model.eval()
    with torch.no_grad():
        logits, penalty = model(x)
        loss = float(F.cross_entropy(logits, y)) + float(penalty)
        accuracy = float((logits.argmax(1) == y).float().mean())
    model.train()
    return loss, accuracy


def train(layers, optimizer, batch, fits, train_set, seed, quick, early=None):
    """early: validation rows for seed 001's protocol: EarlyStopping(val_accuracy, patience 2) and the
    weights of the best val_loss kept (ModelCheckpoint(save_best_only)), which the model ends with."""
    torch.manual_seed(seed)
    x, y = train_set
    model = Mlp(x.shape[1], layers)
    opt = optimizer(model.parameters())  # one optimiser for every fit: a second fit continues, as in Keras
    generator = torch.Generator().manual_seed(seed)
    epochs = 0
    best_loss, best_accuracy, best_state, wait = float("inf"), -1.0, None, 0
    for fit_epochs in fits:
        for _ in range(1 if quick else fit_epochs):
            order = torch.randperm(len(x), generator=generator)
            for first in range(0, len(x), batch):
                rows = order[first:first + batch]
                logits, penalty = model(x[rows])
                loss = F.cross_entropy(logits, y[rows]) + penalty
                opt.zero_grad()
                loss.backward()
                opt.step()
            epochs += 1
            if early is not None:
                loss, accuracy_now = val_metrics(model, *early)
                if loss < best_loss:
                    best_loss, best_state = loss, {k: v.clone() for k, v in model.state_dict().items()}
                if accuracy_now > best_accuracy:
                    best_accuracy, wait = accuracy_now, 0
                else:
                    wait += 1
                    if wait >= 2 and epochs > 1:
                        break
    if early is not None:
        model.load_state_dict(best_state)
    return model, epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook", choices=sorted(NOTEBOOKS))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=1, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--only", default="")
    parser.add_argument("--csv", default="")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_name, validation, models = NOTEBOOKS[args.notebook]
    (x, y), (test_x, test_y) = load_fashion(DATA[data_name]())
    if args.quick:
        x, y, test_x, test_y = x[:600], y[:600], test_x[:300], test_y[:300]
    rows, lines = [], []
    for name, published, layers, optimizer, batch, fits, *features in models:
        if args.only not in name:
            continue
        runs = []
        reduced = None
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            started = time.perf_counter()  # the first seed's time includes the reduction, as in experiments/seed001
            train_x, train_y, early, model_test_x = x, y, None, test_x
            if features:  # the first rows validate; the features are reduced once, for every seed
                held_out = 100 if args.quick else 5000
                if reduced is None:
                    reduced = features[0](x[held_out:], y[held_out:], test_x)
                (train_x, model_test_x), train_y = reduced, y[held_out:]
            elif validation == "early":  # Keras's validation_split: the last 5,000 of 60,000 rows
                cut = len(x) - len(x) * 5000 // 60000
                train_x, train_y, early = x[:cut], y[:cut], (x[cut:], y[cut:])
            if validation == "split":  # a seeded shuffled fifth held out (it only validates: not used here)
                keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(1000 + seed))[len(x) // 5:]
                keep, _ = keep.sort()
                train_x, train_y = x[keep], y[keep]
            model, epochs = train(layers, optimizer, batch, fits, (train_x, train_y), seed, args.quick, early)
            seconds = time.perf_counter() - started
            result = accuracy(model, model_test_x, test_y)
            print(f"== {name}, seed {seed}: test accuracy {100 * result:.2f}% after {epochs} epochs, {seconds:.1f} s", flush=True)
            runs.append((result, epochs, seconds))
            lines.append(f'{args.notebook},"{name}",{published if published is not None else ""},{seed},{result:.6f},{epochs},{seconds:.3f}')
        rows.append((name, published, runs))
    print(f"\n{args.notebook} in PyTorch {torch.__version__}: test accuracy, published beside PyTorch's (mean of {args.seeds} seeds)")
    print(f"| {'model':66} | published |        pytorch | difference | epochs |  seconds |")
    total = 0.0
    for name, published, runs in rows:
        values = np.array([r[0] for r in runs])
        mean = values.mean()
        spread = values.std(ddof=1) if len(values) > 1 else 0.0
        seconds = float(np.mean([r[2] for r in runs]))
        total += sum(r[2] for r in runs)
        pub = f"{published:.2f}%" if published is not None else "-"
        diff = f"{100 * mean - published:+.2f}" if published is not None else "-"
        text = f"{100 * mean:.2f}% ±{100 * spread:.2f}" if len(values) > 1 else f"{100 * mean:.2f}%"
        print(f"| {name:66} | {pub:>9} | {text:>14} | {diff:>10} | {np.mean([r[1] for r in runs]):6.1f} | {seconds:8.1f} |")
    print(f"whole experiment: {total:.1f} s, {torch.get_num_threads()} threads")
    if args.csv:
        with open(args.csv + ".tmp", "w") as file:
            file.write("notebook,model,published,seed,test_accuracy,epochs,seconds\n" + "\n".join(lines) + "\n")
        os.replace(args.csv + ".tmp", args.csv)


if __name__ == "__main__":
    main()
