"""hw_utils.classroom on hand-made results trees: no grading, no training."""

import csv
import json
import os
from pathlib import Path

import pytest

from hw_utils import classroom

HW = "hw01_backprop"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def passed(name, points):
    return {"name": name, "score": points, "max_score": points, "status": "passed",
            "output": "", "visibility": "visible"}


def failed(name, points):
    return {"name": name, "score": 0.0, "max_score": points, "status": "failed",
            "output": "AssertionError", "visibility": "visible"}


def skipped(name):
    """As results.py writes a skipped test: worth nothing, and no status."""
    return {"name": name, "score": 0.0, "max_score": 0.0,
            "output": "skipped: gpu tier", "visibility": "visible"}


def results(*tests, execution_time=1.25):
    """A results.json as results.results_json shapes it."""
    return {"score": sum(t["score"] for t in tests),
            "max_score": sum(t["max_score"] for t in tests),
            "execution_time": execution_time, "output": "", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": list(tests)}


def put(root: Path, student: str, doc, hw: str = HW, feedback: str = "feedback\n") -> Path:
    folder = root / student / hw
    folder.mkdir(parents=True, exist_ok=True)
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    (folder / "results.json").write_text(text)
    (folder / "feedback.txt").write_text(feedback)
    return folder


@pytest.fixture
def klass(tmp_path) -> Path:
    """alice 5/5, bob 2/5, carol 0/5, dave's results.json corrupt, and things that are not students."""
    put(tmp_path, "carol", results(failed("t::q1", 2.0), failed("t::q2", 3.0), skipped("t::gpu")))
    put(tmp_path, "alice", results(passed("t::q1", 2.0), passed("t::q2", 3.0), skipped("t::gpu")))
    put(tmp_path, "bob", results(passed("t::q1", 2.0), failed("t::q2", 3.0), skipped("t::gpu")))
    put(tmp_path, "dave", '{"score": 3, "max_')
    put(tmp_path, "erin", results(passed("t::q1", 2.0)), hw="hw02_init")  # not this homework
    put(tmp_path, "_archive", results(passed("t::q1", 2.0)))
    put(tmp_path, ".scratch", results(passed("t::q1", 2.0)))
    (tmp_path / "README.md").write_text("not a student\n")
    return tmp_path


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- collect


def test_collect_reads_students_sorted_and_reports_corrupt_files(klass):
    rows = classroom.collect(klass, HW)
    assert [r.student for r in rows] == ["alice", "bob", "carol", "dave"]
    alice, bob, _, dave = rows
    assert (alice.score, alice.max_score, alice.error) == (5.0, 5.0, "")
    assert bob.tests == {"t::q1": (2.0, 2.0, "passed"), "t::q2": (0.0, 3.0, "failed"),
                         "t::gpu": (0.0, 0.0, "skipped")}
    assert bob.percent == 40.0
    assert dave.error.startswith("unreadable results.json: JSONDecodeError")
    assert dave.percent is None and dave.tests == {}


@pytest.mark.parametrize("text", [
    "[]", '{"score": 1}', '{"score": "1", "max_score": 2, "tests": []}',
    '{"score": 1, "max_score": 2, "tests": [{"name": "q"}]}',
    '{"score": NaN, "max_score": 2, "tests": []}', "\udcff",
])
def test_collect_turns_any_malformed_results_into_an_error_row(tmp_path, text):
    (tmp_path / "zoe" / HW).mkdir(parents=True)
    (tmp_path / "zoe" / HW / "results.json").write_text(text, errors="surrogateescape")
    [row] = classroom.collect(tmp_path, HW)
    assert row.student == "zoe" and row.error.startswith("unreadable results.json")


def test_collect_reports_a_missing_results_json(tmp_path):
    (tmp_path / "zoe" / HW).mkdir(parents=True)  # grading died before writing
    [row] = classroom.collect(tmp_path, HW)
    assert row.error == "results.json is missing"
    assert classroom.collect(tmp_path / "never_written", HW) == []  # an --out where nothing was graded


def test_collect_reads_what_results_writes(tmp_path):
    from hw_utils.results import Grade, TestResult, write

    grade = Grade(HW, "alice.ipynb", [TestResult("t::q1", 2.0, 2.0, "passed", "", True),
                                      TestResult("t::q2", 3.0, 0.0, "failed", "no", False),
                                      TestResult("t::gpu", 4.0, 0.0, "skipped", "no cuda", False)])
    write(grade, tmp_path / "alice" / HW)
    [row] = classroom.collect(tmp_path, HW)
    assert (row.score, row.max_score, row.error) == (2.0, 5.0, "")
    assert row.tests["t::gpu"] == (0.0, 0.0, "skipped")


# --------------------------------------------------------------------------- summary


def test_summary_scores_csv(klass):
    files = classroom.write_summary(klass, HW)
    assert files["scores.csv"] == klass / "_class" / HW / "scores.csv"
    rows = read_csv(files["scores.csv"])
    assert [(r["student"], r["score"], r["max_score"], r["percent"]) for r in rows] == [
        ("alice", "5", "5", "100.0"), ("bob", "2", "5", "40.0"),
        ("carol", "0", "5", "0.0"), ("dave", "", "", "")]
    assert [r["error"] != "" for r in rows] == [False, False, False, True]
    assert [r["state"] for r in rows] == ["graded", "graded", "graded", "unreadable"]


def test_summary_tests_csv_hardest_first_skips_not_counted(klass):
    rows = read_csv(classroom.write_summary(klass, HW)["tests.csv"])
    assert rows == [
        {"test": "t::q2", "max_score": "3", "graded": "3", "passed": "1", "skipped": "0",
         "pass_rate": "0.333", "mean_score": "1.00"},
        {"test": "t::q1", "max_score": "2", "graded": "3", "passed": "2", "skipped": "0",
         "pass_rate": "0.667", "mean_score": "1.33"},
        {"test": "t::gpu", "max_score": "0", "graded": "0", "passed": "0", "skipped": "3",
         "pass_rate": "", "mean_score": ""},
    ]


def test_summary_markdown(klass):
    md = classroom.write_summary(klass, HW)["scores.md"].read_text()
    assert md.startswith(f"# {HW}: class summary\n\n3 students graded, 1 unreadable.\n")
    # score, max, percent, then its parts: autograded, by hand, late (none here)
    assert "| alice | 5 | 5 | 100.0 | 5 | 0 |  | graded |  |" in md
    assert "| bob | 2 | 5 | 40.0 | 2 | 0 |  | graded |  |" in md
    assert "| dave |  |  |  |  |  |  | unreadable | unreadable results.json: JSONDecodeError" in md
    assert "- mean: 2.33 points (46.7%)\n- median: 2 points (40.0%)\n" \
           "- min: 0 points (0.0%)\n- max: 5 points (100.0%)\n" in md
    tests = md.split("## Tests, hardest first")[1]
    assert tests.index("| t::q2 | 1/3 (33%) | 1.00 | 3 | 0 |") \
        < tests.index("| t::q1 | 2/3 (67%) | 1.33 | 2 | 0 |") \
        < tests.index("| t::gpu | never graded |  | 0 | 3 |")


def not_graded(name, message):
    """The one 0-point row `hw grade` writes for a grader failure or a refused submission."""
    return {"name": name, "score": 0.0, "max_score": 0.0, "status": "failed",
            "output": message, "visibility": "visible"}


GRADER_FAILURE_MESSAGE = ("grader failure, not your fault: the grading process died twice; "
                          "re-run hw grade to retry")
REFUSED_MESSAGE = "mallory/hw01_backprop/hw01_backprop.ipynb was not read: it is a symbolic link"


def test_grader_failures_and_refusals_are_states_not_zero_scores(klass):
    put(klass, "frank", results(not_graded(classroom.GRADER_FAILURE, GRADER_FAILURE_MESSAGE)))
    put(klass, "mallory", results(not_graded(classroom.REFUSED, REFUSED_MESSAGE)))
    files = classroom.write_summary(klass, HW)
    rows = {r["student"]: r for r in read_csv(files["scores.csv"])}
    assert rows["frank"] == {"student": "frank", "score": "", "max_score": "", "percent": "",
                             "state": "grader failure", "error": GRADER_FAILURE_MESSAGE,
                             "raw": "", "by_hand": "", "pending": "", "late": ""}
    assert (rows["mallory"]["state"], rows["mallory"]["score"], rows["mallory"]["error"]) == \
        ("refused", "", REFUSED_MESSAGE)
    md = files["scores.md"].read_text()
    assert md.startswith(f"# {HW}: class summary\n\n"
                         "3 students graded, 1 grader failure, 1 refused, 1 unreadable.\n\n"
                         "Not graded because the grader failed (not the students' fault): frank. "
                         "Run the same `hw grade` again")
    assert f"| frank |  |  |  |  |  |  | grader failure | {GRADER_FAILURE_MESSAGE} |" in md
    # Neither counts as a 0 in the statistics, nor as a test of the homework.
    assert "- min: 0 points (0.0%)\n" in md and "- mean: 2.33 points (46.7%)\n" in md
    assert {s.name for s in classroom.per_test(classroom.collect(klass, HW))} == {"t::q1", "t::q2", "t::gpu"}
    assert "grader failure |" not in md.split("## Tests, hardest first")[1]


def test_grader_failure_rows_read_from_what_cli_writes(tmp_path):
    from hw_utils import cli
    from hw_utils.results import write

    out = tmp_path / "out"
    write(cli._grader_failed(HW, "x.ipynb", "BrokenProcessPool: killed"), out / "frank" / HW)
    cli.refuse(HW, tmp_path / "in" / "mallory" / HW / f"{HW}.ipynb", out, REFUSED_MESSAGE)
    frank, mallory = classroom.collect(out, HW)
    assert frank.state == "grader failure" and frank.percent is None
    assert frank.error == ("grader failure, not your fault: BrokenProcessPool: killed; "
                           "re-run hw grade to retry")
    assert (mallory.state, mallory.error) == ("refused", REFUSED_MESSAGE)
    assert REFUSED_MESSAGE in (out / "mallory" / HW / "feedback.txt").read_text()


def test_pass_rate_means_full_marks(tmp_path):
    partial = {"name": "q", "score": 1.5, "max_score": 2.0, "status": "failed"}
    put(tmp_path, "a", results(passed("q", 2.0)))
    put(tmp_path, "b", results(partial))
    [q] = classroom.per_test(classroom.collect(tmp_path, HW))
    assert (q.graded, q.passed, q.pass_rate, q.mean_score) == (2, 1, 0.5, 1.75)


def test_histogram_is_a_png(klass):
    png = classroom.write_summary(klass, HW)["histogram.png"].read_bytes()
    assert png.startswith(PNG_SIGNATURE) and png.endswith(b"IEND\xaeB`\x82")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (600, 400)


def test_summary_of_a_class_with_no_readable_results(tmp_path):
    put(tmp_path, "dave", "not json")
    files = classroom.write_summary(tmp_path, HW)
    assert "No readable results." in files["scores.md"].read_text()
    assert files["histogram.png"].read_bytes().startswith(PNG_SIGNATURE)


def test_summary_files_are_written_atomically(klass, monkeypatch):
    folder = klass / "_class" / HW
    before = {name: path.read_bytes() for name, path in classroom.write_summary(klass, HW).items()}
    put(klass, "carol", results(passed("t::q1", 2.0), passed("t::q2", 3.0)))  # would change the files

    def replace_fails(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", replace_fails)
    with pytest.raises(OSError, match="disk full"):
        classroom.write_summary(klass, HW)
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)  # no temporary files left
    assert {name: (folder / name).read_bytes() for name in before} == before


def test_atomic_write_leaves_no_file_when_it_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", lambda src, dst: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        classroom.atomic_write(tmp_path / "scores.csv", "student\n")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- merge


def test_merge_two_shards(tmp_path):
    one, two, out = tmp_path / "one", tmp_path / "two", tmp_path / "out"
    put(one, "alice", results(passed("q", 1.0)), feedback="alice's\n")
    put(one, "bob", results(failed("q", 1.0)))
    put(one, "bob", results(passed("q", 1.0)), hw="hw02_init")  # another homework: not merged
    (one / "bob" / HW / ".results.json.x1y2.tmp").write_text("{half")  # a crashed writer's temp
    put(two, "carol", results(passed("q", 1.0)))
    put(two, "_class", results(passed("q", 1.0)))

    assert classroom.merge(HW, [one, two], out) == ["alice", "bob", "carol"]
    assert sorted(p.name for p in out.iterdir()) == ["alice", "bob", "carol"]
    assert (out / "alice" / HW / "feedback.txt").read_text() == "alice's\n"
    assert sorted(p.name for p in (out / "bob").iterdir()) == [HW]
    assert sorted(p.name for p in (out / "bob" / HW).iterdir()) == ["feedback.txt", "results.json"]
    assert [r.score for r in classroom.collect(out, HW)] == [1.0, 0.0, 1.0]
    assert classroom.write_summary(out, HW)["scores.csv"].is_file()


def test_merge_rejects_a_student_graded_differently_in_two_shards(tmp_path):
    one, two, out = tmp_path / "one", tmp_path / "two", tmp_path / "out"
    put(one, "alice", results(passed("q", 1.0)))
    put(one, "bob", results(passed("q", 1.0)))
    put(two, "bob", results(failed("q", 1.0)))
    with pytest.raises(ValueError) as err:
        classroom.merge(HW, [one, two], out)
    assert "bob" in str(err.value) and str(one) in str(err.value) and str(two) in str(err.value)
    assert not out.exists()  # checked before anything is copied


def test_merge_accepts_identical_duplicates_whatever_their_execution_time(tmp_path):
    one, two, out = tmp_path / "one", tmp_path / "two", tmp_path / "out"
    put(one, "bob", results(passed("q", 1.0), execution_time=3.5))
    put(two, "bob", results(passed("q", 1.0), execution_time=9.0))
    assert classroom.merge(HW, [one, two], out) == ["bob"]
    assert json.loads((out / "bob" / HW / "results.json").read_text())["execution_time"] == 3.5


# --------------------------------------------------------------------------- shards


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_shards_are_disjoint_and_cover_the_class(n):
    paths = [Path(f"submitted/s{k:02d}/{HW}/{HW}.ipynb") for k in range(7)][::-1]
    shards = [classroom.shard_of(paths, f"{i}/{n}") for i in range(1, n + 1)]
    assert sorted(p for shard in shards for p in shard) == sorted(paths)  # each exactly once
    assert all(len(s) in (len(paths) // n, -(-len(paths) // n)) for s in shards)  # balanced
    assert classroom.shard_of(list(reversed(paths)), f"1/{n}") == shards[0]  # order-independent


def test_shard_round_robin_on_sorted_paths():
    paths = [Path(name) for name in "edcba"]
    assert classroom.shard_of(paths, "2/2") == [Path("b"), Path("d")]
    assert classroom.parse_shard("3/4") == (3, 4)


@pytest.mark.parametrize("spec", ["0/3", "4/3", "a/b", "3", "", "1/0", "-1/3", "1/3/5", "2 of 3"])
def test_bad_shard_specs_are_rejected(spec):
    with pytest.raises(ValueError, match="bad shard"):
        classroom.parse_shard(spec)
    with pytest.raises(ValueError, match="bad shard"):
        classroom.shard_of([Path("a")], spec)
