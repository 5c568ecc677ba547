"""`hw`: the course's command line. Thin wrappers over release, grading and report."""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import classroom, grading, release, report, samples
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
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="submissions graded at once, one warm worker each (default: the cores, %(default)s)")
    p.add_argument("--shard", metavar="I/N",
                   help="grade only the I-th of N disjoint parts of the submissions (for many machines)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions already graded (default: skip those whose notebook is unchanged)")

    p = commands.add_parser("merge", help="join the output folders of shards; write the class summary")
    p.add_argument("homework")
    p.add_argument("shards", nargs="+", type=Path, help="each shard's --out folder")
    p.add_argument("--out", type=Path, default=ROOT / "autograded")

    p = commands.add_parser("summary", help="(re)write the class summary from graded results")
    p.add_argument("homework")
    p.add_argument("--out", type=Path, default=ROOT / "autograded")

    commands.add_parser("demo", help="release, then grade sample submissions of every homework")

    args = parser.parse_args(argv)
    if args.command == "release":
        return cmd_release(args.homeworks or release.homeworks())
    if args.command == "grade":
        return cmd_grade(args, parser)
    if args.command == "merge":
        students = classroom.merge(args.homework, args.shards, args.out)
        print(f"merged {len(students)} students from {len(args.shards)} shards into {args.out}")
        return cmd_summary(args.homework, args.out)
    if args.command == "summary":
        return cmd_summary(args.homework, args.out)
    if args.command == "demo":
        return cmd_demo()
    return 2


def cmd_release(homeworks: list[str]) -> int:
    for hw in homeworks:
        out = release.generate(hw)
        print(f"released {hw} -> {out.relative_to(ROOT)}")
    return 0


def cmd_grade(args, parser) -> int:
    paths = expand(args.submissions)
    if not paths:
        parser.error(f"no submission matches {' '.join(args.submissions)}")
    if args.shard:
        try:
            paths = classroom.shard_of(paths, args.shard)
        except ValueError as err:
            parser.error(str(err))
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    names = [student_name(p, args.homework) for p in paths]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        parser.error(f"two submissions would write the same results: {', '.join(twice)}")
    pytest_args = (f"--load-timeout={args.load_timeout}", f"--call-timeout={args.call_timeout}",
                   *hide_arguments(paths, args.out))
    grades = grade_all(args.homework, paths, args.out, pytest_args, jobs=args.jobs, force=args.force)
    if grades:
        print(report.score_table(grades))
    return cmd_summary(args.homework, args.out)


def cmd_summary(hw: str, out: Path) -> int:
    written = classroom.write_summary(out, hw)
    print(f"class summary: {written['scores.md'].parent}")
    return 0


def hide_arguments(paths: list[Path], out_root: Path) -> tuple[str, ...]:
    """Folders the sandbox hides from student code: the grades, and the class's submissions."""
    folders = {out_root.resolve()}
    parents = [p.resolve().parent for p in paths]
    common = Path(os.path.commonpath(parents))
    exposed = [Path(sys.prefix), Path(sys.base_prefix), Path.home()]
    # The folder holding every submission, unless it is so high up that it holds Python itself.
    if len(common.parts) > 1 and not any(common in (e, *e.parents) for e in exposed):
        folders.add(common)
    else:
        folders.update(parents)
    return tuple(f"--hide={folder}" for folder in sorted(folders))


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


SUBMISSION_HASH = "submission.sha256"  # beside results.json: which notebook was graded


def submission_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def already_graded(path: Path, out_dir: Path) -> bool:
    """True when out_dir holds complete results for exactly this notebook's bytes."""
    try:
        recorded = (out_dir / SUBMISSION_HASH).read_text().strip()
    except OSError:
        return False
    return recorded == submission_hash(path) and (out_dir / "results.json").is_file()


