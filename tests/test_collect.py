"""GitHub Classroom: `hw collect` on folders of (hostile) student repositories, the converter
that reports points to Classroom's dashboard, and `hw classroom-template`.

Repositories are made with git in tmp_path; nothing is graded here (a few seconds, the
template's wheel build included).
"""

import base64
import csv
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from hw_utils import cli, collect, course, results
from test_workflows import reporter_points

HW = "hw01_backprop"
PREFIX = "hw01-backprop"
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
DATE = "2026-11-20T10:00:00+00:00"
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "s",
           "GIT_AUTHOR_EMAIL": "s@example.com", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@example.com", "GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE}


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def repository(path: Path, files: dict[str, bytes], commit: bool = True, links: dict[str, str] = {}) -> str:
    """A student's repository: files and links committed (git stores a link as a link, and a
    clone makes it again); HEAD's sha."""
    path.mkdir(parents=True)
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    for name, target in links.items():
        (path / name).symlink_to(target)
    if not commit:
        return ""
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "work")
    return git(path, "rev-parse", "HEAD")


def run_collect(repos: Path, out: Path, *extra: str, capsys) -> tuple[int, list[str], str]:
    rc = cli.main(["collect", HW, str(repos), "--out", str(out), *extra])
    captured = capsys.readouterr()
    return rc, captured.out.splitlines(), captured.err


def record(out: Path) -> dict[str, dict]:
    with open(out / f"{HW}_collected.csv", newline="") as f:
        return {row["repository"]: row for row in csv.DictReader(f)}


def collected(out: Path) -> set[str]:
    return {p.parent.parent.name for p in out.glob(f"*/{HW}/{HW}.ipynb")}


# --------------------------------------------------------------------------- hw collect


def test_collect_copies_each_notebook_and_records_its_commit(tmp_path, capsys):
    repos = tmp_path / f"{PREFIX}-submissions"   # as gh classroom clone student-repos names it
    alice = repository(repos / f"{PREFIX}-alice", {f"{HW}.ipynb": NOTEBOOK, "notes.ipynb": b"{}", "README.md": b"x"})
    bob = repository(repos / f"{PREFIX}-Bob-2", {"Homework 1.ipynb": NOTEBOOK + b" ", "data/x.csv": b"1"})
    out = tmp_path / "submitted"

    rc, lines, err = run_collect(repos, out, capsys=capsys)

    assert rc == 0 and not err
    assert collected(out) == {"alice", "bob-2"}   # usernames lowercased, as GitHub ignores their case
    for student, data in [("alice", NOTEBOOK), ("bob-2", NOTEBOOK + b" ")]:
        copy = out / student / HW / f"{HW}.ipynb"
        assert copy.read_bytes() == data
        assert not copy.is_symlink() and copy.stat().st_nlink == 1   # a copy, not a link of any kind
    rows = record(out)
    assert rows[f"{PREFIX}-alice"] | {"note": ""} == {
        "repository": f"{PREFIX}-alice", "student": "alice", "status": "collected",
        "notebook": f"{HW}.ipynb", "commit": alice, "committed_at": DATE, "note": ""}
    assert rows[f"{PREFIX}-Bob-2"]["commit"] == bob and rows[f"{PREFIX}-Bob-2"]["notebook"] == "Homework 1.ipynb"
    assert "named Homework 1.ipynb" in rows[f"{PREFIX}-Bob-2"]["note"]
    assert lines[-2].startswith(f"collected 2 of 2 repositories (prefix {PREFIX})")
    assert lines[-1] == f"next: hw grade {HW} '{out}/*/{HW}/{HW}.ipynb'"


