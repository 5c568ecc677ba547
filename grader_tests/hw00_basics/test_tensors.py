"""Part B: PyTorch. What a tensor says about itself, uint8 to float32, which NumPy/PyTorch
conversions share memory (watched by the given watch_call), autograd on the line model's loss,
and gradient descent against the grader's own float64 steps."""

import math

import numpy as np
import pytest
import torch
from _reference import fit_line, line_loss_and_grads

from hw_utils.testing import assert_keys, fail, type_name

TENSORS = [
    torch.zeros(2, 3, 4),
    torch.arange(5),
    torch.randint(0, 256, (3, 28, 28), generator=torch.Generator().manual_seed(0)).to(torch.uint8),
    torch.tensor(2.5, dtype=torch.float64),
    torch.ones(4, 1, dtype=torch.int32),
]


@pytest.mark.points(2)
def test_tensor_info(student):
    """Shape (a tuple of ints), dtype and device (as str() writes them), numel and nbytes,
    on tensors of five dtypes and shapes (a 0-d one among them)."""
    for t in TENSORS:
        call = f"tensor_info(a {t.dtype} tensor of shape {tuple(t.shape)})"
        got = student.tensor_info(t)
        assert_keys(got, ["shape", "dtype", "device", "numel", "nbytes"], call)
        want = {"shape": tuple(t.shape), "dtype": str(t.dtype), "device": str(t.device), "numel": t.numel(),
                "nbytes": t.numel() * t.element_size()}
        shape = got["shape"]
        if not isinstance(shape, (tuple, list)) or tuple(shape) != want["shape"]:
            fail(f'{call}["shape"] = {shape!r:.80}, expected {want["shape"]!r}')
        for key in ("dtype", "device"):
            if got[key] != want[key]:
                fail(f'{call}["{key}"] = {got[key]!r:.80}, expected {want[key]!r} (as str(t.{key}) writes it)')
        for key in ("numel", "nbytes"):
            value = got[key]
            if isinstance(value, bool) or not isinstance(value, int) or value != want[key]:
                fail(f'{call}["{key}"] = {value!r:.80}, expected the Python int {want[key]}')


@pytest.mark.points(1)
def test_to_unit_float(student):
    """float32 of the same shape, v / 255, on uint8 tensors that hold 0 and 255."""
    g = torch.Generator().manual_seed(1)
    for shape in [(2, 1, 5, 5), (7,)]:
        images = torch.randint(0, 256, shape, generator=g).to(torch.uint8)
        images.view(-1)[0], images.view(-1)[-1] = 0, 255
        call = f"to_unit_float(a uint8 tensor of shape {shape})"
        got = student.to_unit_float(images)
        if not isinstance(got, torch.Tensor) or got.dtype != torch.float32 or tuple(got.shape) != shape:
            fail(f"{call} should return a float32 tensor of shape {shape}, got {type_name(got)} "
                 f"{getattr(got, 'dtype', '')} {tuple(getattr(got, 'shape', ()))}")
        want = images.double() / 255
        worst = float((got.double() - want).abs().max())
        if worst > 1e-6:
            fail(f"{call}: values differ from v / 255 by up to {worst:.4g}")


def dtype_name(value) -> str:
    """float64 for NumPy's float64 and torch.float64 alike."""
    return str(value.dtype).replace("torch.", "")


def conversions(student, name, inputs, kind, shares):
    watched = student.reference_to(name)
    for x in inputs:
        call = f"{name}(a {x.dtype} {type(x).__name__} of shape {tuple(x.shape)})"
        out, changed, follows = student.watch_call(watched, x)
        if not isinstance(out, kind):
            fail(f"{call} should return a {kind.__module__.split('.')[0]}.{kind.__name__}, got {type_name(out)}")
        if dtype_name(out) != dtype_name(x):
            fail(f"{call} returned dtype {out.dtype}: keep the input's dtype")
        if tuple(out.shape) != tuple(x.shape) or not np.array_equal(np.asarray(out), np.asarray(x)):
            fail(f"{call} should hold the input's values, shape {tuple(x.shape)}")
        if changed:
            fail(f"{call} changed its input")
        if follows != shares:
            fail(f"{call}: the output {'should share' if shares else 'shares'} the input's memory "
                 f"{'(a change of the input did not reach it)' if shares else '(it should be a copy)'}")


def some_tensors():
    g = torch.Generator().manual_seed(2)
    return [torch.randn(3, 4, generator=g), torch.arange(6, dtype=torch.int64).reshape(2, 3),
            torch.randn(5, generator=g, dtype=torch.float64)]


def some_arrays():
    rng = np.random.default_rng(3)
    return [rng.normal(size=(3, 4)), np.arange(6, dtype=np.int64).reshape(3, 2), rng.normal(size=5).astype(np.float32)]


