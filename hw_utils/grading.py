"""The pytest plugin that grades one submission, and `grade()` that drives it.

Hidden tests live in `grader_tests/<hw>/` and import hw_utils.testing; this plugin gives
them the fixtures `student` (the submission's top-level names, reached through the
sandbox), `seed` and `measure`, and the markers in MARKERS. Without `--submission`, the
tests grade the homework's reference solution, so
`pytest -p hw_utils.grading -c grader_tests/pytest.ini grader_tests/hw01_backprop` checks
the tests themselves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import os
import re
import sys
import time
import zlib
from pathlib import Path

import pytest

from . import course, notebook, sandbox, version
from .course import GRADER_TESTS, source_notebook  # noqa: F401 - GRADER_TESTS: the tests find homeworks by it
from .results import Grade, TestResult

# The one list of markers a hidden test may use (grader_tests/pytest.ini: --strict-markers).
MARKERS = {
    "points": "points(n): how many points a graded test is worth (a positive number; default 1)",
    "public": "public: a check students also see in the release notebook",
    "gpu": "gpu: needs CUDA and the full dataset; skipped elsewhere (HW_GPU_TIER=1 runs it anyway)",
    "call_timeout": "call_timeout(s): this test's calls into student code may take up to s seconds "
                    "(never less than --call-timeout)",
    "accuracy": "accuracy: measures a trained model against a bar; the proof corpus's weak baselines must fail it",
}
# Markers that take one positive number, and what it is.
_NUMBER_MARKERS = {"points": "the points the test is worth", "call_timeout": "seconds"}
_LOAD_PROBLEMS = pytest.StashKey[str]()  # what grade() reports from the session
# Markers a student may read as tags of a test (Gradescope shows them; `public` also sets visibility).
TAG_MARKERS = ("public", "accuracy", "gpu")


@dataclasses.dataclass(frozen=True)
class Label:
    """What a student reads about a test, decided at collection from the whole homework's tests."""

    title: str  # "Part A: neuron backward parameters", unique within the homework
    number: str  # "1.3": the part's rank, then the test's place in its file
    tags: tuple[str, ...]  # the file's part, and the TAG_MARKERS it carries
    description: str  # the first paragraph of the test's docstring, on one line


LABEL = pytest.StashKey[Label]()  # item.stash[LABEL]: each collected hidden test's Label


# --------------------------------------------------------------------------- the plugin


def pytest_addoption(parser):
    group = parser.getgroup("hw grading")
    group.addoption("--submission", help="notebook to grade (default: the reference solution)")
    group.addoption("--load-timeout", type=float, default=course.DEFAULT_LOAD_TIMEOUT)
    group.addoption("--call-timeout", type=float, default=course.DEFAULT_CALL_TIMEOUT)
    group.addoption("--hide", action="append", default=[],
                    help="a folder student code must not read (besides the course repository)")
    group.addoption("--threads", type=int, default=0, help="torch threads per worker (0: torch's default)")
    group.addoption("--seed", type=int, default=0,
                    help="added to every seed the hidden tests choose (calibration grades several seeds)")
    group.addoption("--unconfined", default="",
                    help="what the kernel could not enforce (hw grade --allow-unconfined): said in the feedback")


def pytest_configure(config):
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)
    config.pluginmanager.register(_SubmissionSession(config), "hw-submission")


@pytest.hookimpl(tryfirst=True)  # before -k deselects: numbers do not depend on the selection
def pytest_collection_modifyitems(config, items):
    problems = [problem for item in items for problem in marker_problems(item)]
    if problems:
        # The instructor's mistake, found before any student code runs: no test is graded.
        raise pytest.UsageError("\n".join(problems))
    for item, label in zip(items, labels(items)):
        item.stash[LABEL] = label
    if course.gpu_tier():
        return
    skip = pytest.mark.skip(reason="gpu tier: needs CUDA (runs on GPU runners)")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)


def marker_problems(item) -> list[str]:
    """What is wrong with the test's points(...) and call_timeout(...), one line each, naming it.

    Checked, not coerced: `points(n=2)` would otherwise score 1 and `points("2")` fail mid-run.
    """
    problems = []
    for name, meaning in _NUMBER_MARKERS.items():
        marker = item.get_closest_marker(name)
        if marker is None:
            continue
        value = marker.args[0] if len(marker.args) == 1 and not marker.kwargs else None
        if not _positive_number(value):
            written = ", ".join([*map(repr, marker.args), *(f"{k}={v!r}" for k, v in marker.kwargs.items())])
            problems.append(f"{item.nodeid}: @pytest.mark.{name}({written}) is not valid: "
                            f"give {meaning} as one positive number, e.g. @pytest.mark.{name}(2)")
    return problems


