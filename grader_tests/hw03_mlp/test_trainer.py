"""Part C: sum_correct_preds, the trainer (one SGD step per batch, validation never trains,
eval mode and no_grad, per-epoch means weighted by batch size, the penalty in the training
loss only) and the L1/L2 penalties.

What a history records is measured with a learning rate of 0: the model stays fixed, so each
epoch's figures are known exactly from the model and the batches the student's loaders yield.
"""

import pytest
import torch
import torch.nn.functional as F
from _reference import batches, data_loss, epoch_means, forward, forward_layers, linear_layers, toy_problem

from hw_utils.testing import fail

HISTORY_KEYS = ["train_loss", "val_loss", "train_acc", "val_acc"]


def loaders(student, seed=0, garbage_val=False):
    X_tr, y_tr = toy_problem(seed, n=120)
    X_va, y_va = toy_problem(seed + 100, n=48)
    if garbage_val:
        X_va = 50.0 * torch.randn(48, 10, generator=torch.Generator().manual_seed(99))
        y_va = (y_va + 1) % 3
    tr = student.DataLoaderFNN(X_tr, y_tr, 16, shuffle=True, seed=seed)
    va = student.DataLoaderFNN(X_va, y_va, 16, shuffle=False, train_loader=tr)
    return tr, va, (X_tr, y_tr, X_va, y_va)


@pytest.mark.points(1)
def test_sum_correct_preds(student):
    g = torch.Generator().manual_seed(11)
    for n, c in [(10, 3), (37, 10), (1, 5)]:
        logits = torch.randn(n, c, generator=g)
        labels = torch.randint(0, c, (n,), generator=g)
        want = int((logits.argmax(dim=1) == labels).sum())
        got = student.sum_correct_preds(logits, labels)
        assert isinstance(got, int) and not isinstance(got, bool), \
            f"sum_correct_preds should return a Python int, got {type(got).__name__}"
        assert got == want, f"sum_correct_preds on {n} random rows of {c} logits: expected {want}, got {got}"


@pytest.mark.points(1)
def test_history_and_loss_goes_down(student):
    """The history's shape is read from what train_network returns; whether it trained is
    measured here, from the model's parameters before and after, never from the history."""
    tr, va, (X_tr, y_tr, X_va, y_va) = loaders(student, seed=1)
    bench = student.Workbench(10, [16], 3, lr=0.3, seed=1)
    before = bench.model
    history = bench.train(student.NetworkTrainer(), tr, va, epochs=6)
    assert isinstance(history, dict) and all(k in history for k in HISTORY_KEYS), \
        f"train_network should return a dict with keys {HISTORY_KEYS}, got {history!r:.200}"
    for k in HISTORY_KEYS:
        assert len(history[k]) == 6, f"history[{k!r}] should hold one value per epoch (6), got {len(history[k])}"
        kinds = sorted({type(v).__name__ for v in history[k]} - {"float"})
        assert not kinds, f"history[{k!r}] should hold Python floats (use .item()), got {', '.join(kinds)}"
    assert all(0.0 <= a <= 1.0 for a in history["train_acc"] + history["val_acc"]), "accuracies are fractions in [0, 1]"
    after = bench.model
    mean, std = X_tr.mean(), X_tr.std()  # what the loaders standardise with
    X, X_val = (X_tr - mean) / std, (X_va - mean) / std
    start, end = data_loss(before, X, y_tr), data_loss(after, X, y_tr)
    assert end < 0.5 * start, \
        f"6 epochs of SGD should at least halve the training loss; the model's loss went from {start:.4f} to {end:.4f}"
    accuracy = (forward(after, X_val).argmax(dim=1) == y_va).double().mean().item()
    assert accuracy > 0.7, \
        f"on a linearly separable toy problem, the model's validation accuracy after 6 epochs is {accuracy:.3f}, need 0.7"


@pytest.mark.points(2)
def test_validation_never_trains(student):
    """The same training run with a clean and with a garbage validation loader (BN + dropout)."""
    results = []
    for garbage in [False, True]:
        tr, va, _ = loaders(student, seed=2, garbage_val=garbage)
        bench = student.Workbench(10, [16, 8], 3, lr=0.2, seed=2, batch_norm=True, dropout=0.3)
        bench.train(student.NetworkTrainer(), tr, va, epochs=3)
        results.append(bench.model)
    clean, garbage = results
    for kind in ["parameters", "buffers"]:
        a, b = getattr(clean, kind), getattr(garbage, kind)
        for name in a:
            if name.endswith("num_batches_tracked"):
                continue
            diff = (a[name].double() - b[name].double()).abs().max().item()
            assert diff == 0.0, (
                f"{kind[:-1]} {name} differs by {diff:.3g} between two identical training runs whose validation "
                "loaders differ: validation data changed the model (trained on it, or evaluated in train mode, "
                "which updates batch-norm running statistics)")


