"""`hw gradescope`: the autograder zip holds what grading one homework needs and nothing else,
and run end to end in a fake /autograder tree (HW_AUTOGRADER_ROOT; the kit's venv stands in
for what setup.sh installs) it writes a results.json in Gradescope's schema for every upload:
the reference, the blank release, no notebook, two, one that is not JSON, a dead Python.

About 60 s on 2 shared cores: three uploads are graded for real and the others start
Python (torch in a fresh process each), because the zip's own run_autograder, grading with
the zip's own copy of the kit, is what Gradescope runs; nothing cheaper proves the zip whole.
"""

import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from hw_utils import cli, course, gradescope, results, sandbox

HW = "hw01_backprop"
OTHERS = [hw for hw in course.homeworks() if hw != HW]
METADATA = {  # as Gradescope writes it (docs: submission_metadata); the grader never needs it
    "id": 123456, "created_at": "2026-11-20T14:22:32.365935-08:00", "submission_method": "upload",
    "assignment": {"due_date": "2026-11-30T23:00:00.000000-08:00", "late_due_date": None, "id": 25828,
                   "title": "Homework 1", "total_points": "55.0", "group_submission": False},
    "users": [{"email": "student@example.com", "id": 1234, "name": "Student User"}],
    "previous_submissions": [],
}
TOP_KEYS = {"score", "max_score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
             "tags", "visibility", "extra_data"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return gradescope.build_zip(HW, tmp_path_factory.mktemp("dist"), hidden_tests="after_due_date")


def autograde(zip_path: Path, root: Path, uploads: dict[str, bytes], python: str = sys.executable) -> tuple[dict, str]:
    """Gradescope's steps in a fake tree: unpack the zip into source/, copy run_autograder up,
    put the upload in submission/, run it from the root; (results.json, its stdout)."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    for script in ("run_autograder", "setup.sh"):  # zipfile drops the modes it stored
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    (root / "submission_metadata.json").write_text(json.dumps(METADATA))
    for name, data in uploads.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), gradescope.ROOT_ENV: str(root),
           gradescope.PYTHON_ENV: python}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    check_schema(data)
    return data, done.stdout


def check_schema(data: dict):
    """Gradescope's results.json (docs: autograder specifications), as strictly as it is written."""
    assert set(data) <= TOP_KEYS, set(data) - TOP_KEYS
    assert data["output_format"] == "text"  # the default for the top level renders HTML
    assert {data["test_output_format"], data["test_name_format"]} <= FORMATS
    assert data["visibility"] in results.VISIBILITIES and data["stdout_visibility"] in results.VISIBILITIES
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert data["max_score"] == pytest.approx(sum(t["max_score"] for t in data["tests"]))
    for test in data["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], float | int) and isinstance(test["max_score"], float | int)
        assert test.get("status", "passed") in ("passed", "failed")
        assert test["visibility"] in results.VISIBILITIES
        assert re.fullmatch(r"[0-9]+(\.[0-9]+)*", test.get("number", "1")), test
        assert all(isinstance(tag, str) for tag in test.get("tags", []))
        assert isinstance(test["extra_data"]["id"], str)
    names = [t["name"] for t in data["tests"]]
    assert len(set(names)) == len(names), "Gradescope would show two tests of one name"


def solution_lines(hw: str) -> set[bytes]:
    """The distinctive lines of hw's solutions (between BEGIN and END SOLUTION in its source)."""
    lines, inside = set(), False
    for cell in nbformat.read(course.source_notebook(hw), as_version=4).cells:
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and len(line.strip()) >= 30:  # short lines (return x) are in any code
                lines.add(line.strip().encode())
    return lines


def by_id(data: dict) -> dict:
    return {t["extra_data"]["id"]: t for t in data["tests"]}


# --------------------------------------------------------------------------- the zip


def test_zip_holds_the_grader_this_homework_and_nothing_else(built):
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        texts = {name: archive.read(name) for name in names}
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    hidden = {p.relative_to(course.ROOT).as_posix() for p in course.hidden_tests(HW).iterdir()
              if p.is_file()}
    kit = {p.relative_to(course.ROOT).as_posix() for p in (course.ROOT / "hw_utils").rglob("*")
           if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")}
    assert names == {"setup.sh", "run_autograder", "grader_tests/pytest.ini", f"source/{HW}/{HW}.ipynb",
                     *hidden, *kit}
    assert f"grader_tests/{HW}/_reference.py" in names and any(n.endswith(".pyc") for n in names) is False
    assert not [n for n in names if ".git" in n.split("/") or any(hw in n for hw in OTHERS)]
    # No solution of another homework in any file: no file holds three lines of one's solution
    # blocks (one line can be common code: `for start in range(0, len(X), batch_size):`).
    leaks = {(n, hw): found for hw in OTHERS for n, data in texts.items()
             if len(found := [line for line in solution_lines(hw) if line in data]) >= 3}
    assert not leaks, leaks
    assert len([line for line in solution_lines(HW) if line in texts[f"source/{HW}/{HW}.ipynb"]]) >= 3, \
        "the check would find nothing"
    others = [p.read_bytes() for hw in OTHERS if course.hidden_tests(hw).is_dir()
              for p in course.hidden_tests(hw).glob("*.py")]
    assert not [n for n, data in texts.items() if data in others], "another homework's hidden test is in the zip"
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    again = gradescope.build_zip(HW, built.parent / "again", hidden_tests="after_due_date")
    assert again.read_bytes() == built.read_bytes(), "the same kit must give the same zip"


def test_setup_sh_passes_shellcheck_and_installs_pyprojects_pins(built, tmp_path):
    with zipfile.ZipFile(built) as archive:
        archive.extractall(tmp_path)
    shellcheck = Path(sys.executable).parent / "shellcheck"
    done = subprocess.run([str(shellcheck), "setup.sh", "run_autograder"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    # The arrays exactly as bash reads them, from the script itself.
    arrays = subprocess.run(["bash", "-c", 'eval "$(grep -E "^(TORCH|REQUIREMENTS)=" setup.sh)"; '
                             'printf "%s\\n" "${REQUIREMENTS[@]}" --- "${TORCH[@]}"'],
                            cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split("\n---\n")
    pins = tomllib.loads((course.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert arrays[0].splitlines() == pins
    assert arrays[1].splitlines() == [p for p in pins if p.startswith(("torch==", "torchvision=="))]
    assert {"torch==2.14.1", "torchvision==0.29.1"} <= set(arrays[1].splitlines())
    assert gradescope.TORCH_INDEX in (tmp_path / "setup.sh").read_text()


def test_hw_gradescope_command(tmp_path, capsys):
    assert cli.main(["gradescope", HW, "--out", str(tmp_path)]) == 0
    with zipfile.ZipFile(tmp_path / f"{HW}_gradescope.zip") as archive:
        assert "--hidden-tests visible" in archive.read("run_autograder").decode()  # the default
    assert cli.main(["gradescope", "hw99_none", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and HW in err and "Traceback" not in err, err
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").iterdir())


LABELS = """
import json, sys
import pytest
from hw_utils import course, grading

class Labels:
    def pytest_collection_finish(self, session):
        self.found = [item.stash[grading.LABEL] for item in session.items]

found = {}
for hw in course.graded_homeworks():
    labels, saved = Labels(), list(sys.path)
    pytest.main([str(course.hidden_tests(hw)), "-p", "hw_utils.grading", "-c", str(course.GRADER_INI),
                 "--collect-only", "-p", "no:terminal"], plugins=[labels])
    grading._forget_test_modules(saved, course.hidden_tests(hw))  # each homework has a test_forward
    found[hw] = [(label.title, label.number) for label in labels.found]
print(json.dumps(found))
"""


def test_names_and_numbers_are_unique_within_each_homework():
    """Gradescope shows the tests side by side: two of one name (or number) cannot be told apart."""
    done = subprocess.run([sys.executable, "-c", LABELS], capture_output=True, text=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(found) == course.graded_homeworks() and all(found.values()), done.stderr
    for hw, labels in found.items():
        for i, what in enumerate(("name", "number")):
            values = [label[i] for label in labels]
            assert len(set(values)) == len(values), f"{hw}: a {what} used twice: {sorted(values)}"


# --------------------------------------------------------------------------- run end to end


def test_the_reference_gets_full_marks_with_numbers_tags_and_visibility(built, tmp_path):
    reference = nbformat.read(course.source_notebook(HW), as_version=4)
    # One more cell that reads what Gradescope put beside the upload: hidden from the worker.
    reference.cells.append(nbformat.v4.new_code_cell(
        f"open({str(tmp_path / 'submission_metadata.json')!r}).read()"))
    started = time.monotonic()
    data, stdout = autograde(built, tmp_path, {"My Homework (1).ipynb": nbformat.writes(reference).encode()})
    print(f"\nGradescope zip run, {HW} reference: {time.monotonic() - started:.1f} s wall "
          f"(execution_time {data['execution_time']} s)")
    assert data["score"] == data["max_score"] > 0, [t for t in data["tests"] if t.get("status") != "passed"]
    # The zip's own copy of the grader and its tests graded it.
    assert f"hidden tests in {tmp_path / 'source' / 'grader_tests' / HW}" in stdout
    tests = by_id(data)
    public = tests["test_net322::test_one_sgd_step_on_the_example"]
    assert (public["visibility"], public["number"], public["tags"]) == ("visible", "2.5", ["Part B", "public"])
    assert public["name"] == "Part B: one sgd step on the example"
    assert {t["visibility"] for i, t in tests.items() if t is not public} == {"after_due_date"}
    assert tests["test_neuron::test_sigmoid"]["number"] == "1.1"  # Part A first, in file order
    assert "accuracy" in tests["test_numpy_mlp::test_trained_mlp_accuracy_on_held_out_digits"]["tags"]
    assert [t["number"] for t in data["tests"]] == sorted((t["number"] for t in data["tests"]),
                                                          key=lambda n: tuple(map(int, n.split("."))))
    assert not [t["name"] for t in data["tests"] if "::" in t["name"] or t["name"].startswith("test_")]
    if not sandbox.confinement_gaps():
        assert "PermissionError" in data["output"], data["output"]
    # The kit's own reader takes Gradescope's file as it takes `hw grade`'s.
    row = results.read_result("student", tmp_path / "results" / "results.json")
    assert row.state == "graded" and "test_neuron::test_sigmoid" in row.tests and row.percent == 100


def test_the_blank_release_gets_zero_with_readable_failures(built, tmp_path):
    blank = course.release_notebook(HW).read_bytes()
    data, _ = autograde(built, tmp_path, {"hw01.ipynb": blank, "notes.txt": b"extra files are fine"})
    assert data["score"] == 0 and data["max_score"] > 0
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert len(failed) == len(data["tests"])
    assert all(t["output"] for t in failed)
    stub = by_id(data)["test_neuron::test_neuron_forward"]["output"]
    assert "NotImplementedError" in stub and "unfilled stub" in stub, stub


@pytest.mark.parametrize("uploads, says", [
    ({"a.ipynb": b"{}", "b/a_copy.ipynb": b"{}"}, "holds 2 notebooks (a.ipynb, b/a_copy.ipynb)"),
    ({"solution.py": b"print(1)"}, "no notebook was found in your upload (you uploaded: solution.py)"),
    ({}, "no notebook was found in your upload:"),
])
def test_no_single_notebook_gets_a_clear_zero(built, tmp_path, uploads, says):
    data, _ = autograde(built, tmp_path, uploads)
    [test] = data["tests"]
    assert (data["score"], test["score"], test["status"], test["visibility"]) == (0, 0, "failed", "visible")
    assert says in test["output"] and f"upload your notebook ({HW}.ipynb" in test["output"], test["output"]
    assert says in data["output"]  # at the top, where students look first
    assert results.read_result("s", tmp_path / "results" / "results.json").state == results.REFUSED


def test_a_notebook_that_is_not_json_gets_zero_and_the_reason(built, tmp_path):
    data, _ = autograde(built, tmp_path, {"hw01_backprop.ipynb": b"print('this is a script')\n"})
    assert data["score"] == 0 and data["max_score"] > 0
    assert all("not valid JSON" in t["output"] for t in data["tests"]), data["tests"][0]["output"]


def test_a_python_that_cannot_start_still_leaves_a_results_json(built, tmp_path):
    data, _ = autograde(built, tmp_path, {"hw.ipynb": b"{}"}, python="/bin/false")
    [test] = data["tests"]
    assert test["extra_data"]["id"] == results.GRADER_FAILURE and "not your fault" in test["output"]
    assert results.read_result("s", tmp_path / "results" / "results.json").state == results.GRADER_FAILURE


def test_a_worker_that_cannot_start_is_a_grader_failure_not_a_zero(tmp_path, monkeypatch):
    """Where no worker starts, every test would fail for a reason that is not the student's."""
    (tmp_path / "submission").mkdir()
    shutil.copy(course.source_notebook(HW), tmp_path / "submission" / "hw.ipynb")
    monkeypatch.setattr(sandbox, "confinement_gaps", lambda: ["no worker could start: out of memory"])
    assert gradescope.run(HW, "visible", tmp_path) == 0
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    check_schema(data)
    [test] = data["tests"]
    assert test["extra_data"]["id"] == results.GRADER_FAILURE and "out of memory" in test["output"]
