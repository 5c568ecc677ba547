"""Reading notebooks: cells, nbgrader metadata, and the code a grader runs.

A submission is untrusted input. Everything here turns a path into either a list of
`CodeCell`s or a `NotebookError` whose message a student can act on.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat


class NotebookError(Exception):
    """The file is not a notebook we can grade; the message says why, for the student."""


@dataclass(frozen=True)
class CodeCell:
    index: int  # position in the notebook, for error messages ("cell 7")
    source: str
    grade_id: str | None
    is_test: bool  # a locked nbgrader test cell (public check)
    script: str | None = None  # `%%writefile name.py` cell: a file, not notebook code


def read(path: str | Path) -> nbformat.NotebookNode:
    """Read and validate a notebook; raise NotebookError with a readable reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotebookError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise NotebookError(f"cannot read {path.name}: {err}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(
            f"{path.name} is not valid JSON (line {err.lineno}, column {err.colno}): "
            "was the notebook saved completely? Re-download it or save it again from Jupyter."
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise NotebookError(f"{path.name} is JSON but not a Jupyter notebook (no 'cells' list).")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several unrelated types
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise NotebookError(f"{path.name} is not a valid notebook: {first_line}") from None
    return nb


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_test_cell(cell) -> bool:
    """A public check: graded by nbgrader, locked, and not a solution cell."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def code_cells(nb) -> list[CodeCell]:
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        script, body = _script_cell(cell.source)
        cells.append(CodeCell(
            index=i,
            # A script is a file: its text is kept as written, magics and all.
            source=body if script else _strip_ipython_syntax(cell.source),
            grade_id=nbgrader_meta(cell).get("grade_id"),
            is_test=is_test_cell(cell),
            script=script,
        ))
    return cells


# `%%writefile task1_cnn.py`: the cell is a program the student also runs from a shell.
_SCRIPT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.py")


def _script_cell(source: str) -> tuple[str | None, str]:
    """(file name, file text) for a `%%writefile` cell, else (None, source)."""
    first, _, body = source.partition("\n")
    if not first.startswith("%%writefile"):
        return None, source
    name = first.removeprefix("%%writefile").strip()
    if not _SCRIPT_NAME.fullmatch(name):
        # Only a plain module name: the grader writes it into the worker's own folder.
        raise NotebookError(f"`%%writefile {name}`: the grader only accepts a plain file name "
                            "like task1_cnn.py (no folders, no -a); keep the line as released.")
    return name, body


def scripts(cells: list[CodeCell]) -> dict[str, str]:
    """The submission's script files, by name; a later cell with the same name wins, as in Jupyter."""
    return {cell.script: cell.source for cell in cells if cell.script}


SKIP_TAG = "skip-in-grading"


def student_code(path: str | Path, skip_ids: frozenset[str] = frozenset()) -> list[CodeCell]:
    """The code cells a grader runs: the submission's, minus public checks and skip_ids.

    Public checks come from the instructor's copy (hidden tests cover them), never from
    the submission, so a student who edits a check cannot change what it asserts.
    """
    return [cell for cell in code_cells(read(path))
            if not cell.is_test and cell.grade_id not in skip_ids]


def display_only_ids(source_path: str | Path) -> frozenset[str]:
    """grade_ids the instructor tagged `skip-in-grading`: demos that only print or plot.

    Decided from the instructor's source, never from the submission's tags.
    """
    nb = read(source_path)
    return frozenset(nbgrader_meta(c).get("grade_id") for c in nb.cells
                     if SKIP_TAG in c.get("metadata", {}).get("tags", []) and nbgrader_meta(c).get("grade_id"))


def _strip_ipython_syntax(source: str) -> str:
    """Comment out `%magic` and `!shell` lines: the grader runs plain Python, no shell."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            # `pass` keeps an indented block valid when the magic was its only line.
            lines.append(f"{indent}pass  # removed for grading: {stripped}")
        else:
            lines.append(line)
    return "\n".join(lines)


def syntax_error(source: str) -> SyntaxError | None:
    try:
        ast.parse(source)
    except SyntaxError as err:
        return err
    return None
