"""Part C: the noise (values, clipping, the generator, the input left unchanged) and what
train_denoising returns."""

import numpy as np
import pytest
import torch
from _reference import digits, noisy

from hw_utils.testing import fail, is_module, type_name


@pytest.mark.points(2)
def test_add_noise_is_clipped_gaussian_noise_from_the_generator(student):
    """add_noise(x, sigma, generator) is clamp(x + sigma * torch.randn(x.shape, generator=generator,
    dtype=x.dtype), 0, 1), for flat and image-shaped batches in float32 and float64."""
    g = torch.Generator().manual_seed(0)
    for shape, dtype, sigma, seed in [((6, 784), torch.float32, 0.5, 7), ((3, 1, 28, 28), torch.float64, 0.2, 8),
                                      ((2, 784), torch.float32, 1.5, 9)]:
        x = torch.rand(shape, generator=g, dtype=dtype)
        generator = student.torch.Generator()
        generator.manual_seed(seed)
        got = student.add_noise(x, sigma, generator)
        call = f"add_noise(x of shape {shape} and dtype {dtype}, {sigma}, a generator seeded {seed})"
        if not isinstance(got, torch.Tensor) or got.shape != x.shape or got.dtype != dtype:
            fail(f"{call}: expected a {dtype} tensor of shape {shape}, got {got!r:.100}")
        want = noisy(x, sigma, seed)
        if not (got.min() >= 0 and got.max() <= 1):
            fail(f"{call} returned values in [{got.min():.3f}, {got.max():.3f}]: clip the noisy images to [0, 1]")
        worst = (got.double() - want.double()).abs().max().item()
        assert worst < 1e-6, (
            f"{call} differs from clamp(x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype), 0, 1) by "
            f"up to {worst:.3g}")
        again = student.add_noise(x, sigma, generator)
        if torch.equal(again, got):
            fail(f"{call}: a second call with the same generator (not reseeded) returned the same noise")


@pytest.mark.points(1)
def test_add_noise_leaves_its_input_unchanged(student):
    """add_noise returns a new tensor: the images it is given stay as they were."""
    x = digits("test")[:4]
    kept = student.construct("add_noise", x, 0.0)  # a tensor that lives in the worker, equal to x
    if not isinstance(kept.clone(), torch.Tensor):
        fail(f"add_noise(x, 0.0) should return a tensor, got {type_name(kept)}")
    result = student.add_noise(kept, 0.5)
    if torch.equal(result, x):
        fail("add_noise(images, 0.5) returned the images without noise")
    after = kept.clone()
    assert torch.equal(after, x), \
        f"add_noise changed its input by up to {(after - x).abs().max().item():.3g}: return a new tensor"


@pytest.mark.points(1)
@pytest.mark.call_timeout(60)
def test_train_denoising_returns_a_falling_loss_per_epoch(student, seed):
    """train_denoising returns one mean training loss per epoch, as Python floats, and it falls."""
    X = digits("train")
    X = X[torch.randperm(len(X), generator=torch.Generator().manual_seed(5))[:640]]
    student.torch.manual_seed(seed)
    model = student.construct("AutoEncoder", 8, 64)
    if not is_module(model):
        fail(f"AutoEncoder(8, 64) should construct a torch.nn.Module, got a {type_name(model)}")
    history = student.train_denoising(model, X, epochs=4, lr=3e-3, batch_size=64, sigma=0.5, seed=seed)
    call = f"train_denoising(AutoEncoder(8, 64), 640 digits, epochs=4, lr=3e-3, batch_size=64, sigma=0.5, seed={seed})"
    if not isinstance(history, list) or len(history) != 4 or not all(
            isinstance(v, float) and not isinstance(v, bool) for v in history):
        fail(f"{call} should return a list of 4 Python floats (one mean loss per epoch), got {history!r:.200}")
    assert all(np.isfinite(history)) and history[-1] < history[0], \
        f"{call}: the training loss per epoch should fall, got {[round(v, 5) for v in history]}"