@pytest.mark.points(2)
def test_eval_mode_and_no_grad(student):
    tr, va, _ = loaders(student, seed=3)
    bench = student.Workbench(10, [16], 3, lr=0.1, seed=3, dropout=0.5)
    bench.train(student.NetworkTrainer(), tr, va, epochs=2)
    calls = bench.calls
    train_calls = [c for c in calls if tuple(c[:2]) == (True, True)]
    eval_calls = [c for c in calls if tuple(c[:2]) == (False, False)]
    other = sorted({tuple(c[:2]) for c in calls} - {(True, True), (False, False)})
    assert not other, (
        f"loss_fn was called with (model.training, grad enabled) = {other}: train in model.train() with "
        "gradients, evaluate in model.eval() under torch.no_grad()")
    n_train = sum(c[2] for c in train_calls)
    n_eval = sum(c[2] for c in eval_calls)
    assert n_train == 2 * 120, f"2 epochs over 120 training examples: loss on {n_train} training examples"
    assert n_eval == 2 * 48, f"2 evaluations of 48 validation examples: loss on {n_eval} examples in eval mode"


@pytest.mark.points(2)
def test_val_loss_is_plain_data_loss_of_eval_model(student):
    """After the last epoch: val_loss and val_acc of the model in eval mode, no penalty."""
    tr, va, (X_tr, _, X_va, y_va) = loaders(student, seed=4)
    trainer = student.NetworkTrainer()
    bench = student.Workbench(10, [16], 3, lr=0.1, seed=4, dropout=0.5)
    history = bench.train(trainer, tr, va, epochs=2, penalty="l2_penalty", lam=0.05)
    X = (X_va - X_tr.mean()) / X_tr.std()
    want_loss = data_loss(bench.model, X, y_va)
    want_acc = (forward(bench.model, X).argmax(dim=1) == y_va).double().mean().item()
    got = history["val_loss"][-1]
    assert abs(got - want_loss) < 1e-4 * max(1.0, abs(want_loss)), (
        f"val_loss after the last epoch (dropout 0.5, L2 penalty 0.05 in training): expected the plain "
        f"cross-entropy of the model in eval mode {want_loss:.6f}, got {got:.6f}")
    assert abs(history["val_acc"][-1] - want_acc) < 1e-9, \
        f"val_acc after the last epoch: expected {want_acc:.4f}, got {history['val_acc'][-1]}"


@pytest.mark.parametrize("name", ["l1_penalty", "l2_penalty"])
@pytest.mark.points(1)
def test_penalty_matches_formula(student, name):
    trainer = student.NetworkTrainer()
    for hidden, lam, bn in [([5, 4], 0.3, True), ([], 2.0, False)]:
        bench = student.Workbench(7, hidden, 3, seed=5, batch_norm=bn)
        weights = [p.double() for p in bench.model.parameters.values() if p.ndim == 2]
        power = 1 if name == "l1_penalty" else 2
        want = lam * sum((w.abs() ** power).sum().item() for w in weights)
        got = bench.penalty(trainer, name, lam)
        assert abs(got - want) < 1e-5 * max(1.0, want), (
            f"{name}(FNN(7, {hidden}, 3, batch_norm={bn}), lam={lam}): expected lam * sum of "
            f"{'|w|' if power == 1 else 'w**2'} over the Linear weight matrices (biases excluded) = {want:.6f}, got {got:.6f}")


@pytest.mark.points(1)
def test_penalty_shrinks_weights_in_training(student):
    norms = {}
    for lam in [0.0, 0.05]:
        tr, va, _ = loaders(student, seed=6)
        bench = student.Workbench(10, [16], 3, lr=0.1, seed=6)
        bench.train(student.NetworkTrainer(), tr, va, epochs=3, penalty="l2_penalty" if lam else None, lam=lam)
        norms[lam] = sum((p.double() ** 2).sum().item() for p in bench.model.parameters.values() if p.ndim == 2)
    assert norms[0.05] < 0.9 * norms[0.0], (
        f"training with regularization = l2_penalty(model, 0.05) should shrink the weights: sum of w**2 "
        f"{norms[0.05]:.4f} with the penalty, {norms[0.0]:.4f} without")


def uneven_loaders(student):
    """Unshuffled loaders whose last batch is smaller (120 = 50 + 50 + 20, 48 = 20 + 20 + 8)
    and holds the mislabelled examples: a last-batch figure or an unweighted mean of batch
    means is far from the epoch's mean."""
    X_tr, y_tr = toy_problem(21, n=120)
    X_va, y_va = toy_problem(22, n=48)
    y_tr[100:] = (y_tr[100:] + 1) % 3
    y_va[40:] = (y_va[40:] + 1) % 3
    tr = student.DataLoaderFNN(X_tr, y_tr, 50, shuffle=False)
    va = student.DataLoaderFNN(X_va, y_va, 20, shuffle=False, train_loader=tr)
    return tr, va


def close(got, want):
    return isinstance(got, float) and abs(got - want) <= 1e-4 * max(1.0, abs(want))


