"""The grading plugin in-process, on hidden tests written for each case with pytester.

Whole homeworks are graded elsewhere (test_hw01_grading.py, test_discrimination.py); here
each rule of the plugin has a small test file of its own: what a test scores, what counts
as skipped, what a failing teardown changes, what a student reads (never the test's code),
what `measure` records, and which marker arguments are refused before anything runs.
Most cases need no student code; the few that do grade hw01's blank release.
"""

import os

import pytest

from hw_utils import course, grading, results

pytest_plugins = ["pytester"]

HW = "hw01_backprop"  # the folder name is the homework id: its source decides the given cells
# pytester points HOME at its folder; workers (and a forkserver started now) get the real one,
# which they hide, and the training data cached below it.
HOME = os.path.expanduser("~")


@pytest.fixture
def hidden(pytester, monkeypatch):
    """hidden(code, submission=None, *args) -> Grade: `code` as the hidden tests of HW, graded."""
    monkeypatch.setenv("HOME", HOME)
    monkeypatch.delenv(course.GPU_TIER_ENV, raising=False)
    folder = pytester.mkdir(HW)

    def grade(code: str, submission=None, *args: str):
        (folder / "test_hidden.py").write_text(code)
        return grading.grade(HW, submission or course.source_notebook(HW), args, tests=folder)

    return grade


def by_name(grade) -> dict:
    return {t.name.split("::")[-1]: t for t in grade.tests}


SCORING = """
import pytest

def test_default():
    pass

@pytest.mark.points(3)
def test_three():
    pass

@pytest.mark.points(2)
def test_failed():
    assert 1 + 1 == 3, "1 + 1: expected 3, got 2"

@pytest.mark.points(0.5)
def test_half():
    pass

@pytest.mark.points(4)
def test_skipped():
    pytest.skip("needs the full dataset")

@pytest.mark.public
def test_public():
    pass
"""


def test_points_score_what_passes_and_skips_are_worth_nothing(hidden):
    grade = hidden(SCORING)
    tests = by_name(grade)
    assert {name: (t.status, t.score, t.max_score) for name, t in tests.items()} == {
        "test_default": ("passed", 1.0, 1.0),
        "test_three": ("passed", 3.0, 3.0),
        "test_failed": ("failed", 0.0, 2.0),
        "test_half": ("passed", 0.5, 0.5),
        "test_skipped": ("skipped", 0.0, 4.0),
        "test_public": ("passed", 1.0, 1.0),
    }
    assert (grade.score, grade.max_score) == (5.5, 7.5)  # the skipped 4 points are not available
    assert tests["test_skipped"].output == "needs the full dataset"
    assert [name for name, t in tests.items() if t.public] == ["test_public"]
    assert grade.tests[0].name == "test_hidden::test_default"  # file::test, never a path
    assert results.results_json(grade)["tests"][4] == {
        "name": "Skipped", "number": "1.5", "score": 0.0, "max_score": 0.0,
        "output": "skipped: needs the full dataset", "visibility": "visible",
        "extra_data": {"id": "test_hidden::test_skipped"}}


LABELS = '''"""Part B: what students read about each test."""
import pytest

def test_first():
    """Checks the first
    thing.

    More detail that is not part of the description."""
    assert False, "no"

@pytest.mark.public
@pytest.mark.accuracy
def test_second_thing():
    pass

@pytest.mark.parametrize("kind", ["relu", "tanh"])
def test_layer(kind):
    pass
'''


def test_tests_get_readable_names_numbers_tags_and_visibility(hidden):
    data = results.results_json(hidden(LABELS), hidden_tests="after_due_date")
    assert [(t["number"], t["name"], t["tags"], t["visibility"], t["extra_data"]["id"]) for t in data["tests"]] == [
        ("1.1", "Part B: first", ["Part B"], "after_due_date", "test_hidden::test_first"),
        ("1.2", "Part B: second thing", ["Part B", "public", "accuracy"], "visible", "test_hidden::test_second_thing"),
        ("1.3", "Part B: layer (relu)", ["Part B"], "after_due_date", "test_hidden::test_layer[relu]"),
        ("1.4", "Part B: layer (tanh)", ["Part B"], "after_due_date", "test_hidden::test_layer[tanh]"),
    ]
    # A failed test says what it checks, from its docstring's first paragraph only.
    assert data["tests"][0]["output"] == "AssertionError: no\n\nWhat this test checks: Checks the first thing."
    assert data["tests"][1]["output"] == ""  # passed: nothing to explain
    # Numbered before -k deselects: a test keeps its number in any selection.
    assert [t.number for t in hidden(LABELS, None, "-k", "layer").tests] == ["1.3", "1.4"]