def grade_all(hw: str, paths: list[Path], out_root: Path, pytest_args: tuple[str, ...] = (),
              jobs: int = 1, force: bool = False) -> list[tuple[str, Grade]]:
    """Grade submissions, `jobs` at a time; one that breaks the grader costs itself, not the batch.

    Submissions whose results are already in out_root for the same notebook are skipped
    unless force. Returns (student, Grade) for those graded now, in the order of paths.
    """
    todo = []
    for path in paths:
        student = student_name(path, hw)
        if not force and already_graded(path, out_root / student / hw):
            print(f"skipped {student}: already graded (--force to grade again)", flush=True)
        else:
            todo.append(path)
    if jobs > 1 and len(todo) > 1:
        return _grade_in_parallel(hw, todo, out_root, pytest_args, jobs)
    grading.sandbox.warm_up()
    return [grade_one(hw, path, out_root, pytest_args) for path in todo]


def _grade_in_parallel(hw, paths, out_root, pytest_args, jobs) -> list[tuple[str, Grade]]:
    """One grading process per job, each with its own warm worker forkserver; results in input order.

    The jobs come from the sandbox's forkserver (torch imported, no threads), not from a
    fork of this process: after torch has run here, its thread pools make fork unsafe.
    """
    threads = max(1, (os.cpu_count() or 1) // jobs)  # jobs x torch threads = the cores, no more
    pytest_args = (*pytest_args, f"--threads={threads}")
    by_path = {}
    with grading.sandbox._main_module_hidden(), ProcessPoolExecutor(
            jobs, mp_context=grading.sandbox._context(), initializer=_start_job, initargs=(threads,)) as pool:
        futures = {pool.submit(grade_one, hw, path, out_root, pytest_args): path for path in paths}
        for future in as_completed(futures):
            path = futures[future]
            try:
                by_path[path] = future.result()
            except Exception as err:  # noqa: BLE001 - a grading process died: this one costs, not the batch
                by_path[path] = _record(hw, path, out_root, _grader_failed(hw, path, err))
    return [by_path[path] for path in paths]


def _start_job(threads: int):
    """In a grading process: its share of the cores for the grader's own torch, a warm forkserver."""
    import torch

    torch.set_num_threads(threads)
    grading.sandbox.warm_up()


def grade_one(hw: str, path: Path, out_root: Path, pytest_args: tuple[str, ...]) -> tuple[str, Grade]:
    try:
        grade = grading.grade(hw, path, pytest_args)
    except Exception as err:  # noqa: BLE001 - a grader bug must not stop the class
        grade = _grader_failed(hw, path, err)
    return _record(hw, path, out_root, grade)


def _grader_failed(hw: str, path: Path, err: Exception) -> Grade:
    return Grade(hw, str(path), [TestResult("grading", 0, 0, "failed", f"the grader failed: {err}", False)])


def _record(hw: str, path: Path, out_root: Path, grade: Grade) -> tuple[str, Grade]:
    student = student_name(path, hw)
    out_dir = out_root / student / hw
    written = report.write(grade, out_dir)
    # Written last: a crash before this line leaves the submission to be graded again.
    classroom.atomic_write(out_dir / SUBMISSION_HASH, submission_hash(path) + "\n")
    print(f"graded {student}: {grade.score:g}/{grade.max_score:g} "
          f"in {grade.execution_time:.1f} s -> {written}", flush=True)
    return student, grade


def cmd_demo() -> int:
    started = time.monotonic()
    cmd_release(release.homeworks())
    grades = []
    for hw in release.homeworks():
        if not (grading.GRADER_TESTS / hw).is_dir():
            continue  # a homework without hidden tests is not finished yet
        paths = samples.write_samples(hw, ROOT / "submitted")
        grades += grade_all(hw, list(paths.values()), ROOT / "autograded", force=True)
    print()
    print(report.score_table(grades))
    print(f"\ndemo done in {time.monotonic() - started:.1f} s; "
          f"see autograded/<student>/<hw>/feedback.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
