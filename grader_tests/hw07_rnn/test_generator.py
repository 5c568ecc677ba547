"""Part D: teacher forcing, the generator's outputs and sampling: seeded, inside the alphabet,
starting with the start letter, stopping at the end token or max_length, greedy as the
temperature goes to 0, and drawing from softmax(logits / temperature). Sampling is checked
on an untrained generator (fast, and its distributions are spread out) and on the trained
one (test_generator_nll.py), whose end token comes early."""

import math

import pytest
import torch
from _reference import ALPHABET, EOS, N_LETTERS, PAD, indices, top_margin, softmax_t, teacher_forcing_batch

from hw_utils.testing import assert_shape, fail, is_module, type_name


def generator_model(student, seed=0, hidden=24):
    student.torch.manual_seed(seed)
    model = student.construct("NameGenerator", 10, hidden_size=hidden)
    if not is_module(model):
        fail(f"NameGenerator(10, hidden_size={hidden}) should construct a torch.nn.Module, got a {type_name(model)}")
    model.eval()
    return model


def next_logits(model, prefix: str, country: int):
    """The model's scores for the character after prefix (the whole prefix fed at once)."""
    logits, _ = model(torch.tensor([indices(prefix)]), torch.tensor([country]))
    return logits[0, -1].double()


def greedy(model, country: int, start: str, max_length: int):
    """(the greedy name, whether every choice was clear: the top logit ahead by 0.01 or more)."""
    name, clear = start, True
    while len(name) < max_length:
        z = next_logits(model, name, country)
        clear = clear and top_margin(z) > 0.01
        index = int(z.argmax())
        if index == EOS:
            break
        name += ALPHABET[index]
    return name, clear


def draw(student, model, country, start, temperature, seed, max_length=20):
    name = student.sample(model, country, start, temperature, student.seeded_generator(seed), max_length)
    if not isinstance(name, str):
        fail(f"sample(...) should return a str, got {type_name(name)}")
    return name


@pytest.mark.points(1)
def test_teacher_forcing_batch(student):
    for names in (["Ito", "Abe"], ["Li", "Van Der Berg", "O'Neil"], ["x"]):
        got = student.teacher_forcing_batch(names)
        what = f"teacher_forcing_batch({names})"
        if not (isinstance(got, tuple) and len(got) == 2):
            fail(f"{what} should return (inputs, targets), got {type_name(got)}")
        want_in, want_tgt = teacher_forcing_batch(names)
        for part, g, w in (("inputs", got[0], want_in), ("targets", got[1], want_tgt)):
            assert_shape(g, tuple(w.shape), f"{what}: {part}")
            assert g.tolist() == w.tolist(), (
                f"{what}: {part} {g.tolist()}, expected {w.tolist()} (PAD = EOS = {PAD}, ignored targets -100)")


@pytest.mark.points(1)
def test_generator_outputs(student):
    model = generator_model(student)
    inputs, _ = teacher_forcing_batch(["Sato", "Van Dijk", "Li"])
    countries = torch.tensor([7, 1, 9])
    got = model(inputs, countries)
    if not (isinstance(got, tuple) and len(got) == 2):
        fail(f"NameGenerator(...)(inputs, countries) should return (logits, h), got {type_name(got)}")
    logits, h = got
    assert_shape(logits, (3, inputs.shape[1], N_LETTERS + 1), "NameGenerator(...)(inputs (3, 8), countries (3,)): logits")
    # Causal: a name's scores do not depend on what follows it in the batch (the padding).
    alone, _ = model(inputs[2:, :2], countries[2:])
    assert torch.allclose(alone[0].double(), logits[2, :2].double(), atol=1e-5), \
        "NameGenerator: the logits of 'Li' alone differ from those in a padded batch: the model should be causal"
    # Conditioned on the country: another country, other scores.
    other, _ = model(inputs, torch.tensor([0, 0, 0]))
    assert not torch.allclose(other.double(), logits.double(), atol=1e-6), \
        "NameGenerator: the logits do not depend on the country: condition every step on it"


