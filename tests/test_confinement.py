"""What student code may not do inside the worker: read the hidden tests or other files
kept from it, write outside its folder, start processes, signal the grader, connect out.

Each attack runs in a real worker and reports what happened as plain text, so a test
fails with the attack's own outcome when a limit stops holding.
"""

import os
import socket
import threading
from pathlib import Path

import pytest

from attacks import attack_worker, run

from hw_utils import confine, sandbox
from hw_utils.notebook import CodeCell

ROOT = Path(__file__).resolve().parent.parent
HIDDEN_TEST = ROOT / "grader_tests" / "hw01_backprop" / "test_neuron.py"

needs_landlock = pytest.mark.skipif(confine.landlock_abi() < 1, reason="this kernel has no Landlock")


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    grades = tmp_path_factory.mktemp("grades")
    (grades / "other_student").mkdir()
    (grades / "other_student" / "results.json").write_text('{"score": 3}')
    worker = attack_worker(hidden=(str(grades),))
    worker.grades = grades
    yield worker
    worker.close()


def test_confinement_is_reported(worker):
    assert worker.load_report.confinement["capabilities dropped"]
    if confine.landlock_abi() >= 1:
        assert worker.load_report.confinement["files hidden"]
    assert worker.load_report.confinement["no new processes"]


@needs_landlock
@pytest.mark.parametrize("path", [
    HIDDEN_TEST,  # the hidden tests
    ROOT / "source" / "hw01_backprop" / "hw01_backprop.ipynb",  # the solutions
    ROOT / ".git" / "HEAD",  # and their history
    Path.home() / ".bashrc",  # the grader's home: credentials live there
])
def test_hidden_files_cannot_be_read(worker, path):
    if not path.exists():
        pytest.skip(f"{path} does not exist on this machine")
    outcome = run(worker, f"return open({str(path)!r}).read()")
    assert outcome.startswith("PermissionError"), outcome


@needs_landlock
def test_hidden_files_cannot_be_reached_through_the_graders_proc_root(worker):
    path = f"/proc/{os.getpid()}/root{HIDDEN_TEST}"
    outcome = run(worker, f"return open({path!r}).read()")
    assert outcome.startswith("PermissionError"), outcome


@needs_landlock
def test_other_students_results_cannot_be_read_or_written(worker):
    target = worker.grades / "other_student" / "results.json"
    assert run(worker, f"return open({str(target)!r}).read()").startswith("PermissionError")
    outcome = run(worker, f"return open({str(target)!r}, 'w').write('{{\"score\": 100}}')")
    assert outcome.startswith("PermissionError"), outcome
    assert target.read_text() == '{"score": 3}'


@needs_landlock
def test_writes_only_in_its_own_folder(worker):
    assert run(worker, "return open('here.txt', 'w').write('ok')") == "done: 2"
    outcome = run(worker, f"return open({str(ROOT / 'autograded' / 'x.json')!r}, 'w').write('x')")
    assert outcome.startswith("PermissionError"), outcome
    assert not (ROOT / "autograded" / "x.json").exists()


def test_what_a_program_needs_still_works(worker):
    assert run(worker, "import hw_utils.data\nreturn hw_utils.data.load_tensors('digits')[0].shape[1:]") \
        == "done: torch.Size([1, 8, 8])"
    assert run(worker, "import tempfile\nreturn len(tempfile.mkstemp()) ").startswith("done: 2")
    threads = "import threading\nout = []\nt = threading.Thread(target=out.append, args=[1])\n" \
              "t.start()\nt.join()\nreturn out"
    assert run(worker, threads) == "done: [1]"


def test_no_new_processes_even_in_a_loop(worker):
    # Bounded at 500: if the limit ever breaks, the test stays harmless to the machine.
    outcome = run(worker, "import subprocess\nstarted = []\nfor _ in range(500):\n"
                          "    started.append(subprocess.Popen(['sleep', '30']))\nreturn len(started)")
    assert outcome.startswith("PermissionError: [Errno 1]"), outcome
    outcome = run(worker, "import os\nfor _ in range(500):\n    if os.fork() == 0:\n"
                          "        os._exit(0)\nreturn 'forked'")
    assert outcome.startswith("PermissionError"), outcome


def test_cannot_signal_the_grader(worker):
    if confine.landlock_abi() < 6:
        pytest.skip("signal scoping needs Landlock ABI 6")
    outcome = run(worker, f"import os, signal\nos.kill({os.getpid()}, signal.SIGTERM)")
    assert outcome.startswith("PermissionError"), outcome


def test_no_connection_reaches_a_server_on_loopback(worker):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(3)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(_accept(server)))
    thread.start()
    outcome = run(worker, f"import socket\nreturn socket.create_connection(('127.0.0.1', {port}), timeout=2)")
    thread.join()
    server.close()
    assert not outcome.startswith("done"), outcome
    assert accepted == [None], "the worker reached a server on the grader's loopback"


def _accept(server):
    try:
        return server.accept()
    except OSError:
        return None


def test_root_powers_are_gone(worker):
    outcome = run(worker, "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                          "return libc.sethostname(b'pwned', 5), ctypes.get_errno()")
    assert outcome == "done: (-1, 1)", outcome  # EPERM even when the grader runs as root


def test_deleting_its_own_folder_harms_nothing(worker):
    run(worker, "print('printed before')")
    deleted = run(worker, "import os, shutil\nnames = os.listdir('.')\nfor name in names:\n"
                          "    shutil.rmtree(name) if os.path.isdir(name) else os.remove(name)\nreturn names")
    assert deleted.startswith("done: ")
    assert run(worker, "return 2 + 2") == "done: 4"  # the worker still answers
    # What it printed is kept beside its folder, out of its reach: it cannot erase or forge it.
    assert "printed before" in worker.output()
    assert run(worker, "return open('../output.txt', 'w')").startswith("PermissionError")


def test_readable_roots_leave_out_hidden_folders(tmp_path):
    (tmp_path / "keep").mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "secret")
    roots = confine.readable_roots([str(tmp_path / "secret")])
    assert str(tmp_path / "keep") in roots
    assert not any(r == str(tmp_path / "secret") or r.startswith(str(tmp_path / "secret") + "/") for r in roots)
    assert str(tmp_path) not in roots and "/" not in roots
    assert not any(r == "/dev" for r in roots)


@needs_landlock
def test_hidden_tests_stay_hidden_when_their_folder_is_on_sys_path(monkeypatch):
    """pytest puts grader_tests/<hw> on sys.path while it grades; that must not open it."""
    monkeypatch.syspath_prepend(str(HIDDEN_TEST.parent))
    cells = [CodeCell(0, f"stolen = open({str(HIDDEN_TEST)!r}).read()", None, False)]
    worker = sandbox.Worker(cells, sandbox.Limits(load_timeout=60))
    try:
        report = worker.start()
    finally:
        worker.close()
    assert "PermissionError" in report.summary()