@pytest.mark.points(2)
def test_history_records_epoch_means_of_the_objective(student):
    """lr=0: the model is fixed, so every epoch's train_loss is the mean over the training
    examples of (data loss + penalty) and val_loss the plain mean data loss per example."""
    tr, va = uneven_loaders(student)
    train_batches, val_batches = batches(tr), batches(va)
    trainer = student.NetworkTrainer()
    bench = student.Workbench(10, [16], 3, lr=0.0, seed=8)
    penalty = bench.penalty(trainer, "l2_penalty", 0.05)  # the student's own penalty: tested on its own
    history = bench.train(trainer, tr, va, epochs=2, penalty="l2_penalty", lam=0.05)
    if not isinstance(history, dict) or not all(len(history.get(k, ())) == 2 for k in HISTORY_KEYS):
        fail(f"train_network(..., epochs=2) should return a dict with 2 values for each of {HISTORY_KEYS}, "
             f"got {history!r:.200}")
    model = bench.model
    train_loss, train_acc = epoch_means(model, train_batches)
    val_loss, val_acc = epoch_means(model, val_batches)
    last_x, last_y = train_batches[-1]
    last = F.cross_entropy(forward(model, last_x), last_y).item() + penalty
    unweighted = sum(F.cross_entropy(forward(model, x), y).item() for x, y in val_batches) / len(val_batches)
    setup = ("train_network with lr=0 (a fixed model), L2 penalty 0.05 (worth "
             f"{penalty:.4f}), training batches of 50, 50, 20, validation batches of 20, 20, 8")
    for epoch in range(2):
        got = history["train_loss"][epoch]
        if not close(got, train_loss + penalty):
            hint = ("that is the data loss without the penalty it trains with" if close(got, train_loss)
                    else "that is the last batch's loss, not the epoch's mean" if close(got, last) else "")
            fail(f"{setup}: train_loss[{epoch}] should be the mean over the epoch's training examples of data loss "
                 f"+ penalty = {train_loss + penalty:.6f}, got {got!r:.40}" + (f" ({hint})" if hint else ""))
        got = history["val_loss"][epoch]
        if not close(got, val_loss):
            hint = ("that is the unweighted mean of the batch losses: weight each batch by its size"
                    if close(got, unweighted) else "")
            fail(f"{setup}: val_loss[{epoch}] should be the mean data loss per validation example {val_loss:.6f} "
                 f"(no penalty), got {got!r:.40}" + (f" ({hint})" if hint else ""))
        for key, want in [("train_acc", train_acc), ("val_acc", val_acc)]:
            got = history[key][epoch]
            assert close(got, want), (
                f"{setup}: {key}[{epoch}] should be the fraction of the epoch's examples predicted right, "
                f"{want:.4f}, got {got!r:.40}")


def sgd_epochs(layers, pairs, lr, epochs, accumulate=False):
    """What `epochs` passes of plain SGD, one step per batch on its mean cross-entropy, make of
    the Linear layers (float64); accumulate=True: gradients never reset (zero_grad forgotten)."""
    params = [t.clone().requires_grad_(True) for layer in layers for t in layer]
    for _ in range(epochs):
        for x, y in pairs:
            shaped = list(zip(params[::2], params[1::2]))
            loss = F.cross_entropy(forward_layers(shaped, x), y)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p.grad = g if p.grad is None or not accumulate else p.grad + g
                    p -= lr * p.grad
    return [t.detach() for t in params]


@pytest.mark.points(1)
def test_one_sgd_step_per_training_batch(student):
    """Unshuffled loaders: the grader replays the same batches with plain SGD and compares weights."""
    X_tr, y_tr = toy_problem(23, n=120)
    X_va, y_va = toy_problem(24, n=40)
    tr = student.DataLoaderFNN(X_tr, y_tr, 16, shuffle=False)
    va = student.DataLoaderFNN(X_va, y_va, 16, shuffle=False, train_loader=tr)
    pairs = batches(tr)
    bench = student.Workbench(10, [16], 3, lr=0.2, seed=9)
    before = linear_layers(bench.model, 10)
    bench.train(student.NetworkTrainer(), tr, va, epochs=2)
    got = [t for layer in linear_layers(bench.model, 10) for t in layer]
    want = sgd_epochs(before, pairs, 0.2, 2)
    err = max((g - w).abs().max().item() for g, w in zip(got, want))
    if err < 1e-4:
        return
    moved = max((g - b).abs().max().item() for g, b in zip(got, [t for layer in before for t in layer]))
    accumulated = sgd_epochs(before, pairs, 0.2, 2, accumulate=True)
    hint = ("the parameters did not change at all" if moved == 0 else
            "the gradients accumulate over batches: call optimizer.zero_grad() before each backward()"
            if max((g - w).abs().max().item() for g, w in zip(got, accumulated)) < 1e-4 else "")
    fail("train_network(Workbench(10, [16], 3, lr=0.2) SGD, 2 epochs, 8 unshuffled batches of the training loader): "
         f"the weights differ by up to {err:.3g} from one step per training batch (optimizer.zero_grad(), loss, "
         "backward(), optimizer.step())" + (f"; {hint}" if hint else ""))
