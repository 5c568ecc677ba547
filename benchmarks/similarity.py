"""`hw similarity` on a class of 300 hw01_backprop submissions: how long it takes, and what it finds.

    .venv/bin/python benchmarks/similarity.py [--students 300] [--copies 5] [--seed 0]

Each student answers each question the reference's way or the way of tests/corpus_hw01.py's
correct alternatives (chosen at random), with lines of their own between the statements (no
two students write the same code), leaves about one question in five as the stub, and 10%
hand in the blank release; `--copies` of them hand in another student's notebook with the
local names renamed and the code reformatted (tests/test_similarity.py's disguise). With two
ways to write each answer, every passage between a student's own lines is shared by a hundred
students: those fingerprints are the class's idioms (`--common`), ignored.
Prints the time to write the class, to compare it (reading, fingerprints, pairs) and to write
the report, and whether the planted copies are the flagged pairs. Wall-clock times depend on
load; the CPU time of the comparison much less.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import corpus  # noqa: E402
from hw_utils import similarity  # noqa: E402
from test_similarity import HW, alternative_answers, disguise, handed_in, solutions  # noqa: E402

OUT = ROOT / "build" / "similarity-benchmark"


def individual(code: str, rng: random.Random) -> str:
    """code with a line of the student's own before about every other statement of each function."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            body = node.body[:1]  # the docstring stays first
            for statement in node.body[1:]:
                if rng.random() < 0.5:
                    own = f"check_{rng.randrange(100)} = {rng.randrange(10**6)} * {rng.random():.3f}"
                    body.append(ast.parse(own).body[0])
                body.append(statement)
            node.body = body
    return ast.unparse(tree)


def make_class(students: int, copies: int, seed: int) -> tuple[dict, set]:
    """{student: notebook}, and the planted (copier, original) pairs."""
    rng = random.Random(seed)
    ways = [solutions(corpus.load(corpus.source_path(HW))), alternative_answers()]
    notebooks, answers = {}, {}
    for i in range(students - copies):
        name = f"s{i:03d}"
        if rng.random() < 0.1:
            notebooks[name] = corpus.load(corpus.release_path(HW))
            continue
        answers[name] = {gid: individual(rng.choice(ways)[gid], rng) for gid in ways[0] if rng.random() > 0.2}
        notebooks[name] = handed_in(answers[name])
    planted = set()
    for i in range(copies):
        original = rng.choice(sorted(answers))
        notebooks[f"copier{i}"] = handed_in({gid: disguise(code) for gid, code in answers[original].items()})
        planted.add(frozenset((f"copier{i}", original)))
    return notebooks, planted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    notebooks, planted = make_class(args.students, args.copies, args.seed)
    paths = corpus.write_submissions(HW, notebooks, OUT / "submitted")
    written, cpu = time.perf_counter(), time.process_time()
    report = similarity.compare(HW, paths)
    compared, cpu = time.perf_counter(), time.process_time() - cpu
    index = similarity.write_report(report, similarity.report_folder(OUT / "autograded", HW))
    reported = time.perf_counter()
    flagged = {frozenset((p.a, p.b)) for p in report.pairs if p.flagged}
    print(f"{args.students} submissions of {HW} ({len(report.blank)} blank, {args.copies} planted copies), "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  class written in {written - started:.1f} s (not part of hw similarity)")
    print(f"  compared in {compared - written:.1f} s ({cpu:.1f} s of CPU): {len(report.submissions)} with code, "
          f"{len(report.pairs)} pairs close enough to list")
    print(f"  report written in {reported - compared:.1f} s: {index}")
    print(f"  hw similarity total: {reported - written:.1f} s")
    print(f"  planted copies flagged: {len(planted & flagged)} of {len(planted)}; "
          f"other pairs flagged: {len(flagged - planted)}")
    return 0 if planted <= flagged else 1


if __name__ == "__main__":
    sys.exit(main())
