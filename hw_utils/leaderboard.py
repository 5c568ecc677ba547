"""The challenge's leaderboard: public accuracy while it runs, the private ranking after the reveal.

Where the numbers come from. Grading (grader_tests/hw09_challenge/test_challenge.py) calls the
student's challenge_predict in the sandbox, checks what comes back (challenge.check_predictions)
and stores the labels, grader side, under the SHA-256 of the graded notebook:

    <store>/<sha256>.npy        HW_CHALLENGE_PREDICTIONS, else autograded/_challenge/hw09_challenge/predictions

`hw grade` writes the same hash beside each student's results (submission.sha256), so
`hw leaderboard` finds every student's latest graded predictions and measures them itself
against the hidden labels: no accuracy is read from a results.json or from anything a
submission printed. Students see none of this: results.json and feedback hold the public
accuracy only (the test measures nothing else).

Before the reveal the private labels are not read at all (`rows` is handed them only with
reveal=True), so nothing shown can depend on them; tests/test_leaderboard.py changes them and
compares the outputs byte for byte. Display names are untrusted text (a names file the
instructor collects): escaped for Markdown, and for spreadsheets in the CSV.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import challenge, course
from .results import atomic_write

HW = challenge.HW
CHALLENGES = (HW,)  # homeworks with a leaderboard
STORE_ENV = "HW_CHALLENGE_PREDICTIONS"
SUBMISSION_HASH = "submission.sha256"  # written by `hw grade` beside results.json
MAX_NAME = 40  # characters of a display name shown
MAX_PREDICTION_BYTES = 64 * 2**20  # a stored file larger than this is not read


def store_folder() -> Path:
    """Where grading stores predictions: HW_CHALLENGE_PREDICTIONS, else under the kit's autograded/."""
    value = os.environ.get(STORE_ENV)
    return Path(value) if value else course.AUTOGRADED / "_challenge" / HW / "predictions"


def submission_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def record_predictions(submission: Path, predictions: np.ndarray, store: Path | None = None) -> Path:
    """Store checked predictions (int64 labels) under the notebook's hash; returns the file."""
    store = store or store_folder()
    store.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(predictions, dtype=np.int64), allow_pickle=False)
    path = store / f"{submission_digest(submission)}.npy"
    atomic_write(path, buffer.getvalue())
    return path


def load_predictions(store: Path, digest: str, n: int) -> np.ndarray:
    """The stored labels for digest, checked again (a file on disk may be damaged); BadPredictions or OSError."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise challenge.BadPredictions(f"{SUBMISSION_HASH} holds no SHA-256")
    path = store / f"{digest}.npy"
    if path.stat().st_size > MAX_PREDICTION_BYTES:
        raise challenge.BadPredictions(f"{path.name} is too large to be predictions")
    try:
        value = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise challenge.BadPredictions(f"{path.name} is unreadable: {err}") from None
    return challenge.check_predictions(value, n)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Row:
    rank: int | None  # None: no valid predictions
    student: str
    name: str  # what is shown: the display name, else the student id (untrusted either way)
    public: float | None
    private: float | None  # None before the reveal
    submissions: int
    note: str = ""


def graded_students(out: Path, hw: str = HW) -> dict[str, str]:
    """{student: digest of the graded notebook} for every <out>/<student>/<hw>/submission.sha256."""
    found = {}
    if not out.is_dir():
        return found
    for folder in sorted(out.iterdir()):
        if folder.name.startswith("_") or not (folder / hw / "results.json").is_file():
            continue
        try:
            found[folder.name] = (folder / hw / SUBMISSION_HASH).read_text().strip()
        except OSError:
            found[folder.name] = ""
    return found


def update_history(path: Path, digests: dict[str, str]) -> dict[str, list[str]]:
    """Each student's distinct graded notebooks in the order first seen: the number of submissions."""
    try:
        history = json.loads(path.read_text())
        history = {str(k): [str(d) for d in v] for k, v in history.items()} if isinstance(history, dict) else {}
    except (OSError, ValueError, TypeError, AttributeError):
        history = {}
    for student, digest in digests.items():
        seen = history.setdefault(student, [])
        if digest and digest not in seen:
            seen.append(digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(history, indent=1, sort_keys=True) + "\n")
    return history


