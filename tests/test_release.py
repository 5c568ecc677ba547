"""release/ is exactly what nbgrader makes of source/, and leaks nothing."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from hw_utils import release, samples
from hw_utils.notebook import nbgrader_meta

ROOT = release.ROOT
HOMEWORKS = release.homeworks()


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_there_is_at_least_one_homework():
    assert "hw01_backprop" in HOMEWORKS


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_release_is_generated_from_source_byte_for_byte(hw):
    fresh = release.generate_fresh(hw)
    committed = ROOT / "release" / hw
    assert files_under(fresh) == files_under(committed), (
        f"release/{hw} is stale or was edited by hand: run `make release` and commit the result")


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_release_holds_no_solution_and_no_hidden_test(hw):
    text = (ROOT / "release" / hw / f"{hw}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "grader_tests"):
        assert marker not in text
    source = nbformat.read(ROOT / "source" / hw / f"{hw}.ipynb", as_version=4)
    released_code = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
    # A line the instructor also shows outside the solutions (say, in a public check) is no leak.
    shown_anyway = "\n".join(outside_solutions(c.source) for c in source.cells)
    for cell in samples.solution_cells(source):
        for line in solution_lines(cell.source):
            if line not in shown_anyway:
                assert line not in released_code, f"solution line of {nbgrader_meta(cell)['grade_id']} leaked: {line!r}"


def solution_lines(source: str) -> list[str]:
    """The substantial lines between the solution markers (short ones like `return x` recur)."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif inside and len(line.strip()) >= 25:
            lines.append(line.strip())
    return lines


def outside_solutions(source: str) -> str:
    solution = set(solution_lines(source))
    return "\n".join(line for line in source.splitlines() if line.strip() not in solution)


def test_solution_line_finder_finds_lines():
    assert solution_lines("def f():\n    ### BEGIN SOLUTION\n    return some_long_expression(x) + 1\n    ### END SOLUTION\n") \
        == ["return some_long_expression(x) + 1"]


@pytest.mark.slow
def test_public_checks_run_through_nbgrader_validate(tmp_path):
    """Students' instant feedback: the source passes `nbgrader validate`, the stub does not."""
    hw = "hw01_backprop"

    def validate(path):
        done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=300)
        return done.stdout + done.stderr

    source_out = validate(ROOT / "source" / hw / f"{hw}.ipynb")
    assert "Success! Your notebook passes all the tests." in source_out, source_out[-3000:]
    release_out = validate(ROOT / "release" / hw / f"{hw}.ipynb")
    assert "NOTEBOOK FAILED VALIDATION" in release_out or "failed" in release_out.lower(), release_out[-3000:]
    assert "NotImplementedError" in release_out
