#!/usr/bin/env python3
"""Writes duckinfer's PyTorch fixtures: small models exported by torch.onnx.export, with
PyTorch's own outputs for their inputs, so tests check duckinfer against the exporter.

Not run by CI; its outputs are committed beside it. Run by hand (Debian 12):

    apt-get install -y python3-torch python3-onnx     # torch 1.13.1, onnx 1.12
    /usr/bin/python3 testdata/torch/gen.py

Each task folder gets model.onnx, task.json and expected.csv (the input columns, then
PyTorch's predicted label and confidence, or its prediction for the regressor).
"""
import csv
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = 64


def export(model, name, args, input_names, output_name, task):
    """The export steps the README's "Export from PyTorch" section shows."""
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    model.eval()
    # One dynamic axis per input and the output: the batch (rows) dimension.
    axes = {n: {0: "N"} for n in input_names + [output_name]}
    torch.onnx.export(model, args, os.path.join(folder, "model.onnx"),
                      input_names=input_names, output_names=[output_name],
                      dynamic_axes=axes, opset_version=13)
    with open(os.path.join(folder, "task.json"), "w") as f:
        json.dump(task, f, indent=2)
        f.write("\n")
    return folder


def write_expected(folder, header, rows):
    with open(os.path.join(folder, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


class Mixed(torch.nn.Module):
    """A category (int64, through an embedding) and three measures (float32) → 3 logits."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(5, 4)
        self.net = torch.nn.Sequential(torch.nn.Linear(7, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))

    def forward(self, category, measures):
        return self.net(torch.cat([self.emb(category), measures], dim=1))


class Double(torch.nn.Module):
    """Two float64 columns → float32 probabilities; the logits scale a - b by 40, so
    inputs near 1000 only give PyTorch's answer if they reach the model as float64."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 2).double()
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([[40.0, -40.0], [-40.0, 40.0]], dtype=torch.float64))
            self.linear.bias.zero_()

    def forward(self, x):
        return torch.softmax(self.linear(x), dim=1).float()


def gen_mixed():
    torch.manual_seed(1)
    model = Mixed()
    labels = ["low", "mid", "high"]
    cat = torch.tensor([i % 5 for i in range(ROWS)], dtype=torch.int64)
    # Three decimals, so the CSV holds the exact inputs (float32 of the decimal).
    meas = [[round(float(v), 3) for v in row] for row in torch.randn(ROWS, 3) * 2]
    meas_t = torch.tensor(meas, dtype=torch.float32)
    folder = export(model, "torch_mixed", (cat, meas_t), ["category", "measures"], "logits", {
        "description": "PyTorch fixture: int64 category (embedding) + float32 measures -> logits",
        "inputs": [
            {"name": "category", "type": "int64", "columns": ["category"]},
            {"name": "measures", "type": "float32", "columns": ["m1", "m2", "m3"]},
        ],
        "output": "logits",
        "scores": "logits",
        "labels": labels,
    })
    with torch.no_grad():
        probs = torch.softmax(model(cat, meas_t).double(), dim=1)
    rows = []
    for i in range(ROWS):
        p, c = probs[i].max(dim=0)
        rows.append([i, int(cat[i])] + meas[i] + [labels[int(c)], "%.9f" % float(p)])
    write_expected(folder, ["id", "category", "m1", "m2", "m3", "expected_class", "expected_confidence"], rows)


def gen_double():
    model = Double()
    labels = ["left", "right"]
    x = [[1000.0 + (i % 7) * 0.0123457, 1000.0 + (i % 5) * 0.0098765] for i in range(ROWS)]
    x_t = torch.tensor(x, dtype=torch.float64)
    folder = export(model, "torch_double", (x_t,), ["x"], "probabilities", {
        "description": "PyTorch fixture: two float64 columns -> probabilities",
        "inputs": [{"name": "x", "type": "float64", "columns": ["a", "b"]}],
        "output": "probabilities",
        "labels": labels,
    })
    with torch.no_grad():
        probs = model(x_t).double()
    rows = []
    for i in range(ROWS):
        p, c = probs[i].max(dim=0)
        rows.append([i, repr(x[i][0]), repr(x[i][1]), labels[int(c)], "%.9f" % float(p)])
    write_expected(folder, ["id", "a", "b", "expected_class", "expected_confidence"], rows)


class ArrayNet(torch.nn.Module):
    """One [N, 4] float32 input, fed by one FLOAT[4] column -> probabilities."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))

    def forward(self, features):
        return torch.softmax(self.net(features), dim=1)


def gen_array():
    torch.manual_seed(2)
    model = ArrayNet()
    labels = ["a", "b", "c"]
    feats = [[round(float(v), 3) for v in row] for row in torch.randn(ROWS, 4) * 3]
    feats_t = torch.tensor(feats, dtype=torch.float32)
    folder = export(model, "torch_array", (feats_t,), ["features"], "probabilities", {
        "description": "PyTorch fixture: one FLOAT[4] column -> probabilities",
        "inputs": [{"name": "features", "type": "float32", "columns": ["features"]}],
        "output": "probabilities",
        "labels": labels,
    })
    with torch.no_grad():
        probs = model(feats_t).double()
    rows = []
    for i in range(ROWS):
        p, c = probs[i].max(dim=0)
        rows.append([i, "[" + ", ".join(repr(v) for v in feats[i]) + "]", labels[int(c)], "%.9f" % float(p)])
    write_expected(folder, ["id", "features", "expected_class", "expected_confidence"], rows)


class MLPRegressor(torch.nn.Module):
    """Three float32 columns -> one value per row, [N, 1]."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

    def forward(self, x):
        return self.net(x)


def gen_regress():
    torch.manual_seed(3)
    model = MLPRegressor()
    x = [[round(float(v), 3) for v in row] for row in torch.randn(ROWS, 3) * 2]
    x_t = torch.tensor(x, dtype=torch.float32)
    folder = export(model, "torch_regress", (x_t,), ["x"], "y", {
        "description": "PyTorch fixture: MLP regressor, three float32 columns -> one value",
        "kind": "regress",
        "inputs": [{"name": "x", "type": "float32", "columns": ["x1", "x2", "x3"]}],
        "output": "y",
    })
    with torch.no_grad():
        y = model(x_t)
    rows = [[i] + x[i] + ["%.9g" % float(y[i, 0])] for i in range(ROWS)]
    write_expected(folder, ["id", "x1", "x2", "x3", "expected_prediction"], rows)


if __name__ == "__main__":
    gen_mixed()
    gen_double()
    gen_array()
    gen_regress()
