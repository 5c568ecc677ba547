"""Part D: the same network with autograd and with torch.nn."""

import re

import numpy as np
import pytest
import torch
from _reference import mlp, random_mlp

from hw_utils.testing import (ModuleSnapshot, StudentError, assert_array, assert_close, assert_float, fail, is_module,
                              relative_error, type_name)

FUNCTIONS = ["mlp_gradients_numpy", "mlp_gradients_autograd", "mlp_gradients_nn"]


def check_gradients(result, weights, biases, X, y, what):
    want_loss, dWs, dbs = mlp(weights, biases, X, y)
    assert isinstance(result, (tuple, list)) and len(result) == 3, f"{what} should return (loss, dWs, dbs)"
    loss, got_dWs, got_dbs = result
    sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights]
    assert_close(loss, want_loss, f"{what}: loss", context=f"sizes {sizes}")
    for i, (got, want) in enumerate(zip(list(got_dWs) + list(got_dbs), dWs + dbs)):
        assert_close(got, want, f"{what}: gradient {i} (dWs then dbs)", context=f"sizes {sizes}")


def in_worker(student, value):
    """A float64 array that lives in the worker, holding value, as a handle: arguments otherwise
    cross as copies, so only such an array shows whether student code modifies the arrays it is
    handed or keeps a view of them. It is made by the submission's sigmoid (a new array of its
    input's shape, Part A), then overwritten with value."""
    try:
        array = student.construct("sigmoid", np.zeros(value.shape))
        student.np.copyto(array, value)
    except StudentError as err:
        fail(f"this test hands your function arrays made in your notebook by sigmoid(np.zeros(shape)) "
             f"(Part A), and that failed: {err}")
    return array


def module_names(snapshot: ModuleSnapshot) -> list[str]:
    """The classes of a Sequential's parts, in order, from its printed structure."""
    return re.findall(r"^\s+\([\w.]+\): (\w+)\(", snapshot.text, flags=re.M)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.points(2)
def test_gradients_match_autograd(student, function):
    rng = np.random.default_rng(12)
    for _ in range(4):
        _, weights, biases, X, y = random_mlp(rng)
        check_gradients(getattr(student, function)(weights, biases, X, y), weights, biases, X, y, function)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.points(1)
def test_float64_arrays_and_inputs_untouched(student, function):
    """(loss, dWs, dbs): a Python float and float64 NumPy arrays with the shapes of the weights and
    biases; the arrays passed in are not modified."""
    rng = np.random.default_rng(18)
    _, weights, biases, X, y = random_mlp(rng)
    given = [*weights, *biases, X]
    handles = [in_worker(student, a) for a in given]
    k = len(weights)
    result = getattr(student, function)(handles[:k], handles[k:2 * k], handles[-1], y)
    assert isinstance(result, (tuple, list)) and len(result) == 3, f"{function} should return (loss, dWs, dbs)"
    loss, dWs, dbs = result
    assert_float(loss, f"{function}(...): loss")
    for kind, got, want in [("dWs", dWs, weights), ("dbs", dbs, biases)]:
        assert isinstance(got, (list, tuple)) and len(got) == len(want), \
            f"{function}(...): {kind} should be a list of {len(want)} arrays, got {got!r:.200}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_array(g, np.float64, w.shape, f"{function}(...): {kind}[{i}]")
    names = [f"weights[{i}]" for i in range(k)] + [f"biases[{i}]" for i in range(k)] + ["X"]
    for name, handle, value in zip(names, handles, given):
        assert np.array_equal(handle.copy(), value), f"{function}(weights, biases, X, y) modified its argument {name}"


@pytest.mark.points(1)
def test_build_torch_mlp_copies_weights_transposed(student):
    rng = np.random.default_rng(13)
    _, weights, biases, _, _ = random_mlp(rng)
    model = student.build_torch_mlp(weights, biases)
    if not isinstance(model, ModuleSnapshot):
        fail(f"build_torch_mlp should return a torch.nn.Module, got {type_name(model)}")
    tensors = list(model.parameters.values())
    assert len(tensors) == 2 * len(weights), f"expected {2 * len(weights)} parameter tensors, got {len(tensors)}"
    for i, (W, b) in enumerate(zip(weights, biases)):
        assert_close(tensors[2 * i], W.T, f"weight of Linear layer {i} (nn.Linear stores W transposed)")
        assert_close(tensors[2 * i + 1], b, f"bias of Linear layer {i}")


@pytest.mark.points(1)
def test_build_torch_mlp_is_a_float64_sequential(student):
    """nn.Sequential of nn.Linear and nn.ReLU, a ReLU between Linear layers and none after the
    last, every parameter float64."""
    rng = np.random.default_rng(19)
    for n_layers in [1, 2, 3]:
        sizes = [int(n) for n in rng.integers(2, 7, n_layers + 1)]
        weights = [rng.normal(0, 1, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        biases = [rng.normal(0, 1, b) for b in sizes[1:]]
        call = f"build_torch_mlp(weights, biases) for sizes {sizes}"
        model = student.build_torch_mlp(weights, biases)
        if not isinstance(model, ModuleSnapshot):
            fail(f"{call} should return a torch.nn.Sequential, got {type_name(model)}")
        assert model.class_name == "Sequential", f"{call} should return an nn.Sequential, got a {model.class_name}"
        want = ["Linear", "ReLU"] * (n_layers - 1) + ["Linear"]
        got = module_names(model)
        assert got == want, f"{call}: expected the parts {want}, got {got}; the model prints as\n{model.text:.600}"
        for name, tensor in model.parameters.items():
            assert tensor.dtype == torch.float64, f"{call}: parameter {name} is {tensor.dtype}, expected torch.float64"


@pytest.mark.points(1)
def test_build_torch_mlp_shares_no_memory_with_its_inputs(student):
    """The model holds copies: writing into its parameters in place (as an optimiser step does)
    leaves the NumPy arrays it was built from unchanged."""
    rng = np.random.default_rng(17)
    _, weights, biases, _, _ = random_mlp(rng)
    Ws, bs = [in_worker(student, W) for W in weights], [in_worker(student, b) for b in biases]
    model = student.construct("build_torch_mlp", Ws, bs)
    if not is_module(model):
        fail(f"build_torch_mlp should return a torch.nn.Module, got {type_name(model)}")
    sevens = {name: torch.full_like(t, 7.0) for name, t in model.eval().state_dict().items()}
    model.load_state_dict(sevens)  # copies into the parameters, in place
    assert all(bool((t == 7.0).all()) for t in model.eval().parameters.values()), \
        "the model's parameters could not be written with load_state_dict"
    for kind, handles, values in [("weights", Ws, weights), ("biases", bs, biases)]:
        for i, (handle, value) in enumerate(zip(handles, values)):
            assert np.array_equal(handle.copy(), value), (
                f"after writing 7.0 into every parameter of build_torch_mlp(weights, biases), {kind}[{i}] changed "
                "too: the model's parameters share memory with the NumPy arrays (copy them, e.g. "
                "torch.tensor(W.T) or weight.copy_(...), not torch.from_numpy)")


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
