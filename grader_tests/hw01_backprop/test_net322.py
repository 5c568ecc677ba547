"""Part B: the 3-2-2 sigmoid network, forward, MSE, gradients and one SGD step."""

import numpy as np
import pytest
from _reference import net322, random_params

from hw_utils.testing import assert_array, assert_close, assert_float, assert_keys

X = np.array([1.0, 4.0, 5.0])
T = np.array([0.1, 0.05])
GIVEN = {"W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), "b1": np.array([0.5, 0.5]),
         "W2": np.array([[0.7, 0.9], [0.8, 0.1]]), "b2": np.array([0.5, 0.5])}
# (D, H, K): the notebook's 3-2-2, then other sizes (the docstrings are written for any D, H, K)
SIZES = [(3, 2, 2)] * 6 + [(4, 3, 2), (5, 4, 3), (2, 6, 4), (6, 1, 5)]


def problems(seed=4):
    """The notebook's example first, then random initialisations, inputs and targets."""
    yield X, T, GIVEN, "the notebook's example"
    rng = np.random.default_rng(seed)
    for i, (D, H, K) in enumerate(SIZES):
        yield (rng.normal(0, 2, D), rng.uniform(0, 1, K), random_params(rng, D, H, K),
               f"random case {i}, D={D}, H={H}, K={K}")


@pytest.mark.points(2)
def test_forward(student):
    for x, t, params, context in problems():
        got = student.net322_forward(x, params)
        want, _, _ = net322(x, t, params)
        assert_keys(got, ["z1", "h", "z2", "y"], "net322_forward(...)")
        assert_close(got["z1"], want["z1"], "z1 (hidden pre-activations)", context=context)
        assert_close(got["h"], want["h"], "h (hidden activations)", context=context)
        assert_close(got["z2"], want["z2"], "z2 (output pre-activations)", context=context)
        assert_close(got["y"], want["y"], "y (outputs)", context=context)


@pytest.mark.points(1)
def test_mse(student):
    for x, t, params, context in problems():
        y, loss, _ = net322(x, t, params)
        assert_close(student.mse(y["y"], t), loss, "mse(y, t)", context=context)
    # "mean over all elements": a batch of outputs too, not a sum over rows divided by their count
    rng = np.random.default_rng(3)
    y, t = rng.uniform(0, 1, (4, 3)), rng.uniform(0, 1, (4, 3))
    assert_close(student.mse(y, t), np.mean((y - t) ** 2), "mse(y, t)", context="y and t of shape (4, 3)")


@pytest.mark.points(4)
def test_backward(student):
    for x, t, params, context in problems():
        got = student.net322_backward(x, t, params)
        _, _, want = net322(x, t, params)
        assert_keys(got, ["W1", "b1", "W2", "b2"], "net322_backward(...)")
        for name in ["W2", "b2", "W1", "b1"]:
            assert_close(got[name], want[name], f"gradient of {name}", context=context)


@pytest.mark.points(1)
def test_float64_arrays_and_a_float(student):
    """net322_forward and net322_backward give float64 NumPy arrays of the documented shapes;
    mse gives a Python float."""
    rng = np.random.default_rng(6)
    D, H, K = 4, 3, 2
    x, t, params = rng.normal(0, 1, D), rng.uniform(0, 1, K), random_params(rng, D, H, K)
    call = f"(D={D}, H={H}, K={K})"
    forward = student.net322_forward(x, params)
    assert_keys(forward, ["z1", "h", "z2", "y"], "net322_forward(...)")
    for key, shape in [("z1", (H,)), ("h", (H,)), ("z2", (K,)), ("y", (K,))]:
        assert_array(forward[key], np.float64, shape, f"net322_forward{call}[{key!r}]")
    grads = student.net322_backward(x, t, params)
    assert_keys(grads, ["W1", "b1", "W2", "b2"], "net322_backward(...)")
    for key, value in params.items():
        assert_array(grads[key], np.float64, value.shape, f"net322_backward{call}[{key!r}] (shape of params[{key!r}])")
    assert_float(student.mse(rng.uniform(0, 1, K), t), f"mse(y, t) for y, t of shape ({K},)")


@pytest.mark.public
@pytest.mark.points(1)
def test_one_sgd_step_on_the_example(student):
    _, _, grads = net322(X, T, GIVEN)
    got = student.sgd_step(GIVEN, grads, 0.01)
    assert_keys(got, ["W1", "b1", "W2", "b2"], "sgd_step(...)")
    for name in GIVEN:
        assert_close(got[name], GIVEN[name] - 0.01 * grads[name], f"{name} after one step (lr=0.01)")


@pytest.mark.points(1)
def test_sgd_step_any_rate_and_inputs_untouched(student):
    rng = np.random.default_rng(5)
    for lr in [0.5, 0.01, 1e-3]:
        params, grads = random_params(rng, 3, 2, 2), random_params(rng, 3, 2, 2)
        got = student.sgd_step(params, grads, lr)
        for name in params:
            assert_close(got[name], params[name] - lr * grads[name], f"{name} after one step (lr={lr})")
    # Arguments cross to the worker as copies; pass the notebook's own dict to see in-place edits
    # (of its arrays, or of the dict itself).
    before = student.PARAMS_322
    params = student.reference_to("PARAMS_322")
    student.sgd_step(params, params, 0.1)
    for name in before:
        assert_close(student.PARAMS_322[name], before[name], f"PARAMS_322[{name!r}] after calling sgd_step")
