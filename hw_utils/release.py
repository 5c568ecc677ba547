"""Student releases: what `nbgrader generate_assignment` makes of source/<hw>/.

release/ is committed, so it must be exactly what nbgrader generates from source/:
`hw release` regenerates it, and the project's tests regenerate it into a scratch
course and compare bytes, so a stale or hand-edited release fails CI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .course import ROOT, homeworks, release_folder, source_folder  # noqa: F401 - homeworks: what it releases


def generate(hw: str, course_root: Path = ROOT) -> Path:
    """Run nbgrader in course_root; return course_root/release/<hw>."""
    command = [sys.executable, "-m", "nbgrader", "generate_assignment", hw,
               "--no-db", "--force", "--log-level=WARN"]
    done = subprocess.run(command, cwd=course_root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader could not generate {hw}:\n{done.stdout}{done.stderr}")
    return release_folder(hw, course_root)


def generate_fresh(hw: str) -> Path:
    """Generate hw into a scratch copy of the course, leaving release/ untouched."""
    scratch = Path(tempfile.mkdtemp(prefix="hw-release-"))
    shutil.copy(ROOT / "nbgrader_config.py", scratch)
    shutil.copytree(source_folder(hw), source_folder(hw, scratch))
    return generate(hw, scratch)