def test_titles_that_collide_are_told_apart_by_their_file(hidden, pytester):
    pytester.path.joinpath(HW, "test_other.py").write_text('"""Part A: another file."""\ndef test_first():\n    pass\n')
    titles = [t.title for t in hidden(LABELS.replace("Part B", "Part A")).tests]
    assert titles[0] == "Part A: first (hidden)" and "Part A: first (other)" in titles


GPU = """
import pytest

@pytest.mark.gpu
@pytest.mark.points(3)
def test_full_dataset():
    pass
"""


@pytest.mark.skipif(course.gpu_tier(), reason="this machine runs the gpu tier")
def test_gpu_marker_skips_without_cuda(hidden):
    [test] = hidden(GPU).tests
    assert (test.status, test.score, test.output) == ("skipped", 0.0, "gpu tier: needs CUDA (runs on GPU runners)")


def test_gpu_marker_runs_with_the_gpu_tier_forced(hidden, monkeypatch):
    monkeypatch.setenv(course.GPU_TIER_ENV, "1")
    [test] = hidden(GPU).tests
    assert (test.status, test.score) == ("passed", 3.0)


TEARDOWN = """
import pytest

@pytest.fixture
def breaks_on_teardown():
    yield
    raise RuntimeError("cleanup failed")

@pytest.fixture
def breaks_on_setup():
    raise RuntimeError("setup failed")

@pytest.mark.points(2)
def test_passes(breaks_on_teardown):
    pass

@pytest.mark.points(2)
def test_fails(breaks_on_teardown):
    assert False, "wrong answer"

@pytest.mark.points(2)
def test_never_runs(breaks_on_setup):
    pass
"""


def test_a_failing_teardown_leaves_the_verdict_on_the_test(hidden):
    grade = hidden(TEARDOWN)
    assert [(t.name.split("::")[-1], t.status, t.score, t.output) for t in grade.tests] == [
        ("test_passes", "passed", 2.0, ""),
        ("test_fails", "failed", 0.0, "AssertionError: wrong answer"),  # one result, not two
        ("test_never_runs", "failed", 0.0, "RuntimeError: setup failed"),
    ]


MESSAGES = """
import pytest

SOLUTION = "SECRET_SOLUTION_TEXT"

def test_plain_assert():
    assert SOLUTION == "something else"

def test_assert_with_message():
    assert SOLUTION.lower() == SOLUTION, "expected lower case, got mixed case"

def test_raises():
    int(SOLUTION)

def test_fail():
    pytest.fail("exactly this message, SECRET_SOLUTION_TEXT excepted", pytrace=False)
"""


def test_messages_are_the_tests_words_never_their_code(hidden):
    grade = hidden(MESSAGES)
    outputs = {name: t.output for name, t in by_name(grade).items()}
    assert outputs == {
        "test_plain_assert": "AssertionError",  # --assert=plain: no comparison quoted
        "test_assert_with_message": "AssertionError: expected lower case, got mixed case",
        "test_raises": "ValueError: invalid literal for int() with base 10: 'SECRET_SOLUTION_TEXT'",
        "test_fail": "exactly this message, SECRET_SOLUTION_TEXT excepted",
    }
    feedback = results.feedback_text(grade)
    for code in ("SOLUTION ==", "SOLUTION.lower()", "int(SOLUTION)", "pytest.fail", "test_hidden.py"):
        assert code not in feedback and code not in str(results.results_json(grade)), code


MEASURE = """
import pytest

@pytest.mark.accuracy
def test_clears_the_bar(measure, seed):
    measure("accuracy", 0.93124, 0.9)
    measure("seed", seed)

@pytest.mark.accuracy
def test_misses_the_bar(measure):
    measure("accuracy", 0.5, 0.9)
    assert 0.5 >= 0.9, "accuracy 0.5 on 1,000 test images: expected at least 0.9"
"""


