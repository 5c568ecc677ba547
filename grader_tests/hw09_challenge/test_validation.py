"""Part C: hold-out and K-fold indices: disjoint, covering, balanced, reproducible by seed."""

import numpy as np
import pytest

from hw_utils.testing import fail


def as_indices(value, what):
    array = np.asarray(value) if isinstance(value, (np.ndarray, list, tuple)) else None
    if array is None or array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        fail(f"{what} should be a 1-d array of integer indices, got {value!r:.120}")
    return array.astype(np.int64)


def folds(student, n, k, seed):
    got = student.kfold_indices(n, k, seed)
    if not isinstance(got, (list, tuple)) or len(got) != k:
        fail(f"kfold_indices({n}, {k}, seed={seed}) should return a list of {k} (train_idx, val_idx) pairs, "
             f"got {got!r:.120}")
    out = []
    for i, pair in enumerate(got):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            fail(f"kfold_indices({n}, {k}): fold {i} is not a pair (train_idx, val_idx)")
        out.append((as_indices(pair[0], f"fold {i}'s train_idx"), as_indices(pair[1], f"fold {i}'s val_idx")))
    return out


@pytest.mark.points(2)
def test_holdout_split_is_disjoint_covering_and_seeded(student):
    for n, fraction, seed in [(50, 0.2, 0), (37, 0.3, 4), (29, 0.3, 2)]:
        train, val = (as_indices(a, f"holdout_split({n}, {fraction}) part") for a in student.holdout_split(n, fraction, seed))
        what = f"holdout_split({n}, {fraction}, seed={seed})"
        assert len(val) == round(n * fraction), f"{what}: {len(val)} validation indices, expected {round(n * fraction)}"
        assert not set(train.tolist()) & set(val.tolist()), f"{what}: train and validation indices overlap"
        assert sorted(np.concatenate([train, val]).tolist()) == list(range(n)), (
            f"{what}: train and validation together are not 0..{n - 1}, each once")
        again = as_indices(student.holdout_split(n, fraction, seed)[1], "val_idx")
        assert np.array_equal(again, val), f"{what}: the same seed gave another split"
    vals = {tuple(sorted(as_indices(student.holdout_split(60, 0.25, s)[1], "val_idx").tolist())) for s in range(4)}
    assert len(vals) > 1, "holdout_split(60, 0.25) gave the same validation set for seeds 0..3: shuffle with the seed"
    assert vals != {tuple(range(45, 60))} and vals != {tuple(range(15))}, "holdout_split does not shuffle"


@pytest.mark.points(2)
def test_kfold_validation_sets_are_disjoint_cover_and_balanced(student):
    for n, k in [(23, 5), (40, 4), (7, 7)]:
        found = folds(student, n, k, seed=1)
        vals = [v.tolist() for _, v in found]
        everything = sorted(sum(vals, []))
        assert everything == list(range(n)), (
            f"kfold_indices({n}, {k}): the validation sets together should be 0..{n - 1}, each exactly once; got "
            f"{len(everything)} indices, {len(set(everything))} distinct")
        sizes = [len(v) for v in vals]
        assert max(sizes) - min(sizes) <= 1, f"kfold_indices({n}, {k}): fold sizes {sizes} differ by more than one"


@pytest.mark.points(1)
def test_kfold_train_is_the_complement_of_validation(student):
    for n, k in [(23, 5), (12, 3)]:
        for i, (train, val) in enumerate(folds(student, n, k, seed=2)):
            assert sorted(train.tolist()) == sorted(set(range(n)) - set(val.tolist())), (
                f"kfold_indices({n}, {k}): fold {i}'s train_idx is not every index outside its val_idx, each once")


@pytest.mark.points(1)
def test_kfold_is_shuffled_by_seed(student):
    first = [v.tolist() for _, v in folds(student, 30, 3, seed=0)]
    assert first == [v.tolist() for _, v in folds(student, 30, 3, seed=0)], "kfold_indices: the same seed gave other folds"
    others = {tuple(tuple(sorted(v.tolist())) for _, v in folds(student, 30, 3, seed=s)) for s in range(1, 4)}
    contiguous = tuple(tuple(range(i, i + 10)) for i in (0, 10, 20))
    assert tuple(tuple(sorted(v)) for v in first) != contiguous, "kfold_indices(30, 3) cuts 0..29 in order: shuffle first"
    assert len(others | {tuple(tuple(sorted(v)) for v in first)}) > 1, "kfold_indices ignores its seed"
