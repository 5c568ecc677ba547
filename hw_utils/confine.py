"""Confine a worker process before student code runs in it (Linux only, no root needed).

Three kernel features, each applied to the calling process and inherited by anything it
starts, none of which can be undone from inside:

- Landlock (Linux >= 5.13): the files the process may touch. It reads everything except
  the hidden folders (the course repository with its hidden tests and solutions, the
  graded output, other submissions, other workers' temporary folders), writes only in
  its own working folder, may not open TCP connections, and (ABI 6) may not signal
  processes outside its sandbox, such as the grader.
  Other processes' /proc folders are hidden too (their command lines name other students).
- seccomp: no new processes (threads are fine), no sockets beyond the pair it was handed,
  no signals but to itself, no ptrace, namespaces, mounts or io_uring (see below).
- capabilities: all dropped, so a grader running as root does not lend student code root's
  powers (reboot, changing the clock, raw devices, undoing the sandbox).

`confine()` reports which of these took hold, so a grader on an older kernel still runs
and says what it could not enforce.
"""

from __future__ import annotations

import ctypes
import glob
import os
import platform
import struct

# --------------------------------------------------------------------------- Landlock

_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
TRUNCATE, IOCTL_DEV = 1 << 14, 1 << 15
_FILE_ONLY_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR

# Devices a program may need: the bit buckets, randomness, and NVIDIA's GPU nodes.
_DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
_GPU_DEVICES = ["/dev/nvidia*", "/dev/nvidia-caps/*"]

_PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def landlock_abi() -> int:
    """The kernel's Landlock version; 0 when it has none (or it is disabled)."""
    version = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(0, int(version))


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: execute ... make_sym
    if abi >= 2:
        rights |= 1 << 13  # refer (link or rename across folders)
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def readable_roots(hidden: list[str]) -> list[str]:
    """Paths that together cover the whole file tree except `hidden` (and /dev).

    Landlock only grants; so to hide a folder we grant each of its siblings, and each
    sibling of its parents, up to /. Only the ancestors of hidden folders are listed.
    """
    hidden = {os.path.realpath(h) for h in hidden} | {"/dev"}
    roots = []

    def inside(path, folder):
        return path == folder or path.startswith(folder.rstrip("/") + "/")

    def visit(folder):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            real = os.path.realpath(entry.path)
            if any(inside(real, h) for h in hidden):
                continue  # hidden itself, or a link into a hidden folder
            if any(inside(h, real) for h in hidden):
                if not entry.is_symlink():
                    visit(entry.path)  # an ancestor: grant its other children
                continue  # a link to an ancestor: its real path is walked instead
            roots.append(real)

    visit("/")
    return roots


def readable_except(folder: str, hidden: list[str]) -> tuple[list[str], list[str]]:
    """(paths to grant, folders to keep listable) that open `folder` but the hidden paths in it.

    Landlock only adds up grants, so granting a folder whole would open what is hidden inside
    it again (a dataset file that ships inside a package). Such a folder is granted entry by
    entry down to the hidden path; the folders on the way stay listable (READ_DIR only), since
    Python finds a package's modules by listing its folder.
    """
    folder = os.path.realpath(folder)

    def inside(path, parent):
        return path == parent or path.startswith(parent.rstrip("/") + "/")

    inner = [h for h in (os.path.realpath(h) for h in hidden) if inside(h, folder)]
    if not inner:
        return [folder], []
    if folder in inner:
        return [], []
    granted, listable = [], [folder]
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return [], []
    for entry in entries:
        real = os.path.realpath(entry.path)
        if not entry.is_symlink():
            more, folders = readable_except(real, inner)
            granted += more
            listable += folders
        elif not any(inside(h, real) or inside(real, h) for h in inner):
            granted.append(real)  # a link that leads to nothing hidden
    return granted, listable


def _add_rule(ruleset: int, path: str, rights: int) -> bool:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not os.path.isdir(path):
            rights &= _FILE_ONLY_RIGHTS
        attr = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr (packed)
        buffer = ctypes.create_string_buffer(attr, len(attr))
        return _libc.syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, _RULE_PATH_BENEATH, buffer, 0) == 0
    finally:
        os.close(fd)


