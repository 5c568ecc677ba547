"""Part D: NetworkUser saves model.state_dict() (parameters and buffers), loads it into a
model of the same architecture and returns that model, and predicts int64 labels in eval
mode without gradients."""

import pytest
import torch
from _reference import forward

from hw_utils.testing import ModuleSnapshot, StudentError, assert_dtype, assert_shape, fail, is_module, type_name

PATH = "hw03_round_trip.pt"  # in the worker's working directory


def trained_batch_norm_model(student, seed):
    """An FNN with batch norm whose running statistics have moved (one forward in train mode)."""
    model = student.construct("FNN", 12, [9, 5], 4, batch_norm=True)
    if not is_module(model):
        fail(f"FNN(12, [9, 5], 4, batch_norm=True) should construct a torch.nn.Module, got {model!r}")
    model.train()
    model(3.0 + torch.randn(32, 12, generator=torch.Generator().manual_seed(seed)))
    return model


def saved_entries(saved, keys) -> dict:
    """{key: tensor} of what torch.load gave: a dict comes back as data, an OrderedDict as a handle."""
    if isinstance(saved, dict):
        return {k: saved[k] for k in keys if k in saved}
    return {k: saved.__getitem__(k) for k in keys if saved.__contains__(k)}


def saved_size(saved) -> int:
    return len(saved) if isinstance(saved, dict) else saved.__len__()


def check_same_state(want: dict, got: dict, what):
    missing = [name for name in want if name not in got]
    assert not missing, f"{what}: no entries {missing} (expected the state_dict keys {list(want)})"
    for name, value in want.items():
        diff = (value.double() - torch.as_tensor(got[name]).double()).abs().max().item()
        assert diff == 0.0, f"{what}: {name} differs by {diff:.3g} from the saved model's"


@pytest.mark.points(1)
def test_save_load_round_trip(student):
    user = student.NetworkUser()
    a, b = trained_batch_norm_model(student, 0), trained_batch_norm_model(student, 1)
    want = a.eval().state_dict()
    user.save(a, PATH)
    try:
        saved = student.torch.load(PATH, weights_only=True)
    except StudentError as err:
        fail(f"save(model, path) should write model.state_dict() with torch.save; torch.load(path, "
             f"weights_only=True) could not read what it wrote: {str(err).strip().splitlines()[-1]:.300}")
    if not isinstance(saved, dict) and type_name(saved) != "OrderedDict":
        fail(f"save(model, path) should write model.state_dict(); the file holds a {type_name(saved)}")
    entries = saved_entries(saved, want)
    assert len(entries) == len(want) == saved_size(saved), (
        f"save(model, path) should write model.state_dict(), batch-norm running statistics included: expected "
        f"the {len(want)} entries {sorted(want)}, the file holds {saved_size(saved)} entries, "
        f"{sorted(set(want) - set(entries)) or 'none'} of them missing")
    check_same_state(want, entries, "the saved state_dict")
    returned = user.load(b, PATH)
    assert isinstance(returned, ModuleSnapshot), f"load(model, path) should return the model, got {returned!r:.100}"
    check_same_state(want, b.eval().state_dict(), "after save then load into another model")
    check_same_state(want, returned.state_dict(), "the model load returned")
    x = torch.randn(7, 12, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a(x), b(x)), "the loaded model should compute the same logits in eval mode"


@pytest.mark.points(1)
def test_predict(student):
    user = student.NetworkUser()
    bench = student.Workbench(20, [32], 5, seed=4, dropout=0.5)
    X = torch.randn(200, 20, generator=torch.Generator().manual_seed(4))
    recorded = len(bench.forwards)
    got = bench.predict(user, X)
    want = forward(bench.model, X).argmax(dim=1)
    assert isinstance(got, torch.Tensor), f"predict on 200 inputs: expected a tensor, got {type_name(got)}"
    assert_shape(got, (200,), "predict on 200 inputs")
    assert_dtype(got, torch.int64, "predict on 200 inputs")
    wrong = int((got != want).sum())
    assert wrong == 0, f"predict: {wrong} of 200 labels differ from the argmax of the eval-mode logits (dropout 0.5)"
    modes = sorted({tuple(f[:2]) for f in bench.forwards[recorded:]} - {(False, False)})
    assert not modes, (
        f"predict ran the model with (model.training, grad enabled) = {modes}: predict in model.eval() mode "
        "under torch.no_grad()")
