"""Answers graded by hand: one sheet per question for the graders, points back into the grades.

The source notebook decides which questions are graded by hand: Markdown cells that nbgrader
grades and students write (`grade` and `solution`), worth their `points`. The flow:

    hw manual export <hw>       (the students graded in --out, their notebooks where they were graded)
        writes <out>/_class/<hw>/manual/<question>.md   every student's answer, for reading,
                                                         after the question and the model answer
           and <out>/_class/<hw>/manual/<question>.csv  one row per student: points, comment
    (graders fill in points and comments; an empty points cell changes nothing: pending stays
    pending and a mark given earlier, by another grader's sheet, stays; `pending` takes a mark back)
    hw manual import <hw> <out>/_class/<hw>/manual/*.csv
        checks every row first (nothing is written if one is wrong), then keeps the marks in
        <out>/<student>/<hw>/manual.json and rewrites results.json, feedback.txt and the summary.

The marks live beside the autograded results, not in them: `hw grade --force` rewrites the
autograded part and the marks come back with it (record.py). In results.json each question
is a test with the id `manual::<question>`; a pending one is shown as pending, worth nothing
yet, so a partial sheet never reads as a 0.

Each row carries a hash of the answer it marks: a sheet exported before a student's answer
changed is refused on import for that student (export again), and a new export shows the
earlier mark beside the new answer without taking it over.

Why not nbgrader's formgrader: it needs nbgrader's database and its own autograding of the
same notebooks (`nbgrader autograde`), which would run student code unconfined beside ours
and keep a second, disagreeing copy of every score. Sheets are plain files: a grader can
work offline, several graders can split the questions, and the CSV is the record.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from . import course, notebook
from .classroom import csv_text
from .results import MANUAL_PREFIX, TestResult, atomic_write

SHEET_DIR = "manual"  # <out>/_class/<hw>/manual/
MARKS_FILE = "manual.json"  # <out>/<student>/<hw>/manual.json
COLUMNS = ["question", "student", "points", "max_points", "comment", "answer_sha256"]
WITHDRAW = "pending"  # in the points column: take back a mark given earlier (empty: leave it as it is)
_SOLUTION = re.compile(r"### BEGIN SOLUTION\n?(.*?)### END SOLUTION\n?", re.S)


class SheetError(ValueError):
    """A sheet that cannot be imported: the message names the file, the row and the fix."""


@dataclass(frozen=True)
class Question:
    grade_id: str
    points: float
    prompt: str  # the Markdown cell before the answer: what students were asked
    model_answer: str  # the source's solution: the rubric graders mark against
    stub: str  # what the release puts in the answer cell

    @property
    def title(self) -> str:
        return f"Graded by hand: {self.grade_id}"


@functools.lru_cache(maxsize=None)
def questions(hw: str, source: Path | None = None) -> tuple[Question, ...]:
    """The questions of hw graded by hand, in notebook order (from the source notebook only)."""
    source = source or course.source_notebook(hw)
    if not source.is_file():  # a homework graded from its hidden tests alone (a test's stand-in)
        return ()
    nb = notebook.read(source)
    found = []
    for i, cell in enumerate(nb.cells):
        meta = notebook.nbgrader_meta(cell)
        gid = notebook.grade_id(cell)
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution") and gid:
            prompt = nb.cells[i - 1].source if i > 0 and nb.cells[i - 1].cell_type == "markdown" else ""
            match = _SOLUTION.search(cell.source)
            model = match[1].strip() if match else cell.source.strip()
            stub = _SOLUTION.sub("YOUR ANSWER HERE\n", cell.source).strip()
            found.append(Question(gid, float(meta.get("points") or 0), prompt.strip(), model, stub))
    return tuple(found)


# --------------------------------------------------------------------------- answers


def answers(path: Path, hw: str) -> dict[str, str | None]:
    """question -> the student's answer text (None: the cell is gone); {} if unreadable."""
    try:
        nb = notebook.read(path)
    except (notebook.NotebookError, OSError):
        return {}
    by_id = {notebook.grade_id(c): c for c in nb.cells if c.get("cell_type") == "markdown"}
    return {q.grade_id: (_text(by_id[q.grade_id]) if q.grade_id in by_id else None) for q in questions(hw)}


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def answer_hash(text: str | None) -> str:
    return hashlib.sha256((text or "").strip().encode()).hexdigest()[:16]


def unanswered(question: Question, text: str | None) -> bool:
    return text is None or not text.strip() or text.strip() == question.stub


# --------------------------------------------------------------------------- marks


