"""Trusted helpers, run in the grader: output sizes, the VGG-11 table, Part D's network
rebuilt from its parameters, the data the tests train on, and parsers for a program's output."""

import re

import torch
import torch.nn.functional as F

from hw_utils.data import load_tensors


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


def mnist_net_forward(params, x):
    """Eval-mode log-probabilities of Net from its parameters (dropout is the identity)."""
    p = {name: t.double() for name, t in params.items()}
    h = F.relu(F.conv2d(x.double(), p["conv1.weight"], p["conv1.bias"]))
    h = F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"]))
    h = F.max_pool2d(h, 2).flatten(start_dim=1)
    h = F.relu(F.linear(h, p["fc1.weight"], p["fc1.bias"]))
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


# --- reading a program's output -----------------------------------------------------------

TEST_LINE = re.compile(r"Test set: Average loss: (\S+), Accuracy: (\d+)/(\d+) \(([\d.]+)%\)")
PARAMETERS_LINE = re.compile(r"Parameters: ([\d,]+)")


def epoch_results(output):
    """[(correct, total), ...] from every "Test set: ..." line, in order."""
    return [(int(m.group(2)), int(m.group(3))) for m in TEST_LINE.finditer(output)]


def parameters_printed(output):
    m = PARAMETERS_LINE.search(output)
    return None if m is None else int(m.group(1).replace(",", ""))


def help_entries(help_text):
    """{option: its whole help entry, whitespace collapsed} from argparse's -h output."""
    entries, keys = {}, []
    for line in help_text.splitlines():
        stripped = line.strip()
        if re.match(r"^ {1,4}-", line):  # an entry's first line: "  --lr LR    learning rate ..."
            keys = re.findall(r"(?<![\w-])--?[\w-]+", stripped.split("  ")[0])
            for key in keys:
                entries[key] = stripped
        elif keys and line.startswith("    ") and stripped:  # its help text, wrapped
            for key in keys:
                entries[key] += " " + stripped
        else:
            keys = []
    return {key: " ".join(text.split()) for key, text in entries.items()}


def tail(text, lines=15):
    return "\n".join(text.strip().splitlines()[-lines:])
