"""The channel from a worker is hostile input: every read has a deadline, every message a size
limit checked before anything is allocated, and a bad message is a TransportError, not a hang.

Each attack is mounted for real: a thread or another process writes the hostile bytes into one
end of a socketpair and the grader's end reads them through Channel."""

import contextlib
import multiprocessing
import random
import socket
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest

from hw_utils import transport
from hw_utils.channel import HEADER, Channel, ChannelClosed, ChannelTimeout
from hw_utils.transport import MAGIC, TransportError

LENGTH = struct.Struct("<Q")
SLACK = 1.5  # seconds a loaded machine may add to a deadline before the test calls it a hang


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


@contextlib.contextmanager
def hostile_peer(*chunks: bytes, then_close: bool = False, pause: float = 0.0):
    """A Channel whose other end is a thread writing chunks, then holding the socket open (silent)."""
    ours, theirs = socket.socketpair()
    done = threading.Event()

    def write():
        with contextlib.suppress(OSError):
            for chunk in chunks:
                theirs.sendall(chunk)
                time.sleep(pause)
            if not then_close:
                done.wait(30)
        theirs.close()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    channel = Channel(ours)
    try:
        yield channel
    finally:
        done.set()
        channel.close()
        writer.join(10)


def timed(function):
    start = time.monotonic()
    try:
        return function(), time.monotonic() - start
    except Exception as err:  # noqa: BLE001 - the test looks at what was raised
        return err, time.monotonic() - start


def test_messages_cross_whole_and_in_order():
    a, b = socket.socketpair()
    left, right = Channel(a), Channel(b)
    tree = ("ok", ("l", [1, 2.5, "three", b"four", None, True]))
    left.send(tree)
    left.send(("second",))
    assert right.receive(5) == tree and right.receive(5) == ("second",)
    big = transport.encode(np.arange(5_000_000, dtype=np.float32))  # 20 MB: many reads and writes
    sender = threading.Thread(target=left.send, args=(big,))
    sender.start()
    back = transport.decode(right.receive(30))
    sender.join()
    assert np.array_equal(back, np.arange(5_000_000, dtype=np.float32))
    left.close()
    right.close()


def test_header_and_one_byte_then_silence_times_out_within_the_deadline():
    with hostile_peer(frame(MAGIC + b"l" + LENGTH.pack(10))[:HEADER.size + 1]) as channel:
        error, elapsed = timed(lambda: channel.receive(0.5))
        assert isinstance(error, ChannelTimeout), error
        assert 0.45 <= elapsed < 0.5 + SLACK
        # The stream is now mid-message: what follows cannot be trusted to be a frame.
        with pytest.raises(TransportError, match="out of step"):
            channel.receive(5)


def test_a_header_alone_or_half_a_header_times_out():
    for partial in (HEADER.pack(100), HEADER.pack(100)[:3]):
        with hostile_peer(partial) as channel:
            error, elapsed = timed(lambda: channel.receive(0.3))
            assert isinstance(error, ChannelTimeout) and elapsed < 0.3 + SLACK


def _trickle(sock: socket.socket):
    """A worker that sends a header, then one byte every 20 ms, never finishing in time."""
    sock.sendall(HEADER.pack(10_000))
    for _ in range(2000):
        sock.sendall(b"N")
        time.sleep(0.02)


def test_a_trickling_sender_is_held_to_one_deadline_for_the_whole_message():
    ours, theirs = socket.socketpair()
    child = multiprocessing.get_context("fork").Process(target=_trickle, args=(theirs,), daemon=True)
    child.start()
    theirs.close()
    try:
        error, elapsed = timed(lambda: Channel(ours).receive(0.5))
        assert isinstance(error, ChannelTimeout), error
        assert elapsed < 0.5 + SLACK  # each byte arrived in time; the message as a whole did not
    finally:
        child.kill()
        child.join(5)
        ours.close()


def test_a_message_announced_over_the_limit_is_refused_before_reading_it():
    with hostile_peer(HEADER.pack(2**40)) as channel:
        tracemalloc.start()
        error, elapsed = timed(lambda: channel.receive(5))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert isinstance(error, TransportError) and "1,099,511,627,776 bytes announced" in str(error)
        assert elapsed < 1 and peak < 1024 * 1024  # refused at once, nothing allocated for it
    with hostile_peer(frame(b"x" * 1001)) as channel:
        channel.max_bytes = 1000
        with pytest.raises(TransportError, match="over the limit of 1,000"):
            channel.receive(5)


