"""Trusted references for hw00, computed in the grader (float64): the answers to Part A's array
questions, the line model's loss, gradient and gradient-descent path of Part B by their formulas,
and the inputs Part C's tests build (images that carry their own index, so a split or a shuffle
can be traced back to the original rows)."""

import math

import numpy as np

# pairwise_sq_dists on X (200, d) and Y (150, d): a loop over the rows of either takes at least
# 150 Python steps; array expressions (and a loop over the few columns) far fewer.
MAX_STEPS = 100


def pairwise_sq_dists(X, Y):
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)


def standardise_columns(X):
    X = np.asarray(X, np.float64)
    return (X - X.mean(axis=0)) / X.std(axis=0)


def line_loss_and_grads(x, y, a, b):
    """L = mean((a x + b - y)^2) and its partial derivatives, by the formulas."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    r = a * x + b - y
    return {"loss": float(np.mean(r ** 2)), "grad_a": float(2 * np.mean(r * x)), "grad_b": float(2 * np.mean(r))}


def fit_line(x, y, steps, lr):
    a = b = 0.0
    for _ in range(steps):
        g = line_loss_and_grads(x, y, a, b)
        a, b = a - lr * g["grad_a"], b - lr * g["grad_b"]
    return a, b


def indexed_images(n, shape=(1, 3, 3), dtype=np.float32):
    """n images of `shape` whose every pixel is the image's index: a row says where it came from."""
    return (np.arange(n, dtype=np.float64).reshape(n, *([1] * len(shape))) * np.ones(shape)).astype(dtype)


def labels_with_counts(counts, seed):
    """Labels with counts[k] copies of class k, in a random order."""
    y = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    return np.random.default_rng(seed).permutation(y)


def size_of_test_part(n, test_size):
    """How many of n images the test part holds (train_test_split's rule)."""
    return math.ceil(test_size * n)
