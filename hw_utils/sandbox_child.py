"""The worker from inside: what a child process does before and while it runs student code.

sandbox.py (the grader side) starts a child with `worker_main` (a notebook's namespace
that answers requests) or `script_main` (a student's program run as `python name argv`).
Either first walls itself in (`_enter_sandbox`: its own session, namespaces, resource
limits, output capped, inherited descriptors closed, confine.confine()), and only then runs
student code. What it sends back, the grader checks again: once student code has run in
this process, nothing it says is evidence.

Imported by the forkserver before any worker starts (sandbox.PRELOAD), so every worker
has it loaded; its file's frames are left out of the tracebacks students read.
"""

from __future__ import annotations

import ctypes
import linecache
import os
import re
import resource
import signal
import stat
import sys
import tempfile
import traceback
import types
from pathlib import Path
from typing import TYPE_CHECKING

from . import channel, confine, course, transport
from .train import seed_everything

if TYPE_CHECKING:
    from .sandbox import Limits

OUTPUT_FILE = "output.txt"  # beside the worker's home: what the submission printed, for feedback
# What a program may hand back (run_script): regular files with plain names, within budget.
SCRIPT_FILE_LIMIT = 16 * 1024 * 1024  # one file
SCRIPT_FILES_COUNT = 64  # files
SCRIPT_FILES_LIMIT_BYTES = 64 * 1024 * 1024  # all of them together
SCRIPT_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}")
PACKAGE = Path(__file__).resolve().parent  # hw_utils: workers import it, so it stays readable in the hidden repository


def home_folder(workdir: str) -> str:
    """The worker's own folder, the only one it may write: its printed output sits beside it."""
    return os.path.join(workdir, "home")


def always_hidden() -> list[str]:
    """What no submission may read: the course repository (hidden tests, solutions, grades),
    the grader's home (credentials), the temporary folders of other workers, and every
    dataset on disk (test splits and their labels included; see data.dataset_paths)."""
    from .data import dataset_paths

    return [str(course.ROOT), os.path.expanduser("~"), tempfile.gettempdir(), "/dev/shm", *map(str, dataset_paths())]


def _still_readable() -> list[str]:
    """Inside hidden folders, what Python itself needs: its library, packages and our helpers
    (confine keeps what is hidden inside them hidden: the dataset files some packages ship);
    and the folder of training data the grader gives this worker (HW_GIVEN_DATA), if any.

    Not sys.path as such: under pytest it holds the test folders, hidden tests included.
    """
    import site

    from .data import given_folder

    paths = [sys.prefix, sys.base_prefix, str(PACKAGE)]
    if site.ENABLE_USER_SITE:
        paths.append(site.getusersitepackages())
    given = given_folder()
    if given is not None:
        paths.append(str(given))  # the grader wrote all of it: training data only
    return [p for p in paths if os.path.exists(p)]


