"""Every graded test discriminates: it passes on the reference solution, fails on the
blank release, and plausible wrong answers (corpus.MUTANTS) lose the points of the tests
about them. Runs for every homework that has hidden tests."""

import pytest

import corpus
from hw_utils import grading, release

GRADED = [hw for hw in release.homeworks() if (grading.GRADER_TESTS / hw).is_dir()]
MUTANT_CASES = [(hw, m) for hw in GRADED for m in corpus.MUTANTS.get(hw, [])]



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
    assert len(corpus.MUTANTS.get(hw, [])) >= 5, f"{hw}: add plausible wrong answers to tests/corpus.py"


@pytest.mark.parametrize("hw, mutant", MUTANT_CASES, ids=[f"{hw}-{m.name}" for hw, m in MUTANT_CASES])
def test_plausible_wrong_answer_loses_points(standard_batch, hw, mutant):
    grades = standard_batch(hw).grades
    grade = grades[mutant.name]
    tests = corpus.tests_by_name(grade)
    assert grade.score < grades["reference"].score
    for name in mutant.failing:
        assert tests[name].status == "failed", f"{name} should catch {mutant.name}"
    # The mistake costs the tests about it, not the whole homework.
    assert grade.score > 0
