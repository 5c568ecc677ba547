"""`hw`: the course's command line. Thin wrappers over release, grading, results and classroom."""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import stat
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from . import canary as canary_mod
from . import similarity
from . import classroom, collect, course, gradescope, grading, release, record, record_cli, regrade, results, samples, sandbox, student_package, version
from . import leaderboard  # hw challenge build, hw leaderboard (hw09_challenge)
from .progress import Progress
from .results import GRADER_FAILURE, REFUSED, Grade


class UsageError(Exception):
    """A command given something it cannot use: exit 2 with this one line, nothing written."""


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (what was wrong, where to look), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Epilogs kept as written; every option's default shown, taken from the parser so it stays true."""


def _homework(known, what: str):
    """An argparse type: one of known, else an error listing them."""
    def check(hw: str) -> str:
        if hw not in known:
            raise argparse.ArgumentTypeError(
                f"unknown homework {hw!r}; the {what} are {', '.join(known) or '(none)'}")
        return hw
    check.__name__ = "homework"
    return check


def _number(kind, least, what: str):
    """An argparse type: a finite number >= least."""
    def check(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number ({what})") from None
        if not least <= value < float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: {what}")
        return value
    check.__name__ = kind.__name__
    return check


def _shard(spec: str) -> str:
    try:
        classroom.parse_shard(spec)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return spec


DEMO_WRITES = """\
Overwrites, for every homework <hw>:
  release/<hw>/                                (hw release)
  submitted/{reference,blank,partial}/<hw>/    (the sample submissions)
  autograded/{reference,blank,partial}/<hw>/   (their results, graded again even if unchanged)"""

GRADE_EPILOG = """\
Writes <out>/<student>/<hw>/results.json, feedback.txt and submission.sha256 (the
student is the folder above <hw>/ in submitted/<student>/<hw>/<hw>.ipynb, else the
notebook's name), and the class summary in <out>/_class/<hw>/ (scores.md, scores.csv,
tests.csv, histogram.png). Progress (k of N, elapsed, estimate) goes to stderr.

Exit status:
  0  every submission was graded or refused (a symlink, a fifo: see its feedback)
  1  the grader failed for some (not their fault: the same command again grades
     just those)
  2  a usage error (unknown homework, a path that does not exist, a bad option:
     nothing graded), or two submissions would write one student's results (both
     left out, the rest graded)
  3  the reference solution, graded alongside as a canary with the same options and
     load (each shard grades it too; skipped only when nobody is graded), lost
     points: the run is suspect (overloaded machine, missing data, timeouts); see
     <out>/_class/<hw>/CANARY_FAILED.txt, also on top of scores.md, until a run
     whose canary passes. --no-canary skips it."""


def build_parser() -> argparse.ArgumentParser:
    known, graded = course.homeworks(), course.graded_homeworks()
    ids = f"Homeworks: {', '.join(known)} (graded: {', '.join(graded)})."
    parser = Parser(prog="hw", description=f"{__doc__}\n\n{ids}", formatter_class=HelpFormatter,
                    epilog=f"`hw demo`: {DEMO_WRITES}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    graded_hw = _homework(graded, "graded homeworks (with hidden tests in grader_tests/)")

    p = commands.add_parser("release", help="regenerate release/<hw> from source/<hw> with nbgrader",
                            description="Regenerate release/<hw>/ from source/<hw>/<hw>.ipynb (nbgrader).")
    p.add_argument("homeworks", nargs="*", default=known, help="the homeworks to release")

    p = commands.add_parser(
        "grade", help="grade submissions with the hidden tests", epilog=GRADE_EPILOG,
        description="Grade notebooks with grader_tests/<hw>/, each in a confined worker.")
    p.add_argument("homework", type=graded_hw, help=f"one of {', '.join(graded)}")
    p.add_argument("submissions", nargs="+", help="notebook paths or globs (quote globs)")
    p.add_argument("--out", type=Path, default=course.AUTOGRADED,
                   help="the grades' folder (the kit's autograded/, wherever hw is run from)")
    p.add_argument("--load-timeout", type=_number(float, 1, "seconds, at least 1"),
                   default=course.DEFAULT_LOAD_TIMEOUT,
                   help="seconds a notebook may take to run top to bottom")
    p.add_argument("--call-timeout", type=_number(float, 1, "seconds, at least 1"),
                   default=course.DEFAULT_CALL_TIMEOUT,
                   help="seconds one call into student code may take")
    p.add_argument("--jobs", type=_number(int, 1, "at least 1 job"), default=os.cpu_count() or 1,
                   help="submissions graded at once, one warm worker each; the default is the cores")
    p.add_argument("--shard", metavar="I/N", type=_shard,
                   help="grade only the I-th of N disjoint parts of the submissions (for many machines; None: all)")
    p.add_argument("--allow-unconfined", action="store_true",
                   help="grade even where the kernel cannot confine student code (each feedback says so)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions already graded (else those whose notebook is unchanged are skipped)")
    p.add_argument("--canary", type=Path, metavar="NOTEBOOK",
                   help="the reference solution graded alongside, as a canary (default: source/<hw>/<hw>.ipynb)")
    p.add_argument("--no-canary", action="store_true",
                   help="do not grade the reference alongside (when the kit's reference is not there)")

    p = commands.add_parser("merge", help="join the output folders of shards; write the class summary",
                            description="Copy each shard's <student>/<hw>/ into --out, then write "
                                        "<out>/_class/<hw>/ (scores.md, scores.csv, tests.csv, histogram.png).")
    p.add_argument("homework", type=graded_hw, help=f"one of {', '.join(graded)}")
    p.add_argument("shards", nargs="+", type=Path, help="each shard's --out folder")
    p.add_argument("--out", type=Path, default=course.AUTOGRADED, help="the merged grades' folder")

    p = commands.add_parser("summary", help="(re)write the class summary from graded results",
                            description="Write <out>/_class/<hw>/ (scores.md, scores.csv, tests.csv, "
                                        "histogram.png) from <out>/<student>/<hw>/results.json.")
    p.add_argument("homework", type=graded_hw, help=f"one of {', '.join(graded)}")
    p.add_argument("--out", type=Path, default=course.AUTOGRADED, help="the grades' folder")

    p = commands.add_parser("regrade-report", help="who a regrade changed, by how much, in which tests",
                            description="Compare two grades' folders of one class (e.g. the published "
                                        "grades and a regrade into a new --out); print the changes and "
                                        "write them to <new>/_class/<hw>/regrade-report.md.")
    p.add_argument("homework", type=graded_hw, help=f"one of {', '.join(graded)}")
    p.add_argument("old", type=Path, help="the earlier grades' folder")
    p.add_argument("new", type=Path, help="the later grades' folder")

    commands.add_parser("demo", help="release, then grade sample submissions of every homework",
                        description="Release every homework, write its sample submissions and grade them.",
                        epilog=DEMO_WRITES)
    p = commands.add_parser("samples", help="write reference, blank and partial sample submissions of one homework")
    p.add_argument("homework", help=f"one of {', '.join(course.homeworks())}")
    p.add_argument("--out", type=Path, default=course.SUBMITTED,
                   help="writes <out>/<student>/<hw>/<hw>.ipynb (default: the kit's %(default)s)")
    gradescope.add_parser(commands)
    student_package.add_parser(commands)
    collect.add_parsers(commands)  # hw collect, hw classroom-template
    record_cli.add_parsers(commands, graded_hw, graded)  # hw manual, hw late, hw gradebook
    leaderboard.add_parsers(commands)  # hw challenge build, hw leaderboard
    similarity.add_parser(commands)  # hw similarity
    _help_for_all(commands, ids)
    return parser


def _help_for_all(commands, ids: str):
    """Every subcommand, the others' too: defaults shown, epilogs as written, the homework ids."""
    for sub in commands.choices.values():
        sub.formatter_class = HelpFormatter
        sub.epilog = f"{sub.epilog}\n\n{ids}" if sub.epilog else ids
        for action in sub._actions:  # `hw manual export`: a command's own sub-commands
            if isinstance(action, argparse._SubParsersAction):
                _help_for_all(action, ids)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return dispatch(args)
    except UsageError as err:
        print(f"hw {args.command}: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a path the command cannot read or write: say which, no traceback
        where = f" {err.filename}" if err.filename else ""
        print(f"hw {args.command}: cannot use{where}: {err.strerror or err}", file=sys.stderr)
        return 2


def dispatch(args) -> int:
    if args.command == "release":
        return cmd_release(args.homeworks)
    if args.command == "grade":
        return cmd_grade(args)
    if args.command == "merge":
        return cmd_merge(args.homework, args.shards, args.out)
    if args.command == "summary":
        _check_out(args.out)
        if not classroom.collect(args.out, args.homework):
            raise UsageError(f"{args.out} holds no graded {args.homework} results "
                             f"(<out>/<student>/{args.homework}/results.json): grade first, or pass --out")
        return cmd_summary(args.homework, args.out)
    if args.command == "regrade-report":
        return cmd_regrade_report(args.homework, args.old, args.new)
    if args.command == "samples":
        return samples.cmd_samples(args.homework, args.out)
    if args.command == "demo":
        return cmd_demo()
    if args.command == "gradescope":
        return gradescope.cmd_gradescope(args)
    if args.command == "student-package":
        return student_package.cmd_student_package(args)
    if args.command == "similarity":
        return similarity.cmd_similarity(args)
    if args.command in record_cli.COMMANDS:
        try:
            status, changed = record_cli.run(args)
        except record_cli.CommandError as err:
            raise UsageError(str(err)) from None
        return cmd_summary(changed, args.out) if changed and status == 0 else status
    if args.command in collect.COMMANDS:
        return collect.run(args)
    if args.command in leaderboard.COMMANDS:
        return leaderboard.run(args)
    return 2


def _check_out(out: Path):
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")


def cmd_merge(hw: str, shards: list[Path], out: Path) -> int:
    _check_out(out)
    for shard in shards:
        if not shard.is_dir():
            raise UsageError(f"shard {shard} is not a folder: give each shard's --out folder")
        if not classroom.collect(shard, hw):
            raise UsageError(f"shard {shard} holds no graded {hw} results "
                             f"(<shard>/<student>/{hw}/results.json): is it a grading output?")
    try:
        students = classroom.merge(hw, shards, out)
    except ValueError as err:  # the same student graded differently in two shards
        raise UsageError(str(err)) from None
    for student in students:  # marks and penalties given in the merged folder stay in its results
        if (out / student / hw / record.AUTOGRADED_FILE).is_file():
            record.publish(hw, out / student / hw)
    print(f"merged {len(students)} students from {len(shards)} shards into {out}")
    return cmd_summary(hw, out)


def cmd_regrade_report(hw: str, old: Path, new: Path) -> int:
    for side in (old, new):
        if not classroom.collect(side, hw):
            raise UsageError(f"{side} holds no graded {hw} results (<folder>/<student>/{hw}/results.json): "
                             "give two grading outputs (hw grade --out)")
    text = regrade.report(hw, old, new)
    written = new / classroom.CLASS_DIR / hw / "regrade-report.md"
    written.parent.mkdir(parents=True, exist_ok=True)
    results.atomic_write(written, text)
    print(text + f"\n(written to {written})")
    return 0


def cmd_release(homeworks: list[str]) -> int:
    return release.cmd_release(homeworks)  # checked, stable ids, swapped in: see release.py


def cmd_grade(args) -> int:
    """Grade a class; what goes wrong for one submission is that submission's, never the batch's.

    Exit status: 2 when submissions collided (they were left out), 1 when the grader failed
    for some students (a re-run retries exactly them), else 0. Refused submissions are graded
    outcomes (the student can fix them), not failures of the command.
    """
    _check_out(args.out)
    if not args.no_canary:
        args.canary = Path(os.path.abspath(args.canary or course.source_notebook(args.homework)))
        if not args.canary.is_file():
            raise UsageError(f"the reference {args.canary} is missing (it is graded as a canary): "
                             "pass --canary NOTEBOOK, or --no-canary")
    missing = [p for p in args.submissions if not (glob.glob(p) if glob.has_magic(p) else os.path.lexists(p))]
    if missing:
        raise UsageError(f"no such submission: {' '.join(missing)} (a path that does not exist, "
                         "or a glob matching nothing)")
    # Absolute and without repeats: a path given twice is one submission, not a collision.
    given = list(dict.fromkeys(Path(os.path.abspath(p)) for p in expand(args.submissions)))
    paths = classroom.shard_of(given, args.shard) if args.shard else given
    # Over the whole class, so that two shards holding one path each still see the collision.
    mine = set(paths)
    collided = {name: group for name, group in collisions(given, args.homework).items()
                if mine.intersection(group)}
    for name, group in collided.items():
        print(f"not graded: {' and '.join(map(str, group))} would both write the results of {name}",
              file=sys.stderr, flush=True)
    ambiguous = {p for group in collided.values() for p in group}
    folder = class_folder(given)
    grades, todo = [], []
    for path in paths:
        if path in ambiguous:
            continue
        reason = odd_submission(path, folder)
        if reason:
            grades.append(refuse(args.homework, path, args.out, reason))
        else:
            todo.append(path)
    gaps = sandbox.confinement_gaps() if todo else []
    if gaps and not args.allow_unconfined:
        print(f"hw grade: this machine cannot fully confine student code (missing: {', '.join(gaps)}), so its "
              "grades would not be grades of record; grade on Linux >= 5.13 with Landlock and seccomp "
              "(x86_64), or pass --allow-unconfined to grade anyway", file=sys.stderr)
        return 2
    if todo:
        pytest_args = (f"--load-timeout={args.load_timeout}", f"--call-timeout={args.call_timeout}",
                       *hide_arguments(todo, args.out))
        if gaps:
            print(f"WARNING: grading without full confinement (missing: {', '.join(gaps)})", file=sys.stderr)
            pytest_args += (f"--unconfined={', '.join(gaps)}",)
        reference = None if args.no_canary else args.canary
        graded = grade_all(args.homework, todo, args.out, pytest_args, jobs=args.jobs, force=args.force,
                           canary=reference)
        if reference is not None and graded:  # the canary comes first; never a student's row
            (_, canary_grade), graded = graded[0], graded[1:]
            warning = canary_mod.record(args.out, args.homework, reference, canary_grade)
            if warning:
                print(warning, file=sys.stderr, end="", flush=True)
        grades += graded
    if grades:
        print(results.score_table(grades))
    cmd_summary(args.homework, args.out)
    status = _exit_status(collided, [student for student, grade in grades if grader_failed(grade)])
    if status != 2 and canary_mod.current_banner(args.out, args.homework):
        print(f"hw grade: the reference solution lost points: see {canary_mod.flag_path(args.out, args.homework)}",
              file=sys.stderr)
        return 3
    return status


def _exit_status(collided: dict[str, list[Path]], failed: list[str]) -> int:
    """One line per kind of trouble, on stderr, saying what to do; the worse one's exit status."""
    if failed:
        print(f"hw grade: the grader failed for {', '.join(failed)} (not their fault); "
              "run the same command again to grade them: it skips everyone already graded",
              file=sys.stderr)
    if collided:
        print(f"hw grade: {len(collided)} student name(s) collided, their submissions were not graded "
              f"({', '.join(collided)}): rename the folders so each student has one, "
              "or grade them separately with different --out", file=sys.stderr)
        return 2
    return 1 if failed else 0


def collisions(paths: list[Path], hw: str) -> dict[str, list[Path]]:
    """student -> the paths that would all write that student's results, when more than one."""
    by_name: dict[str, list[Path]] = {}
    for path in paths:
        by_name.setdefault(student_name(path, hw), []).append(path)
    return {name: group for name, group in by_name.items() if len(group) > 1}


def cmd_summary(hw: str, out: Path) -> int:
    written = classroom.write_summary(out, hw)
    warning = canary_mod.current_banner(out, hw)
    if warning:  # on top of scores.md, where an instructor looks first
        scores = written["scores.md"]
        results.atomic_write(scores, "\n".join(f"> {line}" for line in warning.splitlines())
                             + "\n\n" + scores.read_text())
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


def class_folder(paths: list[Path]) -> Path:
    """The folder every submission lies in (absolute, not resolved): below it, nothing is a link."""
    return Path(os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in paths]))


def odd_submission(path: Path, folder: Path) -> str:
    """Why path is no submission to read, or "" when it is a plain file under plain folders.

    Checked with lstat, never following a link: a symbolic link (the notebook, or any folder
    between the class folder and it) could make the grader read what the student chose,
    another student's notebook or a file of the grader's, and a fifo or device would block it.
    """
    path = Path(os.path.abspath(path))
    shown = os.path.relpath(path, folder)  # the student's own path, never the grader's folders
    below = path.parts[len(folder.parts):]
    for depth in range(1, len(below) + 1):
        part = folder.joinpath(*below[:depth])
        try:
            mode = os.lstat(part).st_mode
        except OSError as err:
            return f"{shown} was not read: {err.strerror or err}"
        if stat.S_ISLNK(mode):
            link = shown if depth == len(below) else f"its folder {os.path.relpath(part, folder)}/"
            return (f"{shown} was not read: {link} is a symbolic link; hand in the notebook itself "
                    "as a regular file in a regular folder")
    if not stat.S_ISREG(mode):
        return (f"{shown} was not read: it is {_file_kind(mode)}, not a regular file; "
                "hand in the notebook itself")
    return ""


def _file_kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a fifo"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]
    return next((name for test, name in kinds if test(mode)), "not a plain file")


def refuse(hw: str, path: Path, out_root: Path, reason: str) -> tuple[str, Grade]:
    """Record a submission not read at all: 0 points, the reason in results.json and feedback."""
    return _record(hw, path, out_root, results.not_graded(hw, path, REFUSED, reason), digest=None)


def student_name(path: Path, hw: str) -> str:
    """submitted/<student>/<hw>/<hw>.ipynb -> <student>; anything else -> the file's stem.

    From the path as given (made absolute), not where links lead: a student folder that is a
    link is named for itself, so its refusal lands in its own results, not the target's.
    """
    parts = Path(os.path.abspath(path)).parts
    if len(parts) >= 3 and parts[-2] == hw:
        return parts[-3]
    return path.stem


SUBMISSION_HASH = "submission.sha256"  # beside results.json: which notebook was graded


def submission_hash(path: Path) -> str | None:
    """sha256 of the notebook's bytes, or None when it is not a regular file that can be read.

    Opened without following a link and without blocking (a fifo), like the refusal check.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        digest = hashlib.sha256()
        while block := os.read(fd, 1 << 20):
            digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def already_graded(path: Path, out_dir: Path, hw: str) -> bool:
    """True when out_dir holds complete results for exactly this notebook's bytes, given by
    this version of the grader (hidden tests, kit, given cells: see version.py)."""
    try:
        recorded = (out_dir / SUBMISSION_HASH).read_text().strip()
        data = json.loads((out_dir / "results.json").read_bytes())
    except (OSError, ValueError):
        return False
    digest = submission_hash(path)
    if digest is None or recorded != digest:
        return False
    graded_by = results.recorded_version(data) if isinstance(data, dict) else ""
    if graded_by != version.grader_version(hw):
        print(f"regrading {student_name(path, hw)}: the grader changed since it was graded "
              f"({graded_by or 'no version recorded'} -> {version.grader_version(hw)})", flush=True)
        return False
    return True


def grader_failed(grade: Grade) -> bool:
    return grade.not_graded == GRADER_FAILURE


def grade_all(hw: str, paths: list[Path], out_root: Path, pytest_args: tuple[str, ...] = (),
              jobs: int = 1, force: bool = False, canary: Path | None = None
              ) -> list[tuple[str, Grade]]:
    """Grade submissions, `jobs` at a time; one that breaks the grader costs itself, not the batch.

    Submissions whose results are already in out_root for the same notebook are skipped
    unless force. Returns (student, Grade) for those graded now, in the order of paths;
    when a canary is given and anyone is graded, the canary's comes first (see canary.py).
    """
    todo = []
    for path in paths:
        student = student_name(path, hw)
        if not force and already_graded(path, out_root / student / hw, hw):
            print(f"skipped {student}: already graded (--force to grade again)", flush=True)
        else:
            todo.append(path)
    # The canary goes first, into the same pool, always graded when anyone is: it measures this run.
    # Tasks are (notebook, its output root): the canary may be a student's notebook too.
    tasks = [(path, out_root) for path in todo]
    labels = [student_name(path, hw) for path, _ in tasks]  # as progress lines name them
    if canary is not None and tasks:
        tasks.insert(0, (canary, canary_mod.folder(out_root, hw)))
        labels.insert(0, "the reference (canary)")
    with Progress(len(tasks), status_root=out_root) as progress:
        pytest_args = (*pytest_args, *progress.pytest_args())
        if jobs > 1 and len(tasks) > 1:
            return _grade_in_parallel(hw, tasks, pytest_args, jobs, lambda i: progress.finished(labels[i]))
        sandbox.warm_up()
        graded = []
        for i, (path, root) in enumerate(tasks):
            graded.append(grade_one(hw, path, root, pytest_args))
            progress.finished(labels[i])
        return graded


def _grade_in_parallel(hw, tasks, pytest_args, jobs, finished) -> list[tuple[str, Grade]]:
    """One grading process per job, each with its own warm worker forkserver; results in input order.

    The jobs come from the sandbox's forkserver (torch imported, no threads), not from a
    fork of this process: after torch has run here, its thread pools make fork unsafe.
    A grading process that dies (killed, out of memory) breaks the whole pool, and every
    submission not yet recorded fails with it: each of those is graded again, alone in a
    fresh process, so one submission that kills its process costs itself only.
    """
    threads = max(1, (os.cpu_count() or 1) // jobs)  # jobs x torch threads = the cores, no more
    pytest_args = (*pytest_args, f"--threads={threads}")
    with sandbox.main_module_hidden():
        by_task, died = _grade_in_pool(hw, tasks, pytest_args, jobs, threads, finished)
        if died:
            print(f"{len(died)} submission(s) lost their grading process; grading each again alone",
                  flush=True)
            with ThreadPoolExecutor(jobs) as retries:
                again = {i: retries.submit(_grade_alone, hw, *tasks[i], pytest_args, threads, why)
                         for i, why in died.items()}
            for i, future in again.items():
                by_task[i] = future.result()
                finished(i)
    return [by_task[i] for i in range(len(tasks))]


def _grade_in_pool(hw, tasks, pytest_args, jobs, threads, finished) -> tuple[dict, dict]:
    """Grade tasks in one pool of jobs processes: ({index: (student, grade)}, {index: why it died})."""
    graded, died = {}, {}
    with _job_pool(jobs, threads) as pool:
        futures = {pool.submit(grade_one, hw, path, root, pytest_args): i for i, (path, root) in enumerate(tasks)}
        for future in as_completed(futures):
            try:
                graded[futures[future]] = future.result()
                finished(futures[future])
            except Exception as err:  # noqa: BLE001 - its process or a sibling died: grade it again
                died[futures[future]] = _death(err)
    return graded, died


def _grade_alone(hw, path, out_root, pytest_args, threads, first_death: str) -> tuple[str, Grade]:
    """A second try in a fresh process of its own; if that dies too, a grader failure (no hash)."""
    try:
        with _job_pool(1, threads) as pool:
            return pool.submit(grade_one, hw, path, out_root, pytest_args).result()
    except Exception as err:  # noqa: BLE001 - the failure is recorded for this student alone
        why = f"the grading process died twice (first: {first_death}; then alone: {_death(err)})"
        return _record(hw, path, out_root, _grader_failed(hw, path, why), digest=None)


def _job_pool(jobs: int, threads: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(jobs, mp_context=sandbox.forkserver(),
                               initializer=_start_job, initargs=(threads,))


def _death(err: BaseException) -> str:
    """What became of a grading process, in one short line."""
    if isinstance(err, BrokenProcessPool):
        return "killed or crashed (out of memory?)"
    return _one_line(f"{type(err).__name__}: {err}")


def _one_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit] + "..."


def _start_job(threads: int):
    """In a grading process: its share of the cores for the grader's own torch, a warm forkserver."""
    import torch

    torch.set_num_threads(threads)
    sandbox.warm_up()


def grade_one(hw: str, path: Path, out_root: Path, pytest_args: tuple[str, ...]) -> tuple[str, Grade]:
    digest = submission_hash(path)  # of the bytes about to be graded, not of a later edit
    try:
        grade = grading.grade(hw, path, pytest_args)
    except Exception as err:  # noqa: BLE001 - a grader bug must not stop the class
        grade = _grader_failed(hw, path, f"{type(err).__name__}: {err}")
    return _record(hw, path, out_root, grade, digest)


def _grader_failed(hw: str, path: Path, why: str) -> Grade:
    message = f"grader failure, not your fault: {_one_line(why)}; re-run hw grade to retry"
    return results.not_graded(hw, path, GRADER_FAILURE, message)


def _record(hw: str, path: Path, out_root: Path, grade: Grade, digest: str | None) -> tuple[str, Grade]:
    """Write the student's results; the hash beside them only when they are a grade of digest's bytes.

    The old hash goes first and the new one comes last, so a crash in between, a grader
    failure or a refusal all leave the submission to be graded again by a plain re-run.
    """
    student = student_name(path, hw)
    out_dir = out_root / student / hw
    (out_dir / SUBMISSION_HASH).unlink(missing_ok=True)
    written = record.save(grade, out_dir)  # the autograded grade, with any marks and penalty kept
    if grader_failed(grade):
        print(f"grader failure for {student} (re-run to retry): {grade.tests[0].output}", flush=True)
    elif grade.not_graded == REFUSED:
        print(f"refused {student}: {grade.tests[0].output}", flush=True)
    else:
        if digest is not None:
            results.atomic_write(out_dir / SUBMISSION_HASH, digest + "\n")
        print(f"graded {student}: {grade.score:g}/{grade.max_score:g} "
              f"in {grade.execution_time:.1f} s -> {written}", flush=True)
    return student, grade


def cmd_demo() -> int:
    started = time.monotonic()
    status = cmd_release(course.homeworks())
    if status:  # its one line is on stderr; grading the blank of an old release would mislead
        print("hw demo: the release failed (see above), so nothing was graded", file=sys.stderr)
        return status
    grades = []
    for hw in course.graded_homeworks():
        paths = samples.write_samples(hw, course.SUBMITTED)
        grades += grade_all(hw, list(paths.values()), course.AUTOGRADED, force=True)
    print()
    print(results.score_table(grades))
    print(f"\ndemo done in {time.monotonic() - started:.1f} s; "
          f"see autograded/<student>/<hw>/feedback.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
