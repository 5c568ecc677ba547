"""`hw regrade-report <hw> OLD NEW`: who a regrade changed, by how much, and in which tests.

OLD and NEW are two grades' folders of one class (`hw grade --out`), for example the grades
published before the hidden tests were fixed and a regrade into a new folder:

    hw grade hw02_init 'submitted/*/hw02_init/*.ipynb' --out autograded-v2
    hw regrade-report hw02_init autograded autograded-v2

The report lists each student whose score changed (or who was graded in one folder only, or
not graded in one of them), the change, and each test whose score or status changed; it
ends with the grader versions of each side, so an instructor can tell which grader gave what.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .classroom import collect, md_cell
from .results import StudentResult, TestScore

TOLERANCE = 1e-9  # scores are sums of floats: 1.0 vs 0.9999999999 is no change


@dataclass
class Change:
    student: str
    old: StudentResult | None
    new: StudentResult | None
    tests: list[tuple[str, TestScore | None, TestScore | None]]  # (test id, old, new), only those that changed

    @property
    def delta(self) -> float | None:
        if self.old is None or self.new is None or self.old.error or self.new.error:
            return None
        return self.new.score - self.old.score


def changes(hw: str, old_root: Path, new_root: Path) -> list[Change]:
    """Every student whose grade differs between the two folders, largest loss first."""
    old = {r.student: r for r in collect(old_root, hw)}
    new = {r.student: r for r in collect(new_root, hw)}
    found = []
    for student in sorted(old.keys() | new.keys()):
        a, b = old.get(student), new.get(student)
        tests = _changed_tests(a, b)
        if a is None or b is None or a.error != b.error or tests or _differ(a.score, b.score) \
                or _differ(a.max_score, b.max_score):
            found.append(Change(student, a, b, tests))
    return sorted(found, key=lambda c: (c.delta is None, c.delta or 0.0, c.student))


def _differ(x: float, y: float) -> bool:
    return abs(x - y) > TOLERANCE


def _changed_tests(a: StudentResult | None, b: StudentResult | None) -> list:
    if a is None or b is None:
        return []
    changed = []
    for name in sorted(a.tests.keys() | b.tests.keys()):
        x, y = a.tests.get(name), b.tests.get(name)
        if x is None or y is None or x.status != y.status or _differ(x.score, y.score) \
                or _differ(x.max_score, y.max_score):
            changed.append((name, x, y))
    return changed


def report(hw: str, old_root: Path, new_root: Path) -> str:
    """The Markdown report."""
    found = changes(hw, old_root, new_root)
    old_all, new_all = collect(old_root, hw), collect(new_root, hw)
    lines = [f"# {hw}: regrade report", "",
             f"Old grades: `{old_root}` ({len(old_all)} students); new grades: `{new_root}` ({len(new_all)} students).",
             f"{len(found)} student(s) changed." if found else "No student's grade changed.", ""]
    if found:
        lines += ["| student | old | new | change | tests that changed |", "|---|---:|---:|---:|---|"]
        lines += [_row(c) for c in found]
        lines.append("")
    lines += ["Grader versions (results.json `extra_data.grader_version`):",
              f"- old: {_versions(old_all)}", f"- new: {_versions(new_all)}"]
    return "\n".join(lines) + "\n"


def _row(c: Change) -> str:
    delta = "" if c.delta is None else f"{c.delta:+g}"
    tests = "; ".join(f"{md_cell(name)}: {_test(x)} → {_test(y)}" for name, x, y in c.tests)
    return f"| {md_cell(c.student)} | {_score(c.old)} | {_score(c.new)} | {delta} | {tests} |"


def _score(r: StudentResult | None) -> str:
    if r is None:
        return "not in this folder"
    if r.error:
        return md_cell(f"{r.state}: {r.error}")
    return f"{r.score:g}/{r.max_score:g}"


def _test(t: TestScore | None) -> str:
    return "absent" if t is None else f"{t.score:g}/{t.max_score:g} {t.status}"


def _versions(results: list[StudentResult]) -> str:
    counts = Counter(r.grader_version or "none recorded" for r in results)
    return ", ".join(f"{v} ({n})" for v, n in counts.most_common()) or "no results"
