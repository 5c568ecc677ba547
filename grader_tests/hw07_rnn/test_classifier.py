"""Part C, without training: CharClassifier's outputs for each kind of cell, padding that
changes nothing, train_step's gradient clipping (plain SGD: the change of the parameters is
lr times the clipped gradient), train_classifier's history, predict and confusion_matrix."""

import math

import numpy as np
import pytest
import torch
from _reference import encode_batch

from hw_utils.testing import assert_close, assert_shape, fail, is_module, type_name

NAMES = ["Sato", "Van Der Berg", "Ito", "Kowalczyk", "O'Brien", "Li"]
LABELS = torch.tensor([7, 1, 7, 8, 5, 0])
KINDS = [dict(cell="rnn"), dict(cell="rnn", embedding_dim=8), dict(cell="lstm", num_layers=2, embedding_dim=8),
         dict(cell="gru", num_layers=3), dict(cell="gru", num_layers=2, embedding_dim=8)]


def classifier(student, n_classes, hidden, kind, seed=0):
    student.torch.manual_seed(seed)
    model = student.construct("CharClassifier", n_classes, hidden_size=hidden, **kind)
    what = f"CharClassifier({n_classes}, hidden_size={hidden}{''.join(f', {k}={v!r}' for k, v in kind.items())})"
    if not is_module(model):
        fail(f"{what} should construct a torch.nn.Module, got a {type_name(model)}")
    return model, what


def norm(tensors) -> float:
    return math.sqrt(sum(float((t.double() ** 2).sum()) for t in tensors))


@pytest.mark.points(2)
def test_classifier_outputs_and_padding(student):
    X, lengths = encode_batch(NAMES)
    for kind in KINDS:
        model, what = classifier(student, 10, 12, kind)
        model.eval()
        logits = model(X, lengths)
        assert_shape(logits, (len(NAMES), 10), f"{what}(X, lengths) on a batch of {len(NAMES)} names")
        # Each name alone, with no padding: the same logits as in the padded batch.
        for i, name in enumerate(NAMES):
            alone = model(*encode_batch([name]))
            assert_close(alone[0], logits[i], f"{what}: the logits of {name!r} alone and in a padded batch of "
                         f"{len(NAMES)} names (padding must change nothing: pack the sequences)", atol=1e-5, rtol=1e-4)
        structure = model.eval()
        layers = [n for n in structure.parameters if "weight_ih_l" in n]
        want_layers = kind.get("num_layers", 1)
        assert len(layers) == want_layers, (
            f"{what} should hold {want_layers} recurrent layer(s); its parameters are {sorted(structure.parameters)}")
        wanted = {"rnn": "RNN(", "lstm": "LSTM(", "gru": "GRU("}[kind["cell"]]
        assert wanted in structure.text, f"{what} should use nn.{wanted[:-1]}; it prints as\n{structure.text:.500}"
        embedded = any(tuple(p.shape) == (58, 8) for p in structure.parameters.values())
        assert embedded == ("embedding_dim" in kind), (
            f"{what}: an nn.Embedding(N_LETTERS + 1, embedding_dim) is expected exactly when embedding_dim is given")


def _step_case(student, max_norm, scale, seed):
    model, what = classifier(student, 10, 16, dict(cell="rnn"), seed=seed)
    student.scale_parameters(model, scale)
    X, lengths = encode_batch(NAMES)
    grads = student.loss_grads(model, X, lengths, LABELS)
    before = model.train().parameters
    optimizer = student.sgd(model, 1.0)
    got = student.train_step(model, optimizer, X, lengths, LABELS, max_norm)
    after = model.train().parameters
    call = f"train_step({what} with its weights times {scale}, SGD(lr=1), a batch of {len(NAMES)} names, max_norm={max_norm})"
    if not (isinstance(got, tuple) and len(got) == 2):
        fail(f"{call} should return (loss, grad_norm), got {got!r:.200}")
    return grads, before, after, got, call


