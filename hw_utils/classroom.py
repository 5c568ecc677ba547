"""The class as a whole: read every student's results back, summarise them, grade in shards.

`hw grade` writes `<out>/<student>/<hw>/results.json` per student (results.py). Here `collect`
reads them back, `write_summary` writes what a teacher looks at into `<out>/_class/<hw>/` (scores,
per-test pass rates, a histogram), `shard_of` splits a class's submissions between
machines, and `merge` joins the shards' output trees. Files are written atomically: a crash
leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from .results import GRADER_FAILURE, LATE_PENALTY, REFUSED, StudentResult, TestScore, atomic_write, read_result

CLASS_DIR = "_class"  # <out>/_class/<hw>/: the summary; not a student


@dataclass
class TestStats:
    name: str
    max_score: float  # points available (the most any student could get)
    graded: int       # students it counted for: those for whom it was not skipped
    passed: int       # of those, how many got full marks
    skipped: int
    mean_score: float | None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None


# --------------------------------------------------------------------------- reading


def collect(out_root: Path, hw: str) -> list[StudentResult]:
    """Every student's results for hw, sorted by student; an unreadable one is an error row."""
    if not out_root.is_dir():  # nothing graded yet: every submission collided, say
        return []
    return [read_result(d.name, d / hw / "results.json")
            for d in student_dirs(out_root) if (d / hw).is_dir()]


def student_dirs(root: Path) -> list[Path]:
    """root's student folders, sorted; `_class`, `.tmp` and the like are not students."""
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(("_", ".")))


# --------------------------------------------------------------------------- summarising


def write_summary(out_root: Path, hw: str) -> dict[str, Path]:
    """Write scores.csv, scores.md, tests.csv and histogram.png into <out_root>/_class/<hw>/."""
    results = collect(out_root, hw)
    tests = per_test(results)
    contents = {  # all rendered before any is written: a failure here writes nothing
        "scores.csv": scores_csv(results),
        "scores.md": summary_markdown(hw, results, tests),
        "tests.csv": tests_csv(tests),
        "histogram.png": histogram_png(hw, results),
    }
    folder = out_root / CLASS_DIR / hw
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        atomic_write(folder / name, data)
    return {name: folder / name for name in contents}


def per_test(results: list[StudentResult]) -> list[TestStats]:
    """Each test's pass rate and mean score over the students it counted for, hardest first."""
    by_name: dict[str, list[TestScore]] = {}
    for r in results:
        if r.error:  # a grader failure's or a refusal's marker row is no test of the homework
            continue
        for name, t in r.tests.items():
            if name != LATE_PENALTY:  # a penalty is no test of the homework
                by_name.setdefault(name, []).append(t)
    return sorted((_test_stats(name, scores) for name, scores in by_name.items()), key=_hardness)


def _counts(t: TestScore) -> bool:
    """Skipped tests (the gpu tier on a cpu runner, a grader failure's 0-point row) are worth nothing."""
    return t.status != "skipped" and t.max_score > 0


def _test_stats(name: str, scores: list[TestScore]) -> TestStats:
    counted = [t for t in scores if _counts(t)]
    skipped = len(scores) - len(counted)
    if not counted:
        return TestStats(name, 0.0, 0, 0, skipped, None)
    return TestStats(name, max(t.max_score for t in counted), len(counted),
                     sum(t.score >= t.max_score for t in counted), skipped,
                     statistics.fmean(t.score for t in counted))


def _hardness(s: TestStats) -> tuple:
    """Lowest pass rate first, then lowest share of the points; never-graded tests last."""
    if not s.graded:
        return (1, 0.0, 0.0, s.name)
    return (0, s.pass_rate, s.mean_score / s.max_score, s.name)


def scores_csv(results: list[StudentResult]) -> str:
    """score is the final one: autograded (raw) + marked by hand (by_hand) + late (0 or less)."""
    rows = [["student", "score", "max_score", "percent", "state", "error", "raw", "by_hand", "pending", "late"]]
    rows += [[r.student, *_score_cells(r), r.state, r.error, *_part_cells(r)] for r in results]
    return csv_text(rows)