def test_measure_shows_in_the_output_and_the_result(hidden):
    tests = by_name(hidden(MEASURE, None, "--seed=3"))
    passed, failed = tests["test_clears_the_bar"], tests["test_misses_the_bar"]
    assert passed.output == "accuracy: 0.9312 (needs 0.9); seed: 3"
    assert passed.measured == {"accuracy": 0.93124, "seed": 3.0}
    assert failed.output == "AssertionError: accuracy 0.5 on 1,000 test images: expected at least 0.9"
    assert failed.measured == {"accuracy": 0.5}


@pytest.mark.parametrize("marker, written", [
    ("points(n=2)", "points(n=2)"),
    ("points(0)", "points(0)"),
    ("points(-1)", "points(-1)"),
    ("points('2')", "points('2')"),
    ("points(True)", "points(True)"),
    ("points(float('nan'))", "points(nan)"),
    ("points()", "points()"),
    ("points(1, 2)", "points(1, 2)"),
    ("call_timeout(0)", "call_timeout(0)"),
    ("call_timeout(s=600)", "call_timeout(s=600)"),
])
def test_marker_arguments_are_checked_before_anything_runs(hidden, marker, written):
    code = f"import pytest\n\n@pytest.mark.{marker}\ndef test_marked():\n    raise SystemExit('ran')\n"
    with pytest.raises(RuntimeError) as raised:
        hidden(code)
    first_line = str(raised.value).splitlines()[0]
    assert "test_hidden.py::test_marked" in first_line and f"@pytest.mark.{written} is not valid" in first_line


def test_a_misspelt_marker_is_an_error_not_a_one_point_test(hidden):
    with pytest.raises(RuntimeError, match=r"test_hidden.py: 'pointz' not found in `markers`"):
        hidden("import pytest\n\n@pytest.mark.pointz(2)\ndef test_marked():\n    pass\n")


def test_marker_errors_on_the_command_line_name_the_test(pytester):
    pytester.makepyfile(test_marked="import pytest\n\n@pytest.mark.points(n=2)\ndef test_x():\n    pass\n")
    run = pytester.runpytest_inprocess("-p", "hw_utils.grading", "-c", str(course.GRADER_INI),
                                       "--rootdir", str(pytester.path), str(pytester.path))
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "test_marked.py::test_x: @pytest.mark.points(n=2) is not valid" in run.stderr.str()


def test_load_problems_come_back_with_the_grade(hidden, tmp_path):
    not_a_notebook = tmp_path / "essay.ipynb"
    not_a_notebook.write_text("Dear grader, ...")
    grade = hidden("def test_uses_student(student):\n    student.sigmoid(0)\n", not_a_notebook,
                   "--unconfined=tcp blocked")
    [test] = grade.tests
    assert test.status == "failed" and test.output.startswith("could not read the submission: ")
    note, problem = grade.load_problems.split("\n", 1)
    assert note == "graded on a machine that could not fully confine student code (missing: tcp blocked)"
    assert test.output == f"could not read the submission: {problem}"


STUDENT = """
import pytest

@pytest.mark.points(2)
def test_stub(student):
    student.sigmoid(0.5)

def test_missing_name(student):
    student.sigmoidd(0.5)

@pytest.mark.call_timeout(90)
def test_longer_calls(student):
    student.sigmoid(0.5)
"""


def test_student_errors_name_the_students_code(hidden):
    grade = hidden(STUDENT, course.release_notebook(HW))
    tests = by_name(grade)
    assert tests["test_stub"].output.startswith("your code raised an error:\n")
    assert tests["test_stub"].output.endswith(
        "NotImplementedError\n(this is still the unfilled stub: replace `raise NotImplementedError()` with your code)")
    assert "in sigmoid" in tests["test_stub"].output  # the traceback through the student's cell
    assert tests["test_missing_name"].output == (
        "your code raised an error:\nNameError: the notebook does not define `sigmoidd`")
    assert tests["test_longer_calls"].status == "failed"  # the marker ran the test, no usage error
    assert "sandbox" not in results.feedback_text(grade)  # no frame of the grader's own code
    assert os.path.basename(course.release_notebook(HW)) in results.feedback_text(grade)
