"""The training toolkit: seeding, device choice, fit/evaluate/accuracy, progress bars, plots.

Data is either an (X, y) pair of tensors, batched here by index permutation (fast for
MNIST-size data already on the device), or any DataLoader yielding (x, y) batches.
"""

from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm


def seed_everything(seed: int) -> None:
    """Seed random, NumPy and torch (CPU and CUDA); make cuDNN pick deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    # benchmark mode times kernels and keeps the fastest, which can differ run to run.
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def validating() -> bool:
    """True while `nbgrader validate` runs the notebook: long demos skip themselves then.

    nbgrader sets NBGRADER_EXECUTION=validate in the kernel it validates with (and "autograde"
    when it grades); validation stops a cell after its timeout, and a training demo is not
    what validation checks.
    """
    return os.environ.get("NBGRADER_EXECUTION") == "validate"


def choose_device(prefer_gpu: bool = True) -> torch.device:
    """CUDA when it is there and wanted, else the CPU."""
    return torch.device("cuda" if prefer_gpu and torch.cuda.is_available() else "cpu")


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows of `logits` (N, C) whose largest entry is at the label's index."""
    return (logits.argmax(dim=1) == labels).float().mean().item()


# --- batching ---------------------------------------------------------------------------------

def _model_device(model: torch.nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _is_tensor_pair(data) -> bool:
    return isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data)


def _batches(data, batch_size: int, device, generator: torch.Generator | None = None):
    """(x, y) batches on `device`: a tensor pair in permuted order (or in order without a
    generator), or a DataLoader's batches as it yields them."""
    if not _is_tensor_pair(data):
        for x, y in data:
            yield x.to(device), y.to(device)
        return
    X, y = data
    order = torch.randperm(len(X), generator=generator) if generator is not None else torch.arange(len(X))
    for start in range(0, len(X), batch_size):
        index = order[start:start + batch_size].to(X.device)
        yield X[index].to(device), y[index].to(device)


def _num_batches(data, batch_size: int) -> int | None:
    if _is_tensor_pair(data):
        return -(-len(data[0]) // batch_size)
    return len(data) if hasattr(data, "__len__") else None


# --- evaluate and fit -------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model: torch.nn.Module, data, loss_fn: Callable, device=None, batch_size: int = 1024) -> dict:
    """{'loss': mean loss per example, 'accuracy': ...} in eval mode, without gradients.

    `loss_fn` must average over its batch (PyTorch's default); batches are weighted by
    their size so a short last batch counts as much as its examples. Each module's
    train/eval mode is restored afterwards, so evaluating mid-training is harmless.
    """
    device = device or _model_device(model)
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        total_loss, correct, count = 0.0, 0.0, 0
        for x, y in _batches(data, batch_size, device):
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += accuracy(logits, y) * len(y)
            count += len(y)
    finally:
        for module, training in modes.items():
            module.training = training
    return {"loss": total_loss / count, "accuracy": correct / count}


@dataclass
class History:
    """Per-epoch curves. train_* average the epoch's batches as the model was at each batch
    (without the regularizer, so train_loss compares with val_loss); val_* are measured
    after the epoch and stay empty without validation data."""

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def fit(model: torch.nn.Module, train_data, optimizer: torch.optim.Optimizer, loss_fn: Callable, epochs: int,
        device=None, val_data=None, batch_size: int = 64, seed: int = 0, progress: bool = True,
        regularizer: Callable | None = None) -> History:
    """Train `model` for `epochs` epochs; returns the History.

    `train_data`/`val_data`: an (X, y) tensor pair or a DataLoader (its own order and batch
    size then apply). `seed` fixes the order of tensor batches (call seed_everything before
    building the model for initialisation and dropout). `regularizer(model)` returns a
    scalar tensor added to the loss that is minimised. Validation data is only evaluated,
    never trained on.
    """
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    generator = torch.Generator().manual_seed(seed)
    history = History()
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress):
        loss, acc = _train_epoch(model, train_data, optimizer, loss_fn, device, batch_size, generator,
                                 regularizer, progress)
        history.train_loss.append(loss)
        history.train_accuracy.append(acc)
        if val_data is not None:
            scores = evaluate(model, val_data, loss_fn, device, batch_size=max(batch_size, 1024))
            history.val_loss.append(scores["loss"])
            history.val_accuracy.append(scores["accuracy"])
    return history


def _train_epoch(model, data, optimizer, loss_fn, device, batch_size, generator, regularizer, progress):
    """One pass over `data`; returns (mean loss, accuracy) over its examples."""
    model.train()
    total_loss, correct, count = 0.0, 0.0, 0
    batches = tqdm(_batches(data, batch_size, device, generator), total=_num_batches(data, batch_size),
                   desc="batches", leave=False, disable=not progress)
    for x, y in batches:
        optimizer.zero_grad()
        logits = model(x)
        loss = loss_fn(logits, y)
        objective = loss + regularizer(model) if regularizer is not None else loss
        objective.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += accuracy(logits.detach(), y) * len(y)
        count += len(y)
        batches.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
    return total_loss / count, correct / count


# --- plots ------------------------------------------------------------------------------------

def _figure(width: float, height: float):
    # A Figure with its own Agg canvas: no pyplot state, no display needed (headless graders).
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plot_history(history: History, path) -> Path:
    """Loss and accuracy per epoch, train and validation, side by side; saved as a PNG."""
    from matplotlib.ticker import MaxNLocator

    fig = _figure(10, 4)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for ax, metric in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        for split in ("train", "val"):
            values = getattr(history, f"{split}_{metric}")
            if values:
                ax.plot(range(1, len(values) + 1), values, marker="o", label=split)
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)


def confusion_matrix(labels, predictions, num_classes: int) -> np.ndarray:
    """counts[i, j]: examples of class i predicted as class j."""
    labels, predictions = _as_numpy(labels), _as_numpy(predictions)
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts


def plot_confusion_matrix(labels, predictions, class_names, path) -> np.ndarray:
    """Saves the confusion matrix (rows: true class, columns: predicted) as a PNG; returns the counts."""
    counts = confusion_matrix(labels, predictions, len(class_names))
    size = 2 + 0.5 * len(class_names)
    fig = _figure(size + 1, size)
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ticks = range(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right")
    ax.set_yticks(ticks, class_names)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix")
    for (i, j), count in np.ndenumerate(counts):
        # Dark text on light cells, light on dark, so every count stays readable.
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > counts.max() / 2 else "black", fontsize=8)
    _save(fig, path)
    return counts


def _as_numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
    return np.asarray(values, dtype=np.int64)


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100)
    return path
