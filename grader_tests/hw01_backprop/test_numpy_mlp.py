"""Part C: NumPy modules with forward and backward, gradient checking, training on digits."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _reference import he_layers, mlp, mlp_backward, random_mlp, t64, train_mlp

from hw_utils.testing import (Remote, assert_array, assert_close, assert_float, fail, load_arrays, relative_error,
                              type_name)

GRAD_TOLERANCE = 1e-6  # relative error, float64: what a correct analytic gradient reaches
BAR = 0.93  # held-out digits; the reference reaches 0.958 or more over seeds 0..4


def new_linear(student, W, b):
    layer = student.Linear(W.shape[0], W.shape[1], student.np.random.default_rng(0))
    layer.W = W
    layer.b = b
    return layer


def linear_layers(net):
    return [layer for layer in net.layers if type_name(layer) == "Linear"]


def new_mlp(student, weights, biases, seed=0):
    """The student's MLP with these parameters in its Linear layers."""
    sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights]
    net = student.MLP(sizes, student.np.random.default_rng(seed))
    linears = linear_layers(net)
    assert len(linears) == len(weights), f"MLP({sizes}) should have {len(weights)} Linear layers, found {len(linears)}"
    for layer, W, b in zip(linears, weights, biases):
        layer.W, layer.b = W, b
    return net, sizes


@pytest.mark.points(1)
def test_softmax_rows_and_large_logits(student):
    rng = np.random.default_rng(6)
    logits = rng.normal(0, 3, (5, 7))
    assert_close(student.softmax(logits), torch.softmax(t64(logits), 1).numpy(), "softmax(logits)")
    huge = logits * 400  # values near +-4000: exp() overflows unless the max is subtracted
    assert_close(student.softmax(huge), torch.softmax(t64(huge), 1).numpy(), "softmax(logits)",
                 context="logits of size ~1000 (did you subtract the row maximum?)")


@pytest.mark.points(1)
def test_linear_init_is_he_drawn_from_its_rng(student):
    """W = rng.standard_normal((in, out)) * sqrt(2 / in) exactly, b = 0, dW and db zeros."""
    for fan_in, fan_out, seed in [(5, 3, 0), (64, 10, 1), (1, 7, 2)]:
        call = f"Linear({fan_in}, {fan_out}, np.random.default_rng({seed}))"
        layer = student.Linear(fan_in, fan_out, student.np.random.default_rng(seed))
        (W,), (b,) = he_layers([fan_in, fan_out], np.random.default_rng(seed))
        assert_array(layer.W, np.float64, W.shape, f"{call}.W")
        assert_close(layer.W, W, f"{call}.W, expected rng.standard_normal((in, out)) * np.sqrt(2.0 / in)", rtol=1e-12)
        for name, want in [("b", b), ("dW", np.zeros_like(W)), ("db", np.zeros_like(b))]:
            got = getattr(layer, name)
            assert_array(got, np.float64, want.shape, f"{call}.{name}")
            assert_close(got, want, f"{call}.{name} (zeros before the first backward)", atol=0)


@pytest.mark.points(2)
def test_linear_forward_backward(student):
    rng = np.random.default_rng(7)
    for n, fan_in, fan_out in [(4, 5, 3), (1, 2, 6), (7, 3, 3)]:
        W, b = rng.normal(0, 1, (fan_in, fan_out)), rng.normal(0, 1, fan_out)
        layer = new_linear(student, W, b)
        context = f"x of shape {(n, fan_in)}, W of shape {W.shape}"
        # Twice: backward sets dW and db for the batch it is given, it does not add to them.
        for batch in ["first", "second"]:
            x, grad_out = rng.normal(0, 1, (n, fan_in)), rng.normal(0, 1, (n, fan_out))
            assert_close(layer.forward(x), x @ W + b, "Linear.forward(x)", context=context)
            xt, Wt, bt = t64(x).requires_grad_(), t64(W).requires_grad_(), t64(b).requires_grad_()
            (xt @ Wt + bt).backward(t64(grad_out))
            assert_close(layer.backward(grad_out), xt.grad.numpy(), "Linear.backward(grad_out) (gradient wrt x)",
                         context=context)
            assert_close(layer.dW, Wt.grad.numpy(), f"Linear.dW after the {batch} forward and backward", context=context)
            assert_close(layer.db, bt.grad.numpy(), f"Linear.db after the {batch} forward and backward", context=context)