def read_marks(student_dir: Path) -> dict[str, dict]:
    """question -> {"points", "max_points", "comment", "answer_sha256"} kept for a student."""
    try:
        data = json.loads((student_dir / MARKS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def rows_for(hw: str, student_dir: Path) -> list[TestResult]:
    """The manual questions as tests of results.json: marked, or pending (worth nothing yet)."""
    marks = read_marks(student_dir)
    rows = []
    for q in questions(hw):
        mark = marks.get(q.grade_id)
        name = MANUAL_PREFIX + q.grade_id
        if mark is None:
            rows.append(TestResult(name, 0, 0, "skipped", f"graded by hand, not marked yet (worth {q.points:g} points)",
                                   public=True, title=q.title))
            continue
        comment = mark.get("comment") or ""
        status = "passed" if mark["points"] >= q.points else "failed"
        rows.append(TestResult(name, q.points, mark["points"], status, comment, public=True, title=q.title))
    return rows


# --------------------------------------------------------------------------- export


def export(hw: str, submissions: dict[str, Path], out_root: Path) -> list[Path]:
    """Write one Markdown sheet and one CSV per question; return the CSVs."""
    folder = out_root / "_class" / hw / SHEET_DIR
    folder.mkdir(parents=True, exist_ok=True)
    by_student = {student: answers(path, hw) for student, path in sorted(submissions.items())}
    written = []
    for q in questions(hw):
        rows, sections = [], []
        for student, given in by_student.items():
            text = given.get(q.grade_id) if given else None
            digest = answer_hash(text)
            kept = read_marks(out_root / student / hw).get(q.grade_id)
            points, comment, note = "", "", ""
            if kept and kept.get("answer_sha256") == digest:
                points, comment = f"{kept['points']:g}", kept.get("comment", "")
            elif kept:
                note = f"the answer changed since it was marked {kept['points']:g}/{q.points:g}: mark it again"
            elif unanswered(q, text):
                points, comment = "0", "no answer"
            rows.append([q.grade_id, student, points, f"{q.points:g}", comment, digest])
            sections.append(_answer_section(student, text, q, note))
        atomic_write(folder / f"{q.grade_id}.csv", csv_text([COLUMNS, *rows]))
        atomic_write(folder / f"{q.grade_id}.md", _sheet(hw, q, sections))
        written.append(folder / f"{q.grade_id}.csv")
    return written


def _sheet(hw: str, q: Question, sections: list[str]) -> str:
    return "\n".join([
        f"# {hw}: {q.grade_id} ({q.points:g} points), graded by hand", "",
        "## The question", "", q.prompt, "",
        "## Model answer (the rubric)", "", q.model_answer, "",
        f"Mark in `{q.grade_id}.csv` (points between 0 and {q.points:g}, a comment the student reads); "
        "an empty points cell changes nothing (pending stays pending, an earlier mark stays), "
        "`pending` takes a mark back; then `hw manual import`.", "",
        *sections,
    ]) + "\n"


def _answer_section(student: str, text: str | None, q: Question, note: str) -> str:
    if text is None:
        body = "*(no answer cell: it was deleted from the notebook)*"
    elif unanswered(q, text):
        body = "*(unanswered: the release's text is unchanged)*"
    else:
        body = _fenced(text)
    note = f"\n**Note:** {note}\n" if note else ""
    return f"## {_plain(student)}\n{note}\n{body}\n"


def _fenced(text: str) -> str:
    """The answer as a code block, so that what a student wrote is shown, never rendered
    (no HTML, no links): the fence is longer than any run of backticks inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.strip()}\n{fence}"


def _plain(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", text)


# --------------------------------------------------------------------------- import


def read_sheet(hw: str, path: Path, out_root: Path) -> dict[str, dict[str, dict | None]]:
    """student -> question -> mark (None: pending). Raises SheetError naming the row."""
    known = {q.grade_id: q for q in questions(hw)}
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is no column name
    except (OSError, UnicodeDecodeError) as err:
        raise SheetError(f"{path}: cannot read it ({err})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("question", "student", "points", "comment", "answer_sha256")
               if c not in (reader.fieldnames or [])]
    if missing:
        raise SheetError(f"{path}: no column {missing[0]!r}: import the CSV `hw manual export` wrote")
    marks: dict[str, dict[str, dict | None]] = {}
    for line, row in enumerate(reader, start=2):
        where = f"{path}, row {line}"
        q = known.get(row["question"] or "")
        if q is None:
            raise SheetError(f"{where}: {row['question']!r} is not a question of {hw} graded by hand "
                             f"({', '.join(known) or 'it has none'})")
        student = row["student"] or ""
        if not student or student.startswith(("_", ".")) or "/" in student \
                or not (out_root / student / hw / "results.json").is_file():
            raise SheetError(f"{where}: no graded student {student!r} in {out_root}: grade them first")
        if student in marks and q.grade_id in marks[student]:
            raise SheetError(f"{where}: {student} appears twice for {q.grade_id}")
        cell = (row["points"] or "").strip()
        if not cell:  # not marked on this sheet: a mark given earlier (another TA's) stays
            marks.setdefault(student, {})
            continue
        points = None if cell.lower() == WITHDRAW else _points(cell, q, where)
        marks.setdefault(student, {})[q.grade_id] = None if points is None else {
            "points": points, "max_points": q.points, "comment": (row["comment"] or "").strip(),
            "answer_sha256": row["answer_sha256"] or ""}
    return marks


def _points(cell: str, q: Question, where: str) -> float:
    try:
        points = float(cell.replace(",", "."))
    except ValueError:
        raise SheetError(f"{where}: points {cell!r} is not a number") from None
    if not math.isfinite(points) or not 0 <= points <= q.points:
        raise SheetError(f"{where}: points {cell} outside 0..{q.points:g} for {q.grade_id}")
    return points


def check_answers(hw: str, marks: dict[str, dict[str, dict | None]], notebooks: dict[str, Path], where: Path):
    """Refuse marks of answers that changed since the sheet was exported (each student's
    notebook as it is now, where it was graded)."""
    for student, by_question in marks.items():
        current = answers(notebooks[student], hw) if student in notebooks else {}
        for gid, mark in by_question.items():
            if mark is not None and mark["answer_sha256"] != answer_hash(current.get(gid)):
                raise SheetError(f"{where}: {student}'s answer to {gid} changed since this sheet was "
                                 "exported (or the notebook is gone): export again and mark the answer as it is")


def store(hw: str, student_dir: Path, marks: dict[str, dict | None]) -> None:
    """Merge one student's marks into manual.json; None (`pending` on the sheet) takes a mark back."""
    kept = read_marks(student_dir)
    for gid, mark in marks.items():
        if mark is None:
            kept.pop(gid, None)
        else:
            kept[gid] = mark
    atomic_write(student_dir / MARKS_FILE, json.dumps(kept, indent=2, sort_keys=True) + "\n")
