"""Part C: confusion_matrix agrees with scikit-learn on random labels (NumPy arrays and tensors, classes
absent from the labels, the predictions or both); per_class_accuracy is each row's diagonal share, NaN for
an empty row; most_confused_pairs lists the largest off-diagonal counts in the order the notebook states."""

import numpy as np
import pytest
import torch
from _reference import most_confused_pairs
from sklearn.metrics import confusion_matrix

from hw_utils.testing import StudentError, assert_array, fail


def call(student, name, *args):
    try:
        return getattr(student, name)(*args)
    except StudentError as err:
        fail(f"{name}(...) raised: {str(err).strip().splitlines()[-1]:.400}")


def random_labels(rng, k, n):
    """Labels and predictions drawn from two random subsets of the k classes: some classes absent from either."""
    true_classes = rng.choice(k, size=int(rng.integers(1, k + 1)), replace=False)
    pred_classes = rng.choice(k, size=int(rng.integers(1, k + 1)), replace=False)
    return rng.choice(true_classes, n), rng.choice(pred_classes, n)


@pytest.mark.points(2)
def test_confusion_matrix_matches_sklearn(student):
    rng = np.random.default_rng(3)
    for case in range(12):
        k, n = int(rng.integers(2, 13)), int(rng.integers(1, 400))
        y_true, y_pred = random_labels(rng, k, n)
        as_tensor = case % 2 == 1
        args = (torch.from_numpy(y_true), torch.from_numpy(y_pred)) if as_tensor else (y_true, y_pred)
        what = (f"confusion_matrix(y_true, y_pred, num_classes={k}) on {n} random labels given as "
                f"{'int64 tensors' if as_tensor else 'NumPy int64 arrays'}, classes "
                f"{sorted(set(range(k)) - set(y_true.tolist()))} absent from y_true and "
                f"{sorted(set(range(k)) - set(y_pred.tolist()))} from y_pred")
        got = call(student, "confusion_matrix", *args, k)
        assert_array(got, np.int64, (k, k), what)
        want = confusion_matrix(y_true, y_pred, labels=list(range(k)))
        if not np.array_equal(got, want):
            i, j = (int(v) for v in np.argwhere(got != want)[0])
            fail(f"{what}: entry [{i}, {j}] (true class {i}, predicted {j}) should be {want[i, j]} as scikit-learn "
                 f"counts it, got {got[i, j]} (rows are true classes, columns predictions)")


@pytest.mark.points(1)
def test_per_class_accuracy(student):
    rng = np.random.default_rng(4)
    for _ in range(8):
        k = int(rng.integers(2, 11))
        C = rng.integers(0, 20, size=(k, k))
        C[rng.random(k) < 0.3] = 0  # classes without examples
        C[rng.integers(k), :] = 0
        what = f"per_class_accuracy(C) for the {k}x{k} matrix C = {C.tolist()}"
        got = call(student, "per_class_accuracy", C)
        assert_array(got, np.float64, (k,), what)
        with np.errstate(invalid="ignore", divide="ignore"):
            want = np.diag(C) / C.sum(axis=1)
        if not np.array_equal(np.isnan(got), np.isnan(want)):
            fail(f"{what}: expected NaN exactly for the classes without examples (zero rows) "
                 f"{np.flatnonzero(np.isnan(want)).tolist()}, got NaN at {np.flatnonzero(np.isnan(got)).tolist()}")
        ok = np.isnan(want) | np.isclose(got, want, rtol=1e-12, atol=0)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            fail(f"{what}: class {i} should be C[{i}, {i}] / C[{i}, :].sum() = {want[i]:.6g}, got {got[i]:.6g}")


@pytest.mark.points(1)
def test_most_confused_pairs(student):
    rng = np.random.default_rng(5)
    for case in range(10):
        k = int(rng.integers(2, 9))
        C = rng.integers(0, 4 if case % 2 else 30, size=(k, k))  # small counts: many ties
        C[rng.random((k, k)) < 0.4] = 0
        C[np.diag_indices(k)] = rng.integers(50, 100, k)
        top = int(rng.integers(1, 2 * k))
        got = call(student, "most_confused_pairs", C, top)
        want = most_confused_pairs(C, top)
        as_ints = isinstance(got, list) and all(
            isinstance(p, tuple) and len(p) == 3 and all(type(v) is int for v in p) for p in got)
        if not as_ints or got != want:
            fail(f"most_confused_pairs(C, k={top}) for C = {C.tolist()}: expected the list of (true, predicted, count) "
                 f"int tuples {want} (largest count first, ties by true then predicted class, no zeros, never the "
                 f"diagonal), got {got!r:.400}")
