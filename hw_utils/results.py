"""What grading produces, and reading it back: Grade, results.json, feedback.txt.

results.json follows Gradescope's autograder schema (score, max_score, execution_time,
output, tests[] with name/number/tags/score/max_score/status/output/visibility/extra_data),
so the same file serves Gradescope, GitHub Classroom logs and our own summaries. A test's
`name` is what students read ("Part A: neuron forward"); its pytest id ("test_neuron::
test_neuron_forward"), which the kit's own readers key on, is `extra_data.id`. `write` writes
it (and the student's feedback.txt) for one Grade; `read_result` reads one back, treating it
as a file that may be damaged: whatever it holds becomes a result or a reason why there is none.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

# The one test in a results.json that says the student was not graded, and why. `hw grade`
# writes them (no pytest node id looks like these); the summary shows a state, not a 0.
GRADER_FAILURE = "grader failure"  # the grader broke: not the student's fault, a re-run retries
REFUSED = "refused"                # the submission is a symlink, a fifo, ...: not read at all

# Rows added to the autograded tests (record.py): answers graded by hand, one per question,
# and the late penalty. Their ids cannot be pytest ids (those start with a file name).
MANUAL_PREFIX = "manual::"
LATE_PENALTY = "late::penalty"

# Gradescope's visibilities. Public tests (the `public` marker) are always "visible"; the
# hidden tests get the one chosen (`hw gradescope --hidden-tests`; `hw grade` shows them).
# "after_due_date" also hides the total score from students until the due date.
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


@dataclass
class TestResult:
    name: str  # the pytest id, file::test[params]: what the kit's own readers key on
    max_score: float
    score: float
    status: str  # "passed" | "failed" | "skipped"
    output: str
    public: bool
    measured: dict = field(default_factory=dict)  # what the test measured (e.g. accuracy), by name
    # What students read (grading.Label): a title unique within the homework, Gradescope's
    # number and tags, the first paragraph of the test's docstring.
    title: str = ""
    number: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""

    @property
    def shown_name(self) -> str:
        return self.title or self.name

    @property
    def shown_output(self) -> str:
        """The output, and for a failed test what it checks (its docstring), when it says."""
        if self.status == "failed" and self.description:
            return f"{self.output}\n\nWhat this test checks: {self.description}"
        return self.output


@dataclass
class Grade:
    homework: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    load_problems: str = ""  # cells that raised while the notebook ran, or why it stopped
    execution_time: float = 0.0
    grader_version: str = ""  # version.grader_version(hw) of the grader that gave it

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests if t.status != "skipped")

    @property
    def not_graded(self) -> str | None:
        """GRADER_FAILURE or REFUSED when this is no grade but the reason for its absence."""
        return next((t.name for t in self.tests if t.name in (GRADER_FAILURE, REFUSED)), None)


def not_graded(hw: str, submission: str | Path, kind: str, message: str) -> Grade:
    """A Grade that says why there is none: kind is GRADER_FAILURE or REFUSED, worth 0 of 0."""
    return Grade(hw, str(submission), [TestResult(kind, 0, 0, "failed", message, False)])


# --------------------------------------------------------------------------- writing


def results_json(grade: Grade, hidden_tests: str = "visible") -> dict:
    """Gradescope's results.json for grade; hidden_tests is the visibility of tests that are
    not `public` (one of VISIBILITIES). Tests come in the order of their numbers."""
    if hidden_tests not in VISIBILITIES:
        raise ValueError(f"unknown visibility {hidden_tests!r}: one of {', '.join(VISIBILITIES)}")
    return {
        "score": round(grade.score, 4),
        "max_score": round(grade.max_score, 4),
        "execution_time": round(grade.execution_time, 2),
        "output": _overall_output(grade),
        # Plain text everywhere: the default for the top-level output renders HTML, and the
        # text here quotes what a submission printed or raised.
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test_json(t, hidden_tests) for t in sorted(grade.tests, key=_number_order)],
        # Gradescope's top-level extra_data: kept, never shown. Which grader gave these grades.
        "extra_data": {"grader_version": grade.grader_version},
    }


def _number_order(t: TestResult) -> tuple:
    """"1.10" after "1.9"; tests without a number (a grader failure's row) keep their place, first;
    the questions graded by hand, then the late penalty, last."""
    if is_added(t.name):
        return (2, t.name == LATE_PENALTY)
    parts = t.number.split(".")
    return (1, *(int(p) for p in parts)) if all(p.isdigit() for p in parts) else (0,)


def is_added(test_id: str) -> bool:
    """A row added to the autograded tests: a question graded by hand, the late penalty."""
    return test_id.startswith(MANUAL_PREFIX) or test_id == LATE_PENALTY


def _test_json(t: TestResult, hidden_tests: str) -> dict:
    shown = {"name": t.shown_name}
    if t.number:
        shown["number"] = t.number
    if t.tags:
        shown["tags"] = list(t.tags)
    # A row that says why there is no grade is always shown, like the public checks.
    visible = t.public or t.name in (GRADER_FAILURE, REFUSED)
    rest = {"visibility": "visible" if visible else hidden_tests, "extra_data": {"id": t.name}}
    if t.status == "skipped":
        # Worth nothing here (e.g. the gpu tier on a cpu runner); `status` is optional in
        # Gradescope's schema and left out, so the test is shown neither green nor red.
        return {**shown, "score": 0.0, "max_score": 0.0, "output": f"skipped: {t.output}", **rest}
    return {
        **shown,
        "score": t.score,
        "max_score": t.max_score,
        "status": "passed" if t.status == "passed" else "failed",
        "output": t.shown_output,
        **rest,
    }


def feedback_text(grade: Grade) -> str:
    """What a student reads: the score, each failed check and why, never a test's code."""
    lines = [
        f"{grade.homework}: {grade.score:g} / {grade.max_score:g} points",
        f"submission: {Path(grade.submission).name}",
        "",
    ]
    if grade.load_problems:
        lines += ["While your notebook ran (later cells still ran after a problem):",
                  _indent(grade.load_problems), ""]
    for t in sorted(grade.tests, key=_number_order):
        mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[t.status]
        if is_added(t.name):  # not a test of the code: a mark given by hand, a penalty
            mark = "PENDING" if t.status == "skipped" else "BY HAND" if t.name != LATE_PENALTY else "LATE"
        number = f"{t.number} " if t.number else ""
        points = "" if mark == "PENDING" else f" ({t.score:g}/{t.max_score:g})"  # its output says its worth
        lines.append(f"[{mark}] {number}{t.shown_name}{points}")
        if t.shown_output:  # why it failed, or what a passed test measured (an accuracy)
            lines.append(_indent(t.shown_output))
    return "\n".join(lines) + "\n"


def write(grade: Grade, out_dir: Path, hidden_tests: str = "visible") -> Path:
    """Write results.json and feedback.txt atomically into out_dir; return results.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.json"
    atomic_write(results, json.dumps(results_json(grade, hidden_tests), indent=2) + "\n")
    atomic_write(out_dir / "feedback.txt", feedback_text(grade))
    return results


def score_table(grades: list[tuple[str, Grade]]) -> str:
    """A Markdown table, one row per (student, grade)."""
    rows = ["| student | homework | score | max | passed | time (s) |",
            "|---|---|---:|---:|---:|---:|"]
    for student, g in grades:
        passed = sum(t.status == "passed" for t in g.tests)
        skipped = sum(t.status == "skipped" for t in g.tests)
        counted = f"{passed}/{len(g.tests) - skipped}" + (f" ({skipped} skipped)" if skipped else "")
        rows.append(f"| {student} | {g.homework} | {g.score:g} | {g.max_score:g} | "
                    f"{counted} | {g.execution_time:.1f} |")
    return "\n".join(rows)


def _overall_output(grade: Grade) -> str:
    if not grade.load_problems:
        return ""
    return "While your notebook ran:\n" + grade.load_problems


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def atomic_write(path: Path, data: str | bytes):
    """Write to a temporary file beside path, then rename it over path: never half a file."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- reading


class TestScore(NamedTuple):
    score: float
    max_score: float
    status: str  # "passed" | "failed" | "skipped" (_test_json leaves status out of skipped tests)


@dataclass
class StudentResult:
    student: str
    score: float = 0.0
    max_score: float = 0.0
    tests: dict[str, TestScore] = field(default_factory=dict)
    error: str = ""  # why there is no grade: results.json unreadable, a grader failure, a refusal
    state: str = "graded"  # "graded" | GRADER_FAILURE | REFUSED | "unreadable"
    grader_version: str = ""  # "" in results written before versions were recorded

    @property
    def percent(self) -> float | None:
        if self.error or self.max_score <= 0:
            return None
        return 100 * self.score / self.max_score

    # The parts of the score (record.py): autograded, marked by hand, taken for lateness.
    @property
    def by_hand(self) -> float:
        return sum(t.score for name, t in self.tests.items() if name.startswith(MANUAL_PREFIX))

    @property
    def pending(self) -> int:
        """Questions graded by hand that are not marked yet."""
        return sum(t.status == "skipped" for name, t in self.tests.items() if name.startswith(MANUAL_PREFIX))

    @property
    def late(self) -> float:
        """The late penalty: 0 or negative."""
        return sum(t.score for name, t in self.tests.items() if name == LATE_PENALTY)

    @property
    def raw(self) -> float:
        """The autograded points."""
        return sum(t.score for name, t in self.tests.items() if not is_added(name))

    @property
    def raw_max(self) -> float:
        """The autograded tests' full marks (skipped ones, like the gpu tier on a cpu runner, left out)."""
        return sum(t.max_score for name, t in self.tests.items() if not is_added(name) and t.status != "skipped")


def read_result(student: str, path: Path) -> StudentResult:
    """One student's results.json as written by `write`; a damaged one is a row saying why."""
    try:
        data = json.loads(path.read_bytes())
        tests = {result_id(t): _test_score(t) for t in data["tests"]}
        result = StudentResult(student, _number(data["score"]), _number(data["max_score"]), tests,
                               grader_version=recorded_version(data))
        reasons = [t for t in data["tests"] if result_id(t) in (GRADER_FAILURE, REFUSED)]
    except FileNotFoundError:
        return StudentResult(student, error="results.json is missing", state="unreadable")
    except (OSError, ValueError, KeyError, TypeError) as err:
        return StudentResult(student, error=f"unreadable results.json: {type(err).__name__}: {err}",
                             state="unreadable")
    if reasons:  # a 0 here is no score: say why instead
        result.state, result.error = result_id(reasons[0]), str(reasons[0].get("output", ""))
    return result


def recorded_version(data: dict) -> str:
    """The grader version a results.json records ("" when it records none)."""
    extra = data.get("extra_data")
    version = extra.get("grader_version", "") if isinstance(extra, dict) else ""
    return version if isinstance(version, str) else ""


def _test_score(t: dict) -> TestScore:
    return TestScore(_number(t["score"]), _number(t["max_score"]), str(t.get("status", "skipped")))


def result_id(t: dict) -> str:
    """A results.json test's pytest id: extra_data.id, or its name in files written before names
    were made for students (and in hand-written ones)."""
    extra = t.get("extra_data")
    x = extra.get("id", t["name"]) if isinstance(extra, dict) else t["name"]
    if not isinstance(x, str):
        raise TypeError(f"a test id must be a string, not {x!r}")
    return x


def _number(x) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"not a score: {x!r}")
    return float(x)
