"""GitHub Classroom: a class of student repositories in, the layout `hw grade` reads out.

- `hw collect <hw> REPOS_DIR`: REPOS_DIR holds one clone per student, named
  `<prefix>-<username>` (what `gh classroom clone student-repos` makes: `<slug>-submissions/
  <slug>-<username>/`). Each repository's notebook is copied, never linked, to
  `<out>/<username>/<hw>/<hw>.ipynb`, and every repository gets a row in
  `<out>/<hw>_collected.csv` (its commit, or why nothing was collected).
- `hw classroom-template <hw> OUT`: what the assignment's template repository holds.
- `classroom_report(results)`: a results.json as GitHub Classroom's grading reporter reads it.

Every repository is hostile: a link, a missing or doubled notebook, a foreign or colliding
name, a huge file each cost that repository a clear line, never the batch, and nothing is
read outside the repository (no link is followed; git is pointed at the repository's own
.git, never left to search the folders above it).
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path, PurePosixPath

from . import course, notebook, results, student_package

COMMANDS = ("collect", "classroom-template")
SUBMISSIONS_SUFFIX = "-submissions"  # gh classroom clone student-repos: <slug>-submissions/
# A GitHub login (letters, digits, single hyphens between them), or a Classroom team's repository
# slug (also single dots, underscores); lowercased, since GitHub logins ignore case. So never `.`,
# `..`, `_class` (the class summary's folder), a slash or a name a shell would mangle.
USERNAME = re.compile(r"[a-z0-9](?:[a-z0-9_]|[-.](?=[a-z0-9_])){0,99}")
GIT_TIMEOUT = 20  # seconds for one `git log -1`


# --------------------------------------------------------------------------- collecting


@dataclass
class Row:
    """One repository's line in <hw>_collected.csv."""
    repository: str
    student: str = ""
    status: str = "refused"  # "collected" | "refused"
    notebook: str = ""       # its path in the repository
    commit: str = ""         # HEAD's sha
    committed_at: str = ""   # HEAD's committer date: the commit's claim, which a student can set
    note: str = ""           # why it was refused, or what to know about what was collected


class Refused(Exception):
    """This repository gives no notebook; the message says why, naming only its own paths."""


def collect(hw: str, repos_dir: Path, out: Path, prefix: str, notebook_path: str | None = None) -> list[Row]:
    """Copy each repository's notebook into out; one Row per repository, in name order."""
    rows, by_student = [], {}
    for entry in _repositories(repos_dir):
        row = Row(_shown(entry.name))
        rows.append(row)
        try:
            row.student = student_of(entry.name, prefix)
            by_student.setdefault(row.student, []).append((entry, row))
        except Refused as why:
            row.note = str(why)
    for student, group in by_student.items():
        if len(group) > 1:  # neither is collected: which one is the student's is not ours to guess
            names = " and ".join(row.repository for _, row in group)
            for _, row in group:
                row.note = f"{names} would both be student {student}; rename or remove one"
            _forget(out, student, hw)
            continue
        entry, row = group[0]
        try:
            _collect_one(hw, Path(entry.path), out, notebook_path, row)
        except (Refused, OSError) as why:  # OSError: a folder we may not read, a full disk
            row.note = str(why) if isinstance(why, Refused) else f"could not be read: {why.strerror or why}"
            row.status = "refused"
            _forget(out, student, hw)
    return rows


def _repositories(repos_dir: Path) -> list[os.DirEntry]:
    """Every entry of repos_dir but dot-files (.DS_Store, a .git of the folder itself)."""
    with os.scandir(repos_dir) as entries:
        return sorted((e for e in entries if not e.name.startswith(".")), key=lambda e: e.name)


def student_of(name: str, prefix: str) -> str:
    """`<prefix>-<username>` -> the username, lowercased; Refused for any other name."""
    if not name.startswith(prefix + "-"):
        raise Refused(f"its name does not start with the assignment prefix {prefix}-")
    student = name[len(prefix) + 1:].lower()
    if not USERNAME.fullmatch(student):
        raise Refused(f"{_shown(student)!r} after {prefix}- is not a GitHub username")
    return student


