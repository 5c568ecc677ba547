"""Part B: DataLoaderFNN normalises every split with the training statistics (Python floats
in self.mean and self.std), yields float32 batches, and shuffles in a new order every pass
drawn from its own seeded generator."""

import pytest
import torch
from _reference import batches

from hw_utils.testing import assert_dtype


@pytest.mark.points(2)
def test_val_normalised_with_train_statistics(student):
    g = torch.Generator().manual_seed(7)
    X_tr = 3.0 + 2.0 * torch.randn(50, 1, 4, 4, generator=g)
    X_va = -5.0 + 0.5 * torch.randn(20, 1, 4, 4, generator=g)
    y_tr, y_va = torch.arange(50) % 3, torch.arange(20) % 3
    tr = student.DataLoaderFNN(X_tr, y_tr, 8, shuffle=False)
    va = student.DataLoaderFNN(X_va, y_va, 8, shuffle=False, train_loader=tr)
    mean, std = X_tr.mean(), X_tr.std()
    for name, loader, X, y in [("training", tr, X_tr, y_tr), ("validation", va, X_va, y_va)]:
        got = batches(loader)
        xs = torch.cat([b[0] for b in got])
        ys = torch.cat([b[1] for b in got])
        want = (X.flatten(start_dim=1) - mean) / std
        assert tuple(xs.shape) == tuple(want.shape), \
            f"{name} loader (shuffle=False): expected flattened inputs of shape {tuple(want.shape)}, got {tuple(xs.shape)}"
        err = (xs.double() - want.double()).abs().max().item()
        assert err < 1e-4, (
            f"{name} loader: inputs should be (X - train mean) / train std with the training split's "
            f"mean {mean:.3f} and std {std:.3f}; largest difference {err:.3g} "
            f"(got mean {xs.mean():.3f}, std {xs.std():.3f})")
        assert torch.equal(ys, y), f"{name} loader (shuffle=False): labels should come in their stored order"


@pytest.mark.points(1)
def test_batches_length_and_shuffling(student):
    X = torch.arange(23.0).reshape(23, 1)
    y = torch.arange(23)
    loader = student.DataLoaderFNN(X, y, 5, shuffle=True, seed=3)
    assert loader.__len__() == 5, f"23 examples in batches of 5: len should be 5, got {loader.__len__()}"
    first = batches(loader)
    sizes = [len(b[1]) for b in first]
    assert sizes == [5, 5, 5, 5, 3], f"batch sizes for 23 examples, batch_size 5: expected [5, 5, 5, 5, 3], got {sizes}"
    labels = torch.cat([b[1] for b in first])
    assert sorted(labels.tolist()) == list(range(23)), "one pass should visit every example exactly once"
    assert labels.tolist() != list(range(23)), "shuffle=True should change the order of the examples"
    xs = torch.cat([b[0] for b in first]).flatten()
    want = (labels.double() - X.mean().double()) / X.std().double()
    assert (xs.double() - want).abs().max().item() < 1e-4, "inputs and labels must stay paired after shuffling"
    again = batches(student.DataLoaderFNN(X, y, 5, shuffle=True, seed=3))
    assert torch.equal(torch.cat([b[1] for b in again]), labels), "the same seed should give the same order"


@pytest.mark.points(1)
def test_statistics_are_python_floats_and_batches_float32(student):
    g = torch.Generator().manual_seed(12)
    X = 4.0 + 3.0 * torch.randn(30, 1, 3, 3, generator=g, dtype=torch.float64)
    y = torch.arange(30) % 4
    tr = student.DataLoaderFNN(X, y, 7, shuffle=False)
    va = student.DataLoaderFNN(X[:9], y[:9], 7, shuffle=False, train_loader=tr)
    for name, want in [("mean", X.mean().item()), ("std", X.std().item())]:
        got = getattr(tr, name)
        assert type(got) is float, (
            f"DataLoaderFNN(X, y, 7).{name}: expected a Python float (X.{name}() over every entry, as a float), "
            f"got {type(got).__name__} {got!r:.80}")
        assert abs(got - want) <= 1e-5 * abs(want), f"DataLoaderFNN(X, y, 7).{name}: expected X.{name}() = {want:.6f}, got {got:.6f}"
    for name, loader in [("training", tr), ("validation", va)]:
        for x, _ in batches(loader):
            assert_dtype(x, torch.float32, f"a {name} batch of DataLoaderFNN given float64 images (30, 1, 3, 3)")


def order_of(loader):
    return torch.cat([b[1] for b in batches(loader)]).tolist()


@pytest.mark.points(1)
def test_new_order_every_pass_from_its_own_seeded_generator(student):
    """shuffle=True: every pass in a new order, drawn from a torch.Generator seeded in __init__,
    so the orders depend on the seed only (not on torch's global random state)."""
    X, y = torch.arange(40.0).reshape(40, 1), torch.arange(40)
    loader = student.DataLoaderFNN(X, y, 8, shuffle=True, seed=5)
    first, second = order_of(loader), order_of(loader)
    for k, order in enumerate([first, second], 1):
        assert sorted(order) == list(range(40)), f"pass {k} over the loader should visit every example exactly once"
    assert first != second, (
        "two passes over the same DataLoaderFNN(shuffle=True) visited the examples in the same order: draw a "
        "new permutation every pass (in __iter__), from the generator seeded in __init__")
    runs = []
    for global_seeds in [(1, 2), (3, 4)]:
        student.torch.manual_seed(global_seeds[0])
        again = student.DataLoaderFNN(X, y, 8, shuffle=True, seed=5)
        student.torch.manual_seed(global_seeds[1])
        runs.append([order_of(again), order_of(again)])
    assert runs[0] == runs[1] == [first, second], (
        "DataLoaderFNN(..., seed=5): the orders of its first passes changed with torch's global random state "
        "(torch.manual_seed before and after building it); draw them from a torch.Generator seeded with `seed` "
        "in __init__ so that the same seed gives the same orders")
    other = order_of(student.DataLoaderFNN(X, y, 8, shuffle=True, seed=6))
    assert other != first, "DataLoaderFNN with seed=5 and seed=6 gave the same order: seed the generator with `seed`"
