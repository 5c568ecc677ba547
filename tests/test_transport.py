"""Only plain data crosses the sandbox boundary, faithfully; a hostile message costs the grader
a bounded multiple of its size and never more than a TransportError."""

import builtins
import gc
import math
import pickle
import random
import struct
import time
import tracemalloc

import numpy as np
import pytest
import torch

from hw_utils import transport
from hw_utils.transport import MAGIC, TransportError

LENGTH = struct.Struct("<Q")


def roundtrip(value, make_handle=None):
    return transport.decode(transport.loads(transport.dumps(transport.encode(value, make_handle))))


# Hand-written wire bytes, so tests can say exactly what an attacker sends.
def w_str(text: str) -> bytes:
    data = text.encode()
    return b"s" + LENGTH.pack(len(data)) + data


def w_bytes(data: bytes) -> bytes:
    return b"b" + LENGTH.pack(len(data)) + data


def w_int(value: int) -> bytes:
    size = value.bit_length() // 8 + 1
    return bytes((0x69, size)) + value.to_bytes(size, "little", signed=True)


def w_tuple(*items: bytes) -> bytes:
    return b"t" + LENGTH.pack(len(items)) + b"".join(items)


def w_list(items) -> bytes:
    items = list(items)
    return b"l" + LENGTH.pack(len(items)) + b"".join(items)


def wire(tree) -> bytes:
    """A tree's bytes without MAGIC, to splice into a hand-made message."""
    return transport.dumps(tree)[len(MAGIC):]


def received(tree):
    """What the grader makes of a tagged tree that arrived over the wire."""
    return transport.decode(transport.loads(transport.dumps(tree)))


