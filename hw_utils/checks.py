"""Numeric assertions for graded tests, with messages a student can act on.

Graders run with plain asserts (no rewriting, so feedback never quotes a hidden test),
so every check here builds its own message: what was compared, on which input, the
expected and the received value.
"""

from __future__ import annotations

import numpy as np


def as_array(value, name: str) -> np.ndarray:
    """A student's value as a float64 array; a clear failure when it is not numeric."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{name}: expected numbers, got {type(value).__name__}: {_short(value)}") from None
    return arr


def assert_close(actual, expected, name: str, rtol: float = 1e-6, atol: float = 1e-8, context: str = ""):
    """actual ~ expected elementwise, shapes equal; message names the first mismatch."""
    where = f" (for {context})" if context else ""
    got = as_array(actual, name)
    want = as_array(expected, name)
    if got.shape != want.shape:
        raise AssertionError(f"{name}{where}: expected shape {want.shape}, got shape {got.shape}")
    if not np.all(np.isfinite(got)):
        raise AssertionError(f"{name}{where}: contains NaN or inf: {_short(got)}")
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f" at index {index}" if got.ndim else ""
        raise AssertionError(
            f"{name}{where}: expected {want[index]:.8g}, got {got[index]:.8g}{at} "
            f"({int(bad.sum())} of {bad.size} values wrong)"
        )


def assert_keys(mapping, keys, name: str):
    if not isinstance(mapping, dict):
        raise AssertionError(f"{name}: expected a dict, got {type(mapping).__name__}")
    missing = [k for k in keys if k not in mapping]
    if missing:
        raise AssertionError(f"{name}: missing keys {missing}; got {sorted(map(str, mapping))}")


def relative_error(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b))))


def _short(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
