"""Submissions the grader must score right: per homework, the reference, the blank
release, plausible wrong answers (mutants), weak baselines and correct alternatives (see
tests/variants.py for the kinds); for hw01 also broken and hostile inputs.

Each variant is made by editing solution cells of the reference notebook. Every edit must
apply exactly once, so a change to the notebook that silently defuses a variant fails.
A homework's variants live in tests/corpus_hwNN.py (MUTANTS, WEAK, CORRECT); a new homework
adds its module to VARIANT_MODULES and tests/test_discrimination.py does the rest.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import nbformat

from hw_utils.notebook import nbgrader_meta
from variants import Correct, Mutant, Weak

ROOT = Path(__file__).resolve().parent.parent
HW = "hw01_backprop"
SOURCE = ROOT / "source" / HW / f"{HW}.ipynb"

VARIANT_MODULES = {"hw00_basics": "corpus_hw00",
                   "hw01_backprop": "corpus_hw01", "hw02_init": "corpus_hw02", "hw03_mlp": "corpus_hw03",
                   "hw04_cnn": "corpus_hw04", "hw05_optim": "corpus_hw05",
                   "hw06_regularization": "corpus_hw06", "hw07_rnn": "corpus_hw07", "hw08_autoencoders": "corpus_hw08", "hw09_challenge": "corpus_hw09"}


def source_path(hw: str) -> Path:
    return ROOT / "source" / hw / f"{hw}.ipynb"


def release_path(hw: str) -> Path:
    return ROOT / "release" / hw / f"{hw}.ipynb"


def _variants(hw: str, kind: str) -> list:
    if hw not in VARIANT_MODULES:
        return []
    return list(getattr(importlib.import_module(VARIANT_MODULES[hw]), kind))


MUTANTS: dict[str, list[Mutant]] = {hw: _variants(hw, "MUTANTS") for hw in VARIANT_MODULES}
WEAK: dict[str, list[Weak]] = {hw: _variants(hw, "WEAK") for hw in VARIANT_MODULES}
CORRECT: dict[str, list[Correct]] = {hw: _variants(hw, "CORRECT") for hw in VARIANT_MODULES}


def variants(hw: str) -> list:
    """Every mutant, weak baseline and correct alternative of hw; names are unique."""
    every = [*MUTANTS.get(hw, []), *WEAK.get(hw, []), *CORRECT.get(hw, [])]
    names = [v.name for v in every]
    assert len(names) == len(set(names)), f"{hw}: two variants share a name"
    return every


def build(hw: str, variant):
    """The reference notebook with the variant's edits applied."""
    nb = load(source_path(hw))
    for edit in variant.edits:
        nb = edit.apply(nb)
    return nb


def tests_by_name(grade) -> dict:
    return {t.name: t for t in grade.tests}


def edit_cell(nb, grade_id: str, old: str, new: str):
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    assert len(cells) == 1, f"no single cell with grade_id {grade_id!r}"
    count = cells[0].source.count(old)
    assert count == 1, f"{old!r} occurs {count} times in cell {grade_id!r}, expected once"
    cells[0].source = cells[0].source.replace(old, new)
    return nb


def replace_cell(nb, grade_id: str, new_source: str):
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)
    cell.source = new_source
    return nb


def add_first_code_cell(nb, source: str):
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def load(path: Path):
    return nbformat.read(path, as_version=4)


def write_submissions(hw: str, notebooks: dict, out: Path) -> dict[str, Path]:
    """Write each notebook (or raw text) as out/<name>/<hw>/<hw>.ipynb."""
    paths = {}
    for name, nb in notebooks.items():
        path = out / name / hw / f"{hw}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
        paths[name] = path
    return paths


def reference_and_blank(hw: str) -> dict:
    return {"reference": load(source_path(hw)), "blank": load(release_path(hw))}


def standard_corpus(hw: str) -> dict:
    """reference, blank and every mutant of hw, as notebooks."""
    return {**reference_and_blank(hw), **{m.name: build(hw, m) for m in MUTANTS.get(hw, [])}}


HIDDEN_TEST = ROOT / "grader_tests" / HW / "test_neuron.py"


def hostile_corpus(out: Path) -> dict:
    """hw01 submissions that are broken, or try to break the grader or the rest of the class.

    out is where the batch's results go; "victim" is graded first, so the attacks on its
    results.json aim at a real file.
    """
    source, release = source_path(HW), release_path(HW)
    victim = out / "victim" / HW / "results.json"
    attack_cells = [
        f"stolen = open({str(HIDDEN_TEST)!r}).read()",
        f"open({str(victim)!r}, 'w').write('{{\"score\": 0}}')",
        "import os\nfor name in os.listdir('.'):\n    os.remove(name)",
        "print('x' * 50_000_000)",
    ]
    attacker = load(source)
    for cell in reversed(attack_cells):
        attacker = add_first_code_cell(attacker, cell)
    raises = edit_cell(load(source), "softmax", "shifted = logits", "raise KeyboardInterrupt\n    shifted = logits")
    raises = edit_cell(raises, "mse", "return float(np.mean((y - t) ** 2))", "raise BaseException('mse')")
    return {
        "victim": load(source),
        "reads_and_writes_what_it_must_not": attacker,
        "loops_in_a_function": edit_cell(load(source), "neuron_forward", "z = w * x + b\n",
                                         "while True:\n        pass\n    z = w * x + b\n"),
        "spawns_processes": edit_cell(load(source), "net322_forward", 'z1 = params["W1"]', (
            "import subprocess\n    for _ in range(500):  # bounded, should the limit ever fail\n"
            "        subprocess.Popen(['sleep', '60'])\n    z1 = params[\"W1\"]")),
        "raises_base_exceptions": raises,
        "function_deleted": replace_cell(load(source), "sgd_step", "# I deleted sgd_step by mistake\n"),
        "syntax_error": edit_cell(load(source), "mse", "def mse(y, t):", "def mse(y, t)"),
        "exits_at_top": add_first_code_cell(load(release), "import sys\nsys.exit(0)"),
        "os_exit_in_function": edit_cell(load(source), "neuron_forward", "z = w * x + b\n", "import os\n    os._exit(0)\n"),
        "infinite_loop_at_top": add_first_code_cell(load(release), "while True:\n    pass"),
        "patches_allclose": add_first_code_cell(load(release), (
            "import numpy, torch, builtins\n"
            "torch.allclose = lambda *a, **k: True\n"
            "numpy.allclose = lambda *a, **k: True\n"
            "numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)\n"
            "builtins.abs = lambda x: 0\n"
            "builtins.isinstance = lambda obj, cls: True\n"
            "import pytest\npytest.approx = lambda *a, **k: True\npytest.fail = lambda *a, **k: None\n")),
        "not_json": "this is not JSON {",
        "json_not_notebook": '{"hello": "world"}',
    }
