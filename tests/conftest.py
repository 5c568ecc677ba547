import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from hw_utils import cli

import corpus
import variants

# A short notebook time limit keeps the infinite-loop case cheap; references load in ~1 s.
LOAD_TIMEOUT = 15
CALL_TIMEOUT = 5


@dataclass
class Batch:
    grades: dict      # submission name -> Grade
    results: dict     # submission name -> parsed results.json
    feedback: dict    # submission name -> feedback.txt text


def grade_batch(hw: str, notebooks: dict, root: Path, extra_args: tuple[str, ...] = ()) -> Batch:
    """Grade notebooks as one batch, the way `hw grade` does, and read back what it wrote."""
    paths = corpus.write_submissions(hw, notebooks, root / "submitted")
    out = root / "autograded"
    args = (f"--load-timeout={LOAD_TIMEOUT}", *cli.hide_arguments(list(paths.values()), out), *extra_args)
    graded = dict(cli.grade_all(hw, list(paths.values()), out, args))
    assert sorted(graded) == sorted(paths), "the batch did not grade every submission"
    read = lambda name, file: (out / name / hw / file).read_text()  # noqa: E731
    return Batch(graded,
                 {name: json.loads(read(name, "results.json")) for name in paths},
                 {name: read(name, "feedback.txt") for name in paths})


@pytest.fixture(scope="session")
def standard_batch(tmp_path_factory):
    """standard_batch(hw): hw's reference and blank (every test) and its corpus variants (the
    test files each is about, see tests/variants.py), graded once per session."""
    cache = {}

    def get(hw: str) -> Batch:
        if hw not in cache:
            cache[hw] = grade_corpus(hw, tmp_path_factory.mktemp(hw))
        return cache[hw]

    return get


def grade_corpus(hw: str, root: Path) -> Batch:
    batch = grade_batch(hw, corpus.reference_and_blank(hw), root / "all")
    groups: dict[tuple, dict] = {}
    for variant in corpus.variants(hw):
        groups.setdefault(variant.graded_on, {})[variant.name] = corpus.build(hw, variant)
    for i, (files, notebooks) in enumerate(sorted(groups.items())):
        part = grade_batch(hw, notebooks, root / f"group{i}", ("-k", variants.selection(files)))
        for field in ("grades", "results", "feedback"):
            getattr(batch, field).update(getattr(part, field))
    return batch


@pytest.fixture(scope="session")
def hostile_batch(tmp_path_factory) -> Batch:
    root = tmp_path_factory.mktemp("hostile")
    # A short call limit: the function that never returns costs 3 tests x CALL_TIMEOUT.
    return grade_batch(corpus.HW, corpus.hostile_corpus(root / "autograded"), root,
                       (f"--call-timeout={CALL_TIMEOUT}",))
