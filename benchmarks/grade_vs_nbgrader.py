"""Seconds per submission: `hw grade` with 1 and 2 jobs next to `nbgrader autograde`,
the same notebooks, one run.

    .venv/bin/python benchmarks/grade_vs_nbgrader.py [--n 100] [--jobs 1 2] [--hw hw01_backprop]
                                                     [--baseline GIT_REF]

With --baseline, the same benchmark of GIT_REF (checked out into a temporary worktree) runs
first, in the same command, so that a change's cost is read off one run.

N submissions are generated from tests/corpus.py's standard corpus, cycled: the reference
(the slowest to run: it trains), the blank release and every plausible wrong answer.
nbgrader runs each notebook in a fresh Jupyter kernel and then its public checks; `hw grade`
forks a worker from a warm forkserver, runs the code cells and the hidden tests. The
figures include each tool's start-up (for --jobs 2, starting the grading processes).
A benchmark, not a test: machines are noisy, so compare the figures of one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "tests"))

import corpus  # noqa: E402
from hw_utils import cli  # noqa: E402


def nbgrader(course: Path, *args: str):
    # nbgrader's gradebook runs the `alembic` command: it must find the venv's bin/.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                          cwd=course, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def run_baseline(args):
    """The same benchmark, from GIT_REF's own tree (its hw_utils, its corpus), before ours."""
    # Inside the repository's ignored build/, not under /tmp: the sandbox hides the temporary
    # folder from student code, and a kit living there would hide its own hw_utils too.
    tree = ROOT / "build" / "bench-baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.baseline],
                   check=True, capture_output=True)
    try:
        print(f"--- baseline {args.baseline} ---", flush=True)
        subprocess.run([sys.executable, str(tree / "benchmarks" / "grade_vs_nbgrader.py"), "--n", str(args.n),
                        "--hw", args.hw, "--jobs", *map(str, args.jobs)], check=True,
                       # Its forkserver is a new interpreter: it must import that tree's hw_utils too.
                       env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree)
        print("--- this tree ---", flush=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--hw", default="hw01_backprop")
    parser.add_argument("--baseline", metavar="GIT_REF", help="benchmark this commit too, first")
    args = parser.parse_args()
    if args.baseline:
        run_baseline(args)
    hw, n = args.hw, args.n
    variants = list(corpus.standard_corpus(hw).items())

    course = Path(tempfile.mkdtemp(prefix="bench-course-"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / hw, course / "source" / hw)
    nbgrader(course, "generate_assignment", hw, "--force")  # with its gradebook, as autograde needs
    students = [f"s{i:03d}" for i in range(n)]
    for i, student in enumerate(students):
        nbgrader(course, "db", "student", "add", student)
        _, notebook = variants[i % len(variants)]
        corpus.write_submissions(hw, {student: notebook}, course / "submitted")
    paths = [course / "submitted" / s / hw / f"{hw}.ipynb" for s in students]

    started = time.perf_counter()
    nbgrader(course, "autograde", hw, "--force")
    nbgrader_seconds = (time.perf_counter() - started) / n

    ours = {}
    for jobs in args.jobs:
        out = course / f"hw-autograded-{jobs}"
        started = time.perf_counter()
        grades = cli.grade_all(hw, paths, out, cli.hide_arguments(paths, out), jobs=jobs, force=True)
        ours[jobs] = (time.perf_counter() - started) / n
        reference = grades[[name for name, _ in variants].index("reference")][1]
        assert reference.score == reference.max_score, "the reference should get full marks"

    print(f"\n{hw}: {n} submissions ({len(variants)} variants cycled), {os.cpu_count()} cores")
    print(f"nbgrader autograde : {nbgrader_seconds:6.2f} s per submission (notebook + public checks)")
    for jobs, seconds in ours.items():
        print(f"hw grade --jobs {jobs}  : {seconds:6.2f} s per submission (notebook + "
              f"{len(reference.tests)} hidden tests, sandboxed); ratio to nbgrader {seconds / nbgrader_seconds:.2f}")
    if 1 in ours and len(ours) > 1:
        for jobs, seconds in ours.items():
            if jobs != 1:
                print(f"speed-up of --jobs {jobs} over --jobs 1: {ours[1] / seconds:.2f}x")
    shutil.rmtree(course, ignore_errors=True)


if __name__ == "__main__":
    main()
