"""Part C: early stopping as Algorithm 7.1, driven by scripted validation errors through the
given run_early_stopping (a ScriptedRun whose parameters count the steps trained). The
grader replays the algorithm on the same script and compares when it stopped, i* and theta*."""

import pytest
import torch
from _reference import algorithm_7_1

from hw_utils.testing import assert_int, fail, type_name

PAD = [1.0] * 6  # worse than everything before: a late stop ends here, not in a RuntimeError

SCRIPTS = [  # (errors, n, patience)
    ([1.0, 0.8, 0.85, 0.6, 0.65, 0.7, 0.75], 7, 3),
    ([0.5, 0.4, 0.45, 0.42], 1, 1),
    ([0.5, 0.4, 0.3, 0.35, 0.3, 0.31, 0.29, 0.3, 0.3, 0.3, 0.3], 25, 4),
    ([0.2, 0.3, 0.4, 0.5, 0.6], 3, 2),
]


def describe(errors, n, patience):
    return f"early_stopping on validation errors {errors} (then 1.0 ...), n={n}, patience={patience}"


def run(student, errors, n, patience):
    result = student.run_early_stopping(errors + PAD, n, patience)
    if not isinstance(result, dict):
        fail(f"run_early_stopping (given) returned {type_name(result)}: was the given cell changed?")
    return result


@pytest.mark.points(2)
def test_stops_after_patience_evaluations_without_improvement(student):
    for errors, n, patience in SCRIPTS:
        evaluations, steps, _ = algorithm_7_1(errors + PAD, n, patience)
        got = run(student, errors, n, patience)
        assert got["evaluations"] == evaluations and got["steps"] == steps, (
            f"{describe(errors, n, patience)}: stopped after {got['evaluations']} evaluations and {got['steps']} "
            f"training steps, expected {evaluations} evaluations ({steps} steps): train n steps before each "
            "evaluation, stop once patience evaluations in a row were not strictly better")


@pytest.mark.points(1)
def test_an_equal_error_is_not_an_improvement(student):
    for errors, n, patience in [([0.5, 0.5, 0.5, 0.6, 0.6, 0.6], 4, 2), ([0.9, 0.4, 0.4, 0.4, 0.4, 0.3], 2, 3)]:
        evaluations, steps, best = algorithm_7_1(errors + PAD, n, patience)
        got = run(student, errors, n, patience)
        assert (got["evaluations"], got["best_step"]) == (evaluations, best), (
            f"{describe(errors, n, patience)}: stopped after {got['evaluations']} evaluations with i* = "
            f"{got['best_step']!r}, expected {evaluations} evaluations and i* = {best}: only a strictly smaller "
            "error resets the patience and moves i*")


@pytest.mark.points(1)
def test_best_step_counts_training_steps(student):
    for errors, n, patience in SCRIPTS:
        _, _, best = algorithm_7_1(errors + PAD, n, patience)
        got = run(student, errors, n, patience)
        assert_int(got["best_step"], f"i* returned by {describe(errors, n, patience)}", best)


@pytest.mark.points(2)
def test_best_parameters_are_a_copy_taken_at_the_best_step(student):
    """theta* holds the values at i* (every entry of the ScriptedRun's parameters is the number
    of steps trained), not the live tensors that training went on changing."""
    for errors, n, patience in SCRIPTS:
        _, steps, best = algorithm_7_1(errors + PAD, n, patience)
        got = run(student, errors, n, patience)
        theta = got["best_params"]
        what = describe(errors, n, patience)
        if not isinstance(theta, dict) or set(theta) != {"w", "b"}:
            fail(f"{what}: theta* should be a dict with the keys of params ('w', 'b'), got {type_name(theta)} "
                 f"{theta!r:.120}")
        for key, shape in [("w", (3,)), ("b", (1,))]:
            value = theta[key]
            if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
                fail(f"{what}: theta*[{key!r}] should be a tensor of shape {shape}, got {type_name(value)}")
            if not torch.equal(value, torch.full(shape, float(best))):
                hint = (" (the live parameters at the end: theta* = params keeps a reference, and dict(params) "
                        "shares the tensors; clone them)" if torch.equal(value, torch.full(shape, float(steps))) else "")
                fail(f"{what}: theta*[{key!r}] = {value.tolist()}, expected the parameters after i* = {best} steps "
                     f"({[float(best)] * shape[0]}){hint}")
