"""Part A: FNN structure for several depths, batch norm, dropout, the forward pass, the
order of the layers inside a dense layer, and the default initialisation.

A layer's order and place are measured from what the network computes (in train mode, where
batch norm uses the batch's statistics and dropout draws masks), never from how it prints.
"""

import itertools
import re

import pytest
import torch
from _reference import batch_norms, fnn_parameter_count, forward, linear_layers

from hw_utils.testing import ModuleSnapshot, fail, is_module

DEPTHS = [[], [24], [40, 20], [32, 16, 8]]


def dropout_count(snap) -> int:
    """Dropout layers in the printed model; a ModuleList prints repeats as "(0-1): 2 x Dropout(...)"."""
    return sum(int(n or 1) for n in re.findall(r"(?:(\d+) x )?Dropout\(", snap.text))


def weight_shapes(snap, in_features):
    return [tuple(W.shape) for W, _ in linear_layers(snap, in_features)]


def constructed(student, call, *args, **kwargs):
    """student.<call>(*args, **kwargs) as a handle on the module in the worker."""
    model = student.construct(call, *args, **kwargs)
    if not is_module(model):
        fail(f"{call}{args} should return a torch.nn.Module, got {model!r}")
    return model


@pytest.mark.points(2)
def test_structure_for_several_depths(student):
    for hidden in DEPTHS:
        snap = student.FNN(50, hidden, 7)
        call = f"FNN(50, {hidden}, 7)"
        assert isinstance(snap, ModuleSnapshot), f"{call} should construct a torch.nn.Module, got {snap!r:.200}"
        weights = [p for p in snap.parameters.values() if p.ndim == 2]
        assert len(weights) == len(hidden) + 1, \
            f"{call}: expected {len(hidden) + 1} Linear layers, found {len(weights)} weight matrices"
        sizes = [50] + hidden + [7]
        want = [(b, a) for a, b in zip(sizes[:-1], sizes[1:])]
        shapes = weight_shapes(snap, 50)
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
        count = len(batch_norms(snap))
        assert count == len(hidden), f"{call}: expected {len(hidden)} BatchNorm1d layers (one per hidden layer), found {count}"
        want_n = fnn_parameter_count([30] + hidden + [4], batch_norm=True)
        assert snap.num_parameters() == want_n, f"{call}: expected {want_n} parameters, got {snap.num_parameters()}"
    snap = student.FNN(30, [12, 6], 4, dropout=0.3)
    count = dropout_count(snap)
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


def train_mode_outputs(model, x, what):
    """(snapshot in train mode, the model's output on x in train mode)."""
    snap = model.train()
    got = model(x)
    assert isinstance(got, torch.Tensor) and tuple(got.shape)[0] == len(x), \
        f"{what} on inputs {tuple(x.shape)}: expected a tensor of {len(x)} rows, got {getattr(got, 'shape', got)!r}"
    return snap, got.double()


ORDER = "Linear -> BatchNorm1d -> activation"


@pytest.mark.points(1)
def test_dense_layer(student):
    """_dense_layer(in, out, activation, batch_norm): Linear, [BatchNorm1d], [activation()] in this order."""
    x = 1.0 + 2.0 * torch.randn(16, 6, generator=torch.Generator().manual_seed(8))
    cases = [(None, None, False), ("ReLU", torch.relu, False), ("ReLU", torch.relu, True), ("Tanh", torch.tanh, True)]
    for name, activation, bn in cases:
        what = f"_dense_layer(6, 5, {'nn.' + name if name else None}, batch_norm={bn})"
        layer = constructed(student, "_dense_layer", 6, 5, getattr(student.nn, name) if name else None, bn)
        snap, got = train_mode_outputs(layer, x, what)
        ((W, b),) = linear_layers(snap, 6)
        h = x.double() @ W.T + b
        norms = batch_norms(snap)
        assert len(norms) == int(bn), f"{what}: expected {int(bn)} BatchNorm1d layer, found {len(norms)}"
        if bn:
            h = norms[0](h, train_mode=True)
        if activation is not None:
            h = activation(h)
        err = (got - h).abs().max().item()
        assert err < 1e-4, (
            f"{what} in train mode on a batch of 16: output differs from "
            f"{' -> '.join(['Linear'] + (['BatchNorm1d'] if bn else []) + ([name] if name else []))} "
            f"by up to {err:.3g} (the order is {ORDER})")


