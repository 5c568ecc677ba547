"""Plain data across the sandbox boundary.

Values cross between the grader and a student's worker as a tree of tagged tuples made
only of built-in scalars, strings and bytes, pickled and unpickled with a loader that
refuses every class. So nothing a submission returns can run code in the grader: no
`__reduce__`, no subclass with a lying `__eq__`, no tensor subclass. What is not plain
data (a student's object, a function) stays in the worker and crosses as a handle.

Tags: ("a", dtype, shape, bytes) ndarray, ("T", dtype, shape, bytes) tensor,
("l", [...]) list, ("t", [...]) tuple, ("d", [(k, v), ...]) dict,
("m", snapshot-dict) torch module, ("h", id, type name) handle.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

_NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex: dtypes that are only bytes
MAX_DEPTH = 64


class TransportError(Exception):
    """A value that cannot cross the boundary, or a message that is not ours."""


@dataclass(frozen=True)
class Handle:
    """Reference to an object that lives in the worker (never its contents)."""

    id: int
    type_name: str


@dataclass
class ModuleSnapshot:
    """What a torch.nn.Module looks like from outside: structure and tensors, no code."""

    class_name: str
    text: str  # repr(module): the layer structure as PyTorch prints it
    parameters: dict = field(default_factory=dict)  # name -> tensor (qualified names)
    buffers: dict = field(default_factory=dict)
    training: bool = True

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters.values())

    def state_dict(self) -> dict:
        return {**self.parameters, **self.buffers}


def encode(obj: Any, make_handle: Callable[[Any], Handle] | None = None, depth: int = 0):
    """Turn obj into the tagged tree; objects that are not plain data become handles."""
    if depth > MAX_DEPTH:
        raise TransportError("value nested too deeply to send")
    if obj is None or type(obj) in (bool, str, bytes):
        return obj
    # Subclasses of the built-in scalars are flattened to the built-in value here, on the
    # sending side, so their methods never reach the receiver.
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, complex):
        return ("c", float(obj.real), float(obj.imag))
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, np.generic) and obj.dtype.kind in _NUMERIC_KINDS:
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in _NUMERIC_KINDS:
            arr = np.ascontiguousarray(obj)
            return ("a", arr.dtype.str, tuple(int(n) for n in arr.shape), arr.tobytes())
        return ("l", [encode(x, make_handle, depth + 1) for x in obj.tolist()])
    if isinstance(obj, Handle):
        return ("h", obj.id, obj.type_name)
    torch = _torch_if_loaded()
    if torch is not None:
        if isinstance(obj, torch.Tensor):
            return ("T", *_tensor_parts(obj, torch))
        if isinstance(obj, torch.nn.Module):
            return ("m", _module_parts(obj, torch))
        if isinstance(obj, torch.Size):
            return ("t", [int(n) for n in obj])
        if isinstance(obj, (torch.dtype, torch.device)):
            return str(obj)
    if type(obj) in (list, tuple):
        tag = "l" if type(obj) is list else "t"
        return (tag, [encode(x, make_handle, depth + 1) for x in obj])
    if type(obj) is dict:
        return ("d", [(encode(k, make_handle, depth + 1), encode(v, make_handle, depth + 1))
                      for k, v in obj.items()])
    if make_handle is None:
        raise TransportError(f"cannot send a {type(obj).__name__}: only plain data crosses")
    handle = make_handle(obj)
    return ("h", handle.id, handle.type_name)


def decode(tree, resolve_handle: Callable[[int, str], Any] | None = None):
    """Inverse of encode. Handles become whatever resolve_handle makes of them."""
    if tree is None or type(tree) in (bool, int, float, str, bytes):
        return tree
    if type(tree) is not tuple or not tree or type(tree[0]) is not str:
        raise TransportError(f"unexpected value in message: {type(tree).__name__}")
    tag, rest = tree[0], tree[1:]
    if tag == "l":
        return [decode(x, resolve_handle) for x in rest[0]]
    if tag == "t":
        return tuple(decode(x, resolve_handle) for x in rest[0])
    if tag == "d":
        return {decode(k, resolve_handle): decode(v, resolve_handle) for k, v in rest[0]}
    if tag == "c":
        return complex(rest[0], rest[1])
    if tag == "a":
        return _array(*rest)
    if tag == "T":
        import torch

        return _tensor(*rest, torch=torch)
    if tag == "m":
        import torch

        parts = rest[0]
        return ModuleSnapshot(
            class_name=parts["class_name"],
            text=parts["text"],
            parameters={k: _tensor(*v, torch=torch) for k, v in parts["parameters"]},
            buffers={k: _tensor(*v, torch=torch) for k, v in parts["buffers"]},
            training=parts["training"],
        )
    if tag == "h":
        handle = Handle(int(rest[0]), str(rest[1]))
        return resolve_handle(handle.id, handle.type_name) if resolve_handle else handle
    raise TransportError(f"unknown tag {tag!r} in message")


def dumps(tree) -> bytes:
    return pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL)


class _NoClasses(pickle.Unpickler):
    def find_class(self, module, name):  # the whole point: never import anything
        raise TransportError(f"refused to load {module}.{name}: only plain data crosses")


def loads(data: bytes):
    return _NoClasses(io.BytesIO(data)).load()


def _torch_if_loaded():
    import sys

    return sys.modules.get("torch")


def _tensor_parts(t, torch):
    t = t.detach().to("cpu")
    if t.layout != torch.strided:
        t = t.to_dense()
    dtype_name = str(t.dtype).removeprefix("torch.")
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: ship float32, say what it was
        arr = t.float().numpy()
    else:
        arr = t.contiguous().numpy()
    return dtype_name, tuple(arr.shape), np.ascontiguousarray(arr).tobytes(), arr.dtype.str


def _module_parts(m, torch) -> dict:
    return {
        "class_name": type(m).__name__,
        "text": repr(m)[:20000],
        "parameters": [(n, _tensor_parts(p, torch)) for n, p in m.named_parameters()],
        "buffers": [(n, _tensor_parts(b, torch)) for n, b in m.named_buffers()],
        "training": bool(m.training),
    }


def _array(dtype: str, shape, data: bytes):
    dt = np.dtype(dtype)
    if dt.kind not in _NUMERIC_KINDS:
        raise TransportError(f"refused array of dtype {dtype}")
    return np.frombuffer(data, dtype=dt).reshape(shape).copy()


def _tensor(dtype_name: str, shape, data: bytes, np_dtype: str, torch):
    arr = _array(np_dtype, shape, data)
    tensor = torch.from_numpy(arr)
    wanted = getattr(torch, dtype_name, None)
    if isinstance(wanted, torch.dtype) and wanted != tensor.dtype:
        tensor = tensor.to(wanted)
    return tensor
