"""PyTorch's side of the side-by-side benchmark: the same networks (built from the same specs),
the same data, batch size, float32 and thread count as bench_compare_backends, measured the way
a PyTorch user runs them (nn.Sequential, cross_entropy on logits, torch.optim.SGD).
Returns samples in the same form as the C++ benchmark's JSON."""

import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "linear": None}


def build(spec):
    """nn.Sequential for a spec such as "784-400:relu-20:relu-10:softmax". Activations, batchnorm[=momentum]
    and dropout=rate are built (in ctnn's order: activation, BatchNorm1d with Keras's epsilon, Dropout);
    regularisers and initialisers do not change the timing and are ignored. It returns logits: softmax is
    applied for prediction and fused into cross_entropy for training, as PyTorch users do."""
    tokens = spec.split("-")
    layers, inputs = [], int(tokens[0])
    for token in tokens[1:]:
        parts = token.split(":")
        outputs, options = int(parts[0]), parts[1:]
        activation = next((option for option in options if option in ACTIVATIONS or option == "softmax"), "relu")
        layers.append(torch.nn.Linear(inputs, outputs))
        if activation != "softmax" and ACTIVATIONS[activation] is not None:
            layers.append(ACTIVATIONS[activation]())
        for option in options:
            name, _, value = option.partition("=")
            if name == "batchnorm":  # Keras's momentum m is PyTorch's 1 - m
                layers.append(torch.nn.BatchNorm1d(outputs, eps=1e-3, momentum=1.0 - float(value or 0.99)))
        for option in options:
            name, _, value = option.partition("=")
            if name == "dropout":
                layers.append(torch.nn.Dropout(float(value)))
        inputs = outputs
    return torch.nn.Sequential(*layers)


def read_idx(directory, stem, kind):
    for name in (f"{stem}-{kind}", f"{stem}-{kind}.gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as file:
                content = file.read()
            dims = content[3]
            shape = struct.unpack(">" + "I" * dims, content[4 : 4 + 4 * dims])
            return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise FileNotFoundError(f"{directory}: no {stem}-{kind} (plain or .gz)")


def load_fashion(directory):
    def pair(stem):
        images = read_idx(directory, stem, "images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255.0
        labels = read_idx(directory, stem, "labels-idx1-ubyte").astype(np.int64)
        return torch.from_numpy(images), torch.from_numpy(labels)

    return pair("train"), pair("t10k")


def synthetic(count, features, classes, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(count, features, generator=generator), torch.randint(0, classes, (count,), generator=generator)


def timer_overhead():
    samples = []
    for _ in range(20000):
        start = time.perf_counter_ns()
        samples.append(time.perf_counter_ns() - start)
    return float(np.median(samples)) * 1e-9


class Measurer:
    def __init__(self, spec, train, test, batch):
        torch.manual_seed(1)
        self.model = build(spec)
        self.train_x, self.train_y = train
        self.test_x, self.test_y = test
        self.batch = batch
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01)
        self.order = torch.randperm(len(self.train_x))
        self.next = 0
        self.samples = {"latency": [], "batched_s": [], "step_s": [], "epoch_s": []}
        self.singles = [self.test_x[i : i + 1] for i in range(len(self.test_x))]

    def latency(self, calls, overhead):
        self.model.eval()  # batch norm's moving statistics, no dropout
        with torch.inference_mode():
            for i in range(calls):
                sample = self.singles[i % len(self.singles)]
                start = time.perf_counter_ns()
                F.softmax(self.model(sample), dim=1)
                self.samples["latency"].append(max(0.0, (time.perf_counter_ns() - start) * 1e-9 - overhead))

    def batched(self):
        self.model.eval()
        with torch.inference_mode():
            start = time.perf_counter()
            F.softmax(self.model(self.test_x), dim=1)
            self.samples["batched_s"].append(time.perf_counter() - start)

    def _step(self, indices):
        self.model.train()
        x, y = self.train_x[indices], self.train_y[indices]
        self.optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(self.model(x), y).backward()
        self.optimizer.step()

    def step(self):
        indices = self.order[self.next : self.next + self.batch]
        start = time.perf_counter()
        self._step(indices)
        self.samples["step_s"].append(time.perf_counter() - start)
        self.next = (self.next + self.batch) % (len(self.train_x) - self.batch)

    def epoch(self):
        start = time.perf_counter()
        order = torch.randperm(len(self.train_x))
        for first in range(0, len(order), self.batch):
            self._step(order[first : first + self.batch])
        self.samples["epoch_s"].append(time.perf_counter() - start)

    def result(self):
        latency = sorted(self.samples["latency"])
        return {
            "latency_median_s": float(np.median(latency)),
            "latency_p99_s": latency[int(0.99 * (len(latency) - 1) + 0.5)],
            "latency_calls": len(latency),
            "batched_s": self.samples["batched_s"],
            "step_s": self.samples["step_s"],
            "epoch_s": self.samples["epoch_s"],
        }


def measure(network, fashion, synthetic_data, overhead):
    """One round for one network, with the repetitions the C++ round used (read from its JSON).
    synthetic_data maps the names of the networks that train on random data to (train, test)."""
    backend = network["backends"]["generated"]
    train, test = synthetic_data.get(network["name"], fashion)
    measurer = Measurer(network["spec"], train, test, network["batch"])
    for _ in range(0, backend["latency_calls"], 1000):
        measurer.latency(1000, overhead)
    for _ in backend["batched_s"]:
        measurer.batched()
    for _ in backend["step_s"]:
        measurer.step()
    for _ in backend["epoch_s"]:
        measurer.epoch()
    return measurer.result()


def configure(threads):
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # as ctnn does during training


def main():
    """Run as a program (by compare.py, with the thread variables already in the environment):
    reads one C++ round's JSON on stdin, measures PyTorch on the same networks and repetitions,
    and writes {network name: samples} as JSON on stdout."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    configure(args.threads)
    cpp_round = json.load(sys.stdin)
    fashion = load_fashion(args.data)
    synthetic_data = {"tiny": (synthetic(60000, 16, 4, 1), synthetic(10000, 16, 4, 2)),
                      "micro": (synthetic(60000, 24, 2, 3), synthetic(10000, 24, 2, 4))}
    overhead = timer_overhead()
    results = {}
    for network in cpp_round["networks"]:
        print(f"  {network['name']} pytorch, {args.threads} threads", file=sys.stderr)
        results[network["name"]] = measure(network, fashion, synthetic_data, overhead)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
