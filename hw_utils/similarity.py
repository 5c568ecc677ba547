"""`hw similarity`: which students handed in the same solution code, ranked, side by side.

What is compared is the code each student wrote: the submission's solution cells (the source
notebook's nbgrader metadata says which they are, never the submission's) and the cells the
student added, with everything the release gave them taken out. Fingerprinting is copydetect's
(tokenise with pygments, names become V/F/O and strings S, comments and layout dropped, then
hashes of every 25-token window): renamed variables and reformatted code still match.

Three things keep matches that are not copying out of the ranking:
- the release's code (stubs, docstrings, given cells and checks), and the stubs a student who
  wrote nothing hands in (the `raise NotImplementedError()` deleted, or replaced by `pass`,
  `return`, `...`), are boilerplate: their fingerprints are dropped;
- a fingerprint found in more than --common submissions is an idiom of the class (like
  MOSS's -m), not a copy: it is dropped too, so identical near-blank submissions flag no one;
- a pair is flagged only when its shared code is long enough (--min-tokens) and a large part
  (--threshold) of one student's code: a two-line answer everyone writes the same is not a copy.

Pairs are found from an index of fingerprint -> students, and only those sharing at least half
the threshold are compared: a class of 300 compares a handful of pairs, not 44,850
(benchmarks/similarity.py times it). Tokenising is the slow step (pygments, ~30 ms a student).

Submissions are hostile input: read through notebook.read (size and cell limits, no links),
each student's code cut at MAX_CELL_CHARS a cell and MAX_CODE_CHARS in all (and listed as
cut), and everything from a submission (names, code, error messages) escaped in the report,
HTML and Markdown alike; the HTML pages also forbid scripts (Content-Security-Policy).
"""

from __future__ import annotations

import argparse
import glob
import html
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from . import classroom, course, notebook

K = 25  # copydetect's noise threshold: the shortest match (in filtered tokens) that counts
WINDOW = 1  # guarantee threshold = noise threshold: every k-gram is kept (exact, and fast enough)
# A released homework's solutions are under 20,000 characters, none of its cells over 8,000. Cut
# per cell too, so that padding one cell cannot push the rest of a submission out of the comparison.
MAX_CELL_CHARS = 20_000
MAX_CODE_CHARS = 200_000
DEFAULT_THRESHOLD = 0.5  # of the smaller side's code (the larger similarity of the two)
DEFAULT_MIN_TOKENS = 100  # filtered characters of shared code, about four lines
DEFAULT_COMMON = 10  # submissions a fingerprint may be in and still be evidence (MOSS's -m)
DEFAULT_TOP = 50  # pairs listed in the index, flagged or not
# What a student who wrote nothing leaves in a solution cell instead of the stub's raise.
_STUB_RAISE = "raise NotImplementedError()"
_NOTHING_WRITTEN = ("", "pass", "return", "return None", "...")


@dataclass
class Submission:
    student: str
    cells: list[tuple[str, str]]  # (which cell, its code), in notebook order
    truncated: bool = False
    text: str = ""  # the cells joined, each after a header comment (comments do not count)
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # (cell, start, end) in text
    fingerprint: object = None  # copydetect.CodeFingerprint


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similarity: float  # the larger of the two sides' shares
    share_a: float  # of a's code, the part also in b's
    share_b: float
    tokens: int  # filtered characters of a's code that match
    slices_a: object  # 2 x N array of matched (start, end) offsets in a's text
    slices_b: object
    flagged: bool


@dataclass
class Report:
    hw: str
    pairs: list[Pair]  # the pairs close enough to list (see _pair), flagged first, most similar first
    submissions: dict[str, Submission]
    blank: list[str]  # wrote nothing beyond the release
    unread: dict[str, str]  # student -> why the notebook was not read
    settings: dict
    stubs: dict[str, frozenset[str]] = field(default_factory=dict)  # cell -> the release's lines in it


# --------------------------------------------------------------------------- the code a student wrote


