"""Run a submission's code in a separate, limited process; reach it through a proxy.

This is the grader's side. The grader never executes student code. A `Worker` forks a
child (from a warm forkserver that imported torch once); the child (sandbox_child.py)
confines itself, runs the notebook's code cells into a namespace, and then answers
requests: get a name, call a function, read or set an attribute. Answers come back as
plain data (see transport.py), parsed as hostile input; student objects stay in the child
and are reached through `Remote` handles. `run_script` runs a `%%writefile` program the
same way, in a child of its own.

Limits (`Limits`): time per call and for loading the notebook, counted in the worker's
CPU time with a wall-clock backstop (the child is killed when it overruns), memory, what
it may print, write and start (threads), measured from outside where the kernel does not
hold them itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field

from . import channel, transport
from .channel import MESSAGE_SECONDS
from .course import DEFAULT_CALL_TIMEOUT, DEFAULT_LOAD_TIMEOUT, DEFAULT_MEMORY_MB
from .sandbox_child import (OUTPUT_FILE, SCRIPT_FILE_LIMIT, SCRIPT_FILE_NAME, SCRIPT_FILES_COUNT,
                            SCRIPT_FILES_LIMIT_BYTES, home_folder, script_main, worker_main)

OUTPUT_LIMIT_BYTES = 8 * 1024 * 1024  # what a submission may print, in all
DISK_LIMIT_BYTES = 512 * 1024 * 1024  # what a worker may keep in its folder, all files together
DISK_LIMIT_FILES = 10_000  # files and folders in a worker's folder
THREAD_LIMIT = 256  # threads of one worker (torch uses about two per core)
# Time limits count the CPU time a worker uses, so a busy machine (which slows the worker
# but does not make it use more CPU) cannot cost a correct submission points. A worker
# that waits instead of computing (sleep, a blocking read) is stopped by the wall clock
# after this many times its limit.
WALL_BACKSTOP_FACTOR = 4.0
POLL_SECONDS = 0.05  # how often the grader looks at a worker it is waiting for
# Imported once by the forkserver, so every worker starts with them loaded.
PRELOAD = ["hw_utils.sandbox_child", "hw_utils.sandbox", "hw_utils.train", "numpy", "torch", "torch.nn.functional",
           "torchvision", "sklearn.datasets", "sklearn.model_selection", "matplotlib.pyplot"]


class StudentError(Exception):
    """Student code raised; the message holds its exception and traceback, for feedback."""


class StudentTimeout(StudentError):
    pass


class WorkerDied(StudentError):
    pass


@dataclass
class CellResult:
    label: str  # "cell 7 (neuron_forward)"
    error: str | None  # "NameError: ..." or None when the cell ran


@dataclass
class LoadReport:
    cells: list[CellResult] = field(default_factory=list)
    fatal: str | None = None  # the notebook stopped the worker (timeout, exit, crash)
    network_isolated: bool = False
    confinement: dict = field(default_factory=dict)  # what confine.confine() could enforce

    @property
    def errors(self) -> list[CellResult]:
        return [c for c in self.cells if c.error]

    def summary(self) -> str:
        lines = [f"{c.label}: {c.error.splitlines()[-1]}" for c in self.errors]
        if self.fatal:
            lines.append(self.fatal)
        return "\n".join(lines)


@dataclass(frozen=True)
class Limits:
    load_timeout: float = DEFAULT_LOAD_TIMEOUT
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    output_bytes: int = OUTPUT_LIMIT_BYTES
    hidden: tuple[str, ...] = ()  # folders student code must not read, besides sandbox_child.always_hidden()
    threads: int = 0  # torch's intra-op threads; 0 keeps torch's default (the cores)
    disk_bytes: int = DISK_LIMIT_BYTES
    disk_files: int = DISK_LIMIT_FILES
    max_threads: int = THREAD_LIMIT
    # False: never mount a tmpfs, let the grader poll the folder (what a kernel without
    # mount namespaces gets; the tests use it to prove that path too).
    disk_tmpfs: bool = True

    @property
    def cores(self) -> int:
        """How many cores a worker may keep busy: its CPU-time limit is its time limit times this."""
        return self.threads or os.cpu_count() or 1


def forkserver():
    """The multiprocessing context every worker (and every `hw grade --jobs` process) starts from."""
    # Read once, when the forkserver loads torch's OpenMP. Threads that spin while they wait
    # for each other burn CPU time whenever the machine is busy (the other thread is not
    # running): the hw04 reference took 300 s instead of 60 under load, and its CPU time,
    # which the limits count, grew with it. Sleeping waits cost nothing on an idle machine.
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


class Worker:
    """One child process holding one submission's namespace."""

    def __init__(self, cells, limits: Limits = Limits(), env: dict | None = None,
                 files: dict[str, bytes] | None = None):
        # `%%writefile` cells are files the notebook imports or runs, not code to execute;
        # `files` are files the grader puts beside them (a program's saved weights).
        self.files = {c.script: c.source for c in cells if c.script} | dict(files or {})
        self.cells = [(_cell_label(c), c.source, bool(getattr(c, "given", False))) for c in cells if not c.script]
        self.limits = limits
        self.env = env or {}
        self.process = None
        self._pidfd: int | None = None
        self.channel: channel.Channel | None = None
        self.watch: _Watch | None = None
        self.workdir = None
        self.load_report: LoadReport | None = None

    # lifecycle --------------------------------------------------------------
    def start(self) -> LoadReport:
        """Start the child and run the notebook; the report says what went wrong where."""
        self.close()
        self.workdir = tempfile.mkdtemp(prefix="hw-worker-")
        parent, child = socket.socketpair()
        self.process = forkserver().Process(
            target=worker_main, args=(child, self.workdir, self.limits, self.env), daemon=True
        )
        with main_module_hidden():
            self.process.start()
        child.close()
        self.channel = channel.Channel(parent, max_bytes=REPLY_LIMIT_BYTES)
        self.watch = _Watch(self.process.pid, self.limits, home_folder(self.workdir))
        try:
            self._pidfd = os.pidfd_open(self.process.pid)
        except OSError:  # a kernel before 5.3: the worker then runs between calls too
            self._pidfd = None
        self.load_report = self._load()
        return self.load_report

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def close(self):
        if self.process is not None:
            if self.process.is_alive() and self._pidfd is not None:
                self._signal(signal.SIGKILL)
            elif self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=5)
            self.process = None
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def output(self) -> str:
        """The tail of what the submission printed (capped)."""
        return _tail(os.path.join(self.workdir, OUTPUT_FILE), 4000) if self.workdir else ""

    # requests ---------------------------------------------------------------
    def get(self, target: int | None, name: str):
        return self._request(("get", target, name))

    def set(self, target: int, name: str, value):
        return self._request(("set", target, name, _encode_argument(value)))

    def call(self, target: int, args, kwargs, timeout: float | None = None):
        message = ("call", target, _encode_argument(list(args)), _encode_argument(dict(kwargs)))
        return self._request(message, timeout)

    def seed(self, seed: int):
        return self._request(("seed", None, seed))

    def reference(self, name: str) -> "Remote":
        """A handle on a top-level value itself (not a copy), to see in-place changes."""
        return self._request(("ref", None, name))

    def construct(self, name: str, args, kwargs) -> "Remote":
        """Call top-level `name` and keep the result in the worker, as a handle (a live model)."""
        message = ("new", None, name, _encode_argument(list(args)), _encode_argument(dict(kwargs)))
        return self._request(message)

    def _request(self, message, timeout: float | None = None):
        if not self.alive:
            raise WorkerDied("the worker running this submission is no longer running")
        self._send(message)
        reply = self._receive(timeout or self.limits.call_timeout, what="a call into student code")
        self._freeze()
        kind = reply[0] if type(reply) is tuple and reply else None
        try:
            if kind == "ok" and len(reply) == 2:
                return transport.decode(reply[1], self._remote)
            if kind == "error" and len(reply) == 2 and type(reply[1]) is str:
                raise StudentError(reply[1])
            raise transport.TransportError(f"unexpected reply {str(kind)[:40]!r}")
        except transport.TransportError as err:
            self.close()
            raise WorkerDied(f"the worker sent a malformed reply and was stopped ({err})") from None

    def _freeze(self):
        """Stop the worker between requests: a thread it left running (burning CPU, starting
        threads, writing files) does nothing while no call is watched."""
        self._signal(signal.SIGSTOP)

    def _signal(self, sig: int):
        """Signal the worker through its pidfd: never another process that reused its pid."""
        with contextlib.suppress(OSError, TypeError):
            signal.pidfd_send_signal(self._pidfd, sig)

    def _send(self, message):
        """A request to the worker; one that stops reading cannot hold the grader up."""
        self._signal(signal.SIGCONT)
        try:
            self.channel.send(message, deadline=MESSAGE_SECONDS)
        except (channel.ChannelTimeout, channel.ChannelClosed, OSError) as err:
            self.close()
            raise WorkerDied(f"the worker stopped taking requests and was stopped ({err})") from None

    def _receive(self, timeout: float, what: str, used: _Clock | None = None):
        """The worker's next message, within its limits; a worker that overruns one is killed.

        `used` carries the clock of a phase that spans several messages (loading the notebook).
        """
        clock = used or _Clock(self.watch, timeout, self.limits)
        while not self.channel.poll(POLL_SECONDS):
            problem = self.watch.problem() or clock.problem(what)
            if problem:
                self.close()
                raise (StudentTimeout if clock.expired else WorkerDied)(problem)
        try:
            message = self.channel.receive(MESSAGE_SECONDS)
            # Checked once more before the answer counts: a burst between two polls
            # (200 MB of files in a tenth of a second) must not slip through.
            problem = self.watch.problem(now=True)
            if problem:
                self.close()
                raise WorkerDied(problem)
            return message
        except (channel.ChannelClosed, OSError):
            code = None
            if self.process is not None:
                self.process.join(timeout=5)  # the socket closes before the exit is reaped
                code = self.process.exitcode
            self.close()
            raise WorkerDied(_death_reason(code)) from None
        except (channel.ChannelTimeout, transport.TransportError) as err:
            self.close()
            raise WorkerDied(f"the worker sent a malformed message and was stopped ({err})") from None

    def _remote(self, handle_id: int, type_name: str):
        return Remote(self, handle_id, type_name)

    def _load(self) -> LoadReport:
        report = LoadReport()
        try:
            self._send(("load", tuple(self.cells), tuple(self.files.items())))
        except WorkerDied as died:
            report.fatal = str(died)
            return report
        clock = _Clock(self.watch, self.limits.load_timeout, self.limits)
        labels = {label for label, _, _ in self.cells}
        current = None
        while True:
            try:
                message = self._receive(self.limits.load_timeout, "running the notebook", clock)
                kind = _load_message_kind(message, labels)
            except StudentTimeout as stopped:
                where = f" (still running {current})" if current is not None else ""
                report.fatal = f"{stopped}{where}"
                return report
            except (WorkerDied, transport.TransportError) as died:
                self.close()
                where = f" while running {current}" if current is not None else ""
                report.fatal = f"{died}{where}"
                return report
            if kind == "cell":
                current = message[1]
            elif kind == "cell_done":
                report.cells.append(CellResult(message[1], message[2]))
            elif kind == "loaded":
                report.network_isolated, report.confinement = message[1], dict(message[2])
                self._freeze()
                return report


