"""Reading notebooks: cells, nbgrader metadata, and the code a grader runs.

A submission is untrusted input. Everything here turns a path into either a list of
`CodeCell`s or a `NotebookError` whose message a student can act on.

Limits, checked before the notebook is parsed in full (parsing runs in the grader, outside
every limit a worker has):
- MAX_BYTES (20 MiB): the released notebooks weigh under 100 KB; the room is for outputs
  (plots, printed logs). Checked from the file's size, then by reading at most one byte more.
- MAX_CELLS (1,000): the released notebooks have under 60 cells. Counted right after
  json.loads, before nbformat's validation, which is the slow step (a 60,000-cell notebook
  took 26 s there).
Only a regular file is read, never through a symbolic link (a FIFO would block the grader,
a device or a link could make it read a file the student does not own).
"""

from __future__ import annotations

import ast
import dataclasses
import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_BYTES = 20 * 1024 * 1024
MAX_CELLS = 1000
_SHRINK = ("Clear the outputs (Jupyter: Edit > Clear Outputs of All Cells, or "
           "`jupyter nbconvert --clear-output --inplace {name}`), save, and submit again.")


class NotebookError(Exception):
    """The file is not a notebook we can grade; the message says why, for the student."""


@dataclass(frozen=True)
class CodeCell:
    index: int  # position in the notebook, for error messages ("cell 7")
    source: str
    grade_id: str | None
    is_test: bool  # a locked nbgrader test cell (public check)
    script: str | None = None  # `%%writefile name.py` cell: a file, not notebook code
    # A given cell the grader runs as the instructor wrote it: "edited" (the submission's
    # text differed) or "restored" (the submission had no cell with its grade_id).
    given_change: str | None = None
    given: bool = False  # run from the source: the names it binds are the instructor's


# --------------------------------------------------------------------------- reading a file


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES, read without following a link."""
    path = Path(path)
    try:
        # lstat first: a FIFO or a device is refused without even being opened.
        _require_regular(os.lstat(path), path)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotebookError(f"no such file: {path}") from None
    except OSError as err:
        if err.errno == errno.ELOOP:  # swapped for a link after the lstat
            _require_regular(os.lstat(path), path)
        raise NotebookError(f"cannot read {path.name}: {err.strerror}") from None
    try:
        info = os.fstat(fd)  # the file actually opened: this check cannot be raced
        _require_regular(info, path)
        if info.st_size > MAX_BYTES:
            raise NotebookError(_too_big(path, f"{info.st_size / 2**20:.1f} MB"))
        data = _read_at_most(fd, MAX_BYTES + 1)  # the file may grow after fstat
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise NotebookError(_too_big(path, f"more than {MAX_BYTES / 2**20:g} MB"))
    return data


_NOT_REGULAR = [(stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
                (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")]


def _require_regular(info: os.stat_result, path: Path):
    if stat.S_ISREG(info.st_mode):
        return
    kind = next((name for test, name in _NOT_REGULAR if test(info.st_mode)), "not a regular file")
    raise NotebookError(f"{path.name} is {kind}, not a notebook file: the grader reads only a plain "
                        ".ipynb file (commit the notebook itself, not a link or anything else in its place).")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _too_big(path: Path, size: str) -> str:
    return (f"{path.name} is {size}; the grader reads notebooks up to {MAX_BYTES / 2**20:g} MB. "
            + _SHRINK.format(name=path.name))


def read(path: str | Path) -> nbformat.NotebookNode:
    """Read and validate a notebook; raise NotebookError with a readable reason."""
    path = Path(path)
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise NotebookError(f"{path.name} is not UTF-8 text (byte {err.start}): "
                            "save it again from Jupyter.") from None
    raw = _parse_json(text, path.name)
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotebookError(f"{path.name} is JSON but not a Jupyter notebook (no 'cells' list).")
    if len(raw["cells"]) > MAX_CELLS:
        raise NotebookError(f"{path.name} has {len(raw['cells']):,} cells; the grader reads notebooks of up "
                            f"to {MAX_CELLS:,} cells. Delete or merge the cells you added, "
                            "and clear the outputs if the notebook is large; save, and submit again.")
    if raw.get("nbformat") != 4:
        raise NotebookError(f"{path.name} is not a version 4 notebook: save it again from Jupyter.")
    try:
        # The dict is converted as nbformat.reads would (lines joined), without parsing it again.
        nb = nbformat.v4.to_notebook_json(raw)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several unrelated types
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise NotebookError(f"{path.name} is not a valid notebook: {first_line}") from None
    return nb


def _parse_json(text: str, name: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(
            f"{name} is not valid JSON (line {err.lineno}, column {err.colno}): "
            "was the notebook saved completely? Re-download it or save it again from Jupyter."
        ) from None
    except (ValueError, RecursionError) as err:  # a number too long to convert; nesting too deep
        raise NotebookError(f"{name} is not a notebook Jupyter writes ({type(err).__name__}: "
                            f"{str(err)[:100]}): save it again from Jupyter.") from None


# --------------------------------------------------------------------------- cells


def nbgrader_meta(cell) -> dict:
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}  # a submission's metadata can be anything


# nbgrader's own rule for grade_ids; anything else is no id (it would end up in feedback).
_GRADE_ID = re.compile(r"[A-Za-z0-9_\-]{1,100}")


def grade_id(cell) -> str | None:
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) and _GRADE_ID.fullmatch(value) else None


def is_test_cell(cell) -> bool:
    """A public check: graded by nbgrader, locked, and not a solution cell."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_given_cell(cell) -> bool:
    """Code the instructor wrote and students must not change: locked, neither solution nor check."""
    meta = nbgrader_meta(cell)
    return (cell.cell_type == "code" and bool(meta.get("locked"))
            and not meta.get("solution") and not meta.get("grade"))


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
            grade_id=grade_id(cell),
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