def written_cells(path: Path, source: notebook.SourceCells) -> list[tuple[str, str]]:
    """(label, code) of the solution cells and the student's own cells; NotebookError if unreadable."""
    nb = notebook.read(path)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not isinstance(cell.source, str):
            continue
        gid = notebook.grade_id(cell)
        role = source.role(gid)
        if role == "solution":
            cells.append((gid, cell.source))
        elif role is None and not notebook.is_test_cell(cell):
            cells.append((f"cell {index} (added)", cell.source))
    return cells


def release_variants(hw: str, source: notebook.SourceCells) -> list[str]:
    """The release's code, as texts to take out of every student's.

    Its written cells joined as a student's are (so a blank submission's text is one of these),
    also as a student who wrote nothing leaves them, and all its code cells (given code pasted
    into a student's own cell is the release's too).
    """
    path = course.release_notebook(hw)
    blank = Submission("release", written_cells(path, source))
    _joined(blank)
    every = [c.source for c in notebook.read(path).cells if c.cell_type == "code" and isinstance(c.source, str)]
    texts = [blank.text.replace(_STUB_RAISE, instead) for instead in (_STUB_RAISE, *_NOTHING_WRITTEN)]
    return [*texts, "\n".join(every)]


def _joined(sub: Submission):
    """sub.text from its cells, each after a comment naming it; at most MAX_CELL_CHARS of a cell's
    code and MAX_CODE_CHARS in all (sub.truncated says when some was left out)."""
    parts, spans, at, budget = [], [], 0, MAX_CODE_CHARS
    for label, code in sub.cells:
        if budget <= 0:
            sub.truncated = True
            break
        if len(code) > min(budget, MAX_CELL_CHARS):
            code, sub.truncated = code[:min(budget, MAX_CELL_CHARS)], True
        budget -= len(code)
        header = f"# ---- {label} ----\n"
        parts += [header, code, "\n"]
        spans.append((label, at + len(header), at + len(header) + len(code)))
        at += len(header) + len(code) + 1
    sub.text = "".join(parts)
    sub.spans = spans


# --------------------------------------------------------------------------- fingerprints and pairs


def _fingerprints(texts: list[str], boilerplate: set) -> list:
    """copydetect's fingerprint of each text, without the boilerplate's.

    The boilerplate is taken out here, not by copydetect: its removal (np.intersect1d with
    assume_unique on hashes that repeat) also drops every k-gram a text holds twice.
    """
    import io

    from copydetect import CodeFingerprint

    fingerprints = []
    for text in texts:
        fingerprint = CodeFingerprint("code.py", K, WINDOW, language="python", fp=io.StringIO(text))
        _repair_class_offsets(fingerprint)
        _drop(fingerprint, boilerplate & fingerprint.hashes)
        fingerprints.append(fingerprint)
    return fingerprints


def _repair_class_offsets(fingerprint):
    """Put right what copydetect 0.5.0's filter_code records for a class name (shown as O).

    Each offsets row is (position in the filtered code, characters removed before it); for a
    class name it records the name's length - 1 instead, so a match starting at a class would
    be marked from near the top of the code. The next row holds the right count plus that
    length - 1 (nothing else is removed in between).
    """
    offsets, code = fingerprint.offsets, fingerprint.filtered_code
    for i in range(1, len(offsets) - 1):
        position, recorded = offsets[i]
        if code[position] == "O" and offsets[i - 1][0] != position:
            removed = offsets[i + 1][1] - recorded
            if offsets[i - 1][1] <= removed <= offsets[i + 1][1]:
                offsets[i][1] = removed


def boilerplate_hashes(hw: str, source: notebook.SourceCells) -> set:
    return set().union(*(f.hashes for f in _fingerprints(release_variants(hw, source), set())))


def _drop(fingerprint, hashes: set):
    """Forget these fingerprints, as if they were boilerplate (copydetect's fields, documented)."""
    from copydetect.utils import get_token_coverage

    if not hashes:
        return
    fingerprint.hashes -= hashes
    for h in hashes:
        fingerprint.hash_idx.pop(h, None)
    fingerprint.token_coverage = get_token_coverage(fingerprint.hash_idx, K, len(fingerprint.filtered_code))


