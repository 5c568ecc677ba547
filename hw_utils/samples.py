"""Sample submissions for the demo and the tests, made from the source and the release.

`hw samples <hw> [--out DIR]` writes them for one homework (default: the kit's submitted/),
so an instructor can grade a new question against its own reference and blank release.

- reference: the instructor's notebook (solutions in place);
- blank: the student release, untouched;
- partial: the release with the first half of its solution cells filled in.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from .course import SUBMITTED, homeworks, release_notebook, source_notebook
from .notebook import nbgrader_meta


def solution_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and nbgrader_meta(c).get("solution")]


def strip_markers(source: str) -> str:
    """The solution as a student would type it: nbgrader's markers removed."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def fill_in(release_nb, source_nb, grade_ids: set[str]):
    """Copy of release_nb whose cells with these grade_ids hold the source's solution."""
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in solution_cells(source_nb)}
    filled = nbformat.from_dict(release_nb)
    for cell in filled.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in grade_ids:
            cell.source = strip_markers(answers[grade_id])
    return filled


def write_samples(hw: str, out_root: Path) -> dict[str, Path]:
    """Write out_root/<student>/<hw>/<hw>.ipynb for the three sample students."""
    source_nb = nbformat.read(source_notebook(hw), as_version=4)
    release_nb = nbformat.read(release_notebook(hw), as_version=4)
    ids = [nbgrader_meta(c)["grade_id"] for c in solution_cells(source_nb)]
    notebooks = {
        "reference": source_nb,
        "blank": release_nb,
        "partial": fill_in(release_nb, source_nb, set(ids[: len(ids) // 2])),
    }
    paths = {}
    for student, nb in notebooks.items():
        path = out_root / student / hw / f"{hw}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        paths[student] = path
    return paths


def cmd_samples(hw: str, out_root: Path = SUBMITTED) -> int:
    """`hw samples`: write the three samples of hw, print their paths; exit 2 with one line if it cannot."""
    known = homeworks()
    if hw not in known:
        print(f"hw samples: unknown homework {hw!r}; the homeworks are {', '.join(known)}", file=sys.stderr)
        return 2
    if not release_notebook(hw).is_file():
        print(f"hw samples: release/{hw}/{hw}.ipynb is missing: run `hw release {hw}` first", file=sys.stderr)
        return 2
    try:
        paths = write_samples(hw, out_root)
    except OSError as err:
        print(f"hw samples: cannot write under {out_root}: {err.strerror or err}", file=sys.stderr)
        return 2
    for student, path in paths.items():
        print(f"{student}: {path}")
    return 0