# --------------------------------------------------------------------------- what the grader runs


SKIP_TAG = "skip-in-grading"


@dataclass(frozen=True)
class SourceCells:
    """What the instructor's notebook says each grade_id is.

    Only the source decides: a student can edit a cell's metadata as easily as its code.
    """
    given: dict[str, CodeCell]  # given cells, as the instructor wrote them
    checks: frozenset[str]  # public checks: the hidden tests cover them
    display_only: frozenset[str]  # tagged skip-in-grading: demos that only print or plot
    order: tuple[str, ...]  # grade_ids of the code cells, in notebook order

    def role(self, grade_id: str | None) -> str | None:
        if grade_id in self.display_only:
            return "display"
        if grade_id in self.checks:
            return "check"
        if grade_id in self.given:
            return "given"
        if grade_id in self.order:
            return "solution"  # runs as submitted, whatever the submission's metadata claims
        return None  # no id, or one the source does not know: the submission's own cell


NO_SOURCE = SourceCells({}, frozenset(), frozenset(), ())


def source_cells(source_path: str | Path) -> SourceCells:
    nb = read(source_path)
    by_id = {cell.grade_id: cell for cell in code_cells(nb) if cell.grade_id}
    ids = [(grade_id(c), c) for c in nb.cells if c.cell_type == "code" and grade_id(c)]
    return SourceCells(
        given={gid: by_id[gid] for gid, c in ids if is_given_cell(c)},
        checks=frozenset(gid for gid, c in ids if is_test_cell(c)),
        display_only=frozenset(gid for gid, c in ids if SKIP_TAG in (c.metadata.get("tags") or [])),
        order=tuple(gid for gid, _ in ids),
    )


def student_code(path: str | Path, source: SourceCells = NO_SOURCE) -> list[CodeCell]:
    """The code cells a grader runs: the submission's, with the source's given cells.

    - public checks and display-only demos are left out (hidden tests cover the checks, so a
      student who edits one cannot change what it asserts);
    - every cell holding a given cell's grade_id runs the source's text, and a given cell the
      submission lacks is put back where the source has it (see given_cell_notes);
    - solution cells and the student's own cells run as submitted.
    """
    cells = []
    for cell in code_cells(read(path)):
        role = source.role(cell.grade_id)
        if role in ("display", "check") or (role is None and cell.is_test):
            continue
        cells.append(_as_given(cell, source.given[cell.grade_id]) if role == "given" else cell)
    return _restore_missing(cells, source)


def _as_given(cell: CodeCell, original: CodeCell) -> CodeCell:
    """The original's code at the submission's place (so "cell N" still means the student's cell N)."""
    edited = (cell.script, _normalised(cell.source)) != (original.script, _normalised(original.source))
    return dataclasses.replace(original, index=cell.index, given_change="edited" if edited else None, given=True)


def _normalised(source: str) -> str:
    """Trailing spaces and blank lines are not edits a student should hear about."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _restore_missing(cells: list[CodeCell], source: SourceCells) -> list[CodeCell]:
    """Put each given cell the submission lacks after the cell that precedes it in the source."""
    present = {cell.grade_id for cell in cells}
    for position, gid in enumerate(source.order):
        if source.role(gid) != "given" or gid in present:
            continue
        # The restored cell keeps the source's index: that is its number in the released notebook.
        restored = dataclasses.replace(source.given[gid], given_change="restored", given=True)
        cells.insert(_after_preceding(cells, source.order[:position]), restored)
        present.add(gid)
    return cells


def _after_preceding(cells: list[CodeCell], earlier_ids: tuple[str, ...]) -> int:
    for gid in reversed(earlier_ids):
        for i, cell in enumerate(cells):
            if cell.grade_id == gid:
                return i + 1
    return 0


def given_cell_notes(cells: list[CodeCell]) -> list[str]:
    """Feedback lines for the given cells the grader ran from the source instead of the submission."""
    notes = []
    for cell in cells:
        if cell.given_change == "edited":
            notes.append(f"cell {cell.index} ({cell.grade_id}) was edited; the grader ran the original "
                         "given cell instead (given cells cannot be changed).")
        elif cell.given_change == "restored":
            notes.append(f"given cell {cell.grade_id} (cell {cell.index} of the released notebook) is missing "
                         "(deleted, or its grade_id changed); the grader put the original back and ran it.")
    return notes


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
