"""Part A: names as letter indices, one-hot rows and padded batches, against the grader's own
encoding of names with capitals, spaces, apostrophes and one letter."""

import pytest
import torch
from _reference import ALPHABET, N_LETTERS, PAD, encode_batch, indices

from hw_utils.testing import assert_close, assert_dtype, assert_shape

NAMES = ["Abe", "O'Neil", "De La Cruz", "x", "Mac.Donald", "Nowak", "zZ;,"]


@pytest.mark.points(1)
def test_name_to_indices(student):
    for name in NAMES:
        got = student.name_to_indices(name)
        what = f"name_to_indices({name!r})"
        assert_dtype(got, torch.int64, what)
        assert_shape(got, (len(name),), what)
        assert got.tolist() == indices(name), f"{what} = {got.tolist()}, expected {indices(name)}"


@pytest.mark.points(1)
def test_one_hot_name(student):
    for name in NAMES:
        got = student.one_hot_name(name)
        what = f"one_hot_name({name!r})"
        assert_dtype(got, torch.float32, what)
        assert_shape(got, (len(name), N_LETTERS), what)
        want = torch.nn.functional.one_hot(torch.tensor(indices(name)), N_LETTERS).float()
        assert_close(got, want, what)


@pytest.mark.points(2)
def test_encode_batch(student):
    batches = [NAMES, ["Sato"], ["Ito", "Ito"], ["Li", "Van Der Berg", "A"]]
    for names in batches:
        got = student.encode_batch(names)
        what = f"encode_batch({names})"
        assert isinstance(got, tuple) and len(got) == 2, f"{what} should return (X, lengths), got {got!r:.200}"
        X, lengths = got
        want_X, want_lengths = encode_batch(names)
        assert_dtype(X, torch.int64, f"{what}: X")
        assert_dtype(lengths, torch.int64, f"{what}: lengths")
        assert_shape(X, tuple(want_X.shape), f"{what}: X")
        assert lengths.tolist() == want_lengths.tolist(), f"{what}: lengths {lengths.tolist()}, expected {want_lengths.tolist()}"
        for i, name in enumerate(names):
            assert X[i].tolist() == want_X[i].tolist(), (
                f"{what}: row {i} ({name!r}) is {X[i].tolist()}, expected its indices then PAD ({PAD}): "
                f"{want_X[i].tolist()}")
    assert ALPHABET.index("A") == 26  # the grader's own alphabet is the notebook's
