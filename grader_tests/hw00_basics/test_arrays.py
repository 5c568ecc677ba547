"""Part A: NumPy. Array creation, slicing, views and copies, reductions along axes, broadcasting,
a vectorised distance matrix (its values, and its Python steps counted exactly by the given
python_steps, never timed), and a seeded shuffle."""

import numpy as np
import pytest
from _reference import MAX_STEPS, pairwise_sq_dists, standardise_columns

from hw_utils.testing import assert_close, assert_keys, assert_shape, fail, type_name


def numpy_array(value, call):
    if not isinstance(value, np.ndarray):
        fail(f"{call} should return a NumPy array, got {type_name(value)}")
    return value


def same_array(got, want, name):
    """Exactly equal values and shape (slices and integer results)."""
    assert_shape(got, want.shape, name)
    if not np.array_equal(np.asarray(got), want):
        raise AssertionError(f"{name}: expected\n{want}\ngot\n{np.asarray(got)}")


@pytest.mark.points(1)
def test_make_grid(student):
    """An integer array of shape (rows, cols) holding i * cols + j, for several shapes."""
    for rows, cols in [(1, 1), (3, 7), (5, 2), (12, 12)]:
        call = f"make_grid({rows}, {cols})"
        got = numpy_array(student.make_grid(rows, cols), call)
        if not np.issubdtype(got.dtype, np.integer):
            fail(f"{call} should hold integers, got dtype {got.dtype}")
        same_array(got, np.arange(rows * cols).reshape(rows, cols), call)


@pytest.mark.points(2)
def test_slices(student):
    """The last row, every other column, the rows reversed and the inner block, on arrays of
    several shapes (an even and an odd number of columns)."""
    rng = np.random.default_rng(5)
    for A in [rng.integers(-50, 50, size=(7, 9)), rng.normal(size=(3, 4)), rng.normal(size=(4, 3))]:
        call = f"slices(A of shape {A.shape})"
        got = student.slices(A)
        assert_keys(got, ["last_row", "every_other_column", "reversed_rows", "inner"], call)
        want = {"last_row": A[-1], "every_other_column": A[:, ::2], "reversed_rows": A[::-1], "inner": A[1:-1, 1:-1]}
        for key, value in want.items():
            same_array(got[key], value, f'{call}["{key}"]')


def negative_and_positive_inputs():
    rng = np.random.default_rng(7)
    return [rng.normal(size=(5, 6)), rng.integers(-9, 9, size=12), rng.normal(size=(2, 3, 4)).astype(np.float32)]


@pytest.mark.points(1)
def test_zero_negatives_values(student):
    """Negative elements become 0, the others stay; shape and dtype of the input."""
    for A in negative_and_positive_inputs():
        call = f"zero_negatives(A {A.dtype} {A.shape})"
        got = numpy_array(student.zero_negatives(A), call)
        if got.dtype != A.dtype:
            fail(f"{call} returned dtype {got.dtype}: keep the input's dtype {A.dtype}")
        same_array(got, np.where(A < 0, 0, A).astype(A.dtype), call)


@pytest.mark.points(1)
def test_zero_negatives_leaves_its_input_alone(student):
    """Watched by the given watch_call: the input is unchanged and the output does not share its memory."""
    watched = student.reference_to("zero_negatives")
    for A in negative_and_positive_inputs():
        call = f"zero_negatives(A {A.dtype} {A.shape})"
        _, changed, follows = student.watch_call(watched, A)
        if changed:
            fail(f"{call} changed its input A in place: work on a copy (or use np.maximum / np.where)")
        if follows:
            fail(f"{call} returned an array that shares A's memory: return a new array")


@pytest.mark.points(2)
def test_axis_summaries(student):
    """Column means (d,), row maxima (n,), row argmax (n,) integers and the total, on n != d."""
    rng = np.random.default_rng(11)
    for n, d in [(6, 4), (3, 8), (1, 5)]:
        X = rng.normal(size=(n, d))
        call = f"axis_summaries(X of shape {X.shape})"
        got = student.axis_summaries(X)
        assert_keys(got, ["column_means", "row_maxima", "row_argmax", "total"], call)
        assert_close(got["column_means"], X.mean(axis=0), f'{call}["column_means"]')
        assert_close(got["row_maxima"], X.max(axis=1), f'{call}["row_maxima"]')
        argmax = got["row_argmax"]
        if hasattr(argmax, "dtype") and not np.issubdtype(np.asarray(argmax).dtype, np.integer):
            fail(f'{call}["row_argmax"] should hold integer indices, got dtype {argmax.dtype}')
        same_array(np.asarray(argmax), X.argmax(axis=1), f'{call}["row_argmax"]')
        assert_close(got["total"], X.sum(), f'{call}["total"]')