def rows(digests: dict[str, str], history: dict[str, list[str]], store: Path, n_test: int,
         public: tuple[np.ndarray, np.ndarray], private: tuple[np.ndarray, np.ndarray] | None = None,
         names: dict[str, str] | None = None) -> list[Row]:
    """The leaderboard, ranked by public accuracy, or by private accuracy when `private` is given
    (the reveal). public and private are (index into test_x, labels)."""
    names = names or {}
    scored, unscored = [], []
    for student, digest in sorted(digests.items()):
        shown = names.get(student) or student
        count = len(history.get(student, [])) or (1 if digest else 0)
        if not digest:  # a grader failure or a refusal: hw grade wrote no hash
            unscored.append(Row(None, student, shown, None, None, count, "not graded"))
            continue
        try:
            predicted = load_predictions(store, digest, n_test)
        except (OSError, challenge.BadPredictions) as err:
            note = "no valid predictions" if isinstance(err, FileNotFoundError) else f"unreadable: {err}"
            unscored.append(Row(None, student, shown, None, None, count, note))
            continue
        pub = challenge.accuracy(predicted, *public)
        pri = challenge.accuracy(predicted, *private) if private is not None else None
        scored.append((student, shown, pub, pri, count))
    key = (lambda r: (-r[3], -r[2], r[0])) if private is not None else (lambda r: (-r[2], r[0]))
    scored.sort(key=key)
    ranked, previous, rank = [], None, 0
    for position, (student, shown, pub, pri, count) in enumerate(scored, 1):
        score = pri if private is not None else pub
        if score != previous:  # ties share a rank: 1, 2, 2, 4
            rank, previous = position, score
        ranked.append(Row(rank, student, shown, pub, pri, count))
    return ranked + unscored


# --------------------------------------------------------------------------- untrusted text


def _clean(text: str) -> str:
    """One line of printable text, at most MAX_NAME characters."""
    text = "".join(c if c.isprintable() else " " for c in str(text))
    text = " ".join(text.split())
    return text[:MAX_NAME] + ("…" if len(text) > MAX_NAME else "")


def markdown_text(text: str) -> str:
    """Untrusted text as literal Markdown: no table cell break, link, image, HTML or emphasis."""
    # Markdown's punctuation backslash-escaped; then & < > as entities (never backslashed: "\&gt;" shows "&gt;").
    escaped = re.sub(r"([\\`*_{}\[\]()#+\-.!|~:])", r"\\\1", _clean(text))
    return html.escape(escaped, quote=False) or "(blank)"


def csv_text(text: str) -> str:
    """Untrusted text for a CSV cell: a leading = + - @ would be a formula in a spreadsheet."""
    text = _clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --------------------------------------------------------------------------- writing


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def markdown(board: list[Row], reveal: bool, spec: challenge.Spec) -> str:
    phase = ("**Final ranking** (after the reveal): by accuracy on the private half of the test set."
             if reveal else "**During the challenge**: ranked by accuracy on the public half of the test set; "
             "the private half decides the final ranking after the deadline.")
    head = ["rank", "name", "public accuracy"] + (["private accuracy"] if reveal else []) + ["submissions"]
    lines = [f"# Leaderboard: {HW}", "",
             f"{phase} Public: {spec.n_public} images; private: {spec.n_test - spec.n_public} images.", "",
             "| " + " | ".join(head) + " |", "|" + "---:|" + "---|" + "---:|" * (len(head) - 2)]
    for row in board:
        cells = [str(row.rank) if row.rank else "—", markdown_text(row.name), _percent(row.public)]
        if reveal:
            cells.append(_percent(row.private))
        cells.append(str(row.submissions))
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {markdown_text(r.name)}: {html.escape(r.note, quote=False)}" for r in board if r.note]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def csv_table(board: list[Row], reveal: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "name", "public_accuracy"] + (["private_accuracy"] if reveal else []) + ["submissions"])
    for row in board:
        values = [row.rank or "", csv_text(row.name), "" if row.public is None else f"{row.public:.4f}"]
        if reveal:
            values.append("" if row.private is None else f"{row.private:.4f}")
        writer.writerow(values + [row.submissions])
    return buffer.getvalue()


