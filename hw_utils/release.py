"""Student releases: what `nbgrader generate_assignment` makes of source/<hw>/.

release/ is committed, so it must be exactly what nbgrader generates from source/:
`hw release` regenerates it, and the project's tests regenerate it into a scratch
course and compare bytes, so a stale or hand-edited release fails CI.

`hw release <hw>` never deletes or half-writes a release:
1. the source is checked first (source_checks): a misconfigured cell is one line naming
   the cell and the fix, and nothing is written;
2. cells without an id get stable ones, written into the source (else nbformat invents
   random ids and the release differs on every run);
3. nbgrader runs in a scratch copy of the course under build/ (nbgrader's --force deletes its output
   folder first), and its errors become one line too;
4. the finished folder is swapped into release/<hw> by renames: an interruption leaves
   the old release or the new one (see swap_in).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from itertools import count
from pathlib import Path

from . import source_checks
from .course import ROOT, homeworks, release_folder, source_folder, source_notebook
from .results import atomic_write
from .source_checks import SourceError


class ReleaseError(Exception):
    """Why hw could not be released, in one line an instructor can act on."""


# --------------------------------------------------------------------------- the command


def cmd_release(hws: list[str], root: Path = ROOT) -> int:
    """Release each homework; exit status 2 at the first that cannot be, with one line on stderr."""
    known = homeworks(root)
    unknown = [hw for hw in hws if hw not in known]
    if unknown:  # before releasing any: a typo releases nothing
        print(f"hw release: unknown homework {unknown[0]!r}; the homeworks are {', '.join(known)} "
              "(one folder source/<hw>/ with <hw>.ipynb each)", file=sys.stderr)
        return 2
    for hw in hws:
        try:
            out = release(hw, root)
        except (ReleaseError, SourceError) as err:
            print(f"hw release: {err}", file=sys.stderr)
            return 2
        print(f"released {hw} -> {out.relative_to(root)}", flush=True)
    return 0


def release(hw: str, root: Path = ROOT) -> Path:
    """Check the source, give new cells stable ids, generate in scratch, swap into release/<hw>."""
    dest = release_folder(hw, root)
    recover(dest)
    prepare_source(hw, root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The scratch course (solutions included) goes under the git-ignored build/, never into
    # release/ where a crash could leave it to be committed; same file system, so the swap
    # is a rename.
    (root / "build").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"release-{hw}-", dir=root / "build"))
    try:
        swap_in(generate_fresh(hw, root, scratch), dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dest


# --------------------------------------------------------------------------- the source


def prepare_source(hw: str, root: Path = ROOT) -> list[int]:
    """Check source/<hw>/<hw>.ipynb; give its id-less cells stable ids and write them back.

    Returns the indices of the cells given an id. Raises SourceError (nothing written)
    when a cell is misconfigured.
    """
    path = source_notebook(hw, root)
    shown = path.relative_to(root)
    nb = source_checks.parse(path.read_text(encoding="utf-8"), str(shown))
    found = source_checks.problems(nb)
    if found:
        more = f" ({len(found) - 1} more problem(s) after this one)" if len(found) > 1 else ""
        raise SourceError(f"{shown} {found[0]}{more}")
    given = stable_ids(nb, hw)
    broken = source_checks.structure_problem(nb)
    if broken:
        raise SourceError(f"{shown} {broken}")
    if given:
        # The format nbformat writes (and the committed sources use), so only the ids change.
        atomic_write(path, json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"{shown}: gave {len(given)} cell(s) without an id a stable one "
              f"(cells {', '.join(map(str, given))}); commit the source with the release", flush=True)
    return given


def stable_ids(nb: dict, name: str) -> list[int]:
    """Give each cell without an id one derived from its grade_id, else from the notebook,
    its position and its text; unique in the notebook. Existing ids are never changed.

    Only nbformat >= 4.5 has ids: an older notebook is released without them, the same
    bytes every time, and is left alone.
    """
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        return []
    taken = {cell["id"] for cell in nb["cells"] if isinstance(cell.get("id"), str)}
    given = []
    for index, cell in enumerate(nb["cells"]):
        if "id" in cell:
            continue
        meta = source_checks._nbgrader(cell)
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        seed = grade_id if isinstance(grade_id, str) and grade_id else \
            f"{name}:{index}:{cell.get('cell_type')}:{source_checks.source(cell)}"
        cell["id"] = _unique_id(seed, taken)
        taken.add(cell["id"])
        given.append(index)
    return given


def _unique_id(seed: str, taken: set[str]) -> str:
    """sha1(seed)'s first 8 hex digits (hw02's ids are sha1(grade_id)[:8]); rehashed on a clash."""
    for attempt in count():
        text = seed if attempt == 0 else f"{seed}#{attempt}"
        candidate = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- nbgrader


def generate(hw: str, course_root: Path = ROOT) -> Path:
    """Run nbgrader in course_root; return course_root/release/<hw>, or ReleaseError in one line.

    nbgrader's --force deletes course_root/release/<hw> first: run it in a scratch course.
    """
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", hw,
               "--no-db", "--force", "--log-level=WARN"]
    done = subprocess.run(command, cwd=course_root, capture_output=True, text=True)
    if done.returncode != 0:
        raise ReleaseError(nbgrader_error(hw, done.stdout + done.stderr, course_root))
    return release_folder(hw, course_root)


def generate_fresh(hw: str, root: Path = ROOT, scratch: Path | None = None) -> Path:
    """Generate hw into a scratch copy of the course (a new temporary folder unless given, which
    the caller removes), leaving root's release/ untouched; return the generated release folder."""
    scratch = scratch or Path(tempfile.mkdtemp(prefix="hw-release-"))
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "nbgrader_config.py", scratch)
    shutil.copytree(source_folder(hw, root), source_folder(hw, scratch))
    return generate(hw, scratch)


