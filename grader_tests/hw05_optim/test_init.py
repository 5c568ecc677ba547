"""Part F: init_network re-initialises hw04's Net in place: "default" changes nothing, "xavier" draws every
weight from U(-b, b) with b = sqrt(6 / (fan_in + fan_out)), "kaiming" from N(0, 2 / fan_in), biases zero;
checked on the weights' statistics layer by layer (thousands of weights each) and their bounds."""

import math

import pytest
import torch
from _reference import NET_FANS, Net

from hw_utils.testing import StudentError, fail, is_module, type_name


def initialised(student, scheme, seed):
    student.torch.manual_seed(seed)
    model = student.construct("Net")
    try:
        returned = student.init_network(model, scheme)
    except StudentError as err:
        fail(f"init_network(Net(), {scheme!r}) raised: {str(err).strip().splitlines()[-1]:.300}")
    if returned is None or not hasattr(returned, "parameters"):
        fail(f"init_network(Net(), {scheme!r}) should return the model, got {type_name(returned)}")
    return model.eval().parameters


def check_weights(student, scheme, std_of, seed):
    params = initialised(student, scheme, seed)
    for layer, (fan_in, fan_out) in NET_FANS.items():
        w, b = params[f"{layer}.weight"].double(), params[f"{layer}.bias"]
        want = std_of(fan_in, fan_out)
        # The standard error of a sample std over n weights is about std / sqrt(2n): 6 of them, at least 3 %.
        slack = max(0.03, 6 / math.sqrt(2 * w.numel()))
        got = w.std().item()
        call = f"init_network(Net(), {scheme!r}): {layer}.weight (fan_in {fan_in}, fan_out {fan_out}, {w.numel():,} weights)"
        assert abs(got / want - 1) < slack and abs(w.mean().item()) < 5 * want / math.sqrt(w.numel()), (
            f"{call} should have standard deviation {want:.5f} and mean 0, got {got:.5f} and {w.mean().item():.5f}")
        assert torch.count_nonzero(b) == 0, f"init_network(Net(), {scheme!r}): {layer}.bias should be all zeros"
        yield layer, w, want, call


@pytest.mark.points(1)
def test_default_changes_nothing(student):
    params = initialised(student, "default", 4)
    torch.manual_seed(4)
    want = Net().state_dict()
    changed = [name for name in want if not torch.equal(params[name], want[name])]
    assert not changed, f"init_network(Net(), 'default') should leave PyTorch's initialisation as it is; changed: {changed}"


@pytest.mark.points(1)
def test_xavier_uniform(student):
    for layer, w, want, call in check_weights(student, "xavier", lambda i, o: math.sqrt(2 / (i + o)), 5):
        bound = math.sqrt(3) * want
        assert w.abs().max().item() <= bound * (1 + 1e-6) and w.abs().max().item() > 0.95 * bound, (
            f"{call}: Xavier uniform draws from U(-{bound:.5f}, {bound:.5f}); the largest |weight| is "
            f"{w.abs().max().item():.5f} (a normal distribution instead?)")


@pytest.mark.points(1)
def test_kaiming_normal(student):
    for layer, w, want, call in check_weights(student, "kaiming", lambda i, o: math.sqrt(2 / i), 6):
        outside = (w.abs() > math.sqrt(3) * want).double().mean().item()  # 8.3 % for a normal, 0 for a uniform
        assert outside > 0.04, (f"{call}: Kaiming normal has 8 % of its weights beyond sqrt(3) standard deviations, "
                                f"these weights {100 * outside:.1f} % (a uniform distribution instead?)")


@pytest.mark.points(1)
def test_unknown_scheme_raises(student):
    student.torch.manual_seed(0)
    model = student.construct("Net")
    if not is_module(model):
        fail(f"Net() should construct a torch.nn.Module, got {type_name(model)}")
    try:
        student.init_network(model, "orthogonal")
    except StudentError as err:
        if "ValueError" in str(err):
            return
        fail(f"init_network(Net(), 'orthogonal') should raise ValueError, raised {str(err).strip().splitlines()[-1]:.200}")
    fail("init_network(Net(), 'orthogonal') should raise ValueError (an unknown scheme), it returned")
