"""Part C: the VGG-11 table against torchvision at 224x224x3, and against the classic VGG-11
computed here for other image sizes, channel widths and class counts (a typed-in table fails)."""

import pytest
import torch
import torchvision
from _reference import vgg11_summary

from hw_utils.testing import assert_int, type_name

CONFIGS = [
    {"input_size": 100},  # pools round down: 100 -> 50 -> 25 -> 12 -> 6 -> 3
    {"input_size": 64, "num_classes": 10},
    {"input_size": 32, "in_channels": 1, "widths": (8, 16, 32, 64, 64), "num_classes": 10, "fc_width": 256},
    {"input_size": 150, "widths": (16, 32, 64, 128, 128), "num_classes": 200, "fc_width": 1024},
]


def call(config):
    args = ", ".join(f"{k}={v!r}" for k, v in config.items())
    return f"vgg11_table({args})"


def student_table(student, config):
    table = student.vgg11_table(**config)
    assert isinstance(table, dict) and all(k in table for k in ("rows", "total", "fc_share")), \
        f"{call(config)} should return a dict with keys 'rows', 'total', 'fc_share', got {table!r:.200}"
    rows = table["rows"]
    assert isinstance(rows, (list, tuple)) and all(isinstance(r, (list, tuple)) and len(r) == 3 for r in rows), \
        f"{call(config)}['rows'] should be a list of (name, shape, params) rows, got {rows!r:.300}"
    return table


def check_row_types(config, i, name, shape, params):
    """The docstring: shape a tuple of ints, params an int (a float 7.0 or 1792.0 is not)."""
    where = f"{call(config)} row {i} ({name!r})"
    assert isinstance(shape, tuple) and all(isinstance(d, int) and not isinstance(d, bool) for d in shape), \
        f"{where}: shape should be a tuple of ints, got {type_name(shape)} {shape!r:.80}"
    assert_int(params, f"{where}: params")


def torchvision_vgg11():
    """torchvision's VGG-11 on the meta device: shapes and parameter counts without the memory."""
    with torch.device("meta"):
        model = torchvision.models.vgg11(weights=None)
    shapes, x = [], torch.empty(1, 3, 224, 224, device="meta")
    for layer in model.features:
        x = layer(x)
        if not isinstance(layer, torch.nn.ReLU):
            shapes.append(tuple(x.shape[1:]))
    params = [sum(p.numel() for p in m.parameters()) for m in model.modules()
              if isinstance(m, (torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.Linear))]
    fc_shapes = [(m.out_features,) for m in model.classifier if isinstance(m, torch.nn.Linear)]
    return shapes + fc_shapes, params, sum(p.numel() for p in model.parameters())


def row_name(kind, shape):
    """The docstring's names: "INPUT", "CONV3-<filters>", "POOL2", "FC-<outputs>"."""
    return {"INPUT": "INPUT", "CONV": f"CONV3-{shape[0]}", "POOL": "POOL2", "FC": f"FC-{shape[0]}"}[kind]


@pytest.mark.points(2)
def test_vgg11_at_224_matches_torchvision(student):
    table = student_table(student, {})
    shapes, params, total = torchvision_vgg11()
    rows = list(table["rows"])[1:]  # after INPUT
    assert len(rows) == len(shapes), \
        f"vgg11_table(): expected {len(shapes) + 1} rows (INPUT, 8 CONV3, 5 POOL2, 3 FC), got {len(rows) + 1}"
    for i, ((name, shape, count), want_shape, want_count) in enumerate(zip(rows, shapes, params), start=1):
        assert tuple(shape) == want_shape, \
            f"vgg11_table() row {i} ({name}): torchvision's VGG-11 outputs shape {want_shape}, the table says {tuple(shape)}"
        assert count == want_count, \
            f"vgg11_table() row {i} ({name}): torchvision's layer has {want_count:,} parameters, the table says {count}"
    assert table["total"] == total == 132_863_336, \
        f"vgg11_table()['total']: torchvision's VGG-11 has {total:,} parameters, got {table['total']}"


@pytest.mark.points(1)
def test_vgg11_rows_for_other_configurations(student):
    for config in CONFIGS:
        rows = list(student_table(student, config)["rows"])
        want, _, _ = vgg11_summary(**config)
        assert len(rows) == len(want), f"{call(config)}: expected {len(want)} rows, got {len(rows)}"
        for i, ((name, shape, params), (kind, want_shape, _)) in enumerate(zip(rows, want)):
            want_name = row_name(kind, want_shape)
            assert name == want_name, (
                f"{call(config)} row {i}: expected the name {want_name!r} (INPUT, CONV3-<filters>, POOL2, "
                f"FC-<outputs>), got {name!r}")
            check_row_types(config, i, name, shape, params)
            assert shape == want_shape, \
                f"{call(config)} row {i} ({name}): expected output shape {want_shape}, got {shape}"


@pytest.mark.points(2)
def test_vgg11_parameters_for_other_configurations(student):
    for config in CONFIGS:
        table = student_table(student, config)
        want_rows, want_total, _ = vgg11_summary(**config)
        for i, ((name, _, count), (_, _, want)) in enumerate(zip(table["rows"], want_rows)):
            assert count == want, f"{call(config)} row {i} ({name}): expected {want:,} parameters, got {count}"
        assert_int(table["total"], f"{call(config)}['total']")
        assert table["total"] == want_total, \
            f"{call(config)}['total']: expected {want_total:,} parameters (classic VGG: the first FC layer " \
            f"has C * (H/32) * (W/32) inputs, pools rounding down), got {table['total']}"


@pytest.mark.points(1)
def test_vgg11_fc_share(student):
    for config in [{}] + CONFIGS:
        got = student_table(student, config)["fc_share"]
        _, _, want = vgg11_summary(**config)
        assert isinstance(got, float) and abs(got - want) < 1e-9, \
            f"{call(config)}['fc_share']: expected the FC layers' share of the parameters, {want:.6f}, got {got!r}"
