"""Every graded test discriminates: it passes on the reference solution, fails on the
blank release; plausible wrong answers (mutants) lose the points of the tests about them;
weak baselines fail every accuracy test (or the structure test that guards it); correct
answers written differently keep full marks. Runs for every homework with hidden tests.
See tests/variants.py for the kinds and tests/corpus_hwNN.py for the variants."""

import ast

import corpus
import variants
from hw_utils import grading, release

GRADED = [hw for hw in release.homeworks() if (grading.GRADER_TESTS / hw).is_dir()]


class Discrimination:
    """One homework's checks. Each homework gets a subclass (at the end of this file) so that
    pytest-xdist (`--dist loadscope`, see the Makefile) can send each homework's graded batch
    to a different process: in one module they would all be graded one after the other."""

    hw: str

    def test_reference_gets_full_marks(self, standard_batch):
        ref = standard_batch(self.hw).grades["reference"]
        # Skipped is allowed: the gpu tier skips (with a reason) where there is no CUDA.
        failed = [f"{t.name}: {t.output}" for t in ref.tests if t.status == "failed"]
        assert not failed, "the reference solution fails:\n" + "\n".join(failed)
        assert ref.score == ref.max_score > 0

    def test_every_graded_test_fails_on_the_blank_release(self, standard_batch):
        grades = standard_batch(self.hw).grades
        blank = grades["blank"]
        assert set(corpus.tests_by_name(blank)) == set(corpus.tests_by_name(grades["reference"]))
        passing = [t.name for t in blank.tests if t.status == "passed"]
        assert not passing, f"tests that pass on the unfilled stub cannot discriminate: {passing}"
        assert blank.score == 0

    def test_homework_has_enough_mutants(self):
        assert len(corpus.MUTANTS.get(self.hw, [])) >= 5, f"{self.hw}: add plausible wrong answers to tests/corpus_hwNN.py"

    def test_plausible_wrong_answer_loses_points(self, standard_batch, mutant):
        grades = standard_batch(self.hw).grades
        tests = corpus.tests_by_name(grades[mutant.name])
        for name in mutant.failing:
            assert name in tests, f"{mutant.name}: no graded test {name} (renamed?)"
            assert tests[name].status == "failed", f"{name} should catch {mutant.name}"
        # The mistake costs the tests about it, not the whole homework: the other tests of the
        # same files (those it was graded on) still pass.
        passed = [t for t in tests.values() if t.status == "passed"]
        others = [n for n in tests if n not in mutant.failing and tests[n].status != "skipped"]
        assert not others or passed, f"{mutant.name} fails every test of {mutant.graded_on}, not only those about it"

    def test_weak_baseline_fails_the_bar(self, standard_batch, weak):
        tests = corpus.tests_by_name(standard_batch(self.hw).grades[weak.name])
        for name in weak.failing:
            assert name in tests, f"{weak.name}: no graded test {name} (renamed?)"
            assert tests[name].status == "failed", (
                f"{name} passes the weak baseline {weak.name} ({weak.baseline}): the bar does not measure what the "
                f"homework asks for ({tests[name].output or 'no measurement'})")

    def test_correct_alternative_keeps_full_marks(self, standard_batch, correct):
        grade = standard_batch(self.hw).grades[correct.name]
        failed = [f"{t.name}: {t.output}" for t in grade.tests if t.status == "failed"]
        assert not failed, f"a correct answer written differently ({correct.name}) loses points:\n" + "\n".join(failed)
        assert grade.tests and grade.score == grade.max_score

    def test_every_accuracy_bar_is_shown_to_fail_each_weak_baseline(self):
        aimed = {(w.against, w.baseline) for w in corpus.WEAK.get(self.hw, [])}
        missing = [f"{test} ({baseline})" for test in accuracy_tests(self.hw) for baseline in variants.BASELINES
                   if (test, baseline) not in aimed]
        assert not missing, f"{self.hw}: accuracy tests without a weak baseline in tests/corpus_hwNN.py: {missing}"

    def test_weak_baselines_aim_at_accuracy_tests(self):
        tests = accuracy_tests(self.hw)
        wrong = [w.name for w in corpus.WEAK.get(self.hw, []) if w.against not in tests]
        assert not wrong, f"{self.hw}: weak baselines aimed at no cpu-tier accuracy test (mark it accuracy): {wrong}"


def pytest_generate_tests(metafunc):
    """Each homework's mutants, weak baselines and correct alternatives, one test each."""
    hw = getattr(metafunc.cls, "hw", None)
    for argument, kind in (("mutant", corpus.MUTANTS), ("weak", corpus.WEAK), ("correct", corpus.CORRECT)):
        if argument in metafunc.fixturenames:
            cases = kind.get(hw, [])
            metafunc.parametrize(argument, cases, ids=[v.name for v in cases])


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


for _hw in GRADED:  # TestHw05Optim, ...: the class name carries the homework into every test id
    _name = "Test" + "".join(part.capitalize() for part in _hw.split("_"))
    globals()[_name] = type(_name, (Discrimination,), {"hw": _hw})
