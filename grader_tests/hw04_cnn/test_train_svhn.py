"""Part E: train_svhn does what its docstring says (Adam steps of size lr, batches of batch_size,
one History entry per epoch, a batch order fixed by seed, validation data only evaluated, after
each epoch, never augmented), shown on small models so that it costs a few seconds."""

import pytest
import torch
import torch.nn.functional as F
from _reference import mnist_as_svhn, mnist_net_forward

from hw_utils.testing import fail, is_module, load_tensors, type_name


def small_net(student, seed):
    """Part D's Net(4, 6, 3), a small model with known structure, initialised from `seed`."""
    student.torch.manual_seed(seed)
    model = student.construct("Net", 4, 6, 3)
    if not is_module(model):
        fail(f"Net(4, 6, 3) should construct a torch.nn.Module, got a {type_name(model)}")
    return model


def digits(n, seed):
    """n MNIST digits (1, 28, 28) of the training split and their labels: Net's input."""
    X, y = load_tensors("mnist_subset", split="train")
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:n]
    return X[order], y[order]


def trained(student, model, train_data, val_data=None, global_seed=0, **kwargs):
    """train_svhn(model, ...) on the CPU after torch.manual_seed(global_seed) (Net's dropout draws from it)."""
    student.torch.manual_seed(global_seed)
    history = student.train_svhn(model, train_data, val_data, device="cpu", **kwargs)
    return history, model.eval().parameters


def changes(before, after):
    return torch.cat([(after[name] - before[name]).flatten() for name in before])


@pytest.mark.points(1)
def test_train_svhn_takes_adam_steps_of_lr(student):
    """Adam's first step moves every weight with a gradient by lr (m / sqrt(v) = sign of the gradient);
    SGD's by lr times the gradient. More batches, more steps: up to about lr each."""
    X, y = digits(64, 1)
    for lr in (1e-3, 4e-3):
        model = small_net(student, 2)
        before = model.eval().parameters
        _, after = trained(student, model, (X[:32], y[:32]), epochs=1, lr=lr, batch_size=32)
        step = changes(before, after).abs()
        moved = step[step > 0]
        call = f"train_svhn(Net(4, 6, 3), 32 digits, epochs=1, lr={lr}, batch_size=32), one batch"
        assert len(moved) > 0.5 * len(step), f"{call}: only {len(moved)} of {len(step)} weights changed"
        close = ((moved - lr).abs() <= 0.01 * lr).double().mean().item()
        assert step.max().item() <= 1.01 * lr and close >= 0.9, (
            f"{call}: one Adam step of learning rate {lr} moves each weight by about {lr}; the weights moved by "
            f"{moved.median().item():.3g} (median), {step.max().item():.3g} at most, only {100 * close:.0f} % of them "
            "by lr: is it torch.optim.Adam with lr=lr?")
    model = small_net(student, 2)
    before = model.eval().parameters
    _, after = trained(student, model, (X, y), epochs=1, lr=1e-3, batch_size=8)
    largest = changes(before, after).abs().max().item()
    assert largest > 3e-3, (
        f"train_svhn(Net(4, 6, 3), 64 digits, epochs=1, lr=0.001, batch_size=8) should take 8 Adam steps, one "
        f"per batch of 8; no weight moved by more than {largest:.3g}, as if it took one step (batch_size ignored?)")


