"""Root cause 2, end to end: what a real worker writes on its channel is hostile input.

Student code finds its own channel (the one socket it holds) and writes raw frames on it
instead of the reply the grader waits for. Each attack must cost that worker (stopped,
with a reason) and nothing else: the grader neither hangs nor allocates what a header
announces, and the next worker serves as usual.
"""

import resource
import struct
import time

import pytest
from attacks import attack_worker, run

from hw_utils import sandbox

# Code run in the worker: write `frame` on the channel, then wait (a reply never comes).
WRITE_ON_CHANNEL = '''
import os, stat, time
fd = next(fd for fd in map(int, os.listdir('/proc/self/fd'))
          if fd > 2 and os.path.exists(f'/proc/self/fd/{{fd}}') and stat.S_ISSOCK(os.fstat(fd).st_mode))
os.write(fd, {frame!r})
time.sleep(120)
'''


def _frame(length: int, payload: bytes = b"") -> bytes:
    return struct.pack("<Q", length) + payload


@pytest.fixture
def worker():
    worker = attack_worker()
    yield worker
    worker.close()


def _attack(worker, frame: bytes) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(sandbox.WorkerDied) as died:
        run(worker, WRITE_ON_CHANNEL.format(frame=frame), timeout=30)
    return str(died.value), time.monotonic() - started


def test_a_huge_announced_message_is_refused_before_it_is_read(worker):
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reason, seconds = _attack(worker, _frame(2**40))
    assert "malformed" in reason and seconds < 10, reason
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 100, f"the grader's memory grew by {grown_mb:.0f} MB"
    assert not worker.alive


def test_a_message_that_stops_halfway_costs_at_most_its_deadline(worker, monkeypatch):
    monkeypatch.setattr(sandbox, "MESSAGE_SECONDS", 2.0)
    reason, seconds = _attack(worker, _frame(1000, b"\x01"))
    assert "malformed" in reason and seconds < 15, (reason, seconds)
    assert not worker.alive


@pytest.mark.parametrize("payload", [
    b"\x80\x05\x95" + b"\x00" * 20,  # a pickle: not our format
    b"garbage that parses as nothing",
    b"(" + struct.pack("<I", 10**9),  # a container claiming 10**9 items in a few bytes
], ids=["pickle", "garbage", "count-bomb"])
def test_a_malformed_frame_stops_the_worker_with_a_reason(worker, payload):
    reason, seconds = _attack(worker, _frame(len(payload), payload))
    assert "malformed" in reason and seconds < 10, reason


def test_a_forged_reply_of_the_wrong_shape_is_refused(worker):
    from hw_utils import transport

    forged = transport.dumps(("ok", ("T", "float32", "<f4", (10**6,), b"\x00" * 4)))  # shape lies about its bytes
    reason, _ = _attack(worker, _frame(len(forged), forged))
    assert "malformed" in reason, reason


def test_the_next_worker_is_unharmed():
    worker = attack_worker()
    try:
        with pytest.raises(sandbox.WorkerDied):
            run(worker, WRITE_ON_CHANNEL.format(frame=_frame(2**40)), timeout=30)
    finally:
        worker.close()
    fresh = attack_worker()
    try:
        assert run(fresh, "return [1, 2.5, 'three']") == "done: [1, 2.5, 'three']"
    finally:
        fresh.close()
