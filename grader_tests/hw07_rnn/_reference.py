"""The grader's own computations for hw07_rnn: encodings, nn.RNN on packed batches, a bigram
model of names, greedy decoding and the per-character NLL of a generator's logits."""

import string

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ALPHABET = string.ascii_letters + " .,;'"
N_LETTERS = len(ALPHABET)
PAD = EOS = N_LETTERS
CELL_WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def indices(name: str) -> list[int]:
    return [ALPHABET.index(c) for c in name]


def encode_batch(names):
    lengths = torch.tensor([len(n) for n in names], dtype=torch.int64)
    X = torch.full((len(names), int(lengths.max())), PAD, dtype=torch.int64)
    for i, name in enumerate(names):
        X[i, :len(name)] = torch.tensor(indices(name))
    return X, lengths


def teacher_forcing_batch(names):
    X, _ = encode_batch(names)
    targets = torch.full_like(X, -100)
    for i, name in enumerate(names):
        targets[i, :len(name)] = torch.tensor(indices(name)[1:] + [EOS])
    return X, targets


def torch_rnn(params: dict) -> nn.RNN:
    """nn.RNN (float64, batch_first) holding the cell's weights."""
    H, I = params["weight_ih"].shape
    rnn = nn.RNN(I, H, batch_first=True).double()
    with torch.no_grad():
        for name in CELL_WEIGHTS:
            getattr(rnn, f"{name}_l0").copy_(params[name].double())
    return rnn


def packed_run(rnn: nn.RNN, x, lengths, h0):
    """(outputs (B, T, H) with zeros at padding, h_n (B, H)) of nn.RNN on the packed batch."""
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = rnn(packed, None if h0 is None else h0.unsqueeze(0))
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h_n[0]


def bptt_reference(params: dict, x, lengths, h0, weights) -> dict:
    """Gradients of sum(outputs * weights) + sum(h_n) with respect to the cell's weights."""
    rnn = torch_rnn(params)
    out, h_n = packed_run(rnn, x.double(), lengths, h0.double())
    ((out * weights.double()).sum() + h_n.sum()).backward()
    return {name: getattr(rnn, f"{name}_l0").grad for name in CELL_WEIGHTS}


def padded_batch(rng: np.random.Generator, B: int, T: int, I: int, scale: float = 1.0):
    """(x (B, T, I) float32 with garbage in the padding, lengths (B,)) with the lengths in
    1..T, one of them T and one 1 when B > 1: padding that leaks shows."""
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0] = T
    if B > 1:
        lengths[1] = 1
    x = torch.tensor(rng.normal(0, scale, (B, T, I)), dtype=torch.float32)
    return x, torch.tensor(lengths, dtype=torch.int64)


def bigram_nll(train_names, test_names) -> float:
    """Per-character NLL of test names under a bigram model of the training names (the next
    character, EOS included, given the current one; add-one smoothing); the first letter is
    given, as for the generator."""
    counts = np.ones((N_LETTERS, N_LETTERS + 1))
    for name in train_names:
        seq = indices(name) + [EOS]
        for a, b in zip(seq[:-1], seq[1:]):
            counts[a, b] += 1
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    total, n = 0.0, 0
    for name in test_names:
        seq = indices(name) + [EOS]
        for a, b in zip(seq[:-1], seq[1:]):
            total -= logp[a, b]
            n += 1
    return total / n


def nll_per_char(logits, targets) -> float:
    V = logits.shape[-1]
    return F.cross_entropy(logits.double().reshape(-1, V), targets.reshape(-1), ignore_index=-100,
                           reduction="sum").item() / int((targets != -100).sum())


def softmax_t(z, temperature: float):
    return torch.softmax(z.double() / temperature, dim=0)


def top_margin(z) -> float:
    """The gap between the largest and the second largest logit."""
    top = torch.topk(z.double(), 2).values
    return float(top[0] - top[1])



