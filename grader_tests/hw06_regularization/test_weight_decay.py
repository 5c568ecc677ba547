"""Part A: the L2 penalty, one penalised SGD step against SGD(weight_decay), and weight norms
that fall as weight decay grows (measured in the grader from the returned models)."""

import math

import pytest
import torch
from _reference import linear_layers, mlp_forward, parameter_norm, weight_decay_step

from hw_utils.testing import ModuleSnapshot, assert_close, fail, is_module, load_tensors, type_name

SIZES = [[6, 5, 4], [10, 8, 6, 3]]


def mlp(student, sizes, seed):
    model = student.construct("make_mlp", sizes, seed=seed)
    if not is_module(model):
        fail(f"make_mlp({sizes}) (given) did not return a module: was the given cell changed?")
    return model


@pytest.mark.points(1)
def test_l2_penalty_value(student):
    """(lam / 2) * the sum of squares of every parameter, biases included."""
    for k, (sizes, lam) in enumerate([(SIZES[0], 0.3), (SIZES[1], 1e-2), (SIZES[1], 0.0)]):
        model = mlp(student, sizes, seed=k)
        snap = model.train()
        want = lam / 2 * sum(float((p.double() ** 2).sum()) for p in snap.parameters.values())
        got = student.l2_penalty(model, lam)
        call = f"l2_penalty(make_mlp({sizes}), lam={lam})"
        if not isinstance(got, torch.Tensor) or got.dim() != 0:
            fail(f"{call} should return a 0-d tensor, got {type_name(got)} {got!r:.100}")
        weights_only = lam / 2 * sum(float((p.double() ** 2).sum()) for n, p in snap.parameters.items() if p.ndim == 2)
        hint = ""
        if lam and math.isclose(float(got), 2 * want, rel_tol=1e-4):
            hint = " (twice the expected value: the penalty is lam / 2 * sum, not lam * sum)"
        elif lam and math.isclose(float(got), weights_only, rel_tol=1e-4):
            hint = " (that is the weights alone: weight_decay penalises the biases too)"
        assert math.isclose(float(got), want, rel_tol=1e-4, abs_tol=1e-8), \
            f"{call} = {float(got):.6g}, expected (lam / 2) * sum of squares of all parameters = {want:.6g}{hint}"


@pytest.mark.points(2)
def test_penalised_step_equals_sgd_weight_decay(student):
    """One penalised step moves every parameter as SGD(lr, weight_decay=lam) on the plain loss does."""
    g = torch.Generator().manual_seed(3)
    for k, (sizes, lr, lam) in enumerate([(SIZES[0], 0.5, 0.1), (SIZES[1], 0.2, 0.5)]):
        model = mlp(student, sizes, seed=10 + k)
        X = torch.randn(16, sizes[0], generator=g)
        y = torch.randint(0, sizes[-1], (16,), generator=g)
        after = model.train()
        for step in (1, 2):  # two steps on the same model: the second starts from zeroed gradients too
            want_loss, want = weight_decay_step(after, X, y, lr, lam)
            call = f"penalised_sgd_step(make_mlp({sizes}), X (16, {sizes[0]}), y, lr={lr}, lam={lam}) (step {step})"
            got_loss = student.penalised_sgd_step(model, X, y, lr, lam)
            after = model.train()
            if isinstance(got_loss, bool) or not isinstance(got_loss, float):
                fail(f"{call} should return the penalised loss as a Python float, got {type_name(got_loss)}")
            assert math.isclose(got_loss, want_loss, rel_tol=1e-4), (
                f"{call} returned loss {got_loss:.6f}, expected cross-entropy + (lam / 2) * sum of squares = "
                f"{want_loss:.6f}")
            for name, p in want.items():
                assert_close(after.parameters[name].double(), p, f"{call}: parameter {name} after the step",
                             context="the reference: SGD(lr, weight_decay=lam) on the cross-entropy alone, "
                                     "p - lr * (grad + lam * p)", rtol=1e-4, atol=1e-5)


DECAYS = [0.0, 1e-4, 1e-3, 1e-2]
N_TRAIN = 2000
EPOCHS = 3


@pytest.mark.points(2)
@pytest.mark.call_timeout(120)
def test_weight_norm_falls_as_weight_decay_grows(student, seed, measure):
    """Four models on the same MNIST images and seed, weight decay 0, 1e-4, 1e-3, 1e-2: the norm
    of the parameters (measured here) falls at every step, and each model learnt its data."""
    X, y = load_tensors("mnist_subset", split="train", flatten=True)
    keep = torch.randperm(len(X), generator=torch.Generator().manual_seed(6))[:N_TRAIN]  # the split is sorted by class
    X, y = X[keep], y[keep]
    norms = []
    for wd in DECAYS:
        call = f"train_with_weight_decay(X (2000, 784) of MNIST, y, weight_decay={wd}, epochs={EPOCHS}, seed={seed})"
        snap = student.train_with_weight_decay(X, y, wd, epochs=EPOCHS, seed=seed)
        if not isinstance(snap, ModuleSnapshot):
            fail(f"{call} should return the trained model (a torch.nn.Module), got {type_name(snap)}")
        layers = linear_layers(snap)
        shapes = [tuple(W.shape) for W, _ in layers]
        if shapes != [(100, 784), (10, 100)]:
            fail(f"{call}: expected make_mlp([784, 100, 10]) (Linear weights (100, 784), (10, 100)), got {shapes}")
        with torch.no_grad():
            acc = float((mlp_forward(layers, X).argmax(dim=1) == y).double().mean())
        measure(f"training accuracy, weight_decay={wd}", acc)
        assert acc >= 0.8, (f"{call}: the model classifies only {acc:.1%} of its own 2,000 training images "
                            f"(expected at least 80% after {EPOCHS} epochs of SGD with lr 0.1): is it trained?")
        norms.append(parameter_norm(snap))
        measure(f"parameter norm, weight_decay={wd}", norms[-1])
    listed = ", ".join(f"{wd:g}: {n:.4f}" for wd, n in zip(DECAYS, norms))
    assert all(a > b for a, b in zip(norms, norms[1:])), (
        f"train_with_weight_decay: the parameter norms by weight_decay are {listed}; they should fall as "
        "weight_decay grows (pass it to the optimiser, and train every model from the same seed)")
