"""Part D: the program task1_cnn.py, its command line (`-h`, parse_args) and its network (Net).
Running it as a program: test_program.py and test_program_accuracy.py."""

import re

import pytest
import torch
from _program import help_entries, run, tail
from _reference import mnist_net_forward, mnist_net_parameter_count, mnist_net_shapes

from hw_utils.testing import StudentError

DEFAULTS = {"--batch-size": "64", "--test-batch-size": "1000", "--epochs": "10", "--lr": "0.01",
            "--momentum": "0.5", "--seed": "1", "--log-interval": "100", "--dataset": "mnist",
            "--conv1-channels": "32", "--conv2-channels": "64", "--kernel-size": "3"}
FLAGS = ["--no-cuda", "--save-model"]
ATTRIBUTES = {"batch_size": 64, "test_batch_size": 1000, "epochs": 10, "lr": 0.01, "momentum": 0.5,
              "no_cuda": False, "seed": 1, "log_interval": 100, "save_model": False, "dataset": "mnist",
              "conv1_channels": 32, "conv2_channels": 64, "kernel_size": 3}
NET_CONFIGS = [(32, 64, 3), (8, 16, 5), (4, 6, 7), (16, 8, 3), (3, 5, 4)]
# The table: dropout1 = nn.Dropout(0.25) after the pool, dropout2 = nn.Dropout(0.5) after fc1's ReLU.
DROPOUTS = {"dropout1": "0.25", "dropout2": "0.5"}


@pytest.mark.points(1)
def test_help_lists_every_option_with_its_default(student):
    result, _ = run(student, ["-h"], timeout=60)
    entries = help_entries(result.output)
    for option, default in DEFAULTS.items():
        assert option in entries, f"`python task1_cnn.py -h` does not list {option}; it printed:\n{tail(result.output, 40)}"
        assert re.search(rf"default\W+{re.escape(default)}\b", entries[option]), \
            f"the help of {option} should end with its default, \"(default: {default})\"; it reads: {entries[option]!r}"
    for option in FLAGS:
        assert option in entries, f"`python task1_cnn.py -h` does not list {option}; it printed:\n{tail(result.output, 40)}"


@pytest.mark.points(1)
def test_parse_args(student):
    args = student.parse_args([])
    for name, want in ATTRIBUTES.items():
        got = getattr(args, name)
        assert got == want and type(got) is type(want), \
            f"parse_args([]).{name}: expected the default {want!r} ({type(want).__name__}), got {got!r}"
    argv = ["--batch-size", "32", "--lr", "0.2", "--momentum", "0.9", "--no-cuda", "--save-model",
            "--dataset", "mnist_subset", "--conv1-channels", "6", "--kernel-size", "5", "--epochs", "2"]
    args = student.parse_args(argv)
    want = {**ATTRIBUTES, "batch_size": 32, "lr": 0.2, "momentum": 0.9, "no_cuda": True, "save_model": True,
            "dataset": "mnist_subset", "conv1_channels": 6, "kernel_size": 5, "epochs": 2}
    for name, value in want.items():
        got = getattr(args, name)
        assert got == value and type(got) is type(value), \
            f"parse_args({argv}).{name}: expected {value!r} ({type(value).__name__}), got {got!r}"
    with pytest.raises(StudentError):
        student.parse_args(["--dataset", "cifar10"])  # argparse rejects a value not among the choices


@pytest.mark.points(2)
def test_net_structure_and_parameter_count(student):
    for c1, c2, k in NET_CONFIGS:
        snap = student.Net(c1, c2, k)
        call = f"Net({c1}, {c2}, {k})"
        assert hasattr(snap, "parameters") and isinstance(snap.parameters, dict), \
            f"{call} should construct a torch.nn.Module, got {snap!r:.200}"
        got = {name: tuple(t.shape) for name, t in snap.parameters.items()}
        want = mnist_net_shapes(c1, c2, k)
        assert got == want, f"{call}: parameters (name: shape) expected {want}, got {got}"
        count = mnist_net_parameter_count(c1, c2, k)
        assert snap.num_parameters() == count, f"{call}: expected {count:,} parameters, got {snap.num_parameters():,}"
        for name, p in DROPOUTS.items():
            assert re.search(rf"\({name}\): Dropout\(p={re.escape(p)}\b", snap.text), \
                f"{call}: expected {name} = nn.Dropout({p}); the model prints as\n{snap.text}"


@pytest.mark.points(1)
def test_net_forward_returns_log_probabilities(student):
    x = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    for c1, c2, k in [(8, 16, 5), (6, 4, 3)]:
        net = student.construct("Net", c1, c2, k)
        snap = net.eval()
        got = net(x)
        call = f"Net({c1}, {c2}, {k}) in eval mode on images (5, 1, 28, 28)"
        assert isinstance(got, torch.Tensor) and tuple(got.shape) == (5, 10), \
            f"{call}: expected log-probabilities of shape (5, 10), got {getattr(got, 'shape', got)!r}"
        want = mnist_net_forward(snap.parameters, x)
        err = (got.double() - want).abs().max().item()
        assert err < 1e-4, (
            f"{call}: output differs by up to {err:.3g} from conv1 -> ReLU -> conv2 -> ReLU -> max pool 2 -> "
            f"fc1 -> ReLU -> fc2 -> log_softmax (rows of exp(output) sum to {got.exp().sum(dim=1).tolist()})")


@pytest.mark.points(1)
def test_net_dropout_where_the_table_puts_it(student):
    """In training mode the dropout masks show where the layers sit: the same seed, the same
    masks, only if dropout1 follows the pool and dropout2 fc1's ReLU (nn.Dropout, not Dropout2d)."""
    x = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    net = student.construct("Net", 6, 8, 3)
    params = net.train().parameters
    for seed in (11, 12):
        student.torch.manual_seed(seed)
        got = net(x)
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            want = mnist_net_forward(params, x, training=True)
        assert isinstance(got, torch.Tensor) and got.shape == want.shape, \
            f"Net(6, 8, 3) in training mode on images (6, 1, 28, 28): expected shape (6, 10), got {got!r:.100}"
        err = (got.float() - want).abs().max().item()
        assert err < 1e-4, (
            f"Net(6, 8, 3) in training mode after torch.manual_seed({seed}): output differs by up to {err:.3g} from "
            "conv1 -> ReLU -> conv2 -> ReLU -> max pool 2 -> dropout1 (nn.Dropout(0.25)) -> flatten -> fc1 -> ReLU "
            "-> dropout2 (nn.Dropout(0.5)) -> fc2 -> log_softmax with the same seed: are the dropout layers where "
            "the table puts them, with those rates?")