def compare(hw: str, paths: dict[str, Path], threshold: float = DEFAULT_THRESHOLD,
            min_tokens: int = DEFAULT_MIN_TOKENS, common: int = DEFAULT_COMMON) -> Report:
    """Fingerprint every student's code and rank the pairs that share enough; paths: student -> notebook."""
    source = notebook.source_cells(course.source_notebook(hw))
    subs, unread = {}, {}
    for student, path in paths.items():
        try:
            subs[student] = Submission(student, written_cells(path, source))
        except notebook.NotebookError as err:
            unread[student] = str(err)
            continue
        _joined(subs[student])
    prints = _fingerprints([sub.text for sub in subs.values()], boilerplate_hashes(hw, source))
    for sub, fingerprint in zip(subs.values(), prints):
        sub.fingerprint = fingerprint
    blank = sorted(student for student, sub in subs.items() if not sub.fingerprint.hashes)
    subs = {student: sub for student, sub in subs.items() if sub.fingerprint.hashes}
    candidates = _shared_fingerprints(subs, common)
    pairs = [pair for (a, b), count in candidates.items()
             if (pair := _pair(subs[a], subs[b], count, threshold, min_tokens))]
    pairs.sort(key=lambda p: (-p.flagged, -p.similarity, -p.tokens, p.a, p.b))
    settings = {"threshold": threshold, "min_tokens": min_tokens, "common": common}
    stubs = {label: frozenset(filter(None, map(str.strip, code.splitlines())))
             for label, code in written_cells(course.release_notebook(hw), source)}
    return Report(hw, pairs, subs, blank, dict(sorted(unread.items())), settings, stubs)


def _shared_fingerprints(subs: dict[str, Submission], common: int) -> Counter:
    """(a, b) -> how many fingerprints they share, the class's idioms (in > common) dropped first."""
    holders: dict[int, list[str]] = {}
    for student, sub in subs.items():
        for h in sub.fingerprint.hashes:
            holders.setdefault(h, []).append(student)
    idioms = {h for h, who in holders.items() if len(who) > common}
    for sub in subs.values():
        _drop(sub.fingerprint, idioms & sub.fingerprint.hashes)
    shared = Counter()
    for who in holders.values():
        if 1 < len(who) <= common:
            shared.update(combinations(who, 2))
    return shared


def _pair(a: Submission, b: Submission, shared: int, threshold: float, min_tokens: int) -> Pair | None:
    """copydetect's comparison of a and b; None when they share too little to list.

    Listed: pairs whose shared fingerprints are at least half the threshold of the smaller
    one's (with every k-gram kept, a share of fingerprints is about a share of code): the
    near misses are shown, and a class of 300 compares a handful of pairs, not tens of thousands.
    """
    from copydetect import compare_files

    if shared < threshold / 2 * min(len(a.fingerprint.hashes), len(b.fingerprint.hashes)):
        return None
    tokens, (share_a, share_b), (slices_a, slices_b) = compare_files(a.fingerprint, b.fingerprint)
    if not tokens:
        return None
    similarity = max(float(share_a), float(share_b))
    flagged = bool(similarity >= threshold and tokens >= min_tokens)
    return Pair(a.student, b.student, similarity, float(share_a), float(share_b), int(tokens),
                slices_a, slices_b, flagged)


# --------------------------------------------------------------------------- the report


PAIRS_DIR = "pairs"


def report_folder(out_root: Path, hw: str) -> Path:
    return out_root / classroom.CLASS_DIR / hw / "similarity"


