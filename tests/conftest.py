import json
from pathlib import Path

import pytest

from hw_utils import cli

import corpus


@pytest.fixture(scope="session")
def hw01_batch(tmp_path_factory):
    """Grade the whole hw01 corpus as one batch, the way `hw grade` does."""
    root = tmp_path_factory.mktemp("hw01")
    paths = corpus.write_corpus(root / "submitted")
    out = root / "autograded"
    # A short notebook time limit keeps the infinite-loop case cheap; the reference runs in ~5 s.
    graded = cli.grade_all(corpus.HW, list(paths.values()), out, ("--load-timeout=40",))
    grades = dict(graded)
    assert sorted(grades) == sorted(paths), "the batch did not grade every submission"
    results = {name: json.loads((out / name / corpus.HW / "results.json").read_text()) for name in paths}
    feedback = {name: (out / name / corpus.HW / "feedback.txt").read_text() for name in paths}
    return grades, results, feedback
