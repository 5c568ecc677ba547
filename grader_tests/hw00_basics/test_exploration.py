"""Part C: exploring a labelled image set laid out as the challenge file is (images (N, 1, H, W),
int64 labels). The grader builds its own sets: imbalanced, with absent classes, shuffled, and with
images that carry their own index so that a split can be traced back to the original rows."""

import math

import numpy as np
import pytest
import torch
from _reference import indexed_images, labels_with_counts, size_of_test_part

from hw_utils.testing import assert_close, fail, type_name


def integer_result(value, length, call):
    got = np.asarray(value)
    if got.shape != (length,):
        fail(f"{call} should return {length} numbers, got shape {got.shape}")
    if not np.issubdtype(got.dtype, np.integer):
        fail(f"{call} should return integers, got dtype {got.dtype}")
    return got


@pytest.mark.points(1)
def test_class_counts(student):
    """Counts per class, 0 for a class that does not occur (also the last ones: num_classes is
    larger than the largest label)."""
    for counts, num_classes in [([30, 0, 7, 120, 1], 5), ([5, 9, 0, 2, 0, 0], 6), ([400] * 10, 10),
                                ([3, 1], 10)]:
        y = labels_with_counts(counts, seed=len(counts))
        want = np.zeros(num_classes, np.int64)
        want[:len(counts)] = counts
        call = f"class_counts(labels with counts {counts}, num_classes={num_classes})"
        got = integer_result(student.class_counts(y, num_classes), num_classes, call)
        if not np.array_equal(got, want):
            fail(f"{call} = {got.tolist()}, expected {want.tolist()}")


@pytest.mark.points(1)
def test_first_index_of_each_class(student):
    """The first position of each class in shuffled labels (not sorted: no search by order)."""
    for counts in ([4, 9, 2, 7], [1] * 10, [50, 3, 20]):
        y = labels_with_counts(counts, seed=sum(counts))
        want = np.array([int(np.flatnonzero(y == k)[0]) for k in range(len(counts))])
        call = f"first_index_of_each_class(shuffled labels {y.tolist()[:12]}..., num_classes={len(counts)})"
        got = integer_result(student.first_index_of_each_class(y, len(counts)), len(counts), call)
        if not np.array_equal(got, want):
            fail(f"{call} = {got.tolist()}, expected {want.tolist()}")


def image_sets():
    rng = np.random.default_rng(21)
    tiny = rng.uniform(0, 1, size=(3, 1, 2, 2)).astype(np.float32)  # 12 pixels: dividing by 11 or 12 differs
    small = (0.3 + 0.2 * rng.normal(size=(50, 1, 8, 8))).astype(np.float32)
    digits_like = (rng.uniform(size=(20, 1, 28, 28)) > 0.8).astype(np.float64)
    return [tiny, small, digits_like]


@pytest.mark.points(1)
def test_pixel_mean_std(student):
    """One mean and one standard deviation (dividing by the count) over every pixel, as Python
    floats; on 12 pixels dividing by 11 instead of 12 shows."""
    for x in image_sets():
        call = f"pixel_mean_std(data_x {x.dtype} {x.shape})"
        got = student.pixel_mean_std(x)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"{call} should return a pair (mean, std), got {type_name(got)}")
        for name, value, want in zip(("mean", "std"), got, (x.astype(np.float64).mean(), x.astype(np.float64).std())):
            if isinstance(value, bool) or not isinstance(value, float):
                fail(f"{call}: the {name} should be a Python float, got {type_name(value)} {value!r:.60}")
            if not math.isclose(value, want, rel_tol=1e-5):
                fail(f"{call}: {name} = {value:.6g}, expected {want:.6g} over all {x.size} pixels")


@pytest.mark.points(1)
def test_normalise(student):
    """(x - mean) / std as float32 of the same shape, from float32 and float64 images."""
    for x, mean, std in zip(image_sets(), (0.4, 0.3, 0.2), (0.25, 0.2, 0.4)):
        call = f"normalise(data_x {x.dtype} {x.shape}, mean={mean}, std={std})"
        got = student.normalise(x, mean, std)
        if not isinstance(got, np.ndarray) or got.dtype != np.float32 or got.shape != x.shape:
            fail(f"{call} should return a float32 NumPy array of shape {x.shape}, got {type_name(got)} "
                 f"{getattr(got, 'dtype', '')} {getattr(got, 'shape', '')}")
        assert_close(got, (x.astype(np.float64) - mean) / std, call, rtol=1e-5, atol=1e-5)


# 10 classes of unequal sizes: stratification puts test_size of each into the test part.
SPLIT_COUNTS = [20, 35, 12, 50, 28, 9, 41, 30, 17, 61]


