"""Part A: the plain auto-encoder (encode, decode through a bottleneck of k, forward), the
reconstruction loss, Adam steps of train_autoencoder, the image grid and the 2-D codes."""

from collections import Counter

import numpy as np
import pytest
import torch
from _reference import digits, mse

from hw_utils.testing import ModuleSnapshot, assert_close, fail, is_module, type_name

SIZES = [(2, 16), (5, 64), (32, 256)]


def autoencoder(student, k, hidden, seed=0):
    student.torch.manual_seed(seed)
    model = student.construct("AutoEncoder", k, hidden)
    if not is_module(model):
        fail(f"AutoEncoder({k}, {hidden}) should construct a torch.nn.Module, got a {type_name(model)}")
    return model


def training_digits(n, seed=5):
    """n training digits drawn at random (the split is sorted by class)."""
    X = digits("train")
    return X[torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))[:n]]


def tensor_of_shape(value, shape, what):
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type_name(value)
        fail(f"{what}: expected a tensor of shape {shape}, got {got}")
    return value.double()


@pytest.mark.points(2)
def test_encode_decode_through_a_bottleneck_of_k(student):
    """encode maps (N, 784) to codes (N, k) without an activation, decode maps codes alone back to
    (N, 784) in (0, 1), forward is decode(encode(x)), and the layers are 784 -> hidden -> k -> hidden -> 784."""
    X = torch.rand(7, 784, generator=torch.Generator().manual_seed(0))
    for k, hidden in SIZES:
        model = autoencoder(student, k, hidden)
        call = f"AutoEncoder(k={k}, hidden={hidden})"
        model.eval()
        z = tensor_of_shape(model.encode(X), (7, k), f"{call}.encode(x) for x of shape (7, 784)")
        x_hat = tensor_of_shape(model.decode(z.float()), (7, 784), f"{call}.decode(z) for codes z of shape (7, {k})")
        if not (x_hat.min() >= 0 and x_hat.max() <= 1):
            fail(f"{call}.decode(z) returned values in [{x_hat.min():.3f}, {x_hat.max():.3f}]: the decoder ends with "
                 "a sigmoid, so its outputs lie in (0, 1) like the pixels")
        assert_close(tensor_of_shape(model(X), (7, 784), f"{call}(x)"), x_hat, f"{call}(x)",
                     context="forward(x) should equal decode(encode(x))", rtol=1e-4, atol=1e-5)
        order = [2, 0, 1]
        assert_close(tensor_of_shape(model.decode(z[order].float()), (3, 784), f"{call}.decode(3 codes)"),
                     x_hat[order], f"{call}.decode(z[[2, 0, 1]])",
                     context="decode must compute each image from its own code alone (the grader decodes codes it "
                             "hands in, in any order and number)", rtol=1e-4, atol=1e-5)
        codes = tensor_of_shape(model.encode(torch.rand(64, 784, generator=torch.Generator().manual_seed(1))),
                                (64, k), f"{call}.encode(x)")
        if k >= 5 and not (codes < 0).any():
            fail(f"{call}.encode(x) gave no negative code on 64 random images: the code has no activation "
                 "(a ReLU or sigmoid on the code throws away half of the code space)")
        snap = model.eval()
        shapes = Counter(tuple(p.shape) for p in snap.parameters.values() if p.dim() == 2)
        want = Counter([(hidden, 784), (k, hidden), (hidden, k), (784, hidden)])
        if shapes != want:
            fail(f"{call}: expected the Linear weights 784 -> {hidden} -> {k} (encoder) and {k} -> {hidden} -> 784 "
                 f"(decoder), i.e. weight shapes {sorted(want)}, got {sorted(shapes.elements())}")


@pytest.mark.points(1)
def test_reconstruction_loss_is_the_mean_squared_error(student):
    """The mean of (x_hat - x)^2 over every entry, as a 0-d tensor, for flat and image-shaped batches."""
    g = torch.Generator().manual_seed(2)
    for shape in [(5, 784), (3, 1, 28, 28), (1, 784)]:
        x_hat, x = torch.rand(shape, generator=g), torch.rand(shape, generator=g)
        got = student.reconstruction_loss(x_hat, x)
        call = f"reconstruction_loss(x_hat, x) for shape {shape}"
        if not isinstance(got, torch.Tensor) or got.dim() != 0:
            fail(f"{call} should return a 0-d tensor, got {type_name(got)} {got!r:.100}")
        want = mse(x_hat, x)
        hint = ""
        if abs(float(got) - want * x.numel()) < 1e-3 * want * x.numel():
            hint = " (the sum of squared errors: take the mean over images and pixels)"
        elif abs(float(got) - want * x[0].numel()) < 1e-3 * want * x[0].numel():
            hint = " (summed over pixels: take the mean over pixels too)"
        assert abs(float(got) - want) <= 1e-5 * want, f"{call} = {float(got):.6g}, expected the mean squared error {want:.6g}{hint}"


