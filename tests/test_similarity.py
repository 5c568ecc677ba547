"""`hw similarity` on a synthetic class of hw01_backprop.

The class: alice (the reference), bob (every correct alternative of tests/corpus_hw01.py: the
same homework solved independently), carol (alice's code with every local name renamed and
reformatted by ast.unparse: other layout, quotes, no comments), dave (bob's, disguised the
same way), a student who copied three of alice's answers, blank releases, releases where the
stub's raise is replaced by `pass`, eleven where it is replaced by the same line, and hostile
ones: not JSON, alice's code with one cell padded to 560 kB (cut, and still found), a copied
pair whose code and name carry HTML and Markdown meant to end up in the report.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

import corpus
from hw_utils import cli, samples, similarity
from hw_utils.notebook import nbgrader_meta

HW = "hw01_backprop"
INJECTION = "</pre><script>alert(1)</script>[x](javascript:alert(1))"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"


def disguise(code: str) -> str:
    """What a copier hands in: every local name renamed, the code reformatted (ast.unparse).

    The graded functions keep their names (the tests call them); the rest need not run.
    """
    tree = ast.parse(code)
    graded = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    local = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    local |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    local -= graded | {"self"}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in local:
                node.id = f"my_{node.id}2"
            return node

        def visit_arg(self, node):
            if node.arg in local:
                node.arg = f"my_{node.arg}2"
            return node

    return ast.unparse(Rename().visit(tree))


def solutions(nb) -> dict[str, str]:
    """grade_id -> the solution code as a student types it (nbgrader's markers removed)."""
    return {nbgrader_meta(c)["grade_id"]: samples.strip_markers(c.source) for c in samples.solution_cells(nb)}


def handed_in(answers: dict[str, str], hw: str = HW):
    """The release with these answers in their solution cells, the other stubs left as released."""
    nb = corpus.load(corpus.release_path(hw))
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def alternative_answers(hw: str = HW) -> dict[str, str]:
    """Every correct alternative of the corpus at once: the homework solved another way."""
    nb = corpus.load(corpus.source_path(hw))
    for variant in corpus.CORRECT[hw]:
        for edit in variant.edits:
            edit.apply(nb)
    return solutions(nb)


def synthetic_class(blanks: int = 12) -> dict:
    reference = solutions(corpus.load(corpus.source_path(HW)))
    alternative = alternative_answers()
    first_three = dict(list(reference.items())[:3])
    idle = corpus.load(corpus.release_path(HW))
    for cell in idle.cells:
        cell.source = cell.source.replace("raise NotImplementedError()", "pass")
    # The same few characters in every stub: not the release's, but in more than --common submissions.
    same = corpus.load(corpus.release_path(HW))
    for cell in same.cells:
        cell.source = cell.source.replace("raise NotImplementedError()", "return 0.0  # TODO")
    injected = {gid: f"{code}\n# {INJECTION}\nnote = {INJECTION!r}\n" for gid, code in list(alternative.items())[:6]}
    huge = dict(reference, sigmoid=reference["sigmoid"] + "\n" + "x = [1, 2, 3]\n" * 40_000)
    return {
        "alice": handed_in(reference),
        "bob": handed_in(alternative),
        "carol": handed_in({gid: disguise(code) for gid, code in reference.items()}),
        "dave": handed_in({gid: disguise(code) for gid, code in alternative.items()}),
        "partial": handed_in({gid: disguise(code) for gid, code in first_three.items()}),
        **{f"blank{i:02d}": corpus.load(corpus.release_path(HW)) for i in range(blanks)},
        **{f"idle{i}": nbformat.from_dict(idle) for i in range(3)},
        **{f"same{i:02d}": nbformat.from_dict(same) for i in range(similarity.DEFAULT_COMMON + 1)},
        "broken": "{ this is not a notebook",
        "eve": handed_in(injected),
        HOSTILE_NAME: handed_in({gid: disguise(code) for gid, code in injected.items()}),
        "huge": handed_in(huge),
    }


@pytest.fixture(scope="module")
def class_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    paths = corpus.write_submissions(HW, synthetic_class(), root / "submitted")
    report = similarity.compare(HW, paths)
    folder = similarity.report_folder(root / "autograded", HW)
    similarity.write_report(report, folder)
    return report, folder


def _pair(report, a: str, b: str):
    return next(p for p in report.pairs if {p.a, p.b} == {a, b})


def _rank(report, a: str, b: str) -> int:
    return next((i for i, p in enumerate(report.pairs) if {p.a, p.b} == {a, b}), len(report.pairs))


def test_renamed_and_reformatted_copies_are_flagged_at_the_top(class_report):
    report, _ = class_report
    for a, b in [("alice", "carol"), ("bob", "dave"), ("eve", HOSTILE_NAME)]:
        pair = _pair(report, a, b)
        assert pair.flagged and pair.similarity >= 0.8, pair
    partial = _pair(report, "alice", "partial")
    assert partial.flagged and partial.share_b >= 0.8 and partial.share_a < 0.5, partial


def test_independent_solutions_rank_below_every_copy(class_report):
    report, _ = class_report
    last_copy = max(_rank(report, a, b) for a, b in [("alice", "carol"), ("bob", "dave"), ("alice", "partial")])
    for a, b in [("alice", "bob"), ("alice", "dave"), ("carol", "bob"), ("carol", "dave")]:
        assert _rank(report, a, b) > last_copy
        assert not any(p.flagged for p in report.pairs if {p.a, p.b} == {a, b})


def test_blank_submissions_flag_no_one(class_report):
    report, _ = class_report
    blank = {name for name in report.blank}
    assert {f"blank{i:02d}" for i in range(12)} | {f"idle{i}" for i in range(3)} <= blank
    assert not blank & set(report.submissions)
    same = {name for name in report.submissions if name.startswith("same")}
    assert len(same) > similarity.DEFAULT_COMMON
    assert not [p for p in report.pairs if {p.a, p.b} & (blank | same)]


def test_hostile_notebooks_are_listed_not_fatal(class_report):
    report, _ = class_report
    assert "not valid JSON" in report.unread["broken"]
    assert report.submissions["huge"].truncated
    assert _pair(report, "alice", "huge").flagged  # padding one cell hides nothing else
    assert len(report.submissions["huge"].text) < similarity.MAX_CODE_CHARS + 10_000


def test_the_report_escapes_what_submissions_say(class_report):
    report, folder = class_report
    pages = sorted((folder / "pairs").glob("*.html"))
    assert len(pages) == sum(p.flagged for p in report.pairs)
    ours = {"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "a", "span", "table", "tr",
            "th", "td", "pre", "mark", "ul", "li"}
    for page in [folder / "index.html", *pages]:
        tags = set(re.findall(r"</?([!A-Za-z0-9]+)", page.read_text()))
        assert tags <= ours, f"{page.name}: markup from a submission: {tags - ours}"
    index_md = (folder / "index.md").read_text()
    assert "<img" not in index_md and "<script" not in index_md
    assert not re.search(r"(?<!\\)\[x\]\(javascript", index_md)
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in index_md  # the name, shown as text
    eve = (folder / "pairs" / f"{_rank(report, 'eve', HOSTILE_NAME) + 1:03d}.html").read_text()
    assert "&lt;/pre&gt;&lt;script&gt;" in eve and "<mark>" in eve  # the code, shown as text


def test_the_index_ranks_flagged_pairs_with_their_pages(class_report):
    report, folder = class_report
    rows = [line for line in (folder / "index.md").read_text().splitlines() if line.startswith("| 1 |")]
    assert rows and "FLAGGED" in rows[0] and "pairs/001.html" in rows[0]
    top = report.pairs[0]
    page = (folder / "pairs" / "001.html").read_text()
    assert top.a in page and top.b in page


@pytest.mark.parametrize("hw", ["hw02_init", "hw06_regularization"])
def test_other_homeworks_copies_flagged_independent_solutions_not(tmp_path, hw):
    """The same on homeworks whose answers are torch modules and statistics (classes, no loops)."""
    reference = solutions(corpus.load(corpus.source_path(hw)))
    alternative = alternative_answers(hw)
    notebooks = {"ref": reference, "ref_copy": {g: disguise(c) for g, c in reference.items()},
                 "alt": alternative, "alt_copy": {g: disguise(c) for g, c in alternative.items()}}
    paths = corpus.write_submissions(hw, {name: handed_in(answers, hw) for name, answers in notebooks.items()},
                                     tmp_path)
    paths["blank"] = corpus.write_submissions(hw, {"blank": corpus.load(corpus.release_path(hw))}, tmp_path)["blank"]
    report = similarity.compare(hw, paths)
    assert {frozenset((p.a, p.b)) for p in report.pairs if p.flagged} == {frozenset(("ref", "ref_copy")),
                                                                          frozenset(("alt", "alt_copy"))}
    assert report.blank == ["blank"]


def test_the_side_by_side_marks_what_students_wrote_not_the_stub(class_report):
    report, folder = class_report
    page = (folder / "pairs" / f"{_rank(report, 'alice', 'carol') + 1:03d}.html").read_text()
    row = page[page.index("<tr><td>sigmoid</td>"):].split("</tr>")[0]
    alice, carol = row.split("</pre></td><td><pre>")
    assert '<span class="given">def sigmoid(z):' in alice and '"""Logistic sigmoid' not in row  # escaped, greyed
    assert "<mark>    return 1.0 / (1.0 + np.exp(-z))</mark>" in alice
    assert "<mark>def sigmoid(my_z2):" in carol and "np.exp(-my_z2))</mark>" in carol


def test_hw_similarity_command(tmp_path, capsys):
    """Submissions named as hw grade names them; a symlinked student folder is listed, not read."""
    submitted = tmp_path / "submitted"
    corpus.write_submissions(HW, {"alice": handed_in(solutions(corpus.load(corpus.source_path(HW)))),
                                  "blank": corpus.load(corpus.release_path(HW))}, submitted)
    (submitted / "mallory").symlink_to(submitted / "alice")
    assert cli.main(["similarity", HW, str(submitted / "*" / HW / f"{HW}.ipynb"), "--out", str(tmp_path / "out")]) == 0
    assert "1 compared, 1 blank, 1 not read" in capsys.readouterr().out
    index = (tmp_path / "out" / "_class" / HW / "similarity" / "index.md").read_text()
    assert "mallory" in index and "symbolic link" in index
    assert (tmp_path / "out" / "_class" / HW / "similarity" / "index.html").is_file()


def test_a_match_at_a_class_is_marked_at_the_class():
    """copydetect 0.5.0 maps a class name back to near the top of the code; similarity repairs it."""
    code = "x = 1\n" * 50 + "class Net(nn.Module):\n    pass\n"
    fingerprint = similarity._fingerprints([code], set())[0]
    position = fingerprint.filtered_code.index("classO") + len("class")
    removed = next(row[1] for row in fingerprint.offsets if row[0] == position)
    assert code[position + removed:].startswith("Net(")
    assert all(a <= b for a, b in zip(fingerprint.offsets[:, 1], fingerprint.offsets[1:, 1]))


def _status(argv: list[str]) -> int:
    """cli.main's exit status, argparse's own errors (SystemExit) included."""
    try:
        return cli.main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize("argv, says", [
    (["hw99_nothing", "x.ipynb"], "unknown homework"),
    ([HW, "no/such/*.ipynb"], "no such submission"),
    ([HW, "FILE", "--out", "FILE"], "is a file, not a folder"),
    ([HW, "FILE", "--threshold", "2"], "between 0"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, says):
    file = tmp_path / "a.ipynb"
    file.write_text("{}")
    assert _status(["similarity", *[str(file) if arg == "FILE" else arg for arg in argv]]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1