@pytest.mark.parametrize("name, torch_fn", [("ReLU", torch.relu), ("Sigmoid", torch.sigmoid)])
@pytest.mark.points(1)
def test_activation_forward_backward(student, name, torch_fn):
    """Any shape; exact zeros among the inputs (ReLU's derivative there is 0, as the docstring says)."""
    rng = np.random.default_rng(8)
    for shape in [(6, 4), (2, 3, 5)]:
        x, grad_out = rng.normal(0, 2, shape), rng.normal(0, 1, shape)
        x.reshape(-1)[::5] = 0.0
        module = getattr(student, name)()
        xt = t64(x).requires_grad_()
        out = torch_fn(xt)
        out.backward(t64(grad_out))
        context = f"x of shape {shape}, some entries exactly 0"
        assert_close(module.forward(x), out.detach().numpy(), f"{name}.forward(x)", context=context)
        assert_close(module.backward(grad_out), xt.grad.numpy(), f"{name}.backward(grad_out)", context=context)


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
def test_float64_arrays_and_python_floats(student):
    """The documented types: float64 NumPy arrays of the documented shapes, Python floats for
    the loss and the relative error."""
    rng = np.random.default_rng(16)
    logits, labels = rng.normal(0, 2, (4, 3)), rng.integers(0, 3, 4)
    assert_array(student.softmax(logits), np.float64, (4, 3), "softmax(logits of shape (4, 3))")
    module = student.SoftmaxCrossEntropy()
    assert_float(module.forward(logits, labels), "SoftmaxCrossEntropy.forward(logits of shape (4, 3), labels)")
    assert_array(module.backward(), np.float64, (4, 3), "SoftmaxCrossEntropy.backward() for logits of shape (4, 3)")
    layer = new_linear(student, rng.normal(0, 1, (5, 2)), rng.normal(0, 1, 2))
    assert_array(layer.forward(rng.normal(0, 1, (3, 5))), np.float64, (3, 2), "Linear(5, 2).forward(x of shape (3, 5))")
    assert_array(layer.backward(rng.normal(0, 1, (3, 2))), np.float64, (3, 5),
                 "Linear(5, 2).backward(grad_out of shape (3, 2))")
    x = rng.uniform(0.5, 2.0, (2, 3))
    assert_array(student.numerical_gradient(student.np.sum, x), np.float64, (2, 3),
                 "numerical_gradient(np.sum, x of shape (2, 3))")
    assert_float(student.relative_error(x, x + 0.1), "relative_error(a, b)")


@pytest.mark.points(1)
def test_numerical_gradient(student):
    """Central differences on functions with known gradients, and with the step it is given."""
    rng = np.random.default_rng(10)
    x = rng.uniform(0.5, 2.0, (3, 4))
    norm_grad = student.numerical_gradient(student.np.linalg.norm, x)
    assert relative_error(norm_grad, x / np.linalg.norm(x)) < 1e-6, \
        "numerical_gradient(np.linalg.norm, x) differs from x / ||x|| by more than 1e-6 relative error"
    prod_grad = student.numerical_gradient(student.np.prod, x)
    assert relative_error(prod_grad, np.prod(x) / x) < 1e-6, \
        "numerical_gradient(np.prod, x) differs from prod(x) / x by more than 1e-6 relative error"
    eps = 0.1  # large enough that the central difference differs from the true gradient
    want = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        want[idx] = (np.linalg.norm(plus) - np.linalg.norm(minus)) / (2 * eps)
    error = relative_error(student.numerical_gradient(student.np.linalg.norm, x, eps=eps), want)
    assert error < 1e-9, (
        f"numerical_gradient(np.linalg.norm, x, eps={eps}) differs from (f(x + eps) - f(x - eps)) / (2 eps) "
        f"by relative error {error:.1e}: use the eps you are given")