def _load_message_kind(message, labels: set[str]) -> str:
    """What a message sent while the notebook runs is; TransportError unless it is well formed."""
    if type(message) is tuple and message:
        kind = message[0]
        if kind == "cell" and len(message) == 2 and message[1] in labels:
            return kind
        if (kind == "cell_done" and len(message) == 3 and message[1] in labels
                and (message[2] is None or type(message[2]) is str)):
            return kind
        if (kind == "loaded" and len(message) == 3 and type(message[1]) is bool and type(message[2]) is tuple
                and all(type(p) is tuple and len(p) == 2 and type(p[0]) is str and type(p[1]) in (bool, str)
                        for p in message[2])):
            return kind
    raise transport.TransportError("the worker sent a message that is not part of loading a notebook")


# What one reply of a worker may weigh (a model's snapshot is a few MB; the grader sends
# more, e.g. training data, under the transport's own limit).
REPLY_LIMIT_BYTES = 64 * 2**20


class _Watch:
    """What the grader measures of a live worker from outside: CPU time, threads, disk.

    Read from /proc, never from the worker, so nothing the submission does changes it.
    """

    _TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int, limits: Limits, home: str):
        self.pid, self.limits, self.home = pid, limits, home
        self.kernel_holds_disk = False  # until the grader sees the worker's tmpfs itself
        self._next_disk_check = 0.0

    def cpu_seconds(self) -> float:
        """User and system time of all the worker's threads so far (0 once it is gone)."""
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self._TICK

    def status(self) -> dict[bytes, int]:
        """Threads and resident memory (kB) from /proc/<pid>/status; empty once it is gone."""
        wanted = (b"Threads:", b"RssAnon:", b"RssShmem:")
        try:
            with open(f"/proc/{self.pid}/status", "rb") as f:
                return {line.split()[0]: int(line.split()[1]) for line in f if line.startswith(wanted)}
        except (OSError, ValueError, IndexError):
            return {}

    def problem(self, now: bool = False) -> str | None:
        """Why the worker must be stopped now (a per-worker budget spent), or None.

        The folder is walked at most twice a second, unless `now`."""
        status = self.status()
        threads = status.get(b"Threads:", 0)
        if threads > self.limits.max_threads:
            return (f"the submission started {threads} threads; a worker may run at most "
                    f"{self.limits.max_threads}, and was stopped")
        # RLIMIT_DATA does not count shared mappings (mmap MAP_SHARED): the grader does.
        memory_mb = (status.get(b"RssAnon:", 0) + status.get(b"RssShmem:", 0)) // 1024
        if memory_mb > self.limits.memory_mb:
            return (f"the submission used {memory_mb} MB of memory; a worker may use at most "
                    f"{self.limits.memory_mb} MB, and was stopped")
        if not self.kernel_holds_disk and (now or time.monotonic() >= self._next_disk_check):
            self._next_disk_check = time.monotonic() + 0.5
            self.kernel_holds_disk = self._home_is_tmpfs()
            if self.kernel_holds_disk:
                return None
            size, count = _disk_usage(self.home, self.limits.disk_files)
            if size > self.limits.disk_bytes or count > self.limits.disk_files:
                return (f"the submission wrote more than its folder may hold ({self.limits.disk_bytes // 2**20} MB "
                        f"in at most {self.limits.disk_files} files) and was stopped")
        return None


    def _home_is_tmpfs(self) -> bool:
        """Whether the worker's folder is its own tmpfs (then the kernel holds the disk budget).

        Read from the worker's mount table, not taken from the worker: it cannot mount or
        unmount anything itself (no capabilities, and the system call filter).
        """
        try:
            with open(f"/proc/{self.pid}/mountinfo", "rb") as f:
                table = f.read()
        except OSError:
            return False
        home = self.home.encode()
        for line in table.splitlines():
            fields = line.split(b" - ")
            if len(fields) == 2 and line.split()[4] == home and fields[1].split()[0] == b"tmpfs":
                return True
        return False


