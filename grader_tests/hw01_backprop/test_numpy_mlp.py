"""Part C: NumPy modules with forward and backward, gradient checking, training on digits."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _reference import mlp, random_mlp, t64

from hw_utils.checks import assert_close, relative_error
from hw_utils.data import load_arrays

GRAD_TOLERANCE = 1e-6  # relative error, float64: what a correct analytic gradient reaches


def new_linear(student, W, b):
    layer = student.Linear(W.shape[0], W.shape[1], student.np.random.default_rng(0))
    layer.W = W
    layer.b = b
    return layer


@pytest.mark.points(1)
def test_softmax_rows_and_large_logits(student):
    rng = np.random.default_rng(6)
    logits = rng.normal(0, 3, (5, 7))
    assert_close(student.softmax(logits), torch.softmax(t64(logits), 1).numpy(), "softmax(logits)")
    huge = logits * 400  # values near +-4000: exp() overflows unless the max is subtracted
    assert_close(student.softmax(huge), torch.softmax(t64(huge), 1).numpy(), "softmax(logits)",
                 context="logits of size ~1000 (did you subtract the row maximum?)")


@pytest.mark.points(2)
def test_linear_forward_backward(student):
    rng = np.random.default_rng(7)
    for n, fan_in, fan_out in [(4, 5, 3), (1, 2, 6), (7, 3, 3)]:
        W, b = rng.normal(0, 1, (fan_in, fan_out)), rng.normal(0, 1, fan_out)
        x, grad_out = rng.normal(0, 1, (n, fan_in)), rng.normal(0, 1, (n, fan_out))
        layer = new_linear(student, W, b)
        context = f"x of shape {x.shape}, W of shape {W.shape}"
        assert_close(layer.forward(x), x @ W + b, "Linear.forward(x)", context=context)
        xt, Wt, bt = t64(x).requires_grad_(), t64(W).requires_grad_(), t64(b).requires_grad_()
        (xt @ Wt + bt).backward(t64(grad_out))
        assert_close(layer.backward(grad_out), xt.grad.numpy(), "Linear.backward(grad_out) (gradient wrt x)", context=context)
        assert_close(layer.dW, Wt.grad.numpy(), "Linear.dW", context=context)
        assert_close(layer.db, bt.grad.numpy(), "Linear.db", context=context)


@pytest.mark.parametrize("name, torch_fn", [("ReLU", torch.relu), ("Sigmoid", torch.sigmoid)])
@pytest.mark.points(1)
def test_activation_forward_backward(student, name, torch_fn):
    rng = np.random.default_rng(8)
    x, grad_out = rng.normal(0, 2, (6, 4)), rng.normal(0, 1, (6, 4))
    module = getattr(student, name)()
    xt = t64(x).requires_grad_()
    out = torch_fn(xt)
    out.backward(t64(grad_out))
    assert_close(module.forward(x), out.detach().numpy(), f"{name}.forward(x)")
    assert_close(module.backward(grad_out), xt.grad.numpy(), f"{name}.backward(grad_out)")


@pytest.mark.points(2)
def test_softmax_cross_entropy(student):
    rng = np.random.default_rng(9)
    for scale in [1.0, 500.0]:
        logits, labels = rng.normal(0, 2, (6, 5)) * scale, rng.integers(0, 5, 6)
        lt = t64(logits).requires_grad_()
        loss = F.cross_entropy(lt, torch.as_tensor(labels))
        loss.backward()
        module = student.SoftmaxCrossEntropy()
        context = "large logits (numerical stability)" if scale > 1 else "random logits"
        assert_close(module.forward(logits, labels), loss.item(), "SoftmaxCrossEntropy.forward", context=context)
        assert_close(module.backward(), lt.grad.numpy(), "SoftmaxCrossEntropy.backward()", context=context)


@pytest.mark.points(1)
def test_numerical_gradient(student):
    """Central differences on functions with known gradients."""
    rng = np.random.default_rng(10)
    x = rng.uniform(0.5, 2.0, (3, 4))
    norm_grad = student.numerical_gradient(student.np.linalg.norm, x)
    assert relative_error(norm_grad, x / np.linalg.norm(x)) < 1e-6, \
        "numerical_gradient(np.linalg.norm, x) differs from x / ||x|| by more than 1e-6 relative error"
    prod_grad = student.numerical_gradient(student.np.prod, x)
    assert relative_error(prod_grad, np.prod(x) / x) < 1e-6, \
        "numerical_gradient(np.prod, x) differs from prod(x) / x by more than 1e-6 relative error"


@pytest.mark.points(1)
def test_relative_error(student):
    a, b = np.array([1.0, 2.0, 0.0]), np.array([1.1, 2.0, 0.0])
    assert_close(student.relative_error(a, b), 0.1 / 2.1, "relative_error([1, 2, 0], [1.1, 2, 0])")
    assert_close(student.relative_error(b, b), 0.0, "relative_error(a, a)")


@pytest.mark.points(3)
def test_mlp_backprop_matches_true_gradients(student):
    """The whole MLP: analytic gradients within 1e-6 relative error on random shapes."""
    rng = np.random.default_rng(11)
    for case in range(6):
        sizes, weights, biases, X, y = random_mlp(rng)
        net = student.MLP(sizes, student.np.random.default_rng(case))
        linears = [layer for layer in net.layers if getattr(layer, "_type_name", "") == "Linear"]
        assert len(linears) == len(weights), f"MLP({sizes}) should have {len(weights)} Linear layers, found {len(linears)}"
        for layer, W, b in zip(linears, weights, biases):
            layer.W, layer.b = W, b
        loss_fn = student.SoftmaxCrossEntropy()
        loss = loss_fn.forward(net.forward(X), y)
        net.backward(loss_fn.backward())
        want_loss, dWs, dbs = mlp(weights, biases, X, y)
        assert_close(loss, want_loss, "loss", context=f"MLP({sizes})")
        grads = [g for _, g in net.params_and_grads()]
        want = [g for pair in zip(dWs, dbs) for g in pair]
        assert len(grads) == len(want), f"params_and_grads() should list {len(want)} (param, grad) pairs"
        for i, (got, expected) in enumerate(zip(grads, want)):
            error = relative_error(got, expected) if np.shape(got) == np.shape(expected) else np.inf
            assert error < GRAD_TOLERANCE, (
                f"MLP({sizes}), gradient {i} of params_and_grads(): relative error {error:.2e} "
                f"(must be below {GRAD_TOLERANCE:g})")


def digits_split():
    """The notebook's split. The worker is given its training part only (hw_utils.data), so
    the held-out images below are ones the submission never saw, and their labels stay here."""
    X_train, y_train = load_arrays("digits", "train", flatten=True)
    X_test, y_test = load_arrays("digits", "test", flatten=True)
    return X_train, X_test, y_train, y_test


@pytest.mark.points(3)
def test_trained_mlp_accuracy_on_held_out_digits(student):
    X_train, X_test, y_train, y_test = digits_split()
    model = student.train_mlp(X_train, y_train, seed=0)
    logits = np.asarray(model.forward(X_test))
    assert logits.shape == (len(X_test), 10), f"model.forward(X_test) should have shape {(len(X_test), 10)}, got {logits.shape}"
    accuracy = float(np.mean(logits.argmax(1) == y_test))
    assert accuracy >= 0.90, f"held-out accuracy {accuracy:.3f} is below 0.90"
