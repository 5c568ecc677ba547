"""The commands that turn autograded results into grades of record:

    hw manual export <hw>            sheets of every student's answers to each question graded by hand
    hw manual import <hw> SHEET...   the marks back into results.json, feedback.txt and the summary
    hw late <hw> TIMES               submission times against deadlines.toml: the late penalty
    hw gradebook [HW...]             every homework's scores as a gradebook CSV (plain or Canvas)

Each checks everything it was given before writing anything; bad input is one line, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import course, gradebook, late, manual, record
from .classroom import CLASS_DIR, student_dirs
from .results import atomic_write

COMMANDS = ("manual", "late", "gradebook")


class CommandError(Exception):
    """One line for the user; the command exits 2 and writes nothing."""


def add_parsers(commands, graded_hw, graded: list[str]) -> None:
    one_of = f"one of {', '.join(graded)}"
    p = commands.add_parser("manual", help="answers graded by hand: export sheets, import marks",
                            description=manual.__doc__.split("\n\n")[0], epilog=_doc_tail(manual.__doc__))
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    e = actions.add_parser("export", help="write <out>/_class/<hw>/manual/<question>.md and .csv")
    e.add_argument("homework", type=graded_hw, help=one_of)
    e.add_argument("--out", type=Path, default=course.AUTOGRADED, help="the grades' folder")
    i = actions.add_parser("import", help="read filled sheets: marks into every results.json")
    i.add_argument("homework", type=graded_hw, help=one_of)
    i.add_argument("sheets", nargs="+", type=Path, help="the CSV sheets (<out>/_class/<hw>/manual/*.csv)")
    i.add_argument("--out", type=Path, default=course.AUTOGRADED, help="the grades' folder")

    p = commands.add_parser("late", help="late penalties from submission times and deadlines.toml",
                            description=late.__doc__.split("\n\n")[0], epilog=_doc_tail(late.__doc__))
    p.add_argument("homework", type=graded_hw, help=one_of)
    p.add_argument("times", type=Path, help="submission times: a CSV (student, submitted_at) or hw collect's record")
    p.add_argument("--policy", type=Path, default=late.default_policy_file(), help="the deadlines file")
    p.add_argument("--extensions", type=Path, help="a CSV of extensions: student, homework, days")
    p.add_argument("--out", type=Path, default=course.AUTOGRADED, help="the grades' folder")

    p = commands.add_parser("gradebook", help="export the class's scores as a gradebook CSV (plain or Canvas)",
                            description=gradebook.__doc__.split("\n\n")[0], epilog=_doc_tail(gradebook.__doc__))
    p.add_argument("homeworks", nargs="*", type=graded_hw, default=graded, help="the homeworks (default: all graded)")
    p.add_argument("--format", choices=gradebook.FORMATS, default="plain", help="the CSV's layout")
    p.add_argument("--roster", type=Path, help="CSV mapping student names to LMS ids (needed for canvas)")
    p.add_argument("--out", type=Path, default=course.AUTOGRADED, help="the grades' folder")
    p.add_argument("--to", type=Path, help="the CSV to write (default: <out>/_class/gradebook-<format>.csv)")


def _doc_tail(doc: str) -> str:
    return doc.split("\n\n", 1)[1] if "\n\n" in doc else ""


def run(args: argparse.Namespace) -> tuple[int, str | None]:
    """(exit status, the homework whose class summary must be rewritten, if any)."""
    if not args.out.is_dir():
        raise CommandError(f"--out {args.out} is not a grades' folder (hw grade --out)")
    if args.command == "manual" and args.action == "export":
        return export_sheets(args.homework, args.out), None
    if args.command == "manual":
        return import_sheets(args.homework, args.sheets, args.out), args.homework
    if args.command == "late":
        return apply_late(args.homework, args.times, args.policy, args.extensions, args.out), args.homework
    return export_gradebook(args.homeworks, args.format, args.roster, args.out, args.to), None


# --------------------------------------------------------------------------- hw manual


def graded_students(hw: str, out: Path) -> dict[str, Path]:
    """student -> the notebook that was graded, for every student with an autograded grade."""
    found = {}
    for d in student_dirs(out):
        folder = d / hw
        if not (folder / record.AUTOGRADED_FILE).is_file():
            continue
        grade = _load(folder)
        if grade.not_graded is None:
            found[d.name] = Path(grade.submission)
    return found


def _load(folder: Path):
    try:
        return record.load(folder)
    except record.RecordError as err:
        raise CommandError(str(err)) from None


def export_sheets(hw: str, out: Path) -> int:
    if not manual.questions(hw):
        raise CommandError(f"{hw} has no question graded by hand (Markdown cells with grade and solution)")
    students = graded_students(hw, out)
    if not students:
        raise CommandError(f"{out} holds no graded {hw} submission: grade first (hw grade --out {out})")
    for sheet in manual.export(hw, students, out):
        print(f"wrote {sheet} and {sheet.with_suffix('.md').name}")
    print(f"{len(students)} students; mark the CSVs (empty points: unchanged; `pending` takes a mark back), then hw manual import {hw} "
          f"{out / CLASS_DIR / hw / manual.SHEET_DIR}/*.csv")
    return 0


def import_sheets(hw: str, sheets: list[Path], out: Path) -> int:
    students = graded_students(hw, out)
    marks: dict[str, dict[str, dict | None]] = {}
    try:
        for sheet in sheets:  # everything is checked before anything is written
            found = manual.read_sheet(hw, sheet, out)
            manual.check_answers(hw, found, students, sheet)
            for student, by_question in found.items():
                for gid, mark in by_question.items():
                    if gid in marks.get(student, {}):
                        raise CommandError(f"{sheet}: {student}'s {gid} is also in another sheet given")
                    marks.setdefault(student, {})[gid] = mark
    except manual.SheetError as err:
        raise CommandError(str(err)) from None
    unknown = sorted(set(marks) - set(students))
    if unknown:
        raise CommandError(f"{', '.join(unknown)}: no autograded {hw} grade in {out} (refused, a grader "
                           "failure, or graded before marks were kept): grade them again first")
    for student, by_question in sorted(marks.items()):
        folder = out / student / hw
        manual.store(hw, folder, by_question)
        grade, _ = record.publish(hw, folder)
        print(f"{student}: {grade.score:g}/{grade.max_score:g}")
    given = sum(m is not None for q in marks.values() for m in q.values())
    withdrawn = sum(m is None for q in marks.values() for m in q.values())
    print(f"imported {given} marks" + (f", took back {withdrawn}" if withdrawn else "") +
          f", for {len(marks)} students (empty cells left their marks as they were)")
    return 0


# --------------------------------------------------------------------------- hw late


def apply_late(hw: str, times_file: Path, policy_file: Path, extensions_file: Path | None, out: Path) -> int:
    try:
        policy = late.load_policy(hw, policy_file)
        extensions = late.load_extensions(hw, extensions_file)
        times = late.load_times(times_file)
    except late.PolicyError as err:
        raise CommandError(str(err)) from None
    graded = {d.name for d in student_dirs(out) if (d / hw / record.AUTOGRADED_FILE).is_file()}
    for student in graded:  # a damaged record stops the command before anything is written
        _load(out / student / hw)
    if not graded:
        raise CommandError(f"{out} holds no graded {hw} submission: grade first (hw grade --out {out})")
    stray = sorted(set(extensions) - graded)
    if stray:
        raise CommandError(f"{extensions_file}: extension for {', '.join(stray)}, who has no graded {hw}: "
                           "a typo in the name?")
    for student in sorted(graded):
        folder = out / student / hw
        if student not in times:
            print(f"{student}: no submission time in {times_file}: no penalty (add a row to apply one)")
            (folder / late.LATE_FILE).unlink(missing_ok=True)
        else:
            lateness = late.lateness(policy, times[student], extensions.get(student, 0.0))
            late.store(folder, lateness)
            print(f"{student}: {lateness.days_late} day(s) late, -{lateness.percent:g}%")
        record.publish(hw, folder)
    return 0


# --------------------------------------------------------------------------- hw gradebook


def export_gradebook(homeworks: list[str], fmt: str, roster_file: Path | None, out: Path, to: Path | None) -> int:
    try:
        roster = gradebook.read_roster(roster_file) if roster_file else {}
        rows = gradebook.entries(out, homeworks)
        if not rows:
            raise CommandError(f"{out} holds no graded results of {', '.join(homeworks)}: grade first")
        if fmt == "canvas":
            if roster_file is None:
                raise CommandError("--format canvas needs --roster (Canvas matches students by its own IDs)")
            possible = {hw: gradebook.points_possible(rows, hw, sum(q.points for q in manual.questions(hw)))
                        for hw in homeworks}
            text = gradebook.canvas(homeworks, rows, roster, possible)
        else:
            text = gradebook.plain(homeworks, rows, roster)
    except gradebook.GradebookError as err:
        raise CommandError(str(err)) from None
    target = to or out / CLASS_DIR / f"gradebook-{fmt}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text)
    pending = [f"{e.student} ({hw})" for e in rows for hw, r in e.by_hw.items() if r.pending]
    if pending:
        print(f"note: questions graded by hand are still pending for {len(pending)}: "
              f"{', '.join(pending[:8])}{', ...' if len(pending) > 8 else ''}")
    print(f"wrote {target} ({len(rows)} students, {len(homeworks)} homework(s))")
    return 0
