"""Trusted computations, run in the grader: the optimisers' paths with torch.optim, steps to a
tolerance, what Part C logs, confusion matrices by scikit-learn, Part E's training straight through."""

import io
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# --- Part A: the notebook's given optimizer_trajectory, with torch.optim's classes -----------------

def logistic_problem(n, d, k, seed):
    g = torch.Generator().manual_seed(seed)
    return {"X": torch.randn(n, d, generator=g, dtype=torch.float64), "y": torch.randint(0, k, (n,), generator=g),
            "W": 0.5 * torch.randn(d, k, generator=g, dtype=torch.float64),
            "b": 0.1 * torch.randn(k, generator=g, dtype=torch.float64)}


def trajectory(optimizer_class, problem, steps, groups=None, restart_at=None, **hyper):
    W = problem["W"].clone().requires_grad_(True)
    b = problem["b"].clone().requires_grad_(True)

    def make():
        params = [W, b] if groups is None else [{"params": [W], **groups[0]}, {"params": [b], **groups[1]}]
        return optimizer_class(params, **hyper)

    optimizer, rows = make(), []
    for t in range(steps):
        if t == restart_at:
            buffer = io.BytesIO()
            torch.save(optimizer.state_dict(), buffer)
            buffer.seek(0)
            optimizer = make()
            optimizer.load_state_dict(torch.load(buffer, weights_only=True))
        optimizer.zero_grad()
        F.cross_entropy(problem["X"] @ W + b, problem["y"]).backward()
        optimizer.step()
        rows.append(torch.cat([W.detach().flatten(), b.detach().flatten()]).clone())
    return torch.stack(rows)


# --- Part B: steps to a tolerance ----------------------------------------------------------------

def steps_to_tolerance(A, x0, lr, momentum, tol, max_steps, autograd=True):
    """The count the notebook specifies, with the gradient from autograd or as A @ x."""
    x = x0.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([x], lr=lr, momentum=momentum)

    def f():
        return 0.5 * x @ A @ x

    if f().item() <= tol:
        return 0
    for t in range(1, max_steps + 1):
        optimizer.zero_grad()
        if autograd:
            f().backward()
        else:
            x.grad = (A @ x).detach()
        optimizer.step()
        with torch.no_grad():
            if f().item() <= tol:
                return t
    return None


def random_spd(n, condition, rng):
    """A symmetric positive definite float64 matrix with eigenvalues from 1 to `condition`, random eigenvectors."""
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eigenvalues = np.geomspace(1.0, condition, n)
    A = Q @ np.diag(eigenvalues) @ Q.T
    return torch.from_numpy((A + A.T) / 2)


# --- Part C: confusion matrices ------------------------------------------------------------------

def most_confused_pairs(C, k):
    pairs = [(i, j, int(C[i, j])) for i in range(len(C)) for j in range(len(C)) if i != j and C[i, j] > 0]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))[:k]


# --- Part D: the given TinyNet, make_optimizer and train_epoch, trained straight through ------------

class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        return self.layers(x)


def train_straight(X, y, epochs, seed):
    torch.manual_seed(seed)
    model = TinyNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(X)).split(32):
            optimizer.zero_grad()
            F.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
    return model.state_dict()


# --- Part C: what train_logged must have logged --------------------------------------------------

TAGS = ("loss/train", "accuracy/train", "loss/val", "accuracy/val", "lr", "grad_norm")


def cosine_rates(lr, epochs):
    """The learning rate of each epoch under CosineAnnealingLR(T_max=epochs), stepped after each epoch."""
    return [lr / 2 * (1 + math.cos(math.pi * e / epochs)) for e in range(epochs)]


def tiny_net_metrics(state, X, y):
    """Cross-entropy and accuracy of the given TinyNet with this state_dict, in eval mode (float64)."""
    model = TinyNet().double()
    model.load_state_dict({k: torch.as_tensor(v).double() for k, v in state.items()})
    with torch.no_grad():
        logits = model.eval()(X.double())
    return F.cross_entropy(logits, y).item(), (logits.argmax(dim=1) == y).double().mean().item()


def read_scalars(files: dict, folder):
    """The scalars of event files (name -> bytes) as TensorBoard reads them: {tag: [(step, value), ...]}."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for i, (name, data) in enumerate(sorted(files.items())):
        if "tfevents" in name.rsplit("/", 1)[-1]:
            (folder / f"events.out.tfevents.{i:04d}.grader").write_bytes(data)  # our names, in the order written
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


# --- Part F: hw04's network, as the notebook gives it ----------------------------------------------

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)


NET_FANS = {"conv1": (9, 32 * 9), "conv2": (32 * 9, 64 * 9), "fc1": (9216, 128), "fc2": (128, 10)}


# --- Part G: CIFAR-10 and its CPU stand-in ---------------------------------------------------------

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


def mnist_as_cifar(split, seed=0):
    """The MNIST subset as (N, 3, 32, 32) images (padded with background, 3 channels), shuffled by seed."""
    from hw_utils.testing import load_tensors

    X, y = load_tensors("mnist_subset", split=split)
    X = F.pad(X, (2, 2, 2, 2), value=X.min().item()).expand(-1, 3, -1, -1).contiguous()
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    return X[order], y[order]


def cifar_test_tensors(dataset):
    """torchvision's CIFAR-10 test split, standardised as the notebook's cifar10_tensors does it."""
    X = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).float().div_(255)
    X.sub_(torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)).div_(torch.tensor(CIFAR_STD).view(1, 3, 1, 1))
    return X.contiguous(), torch.tensor(dataset.targets, dtype=torch.long)
