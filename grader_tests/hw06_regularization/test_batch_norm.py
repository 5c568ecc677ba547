"""Part D: BatchNorm by hand against nn.BatchNorm1d (float64, in the grader), fed the same
random batches over several steps with the same gamma and beta: outputs, running statistics,
eval mode and the input's gradient."""

import pytest
import torch
from _reference import output_and_input_grad, torch_batch_norm

from hw_utils.testing import assert_close, fail, is_module, type_name

CASES = [  # (num_features, batch, kwargs, input mean, input scale)
    (6, 16, {}, 3.0, 2.0),
    (5, 8, {"eps": 1e-3, "momentum": 0.3}, -1.0, 0.02),  # small variance: eps matters
    (3, 2, {"momentum": 0.5}, 0.0, 1.0),  # the smallest batch: N / (N - 1) = 2
]
STEPS = 4


def build(student, case, seed):
    """(student layer, reference layer, description, generator) with the same random gamma and beta."""
    c, _, kwargs, _, _ = case
    g = torch.Generator().manual_seed(seed)
    layer = student.construct("BatchNorm", c, **kwargs)
    what = f"BatchNorm({c}{''.join(f', {k}={v}' for k, v in kwargs.items())})"
    if not is_module(layer):
        fail(f"{what} should construct a torch.nn.Module, got {layer!r}")
    gamma, beta = 0.5 + torch.rand(c, generator=g), torch.randn(c, generator=g)
    student.set_affine(layer, gamma, beta)
    ref = torch_batch_norm(c, kwargs.get("eps", 1e-5), kwargs.get("momentum", 0.1), gamma.double(), beta.double())
    return layer, ref, what, g


def batch(case, g):
    c, n, _, mean, scale = case
    return mean + scale * torch.randn(n, c, generator=g) * (1 + torch.arange(c) / c)


def forward(layer, x, what):
    y = layer(x)
    if not isinstance(y, torch.Tensor) or tuple(y.shape) != tuple(x.shape):
        fail(f"{what} on a batch of shape {tuple(x.shape)}: expected a tensor of the same shape, "
             f"got {type_name(y)} {getattr(y, 'shape', '')}")
    return y.double()


def buffer(layer, name, what):
    value = getattr(layer, name)
    if not isinstance(value, torch.Tensor):
        fail(f"{what}.{name} should be a tensor (self.register_buffer({name!r}, ...)), got {type_name(value)}")
    return value.double()


@pytest.mark.points(1)
def test_parameters_and_buffers(student):
    for c in [4, 7]:
        layer = student.construct("BatchNorm", c)
        if not is_module(layer):
            fail(f"BatchNorm({c}) should construct a torch.nn.Module, got {layer!r}")
        snap = layer.train()
        names = sorted(snap.parameters)
        if names != ["bias", "weight"]:
            fail(f"BatchNorm({c}) should have exactly the parameters 'weight' (gamma) and 'bias' (beta), got {names}")
        assert torch.equal(snap.parameters["weight"], torch.ones(c)) and torch.equal(snap.parameters["bias"], torch.zeros(c)), \
            f"BatchNorm({c}): weight should start as ones({c}) and bias as zeros({c})"
        for name, want in [("running_mean", torch.zeros(c)), ("running_var", torch.ones(c))]:
            if name not in snap.buffers:
                fail(f"BatchNorm({c}) has no buffer {name!r}: use self.register_buffer({name!r}, ...)")
            assert torch.equal(snap.buffers[name].double(), want.double()), f"BatchNorm({c}).{name} should start as {want.tolist()}"


@pytest.mark.points(2)
def test_train_mode_output_matches_batch_norm_1d(student):
    for k, case in enumerate(CASES):
        layer, ref, what, g = build(student, case, seed=k)
        layer.train()
        for step in range(STEPS):
            x = batch(case, g)
            want = ref.train()(x.double()).detach()
            got = forward(layer, x, f"{what} in train mode")
            assert_close(got, want, f"{what}: output in train mode at step {step + 1}",
                         context=f"nn.BatchNorm1d with the same gamma and beta on a batch of {tuple(x.shape)}; "
                                 "normalise with the batch mean and biased variance, sqrt(var + eps)",
                         rtol=1e-4, atol=1e-4)


@pytest.mark.points(2)
def test_running_statistics_match_batch_norm_1d(student):
    for k, case in enumerate(CASES):
        layer, ref, what, g = build(student, case, seed=10 + k)
        layer.train()
        for step in range(STEPS):
            x = batch(case, g)
            ref.train()(x.double())
            forward(layer, x, f"{what} in train mode")
            for name in ["running_mean", "running_var"]:
                assert_close(buffer(layer, name, what), getattr(ref, name), f"{what}.{name} after {step + 1} steps",
                             context="nn.BatchNorm1d: (1 - momentum) * old + momentum * batch value, "
                                     "the unbiased variance in running_var", rtol=1e-4, atol=1e-5)


@pytest.mark.points(1)
def test_eval_mode_uses_and_keeps_the_running_statistics(student):
    for k, case in enumerate(CASES):
        layer, ref, what, g = build(student, case, seed=20 + k)
        layer.train()
        for _ in range(3):
            x = batch(case, g)
            ref.train()(x.double())
            forward(layer, x, f"{what} in train mode")
        layer.eval()
        ref.eval()
        before = [buffer(layer, name, what) for name in ["running_mean", "running_var"]]
        for x in [batch(case, g), batch(case, g)[:1]]:
            got = forward(layer, x, f"{what} in eval mode")
            assert_close(got, ref(x.double()).detach(), f"{what}: output in eval mode on a batch of {len(x)}",
                         context="nn.BatchNorm1d in eval mode: normalise with running_mean and running_var",
                         rtol=1e-4, atol=1e-4)
        after = [buffer(layer, name, what) for name in ["running_mean", "running_var"]]
        assert all(torch.equal(a, b) for a, b in zip(before, after)), \
            f"{what}: a forward pass in eval mode changed running_mean or running_var; eval mode leaves them alone"


@pytest.mark.points(1)
def test_input_gradient_matches_batch_norm_1d(student):
    """The gradient flows through the batch mean and variance too (they depend on x)."""
    for k, case in enumerate(CASES[:2]):
        layer, ref, what, g = build(student, case, seed=30 + k)
        layer.train()
        x = batch(case, g)
        grad_output = torch.randn(x.shape, generator=g)
        _, dx = student.output_and_input_grad(layer, x, grad_output)
        if not isinstance(dx, torch.Tensor):
            fail(f"{what} in train mode: no gradient reached the input (got {type_name(dx)})")
        _, want = output_and_input_grad(ref.train(), x, grad_output)
        assert_close(dx.double(), want, f"{what}: gradient of (output * grad_output).sum() with respect to the input",
                     context="autograd through nn.BatchNorm1d in train mode; do not detach the batch mean or variance",
                     rtol=1e-3, atol=1e-3 * float(want.abs().max()))
