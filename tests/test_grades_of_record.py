"""From autograded results to grades of record, end to end on hw06 (three questions graded by
hand, about 5 s to grade): hand-marked answers (export, import, pending, regrading keeps
them), late penalties, the gradebook. Each workflow runs the `hw` commands an instructor runs."""

import csv
import json
import shutil
from datetime import datetime, timezone

import pytest

from hw_utils import cli, late
from hw_utils.notebook import nbgrader_meta

import corpus

HW = "hw06_regularization"
QUESTIONS = ["wd_answer", "dropout_answer", "bn_answer"]
HOSTILE_ANSWER = "My answer </div><script>alert(1)</script>\n```\nbreak the fence\n```\n| a | table |"


def _with_answer(nb, grade_id: str, text: str):
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)
    cell.source = text
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """reference, blank and 'mallory' (the reference with a hostile answer) graded into out/."""
    root = tmp_path_factory.mktemp("record")
    notebooks = corpus.reference_and_blank(HW)
    notebooks["mallory"] = _with_answer(corpus.load(corpus.source_path(HW)), "wd_answer", HOSTILE_ANSWER)
    paths = corpus.write_submissions(HW, notebooks, root / "submitted")
    out = root / "out"
    assert cli.main(["grade", HW, str(root / "submitted" / "*" / HW / "*.ipynb"), "--out", str(out),
                     "--jobs", "1", "--no-canary"]) == 0
    return out, paths


@pytest.fixture
def out(graded, tmp_path):
    """A copy of the graded class each test may change."""
    copy = tmp_path / "out"
    shutil.copytree(graded[0], copy)
    return copy


def results(out, student) -> dict:
    return json.loads((out / student / HW / "results.json").read_text())


def graded_rows(out, student) -> dict:
    return {t["extra_data"]["id"]: t for t in results(out, student)["tests"]}