def _disk_usage(folder: str, most: int) -> tuple[int, int]:
    """(bytes on disk, entries) under folder, without following links; stops counting past `most`."""
    size = count = 0
    stack = [folder]
    while stack and count <= most:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            count += 1
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                size += info.st_blocks * 512
                if stat.S_ISDIR(info.st_mode):
                    stack.append(entry.path)
    return size, count


class _Clock:
    """A time limit counted in the worker's CPU time, with a wall-clock backstop.

    `limit` seconds allow limit x cores seconds of CPU (a worker may keep `cores` busy), and
    WALL_BACKSTOP_FACTOR x limit seconds of wall time for a worker that waits instead.
    """

    def __init__(self, watch: _Watch, limit: float, limits: Limits):
        self.watch, self.limit, self.cores = watch, limit, limits.cores
        self.cpu_start = watch.cpu_seconds()
        self.wall_start = time.monotonic()
        self.expired = False

    def problem(self, what: str) -> str | None:
        cpu = self.watch.cpu_seconds() - self.cpu_start
        wall = time.monotonic() - self.wall_start
        if cpu > self.limit * self.cores or wall > self.limit * WALL_BACKSTOP_FACTOR:
            self.expired = True
            return (f"{what} took longer than {self.limit:g} s and was stopped "
                    f"({cpu:.0f} s of CPU time on up to {self.cores} core{'s' if self.cores > 1 else ''}, "
                    f"{wall:.0f} s in all)")
        return None


