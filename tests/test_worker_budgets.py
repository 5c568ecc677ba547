"""Root cause 5: limits hold per worker, not per file or per call.

A worker gets one budget for the bytes and files in its folder, one for its threads, and
a program gets one for the files it hands back; past any of them that student's call
fails with a reason, and the grader, its memory and the next worker are unharmed.
"""

import os
import time

import pytest
from attacks import attack_worker, run

from hw_utils import sandbox


@pytest.fixture(params=[True, False], ids=["tmpfs", "polled"])
def small_disk(request):
    worker = attack_worker(disk_bytes=32 * 1024 * 1024, disk_files=300, disk_tmpfs=request.param)
    if request.param and worker.load_report.confinement["disk budget"] != "kernel (tmpfs)":
        worker.close()
        pytest.skip("this kernel gives the worker no mount namespace for a tmpfs")
    yield worker
    worker.close()


def test_many_files_each_under_the_cap_cannot_fill_the_disk(small_disk):
    # 200 files of 1 MB: each far under the per-file cap, together 6 times the folder's budget.
    code = ("chunk = b'x' * 2**20\nfor i in range(200):\n"
            "    with open(f'f{i}', 'wb') as f:\n        f.write(chunk)\nreturn 'wrote 200 MB'")
    try:
        outcome = run(small_disk, code)
    except sandbox.WorkerDied as stopped:  # the grader's poll, where no tmpfs holds the budget
        assert "more than its folder may hold" in str(stopped)
    else:
        assert outcome.startswith("OSError: [Errno 28]"), outcome  # the kernel's tmpfs: disk full
        assert run(small_disk, "return 1 + 1") == "done: 2"  # the call failed, the worker lives


def test_many_empty_files_cannot_exhaust_the_inodes(small_disk):
    code = "for i in range(5000):\n    open(f'e{i}', 'w').close()\nreturn 'made 5000'"
    try:
        outcome = run(small_disk, code)
    except sandbox.WorkerDied as stopped:
        assert "more than its folder may hold" in str(stopped)
    else:
        assert outcome.startswith("OSError: [Errno 28]"), outcome


def test_a_thread_bomb_is_stopped():
    worker = attack_worker(max_threads=64)
    try:
        code = ("import threading, time\nthreading.stack_size(64 * 1024)\nstarted = 0\n"
                "for _ in range(3000):\n"
                "    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
                "    started += 1\n"
                "time.sleep(30)\nreturn started")
        with pytest.raises(sandbox.WorkerDied, match="started [0-9]+ threads; a worker may run at most 64"):
            run(worker, code, timeout=20)
        assert not worker.alive
    finally:
        worker.close()
    # The next submission's worker starts as usual.
    fresh = attack_worker()
    try:
        assert run(fresh, "return 'fine'") == "done: 'fine'"
    finally:
        fresh.close()


def test_a_program_cannot_hand_back_unbounded_files():
    program = ("import os\nchunk = os.urandom(2**20)\nfor i in range(150):\n"
               "    with open(f'out{i:03d}.bin', 'wb') as f:\n        f.write(chunk)\n")
    run_ = sandbox.run_script({"leave.py": program}, "leave.py", [], timeout=60,
                              limits=sandbox.Limits(disk_bytes=256 * 2**20))
    assert run_.exit_code == 0, run_.output
    assert len(run_.files) <= sandbox.SCRIPT_FILES_COUNT
    assert sum(map(len, run_.files.values())) <= sandbox.SCRIPT_FILES_LIMIT_BYTES


def test_a_program_that_forges_its_file_list_is_refused():
    """The program writes its own 'files' message onto the channel: a name with a path."""
    program = """
import os
from hw_utils import channel, transport
import socket
for fd in range(3, 64):
    try:
        s = socket.socket(fileno=os.dup(fd))
    except OSError:
        continue
    channel.Channel(s).send(("files", (("../../etc/evil", b"x"),)))
os._exit(0)
"""
    run_ = sandbox.run_script({"forge.py": program}, "forge.py", [], timeout=30)
    assert run_.files == {} and run_.exit_code is None
    assert "sent a malformed message" in run_.output, run_.output


def test_a_sleeping_call_is_stopped_by_the_wall_clock_backstop(monkeypatch):
    monkeypatch.setattr(sandbox, "WALL_BACKSTOP_FACTOR", 2.0)
    worker = attack_worker()
    try:
        started = os.times().elapsed
        with pytest.raises(sandbox.StudentTimeout, match="took longer than 1 s"):
            run(worker, "import time\ntime.sleep(600)", timeout=1)
        assert os.times().elapsed - started < 10
    finally:
        worker.close()


def test_shared_memory_counts_against_the_memory_limit():
    """mmap(MAP_SHARED) is outside RLIMIT_DATA; the grader counts it from /proc."""
    worker = attack_worker(memory_mb=2048)
    try:
        code = ("import mmap, time\nchunk = b'x' * 2**20\npages = []\nfor _ in range(12):\n"
                "    m = mmap.mmap(-1, 256 * 2**20, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)\n"
                "    for offset in range(0, 256 * 2**20, 2**20):\n        m[offset:offset + 2**20] = chunk\n"
                "    pages.append(m)\ntime.sleep(5)\nreturn 'kept 3 GB'")
        with pytest.raises(sandbox.WorkerDied, match="MB of memory; a worker may use at most 2048 MB"):
            run(worker, code, timeout=30)
    finally:
        worker.close()


def test_nothing_runs_between_calls():
    """A thread left running after a call (burning CPU, starting threads) is frozen until the
    next call, where its work counts against that call's limits."""
    worker = attack_worker(max_threads=64)
    try:
        run(worker, "import threading\ndef burn():\n    while True:\n        pass\n"
                    "threading.Thread(target=burn, daemon=True).start()\nreturn 'left a thread burning'")
        before = worker.watch.cpu_seconds()
        time.sleep(2)
        assert worker.watch.cpu_seconds() - before < 0.2, "the worker ran while no call was pending"
        run(worker, "import threading, time\ndef bomb():\n    for _ in range(3000):\n"
                    "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
                    "threading.Thread(target=bomb, daemon=True).start()\nreturn 'bomb left behind'")
        assert worker.watch.status().get(b"Threads:", 0) < 64 + 8
        with pytest.raises(sandbox.WorkerDied, match="threads"):
            run(worker, "import time\ntime.sleep(5)", timeout=20)
    finally:
        worker.close()
