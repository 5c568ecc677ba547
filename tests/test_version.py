"""The grader's version (version.py): what changes it, and what does not."""

import shutil

import nbformat

from hw_utils import course, notebook, version

HW = "hw02_init"


def _version() -> str:
    version.grader_version.cache_clear()
    try:
        return version.grader_version(HW)
    finally:
        version.grader_version.cache_clear()


def _edited_source(tmp_path, monkeypatch, pick) -> None:
    nb = nbformat.read(course.source_notebook(HW), as_version=4)
    cell = next(c for c in nb.cells if pick(c))
    cell.source += "\n# edited"
    copy = tmp_path / f"{HW}.ipynb"
    nbformat.write(nb, copy)
    monkeypatch.setattr(course, "source_notebook", lambda hw, root=None: copy)


def test_the_version_is_stable_and_only_the_hidden_tests_contents_count(tmp_path, monkeypatch):
    before = _version()
    assert before == _version() and len(before) == version.LENGTH
    copy = tmp_path / "grader_tests"
    shutil.copytree(course.GRADER_TESTS / HW, copy / HW, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / HW / "__pycache__").mkdir(exist_ok=True)
    (copy / HW / "__pycache__" / "x.pyc").write_bytes(b"bytecode is not the grader")
    monkeypatch.setattr(course, "GRADER_TESTS", copy)
    assert _version() == before
    (copy / HW / "conftest_extra.py").write_text("# a new file in the hidden tests\n")
    assert _version() != before


def test_a_given_cell_changes_the_version_a_solution_cell_does_not(tmp_path, monkeypatch):
    before = _version()
    _edited_source(tmp_path, monkeypatch, lambda c: notebook.nbgrader_meta(c).get("solution"))
    assert _version() == before, "the solutions are not the grader"
    _edited_source(tmp_path, monkeypatch, notebook.is_given_cell)
    assert _version() != before, "the grader runs the source's given cells"


def test_a_cell_that_becomes_display_only_changes_the_version(tmp_path, monkeypatch):
    before = _version()
    nb = nbformat.read(course.source_notebook(HW), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and notebook.nbgrader_meta(c).get("solution"))
    cell.metadata["tags"] = [notebook.SKIP_TAG]  # the grader would now skip this cell
    copy = tmp_path / f"{HW}.ipynb"
    nbformat.write(nb, copy)
    monkeypatch.setattr(course, "source_notebook", lambda hw, root=None: copy)
    assert _version() != before
