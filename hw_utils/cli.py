"""`hw`: the course's command line. Thin wrappers over release, grading and report."""

from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path

from . import grading, release, report, samples
from .grading import Grade, TestResult

ROOT = release.ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hw", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("release", help="regenerate release/<hw> from source/<hw> with nbgrader")
    p.add_argument("homeworks", nargs="*", help="default: every homework in source/")

    p = commands.add_parser("grade", help="grade submissions with the hidden tests")
    p.add_argument("homework")
    p.add_argument("submissions", nargs="+", help="notebook paths or globs")
    p.add_argument("--out", type=Path, default=ROOT / "autograded",
                   help="writes <out>/<student>/<hw>/results.json and feedback.txt")
    p.add_argument("--load-timeout", type=float, default=grading.sandbox.DEFAULT_LOAD_TIMEOUT,
                   help="seconds a notebook may take to run top to bottom (default %(default)s)")
    p.add_argument("--call-timeout", type=float, default=grading.sandbox.DEFAULT_CALL_TIMEOUT,
                   help="seconds one call into student code may take (default %(default)s)")

    commands.add_parser("demo", help="release, then grade sample submissions of every homework")

    args = parser.parse_args(argv)
    if args.command == "release":
        return cmd_release(args.homeworks or release.homeworks())
    if args.command == "grade":
        paths = expand(args.submissions)
        if not paths:
            parser.error(f"no submission matches {' '.join(args.submissions)}")
        limits = (f"--load-timeout={args.load_timeout}", f"--call-timeout={args.call_timeout}")
        grades = grade_all(args.homework, paths, args.out, limits)
        print(report.score_table(grades))
        return 0
    if args.command == "demo":
        return cmd_demo()
    return 2


def cmd_release(homeworks: list[str]) -> int:
    for hw in homeworks:
        out = release.generate(hw)
        print(f"released {hw} -> {out.relative_to(ROOT)}")
    return 0


def expand(patterns: list[str]) -> list[Path]:
    paths = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        paths += [Path(m) for m in matches]
    return paths


def student_name(path: Path, hw: str) -> str:
    """submitted/<student>/<hw>/<hw>.ipynb -> <student>; anything else -> the file's stem."""
    parts = path.resolve().parts
    if len(parts) >= 3 and parts[-2] == hw:
        return parts[-3]
    return path.stem


def grade_all(hw: str, paths: list[Path], out_root: Path,
              pytest_args: tuple[str, ...] = ()) -> list[tuple[str, Grade]]:
    """Grade each submission in turn; one that breaks the grader costs itself, not the batch."""
    grades = []
    grading.sandbox.warm_up()
    for path in paths:
        student = student_name(path, hw)
        try:
            grade = grading.grade(hw, path, pytest_args)
        except Exception as err:  # noqa: BLE001 - a grader bug must not stop the class
            grade = Grade(hw, str(path), [TestResult("grading", 0, 0, "failed",
                                                     f"the grader failed: {err}", False)])
        written = report.write(grade, out_root / student / hw)
        print(f"graded {student}: {grade.score:g}/{grade.max_score:g} "
              f"in {grade.execution_time:.1f} s -> {written}", flush=True)
        grades.append((student, grade))
    return grades


def cmd_demo() -> int:
    started = time.monotonic()
    cmd_release(release.homeworks())
    grades = []
    for hw in release.homeworks():
        if not (grading.GRADER_TESTS / hw).is_dir():
            continue  # a homework without hidden tests is not finished yet
        paths = samples.write_samples(hw, ROOT / "submitted")
        grades += grade_all(hw, list(paths.values()), ROOT / "autograded")
    print()
    print(report.score_table(grades))
    print(f"\ndemo done in {time.monotonic() - started:.1f} s; "
          f"see autograded/<student>/<hw>/feedback.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
