"""Trusted helpers, run in the grader: output sizes, the VGG-11 table, Part D's network
rebuilt from its parameters, the data the tests train on (Part D's program: _program.py)."""

import torch
import torch.nn.functional as F

from hw_utils.testing import load_tensors


def output_size(w, k, p=0, s=1):
    return (w - k + 2 * p) // s + 1


# --- Part C: classic VGG-11 (no adaptive pooling) ------------------------------------------

VGG11_CONVS_PER_STAGE = (1, 1, 2, 2, 2)


def vgg11_rows(input_size=224, in_channels=3, widths=(64, 128, 256, 512, 512), num_classes=1000, fc_width=4096):
    """[(kind, shape, params), ...]: kind INPUT/CONV/POOL/FC, shape without the batch axis."""
    channels, size = in_channels, input_size
    rows = [("INPUT", (channels, size, size), 0)]
    for width, n_convs in zip(widths, VGG11_CONVS_PER_STAGE):
        for _ in range(n_convs):
            rows.append(("CONV", (width, size, size), (9 * channels + 1) * width))
            channels = width
        size //= 2
        rows.append(("POOL", (channels, size, size), 0))
    features = channels * size * size
    for outputs in (fc_width, fc_width, num_classes):
        rows.append(("FC", (outputs,), (features + 1) * outputs))
        features = outputs
    return rows


def vgg11_summary(**config):
    rows = vgg11_rows(**config)
    total = sum(r[2] for r in rows)
    return rows, total, sum(r[2] for r in rows if r[0] == "FC") / total


# --- Part D: the MNIST network ------------------------------------------------------------

def mnist_net_shapes(c1, c2, k):
    """state_dict shapes of Net(c1, c2, k), by name."""
    s = (30 - 2 * k) // 2
    return {
        "conv1.weight": (c1, 1, k, k), "conv1.bias": (c1,),
        "conv2.weight": (c2, c1, k, k), "conv2.bias": (c2,),
        "fc1.weight": (128, c2 * s * s), "fc1.bias": (128,),
        "fc2.weight": (10, 128), "fc2.bias": (10,),
    }


def mnist_net_parameter_count(c1, c2, k):
    s = (30 - 2 * k) // 2
    return (k * k + 1) * c1 + (k * k * c1 + 1) * c2 + (c2 * s * s + 1) * 128 + 129 * 10


def mnist_net_forward(params, x, training=False):
    """Log-probabilities of Net from its parameters: in eval mode (dropout the identity, in float64),
    or in training mode (float32, dropout drawn from torch's global generator where Net draws it)."""
    dtype = torch.float32 if training else torch.float64
    p = {name: t.to(dtype) for name, t in params.items()}
    h = F.relu(F.conv2d(x.to(dtype), p["conv1.weight"], p["conv1.bias"]))
    h = F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"]))
    h = F.dropout(F.max_pool2d(h, 2), 0.25, training).flatten(start_dim=1)
    h = F.dropout(F.relu(F.linear(h, p["fc1.weight"], p["fc1.bias"])), 0.5, training)
    return F.log_softmax(F.linear(h, p["fc2.weight"], p["fc2.bias"]), dim=1)


# --- Part E: data -------------------------------------------------------------------------

SVHN_MEAN = (0.4377, 0.4438, 0.4728)
SVHN_STD = (0.1980, 0.2010, 0.1970)


def mnist_as_svhn(split, seed=0):
    """The MNIST subset as (N, 3, 32, 32) images (padded with background, 3 channels), shuffled."""
    X, y = load_tensors("mnist_subset", split=split)
    X = F.pad(X, (2, 2, 2, 2), value=X.min().item()).expand(-1, 3, -1, -1).contiguous()
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    return X[order], y[order]


def svhn_test_tensors(dataset):
    """torchvision's SVHN test split, standardised as the notebook's svhn_tensors does it."""
    X = torch.from_numpy(dataset.data).float().div_(255)
    X.sub_(torch.tensor(SVHN_MEAN).view(1, 3, 1, 1)).div_(torch.tensor(SVHN_STD).view(1, 3, 1, 1))
    return X, torch.from_numpy(dataset.labels).long()
