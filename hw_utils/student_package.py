"""The students' course library: the wheel `hw-course`, built from this repository.

A student's notebook imports `hw_utils.data` (datasets, offline first) and `hw_utils.train`
(seeding, fit, curves); both need `hw_utils.course`. Those three modules, and nothing of the
grader (no sandbox, no hidden tests, no nbgrader, pytest or linters), go into one pure-Python
wheel with the torch and torchvision pins of pyproject.toml:

    pip install hw_course-<version>-py3-none-any.whl             # the library (VS Code, Colab, CI)
    pip install "hw_course-<version>-py3-none-any.whl[jupyter]"  # + JupyterLab and nbgrader validate

The wheel is written with zipfile, not a build backend: nothing is downloaded, and the same
sources give the same bytes (fixed timestamps, sorted entries), so a template repository that
commits it does not change unless the library does. Its version carries a hash of the modules
(`0.1.0+<hash>`), so pip replaces an older build instead of keeping it as "already installed".
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import re
import sys
import tomllib
import zipfile
from pathlib import Path

from . import course

DISTRIBUTION = "hw-course"
STUDENT_MODULES = ("course", "data", "train")  # hw_utils.<module>, what release notebooks import
STUDENT_DATA = ("surnames.tsv.gz",)  # hw_utils/<file>, data the modules read: hw07's names (data.load_names)
# Names in pyproject.toml's dependencies: the student gets the same pins as the grader.
REQUIREMENTS = ("torch", "torchvision", "numpy", "scikit-learn", "mlxtend", "tqdm", "matplotlib", "ipykernel",
                "tensorboard")
EXTRAS = {"jupyter": ("nbgrader",)}  # nbgrader brings JupyterLab and `nbgrader validate`
PYPROJECT = course.ROOT / "pyproject.toml"
PACKAGE = course.ROOT / "hw_utils"
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # every entry's timestamp: reproducible bytes

SUMMARY = "The course library students install: datasets (offline first) and training helpers."
DESCRIPTION = """\
Install it into the Python your homework notebook runs with, then open the notebook:

    python3 -m venv .venv && source .venv/bin/activate
    pip install "{wheel}[jupyter]"
    jupyter lab

Modules: hw_utils.data (load_tensors, load_arrays, load_dataset, make_loader, DatasetMissing)
and hw_utils.train (seed_everything, choose_device, fit, History, plot_history).
"""


def pyproject() -> dict:
    return tomllib.loads(PYPROJECT.read_text())


def pinned(names, dependencies: list[str]) -> list[str]:
    """The requirement lines of pyproject.toml for names, in that order."""
    by_name = {re.match(r"[A-Za-z0-9_.-]+", line).group(0).lower(): line for line in dependencies}
    missing = [name for name in names if name.lower() not in by_name]
    if missing:
        raise ValueError(f"pyproject.toml no longer lists {', '.join(missing)}: update student_package.REQUIREMENTS")
    return [by_name[name.lower()] for name in names]


def check_self_contained(modules=STUDENT_MODULES, package: Path = PACKAGE) -> None:
    """Raise if a student module imports a part of hw_utils that the wheel does not ship."""
    for name in modules:
        tree = ast.parse((package / f"{name}.py").read_text())
        for node in ast.walk(tree):
            wanted = []
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                wanted = [node.module] if node.module else [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hw_utils."):
                wanted = [node.module.split(".")[1]]
            elif isinstance(node, ast.Import):
                wanted = [a.name.split(".")[1] for a in node.names if a.name.startswith("hw_utils.")]
            outside = [w for w in wanted if w.split(".")[0] not in modules]
            if outside:
                raise ValueError(f"hw_utils/{name}.py imports hw_utils.{outside[0]}, which the student "
                                 f"library does not ship: add it to STUDENT_MODULES or drop the import")


def module_files(modules=STUDENT_MODULES) -> dict[str, bytes]:
    files = {f"hw_utils/{name}.py": (PACKAGE / f"{name}.py").read_bytes() for name in modules}
    return files | {f"hw_utils/{name}": (PACKAGE / name).read_bytes() for name in STUDENT_DATA}


def version(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256(b"".join(name.encode() + b"\0" + data for name, data in sorted(files.items())))
    return f"{pyproject()['project']['version']}+{digest.hexdigest()[:10]}"


def metadata(version_: str, wheel_name: str) -> str:
    project = pyproject()["project"]
    lines = ["Metadata-Version: 2.1", f"Name: {DISTRIBUTION}", f"Version: {version_}", f"Summary: {SUMMARY}",
             f"Requires-Python: {project['requires-python']}"]
    lines += [f"Requires-Dist: {line}" for line in pinned(REQUIREMENTS, project["dependencies"])]
    for extra, names in EXTRAS.items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {line}; extra == "{extra}"' for line in pinned(names, project["dependencies"])]
    lines.append("Description-Content-Type: text/plain")
    return "\n".join(lines) + "\n\n" + DESCRIPTION.format(wheel=wheel_name)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(out_dir: Path) -> Path:
    """Write hw_course-<version>-py3-none-any.whl into out_dir (created if needed); its path."""
    check_self_contained()
    files = module_files()
    version_ = version(files)
    stem = f"{DISTRIBUTION.replace('-', '_')}-{version_}"
    wheel = Path(out_dir) / f"{stem}-py3-none-any.whl"
    info = f"{stem}.dist-info"
    files[f"{info}/METADATA"] = metadata(version_, wheel.name).encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: hw_utils.student_package\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{info}/top_level.txt"] = b"hw_utils\n"
    record = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel.parent.mkdir(parents=True, exist_ok=True)
    partial = wheel.with_name(wheel.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():  # modules first, RECORD last, as wheels are read
            entry = zipfile.ZipInfo(name, ZIP_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    partial.replace(wheel)
    return wheel


def add_parser(commands) -> argparse.ArgumentParser:
    """`hw student-package`, registered by cli.main."""
    p = commands.add_parser(
        "student-package", help="build the course library students install (the wheel hw-course)",
        description="Write <out>/hw_course-<version>-py3-none-any.whl: hw_utils.data, hw_utils.train and "
                    "hw_utils.course with the grader's torch/torchvision pins, nothing of the grader. Publish it "
                    "beside the release notebooks (hw classroom-template puts it in the template repository).")
    p.add_argument("--out", type=Path, default=course.ROOT / "dist",
                   help="folder the wheel is written to (default: the kit's dist/, %(default)s)")
    return p


def cmd_student_package(args) -> int:
    try:
        wheel = build_wheel(args.out)
    except (ValueError, OSError) as err:
        print(f"hw student-package: {err}", file=sys.stderr)
        return 2
    print(f"wrote {wheel}\nstudents install it with: pip install \"{wheel.name}[jupyter]\" "
          "(see README.md, Student flow)")
    return 0