def labels(items) -> list[Label]:
    """Each item's Label: files ordered by the part their docstring names ("Part B: ..."), then
    by name; tests numbered in file order; titles made unique by the file's name if need be."""
    parts: dict[str, str] = {}
    for item in items:
        parts.setdefault(str(item.fspath), _part_of(item))
    rank = {f: i for i, f in enumerate(sorted(parts, key=lambda f: (_part_letter(parts[f]), f)), 1)}
    place: dict[str, int] = {}
    found = []
    for item in items:
        file = str(item.fspath)
        place[file] = place.get(file, 0) + 1
        part = parts[file]
        marks = tuple(m for m in TAG_MARKERS if item.get_closest_marker(m))
        found.append(Label(_title(item, part), f"{rank[file]}.{place[file]}",
                           ((part,) if part else ()) + marks, _first_paragraph(getattr(item, "obj", None))))
    seen: dict[str, int] = {}
    for label in found:
        seen[label.title] = seen.get(label.title, 0) + 1
    return [dataclasses.replace(label, title=f"{label.title} ({Path(item.fspath).stem.removeprefix('test_')})")
            if seen[label.title] > 1 else label for item, label in zip(items, found)]


def _part_of(item) -> str:
    """"Part A" from a test file whose docstring starts "Part A: ..."; "" when it names none."""
    module = getattr(item, "module", None)
    first = (getattr(module, "__doc__", None) or "").strip().split(":", 1)[0]
    return first if re.match(r"Parts? [A-Z]\b", first) and len(first) <= 40 else ""


def _part_letter(part: str) -> str:
    match = re.match(r"Parts? ([A-Z])", part)
    return match[1] if match else "~"  # files without a part come last


def _title(item, part: str) -> str:
    """test_neuron_backward[relu] in a "Part A" file -> "Part A: neuron backward (relu)"."""
    words = getattr(item, "originalname", item.name).removeprefix("test_").replace("_", " ").strip()
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        words += f" ({callspec.id})"
    return f"{part}: {words}" if part else words[:1].upper() + words[1:]


def _first_paragraph(function) -> str:
    doc = inspect.getdoc(function) if function is not None else None
    return " ".join((doc or "").split("\n\n", 1)[0].split())


def _positive_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value > 0 and (isinstance(value, int) or math.isfinite(value))


