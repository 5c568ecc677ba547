"""Plain data across the sandbox boundary, in a strict format parsed here, never by pickle.

Everything a worker sends is hostile input. So values cross as a tree made only of
None, bool, int (at most MAX_INT_BYTES bytes), float, str, bytes, tuple and list, written
by `dumps` in a binary format of our own and read back by `loads`, which allocates
nothing the message has not paid for in bytes:

* every length is checked against the bytes left before anything is allocated, and a
  container's count against the bytes left after every item already promised (each item
  takes at least one byte), so announced sizes cannot multiply;
* nothing is shared: no memo, no back-references, so one object cannot become many;
* nesting is bounded (MAX_TREE_DEPTH) and parsed with an explicit stack, no recursion;
* trailing bytes, unknown tags, bad UTF-8 and over-long messages are refused.

Every refusal is a TransportError with a short reason. `loads` followed by `decode`
holds at most AMPLIFICATION x the message's size in Python memory (tests/test_transport.py
measures it over crafted worst cases).

`encode` turns values into a tagged tree and `decode` turns it back. Tags:
("a", dtype, shape, bytes) ndarray, ("T", torch dtype, numpy dtype, shape, bytes) tensor,
("l", [...]) list, ("t", [...]) tuple, ("d", [(k, v), ...]) dict, ("c", re, im) complex,
("m", class name, text, parameters, buffers, training) torch module snapshot,
("h", id, type name) handle. Arrays and tensors carry dtypes from a whitelist and shapes
that must account for their bytes exactly; a tensor arrives in the dtype its bytes were
sent in (bfloat16 travels as float32 and is narrowed back), so decoding never widens
data. What is not plain data (a student's object, a function) stays in the worker and
crosses as a handle.
"""

from __future__ import annotations

import math
import struct
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

MAX_DEPTH = 64  # nesting of the values encode() accepts (lists in lists, ...)
# A level of value nesting is up to three levels of tree (("d", [(k, v)])), plus a message
# envelope around the whole; the wire format refuses anything deeper.
MAX_TREE_DEPTH = 3 * MAX_DEPTH + 16
# The largest message the hidden tests need is the 4,000 MNIST digits padded to 3x32x32
# float32 that hw04's train_svhn test sends to the worker: 47 MiB. Replies are far smaller
# (the SVHNNet snapshot is 3 MiB; the VGG-11 table is computed on the meta device and
# crosses as a small dict). 256 MiB leaves a margin of 5 and bounds what one message
# from a worker can cost the grader.
MAX_MESSAGE_BYTES = 256 * 2**20
MAX_ITEMS = 1_000_000  # values in one message (see Budget.max_items)
MAX_INT_BYTES = 64  # ints up to 511 bits; bigger ones are refused, never silently cut
MAX_NDIM = 32
MAX_MODULE_TEXT = 20_000  # characters of a module's repr kept in its snapshot
MAX_NAME = 200  # characters of a class or type name
MAX_SAME_HASH = 8  # dict keys sharing one hash (more would make building the dict quadratic)
# Measured bound on decoded size: loads() + decode() peak Python memory stays under
# AMPLIFICATION x len(message) + a constant (tests/test_transport.py measures it).
AMPLIFICATION = 16

MAGIC = b"HWT1"  # format and version; a message from another format is refused at once

_NONE, _FALSE, _TRUE = 0x4E, 0x46, 0x54  # N F T
_INT, _FLOAT, _STR, _BYTES = 0x69, 0x66, 0x73, 0x62  # i f s b
_TUPLE, _LIST = 0x74, 0x6C  # t l
_LENGTH = struct.Struct("<Q")
_DOUBLE = struct.Struct("<d")

# numpy dtypes that are nothing but bytes, by the string that encode() sends (little-endian:
# encode() converts any other byte order first). Anything else is refused, whatever numpy
# could make of it ('O', 'V8', '<U10', float128, ...).
_ARRAY_DTYPES = {np.dtype(name).str: np.dtype(name) for name in (
    "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
    "float16", "float32", "float64", "complex64", "complex128")}
