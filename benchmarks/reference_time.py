"""How long the cpu tier takes to grade each homework's reference, the way `hw grade` does.

    .venv/bin/python benchmarks/reference_time.py [--hw hw05_optim ...] [--repeat 2]

Each homework's target is at most 60 s on an idle 2-core machine: run this when nothing else
does (it prints the load average beside each figure, so a busy run shows itself). Grades the
source notebook with `hw grade --jobs 1 --no-canary --force` into build/reference-time/ and
prints one Markdown row per homework: the wall time of the command, the grading time that
results.json records, the score, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hw_utils import course  # noqa: E402

OUT = ROOT / "build" / "reference-time"  # not /tmp: the sandbox hides it from workers


def grade_once(hw: str) -> tuple[float, dict]:
    out = OUT / hw
    started = time.monotonic()
    subprocess.run([str(Path(sys.executable).parent / "hw"), "grade", hw, str(course.source_notebook(hw)),
                    "--jobs", "1", "--no-canary", "--force", "--out", str(out)],
                   check=True, capture_output=True, text=True)
    wall = time.monotonic() - started
    return wall, json.loads((out / "source" / hw / "results.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hw", nargs="*", default=course.graded_homeworks())
    parser.add_argument("--repeat", type=int, default=1, help="grade each this many times (default: %(default)s)")
    args = parser.parse_args()
    print("| homework | wall time of hw grade | grading (results.json) | score | load before / after |")
    print("|---|---|---|---|---|")
    for hw in args.hw:
        for _ in range(args.repeat):
            before = os.getloadavg()[0]
            wall, result = grade_once(hw)
            print(f"| {hw} | {wall:.1f} s | {result['execution_time']:.1f} s | "
                  f"{result['score']:g}/{sum(t['max_score'] for t in result['tests']):g} | "
                  f"{before:.1f} / {os.getloadavg()[0]:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