@pytest.mark.points(2)
def test_tensor_to_numpy_shared_and_copied(student):
    """numpy_shared follows a later change of its input tensor, numpy_copy does not; both keep
    values, shape and dtype (float32, float64, int64)."""
    conversions(student, "numpy_shared", some_tensors(), np.ndarray, shares=True)
    conversions(student, "numpy_copy", some_tensors(), np.ndarray, shares=False)


@pytest.mark.points(2)
def test_numpy_to_tensor_shared_and_copied(student):
    """tensor_shared follows a later change of its input array, tensor_copy does not; both keep
    values, shape and dtype (float64 stays float64)."""
    conversions(student, "tensor_shared", some_arrays(), torch.Tensor, shares=True)
    conversions(student, "tensor_copy", some_arrays(), torch.Tensor, shares=False)


def line_data(seed, n, dtype):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=g, dtype=torch.float64)
    y = 1.5 * x - 0.7 + 0.4 * torch.randn(n, generator=g, dtype=torch.float64)
    return x.to(dtype), y.to(dtype)


@pytest.mark.points(2)
def test_line_loss_and_grads(student):
    """The mean squared error of a * x + b and its two partial derivatives, as Python floats,
    against the formulas in float64 (float32 and float64 inputs)."""
    for seed, n, dtype, a, b in [(0, 17, torch.float64, 0.3, -1.2), (1, 5, torch.float32, -2.0, 0.5),
                                 (2, 40, torch.float64, 1.5, -0.7)]:
        x, y = line_data(seed, n, dtype)
        call = f"line_loss_and_grads(x, y ({n} {dtype} points), a={a}, b={b})"
        got = student.line_loss_and_grads(x, y, a, b)
        assert_keys(got, ["loss", "grad_a", "grad_b"], call)
        want = line_loss_and_grads(x.double().numpy(), y.double().numpy(), a, b)
        for key in ("loss", "grad_a", "grad_b"):
            value = got[key]
            if isinstance(value, bool) or not isinstance(value, float):
                fail(f'{call}["{key}"] should be a Python float (use .item()), got {type_name(value)}')
            if not math.isclose(value, want[key], rel_tol=1e-4, abs_tol=1e-6):
                fail(f'{call}["{key}"] = {value:.6g}, expected {want[key]:.6g}')


@pytest.mark.points(2)
def test_fit_line(student):
    """(a, b) after exactly `steps` steps of gradient descent from 0, as the grader's float64
    steps give them (0, 1, 7 and 60 steps; float32 and float64 data)."""
    for seed, n, dtype, steps, lr in [(3, 30, torch.float64, 0, 0.1), (4, 30, torch.float64, 1, 0.2),
                                      (5, 12, torch.float32, 7, 0.3), (6, 50, torch.float64, 60, 0.05)]:
        x, y = line_data(seed, n, dtype)
        call = f"fit_line(x, y ({n} {dtype} points), steps={steps}, lr={lr})"
        got = student.fit_line(x, y, steps, lr)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"{call} should return a pair (a, b), got {type_name(got)}")
        want = fit_line(x.double().numpy(), y.double().numpy(), steps, lr)
        for name, value, expected in zip("ab", got, want):
            if isinstance(value, bool) or not isinstance(value, float):
                fail(f"{call}: {name} should be a Python float (use .item()), got {type_name(value)}")
            if not math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-6):
                fail(f"{call}: {name} = {value:.6g}, expected {expected:.6g} (after exactly {steps} steps from a = b = 0)")


@pytest.mark.points(1)
def test_predict_records_nothing(student):
    """a * x + b for the given make_line_model(a, b), shape (n,), and the tensor left in the worker
    has requires_grad False (computed under torch.no_grad)."""
    g = torch.Generator().manual_seed(7)
    for a, b, n in [(2.0, -1.0, 5), (-0.5, 3.0, 12)]:
        model = student.construct("make_line_model", a, b)
        x = torch.randn(n, generator=g)
        call = f"predict(make_line_model({a}, {b}), x of shape ({n},))"
        got = student.predict(model, x)
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (n,):
            fail(f"{call} should return a tensor of shape ({n},), got {type_name(got)} {tuple(getattr(got, 'shape', ()))}")
        worst = float((got.double() - (a * x.double() + b)).abs().max())
        if worst > 1e-5:
            fail(f"{call}: predictions differ from a * x + b by up to {worst:.4g}")
        recorded = student.construct("predict", model, x).requires_grad
        if recorded is not False:
            fail(f"{call} returned a tensor with requires_grad={recorded!r}: autograd recorded it; "
                 f"compute the predictions inside `with torch.no_grad():`")
