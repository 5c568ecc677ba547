"""A batch of broken and hostile hw01 submissions cannot break the grader, and what
grading writes (results.json, feedback) is right. Discrimination: test_discrimination.py."""

import os

import pytest

import corpus

GRADESCOPE_TEST_KEYS = {"name", "number", "tags", "score", "max_score", "status", "output", "visibility", "extra_data"}



def test_results_json_follows_gradescope_schema(standard_batch, hostile_batch):
    for name, data in {**standard_batch(corpus.HW).results, **hostile_batch.results}.items():
        assert {"score", "max_score", "execution_time", "tests"} <= set(data), name
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
        names = [test["name"] for test in data["tests"]]
        assert len(set(names)) == len(names), f"{name}: two tests share a name on Gradescope"
        for test in data["tests"]:
            assert set(test) == GRADESCOPE_TEST_KEYS, (name, test)
            assert test["status"] in ("passed", "failed")
            assert test["visibility"] == "visible"
        assert data["max_score"] == pytest.approx(sum(t["max_score"] for t in data["tests"]))


def test_feedback_never_quotes_hidden_test_code(standard_batch, hostile_batch):
    batch = standard_batch(corpus.HW)
    for name, text in {**batch.feedback, **hostile_batch.feedback}.items():
        # The attacker's own error names the path it tried to open: that is its code, not ours.
        markers = ("def test_", "assert_close(", "_reference", "grader_tests")
        for marker in markers[:3] if name == "reads_and_writes_what_it_must_not" else markers:
            assert marker not in text, f"feedback of {name} leaks {marker!r}"
    failures = [t["output"] for t in batch.results["lambda_term_dropped"]["tests"] if t["status"] == "failed"]
    assert any("w_bar" in out and "expected" in out for out in failures)


@pytest.mark.parametrize("name, reason", [
    ("not_json", "not valid JSON"),
    ("json_not_notebook", "not a Jupyter notebook"),
    ("infinite_loop_at_top", "took longer than 15 s"),
])
def test_unrunnable_submission_scores_zero_with_a_reason(standard_batch, hostile_batch, name, reason):
    grades, feedback = hostile_batch.grades, hostile_batch.feedback
    assert grades[name].score == 0
    assert grades[name].max_score == standard_batch(corpus.HW).grades["reference"].max_score
    assert all(reason in t.output for t in grades[name].tests), grades[name].tests[0].output
    assert reason in feedback[name]


def test_sys_exit_does_not_end_grading(standard_batch, hostile_batch):
    grades = hostile_batch.grades
    assert grades["exits_at_top"].score == 0
    assert "SystemExit" in hostile_batch.feedback["exits_at_top"]
    assert len(grades["exits_at_top"].tests) == len(standard_batch(corpus.HW).grades["reference"].tests)


def test_patching_comparison_functions_gains_nothing(hostile_batch):
    """Comparisons run in the grader's process; the submission can only patch its own."""
    assert hostile_batch.grades["patches_allclose"].score == 0


def test_os_exit_in_a_function_costs_only_its_tests(hostile_batch):
    tests = corpus.tests_by_name(hostile_batch.grades["os_exit_in_function"])
    assert tests["test_neuron::test_neuron_forward"].status == "failed"
    assert "ended the worker process" in tests["test_neuron::test_neuron_forward"].output
    # The worker is restarted for the next test: the rest of the notebook still counts.
    assert tests["test_net322::test_backward"].status == "passed"
    assert tests["test_numpy_mlp::test_trained_mlp_accuracy_on_held_out_digits"].status == "passed"


def test_deleted_function_costs_only_its_tests(hostile_batch):
    grade = hostile_batch.grades["function_deleted"]
    tests = corpus.tests_by_name(grade)
    failed = {n for n, t in tests.items() if t.status == "failed"}
    assert failed == {"test_net322::test_one_sgd_step_on_the_example",
                      "test_net322::test_sgd_step_any_rate_and_inputs_untouched"}
    assert "does not define `sgd_step`" in tests["test_net322::test_one_sgd_step_on_the_example"].output