def _collect_one(hw: str, repo: Path, out: Path, notebook_path: str | None, row: Row):
    info = os.lstat(repo)
    if stat.S_ISLNK(info.st_mode):
        raise Refused("it is a symbolic link, not a cloned repository")
    if not stat.S_ISDIR(info.st_mode):
        raise Refused("it is not a folder")
    found = find_notebook(repo, hw, notebook_path)
    row.notebook = found.relative_to(repo).as_posix()
    try:
        data = notebook.read_bytes(found)  # a regular file, no link, at most notebook.MAX_BYTES
    except notebook.NotebookError as err:
        raise Refused(str(err)) from None
    row.commit, row.committed_at, git_note = head_commit(repo)
    dest = _destination(out, row.student, hw)
    results.atomic_write(dest, data)  # a copy; the rename replaces whatever was there
    row.status = "collected"
    notes = [git_note] if git_note else []
    if found.name != f"{hw}.ipynb":
        notes.append(f"the notebook is named {_shown(found.name)}, not {hw}.ipynb")
    row.note = "; ".join(notes)


def find_notebook(repo: Path, hw: str, notebook_path: str | None) -> Path:
    """The one notebook to collect, checked to be reached through no link; Refused otherwise.

    Without notebook_path: <hw>.ipynb at the root, else the root's only .ipynb file.
    """
    if notebook_path:
        return _plain_path(repo, notebook_path)
    named = repo / f"{hw}.ipynb"
    if os.path.lexists(named):
        return _plain_path(repo, named.name)
    candidates = sorted(e.name for e in os.scandir(repo) if e.name.lower().endswith(".ipynb"))
    if not candidates:
        raise Refused(f"no notebook: neither {hw}.ipynb nor any other .ipynb at the repository's root")
    if len(candidates) > 1:
        shown = ", ".join(_shown(c) for c in candidates[:5]) + (", ..." if len(candidates) > 5 else "")
        raise Refused(f"{len(candidates)} candidate notebooks at its root and none named {hw}.ipynb "
                      f"({shown}); keep one, or collect with --notebook PATH")
    return _plain_path(repo, candidates[0])


def _plain_path(repo: Path, relative: str) -> Path:
    """repo/relative when every part of it is no link and the last is a regular file."""
    parts = PurePosixPath(relative).parts
    path = repo
    for depth, part in enumerate(parts, 1):
        path = path / part
        shown = _shown(PurePosixPath(*parts[:depth]).as_posix())
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            raise Refused(f"no notebook at {shown}") from None
        if stat.S_ISLNK(mode):
            what = "the notebook" if depth == len(parts) else "its folder"
            raise Refused(f"{shown} ({what}) is a symbolic link; the student must commit the notebook itself")
    if not stat.S_ISREG(mode):
        raise Refused(f"{_shown(relative)} is not a regular file")
    return path


def head_commit(repo: Path) -> tuple[str, str, str]:
    """(sha, committer date, note) of the repository's HEAD, read by git from repo/.git alone.

    A repository downloaded without .git is still collected, with a note. A .git that is a link
    or a `gitdir:` file could point git at another repository, so it is not read.
    """
    dot_git = repo / ".git"
    try:
        mode = os.lstat(dot_git).st_mode
    except FileNotFoundError:
        return "", "", "no .git: commit not recorded"
    if not stat.S_ISDIR(mode):
        return "", "", ".git is not a folder (a link or a gitdir file): commit not recorded"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
           "GIT_DIR": os.path.abspath(dot_git), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    # The repository's own .git/config was written by `git clone` on this machine, not by the
    # student; these settings still keep anything it could name from running.
    command = ["git", "--no-pager", "-c", "log.showSignature=false", "-c", "core.fsmonitor=false",
               "log", "-1", "--format=%H %cI"]
    try:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT,
                              stdin=subprocess.DEVNULL, cwd=repo)
    except (OSError, subprocess.TimeoutExpired) as err:
        return "", "", f"git could not read the commit ({type(err).__name__})"
    fields_ = proc.stdout.split()
    if proc.returncode != 0 or len(fields_) != 2 or not re.fullmatch(r"[0-9a-f]{40,64}", fields_[0]):
        first = (proc.stderr.strip().splitlines() or ["no output"])[0][:200]
        return "", "", f"git could not read the commit: {first}"
    return fields_[0], fields_[1], ""


def _destination(out: Path, student: str, hw: str) -> Path:
    """out/<student>/<hw>/<hw>.ipynb, its folders made and checked to be no links."""
    folder = out / student / hw
    folder.mkdir(parents=True, exist_ok=True)
    for part in (out / student, folder):
        if os.path.islink(part):
            raise Refused(f"{part} is a symbolic link in the output folder; remove it and collect again")
    return folder / f"{hw}.ipynb"


