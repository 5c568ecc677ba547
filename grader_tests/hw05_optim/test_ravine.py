"""Part B: steps_to_tolerance counts the SGD steps to f(x) <= tol on f = x^T A x / 2 exactly as the grader
measures them (gradient by autograd or as A @ x), with and without momentum, on the notebook's ravine and
on random ill-conditioned quadratics; 0 at the minimum, None when max_steps do not suffice, x0 unchanged
(the notebook's own START, passed from the worker, is read back after the call)."""

import numpy as np
import pytest
import torch
from _reference import random_spd, steps_to_tolerance

from hw_utils.testing import StudentError, fail

RAVINE = torch.diag(torch.tensor([1.0, 100.0], dtype=torch.float64))
START = torch.tensor([-10.0, 1.0], dtype=torch.float64)


def check_count(student, A, x0, lr, momentum, tol, max_steps, what):
    call = f"steps_to_tolerance({what}, lr={lr:.4g}, momentum={momentum:.4g}, tol={tol:.3g}, max_steps={max_steps})"
    try:
        got = student.steps_to_tolerance(A, x0, lr, momentum, tol=tol, max_steps=max_steps)
    except StudentError as err:
        fail(f"{call} raised: {str(err).strip().splitlines()[-1]:.400}")
    want = {steps_to_tolerance(A, x0, lr, momentum, tol, max_steps, autograd=a) for a in (True, False)}
    if got not in want or isinstance(got, bool):
        expected = " or ".join(str(w) for w in sorted(want, key=str))
        fail(f"{call}: the grader's SGD reaches f(x) <= tol after {expected} steps, got {got!r:.50}")
    return got


@pytest.mark.points(2)
def test_the_ravine_with_and_without_momentum(student):
    """The notebook's figure: the counts for momentum 0 and 0.9 (and others) are the grader's own."""
    counts = {m: check_count(student, RAVINE, START, 0.019, m, 1e-8, 10_000, "diag(1, 100), x0=(-10, 1)")
              for m in (0.0, 0.5, 0.9, 0.99)}
    assert counts[0.9] < counts[0.0], counts


@pytest.mark.points(2)
def test_random_ill_conditioned_quadratics(student):
    check_count(student, torch.eye(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), 1.0, 0.0, 1e-12, 5,
                "the identity, x0=(1, 1, 1)")
    rng = np.random.default_rng(5)
    for case in range(8):
        n, condition = int(rng.integers(2, 6)), float(10 ** rng.uniform(1, 2.5))
        A = random_spd(n, condition, rng)
        x0 = torch.from_numpy(rng.normal(0, 3, n))
        lr = float(rng.uniform(0.3, 1.9)) / condition
        momentum = [0.0, 0.9, float(rng.uniform(0.3, 0.95))][case % 3]
        tol = float(10 ** rng.uniform(-8, -3))
        check_count(student, A, x0, lr, momentum, tol, 20_000,
                    f"a random {n}x{n} A with condition number {condition:.0f}, a random x0")


@pytest.mark.points(1)
def test_edge_cases(student):
    x0 = torch.tensor([0.001, 0.0], dtype=torch.float64)
    check_count(student, RAVINE, x0, 0.019, 0.0, 1e-6, 100, "diag(1, 100), x0=(0.001, 0) where f = 5e-7")
    check_count(student, RAVINE, START, 0.019, 0.0, 1e-8, 50, "diag(1, 100), x0=(-10, 1)")
    ravine, start = student.reference_to("RAVINE"), student.reference_to("START")
    student.steps_to_tolerance(ravine, start, 0.019, 0.9, tol=1e-8, max_steps=100)
    left = student.START
    assert torch.equal(left, START), (
        f"steps_to_tolerance(RAVINE, START, lr=0.019, momentum=0.9) changed the notebook's START from (-10, 1) to "
        f"{left.tolist()}: x0 must stay unchanged (clone it before optimising)")
