"""Part B: DataLoaderFNN normalises every split with the training statistics."""

import pytest
import torch
from _reference import batches


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
