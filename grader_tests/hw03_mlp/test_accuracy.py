"""Part E/F: the trained reference models reach their accuracy on the test split.

The trained model stays in the worker (a handle) and the grader feeds it the test split
in chunks, in eval mode: any architecture works, batch norm included.
"""

import pytest
import torch

from hw_utils.data import DatasetMissing, load_tensors
from hw_utils.sandbox import StudentError

CHUNK = 2000  # test images per call into the student's model


def check_model(student, train_function, X, y, threshold, what):
    model = student.construct(train_function, seed=0)
    try:
        is_module = isinstance(model.training, bool)  # what every torch.nn.Module has
    except StudentError:
        is_module = False
    if not is_module:
        pytest.fail(f"{what} should return the trained torch.nn.Module, got a {model._type_name}", pytrace=False)
    model.eval()
    logits = torch.cat([_logits(model(X[i:i + CHUNK]), what) for i in range(0, len(X), CHUNK)])
    assert logits.shape == (len(y), 10), f"{what}: expected logits of shape ({len(y)}, 10), got {tuple(logits.shape)}"
    acc = (logits.argmax(dim=1) == y).double().mean().item()
    assert acc >= threshold, f"{what}: test accuracy {acc:.4f} on {len(y)} images, need at least {threshold}"


def _logits(out, what):
    assert isinstance(out, torch.Tensor), f"{what}: the model should return a tensor of logits, got {type(out).__name__}"
    return out.double()


@pytest.mark.points(3)
def test_reference_model_mnist_subset(student):
    X, y = load_tensors("mnist_subset", split="test", flatten=True)
    check_model(student, "train_reference_model", X, y, 0.93,
                "train_reference_model(seed=0) on the mnist_subset test split")


# The gpu tier: skipped without CUDA (the plugin's `gpu` marker) or without the dataset.
@pytest.mark.gpu
@pytest.mark.call_timeout(600)  # trains on the full training split
@pytest.mark.points(2)
def test_fashion_model(student):
    try:
        X, y = load_tensors("fashion_mnist", split="test", flatten=True)
    except DatasetMissing as missing:
        pytest.skip(f"gpu tier needs FashionMNIST on this runner: {missing}")
    check_model(student, "train_fashion_model", X, y, 0.89,
                "train_fashion_model(seed=0) on the FashionMNIST test split")
