"""Verdicts do not depend on machine load.

Time limits count the CPU time a worker uses (with a wall-clock backstop), so a busy
runner slows a correct submission down without costing it points, while a loop that
never ends is still stopped within its limit. Proven here with every core kept busy by
other processes, as when a class is graded beside other jobs.
"""

import os
import re
import subprocess
import sys
import time

import pytest
from attacks import attack_worker, run

from hw_utils import grading, sandbox


@pytest.fixture(scope="module")
def busy_machine():
    """One process spinning per core, for as long as the module runs."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
    time.sleep(0.5)
    yield len(spinners)
    for process in spinners:
        process.kill()
        process.wait()


GRADED = sorted(p.name for p in grading.GRADER_TESTS.iterdir() if p.is_dir() and p.name.startswith("hw"))


@pytest.mark.parametrize("hw", GRADED)
def test_reference_gets_full_marks_on_a_busy_machine(busy_machine, hw):
    grade = grading.grade(hw, grading.source_notebook(hw))  # the default limits, as `hw grade` uses them
    lost = [f"{t.name}: {t.output[:300]}" for t in grade.tests if t.status == "failed"]
    assert not lost and grade.score == grade.max_score, "\n".join(lost)


def test_an_endless_loop_is_still_stopped_within_its_limit_on_a_busy_machine(busy_machine):
    worker = attack_worker(threads=1)
    try:
        started = time.monotonic()
        with pytest.raises(sandbox.StudentTimeout, match="took longer than 2 s") as stopped:
            run(worker, "while True:\n    pass", timeout=2)
        wall = time.monotonic() - started
    finally:
        worker.close()
    # 2 s of CPU on one core: reached later than on an idle machine, long before the backstop.
    cpu = float(re.search(r"([0-9]+) s of CPU time", str(stopped.value))[1])
    assert 2 <= cpu <= 3, str(stopped.value)
    assert wall < 2 * sandbox.WALL_BACKSTOP_FACTOR, f"stopped only after {wall:.1f} s"
