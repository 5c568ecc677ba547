"""Part A: one sigmoid neuron with an L2 penalty, forward and backward by hand."""

import numpy as np
import pytest
import torch
from _reference import neuron

from hw_utils.checks import assert_close, assert_keys


def cases(n=25, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield (float(rng.normal(0, 2)), float(rng.normal(0, 2)), float(rng.normal(0, 2)),
               float(rng.uniform(0, 1)), float(rng.uniform(0, 2)))


@pytest.mark.points(1)
def test_sigmoid(student):
    z = np.linspace(-30, 30, 61)
    assert_close(student.sigmoid(z), torch.sigmoid(torch.tensor(z)).numpy(), "sigmoid(z)",
                 context="z in [-30, 30]")
    assert_close(student.sigmoid(0.5), 1 / (1 + np.exp(-0.5)), "sigmoid(0.5)")


@pytest.mark.points(2)
def test_neuron_forward(student):
    for w, b, x, t, lam in cases():
        got = student.neuron_forward(w, b, x, t, lam)
        want = neuron(w, b, x, t, lam)
        assert_keys(got, ["z", "y", "L", "R", "L_reg"], "neuron_forward(...)")
        for key in ["z", "y", "L", "R", "L_reg"]:
            assert_close(got[key], want[key], key, context=f"w={w:.3f}, b={b:.3f}, x={x:.3f}, t={t:.3f}, lam={lam:.3f}")


@pytest.mark.points(3)
def test_neuron_backward_parameters(student):
    """w_bar and b_bar equal autograd's dL_reg/dw and dL_reg/db."""
    for w, b, x, t, lam in cases(seed=2):
        got = student.neuron_backward(w, b, x, t, lam)
        want = neuron(w, b, x, t, lam)
        assert_keys(got, ["w_bar", "b_bar"], "neuron_backward(...)")
        context = f"w={w:.3f}, b={b:.3f}, x={x:.3f}, t={t:.3f}, lam={lam:.3f}"
        assert_close(got["w_bar"], want["w_bar"], "w_bar", context=context)
        assert_close(got["b_bar"], want["b_bar"], "b_bar", context=context)


@pytest.mark.points(2)
def test_neuron_backward_intermediates(student):
    """Every bar on the way: L_reg_bar, R_bar, L_bar, y_bar, z_bar."""
    for w, b, x, t, lam in cases(seed=3):
        got = student.neuron_backward(w, b, x, t, lam)
        fwd = neuron(w, b, x, t, lam)
        y = fwd["y"]
        want = {"L_reg_bar": 1.0, "R_bar": lam, "L_bar": 1.0, "y_bar": y - t,
                "z_bar": (y - t) * y * (1 - y)}
        assert_keys(got, list(want), "neuron_backward(...)")
        context = f"w={w:.3f}, b={b:.3f}, x={x:.3f}, t={t:.3f}, lam={lam:.3f}"
        for key, value in want.items():
            assert_close(got[key], value, key, context=context)
