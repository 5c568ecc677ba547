"""The worker's limits hold, and the grader survives what a submission does."""

import os

import numpy as np
import pytest

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


def test_printing_is_capped(worker_factory):
    worker, report = worker_factory(
        "import sys\nfor _ in range(4096):\n    print('x' * 4096)\nafter = 'still running'",
        output_bytes=1024 * 1024)
    assert os.path.getsize(os.path.join(worker.workdir, "output.txt")) <= 1024 * 1024
    assert "OSError" in report.summary() or sandbox.Student(worker).after == "still running"
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
        "import socket\ndef connect():\n    s = socket.socket()\n    s.settimeout(2)\n"
        "    try:\n        s.connect(('127.0.0.1', 9))\n    except OSError as err:\n        return type(err).__name__\n"
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
