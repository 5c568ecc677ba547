"""hw09's leaderboard (hw_utils.leaderboard, `hw leaderboard`): measured from the predictions the
grader stored, never from what a results.json says; before the reveal nothing shown depends on
the private labels (changed, the outputs are the same bytes); display names are untrusted text."""

import csv
import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest

import corpus
import corpus_hw09
from conftest import grade_batch
from hw_utils import challenge, cli, leaderboard

HW = challenge.HW
HOSTILE = ["| pwned | 100 % |\n| x", "[click](http://evil.example)", "<img src=x onerror=alert(1)>",
           "=HYPERLINK(\"http://evil.example\")", "*bold* _it_ `code` \\", "-1+2", "a" * 200]


@pytest.fixture(scope="module")
def labels():
    return challenge.hidden_labels()


def with_accuracy(labels, public: float, private: float, seed: int) -> np.ndarray:
    """Predictions right on exactly these fractions of the public and the private half."""
    rng = np.random.default_rng(seed)
    predicted = np.zeros(len(labels.public_y) + len(labels.private_y), np.int64)
    for index, y, fraction in ((labels.public_index, labels.public_y, public),
                               (labels.private_index, labels.private_y, private)):
        right = np.zeros(len(y), bool)
        right[rng.permutation(len(y))[:round(fraction * len(y))]] = True
        predicted[index] = np.where(right, y, (y + 1) % 10)
    return predicted


def fake_class(root: Path, labels, students: dict) -> tuple[Path, Path]:
    """<root>/out/<student>/<hw>/{results.json, submission.sha256} and the store, as grading leaves them."""
    out, store = root / "out", root / "store"
    store.mkdir(parents=True, exist_ok=True)
    for i, (student, accuracies) in enumerate(students.items()):
        folder = out / student / HW
        folder.mkdir(parents=True)
        notebook = root / f"{student}.ipynb"
        notebook.write_text(f"notebook of {student}")
        (folder / "results.json").write_text('{"score": 0, "max_score": 0, "tests": []}')
        (folder / "submission.sha256").write_text(leaderboard.submission_digest(notebook) + "\n")
        if accuracies is not None:
            leaderboard.record_predictions(notebook, with_accuracy(labels, *accuracies, seed=i), store)
    return out, store


CLASS = {"ada": (0.96, 0.90), "bob": (0.93, 0.97), "cy": (0.93, 0.95), "dee": (0.50, 0.50), "eve": None}


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / "_class" / HW / name).read_bytes()
            for name in ("leaderboard.md", "leaderboard.csv", "leaderboard.png")}


def changed_private(labels, seed=1) -> challenge.HiddenLabels:
    rng = np.random.default_rng(seed)
    return dataclasses.replace(labels, private_y=rng.integers(0, 10, size=len(labels.private_y)))


def test_private_labels_change_nothing_before_the_reveal(tmp_path, labels):
    shown = {}
    for name, used in (("real", labels), ("changed", changed_private(labels))):
        out, store = fake_class(tmp_path / name, labels, CLASS)  # the same predictions
        leaderboard.build(out, reveal=False, store=store, labels=used)
        shown[name] = outputs(out)
        leaderboard.build(out, reveal=True, store=store, labels=used)
        shown[name + " revealed"] = outputs(out)
    assert shown["real"] == shown["changed"], "pre-reveal outputs depend on the private labels"
    assert shown["real revealed"]["leaderboard.csv"] != shown["changed revealed"]["leaderboard.csv"]
    assert b"private" not in shown["real"]["leaderboard.csv"]


def test_public_ranking_then_private_ranking(tmp_path, labels):
    out, store = fake_class(tmp_path, labels, CLASS)
    board, _ = leaderboard.build(out, reveal=False, store=store, labels=labels)
    assert [r.student for r in board] == ["ada", "bob", "cy", "dee", "eve"]
    assert board[-1].rank is None and board[-1].note == "no valid predictions"
    assert all(r.private is None for r in board)
    public = {r.student: r.public for r in board}
    for student in ("ada", "bob"):  # measured from the stored labels
        predicted = np.load(store / f"{(out / student / HW / 'submission.sha256').read_text().strip()}.npy")
        assert public[student] == (predicted[labels.public_index] == labels.public_y).mean()
    final, _ = leaderboard.build(out, reveal=True, store=store, labels=labels)
    assert [r.student for r in final][:3] == ["bob", "cy", "ada"]
    assert [r.rank for r in final] == [1, 2, 3, 4, None]
    text = (out / "_class" / HW / "leaderboard.md").read_text()
    assert "private accuracy" in text and "Final ranking" in text