def hostile_payloads() -> dict:
    """name -> a payload that arrives whole and well framed, and must be refused."""
    return {
        "a count of 10**9 items in 20 bytes": lambda: MAGIC + b"l" + LENGTH.pack(10**9) + b"N" * 7,
        "containers nested 10**6 deep": lambda: MAGIC + (b"t" + LENGTH.pack(1)) * 10**6 + b"N",
        "trailing bytes": lambda: transport.dumps(("ok", 1)) + b"N",
        "a pickle": lambda: b"\x80\x05\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93.",
        "garbage": lambda: random.Random(5).randbytes(4096),
        "nothing": lambda: b"",
        "a string that is not UTF-8": lambda: MAGIC + b"s" + LENGTH.pack(2) + b"\xc3\x28",
        "an int of 2,000 bytes": lambda: MAGIC + b"i" + bytes([255]) + b"\x01" * 255,
        # Well-formed wire data that decode() must refuse:
        "a shape that lies about its bytes": lambda: transport.dumps(("a", "<f4", (10**9,), b"\0" * 4)),
        "a shape of 1e18 elements": lambda: transport.dumps(("a", "<f4", (10**9, 10**9), b"\0" * 4)),
        "an object dtype": lambda: transport.dumps(("a", "|O", (1,), b"\0" * 8)),
        "a structured dtype": lambda: transport.dumps(("a", "V8", (1,), b"\0" * 8)),
        "a unicode dtype": lambda: transport.dumps(("a", "<U10", (1,), b"\0" * 40)),
        "float128": lambda: transport.dumps(("a", "float128", (1,), b"\0" * 16)),
        "a torch name": lambda: transport.dumps(("T", "Tensor", "<f4", (1,), b"\0" * 4)),
        "float16 bytes widened to float64": lambda: transport.dumps(("T", "float64", "<f2", (2**20,), b"\0" * 2**21)),
        "a handle id of 0": lambda: transport.dumps(("h", 0, "Net")),
        "a flood of colliding dict keys": lambda: transport.dumps(
            ("d", [(k * (2**61 - 1), None) for k in range(1, 5000)])),
    }


@pytest.mark.parametrize("name", list(hostile_payloads()))
def test_hostile_messages_are_transport_errors_and_the_channel_goes_on(name):
    payload = hostile_payloads()[name]()
    good = transport.dumps(("ok", 42))
    with hostile_peer(frame(payload), frame(good)) as channel:
        error, elapsed = timed(lambda: transport.decode(channel.receive(10)))
        assert isinstance(error, TransportError), f"{name}: {error!r}"
        assert elapsed < 2 + SLACK, f"{name}: took {elapsed:.1f} s to refuse"
        assert channel.receive(5) == ("ok", 42)  # the frame was consumed whole: still in step


def test_silence_times_out_and_leaves_the_channel_usable():
    a, b = socket.socketpair()
    left, right = Channel(a), Channel(b)
    error, elapsed = timed(lambda: right.receive(0.3))
    assert isinstance(error, ChannelTimeout) and 0.25 <= elapsed < 0.3 + SLACK
    assert not right.poll(0.05)
    left.send(("late", 1))
    assert right.poll(5) and right.receive(5) == ("late", 1)
    left.close()
    right.close()


def test_end_of_channel_is_channel_closed():
    with hostile_peer(then_close=True) as channel:
        assert channel.poll(5)  # EOF is ready to read
        with pytest.raises(ChannelClosed) as closed:
            channel.receive(5)
        assert isinstance(closed.value, EOFError)
    with hostile_peer(frame(MAGIC + b"x" * 100)[:50], then_close=True) as channel:
        with pytest.raises(ChannelClosed, match="middle of a message"):
            channel.receive(5)


def test_a_reset_connection_is_channel_closed():
    a, b = socket.socketpair()
    worker, grader = Channel(a), Channel(b)
    grader.send(("call", 1))  # the worker never reads it, and dies: the kernel resets the connection
    worker.close()
    with pytest.raises(ChannelClosed):
        grader.receive(5)
    with pytest.raises(ChannelClosed):
        grader.send(("call", 2))
    grader.close()


def test_sending_to_a_peer_that_stops_reading_has_a_deadline():
    a, b = socket.socketpair()
    grader = Channel(a)
    error, elapsed = timed(lambda: grader.send(("data", b"x" * 50_000_000), deadline=0.3))
    assert isinstance(error, ChannelTimeout) and elapsed < 0.3 + SLACK
    with pytest.raises(TransportError, match="out of step"):
        grader.send(("next",))
    a.close()
    b.close()


def test_a_message_over_the_limit_is_not_sent():
    a, b = socket.socketpair()
    with pytest.raises(TransportError, match="over the channel's limit"):
        Channel(a, max_send_bytes=100).send(b"x" * 200)
    a.close()
    b.close()


def _echo(sock: socket.socket):
    channel = Channel(sock)
    channel.send(("echo", channel.receive(10)))


def test_a_socket_end_crosses_to_a_child_process_and_is_wrapped_there():
    ours, theirs = socket.socketpair()
    child = multiprocessing.get_context("spawn").Process(target=_echo, args=(theirs,), daemon=True)
    child.start()  # the socket is pickled to the child, which wraps it in a Channel
    theirs.close()
    grader = Channel(ours)
    try:
        grader.send(("hello", [1, 2]))
        assert grader.receive(60) == ("echo", ("hello", [1, 2]))
    finally:
        child.join(10)
        grader.close()
    assert child.exitcode == 0
