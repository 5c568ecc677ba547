"""Every graded test discriminates: it passes on the reference solution, fails on the
blank release; plausible wrong answers (mutants) lose the points of the tests about them;
weak baselines fail every accuracy test (or the structure test that guards it); correct
answers written differently keep full marks. Runs for every homework with hidden tests.
See tests/variants.py for the kinds and tests/corpus_hwNN.py for the variants."""

import ast

import pytest

import corpus
import variants
from hw_utils import grading, release

GRADED = [hw for hw in release.homeworks() if (grading.GRADER_TESTS / hw).is_dir()]


def _cases(kind: dict):
    cases = [(hw, v) for hw in GRADED for v in kind.get(hw, [])]
    return {"argvalues": cases, "ids": [f"{hw}-{v.name}" for hw, v in cases]}


@pytest.mark.parametrize("hw", GRADED)
def test_reference_gets_full_marks(standard_batch, hw):
    ref = standard_batch(hw).grades["reference"]
    # Skipped is allowed: the gpu tier skips (with a reason) where there is no CUDA.
    failed = [f"{t.name}: {t.output}" for t in ref.tests if t.status == "failed"]
    assert not failed, "the reference solution fails:\n" + "\n".join(failed)
    assert ref.score == ref.max_score > 0


@pytest.mark.parametrize("hw", GRADED)
def test_every_graded_test_fails_on_the_blank_release(standard_batch, hw):
    grades = standard_batch(hw).grades
    blank = grades["blank"]
    assert set(corpus.tests_by_name(blank)) == set(corpus.tests_by_name(grades["reference"]))
    passing = [t.name for t in blank.tests if t.status == "passed"]
    assert not passing, f"tests that pass on the unfilled stub cannot discriminate: {passing}"
    assert blank.score == 0


@pytest.mark.parametrize("hw", GRADED)
def test_homework_has_enough_mutants(hw):
    assert len(corpus.MUTANTS.get(hw, [])) >= 5, f"{hw}: add plausible wrong answers to tests/corpus_hwNN.py"


@pytest.mark.parametrize("hw, mutant", **_cases(corpus.MUTANTS))
def test_plausible_wrong_answer_loses_points(standard_batch, hw, mutant):
    grades = standard_batch(hw).grades
    tests = corpus.tests_by_name(grades[mutant.name])
    for name in mutant.failing:
        assert name in tests, f"{mutant.name}: no graded test {name} (renamed?)"
        assert tests[name].status == "failed", f"{name} should catch {mutant.name}"
    # The mistake costs the tests about it, not the whole homework: the other tests of the
    # same files (those it was graded on) still pass.
    passed = [t for t in tests.values() if t.status == "passed"]
    others = [n for n in tests if n not in mutant.failing and tests[n].status != "skipped"]
    assert not others or passed, f"{mutant.name} fails every test of {mutant.graded_on}, not only those about it"


@pytest.mark.parametrize("hw, weak", **_cases(corpus.WEAK))
def test_weak_baseline_fails_the_bar(standard_batch, hw, weak):
    tests = corpus.tests_by_name(standard_batch(hw).grades[weak.name])
    for name in weak.failing:
        assert name in tests, f"{weak.name}: no graded test {name} (renamed?)"
        assert tests[name].status == "failed", (
            f"{name} passes the weak baseline {weak.name} ({weak.baseline}): the bar does not measure what the "
            f"homework asks for ({tests[name].output or 'no measurement'})")


@pytest.mark.parametrize("hw, correct", **_cases(corpus.CORRECT))
def test_correct_alternative_keeps_full_marks(standard_batch, hw, correct):
    grade = standard_batch(hw).grades[correct.name]
    failed = [f"{t.name}: {t.output}" for t in grade.tests if t.status == "failed"]
    assert not failed, f"a correct answer written differently ({correct.name}) loses points:\n" + "\n".join(failed)
    assert grade.tests and grade.score == grade.max_score


def accuracy_tests(hw: str) -> list[str]:
    """"test_file::test_name" of each cpu-tier test marked accuracy in grader_tests/<hw>."""
    found = []
    for path in sorted((grading.GRADER_TESTS / hw).glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                marks = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
                if "pytest.mark.accuracy" in marks and "pytest.mark.gpu" not in marks:
                    found.append(f"{path.stem}::{node.name}")
    return found


@pytest.mark.parametrize("hw", GRADED)
def test_every_accuracy_bar_is_shown_to_fail_each_weak_baseline(hw):
    aimed = {(w.against, w.baseline) for w in corpus.WEAK.get(hw, [])}
    missing = [f"{test} ({baseline})" for test in accuracy_tests(hw) for baseline in variants.BASELINES
               if (test, baseline) not in aimed]
    assert not missing, f"{hw}: accuracy tests without a weak baseline in tests/corpus_hwNN.py: {missing}"


@pytest.mark.parametrize("hw", GRADED)
def test_weak_baselines_aim_at_accuracy_tests(hw):
    tests = accuracy_tests(hw)
    wrong = [w.name for w in corpus.WEAK.get(hw, []) if w.against not in tests]
    assert not wrong, f"{hw}: weak baselines aimed at no cpu-tier accuracy test (mark it accuracy): {wrong}"
