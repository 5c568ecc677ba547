"""release/ is exactly what nbgrader makes of source/, and leaks nothing."""

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
def test_release_is_generated_from_source_byte_for_byte(hw, tmp_path):
    fresh = release.generate_fresh(hw, scratch=tmp_path / "course")
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


# --------------------------------------------------------------------------- hw release in a scratch course
# Every test below works on a copy of the course (source, release, nbgrader config) under
# tmp_path: the committed release/ is never written.

import hashlib
import json
import os
import shutil

from hw_utils import cli

HW = "hw01_backprop"


@pytest.fixture
def course(tmp_path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(ROOT / "source" / HW, root / "source" / HW)
    shutil.copytree(ROOT / "release" / HW, root / "release" / HW)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    return root


def source_path(root: Path) -> Path:
    return root / "source" / HW / f"{HW}.ipynb"


def edit_source(root: Path, change) -> None:
    nb = json.loads(source_path(root).read_text())
    change(nb)
    source_path(root).write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def index_of(nb: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def meta(nb: dict, grade_id: str) -> dict:
    return nb["cells"][index_of(nb, grade_id)]["metadata"]["nbgrader"]


def set_source(nb: dict, grade_id: str, text: str) -> None:
    nb["cells"][index_of(nb, grade_id)]["source"] = text


def source_text(nb: dict, grade_id: str) -> str:
    return "".join(nb["cells"][index_of(nb, grade_id)]["source"])


def release_in(root: Path, capsys) -> tuple[int, str, str]:
    code = release.cmd_release([HW], root)
    out, err = capsys.readouterr()
    return code, out, err


def no_scratch_left(root: Path) -> bool:
    leftovers = [p.name for p in (root / "release").iterdir() if p.name != HW]
    return not leftovers and not any((root / "build").iterdir())


# Each misconfiguration: how the instructor got the cell wrong, then what the one line must say:
# the cell (its grade_id, or index and first line) and the fix.
MISCONFIGURED = {
    "graded cell without points": (
        lambda nb: meta(nb, "check_sigmoid").pop("points"), ["cell 6 (check_sigmoid)", 'add "points": 0']),
    "duplicate grade_id": (
        lambda nb: meta(nb, "neuron_forward").update(grade_id="sigmoid"),
        ["cell 7 (sigmoid)", "also cell 5's", "grade_id of its own"]),
    "solution code cell without markers": (
        lambda nb: set_source(nb, "sigmoid", source_text(nb, "sigmoid").replace("### BEGIN SOLUTION", "")
                              .replace("### END SOLUTION", "")),
        ["cell 5 (sigmoid)", "put the markers around the answer"]),
    "BEGIN SOLUTION without END": (
        lambda nb: set_source(nb, "sigmoid", source_text(nb, "sigmoid").replace("### END SOLUTION", "")),
        ["cell 5 (sigmoid)", "every ### BEGIN SOLUTION needs its own ### END SOLUTION"]),
    "solution markers in a locked given cell": (
        lambda nb: set_source(nb, "given_322", "### BEGIN SOLUTION\nX_322 = 1\n### END SOLUTION\n"),
        ["cell 11 (given_322)", '"solution": true', "or remove the markers"]),
    "graded cell without grade_id": (
        lambda nb: meta(nb, "check_sigmoid").pop("grade_id"),
        ['cell 6 ("# Public check: sigmoid")', 'add one, unique in the notebook']),
    "grade_id with a space": (
        lambda nb: meta(nb, "check_sigmoid").update(grade_id="check sigmoid"),
        ['cell 6 ("# Public check: sigmoid")', "rename it"]),
    "locked solution cell": (
        lambda nb: meta(nb, "sigmoid").update(locked=True), ["cell 5 (sigmoid)", 'set "locked": false']),
    "duplicated cell id": (
        lambda nb: nb["cells"][6].update(id=nb["cells"][5]["id"]),
        ["cell 6 (check_sigmoid)", "also cell 5's", "delete this cell's \"id\""]),
    "invalid cell id": (
        lambda nb: nb["cells"][6].update(id="a b"), ["cell 6 (check_sigmoid)", "delete its \"id\""]),
    "metadata without schema_version": (
        lambda nb: meta(nb, "check_sigmoid").pop("schema_version"),
        ["cell 6 (check_sigmoid)", 'add "schema_version": 3']),
    "unknown metadata key": (
        lambda nb: meta(nb, "check_sigmoid").update(point=1), ["cell 6 (check_sigmoid)", "'point'", "remove them"]),
    "negative points": (
        lambda nb: meta(nb, "check_sigmoid").update(points=-1), ["cell 6 (check_sigmoid)", "a number >= 0"]),
    "graded markdown that is no solution": (
        lambda nb: meta(nb, "md_title").update(grade=True, points=1),
        ["cell 0 (md_title)", 'set both "grade" and "solution" to true']),
    "skip-in-grading on a solution cell": (
        lambda nb: nb["cells"][5]["metadata"].update(tags=["skip-in-grading"]),
        ["cell 5 (sigmoid)", "skip-in-grading", "remove the tag"]),
    "hidden tests in the notebook": (
        lambda nb: set_source(nb, "check_sigmoid", "### BEGIN HIDDEN TESTS\nassert True\n"),
        ["cell 6 (check_sigmoid)", "grader_tests/<hw>/"]),
    "markdown cell with outputs": (
        lambda nb: nb["cells"][0].update(outputs=[]), ["cell 0 (md_title)", "'outputs' was unexpected"]),
}


@pytest.mark.parametrize("case", MISCONFIGURED)
def test_a_misconfigured_cell_is_one_line_naming_it_and_the_fix(course, capsys, case):
    change, expected = MISCONFIGURED[case]
    before = files_under(course / "release")
    edit_source(course, change)
    edited = source_path(course).read_bytes()
    code, out, err = release_in(course, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"hw release: source/{HW}/{HW}.ipynb cell "), err
    for fragment in expected:
        assert fragment in err, err
    assert files_under(course / "release") == before
    assert source_path(course).read_bytes() == edited  # nothing written into the source either


def test_invalid_json_names_line_and_column(course, capsys):
    before = files_under(course / "release")
    text = source_path(course).read_text()
    assert '"cell_type": "markdown",\n' in text
    source_path(course).write_text(text.replace('"cell_type": "markdown",\n', '"cell_type": "markdown"\n', 1))
    code, _, err = release_in(course, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "is not valid JSON (line " in err and "column" in err and "undo the hand edit" in err
    assert files_under(course / "release") == before


def test_nbgrader_failure_is_one_line_and_leaves_the_release(course, capsys):
    """An error only nbgrader finds: its last error line, no traceback; the release byte-identical."""
    before = files_under(course / "release")
    edit_source(course, lambda nb: nb["metadata"]["kernelspec"].update(language="julia"))
    code, _, err = release_in(course, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "nbgrader could not generate hw01_backprop: ValueError: language 'julia'" in err
    assert f"release/{HW} is unchanged" in err
    assert files_under(course / "release") == before
    assert no_scratch_left(course)


def test_nbgrader_error_names_the_cell_it_shows(course):
    """Past the checks (generate_fresh skips them), nbgrader's 'Cell contents are:' names the cell."""
    edit_source(course, lambda nb: set_source(nb, "given_322", "### BEGIN SOLUTION\nX = 1\n### END SOLUTION\n"))
    with pytest.raises(release.ReleaseError) as err:
        release.generate_fresh(HW, course, course / "scratch")
    line = str(err.value)
    assert "\n" not in line and "in cell 11 (given_322): RuntimeError: Solution region detected" in line


def test_a_release_swaps_in_the_new_folder_and_leaves_nothing_behind(course, capsys):
    edit_source(course, lambda nb: nb["cells"][0]["source"].append("\nA new line.\n"))
    code, out, err = release_in(course, capsys)
    assert (code, err) == (0, "")
    assert "A new line." in (course / "release" / HW / f"{HW}.ipynb").read_text()
    assert out.strip() == f"released {HW} -> release/{HW}"
    assert no_scratch_left(course)


def test_cells_without_ids_get_stable_ids_and_identical_releases(course, capsys):
    original = json.loads(source_path(course).read_text())
    ids_before = {i: c["id"] for i, c in enumerate(original["cells"])}

    def add_idless_cells(nb):
        del nb["cells"][5]["id"]  # a solution cell (grade_id sigmoid) whose id was lost in a hand edit
        nb["cells"].insert(1, {"cell_type": "markdown", "metadata": {}, "source": "A new note."})

    edit_source(course, add_idless_cells)
    code, out, err = release_in(course, capsys)
    assert (code, err) == (0, ""), err
    assert "gave 2 cell(s) without an id a stable one (cells 1, 6)" in out
    first = files_under(course / "release")
    given = json.loads(source_path(course).read_text())
    assert given["cells"][6]["id"] == hashlib.sha1(b"sigmoid").hexdigest()[:8]  # from its grade_id
    new_id = given["cells"][1]["id"]
    assert len({c["id"] for c in given["cells"]}) == len(given["cells"])
    # Every other cell keeps its id (indices past the inserted cell moved by one).
    assert {i: c["id"] for i, c in enumerate(given["cells"]) if i not in (1, 6)} == \
        {i + (i >= 1): v for i, v in ids_before.items() if i != 5}
    code, out, _ = release_in(course, capsys)
    assert code == 0 and "gave" not in out  # the ids are in the source now
    assert files_under(course / "release") == first
    assert json.loads(source_path(course).read_text())["cells"][1]["id"] == new_id
    # ... and the release is what nbgrader itself makes of the updated source.
    assert files_under(release.generate_fresh(HW, course, course / "check")) == files_under(course / "release" / HW)


def test_stable_ids_depend_on_the_cell_not_on_chance():
    def notebook():
        return {"nbformat": 4, "nbformat_minor": 5, "cells": [
            {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "q1"}}, "source": "x"},
            {"cell_type": "markdown", "metadata": {}, "source": "same"},
            {"cell_type": "markdown", "metadata": {}, "source": "same"},
            {"cell_type": "markdown", "id": hashlib.sha1(b"q2").hexdigest()[:8], "metadata": {}, "source": ""},
            {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "q2"}}, "source": "y"}]}
    a, b = notebook(), notebook()
    assert release.stable_ids(a, "hw") == [0, 1, 2, 4]
    release.stable_ids(b, "hw")
    assert [c["id"] for c in a["cells"]] == [c["id"] for c in b["cells"]]
    assert len({c["id"] for c in a["cells"]}) == 5  # identical cells and a clash with an existing id
    assert a["cells"][3]["id"] == hashlib.sha1(b"q2").hexdigest()[:8]  # an existing id is never changed
    old = {"nbformat": 4, "nbformat_minor": 4, "cells": [{"cell_type": "markdown", "metadata": {}, "source": ""}]}
    assert release.stable_ids(old, "hw") == [] and "id" not in old["cells"][0]  # 4.4 has no ids


