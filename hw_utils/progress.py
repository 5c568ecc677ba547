"""Progress of a grading run on stderr: k of N, elapsed, an estimate of what is left.

A bar (tqdm) on a terminal; plain lines elsewhere (CI logs): one per finished submission
and one every `every` seconds while a long one runs. A broken display never stops grading.

Which test is running: this module is also a pytest plugin (`-p hw_utils.progress
--hw-status-dir=DIR`, see `pytest_args`), loaded in each grading process, that writes
"<submission>: <test id>" into DIR/<pid> as each test starts; the display reads DIR.
DIR lies under the grades' folder, which the sandbox hides from student code.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path


STATUS_OPTION = "--hw-status-dir"


class Progress:
    def __init__(self, total: int, stream=None, every: float = 60.0, status_root: Path | None = None):
        self.total, self.done = total, 0
        self.status_dir = _status_dir(status_root)
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.bar = None
        self._stop = threading.Event()
        try:
            if self.stream.isatty():
                from tqdm import tqdm

                self.bar = tqdm(total=total, file=self.stream, unit="submission", dynamic_ncols=True)
            if total > 0:
                every = min(every, 2.0) if self.bar is not None else every
                threading.Thread(target=self._heartbeat, args=(every,), daemon=True).start()
        except Exception:  # noqa: BLE001 - no display is better than no grades
            self.bar = None

    def finished(self, student: str):
        """One more submission graded (or refused, or failed)."""
        self.done += 1
        try:
            if self.bar is not None:
                self.bar.set_postfix_str(student, refresh=False)
                self.bar.update(1)
            else:
                self._line(f"{student} done")
        except Exception:  # noqa: BLE001 - see the module's docstring
            pass

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        text = f"{self.done} of {self.total} graded, {_clock(elapsed)} elapsed"
        if 0 < self.done < self.total:
            text += f", about {_clock(elapsed / self.done * (self.total - self.done))} left"
        return text

    def pytest_args(self) -> tuple[str, ...]:
        """What each grading's pytest needs to report its running test here (nothing if it cannot)."""
        return ("-p", __name__, f"{STATUS_OPTION}={self.status_dir}") if self.status_dir else ()

    def running(self) -> list[str]:
        """"<submission>: <test id>" for each test running now, one per grading process."""
        if not self.status_dir:
            return []
        found = []
        for entry in sorted(self.status_dir.iterdir()):
            if entry.name.startswith("."):  # being written
                continue
            try:
                found.append(entry.read_text().strip())
            except OSError:  # finished and removed meanwhile
                pass
        return [line for line in found if line]

    def _line(self, what: str):
        print(f"[progress] {self.line()} ({what})", file=self.stream, flush=True)

    def _heartbeat(self, every: float):
        while not self._stop.wait(every):
            try:
                running = "; ".join(self.running())
                if self.bar is not None:
                    self.bar.set_postfix_str(running[:120])
                else:
                    self._line(f"still grading: {running}" if running else "still grading")
            except Exception:  # noqa: BLE001
                return

    def close(self):
        self._stop.set()
        if self.status_dir:
            shutil.rmtree(self.status_dir, ignore_errors=True)
        try:
            if self.bar is not None:
                self.bar.close()
        except Exception:  # noqa: BLE001
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _status_dir(root: Path | None) -> Path | None:
    if root is None:
        return None
    try:
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".progress-", dir=root))  # a dot: never a student
    except OSError:
        return None


# --------------------------------------------------------------------------- the pytest plugin


def pytest_addoption(parser):
    parser.addoption(STATUS_OPTION, default=None, help="folder where the running test is reported")


def pytest_runtest_logstart(nodeid, location):
    _report_running(nodeid)


def pytest_sessionfinish(session):
    _report_running("")


_config = None


def pytest_configure(config):
    global _config
    _config = config


def _report_running(nodeid: str):
    """Write '<submission>: <nodeid>' for this process; never raises (a display must not fail grading)."""
    try:
        folder = _config.getoption(STATUS_OPTION) if _config else None
        if not folder:
            return
        parts = Path(str(_config.getoption("--submission", default="") or "")).parts
        # submitted/<student>/<hw>/<hw>.ipynb: the student, as hw grade names them
        submission = parts[-3] if len(parts) >= 3 and Path(parts[-1]).stem == parts[-2] else parts[-1]
        path = Path(folder) / str(os.getpid())
        if not nodeid:
            path.unlink(missing_ok=True)
            return
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(f"{submission}: {nodeid.rsplit('/', 1)[-1]}\n")
        os.replace(temporary, path)
    except Exception:  # noqa: BLE001
        pass
