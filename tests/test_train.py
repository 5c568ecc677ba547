"""hw_utils.train: seeding, accuracy, evaluate, fit, plots, on tiny synthetic problems."""

import math
import random

import matplotlib.image
import numpy as np
import pytest
import torch
from torch import nn

from hw_utils.data import make_loader
from hw_utils.train import (History, accuracy, choose_device, evaluate, fit, plot_confusion_matrix,
                            plot_history, seed_everything)

CE = nn.CrossEntropyLoss()


def blobs(n=300, seed=0, offset=0.0):
    """Three well separated Gaussian blobs in 2-D: (X float32, y int64)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centers = torch.tensor([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    return centers[y] + torch.randn(n, 2, generator=g) + offset, y


def linear_model(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(2, 3)


def same_parameters(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


# --- seeding and device -----------------------------------------------------------------------

def test_seed_everything_fixes_every_generator():
    def draw():
        return random.random(), float(np.random.rand()), torch.rand(3).tolist(), nn.Linear(4, 2).weight.tolist()

    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = True, False
    seed_everything(7)
    first = draw()
    seed_everything(7)
    again = draw()
    seed_everything(8)
    other = draw()
    assert first == again
    assert all(a != b for a, b in zip(first, other)), "a different seed gave a repeated draw"
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def test_choose_device():
    assert choose_device(prefer_gpu=False) == torch.device("cpu")
    assert choose_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


# --- accuracy and evaluate --------------------------------------------------------------------

def test_accuracy_counts_argmax_over_classes():
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [0.0, 4.0, 0.5]])
    assert accuracy(logits, torch.tensor([0, 1, 0, 1])) == 0.75
    assert accuracy(logits, torch.tensor([1, 0, 1, 0])) == 0.0
    assert isinstance(accuracy(logits, torch.tensor([0, 1, 2, 1])), float)


def dropout_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 16), nn.Dropout(0.5), nn.Linear(16, 3))


def test_evaluate_uses_eval_mode_no_grad_and_restores_modes():
    model = dropout_model()
    X, y = torch.randn(50, 5), torch.arange(50) % 3
    model.eval()
    with torch.no_grad():
        want_loss, want_acc = CE(model(X), y).item(), accuracy(model(X), y)
    grad_modes = []
    model.register_forward_hook(lambda module, inputs, output: grad_modes.append(torch.is_grad_enabled()))

    model.train()
    got = evaluate(model, (X, y), CE, batch_size=7)  # 7 does not divide 50: batches must be weighted
    assert got["loss"] == pytest.approx(want_loss, rel=1e-5)
    assert got["accuracy"] == pytest.approx(want_acc)
    assert model.training and model[1].training
    assert grad_modes and not any(grad_modes)
    assert all(p.grad is None for p in model.parameters())

    model.eval()
    model[1].train()  # mixed modes come back as they were
    evaluate(model, (X, y), CE)
    assert not model.training and not model[0].training and model[1].training


def test_evaluate_takes_a_dataloader():
    model = dropout_model()
    X, y = torch.randn(50, 5), torch.arange(50) % 3
    loader = make_loader(torch.utils.data.TensorDataset(X, y), batch_size=16)
    from_loader = evaluate(model, loader, CE, device="cpu")
    from_tensors = evaluate(model, (X, y), CE, device="cpu")
    assert from_loader["loss"] == pytest.approx(from_tensors["loss"], rel=1e-5)
    assert from_loader["accuracy"] == pytest.approx(from_tensors["accuracy"])


# --- fit --------------------------------------------------------------------------------------

def test_fit_learns_a_separable_problem():
    train, val = blobs(seed=0), blobs(seed=1)
    model = linear_model()
    before = evaluate(model, val, CE)
    history = fit(model, train, torch.optim.SGD(model.parameters(), lr=0.1), CE, epochs=8,
                  val_data=val, batch_size=32, progress=False)
    assert isinstance(history, History)
    assert len(history.train_loss) == len(history.train_accuracy) == len(history.val_loss) == 8
    assert history.train_loss[-1] < history.train_loss[0] / 3
    assert history.val_loss[-1] < before["loss"] / 5
    assert history.train_accuracy[-1] >= 0.97 and history.val_accuracy[-1] >= 0.97
    assert history.val_accuracy[-1] == evaluate(model, val, CE)["accuracy"]


def test_fit_takes_a_dataloader():
    X, y = blobs()
    loader = make_loader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    model = linear_model()
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.1), CE, epochs=5, progress=False)
    assert history.train_loss[-1] < history.train_loss[0] / 3 and history.val_loss == []


def run_fit(seed=0, **kwargs):
    model = linear_model()
    history = fit(model, blobs(), torch.optim.SGD(model.parameters(), lr=0.05), CE, epochs=3,
                  batch_size=16, seed=seed, progress=False, **kwargs)
    return model, history


def test_fit_is_reproducible_and_seed_sets_the_batch_order():
    a, history_a = run_fit(seed=0)
    b, history_b = run_fit(seed=0)
    c, _ = run_fit(seed=1)
    assert same_parameters(a, b) and history_a == history_b
    assert not same_parameters(a, c)


def test_validation_data_is_never_trained_on():
    X_val, y_val = blobs(n=90, seed=2, offset=100.0)  # far from every training point
    y_val = y_val[torch.randperm(90, generator=torch.Generator().manual_seed(0))]
    seen = []
    model = linear_model()
    model.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]) if torch.is_grad_enabled() else None)
    history = fit(model, blobs(), torch.optim.SGD(model.parameters(), lr=0.05), CE, epochs=3,
                  batch_size=16, val_data=(X_val, y_val), progress=False)
    trained_on = torch.cat(seen)
    assert len(trained_on) == 3 * 300 and trained_on.abs().max() < 50, "a validation example was trained on"
    assert len(history.val_loss) == 3
    without_val, _ = run_fit()
    assert same_parameters(model, without_val), "validation data changed the trained parameters"


def test_regularizer_is_added_to_the_minimised_loss():
    calls = []

    def l2(model):
        calls.append(1)
        return 0.5 * sum((p ** 2).sum() for p in model.parameters())

    plain, _ = run_fit()
    regularized, _ = run_fit(regularizer=l2)
    assert len(calls) == 3 * math.ceil(300 / 16)
    assert regularized.weight.norm() < 0.8 * plain.weight.norm()


def test_train_loss_leaves_the_regularizer_out():
    plain, plain_history = run_fit()
    constant, constant_history = run_fit(regularizer=lambda model: torch.tensor(100.0))
    assert same_parameters(plain, constant)  # a constant has no gradient
    assert constant_history.train_loss == pytest.approx(plain_history.train_loss)


def test_progress_bars_only_when_asked(capsys):
    run_fit()
    assert capsys.readouterr().err == ""
    model = linear_model()
    fit(model, blobs(), torch.optim.SGD(model.parameters(), lr=0.05), CE, epochs=1, progress=True)
    assert "epochs" in capsys.readouterr().err


# --- plots ------------------------------------------------------------------------------------

def assert_png(path, width, height):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (height, width)
    assert image[..., :3].std() > 0.05, "the image is blank"


def count_axes_side_by_side(path):
    """Axes frames cut by the image row with the most dark pixels (a row of spines)."""
    dark = (matplotlib.image.imread(path)[..., :3] < 0.3).all(axis=-1)
    row = dark[dark.sum(axis=1).argmax()].astype(int)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row, [0]])))
    return sum(1 for start, stop in zip(edges[::2], edges[1::2]) if stop - start > 100)


def test_plot_history_writes_a_png(tmp_path):
    history = History([1.0, 0.6, 0.4], [0.5, 0.7, 0.8], [1.1, 0.7, 0.6], [0.4, 0.6, 0.7])
    path = plot_history(history, tmp_path / "plots" / "history.png")
    assert path == tmp_path / "plots" / "history.png"
    assert_png(path, 1000, 400)
    assert count_axes_side_by_side(path) == 2, "expected loss and accuracy side by side"
    assert_png(plot_history(History([1.0, 0.5], [0.5, 0.9]), tmp_path / "train_only.png"), 1000, 400)


def test_plot_confusion_matrix_counts_and_writes_a_png(tmp_path):
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    predictions = np.array([0, 1, 1, 1, 2, 0, 2])
    counts = plot_confusion_matrix(labels, predictions, ["a", "b", "c"], tmp_path / "cm.png")
    assert counts.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    assert_png(tmp_path / "cm.png", 450, 350)
