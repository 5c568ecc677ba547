"""Part E: SVHNNet learns. The cpu tier trains a fresh SVHNNet() with the submission's train_svhn
on MNIST digits shaped like SVHN, with the budget the notebook states ("Your network"), and
measures it on test digits the worker never had; the gpu tier trains it with train_svhn_full on
SVHN and measures it on SVHN's test split. That SVHNNet is a CNN: test_svhn.py."""

import pytest
import torch
from _reference import mnist_as_svhn, svhn_test_tensors

from hw_utils.testing import fail, is_module, load_dataset, require_dataset, type_name

# The budget and bar the notebook states: N_TRAIN digits, EPOCHS epochs, batches of BATCH, Adam at LR.
N_TRAIN, EPOCHS, BATCH, LR, BAR = 2000, 6, 32, 1e-3, 0.85
CHUNK = 500  # test images per call into the student's model


def fresh_svhn_net(student, seed):
    student.torch.manual_seed(seed)
    model = student.construct("SVHNNet")
    if not is_module(model):
        fail(f"SVHNNet() should construct a torch.nn.Module, got a {type_name(model)}")
    return model


def accuracy(model, X, y, what):
    """The model's accuracy on (X, y), in eval mode: the images go in, the labels stay here."""
    model.eval()
    correct = 0
    for start in range(0, len(X), CHUNK):
        logits = model(X[start:start + CHUNK])
        assert isinstance(logits, torch.Tensor) and tuple(logits.shape) == (len(X[start:start + CHUNK]), 10), \
            f"{what}: expected logits of shape (N, 10) for test images (N, 3, 32, 32), got {logits!r:.100}"
        correct += (logits.argmax(dim=1) == y[start:start + CHUNK]).sum().item()
    return correct / len(X)


@pytest.mark.accuracy
@pytest.mark.call_timeout(120)
@pytest.mark.points(3)
def test_svhn_net_learns_digits(student, seed, measure):
    X, y = mnist_as_svhn("train", seed=seed)
    X, y = X[:N_TRAIN], y[:N_TRAIN]
    X_test, y_test = mnist_as_svhn("test")
    model = fresh_svhn_net(student, seed)
    call = (f"train_svhn(SVHNNet(), {N_TRAIN:,} training digits, epochs={EPOCHS}, lr={LR}, batch_size={BATCH}, "
            f"seed={seed})")
    history = student.train_svhn(model, (X, y), None, epochs=EPOCHS, lr=LR, device="cpu", batch_size=BATCH, seed=seed)
    losses = getattr(history, "train_loss", None)
    assert isinstance(losses, list) and len(losses) == EPOCHS, \
        f"{call}: History.train_loss should hold {EPOCHS} values, one per epoch, got {losses!r:.200}"
    acc = accuracy(model, X_test, y_test, call)
    measure("accuracy", acc, BAR)
    assert acc >= BAR, (
        f"{call} on MNIST digits shaped like SVHN (mnist_as_svhn): test accuracy {acc:.3f} on the 1,000 test digits, "
        f"need at least {BAR} (the budget and bar the notebook states under 'Your network')")


# The gpu tier: skipped without CUDA (the plugin's `gpu` marker) or without SVHN.
@pytest.mark.gpu
@pytest.mark.accuracy
@pytest.mark.call_timeout(600)  # trains on the full training split
@pytest.mark.points(3)
def test_svhn_test_accuracy(student, seed, measure):
    X, y = svhn_test_tensors(require_dataset(load_dataset, "svhn", "test"))
    model = fresh_svhn_net(student, seed)
    student.train_svhn_full(model, seed=seed)
    assert model.training is False, "train_svhn_full(model) should leave the model in eval mode"
    acc = accuracy(model, X, y, "train_svhn_full(SVHNNet())")
    measure("accuracy", acc, 0.90)
    assert acc >= 0.90, f"SVHNNet trained by train_svhn_full(): test accuracy {acc:.4f} on SVHN's 26,032 test images, need 0.90"