HOSTILE = {   # repository -> what its one line says
    f"{PREFIX}-eve": "hw01_backprop.ipynb (the notebook) is a symbolic link",        # -> /etc/passwd
    f"{PREFIX}-frank": "hw01_backprop.ipynb (the notebook) is a symbolic link",      # -> alice's notebook
    f"{PREFIX}-gus": "no notebook: neither hw01_backprop.ipynb nor any other .ipynb",
    f"{PREFIX}-hal": "2 candidate notebooks at its root and none named hw01_backprop.ipynb (a.ipynb, b.ipynb)",
    "other-ivy": f"its name does not start with the assignment prefix {PREFIX}-",
    f"{PREFIX}-Jo": f"{PREFIX}-Jo and {PREFIX}-jo would both be student jo",
    f"{PREFIX}-jo": f"{PREFIX}-Jo and {PREFIX}-jo would both be student jo",
    f"{PREFIX}-kat": "hw01_backprop.ipynb is 21.0 MB; the grader reads notebooks up to 20 MB",
    f"{PREFIX}-lee": "it is a symbolic link, not a cloned repository",              # -> alice's repository
    f"{PREFIX}-ned": "hw01_backprop.ipynb is not a regular file",                   # a fifo
    f"{PREFIX}-o..": "'o..' after hw01-backprop- is not a GitHub username",
    f"{PREFIX}-pat.txt": "it is not a folder",
}


def test_collect_refuses_each_hostile_repository_and_collects_the_rest(tmp_path, capsys):
    repos = tmp_path / "repos"
    repository(repos / f"{PREFIX}-alice", {f"{HW}.ipynb": NOTEBOOK})
    repository(repos / f"{PREFIX}-eve", {}, links={f"{HW}.ipynb": "/etc/passwd"})
    repository(repos / f"{PREFIX}-frank", {}, links={f"{HW}.ipynb": f"../{PREFIX}-alice/{HW}.ipynb"})
    repository(repos / f"{PREFIX}-gus", {"README.md": b"I forgot"})
    repository(repos / f"{PREFIX}-hal", {"a.ipynb": NOTEBOOK, "b.ipynb": NOTEBOOK})
    repository(repos / "other-ivy", {f"{HW}.ipynb": NOTEBOOK})
    repository(repos / f"{PREFIX}-Jo", {f"{HW}.ipynb": NOTEBOOK})
    repository(repos / f"{PREFIX}-jo", {f"{HW}.ipynb": NOTEBOOK})
    repository(repos / f"{PREFIX}-kat", {}, commit=False)
    with open(repos / f"{PREFIX}-kat" / f"{HW}.ipynb", "wb") as huge:
        huge.truncate(21 * 2**20)   # sparse: 21 MB without writing them
    (repos / f"{PREFIX}-lee").symlink_to(f"{PREFIX}-alice", target_is_directory=True)
    repository(repos / f"{PREFIX}-ned", {}, commit=False)
    os.mkfifo(repos / f"{PREFIX}-ned" / f"{HW}.ipynb")   # would block a reader forever
    repository(repos / f"{PREFIX}-o..", {f"{HW}.ipynb": NOTEBOOK}, commit=False)
    (repos / f"{PREFIX}-pat.txt").write_text("not a repository")
    out = tmp_path / "submitted"

    rc, lines, err = run_collect(repos, out, "--prefix", PREFIX, capsys=capsys)

    assert rc == 0 and not err
    for name, why in HOSTILE.items():
        mine = [line for line in lines if line.startswith(f"not collected {name}: ")]
        assert len(mine) == 1 and why in mine[0], (name, mine)
        assert record(out)[name]["status"] == "refused" and why in record(out)[name]["note"]
    assert collected(out) == {"alice"}
    assert lines[-2].startswith(f"collected 1 of {len(HOSTILE) + 1} repositories")
    copied = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"root:" not in copied   # nothing of /etc/passwd


def test_a_notebook_path_inside_the_repository_and_through_no_link(tmp_path, capsys):
    repos = tmp_path / "repos"
    repository(repos / f"{PREFIX}-ann", {"work/hw1.ipynb": NOTEBOOK})
    repository(repos / f"{PREFIX}-ben", {"elsewhere/hw1.ipynb": b'{"stolen": true}'}, links={"work": "elsewhere"})
    repository(repos / f"{PREFIX}-cy", {"hw1.ipynb": NOTEBOOK})
    out = tmp_path / "submitted"

    rc, lines, _ = run_collect(repos, out, "--notebook", "work/hw1.ipynb", "--prefix", PREFIX, capsys=capsys)
    assert rc == 0 and collected(out) == {"ann"}
    assert f"not collected {PREFIX}-ben: work (its folder) is a symbolic link" in "\n".join(lines)
    assert f"not collected {PREFIX}-cy: no notebook at work" in "\n".join(lines)

    for outside in ("../alice/hw1.ipynb", "/etc/passwd", "work/../../x.ipynb"):
        rc, lines, err = run_collect(repos, tmp_path / "again", "--notebook", outside, capsys=capsys)
        assert rc == 2 and not lines and err == f"hw collect: --notebook {outside} must be a path inside each repository\n"
    assert not (tmp_path / "again").exists()