# torch dtype name -> the numpy dtype its bytes travel in. bfloat16 has no numpy twin: it
# travels as float32 and is narrowed on arrival (never widened).
_TENSOR_TRAVELS_AS = {
    "bool": "|b1", "uint8": "|u1", "int8": "|i1", "int16": "<i2", "uint16": "<u2", "int32": "<i4",
    "uint32": "<u4", "int64": "<i8", "uint64": "<u8", "float16": "<f2", "bfloat16": "<f4",
    "float32": "<f4", "float64": "<f8", "complex64": "<c8", "complex128": "<c16",
}


class TransportError(Exception):
    """A value that cannot cross the boundary, or a message that is not a valid one."""


@dataclass(frozen=True)
class Budget:
    """What one message may cost the receiver."""

    max_bytes: int = MAX_MESSAGE_BYTES
    max_depth: int = MAX_TREE_DEPTH
    # Every item is a Python object the receiver builds: a message of 64 MB of one-byte
    # items would cost the grader gigabytes and a minute. Bulk data travels as bytes,
    # arrays and tensors (one item each), so no real reply comes near this.
    max_items: int = MAX_ITEMS


@dataclass(frozen=True, slots=True)
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


# --- the wire format -------------------------------------------------------------------

def dumps(tree) -> bytes:
    """The tree as bytes: MAGIC, then one value. Refuses what loads() would refuse."""
    out = [MAGIC]
    _dump(tree, out, 0)
    return b"".join(out)


def _dump(value, out: list, depth: int):
    kind = type(value)
    if value is None:
        out.append(b"N")
    elif value is True:
        out.append(b"T")
    elif value is False:
        out.append(b"F")
    elif kind is int:
        size = value.bit_length() // 8 + 1  # signed: one spare bit for the sign
        if size > MAX_INT_BYTES:
            raise TransportError(f"cannot send an int of {value.bit_length()} bits (at most {8 * MAX_INT_BYTES - 1})")
        out.append(bytes((_INT, size)) + value.to_bytes(size, "little", signed=True))
    elif kind is float:
        out.append(b"f" + _DOUBLE.pack(value))
    elif kind is str:
        data = value.encode("utf-8", "surrogatepass")
        out.append(b"s" + _LENGTH.pack(len(data)))
        out.append(data)
    elif kind is bytes:
        out.append(b"b" + _LENGTH.pack(len(value)))
        out.append(value)
    elif kind is tuple or kind is list:
        if value and depth >= MAX_TREE_DEPTH:
            raise TransportError("value nested too deeply to send")
        out.append((b"t" if kind is tuple else b"l") + _LENGTH.pack(len(value)))
        for item in value:
            _dump(item, out, depth + 1)
    else:
        raise TransportError(f"cannot send a {kind.__name__} as plain data")


def loads(data: bytes, budget: Budget | None = None):
    """Parse one message made by dumps(). Anything else is a TransportError."""
    budget = budget or Budget()
    try:
        view = memoryview(data)
    except TypeError:
        raise TransportError(f"a message must be bytes, not {type(data).__name__}") from None
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    end = len(view)
    if end > budget.max_bytes:
        raise TransportError(f"message of {end:,} bytes is over the limit of {budget.max_bytes:,}")
    if view[:len(MAGIC)] != MAGIC:
        raise TransportError("not a message of this grader's format")
    return _Parser(view, len(MAGIC), budget.max_depth, budget.max_items).parse()


