"""Seconds per submission: `hw grade` next to `nbgrader autograde`, same notebooks, one run.

    .venv/bin/python benchmarks/grade_vs_nbgrader.py [--n 5] [--hw hw01_backprop]

Both grade N copies of the reference solution (the slowest submission to run: it trains).
nbgrader runs each notebook in a fresh Jupyter kernel and then its test cells; `hw grade`
forks a worker from a warm forkserver, runs the code cells and the hidden tests.
A benchmark, not a test: machines are noisy, so compare the two figures of one run.
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

from hw_utils import cli  # noqa: E402


def nbgrader(course: Path, *args: str):
    # nbgrader's gradebook runs the `alembic` command: it must find the venv's bin/.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                          cwd=course, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--hw", default="hw01_backprop")
    args = parser.parse_args()
    hw, n = args.hw, args.n

    course = Path(tempfile.mkdtemp(prefix="bench-course-"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source" / hw, course / "source" / hw)
    nbgrader(course, "generate_assignment", hw, "--force")  # with its gradebook, as autograde needs
    students = [f"s{i:03d}" for i in range(n)]
    for student in students:
        nbgrader(course, "db", "student", "add", student)
        target = course / "submitted" / student / hw
        target.mkdir(parents=True)
        shutil.copy(ROOT / "source" / hw / f"{hw}.ipynb", target / f"{hw}.ipynb")
    paths = [course / "submitted" / s / hw / f"{hw}.ipynb" for s in students]

    started = time.perf_counter()
    nbgrader(course, "autograde", hw, "--force")
    nbgrader_seconds = (time.perf_counter() - started) / n

    started = time.perf_counter()
    grades = cli.grade_all(hw, paths, course / "hw-autograded")
    ours_seconds = (time.perf_counter() - started) / n
    assert all(g.score == g.max_score for _, g in grades), "the reference should get full marks"

    print(f"{hw}, {n} submissions of the reference solution")
    print(f"nbgrader autograde : {nbgrader_seconds:6.2f} s per submission (notebook + public checks)")
    print(f"hw grade           : {ours_seconds:6.2f} s per submission "
          f"(notebook + {len(grades[0][1].tests)} hidden tests, sandboxed)")
    print(f"ratio hw/nbgrader  : {ours_seconds / nbgrader_seconds:.2f}")
    shutil.rmtree(course, ignore_errors=True)


if __name__ == "__main__":
    main()
