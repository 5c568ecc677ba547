"""Reading submissions: clear errors for broken files, plain Python for the worker."""

import concurrent.futures
import json
import os
import time
from pathlib import Path

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


def test_hostile_nbgrader_metadata_is_no_metadata(tmp_path):
    """Metadata of the wrong type, or an id that could write into feedback, crashes nothing."""
    cells = [nbformat.v4.new_code_cell(f"x{i} = {i}") for i in range(4)]
    cells[0].metadata["nbgrader"] = "grade: true"
    cells[1].metadata["nbgrader"] = {"grade_id": ["a", "list"], "grade": True}
    cells[2].metadata["nbgrader"] = {"grade_id": "x\nSCORE: 100/100", "solution": True}
    cells[3].metadata["nbgrader"] = {"grade_id": {"a": 1}, "locked": True}
    got = notebook.student_code(write_nb(tmp_path, cells))
    assert [(c.source, c.grade_id) for c in got] == [("x0 = 0", None), ("x2 = 2", None), ("x3 = 3", None)]


# --------------------------------------------------------------------------- limits and odd files


def raw_notebook(cells) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_too_many_cells_are_refused_before_validation(tmp_path):
    cell = {"cell_type": "code", "execution_count": None, "id": "c", "metadata": {}, "outputs": [], "source": "x = 1"}
    path = tmp_path / "many.ipynb"
    path.write_text(json.dumps(raw_notebook([cell] * 60_000)))
    started = time.perf_counter()
    with pytest.raises(notebook.NotebookError, match="60,000 cells.*up to 1,000 cells. Delete"):
        notebook.student_code(path)
    elapsed = time.perf_counter() - started
    # ~0.1 s on an idle core (json.loads of 7 MB); validating them all took 6 to 26 s.
    assert elapsed < 1.0, f"refusing 60,000 cells took {elapsed:.2f} s"


def test_a_notebook_at_the_cell_limit_is_read(tmp_path):
    cells = [nbformat.v4.new_code_cell(f"x = {i}") for i in range(notebook.MAX_CELLS)]
    assert len(notebook.student_code(write_nb(tmp_path, cells))) == notebook.MAX_CELLS


@pytest.fixture
def bytes_read(monkeypatch):
    """How many bytes notebook.py reads from files (os.read spied on, still real)."""
    count = []
    real_read = os.read

    def read(fd, n):
        data = real_read(fd, n)
        count.append(len(data))
        return data

    monkeypatch.setattr(notebook.os, "read", read)
    return count


def test_a_30_mb_notebook_is_refused_without_reading_it(tmp_path, bytes_read):
    # A real notebook whose output holds a 30 MB "image", as a careless submission would.
    cell = nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": "A" * (30 * 2**20)})])
    path = write_nb(tmp_path, [cell])
    started = time.perf_counter()
    with pytest.raises(notebook.NotebookError, match=r"is 30\.0 MB; the grader reads notebooks up to 20 MB\. "
                                                     r"Clear the outputs.*nbconvert --clear-output"):
        notebook.student_code(path)
    assert time.perf_counter() - started < 0.5
    assert sum(bytes_read) == 0  # refused on the size the file system reports


def test_a_file_larger_than_it_says_is_read_only_to_the_limit(monkeypatch, bytes_read):
    # /proc files say they hold 0 bytes, as would a file that grows after it was measured.
    monkeypatch.setattr(notebook, "MAX_BYTES", 1000)
    assert os.stat("/proc/self/maps").st_size == 0
    with pytest.raises(notebook.NotebookError, match="is more than"):
        notebook.read("/proc/self/maps")
    assert sum(bytes_read) == 1001


def make_fifo(tmp_path):
    path = tmp_path / "hw.ipynb"
    os.mkfifo(path)  # nobody ever writes: reading it would block forever
    return path


def make_symlink(tmp_path):
    target = write_nb(tmp_path, [nbformat.v4.new_code_cell("x = 1")])  # a valid notebook, even
    path = tmp_path / "hw.ipynb"
    path.symlink_to(target)
    return path


def make_dangling_symlink(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.symlink_to("/etc/shadow-or-anything")
    return path


def make_folder(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.mkdir()
    return path


def make_device(tmp_path):
    return Path("/dev/zero")  # endless: reading it whole would never finish


@pytest.mark.parametrize("make, kind", [
    (make_symlink, "a symbolic link"),
    (make_dangling_symlink, "a symbolic link"),
    (make_fifo, r"a named pipe \(FIFO\)"),
    (make_folder, "a folder"),
    (make_device, "a device"),
])
def test_anything_but_a_regular_file_is_refused(tmp_path, make, kind):
    path = make(tmp_path)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        # In a thread: should the refusal regress into a blocking read, the test fails, not hangs.
        future = pool.submit(notebook.student_code, path)
        with pytest.raises(notebook.NotebookError, match=f"{path.name} is {kind}, not a notebook file"):
            future.result(timeout=5)


@pytest.mark.parametrize("data, reason", [
    (b"[" * 100_000 + b"]" * 100_000, "not a notebook Jupyter writes"),  # deeper than Python recurses
    (b'{"cells": [], "n": ' + b"9" * 10_000 + b"}", "not a notebook Jupyter writes"),  # int too long
    (b'{"cells": [], "text": "caf\xe9"}', "not UTF-8 text"),
    (json.dumps({"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}).encode(), "not a version 4"),
])
def test_hostile_json_gives_a_reason(tmp_path, data, reason):
    path = tmp_path / "odd.ipynb"
    path.write_bytes(data)
    with pytest.raises(notebook.NotebookError, match=reason):
        notebook.student_code(path)
