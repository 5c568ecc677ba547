"""The Gradescope zip run, timed: build each homework's zip, unpack it into a fake /autograder,
upload the reference solution and time `run_autograder`, the way Gradescope runs it.

    .venv/bin/python benchmarks/gradescope_run.py [--hw hw01_backprop ...] [--setup]

Without --setup the kit's own venv stands in for the image's (HW_AUTOGRADER_PYTHON), as in
tests/test_gradescope.py. With --setup, setup.sh runs first, for real (a venv of several GB
in build/gradescope-run/<hw>/venv, from whatever package index pip is configured with), and
run_autograder then grades with the Python it installed: what Gradescope's image would do.
Prints one Markdown row per homework: zip size, setup time, wall time of run_autograder,
the execution_time it reported, and the score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hw_utils import course, gradescope  # noqa: E402

OUT = ROOT / "build" / "gradescope-run"  # not /tmp: the sandbox hides it from workers


def fake_autograder(hw: str, folder: Path) -> tuple[Path, int]:
    """(the fake /autograder root holding hw's zip and the reference as an upload, zip bytes)."""
    shutil.rmtree(folder, ignore_errors=True)
    zipped = gradescope.build_zip(hw, folder / "dist")
    root = folder / "autograder"
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy(course.source_notebook(hw), root / "submission" / "reference.ipynb")
    return root, zipped.stat().st_size


def timed(command: list[str], env: dict, log: Path) -> float:
    started = time.monotonic()
    with log.open("w") as out:
        subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hw", nargs="+", default=course.graded_homeworks(), choices=course.graded_homeworks())
    parser.add_argument("--setup", action="store_true", help="run setup.sh for real first (installs a venv)")
    args = parser.parse_args()
    print("| homework | zip (kB) | setup.sh (s) | run_autograder (s) | execution_time (s) | score |")
    print("|---|---:|---:|---:|---:|---:|")
    for hw in args.hw:
        root, size = fake_autograder(hw, OUT / hw)
        env = {**os.environ, gradescope.ROOT_ENV: str(root)}
        setup = "-"
        if args.setup:
            setup = f"{timed(['bash', str(root / 'source' / 'setup.sh')], env, root / 'setup.log'):.0f}"
        else:
            env[gradescope.PYTHON_ENV] = sys.executable
        wall = timed([str(root / "run_autograder")], env, root / "stdout")
        data = json.loads((root / "results" / "results.json").read_text())
        print(f"| {hw} | {size / 1e3:.0f} | {setup} | {wall:.1f} | {data['execution_time']:.1f} | "
              f"{data['score']:g} / {data['max_score']:g} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
