"""Part D: the same network with autograd and with torch.nn."""

import numpy as np
import pytest
from _reference import mlp, random_mlp

from hw_utils.checks import assert_close, relative_error


def check_gradients(result, weights, biases, X, y, what):
    want_loss, dWs, dbs = mlp(weights, biases, X, y)
    assert isinstance(result, (tuple, list)) and len(result) == 3, f"{what} should return (loss, dWs, dbs)"
    loss, got_dWs, got_dbs = result
    sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights]
    assert_close(loss, want_loss, f"{what}: loss", context=f"sizes {sizes}")
    for i, (got, want) in enumerate(zip(list(got_dWs) + list(got_dbs), dWs + dbs)):
        assert_close(got, want, f"{what}: gradient {i} (dWs then dbs)", context=f"sizes {sizes}")


@pytest.mark.parametrize("function", ["mlp_gradients_numpy", "mlp_gradients_autograd", "mlp_gradients_nn"])
@pytest.mark.points(2)
def test_gradients_match_autograd(student, function):
    rng = np.random.default_rng(12)
    for _ in range(4):
        _, weights, biases, X, y = random_mlp(rng)
        check_gradients(getattr(student, function)(weights, biases, X, y), weights, biases, X, y, function)


@pytest.mark.points(1)
def test_build_torch_mlp_copies_weights_transposed(student):
    rng = np.random.default_rng(13)
    _, weights, biases, _, _ = random_mlp(rng)
    model = student.build_torch_mlp(weights, biases)
    params = getattr(model, "parameters", None)
    assert isinstance(params, dict), f"build_torch_mlp should return a torch.nn.Module, got {model!r}"
    tensors = list(params.values())
    assert len(tensors) == 2 * len(weights), f"expected {2 * len(weights)} parameter tensors, got {len(tensors)}"
    for i, (W, b) in enumerate(zip(weights, biases)):
        assert_close(tensors[2 * i], W.T, f"weight of Linear layer {i} (nn.Linear stores W transposed)")
        assert_close(tensors[2 * i + 1], b, f"bias of Linear layer {i}")


@pytest.mark.points(1)
def test_numpy_and_torch_agree(student):
    """The NumPy backprop and torch.nn give the same gradients on the same problem."""
    rng = np.random.default_rng(14)
    _, weights, biases, X, y = random_mlp(rng)
    _, np_dWs, np_dbs = student.mlp_gradients_numpy(weights, biases, X, y)
    _, nn_dWs, nn_dbs = student.mlp_gradients_nn(weights, biases, X, y)
    for i, (a, b) in enumerate(zip(list(np_dWs) + list(np_dbs), list(nn_dWs) + list(nn_dbs))):
        error = relative_error(a, b)
        assert error < 1e-6, f"gradient {i}: NumPy and torch.nn differ by relative error {error:.2e}"