class _Parser:
    """One pass over the message with an explicit stack (no recursion, however deep)."""

    def __init__(self, view: memoryview, pos: int, max_depth: int, max_items: int = 0):
        self.view, self.pos, self.end, self.max_depth = view, pos, len(view), max_depth
        self.items_left = max_items or MAX_ITEMS
        # Items promised by the containers still open and not parsed yet: each will take
        # at least one byte, so they must always fit in what is left.
        self.owed = 0

    def parse(self):
        stack: list[list] = []  # [slots, next index, is tuple]
        self.owed = 1
        while True:
            value, opened = self._value(len(stack))
            if opened is not None:
                stack.append(opened)
                continue
            while True:  # put the value in its container; close the ones now full
                if not stack:
                    if self.pos != self.end:
                        raise TransportError(f"{self.end - self.pos} unexpected bytes after the message")
                    return value
                frame = stack[-1]
                frame[0][frame[1]] = value
                frame[1] += 1
                if frame[1] < len(frame[0]):
                    break
                stack.pop()
                value = tuple(frame[0]) if frame[2] else frame[0]

    def _value(self, depth: int):
        """(value, None) for a complete value, or (None, frame) for a container opened."""
        if self.pos >= self.end:
            raise TransportError("message cut short")
        self.items_left -= 1
        if self.items_left < 0:
            raise TransportError("message of more items than the receiver accepts")
        self.owed -= 1
        tag = self.view[self.pos]
        self.pos += 1
        if tag == _NONE:
            return None, None
        if tag == _TRUE:
            return True, None
        if tag == _FALSE:
            return False, None
        if tag == _INT:
            size = self._take(1)[0]
            if not 1 <= size <= MAX_INT_BYTES:
                raise TransportError(f"int of {size} bytes (1 to {MAX_INT_BYTES} allowed)")
            return int.from_bytes(self._take(size), "little", signed=True), None
        if tag == _FLOAT:
            return _DOUBLE.unpack(self._take(8))[0], None
        if tag == _STR:
            try:
                return str(self._take(self._length()), "utf-8", "surrogatepass"), None
            except UnicodeDecodeError:
                raise TransportError("string that is not UTF-8") from None
        if tag == _BYTES:
            return bytes(self._take(self._length())), None
        if tag == _TUPLE or tag == _LIST:
            count = self._length()
            if self.owed + count > self.end - self.pos:
                raise TransportError(f"container of {count:,} items in {self.end - self.pos:,} bytes")
            if count == 0:
                return (() if tag == _TUPLE else []), None
            if depth >= self.max_depth:
                raise TransportError(f"message nested deeper than {self.max_depth} levels")
            self.owed += count
            return None, [[None] * count, 0, tag == _TUPLE]
        raise TransportError(f"unknown type byte {tag:#04x} at offset {self.pos - 1}")

    def _length(self) -> int:
        (length,) = _LENGTH.unpack(self._take(8))
        return length

    def _take(self, size: int) -> memoryview:
        """The next size bytes; they must leave room for every item still promised."""
        if size + self.owed > self.end - self.pos:
            raise TransportError(f"length {size:,} runs past the end of the message")
        chunk = self.view[self.pos:self.pos + size]
        self.pos += size
        return chunk


# --- values <-> tagged trees -----------------------------------------------------------

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
    if isinstance(obj, bytes):
        return bytes(obj)
    if isinstance(obj, np.generic) and obj.dtype.str in _ARRAY_DTYPES:
        return encode(obj.item(), make_handle, depth + 1)
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "biufc":
            return ("a", *_array_parts(obj))
        return ("l", [encode(x, make_handle, depth + 1) for x in obj.tolist()])
    if isinstance(obj, Handle):
        return ("h", obj.id, obj.type_name)
    torch = _torch_if_loaded()
    if torch is not None:
        if isinstance(obj, torch.Tensor):
            return ("T", *_tensor_parts(obj, torch))
        if isinstance(obj, torch.nn.Module):
            return ("m", *_module_parts(obj, torch))
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


