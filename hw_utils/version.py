"""The grader's version: which hidden tests, which kit and which given cells produced a grade.

Recorded in every results.json (`extra_data.grader_version`), so that `hw grade` regrades a
submission whose notebook is unchanged when the grader changed, and so that a class summary
never mixes grades from two graders without saying so. `hw regrade-report` compares two
gradings of a class (see regrade.py).

The version is a hash of what decides a grade:
  - every file of grader_tests/<hw>/ and grader_tests/pytest.ini (the hidden tests, their settings),
  - every file of hw_utils (the sandbox, the plugin, the data a worker is given),
  - the source notebook's given cells (the grader runs the instructor's version of them), and
    each code cell's role (solution, given, check, display-only) in notebook order.
A comment changed in any of them changes the version too: a needless regrade costs minutes,
a missed one costs wrong grades.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from . import course, notebook

LENGTH = 16  # hex digits shown and stored: enough to tell versions apart, short enough to read


@functools.lru_cache(maxsize=None)
def grader_version(hw: str) -> str:
    """The version of the grader of hw, as it is on disk now (cached for this process)."""
    return _digest(_parts(hw))


def _parts(hw: str) -> list[tuple[str, bytes]]:
    parts = [("pytest.ini", _bytes(course.GRADER_INI))]
    tests = course.hidden_tests(hw)
    parts += [(f"grader_tests/{p.relative_to(tests).as_posix()}", p.read_bytes()) for p in _files(tests)]
    kit = Path(__file__).resolve().parent
    parts += [(f"hw_utils/{p.relative_to(kit).as_posix()}", p.read_bytes()) for p in _files(kit)]
    parts.append(("given cells", _given_cells(hw)))
    return parts


def _files(folder: Path) -> list[Path]:
    """Every file below folder, sorted; bytecode caches are not the grader."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def _bytes(path: Path) -> bytes:
    return path.read_bytes() if path.is_file() else b""


def _given_cells(hw: str) -> bytes:
    source = course.source_notebook(hw)
    if not source.is_file():
        return b""
    cells = notebook.source_cells(source)
    # What the grader takes from the source: the given cells' code, and which cell is what
    # (checks, display-only demos) in which order.
    roles = [f"{gid}:{cells.role(gid)}" for gid in cells.order]
    given = [f"{gid}\n{cells.given[gid].source}" for gid in sorted(cells.given)]
    return "\n".join(roles + given).encode()


def _digest(parts: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in parts:  # lengths first: no two different lists hash alike
        h.update(f"{len(name)}:{name}:{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()[:LENGTH]
