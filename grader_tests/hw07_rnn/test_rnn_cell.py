"""Part B: the RNN cell by hand. Its weights are copied into nn.RNN (float64, in the grader),
which runs the same padded batches packed with pack_padded_sequence: outputs, final states,
a given initial state, and the gradients of backpropagation through time."""

import math

import numpy as np
import pytest
import torch
from _reference import CELL_WEIGHTS, bptt_reference, packed_run, padded_batch, torch_rnn

from hw_utils.testing import assert_close, assert_shape, fail, is_module, type_name

SIZES = [(5, 3), (4, 7), (57, 16)]  # (input size, hidden size): square and not


def cell_and_weights(student, I, H):
    cell = student.construct("RNNCellByHand", I, H)
    if not is_module(cell):
        fail(f"RNNCellByHand({I}, {H}) should construct a torch.nn.Module, got a {type_name(cell)}")
    params = cell.train().parameters
    for name, shape in zip(CELL_WEIGHTS, [(H, I), (H, H), (H,), (H,)]):
        if name not in params:
            fail(f"RNNCellByHand({I}, {H}) has no parameter {name!r} (it has {sorted(params)}): "
                 "use nn.Parameter attributes named as nn.RNNCell's")
        assert_shape(params[name], shape, f"RNNCellByHand({I}, {H}).{name}")
    return cell, params


@pytest.mark.points(1)
def test_cell_parameters_and_their_initialisation(student):
    student.torch.manual_seed(0)
    cell, params = cell_and_weights(student, 30, 50)
    names = sorted(params)
    assert names == sorted(CELL_WEIGHTS), f"RNNCellByHand(30, 50) should have exactly {sorted(CELL_WEIGHTS)}, got {names}"
    bound = 1 / math.sqrt(50)
    values = torch.cat([params[n].double().reshape(-1) for n in CELL_WEIGHTS])
    assert values.abs().max() <= bound + 1e-6, (
        f"RNNCellByHand(30, 50): initial values up to {values.abs().max():.4f}, expected uniform in "
        f"[-1/sqrt(50), 1/sqrt(50)] = [-{bound:.4f}, {bound:.4f}]")
    # Uniform on [-b, b]: standard deviation b / sqrt(3) (4,100 values: within a few percent).
    std = values.std().item()
    assert abs(std - bound / math.sqrt(3)) < 0.1 * bound / math.sqrt(3), (
        f"RNNCellByHand(30, 50): initial values have standard deviation {std:.4f}; uniform on "
        f"[-{bound:.4f}, {bound:.4f}] has {bound / math.sqrt(3):.4f}")


@pytest.mark.points(2)
def test_cell_step_matches_nn_rnn_cell(student):
    rng = np.random.default_rng(1)
    for I, H in SIZES:
        cell, params = cell_and_weights(student, I, H)
        ref = torch.nn.RNNCell(I, H).double()
        with torch.no_grad():
            for name in CELL_WEIGHTS:
                getattr(ref, name).copy_(params[name].double())
        x = torch.tensor(rng.normal(0, 1, (6, I)), dtype=torch.float32)
        h = torch.tensor(rng.uniform(-1, 1, (6, H)), dtype=torch.float32)
        got = cell(x, h)
        assert_shape(got, (6, H), f"RNNCellByHand({I}, {H})(x (6, {I}), h (6, {H}))")
        assert_close(got.double(), ref(x.double(), h.double()).detach(),
                     f"RNNCellByHand({I}, {H})(x, h) against nn.RNNCell with the same weights", atol=1e-5)


@pytest.mark.points(3)
def test_run_rnn_matches_nn_rnn_on_packed_sequences(student):
    rng = np.random.default_rng(2)
    for k, (I, H) in enumerate(SIZES):
        cell, params = cell_and_weights(student, I, H)
        rnn = torch_rnn(params)
        for B, T, with_h0 in [(5, 7, False), (4, 9, True), (1, 3, True)]:
            x, lengths = padded_batch(rng, B, T, I)
            h0 = torch.tensor(rng.uniform(-1, 1, (B, H)), dtype=torch.float32) if with_h0 else None
            what = (f"run_rnn(RNNCellByHand({I}, {H}), x of shape {(B, T, I)}, lengths={lengths.tolist()}, "
                    f"h0={'a random state' if with_h0 else 'None'})")
            got = student.run_rnn(cell, x, lengths, h0)
            if not (isinstance(got, tuple) and len(got) == 2):
                fail(f"{what} should return (outputs, h_n), got {type_name(got)}")
            outputs, h_n = got
            assert_shape(outputs, (B, T, H), f"{what}: outputs")
            assert_shape(h_n, (B, H), f"{what}: h_n")
            with torch.no_grad():
                want_out, want_h = packed_run(rnn, x.double(), lengths, None if h0 is None else h0.double())
            assert_close(h_n.double(), want_h,
                         f"{what}: h_n, against nn.RNN on the packed batch (row i: after its own last real step)",
                         atol=1e-5)
            assert_close(outputs.double(), want_out,
                         f"{what}: outputs, against nn.RNN on the packed batch (zeros at padded steps)", atol=1e-5)


@pytest.mark.points(2)
def test_gradients_through_time_match_nn_rnn(student):
    rng = np.random.default_rng(3)
    for I, H in SIZES[:2]:
        cell, params = cell_and_weights(student, I, H)
        x, lengths = padded_batch(rng, 4, 8, I)
        h0 = torch.tensor(rng.uniform(-1, 1, (4, H)), dtype=torch.float32)
        weights = torch.tensor(rng.normal(0, 1, (4, 8, H)), dtype=torch.float32)
        got = student.bptt_grads(cell, x, lengths, h0, weights)
        want = bptt_reference(params, x, lengths, h0, weights)
        for name in CELL_WEIGHTS:
            if not isinstance(got, dict) or name not in got:
                fail(f"backpropagating through run_rnn gave no gradient for {name!r}")
            assert_close(got[name].double(), want[name],
                         f"RNNCellByHand({I}, {H}): the gradient of {name} through run_rnn (lengths "
                         f"{lengths.tolist()}), against nn.RNN's through the packed batch", atol=1e-4, rtol=1e-4)
