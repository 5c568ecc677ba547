"""Part B: mean and unbiased standard deviation of a dot product of standard normals."""

import math

import pytest
from _reference import K_SE, dot_product_excess_kurtosis, dot_product_stats, se_mean, se_std

from hw_utils.testing import assert_close, assert_float


def two_numbers(result, what):
    assert isinstance(result, (tuple, list)) and len(result) == 2, \
        f"{what} should return (mean, std), got {result!r}"
    return result


@pytest.mark.points(2)
def test_dot_product_stats_on_the_specified_draws(student):
    """The docstring fixes the generator and the order of the draws, so the values are known.
    Few draws make the unbiased (N - 1) and the biased (N) standard deviation differ."""
    for fan_in, n_draws, seed in [(4, 3, 0), (1, 2, 3), (512, 5, 1), (100, 10, 2), (512, 10_000, 4)]:
        what = f"dot_product_stats({fan_in}, {n_draws}, {seed})"
        mean, std = two_numbers(student.dot_product_stats(fan_in, n_draws, seed), what)
        want_mean, want_std = dot_product_stats(fan_in, n_draws, seed)
        # float32 sums in another order differ by ~1e-7 relative: 1e-4 leaves room, N vs N - 1 does not
        assert_close(mean, want_mean, "mean of y", rtol=1e-4, atol=1e-4 * math.sqrt(fan_in), context=what)
        assert_close(std, want_std, "unbiased std of y (divide by n_draws - 1)", rtol=1e-4, context=what)


@pytest.mark.points(1)
def test_dot_product_std_is_close_to_sqrt_fan_in(student):
    """Whatever the draws: std(y) = sqrt(fan_in) and mean 0, within K_SE standard errors."""
    for fan_in, n_draws, seed in [(512, 10_000, 11), (50, 10_000, 12), (2000, 2000, 13)]:
        what = f"dot_product_stats({fan_in}, {n_draws}, {seed})"
        mean, std = two_numbers(student.dot_product_stats(fan_in, n_draws, seed), what)
        sigma = math.sqrt(fan_in)
        mean_tol = K_SE * se_mean(sigma, n_draws)
        std_tol = K_SE * se_std(sigma, n_draws, dot_product_excess_kurtosis(fan_in))
        assert abs(mean) <= mean_tol, \
            f"{what}: mean {mean:.4f} is more than {mean_tol:.3f} ({K_SE:g} standard errors) away from 0"
        assert abs(std - sigma) <= std_tol, (
            f"{what}: std {std:.4f} is more than {std_tol:.3f} ({K_SE:g} standard errors) "
            f"away from sqrt(fan_in) = {sigma:.4f}")


@pytest.mark.points(1)
def test_dot_product_stats_returns_two_python_floats(student):
    what = "dot_product_stats(16, 100, 7)"
    mean, std = two_numbers(student.dot_product_stats(16, 100, 7), what)
    assert_float(mean, f"{what}: the mean")
    assert_float(std, f"{what}: the std")
