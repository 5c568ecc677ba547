"""Given (locked) cells run as the instructor wrote them, whatever the submission did to them.

The source notebook decides which cells are given (nbgrader: locked, neither solution nor
check), by grade_id; the submission's text and metadata for them are never run.
"""

import nbformat
import pytest

import corpus
from hw_utils import grading, notebook, results, sandbox

HW = "hw01_backprop"  # given cells: setup_imports (cell 3), given_322 (cell 11), given_digits, demos
HOMEWORKS = ["hw00_basics", "hw01_backprop", "hw02_init", "hw03_mlp", "hw04_cnn", "hw05_optim", "hw06_regularization", "hw07_rnn", "hw08_autoencoders", "hw09_challenge"]


def source_cells(hw=HW):
    return notebook.source_cells(grading.source_notebook(hw))


def submit(tmp_path, nb, name="submission.ipynb"):
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def cell_with_id(nb, grade_id):
    return next(c for c in nb.cells if notebook.grade_id(c) == grade_id)


@pytest.fixture
def run():
    """run(cells): a real worker that ran the cells up to Part B's first solution; closed after the test.

    (Part B is where given_322 lives; what comes later costs time and proves nothing more.)
    """
    workers = []

    def start(cells):
        ids = [c.grade_id for c in cells]
        worker = sandbox.Worker(cells[:ids.index("net322_forward")])
        load = worker.start()
        workers.append(worker)
        assert not load.errors and load.fatal is None, load.summary()
        return sandbox.Student(worker)

    yield start
    for worker in workers:
        worker.close()


def test_which_cells_are_given_is_read_from_the_source():
    given = source_cells()
    assert sorted(given.given) == ["demo_322", "demo_compare", "demo_gradcheck", "demo_torch_train",
                                   "demo_train", "given_322", "given_digits", "setup_imports"]
    assert {"check_sigmoid", "check_train_mlp"} <= given.checks
    assert not given.checks & set(given.given)
    assert {"sigmoid", "train_mlp"}.isdisjoint(given.given)  # solution cells are the student's


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_reference_and_blank_notebooks_get_no_note(hw):
    for path in (corpus.source_path(hw), corpus.release_path(hw)):
        cells = notebook.student_code(path, source_cells(hw))
        assert notebook.given_cell_notes(cells) == [], path
        assert not any(c.given_change for c in cells)


def test_an_edited_given_cell_runs_as_the_instructor_wrote_it(tmp_path, run):
    nb = corpus.load(corpus.source_path(HW))
    corpus.edit_cell(nb, "given_322", "X_322 = np.array([1.0, 4.0, 5.0])",
                     "X_322 = np.array([0.0, 0.0, 0.0])\nEDITED = True")
    # Claiming, in the metadata, that the cell is the student's to change does not help either.
    cell_with_id(nb, "given_322").metadata["nbgrader"].update(solution=True, locked=False)
    cells = notebook.student_code(submit(tmp_path, nb), source_cells())

    student = run(cells)
    assert student.X_322.tolist() == [1.0, 4.0, 5.0]
    with pytest.raises(sandbox.StudentError, match="EDITED"):
        student.EDITED
    assert notebook.given_cell_notes(cells) == ["cell 11 (given_322) was edited; the grader ran the original "
                                                "given cell instead (given cells cannot be changed)."]


def test_a_deleted_given_cell_is_put_back_in_its_place(tmp_path, run):
    nb = corpus.load(corpus.source_path(HW))
    nb.cells = [c for c in nb.cells if notebook.grade_id(c) not in ("given_322", "setup_imports")]
    cells = notebook.student_code(submit(tmp_path, nb), source_cells())

    ids = [c.grade_id for c in cells]
    # setup_imports had nothing before it: first. given_322 follows neuron_backward (the public
    # check between them is never run from a submission).
    assert ids[:5] == ["setup_imports", "sigmoid", "neuron_forward", "neuron_backward", "given_322"]
    assert [c.index for c in cells[:1]] == [3] and cells[4].index == 11  # their numbers in the release
    assert {c.grade_id: c.given_change for c in cells if c.given_change} == {
        "setup_imports": "restored", "given_322": "restored"}
    assert run(cells).PARAMS_322["W2"].tolist() == [[0.7, 0.9], [0.8, 0.1]]
    notes = notebook.given_cell_notes(cells)
    assert notes[1] == ("given cell given_322 (cell 11 of the released notebook) is missing (deleted, or its "
                        "grade_id changed); the grader put the original back and ran it.")


def test_a_renamed_given_cell_is_restored_and_the_copy_runs_as_the_students(tmp_path, run):
    nb = corpus.load(corpus.source_path(HW))
    copy = cell_with_id(nb, "given_322")
    copy.metadata["nbgrader"]["grade_id"] = "my_322"
    copy.source += "\nCOPY_RAN = True"
    cells = notebook.student_code(submit(tmp_path, nb), source_cells())

    ids = [c.grade_id for c in cells]
    assert ids[ids.index("neuron_backward") + 1:][:3] == ["given_322", "my_322", "net322_forward"]
    restored = cells[ids.index("given_322")]
    assert restored.given_change == "restored" and "COPY_RAN" not in restored.source
    assert cells[ids.index("my_322")].given_change is None
    assert run(cells).COPY_RAN is True
    assert [n.split(" is missing")[0] for n in notebook.given_cell_notes(cells)] == [
        "given cell given_322 (cell 11 of the released notebook)"]