class _SubmissionSession:
    """Holds the one worker for the submission across the session's tests."""

    def __init__(self, config):
        self.config = config
        self.worker: sandbox.Worker | None = None
        self.load_report: sandbox.LoadReport | None = None
        self.cells = None
        self.cells_error: str | None = None

    def submission_path(self, item) -> Path:
        given = self.config.getoption("--submission")
        if given:
            return Path(given)
        return source_notebook(_homework(item))

    def ensure_worker(self, item) -> sandbox.Worker:
        if self.cells is None and self.cells_error is None:
            try:
                # Given cells, checks and demos are decided by the instructor's copy.
                source = notebook.source_cells(source_notebook(_homework(item)))
                self.cells = notebook.student_code(self.submission_path(item), source)
            except notebook.NotebookError as err:
                self.cells_error = str(err)
        if self.cells_error:
            pytest.fail(f"could not read the submission: {self.cells_error}", pytrace=False)
        if self.load_report is not None and self.load_report.fatal:
            # The notebook itself cannot run (loop, exit, crash): running it again per test
            # would cost a full timeout each time and change nothing.
            pytest.fail(f"the notebook could not be run: {self.load_report.fatal}", pytrace=False)
        if self.worker is None or not self.worker.alive:
            # First test, or a test's call killed the worker: start afresh, notebook and all.
            datasets, env = _worker_data()
            hidden = [*self.config.getoption("--hide"), str(self.submission_path(item).resolve().parent), *datasets]
            limits = sandbox.Limits(
                load_timeout=self.config.getoption("--load-timeout"),
                call_timeout=self.config.getoption("--call-timeout"),
                hidden=tuple(hidden),
                threads=self.config.getoption("--threads"),
            )
            self.worker = sandbox.Worker(self.cells, limits, env=env)
            self.load_report = self.worker.start()
        if self.load_report.fatal:
            pytest.fail(f"the notebook could not be run: {self.load_report.fatal}", pytrace=False)
        return self.worker

    def load_problems(self) -> str:
        """What the feedback says about the notebook as a whole: unreadable, cells that raised,
        given cells run from the source (said, never penalised), a kernel that confined less."""
        if self.cells_error:
            problems = [self.cells_error]
        else:
            problems = notebook.given_cell_notes(self.cells or [])
            if self.load_report is not None:
                problems.append(self.load_report.summary())
        unconfined = self.config.getoption("--unconfined")
        if unconfined:
            problems.insert(0, f"graded on a machine that could not fully confine student code (missing: {unconfined})")
        return "\n".join(p for p in problems if p)

    @pytest.fixture
    def seed(self):
        """0 when grading; calibration (benchmarks/accuracy_margins.py) grades seeds 0..4."""
        return self.config.getoption("--seed")

    @pytest.fixture
    def measure(self, request):
        """measure(name, value, bar=None): record what the test measured; it shows in the
        test's output (passed or not) and in TestResult.measured."""
        def record(name: str, value: float, bar: float | None = None):
            request.node.user_properties.append(("measured", (name, float(value), bar)))
        return record

    def pytest_sessionfinish(self, session):
        session.config.stash[_LOAD_PROBLEMS] = self.load_problems()
        if self.worker is not None:
            self.worker.close()

    @pytest.fixture
    def student(self, request):
        worker = self.ensure_worker(request.node)
        worker.seed((zlib.crc32(request.node.nodeid.encode()) + self.config.getoption("--seed")) % 2**31)
        marker = request.node.get_closest_marker("call_timeout")
        if marker is None:
            yield sandbox.Student(worker)
            return
        # A test that trains for real (the gpu tier) may allow its calls longer than usual.
        usual = worker.limits
        worker.limits = dataclasses.replace(usual, call_timeout=max(float(marker.args[0]), usual.call_timeout))
        try:
            yield sandbox.Student(worker)
        finally:
            worker.limits = usual


def _worker_data() -> tuple[list[str], dict]:
    """(files to hide, environment) that give a worker the training data and nothing else.

    Hidden: every dataset file as this process finds them (HW_DATA_DIR included), on top of
    what the worker itself hides (sandbox_child.always_hidden). Given: the folder of training
    splits (data.given_data); the full datasets only on the gpu tier, whose tests train on
    them. The folder is cached: this costs a few file checks per submission.
    """
    from . import data

    given = data.given_data(gpu_tier=course.gpu_tier())
    return [str(path) for path in data.dataset_paths()], {course.GIVEN_ENV: str(given)}


# --------------------------------------------------------------------------- collecting