def scores(out) -> dict:
    with (out / "_class" / HW / "scores.csv").open(newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def sheet(out, question) -> list[dict]:
    with (out / "_class" / HW / "manual" / f"{question}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def write_sheet(path, rows):
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def hw(*args) -> int:
    return cli.main([*map(str, args)])


# --------------------------------------------------------------------------- by hand


def test_questions_graded_by_hand_start_pending_not_zero(graded):
    out, _ = graded
    tests = graded_rows(out, "reference")
    for q in QUESTIONS:
        row = tests[f"manual::{q}"]
        assert row["max_score"] == 0 and "not marked yet" in row["output"] and "status" not in row
    ref = results(out, "reference")
    assert ref["score"] == ref["max_score"] > 0  # full marks on what is graded so far
    assert "[PENDING] Graded by hand: wd_answer" in (out / "reference" / HW / "feedback.txt").read_text()
    row = scores(out)["reference"]
    assert row["pending"] == "3" and row["by_hand"] == "0" and float(row["raw"]) == ref["score"]
    assert "(3 pending)" in (out / "_class" / HW / "scores.md").read_text()


def test_marks_flow_from_sheets_into_results_feedback_and_summary_and_survive_a_regrade(graded, out, capsys):
    _, paths = graded
    raw = results(out, "reference")["score"]
    assert hw("manual", "export", HW, "--out", out) == 0
    rows = sheet(out, "wd_answer")
    by_student = {r["student"]: r for r in rows}
    assert set(by_student) == {"reference", "blank", "mallory"}
    # The blank's unchanged stub is marked 0 already; a real answer waits for a grader.
    assert by_student["blank"]["points"] == "0" and by_student["blank"]["comment"] == "no answer"
    assert by_student["reference"]["points"] == "" and by_student["reference"]["max_points"] == "2"
    reading = (out / "_class" / HW / "manual" / "wd_answer.md").read_text()
    assert "## Model answer (the rubric)" in reading and "## reference" in reading
    # What a student wrote is shown in a fence longer than any inside it: never rendered.
    assert "````text\n" + HOSTILE_ANSWER + "\n````" in reading

    by_student["reference"].update(points="2", comment="clear and complete")
    by_student["mallory"].update(points="0.5", comment="the norm is not discussed")
    write_sheet(out / "wd.csv", list(by_student.values()))
    dropout = sheet(out, "dropout_answer")
    for r in dropout:
        r.update(points="1.5" if r["student"] == "reference" else "", comment="")  # the rest: pending
    write_sheet(out / "dropout.csv", dropout)
    assert hw("manual", "import", HW, out / "wd.csv", out / "dropout.csv", "--out", out) == 0

    tests = graded_rows(out, "reference")
    assert tests["manual::wd_answer"]["score"] == 2 and tests["manual::wd_answer"]["status"] == "passed"
    assert tests["manual::dropout_answer"]["score"] == 1.5 and tests["manual::dropout_answer"]["max_score"] == 2
    assert tests["manual::bn_answer"]["max_score"] == 0  # still pending
    assert results(out, "reference")["score"] == raw + 3.5
    feedback = (out / "reference" / HW / "feedback.txt").read_text()
    assert "[BY HAND] Graded by hand: wd_answer (2/2)" in feedback and "clear and complete" in feedback
    row = scores(out)["reference"]
    assert row["by_hand"] == "3.5" and row["pending"] == "1" and float(row["score"]) == raw + 3.5
    assert graded_rows(out, "mallory")["manual::wd_answer"]["output"] == "the norm is not discussed"

    # A regrade rewrites the autograded part; the marks stay.
    before = results(out, "reference")
    assert hw("grade", HW, paths["reference"], "--out", out, "--jobs", "1", "--no-canary", "--force") == 0
    after = results(out, "reference")
    assert after["score"] == before["score"] and after["tests"] == before["tests"]

    # A sheet exported again keeps the marks given; a mark of an answer since changed is refused.
    assert hw("manual", "export", HW, "--out", out) == 0
    assert {r["student"]: r["points"] for r in sheet(out, "wd_answer")}["reference"] == "2"
    nb = corpus.load(paths["reference"])
    corpus.write_submissions(HW, {"reference": _with_answer(nb, "wd_answer", "a new answer")},
                             out.parent / "moved")
    paths["reference"].write_text((out.parent / "moved" / "reference" / HW / f"{HW}.ipynb").read_text())
    try:
        capsys.readouterr()
        assert hw("manual", "import", HW, out / "wd.csv", "--out", out) == 2
        err = capsys.readouterr().err
        assert "reference's answer to wd_answer changed since this sheet was exported" in err
        assert len(err.strip().splitlines()) == 1
    finally:
        corpus.write_submissions(HW, {"reference": corpus.reference_and_blank(HW)["reference"]},
                                 paths["reference"].parent.parent.parent)


def test_two_graders_sheets_imported_one_after_the_other_keep_both_marks(graded, out):
    assert hw("manual", "export", HW, "--out", out) == 0
    rows = sheet(out, "wd_answer")
    ta1 = [{**r, "points": "2" if r["student"] == "reference" else ""} for r in rows]
    ta2 = [{**r, "points": "1" if r["student"] == "mallory" else ""} for r in rows]
    write_sheet(out / "ta1.csv", ta1)
    write_sheet(out / "ta2.csv", ta2)
    assert hw("manual", "import", HW, out / "ta1.csv", "--out", out) == 0
    assert hw("manual", "import", HW, out / "ta2.csv", "--out", out) == 0
    assert graded_rows(out, "reference")["manual::wd_answer"]["score"] == 2, "TA 2's empty cell erased TA 1's mark"
    assert graded_rows(out, "mallory")["manual::wd_answer"]["score"] == 1
    # `pending` takes a mark back, on purpose.
    write_sheet(out / "undo.csv", [{**r, "points": "pending" if r["student"] == "mallory" else ""} for r in rows])
    assert hw("manual", "import", HW, out / "undo.csv", "--out", out) == 0
    assert graded_rows(out, "mallory")["manual::wd_answer"]["max_score"] == 0
    assert graded_rows(out, "reference")["manual::wd_answer"]["score"] == 2


def test_merging_shards_again_keeps_the_marks_given_in_the_merged_folder(graded, out):
    assert hw("manual", "export", HW, "--out", out) == 0
    write_sheet(out / "ta.csv", [{**r, "points": "2" if r["student"] == "reference" else ""}
                                 for r in sheet(out, "wd_answer")])
    assert hw("manual", "import", HW, out / "ta.csv", "--out", out) == 0
    assert hw("merge", HW, graded[0], "--out", out) == 0  # the shard's results.json has no marks
    assert graded_rows(out, "reference")["manual::wd_answer"]["score"] == 2
    assert scores(out)["reference"]["by_hand"] == "2"


@pytest.mark.parametrize("change, message", [
    ({"points": "3"}, "points 3 outside 0..2 for wd_answer"),
    ({"points": "-1"}, "points -1 outside 0..2"),
    ({"points": "two"}, "points 'two' is not a number"),
    ({"points": "nan"}, "outside 0..2"),
    ({"student": "nobody"}, "no graded student 'nobody'"),
    ({"student": "../reference"}, "no graded student '../reference'"),
    ({"question": "relu_derivation"}, "'relu_derivation' is not a question of hw06_regularization"),
])
def test_a_bad_row_writes_nothing_and_says_where(graded, out, capsys, change, message):
    assert hw("manual", "export", HW, "--out", out) == 0
    rows = sheet(out, "wd_answer")
    rows[0].update(points="1")
    rows[-1].update(change)  # one good row, one bad: nothing at all may land
    write_sheet(out / "bad.csv", rows)
    before = {s: (out / s / HW / "results.json").read_bytes() for s in ("reference", "blank", "mallory")}
    capsys.readouterr()
    assert hw("manual", "import", HW, out / "bad.csv", "--out", out) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "row 4" in err and len(err.splitlines()) == 1, err
    assert before == {s: (out / s / HW / "results.json").read_bytes() for s in before}
    assert not list(out.glob(f"*/{HW}/manual.json"))


def test_a_sheet_that_is_not_ours_is_refused_in_one_line(out, capsys):
    (out / "other.csv").write_text("name,score\nalice,3\n")
    assert hw("manual", "import", HW, out / "other.csv", "--out", out) == 2
    assert "no column 'question'" in capsys.readouterr().err
    assert hw("manual", "export", "hw01_backprop", "--out", out) == 2
    assert "has no question graded by hand" in capsys.readouterr().err


# --------------------------------------------------------------------------- late work


POLICY = """
[hw06_regularization]
due = 2026-11-01T23:59:00+01:00
percent_per_day = 10
max_percent = 25
grace_minutes = 15
"""


def test_lateness_counts_started_days_after_the_grace_up_to_the_cap(tmp_path):
    path = tmp_path / "deadlines.toml"
    path.write_text(POLICY)
    policy = late.load_policy(HW, path)
    due = policy.due

    def at(**delta):
        from datetime import timedelta
        return late.lateness(policy, due + timedelta(**delta))

    assert at(minutes=-1).days_late == 0 and at(minutes=15).percent == 0  # the grace
    assert at(minutes=16).days_late == 1 and at(minutes=16).percent == 10
    assert at(days=1, minutes=15).days_late == 1 and at(days=1, minutes=16).percent == 20
    assert at(days=9).percent == 25  # the cap
    in_utc = datetime(2026, 11, 1, 22, 59, tzinfo=timezone.utc)  # the same instant as the due date
    assert late.lateness(policy, in_utc).days_late == 0
    assert late.lateness(policy, due.replace(day=2), extra_days=1).days_late == 0  # an extension


@pytest.mark.parametrize("text, message", [
    ('[hw06_regularization]\ndue = 2026-11-01T23:59:00\npercent_per_day = 10\n', "with its UTC offset"),
    ('[hw06_regularization]\ndue = 2026-11-01T23:59:00Z\npercent_per_day = 150\n', "between 0 and 100"),
    ('[hw01_backprop]\ndue = 2026-11-01T23:59:00Z\npercent_per_day = 5\n', "no [hw06_regularization] section"),
    ("not toml [", "not a readable TOML file"),
])
def test_a_bad_policy_is_one_line(out, tmp_path, capsys, text, message):
    (tmp_path / "deadlines.toml").write_text(text)
    (tmp_path / "times.csv").write_text("student,submitted_at\nreference,2026-11-01T10:00:00+00:00\n")
    assert hw("late", HW, tmp_path / "times.csv", "--policy", tmp_path / "deadlines.toml", "--out", out) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("times, extensions, message", [
    ("student,submitted_at\nmallory,2026-11-03T05:59:00+01:00\n", "student,homework,days\nmallory,hw06,3\n",
     "'hw06' is not a homework"),
    ("student,submitted_at\nmallory,2026-11-03T05:59:00+01:00\nmallory,2026-11-01T05:59:00+01:00\n",
     "student,homework,days\n", "a second time for mallory"),
    ("student,submitted_at\nmallory,2026-11-03T05:59:00+01:00\n",
     "student,homework,days\nmallory,hw06_regularization,1\nmallory,hw06_regularization,2\n", "a second extension"),
    ("student,submitted_at\nmallory,2026-11-03T05:59:00+01:00\n", "student,homework,days\nmallory,hw06_regularization,1e9\n",
     "0 to 366"),
])
def test_a_typo_in_times_or_extensions_is_refused_not_guessed(out, tmp_path, capsys, times, extensions, message):
    (tmp_path / "deadlines.toml").write_text(POLICY)
    (tmp_path / "times.csv").write_text(times)
    (tmp_path / "extensions.csv").write_text(extensions)
    assert hw("late", HW, tmp_path / "times.csv", "--policy", tmp_path / "deadlines.toml",
              "--extensions", tmp_path / "extensions.csv", "--out", out) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert not list(out.glob(f"*/{HW}/late.json"))


def test_late_penalties_show_apart_from_the_raw_score_and_count_marks_given_later(graded, out, tmp_path):
    (tmp_path / "deadlines.toml").write_text(POLICY)
    # reference on time, mallory 30 hours late (2 started days: -20%), blank with no time.
    (tmp_path / "times.csv").write_text("student,submitted_at\nreference,2026-11-01T20:00:00+01:00\n"
                                        "mallory,2026-11-03T05:59:00+01:00\n")
    (tmp_path / "extensions.csv").write_text("student,homework,days\nmallory,hw01_backprop,5\n")
    args = ("late", HW, tmp_path / "times.csv", "--policy", tmp_path / "deadlines.toml",
            "--extensions", tmp_path / "extensions.csv", "--out", out)
    raw = results(out, "mallory")["score"]
    assert hw(*args) == 0
    assert "late::penalty" not in graded_rows(out, "reference")
    penalty = graded_rows(out, "mallory")["late::penalty"]
    assert penalty["score"] == pytest.approx(-0.2 * raw) and penalty["max_score"] == 0
    assert "2 days late, -20%" in penalty["output"]
    assert results(out, "mallory")["score"] == pytest.approx(0.8 * raw)
    row = scores(out)["mallory"]
    assert float(row["raw"]) == pytest.approx(raw) and float(row["late"]) == pytest.approx(-0.2 * raw, abs=0.01)
    assert "[LATE] Late penalty" in (out / "mallory" / HW / "feedback.txt").read_text()

    # An extension of one day for this homework: 6 hours late, one day, -10%.
    (tmp_path / "extensions.csv").write_text("student,homework,days\nmallory,hw06_regularization,1\n")
    assert hw(*args) == 0
    assert graded_rows(out, "mallory")["late::penalty"]["score"] == pytest.approx(-0.1 * raw)

    # Marks given by hand afterwards are late work too.
    assert hw("manual", "export", HW, "--out", out) == 0
    rows = sheet(out, "wd_answer")
    for r in rows:
        r["points"] = "2" if r["student"] == "mallory" else r["points"]
    write_sheet(out / "wd.csv", rows)
    assert hw("manual", "import", HW, out / "wd.csv", "--out", out) == 0
    assert graded_rows(out, "mallory")["late::penalty"]["score"] == pytest.approx(-0.1 * (raw + 2))
    assert results(out, "mallory")["score"] == pytest.approx(0.9 * (raw + 2))


def test_hw_collect_records_give_the_times_of_collected_repositories(tmp_path):
    record = tmp_path / "hw06_regularization_collected.csv"
    record.write_text("repository,student,status,notebook,commit,committed_at,note\n"
                      "hw06-alice,alice,collected,hw06.ipynb,abc,2026-11-02T10:00:00+01:00,\n"
                      "hw06-bob,,refused,,,,no notebook\n")
    assert late.load_times(record) == {"alice": datetime.fromisoformat("2026-11-02T10:00:00+01:00")}
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text(json.dumps({"created_at": "2018-07-01T14:22:32.365935-07:00", "users": []}))
    assert late.gradescope_time(metadata).utcoffset().total_seconds() == -7 * 3600


def test_on_gradescope_the_penalty_uses_the_time_gradescope_recorded(tmp_path, monkeypatch, capsys):
    from hw_utils import gradescope
    from hw_utils.results import Grade, TestResult

    (tmp_path / "deadlines.toml").write_text(POLICY)
    monkeypatch.setattr(late, "default_policy_file", lambda: tmp_path / "deadlines.toml")
    assert gradescope.zip_members(HW, "visible")["deadlines.toml"][0] == POLICY.encode()
    grade = Grade(HW, "upload.ipynb", [TestResult("test_a::test_b", 10, 10, "passed", "", False)])
    assert late.on_gradescope(HW, tmp_path, grade) == [], "no submission_metadata.json: no penalty"
    assert "late policy not applied" in capsys.readouterr().out
    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"created_at": "2026-11-03T05:59:00.000000+01:00", "users": [{"email": "s@example.com"}]}))
    [row] = late.on_gradescope(HW, tmp_path, grade)
    assert row.name == "late::penalty" and row.score == -2 and row.max_score == 0


