"""Confine a worker process before student code runs in it (Linux only, no root needed).

Three kernel features, each applied to the calling process and inherited by anything it
starts, none of which can be undone from inside:

- Landlock (Linux >= 5.13): the files the process may touch. It reads everything except
  the hidden folders (the course repository with its hidden tests and solutions, the
  graded output, other submissions, other workers' temporary folders), writes only in
  its own working folder, may not open TCP connections, and (ABI 6) may not signal
  processes outside its sandbox, such as the grader.
- seccomp: no new processes (fork, vfork, clone without CLONE_THREAD). Threads are fine.
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
        for path in readable_roots(hidden) + readable:
            _add_rule(ruleset, path, READ)
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

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
# BPF opcodes
_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
# (audit arch, fork, vfork, clone, clone3); aarch64 has no fork/vfork system calls.
_ARCHES = {
    "x86_64": (0xC000003E, 57, 58, 56, 435),
    "aarch64": (0xC00000B7, None, None, 220, 435),
}


def _no_new_processes_filter() -> list[tuple[int, int, int, int]] | None:
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        return None
    audit_arch, fork, vfork, clone, clone3 = arch
    deny = (_RET_K, 0, 0, _RET_ERRNO | _EPERM)
    program = [
        (_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ_K, 1, 0, audit_arch),
        deny,  # a foreign ABI (e.g. 32-bit calls): refuse everything
        (_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (_JGE_K, 0, 1, 0x40000000),  # x32 calls on x86_64
        deny,
    ]
    for number in (fork, vfork):
        if number is not None:
            program += [(_JEQ_K, 0, 1, number), deny]
    # clone3 passes its flags in memory a filter cannot read: say "not implemented", and
    # the C library falls back to clone, whose flags we can check.
    program += [(_JEQ_K, 0, 1, clone3), (_RET_K, 0, 0, _RET_ERRNO | _ENOSYS)]
    program += [
        (_JEQ_K, 0, 3, clone),
        (_LD_W_ABS, 0, 0, 16),  # low 32 bits of args[0]: the clone flags
        (_JSET_K, 1, 0, _CLONE_THREAD),
        deny,  # clone without CLONE_THREAD: a new process
        (_RET_K, 0, 0, _RET_ALLOW),
    ]
    return program


def _seccomp_no_new_processes() -> bool:
    program = _no_new_processes_filter()
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
    files = _landlock(hidden, readable, writable)
    processes = _seccomp_no_new_processes()
    return {"capabilities dropped": capabilities, "files hidden": files > 0,
            "tcp blocked": files >= 4, "signals scoped": files >= 6, "no new processes": processes}
