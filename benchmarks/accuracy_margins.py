"""Accuracy bars against the reference over seeds and against each weak baseline, one run.

    .venv/bin/python benchmarks/accuracy_margins.py [--hw hw03_mlp ...] [--seeds 5]

For every cpu-tier test marked `accuracy` in grader_tests/<hw>, this grades the reference
solution with --seed=0..N-1 (the `seed` fixture shifts every seed the test chooses) and each
weak baseline of tests/corpus_hwNN.py once, the way `hw grade` does (sandboxed workers), and
prints one Markdown table per test: the bar, the reference's accuracy per seed and its
minimum (the margin the bar leaves), and each baseline's accuracy and verdict. The figures
are what the tests measured (`measure(...)`), never what student code printed.
A benchmark, not a test: the proof that baselines fail runs in tests/test_discrimination.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import corpus  # noqa: E402
import variants  # noqa: E402
from hw_utils import cli  # noqa: E402
from test_discrimination import GRADED, accuracy_tests  # noqa: E402

OUT = ROOT / "build" / "accuracy-margins"  # not /tmp: the sandbox hides it from workers


def grade(hw: str, notebooks: dict, tests: list[str], seed: int, folder: str) -> dict:
    """{submission: {test name: TestResult}} for the given tests only."""
    paths = corpus.write_submissions(hw, notebooks, OUT / folder / "submitted")
    out = OUT / folder / "autograded"
    args = (*cli.hide_arguments(list(paths.values()), out), f"--seed={seed}",
            "-k", variants.selection(tuple(tests)))
    graded = cli.grade_all(hw, list(paths.values()), out, args, force=True)
    return {name: corpus.tests_by_name(grade) for name, grade in graded}


def accuracy_of(result) -> str:
    if result is None:
        return "not run"
    value = result.measured.get("accuracy")
    figure = f"{value:.4f}" if value is not None else "no measurement"
    return figure if result.status == "passed" else f"{figure} (failed)"


def bar_of(results) -> str:
    for r in results:
        found = re.search(r"needs ([0-9.]+)", r.output or "")
        if found:
            return found.group(1)
    return "?"


def report(hw: str, seeds: int):
    tests = accuracy_tests(hw)
    if not tests:
        return
    reference = corpus.reference_and_blank(hw)["reference"]
    by_seed = {s: grade(hw, {"reference": reference}, tests, s, f"{hw}/seed{s}")["reference"] for s in range(seeds)}
    weak = corpus.WEAK.get(hw, [])
    weak_results = grade(hw, {w.name: corpus.build(hw, w) for w in weak}, sorted({t for w in weak for t in w.graded_on}),
                         0, f"{hw}/weak") if weak else {}
    for test in tests:
        name = test.split("::")[-1]
        results = [r for s in range(seeds) if (r := by_seed[s].get(test))]
        figures = [r.measured.get("accuracy") for r in results if "accuracy" in r.measured]
        print(f"\n### {hw}: {name} (bar {bar_of(results)})\n")
        print("| submission | accuracy | verdict of the tests it must fail |\n|---|---|---|")
        for s in range(seeds):
            print(f"| reference, seed {s} | {accuracy_of(by_seed[s].get(test))} | |")
        if figures:
            print(f"| **reference, min over {len(figures)} seeds** | **{min(figures):.4f}** | |")
        for w in (w for w in weak if w.against == test):
            got = weak_results[w.name]
            verdicts = ", ".join(f"{f.split('::')[-1]}: {got[f].status if f in got else 'not run'}" for f in w.failing)
            print(f"| {w.baseline}: {w.name} | {accuracy_of(got.get(test))} | {verdicts} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hw", nargs="*", default=GRADED)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    for hw in args.hw:
        report(hw, args.seeds)


if __name__ == "__main__":
    main()
