"""Trusted reference values, computed in the grader with torch autograd (float64)."""

import numpy as np
import torch
import torch.nn.functional as F


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64)


def neuron(w, b, x, t, lam):
    """Forward values and d L_reg / d(w, b) for the one-neuron model."""
    w_, b_ = t64(w).requires_grad_(), t64(b).requires_grad_()
    z = w_ * x + b_
    y = torch.sigmoid(z)
    L = 0.5 * (y - t) ** 2
    R = 0.5 * w_ ** 2
    L_reg = L + lam * R
    L_reg.backward()
    return {"z": z.item(), "y": y.item(), "L": L.item(), "R": R.item(), "L_reg": L_reg.item(),
            "w_bar": w_.grad.item(), "b_bar": b_.grad.item()}


def net322(x, t, params):
    """Forward values, MSE, and its gradients for the sigmoid 3-2-2 network."""
    p = {k: t64(v).requires_grad_() for k, v in params.items()}
    z1 = p["W1"] @ t64(x) + p["b1"]
    h = torch.sigmoid(z1)
    z2 = p["W2"] @ h + p["b2"]
    y = torch.sigmoid(z2)
    loss = F.mse_loss(y, t64(t))
    loss.backward()
    values = {"z1": z1, "h": h, "z2": z2, "y": y}
    return ({k: v.detach().numpy() for k, v in values.items()}, loss.item(),
            {k: v.grad.numpy() for k, v in p.items()})


def mlp(weights, biases, X, y):
    """Mean softmax cross-entropy of a ReLU MLP in the (in, out) convention, and its gradients."""
    Ws = [t64(W).requires_grad_() for W in weights]
    bs = [t64(b).requires_grad_() for b in biases]
    h = t64(X)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W + b
        if i < len(Ws) - 1:
            h = torch.relu(h)
    loss = F.cross_entropy(h, torch.as_tensor(y, dtype=torch.long))
    loss.backward()
    return loss.item(), [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs]


def random_params(rng, D=3, H=2, K=2):
    """Parameters of a sigmoid D-H-K network in Part B's layout (weights multiply from the left)."""
    return {"W1": rng.normal(0, 1, (H, D)), "b1": rng.normal(0, 1, H),
            "W2": rng.normal(0, 1, (K, H)), "b2": rng.normal(0, 1, K)}


def random_mlp(rng):
    """A small random MLP problem: sizes, weights, biases, inputs, labels."""
    sizes = [int(rng.integers(3, 9)), int(rng.integers(2, 7)), int(rng.integers(2, 6))]
    n = int(rng.integers(2, 7))
    weights = [rng.normal(0, 1, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 0.5, b) for b in sizes[1:]]
    X = rng.normal(0, 1, (n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return sizes, weights, biases, X, y


def mlp_backward(weights, biases, X, G):
    """dL/dX of the ReLU MLP for an upstream gradient G = dL/dlogits (autograd of sum(logits * G))."""
    Xt = t64(X).requires_grad_()
    h = Xt
    for i, (W, b) in enumerate(zip(weights, biases)):
        h = h @ t64(W) + t64(b)
        if i < len(weights) - 1:
            h = torch.relu(h)
    (h * t64(G)).sum().backward()
    return Xt.grad.numpy()


def he_layers(sizes, rng):
    """MLP(sizes, rng)'s initial parameters: a Linear per consecutive pair, first to last, each
    W = rng.standard_normal((in, out)) * sqrt(2 / in) and b = 0 (Linear's docstring)."""
    weights = [rng.standard_normal((a, b)) * np.sqrt(2.0 / a) for a, b in zip(sizes[:-1], sizes[1:])]
    return weights, [np.zeros(b) for b in sizes[1:]]


def train_mlp(X, y, sizes, epochs, lr, batch_size, seed):
    """train_mlp's recipe, step by step: one generator for the initial weights, then one
    permutation per epoch; consecutive minibatches (the last may be smaller); one SGD step
    each. Returns the final weights and biases and the epoch means of the minibatch losses,
    each weighted by its minibatch's size."""
    rng = np.random.default_rng(seed)
    weights, biases = he_layers(sizes, rng)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            loss, dWs, dbs = mlp(weights, biases, X[idx], y[idx])
            weights = [W - lr * dW for W, dW in zip(weights, dWs)]
            biases = [b - lr * db for b, db in zip(biases, dbs)]
            total += loss * len(idx)
        history.append(total / len(X))
    return weights, biases, history
