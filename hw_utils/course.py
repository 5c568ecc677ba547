"""The course's layout, its environment flags and its default limits, in one place.

    <ROOT>/source/<hw>/<hw>.ipynb      the instructor's notebook (solutions, nbgrader metadata)
    <ROOT>/release/<hw>/<hw>.ipynb     what students get (generated from source by `hw release`)
    <ROOT>/grader_tests/<hw>/          hidden tests, with pytest.ini beside the homework folders
    <ROOT>/submitted/<student>/<hw>/   submissions (`hw demo` writes its samples there)
    <ROOT>/autograded/<student>/<hw>/  results.json and feedback.txt (`hw grade --out`)

Environment flags (all optional):

    HW_GPU_TIER=1      run the gpu tier's tests without CUDA (slow; checks their code)
    HW_DATA_DIR        the data root (default: $XDG_CACHE_HOME/hw-course/data)
    HW_DOWNLOAD=1      let hw_utils.data download a missing dataset (default: never)
    HW_DATA_VERIFY=0   check only that dataset files exist, not their checksums
    HW_GIVEN_DATA      set by the grader inside a worker: the folder of training data it hands in

Importing this module imports nothing heavy: the worker, the cli and the plugin all use it.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADER_TESTS = ROOT / "grader_tests"
SUBMITTED = ROOT / "submitted"
AUTOGRADED = ROOT / "autograded"
GRADER_INI = GRADER_TESTS / "pytest.ini"  # the hidden tests' own pytest settings

GPU_TIER_ENV = "HW_GPU_TIER"
DATA_DIR_ENV = "HW_DATA_DIR"
DOWNLOAD_ENV = "HW_DOWNLOAD"
VERIFY_ENV = "HW_DATA_VERIFY"
GIVEN_ENV = "HW_GIVEN_DATA"

# Limits a grader may change (`hw grade --load-timeout/--call-timeout`, the plugin's options).
# Both count the worker's CPU time, with a wall-clock backstop (see sandbox.py).
DEFAULT_LOAD_TIMEOUT = 120.0  # seconds for the whole notebook to run
DEFAULT_CALL_TIMEOUT = 60.0  # seconds for one call into student code
DEFAULT_MEMORY_MB = 6144  # data segment of the worker, torch included (~1 GB)


def source_folder(hw: str, root: Path = ROOT) -> Path:
    return root / "source" / hw


def release_folder(hw: str, root: Path = ROOT) -> Path:
    return root / "release" / hw


def source_notebook(hw: str, root: Path = ROOT) -> Path:
    return source_folder(hw, root) / f"{hw}.ipynb"


def release_notebook(hw: str, root: Path = ROOT) -> Path:
    return release_folder(hw, root) / f"{hw}.ipynb"


def hidden_tests(hw: str) -> Path:
    return GRADER_TESTS / hw


def homeworks(root: Path = ROOT) -> list[str]:
    """Every homework with a source notebook, in course order."""
    return sorted(p.parent.name for p in (root / "source").glob("hw*/hw*.ipynb") if p.stem == p.parent.name)


def graded_homeworks() -> list[str]:
    """The homeworks that have hidden tests (a homework without them is not finished yet)."""
    return [hw for hw in homeworks() if hidden_tests(hw).is_dir()]


def env_flag(name: str, default: bool) -> bool:
    """A yes/no environment variable: unset or empty is the default; 0, false, no, off are no."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value not in ("0", "false", "no", "off")


def gpu_tier() -> bool:
    """Whether the gpu tier's tests run here: CUDA is available, or HW_GPU_TIER=1 forces them."""
    if os.environ.get(GPU_TIER_ENV) == "1":
        return True
    import torch  # only now: the cli and the worker import this module without torch

    return torch.cuda.is_available()


def user_cache() -> Path:
    """$XDG_CACHE_HOME/hw-course (default ~/.cache/hw-course): the data root and given data live below."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hw-course"
