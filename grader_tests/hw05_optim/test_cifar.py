"""Part G: CIFARNet is a CNN giving (N, 10) logits; train_cifar trains with Adam at lr, one loss per epoch,
a batch order fixed by seed, and augmentation that changes training when asked (small data, seconds)."""

import pytest
import torch
from _reference import mnist_as_cifar

from hw_utils.testing import StudentError, fail, is_module, type_name


def fresh_cifar_net(student, seed):
    student.torch.manual_seed(seed)
    model = student.construct("CIFARNet")
    if not is_module(model):
        fail(f"CIFARNet() should construct a torch.nn.Module, got a {type_name(model)}")
    return model


def trained(student, init_seed, global_seed=0, **kwargs):
    X, y = mnist_as_cifar("train", seed=11)
    model = fresh_cifar_net(student, init_seed)
    student.torch.manual_seed(global_seed)
    options = {"epochs": 2, "lr": 1e-3, "batch_size": 32, "device": "cpu", **kwargs}
    call = f"train_cifar(CIFARNet(), 128 stand-in images, {', '.join(f'{k}={v!r}' for k, v in options.items())})"
    try:
        losses = student.train_cifar(model, (X[:128], y[:128]), **options)
    except StudentError as err:
        fail(f"{call} raised: {str(err).strip().splitlines()[-1]:.400}")
    return call, losses, model.eval().parameters


@pytest.mark.points(1)
def test_cifar_net_is_a_cnn(student):
    """The homework asks for a CNN: convolution filters ((out, in, kh, kw) weights with kh, kw > 1). An MLP learns
    the CPU tier's digits nearly as well, not CIFAR-10."""
    model = fresh_cifar_net(student, 0)
    snap = model.eval()
    filters = [name for name, p in snap.parameters.items() if p.dim() == 4 and min(p.shape[2:]) > 1]
    assert filters, (f"CIFARNet() should be a convolutional network; its parameters "
                     f"{ {name: tuple(p.shape) for name, p in snap.parameters.items()} } hold no convolution filters")
    X, _ = mnist_as_cifar("test")
    logits = model(X[:7])
    assert isinstance(logits, torch.Tensor) and tuple(logits.shape) == (7, 10), \
        f"CIFARNet() in eval mode on 7 images (7, 3, 32, 32): expected logits of shape (7, 10), got {logits!r:.100}"


@pytest.mark.points(1)
def test_train_cifar_losses_and_seed(student):
    call, losses, first = trained(student, 1, epochs=3, seed=5)
    assert isinstance(losses, list) and len(losses) == 3 and all(isinstance(v, float) and v > 0 for v in losses), \
        f"{call} should return 3 positive floats, the training loss of each epoch, got {losses!r:.200}"
    _, _, again = trained(student, 1, epochs=3, seed=5)
    assert all(torch.equal(first[n], again[n]) for n in first), \
        f"{call} twice from the same start: the trained weights differ: seed should fix the order of the batches"
    _, _, other = trained(student, 1, epochs=3, seed=6)
    assert not all(torch.equal(first[n], other[n]) for n in first), \
        f"{call} and the same with seed=6 trained identical weights: the seed should choose the order of the batches"


@pytest.mark.points(1)
def test_train_cifar_augment_changes_training(student):
    call, _, plain = trained(student, 2, global_seed=3, epochs=1, augment=False)
    _, _, augmented = trained(student, 2, global_seed=3, epochs=1, augment=True)
    assert not all(torch.equal(plain[n], augmented[n]) for n in plain), \
        f"{call} and the same with augment=True ended with identical weights: augment=True should crop and flip"
