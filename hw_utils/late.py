"""Deadlines and late work: a due date and a late policy per homework, extensions per student.

The policy is a TOML file, `deadlines.toml` at the course root (or `--policy FILE`):

    [hw02_init]
    due = 2026-10-12T23:59:00+02:00   # a TOML date-time with its UTC offset
    percent_per_day = 10              # of the score (autograded + by hand), per day or part of one late
    max_percent = 50                  # the penalty never exceeds this (100: late work can reach 0)
    grace_minutes = 15                # this late is still on time (uploads take time)

Extensions are a CSV (`--extensions FILE`) with the columns student, homework, days: the
student's due date moves by that many days (fractions allowed).

When each student submitted comes from one of:
  - a CSV with the columns student and submitted_at (ISO 8601 with an offset);
  - the CSV `hw collect` writes (<hw>_collected.csv: committed_at, the commit's date; a
    student can set that date, so for deadlines that matter prefer the host's push times);
  - on Gradescope, /autograder/submission_metadata.json (`created_at`, set by Gradescope).

`hw late <hw> TIMES` keeps each student's time and penalty in <out>/<student>/<hw>/late.json;
results.json then carries a test "late penalty" worth minus the points taken, separate from
the raw score (record.py), and the summary and the gradebook show raw, late and final scores.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from . import course
from .results import LATE_PENALTY, Grade, TestResult, atomic_write

POLICY_FILE = "deadlines.toml"
MAX_DAYS = 366  # an extension, in days; more is a typo (and would overflow a date)
LATE_FILE = "late.json"  # <out>/<student>/<hw>/late.json


class PolicyError(ValueError):
    """A policy, extension or times file that cannot be used: the message names it and the fix."""


@dataclass(frozen=True)
class Policy:
    due: datetime
    percent_per_day: float
    max_percent: float = 100.0
    grace_minutes: float = 0.0


@dataclass(frozen=True)
class Lateness:
    submitted_at: str  # ISO 8601, as given
    due: str  # the student's due date, extensions included
    days_late: int  # started days after the due date (and the grace), 0 when on time
    percent: float  # of the score taken


def default_policy_file() -> Path:
    return course.ROOT / POLICY_FILE


def load_policy(hw: str, path: Path) -> Policy:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise PolicyError(f"no late policy: {path} is missing (see `hw late --help` for its format)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise PolicyError(f"{path}: not a readable TOML file ({err})") from None
    section = data.get(hw)
    if not isinstance(section, dict):
        raise PolicyError(f"{path}: no [{hw}] section with its due date")
    due = section.get("due")
    if not isinstance(due, datetime) or due.tzinfo is None:
        raise PolicyError(f"{path}: [{hw}] due must be a date-time with its UTC offset, "
                          "e.g. due = 2026-10-12T23:59:00+02:00")
    numbers = {}
    for key, default, top in (("percent_per_day", None, 100), ("max_percent", 100.0, 100),
                              ("grace_minutes", 0.0, 24 * 60 * MAX_DAYS)):
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value < 0 or (top is not None and value > top):
            limit = f"between 0 and {top}"
            raise PolicyError(f"{path}: [{hw}] {key} must be a number {limit}")
        numbers[key] = float(value)
    return Policy(due, **numbers)


def load_extensions(hw: str, path: Path | None) -> dict[str, float]:
    """student -> extra days for hw."""
    if path is None:
        return {}
    _, rows = _csv_rows(path, ("student", "homework", "days"))
    extra = {}
    known = course.homeworks()
    for line, row in rows:
        if row["homework"] not in known:  # a typo would silently cost the student the extension
            raise PolicyError(f"{path}, row {line}: {row['homework']!r} is not a homework ({', '.join(known)})")
        if row["homework"] != hw:
            continue
        days = _float(row["days"])
        if days is None or not 0 <= days <= MAX_DAYS:
            raise PolicyError(f"{path}, row {line}: days {row['days']!r} must be a number of days, 0 to {MAX_DAYS}")
        if row["student"] in extra:
            raise PolicyError(f"{path}, row {line}: a second extension of {hw} for {row['student']}: keep one")
        extra[row["student"]] = days
    return extra


def load_times(path: Path) -> dict[str, datetime]:
    """student -> submission time, from a times CSV or `hw collect`'s record."""
    columns, rows = _csv_rows(path, ("student",))
    column = next((c for c in ("submitted_at", "committed_at") if c in columns), None)
    if column is None:
        raise PolicyError(f"{path}: needs a column submitted_at (or committed_at, as hw collect writes)")
    times = {}
    for line, row in rows:
        if row.get("status") == "refused" or not row["student"]:
            continue  # hw collect's record: nothing was collected from that repository
        if row["student"] in times:
            raise PolicyError(f"{path}, row {line}: a second time for {row['student']}: keep one")
        times[row["student"]] = parse_time(row[column], f"{path}, row {line}")
    return times


