"""Part D: training interrupted after some epochs and resumed from the checkpoint in a new model and
optimiser, with torch's random state scrambled in between, ends with the parameters of training straight
through, bit for bit (CPU); the checkpoint loads with torch.load(weights_only=True) and holds what the
notebook lists. Everything runs in the worker; the grader also trains straight through itself."""

import pytest
import torch
from _reference import train_straight

from hw_utils.testing import StudentError, fail, load_tensors

PATH = "hw05_checkpoint.pt"  # in the worker's own folder


def digits(n, seed):
    X, y = load_tensors("digits", split="train", flatten=True)
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:n]
    return X[order], y[order]


def new_run(student, seed):
    """A fresh TinyNet and its optimiser in the worker, after torch.manual_seed(seed) there."""
    student.torch.manual_seed(seed)
    model = student.construct("TinyNet")
    return model, student.construct("make_optimizer", model)


def train(student, model, optimizer, X, y, epochs, resume, what):
    try:
        return student.train_resumable(model, optimizer, X, y, epochs, PATH, resume=resume)
    except StudentError as err:
        fail(f"{what} raised: {str(err).strip().splitlines()[-1]:.400}")


def entries_of(saved, keys) -> dict:
    """{key: value} of a loaded dict: a dict comes back as data, an OrderedDict (a state_dict) as a handle."""
    if isinstance(saved, dict):
        return {k: saved[k] for k in keys if k in saved}
    try:
        return {k: saved.__getitem__(k) for k in keys if saved.__contains__(k)}
    except StudentError:
        return {}


def size_of(saved) -> int:
    try:
        return len(saved) if isinstance(saved, dict) else saved.__len__()
    except StudentError:
        return -1


def parameters(model):
    return model.eval().state_dict()


@pytest.mark.points(3)
def test_resumed_training_is_bit_identical(student, seed):
    X, y = digits(320, 1 + seed)
    for epochs, stop in ((4, 2), (3, 1)):
        model, optimizer = new_run(student, 10 + seed)
        call = f"train_resumable(TinyNet(), make_optimizer(model), 320 digits, epochs={epochs}, path, resume=False)"
        done = train(student, model, optimizer, X, y, epochs, False, call)
        assert done == epochs, f"{call} should return {epochs} (the epochs it trained), got {done!r:.50}"
        straight = parameters(model)
        ours = train_straight(X, y, epochs, 10 + seed)
        gap = max((straight[n] - ours[n]).abs().max().item() for n in ours)
        assert gap < 1e-4, (f"{call}: the parameters differ by up to {gap:.3g} from the grader's {epochs} epochs of "
                            "train_epoch from the same start: does it train every epoch once, with train_epoch?")

        model, optimizer = new_run(student, 10 + seed)
        first = f"train_resumable(..., epochs={stop}, path, resume=False)"
        done = train(student, model, optimizer, X, y, stop, False, first)
        assert done == stop, f"{first} should return {stop}, got {done!r:.50}"
        model, optimizer = new_run(student, 999)  # another initialisation, another random state
        then = (f"{first}, then with a new TinyNet, a new optimiser and another random state "
                f"train_resumable(..., epochs={epochs}, path, resume=True)")
        done = train(student, model, optimizer, X, y, epochs, True, then)
        assert done == epochs - stop, f"{then} should return {epochs - stop} (the epochs left), got {done!r:.50}"
        resumed = parameters(model)
        differ = {n: (resumed[n] - straight[n]).abs().max().item() for n in straight}
        wrong = {n: d for n, d in differ.items() if d != 0}
        assert not wrong, (
            f"{then}: the parameters should equal those of {epochs} epochs straight through bit for bit; "
            f"{', '.join(f'{n} differs by up to {d:.3g}' for n, d in wrong.items())}. Does the checkpoint hold and "
            "restore the model, the optimiser's state (Adam's m and v), the epoch and torch's random state?")


@pytest.mark.points(1)
def test_checkpoint_loads_with_weights_only(student):
    X, y = digits(128, 7)
    model, optimizer = new_run(student, 3)
    train(student, model, optimizer, X, y, 2, False, "train_resumable(..., epochs=2, path)")
    what = "the checkpoint train_resumable(..., epochs=2, path) saved"
    try:
        saved = student.torch.load(PATH, weights_only=True)
    except StudentError as err:
        fail(f"torch.load(path, weights_only=True) cannot read {what}: {str(err).strip().splitlines()[-1]:.300} "
             "(save state dicts, numbers and tensors, never a model or optimiser object)")
    if not isinstance(saved, dict) or sorted(saved) != ["epoch", "model", "optimizer", "rng_state"]:
        keys = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
        fail(f"{what}: expected a dict with the keys ['epoch', 'model', 'optimizer', 'rng_state'], got {keys}")
    assert type(saved["epoch"]) is int and saved["epoch"] == 2, \
        f"{what}: \"epoch\" should be the int 2 (epochs done), got {saved['epoch']!r:.50}"
    state = parameters(model)
    model_state = saved["model"]
    entries = entries_of(model_state, state)
    same = len(entries) == len(state) == size_of(model_state) and all(
        isinstance(entries[n], torch.Tensor) and torch.equal(entries[n], state[n]) for n in state)
    assert same, f"{what}: \"model\" should be the trained model's state_dict() (keys {sorted(state)})"
    optimizer_state = saved["optimizer"]
    assert isinstance(optimizer_state, dict) and {"state", "param_groups"} <= set(optimizer_state) and \
        len(optimizer_state["state"]) == len(state), \
        f"{what}: \"optimizer\" should be optimizer.state_dict(), with Adam's state for all {len(state)} parameters"
    rng = saved["rng_state"]
    assert isinstance(rng, torch.Tensor) and rng.dtype == torch.uint8 and rng.shape == torch.get_rng_state().shape, \
        f"{what}: \"rng_state\" should be torch.get_rng_state(), a uint8 tensor, got {rng!r:.80}"