def _part_cells(r: StudentResult) -> list[str]:
    if r.error:
        return ["", "", "", ""]
    return [_points(r.raw), _points(r.by_hand), str(r.pending), _points(r.late)]


def tests_csv(tests: list[TestStats]) -> str:
    rows = [["test", "max_score", "graded", "passed", "skipped", "pass_rate", "mean_score"]]
    rows += [[s.name, _points(s.max_score), s.graded, s.passed, s.skipped,
              _maybe(s.pass_rate, "{:.3f}"), _maybe(s.mean_score, "{:.2f}")] for s in tests]
    return csv_text(rows)


def summary_markdown(hw: str, results: list[StudentResult], tests: list[TestStats]) -> str:
    graded = [r for r in results if not r.error]
    lines = [f"# {hw}: class summary", "", _headcount(results) + ".", *_rerun_hint(results),
             *_version_warning(results),
             "", "Score = autograded + by hand + late penalty; pending: questions not marked by hand yet.",
             "", "| student | score | max_score | percent | autograded | by hand | late | state | error |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    lines += [_md_row([r.student, *_score_cells(r), *_shown_parts(r), r.state, r.error]) for r in results]
    lines += ["", *_stat_lines(graded), "", "## Tests, hardest first", "",
              "Pass rate: the share of students with full marks on the test; "
              "students for whom it was skipped are not counted.", "",
              "| test | pass rate | mean score | max points | skipped |", "|---|---:|---:|---:|---:|"]
    lines += [_md_row([s.name, _pass_cell(s), _maybe(s.mean_score, "{:.2f}"),
                       _points(s.max_score), s.skipped]) for s in tests]
    return "\n".join(lines) + "\n"


def _headcount(results: list[StudentResult]) -> str:
    """"3 students graded, 1 grader failure, 1 unreadable": each state that occurs."""
    states = [r.state for r in results]
    parts = [f"{states.count('graded')} students graded"]
    for state, plural in ((GRADER_FAILURE, "grader failures"), (REFUSED, "refused"),
                          ("unreadable", "unreadable")):
        n = states.count(state)
        if n:
            parts.append(f"{n} {plural if n > 1 else state}")
    return ", ".join(parts)


def _rerun_hint(results: list[StudentResult]) -> list[str]:
    failed = [r.student for r in results if r.state == GRADER_FAILURE]
    if not failed:
        return []
    return ["", f"Not graded because the grader failed (not the students' fault): {', '.join(failed)}. "
                "Run the same `hw grade` again: it grades them and skips everyone already graded."]


def _version_warning(results: list[StudentResult]) -> list[str]:
    """When students were graded by different graders (the hidden tests changed in between)."""
    by_version: dict[str, list[str]] = {}
    for r in results:
        if not r.error:
            by_version.setdefault(r.grader_version or "none recorded", []).append(r.student)
    if len(by_version) < 2:
        return []
    groups = "; ".join(f"{v}: {len(s)} ({', '.join(s[:5])}{', ...' if len(s) > 5 else ''})"
                       for v, s in sorted(by_version.items(), key=lambda kv: -len(kv[1])))
    return ["", f"WARNING: these grades come from {len(by_version)} versions of the grader ({groups}); "
                "their scores and maxima are not comparable. Run `hw grade` again: it regrades "
                "those graded by an older grader."]


def _stat_lines(graded: list[StudentResult]) -> list[str]:
    if not graded:
        return ["No readable results."]
    scores = [r.score for r in graded]
    percents = [r.percent for r in graded if r.percent is not None]
    lines = []
    for label, stat in (("mean", statistics.fmean), ("median", statistics.median),
                        ("min", min), ("max", max)):
        percent = f" ({stat(percents):.1f}%)" if percents else ""
        lines.append(f"- {label}: {_points(stat(scores))} points{percent}")
    return lines


def histogram_png(hw: str, results: list[StudentResult]) -> bytes:
    """The score distribution in percent, 10 bins over 0-100, as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    percents = [min(max(r.percent, 0.0), 100.0) for r in results if r.percent is not None]
    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist(percents, bins=range(0, 101, 10), edgecolor="black")
    ax.set(xlim=(0, 100), xlabel="score (%)", ylabel="students",
           title=f"{hw}: score distribution (n={len(percents)})")
    ax.yaxis.get_major_locator().set_params(integer=True)
    png = io.BytesIO()
    fig.savefig(png, format="png")
    return png.getvalue()


def _score_cells(r: StudentResult) -> list[str]:
    if r.error:
        return ["", "", ""]
    return [_points(r.score), _points(r.max_score), _maybe(r.percent, "{:.1f}")]


def _shown_parts(r: StudentResult) -> list[str]:
    if r.error:
        return ["", "", ""]
    by_hand = _points(r.by_hand) + (f" ({r.pending} pending)" if r.pending else "")
    return [_points(r.raw), by_hand, _points(r.late) if r.late else ""]


def _pass_cell(s: TestStats) -> str:
    if not s.graded:
        return "never graded"
    return f"{s.passed}/{s.graded} ({100 * s.pass_rate:.0f}%)"


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


def _maybe(x: float | None, fmt: str) -> str:
    return "" if x is None else fmt.format(x)


def csv_text(rows: list[list]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


def _md_row(cells: list) -> str:
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


def md_cell(value) -> str:
    """Text for one Markdown table cell: on one line, no column break, no HTML (names and
    error messages come from submissions)."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


# --------------------------------------------------------------------------- shards


def parse_shard(spec: str) -> tuple[int, int]:
    """"i/N" -> (i, N), 1 <= i <= N."""
    match = re.fullmatch(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*", spec)
    if not match:
        raise ValueError(f"bad shard {spec!r}: expected i/N, e.g. 2/4 for the second of four")
    i, n = int(match[1]), int(match[2])
    if not 1 <= i <= n:
        raise ValueError(f"bad shard {spec!r}: i must be between 1 and N (shards count from 1)")
    return i, n


def shard_of(paths: list[Path], spec: str) -> list[Path]:
    """Shard i of N: every N-th of the sorted paths from the i-th; the N shards cover all, once."""
    i, n = parse_shard(spec)
    return sorted(set(paths))[i - 1::n]


def merge(hw: str, shard_roots: list[Path], out_root: Path) -> list[str]:
    """Copy each shard's <student>/<hw> folder into out_root; return the students merged.

    A student graded in two shards must have the same results.json there (execution_time
    aside), or nothing is copied and ValueError names the student and both shards.
    """
    sources = _merge_sources(hw, shard_roots)
    for student, folder in sources.items():
        _copy_folder(folder, out_root / student / hw)
    return sorted(sources)


def _merge_sources(hw: str, shard_roots: list[Path]) -> dict[str, Path]:
    """student -> the <shard>/<student>/<hw> folder to copy; raises on conflicting duplicates."""
    sources: dict[str, Path] = {}
    for shard in shard_roots:
        for d in student_dirs(shard):
            folder = d / hw
            if not folder.is_dir():
                continue
            first = sources.setdefault(d.name, folder)
            if first != folder and _comparable(first) != _comparable(folder):
                raise ValueError(f"{d.name} has different {hw} results in two shards: "
                                 f"{first.parent.parent} and {shard}; re-grade {d.name} once, "
                                 f"or remove one of the two, before merging")
    return sources


def _comparable(folder: Path):
    """results.json without execution_time (it differs run to run); raw bytes if not JSON."""
    path = folder / "results.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        return path.read_bytes()
    if isinstance(data, dict):
        data.pop("execution_time", None)
    return data


def _copy_folder(src: Path, dst: Path):
    """Copy src's files into dst, each atomically; leftover temporary (dot) files stay behind."""
    for f in sorted(src.rglob("*")):
        if f.is_file() and not f.name.startswith("."):
            target = dst / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, f.read_bytes())
