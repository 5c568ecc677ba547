"""Only plain data crosses the sandbox boundary, in both directions, faithfully."""

import pickle

import numpy as np
import pytest
import torch

from hw_utils import transport


def roundtrip(value, make_handle=None):
    return transport.decode(transport.loads(transport.dumps(transport.encode(value, make_handle))))


def test_plain_values_roundtrip():
    value = {"a": [1, 2.5, "x", None, True, b"raw"], "b": (3, (4, 5)), 7: {"nested": [[]]}, "c": 1 + 2j}
    assert roundtrip(value) == value


def test_arrays_and_tensors_keep_dtype_shape_and_values():
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    back = roundtrip(arr)
    assert back.dtype == np.float32 and back.shape == (3, 4) and np.array_equal(back, arr)
    t = torch.arange(6, dtype=torch.int64).reshape(2, 3)
    back_t = roundtrip(t)
    assert isinstance(back_t, torch.Tensor) and back_t.dtype == torch.int64 and torch.equal(back_t, t)
    bf = torch.ones(3, dtype=torch.bfloat16, requires_grad=True)
    assert roundtrip(bf).dtype == torch.bfloat16
    assert roundtrip(np.float64(2.5)) == 2.5 and type(roundtrip(np.float64(2.5))) is float


def test_module_crosses_as_a_snapshot_not_code():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    snap = roundtrip(model)
    assert isinstance(snap, transport.ModuleSnapshot)
    assert snap.class_name == "Sequential"
    assert snap.num_parameters() == sum(p.numel() for p in model.parameters())
    assert "running_mean" in "".join(snap.buffers)
    assert torch.equal(snap.parameters["0.weight"], model[0].weight.detach())


def test_subclasses_of_builtins_are_flattened():
    class Liar(float):
        def __eq__(self, other):
            return True

    back = roundtrip([Liar(1.0)])
    assert type(back[0]) is float and back[0] != 2.0


def test_objects_become_handles_or_are_refused():
    class Thing:
        pass

    with pytest.raises(transport.TransportError):
        transport.encode(Thing())
    handle = roundtrip(Thing(), make_handle=lambda obj: transport.Handle(7, type(obj).__name__))
    assert handle == transport.Handle(7, "Thing")


class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_loader_refuses_any_class():
    with pytest.raises(transport.TransportError, match="refused"):
        transport.loads(pickle.dumps(Evil()))
    with pytest.raises(transport.TransportError):
        transport.loads(pickle.dumps(np.zeros(2)))


def test_decoder_refuses_object_arrays_and_unknown_tags():
    with pytest.raises(transport.TransportError):
        transport.decode(("a", "|O", (1,), b"\0" * 8))
    with pytest.raises(transport.TransportError):
        transport.decode(("zz", 1))