@dataclass
class ScriptRun:
    """How a student's program ended, what it printed, and the files it left behind."""

    exit_code: int | None  # None when it was stopped (timeout) or killed
    timed_out: bool
    output: str  # stdout and stderr together, the last SCRIPT_OUTPUT_TAIL bytes
    files: dict[str, bytes]  # regular files it wrote in its folder, up to SCRIPT_FILE_LIMIT each


SCRIPT_OUTPUT_TAIL = 64 * 1024


def run_script(files: dict[str, str], name: str, argv: list[str], timeout: float,
               limits: Limits = Limits(), env: dict | None = None) -> ScriptRun:
    """Run files[name] as `python name *argv` in a fresh sandboxed child, within `timeout`
    (counted like every limit here: CPU time, with a wall-clock backstop)."""
    workdir = tempfile.mkdtemp(prefix="hw-script-")
    parent, child = socket.socketpair()
    process = forkserver().Process(
        target=script_main, args=(child, workdir, limits, env or {}, files, name, list(argv)), daemon=True)
    try:
        with main_module_hidden():
            process.start()
        child.close()
        link = channel.Channel(parent, max_bytes=SCRIPT_FILES_LIMIT_BYTES + 1024 * 1024)
        watch = _Watch(process.pid, limits, home_folder(workdir))
        clock = _Clock(watch, timeout, limits)
        left, stopped = {}, None
        while stopped is None:
            if link.poll(POLL_SECONDS):
                try:
                    left = _left_files(link.receive(MESSAGE_SECONDS), files)
                except channel.ChannelClosed:
                    break  # the program ended, and its process with it
                except (channel.ChannelTimeout, transport.TransportError) as err:
                    stopped = f"the program's process sent a malformed message and was stopped ({err})"
            else:
                stopped = watch.problem() or clock.problem("the program")
        if stopped:
            process.kill()
            left = {}
        process.join(5)
        link.close()
        code = process.exitcode
        code = None if stopped or code is None or code < 0 else code
        output = _tail(os.path.join(workdir, OUTPUT_FILE), SCRIPT_OUTPUT_TAIL)
        if stopped:
            output += f"\n[stopped: {stopped}]"
        return ScriptRun(code, clock.expired, output, left)
    finally:
        if process.is_alive():
            process.kill()
            process.join(5)
        shutil.rmtree(workdir, ignore_errors=True)


