"""A student's machine, made here: a fresh venv outside this repository with the course wheel.

Used by tests/test_student_setup.py and benchmarks/student_setup.py. The venv is made with
`python -m venv` and the wheel installed with the command the README gives students:

    pip install "hw_course-<version>-py3-none-any.whl[jupyter]"

With share_torch (the test), torch, torchvision and their CUDA libraries (6 GB, most of a
from-nothing install's time) are not installed again: a .pth file points the venv at a folder
of links to the kit's own copies, and pip counts them as installed. Everything else (numpy,
scikit-learn, mlxtend, matplotlib, ipykernel, nbgrader, torch's own small dependencies) is
installed for real, so a dependency the wheel forgets to declare is missing there. The
benchmark installs everything from nothing.

Nothing in the venv can see this repository: it is made in a folder outside it, no
PYTHONPATH, the notebooks run in a copy of their release folder, and the kit's editable
hw_utils is not shared (a .pth in the shared folder is never processed: only site folders'
are). Each notebook's first cell checks where hw_utils comes from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

SHARED_PREFIXES = ("torch", "torchgen", "torchvision", "nvidia", "triton", "cuda")

# Run inside the student's venv: execute a notebook until its first error. Prints one line,
# "STUB <cell> <grade_id>" for a NotImplementedError (what a release should stop at),
# "DONE" when every cell ran, or "ERROR ..." with the error; and first, where hw_utils is.
RUNNER = r'''
import sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
probe = nbformat.v4.new_code_cell(
    "import importlib.util as _u, sys as _s\n"
    "print('PROBE', _s.executable, _u.find_spec('hw_utils.data').origin, [_u.find_spec(m) is not None "
    "for m in ('hw_utils.sandbox', 'hw_utils.grading', 'nbgrader', 'pytest', 'actionlint')])")
nb.cells.insert(0, probe)
client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "."}})
try:
    client.execute()
    status = "DONE"
except CellExecutionError as err:
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(
        o.get("output_type") == "error" for o in c.get("outputs", [])))
    cell = nb.cells[index]
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "-")
    if err.ename == "NotImplementedError":
        status = f"STUB {index - 1} {grade_id}"
    else:
        status = f"ERROR in cell {index - 1} ({grade_id}): {err.ename}: {err.evalue}"
print("".join(o.get("text", "") for o in nb.cells[0].outputs).strip())
print(status)
'''


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a student's shell: no PYTHONPATH, no venv of ours, own Jupyter folders."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
           and not k.startswith(("JUPYTER", "NBGRADER", "HW_", "PYTEST"))}
    env.update(JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               IPYTHONDIR=str(home / "ipython"), MPLCONFIGDIR=str(home / "matplotlib"), MPLBACKEND="Agg",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               # One torch thread: the kit's tests run two at a time on two cores (and one of them
               # may keep every core busy on purpose); more threads than cores make torch's
               # thread pool spin and a 10 s notebook take minutes.
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def make_venv(folder: Path, wheel: Path, share_torch: bool) -> tuple[Path, dict[str, float]]:
    """A venv in folder/venv with the wheel and its [jupyter] extra: (its python, seconds per step)."""
    timings = {}
    started = time.monotonic()
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    timings["venv"] = time.monotonic() - started
    if share_torch:
        site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip())
        shared = folder / "shared-torch"
        shared.mkdir()
        ours = Path(sysconfig.get_paths()["purelib"])
        for entry in ours.iterdir():
            if entry.name.split("-")[0].split(".")[0] in SHARED_PREFIXES:
                (shared / entry.name).symlink_to(entry)
        (site / "shared_torch.pth").write_text(f"{shared}\n")
    started = time.monotonic()
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"{wheel}[jupyter]"],
                          capture_output=True, text=True, cwd=folder, env=clean_env(folder))
    timings["pip install"] = time.monotonic() - started
    if done.returncode:
        raise RuntimeError(f"pip install failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return python, timings


def run_notebook(python: Path, notebook: Path, home: Path, validating: bool = False) -> tuple[str, str]:
    """Run notebook (in its own folder) with the venv's Jupyter: (the probe line, the status line).

    validating: as under `nbgrader validate` (hw_utils.train.validating() is True: long demos
    skip themselves), but stopping at any error, in any cell; validate reports graded cells only.
    """
    runner = home / "run_until_error.py"
    runner.write_text(RUNNER)
    env = clean_env(home) | ({"NBGRADER_EXECUTION": "validate"} if validating else {})
    done = subprocess.run([str(python), str(runner), notebook.name], capture_output=True, text=True,
                          cwd=notebook.parent, env=env, timeout=900)
    lines = done.stdout.strip().splitlines()
    if done.returncode or len(lines) < 2:
        raise RuntimeError(f"the runner failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return lines[-2], lines[-1]


def validate(python: Path, notebook: Path, home: Path) -> str:
    """`nbgrader validate` as the student runs it (the venv's nbgrader, in the notebook's folder)."""
    nbgrader = python.parent / "nbgrader"
    done = subprocess.run([str(nbgrader), "validate", notebook.name], capture_output=True, text=True,
                          cwd=notebook.parent, env=clean_env(home), timeout=900)
    return done.stdout + done.stderr


def copy_folder(folder: Path, into: Path) -> Path:
    """A copy of a release or source folder (the notebook and what is released beside it)."""
    into.mkdir(parents=True)
    for item in folder.iterdir():
        if item.is_file():
            shutil.copyfile(item, into / item.name)
    return into
