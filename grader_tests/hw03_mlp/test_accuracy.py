"""Part E/F: the trained reference models reach their accuracy on the test split."""

import pytest
import torch
from _reference import forward

from hw_utils.data import DatasetMissing, load_tensors


def check_model(snap, X, y, threshold, what):
    assert hasattr(snap, "parameters") and isinstance(snap.parameters, dict), \
        f"{what} should return a torch.nn.Module, got {snap!r:.200}"
    assert "BatchNorm" not in snap.text, f"{what}: the model must not use batch norm (see the docstring)"
    logits = forward(snap, X.cpu())
    acc = (logits.argmax(dim=1) == y.cpu()).double().mean().item()
    assert acc >= threshold, f"{what}: test accuracy {acc:.4f} on {len(y)} images, need at least {threshold}"


@pytest.mark.points(3)
def test_reference_model_mnist_subset(student):
    snap = student.train_reference_model(seed=0)
    X, y = load_tensors("mnist_subset", split="test", flatten=True)
    check_model(snap, X, y, 0.93, "train_reference_model(seed=0) on the mnist_subset test split")


# The gpu tier: skipped without CUDA (the plugin's `gpu` marker) or without the dataset.
@pytest.mark.gpu
@pytest.mark.points(2)
def test_fashion_model(student):
    try:
        X, y = load_tensors("fashion_mnist", split="test", flatten=True)
    except DatasetMissing as missing:
        pytest.skip(f"gpu tier needs FashionMNIST on this runner: {missing}")
    snap = student.train_fashion_model(seed=0)
    check_model(snap, X, y, 0.89, "train_fashion_model(seed=0) on the FashionMNIST test split")
