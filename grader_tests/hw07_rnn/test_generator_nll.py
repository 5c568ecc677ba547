"""Part D: the trained generator. The grader computes the per-character negative
log-likelihood of the test names (teacher forcing, from the logits of the submission's
model; the worker never sees the test split) and compares it with the notebook's bar and
with a bigram model of the training names that the grader fits itself. Sampling from the
trained model, whose end token comes after a few letters, must stop where greedy decoding
in the grader stops."""

import pytest
import torch
from _reference import bigram_nll, nll_per_char, teacher_forcing_batch
from test_generator import draw, greedy

from hw_utils.data import load_names
from hw_utils.testing import WorkerDied, fail, is_module, type_name

BAR = 2.00  # nats per character. The reference: 1.78-1.81 over seeds 0..4; the bigram model 2.50; one epoch 2.19
TRAINED = pytest.StashKey[dict]()


def trained_generator(student, request, seed):
    cache = request.config.stash.setdefault(TRAINED, {})
    model = cache.get(seed)
    if model is not None:
        try:
            model.training
            return model
        except WorkerDied:
            pass
    model = cache[seed] = student.construct("train_generator", seed=seed)
    if not is_module(model):
        fail(f"train_generator(seed={seed}) should return the trained torch.nn.Module, got a {type_name(model)}")
    return model


@pytest.mark.accuracy
@pytest.mark.call_timeout(120)
@pytest.mark.points(3)
def test_generator_nll_on_the_test_names(student, request, seed, measure):
    model = trained_generator(student, request, seed)
    model.eval()
    names, labels, _ = load_names("test")
    inputs, targets = teacher_forcing_batch(names)
    got = model(inputs, torch.as_tensor(labels))
    if not (isinstance(got, tuple) and isinstance(got[0], torch.Tensor) and got[0].shape[:2] == inputs.shape):
        fail(f"train_generator(seed={seed})'s model(inputs, countries) should return (logits (B, T, 58), h), "
             f"got {got!r:.150}")
    nll = nll_per_char(got[0], targets)
    bigram = bigram_nll(load_names("train")[0], names)
    bar = min(BAR, bigram)
    measure("nll per character", nll, bar)
    assert nll <= bar, (
        f"train_generator(seed={seed}): {nll:.3f} nats per character on the {len(names)} test names; needs at most "
        f"{BAR} and less than the grader's bigram model ({bigram:.3f})")


@pytest.mark.points(2)
def test_trained_sampling_stops_at_the_end_token(student, request, seed):
    model = trained_generator(student, request, seed)
    model.eval()
    checked = 0
    for country, start in [(0, "N"), (2, "K"), (4, "S"), (7, "T"), (8, "W"), (9, "G"), (3, "B")]:
        want, clear = greedy(model, country, start, 20)
        if not clear:
            continue
        got = draw(student, model, country, start, 1e-4, seed=country, max_length=20)
        assert got == want, (f"sample(train_generator(seed={seed}), {country}, {start!r}, temperature=1e-4) = {got!r}, "
                             f"expected the greedy name {want!r} (it ends where the end token is the likeliest)")
        checked += 1
    assert checked >= 3, "the grader found too few clear greedy choices to check (a grader problem)"
    lengths = [len(draw(student, model, k % 10, "M", 1.0, 100 + k, max_length=20)) for k in range(20)]
    assert sum(n < 20 for n in lengths) >= 15, (
        f"sample(train_generator(seed={seed}), ..., temperature=1) gave names of lengths {lengths}: most should "
        "end with the end token well before max_length=20")
