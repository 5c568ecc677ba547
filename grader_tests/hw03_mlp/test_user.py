"""Part D: NetworkUser save/load round trip and predict."""

import pytest
import torch
from _reference import forward


@pytest.mark.points(1)
def test_save_load_round_trip(student):
    user = student.NetworkUser()
    a = student.Workbench(12, [9, 5], 4, seed=0, batch_norm=True)
    b = student.Workbench(12, [9, 5], 4, seed=1, batch_norm=True)
    path = "hw03_round_trip.pt"  # in the worker's working directory
    a.save(user, path)
    b.load(user, path)
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert list(sa) == list(sb), "both models should have the same state_dict keys"
    for name in sa:
        diff = (sa[name].double() - sb[name].double()).abs().max().item()
        assert diff == 0.0, f"after save then load into another model, {name} differs by {diff:.3g}"
    x = torch.randn(7, 12, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.forward(x), b.forward(x)), "the loaded model should compute the same logits"


@pytest.mark.points(1)
def test_predict(student):
    user = student.NetworkUser()
    bench = student.Workbench(20, [32], 5, seed=4, dropout=0.5)
    X = torch.randn(200, 20, generator=torch.Generator().manual_seed(4))
    got = bench.predict(user, X)
    want = forward(bench.model, X).argmax(dim=1)
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == (200,), \
        f"predict on 200 inputs: expected a tensor of shape (200,), got {getattr(got, 'shape', got)!r}"
    wrong = int((got.long() != want).sum())
    assert wrong == 0, f"predict: {wrong} of 200 labels differ from the argmax of the eval-mode logits (dropout 0.5)"