@pytest.mark.points(2)
def test_sampling_is_seeded_and_stays_in_the_alphabet(student):
    model = generator_model(student)
    for seed in range(12):
        a = draw(student, model, seed % 10, "KSM"[seed % 3], 1.0, seed, max_length=10)
        b = draw(student, model, seed % 10, "KSM"[seed % 3], 1.0, seed, max_length=10)
        what = f"sample(model, {seed % 10}, {'KSM'[seed % 3]!r}, 1.0, a generator seeded with {seed}, max_length=10)"
        assert a == b, f"{what} gave {a!r}, then {b!r} with the same seed: draw with the generator you are given"
        assert a.startswith("KSM"[seed % 3]), f"{what} = {a!r} should start with the start letter"
        assert 1 <= len(a) <= 10, f"{what} = {a!r}: at most max_length=10 characters"
        assert all(c in ALPHABET for c in a), f"{what} = {a!r}: only characters of ALPHABET (the end token is not one)"
    names = [draw(student, model, 3, "K", 1.0, seed, max_length=10) for seed in range(12)]
    assert len(set(names)) >= 6, (
        f"sample(model, 3, 'K', 1.0, a generator seeded with 0, 1, ..., 11, max_length=10) gave only "
        f"{len(set(names))} different names: {names}; each seed should draw its own")


@pytest.mark.points(1)
def test_sampling_stops_at_max_length(student):
    model = generator_model(student)
    lengths = [len(draw(student, model, 2, "A", 3.0, seed, max_length=3)) for seed in range(15)]
    assert max(lengths) <= 3 and 3 in lengths, (
        f"sample(..., temperature=3.0, max_length=3) over 15 seeds gave names of lengths {lengths}: "
        "at most 3 letters, start letter included")
    assert [len(draw(student, model, 2, "A", 1.0, seed, max_length=1)) for seed in range(3)] == [1, 1, 1], \
        "sample(..., max_length=1) should return the start letter alone"


@pytest.mark.points(2)
def test_temperature_near_zero_is_greedy(student):
    model = generator_model(student, seed=1)
    student.scale_parameters(model, 3.0)  # sharper distributions: clear greedy choices
    checked = 0
    for country, start in [(0, "K"), (3, "S"), (7, "T"), (9, "G"), (5, "M"), (1, "V"), (2, "A"), (4, "B")]:
        want, clear = greedy(model, country, start, 8)
        if not clear:
            continue
        got = draw(student, model, country, start, 1e-4, seed=country, max_length=8)
        assert got == want, (f"sample(model, {country}, {start!r}, temperature=1e-4, max_length=8) = {got!r}; "
                             f"as the temperature goes to 0 it should be the greedy name {want!r}")
        checked += 1
    assert checked >= 3, "the grader found too few clear greedy choices to check (a grader problem)"


@pytest.mark.points(2)
def test_sampling_draws_from_the_tempered_softmax(student):
    """The letter after "B" drawn 300 times at temperatures 0.5 and 2: the frequency of the most
    likely character is within 4.5 standard errors of softmax(z / T)'s probability."""
    model = generator_model(student, seed=2)
    student.scale_parameters(model, 3.0)  # sharper distributions: the temperatures then differ clearly
    z = next_logits(model, "B", 4)
    top = int(z.argmax())
    p_cold, p_hot = (float(softmax_t(z, t)[top]) for t in (0.5, 2.0))
    assert p_cold - p_hot > 0.15, f"the grader's test case is not sharp enough ({p_cold:.3f}, {p_hot:.3f})"
    for temperature in (0.5, 2.0):
        p = float(softmax_t(z, temperature)[top])
        hits = 0
        for seed in range(300):
            name = draw(student, model, 4, "B", temperature, 1000 + seed, max_length=2)
            following = EOS if len(name) == 1 else ALPHABET.index(name[1])
            hits += following == top
        se = math.sqrt(p * (1 - p) / 300)
        assert abs(hits / 300 - p) <= 4.5 * se + 1e-9, (
            f"sample(model, 4, 'B', temperature={temperature}): the most likely next character came "
            f"{hits} times in 300 draws ({hits / 300:.3f}); softmax(logits / {temperature}) gives it probability "
            f"{p:.3f}")