def _left_files(message, scripts: dict) -> dict[str, bytes]:
    """The files a program left, as its process reported them; TransportError unless well formed."""
    if not (type(message) is tuple and len(message) == 2 and message[0] == "files" and type(message[1]) is tuple
            and len(message[1]) <= SCRIPT_FILES_COUNT):
        raise transport.TransportError("expected the list of files the program left")
    left = {}
    for pair in message[1]:
        if not (type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str and type(pair[1]) is bytes
                and SCRIPT_FILE_NAME.fullmatch(pair[0]) and pair[0] not in scripts
                and len(pair[1]) <= SCRIPT_FILE_LIMIT):
            raise transport.TransportError("a file the program left has a bad name or size")
        left[pair[0]] = pair[1]
    return left


def _tail(path: str, size: int) -> str:
    with contextlib.suppress(OSError), open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - size))
        return f.read().decode("utf-8", "replace")
    return ""


class Remote:
    """A student object living in the worker: call it, read or set its attributes."""

    __slots__ = ("_worker", "_id", "_type_name")

    def __init__(self, worker: Worker, handle_id: int, type_name: str):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_id", handle_id)
        object.__setattr__(self, "_type_name", type_name)

    def __call__(self, *args, **kwargs):
        return self._worker.call(self._id, args, kwargs)

    def __getattr__(self, name):
        return self._worker.get(self._id, name)

    def __setattr__(self, name, value):
        self._worker.set(self._id, name, value)

    def __repr__(self):
        return f"<student {self._type_name}>"

    # Let a Remote be passed back as an argument: it encodes as its handle.
    def _handle(self):
        return transport.Handle(self._id, self._type_name)


def remote_type_name(remote: Remote) -> str:
    """The class name of the object a Remote stands for (as the worker reported it). A function,
    not an attribute: every attribute of a Remote is the student object's own."""
    return object.__getattribute__(remote, "_type_name")


