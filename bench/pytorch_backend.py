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


class ChannelsFirst(torch.nn.Module):
    """Rows of height x width x channels floats (ctnn's and Keras's channels-last layout) as PyTorch's
    (N, C, H, W) maps."""

    def __init__(self, height, width, channels):
        super().__init__()
        self.shape = (height, width, channels)

    def forward(self, x):
        return x.reshape(-1, *self.shape).permute(0, 3, 1, 2)


class FlattenChannelsLast(torch.nn.Module):
    """Keras's Flatten: maps flattened in (height, width, channels) order, so that a Dense kernel that
    follows is the same matrix in ctnn, Keras and here."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


class Rescale(torch.nn.Module):
    def __init__(self, scale, offset):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x):
        return x * self.scale + self.offset


def activation_layer(name):
    return [ACTIVATIONS[name]()] if ACTIVATIONS.get(name) is not None else []


def build(spec):
    """nn.Sequential for a spec such as "784-400:relu-20:relu-10:softmax" or
    "28x28x1-conv=32x3x3:relu:valid-maxpool=2-flatten-128:relu-10:softmax" (ctnn's spec language).
    Dense options: activations, batchnorm[=momentum] and dropout=rate are built (in ctnn's order:
    activation, BatchNorm1d with Keras's epsilon, Dropout); regularisers and initialisers do not change
    the timing and are ignored. Layer words: conv=FxHxW[:act][:same|valid][:stride=S],
    maxpool=P[xQ][:stride=S], avgpool=..., globalavgpool, flatten, batchnorm[=m] (BatchNorm2d on maps),
    dropout=rate, rescale=s[,o] and the activations. Images come in as ctnn's channels-last rows and are
    flattened channels last. It returns logits: softmax is applied for prediction and fused into
    cross_entropy for training, as PyTorch users do."""
    tokens = spec.split("-")
    extents = [int(e) for e in tokens[0].split("x")]
    layers = []
    if len(extents) == 3:
        layers.append(ChannelsFirst(*extents))
        shape = tuple(extents)  # height, width, channels
    else:
        shape = (extents[0],)
    for token in tokens[1:]:
        parts = token.split(":")
        word, _, value = parts[0].partition("=")
        options = dict(option.partition("=")[::2] for option in parts[1:])
        if word == "conv":
            filters, kh, kw = (int(v) for v in value.split("x"))
            stride = int(options.get("stride", 1))
            same = "same" in options
            if same and stride != 1:
                raise ValueError("padding 'same' with a stride is not built here")
            layers.append(torch.nn.Conv2d(shape[2], filters, (kh, kw), stride=stride, padding="same" if same else 0))
            layers += activation_layer(next((o for o in options if o in ACTIVATIONS), "relu"))
            height = shape[0] if same else (shape[0] - kh) // stride + 1
            width = shape[1] if same else (shape[1] - kw) // stride + 1
            shape = (height, width, filters)
        elif word in ("maxpool", "avgpool"):
            ph, _, pw = value.partition("x")
            ph, pw = int(ph), int(pw or ph)
            stride = int(options.get("stride", ph))
            pool = torch.nn.MaxPool2d if word == "maxpool" else torch.nn.AvgPool2d
            layers.append(pool((ph, pw), stride=stride))
            shape = ((shape[0] - ph) // stride + 1, (shape[1] - pw) // stride + 1, shape[2])
        elif word == "globalavgpool":
            layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()]
            shape = (shape[2],)
        elif word == "flatten":
            layers.append(FlattenChannelsLast())
            shape = (shape[0] * shape[1] * shape[2],)
        elif word == "batchnorm":  # Keras's momentum m is PyTorch's 1 - m
            norm = torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d
            layers.append(norm(shape[-1], eps=1e-3, momentum=1.0 - float(value or 0.99)))
        elif word == "dropout":
            layers.append(torch.nn.Dropout(float(value)))
        elif word == "rescale":
            scale, _, offset = value.partition(",")
            layers.append(Rescale(float(scale), float(offset or 0)))
        elif word in ACTIVATIONS:
            layers += activation_layer(word)
        else:
            outputs, dense_options = int(parts[0]), parts[1:]
            activation = next((option for option in dense_options if option in ACTIVATIONS or option == "softmax"), "relu")
            layers.append(torch.nn.Linear(shape[0], outputs))
            if activation != "softmax":
                layers += activation_layer(activation)
            for option in dense_options:
                name, _, value = option.partition("=")
                if name == "batchnorm":
                    layers.append(torch.nn.BatchNorm1d(outputs, eps=1e-3, momentum=1.0 - float(value or 0.99)))
            for option in dense_options:
                name, _, value = option.partition("=")
                if name == "dropout":
                    layers.append(torch.nn.Dropout(float(value)))
            shape = (outputs,)
    return torch.nn.Sequential(*layers)


def keras_weights(model):
    """The model's weights as Keras names them (conv2d/kernel, dense_1/bias, batch_normalization/gamma,
    ...), in Keras's layouts: a Dense kernel is nn.Linear.weight transposed; a Conv2D kernel is
    (height, width, in, out), nn.Conv2d.weight (out, in, height, width) permuted by (2, 3, 1, 0)."""
    counts, weights = {}, {}

    def name(kind):
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        return kind if index == 0 else f"{kind}_{index}"

    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            layer_name = name("dense")
            weights[f"{layer_name}/kernel"] = layer.weight.detach().numpy().T.copy()
            weights[f"{layer_name}/bias"] = layer.bias.detach().numpy().copy()
        elif isinstance(layer, torch.nn.Conv2d):
            layer_name = name("conv2d")
            weights[f"{layer_name}/kernel"] = layer.weight.detach().permute(2, 3, 1, 0).numpy().copy()
            weights[f"{layer_name}/bias"] = layer.bias.detach().numpy().copy()
        elif isinstance(layer, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            layer_name = name("batch_normalization")
            for keras, tensor in (("gamma", layer.weight), ("beta", layer.bias), ("moving_mean", layer.running_mean),
                                  ("moving_variance", layer.running_var)):
                weights[f"{layer_name}/{keras}"] = tensor.detach().numpy().copy()
    return weights


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
