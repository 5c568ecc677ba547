"""Part C: train_logged's event files, read back here with TensorBoard's own reader (the worker hands
their bytes over through the notebook's given log_files), hold the six tags at steps 1..E with the values
the returned history holds; and what the grader can measure itself is right: the learning rate of each
epoch (cosine annealing) and the final validation loss and accuracy of the trained model in eval mode."""

import pytest
import torch
from _reference import TAGS, cosine_rates, read_scalars, tiny_net_metrics

from hw_utils.testing import StudentError, fail, load_tensors

EPOCHS, LR = 4, 0.05


def logged_run(student, tmp_path, seed, log_dir):
    X, y = load_tensors("digits", split="train", flatten=True)
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    train, val = (X[order[:384]], y[order[:384]]), (X[order[384:640]], y[order[384:640]])
    student.torch.manual_seed(seed)
    model = student.construct("TinyNet")
    call = (f"train_logged(TinyNet(), 384 digits, 256 validation digits, epochs={EPOCHS}, lr={LR}, "
            f"log_dir={log_dir!r}, seed={seed})")
    try:
        history = student.train_logged(model, train, val, EPOCHS, LR, log_dir, seed=seed)
        files = student.log_files(log_dir)
    except StudentError as err:
        fail(f"{call} raised: {str(err).strip().splitlines()[-1]:.400}")
    if not isinstance(history, dict) or sorted(history) != sorted(TAGS):
        fail(f"{call} should return a dict with the keys {list(TAGS)}, got {history!r:.200}")
    for tag in TAGS:
        values = history[tag]
        if not (isinstance(values, list) and len(values) == EPOCHS and all(isinstance(v, float) for v in values)):
            fail(f"{call}: history[{tag!r}] should be a list of {EPOCHS} floats, one per epoch, got {values!r:.200}")
    events = [name for name in files if "tfevents" in name]
    if not events:
        fail(f"{call} left no TensorBoard event file in {log_dir!r} (files there: {sorted(files)[:10]})")
    folder = tmp_path / "events"
    folder.mkdir()
    try:
        scalars = read_scalars(files, folder)
    except Exception as err:  # a corrupt file is the student's, and says so
        fail(f"{call}: TensorBoard could not read the event files {events}: {type(err).__name__}: {err}")
    return call, history, scalars, model, val


@pytest.mark.points(2)
def test_event_files_hold_the_history(student, tmp_path):
    call, history, scalars, _, _ = logged_run(student, tmp_path, 3, "runs/hw05_graded")
    missing = [tag for tag in TAGS if tag not in scalars]
    assert not missing, (f"{call}: TensorBoard finds the scalar tags {sorted(scalars)} in the event files, not "
                         f"{missing} (did the writer get closed? close() writes what is still buffered)")
    for tag in TAGS:
        steps = [step for step, _ in scalars[tag]]
        assert steps == list(range(1, EPOCHS + 1)), \
            f"{call}: {tag!r} is logged at global steps {steps}, expected one point per epoch at 1..{EPOCHS}"
        logged = torch.tensor([value for _, value in scalars[tag]], dtype=torch.float64)
        returned = torch.tensor(history[tag], dtype=torch.float64)
        assert torch.allclose(logged, returned, rtol=1e-6, atol=1e-7), (
            f"{call}: the event files hold {tag!r} = {[round(v, 6) for v in logged.tolist()]}, the returned history "
            f"{[round(v, 6) for v in returned.tolist()]}")


@pytest.mark.points(2)
def test_logged_values_measured_by_the_grader(student, tmp_path, seed):
    call, history, _, model, (X_val, y_val) = logged_run(student, tmp_path, 5 + seed, "runs/hw05_measured")
    want = cosine_rates(LR, EPOCHS)
    assert torch.allclose(torch.tensor(history["lr"]), torch.tensor(want), rtol=1e-6), (
        f"{call}: the learning rates of the epochs should be {[round(v, 6) for v in want]} (cosine annealing from "
        f"{LR}, the rate each epoch trained with), got {[round(v, 6) for v in history['lr']]}")
    loss, accuracy = tiny_net_metrics(model.eval().state_dict(), X_val, y_val)
    assert abs(history["loss/val"][-1] - loss) <= 1e-4 * max(1.0, loss), (
        f"{call}: the last 'loss/val' should be the cross-entropy of the trained model on the validation data in "
        f"eval mode, {loss:.5f} as the grader measures it; got {history['loss/val'][-1]:.5f}")
    assert abs(history["accuracy/val"][-1] - accuracy) < 1e-6, (
        f"{call}: the last 'accuracy/val' should be {accuracy:.4f} (the trained model in eval mode, measured by the "
        f"grader), got {history['accuracy/val'][-1]:.4f}")
    assert accuracy > 0.5, (f"{call}: the trained TinyNet classifies only {accuracy:.3f} of the validation digits: "
                            "is it trained with SGD, momentum 0.9, at the learning rate given?")
    assert all(v > 0 for v in history["grad_norm"]) and all(0 <= v <= 1 for v in history["accuracy/train"]), \
        f"{call}: gradient norms {history['grad_norm']} and accuracies {history['accuracy/train']} out of range"