def test_git_reads_each_repository_alone_never_the_folders_above(tmp_path, capsys):
    """Repositories inside another git repository (the instructor's): one without .git, or with
    a .git that is a link to the outer one, records no commit rather than the outer one's."""
    outer = repository(tmp_path / "course", {"README.md": b"the instructor's"})
    repos = tmp_path / "course" / "repos"
    repository(repos / f"{PREFIX}-zip", {f"{HW}.ipynb": NOTEBOOK}, commit=False)   # downloaded, no .git
    repository(repos / f"{PREFIX}-ln", {f"{HW}.ipynb": NOTEBOOK}, commit=False)
    (repos / f"{PREFIX}-ln" / ".git").symlink_to(tmp_path / "course" / ".git", target_is_directory=True)
    out = tmp_path / "submitted"

    rc, _, _ = run_collect(repos, out, "--prefix", PREFIX, capsys=capsys)

    assert rc == 0 and collected(out) == {"zip", "ln"}
    rows = record(out)
    assert rows[f"{PREFIX}-zip"]["commit"] == "" and rows[f"{PREFIX}-zip"]["note"] == "no .git: commit not recorded"
    assert rows[f"{PREFIX}-ln"]["commit"] == "" and ".git is not a folder" in rows[f"{PREFIX}-ln"]["note"]
    assert outer not in (out / f"{HW}_collected.csv").read_text()


def test_a_repository_turned_hostile_loses_its_earlier_copy(tmp_path, capsys):
    """Collected once, then the notebook became a link: the old copy goes, so hw grade cannot
    grade it as if it were the current submission."""
    repos = tmp_path / "repos"
    repository(repos / f"{PREFIX}-amy", {f"{HW}.ipynb": NOTEBOOK})
    out = tmp_path / "submitted"
    assert run_collect(repos, out, "--prefix", PREFIX, capsys=capsys)[0] == 0 and collected(out) == {"amy"}
    (repos / f"{PREFIX}-amy" / f"{HW}.ipynb").unlink()
    (repos / f"{PREFIX}-amy" / f"{HW}.ipynb").symlink_to("/etc/passwd")

    assert run_collect(repos, out, "--prefix", PREFIX, capsys=capsys)[0] == 0
    assert collected(out) == set() and record(out)[f"{PREFIX}-amy"]["status"] == "refused"


@pytest.mark.parametrize("case", ["missing", "empty", "no prefix", "no match", "unknown homework"])
def test_exit_2_with_one_line(tmp_path, capsys, case):
    repos = tmp_path / "repos"
    args = ["collect", HW, str(repos), "--out", str(tmp_path / "out")]
    if case != "missing":
        repos.mkdir()
    if case in ("no prefix", "no match"):
        repository(repos / "alice-hw", {f"{HW}.ipynb": NOTEBOOK}, commit=False)
        repository(repos / "bob", {f"{HW}.ipynb": NOTEBOOK}, commit=False)
    if case == "no match":
        args += ["--prefix", PREFIX]
    if case == "unknown homework":
        args[1] = "hw99_nothing"
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert not captured.out and len(captured.err.splitlines()) == 1 and captured.err.startswith("hw collect: ")
    assert not (tmp_path / "out").exists()


def test_the_prefix_is_read_from_the_folder_names(tmp_path):
    assert collect.infer_prefix(tmp_path / "x" / f"{PREFIX}-submissions") == PREFIX
    repos = tmp_path / "repos"
    for name in [f"{PREFIX}-jo-ann", f"{PREFIX}-al", f"{PREFIX}-mary-kate", "stray-folder"]:
        (repos / name).mkdir(parents=True)
    assert collect.infer_prefix(repos) == PREFIX   # not hw01-backprop-jo, nor hw01
    assert collect.student_of(f"{PREFIX}-jo-ann", PREFIX) == "jo-ann"


