"""Grading a class with `hw grade`: parallel jobs, shards and merge, resume, the summary.

Three hw01 submissions (reference, blank, one wrong answer) keep this under a minute.
"""

import json
import shutil

import pytest

from hw_utils import cli

import corpus

HW = corpus.HW
STUDENTS = ["reference", "blank", "lambda_term_dropped"]


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    notebooks = {name: nb for name, nb in corpus.standard_corpus(HW).items() if name in STUDENTS}
    root = tmp_path_factory.mktemp("class") / "submitted"
    corpus.write_submissions(HW, notebooks, root)
    return root


def hw_grade(submitted, out, *options):
    """hw grade on the class; the canary (one more grading) only where a test asks for it."""
    canary = () if "--canary" in options else ("--no-canary",)
    return cli.main(["grade", HW, str(submitted / "*" / HW / "*.ipynb"), "--out", str(out),
                     "--load-timeout", "30", *canary, *options])


def results(out) -> dict:
    """student -> results.json without its timing, the one field allowed to differ."""
    found = {}
    for path in sorted(out.glob(f"*/{HW}/results.json")):
        data = json.loads(path.read_text())
        data.pop("execution_time")
        found[path.parent.parent.name] = data
    return found


@pytest.fixture(scope="module")
def one_job(submitted, tmp_path_factory):
    out = tmp_path_factory.mktemp("one_job")
    reference = submitted / "reference" / HW / f"{HW}.ipynb"  # the corpus's reference: a passing canary
    assert hw_grade(submitted, out, "--jobs", "1", "--canary", str(reference)) == 0
    return out


def test_two_jobs_grade_exactly_like_one(submitted, one_job, tmp_path, capsys):
    assert hw_grade(submitted, tmp_path, "--jobs", "2") == 0
    err = capsys.readouterr().err  # not a terminal: plain progress lines, k of N
    assert all(f"[progress] {k} of 3 graded" in err for k in (1, 2, 3)), err
    assert sorted(results(one_job)) == sorted(STUDENTS)
    assert results(tmp_path) == results(one_job)


def test_shards_merge_into_the_whole_class(submitted, one_job, tmp_path):
    shards = [tmp_path / "shard1", tmp_path / "shard2"]
    for i, shard in enumerate(shards, 1):
        assert hw_grade(submitted, shard, "--jobs", "1", "--shard", f"{i}/2") == 0
    graded = [set(results(shard)) for shard in shards]
    assert graded[0].isdisjoint(graded[1]) and graded[0] | graded[1] == set(STUDENTS)
    merged = tmp_path / "merged"
    assert cli.main(["merge", HW, *map(str, shards), "--out", str(merged)]) == 0
    assert results(merged) == results(one_job)
    scores = (merged / "_class" / HW / "scores.csv").read_text()
    assert all(student in scores for student in STUDENTS)