def decode(tree, resolve_handle: Callable[[int, str], Any] | None = None, depth: int = 0):
    """Inverse of encode, checking every part. Handles become whatever resolve_handle makes of them."""
    if tree is None or type(tree) in (bool, int, float, str, bytes):
        return tree
    if depth > MAX_TREE_DEPTH:
        raise TransportError("value nested too deeply")
    if type(tree) is not tuple or not tree or type(tree[0]) is not str:
        raise TransportError(f"unexpected {type(tree).__name__} in message")
    tag, rest = tree[0], tree[1:]
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise TransportError(f"unknown tag {tag[:20]!r} in message")
    arity, function = decoder
    if len(rest) != arity:
        raise TransportError(f"tag {tag!r} with {len(rest)} parts, expected {arity}")
    return function(*rest, resolve=resolve_handle, depth=depth + 1)


def _decode_list(items, resolve, depth):
    return [decode(x, resolve, depth) for x in _sequence(items, "list")]


def _decode_tuple(items, resolve, depth):
    return tuple(decode(x, resolve, depth) for x in _sequence(items, "tuple"))


def _decode_dict(pairs, resolve, depth):
    keys, values = [], []
    for pair in _sequence(pairs, "dict"):
        if type(pair) is not tuple or len(pair) != 2:
            raise TransportError("dict entry that is not a (key, value) pair")
        keys.append(decode(pair[0], resolve, depth + 1))
        values.append(decode(pair[1], resolve, depth + 1))
    _check_hashes(keys)
    return dict(zip(keys, values))


def _check_hashes(keys: list):
    """Refuse keys that are unhashable, or crafted so that many share one hash.

    Distinct ints that differ by a multiple of 2**61 - 1 (and tuples or complex numbers
    built from such parts) hash alike; n of them make building the dict cost n**2 steps,
    a way to hang the grader with a few megabytes. Sorting the hashes costs n log n.
    """
    try:
        hashes = sorted(hash(k) for k in keys)
    except TypeError as err:
        raise TransportError(f"dict key that cannot be a key: {err}") from None
    run = 1
    for before, after in zip(hashes, hashes[1:]):
        run = run + 1 if before == after else 1
        if run > MAX_SAME_HASH:
            raise TransportError(f"dict with more than {MAX_SAME_HASH} keys of one hash")


def _decode_complex(real, imag, resolve, depth):
    if type(real) is not float or type(imag) is not float:
        raise TransportError("complex number whose parts are not floats")
    return complex(real, imag)


def _decode_array(dtype, shape, data, resolve, depth):
    return _array(dtype, shape, data)


def _decode_tensor(dtype_name, np_dtype, shape, data, resolve, depth):
    import torch

    return _tensor(dtype_name, np_dtype, shape, data, torch)


def _decode_module(class_name, text, parameters, buffers, training, resolve, depth):
    import torch

    _check_str(class_name, MAX_NAME, "module class name")
    _check_str(text, MAX_MODULE_TEXT, "module text")
    if type(training) is not bool:
        raise TransportError("module snapshot whose training flag is not a bool")
    return ModuleSnapshot(class_name=class_name, text=text, training=training,
                          parameters=_named_tensors(parameters, torch),
                          buffers=_named_tensors(buffers, torch))


def _named_tensors(entries, torch) -> dict:
    tensors = {}
    for entry in _sequence(entries, "module snapshot"):
        if type(entry) is not tuple or len(entry) != 2 or type(entry[0]) is not str:
            raise TransportError("module tensor that is not a (name, tensor) pair")
        parts = entry[1]
        if type(parts) is not tuple or len(parts) != 4:
            raise TransportError(f"module tensor {entry[0][:50]!r} malformed")
        tensors[entry[0]] = _tensor(*parts, torch=torch)
    return tensors


def _decode_handle(handle_id, type_name, resolve, depth):
    if type(handle_id) is not int or not 0 < handle_id < 2**63:
        raise TransportError("handle whose id is not a positive int")
    _check_str(type_name, MAX_NAME, "handle type name")
    return resolve(handle_id, type_name) if resolve else Handle(handle_id, type_name)


