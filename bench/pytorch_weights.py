"""Weights trained in PyTorch, run by ctnn: trains a network in PyTorch (Debian python3-torch) on
Fashion-MNIST, saves its weights as .npz with Keras's names and layouts (dense/kernel = nn.Linear.weight.T;
conv2d/kernel = nn.Conv2d.weight.permute(2, 3, 1, 0), (height, width, in, out)),
has ctnn's import_npz load them and predict 1,000 test images, and checks that ctnn's
probabilities match PyTorch's within 1e-5. The model file import_npz writes can then be exported
to a header with ctnn-export.

    /usr/bin/python3 bench/pytorch_weights.py [--build build] [--spec 784-64:relu-10:softmax] [--epochs 2]
    /usr/bin/python3 bench/pytorch_weights.py --spec 28x28x1-conv=32x3x3:relu:valid-maxpool=2-flatten-128:relu-10:softmax
(scripts/run-pytorch-weights.sh installs what it needs, builds and runs this.)"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_backend import build, keras_weights, load_fashion  # noqa: E402

TOLERANCE = 1e-5


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("--spec", default="784-64:relu-10:softmax")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()

    torch.manual_seed(0)
    (train_x, train_y), (test_x, test_y) = load_fashion(args.data)
    model = build(args.spec)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        order = torch.randperm(len(train_x))
        for first in range(0, len(order), 128):
            batch = order[first : first + 128]
            optimizer.zero_grad()
            F.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        inputs = test_x[:1000]
        expected = F.softmax(model(inputs), dim=1).numpy()
        accuracy = float((model(test_x).argmax(1) == test_y).float().mean())
    print(f"PyTorch {torch.__version__}: {args.spec}, {args.epochs} epochs of Adam, test accuracy {accuracy:.4f}")

    weights = keras_weights(model)

    with tempfile.TemporaryDirectory() as directory:
        npz, x, y, ctnn_model = (os.path.join(directory, name) for name in ("weights.npz", "x.npy", "y.npy", "model.ctnn"))
        np.savez(npz, **weights)
        np.save(x, inputs.numpy())
        subprocess.run([os.path.join(args.build, "examples", "import_npz"), args.spec, npz, "--inputs", x, "--outputs", y,
                        "--evaluate", "--data", args.data, "--save", ctnn_model], check=True)
        got = np.load(y)
        header = os.path.join(directory, "pytorch_model.hpp")
        subprocess.run([os.path.join(args.build, "ctnn-export"), ctnn_model, "--name", "pytorch_model", "--classes",
                        "fashion-mnist", "-o", header], check=True)

    difference = float(np.abs(got - expected).max())
    agree = int((got.argmax(1) == expected.argmax(1)).sum())
    print(f"ctnn vs PyTorch on 1,000 test images: largest difference {difference:.2e} (tolerance {TOLERANCE:g}), "
          f"same class for {agree}/1000")
    if difference > TOLERANCE:
        sys.exit("the predictions differ by more than the tolerance")


if __name__ == "__main__":
    main()