def _enter_sandbox(workdir: str, limits: Limits, env: dict, keep_fd: int) -> tuple[bool, dict]:
    """Everything a child does before student code runs: namespaces, limits, confinement.

    Afterwards the process holds no file descriptor but stdin/stdout/stderr and keep_fd
    (its channel to the grader): nothing inherited from the forkserver reaches anyone.
    """
    from .data import data_root

    os.setsid()  # its own process group: no signal to "my group" reaches the grader
    hidden = always_hidden() + list(limits.hidden)  # before HOME and TMPDIR move
    output = os.open(os.path.join(workdir, OUTPUT_FILE), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    home = home_folder(workdir)
    os.mkdir(home, 0o700)
    network_isolated, mounts = _new_namespaces()
    disk = "kernel (tmpfs)" if mounts and limits.disk_tmpfs and _mount_tmpfs(home, limits) else "polled by the grader"
    os.chdir(home)
    _apply_limits(limits)
    if limits.threads:
        import torch

        torch.set_num_threads(limits.threads)
    os.environ[course.DATA_DIR_ENV] = str(data_root())  # before HOME moves
    os.environ.update(env)
    # Caches and temporary files go to the worker's own folder, the only one it may write.
    os.environ.update(MPLBACKEND="Agg", HOME=home, TMPDIR=home, CUDA_CACHE_PATH=os.path.join(home, ".nv"))
    tempfile.tempdir = home
    _redirect_output(output, limits.output_bytes)
    _close_inherited_files(keep_fd)
    confinement = confine.confine(hidden, _still_readable(), [home])
    confinement["disk budget"] = disk
    return network_isolated, confinement


def _close_inherited_files(keep_fd: int):
    """Close every descriptor but 0, 1, 2 and keep_fd (the forkserver's pipes, the resource
    tracker's, whatever the grader had open)."""
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def worker_main(sock, workdir: str, limits: Limits, env: dict):
    """Entry point of the worker process: limit ourselves, then serve requests forever."""
    try:
        network_isolated, confinement = _enter_sandbox(workdir, limits, env, sock.fileno())
        server = _Server(channel.Channel(sock))
        server.serve(network_isolated, confinement)
    finally:
        # Never return into the forkserver's code: a child that returns runs its exit
        # handlers, which a submission may have registered.
        os._exit(0)


def _write_scripts(files: dict[str, str | bytes]):
    """The notebook's `%%writefile` cells (text), and files the grader adds (bytes), in the
    working folder; the scripts importable."""
    for name, content in files.items():
        if isinstance(content, bytes):
            with open(name, "wb") as f:
                f.write(content)
        else:
            with open(name, "w", encoding="utf-8") as f:
                f.write(content)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


def script_main(sock, workdir: str, limits: Limits, env: dict, files: dict, name: str, argv: list[str]):
    """Entry point of a script run: the student's program as `python name argv...`; then the
    files it left go to the grader (within their budget) and its exit code is ours."""
    code = 1
    try:
        _enter_sandbox(workdir, limits, env, sock.fileno())
        link = channel.Channel(sock)
        _write_scripts(files)
        seed_everything(0)
        sys.argv = [name, *argv]
        code = 0
        try:
            source = files[name]
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
            exec(compile(source, name, "exec"), {"__name__": "__main__", "__file__": name,
                                                  "__builtins__": __builtins__})
        except SystemExit as done:  # argparse's -h and errors end this way, as in a shell
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException as err:  # noqa: BLE001 - reported like Python would, exit code 1
            print(_describe(err), file=sys.stderr)
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        link.send(("files", _files_left(files)))
    finally:
        os._exit(code & 0xFF)


def _files_left(scripts: dict) -> tuple:
    """(name, bytes) of the regular files in the working folder, but the scripts, within budget."""
    left, total = [], 0
    for entry in sorted(os.listdir(".")):
        if entry in scripts or len(left) == SCRIPT_FILES_COUNT or not SCRIPT_FILE_NAME.fullmatch(entry):
            continue
        data = _read_regular_file(entry)
        if data is not None and total + len(data) <= SCRIPT_FILES_LIMIT_BYTES:
            left.append((entry, data))
            total += len(data)
    return tuple(left)


def _read_regular_file(path: str) -> bytes | None:
    """A file the program left, unless it is a link, a folder, a fifo or too big."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > SCRIPT_FILE_LIMIT:
            return None
        return f.read(SCRIPT_FILE_LIMIT)


def _new_namespaces() -> tuple[bool, bool]:
    """(network isolated, own mounts): an empty network namespace, and a mount namespace
    where the worker's folder can be a size-limited tmpfs. Unprivileged graders get them
    inside a new user namespace where the kernel allows one."""
    libc = ctypes.CDLL(None, use_errno=True)
    newns, newuser, newnet = 0x00020000, 0x10000000, 0x40000000
    for flags in (newnet | newns, newuser | newnet | newns, newnet, newuser | newnet):
        if libc.unshare(flags) == 0:
            return True, bool(flags & newns)
    return False, False


def _mount_tmpfs(home: str, limits: Limits) -> bool:
    """Make home a tmpfs of limits.disk_bytes and disk_files: the kernel holds the disk budget."""
    libc = ctypes.CDLL(None, use_errno=True)
    ms_rec, ms_private, ms_nosuid, ms_nodev = 0x4000, 0x40000, 0x2, 0x4
    if libc.mount(b"none", b"/", None, ms_rec | ms_private, None) != 0:
        return False  # without this, our mount could show up in the grader's namespace
    options = f"size={limits.disk_bytes},nr_inodes={limits.disk_files},mode=0700".encode()
    return libc.mount(b"tmpfs", home.encode(), b"tmpfs", ms_nosuid | ms_nodev, options) == 0


def _apply_limits(limits: Limits):
    data_bytes = limits.memory_mb * 1024 * 1024
    # RLIMIT_DATA (Linux >= 4.7) counts private writable mappings: what numpy and torch
    # allocate, but not CUDA's huge address-space reservations that RLIMIT_AS would hit.
    resource.setrlimit(resource.RLIMIT_DATA, (data_bytes, data_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the cap, writes fail; no death


def _redirect_output(fd: int, limit: int):
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # input() gets EOF instead of hanging
    os.close(devnull)
    sys.stdin = open(0, closefd=False)  # multiprocessing's own stdin is a descriptor we close
    # RLIMIT_FSIZE stops anything written past the limit, C code included; print() stops
    # a little earlier and quietly, so a chatty cell does not make every later print fail.
    budget = _OutputBudget(limit - 64 * 1024)
    sys.stdout = _CappedStream(sys.stdout, budget)
    sys.stderr = _CappedStream(sys.stderr, budget)


class _OutputBudget:
    def __init__(self, size: int):
        self.left = size
        self.noted = False


class _CappedStream:
    """A text stream that drops what is written once the shared budget is spent."""

    def __init__(self, stream, budget: _OutputBudget):
        self._stream = stream
        self._budget = budget

    def write(self, text: str) -> int:
        size = len(text.encode("utf-8", "replace"))
        if size <= self._budget.left:
            self._budget.left -= size
            return self._stream.write(text)
        if not self._budget.noted:
            self._budget.noted = True
            self._stream.write("\n[output truncated: the notebook printed more than the grader keeps]\n")
            self._stream.flush()
        return len(text)

    def __getattr__(self, name):  # flush, fileno, encoding, isatty...
        return getattr(self._stream, name)


_UNBOUND = object()


class _Server:
    def __init__(self, link: channel.Channel):
        self.link = link
        self.namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        self.objects: dict[int, object] = {}
        self.ids: dict[int, int] = {}  # id(obj) -> handle id, so one object has one handle

    def send(self, message):
        self.link.send(message)

    def serve(self, network_isolated: bool, confinement: dict):
        while True:
            try:
                while not self.link.poll(3600):
                    pass  # the grader decides when we are done: it closes the channel or kills us
                message = self.link.receive(channel.MESSAGE_SECONDS)
            except (EOFError, OSError):
                return
            if message[0] == "load":
                self.load(message[1], dict(message[2]))
                self.send(("loaded", network_isolated, tuple(confinement.items())))
                continue
            try:
                result = self.handle(message)
                self.send(("ok", transport.encode(result, self.make_handle)))
            except BaseException as err:  # noqa: BLE001 - SystemExit from student code too
                self.send(("error", _describe(err)))

    def load(self, cells, files):
        _write_scripts(files)
        seed_everything(0)
        given_names = {}  # name -> the object a given cell bound it to, last binding wins
        for label, source, given in cells:
            self.send(("cell", label))
            filename = f"<notebook {label}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            before = dict(self.namespace) if given else None
            error = None
            try:
                exec(compile(source, filename, "exec"), self.namespace)
            except BaseException as err:  # noqa: BLE001 - a cell's SystemExit must not end us
                error = _describe(err)
            if given:  # the helpers it defines: functions, classes, modules (not data a student may rebind)
                given_names.update({name: value for name, value in self.namespace.items()
                                    if before.get(name, _UNBOUND) is not value
                                    and (callable(value) or isinstance(value, types.ModuleType))})
            sys.stdout.flush()
            sys.stderr.flush()
            self.send(("cell_done", label, error))
        # A student's own cell may not redefine a given helper either: the tests call the
        # helpers the instructor wrote. (Given cells that rebind a name on purpose were
        # recorded in order, so the last given binding is the one restored.)
        self.namespace.update(given_names)

    def handle(self, message):
        kind, target = message[0], message[1]
        if kind == "seed":
            seed_everything(message[2])
            return None
        if kind in ("get", "ref"):
            name = message[2]
            if target is None:
                if name not in self.namespace:
                    raise NameError(f"the notebook does not define `{name}`")
                value = self.namespace[name]
            else:
                value = getattr(self.objects[target], name)
            return self.make_handle(value) if kind == "ref" else value
        if kind == "set":
            setattr(self.objects[target], message[2], transport.decode(message[3], self.resolve))
            return None
        if kind in ("call", "new"):
            args = transport.decode(message[-2], self.resolve)
            kwargs = transport.decode(message[-1], self.resolve)
            if kind == "call":
                return self.objects[target](*args, **kwargs)
            if message[2] not in self.namespace:
                raise NameError(f"the notebook does not define `{message[2]}`")
            return self.make_handle(self.namespace[message[2]](*args, **kwargs))
        raise ValueError(f"unknown request {kind!r}")

    def make_handle(self, obj) -> transport.Handle:
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = len(self.objects) + 1
            self.objects[self.ids[key]] = obj
        return transport.Handle(self.ids[key], type(obj).__name__)

    def resolve(self, handle_id: int, type_name: str):
        return self.objects[handle_id]


def _describe(err: BaseException) -> str:
    """The student's exception with the traceback through their cells, not our frames."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename != __file__]
    lines = traceback.format_list(frames)
    try:
        text = "".join(traceback.format_exception_only(type(err), err)).strip()
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = type(err).__name__
    return ("".join(lines) + text)[-4000:] if lines else text[-4000:]
