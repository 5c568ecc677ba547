"""What is wrong with an instructor's source notebook, one line per problem, before nbgrader runs.

nbgrader reports a misconfigured cell with a 40-to-120-line traceback that ends in "the
nbgrader metadata may be corrupted", without saying which cell. These checks read the raw
JSON (before nbformat, which would silently replace a duplicated cell id with a random one)
and name the cell (its grade_id, else its index and first line) and the fix.

Cell types this kit uses (README, "Writing a question"): solution code cells with
### BEGIN/END SOLUTION markers, locked (read-only) given cells, public checks (grade and
locked, points 0), manually graded answers (markdown, grade and solution, points > 0), and
demos tagged `skip-in-grading` (locked code cells the grader does not run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import nbformat

from .notebook import SKIP_TAG

SCHEMA_VERSION = 3  # nbgrader 0.9's cell metadata format
_KEYS = {"schema_version", "grade", "locked", "solution", "task", "grade_id", "points", "checksum", "cell_type"}
_GRADE_ID = re.compile(r"[A-Za-z0-9_\-]{1,100}")  # nbgrader's pattern; the grader reads at most 100
_CELL_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")  # nbformat 4.5's
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"  # nbgrader's delimiters, matched anywhere in a line
HIDDEN = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_NEW_ID = "hw release gives it a new stable one"


class SourceError(Exception):
    """One line naming the notebook, the cell and the fix."""


def parse(text: str, name: str) -> dict:
    """The notebook's JSON, or SourceError saying where it stops being JSON."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        raise SourceError(f"{name} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}): "
                          "fix the file there, or undo the hand edit") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) \
            or not all(isinstance(c, dict) for c in nb["cells"]):
        raise SourceError(f"{name} is JSON but not a notebook (no list of cells): restore it from git")
    return nb


def problems(nb: dict) -> list[str]:
    """Everything found, each 'cell N (its name): what is wrong: the fix', in notebook order."""
    found = []
    for index, cell in enumerate(nb["cells"]):
        found += [f"{label(cell, index)}: {problem}" for problem in cell_problems(cell)]
    return found + duplicates(nb["cells"])


def structure_problem(nb: dict) -> str | None:
    """nbformat's own verdict, once every cell has its id (else nbformat would invent random ones)."""
    try:
        nbformat.validate(nbformat.from_dict(nb))
    except Exception as err:  # noqa: BLE001 - nbformat raises several unrelated types
        where = list(getattr(err, "absolute_path", []) or [])
        message = str(getattr(err, "message", "") or err).strip().splitlines()[0]
        if len(where) >= 2 and where[0] == "cells" and isinstance(where[1], int) and where[1] < len(nb["cells"]):
            return f"{label(nb['cells'][where[1]], where[1])}: not a valid notebook cell ({message}): fix it in Jupyter"
        return f"not a valid notebook ({message}): open and save it in Jupyter"
    return None


def label(cell: dict, index: int) -> str:
    """cell 7 (check_sigmoid), or cell 7 ("def f(x):") when it has no usable grade_id."""
    meta = _nbgrader(cell)
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    if isinstance(grade_id, str) and _GRADE_ID.fullmatch(grade_id):
        return f"cell {index} ({grade_id})"
    first = next((line.strip() for line in source(cell).splitlines() if line.strip()), "")
    return f'cell {index} ("{first[:40]}")' if first else f"cell {index} (empty {cell.get('cell_type', 'cell')})"


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text if isinstance(text, str) else ""


def _nbgrader(cell: dict):
    metadata = cell.get("metadata")
    return metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}


def cell_problems(cell: dict) -> Iterator[str]:
    yield from _id_problems(cell)
    meta = _nbgrader(cell)
    if not isinstance(meta, dict):
        yield "its nbgrader metadata is not an object: set it in Jupyter (View > Cell Toolbar > Create Assignment)"
        return
    if meta:
        yield from _metadata_problems(cell, meta)
    yield from _marker_problems(cell, meta)
    yield from _skip_tag_problems(cell, meta)


def _id_problems(cell: dict) -> Iterator[str]:
    if "id" in cell and not (isinstance(cell["id"], str) and _CELL_ID.fullmatch(cell["id"])):
        yield f"cell id {cell['id']!r} is not 1-64 letters, digits, _ or -: delete its \"id\"; {_NEW_ID}"