# --------------------------------------------------------------------------- Classroom's points


def results_json(*tests: results.TestResult) -> dict:
    return results.results_json(results.Grade(HW, f"{HW}.ipynb", list(tests)))


PASS = results.TestResult("test_a.py::test_one", 2, 2, "passed", "", True, title="Part A: one", number="1.1")
FAIL = results.TestResult("test_a.py::test_two", 3, 0, "failed", "expected 3, got 2", False,
                          title="Part A: two", number="1.2", description="what two checks")
SKIP = results.TestResult("test_b.py::test_gpu", 4, 0, "skipped", "no CUDA", False, title="Part B: gpu", number="2.1")


def test_classroom_report_is_the_reporters_runner_result():
    report = collect.classroom_report(results_json(PASS, FAIL, SKIP))
    assert set(report) == {"version", "status", "max_score", "tests"} and report["version"] == 1
    assert report["status"] == "fail" and report["max_score"] == 5
    assert [(t["name"], t["status"], t["score"]) for t in report["tests"]] == [
        ("1.1 Part A: one", "pass", 2), ("1.2 Part A: two", "fail", 0)]   # the skipped test left out
    assert "expected 3, got 2" in report["tests"][1]["message"]
    assert all(t["test_code"] == "" for t in report["tests"])   # never a hidden test's code
    assert reporter_points(report) == "Points 2/5"

    full = collect.classroom_report(results_json(PASS, SKIP))
    assert full["status"] == "pass" and reporter_points(full) == "Points 2/2"


def test_a_submission_not_graded_is_an_error_without_points():
    refused = results.results_json(results.not_graded(HW, "x.ipynb", results.REFUSED, "a symbolic link"))
    report = collect.classroom_report(refused)
    assert report["status"] == "error" and [t["status"] for t in report["tests"]] == ["error"]
    assert reporter_points(report) is None   # 0 of 0: the reporter annotates nothing


def test_the_encoded_report_fits_an_environment_variable():
    """Long failure messages are cut until the base64 fits (Linux caps one variable at 128 KiB)."""
    many = [results.TestResult(f"t.py::test_{i}", 1, i % 2, "passed" if i % 2 else "failed", "x" * 10_000,
                               False, title=f"T {i}", number=f"1.{i}") for i in range(60)]
    encoded = collect.encoded_report(results_json(*many))
    assert len(encoded) <= collect.REPORT_BYTES
    assert reporter_points(json.loads(base64.b64decode(encoded))) == "Points 30/60"