def _forget(out: Path, student: str, hw: str):
    """Remove an earlier collection's notebook, so `hw grade` cannot grade a stale copy."""
    stale = out / student / hw / f"{hw}.ipynb"
    if not os.path.islink(out / student) and not os.path.islink(out / student / hw):
        try:
            stale.unlink()
        except FileNotFoundError:
            pass


def _shown(name: str) -> str:
    """A name from a repository, safe to print on one line (no control characters)."""
    return "".join(c if c.isprintable() else "?" for c in name)[:200]


def _csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a name starting with = + - @ is not a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_record(rows: list[Row], path: Path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f.name for f in fields(Row)])
    for row in rows:
        writer.writerow([_csv_cell(str(v)) for v in asdict(row).values()])
    results.atomic_write(path, buffer.getvalue())


def infer_prefix(repos_dir: Path) -> str | None:
    """The assignment prefix: `<slug>` of a `<slug>-submissions` folder, else the longest
    `<text>-` that starts most of the folder names (at least two). None when there is none."""
    name = repos_dir.resolve().name
    if name.endswith(SUBMISSIONS_SUFFIX) and len(name) > len(SUBMISSIONS_SUFFIX):
        return name[: -len(SUBMISSIONS_SUFFIX)]
    names = [e.name for e in _repositories(repos_dir)]
    counts = Counter(n[:i] for n in names for i, c in enumerate(n) if c == "-" and i > 0)
    common = [p for p, k in counts.items() if k >= 2 and 2 * k > len(names)]
    return max(common, key=len) if common else None


def cmd_collect(args) -> int:
    hw, repos_dir = args.homework, Path(args.repos_dir)
    known = course.homeworks()
    if hw not in known:
        return _fail("collect", f"unknown homework {hw!r}; the homeworks are {', '.join(known)}")
    if not repos_dir.is_dir():
        return _fail("collect", f"{repos_dir} is not a folder of cloned repositories "
                                "(make one with `gh classroom clone student-repos`)")
    inside = PurePosixPath(args.notebook or "x")
    if inside.is_absolute() or ".." in inside.parts or not inside.parts:
        return _fail("collect", f"--notebook {args.notebook} must be a path inside each repository")
    if not _repositories(repos_dir):
        return _fail("collect", f"{repos_dir} holds no repositories")
    prefix = args.prefix or infer_prefix(repos_dir)
    if not prefix:
        return _fail("collect", f"cannot tell the assignment prefix from the names in {repos_dir}: "
                                "pass --prefix (the part before -<username>)")
    rows = collect(hw, repos_dir, args.out, prefix, args.notebook)
    if not any(r.student for r in rows):
        return _fail("collect", f"no folder in {repos_dir} is named {prefix}-<username>: "
                                "pass the assignment's prefix with --prefix")
    for row in rows:
        if row.status == "collected":
            commit = f" @ {row.commit[:7]} ({row.committed_at})" if row.commit else ""
            note = f"; {row.note}" if row.note else ""
            print(f"collected {row.student}: {row.repository}/{row.notebook}{commit}{note}")
        else:
            print(f"not collected {row.repository}: {row.note}")
    record = args.out / f"{hw}_collected.csv"
    args.out.mkdir(parents=True, exist_ok=True)
    write_record(rows, record)
    done = sum(r.status == "collected" for r in rows)
    print(f"collected {done} of {len(rows)} repositories (prefix {prefix}) into {args.out}; record: {record}\n"
          f"next: hw grade {hw} '{args.out}/*/{hw}/{hw}.ipynb'")
    return 0


def _fail(command: str, message: str) -> int:
    print(f"hw {command}: {message}", file=sys.stderr)
    return 2


# --------------------------------------------------------------------------- the template repository

WORKFLOW = course.ROOT / ".github" / "workflows" / "grade-submission.yml"
HW_VARIABLE = "vars.HW_ID }}"  # in WORKFLOW: the template names its homework instead