def test_an_interrupted_swap_leaves_the_old_release_and_is_recovered(course, monkeypatch, tmp_path):
    """Where the one-step exchange is missing: a crash between the two renames, then recovery."""
    dest = course / "release" / HW
    before = files_under(dest)
    new = tmp_path / "course" / "new"
    new.mkdir()
    (new / f"{HW}.ipynb").write_text("new")
    monkeypatch.setattr(release, "exchange", lambda a, b: False)
    renames, real_rename = [], os.rename

    def crash_on_second(src, dst):
        renames.append(src)
        if len(renames) == 2:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(release.os, "rename", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        release.swap_in(new, dest)
    monkeypatch.undo()
    assert not dest.exists() and files_under(release.backup_of(dest)) == before
    release.recover(dest)
    assert files_under(dest) == before and not release.backup_of(dest).exists()


def test_the_fallback_swap_replaces_the_release(course, monkeypatch, capsys):
    monkeypatch.setattr(release, "exchange", lambda a, b: False)
    edit_source(course, lambda nb: nb["cells"][0]["source"].append("\nFallback.\n"))
    code, _, err = release_in(course, capsys)
    assert (code, err) == (0, "")
    assert "Fallback." in (course / "release" / HW / f"{HW}.ipynb").read_text()
    assert no_scratch_left(course)


def test_hw_release_unknown_homework_is_exit_2_and_releases_nothing(capsys):
    assert cli.main(["release", HW, "hw99_nope"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines() == [err.strip()] and "unknown homework 'hw99_nope'" in err


def test_hw_samples_writes_reference_blank_and_partial(tmp_path, capsys):
    assert cli.main(["samples", HW, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    paths = {line.split(": ", 1)[0]: Path(line.split(": ", 1)[1]) for line in out}
    assert set(paths) == {"reference", "blank", "partial"}
    for student, path in paths.items():
        assert path == tmp_path / student / HW / f"{HW}.ipynb" and path.is_file()
    notebooks = {s: nbformat.read(p, as_version=4) for s, p in paths.items()}
    solved = [sum("NotImplementedError" not in c.source for c in samples.solution_cells(notebooks[s]))
              for s in ("reference", "partial", "blank")]
    assert solved[0] > solved[1] > solved[2] == 0


def test_hw_samples_unknown_homework_is_exit_2_one_line(tmp_path, capsys):
    assert cli.main(["samples", "hw99_nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unknown homework 'hw99_nope'" in err
    assert not any(tmp_path.iterdir())