@pytest.mark.points(1)
def test_train_svhn_history_per_epoch_and_validation(student):
    """Three epochs with validation data: three entries per curve; the validation loss and accuracy
    are the cross-entropy and accuracy of the model after the epoch, in eval mode; validation data
    is only evaluated: the model trains the same without it."""
    (X, y), (X_val, y_val) = digits(96, 3), digits(64, 4)
    call = "train_svhn(Net(4, 6, 3), 96 digits, val_data=64 digits, epochs=3, lr=0.003, batch_size=32)"
    history, params = trained(student, small_net(student, 5), (X, y), (X_val, y_val), global_seed=6,
                              epochs=3, lr=3e-3, batch_size=32)
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        values = getattr(history, name)
        assert isinstance(values, list) and len(values) == 3 and all(isinstance(v, float) for v in values), \
            f"{call}: History.{name} should hold 3 floats, one per epoch, got {values!r:.200}"
    log_probs = mnist_net_forward(params, X_val)  # Net returns log-probabilities: cross-entropy is their NLL
    want_loss, want_acc = F.nll_loss(log_probs, y_val).item(), (log_probs.argmax(1) == y_val).double().mean().item()
    assert abs(history.val_loss[-1] - want_loss) < 1e-4 * max(1.0, want_loss), (
        f"{call}: History.val_loss[-1] should be the mean cross-entropy of the trained model on the validation "
        f"data in eval mode, {want_loss:.5f}; got {history.val_loss[-1]:.5f}")
    assert abs(history.val_accuracy[-1] - want_acc) < 1e-6, \
        f"{call}: History.val_accuracy[-1] should be {want_acc:.4f} (the trained model in eval mode), got {history.val_accuracy[-1]}"
    without, params_without = trained(student, small_net(student, 5), (X, y), None, global_seed=6,
                                      epochs=3, lr=3e-3, batch_size=32)
    assert without.val_loss == [] and without.val_accuracy == [], \
        f"{call.replace('val_data=64 digits', 'val_data=None')}: no validation curves expected, got {without.val_loss!r:.100}"
    differ = max((params[n] - params_without[n]).abs().max().item() for n in params)
    assert differ == 0, (
        f"{call}: trained with and without the validation data (same seeds), the weights differ by up to {differ:.3g}: "
        "validation data must only be evaluated, never trained on")


@pytest.mark.points(1)
def test_train_svhn_seed_fixes_the_order(student):
    """The same seed: the same batches in the same order, whatever torch's global generator does
    in between; another seed: another order."""
    X, y = digits(64, 7)
    runs = {}
    for seed in (1, 1, 2):
        _, params = trained(student, small_net(student, 8), (X, y), global_seed=9, epochs=1, lr=1e-3,
                            batch_size=16, seed=seed)
        runs.setdefault(seed, []).append(params)
    call = "train_svhn(Net(4, 6, 3), 64 digits, epochs=1, batch_size=16, seed={})"
    first, again = runs[1]
    assert all(torch.equal(first[n], again[n]) for n in first), \
        f"{call.format(1)} twice from the same start: the trained weights differ: seed should fix the order of the batches"
    assert not all(torch.equal(first[n], runs[2][0][n]) for n in first), (
        f"{call.format(1)} and {call.format(2)} from the same start trained identical weights: the seed should "
        "choose the order of the batches")


@pytest.mark.points(1)
def test_train_svhn_augment_changes_training(student):
    X, y = mnist_as_svhn("train", seed=1)
    trained_with = {}
    for augment in (False, True):
        student.torch.manual_seed(3)
        model = student.construct("SVHNNet")
        student.torch.manual_seed(3)
        history = student.train_svhn(model, (X[:128], y[:128]), None, epochs=1, device="cpu", batch_size=64,
                                     augment=augment)
        assert len(history.train_loss) == 1 and not history.val_loss, \
            f"train_svhn(..., epochs=1, val_data=None, augment={augment}): one train_loss, no val_loss expected"
        trained_with[augment] = model.eval().parameters
    same = all(torch.equal(trained_with[False][name], trained_with[True][name]) for name in trained_with[False])
    assert not same, ("the same model, data and seeds trained with augment=False and augment=True ended with "
                      "identical parameters: augment=True should transform the training batches")


@pytest.mark.points(1)
def test_train_svhn_never_augments_validation_data(student):
    X, y = mnist_as_svhn("train", seed=2)
    X_val, y_val = X[128:192], y[128:192]
    student.torch.manual_seed(4)
    model = student.construct("SVHNNet")
    history = student.train_svhn(model, (X[:128], y[:128]), (X_val, y_val), epochs=1, device="cpu", batch_size=64,
                                 augment=True)
    model.eval()
    logits = model(X_val)
    want = F.cross_entropy(logits, y_val).item()
    got = history.val_loss[-1] if isinstance(history.val_loss, list) and history.val_loss else None
    assert got is not None and abs(got - want) < 1e-4 * max(1.0, want), (
        f"train_svhn(SVHNNet(), 128 images, val_data=64 images, epochs=1, augment=True): History.val_loss[-1] should "
        f"be the cross-entropy of the trained model on the validation images as they are (eval mode, not "
        f"augmented), {want:.5f}; got {got!r:.20}")
