"""The reference solution graded alongside a class: if it loses points, the run is flagged.

A grading run that the machine, the data or a timeout spoiled would otherwise blame
students silently. The canary is the instructor's own notebook, graded in the same pool
with the same options; its results live in <out>/_class/<hw>/canary/ (never a student),
and when it loses points CANARY_FAILED.txt there names the tests, the banner goes on
top of scores.md, and `hw grade` exits 3.
"""

from __future__ import annotations

from pathlib import Path

from .classroom import CLASS_DIR
from .results import Grade

FLAG = "CANARY_FAILED.txt"
CAUSES = ("the machine was overloaded (fewer --jobs, or longer --load-timeout/--call-timeout)",
          "training data missing or unreadable (see the canary's feedback.txt)",
          "the reference itself or the hidden tests changed (run the hidden tests on it alone)")


def folder(out_root: Path, hw: str) -> Path:
    """Where the canary's results go: under _class/, which the class summary never reads as a student."""
    return out_root / CLASS_DIR / hw / "canary"


def flag_path(out_root: Path, hw: str) -> Path:
    return out_root / CLASS_DIR / hw / FLAG


def lost(grade: Grade) -> list[str]:
    """The tests the reference did not pass in full (or why it was not graded at all)."""
    if grade.not_graded:
        return [f"not graded ({grade.not_graded}): {grade.tests[0].output if grade.tests else ''}"]
    return [t.name for t in grade.tests if t.status != "skipped" and t.score < t.max_score]


def banner(hw: str, reference: Path, grade: Grade) -> str:
    failed = lost(grade)
    return "\n".join([
        f"WARNING: the reference solution lost points in this run of {hw}: "
        f"{grade.score:g}/{grade.max_score:g} ({reference}).",
        "Students' grades from this run are suspect: do not publish them. Tests the reference failed:",
        *(f"  - {name}" for name in failed),
        "Likely causes:",
        *(f"  - {cause}" for cause in CAUSES),
        "Grade again (--force) once fixed; --no-canary skips this check.",
    ]) + "\n"


def record(out_root: Path, hw: str, reference: Path, grade: Grade) -> str:
    """Write or clear the flag; the banner when the reference lost points, else ""."""
    flag = flag_path(out_root, hw)
    if not lost(grade):
        flag.unlink(missing_ok=True)
        return ""
    text = banner(hw, reference, grade)
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.write_text(text)
    return text


def current_banner(out_root: Path, hw: str) -> str:
    """The flag's text when the last canary failed (for scores.md), else ""."""
    try:
        return flag_path(out_root, hw).read_text()
    except OSError:
        return ""
