"""`hw gradebook`: a class's scores, every homework, as the CSV a gradebook imports.

Two formats:
  plain    one row per student, keyed by the kit's student name and the LMS id from the
           roster: for each homework its autograded (raw), by-hand, late and final scores,
           the maximum, the questions still pending and the state (graded, refused, ...).
  canvas   Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then
           one column per homework with the final score, and a "Points Possible" row.
           Canvas matches students by ID (or SIS User ID): every graded student must be in
           the roster, or nothing is written. A column whose header Canvas does not know as
           an assignment becomes a new assignment; rename the header to "Name (assignment id)"
           to fill an existing one.

The roster (`--roster FILE`) maps the kit's student names (the folder names under submitted/
and autograded/: a GitHub login with `hw collect`) to the LMS: a CSV with the column student
and any of name, lms_id, sis_id, login, section. Canvas's own export (Grades > Export)
holds Student, ID, SIS User ID, SIS Login ID and Section: add a `student` column to it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .classroom import collect
from .results import StudentResult

FORMATS = ("plain", "canvas")
ROSTER_COLUMNS = ("name", "lms_id", "sis_id", "login", "section")
_CANVAS_ROSTER = {"Student": "name", "ID": "lms_id", "SIS User ID": "sis_id", "SIS Login ID": "login",
                  "Section": "section"}


class GradebookError(ValueError):
    """A roster or a class that cannot be exported: the message says what and how to fix it."""


@dataclass
class Entry:
    student: str
    by_hw: dict[str, StudentResult]


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """student -> {name, lms_id, sis_id, login, section}; Canvas's own column names work too."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise GradebookError(f"roster {path}: cannot read it ({err})") from None
    reader = csv.DictReader(io.StringIO(text))
    if "student" not in (reader.fieldnames or []):
        raise GradebookError(f"roster {path}: no column 'student' (the kit's student names, as in autograded/)")
    roster = {}
    for line, row in enumerate(reader, start=2):
        student = (row.get("student") or "").strip()
        if not student:
            raise GradebookError(f"roster {path}, row {line}: the student column is empty")
        if student in roster:
            raise GradebookError(f"roster {path}, row {line}: {student} appears twice")
        roster[student] = {key: (row.get(key) or row.get(canvas) or "").strip()
                           for canvas, key in _CANVAS_ROSTER.items()}
    for key in ("lms_id", "sis_id", "login"):  # two students under one LMS id: one grade would be lost
        seen: dict[str, str] = {}
        for student, who in roster.items():
            if who[key] and seen.setdefault(who[key], student) != student:
                raise GradebookError(f"roster {path}: {seen[who[key]]} and {student} have the same {key} {who[key]!r}")
    return roster


def entries(out_root: Path, homeworks: list[str]) -> list[Entry]:
    by_student: dict[str, dict[str, StudentResult]] = {}
    for hw in homeworks:
        for r in collect(out_root, hw):
            by_student.setdefault(r.student, {})[hw] = r
    return [Entry(s, by_student[s]) for s in sorted(by_student)]


def plain(homeworks: list[str], rows: list[Entry], roster: dict[str, dict[str, str]]) -> str:
    header = ["student", *ROSTER_COLUMNS]
    for hw in homeworks:
        header += [f"{hw} {part}" for part in ("raw", "by_hand", "late", "final", "max", "pending", "state")]
    table = [header]
    for e in rows:
        known = roster.get(e.student, {})
        line = [e.student, *(known.get(k, "") for k in ROSTER_COLUMNS)]
        for hw in homeworks:
            line += _parts(e.by_hw.get(hw))
        table.append(line)
    return _csv(table)


def _parts(r: StudentResult | None) -> list[str]:
    if r is None:
        return ["", "", "", "", "", "", "not submitted"]
    if r.error:
        return ["", "", "", "", "", "", r.state]
    return [_n(r.raw), _n(r.by_hand), _n(r.late), _n(r.score), _n(r.max_score), str(r.pending), r.state]


def canvas(homeworks: list[str], rows: list[Entry], roster: dict[str, dict[str, str]],
           possible: dict[str, float]) -> str:
    missing = [e.student for e in rows if e.student not in roster or not roster[e.student]["lms_id"]]
    if missing:
        raise GradebookError(f"{len(missing)} graded student(s) have no Canvas ID in the roster "
                             f"({', '.join(missing[:10])}{', ...' if len(missing) > 10 else ''}): "
                             "add them (columns student and lms_id, or Canvas's ID) so no grade is lost")
    table = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *homeworks],
             ["Points Possible", "", "", "", "", *(_n(possible[hw]) for hw in homeworks)]]
    for e in rows:
        who = roster[e.student]
        scores = []
        for hw in homeworks:
            r = e.by_hw.get(hw)
            scores.append("" if r is None or r.error else _n(r.score))  # blank: Canvas leaves it as it is
        table.append([who["name"] or e.student, who["lms_id"], who["sis_id"], who["login"], who["section"], *scores])
    return _csv(table)


def points_possible(rows: list[Entry], hw: str, by_hand: float) -> float:
    """The homework's full marks: the autograded maximum (the largest any student had) plus the
    points of the questions graded by hand, marked or not."""
    return max((e.by_hw[hw].raw_max for e in rows if hw in e.by_hw and not e.by_hw[hw].error), default=0.0) + by_hand


def _n(x: float) -> str:
    return f"{round(x, 2):g}"


def _cell(value: str) -> str:
    """Text a spreadsheet shows as text: a cell starting with = + - @ is not a formula
    (negative numbers are written by us and stay numbers)."""
    if value[:1] in ("=", "+", "@", "\t", "\r") or (value[:1] == "-" and not _is_number(value)):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[_cell(str(c)) for c in row] for row in rows])
    return out.getvalue()
