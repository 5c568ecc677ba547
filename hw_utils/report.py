"""What grading produces: Gradescope's results.json, a feedback file, a score table.

results.json follows Gradescope's autograder schema (score, max_score, execution_time,
output, tests[] with name/score/max_score/status/output/visibility), so the same file
serves Gradescope, GitHub Classroom logs and our own summaries.
"""

from __future__ import annotations

import json
from pathlib import Path

from .classroom import atomic_write
from .grading import Grade


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


def _test_json(t) -> dict:
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