def histogram_png(board: list[Row], reveal: bool) -> bytes:
    """The distribution of the accuracies shown, as PNG bytes that depend on them only."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bins = np.linspace(0.0, 1.0, 41)
    public = [r.public for r in board if r.public is not None]
    axes.hist(public, bins=bins, alpha=0.6, label="public")
    if reveal:
        axes.hist([r.private for r in board if r.private is not None], bins=bins, alpha=0.6, label="private")
    axes.set_xlabel("accuracy on the hidden labels")
    axes.set_ylabel("students")
    axes.set_title(f"{HW}: {'public and private' if reveal else 'public'} accuracy ({len(public)} scored)")
    axes.legend(loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def write(board: list[Row], reveal: bool, spec: challenge.Spec, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {"leaderboard.md": markdown(board, reveal, spec), "leaderboard.csv": csv_table(board, reveal),
               "leaderboard.png": histogram_png(board, reveal)}
    for name, content in outputs.items():
        atomic_write(folder / name, content)
    return [folder / name for name in outputs]


def read_names(path: Path) -> dict[str, str]:
    """A CSV of student,display_name (a header row is allowed); the names stay untrusted."""
    names = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for line in csv.reader(f):
            if len(line) >= 2 and line[0].strip() and line[0].strip() != "student":
                names[line[0].strip()] = line[1]
    return names


def build(out: Path, reveal: bool = False, names: dict[str, str] | None = None, store: Path | None = None,
          labels: challenge.HiddenLabels | None = None) -> tuple[list[Row], list[Path]]:
    """Measure, rank and write the leaderboard into <out>/_class/<hw>/; (rows, files written)."""
    spec = challenge.read_spec()
    labels = labels or challenge.hidden_labels(spec)
    digests = graded_students(out)
    folder = out / "_class" / HW
    history = update_history(folder / "leaderboard_history.json", digests)
    private = (labels.private_index, labels.private_y) if reveal else None
    board = rows(digests, history, store or store_folder(), spec.n_test, (labels.public_index, labels.public_y),
                 private, names)
    return board, write(board, reveal, spec, folder)


def cmd_leaderboard(hw: str, out: Path, reveal: bool, names_file: Path | None) -> int:
    """`hw leaderboard`: exit 2 with one line when there is nothing to rank or a file is unusable."""
    if out.exists() and not out.is_dir():
        print(f"hw leaderboard: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    if not graded_students(out, hw):
        print(f"hw leaderboard: {out} holds no graded {hw} results (<out>/<student>/{hw}/results.json): "
              f"run `hw grade {hw} ...` first, or pass --out", file=sys.stderr)
        return 2
    try:
        names = read_names(names_file) if names_file else None
        board, written = build(out, reveal, names)
    except challenge.ChallengeError as err:
        print(f"hw leaderboard: {err}", file=sys.stderr)
        return 2
    scored = sum(r.rank is not None for r in board)
    print(f"leaderboard of {hw}: {scored} of {len(board)} students scored "
          f"({'private ranking, revealed' if reveal else 'public accuracy only'}) -> {written[0].parent}")
    return 0


# --------------------------------------------------------------------------- the commands

COMMANDS = ("challenge", "leaderboard")


def _challenge_homework(hw: str) -> str:
    import argparse

    if hw not in CHALLENGES:
        raise argparse.ArgumentTypeError(f"{hw!r} has no leaderboard; the challenges are {', '.join(CHALLENGES)}")
    return hw


def add_parsers(commands) -> None:
    """`hw challenge build` and `hw leaderboard`, registered by hw_utils.cli."""
    p = commands.add_parser("challenge", help=f"build the student file of the prediction challenge ({HW})",
                            description=f"The prediction challenge of {HW}: see hw_utils/challenge.py.")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    b = sub.add_parser("build", help="write prediction-challenge-01-data.npz",
                       description="Write the student file of the recorded challenge (rebuilt from its dataset and "
                                   f"checked against {challenge.SPEC_PATH.relative_to(course.ROOT)}), or record a "
                                   "new challenge with --new. The test labels are never written.")
    b.add_argument("--out", type=Path, default=challenge.DEFAULT_OUT, help="the folder to write the file into")
    b.add_argument("--new", action="store_true", help="record a new challenge (dataset, seed) instead of the recorded one")
    b.add_argument("--dataset", choices=("auto", *challenge.DATASETS), default="auto",
                   help="with --new: auto takes real MNIST where the data root has it, else the MNIST subset")
    b.add_argument("--seed", type=int, default=9, help="with --new: orders the file and draws the public half")
    b.add_argument("--public-fraction", type=float, default=0.5, help="with --new: the public part of the test set")

    p = commands.add_parser("leaderboard", help="rank a challenge's graded students (Markdown, CSV, PNG)",
                            description="Measure each graded student's stored predictions against the hidden "
                                        "labels and write <out>/_class/<hw>/leaderboard.{md,csv,png}: public "
                                        "accuracy only, unless --reveal (the private ranking, after the deadline).")
    p.add_argument("homework", type=_challenge_homework, help=f"one of {', '.join(CHALLENGES)}")
    p.add_argument("--out", type=Path, default=course.AUTOGRADED, help="the grades' folder (hw grade --out)")
    p.add_argument("--reveal", action="store_true", help="show private accuracy and rank by it")
    p.add_argument("--names", type=Path, default=None,
                   help="CSV of student,display_name (untrusted text: escaped); default: the student ids")


def run(args) -> int:
    if args.command == "leaderboard":
        return cmd_leaderboard(args.homework, args.out, args.reveal, args.names)
    return cmd_challenge_build(args.out, args.new, args.dataset, args.seed, args.public_fraction)


def cmd_challenge_build(out: Path, new: bool, dataset: str, seed: int, public_fraction: float) -> int:
    if out.exists() and not out.is_dir():
        print(f"hw challenge: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    try:
        if new:
            spec, _ = challenge.record(challenge.available_dataset() if dataset == "auto" else dataset, seed,
                                       public_fraction)
            challenge.write_spec(spec)
        path = challenge.build(out)
    except challenge.ChallengeError as err:
        print(f"hw challenge: {err}", file=sys.stderr)
        return 2
    spec = challenge.read_spec()
    print(f"wrote {path} ({spec.dataset}: {spec.n_train} training images, {spec.n_test} test images, "
          f"{spec.n_public} of them public; sha256 {spec.file_sha256[:16]}...)")
    return 0
