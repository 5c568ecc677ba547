"""The hw01 hidden tests discriminate, and a hostile batch cannot break the grader.

One batch grades: the reference solution, the blank release, a dozen plausible wrong
answers (corpus.MUTANTS) and broken or hostile submissions.
"""

import pytest

import corpus

GRADESCOPE_TEST_KEYS = {"name", "score", "max_score", "status", "output", "visibility"}


def results_by_name(grade):
    return {t.name: t for t in grade.tests}


def test_reference_gets_full_marks(hw01_batch):
    grades, _, _ = hw01_batch
    ref = grades["reference"]
    failed = [f"{t.name}: {t.output}" for t in ref.tests if t.status != "passed"]
    assert not failed, "the reference solution fails:\n" + "\n".join(failed)
    assert ref.score == ref.max_score > 0
    assert len(ref.tests) >= 20


def test_every_graded_test_fails_on_the_blank_release(hw01_batch):
    grades, _, _ = hw01_batch
    blank = grades["blank"]
    assert set(results_by_name(blank)) == set(results_by_name(grades["reference"]))
    passing = [t.name for t in blank.tests if t.status == "passed"]
    assert not passing, f"tests that pass on the unfilled stub cannot discriminate: {passing}"
    assert blank.score == 0
    assert "NotImplementedError" in blank.tests[0].output


@pytest.mark.parametrize("mutant", corpus.MUTANTS, ids=lambda m: m.name)
def test_plausible_wrong_answer_loses_points(hw01_batch, mutant):
    grades, _, _ = hw01_batch
    grade = grades[mutant.name]
    tests = results_by_name(grade)
    assert grade.score < grades["reference"].score
    for name in mutant.failing:
        assert tests[name].status == "failed", f"{name} should catch {mutant.name}"
    # The mistake costs the tests about it, not the whole homework.
    assert grade.score > 0


def test_results_json_follows_gradescope_schema(hw01_batch):
    grades, results, _ = hw01_batch
    for name, data in results.items():
        assert {"score", "max_score", "execution_time", "tests"} <= set(data), name
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
        for test in data["tests"]:
            assert set(test) == GRADESCOPE_TEST_KEYS, (name, test)
            assert test["status"] in ("passed", "failed")
            assert test["visibility"] == "visible"


def test_feedback_never_quotes_hidden_test_code(hw01_batch):
    _, results, feedback = hw01_batch
    for name, text in feedback.items():
        for marker in ("def test_", "assert_close(", "_reference", "grader_tests"):
            assert marker not in text, f"feedback of {name} leaks {marker!r}"
    failures = [t["output"] for t in results["lambda_term_dropped"]["tests"] if t["status"] == "failed"]
    assert any("w_bar" in out and "expected" in out for out in failures)


@pytest.mark.parametrize("name, reason", [
    ("not_json", "not valid JSON"),
    ("json_not_notebook", "not a Jupyter notebook"),
    ("infinite_loop_at_top", "took longer than 40 s"),
])
def test_unrunnable_submission_scores_zero_with_a_reason(hw01_batch, name, reason):
    grades, results, feedback = hw01_batch
    assert grades[name].score == 0
    assert grades[name].max_score == grades["reference"].max_score
    assert all(reason in t.output for t in grades[name].tests), grades[name].tests[0].output
    assert reason in feedback[name]


def test_sys_exit_does_not_end_grading(hw01_batch):
    grades, _, feedback = hw01_batch
    assert grades["exits_at_top"].score == 0
    assert "SystemExit" in feedback["exits_at_top"]
    assert len(grades["exits_at_top"].tests) == len(grades["reference"].tests)


def test_patching_comparison_functions_gains_nothing(hw01_batch):
    """Comparisons run in the grader's process; the submission can only patch its own."""
    grades, _, _ = hw01_batch
    assert grades["patches_allclose"].score == 0


def test_os_exit_in_a_function_costs_only_its_tests(hw01_batch):
    grades, _, _ = hw01_batch
    tests = results_by_name(grades["os_exit_in_function"])
    assert tests["test_neuron::test_neuron_forward"].status == "failed"
    assert "ended the worker process" in tests["test_neuron::test_neuron_forward"].output
    # The worker is restarted for the next test: the rest of the notebook still counts.
    assert tests["test_net322::test_backward"].status == "passed"
    assert tests["test_numpy_mlp::test_trained_mlp_accuracy_on_held_out_digits"].status == "passed"


def test_deleted_function_costs_only_its_tests(hw01_batch):
    grades, _, _ = hw01_batch
    grade = grades["function_deleted"]
    tests = results_by_name(grade)
    failed = {n for n, t in tests.items() if t.status == "failed"}
    assert failed == {"test_net322::test_one_sgd_step_on_the_example",
                      "test_net322::test_sgd_step_any_rate_and_inputs_untouched"}
    assert "does not define `sgd_step`" in tests["test_net322::test_one_sgd_step_on_the_example"].output


def test_syntax_error_is_reported_and_costs_only_its_cell(hw01_batch):
    grades, _, feedback = hw01_batch
    grade = grades["syntax_error"]
    assert "SyntaxError" in grade.load_problems and "SyntaxError" in feedback["syntax_error"]
    assert results_by_name(grade)["test_net322::test_mse"].status == "failed"
    assert results_by_name(grade)["test_net322::test_backward"].status == "passed"


def test_grading_is_deterministic(hw01_batch, tmp_path):
    """Grading the same submission again gives the same per-test results."""
    from hw_utils import grading

    grades, _, _ = hw01_batch
    again = grading.grade(corpus.HW, corpus.SOURCE)
    first = [(t.name, t.score, t.status, t.output) for t in grades["reference"].tests]
    assert [(t.name, t.score, t.status, t.output) for t in again.tests] == first