def test_the_report_command_prints_one_output_line_or_warns(tmp_path, capsys):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results_json(PASS, FAIL)))
    assert collect.main(["classroom-report", str(path)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(base64.b64decode(line.removeprefix("result="))) == collect.classroom_report(results_json(PASS, FAIL))
    for content in (None, "{not json", '{"tests": [], "max_score": "55"}'):
        path.unlink(missing_ok=True)
        if content is not None:
            path.write_text(content)
        assert collect.main(["classroom-report", str(path)]) == 0
        captured = capsys.readouterr()
        assert not captured.out and captured.err.startswith("::warning::")


# --------------------------------------------------------------------------- the template repository


def solution_lines(hw: str) -> set[str]:
    """Lines of the instructor's solutions that the release does not have."""
    import nbformat

    from hw_utils import samples

    source = nbformat.read(course.source_notebook(hw), as_version=4)
    release = course.release_notebook(hw).read_text()
    lines = {line.strip() for cell in samples.solution_cells(source) for line in cell.source.splitlines()}
    return {line for line in lines if len(line) > 25 and "SOLUTION" not in line and line not in release}


def hidden_test_lines(hw: str) -> set[str]:
    lines = {line.strip() for path in course.hidden_tests(hw).rglob("*.py") for line in path.read_text().splitlines()}
    return {line for line in lines if line.startswith(("def test_", "assert ")) and len(line) > 20}


def template_texts(out: Path) -> dict[str, str]:
    """Every file of the template as text, each file inside its wheel too."""
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.relative_to(out).as_posix()
        if name.endswith(".whl"):
            with zipfile.ZipFile(path) as archive:
                texts.update({f"{name}!{n}": archive.read(n).decode("utf-8", "replace") for n in archive.namelist()})
        else:
            texts[name] = path.read_text()
    return texts


def assert_no_secret(texts: dict[str, str]):
    secret = solution_lines(HW) | hidden_test_lines(HW)
    assert len(secret) > 20   # the check below has something to find
    for name, text in texts.items():
        assert "BEGIN SOLUTION" not in text, name
        assert not [line for line in secret if line in text], name
        assert not name.split("!")[-1].startswith(("grader_tests/", "source/", "tests/")), name


def test_the_template_holds_the_release_a_readme_and_the_workflow(tmp_path, monkeypatch):
    """Everything but the wheel's build (a stand-in wheel here; the next test builds the real one)."""
    def stand_in(folder: Path) -> Path:
        folder.mkdir(parents=True)
        with zipfile.ZipFile(folder / "hw_course-0.1.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr("hw_utils/__init__.py", "")
        return folder / "hw_course-0.1.0-py3-none-any.whl"

    monkeypatch.setattr(collect, "_student_wheel", stand_in)
    out = tmp_path / "template"
    written = collect.write_template(HW, out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {p.relative_to(out).as_posix() for p in written} == {
        f"{HW}.ipynb", "README.md", ".gitignore", ".github/workflows/grade-submission.yml",
        "wheels/hw_course-0.1.0-py3-none-any.whl", "nbgrader_config.py"}
    assert (out / f"{HW}.ipynb").read_bytes() == course.release_notebook(HW).read_bytes()
    readme = (out / "README.md").read_text()
    assert 'pip install "wheels/hw_course-0.1.0-py3-none-any.whl[jupyter]"' in readme
    assert f"nbgrader validate {HW}.ipynb" in readme and "c.Execute.timeout = 300" in (out / "nbgrader_config.py").read_text()
    assert "git push" in readme and "feedback" in readme and f"{HW}.ipynb" in readme
    assert (out / ".github/workflows/grade-submission.yml").read_text() == collect.template_workflow(HW)
    assert_no_secret(template_texts(out))


def test_the_template_with_the_real_student_wheel_holds_no_solution_and_no_hidden_test(tmp_path, capsys):
    out = tmp_path / "template"
    assert cli.main(["classroom-template", HW, str(out)]) == 0
    wheels = list((out / "wheels").glob("*.whl"))
    assert len(wheels) == 1 and f'pip install "wheels/{wheels[0].name}[jupyter]"' in (out / "README.md").read_text()
    texts = template_texts(out)
    assert {name.split("!")[1] for name in texts if "!hw_utils/" in name} == {  # the student library, no grader
        "hw_utils/course.py", "hw_utils/data.py", "hw_utils/surnames.tsv.gz", "hw_utils/train.py"}
    assert_no_secret(texts)


def test_the_template_is_not_written_over_a_folder_in_use(tmp_path, capsys):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "mine.txt").write_text("keep")
    assert cli.main(["classroom-template", HW, str(tmp_path / "t")]) == 2
    assert cli.main(["classroom-template", "hw99_nothing", str(tmp_path / "u")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "is not an empty folder" in err[0] and "unknown homework" in err[1]
    assert os.listdir(tmp_path / "t") == ["mine.txt"] and not (tmp_path / "u").exists()


def test_a_repository_that_cannot_be_read_costs_itself_only(tmp_path, capsys, monkeypatch):
    """An OSError in one repository (a folder the instructor may not read) is its line, not a crash."""
    repos = tmp_path / "repos"
    for name in ("al", "bo"):
        repository(repos / f"{PREFIX}-{name}", {f"{HW}.ipynb": NOTEBOOK}, commit=False)
    real = collect.find_notebook

    def unreadable(repo, hw, path):
        if repo.name.endswith("-bo"):
            raise PermissionError(13, "Permission denied")
        return real(repo, hw, path)

    monkeypatch.setattr(collect, "find_notebook", unreadable)
    rc, lines, _ = run_collect(repos, tmp_path / "out", "--prefix", PREFIX, capsys=capsys)
    assert rc == 0 and collected(tmp_path / "out") == {"al"}
    assert f"not collected {PREFIX}-bo: could not be read: Permission denied" in lines
