"""Part A: FNN structure for several depths, batch norm, dropout, the forward pass."""

import pytest
import torch
from _reference import fnn_parameter_count, forward

DEPTHS = [[], [24], [40, 20], [32, 16, 8]]


@pytest.mark.points(2)
def test_structure_for_several_depths(student):
    for hidden in DEPTHS:
        snap = student.FNN(50, hidden, 7)
        call = f"FNN(50, {hidden}, 7)"
        assert hasattr(snap, "parameters") and isinstance(snap.parameters, dict), \
            f"{call} should construct a torch.nn.Module, got {snap!r}"
        weights = [p for p in snap.parameters.values() if p.ndim == 2]
        assert len(weights) == len(hidden) + 1, \
            f"{call}: expected {len(hidden) + 1} Linear layers, found {len(weights)} weight matrices"
        shapes = [tuple(w.shape) for w in weights]
        sizes = [50] + hidden + [7]
        want = [(b, a) for a, b in zip(sizes[:-1], sizes[1:])]
        assert shapes == want, f"{call}: Linear weight shapes (out, in) expected {want}, got {shapes}"
        want_n = fnn_parameter_count(sizes)
        assert snap.num_parameters() == want_n, f"{call}: expected {want_n} parameters, got {snap.num_parameters()}"
        assert "BatchNorm" not in snap.text and "Dropout" not in snap.text, \
            f"{call}: no batch norm or dropout unless asked; the model prints as\n{snap.text}"


@pytest.mark.points(1)
def test_batch_norm_when_asked(student):
    for hidden in [[12], [20, 10, 6]]:
        snap = student.FNN(30, hidden, 4, batch_norm=True)
        call = f"FNN(30, {hidden}, 4, batch_norm=True)"
        count = snap.text.count("BatchNorm1d")
        assert count == len(hidden), f"{call}: expected {len(hidden)} BatchNorm1d layers (one per hidden layer), found {count}"
        want_n = fnn_parameter_count([30] + hidden + [4], batch_norm=True)
        assert snap.num_parameters() == want_n, f"{call}: expected {want_n} parameters, got {snap.num_parameters()}"
    snap = student.FNN(30, [12, 6], 4, dropout=0.3)
    count = snap.text.count("Dropout")
    assert count == 2, f"FNN(30, [12, 6], 4, dropout=0.3): expected 2 Dropout layers, found {count}"


@pytest.mark.points(1)
def test_forward_flattens_and_returns_logits(student):
    x = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    for kwargs, activation in [({}, torch.relu), ({"activation": student.nn.Tanh}, torch.tanh)]:
        bench = student.Workbench(784, [16, 8], 10, seed=2, **kwargs)
        what = "FNN(784, [16, 8], 10" + (", activation=nn.Tanh)" if kwargs else ")")
        got = bench.forward(x)
        assert isinstance(got, torch.Tensor) and tuple(got.shape) == (6, 10), \
            f"{what} on images (6, 1, 28, 28): expected logits of shape (6, 10), got {getattr(got, 'shape', got)}"
        want = forward(bench.model, x, activation)
        err = (got.double() - want).abs().max().item()
        assert err < 1e-4, f"{what}: logits differ from Linear -> activation -> ... -> Linear by up to {err:.3g}"