def test_syntax_error_is_reported_and_costs_only_its_cell(hostile_batch):
    grade = hostile_batch.grades["syntax_error"]
    assert "SyntaxError" in grade.load_problems and "SyntaxError" in hostile_batch.feedback["syntax_error"]
    assert corpus.tests_by_name(grade)["test_net322::test_mse"].status == "failed"
    assert corpus.tests_by_name(grade)["test_net322::test_backward"].status == "passed"


def test_grading_is_deterministic(standard_batch):
    """Grading the same submission again gives the same per-test results."""
    from hw_utils import grading

    again = grading.grade(corpus.HW, corpus.SOURCE)
    first = [(t.name, t.score, t.status, t.output) for t in standard_batch(corpus.HW).grades["reference"].tests]
    assert [(t.name, t.score, t.status, t.output) for t in again.tests] == first


def test_skipped_test_is_worth_nothing_in_results_json():
    """A gpu-tier test skipped on a cpu runner must not show as lost points."""
    from hw_utils.results import Grade, TestResult, results_json

    grade = Grade("hw", "x.ipynb", [TestResult("a", 1, 1, "passed", "", False),
                                    TestResult("gpu", 2, 0, "skipped", "needs CUDA", False)])
    data = results_json(grade)
    assert (data["score"], data["max_score"]) == (1, 1)
    skipped = data["tests"][1]
    assert skipped["max_score"] == 0 and "status" not in skipped and "needs CUDA" in skipped["output"]


def test_attacks_on_files_fail_and_cost_nothing_else(standard_batch, hostile_batch):
    """Reading hidden tests, overwriting another student's grade, deleting its own folder
    and printing 50 MB: each cell fails with a reason; the solutions in it still count."""
    full = standard_batch(corpus.HW).grades["reference"].max_score
    attacker = hostile_batch.grades["reads_and_writes_what_it_must_not"]
    assert attacker.score == full
    assert hostile_batch.grades["victim"].score == full
    assert hostile_batch.results["victim"]["score"] == full  # its results.json was not overwritten
    problems = attacker.load_problems
    assert problems.count("PermissionError") == 2, problems  # the hidden test, the victim's file
    assert "File too large" not in problems  # printing 50 MB is cut short quietly
    feedback = hostile_batch.feedback["reads_and_writes_what_it_must_not"]
    assert "PermissionError" in feedback and "def test_" not in feedback


def test_a_function_that_never_returns_costs_only_the_tests_calling_it(standard_batch, hostile_batch):
    from conftest import CALL_TIMEOUT

    tests = corpus.tests_by_name(hostile_batch.grades["loops_in_a_function"])
    looping = {name for name, t in tests.items() if t.status == "failed"}
    assert "test_neuron::test_neuron_forward" in looping
    assert all(name.startswith("test_neuron::") for name in looping), looping
    assert all(f"longer than {CALL_TIMEOUT:g} s" in tests[name].output for name in looping)
    assert tests["test_torch::test_build_torch_mlp_copies_weights_transposed"].status == "passed"


def test_spawning_processes_is_refused_and_leaves_none_behind(hostile_batch):
    tests = corpus.tests_by_name(hostile_batch.grades["spawns_processes"])
    assert tests["test_net322::test_forward"].status == "failed"
    assert "Operation not permitted" in tests["test_net322::test_forward"].output
    assert tests["test_neuron::test_neuron_forward"].status == "passed"
    leftover = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p) == b"sleep\x0060\x00"]
    assert not leftover, f"{len(leftover)} processes the submission started are still running"


def test_base_exceptions_cost_only_their_functions(hostile_batch):
    tests = corpus.tests_by_name(hostile_batch.grades["raises_base_exceptions"])
    failed = {name: t.output for name, t in tests.items() if t.status == "failed"}
    assert any("KeyboardInterrupt" in out for out in failed.values()), failed
    assert any("BaseException: mse" in out for out in failed.values()), failed
    assert tests["test_neuron::test_neuron_forward"].status == "passed"


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""
