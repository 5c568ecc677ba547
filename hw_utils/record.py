"""A student's grade of record: the autograded grade, plus what people add to it.

    <out>/<student>/<hw>/
        autograded.json   the Grade the hidden tests gave (written by `hw grade`)
        manual.json       marks given by hand (`hw manual import`, manual.py)
        late.json         when it was submitted and the late penalty (`hw late`, late.py)
        results.json, feedback.txt   made from the three by `publish`: what students and
                                     the class summary read

Each part is written by one command, and `publish` always rebuilds results.json from all of
them: regrading (`hw grade --force`) replaces the autograded part and keeps the marks and
the penalty; importing marks keeps the autograded part. results.json is never edited in place.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from . import late, manual
from .results import Grade, TestResult, atomic_write, write

AUTOGRADED_FILE = "autograded.json"


class RecordError(ValueError):
    """A student folder whose autograded.json is missing or damaged."""


def save(grade: Grade, out_dir: Path) -> Path:
    """Keep the autograded grade, then publish the whole grade; returns results.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / AUTOGRADED_FILE, json.dumps(dataclasses.asdict(grade), indent=1) + "\n")
    return publish(grade.homework, out_dir)[1]


def load(out_dir: Path) -> Grade:
    """The autograded Grade kept in out_dir."""
    path = out_dir / AUTOGRADED_FILE
    try:
        data = json.loads(path.read_text())
        tests = [TestResult(**{**t, "tags": tuple(t.get("tags", ()))}) for t in data.pop("tests")]
        return Grade(**data, tests=tests)
    except FileNotFoundError:
        raise RecordError(f"{path} is missing: grade this student again (hw grade --force)") from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
        raise RecordError(f"{path} is damaged ({type(err).__name__}): grade this student again "
                          "(hw grade --force)") from None


def publish(hw: str, out_dir: Path) -> tuple[Grade, Path]:
    """Rebuild results.json and feedback.txt from the autograded grade, the marks and the penalty."""
    grade = load(out_dir)
    if grade.not_graded is None:  # a refusal or a grader failure gets no marks and no penalty
        grade.tests += manual.rows_for(hw, out_dir)
        grade.tests += late.rows_for(hw, out_dir, grade)
    return grade, write(grade, out_dir)
