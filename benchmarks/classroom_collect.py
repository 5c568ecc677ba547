"""A GitHub Classroom class, collected and graded, timed: 30 student repositories made with git
(reference, blank and partial notebooks of a homework, and a few hostile repositories), then
`hw collect` and `hw grade --jobs 2` on what it collected, each as the instructor runs it.

    .venv/bin/python benchmarks/classroom_collect.py [--hw hw01_backprop] [--students 30] [--jobs 2]

Everything lives under /work/scratch/classroom/bench (override with --root; not /tmp, which the
sandbox hides from workers), made afresh each run. Prints the figures as a Markdown table and
the score of each kind of student.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hw_utils import samples  # noqa: E402

HW_BIN = Path(sys.executable).parent / "hw"
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "student",
           "GIT_AUTHOR_EMAIL": "student@example.com", "GIT_COMMITTER_NAME": "student",
           "GIT_COMMITTER_EMAIL": "student@example.com"}
# Hostile repositories, each refused by hw collect with one line: a link out of the repository,
# two notebooks, none, and one past the grader's size limit (sparse: costs no disk).
HOSTILE = ("link", "two", "none", "huge")


def make_repository(path: Path, kind: str, hw: str, notebooks: dict[str, Path]):
    path.mkdir(parents=True)
    target = path / f"{hw}.ipynb"
    if kind in notebooks:
        shutil.copyfile(notebooks[kind], target)
    elif kind == "link":
        target.symlink_to("/etc/passwd")
    elif kind == "two":
        shutil.copyfile(notebooks["blank"], path / "draft.ipynb")
        shutil.copyfile(notebooks["reference"], path / "final.ipynb")
    elif kind == "none":
        (path / "README.md").write_text("forgot to add the notebook\n")
    elif kind == "huge":
        with open(target, "wb") as f:
            f.truncate(25 * 2**20)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "homework"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)


def make_class(root: Path, hw: str, students: int) -> tuple[Path, dict[str, str]]:
    """root/<prefix>-submissions/<prefix>-studentNN, as gh classroom clone student-repos lays them out."""
    notebooks = samples.write_samples(hw, root / "samples")
    prefix = hw.replace("_", "-")
    repos = root / f"{prefix}-submissions"
    kinds = [*HOSTILE, *(["reference", "blank", "partial"] * students)][:students]
    kind_of = {}
    for i, kind in enumerate(kinds, 1):
        name = f"student{i:02d}"
        make_repository(repos / f"{prefix}-{name}", kind, hw, notebooks)
        kind_of[name] = kind
    return repos, kind_of


def timed(command: list[str], log: Path) -> tuple[float, int]:
    started = time.monotonic()
    with log.open("w") as out:
        rc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT).returncode
    return time.monotonic() - started, rc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hw", default="hw01_backprop")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--root", type=Path, default=Path("/work/scratch/classroom/bench"))
    args = parser.parse_args()
    shutil.rmtree(args.root, ignore_errors=True)
    args.root.mkdir(parents=True)

    started = time.monotonic()
    repos, kind_of = make_class(args.root, args.hw, args.students)
    made = time.monotonic() - started
    submitted, graded = args.root / "submitted", args.root / "autograded"
    collect_s, collect_rc = timed([str(HW_BIN), "collect", args.hw, str(repos), "--out", str(submitted)],
                                  args.root / "collect.log")
    copies = sorted(submitted.glob(f"*/{args.hw}/{args.hw}.ipynb"))
    grade_s, grade_rc = timed([str(HW_BIN), "grade", args.hw, *map(str, copies), "--out", str(graded),
                               "--jobs", str(args.jobs), "--force"], args.root / "grade.log")

    scores = defaultdict(list)
    for name, kind in kind_of.items():
        path = graded / name / args.hw / "results.json"
        if path.is_file():
            data = json.loads(path.read_text())
            scores[kind].append(f"{data['score']:g}/{data['max_score']:g}")
        else:
            scores[kind].append("not collected")
    print(f"| step | seconds | |\n|---|---:|---|")
    print(f"| make {args.students} git repositories | {made:.1f} | |")
    print(f"| hw collect | {collect_s:.1f} | exit {collect_rc}, {len(copies)} of {args.students} collected |")
    print(f"| hw grade --jobs {args.jobs} | {grade_s:.1f} | exit {grade_rc}, "
          f"{grade_s / max(1, len(copies)):.1f} s per submission |")
    print()
    for kind, got in sorted(scores.items()):
        print(f"{kind:>9}: {', '.join(sorted(set(got)))} ({len(got)} students)")
    print(f"\nlogs: {args.root}/collect.log, {args.root}/grade.log")
    return 0 if collect_rc == 0 and grade_rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