# --------------------------------------------------------------------------- the gradebook


def test_the_gradebook_exports_raw_manual_late_and_final_for_lms_import(graded, out, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,lms_id,sis_id,login,section\n"
                      "reference,Ref Erence,101,S1,ref,A\nblank,=HYPERLINK(\"x\"),102,S2,blank,A\n"
                      "mallory,Mal Lory,103,S3,mal,B\n")
    assert hw("gradebook", HW, "--roster", roster, "--out", out) == 0
    with (out / "_class" / "gradebook-plain.csv").open(newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    ref = results(out, "reference")
    assert rows["reference"]["lms_id"] == "101" and float(rows["reference"][f"{HW} final"]) == ref["score"]
    assert rows["reference"][f"{HW} pending"] == "3" and rows["blank"][f"{HW} final"] == "0"
    assert rows["blank"]["name"].startswith("'=")  # a spreadsheet shows it, never runs it

    assert hw("gradebook", HW, "--format", "canvas", "--roster", roster, "--out", out,
              "--to", tmp_path / "canvas.csv") == 0
    lines = list(csv.reader((tmp_path / "canvas.csv").open(newline="")))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", HW]
    # Points possible: the autograded maximum and the 6 points graded by hand, pending or not.
    assert lines[1][0] == "Points Possible" and float(lines[1][5]) == ref["max_score"] + 6
    assert ["Ref Erence", "101", "S1", "ref", "A", f"{ref['score']:g}"] in lines
    assert "pending" in capsys.readouterr().out

    roster.write_text("student,lms_id\nreference,101\nblank,101\nmallory,103\n")
    assert hw("gradebook", HW, "--format", "canvas", "--roster", roster, "--out", out) == 2
    assert "reference and blank have the same lms_id '101'" in capsys.readouterr().err

    roster.write_text("student,lms_id\nreference,101\n")
    assert hw("gradebook", HW, "--format", "canvas", "--roster", roster, "--out", out) == 2
    assert "2 graded student(s) have no Canvas ID in the roster (blank, mallory)" in capsys.readouterr().err
