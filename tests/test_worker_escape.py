"""Root cause 1: a worker cannot reach an unconfined process, whatever it knows.

The worker is told every address, pid and path of the grader that an attacker could learn
by reading the source or the forkserver's memory, and tries each way out for real: the
forkserver's control socket (which would run any pickle unconfined), other named and
abstract unix sockets, datagrams to a named socket, signals and ptrace to the grader and
to a sibling, io_uring, new namespaces, /proc of other processes, inherited descriptors.
"""

import ctypes
import multiprocessing.forkserver
import os
import pickle
import socket
import subprocess
import sys
import time

import pytest
from attacks import attack_worker, run

from hw_utils import confine, sandbox

# The forkserver protocol of CPython 3.11 (multiprocessing/forkserver.py): connect, send four
# descriptors; the forked child unpickles whatever the first one holds. Unconfined, this
# runs the payload with the grader's powers.
FORKSERVER_EXPLOIT = '''
import os, pickle, socket
from multiprocessing import reduction
payload = {payload!r}
child_r, to_child = os.pipe()
os.write(to_child, payload)
os.close(to_child)
spare_r, spare_w = os.pipe()
client = socket.socket(socket.AF_UNIX)
client.connect({address!r})
reduction.sendfds(client, [child_r, spare_w, spare_r, spare_w])
return "sent"
'''


class _Canary:
    """Unpickled in the forkserver's child, it creates a file: proof that code ran there."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _exploit_code(canary) -> str:
    payload = pickle.dumps({}) + pickle.dumps(_Canary(str(canary)))  # preparation data, then the "process"
    sandbox.warm_up()  # the forkserver runs, as it does while a class is graded
    address = multiprocessing.forkserver._forkserver._forkserver_address
    assert address, "no forkserver address: the exploit would test nothing"
    return FORKSERVER_EXPLOIT.format(payload=payload, address=address)


def _wait_for(path, seconds=3.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def worker():
    worker = attack_worker()
    yield worker
    worker.close()


def test_the_forkserver_exploit_is_real_outside_the_sandbox(tmp_path):
    """The same code, run unconfined, does get code executed in the forkserver's child."""
    canary = tmp_path / "ran-unconfined"
    namespace = {}
    exec("def action():\n" + "\n".join("    " + line for line in _exploit_code(canary).strip().splitlines()),
         namespace)
    assert namespace["action"]() == "sent"
    assert _wait_for(canary), "the exploit did not work unconfined: the sandbox test below would prove nothing"


def test_worker_cannot_reach_the_forkserver(worker, tmp_path):
    canary = tmp_path / "ran-from-worker"
    outcome = run(worker, _exploit_code(canary))
    assert outcome.startswith("PermissionError"), outcome
    assert not _wait_for(canary, 1.0), "code sent by the worker ran outside the sandbox"


def test_worker_cannot_connect_to_named_or_abstract_unix_sockets(worker, tmp_path):
    named = socket.socket(socket.AF_UNIX)
    named.bind(str(tmp_path / "grader.sock"))
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(b"\0hw-grader-test-%d" % os.getpid())
    for server in (named, abstract):
        server.listen()
        server.settimeout(0.5)
    try:
        for address in (str(tmp_path / "grader.sock"), "\0hw-grader-test-%d" % os.getpid()):
            outcome = run(worker, f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({address!r})\n"
                                  "return 'connected'")
            assert outcome.startswith("PermissionError"), outcome
        for server in (named, abstract):
            with pytest.raises(TimeoutError):
                server.accept()
    finally:
        named.close()
        abstract.close()