def parameters_after(student, X, seed, **options):
    model = autoencoder(student, 8, 64, seed=seed)
    before = model.train().parameters
    history = student.train_autoencoder(model, X, seed=seed, **options)
    after = model.eval()
    return before, history, after


@pytest.mark.points(1)
@pytest.mark.call_timeout(60)
def test_train_autoencoder_returns_a_falling_loss_per_epoch(student, seed):
    """train_autoencoder returns one mean training loss per epoch, as Python floats, and it falls."""
    X = training_digits(640)
    _, history, _ = parameters_after(student, X, seed, epochs=4, lr=3e-3, batch_size=64)
    call = f"train_autoencoder(AutoEncoder(8, 64), 640 digits, epochs=4, lr=3e-3, batch_size=64, seed={seed})"
    if not isinstance(history, list) or len(history) != 4 or not all(
            isinstance(v, float) and not isinstance(v, bool) for v in history):
        fail(f"{call} should return a list of 4 Python floats (one mean loss per epoch), got {history!r:.200}")
    assert all(np.isfinite(history)) and history[-1] < history[0], \
        f"{call}: the training loss per epoch should fall, got {[round(v, 5) for v in history]}"


@pytest.mark.points(2)
def test_train_autoencoder_takes_adam_steps_of_lr(student, seed):
    """One epoch over 64 digits in batches of 64 is one Adam step: every parameter moves by lr
    (Adam's first step is lr * g / |g|) or not at all; in batches of 32 it is two steps."""
    X = training_digits(64)
    for batch_size, steps, lr in [(64, 1, 1e-3), (32, 2, 2e-3)]:
        call = f"train_autoencoder(AutoEncoder(8, 64), 64 digits, epochs=1, lr={lr}, batch_size={batch_size})"
        before, _, after = parameters_after(student, X, seed, epochs=1, lr=lr, batch_size=batch_size)
        if not isinstance(after, ModuleSnapshot):
            fail(f"{call}: the model is no longer a torch.nn.Module")
        moves = torch.cat([(after.parameters[n].double() - p.double()).abs().flatten() for n, p in before.items()])
        largest = float(moves.max())
        if steps == 1:
            at_lr = float(((moves - lr).abs() <= 0.02 * lr).double().mean())
            assert largest <= 1.02 * lr and at_lr >= 0.5, (
                f"{call}: one Adam step moves each parameter by lr = {lr} or leaves it; the largest move was "
                f"{largest:.3g} and {at_lr:.0%} of the parameters moved by lr (use torch.optim.Adam with lr, "
                "one step per mini-batch)")
        else:
            assert 1.5 * lr <= largest <= 2.02 * lr, (
                f"{call}: two Adam steps move a parameter by at most 2 * lr = {2 * lr}; the largest move was "
                f"{largest:.3g} (one step per mini-batch of batch_size images)")


@pytest.mark.points(1)
def test_image_grid_tiles_rows_of_digits(student):
    """Digit j of row r fills grid[28r:28r+28, 28j:28j+28], for flat and image-shaped rows."""
    g = torch.Generator().manual_seed(3)
    for R, C, flat in [(3, 4, True), (2, 5, False), (1, 1, True)]:
        rows = [torch.rand((C, 784) if flat else (C, 1, 28, 28), generator=g) for _ in range(R)]
        grid = student.image_grid(rows)
        call = f"image_grid({R} rows of {C} digits of shape {tuple(rows[0].shape[1:])})"
        if not isinstance(grid, np.ndarray):
            fail(f"{call} should return a NumPy array, got {type_name(grid)}")
        want = np.zeros((28 * R, 28 * C))
        for r, row in enumerate(rows):
            for j, image in enumerate(row.reshape(C, 28, 28)):
                want[28 * r:28 * r + 28, 28 * j:28 * j + 28] = image.numpy()
        assert_close(grid.astype(np.float64), want, call,
                     context="digit j of row r belongs at [28r:28r+28, 28j:28j+28]", rtol=1e-6, atol=1e-6)


@pytest.mark.points(1)
def test_latent_codes_are_the_codes_of_encode(student):
    """latent_codes returns encode's codes of every image, in order, as a NumPy array, in eval mode."""
    X = torch.rand(600, 784, generator=torch.Generator().manual_seed(4))
    model = autoencoder(student, 2, 32)
    model.train()
    codes = student.latent_codes(model, X, batch_size=256)
    call = "latent_codes(AutoEncoder(2, 32), 600 images, batch_size=256)"
    if not isinstance(codes, np.ndarray) or codes.shape != (600, 2):
        fail(f"{call} should return a NumPy array (600, 2), got {type_name(codes)} {getattr(codes, 'shape', '')}")
    if model.training is not False:
        fail(f"{call} should leave the model in eval mode")
    want = torch.cat([tensor_of_shape(model.encode(x), (len(x), 2), "AutoEncoder(2, 32).encode(x)") for x in X.split(200)])
    assert_close(torch.as_tensor(codes).double(), want, call, context="the codes model.encode gives, in the order of X",
                 rtol=1e-4, atol=1e-5)