def _landlock(hidden: list[str], readable: list[str], writable: list[str]) -> int:
    """Apply the file, network and signal rules; return the ABI used (0: not applied)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    handled = _handled_fs(abi)
    attr = struct.pack("=QQQ", handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)  # the struct grew with the ABI
    buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, buffer, ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return 0
    try:
        granted, listable = readable_roots(hidden), []
        for path in readable:
            more, folders = readable_except(path, hidden)
            granted += more
            listable += folders
        for path in granted:
            _add_rule(ruleset, path, READ)
        for path in listable:
            _add_rule(ruleset, path, READ_DIR)
        devices = _DEVICES + [p for pattern in _GPU_DEVICES for p in glob.glob(pattern)]
        for path in devices:
            _add_rule(ruleset, path, READ_FILE | WRITE_FILE | (IOCTL_DEV if abi >= 5 else 0))
        for path in writable:
            _add_rule(ruleset, path, handled)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        if _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return 0
        return abi
    finally:
        os.close(ruleset)


# --------------------------------------------------------------------------- seccomp
#
# One filter, installed last, that student code cannot remove. It refuses every system
# call that reaches another process or leaves the sandbox's view of the machine:
#
# - new processes (fork, vfork, clone without CLONE_THREAD); clone3 says "not
#   implemented" (its flags sit in memory a filter cannot read) and the C library falls
#   back to clone, whose flags we check. Threads are fine.
# - sockets: socket(), connect(), bind(), listen(), accept(), sendmsg() and a sendto()
#   that names an address. A worker keeps the connected pair it was handed (and may make
#   socketpairs, which reach no one), but cannot dial the forkserver's control socket, a
#   daemon's named socket, or an abstract one: a worker that knows every path of the
#   grader still cannot talk to an unconfined process.
# - signals to anyone but itself (kill, tgkill, rt_sigqueueinfo with another pid; tkill and
#   pidfd_send_signal, whose target a filter cannot tell), ptrace and process_vm_*.
# - namespaces and mounts (unshare, setns, mount and the new mount API), io_uring (its
#   operations bypass seccomp), bpf, perf_event_open, userfaultfd, kernel keys and
#   modules, kexec, reboot, swap, acct, open_by_handle_at.
# - resource limits and scheduling of other processes (prlimit64 on the grader could
#   kill it; on the forkserver, break every later worker), SysV and POSIX IPC and
#   memfd (memory outside RLIMIT_DATA that may outlive the worker), inotify/fanotify
#   (names inside hidden folders).

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
# BPF opcodes
_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
_ARGS = 16  # offsetof(struct seccomp_data, args); each argument is 8 bytes, low word first

# x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). Other machines
# get the process rule only, and confine() says so.
_X86_64 = {
    "arch": 0xC000003E, "fork": 57, "vfork": 58, "clone": 56, "clone3": 435,
    "kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "sendto": 44,
    "denied": {
        "socket": 41, "connect": 42, "accept": 43, "sendmsg": 46, "bind": 49, "listen": 50,
        "accept4": 288, "sendmmsg": 307,
        "tkill": 200, "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
        "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "add_key": 248, "request_key": 249, "keyctl": 250,
        "init_module": 175, "finit_module": 313, "delete_module": 176,
        "kexec_load": 246, "kexec_file_load": 320, "reboot": 169, "swapon": 167, "swapoff": 168,
        "acct": 163, "name_to_handle_at": 303, "open_by_handle_at": 304,
        # Memory that RLIMIT_DATA does not count and that outlives the worker, shared IPC
        "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
        "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
        "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
        "mq_getsetattr": 245, "memfd_create": 319, "memfd_secret": 447,
        # Watching hidden folders for names (other workers' folders, the grader's files)
        "inotify_init": 253, "inotify_add_watch": 254, "inotify_init1": 294,
        "fanotify_init": 300, "fanotify_mark": 301,
        # Other processes' scheduling and memory
        "setpriority": 141, "ioprio_set": 251, "migrate_pages": 256, "process_madvise": 440,
        "process_mrelease": 448,
    },
    # Allowed on this process only (pid 0 or its own): limits, scheduling, page moves.
    "own_or_zero": {"prlimit64": 302, "sched_setaffinity": 203, "sched_setscheduler": 144,
                    "sched_setparam": 142, "sched_setattr": 314, "move_pages": 279},
}
_AARCH64 = {"arch": 0xC00000B7, "fork": None, "vfork": None, "clone": 220, "clone3": 435}
_ARCHES = {"x86_64": _X86_64, "aarch64": _AARCH64}


def _deny():
    return (_RET_K, 0, 0, _RET_ERRNO | _EPERM)


def _allow():
    return (_RET_K, 0, 0, _RET_ALLOW)


def _only_for_self(number: int, pid: int) -> list[tuple]:
    """A signal call whose first argument (pid or tgid) must be this process."""
    return [(_JEQ_K, 0, 4, number),
            (_LD_W_ABS, 0, 0, _ARGS),
            (_JEQ_K, 1, 0, pid),
            _deny(),
            _allow()]


def _own_or_zero(number: int, pid: int) -> list[tuple]:
    """A call whose first argument, a pid, must be 0 (the caller) or this process."""
    return [(_JEQ_K, 0, 5, number),
            (_LD_W_ABS, 0, 0, _ARGS),
            (_JEQ_K, 2, 0, 0),
            (_JEQ_K, 1, 0, pid),
            _deny(),
            _allow()]


def _no_address(number: int, arg: int) -> list[tuple]:
    """A call allowed only when pointer argument `arg` is NULL (sendto without an address)."""
    low = _ARGS + 8 * arg
    return [(_JEQ_K, 0, 6, number),
            (_LD_W_ABS, 0, 0, low),
            (_JEQ_K, 0, 3, 0),
            (_LD_W_ABS, 0, 0, low + 4),
            (_JEQ_K, 0, 1, 0),
            _allow(),
            _deny()]


def _sandbox_filter(pid: int) -> list[tuple[int, int, int, int]] | None:
    """The BPF program for this machine, or None where we know no system call numbers."""
    table = _ARCHES.get(platform.machine())
    if table is None:
        return None
    program = [
        (_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ_K, 1, 0, table["arch"]),
        _deny(),  # a foreign ABI (e.g. 32-bit calls): refuse everything
        (_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (_JGE_K, 0, 1, 0x40000000),  # x32 calls on x86_64
        _deny(),
    ]
    for name in ("fork", "vfork"):
        if table[name] is not None:
            program += [(_JEQ_K, 0, 1, table[name]), _deny()]
    program += [(_JEQ_K, 0, 1, table["clone3"]), (_RET_K, 0, 0, _RET_ERRNO | _ENOSYS)]
    for number in table.get("denied", {}).values():
        program += [(_JEQ_K, 0, 1, number), _deny()]
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        if name in table:
            program += _only_for_self(table[name], pid)
    for number in table.get("own_or_zero", {}).values():
        program += _own_or_zero(number, pid)
    if "sendto" in table:
        program += _no_address(table["sendto"], 4)
    program += [
        (_JEQ_K, 0, 3, table["clone"]),
        (_LD_W_ABS, 0, 0, _ARGS),  # low 32 bits of args[0]: the clone flags
        (_JSET_K, 1, 0, _CLONE_THREAD),
        _deny(),  # clone without CLONE_THREAD: a new process
        _allow(),
    ]
    return program


def _seccomp(pid: int) -> bool:
    program = _sandbox_filter(pid)
    if program is None:
        return False
    raw = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    filters = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(program), ctypes.cast(filters, ctypes.c_void_p))
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0


# --------------------------------------------------------------------------- capabilities

_PR_CAPBSET_DROP, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
_CAPABILITY_VERSION_3 = 0x20080522


def _drop_capabilities() -> bool:
    """Empty every capability set; true when none is left (as for any ordinary user)."""
    for cap in range(64):
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly without CAP_SETPCAP
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = ctypes.create_string_buffer(struct.pack("=Ii", _CAPABILITY_VERSION_3, 0), 8)
    data = ctypes.create_string_buffer(bytes(24), 24)  # two empty {effective, permitted, inheritable}
    _libc.capset(header, data)
    with open("/proc/self/status") as status:
        effective = next(line for line in status if line.startswith("CapEff:"))
    return int(effective.split()[1], 16) == 0


# --------------------------------------------------------------------------- together


def confine(hidden: list[str], readable: list[str], writable: list[str]) -> dict[str, bool]:
    """Apply all three to this process; say which took hold."""
    capabilities = _drop_capabilities()
    files = _landlock(hidden + other_processes(), readable, writable)
    syscalls = _seccomp(os.getpid())
    full_filter = "denied" in _ARCHES.get(platform.machine(), {})
    return {"capabilities dropped": capabilities, "files hidden": files > 0,
            "tcp blocked": files >= 4, "signals scoped": files >= 6, "no new processes": syscalls,
            "no sockets, namespaces or io_uring": syscalls and full_filter}


def other_processes() -> list[str]:
    """/proc/<pid> of every process but this one: their command lines list other students'
    submissions, their status says what runs where. Landlock grants /proc's other entries
    (cpuinfo, meminfo, self); a process started later is under no granted folder at all."""
    own = str(os.getpid())
    return [f"/proc/{name}" for name in os.listdir("/proc") if name.isdigit() and name != own]