def nested_lists(depth: int):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def peak_bytes(function) -> tuple[int, object]:
    """(peak Python memory while function runs, what it returned or raised)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = function()
    except TransportError as err:
        result = err
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, result


# --- faithful round trips ----------------------------------------------------------------

def test_plain_values_roundtrip():
    value = {"a": [1, 2.5, "x", None, True, b"raw"], "b": (3, (4, 5)), 7: {"nested": [[]]}, "c": 1 + 2j,
             "big": -(2**500), "unicode": "é€𝄞", "surrogate": "\udc80"}
    assert roundtrip(value) == value


def test_arrays_and_tensors_keep_dtype_shape_and_values():
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    back = roundtrip(arr)
    assert back.dtype == np.float32 and back.shape == (3, 4) and np.array_equal(back, arr)
    big_endian = np.arange(5, dtype=">i4")
    assert np.array_equal(roundtrip(big_endian), big_endian) and roundtrip(big_endian).dtype == np.int32
    t = torch.arange(6, dtype=torch.int64).reshape(2, 3)
    back_t = roundtrip(t)
    assert isinstance(back_t, torch.Tensor) and back_t.dtype == torch.int64 and torch.equal(back_t, t)
    bf = torch.ones(3, dtype=torch.bfloat16, requires_grad=True)
    assert roundtrip(bf).dtype == torch.bfloat16
    assert roundtrip(np.float64(2.5)) == 2.5 and type(roundtrip(np.float64(2.5))) is float
    non_contiguous = torch.arange(12.0).reshape(3, 4).t()
    assert torch.equal(roundtrip(non_contiguous), non_contiguous)
    assert torch.equal(roundtrip(torch.tensor([1 + 2j]).conj()), torch.tensor([1 - 2j]))
    for dtype in (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.float16, torch.float64,
                  torch.complex64, torch.uint16):
        value = torch.ones(2, 3, dtype=dtype)
        assert roundtrip(value).dtype == dtype and torch.equal(roundtrip(value), value)


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

    with pytest.raises(TransportError):
        transport.encode(Thing())
    handle = roundtrip(Thing(), make_handle=lambda obj: transport.Handle(7, type(obj).__name__))
    assert handle == transport.Handle(7, "Thing")


def random_tree(rng: random.Random, depth: int = 0):
    """Any tree the wire format allows: every atom, tuples and lists, nested."""
    kind = rng.randrange(10 if depth < 6 else 8)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-(2**rng.randrange(1, 511)), 2**rng.randrange(1, 511))
    if kind == 2:
        return rng.choice([0.0, -0.0, math.inf, -math.inf, math.nan, rng.uniform(-1e300, 1e300), 5e-324])
    if kind == 3:
        return rng.random()
    if kind == 4:
        return "".join(chr(rng.choice([rng.randrange(128), rng.randrange(0x10FFFF)])) for _ in range(rng.randrange(8)))
    if kind in (5, 6, 7):
        return rng.randbytes(rng.randrange(12))
    items = [random_tree(rng, depth + 1) for _ in range(rng.randrange(6))]
    return tuple(items) if kind == 8 else items


def same(a, b) -> bool:
    """Equal with the same types all the way down, NaN equal to NaN, -0.0 not equal to 0.0."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack("<d", a) == struct.pack("<d", b)
    if type(a) in (tuple, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def test_random_trees_roundtrip_exactly():
    rng = random.Random(20240609)
    for _ in range(2000):
        tree = random_tree(rng)
        assert same(transport.loads(transport.dumps(tree)), tree), tree


def test_random_values_roundtrip_through_encode_and_decode():
    rng = random.Random(7)
    for _ in range(300):
        tree = random_tree(rng)
        value = {"tree": tree, "array": np.asarray(rng.random()), "as_tuple": (rng.random(), [rng.random()])}
        back = roundtrip(value)
        assert same(back["tree"], tree) and back["array"].shape == () and back["as_tuple"] == value["as_tuple"]


# --- what the format refuses ---------------------------------------------------------------

class Evil:
    def __reduce__(self):
        return (exec, ("import builtins; builtins.PWNED = True",))


def test_pickle_is_not_accepted_at_all():
    for payload in (pickle.dumps(Evil()), pickle.dumps(np.zeros(2)), pickle.dumps([1, 2])):
        with pytest.raises(TransportError, match="format"):
            transport.loads(payload)
    assert not hasattr(builtins, "PWNED")


def test_dumps_refuses_what_is_not_plain_data():
    for value in ({"a": 1}, {1}, 2**600, np.float32(1), object(), bytearray(b"x"), [[1]] * 0 + [{}]):
        with pytest.raises(TransportError):
            transport.dumps(value)
    with pytest.raises(TransportError, match="deeply"):
        transport.dumps(nested_lists(300))


def test_a_count_of_a_billion_items_in_20_bytes_is_refused_before_allocating():
    message = MAGIC + b"l" + LENGTH.pack(10**9) + b"N" * 7
    assert len(message) == 20
    peak, result = peak_bytes(lambda: transport.loads(message))
    assert isinstance(result, TransportError) and "1,000,000,000 items" in str(result)
    assert peak < 64 * 1024


def test_nested_counts_cannot_claim_the_same_bytes_twice():
    # 200 nested lists each announcing 10**5 items, then 10**5 bytes: each count alone fits in
    # what is left, together they would need 200 times more. Preallocating them all would
    # cost 160 MB for a 100 kB message.
    message = MAGIC + (b"l" + LENGTH.pack(10**5)) * 200 + b"N" * 10**5
    peak, result = peak_bytes(lambda: transport.loads(message))
    assert isinstance(result, TransportError)
    assert peak < transport.AMPLIFICATION * len(message)


def test_a_million_levels_of_nesting_are_refused_without_recursion():
    message = MAGIC + (b"l" + LENGTH.pack(1)) * 10**6 + b"N"
    start = time.monotonic()
    with pytest.raises(TransportError, match="nested deeper"):
        transport.loads(message)
    assert time.monotonic() - start < 2
    deep_tagged = ("l", [None])
    for _ in range(transport.MAX_TREE_DEPTH + 5):
        deep_tagged = ("l", [deep_tagged])
    with pytest.raises(TransportError, match="deeply"):
        transport.decode(deep_tagged)


def test_trailing_bytes_truncation_and_garbage_are_refused():
    good = transport.dumps(transport.encode({"x": [1, 2.0, "three", b"four", (None, True)]}))
    with pytest.raises(TransportError, match="unexpected bytes after"):
        transport.loads(good + b"N")
    for cut in range(len(good)):
        with pytest.raises(TransportError):
            transport.loads(good[:cut])
    for bad in (b"", MAGIC, MAGIC + b"?", MAGIC + b"i\x00", MAGIC + b"i\x41" + b"\x01" * 65,
                MAGIC + w_bytes(b"x")[:9], MAGIC + b"s" + LENGTH.pack(2) + b"\xff\xfe", MAGIC + b"f\x00"):
        with pytest.raises(TransportError):
            transport.loads(bad)


def test_random_corruptions_raise_only_transport_errors():
    rng = random.Random(99)
    good = transport.dumps(transport.encode({"a": np.arange(6.0).reshape(2, 3), "t": torch.ones(2),
                                             "m": torch.nn.Linear(2, 2), "l": [1, "x", (2.5, b"y")]}))
    for _ in range(3000):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            transport.decode(transport.loads(bytes(data)))
        except TransportError:
            pass
    for _ in range(500):
        with pytest.raises(TransportError):
            transport.loads(rng.randbytes(rng.randrange(1, 200)))


def test_budget_caps_the_message_size():
    message = transport.dumps(b"x" * 1000)
    assert transport.loads(message, transport.Budget(max_bytes=len(message))) == b"x" * 1000
    with pytest.raises(TransportError, match="over the limit"):
        transport.loads(message, transport.Budget(max_bytes=len(message) - 1))
    assert transport.Budget().max_bytes == transport.MAX_MESSAGE_BYTES
    # hw04's largest message (4,000 digits as 3x32x32 float32, sent to train_svhn) fits with margin.
    assert 4 * 4000 * 3 * 32 * 32 * 4 < transport.MAX_MESSAGE_BYTES


# --- arrays and tensors: dtypes from a whitelist, shapes that match the bytes ---------------------

def test_decoder_refuses_object_arrays_and_unknown_tags():
    with pytest.raises(TransportError):
        transport.decode(("a", "|O", (1,), b"\0" * 8))
    with pytest.raises(TransportError):
        transport.decode(("zz", 1))
    with pytest.raises(TransportError):
        transport.decode(("l", [1], "extra"))


@pytest.mark.parametrize("dtype", ["|O", "O", "V8", "|V8", "<U10", "S4", "float128", "<f16", "<c32", ">f4",
                                   "float32", "Tensor", "<M8[s]", "int", 7, None])
def test_array_dtypes_outside_the_whitelist_are_refused(dtype):
    size = 16 if dtype in ("<f16", "float128") else 8
    with pytest.raises(TransportError, match="dtype"):
        received(("a", dtype, (1,), b"\0" * size))


@pytest.mark.parametrize("name", ["Tensor", "FloatTensor", "nn", "__class__", "float128", "complex32",
                                  "float8_e4m3fn", "qint8", "torch.float32", "load"])
def test_tensor_dtype_names_outside_the_whitelist_are_refused(name):
    with pytest.raises(TransportError, match="dtype"):
        received(("T", name, "<f4", (1,), b"\0" * 4))


def test_a_tensor_cannot_widen_the_bytes_it_was_sent_in():
    # 2**20 float16 bytes announced as a float64 tensor: would become 4x the data received.
    with pytest.raises(TransportError, match="travels as <f8"):
        received(("T", "float64", "<f2", (2**19,), b"\0" * 2**20))
    with pytest.raises(TransportError, match="travels as"):
        received(("T", "float32", "|b1", (4,), b"\0" * 4))
    with pytest.raises(TransportError, match="travels as <f4"):  # bfloat16 travels as float32
        received(("T", "bfloat16", "<f2", (2,), b"\0" * 4))
    narrowed = received(("T", "bfloat16", "<f4", (2,), struct.pack("<2f", 1.0, -2.0)))
    assert narrowed.dtype == torch.bfloat16 and narrowed.tolist() == [1.0, -2.0]


def test_shapes_must_account_for_the_bytes_exactly():
    for shape, data in [((10**9,), b"\0" * 4), ((2, 3), b"\0" * 4), ((3,), b"\0" * 16), ((), b""),
                        ((2**31, 2**31, 2**2), b"\0" * 4), ((-1, -4), b"\0" * 16), ((True,), b"\0" * 4),
                        ((2**64, 0), b""), ((1,) * 33, b"\0" * 4), ([1], b"\0" * 4), ((1.0,), b"\0" * 4)]:
        with pytest.raises(TransportError, match="shape"):
            received(("a", "<f4", shape, data))
        with pytest.raises(TransportError, match="shape"):
            received(("T", "float32", "<f4", shape, data))


def test_empty_arrays_with_huge_extents_cost_nothing():
    arr = received(("a", "<f4", (0, 10**18), b""))
    assert arr.shape == (0, 10**18) and arr.nbytes == 0
    tensor = received(("T", "float32", "<f4", (0, 10**18), b""))
    assert tuple(tensor.shape) == (0, 10**18) and tensor.numel() == 0


def test_bool_arrays_are_normalised():
    arr = received(("a", "|b1", (4,), b"\x00\x01\x02\xff"))
    assert arr.tolist() == [False, True, True, True] and arr.view(np.uint8).tolist() == [0, 1, 1, 1]
    tensor = received(("T", "bool", "|b1", (4,), b"\x00\x01\x02\xff"))
    assert tensor.tolist() == [False, True, True, True] and tensor.view(torch.uint8).tolist() == [0, 1, 1, 1]


def test_module_snapshots_and_handles_are_checked():
    snap = transport.encode(torch.nn.Linear(2, 2))
    assert isinstance(received(snap), transport.ModuleSnapshot)
    for bad in [("m", "Linear", "x" * (transport.MAX_MODULE_TEXT + 1), [], [], True),
                ("m", "L" * 201, "", [], [], True), ("m", "Linear", "", [], [], 1),
                ("m", "Linear", "", [("w", ("float32", "<f4", (1,)))], [], True),
                ("m", "Linear", "", [("w", ("float64", "<f2", (1,), b"\0\0"))], [], True),
                ("m", "Linear", "", ("not", "a list"), [], True)]:
        with pytest.raises(TransportError):
            received(bad)
    assert received(("h", 3, "Net")) == transport.Handle(3, "Net")
    for handle_id in (0, -1, True, 2**63, 1.0, "1"):
        with pytest.raises(TransportError, match="positive int"):
            received(("h", handle_id, "Net"))
    with pytest.raises(TransportError):
        received(("h", 1, "x" * 201))


def test_dicts_refuse_unhashable_keys_and_hash_floods():
    with pytest.raises(TransportError, match="key"):
        received(("d", [(("l", []), None)]))
    assert received(("d", [(-1, "a"), (-2, "b")])) == {-1: "a", -2: "b"}  # equal hashes, distinct keys
    # 20,000 distinct ints that all hash to 0: building the dict would take minutes.
    flood = ("d", [(k * (2**61 - 1), None) for k in range(1, 20_001)])
    start = time.monotonic()
    with pytest.raises(TransportError, match="hash"):
        received(flood)
    assert time.monotonic() - start < 2


def test_complex_parts_must_be_floats():
    assert received(("c", 1.0, -2.0)) == 1 - 2j
    for bad in [("c", 1, 2.0), ("c", "1", 2.0), ("c", 1.0)]:
        with pytest.raises(TransportError):
            received(bad)


# --- amplification: decoded size is a fixed multiple of the bytes received ------------------

N = 10_000


def crafted_messages() -> dict:
    """name -> a function making a message built to make the most objects per byte."""
    def tagged_list(items) -> bytes:
        return MAGIC + w_tuple(w_str("l"), w_list(items))

    def int_keyed_dict() -> bytes:
        return MAGIC + w_tuple(w_str("d"), w_list(w_tuple(w_int(1000 + k), b"N") for k in range(N)))

    return {
        "small negative ints (not cached by Python)": lambda: tagged_list([w_int(-100)] * N),
        "distinct ints": lambda: tagged_list(w_int(1000 + k) for k in range(N)),
        "two-character strings": lambda: tagged_list([w_str("ab")] * N),
        "one non-Latin character": lambda: tagged_list([w_str("€")] * N),
        "two-byte bytes": lambda: tagged_list([w_bytes(b"ab")] * N),
        "empty tagged lists": lambda: tagged_list([w_tuple(w_str("l"), w_list([]))] * N),
        "one-item tagged tuples": lambda: tagged_list([w_tuple(w_str("t"), w_list([b"N"]))] * N),
        "untagged empty lists (refused by decode)": lambda: MAGIC + w_list([w_list([])] * N),
        "dict of distinct int keys": int_keyed_dict,
        "complex numbers": lambda: tagged_list([wire(("c", 1.0, 2.0))] * N),
        "handles": lambda: tagged_list(wire(("h", k + 1, "x")) for k in range(N)),
        "0-d bool arrays": lambda: tagged_list([wire(transport.encode(np.zeros((), np.bool_)))] * N),
        "empty arrays": lambda: tagged_list([wire(transport.encode(np.zeros(0, np.uint8)))] * N),
        "0-d tensors": lambda: tagged_list([wire(transport.encode(torch.zeros((), dtype=torch.bool)))] * N),
        "floats": lambda: transport.dumps(transport.encode([float(k) for k in range(N)])),
        "one big array": lambda: transport.dumps(transport.encode(np.zeros(10**6, np.float32))),
        "one big bool tensor": lambda: transport.dumps(transport.encode(torch.zeros(10**6, dtype=torch.bool))),
        "deepest value": lambda: transport.dumps(transport.encode(nested_lists(transport.MAX_DEPTH))),
        "nested counts claiming the same bytes": lambda: MAGIC + (b"l" + LENGTH.pack(10**4)) * 100 + b"N" * 10**4,
    }


@pytest.mark.parametrize("name", list(crafted_messages()))
def test_decoding_costs_a_bounded_multiple_of_the_bytes_received(name):
    message = crafted_messages()[name]()
    peak, _ = peak_bytes(lambda: transport.decode(transport.loads(message)))
    assert peak <= transport.AMPLIFICATION * len(message) + 32 * 1024, \
        f"{name}: {peak:,} bytes for a message of {len(message):,} ({peak / len(message):.1f}x)"


def test_the_deepest_value_encode_accepts_crosses_inside_a_message():
    value = 1
    for _ in range(transport.MAX_DEPTH - 1):
        value = {"k": value}  # a dict level is three levels of tree, the deepest encoding
    message = ("call", 1, transport.encode([value]), transport.encode({}))
    assert transport.decode(transport.loads(transport.dumps(message))[2]) == [value]
    with pytest.raises(TransportError, match="deeply"):
        transport.encode([[value]])


def test_a_message_of_many_tiny_items_is_refused_before_it_costs_the_receiver():
    """64 MB of one-byte items would be 64 million Python objects in the grader."""
    many = transport.dumps([None] * (transport.MAX_ITEMS + 1))
    with pytest.raises(transport.TransportError, match="more items"):
        transport.loads(many)
    assert transport.loads(transport.dumps([None] * 1000)) == [None] * 1000
