"""Gradescope: `hw gradescope <hw>` builds the autograder zip; `run` grades one upload inside it.

The zip, as Gradescope wants it (unpacked into /autograder/source when it builds the image):

    setup.sh                    once per image, as root: Python >= 3.11, then the kit's pins
    run_autograder              once per submission: grades /autograder/submission
    hw_utils/                   the grader; course.ROOT becomes /autograder/source
    grader_tests/pytest.ini     the hidden tests' settings
    grader_tests/<hw>/          this homework's hidden tests and its _reference.py, nothing else
    source/<hw>/<hw>.ipynb      the instructor's notebook: grading runs the given cells from it
    deadlines.toml              the course's late policy, when it has one (late.py): the penalty
                                uses the submission time Gradescope records

Per submission Gradescope puts the upload in /autograder/submission and reads
/autograder/results/results.json (results.py: Gradescope's schema). `run` finds the one
notebook whatever its name, grades it with the hidden tests, and always leaves a
results.json: a placeholder first, then the grade or the reason there is none (no notebook,
two notebooks, a grader failure); run_autograder writes one itself if Python cannot start.

HW_AUTOGRADER_ROOT replaces /autograder and HW_AUTOGRADER_PYTHON the image's Python, so
tests/test_gradescope.py runs the zip in a fake tree with the kit's own venv.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import stat
import sys
import time
import tomllib
import zipfile
from pathlib import Path

from . import course, late, results
from .results import GRADER_FAILURE, REFUSED, Grade

ROOT_ENV = "HW_AUTOGRADER_ROOT"  # default /autograder
PYTHON_ENV = "HW_AUTOGRADER_PYTHON"  # default <root>/venv/bin/python, made by setup.sh
DEFAULT_ROOT = Path("/autograder")
HIDDEN_TESTS = ("visible", "after_due_date", "hidden")  # what `--hidden-tests` offers
# Gradescope's graders have no GPU: the CPU wheels of the pinned torch/torchvision, not PyPI's
# Linux wheels, which bring gigabytes of CUDA libraries into every image.
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_PACKAGES = ("torch", "torchvision")
SKIPPED_FOLDERS = {".ipynb_checkpoints", "__MACOSX", "__pycache__"}  # not where a student's notebook is


# --------------------------------------------------------------------------- the zip


def build_zip(hw: str, out_dir: Path, hidden_tests: str = "visible") -> Path:
    """Write <out_dir>/<hw>_gradescope.zip (whole or not at all) and return its path."""
    if hw not in course.graded_homeworks():
        raise ValueError(f"no hidden tests for {hw!r}: graded homeworks are {', '.join(course.graded_homeworks())}")
    if hidden_tests not in HIDDEN_TESTS:
        raise ValueError(f"--hidden-tests must be one of {', '.join(HIDDEN_TESTS)}, not {hidden_tests!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{hw}_gradescope.zip"
    partial = out_dir / f".{target.name}.tmp"
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (data, executable) in sorted(zip_members(hw, hidden_tests).items()):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # same bytes every build
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def zip_members(hw: str, hidden_tests: str) -> dict[str, tuple[bytes, bool]]:
    """name in the zip -> (bytes, executable). Only what grading hw reads: see the module docstring."""
    members = {
        "setup.sh": (setup_script().encode(), True),
        "run_autograder": (run_script(hw, hidden_tests).encode(), True),
    }
    for folder in (course.ROOT / "hw_utils", course.hidden_tests(hw)):
        for path in sorted(folder.rglob("*")):
            # Not caches, and not dot-files (an editor's swap file, .DS_Store): nothing else.
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith("."):
                members[path.relative_to(course.ROOT).as_posix()] = (path.read_bytes(), False)
    for path in (course.GRADER_INI, course.source_notebook(hw)):
        members[path.relative_to(course.ROOT).as_posix()] = (path.read_bytes(), False)
    policy = late.default_policy_file()
    if policy.is_file():  # the course's deadlines: run() applies the late policy with Gradescope's times
        members[policy.name] = (policy.read_bytes(), False)
    return members


def requirements() -> list[str]:
    """pyproject.toml's dependencies, as written there: the pins setup.sh installs."""
    with (course.ROOT / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def _package(requirement: str) -> str:
    name = requirement
    for mark in "<>=!~[; ":
        name = name.split(mark, 1)[0]
    return name.strip().lower()


def setup_script() -> str:
    pins = requirements()
    torch = [r for r in pins if _package(r) in TORCH_PACKAGES]
    return SETUP_SH.format(torch=_bash_array(torch), requirements=_bash_array(pins), torch_index=TORCH_INDEX)


def _bash_array(items: list[str]) -> str:
    return " ".join(shlex.quote(item) for item in items)


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (network on).
# Generated by `hw gradescope` from the kit's pyproject.toml: do not edit, rebuild the zip.
set -euo pipefail

ROOT="${{HW_AUTOGRADER_ROOT:-/autograder}}"
VENV="$ROOT/venv"
TORCH=({torch})
REQUIREMENTS=({requirements})

python_ok() {{ "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }}

find_python() {{
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}}

# Ubuntu 22.04 (Gradescope's default image) has Python 3.10; 3.11 is in its universe component.
# Ubuntu 24.04 has 3.12 but not always its venv module.
PYTHON=$(find_python || true)
if [ -z "$PYTHON" ]; then
    apt-get update || true  # a failure here ends in the message below, not in apt's alone
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3.11 python3.11-venv || true
    PYTHON=$(find_python || true)
fi
if [ -z "$PYTHON" ]; then
    echo "setup.sh: no Python >= 3.11 could be installed; choose the Ubuntu 22.04 or 24.04 base image" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$(basename "$PYTHON")-venv"
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# torch and torchvision first, from PyTorch's CPU index (no GPU here: no CUDA libraries);
# then everything from PyPI, where those two are already satisfied (or, if the CPU index
# failed, come with their CUDA libraries: larger, and the same results on a CPU).
if ! "$VENV/bin/python" -m pip install --quiet --index-url {torch_index} "${{TORCH[@]}}"; then
    echo "setup.sh: ${{TORCH[*]}} not installed from {torch_index}; PyPI's wheels instead" >&2
fi
"$VENV/bin/python" -m pip install --quiet "${{REQUIREMENTS[@]}}"

# Import the grader and build its cached training data now: a broken image fails here, at
# build time, and no submission pays for the data.
PYTHONPATH="$ROOT/source" "$VENV/bin/python" -m hw_utils.gradescope prepare
"""


def run_script(hw: str, hidden_tests: str) -> str:
    fallback = results.results_json(_grader_failure(hw, "the grader could not run to its end"))
    return RUN_AUTOGRADER.format(hw=shlex.quote(hw), hidden=shlex.quote(hidden_tests), fallback=json.dumps(fallback))


RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission, as root, in /autograder. Generated by `hw gradescope`.
# Whatever happens, it leaves a results.json: if the grader cannot run to its end, one that says so.
ROOT="${{HW_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{HW_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"

PYTHONPATH="$ROOT/source" "$PYTHON" -m hw_utils.gradescope run {hw} --hidden-tests {hidden}
status=$?
if [ "$status" -ne 0 ]; then
    echo "run_autograder: the grader exited with status $status; writing a grader failure" >&2
    mkdir -p "$ROOT/results"
    cat > "$ROOT/results/results.json" <<'EOF'
{fallback}
EOF
fi
exit 0
"""


# --------------------------------------------------------------------------- one submission


def autograder_root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def run(hw: str, hidden_tests: str, root: Path | None = None) -> int:
    """Grade the upload in <root>/submission; write <root>/results/results.json. Always 0 once
    a results.json is written: what went wrong is in it (and on stdout, for the instructor)."""
    root = root or autograder_root()
    started = time.monotonic()
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"hw gradescope: grading {hw} with the hidden tests in {course.hidden_tests(hw)}", flush=True)
    # First a results.json that says grading did not finish: a grader killed by Gradescope's
    # time limit leaves this, not nothing.
    _write(out, _grader_failure(hw, "grading did not finish (the autograder's time limit?)"), "visible")
    try:
        grade = grade_upload(hw, root)
    except Exception as err:  # noqa: BLE001 - the student gets a reason, the instructor the error
        grade = _grader_failure(hw, f"{type(err).__name__}: {err}")
    if grade.not_graded is None:
        grade.tests += late.on_gradescope(hw, root, grade)
    grade.execution_time = time.monotonic() - started
    _write(out, grade, hidden_tests)
    print(results.feedback_text(grade), flush=True)  # stdout: shown to instructors only
    return 0


def grade_upload(hw: str, root: Path) -> Grade:
    from . import grading, sandbox  # torch: only once there is a notebook to grade

    submission = root / "submission"
    notebook, problem = find_notebook(submission, hw)
    if problem:
        grade = results.not_graded(hw, submission, REFUSED, problem)
        grade.load_problems = problem  # also the top-level output, the first thing students read
        return grade
    # Everything Gradescope put in the tree (other uploaded files, submission_metadata.json
    # with names and earlier results, the results folder) stays out of the worker's reach.
    args = (f"--hide={root}",)
    gaps = sandbox.confinement_gaps()
    if any(gap.startswith("no worker could start") for gap in gaps):
        raise RuntimeError(gaps[0])  # every test would fail for a reason that is not the student's
    if gaps:
        # Each submission has a container of its own: what an unconfined submission can reach
        # is this container (its own grade, the hidden tests in it), never another student's.
        # Refusing would give every student 0, so it grades, and the feedback says so.
        print(f"WARNING: this container cannot fully confine student code (missing: {', '.join(gaps)})",
              flush=True)
        args += (f"--unconfined={', '.join(gaps)}",)
    return grading.grade(hw, notebook, args)


def find_notebook(folder: Path, hw: str) -> tuple[Path | None, str]:
    """(the one .ipynb uploaded, "") or (None, what to upload instead), whatever its name."""
    what = f"upload your notebook ({hw}.ipynb, any name will do) as one .ipynb file"
    if not folder.is_dir():
        return None, f"nothing was uploaded: {what}"
    notebooks, others = [], []
    for top, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS and not f.startswith("."))
        for name in sorted(files):
            path = Path(top, name)
            shown = path.relative_to(folder).as_posix()
            if name.lower().endswith(".ipynb") and not name.startswith("."):
                notebooks.append((path, shown))
            else:
                others.append(shown)
    if not notebooks:
        uploaded = f" (you uploaded: {_some(others)})" if others else ""
        return None, f"no notebook was found in your upload{uploaded}: {what}"
    if len(notebooks) > 1:
        return None, (f"your upload holds {len(notebooks)} notebooks ({_some([s for _, s in notebooks])}); "
                      f"grading needs exactly one: {what}")
    path, shown = notebooks[0]
    if not stat.S_ISREG(os.lstat(path).st_mode):  # a link could make the grader read another file
        return None, f"{shown} is not a regular file (a link?): {what}"
    return path, ""


def _some(names: list[str], most: int = 5) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def _grader_failure(hw: str, why: str) -> Grade:
    message = f"grader failure, not your fault: {why}; tell your instructor, who can regrade this submission"
    grade = results.not_graded(hw, "", GRADER_FAILURE, message)
    grade.load_problems = message
    return grade


def _write(path: Path, grade: Grade, hidden_tests: str):
    results.atomic_write(path, json.dumps(results.results_json(grade, hidden_tests), indent=2) + "\n")


def prepare() -> int:
    """setup.sh's last step: the grader imports, the training data is cached in the image, and
    the build log says what this machine can confine (the graders' machines may differ)."""
    from . import data, sandbox

    print(f"given data: {data.given_data()}", flush=True)
    gaps = sandbox.confinement_gaps()
    print("confinement: " + (f"missing {', '.join(gaps)}" if gaps else "complete"), flush=True)
    return 0


# --------------------------------------------------------------------------- command lines


def add_parser(commands) -> argparse.ArgumentParser:
    """`hw gradescope`, registered by cli.main."""
    graded = course.graded_homeworks()
    p = commands.add_parser(
        "gradescope", help="build the Gradescope autograder zip of a homework",
        description="Write <out>/<hw>_gradescope.zip: setup.sh and run_autograder at its root, the "
                    "grader, this homework's hidden tests and its source notebook, nothing else. "
                    "Upload it as a Gradescope programming assignment's autograder.")
    p.add_argument("homework", help=f"one of: {', '.join(graded)}")
    p.add_argument("--out", type=Path, default=course.ROOT / "dist",
                   help="folder the zip is written to (default: the kit's dist/, %(default)s)")
    p.add_argument("--hidden-tests", choices=HIDDEN_TESTS, default="visible",
                   help="when students see the tests that are not public (default: %(default)s); "
                        "after_due_date also hides the total score until then")
    return p


def cmd_gradescope(args) -> int:
    try:
        path = build_zip(args.homework, args.out, args.hidden_tests)
    except (ValueError, OSError) as err:
        print(f"hw gradescope: {err}", file=sys.stderr)
        return 2
    with zipfile.ZipFile(path) as archive:
        count = len(archive.namelist())
    print(f"wrote {path} ({count} files, {path.stat().st_size / 1e3:.0f} kB): upload it as the assignment's "
          f"autograder (hidden tests {args.hidden_tests})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Inside the image: `python -m hw_utils.gradescope run <hw> ...` or `... prepare`."""
    parser = argparse.ArgumentParser(prog="python -m hw_utils.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("run", help="grade /autograder/submission into /autograder/results")
    p.add_argument("homework")
    p.add_argument("--hidden-tests", choices=results.VISIBILITIES, default="visible")
    commands.add_parser("prepare", help="check the grader imports; cache the training data")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return prepare()
    return run(args.homework, args.hidden_tests)


if __name__ == "__main__":
    sys.exit(main())
