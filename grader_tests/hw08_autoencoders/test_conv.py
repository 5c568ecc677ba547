"""Part B: the output size of a transposed convolution against nn.ConvTranspose2d, the
convolutional auto-encoder (Conv2d encoder, ConvTranspose2d decoder, 28 x 28 out), count_parameters,
and compare_autoencoders, whose every number the grader measures itself."""

import math
import random

import pytest
import torch
from _reference import conv_transpose_size, digits, mse, reconstruct

from hw_utils.testing import assert_close, assert_int, fail, is_module, type_name

MAX_PARAMETERS = 100_000


def configurations(count, seed=0):
    """Random (n, kernel, stride, padding, output_padding, dilation) that nn.ConvTranspose2d accepts."""
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        n, k, s, d = rng.randint(1, 12), rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 3)
        p, op = rng.randint(0, 3), rng.randint(0, max(s, d) - 1)
        if (n - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1:
            found.append((n, k, s, p, op, d))
    return found


@pytest.mark.points(2)
def test_conv_transpose_output_size_matches_pytorch(student):
    """The output size for 150 random configurations (stride, padding, output padding, dilation) is what
    nn.ConvTranspose2d produces."""
    for n, k, s, p, op, d in [(7, 3, 2, 1, 1, 1), (14, 3, 2, 1, 1, 1)] + configurations(150):
        call = (f"conv_transpose_output_size({n}, kernel_size={k}, stride={s}, padding={p}, output_padding={op}, "
                f"dilation={d})")
        want = conv_transpose_size(n, k, s, p, op, d)
        got = student.conv_transpose_output_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)
        assert_int(got, call)
        assert got == want, f"{call} = {got}, nn.ConvTranspose2d gives {want}"


def conv_autoencoder(student, k, seed=0):
    student.torch.manual_seed(seed)
    model = student.construct("ConvAutoEncoder", k)
    if not is_module(model):
        fail(f"ConvAutoEncoder({k}) should construct a torch.nn.Module, got a {type_name(model)}")
    return model


@pytest.mark.points(2)
def test_conv_autoencoder_shapes_and_layers(student):
    """encode maps (N, 1, 28, 28) to (N, k), decode maps codes alone to (N, 1, 28, 28) in (0, 1), forward is
    decode(encode(x)); the model uses Conv2d and ConvTranspose2d and has fewer than 100,000 parameters."""
    X = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    for k in (2, 32):
        model = conv_autoencoder(student, k)
        call = f"ConvAutoEncoder(k={k})"
        x_hat = reconstruct(model, X, k, call)
        if not (x_hat.min() >= 0 and x_hat.max() <= 1):
            fail(f"{call}.decode(z) returned values in [{x_hat.min():.3f}, {x_hat.max():.3f}]: end with a sigmoid")
        out = model(X)
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (5, 1, 28, 28):
            fail(f"{call}(x) for x of shape (5, 1, 28, 28): expected a tensor of the same shape, got {out!r:.100}")
        assert_close(out.double(), x_hat, f"{call}(x)", context="forward(x) should equal decode(encode(x))",
                     rtol=1e-4, atol=1e-5)
        snap = model.eval()
        for layer in ("Conv2d(", "ConvTranspose2d("):
            if layer not in snap.text:
                fail(f"{call} should use nn.{layer[:-1]} (the encoder convolves, the decoder up-samples with "
                     f"transposed convolutions); the model prints as\n{snap.text:.800}")
        if snap.num_parameters() >= MAX_PARAMETERS:
            fail(f"{call} has {snap.num_parameters():,} parameters; the notebook's architecture has about 53,000 "
                 f"(at most {MAX_PARAMETERS:,})")


@pytest.mark.points(1)
def test_count_parameters(student):
    """count_parameters(model) is the number of entries of the model's parameters, a Python int."""
    for name, args in [("AutoEncoder", (3, 20)), ("AutoEncoder", (32, 256)), ("ConvAutoEncoder", (4,))]:
        model = student.construct(name, *args)
        if not is_module(model):
            fail(f"{name}{args} should construct a torch.nn.Module, got a {type_name(model)}")
        want = model.eval().num_parameters()
        assert_int(student.count_parameters(model), f"count_parameters({name}{args})", want)


@pytest.mark.points(2)
def test_compare_autoencoders_reports_what_it_measures(student, seed):
    """Every number compare_autoencoders returns is what the grader measures on the same models and
    held-out images: the parameter counts and the reconstruction losses (models left in eval mode)."""
    X = digits("test", images=True)[:300]
    student.torch.manual_seed(seed)
    plain = student.construct("AutoEncoder", 8, 64)
    conv = conv_autoencoder(student, 8, seed)
    # A few steps of training, so the two models' losses differ from each other and from chance.
    student.train_autoencoder(plain, digits("train")[::20], epochs=1, lr=3e-3, batch_size=50, seed=seed)
    report = student.compare_autoencoders(plain, conv, X)
    call = "compare_autoencoders(AutoEncoder(8, 64), ConvAutoEncoder(8), 300 held-out digits (300, 1, 28, 28))"
    if not isinstance(report, dict) or set(report) != {"plain", "conv"} or not all(
            isinstance(v, dict) and set(v) == {"parameters", "loss"} for v in report.values()):
        fail(f"{call} should return {{'plain': {{'parameters': ..., 'loss': ...}}, 'conv': {{...}}}}, got {report!r:.300}")
    for name, model, x, k in [("plain", plain, X.flatten(1), 8), ("conv", conv, X, 8)]:
        got = report[name]
        if model.training is not False:
            fail(f"{call}: the {name} model was left in training mode; measure in eval mode")
        assert_int(got["parameters"], f"{call}['{name}']['parameters']", model.eval().num_parameters())
        if isinstance(got["loss"], bool) or not isinstance(got["loss"], float):
            fail(f"{call}['{name}']['loss'] should be a Python float, got {type_name(got['loss'])}")
        want = mse(reconstruct(model, x, k, name), x)
        assert math.isclose(got["loss"], want, rel_tol=1e-4), (
            f"{call}['{name}']['loss'] = {got['loss']:.6f}, but the grader measures the reconstruction loss of that "
            f"model on those images as {want:.6f}")