@pytest.mark.points(1)
def test_standardise_columns(student):
    """(X - column means) / column standard deviations (ddof=0), columns of very different scales."""
    rng = np.random.default_rng(13)
    for n, d in [(40, 3), (7, 5)]:
        X = rng.normal(size=(n, d)) * np.array([0.1, 1, 10, 100, 1000][:d]) + np.arange(d) * 5
        assert_close(student.standardise_columns(X), standardise_columns(X), f"standardise_columns(X of shape {X.shape})",
                     rtol=1e-5, atol=1e-6)


def points(seed, n, m, d):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)) + 0.5


@pytest.mark.points(2)
def test_pairwise_sq_dists_values(student):
    """D[i, j] = ||X[i] - Y[j]||^2 on shapes of several kinds (one column, one row, X = Y);
    float32 precision is enough (a torch implementation is fine)."""
    cases = [points(1, 7, 5, 3), points(2, 1, 4, 1), points(3, 9, 1, 6)]
    X = np.random.default_rng(4).normal(size=(20, 8))
    cases.append((X, X.copy()))
    for X, Y in cases:
        call = f"pairwise_sq_dists(X {X.shape}, Y {Y.shape})"
        assert_close(student.pairwise_sq_dists(X, Y), pairwise_sq_dists(X, Y), call, rtol=1e-5, atol=1e-5)


@pytest.mark.points(2)
def test_pairwise_sq_dists_has_no_python_loop(student):
    """Counted by the given python_steps on X (200, 6) and Y (150, 6): at most 100 Python steps,
    where a loop over the rows takes at least 150. The count does not depend on the machine."""
    X, Y = points(5, 200, 150, 6)
    call = f"pairwise_sq_dists(X {X.shape}, Y {Y.shape})"
    D, steps = student.python_steps(student.reference_to("pairwise_sq_dists"), X, Y)
    assert_close(D, pairwise_sq_dists(X, Y), call, rtol=1e-5, atol=1e-5)
    if steps > MAX_STEPS:
        fail(f"{call} executed {steps} lines of Python (counted by python_steps), at most {MAX_STEPS} allowed: "
             f"replace the loop over the rows by array operations (broadcasting or a matrix product)")


def shuffle_inputs(n=60):
    X = np.arange(n, dtype=np.float64)[:, None, None] * np.ones((1, 2, 2))  # row k is filled with k
    y = np.arange(n) * 3 + 1  # its label is 3 k + 1
    return X, y


def shuffled(student, X, y, seed):
    call = f"shuffle_together(X {X.shape}, y {y.shape}, seed={seed})"
    got = student.shuffle_together(X, y, seed)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"{call} should return a pair (X_shuffled, y_shuffled), got {type_name(got)}")
    Xs, ys = np.asarray(got[0]), np.asarray(got[1])
    assert_shape(Xs, X.shape, f"{call}: X_shuffled")
    assert_shape(ys, y.shape, f"{call}: y_shuffled")
    return Xs, ys, call


@pytest.mark.points(1)
def test_shuffle_together_keeps_pairs(student):
    """Every row exactly once, each with its own label, in a new order."""
    X, y = shuffle_inputs()
    for seed in (0, 17):
        Xs, ys, call = shuffled(student, X, y, seed)
        index = Xs[:, 0, 0]
        if sorted(index.tolist()) != list(range(len(X))) or not np.all(Xs == index[:, None, None]):
            fail(f"{call}: X_shuffled should hold every row of X exactly once")
        if not np.array_equal(ys, index * 3 + 1):
            fail(f"{call}: the labels were not moved with their rows (one permutation for both)")
        if np.array_equal(index, np.arange(len(X))):
            fail(f"{call} returned the rows in their original order: nothing was shuffled")


@pytest.mark.points(1)
def test_shuffle_together_is_reproducible(student):
    """The same seed gives the same order (twice in a row); five seeds give five different orders."""
    X, y = shuffle_inputs()
    orders = []
    for seed in (0, 1, 2, 3, 42):
        _, first, call = shuffled(student, X, y, seed)
        _, second, _ = shuffled(student, X, y, seed)
        if not np.array_equal(first, second):
            fail(f"{call} called twice gave two different orders: draw from np.random.default_rng(seed)")
        orders.append(first.tolist())
    if len({tuple(o) for o in orders}) < len(orders):
        fail("shuffle_together gave the same order for two different seeds: use the seed argument")