def test_ties_share_a_rank_and_submissions_are_counted(tmp_path, labels):
    out, store = fake_class(tmp_path, labels, {"a": (0.9, 0.9), "b": (0.9, 0.9)})
    # the same predictions for b as a: a tie
    digest = lambda s: (out / s / HW / "submission.sha256").read_text().strip()  # noqa: E731
    (store / f"{digest('b')}.npy").write_bytes((store / f"{digest('a')}.npy").read_bytes())
    board, _ = leaderboard.build(out, store=store, labels=labels)
    assert [(r.student, r.rank, r.submissions) for r in board] == [("a", 1, 1), ("b", 1, 1)]
    again = tmp_path / "b2.ipynb"
    again.write_text("b's second notebook")
    leaderboard.record_predictions(again, with_accuracy(labels, 0.95, 0.95, 7), store)
    (out / "b" / HW / "submission.sha256").write_text(leaderboard.submission_digest(again))
    board, _ = leaderboard.build(out, store=store, labels=labels)
    assert [(r.student, r.rank, r.submissions) for r in board] == [("b", 1, 2), ("a", 2, 1)]


def test_display_names_are_escaped_in_markdown_and_csv(tmp_path, labels):
    students = {f"s{i}": (0.9 - i / 100, 0.9) for i in range(len(HOSTILE))}
    out, store = fake_class(tmp_path, labels, students)
    names = {f"s{i}": name for i, name in enumerate(HOSTILE)}
    board, _ = leaderboard.build(out, names=names, store=store, labels=labels)
    md = (out / "_class" / HW / "leaderboard.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(HOSTILE), "a name added or broke table rows"
    for line in table[2:]:
        assert len(line.replace("\\|", "").split("|")) == 6, f"a name broke out of its cell: {line}"
    assert "<img" not in md and "](http" not in md and "*bold*" not in md
    rows = list(csv.reader(io.StringIO((out / "_class" / HW / "leaderboard.csv").read_text())))
    assert len(rows) == 1 + len(HOSTILE) and all(len(r) == 4 for r in rows)
    shown = [r[1] for r in rows[1:]]
    assert not [s for s in shown if s[:1] in "=+-@"], f"a cell a spreadsheet would run as a formula: {shown}"
    assert all(len(s) <= leaderboard.MAX_NAME + 2 and "\n" not in s for s in shown)


def test_hw_leaderboard_usage_errors_are_one_line(tmp_path, capsys):
    for argv in (["leaderboard", "hw01_backprop", "--out", str(tmp_path)],
                 ["leaderboard", HW, "--out", str(tmp_path / "empty")],
                 ["leaderboard", HW, "--out", str(Path(__file__))],
                 ["challenge", "build", "--out", str(Path(__file__))]):
        try:
            status = cli.main(argv)
        except SystemExit as exit:  # argparse's own errors (hw_utils.cli.Parser: one line)
            status = exit.code
        assert status == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("hw "), err


def test_hw_challenge_build_writes_the_recorded_file(tmp_path, capsys):
    assert cli.main(["challenge", "build", "--out", str(tmp_path)]) == 0
    blob = (tmp_path / challenge.FILE_NAME).read_bytes()
    import hashlib
    assert hashlib.sha256(blob).hexdigest() == challenge.read_spec().file_sha256


def test_graded_class_feedback_holds_public_accuracy_only(tmp_path, monkeypatch, labels):
    """Graded for real (cheap submissions: no training), twice: the second time with other private
    labels. What students read is the same bytes, holds the public accuracy, never a private one;
    the leaderboard then ranks what the grader stored."""
    monkeypatch.setenv(leaderboard.STORE_ENV, str(tmp_path / "store"))
    weak = {w.name: corpus.build(HW, w) for w in corpus_hw09.WEAK if w.baseline in ("trivial", "test_split")}
    args = ("-k", "test_predictions")
    first = grade_batch(HW, weak, tmp_path / "first", args)
    monkeypatch.setattr(challenge, "hidden_labels", lambda spec=None: changed_private(labels))
    second = grade_batch(HW, weak, tmp_path / "second", args)
    monkeypatch.undo()
    monkeypatch.setenv(leaderboard.STORE_ENV, str(tmp_path / "store"))
    for name in weak:
        assert first.feedback[name] == second.feedback[name]
        strip = lambda r: {k: v for k, v in r.items() if k != "execution_time"}  # noqa: E731
        assert json.dumps(strip(first.results[name])) == json.dumps(strip(second.results[name]))
        assert "public accuracy" in first.feedback[name] and "private" not in first.feedback[name].lower()
    out = tmp_path / "first" / "autograded"
    assert cli.main(["leaderboard", HW, "--out", str(out)]) == 0
    md = (out / "_class" / HW / "leaderboard.md").read_text()
    assert all(name.replace("_", "\\_") in md for name in weak), md
    assert "private accuracy" not in md