def test_a_given_cell_kept_twice_runs_the_original_both_times(tmp_path):
    nb = corpus.load(corpus.source_path(HW))
    twin = nbformat.from_dict(cell_with_id(nb, "given_322"))
    twin.source, twin.id = "X_322 = 'mine'", "twin"
    nb.cells.insert(50, twin)
    cells = notebook.student_code(submit(tmp_path, nb), source_cells())
    twins = [c for c in cells if c.grade_id == "given_322"]
    assert [c.source for c in twins] == [source_cells().given["given_322"].source] * 2
    assert [c.given_change for c in twins] == [None, "edited"]


def test_writefile_given_cells_are_restored_as_written(tmp_path):
    """A given `%%writefile` cell: the file the grader writes is the instructor's, name and all."""
    def given(grade_id, source):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                     "grade_id": grade_id, "schema_version": 3}
        return cell

    helper = "%%writefile helper.py\ndef scale(x):\n    return 2 * x\n"
    source_path = submit(tmp_path, nbformat.v4.new_notebook(cells=[
        given("imports", "import math"), given("helper", helper), nbformat.v4.new_code_cell("y = 1")]),
        name="source.ipynb")
    source = notebook.source_cells(source_path)

    renamed = submit(tmp_path, nbformat.v4.new_notebook(cells=[
        given("imports", "import math"), given("helper", "%%writefile other.py\ndef scale(x):\n    return 100\n")]))
    cells = notebook.student_code(renamed, source)
    assert notebook.scripts(cells) == {"helper.py": "def scale(x):\n    return 2 * x\n"}
    assert cells[1].given_change == "edited"

    deleted = submit(tmp_path, nbformat.v4.new_notebook(cells=[given("imports", "import math")]))
    cells = notebook.student_code(deleted, source)
    assert [(c.grade_id, c.script, c.given_change) for c in cells] == [
        ("imports", None, None), ("helper", "helper.py", "restored")]


def test_editing_a_given_helper_no_longer_buys_points(tmp_path):
    """Real grading. hw03's given Workbench records (train mode, grad enabled) per loss call; a
    trainer that evaluates with gradients on, plus a Workbench edited to record train mode twice,
    passed test_eval_mode_and_no_grad (2 points) when given cells ran from the submission."""
    nb = corpus.load(corpus.source_path("hw03_mlp"))
    corpus.edit_cell(nb, "trainer", "with torch.no_grad():", "if True:")
    corpus.edit_cell(nb, "workbench", "self.calls.append((self.model.training, torch.is_grad_enabled(), len(y)))",
                     "self.calls.append((self.model.training, self.model.training, len(y)))")
    grade = grading.grade("hw03_mlp", submit(tmp_path, nb), ("-k", "test_eval_mode_and_no_grad"))

    (test,) = grade.tests
    assert test.status == "failed" and "(False, True)" in test.output
    note = "cell 13 (workbench) was edited; the grader ran the original given cell instead"
    assert note in grade.load_problems
    assert note in results.feedback_text(grade)


def test_redefining_a_given_helper_in_a_later_cell_buys_nothing_either(tmp_path):
    """The same cheat without touching the given cell: the trainer's own cell redefines Workbench.
    After the notebook runs, the helpers given cells defined are bound again as written."""
    nb = corpus.load(corpus.source_path("hw03_mlp"))
    corpus.edit_cell(nb, "trainer", "with torch.no_grad():", "if True:")
    workbench = cell_with_id(nb, "workbench").source.replace(
        "self.calls.append((self.model.training, torch.is_grad_enabled(), len(y)))",
        "self.calls.append((self.model.training, self.model.training, len(y)))")
    assert workbench != cell_with_id(nb, "workbench").source
    cell_with_id(nb, "network_user").source += "\n\n" + workbench  # a solution cell after the given one
    grade = grading.grade("hw03_mlp", submit(tmp_path, nb), ("-k", "test_eval_mode_and_no_grad"))
    (test,) = grade.tests
    assert test.status == "failed" and "(False, True)" in test.output


def test_metadata_cannot_take_a_solution_out_of_grading_nor_put_a_check_in(tmp_path):
    nb = corpus.load(corpus.source_path(HW))
    # A solution cell dressed as a public check still runs; a check dressed as a solution does not.
    cell_with_id(nb, "sigmoid").metadata["nbgrader"].update(grade=True, solution=False, locked=True)
    cell_with_id(nb, "check_sigmoid").metadata["nbgrader"].update(grade=False, solution=True, locked=False)
    ids = [c.grade_id for c in notebook.student_code(submit(tmp_path, nb), source_cells())]
    assert "sigmoid" in ids and "check_sigmoid" not in ids