STUDENT_README = """\
# {hw}

Your homework is the notebook `{hw}.ipynb`. Keep its name and its place (the root of this
repository): that file is what is graded.

## Set up (once)

Python 3.11 or newer:

```bash
python3 -m venv .venv
source .venv/bin/activate          # Windows: .venv\\Scripts\\activate
pip install "{wheel}[jupyter]"
jupyter lab {hw}.ipynb             # or open the notebook in VS Code with the .venv kernel
```

`{wheel_name}` is the course library the notebook imports (datasets and training helpers),
with the versions of torch and torchvision the grader uses; `[jupyter]` adds JupyterLab and
nbgrader (for `nbgrader validate`). A few GB, most of it PyTorch: a few minutes.

## Work and check

Fill in every `raise NotImplementedError()`. The cells after each question are public checks:
run the notebook top to bottom (Kernel > Restart Kernel and Run All Cells); a check that raises
says what is wrong. Hidden tests grade more than the public checks do.

Before you push, validate: it restarts the notebook, runs every cell and lists the checks that
fail and the questions left unanswered (training demos skip themselves while it runs):

```bash
nbgrader validate {hw}.ipynb
```

## Submit: push

```bash
git add {hw}.ipynb
git commit -m "{hw}"
git push
```

Every push of the notebook runs the workflow "Autograding Tests" (the Actions tab): its
summary shows your points and feedback, and GitHub Classroom shows the points too. Those
points are feedback. Your grade is the one the instructor's own grading gives the last commit
you pushed before the deadline. Commit the notebook itself (not a link), and clear large
outputs if it grows past 20 MB.
"""

GITIGNORE = ".venv/\n.ipynb_checkpoints/\n__pycache__/\ndata/\n"
# Read by `nbgrader validate` in the repository's root: the course's cell timeout (see the kit's own).
NBGRADER_CONFIG = "c = get_config()  # noqa: F821\nc.Execute.timeout = 300  # seconds per cell, not 30\n"


