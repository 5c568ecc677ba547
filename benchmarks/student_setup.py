"""A student's setup from nothing, timed: build the course wheel, make a venv outside this
repository, `pip install "<wheel>[jupyter]"` (torch included, from whatever package index pip
is configured with), then run each release notebook until its first stub and `nbgrader
validate` it, as tests/test_student_setup.py does with torch shared.

    .venv/bin/python benchmarks/student_setup.py [--hw hw04_cnn ...] [--keep]

Prints the time of each step and the venv's size. Needs several GB of free disk in the
system's temporary folder (the venv is deleted afterwards unless --keep).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import student_env  # noqa: E402
from hw_utils import course, student_package  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hw", nargs="*", default=course.homeworks())
    parser.add_argument("--keep", action="store_true", help="keep the venv (its path is printed)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="student-setup-"))
    try:
        started = time.monotonic()
        wheel = student_package.build_wheel(home / "dist")
        print(f"wheel {wheel.name}: {wheel.stat().st_size / 1e3:.0f} kB in {time.monotonic() - started:.1f} s")
        python, timings = student_env.make_venv(home, wheel, share_torch=False)
        size = subprocess.run(["du", "-sh", str(home / "venv")], capture_output=True, text=True).stdout.split()[0]
        print(f"python -m venv: {timings['venv']:.1f} s; pip install \"{wheel.name}[jupyter]\": "
              f"{timings['pip install']:.1f} s; venv {size}")
        print("| homework | run until the first stub | validate release | validate source |\n|---|---|---|---|")
        for hw in args.hw:
            row = [hw]
            started = time.monotonic()
            notebook = student_env.copy_folder(course.release_folder(hw), home / "release" / hw) / f"{hw}.ipynb"
            _, status = student_env.run_notebook(python, notebook, home)
            row.append(f"{time.monotonic() - started:.1f} s ({status})")
            for kind, folder in (("release", course.release_folder(hw)), ("source", course.source_folder(hw))):
                started = time.monotonic()
                copy = student_env.copy_folder(folder, home / f"validate-{kind}" / hw) / f"{hw}.ipynb"
                output = student_env.validate(python, copy, home)
                verdict = "passes" if "Success!" in output else "reports failures"
                verdict += ", a cell timed out" if "Timeout" in output else ""
                row.append(f"{time.monotonic() - started:.1f} s ({verdict})")
            print("| " + " | ".join(row) + " |", flush=True)
    finally:
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