def write_report(report: Report, folder: Path, top: int = DEFAULT_TOP) -> Path:
    """index.md, index.html and pairs/NNN.html for each flagged pair; the old report replaced whole."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".similarity."))
    try:
        (fresh / PAIRS_DIR).mkdir()
        flagged = [p for p in report.pairs if p.flagged]
        pages = {id(p): f"{PAIRS_DIR}/{rank:03d}.html" for rank, p in enumerate(flagged, 1)}
        for pair in flagged:
            (fresh / pages[id(pair)]).write_text(pair_html(report, pair), encoding="utf-8")
        shown = report.pairs[:max(top, len(flagged))]
        (fresh / "index.md").write_text(index_markdown(report, shown, pages), encoding="utf-8")
        (fresh / "index.html").write_text(index_html(report, shown, pages), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        fresh.chmod(0o755)  # mkdtemp makes it private; the rest of _class/ is not
        fresh.rename(folder)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return folder / "index.md"


def _percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def _verdict(pair: Pair) -> str:
    return "FLAGGED" if pair.flagged else ""


def _about(report: Report) -> list[str]:
    s = report.settings
    compared = len(report.submissions)
    return [
        f"{compared} submissions compared, {len(report.blank)} blank (nothing written beyond the release), "
        f"{len(report.unread)} not read; {sum(p.flagged for p in report.pairs)} pairs flagged "
        f"of {len(report.pairs)} close enough to list (sharing at least half the threshold).",
        f"Flagged: at least {_percent(s['threshold'])} of one student's code matches the other's, "
        f"over at least {s['min_tokens']} tokens. Fingerprints of the release (stubs, given cells) and "
        f"those in more than {s['common']} submissions are ignored. Similarity is the larger of the "
        "two students' shares; a high share on one side only often means the shorter submission "
        "is contained in the longer one.",
    ]


def _md(text) -> str:
    """Text for Markdown from a submission: no HTML, no links, no emphasis, on one line."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_[]()#!|~":  # the backslash first: the others add some
        text = text.replace(char, "\\" + char)
    return " ".join(text.splitlines())


def index_markdown(report: Report, shown: list[Pair], pages: dict) -> str:
    lines = [f"# Similar solutions: {report.hw}", "", *_about(report), ""]
    lines += ["| rank | student | student | similarity | shares | tokens | verdict | side by side |",
              "|---:|---|---|---:|---|---:|---|---|"]
    for rank, p in enumerate(shown, 1):
        link = f"[{pages[id(p)]}]({pages[id(p)]})" if id(p) in pages else ""
        lines.append(f"| {rank} | {_md(p.a)} | {_md(p.b)} | {_percent(p.similarity)} | "
                     f"{_percent(p.share_a)} / {_percent(p.share_b)} | {p.tokens} | {_verdict(p)} | {link} |")
    if not shown:
        lines.append("| | no two submissions share code | | | | | | |")
    lines += _lists_markdown(report)
    return "\n".join(lines) + "\n"


def _lists_markdown(report: Report) -> list[str]:
    lines = []
    truncated = [s for s in report.submissions.values() if s.truncated]
    if truncated:
        lines += ["", f"## Cut ({MAX_CELL_CHARS:,} characters a cell, {MAX_CODE_CHARS:,} in all): look at these by hand", ""]
        lines += [f"- {_md(s.student)}" for s in truncated]
    if report.unread:
        lines += ["", "## Not read", ""] + [f"- {_md(s)}: {_md(why)}" for s, why in report.unread.items()]
    if report.blank:
        lines += ["", "## Blank (nothing beyond the release)", "", ", ".join(_md(s) for s in report.blank)]
    return lines


_STYLE = """<style>
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; vertical-align: top; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; font-size: 0.85em; }
mark { background: #ffd27a; }
.given { color: #999; }
.side { width: 50%; }
</style>"""


def _page(title: str, body: list[str]) -> str:
    return "\n".join(['<!DOCTYPE html>', '<html><head><meta charset="utf-8">',
                      # No script, no remote resource, whatever a submission's text holds.
                      '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                      'style-src \'unsafe-inline\'">',
                      f"<title>{html.escape(title)}</title>", _STYLE, "</head><body>", *body, "</body></html>", ""])


