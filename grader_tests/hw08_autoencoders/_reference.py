"""Trusted computations for hw08, in the grader: the digits (pixels in [0, 1], float32), the
reconstruction error of a student's auto-encoder measured here from the codes and images its
encode and decode hand back, the noise of Part C, the output size of a transposed convolution
as PyTorch computes it.

The worker never has the test split: held-out digits go to the student's model only as
arguments to encode, and every error is computed here.
"""

import torch
from torch import nn

from hw_utils.testing import fail, is_module, load_arrays, type_name

CHUNK = 500  # images per call into the student's model
# The training budget the notebook's setup cell states (EPOCHS, LR, BATCH_SIZE) and its K.
K, EPOCHS, LR, BATCH_SIZE = 32, 5, 3e-3, 64
SIGMA = 0.5


def digits(split: str, images: bool = False) -> torch.Tensor:
    """The mnist_subset split as float32 pixels in [0, 1]: (N, 784), or (N, 1, 28, 28) when `images`."""
    X, _ = load_arrays("mnist_subset", split=split)
    X = torch.tensor(X, dtype=torch.float32)
    return X if images else X.flatten(1)


def mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a.double() - b.double()) ** 2).mean())


def mean_image_loss(train: torch.Tensor, test: torch.Tensor) -> float:
    """The trivial baseline: the mean training image predicted for every test image."""
    return mse(train.double().mean(dim=0).expand_as(test), test)


def _tensor(value, shape, what):
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != tuple(shape):
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type_name(value)
        fail(f"{what}: expected a tensor of shape {tuple(shape)}, got {got}")
    if not torch.isfinite(value).all():
        fail(f"{what}: the result holds NaN or infinite values")
    return value.double()


def reconstruct(model, X: torch.Tensor, k: int, what: str) -> torch.Tensor:
    """decode(encode(x)) of every image of X, in eval mode: the grader calls encode, checks the codes
    are (n, k), and hands them to decode, so the reconstruction passes through the bottleneck."""
    if not is_module(model):
        fail(f"{what} should be a torch.nn.Module, got a {type_name(model)}")
    model.eval()
    out = []
    for start in range(0, len(X), CHUNK):
        x = X[start:start + CHUNK]
        z = _tensor(model.encode(x), (len(x), k), f"{what}.encode(x) for x of shape {tuple(x.shape)}")
        out.append(_tensor(model.decode(z.float()), x.shape, f"{what}.decode(z) for codes z of shape {tuple(z.shape)}"))
    return torch.cat(out)


def noisy(X: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    """The notebook's noise: clamp(x + sigma * eps, 0, 1), eps standard normal drawn by
    torch.randn(x.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype)."""
    eps = torch.randn(X.shape, generator=torch.Generator().manual_seed(seed), dtype=X.dtype)
    return (X + sigma * eps).clamp(0.0, 1.0)


def conv_transpose_size(n, kernel_size, stride, padding, output_padding, dilation) -> int:
    """The output size nn.ConvTranspose2d gives (read from a real layer, not a formula)."""
    layer = nn.ConvTranspose2d(1, 1, kernel_size, stride=stride, padding=padding, output_padding=output_padding,
                               dilation=dilation, bias=False)
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, n, n)).shape[-1])
