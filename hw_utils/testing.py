"""The one module a hidden test imports: everything a test author needs, public and documented.

A hidden test in `grader_tests/<hw>/test_*.py` receives fixtures from the grading plugin
(hw_utils.grading):

- `student`: the submission's top-level names, reached through the sandbox. `student.f(x)`
  calls `f` in the worker and brings back plain data (numbers, arrays, tensors, lists, dicts);
  `student.construct("Net", 3)` builds an object that stays in the worker, as a `Remote`
  (call it, read its attributes, pass it back into student code). `remote.eval()` /
  `remote.train()` on a torch module return a `ModuleSnapshot` (its parameters as tensors,
  `num_parameters()`, `training`, the module's printed structure) so a test sees the weights
  without running student code in the grader.
- `seed`: 0 when grading; `benchmarks/accuracy_margins.py` grades seeds 0..4. Add it to every
  seed a test chooses for training, so the calibration measures the spread over seeds.
- `measure(name, value, bar=None)`: record what a test measured (an accuracy); it shows in the
  student's feedback, passed or not, and in `TestResult.measured`.

Markers: `points(n)` (default 1), `public`, `gpu` (skipped without CUDA), `call_timeout(s)`,
`accuracy` (a trained model against a bar: the proof corpus's weak baselines must fail it).

Failures: a plain `assert cond, message` or the checks below; messages go to the student as
they are (no test code is ever quoted), so say what was called, on what, expected and got.
"""

from __future__ import annotations

import pytest

from .checks import as_array, assert_close, assert_keys, relative_error
from .data import DatasetMissing, load_arrays, load_dataset, load_tensors
from .sandbox import Remote, ScriptRun, Student, StudentError, StudentTimeout, WorkerDied, remote_type_name
from .transport import ModuleSnapshot

__all__ = [
    "DatasetMissing", "ModuleSnapshot", "Remote", "ScriptRun", "Student", "StudentError", "StudentTimeout",
    "WorkerDied", "as_array", "assert_array", "assert_close", "assert_dtype", "assert_float", "assert_int",
    "assert_keys", "assert_shape", "fail", "is_module", "load_arrays", "load_dataset", "load_tensors",
    "relative_error", "require_dataset", "type_name",
]


def fail(message: str):
    """Fail the test with exactly this message (no traceback, no test code)."""
    pytest.fail(message, pytrace=False)


def type_name(value) -> str:
    """The type of a value as the student wrote it: a Remote's class in the worker, else its type."""
    if isinstance(value, Remote):
        return remote_type_name(value)
    return type(value).__name__


def is_module(value) -> bool:
    """Whether a Remote is a torch.nn.Module (it has a boolean `training`), without trusting its type name."""
    if not isinstance(value, Remote):
        return False
    try:
        return isinstance(value.training, bool)
    except StudentError:
        return False


def assert_shape(value, shape: tuple, name: str):
    """value is a tensor or array of exactly this shape."""
    got = getattr(value, "shape", None)
    if got is None:
        raise AssertionError(f"{name}: expected an array of shape {tuple(shape)}, got {type_name(value)}")
    if tuple(got) != tuple(shape):
        raise AssertionError(f"{name}: expected shape {tuple(shape)}, got {tuple(got)}")


def assert_dtype(value, dtypes, name: str):
    """value's dtype is one of dtypes (a dtype or a tuple of them: say which the task allows)."""
    allowed = dtypes if isinstance(dtypes, tuple) else (dtypes,)
    got = getattr(value, "dtype", None)
    if got not in allowed:
        names = " or ".join(str(d) for d in allowed)
        raise AssertionError(f"{name}: expected dtype {names}, got {got if got is not None else type_name(value)}")


def assert_int(value, name: str, expected: int | None = None):
    """value is a Python int (not a bool, float or tensor), equal to expected when given."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AssertionError(f"{name}: expected a Python int, got {type_name(value)} {value!r:.100}")
    if expected is not None and value != expected:
        raise AssertionError(f"{name}: expected {expected:,}, got {value:,}")


def require_dataset(load, *args, **kwargs):
    """load(*args, **kwargs), or skip the test (the gpu tier) where the runner lacks the dataset."""
    try:
        return load(*args, **kwargs)
    except DatasetMissing as missing:
        pytest.skip(f"gpu tier needs this dataset on the runner: {missing}")


def assert_float(value, name: str):
    """value is a float (a Python float: a NumPy float scalar arrives as one), not an array, a
    0-d array, a tensor, an int or a bool."""
    if isinstance(value, bool) or not isinstance(value, float):
        raise AssertionError(f"{name}: expected a Python float, got {type_name(value)} {value!r:.100}")


def assert_array(value, dtype, shape: tuple | None, name: str):
    """value is a NumPy array (not a tensor or a list) of this dtype, and of this shape when given."""
    import numpy as np

    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name}: expected a NumPy array, got {type_name(value)} {value!r:.100}")
    assert_dtype(value, np.dtype(dtype), name)
    if shape is not None:
        assert_shape(value, shape, name)