def test_worker_cannot_send_datagrams_to_a_named_socket(worker, tmp_path):
    path = str(tmp_path / "log.sock")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    receiver.settimeout(0.5)
    try:
        outcome = run(worker, "import socket\na, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                              f"return a.sendto(b'forged', {path!r})")
        assert outcome.startswith("PermissionError"), outcome
        with pytest.raises(TimeoutError):
            receiver.recv(100)
    finally:
        receiver.close()
    # A socketpair itself reaches no one and stays usable (asyncio makes one for its loop).
    assert run(worker, "import socket\na, b = socket.socketpair()\na.send(b'x')\nreturn b.recv(1)") == "done: b'x'"


@pytest.fixture
def sibling():
    """Another process of the grader's, as a sibling grading process would be."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def test_worker_cannot_signal_the_grader_a_sibling_or_its_group(worker, sibling):
    for target in (os.getpid(), sibling.pid, 0, -1, -os.getpgid(0)):
        outcome = run(worker, f"import os, signal\nos.kill({target}, signal.SIGKILL)\nreturn 'sent'")
        assert outcome.startswith(("PermissionError", "ProcessLookupError")), (target, outcome)
    outcome = run(worker, f"import os, signal\nfd = os.pidfd_open({sibling.pid})\nreturn fd")
    assert outcome.startswith("PermissionError"), outcome
    assert sibling.poll() is None, "the sibling process was killed"
    # Signalling itself still works, as Python's own code needs.
    assert run(worker, "import os, signal\nsignal.signal(signal.SIGUSR1, lambda *a: None)\n"
                       "os.kill(os.getpid(), signal.SIGUSR1)\nreturn 'ok'") == "done: 'ok'"


def _syscall(number: int, *args) -> str:
    arguments = ", ".join(str(a) for a in args)
    return (f"import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
            f"return libc.syscall({number}{', ' if args else ''}{arguments}), ctypes.get_errno()")


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="system call numbers of x86_64")
@pytest.mark.parametrize("name, number, args", [
    ("io_uring_setup", 425, (8, "ctypes.create_string_buffer(120)")),
    ("unshare(CLONE_NEWUSER)", 272, (0x10000000,)),
    ("unshare(CLONE_NEWNS)", 272, (0x00020000,)),
    ("unshare(CLONE_NEWNET)", 272, (0x40000000,)),
    ("setns", 308, (0, 0)),
    ("ptrace(PTRACE_ATTACH, grader)", 101, (16, "GRADER")),
    ("process_vm_readv(grader)", 310, ("GRADER", 0, 0, 0, 0, 0)),
    ("bpf", 321, (0, 0, 0)),
    ("userfaultfd", 323, (0,)),
    ("perf_event_open", 298, (0, 0, -1, -1, 0)),
])
def test_dangerous_system_calls_are_refused(worker, name, number, args):
    args = tuple(os.getpid() if a == "GRADER" else a for a in args)
    outcome = run(worker, _syscall(number, *args))
    assert outcome.startswith("done: (-1, "), f"{name}: {outcome}"


def test_worker_cannot_change_another_processes_limits(worker, sibling):
    """prlimit64 on the grader (RLIMIT_CPU 1 s killed it) or the forkserver (a tiny
    RLIMIT_DATA broke every later worker): refused; its own limits it may still lower."""
    for pid in (os.getpid(), sibling.pid, "os.getppid()"):
        outcome = run(worker, f"import os, resource\nreturn resource.prlimit({pid}, resource.RLIMIT_CPU, (1, 1))")
        assert outcome.startswith("PermissionError"), (pid, outcome)
    assert sibling.poll() is None
    assert run(worker, "import resource\nresource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
                       "return resource.getrlimit(resource.RLIMIT_CORE)") == "done: (0, 0)"
    assert run(worker, "import os\nos.sched_setaffinity(0, os.sched_getaffinity(0))\nreturn 'ok'") == "done: 'ok'"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="system call numbers of x86_64")
@pytest.mark.parametrize("name, code", [
    ("SysV shared memory", _syscall(29, 0x1234ABCD, 2**20, 0o1666)),
    ("SysV message queue", _syscall(68, 0x1234ABCD, 0o1666)),
    ("memfd_create", "import os\nreturn os.memfd_create('x')"),
    ("inotify on the hidden tests", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                                    "return libc.inotify_init(), ctypes.get_errno()"),
])
def test_memory_and_watches_outside_the_limits_are_refused(worker, name, code):
    outcome = run(worker, code)
    assert outcome.startswith(("done: (-1, ", "PermissionError")), f"{name}: {outcome}"


def test_other_processes_are_invisible_in_proc(worker, sibling):
    for pid in (os.getppid(), os.getpid(), sibling.pid):
        for entry in ("cmdline", "environ", "status", "mem"):
            outcome = run(worker, f"return open('/proc/{pid}/{entry}', 'rb').read(100)")
            assert outcome.startswith(("PermissionError", "FileNotFoundError")), (pid, entry, outcome)
    # Its own /proc and the machine's facts stay readable: Python and torch need them.
    assert run(worker, "return open('/proc/self/status').read(5)") == "done: 'Name:'"
    assert run(worker, "return len(open('/proc/cpuinfo').read()) > 0") == "done: True"


def test_worker_holds_no_descriptor_but_its_own():
    worker = attack_worker()  # fresh: other attacks here leave pipes of their own open
    try:
        outcome = run(worker, "import os\nreturn sorted((fd, os.readlink(f'/proc/self/fd/{fd}')) "
                              "for fd in map(int, os.listdir('/proc/self/fd')) if os.path.exists(f'/proc/self/fd/{fd}'))")
    finally:
        worker.close()
    assert outcome.startswith("done: "), outcome
    fds = eval(outcome.removeprefix("done: "))  # noqa: S307 - our own repr of plain data
    # 0-2, the channel to the grader, and the descriptor listing /proc/self/fd itself.
    others = [(fd, target) for fd, target in fds if fd > 2 and not target.startswith(("socket:", "/proc/"))]
    assert others == [], f"the worker inherited descriptors: {others}"
    assert sum(target.startswith("socket:") for _, target in fds) == 1, fds


def test_confinement_reports_the_system_call_filter(worker):
    report = worker.load_report.confinement
    assert report["no new processes"]
    if os.uname().machine == "x86_64":
        assert report["no sockets, namespaces or io_uring"]
    assert confine.landlock_abi() < 1 or report["files hidden"]


def test_ctypes_cannot_route_around_the_filter(worker):
    """The filter is in the kernel: calling libc directly changes nothing."""
    outcome = run(worker, "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                          "return libc.socket(1, 1, 0), ctypes.get_errno()")
    assert outcome == "done: (-1, 1)", outcome


# push rbx; mov eax, 359 (i386 socket); mov ebx, 1; mov ecx, 1; xor edx, edx; int 0x80; pop rbx; ret
I386_SOCKET = "53b867010000bb01000000b90100000031d2cd805bc3"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the 32-bit ABI of x86_64")
def test_the_32_bit_system_call_table_is_closed_too(worker):
    """int 0x80 reaches the i386 table, whose numbers differ: the filter refuses that ABI whole."""
    outcome = run(worker, f"""import ctypes, mmap
code = bytes.fromhex({I386_SOCKET!r})
page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
address = ctypes.addressof(ctypes.c_char.from_buffer(page))
return ctypes.CFUNCTYPE(ctypes.c_int)(address)()""")
    assert outcome.startswith("done: -"), outcome  # -EPERM (or -ENOSYS without 32-bit support): no socket
