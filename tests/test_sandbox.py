"""The worker's limits hold, and the grader survives what a submission does."""

import os

import numpy as np
import pytest
import torch

from hw_utils import sandbox
from hw_utils.notebook import CodeCell


def start(*sources, **limits):
    cells = [CodeCell(i, source, None, False) for i, source in enumerate(sources)]
    worker = sandbox.Worker(cells, sandbox.Limits(**limits))
    report = worker.start()
    return worker, report


@pytest.fixture
def worker_factory():
    workers = []

    def make(*sources, **limits):
        worker, report = start(*sources, **limits)
        workers.append(worker)
        return worker, report

    yield make
    for worker in workers:
        worker.close()


def test_huge_allocation_fails_inside_student_code(worker_factory):
    worker, report = worker_factory(
        "import numpy as np\ntry:\n    np.ones(50 * 1024**3 // 8)\n    outcome = 'allocated'\n"
        "except MemoryError:\n    outcome = 'refused'",
        "import torch\nbig = lambda: torch.empty(50 * 1024**3, dtype=torch.uint8).fill_(1)",
    )
    assert not report.errors and report.fatal is None
    assert sandbox.Student(worker).outcome == "refused"
    with pytest.raises(sandbox.StudentError, match="allocate"):
        sandbox.Student(worker).big()
    assert worker.alive  # the failure was the student's, the worker goes on


def test_printing_is_capped_and_later_prints_still_work(worker_factory):
    worker, report = worker_factory(
        "import sys\nfor _ in range(4096):\n    print('x' * 4096)\nafter = 'still running'",
        "print('a later cell prints')\nos_level = __import__('os').write(1, b'y' * 2_000_000)",
        output_bytes=1024 * 1024)
    assert not report.errors, report.summary()
    assert os.path.getsize(os.path.join(worker.workdir, "output.txt")) <= 1024 * 1024
    assert sandbox.Student(worker).after == "still running"
    with open(os.path.join(worker.workdir, "output.txt"), "rb") as f:
        assert b"[output truncated" in f.read()
    assert worker.alive


def test_a_call_that_never_returns_is_stopped(worker_factory):
    worker, report = worker_factory("def spin():\n    while True:\n        pass", call_timeout=1.0)
    with pytest.raises(sandbox.StudentTimeout, match="longer than 1 s"):
        sandbox.Student(worker).spin()
    assert not worker.alive


def test_input_gets_end_of_file_instead_of_hanging(worker_factory):
    _, report = worker_factory("name = input('your name? ')", load_timeout=10)
    assert report.fatal is None
    assert "EOFError" in report.summary()


def test_no_network_where_the_kernel_allows_a_namespace(worker_factory):
    worker, report = worker_factory(
        "import socket\ndef connect():\n"
        "    try:\n        s = socket.socket()\n        s.settimeout(2)\n        s.connect(('127.0.0.1', 9))\n"
        "    except OSError as err:\n        return type(err).__name__\n"
        "    return 'connected'\n")
    if not report.network_isolated:
        pytest.skip("this kernel allows no network namespace for unprivileged processes")
    assert sandbox.Student(worker).connect() != "connected"


def test_student_objects_stay_in_the_worker(worker_factory):
    worker, _ = worker_factory(
        "import numpy as np\nclass Box:\n    def __init__(self, v):\n        self.v = v\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def double(self):\n        return self.v * 2\n"
        "registry = {'a': np.arange(3)}")
    student = sandbox.Student(worker)
    box = student.Box(np.ones(2))
    assert isinstance(box, sandbox.Remote) and repr(box) == "<student Box>"
    assert box != 1  # its lying __eq__ never runs here
    assert np.array_equal(box.double(), [2.0, 2.0])
    box.v = np.array([5.0])
    assert np.array_equal(box.v, [5.0])
    registry = student.reference_to("registry")
    assert isinstance(registry, sandbox.Remote)
    with pytest.raises(sandbox.StudentError, match="does not define `missing`"):
        student.missing


SCRIPT = """import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)


def main():
    args = parser.parse_args()
    print("epochs", args.epochs, __name__)
    with open("model.pt", "wb") as f:
        f.write(b"weights")


if __name__ == "__main__":
    main()
"""


def script_worker(*sources):
    cells = [CodeCell(0, SCRIPT, "task", False, "task.py")]
    cells += [CodeCell(i + 1, source, None, False) for i, source in enumerate(sources)]
    worker = sandbox.Worker(cells, sandbox.Limits(load_timeout=30))
    return worker, worker.start()


def test_script_cells_are_importable_files_not_notebook_code():
    worker, report = script_worker("from task import main\nname = main.__module__")
    try:
        assert not report.errors and not report.fatal
        assert sandbox.Student(worker).name == "task"
        assert "epochs" not in worker.output()  # the script's main block did not run on load
    finally:
        worker.close()


def test_run_script_is_a_program_with_argv_exit_code_output_and_files():
    worker, _ = script_worker()
    student = sandbox.Student(worker)
    try:
        run = student.run_script("task.py", ["--epochs", "3"], timeout=30)
        assert (run.exit_code, run.timed_out) == (0, False)
        assert run.output == "epochs 3 __main__\n" and run.files == {"model.pt": b"weights"}
        run = student.run_script("task.py", ["--nope"], timeout=30)
        assert run.exit_code == 2 and "unrecognized arguments: --nope" in run.output
        assert "--epochs EPOCHS" in student.run_script("task.py", ["-h"], timeout=30).output
        with pytest.raises(sandbox.StudentError, match="no `%%writefile other.py` cell"):
            student.run_script("other.py", [])
    finally:
        worker.close()


def test_run_script_that_never_ends_is_stopped():
    files = {"loop.py": "import os\nos.symlink('/etc/hostname', 'leak')\nwhile True:\n    pass\n"}
    run = sandbox.run_script(files, "loop.py", [], timeout=3)
    assert run.timed_out and run.exit_code is None and "longer than 3 s" in run.output
    assert run.files == {}  # a link is never followed back into the grader


def test_construct_keeps_a_live_object_in_the_worker(worker_factory):
    worker, _ = worker_factory("import torch\nclass Counter(torch.nn.Module):\n"
                               "    def __init__(self, start):\n        super().__init__()\n"
                               "        self.count = start\n"
                               "    def forward(self, x):\n        self.count += 1\n        return 2 * x\n")
    student = sandbox.Student(worker)
    counter = student.construct("Counter", 5)
    assert torch.equal(counter(torch.ones(2)), 2 * torch.ones(2))
    assert counter.count == 6  # the same object, changed by the call
    with pytest.raises(sandbox.StudentError, match="does not define `Missing`"):
        student.construct("Missing")
