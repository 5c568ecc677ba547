"""Part A: one sigmoid neuron with an L2 penalty, forward and backward by hand."""

import numpy as np
import pytest
import torch
from _reference import neuron

from hw_utils.testing import assert_array, assert_close, assert_float, assert_keys

FORWARD_KEYS = ["z", "y", "L", "R", "L_reg"]
BACKWARD_KEYS = ["L_reg_bar", "R_bar", "L_bar", "y_bar", "z_bar", "w_bar", "b_bar"]


def cases(n=25, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield (float(rng.normal(0, 2)), float(rng.normal(0, 2)), float(rng.normal(0, 2)),
               float(rng.uniform(0, 1)), float(rng.uniform(0, 2)))


@pytest.mark.points(1)
def test_sigmoid(student):
    """Elementwise on arrays of any shape (an array back, of that shape), a float for a float."""
    rng = np.random.default_rng(0)
    for z in [np.linspace(-30, 30, 61), rng.normal(0, 3, (4, 5)), rng.normal(0, 3, (2, 3, 4))]:
        got = student.sigmoid(z)
        what = f"sigmoid(z) for z of shape {z.shape}"
        assert_array(got, np.float64, z.shape, what)
        assert_close(got, torch.sigmoid(torch.tensor(z)).numpy(), what)
    got = student.sigmoid(0.5)
    assert_float(got, "sigmoid(0.5) (a float in, a float out)")
    assert_close(got, 1 / (1 + np.exp(-0.5)), "sigmoid(0.5)")


@pytest.mark.points(2)
def test_neuron_forward(student):
    for w, b, x, t, lam in cases():
        got = student.neuron_forward(w, b, x, t, lam)
        want = neuron(w, b, x, t, lam)
        assert_keys(got, FORWARD_KEYS, "neuron_forward(...)")
        for key in FORWARD_KEYS:
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


@pytest.mark.points(1)
def test_neuron_dicts_hold_python_floats(student):
    """Part A asks for Python floats in both dictionaries, not arrays or tensors."""
    for w, b, x, t, lam in cases(n=3, seed=4):
        call = f"(w={w:.3f}, b={b:.3f}, x={x:.3f}, t={t:.3f}, lam={lam:.3f})"
        for function, keys in [("neuron_forward", FORWARD_KEYS), ("neuron_backward", BACKWARD_KEYS)]:
            got = getattr(student, function)(w, b, x, t, lam)
            assert_keys(got, keys, f"{function}(...)")
            for key in keys:
                assert_float(got[key], f"{function}{call}[{key!r}]")
