"""Part A: normalisation with the statistics of the training images only. The grader hands in
training and test images drawn from different distributions, so statistics taken from the test
images (or from both) give other numbers than the training statistics."""

import numpy as np
import pytest

from hw_utils.testing import assert_array, assert_float, fail


def images(seed, n, loc, scale):
    return np.random.default_rng(seed).normal(loc, scale, size=(n, 1, 6, 6)).astype(np.float32)


@pytest.mark.points(1)
def test_fit_standardizer_gives_mean_and_std_of_all_values(student):
    X = images(1, 9, 0.3, 0.2)
    got = student.fit_standardizer(X)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"fit_standardizer should return (mean, std), got {got!r:.120}")
    mean, std = got
    assert_float(mean, "the mean returned by fit_standardizer")
    assert_float(std, "the std returned by fit_standardizer")
    want = X.astype(np.float64)
    assert np.isclose(mean, want.mean(), rtol=1e-5) and np.isclose(std, want.std(), rtol=1e-5), (
        f"fit_standardizer on images (9, 1, 6, 6): got mean {mean:.6f}, std {std:.6f}; expected the mean "
        f"{want.mean():.6f} and the population std {want.std():.6f} of every value together")


@pytest.mark.points(2)
def test_prepare_uses_training_statistics_only(student):
    """The test images are standardised with the training mean and std, not their own."""
    train, test = images(2, 20, 0.3, 0.2), images(3, 5, 0.7, 0.05)
    got = student.prepare(train, test)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"prepare should return (train_z, test_z), got {got!r:.120}")
    train_z, test_z = got
    assert_array(train_z, np.float32, train.shape, "train_z returned by prepare")
    assert_array(test_z, np.float32, test.shape, "test_z returned by prepare")
    mean, std = train.astype(np.float64).mean(), train.astype(np.float64).std()
    assert np.allclose(train_z, (train - mean) / std, atol=1e-4), (
        "prepare: train_z is not (train_x - mean) / std with the training images' own mean and std")
    if not np.allclose(test_z, (test - mean) / std, atol=1e-4):
        both = np.concatenate([train, test]).astype(np.float64)
        hint = ""
        if np.allclose(test_z, (test - test.mean()) / test.std(), atol=1e-3):
            hint = ": it used the test images' own mean and std"
        elif np.allclose(test_z, (test - both.mean()) / both.std(), atol=1e-3):
            hint = ": it used statistics of training and test images together"
        fail(f"prepare: test_z is not standardised with the training mean {mean:.4f} and std {std:.4f}{hint}")