def test_rerun_skips_what_is_graded_and_regrades_what_changed(submitted, one_job, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(one_job, out)
    before = {s: (out / s / HW / "results.json").stat().st_mtime_ns for s in STUDENTS}
    notebook = submitted / "blank" / HW / f"{HW}.ipynb"
    original = notebook.read_bytes()
    try:
        notebook.write_bytes(original.replace(b'"metadata": {', b'"metadata": {"edited": true, ', 1))
        capsys.readouterr()
        assert hw_grade(submitted, out, "--jobs", "1") == 0
        printed = capsys.readouterr().out
    finally:
        notebook.write_bytes(original)
    assert "skipped reference: already graded" in printed and "graded blank:" in printed
    after = {s: (out / s / HW / "results.json").stat().st_mtime_ns for s in STUDENTS}
    assert [s for s in STUDENTS if after[s] != before[s]] == ["blank"]
    # A crash between results.json and the hash leaves the submission to be graded again.
    (out / "reference" / HW / cli.SUBMISSION_HASH).unlink()
    assert hw_grade(submitted, out, "--jobs", "1") == 0
    assert "graded reference:" in capsys.readouterr().out
    assert hw_grade(submitted, out, "--jobs", "1", "--force") == 0
    assert capsys.readouterr().out.count("graded ") == len(STUDENTS)


def test_class_summary_is_written(one_job):
    summary = one_job / "_class" / HW
    assert {p.name for p in summary.iterdir()} >= {"scores.csv", "scores.md", "tests.csv", "histogram.png"}
    assert (summary / "histogram.png").read_bytes().startswith(b"\x89PNG")
    assert "reference" in (summary / "scores.md").read_text()


def test_a_passing_canary_flags_nothing_and_is_no_student(one_job):
    canary = one_job / "_class" / HW / "canary"
    graded = json.loads(next(canary.glob(f"*/{HW}/results.json")).read_text())
    assert graded["score"] == graded["max_score"] > 0
    assert not (one_job / "_class" / HW / "CANARY_FAILED.txt").exists()
    scores = (one_job / "_class" / HW / "scores.csv").read_text()
    assert len(scores.strip().splitlines()) == 1 + len(STUDENTS) and "WARNING" not in scores


def test_a_reference_that_loses_points_flags_the_run(submitted, tmp_path, capsys):
    """The blank notebook stands in for a reference spoiled by the machine: exit 3, flag, banner."""
    out = tmp_path / "out"
    student = submitted / "reference" / HW / f"{HW}.ipynb"
    spoiled = submitted / "blank" / HW / f"{HW}.ipynb"
    status = cli.main(["grade", HW, str(student), "--out", str(out), "--jobs", "2", "--canary", str(spoiled)])
    err = capsys.readouterr().err
    assert status == 3
    assert "the reference (canary) done" in err and "] source done" not in err  # named as what it is
    flag = (out / "_class" / HW / "CANARY_FAILED.txt").read_text()
    assert "reference solution lost points" in err and "machine was overloaded" in err
    assert "::" in flag  # names the tests the reference failed (their pytest ids)
    assert "reference solution lost points" in (out / "_class" / HW / "scores.md").read_text().splitlines()[0]
    assert "the reference solution lost points: see" in err.strip().splitlines()[-1]
    scores = (out / "_class" / HW / "scores.csv").read_text()
    assert len(scores.strip().splitlines()) == 2  # the student alone; the canary is never a row


def test_bad_shard_is_refused_and_colliding_students_are_left_out(submitted, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        hw_grade(submitted, tmp_path, "--shard", "3/2")
    assert exited.value.code == 2
    assert "shard" in capsys.readouterr().err
    flat = tmp_path / "flat"
    (flat / "a").mkdir(parents=True)
    (flat / "b").mkdir()
    for folder in ("a", "b"):
        shutil.copy(submitted / "blank" / HW / f"{HW}.ipynb", flat / folder / "same.ipynb")
    out = tmp_path / "out"
    assert cli.main(["grade", HW, str(flat / "*" / "same.ipynb"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    a, b = flat / "a" / "same.ipynb", flat / "b" / "same.ipynb"
    assert f"{a} and {b} would both write the results of same" in err
    assert not (out / "same").exists()  # neither was graded: whose results would they be?
    # The same path given twice (a glob and a name) is one submission, not a collision.
    link = flat / "link.ipynb"
    link.symlink_to(flat / "a" / "same.ipynb")  # refused, so nothing is graded here
    assert cli.main(["grade", HW, str(link), str(flat / "*.ipynb"), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "would both write" not in printed.err and printed.out.count("refused link:") == 1


def test_a_machine_that_cannot_confine_is_refused_unless_allowed(submitted, tmp_path, monkeypatch, capsys):
    """Grades of record need the kernel's confinement; without it, `hw grade` says what is
    missing and stops, or (--allow-unconfined) grades and says so in every feedback."""
    monkeypatch.setattr(cli.grading.sandbox, "confinement_gaps", lambda *a: ["files hidden", "tcp blocked"])
    out = tmp_path / "refused"
    assert hw_grade(submitted, out, "--jobs", "1") == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "cannot fully confine student code (missing: files hidden, tcp blocked)" in line
    assert "--allow-unconfined" in line
    assert not list(out.glob(f"*/{HW}/results.json"))

    out = tmp_path / "allowed"
    assert hw_grade(submitted, out, "--jobs", "1", "--allow-unconfined") == 0
    feedback = (out / "reference" / HW / "feedback.txt").read_text()
    assert "could not fully confine student code (missing: files hidden, tcp blocked)" in feedback
    results = json.loads((out / "reference" / HW / "results.json").read_text())
    assert results["score"] == results["max_score"] > 0


def test_this_machine_confines_fully():
    """Where the kernel offers everything (Landlock ABI 6, x86_64), every piece takes hold."""
    import os

    from hw_utils import confine

    if confine.landlock_abi() < 6 or os.uname().machine != "x86_64":
        pytest.skip("this kernel lacks Landlock ABI 6 or is not x86_64: hw grade refuses here by design")
    assert cli.grading.sandbox.confinement_gaps() == []


def test_changed_hidden_tests_regrade_everyone_and_the_report_says_what_changed(
        submitted, one_job, tmp_path, monkeypatch, capsys):
    from hw_utils import course, version

    # The hidden tests as fixed after publishing: one test is now worth 5 points, not 3.
    changed = tmp_path / "grader_tests"
    shutil.copytree(course.GRADER_TESTS / HW, changed / HW, ignore=shutil.ignore_patterns("__pycache__"))
    version.grader_version.cache_clear()
    original = version.grader_version(HW)
    monkeypatch.setattr(course, "GRADER_TESTS", changed)
    version.grader_version.cache_clear()
    assert version.grader_version(HW) == original, "a copy of the same hidden tests is the same grader"
    test_file = changed / HW / "test_neuron.py"
    text = test_file.read_text()
    old = "@pytest.mark.points(3)\ndef test_neuron_backward_parameters"
    assert text.count(old) == 1
    test_file.write_text(text.replace(old, old.replace("(3)", "(5)")))
    version.grader_version.cache_clear()
    try:
        out = tmp_path / "out"
        shutil.copytree(one_job, out)
        capsys.readouterr()
        assert hw_grade(submitted, out, "--jobs", "1") == 0  # no --force: the grader changed
        printed = capsys.readouterr().out
        assert printed.count("the grader changed since it was graded") == len(STUDENTS), printed
        assert "skipped" not in printed
        new_version = version.grader_version(HW)
        assert {r["extra_data"]["grader_version"] for r in results(out).values()} == {new_version}

        assert cli.main(["regrade-report", HW, str(one_job), str(out)]) == 0
    finally:
        version.grader_version.cache_clear()
    report = capsys.readouterr().out
    assert (out / "_class" / HW / "regrade-report.md").read_text() in report
    rows = {line.split("|")[1].strip(): line for line in report.splitlines() if line.startswith("| ")}
    assert set(rows) == {"student", *STUDENTS}  # every max changed, so everyone is listed
    full = results(one_job)["reference"]["max_score"]
    assert f"| {full:g}/{full:g} | {full + 2:g}/{full + 2:g} | +2 |" in rows["reference"], rows["reference"]
    assert "test_neuron::test_neuron_backward_parameters: 3/3 passed → 5/5 passed" in rows["reference"]
    assert "| +0 |" in rows["lambda_term_dropped"] and "0/3 failed → 0/5 failed" in rows["lambda_term_dropped"]
    assert new_version in report


def test_a_regrade_report_of_one_grading_with_itself_lists_nobody(one_job, capsys):
    assert cli.main(["regrade-report", HW, str(one_job), str(one_job)]) == 0
    assert "No student's grade changed." in capsys.readouterr().out
