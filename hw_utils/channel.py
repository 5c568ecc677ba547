"""Framed messages over a connected socket, with a deadline on every read.

What a worker sends is hostile: it may announce a huge message, send half of one and
fall silent, or close the socket at any point. A frame is an 8-byte little-endian length,
then that many bytes of transport.dumps(). The receiver checks the length against its
limit before allocating anything, then reads into a buffer of exactly that size with
non-blocking reads, waiting with poll() only until the deadline given for the whole
message, so a silent or trickling sender costs at most the deadline.

The socket is an ordinary socket.socket (one end of socket.socketpair()), so it can be
handed to a child process through multiprocessing and wrapped in a Channel there.
"""

from __future__ import annotations

import math
import select
import socket
import struct
import time

from . import transport

HEADER = struct.Struct("<Q")
MESSAGE_SECONDS = 60.0  # between grader and worker: once a message has begun, all of it must arrive within this
_READABLE = select.POLLIN | select.POLLPRI
_FLAGS = socket.MSG_DONTWAIT | getattr(socket, "MSG_NOSIGNAL", 0)


class ChannelTimeout(Exception):
    """A message did not arrive (or could not be sent) within its deadline."""


class ChannelClosed(EOFError):
    """The other end closed the channel or reset the connection."""


class Channel:
    """One end of a framed message channel: send(tree), receive(deadline) -> tree."""

    def __init__(self, sock: socket.socket, max_bytes: int = transport.MAX_MESSAGE_BYTES,
                 max_send_bytes: int = transport.MAX_MESSAGE_BYTES):
        self.sock = sock
        self.max_bytes = max_bytes  # what we accept to receive
        self.max_send_bytes = max_send_bytes
        # Why a direction's byte stream no longer starts at a frame (a message cut off by a
        # deadline or refused by size); None while it is in step.
        self._send_out_of_step: str | None = None
        self._receive_out_of_step: str | None = None

    # sending --------------------------------------------------------------------------
    def send(self, tree, deadline: float | None = None) -> None:
        """Send one message; with a deadline, a receiver that stops reading cannot block us longer."""
        if self._send_out_of_step:
            raise transport.TransportError(f"channel out of step: {self._send_out_of_step}")
        payload = transport.dumps(tree)
        if len(payload) > self.max_send_bytes:
            raise transport.TransportError(
                f"message of {len(payload):,} bytes is over the channel's limit of {self.max_send_bytes:,}")
        end = None if deadline is None else time.monotonic() + deadline
        self._send_all(HEADER.pack(len(payload)), end, mid_message=False)
        self._send_all(payload, end, mid_message=True)

    def _send_all(self, data: bytes, end: float | None, mid_message: bool):
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view, _FLAGS)
            except (BlockingIOError, InterruptedError):
                if not self._wait(select.POLLOUT, end):
                    if mid_message or len(view) < len(data):
                        self._send_out_of_step = "a message could not be sent whole before its deadline"
                    raise ChannelTimeout("the other end stopped reading; the message was not sent in time") from None
                continue
            except OSError as err:  # EPIPE, ECONNRESET, a closed socket
                raise ChannelClosed(f"the channel is closed ({err.strerror or err})") from None
            view = view[sent:]

    # receiving ------------------------------------------------------------------------
    def poll(self, timeout: float | None) -> bool:
        """True when a message (or the end of the channel) is ready to read within timeout seconds."""
        end = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        return self._wait(_READABLE, end)

    def receive(self, deadline: float):
        """Read one whole message; all of it must arrive within `deadline` seconds from now."""
        if self._receive_out_of_step:
            raise transport.TransportError(f"channel out of step: {self._receive_out_of_step}")
        end = time.monotonic() + deadline
        header = bytearray(HEADER.size)
        self._fill(header, end, mid_message=False)
        (size,) = HEADER.unpack(header)
        if size > self.max_bytes:
            self._receive_out_of_step = "a message over the size limit was announced"
            raise transport.TransportError(
                f"message of {size:,} bytes announced, over the limit of {self.max_bytes:,}")
        buffer = bytearray(size)
        self._fill(buffer, end, mid_message=True)
        return transport.loads(buffer, transport.Budget(max_bytes=self.max_bytes))

    def _fill(self, buffer: bytearray, end: float, mid_message: bool):
        """Fill buffer from the socket before `end`, or raise; never blocks past it."""
        view, got = memoryview(buffer), 0
        while got < len(buffer):
            try:
                count = self.sock.recv_into(view[got:], len(buffer) - got, _FLAGS)
            except (BlockingIOError, InterruptedError):
                if time.monotonic() < end and self._wait(_READABLE, end):
                    continue
                if got or mid_message:
                    self._receive_out_of_step = "a message was cut off by its deadline"
                    raise ChannelTimeout("a message began but did not arrive whole before its deadline") from None
                raise ChannelTimeout("no message arrived before the deadline") from None
            except OSError as err:  # ECONNRESET, a closed socket
                raise ChannelClosed(f"the channel is closed ({err.strerror or err})") from None
            if count == 0:
                where = " in the middle of a message" if got or mid_message else ""
                raise ChannelClosed(f"the other end closed the channel{where}")
            got += count

    def _wait(self, events: int, end: float | None) -> bool:
        """Wait until the socket is ready for events (or hung up) or `end` passes."""
        poller = select.poll()
        poller.register(self.sock.fileno(), events)
        if end is None:
            return bool(poller.poll())
        left = end - time.monotonic()
        return bool(poller.poll(max(0, math.ceil(left * 1000))))

    # the socket -------------------------------------------------------------------------
    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