@pytest.mark.points(1)
def test_numerical_gradient_perturbs_in_place_and_restores(student):
    """x is perturbed in place, so an f that reads x through a reference sees the change; on
    return x holds exactly its original values. The test hands in the notebook's own X_322
    (arguments otherwise cross as copies) and f = X_322.dot, so f(X_322) = X_322 . X_322."""
    before = np.asarray(student.X_322, dtype=np.float64)
    x = student.reference_to("X_322")
    got = student.numerical_gradient(x.dot, x)
    error = relative_error(got, 2 * before) if np.shape(got) == before.shape else np.inf
    assert error < 1e-6, (
        f"numerical_gradient(f, x) with x = {before.tolist()} and f = x.dot (f reads x through a reference): "
        f"expected 2x = {(2 * before).tolist()}, got {np.asarray(got).tolist()}: perturb x itself, in place, "
        "not a copy of it")
    after = student.X_322
    assert np.array_equal(after, before), (
        f"after numerical_gradient(f, x) x holds {np.asarray(after).tolist()}, expected its original values "
        f"{before.tolist()} exactly: restore each element (x[idx] = old) after perturbing it")


@pytest.mark.points(1)
def test_relative_error(student):
    a, b = np.array([1.0, 2.0, 0.0]), np.array([1.1, 2.0, 0.0])
    assert_close(student.relative_error(a, b), 0.1 / 2.1, "relative_error([1, 2, 0], [1.1, 2, 0])")
    assert_close(student.relative_error(b, b), 0.0, "relative_error(a, a)")


@pytest.mark.points(1)
def test_mlp_layers_and_initial_weights(student):
    """Linear, ReLU, ..., Linear (no activation after the last), the Linear layers created first
    to last from the one rng, so the initial weights are the rng's draws in that order."""
    for sizes, seed in [([5, 3], 0), ([4, 6, 2], 1), ([3, 5, 4, 2], 2)]:
        call = f"MLP({sizes}, np.random.default_rng({seed}))"
        net = student.MLP(sizes, student.np.random.default_rng(seed))
        names = [type_name(layer) for layer in net.layers]
        want = ["Linear", "ReLU"] * (len(sizes) - 2) + ["Linear"]
        assert names == want, f"{call}.layers: expected {want}, got {names}"
        weights, biases = he_layers(sizes, np.random.default_rng(seed))
        for i, (layer, W, b) in enumerate(zip(linear_layers(net), weights, biases)):
            assert_close(layer.W, W, f"{call}: W of Linear layer {i}, expected the rng's draws in layer order",
                         rtol=1e-12)
            assert_close(layer.b, b, f"{call}: b of Linear layer {i}", atol=0)


@pytest.mark.points(3)
def test_mlp_backprop_matches_true_gradients(student):
    """The whole MLP: analytic gradients within 1e-6 relative error on random shapes."""
    rng = np.random.default_rng(11)
    for case in range(6):
        _, weights, biases, X, y = random_mlp(rng)
        net, sizes = new_mlp(student, weights, biases, seed=case)
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


@pytest.mark.points(1)
def test_mlp_backward_returns_the_input_gradient(student):
    """MLP.backward(grad_logits) returns dL/dx, of shape (N, sizes[0])."""
    rng = np.random.default_rng(15)
    for case in range(3):
        _, weights, biases, X, _ = random_mlp(rng)
        net, sizes = new_mlp(student, weights, biases, seed=case)
        logits = net.forward(X)
        G = rng.normal(0, 1, np.shape(logits))
        assert_close(net.backward(G), mlp_backward(weights, biases, X, G), "MLP.backward(grad_logits), dL/dx",
                     context=f"MLP({sizes}), x of shape {X.shape}")


# train_mlp on a small random problem, with every setting other than the defaults; the last
# minibatch of an epoch is smaller (150 = 3 * 40 + 30; 150 = 4 * 32 + 22).
RECIPES = [dict(sizes=[12, 8, 4], epochs=3, lr=0.2, batch_size=40, seed=3),
           dict(sizes=[12, 6, 5, 4], epochs=2, lr=0.1, batch_size=32, seed=5)]


