"""Issue 9, root cause 4: the batch trusts itself too much.

Each test mounts the failure for real: a grading process SIGKILLed while it grades, a
grading process that dies every time it grades one student, a grader that raises, a class
folder holding symbolic links and a fifo, two submissions that would write one student's
results. Each asserts that the failure costs the students it concerns and nobody else,
that nothing is recorded as graded that was not, and that a plain re-run retries exactly
what failed. hw01 blank/reference/mutant notebooks keep each grading to a few seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil
import pytest

from hw_utils import classroom, cli
from hw_utils import results as results_module  # results() below reads one student's file

import corpus

HW = corpus.HW
NOTEBOOK = f"{HW}.ipynb"


def write_class(root: Path, names: list[str]) -> dict[str, Path]:
    """root/<name>/<hw>/<hw>.ipynb for each name, from tests/corpus.py's hw01 notebooks."""
    standard = corpus.standard_corpus(HW)
    return corpus.write_submissions(HW, {name: standard[name] for name in names}, root)


def hw_grade(pattern: Path | str, out: Path, *options: str) -> int:
    return cli.main(["grade", HW, str(pattern), "--out", str(out), "--load-timeout", "30", "--no-canary", *options])


def run_with_deadline(fn, seconds: float):
    """fn() in a thread: a grader that blocks (on a fifo, say) fails the test instead of hanging it."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("value", fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"hw grade still running after {seconds} s"
    return outcome["value"]


def results(out: Path, student: str) -> dict:
    return json.loads((out / student / HW / "results.json").read_text())


def hash_of(out: Path, student: str) -> Path:
    return out / student / HW / cli.SUBMISSION_HASH


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scores_csv(out: Path) -> dict[str, dict]:
    import csv

    with (out / "_class" / HW / "scores.csv").open(newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def assert_real_grade(out: Path, student: str):
    """Graded for real: the reference gets full marks, a mutant fails exactly its tests."""
    data = results(out, student)
    statuses = {results_module.result_id(t): t.get("status", "skipped") for t in data["tests"]}
    assert classroom.GRADER_FAILURE not in statuses and data["max_score"] > 0, data
    if student == "reference":
        assert data["score"] == data["max_score"], data
        return
    if student == "blank":
        assert data["score"] < data["max_score"], data
        return
    mutant = next(m for m in corpus.MUTANTS[HW] if m.name == student)
    failed = {name for name, status in statuses.items() if status == "failed"}
    assert failed >= set(mutant.failing), data
    assert 0 < data["score"] < data["max_score"], data


# --------------------------------------------------------------------------- a grading process dies


class RecordingPool(ProcessPoolExecutor):
    """cli's ProcessPoolExecutor, remembering each pool so the test can find its processes."""

    made: list[ProcessPoolExecutor] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingPool.made.append(self)


def grading_underway(pid: int) -> bool:
    """A grading process is grading when it has its worker forkserver and a worker below it.

    Asked twice, 0.3 s apart: warm_up's throwaway child also makes two for a moment.
    """
    try:
        process = psutil.Process(pid)
        if len(process.children(recursive=True)) < 2:
            return False
        time.sleep(0.3)
        return len(process.children(recursive=True)) >= 2
    except psutil.NoSuchProcess:
        return False


def kill_one_grading_process(out: Path, killed: list[int], deadline: float):
    """Once a first student is recorded, SIGKILL a process of the first pool that is grading
    another: as the OOM killer would. (Later rather than at once: fewer students to retry.)"""
    while time.monotonic() < deadline:
        pools = RecordingPool.made
        try:
            pids = list(pools[0]._processes) if pools else []
        except RuntimeError:  # the pool changed its dict while we read it
            pids = []
        if any(out.glob(f"*/{HW}/{cli.SUBMISSION_HASH}")):
            for pid in pids:
                if grading_underway(pid):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
        time.sleep(0.1)


MUTANTS = ["lambda_term_dropped", "sgd_step_adds_gradient"]


def test_a_killed_grading_process_costs_nothing(tmp_path, monkeypatch, capsys):
    """--jobs 2, one grading process SIGKILLed mid-grade: everyone still gets their real grade."""
    students = ["reference", *MUTANTS, "blank"]
    paths = write_class(tmp_path / "submitted", students)
    out = tmp_path / "out"
    monkeypatch.setattr(RecordingPool, "made", [])
    monkeypatch.setattr(cli, "ProcessPoolExecutor", RecordingPool)
    killed: list[int] = []
    killer = threading.Thread(target=kill_one_grading_process, args=(out, killed, time.monotonic() + 200))
    killer.start()
    try:
        code = run_with_deadline(lambda: hw_grade(tmp_path / "submitted" / "*" / HW / NOTEBOOK, out,
                                                  "--jobs", "2"), 300)
    finally:
        killer.join()
    printed = capsys.readouterr()
    assert killed, "no grading process was seen grading: the test killed nothing"
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == psutil.STATUS_ZOMBIE
    assert code == 0, printed.out + printed.err
    assert "lost their grading process; grading each again alone" in printed.out
    retries = RecordingPool.made[1:]
    assert retries and all(pool._max_workers == 1 for pool in retries)  # each retry alone

    for student in students:
        assert_real_grade(out, student)
        assert hash_of(out, student).read_text().strip() == sha256(paths[student])
    rows = scores_csv(out)
    assert {s: rows[s]["state"] for s in students} == dict.fromkeys(students, "graded")

    assert hw_grade(tmp_path / "submitted" / "*" / HW / NOTEBOOK, out, "--jobs", "2") == 0
    again = capsys.readouterr().out
    assert all(f"skipped {s}: already graded" in again for s in students) and "graded " not in \
        again.replace("already graded", "")