def write_template(hw: str, out: Path) -> list[Path]:
    """Write the template repository of hw into out (new or empty); the paths written."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty folder; pick a new one")
    release = course.release_folder(hw)
    if not course.release_notebook(hw).is_file():
        raise ValueError(f"release/{hw}/{hw}.ipynb is missing: run `hw release {hw}` first")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in sorted(release.iterdir()):  # the notebook, and any file released beside it
        if item.is_file() and not item.is_symlink() and not item.name.startswith("."):
            written.append(Path(shutil.copyfile(item, out / item.name)))
    wheel = _student_wheel(out / "wheels")
    workflow = out / ".github" / "workflows" / WORKFLOW.name
    workflow.parent.mkdir(parents=True)
    workflow.write_text(template_workflow(hw))
    readme = out / "README.md"
    readme.write_text(STUDENT_README.format(hw=hw, wheel=wheel.relative_to(out).as_posix(), wheel_name=wheel.name))
    (out / ".gitignore").write_text(GITIGNORE)
    (out / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    return [*written, wheel, workflow, readme, out / ".gitignore", out / "nbgrader_config.py"]


def template_workflow(hw: str) -> str:
    """The kit's grade-submission.yml with the homework named in it: repository variables of the
    template are not copied into students' repositories, and an organization's HW_ID would
    name one homework for every assignment."""
    text = WORKFLOW.read_text()
    if text.count(HW_VARIABLE) != 1:
        raise ValueError(f"{WORKFLOW.name} no longer reads the homework from {HW_VARIABLE!r} once")
    return text.replace(HW_VARIABLE, f"'{hw}' }}}}")


def _student_wheel(folder: Path) -> Path:
    return student_package.build_wheel(folder)


def cmd_template(args) -> int:
    hw, known = args.homework, course.homeworks()
    if hw not in known:
        return _fail("classroom-template", f"unknown homework {hw!r}; the homeworks are {', '.join(known)}")
    try:
        written = write_template(hw, args.out)
    except (ValueError, OSError, subprocess.CalledProcessError) as err:
        return _fail("classroom-template", str(err).splitlines()[0] if str(err) else type(err).__name__)
    for path in written:
        print(path)
    print(f"push {args.out} as the assignment's template repository (see README.md, Grading on GitHub Actions)")
    return 0


# --------------------------------------------------------------------------- Classroom's points

# The report travels in an environment variable, which Linux caps at 128 KiB: messages are
# cut to fit well under it (the whole feedback is in the run's summary and its artifact).
REPORT_BYTES = 60_000
MESSAGE_CHARS = (1000, 200, 0)  # per test, tried in turn until the report fits


def classroom_report(results_json: dict, message_chars: int = MESSAGE_CHARS[0]) -> dict:
    """A results.json as the runner result that Classroom's grading reporter reads.

    The reporter (classroom-resources/autograding-grading-reporter, src/notify-classroom.js)
    sums `score` over `tests` for the points and takes `max_score` as the maximum, then
    annotates the run "Points <points>/<max>", which the Classroom dashboard reads. Its
    `status` fails the job on "fail" and "error". Skipped tests (worth 0 of 0 here) are left
    out: the reporter prints every test that did not pass as a red cross. `test_code` stays
    empty: the hidden tests' code is never shown.
    """
    rows = results_json.get("tests", [])
    graded = not any(results.result_id(t) in (results.GRADER_FAILURE, results.REFUSED) for t in rows)
    tests = []
    for t in rows:
        if "status" not in t:  # skipped: results.json leaves it out
            continue
        tests.append({
            "name": f"{t['number']} {t['name']}" if t.get("number") else str(t["name"]),
            "status": "pass" if t["status"] == "passed" else ("fail" if graded else "error"),
            "score": _points(t["score"]),
            "message": _cut(str(t.get("output", "")), message_chars),
            "test_code": "", "filename": "", "line_no": 0, "duration": 0,
        })
    max_score = _points(results_json["max_score"])
    score = sum(t["score"] for t in tests)
    status = "error" if not graded else ("pass" if tests and score >= max_score else "fail")
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def _points(x) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0:
        raise ValueError(f"not a score: {x!r}")
    return float(x)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + " [...]" if limit else ""


def encoded_report(results_json: dict) -> str:
    """classroom_report as the step output the reporter decodes: base64 of its JSON, short
    enough for an environment variable."""
    for chars in MESSAGE_CHARS:
        encoded = base64.b64encode(json.dumps(classroom_report(results_json, chars)).encode()).decode()
        if len(encoded) <= REPORT_BYTES:
            break
    return encoded


def main(argv: list[str] | None = None) -> int:
    """`python -m hw_utils.collect classroom-report RESULTS_JSON`: print `result=<base64>`
    (for $GITHUB_OUTPUT), or a warning and nothing else when there is no grade to report."""
    parser = argparse.ArgumentParser(prog="python -m hw_utils.collect")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("classroom-report", help="a results.json as Classroom's reporter reads it") \
        .add_argument("results", type=Path)
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.results.read_bytes())
        line = f"result={encoded_report(data)}"
    except FileNotFoundError:
        print(f"::warning::no {args.results}: no points reported to GitHub Classroom", file=sys.stderr)
        return 0
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"::warning::{args.results} is not a grade ({type(err).__name__}): no points reported",
              file=sys.stderr)
        return 0
    print(line)
    return 0


# --------------------------------------------------------------------------- `hw` registration


def add_parsers(commands):
    """`hw collect` and `hw classroom-template`, registered by cli.main."""
    homeworks = ", ".join(course.homeworks())
    p = commands.add_parser(
        "collect", help="copy the notebooks of a folder of GitHub Classroom repositories into submitted/",
        description="REPOS_DIR holds one clone per student named <prefix>-<username> (as `gh classroom "
                    "clone student-repos` makes it). Writes <out>/<username>/<hw>/<hw>.ipynb, copies only, "
                    "and <out>/<hw>_collected.csv: each repository's commit, or why it was not collected.",
        epilog="Exit status: 0 when the folder was read (repositories not collected are listed, "
               "one line each); 2 when REPOS_DIR is missing, empty, or holds no <prefix>-<username> folder.")
    p.add_argument("homework", help=f"one of {homeworks}")
    p.add_argument("repos_dir", metavar="REPOS_DIR", help="the folder holding the cloned repositories")
    p.add_argument("--out", type=Path, default=course.SUBMITTED,
                   help="writes <out>/<username>/<hw>/<hw>.ipynb (default: the kit's %(default)s)")
    p.add_argument("--notebook", metavar="PATH",
                   help="the notebook's path inside each repository (default: <hw>.ipynb at its root, "
                        "else the root's only .ipynb)")
    p.add_argument("--prefix", help="the assignment's repository prefix (default: <prefix> of a "
                                    "<prefix>-submissions REPOS_DIR, else what most folder names start with)")
    p = commands.add_parser(
        "classroom-template", help="write the GitHub Classroom template repository of a homework",
        description="Writes the release notebook, the student library's wheel (wheels/), a README "
                    "for students and .github/workflows/grade-submission.yml with the homework named in it.")
    p.add_argument("homework", help=f"one of {homeworks}")
    p.add_argument("out", type=Path, help="a new or empty folder")


def run(args) -> int:
    return cmd_collect(args) if args.command == "collect" else cmd_template(args)


if __name__ == "__main__":
    sys.exit(main())