@pytest.mark.points(2)
def test_train_mlp_follows_the_recipe(student):
    """The notebook pins every step (one generator: the model first, then one permutation per
    epoch; consecutive minibatches; param -= lr * grad), so the trained weights are known, and
    loss_history holds each epoch's mean minibatch loss, weighted by minibatch size."""
    rng = np.random.default_rng(21)
    X, y = rng.normal(0, 1, (150, 12)), rng.integers(0, 4, 150)
    for recipe in RECIPES:
        call = "train_mlp(X, y, " + ", ".join(f"{k}={v}" for k, v in recipe.items()) + ") on 150 examples"
        model = student.train_mlp(X, y, **recipe)
        if not isinstance(model, Remote) or type_name(model) != "MLP":
            fail(f"{call} should return the trained MLP, got {type_name(model)}")
        weights, biases, history = train_mlp(X, y, **recipe)
        linears = linear_layers(model)
        assert len(linears) == len(weights), f"{call}: expected {len(weights)} Linear layers, got {len(linears)}"
        for i, (layer, W, b) in enumerate(zip(linears, weights, biases)):
            for name, got, want in [("W", layer.W, W), ("b", layer.b, b)]:
                assert_close(got, want, f"{call}: {name} of Linear layer {i} after training", context=(
                    "MLP(sizes, rng) first, then one rng.permutation(N) per epoch, consecutive minibatches of "
                    "batch_size, one step param -= lr * grad per minibatch"))
        got = model.loss_history
        if not isinstance(got, list) or len(got) != len(history):
            fail(f"{call}: loss_history should be a list of {len(history)} floats (one per epoch), got {got!r:.200}")
        for epoch, value in enumerate(got):
            assert_float(value, f"{call}: loss_history[{epoch}]")
        assert_close(got, history, f"{call}: loss_history", context=(
            "each epoch's mean of the minibatch losses computed before each step, weighted by minibatch size"))


def digits_split():
    """The notebook's split. The worker is given its training part only (hw_utils.data), so
    the held-out images below are ones the submission never saw, and their labels stay here."""
    X_train, y_train = load_arrays("digits", "train", flatten=True)
    X_test, y_test = load_arrays("digits", "test", flatten=True)
    return X_train, X_test, y_train, y_test


def trained_on_digits(student, seed):
    """train_mlp with its defaults on the digits training split, as the notebook's demo calls it."""
    X_train, _, y_train, _ = digits_split()
    model = student.train_mlp(X_train, y_train, seed=seed)
    if not isinstance(model, Remote):
        fail(f"train_mlp(X_train, y_train, seed={seed}) should return the trained MLP, got {type_name(model)}")
    return model


DEFAULTS = dict(sizes=[64, 64, 10], epochs=30, lr=0.1, batch_size=32)  # train_mlp's signature and docstring


@pytest.mark.points(1)
def test_trained_mlp_is_the_default_mlp(student, seed):
    """By default train_mlp trains MLP([64, 64, 10]) (one hidden layer of 64 ReLU units) for 30
    epochs, lr 0.1, minibatches of 32: the same model as with those settings spelt out."""
    call = f"train_mlp(X_train, y_train, seed={seed}) on digits (64 pixels, 10 classes)"
    model = trained_on_digits(student, seed)
    assert type_name(model) == "MLP", f"{call} should return the trained MLP, got a {type_name(model)}"
    names = [type_name(layer) for layer in model.layers]
    assert names == ["Linear", "ReLU", "Linear"], (
        f"{call}: the default sizes [D, 64, y.max() + 1] give the layers ['Linear', 'ReLU', 'Linear'], got {names}")
    shapes = [tuple(np.shape(layer.W)) for layer in linear_layers(model)]
    assert shapes == [(64, 64), (64, 10)], f"{call}: expected weights of shapes [(64, 64), (64, 10)], got {shapes}"
    X_train, _, y_train, _ = digits_split()
    spelt_out = student.train_mlp(X_train, y_train, seed=seed, **DEFAULTS)
    settings = ", ".join(f"{k}={v}" for k, v in DEFAULTS.items())
    for i, (got, want) in enumerate(zip(linear_layers(model), linear_layers(spelt_out))):
        assert_close(got.W, want.W, f"{call}: W of Linear layer {i}",
                     context=f"the defaults should train the same model as {settings}")


@pytest.mark.accuracy
@pytest.mark.points(3)
def test_trained_mlp_accuracy_on_held_out_digits(student, seed, measure):
    _, X_test, _, y_test = digits_split()
    model = trained_on_digits(student, seed)
    logits = np.asarray(model.forward(X_test))
    assert logits.shape == (len(X_test), 10), f"model.forward(X_test) should have shape {(len(X_test), 10)}, got {logits.shape}"
    accuracy = float(np.mean(logits.argmax(1) == y_test))
    measure("accuracy", accuracy, BAR)
    assert accuracy >= BAR, (
        f"train_mlp(X_train, y_train, seed={seed}) with its defaults (sizes [64, 64, 10], 30 epochs, lr 0.1, "
        f"batch_size 32): held-out accuracy {accuracy:.3f} on {len(y_test)} images, need at least {BAR}")