class _Collector:
    """Turns pytest's reports into TestResults; outputs never quote the test's code."""

    def __init__(self):
        self.results: list[TestResult] = []
        self.load_problems = ""
        self.errors: list[str] = []  # why the hidden tests themselves could not run

    @pytest.hookimpl(trylast=True)  # after the session plugin has said what it saw
    def pytest_sessionfinish(self, session):
        self.load_problems = session.config.stash.get(_LOAD_PROBLEMS, "")

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(self):
        try:
            return (yield)
        except pytest.UsageError as err:  # a marker used wrongly (marker_problems)
            self.errors.append(str(err))
            raise

    def pytest_collectreport(self, report):
        if report.failed:  # an import error, an unknown marker (--strict-markers)
            last = report.longreprtext.strip().splitlines()[-1:] or ["failed"]
            self.errors.append(f"{report.nodeid}: {last[0].removeprefix('E').strip()}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        report.hw_points = _points(item)
        report.hw_public = item.get_closest_marker("public") is not None
        report.hw_label = item.stash.get(LABEL, None)
        if call.excinfo is not None:
            report.hw_message = _message(call.excinfo.value)

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.rsplit("/", 1)[-1].replace(".py::", "::")
        points = getattr(report, "hw_points", 1.0)
        public = getattr(report, "hw_public", False)
        measured = _measured(report)
        label = getattr(report, "hw_label", None)
        shown = dataclasses.asdict(label) if label else {}
        if report.when == "call" and report.passed:
            self.results.append(TestResult(name, points, points, "passed", _measured_text(report), public,
                                           measured, **shown))
        elif report.failed:
            message = getattr(report, "hw_message", "") or "failed"
            if report.when == "teardown" and self.results and self.results[-1].name == name:
                return  # the verdict on the test itself stands
            self.results.append(TestResult(name, points, 0.0, "failed", message, public, measured, **shown))
        elif report.skipped and report.when in ("setup", "call"):
            reason = report.longrepr[2].removeprefix("Skipped: ") if isinstance(report.longrepr, tuple) else "skipped"
            self.results.append(TestResult(name, points, 0.0, "skipped", reason, public, **shown))


def _measured(report) -> dict:
    return {name: value for key, (name, value, _) in _properties(report)}


def _measured_text(report) -> str:
    return "; ".join(f"{name}: {value:.4g}" + (f" (needs {bar:g})" if bar is not None else "")
                     for key, (name, value, bar) in _properties(report))


def _properties(report) -> list:
    return [(key, value) for key, value in getattr(report, "user_properties", ()) if key == "measured"]


def _homework(item) -> str:
    """grader_tests/<hw>/test_*.py: the folder is the homework id."""
    return Path(item.fspath).parent.name


def _points(item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker else 1.0  # checked at collection: one positive number


def _message(exc: BaseException) -> str:
    if isinstance(exc, (sandbox.StudentTimeout, sandbox.WorkerDied)):
        return f"{exc} (while the test was calling your code)"
    if isinstance(exc, sandbox.StudentError):
        hint = ""
        if str(exc).endswith("NotImplementedError"):
            hint = "\n(this is still the unfilled stub: replace `raise NotImplementedError()` with your code)"
        return f"your code raised an error:\n{exc}{hint}"
    text = str(exc).strip()
    if type(exc).__name__ == "Failed":  # pytest.fail: the message is the whole story
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def grade(hw: str, submission: str | Path, extra_args: tuple[str, ...] = (), tests: Path | None = None) -> Grade:
    """Run grader_tests/<hw> (or the folder `tests`, named after hw) on one submission, in this
    process; student code runs sandboxed.

    RuntimeError when the hidden tests themselves cannot run (an import error, a marker used
    wrongly): the first line names the test and the problem, so the grader failure says it.
    """
    tests_dir = Path(tests or course.hidden_tests(hw))
    if not tests_dir.is_dir():
        raise FileNotFoundError(f"no hidden tests for {hw}: {tests_dir} is missing")
    collector = _Collector()
    started = time.monotonic()
    args = [
        str(tests_dir),
        f"--submission={submission}",
        "-p", "hw_utils.grading",
        "-c", str(course.GRADER_INI),  # its settings, not the project's
        "-p", "no:terminal",  # the Grade is the report; pytest's console output is noise
        *extra_args,
    ]
    saved_path = list(sys.path)
    try:
        with _no_assertion_rewriting():
            exit_code = pytest.main(args, plugins=[collector])
    finally:
        _forget_test_modules(saved_path, tests_dir)
    if collector.errors:
        raise RuntimeError(f"the hidden tests for {hw} could not run: " + "\n".join(collector.errors))
    if not collector.results and exit_code not in (0, 5):
        raise RuntimeError(f"the hidden tests for {hw} could not run (pytest exit code {exit_code})")
    return Grade(hw, str(submission), collector.results, collector.load_problems, time.monotonic() - started,
                 grader_version=version.grader_version(hw) if tests is None else "")


@contextlib.contextmanager
def _no_assertion_rewriting():
    """Keep the hidden tests' asserts plain when grade() runs inside another pytest (the
    project's tests): that pytest's import hook would rewrite them too, and a rewritten
    assert quotes hidden test code in the student's feedback."""
    from _pytest.assertion.rewrite import AssertionRewritingHook

    saved = list(sys.meta_path)
    sys.meta_path[:] = [finder for finder in saved if not isinstance(finder, AssertionRewritingHook)]
    try:
        yield
    finally:
        sys.meta_path[:] = saved


def _forget_test_modules(saved_path: list[str], tests_dir: Path):
    """Undo what pytest's import did, so the next homework's test_*.py names are free."""
    sys.path[:] = saved_path
    folders = tuple({str(tests_dir.absolute()) + os.sep, str(tests_dir.resolve()) + os.sep})
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.startswith(folders):
            del sys.modules[name]