class Student:
    """`student.name` is the submission's top-level `name`, fetched from the worker."""

    def __init__(self, worker: Worker):
        self._worker = worker

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._worker.get(None, name)

    def reference_to(self, name: str) -> Remote:
        """The worker's own object behind `name`, as a handle; see Worker.reference."""
        return self._worker.reference(name)

    def construct(self, name: str, *args, **kwargs) -> Remote:
        """`name(*args, **kwargs)` run in the worker; the new object stays there, as a handle."""
        return self._worker.construct(name, args, kwargs)

    def run_script(self, name: str, argv: list[str], timeout: float = 300.0) -> "ScriptRun":
        """Run the submission's `%%writefile name` cell as a program, in a fresh sandbox."""
        if name not in self._worker.files:
            raise StudentError(f"the notebook has no `%%writefile {name}` cell")
        return run_script(self._worker.files, name, argv, timeout, self._worker.limits, self._worker.env)

    @contextlib.contextmanager
    def fresh(self, setup_code: str, files: dict[str, bytes] | None = None):
        """`with student.fresh(code, files) as other:` a new worker that has the submission's
        `%%writefile` files and `files` in its folder and has run `setup_code` (the grader's
        code; none of the notebook's cells), as a Student; closed when the block ends.

        It is for evaluating what a program left behind (its saved weights) where nothing
        the notebook did can reach. It is handed no data: what it is to classify, the test
        hands in; the labels stay in the grader.
        """
        from .data import GIVEN_ENV
        from .notebook import CodeCell

        cell = CodeCell(index=0, source=setup_code, grade_id="grader's setup", is_test=False)
        env = {key: value for key, value in self._worker.env.items() if key != GIVEN_ENV}
        worker = Worker([cell], self._worker.limits, env, {**self._worker.files, **(files or {})})
        try:
            report = worker.start()
            if report.fatal or report.errors:
                raise StudentError(report.summary())
            yield Student(worker)
        finally:
            worker.close()


@contextlib.contextmanager
def main_module_hidden():
    """Start children without re-running the caller's __main__ in them.

    multiprocessing re-imports the parent's main script in every child it starts. The
    worker needs nothing from it, and a grading script's imports would cost seconds per
    submission (and run its top-level code next to student code).
    """
    main = sys.modules["__main__"]
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if hasattr(main, k)}
    for key in saved:
        delattr(main, key) if key == "__file__" else setattr(main, key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(main, key, value)


def _cell_label(cell) -> str:
    """How feedback names a cell: its position, and its nbgrader id when it has one."""
    return f"cell {cell.index} ({cell.grade_id})" if cell.grade_id else f"cell {cell.index}"


# What a grade of record needs from the kernel; a missing one is named by confinement_gaps().
REQUIRED_CONFINEMENT = ("capabilities dropped", "files hidden", "tcp blocked", "signals scoped",
                        "no new processes", "no sockets, namespaces or io_uring")


def confinement_gaps(limits: Limits = Limits()) -> list[str]:
    """Start one empty worker and list what its confinement lacks on this machine (empty: all held)."""
    worker = Worker([], limits)
    try:
        report = worker.start()
    finally:
        worker.close()
    if report.fatal:
        return [f"no worker could start: {report.fatal}"]
    gaps = [name for name in REQUIRED_CONFINEMENT if report.confinement.get(name) is not True]
    if not report.network_isolated:
        gaps.append("network namespace")
    return gaps


def warm_up():
    """Start the forkserver (torch imported once) now, so no submission pays for it."""
    process = forkserver().Process(target=os.getpid)
    with main_module_hidden():
        process.start()
    process.join()


def _encode_argument(value):
    """Arguments are plain data, or student objects handed back by their handle."""

    def handle_of(obj):
        if isinstance(obj, Remote):
            return obj._handle()
        raise transport.TransportError(f"cannot send a {type(obj).__name__} to student code")

    return transport.encode(value, handle_of)


def _death_reason(code) -> str:
    if code is None:
        return "the worker running the submission stopped unexpectedly"
    if code < 0:
        sig = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
        if sig == "SIGKILL":
            return "the worker running the submission was killed (out of memory?)"
        return f"the worker running the submission crashed ({sig})"
    return f"the submission ended the worker process (exit code {code}: sys.exit or os._exit?)"