def split(student, x, y, test_size, seed):
    call = f"split_train_test(data_x {x.shape}, data_y, test_size={test_size}, seed={seed})"
    got = student.split_train_test(x, y, test_size, seed)
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        fail(f"{call} should return (x_train, x_test, y_train, y_test), got {type_name(got)}")
    parts = [np.asarray(p) for p in got]
    if [p.shape[1:] for p in parts] != [x.shape[1:], x.shape[1:], (), ()]:
        fail(f"{call}: expected images of shape {x.shape[1:]} and labels of shape (), got {[p.shape for p in parts]}")
    return parts, call


def split_inputs():
    y = labels_with_counts(SPLIT_COUNTS, seed=8)
    return indexed_images(len(y)), y


@pytest.mark.points(1)
def test_split_sizes_and_pairs(student):
    """ceil(test_size * N) test images, every image in exactly one part, each with its label."""
    x, y = split_inputs()
    for test_size in (0.2, 0.35):
        (x_train, x_test, y_train, y_test), call = split(student, x, y, test_size, seed=0)
        n_test = size_of_test_part(len(y), test_size)
        if len(x_test) != n_test or len(y_test) != n_test or len(x_train) != len(y) - n_test or len(y_train) != len(x_train):
            fail(f"{call}: parts of {len(x_train)}, {len(x_test)} images and {len(y_train)}, {len(y_test)} labels; "
                 f"expected {len(y) - n_test} for training and ceil(test_size * N) = {n_test} for testing, in the "
                 f"order (x_train, x_test, y_train, y_test)")
        index = np.concatenate([x_train, x_test])[:, 0, 0, 0].astype(np.int64)
        if sorted(index.tolist()) != list(range(len(y))):
            fail(f"{call}: every image should be in exactly one of the two parts")
        if not np.array_equal(np.concatenate([y_train, y_test]), y[index]):
            fail(f"{call}: some labels are not those of their images")


@pytest.mark.points(1)
def test_split_is_stratified(student):
    """Each of 10 classes of unequal sizes has test_size times its count in the test part, give or take one."""
    x, y = split_inputs()
    for test_size, seed in ((0.3, 1), (0.25, 2)):
        (_, _, _, y_test), call = split(student, x, y, test_size, seed)
        got = np.bincount(y_test.astype(np.int64), minlength=len(SPLIT_COUNTS))
        expected = test_size * np.array(SPLIT_COUNTS)
        if np.any(np.abs(got - expected) > 1):
            fail(f"{call}: test images per class {got.tolist()}, expected about {np.round(expected, 1).tolist()} "
                 f"(stratify by the labels)")


@pytest.mark.points(1)
def test_split_is_reproducible(student):
    """The same seed gives the same split; four seeds give four different splits."""
    x, y = split_inputs()
    tests = set()
    for seed in (0, 1, 2, 3):
        (_, first, _, _), call = split(student, x, y, 0.2, seed)
        (_, second, _, _), _ = split(student, x, y, 0.2, seed)
        if not np.array_equal(first, second):
            fail(f"{call} called twice gave two different splits: seed the shuffle with `seed`")
        tests.add(tuple(first[:, 0, 0, 0].tolist()))
    if len(tests) < 4:
        fail("split_train_test gave the same split for two different seeds: use the seed argument")


@pytest.mark.points(2)
def test_make_batches(student):
    """ceil(N / batch_size) pairs of tensors, in order, all of batch_size but the last (also a
    batch_size that divides N, one of 1 and one larger than N)."""
    for n, batch_size in [(103, 10), (40, 8), (5, 1), (7, 64)]:
        x = torch.arange(n * 4, dtype=torch.float32).reshape(n, 1, 2, 2)
        y = torch.arange(n) % 10
        call = f"make_batches(x {tuple(x.shape)}, y ({n},), batch_size={batch_size})"
        got = student.make_batches(x, y, batch_size)
        if not isinstance(got, (list, tuple)):
            fail(f"{call} should return a list of (x_batch, y_batch) pairs, got {type_name(got)}")
        want_sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
        if len(got) != len(want_sizes):
            fail(f"{call} gave {len(got)} batches, expected ceil(N / batch_size) = {len(want_sizes)}")
        for k, (pair, size) in enumerate(zip(got, want_sizes)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(isinstance(t, torch.Tensor) for t in pair):
                fail(f"{call}: batch {k} should be a pair of tensors (x_batch, y_batch), got {type_name(pair)}")
            xb, yb = pair
            start = sum(want_sizes[:k])
            if not (torch.equal(xb, x[start:start + size]) and torch.equal(yb, y[start:start + size])):
                fail(f"{call}: batch {k} should hold images and labels {start} to {start + size - 1}, in order; "
                     f"got shapes {tuple(xb.shape)}, {tuple(yb.shape)}")
