"""Reading submissions: clear errors for broken files, plain Python for the worker."""

import json

import nbformat
import pytest

from hw_utils import notebook


def write_nb(tmp_path, cells):
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("text, reason", [
    ("not json {", "not valid JSON"),
    ('{"cells": 3', "not valid JSON"),
    ("[1, 2]", "not a Jupyter notebook"),
    ('{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "not a valid notebook"),
])
def test_broken_files_give_a_reason(tmp_path, text, reason):
    path = tmp_path / "broken.ipynb"
    path.write_text(text)
    with pytest.raises(notebook.NotebookError, match=reason):
        notebook.student_code(path)


def test_missing_file(tmp_path):
    with pytest.raises(notebook.NotebookError, match="no such file"):
        notebook.read(tmp_path / "absent.ipynb")


def test_magics_and_shell_lines_are_neutralised(tmp_path):
    path = write_nb(tmp_path, [nbformat.v4.new_code_cell("%matplotlib inline\nfor i in range(2):\n    !ls\nx = 1")])
    (cell,) = notebook.student_code(path)
    assert notebook.syntax_error(cell.source) is None
    namespace = {}
    exec(cell.source, namespace)
    assert namespace["x"] == 1


def test_public_check_cells_are_not_run_from_the_submission(tmp_path):
    check = nbformat.v4.new_code_cell("assert True")
    check.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 0,
                                  "grade_id": "check", "schema_version": 3}
    path = write_nb(tmp_path, [nbformat.v4.new_code_cell("x = 1"), check])
    cells = notebook.student_code(path)
    assert [c.source for c in cells] == ["x = 1"]
    assert json.loads(path.read_text())["cells"][1]["metadata"]["nbgrader"]["grade"] is True


def test_writefile_cells_are_scripts_kept_verbatim(tmp_path):
    script = "%%writefile task1_cnn.py\nimport sys\n%not_a_magic_in_a_file = 1\nprint(sys.argv)\n"
    path = write_nb(tmp_path, [nbformat.v4.new_code_cell(script), nbformat.v4.new_code_cell("x = 1")])
    cells = notebook.student_code(path)
    assert notebook.scripts(cells) == {"task1_cnn.py": script.partition("\n")[2]}
    assert [c.script for c in cells] == ["task1_cnn.py", None]


@pytest.mark.parametrize("target", ["../evil.py", "/tmp/x.py", "-a task.py", "dir/task.py"])
def test_writefile_outside_the_worker_folder_is_refused(tmp_path, target):
    path = write_nb(tmp_path, [nbformat.v4.new_code_cell(f"%%writefile {target}\nprint(1)\n")])
    with pytest.raises(notebook.NotebookError, match="plain file name"):
        notebook.student_code(path)