_DECODERS = {
    "l": (1, _decode_list), "t": (1, _decode_tuple), "d": (1, _decode_dict), "c": (2, _decode_complex),
    "a": (3, _decode_array), "T": (4, _decode_tensor), "m": (5, _decode_module), "h": (2, _decode_handle),
}


def _sequence(items, what: str):
    if type(items) is not list:
        raise TransportError(f"{what} whose items are not a list")
    return items


def _check_str(value, most: int, what: str):
    if type(value) is not str or len(value) > most:
        raise TransportError(f"{what} is not a string of at most {most} characters")


def _torch_if_loaded():
    return sys.modules.get("torch")


def _array_parts(arr: np.ndarray):
    dtype = arr.dtype
    if dtype.str not in _ARRAY_DTYPES and dtype.newbyteorder("<").str in _ARRAY_DTYPES:
        dtype = dtype.newbyteorder("<")  # big-endian data travels little-endian
    if dtype.str not in _ARRAY_DTYPES:
        raise TransportError(f"cannot send an array of dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=dtype, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
    return dtype.str, tuple(int(n) for n in arr.shape), arr.tobytes()


def _tensor_parts(t, torch):
    t = t.detach().to("cpu")
    if t.layout != torch.strided:
        t = t.to_dense()
    dtype_name = str(t.dtype).removeprefix("torch.")
    if dtype_name not in _TENSOR_TRAVELS_AS:
        raise TransportError(f"cannot send a tensor of dtype {t.dtype}")
    t = t.resolve_conj().resolve_neg()
    arr = t.float().numpy() if t.dtype == torch.bfloat16 else t.contiguous().numpy()
    return (dtype_name, *_array_parts(arr))


def _module_parts(m, torch) -> tuple:
    return (
        type(m).__name__[:MAX_NAME],
        repr(m)[:MAX_MODULE_TEXT],
        [(n, _tensor_parts(p, torch)) for n, p in m.named_parameters()],
        [(n, _tensor_parts(b, torch)) for n, b in m.named_buffers()],
        bool(m.training),
    )


def _array(dtype, shape, data) -> np.ndarray:
    """An ndarray only from a whitelisted dtype and a shape that accounts for every byte."""
    dt = _ARRAY_DTYPES.get(dtype) if type(dtype) is str else None
    if dt is None:
        raise TransportError(f"refused array of dtype {str(dtype)[:20]!r}")
    if type(data) is not bytes:
        raise TransportError("array whose data is not bytes")
    if (type(shape) is not tuple or len(shape) > MAX_NDIM
            or not all(type(n) is int and 0 <= n < 2**63 for n in shape)):
        raise TransportError(f"array shape must be at most {MAX_NDIM} non-negative ints")
    if math.prod(shape) * dt.itemsize != len(data):  # Python ints: no overflow
        raise TransportError(f"array of shape {shape} and dtype {dtype} does not match its {len(data):,} bytes")
    try:
        if dt.kind == "b":  # any byte other than 0 is True, and stored as 1
            arr = np.frombuffer(data, dtype=np.uint8) != 0
        else:
            arr = np.frombuffer(data, dtype=dt).copy()
        return arr.reshape(shape)
    except ValueError as err:  # numpy's own limit on a shape's extent
        raise TransportError(f"refused array of shape {shape}: {err}") from None


def _tensor(dtype_name, np_dtype, shape, data, torch):
    travels_as = _TENSOR_TRAVELS_AS.get(dtype_name) if type(dtype_name) is str else None
    if travels_as is None:
        raise TransportError(f"refused tensor of dtype {str(dtype_name)[:20]!r}")
    if np_dtype != travels_as:
        raise TransportError(f"a {dtype_name} tensor travels as {travels_as}, not {str(np_dtype)[:20]!r}")
    tensor = torch.from_numpy(_array(np_dtype, shape, data))
    if dtype_name == "bfloat16":
        tensor = tensor.to(torch.bfloat16)  # narrowing: half the bytes received
    return tensor