def index_html(report: Report, shown: list[Pair], pages: dict) -> str:
    e = html.escape
    body = [f"<h1>Similar solutions: {e(report.hw)}</h1>", *[f"<p>{e(line)}</p>" for line in _about(report)],
            "<table><tr><th>rank</th><th>student</th><th>student</th><th>similarity</th><th>shares</th>"
            "<th>tokens</th><th>verdict</th><th>side by side</th></tr>"]
    for rank, p in enumerate(shown, 1):
        link = f'<a href="{e(pages[id(p)])}">{e(pages[id(p)])}</a>' if id(p) in pages else ""
        body.append(f"<tr><td>{rank}</td><td>{e(p.a)}</td><td>{e(p.b)}</td><td>{_percent(p.similarity)}</td>"
                    f"<td>{_percent(p.share_a)} / {_percent(p.share_b)}</td><td>{p.tokens}</td>"
                    f"<td>{_verdict(p)}</td><td>{link}</td></tr>")
    body.append("</table>")
    truncated = [s.student for s in report.submissions.values() if s.truncated]
    if truncated:
        body.append(f"<h2>Cut ({MAX_CELL_CHARS:,} characters a cell, {MAX_CODE_CHARS:,} in all): "
                    "look at these by hand</h2>")
        body.append("<ul>" + "".join(f"<li>{e(s)}</li>" for s in truncated) + "</ul>")
    if report.unread:
        body.append("<h2>Not read</h2><ul>"
                    + "".join(f"<li>{e(s)}: {e(why)}</li>" for s, why in report.unread.items()) + "</ul>")
    if report.blank:
        body.append(f"<h2>Blank (nothing beyond the release)</h2><p>{e(', '.join(report.blank))}</p>")
    return _page(f"Similar solutions: {report.hw}", body)


def cell_passages(sub: Submission, slices, stubs: dict[str, frozenset[str]]) -> dict[str, str]:
    """cell label -> that cell's code as HTML, for the cells with a match: the matched code in
    <mark>, the release's own lines (the stub's signature and docstring) greyed, never marked,
    and blank lines plain."""
    state = bytearray(len(sub.text))  # 0 plain, 1 matched, 2 the release's
    for start, end in zip(*(map(int, row) for row in slices)):
        state[start:end] = b"\1" * len(state[start:end])
    passages = {}
    for label, lo, hi in sub.spans:
        at = lo
        for line in sub.text[lo:hi].splitlines(keepends=True):
            if not line.strip():  # a blank line is no evidence
                state[at:at + len(line)] = b"\0" * len(line)
            elif line.strip() in stubs.get(label, ()):
                state[at:at + len(line)] = b"\2" * len(line)
            at += len(line)
        if 1 in state[lo:hi]:
            passages[label] = "".join(_RUN[kind].format(html.escape(sub.text[i:j]))
                                      for kind, i, j in _runs(state, lo, hi))
    return passages


_RUN = {0: "{}", 1: "<mark>{}</mark>", 2: '<span class="given">{}</span>'}


def _runs(state: bytearray, lo: int, hi: int):
    """(kind, start, end) of each run of one kind in state[lo:hi]."""
    start = lo
    for i in range(lo + 1, hi + 1):
        if i == hi or state[i] != state[start]:
            yield state[start], start, i
            start = i


def pair_html(report: Report, pair: Pair) -> str:
    e = html.escape
    left = cell_passages(report.submissions[pair.a], pair.slices_a, report.stubs)
    right = cell_passages(report.submissions[pair.b], pair.slices_b, report.stubs)
    order = [label for label, _, _ in report.submissions[pair.a].spans if label in left]
    order += [label for label, _, _ in report.submissions[pair.b].spans if label in right and label not in order]
    body = [f"<h1>{e(pair.a)} and {e(pair.b)}: {_percent(pair.similarity)}</h1>",
            f"<p>{_percent(pair.share_a)} of {e(pair.a)}'s code and {_percent(pair.share_b)} of "
            f"{e(pair.b)}'s match the other's ({pair.tokens} tokens). Matching passages are marked, "
            "the release's own lines greyed; names and layout may differ (code is compared as tokens).</p>",
            '<p><a href="../index.html">back to the ranking</a></p>',
            f'<table><tr><th>cell</th><th class="side">{e(pair.a)}</th><th class="side">{e(pair.b)}</th></tr>']
    for label in order:
        body.append(f"<tr><td>{e(label)}</td><td><pre>{left.get(label, '')}</pre></td>"
                    f"<td><pre>{right.get(label, '')}</pre></td></tr>")
    body.append("</table>")
    return _page(f"{pair.a} and {pair.b}", body)