REAL_GRADE_ONE = cli.grade_one


def grade_one_but_reference_dies(hw, path, out_root, pytest_args):
    """cli.grade_one, except that grading the reference kills the grading process, every time.

    Module level, so the grading processes (which import this module by name to unpickle
    it) run it too.
    """
    if cli.student_name(path, hw) == "reference":
        os._exit(9)
    return REAL_GRADE_ONE(hw, path, out_root, pytest_args)


def test_a_submission_whose_process_always_dies_gets_a_grader_failure_that_a_rerun_retries(
        tmp_path, monkeypatch, capsys):
    students = ["reference", MUTANTS[0]]
    paths = write_class(tmp_path / "submitted", students)
    out = tmp_path / "out"
    pattern = tmp_path / "submitted" / "*" / HW / NOTEBOOK
    monkeypatch.setattr(cli, "grade_one", grade_one_but_reference_dies)
    assert run_with_deadline(lambda: hw_grade(pattern, out, "--jobs", "2"), 300) == 1
    printed = capsys.readouterr()

    [test] = results(out, "reference")["tests"]
    assert test["name"] == "grader failure" and test["score"] == 0
    assert test["output"] == ("grader failure, not your fault: the grading process died twice "
                              "(first: killed or crashed (out of memory?); then alone: killed or crashed "
                              "(out of memory?)); re-run hw grade to retry")
    assert "grader failure, not your fault" in (out / "reference" / HW / "feedback.txt").read_text()
    assert not hash_of(out, "reference").exists()
    for student in students[1:]:  # graded again alone after the pool broke, and recorded
        assert_real_grade(out, student)
        assert hash_of(out, student).read_text().strip() == sha256(paths[student])
    rows = scores_csv(out)
    assert (rows["reference"]["state"], rows["reference"]["score"]) == ("grader failure", "")
    assert [line for line in printed.err.splitlines() if line.startswith("hw grade:")] == [
        "hw grade: the grader failed for reference (not their fault); run the same command again "
        "to grade them: it skips everyone already graded"]

    monkeypatch.undo()  # the grader is fixed: a plain re-run grades the reference, only it
    assert hw_grade(pattern, out, "--jobs", "2") == 0
    again = capsys.readouterr().out
    assert "graded reference:" in again
    assert f"skipped {students[1]}: already graded" in again
    assert_real_grade(out, "reference")
    assert hash_of(out, "reference").read_text().strip() == sha256(paths["reference"])


def test_a_grader_that_raises_leaves_no_hash_even_an_old_one(tmp_path, monkeypatch, capsys):
    paths = write_class(tmp_path / "submitted", ["blank"])
    out = tmp_path / "out"
    # As after an earlier run that graded this very notebook.
    hash_of(out, "blank").parent.mkdir(parents=True)
    hash_of(out, "blank").write_text(sha256(paths["blank"]) + "\n")

    def grade_raises(*args):
        raise RuntimeError("the hidden tests for hw01 could not run (pytest exit code 3)")

    monkeypatch.setattr(cli.grading, "grade", grade_raises)
    assert hw_grade(paths["blank"], out, "--jobs", "1", "--force") == 1
    [test] = results(out, "blank")["tests"]
    assert test["output"] == ("grader failure, not your fault: RuntimeError: the hidden tests for hw01 "
                              "could not run (pytest exit code 3); re-run hw grade to retry")
    assert not hash_of(out, "blank").exists()
    assert not cli.already_graded(paths["blank"], out / "blank" / HW, HW)
    capsys.readouterr()
    monkeypatch.undo()
    assert hw_grade(paths["blank"], out, "--jobs", "1") == 0
    assert "graded blank:" in capsys.readouterr().out
    assert hash_of(out, "blank").read_text().strip() == sha256(paths["blank"])


# --------------------------------------------------------------------------- odd submissions