@pytest.mark.points(1)
def test_fnn_layer_order_with_batch_norm(student):
    """In train mode batch norm standardises each unit over the batch: before the activation
    or after it gives different outputs, so the order shows in what the network computes."""
    x = 0.5 + 2.0 * torch.randn(32, 30, generator=torch.Generator().manual_seed(9))
    for kwargs, activation in [({}, torch.relu), ({"activation": student.nn.Tanh}, torch.tanh)]:
        what = "FNN(30, [20, 10, 6], 4, batch_norm=True" + (", activation=nn.Tanh)" if kwargs else ")")
        model = constructed(student, "FNN", 30, [20, 10, 6], 4, batch_norm=True, **kwargs)
        snap, got = train_mode_outputs(model, x, what)
        want = forward(snap, x, activation, batch_norm=True, train_mode=True)
        assert tuple(got.shape) == tuple(want.shape), f"{what}: expected logits {tuple(want.shape)}, got {tuple(got.shape)}"
        err = (got - want).abs().max().item()
        assert err < 1e-4, (
            f"{what} in train mode on a batch of 32: logits differ by up to {err:.3g} from hidden layers "
            f"{ORDER} and a plain Linear to the classes")


@pytest.mark.points(1)
def test_dropout_after_each_hidden_layer(student):
    """Train mode, 64 copies of one input: every output row must be what some choice of
    dropout masks after the hidden layers' activations gives (2**5 choices here)."""
    p = 0.5
    x = torch.randn(1, 5, generator=torch.Generator().manual_seed(10)).repeat(64, 1)
    what = "FNN(5, [3, 2], 4, activation=nn.Tanh, dropout=0.5)"
    model = constructed(student, "FNN", 5, [3, 2], 4, activation=student.nn.Tanh, dropout=p)
    snap, got = train_mode_outputs(model, x, what)
    (W1, b1), (W2, b2), (W3, b3) = linear_layers(snap, 5)
    possible = []
    for m1 in itertools.product([0.0, 1.0], repeat=3):
        h1 = torch.tanh(x[:1].double() @ W1.T + b1) * torch.tensor(m1, dtype=torch.float64) / (1 - p)
        for m2 in itertools.product([0.0, 1.0], repeat=2):
            h2 = torch.tanh(h1 @ W2.T + b2) * torch.tensor(m2, dtype=torch.float64) / (1 - p)
            possible.append(h2 @ W3.T + b3)
    possible = torch.cat(possible)
    distance = torch.cdist(got, possible).min(dim=1).values.max().item()
    assert distance < 1e-4, (
        f"{what} in train mode: an output row is {distance:.3g} away from every output that dropout after "
        "each hidden layer (Linear -> Tanh -> Dropout) can give; dropout belongs after the activation, "
        "never on the inputs or the logits")


@pytest.mark.points(1)
def test_layers_keep_default_initialisation(student):
    """nn.Linear's default: weights and biases uniform in +-1/sqrt(fan_in); batch norm: scale 1, shift 0."""
    what = "FNN(784, [256, 64], 10, batch_norm=True)"
    snap = student.FNN(784, [256, 64], 10, batch_norm=True)
    assert isinstance(snap, ModuleSnapshot), f"{what} should construct a torch.nn.Module, got {snap!r:.200}"
    for W, b in linear_layers(snap, 784):
        fan_out, fan_in = W.shape
        bound = fan_in ** -0.5
        layer = f"{what}: Linear({fan_in}, {fan_out})"
        for name, values, spread in [("weights", W, 0.1), ("biases", b, 0.3 if fan_out >= 64 else None)]:
            largest = values.abs().max().item()
            assert largest <= bound * (1 + 1e-6), (
                f"{layer} {name}: largest |value| {largest:.4f}, but nn.Linear's default initialisation draws "
                f"them uniformly in +-1/sqrt(fan_in) = +-{bound:.4f}; keep the default initialisation")
            std, want = values.std().item(), bound / 3 ** 0.5
            assert spread is None or abs(std - want) <= spread * want, (
                f"{layer} {name}: standard deviation {std:.4f}, expected about {want:.4f} (uniform in "
                f"+-{bound:.4f}, nn.Linear's default initialisation)")
    for norm in batch_norms(snap):
        assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0), \
            f"{what}: a BatchNorm1d layer should start with scale 1 and shift 0 (its default)"