def gradescope_time(metadata: Path) -> datetime:
    """The submission time Gradescope recorded (submission_metadata.json's created_at)."""
    try:
        data = json.loads(metadata.read_text())
        return parse_time(data["created_at"], str(metadata))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise PolicyError(f"{metadata}: no submission time in it ({type(err).__name__})") from None


def parse_time(text: str, where: str) -> datetime:
    try:
        when = datetime.fromisoformat((text or "").strip().lstrip("'"))
    except ValueError:
        raise PolicyError(f"{where}: {text!r} is not an ISO 8601 time (2026-10-12T23:59:00+02:00)") from None
    if when.tzinfo is None:
        raise PolicyError(f"{where}: {text!r} has no UTC offset; write it as 2026-10-12T23:59:00+02:00")
    return when


def lateness(policy: Policy, submitted: datetime, extra_days: float = 0.0) -> Lateness:
    """How late a submission is and the percent it costs: each started day after the due
    date (plus the grace) costs percent_per_day, up to max_percent."""
    due = policy.due + timedelta(days=extra_days)
    over = submitted - due - timedelta(minutes=policy.grace_minutes)
    days = 0 if over <= timedelta(0) else math.ceil(over / timedelta(days=1))
    return Lateness(submitted.isoformat(), due.isoformat(), days,
                    min(days * policy.percent_per_day, policy.max_percent))


# --------------------------------------------------------------------------- the record


def store(student_dir: Path, late: Lateness) -> None:
    atomic_write(student_dir / LATE_FILE, json.dumps(asdict(late), indent=2) + "\n")


def read(student_dir: Path) -> Lateness | None:
    try:
        return Lateness(**json.loads((student_dir / LATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def rows_for(hw: str, student_dir: Path, grade: Grade) -> list[TestResult]:
    """The late penalty as a test worth minus the points it takes (none when on time or unknown).

    The percent applies to everything earned so far, marks given by hand included; it never
    takes a score below 0."""
    late = read(student_dir)
    return [] if late is None else penalty_rows(late, grade)


def penalty_rows(late: Lateness, grade: Grade) -> list[TestResult]:
    if late.days_late == 0:
        return []
    earned = sum(t.score for t in grade.tests if t.name != LATE_PENALTY)
    taken = round(max(earned, 0.0) * late.percent / 100, 4)
    day = "day" if late.days_late == 1 else "days"
    text = (f"submitted {late.submitted_at}, due {late.due}: {late.days_late} {day} late, "
            f"-{late.percent:g}% of {earned:g} points = -{taken:g}")
    return [TestResult(LATE_PENALTY, 0, -taken, "failed" if taken else "passed", text, public=True,
                       title="Late penalty")]


def on_gradescope(hw: str, root: Path, grade: Grade) -> list[TestResult]:
    """The penalty of a Gradescope submission: deadlines.toml shipped in the autograder zip,
    the time Gradescope recorded. Nothing when there is no policy for hw; a policy that
    cannot be used is said on stdout (instructors only) and costs the student nothing."""
    policy_file = default_policy_file()
    if not policy_file.is_file():
        return []
    try:
        policy = load_policy(hw, policy_file)
        submitted = gradescope_time(root / "submission_metadata.json")
    except PolicyError as err:
        print(f"late policy not applied: {err}", flush=True)
        return []
    return penalty_rows(lateness(policy, submitted), grade)


# --------------------------------------------------------------------------- files


def _csv_rows(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(the columns, [(row number in the file, {column: stripped text})]); PolicyError if one is missing."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError(f"{path}: cannot read it ({err})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = list(reader.fieldnames or [])
    missing = [c for c in required if c not in columns]
    if missing:
        raise PolicyError(f"{path}: no column {missing[0]!r} (columns: {', '.join(columns) or 'none'})")
    rows = [(line, {k: (v or "").strip() for k, v in row.items() if k}) for line, row in enumerate(reader, start=2)]
    return columns, rows


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