def test_symlinks_and_odd_files_are_refused_one_student_at_a_time(tmp_path, capsys):
    """A link to the reference (as notebook or as student folder), a fifo, a folder: all refused."""
    submitted, elsewhere = tmp_path / "submitted", tmp_path / "elsewhere"
    write_class(submitted, ["blank"])
    reference = write_class(elsewhere, ["reference"])["reference"]  # full marks, if it were read
    (submitted / "mallory" / HW).mkdir(parents=True)
    (submitted / "mallory" / HW / NOTEBOOK).symlink_to(reference)
    (submitted / "eve").symlink_to(elsewhere / "reference", target_is_directory=True)
    (submitted / "oscar").mkdir()
    (submitted / "oscar" / HW).symlink_to(elsewhere / "reference" / HW, target_is_directory=True)
    (submitted / "fred" / HW).mkdir(parents=True)
    os.mkfifo(submitted / "fred" / HW / NOTEBOOK)  # reading it would block the grader forever
    (submitted / "dora" / HW / NOTEBOOK).mkdir(parents=True)
    out = tmp_path / "out"

    code = run_with_deadline(lambda: hw_grade(submitted / "*" / HW / NOTEBOOK, out, "--jobs", "1"), 120)
    printed = capsys.readouterr().out
    assert code == 0
    paths = {"blank": submitted / "blank" / HW / NOTEBOOK}
    assert "graded blank:" in printed and hash_of(out, "blank").read_text().strip() == sha256(paths["blank"])
    reasons = {
        "mallory": f"mallory/{HW}/{NOTEBOOK} was not read: mallory/{HW}/{NOTEBOOK} is a symbolic link",
        "eve": f"eve/{HW}/{NOTEBOOK} was not read: its folder eve/ is a symbolic link",
        "oscar": f"oscar/{HW}/{NOTEBOOK} was not read: its folder oscar/{HW}/ is a symbolic link",
        "fred": f"fred/{HW}/{NOTEBOOK} was not read: it is a fifo, not a regular file",
        "dora": f"dora/{HW}/{NOTEBOOK} was not read: it is a folder, not a regular file",
    }
    rows = scores_csv(out)
    for student, reason in reasons.items():
        data = results(out, student)
        [test] = data["tests"]
        assert (data["score"], test["name"]) == (0, "refused")
        assert test["output"].startswith(reason), test["output"]
        assert str(tmp_path) not in test["output"]  # the student's path, not the grader's folders
        assert reason in (out / student / HW / "feedback.txt").read_text()
        assert not hash_of(out, student).exists()
        assert f"refused {student}: {reason}" in printed
        assert (rows[student]["state"], rows[student]["error"][:len(reason)]) == ("refused", reason)
    assert rows["blank"]["state"] == "graded"
    assert "reference" not in {p.name for p in out.iterdir()}  # no link named a student after its target


def test_odd_submission_checks_only_below_the_class_folder(tmp_path):
    real = tmp_path / "real"
    (real / "alice" / HW).mkdir(parents=True)
    (real / "alice" / HW / NOTEBOOK).write_text("{}")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)  # the teacher's own link: fine
    path = tmp_path / "link" / "alice" / HW / NOTEBOOK
    assert cli.odd_submission(path, tmp_path / "link") == ""
    assert cli.odd_submission(path, tmp_path).startswith(
        f"link/alice/{HW}/{NOTEBOOK} was not read: its folder link/ is a symbolic link")
    assert cli.odd_submission(tmp_path / "nothing.ipynb", tmp_path).startswith(
        "nothing.ipynb was not read: No such file or directory")
    assert cli.submission_hash(tmp_path / "link" / "alice") is None  # a folder has no hash


# --------------------------------------------------------------------------- name collisions


def test_a_name_collision_costs_the_two_submissions_only(tmp_path, capsys):
    """Five submissions from two archives, bob in both: three graded, bob not, exit status 2."""
    blank = corpus.load(corpus.release_path(HW))
    for archive, students in (("a", ["bob", "carol", "dan"]), ("b", ["bob", "erin"])):
        corpus.write_submissions(HW, dict.fromkeys(students, blank), tmp_path / archive)
    out = tmp_path / "out"
    code = hw_grade(tmp_path / "*" / "*" / HW / NOTEBOOK, out, "--jobs", "1")
    printed = capsys.readouterr()
    assert code == 2
    bobs = [tmp_path / archive / "bob" / HW / NOTEBOOK for archive in "ab"]
    assert f"not graded: {bobs[0]} and {bobs[1]} would both write the results of bob" in printed.err
    assert printed.err.strip().splitlines()[-1] == (
        "hw grade: 1 student name(s) collided, their submissions were not graded (bob): "
        "rename the folders so each student has one, or grade them separately with different --out")
    assert sorted(p.name for p in out.iterdir() if p.name != "_class") == ["carol", "dan", "erin"]
    assert sorted(scores_csv(out)) == ["carol", "dan", "erin"]
    for student in ("carol", "dan", "erin"):
        assert f"graded {student}:" in printed.out and hash_of(out, student).is_file()
