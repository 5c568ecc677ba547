"""Part C: the three trained classifiers reach their bars on the test split of the names.

Each model is trained once, in the worker, by the submission's own function; the grader then
feeds it the test names (encoded here) and keeps the labels: the worker never sees the test
split (its "test" split is a stand-in drawn from the training names). The bars are the
notebook's; a bag-of-letters linear model reaches 0.55-0.57 and fails the LSTM and GRU bars,
one epoch or a tenth of the data fails the RNN's (tests/corpus_hw07.py).
"""

import pytest
import torch
from _reference import encode_batch

from hw_utils.data import load_names
from hw_utils.testing import WorkerDied, fail, is_module, type_name

# (function, nn class, at least this many layers, bar). The reference, seeds 0..4: see the report
# of benchmarks/accuracy_margins.py --hw hw07_rnn.
MODELS = {
    "rnn": ("train_rnn_classifier", "RNN(", 1, 0.53),
    "lstm": ("train_lstm_classifier", "LSTM(", 2, 0.61),
    "gru": ("train_gru_classifier", "GRU(", 2, 0.61),
}
TRAINED = pytest.StashKey[dict]()


def trained(student, request, kind, seed):
    """The model of `kind`, trained once per grading session (the structure test reuses it)."""
    cache = request.config.stash.setdefault(TRAINED, {})
    model = cache.get((kind, seed))
    if model is not None:
        try:
            model.training
            return model
        except WorkerDied:
            pass
    function = MODELS[kind][0]
    model = cache[(kind, seed)] = student.construct(function, seed=seed)
    if not is_module(model):
        fail(f"{function}(seed={seed}) should return the trained torch.nn.Module, got a {type_name(model)}")
    return model


def check_structure(model, kind, seed):
    function, layer, layers, _ = MODELS[kind]
    snap = model.eval()
    assert layer in snap.text, (
        f"{function}(seed={seed}) should train a model with nn.{layer[:-1]}; it prints as\n{snap.text:.600}")
    stacked = len({n.split("weight_ih_l")[1] for n in snap.parameters if "weight_ih_l" in n})
    assert stacked >= layers, (
        f"{function}(seed={seed}): {layers} stacked recurrent layers expected, found {stacked} "
        f"(parameters {sorted(snap.parameters)})")


def check_accuracy(model, kind, seed, measure):
    function, _, _, bar = MODELS[kind]
    names, labels, countries = load_names("test")
    model.eval()
    logits = model(*encode_batch(names))
    if not (isinstance(logits, torch.Tensor) and tuple(logits.shape) == (len(names), len(countries))):
        fail(f"{function}(seed={seed}): expected logits of shape ({len(names)}, {len(countries)}) for the test "
             f"names, got {logits!r:.150}")
    acc = (logits.argmax(dim=1) == torch.as_tensor(labels)).double().mean().item()
    measure("accuracy", acc, bar)
    assert acc >= bar, f"{function}(seed={seed}): test accuracy {acc:.3f} on {len(names)} names, need at least {bar}"


@pytest.mark.accuracy
@pytest.mark.call_timeout(120)
@pytest.mark.points(2)
@pytest.mark.parametrize("kind", list(MODELS))
def test_classifier_accuracy(student, request, seed, measure, kind):
    model = trained(student, request, kind, seed)
    check_structure(model, kind, seed)
    check_accuracy(model, kind, seed, measure)