def _metadata_problems(cell: dict, meta: dict) -> Iterator[str]:
    if meta.get("schema_version") != SCHEMA_VERSION:
        yield (f"nbgrader metadata has schema_version {meta.get('schema_version')!r}, not {SCHEMA_VERSION}: "
               f'add "schema_version": {SCHEMA_VERSION} (or run `nbgrader update source/`)')
        return
    extra = sorted(set(meta) - _KEYS)
    if extra:
        yield f"unknown nbgrader metadata key(s) {', '.join(map(repr, extra))}: remove them"
    for key in ("grade", "solution", "locked", "task"):
        if key in meta and not isinstance(meta[key], bool):
            yield f'"{key}" is {meta[key]!r}: it must be true or false'
    for key in ("grade", "solution", "locked"):
        if key not in meta:
            yield f'nbgrader metadata lacks "{key}": add "{key}": false (or true)'
    grade, solution, locked = (meta.get(k) is True for k in ("grade", "solution", "locked"))
    yield from _grade_id_problems(meta, grade or solution or locked)
    if grade and "points" not in meta:
        yield ('a graded cell without "points": add "points": 0 for a public check (the hidden tests score it) '
               "or the points a manually graded answer is worth")
    elif "points" in meta and (isinstance(meta["points"], bool) or not isinstance(meta["points"], (int, float))
                               or meta["points"] < 0):
        yield f'"points" is {meta["points"]!r}: it must be a number >= 0'
    yield from _kind_problems(cell, meta, grade, solution, locked)


def _grade_id_problems(meta: dict, needs_one: bool) -> Iterator[str]:
    if "grade_id" not in meta:
        if needs_one:
            yield ('an nbgrader cell without a "grade_id": add one, unique in the notebook '
                   '(letters, digits, _ and -), e.g. "q3_answer"')
    elif not (isinstance(meta["grade_id"], str) and _GRADE_ID.fullmatch(meta["grade_id"])):
        yield (f'grade_id {meta["grade_id"]!r} is not 1-100 letters, digits, _ or -: '
               'rename it, e.g. "q3_answer"')


def _kind_problems(cell: dict, meta: dict, grade: bool, solution: bool, locked: bool) -> Iterator[str]:
    kind = cell.get("cell_type")
    if meta.get("task") is True:
        if kind != "markdown":
            yield 'a task cell must be markdown: set "task": false, or make the cell markdown'
        return
    if kind == "markdown" and grade != solution:
        yield ('a markdown cell that is graded must also be a solution, and the reverse (a manually graded '
               'answer): set both "grade" and "solution" to true, or both to false')
    if solution and locked:
        yield ('a solution cell cannot be locked (students must edit it): set "locked": false, '
               'or "solution": false for a read-only given cell')


def _marker_problems(cell: dict, meta: dict) -> Iterator[str]:
    text, solution = source(cell), meta.get("solution") is True
    lines = text.split("\n")
    begins = [i for i, line in enumerate(lines) if BEGIN in line]
    ends = [i for i, line in enumerate(lines) if END in line and BEGIN not in line]
    if (begins or ends) and not solution:
        yield ('### BEGIN/END SOLUTION markers in a cell that is not a solution cell: mark it as a solution '
               '("solution": true, "locked": false) or remove the markers')
        return
    if not balanced(lines):
        yield ("unbalanced solution markers: every ### BEGIN SOLUTION needs its own ### END SOLUTION "
               "after it, without nesting")
    elif any(HIDDEN[0] in line or HIDDEN[1] in line for line in lines) and \
            (meta.get("grade") is not True or not balanced(lines, *HIDDEN)):
        yield ("### BEGIN/END HIDDEN TESTS markers unbalanced or outside a graded cell: this kit keeps hidden "
               "tests in grader_tests/<hw>/; move them there and remove the markers")
    elif solution and cell.get("cell_type") == "code" and not begins:
        yield ("a solution code cell without ### BEGIN SOLUTION / ### END SOLUTION: nbgrader would replace "
               "the whole cell, signature and docstring included; put the markers around the answer")


def balanced(lines: list[str], begin: str = BEGIN, end: str = END) -> bool:
    inside = False
    for line in lines:
        if begin in line:
            if inside:
                return False
            inside = True
        elif end in line:
            if not inside:
                return False
            inside = False
    return not inside


def _skip_tag_problems(cell: dict, meta: dict) -> Iterator[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if not isinstance(tags, list) or SKIP_TAG not in tags:
        return
    if cell.get("cell_type") != "code" or meta.get("solution") is True or not meta.get("grade_id"):
        yield (f"tagged {SKIP_TAG} but not a read-only code cell with a grade_id (the grader only skips those, "
               f'and never a student\'s answer): make it locked with a grade_id, or remove the tag')


def duplicates(cells: list[dict]) -> list[str]:
    """A grade_id or cell id used twice: blame the later cell, the copy."""
    found, grade_ids, cell_ids = [], {}, {}
    for index, cell in enumerate(cells):
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if isinstance(grade_id, str) and grade_id:
            if grade_id in grade_ids:
                found.append(f"{label(cell, index)}: grade_id {grade_id!r} is also cell {grade_ids[grade_id]}'s: "
                             "give this cell a grade_id of its own")
            grade_ids.setdefault(grade_id, index)
        cell_id = cell.get("id")
        if isinstance(cell_id, str):
            if cell_id in cell_ids:
                found.append(f"{label(cell, index)}: cell id {cell_id!r} is also cell {cell_ids[cell_id]}'s "
                             f"(a copied cell?): delete this cell's \"id\"; {_NEW_ID}")
            cell_ids.setdefault(cell_id, index)
    return found