@pytest.mark.points(2)
def test_train_step_clips_the_gradient(student):
    for seed, (max_norm, scale) in enumerate([(0.5, 20.0), (2.0, 30.0), (1e6, 1.0)]):
        grads, before, after, (loss, grad_norm), call = _step_case(student, max_norm, scale, seed)
        g = norm(grads.values())
        factor = min(1.0, max_norm / g)
        for name, p in before.items():
            want = p.double() - factor * grads[name].double() if name in grads else p.double()  # frozen: unchanged
            assert_close(after[name].double(), want, f"{call}: parameter {name} after the step (it should be "
                         f"p - lr * g * min(1, max_norm / ||g||), ||g|| = {g:.4g})", atol=1e-5, rtol=1e-4)
        assert math.isclose(float(grad_norm), g, rel_tol=1e-4), (
            f"{call}: grad_norm = {grad_norm}, expected the norm before clipping, {g:.6g}")
        assert isinstance(loss, float), f"{call}: the loss should be a Python float, got {type_name(loss)}"


@pytest.mark.points(1)
def test_train_step_returns_the_loss_before_the_step(student):
    model, what = classifier(student, 10, 16, dict(cell="gru", embedding_dim=8), seed=3)
    X, lengths = encode_batch(NAMES)
    model.eval()
    logits = model(X, lengths)
    want = torch.nn.functional.cross_entropy(logits.double(), LABELS).item()
    loss, _ = student.train_step(model, student.sgd(model, 0.5), X, lengths, LABELS, 1.0)
    assert math.isclose(float(loss), want, rel_tol=1e-4), (
        f"train_step({what}, ...): loss {loss}, expected the cross-entropy before the step, {want:.6f}")


@pytest.mark.points(1)
def test_train_classifier_history(student):
    model, what = classifier(student, 10, 16, dict(cell="rnn"), seed=0)
    names = NAMES * 10
    labels = LABELS.repeat(10)
    history = student.train_classifier(model, names, labels, 3, lr=0.01, batch_size=16, seed=0, max_norm=1.0)
    call = f"train_classifier({what}, 60 names, epochs=3)"
    if not isinstance(history, dict):
        fail(f"{call} should return a dict, got {type_name(history)}")
    for key in ("loss", "grad_norm"):
        values = history.get(key)
        if not (isinstance(values, list) and len(values) == 3 and all(isinstance(v, float) and v > 0 for v in values)):
            fail(f"{call}: history[{key!r}] should be a list of 3 positive floats, one per epoch, got {values!r:.200}")
    assert history["loss"][-1] < history["loss"][0], (
        f"{call}: the mean loss should fall on 60 names over 3 epochs, got {history['loss']}")
    assert isinstance(history.get("seconds"), float), f"{call}: history['seconds'] should be a float"


@pytest.mark.points(2)
def test_predict_and_confusion_matrix(student):
    rng = np.random.default_rng(4)
    names = NAMES * 4
    labels = rng.integers(0, 6, len(names))
    model, what = classifier(student, 6, 12, dict(cell="gru", embedding_dim=8), seed=1)
    model.eval()
    want_pred = model(*encode_batch(names)).argmax(dim=1)
    pred = student.predict(model, names)
    assert isinstance(pred, torch.Tensor) and pred.tolist() == want_pred.tolist(), (
        f"predict({what}, {len(names)} names) = {pred!r:.200}, expected the argmax of its logits {want_pred.tolist()}")
    counts = student.confusion_matrix(model, names, labels, 6)
    want = np.zeros((6, 6), dtype=np.int64)
    np.add.at(want, (labels, want_pred.numpy()), 1)
    got = np.asarray(counts)
    assert got.shape == (6, 6) and (got == want).all(), (
        f"confusion_matrix({what}, {len(names)} names, labels, 6): expected counts[true, predicted]\n{want}\ngot\n{got}")