_EXCEPTION_LINE = re.compile(r"^\s*(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*(?:Error|Exception)): (.+)$")
_LOG_ERROR = re.compile(r"^\[[^\]]*\| ERROR\] (.+)$")


def nbgrader_error(hw: str, output: str, course_root: Path) -> str:
    """nbgrader's last error, without its traceback, and the cell when nbgrader showed its text."""
    lines = output.splitlines()
    exceptions = [m for m in map(_EXCEPTION_LINE.match, lines) if m]
    if exceptions:
        what = f"{exceptions[-1].group(1)}: {exceptions[-1].group(2).strip()}"
    else:
        logged = [m.group(1).strip() for m in map(_LOG_ERROR.match, lines) if m]
        what = logged[0] if logged else (lines[-1].strip() if lines else "no output")
    cell = _cell_shown(lines, hw, course_root)
    where = f" in {cell}" if cell else ""
    return (f"nbgrader could not generate {hw}{where}: {what}; fix the cell in "
            f"source/{hw}/{hw}.ipynb and run hw release {hw} again (release/{hw} is unchanged)")


def _cell_shown(lines: list[str], hw: str, course_root: Path) -> str | None:
    """nbgrader logs 'Cell contents are:' before some errors: find that cell in the source."""
    for i, line in enumerate(lines):
        if "Cell contents are:" in line and i + 1 < len(lines):
            first = lines[i + 1].strip()
            try:
                cells = json.loads(source_notebook(hw, course_root).read_text(encoding="utf-8"))["cells"]
            except (OSError, ValueError, KeyError, TypeError):
                return None
            for index, cell in enumerate(cells):
                text = source_checks.source(cell).strip()
                if first and text.startswith(first):
                    return source_checks.label(cell, index)
    return None


# --------------------------------------------------------------------------- the swap


def swap_in(new: Path, dest: Path) -> None:
    """Make the folder `new` the folder `dest`; an interruption leaves dest old or new, never half.

    Linux swaps two folders in one step (renameat2 RENAME_EXCHANGE). Elsewhere, dest moves
    to a backup name and new takes its place: a crash between those two renames leaves the
    old release under the backup name, and recover() (run first by every release) puts it back.
    """
    if new.stat().st_dev != dest.parent.stat().st_dev:  # a rename cannot cross file systems
        staged = Path(tempfile.mkdtemp(prefix=f".{dest.name}.staged-", dir=dest.parent))
        shutil.rmtree(staged)
        shutil.copytree(new, staged)
        new = staged
    if not dest.exists():
        os.rename(new, dest)
        return
    if exchange(new, dest):
        shutil.rmtree(new)  # the old release, now under the new one's name
        return
    backup = backup_of(dest)
    os.rename(dest, backup)
    os.rename(new, dest)
    shutil.rmtree(backup)


def backup_of(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.old")


def recover(dest: Path) -> None:
    """Undo a swap interrupted between its renames: the old release goes back in place."""
    backup = backup_of(dest)
    if backup.exists():
        if dest.exists():
            shutil.rmtree(backup)  # the swap finished; only its cleanup did not
        else:
            os.rename(backup, dest)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where this system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # the file system does not support the exchange: swap_in falls back
    raise OSError(code, os.strerror(code), str(b))
