"""What grading produces, and reading it back: Grade, results.json, feedback.txt.

results.json follows Gradescope's autograder schema (score, max_score, execution_time,
output, tests[] with name/score/max_score/status/output/visibility), so the same file
serves Gradescope, GitHub Classroom logs and our own summaries. `write` writes it (and the
student's feedback.txt) for one Grade; `read_result` reads one back, treating it as a file
that may be damaged: whatever it holds becomes a result or a reason why there is none.
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


@dataclass
class TestResult:
    name: str
    max_score: float
    score: float
    status: str  # "passed" | "failed" | "skipped"
    output: str
    public: bool
    measured: dict = field(default_factory=dict)  # what the test measured (e.g. accuracy), by name


@dataclass
class Grade:
    homework: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    load_problems: str = ""  # cells that raised while the notebook ran, or why it stopped
    execution_time: float = 0.0

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


def results_json(grade: Grade) -> dict:
    return {
        "score": round(grade.score, 4),
        "max_score": round(grade.max_score, 4),
        "execution_time": round(grade.execution_time, 2),
        "output": _overall_output(grade),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test_json(t) for t in grade.tests],
    }


def _test_json(t: TestResult) -> dict:
    if t.status == "skipped":
        # Worth nothing here (e.g. the gpu tier on a cpu runner); `status` is optional in
        # Gradescope's schema and left out, so the test is shown neither green nor red.
        return {"name": t.name, "score": 0.0, "max_score": 0.0,
                "output": f"skipped: {t.output}", "visibility": "visible"}
    return {
        "name": t.name,
        "score": t.score,
        "max_score": t.max_score,
        "status": "passed" if t.status == "passed" else "failed",
        "output": t.output,
        "visibility": "visible",
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
    for t in grade.tests:
        mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[t.status]
        lines.append(f"[{mark}] {t.name} ({t.score:g}/{t.max_score:g})")
        if t.output:  # why it failed, or what a passed test measured (an accuracy)
            lines.append(_indent(t.output))
    return "\n".join(lines) + "\n"


def write(grade: Grade, out_dir: Path) -> Path:
    """Write results.json and feedback.txt atomically into out_dir; return results.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.json"
    atomic_write(results, json.dumps(results_json(grade), indent=2) + "\n")
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

    @property
    def percent(self) -> float | None:
        if self.error or self.max_score <= 0:
            return None
        return 100 * self.score / self.max_score


def read_result(student: str, path: Path) -> StudentResult:
    """One student's results.json as written by `write`; a damaged one is a row saying why."""
    try:
        data = json.loads(path.read_bytes())
        tests = {_name(t["name"]): _test_score(t) for t in data["tests"]}
        result = StudentResult(student, _number(data["score"]), _number(data["max_score"]), tests)
        reasons = [t for t in data["tests"] if t["name"] in (GRADER_FAILURE, REFUSED)]
    except FileNotFoundError:
        return StudentResult(student, error="results.json is missing", state="unreadable")
    except (OSError, ValueError, KeyError, TypeError) as err:
        return StudentResult(student, error=f"unreadable results.json: {type(err).__name__}: {err}",
                             state="unreadable")
    if reasons:  # a 0 here is no score: say why instead
        result.state, result.error = reasons[0]["name"], str(reasons[0].get("output", ""))
    return result


def _test_score(t: dict) -> TestScore:
    return TestScore(_number(t["score"]), _number(t["max_score"]), str(t.get("status", "skipped")))


def _name(x) -> str:
    if not isinstance(x, str):
        raise TypeError(f"a test name must be a string, not {x!r}")
    return x


def _number(x) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"not a score: {x!r}")
    return float(x)
