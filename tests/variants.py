"""The kinds of submission in the proof corpus, each made from the reference notebook by edits.

- Mutant: a plausible mistake; the tests in `failing` must fail, and the mistake must cost
  those tests, not the whole homework (other tests of the same files still pass).
- Weak: an honest submission too weak for what the homework asks (a trivial model, one
  epoch, a too-small network, a tenth of the data) or one that learns from the test split.
  It is aimed at one accuracy test (`against`, a test marked `accuracy`) and must fail the
  tests in `failing`: that accuracy test, or, where the data is too easy for a bar to
  separate it from the reference, the structure test that holds the homework's requirement.
  Every accuracy test that runs on the cpu tier needs one of each BASELINES kind.
- Correct: a correct answer written differently (another valid architecture, a vectorised
  loop, another dtype where the task allows): every test in the files `tests` names must pass.

Each variant is graded only on what it is about (tests/conftest.py): a mutant or a correct
alternative on the test files its tests live in, a weak baseline on the tests it is aimed at;
so a corpus of a hundred variants does not train every model a hundred times.
"""

from __future__ import annotations

from dataclasses import dataclass

from hw_utils.notebook import nbgrader_meta

# What an accuracy bar must reject. test_split: a model that would score only with the test
# labels (it memorises the test split it is handed): the grader never hands it the real one.
BASELINES = ("trivial", "one_epoch", "small", "little_data", "test_split")


@dataclass(frozen=True)
class Edit:
    grade_id: str
    old: str | None  # text that must occur exactly once in the cell; None: replace the whole cell
    new: str

    def apply(self, nb):
        cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == self.grade_id]
        assert len(cells) == 1, f"no single cell with grade_id {self.grade_id!r}"
        if self.old is None:
            cells[0].source = self.new
            return nb
        count = cells[0].source.count(self.old)
        assert count == 1, f"{self.old!r} occurs {count} times in cell {self.grade_id!r}, expected once"
        cells[0].source = cells[0].source.replace(self.old, self.new)
        return nb


@dataclass(frozen=True)
class Mutant:
    name: str
    grade_id: str
    old: str
    new: str
    failing: tuple[str, ...]  # graded tests this mistake must fail ("test_file::test_name")

    @property
    def edits(self) -> tuple[Edit, ...]:
        return (Edit(self.grade_id, self.old, self.new),)

    @property
    def graded_on(self) -> tuple[str, ...]:
        return files_of(self.failing)


@dataclass(frozen=True)
class Weak:
    name: str
    baseline: str  # one of BASELINES
    against: str  # the accuracy test it is aimed at ("test_file::test_name")
    edits: tuple[Edit, ...]
    failing: tuple[str, ...]  # what must catch it: `against`, or a structure test
    why: str = ""  # for the note: the model, and where a structure test catches it, why the bar cannot

    def __post_init__(self):
        assert self.baseline in BASELINES, f"{self.name}: baseline {self.baseline!r} is not one of {BASELINES}"

    @property
    def graded_on(self) -> tuple[str, ...]:
        # Only the tests it is aimed at: a weak model trains once, not once per test of the file.
        return tuple(sorted({self.against, *self.failing}))


@dataclass(frozen=True)
class Correct:
    name: str
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]  # test files ("test_svhn") whose every test must pass
    why: str = ""

    @property
    def graded_on(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.tests)))


def files_of(tests) -> tuple[str, ...]:
    """("test_svhn::test_a", "test_svhn::test_b[x]") -> ("test_svhn",)"""
    return tuple(sorted({t.split("::")[0] for t in tests}))


def selection(graded_on: tuple[str, ...]) -> str:
    """A pytest -k expression that selects these files ("test_svhn") and tests ("test_svhn::test_a")."""
    terms = []
    for entry in graded_on:
        file, _, test = entry.partition("::")
        test = test.split("[")[0]  # every parametrisation of it
        terms.append(f"({file}.py and {test})" if test else f"{file}.py")
    return " or ".join(terms)
