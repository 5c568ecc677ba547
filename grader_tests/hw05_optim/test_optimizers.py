"""Part A: SGDByHand, RMSpropByHand and AdamByHand follow torch.optim's SGD, RMSprop and Adam step by step,
for many steps, on random logistic-regression problems with random hyper-parameters; also with weight
decay, with two parameter groups, and through a state_dict round trip. The paths come from the notebook's
given optimizer_trajectory, run in the worker with the student's class and here with torch.optim's."""

import numpy as np
import pytest
import torch
from _reference import logistic_problem, trajectory

from hw_utils.testing import StudentError, fail

STEPS = 80
TORCH = {"SGDByHand": torch.optim.SGD, "RMSpropByHand": torch.optim.RMSprop, "AdamByHand": torch.optim.Adam}


def settings(name, rng):
    """Random hyper-parameters of the kind each optimiser takes (weight decay 0: its own test)."""
    if name == "SGDByHand":
        return {"lr": float(10 ** rng.uniform(-2.5, -0.5)), "momentum": float(rng.choice([0.0, rng.uniform(0.5, 0.95)]))}
    if name == "RMSpropByHand":
        return {"lr": float(10 ** rng.uniform(-3.5, -1.5)), "alpha": float(rng.uniform(0.5, 0.999)),
                "eps": float(10 ** rng.uniform(-8, -2))}
    return {"lr": float(10 ** rng.uniform(-3.5, -1.5)), "betas": (float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.999))),
            "eps": float(10 ** rng.uniform(-8, -2))}


def describe(name, hyper, groups=None, restart_at=None):
    options = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in hyper.items())
    extra = f", groups={groups}" if groups else ""
    extra += f", restart_at={restart_at}" if restart_at is not None else ""
    return f"{name}({options}){extra}"


def compare(student, name, seed, hyper, groups=None, restart_at=None, steps=STEPS):
    """The student's path against torch.optim's on problem `seed`; a failure names the first step that differs."""
    shape = (48 + seed % 17, 3 + seed % 5, 2 + seed % 4)
    problem = logistic_problem(*shape, seed)
    call = (f"optimizer_trajectory({describe(name, hyper, groups, restart_at)}, a random logistic problem "
            f"(n, d, k) = {shape}, {steps} steps)")
    try:
        got = student.optimizer_trajectory(student.reference_to(name), problem, steps, groups=groups,
                                           restart_at=restart_at, **hyper)
    except StudentError as err:
        fail(f"{call} raised: {str(err).strip().splitlines()[-1]:.400}")
    want = trajectory(TORCH[name], problem, steps, groups=groups, restart_at=restart_at, **hyper)
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        fail(f"{call}: expected a tensor of shape {tuple(want.shape)}, got {got!r:.100}")
    bad = ~torch.isclose(got, want, rtol=1e-6, atol=1e-9)
    if bad.any():
        step = int(bad.any(dim=1).float().argmax())
        gap = (got[step] - want[step]).abs().max().item()
        fail(f"{call}: the parameters leave {TORCH[name].__name__}'s path at step {step + 1} (of {steps}): after it "
             f"they differ by up to {gap:.3g} (e.g. {got[step][bad[step]][0].item():.8g} instead of "
             f"{want[step][bad[step]][0].item():.8g})")


@pytest.mark.points(2)
def test_sgd_plain_and_momentum(student):
    rng = np.random.default_rng(11)
    compare(student, "SGDByHand", 1, {"lr": 0.1})
    compare(student, "SGDByHand", 2, {"lr": 0.05, "momentum": 0.9})
    for seed in range(3, 9):
        compare(student, "SGDByHand", seed, settings("SGDByHand", rng))


@pytest.mark.points(1)
def test_sgd_nesterov(student):
    rng = np.random.default_rng(12)
    for seed in range(10, 15):
        compare(student, "SGDByHand", seed, {**settings("SGDByHand", rng), "momentum": float(rng.uniform(0.5, 0.95)),
                                             "nesterov": True})


@pytest.mark.points(2)
def test_rmsprop(student):
    rng = np.random.default_rng(13)
    compare(student, "RMSpropByHand", 20, {"lr": 0.01})
    for seed in range(21, 27):
        compare(student, "RMSpropByHand", seed, settings("RMSpropByHand", rng))


@pytest.mark.points(2)
def test_adam(student):
    rng = np.random.default_rng(14)
    compare(student, "AdamByHand", 30, {"lr": 0.01})
    for seed in range(31, 37):
        compare(student, "AdamByHand", seed, settings("AdamByHand", rng))


@pytest.mark.points(1)
def test_adam_first_steps_bias_correction(student):
    """The first steps are where bias correction matters most: Adam's first step moves every entry by lr."""
    rng = np.random.default_rng(15)
    for seed in range(40, 44):
        compare(student, "AdamByHand", seed, {**settings("AdamByHand", rng), "eps": 1e-12}, steps=3)


@pytest.mark.points(1)
def test_weight_decay(student):
    """L2 weight decay added to the gradient before the rule (not AdamW's decoupled decay)."""
    rng = np.random.default_rng(16)
    for name in TORCH:
        for seed in range(50, 53):
            compare(student, name, seed, {**settings(name, rng), "weight_decay": float(rng.uniform(0.01, 0.5))})
    compare(student, "SGDByHand", 53, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1})


@pytest.mark.points(1)
def test_parameter_groups(student):
    """Two groups, each with its own options: every hyper-parameter is read from the group."""
    rng = np.random.default_rng(17)
    for name in TORCH:
        for seed in range(60, 63):
            first, second = settings(name, rng), settings(name, rng)
            second["weight_decay"] = float(rng.uniform(0.01, 0.3))
            compare(student, name, seed, settings(name, rng), groups=[first, second])


@pytest.mark.points(1)
def test_state_dict_round_trip(student):
    """Saved and loaded into a new optimiser mid-run, the path continues unchanged: all state is in self.state."""
    rng = np.random.default_rng(18)
    for name in TORCH:
        for seed in range(70, 72):
            hyper = settings(name, rng)
            if name == "SGDByHand":
                hyper["momentum"] = float(rng.uniform(0.5, 0.95))
            compare(student, name, seed, hyper, restart_at=int(rng.integers(5, 30)))