# --------------------------------------------------------------------------- hw similarity


def add_parser(commands) -> argparse.ArgumentParser:
    """`hw similarity`, registered by cli.main."""
    p = commands.add_parser(
        "similarity", help="rank pairs of students by how similar their solution code is",
        description="Compare the code students wrote in their solution cells (the release's code taken "
                    "out; renamed variables and reformatting still match) and write a ranking with the "
                    "matching passages side by side: <out>/_class/<hw>/similarity/index.md, index.html "
                    "and pairs/NNN.html for each flagged pair.")
    p.add_argument("homework", help=f"one of {', '.join(course.homeworks())}")
    p.add_argument("submissions", nargs="+",
                   help="notebook paths or globs (quote globs), named as hw grade names them")
    p.add_argument("--out", type=Path, default=course.AUTOGRADED,
                   help="the grades' folder; the report goes to <out>/_class/<hw>/similarity/")
    p.add_argument("--threshold", type=_fraction, default=DEFAULT_THRESHOLD,
                   help="flag a pair when this share of one student's code matches the other's")
    p.add_argument("--min-tokens", type=_count, default=DEFAULT_MIN_TOKENS,
                   help="and when the matching code is at least this long (filtered tokens)")
    p.add_argument("--common", type=_count, default=DEFAULT_COMMON,
                   help="ignore code found in more than this many submissions (an idiom, not a copy)")
    p.add_argument("--top", type=_count, default=DEFAULT_TOP, help="pairs listed in the index (flagged or not)")
    return p


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 (excluded) and 1")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: at least 1")
    return value


def cmd_similarity(args) -> int:
    """Exit 0 with the report written; 2 with one line (and nothing written) on a usage error."""
    # Submissions are named, globbed and refused as hw grade does; cli imports this module, so here.
    from .cli import UsageError, class_folder, collisions, expand, odd_submission, student_name

    hw = args.homework
    known = course.homeworks()
    if hw not in known:
        raise UsageError(f"unknown homework {hw!r}; the homeworks are {', '.join(known)}")
    if not course.release_notebook(hw).is_file():
        raise UsageError(f"release/{hw}/{hw}.ipynb is missing (its code is what is taken out): "
                         f"run `hw release {hw}` first")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is a file, not a folder")
    missing = [p for p in args.submissions if not (glob.glob(p) if glob.has_magic(p) else os.path.lexists(p))]
    if missing:
        raise UsageError(f"no such submission: {' '.join(missing)} (a path that does not exist, "
                         "or a glob matching nothing)")
    given = list(dict.fromkeys(Path(os.path.abspath(p)) for p in expand(args.submissions)))
    collided = collisions(given, hw)
    if collided:
        name, group = next(iter(collided.items()))
        raise UsageError(f"{' and '.join(map(str, group))} are both student {name}: give one notebook per "
                         "student (submitted/<student>/<hw>/<hw>.ipynb)")
    folder = class_folder(given)
    refused = {student_name(p, hw): odd_submission(p, folder) for p in given}
    paths = {student_name(p, hw): p for p in given if not refused[student_name(p, hw)]}
    report = compare(hw, paths, args.threshold, args.min_tokens, args.common)
    report.unread = dict(sorted({**report.unread, **{s: why for s, why in refused.items() if why}}.items()))
    index = write_report(report, report_folder(args.out, hw), args.top)
    flagged = sum(p.flagged for p in report.pairs)
    print(f"{len(report.submissions)} compared, {len(report.blank)} blank, {len(report.unread)} not read; "
          f"{flagged} pair(s) flagged: {index} (and index.html)")
    return 0

