"""`hw` as a user meets it: one-line usage errors (exit 2, nothing written), the help, progress, the canary.

Everything here but the canary test runs no notebook: parsing and checks only, a few seconds.
"""

import argparse

import pytest

from hw_utils import cli, course

HW = course.graded_homeworks()[0]


def run_hw(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(capsys, tmp_path, *argv) -> str:
    before = sorted(tmp_path.rglob("*"))
    try:
        status, out, err = run_hw(capsys, *argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
        out, err = capsys.readouterr()
    assert status == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and out == ""
    assert sorted(tmp_path.rglob("*")) == before, "a usage error wrote something"
    return err


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "alice" / HW / f"{HW}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    return path


@pytest.mark.parametrize("command", ["grade", "summary", "merge"])
def test_an_unknown_homework_lists_the_homeworks(capsys, tmp_path, notebook, command):
    extra = {"grade": [str(notebook)], "merge": [str(tmp_path)], "summary": []}[command]
    err = one_line_error(capsys, tmp_path, command, "hw99_nope", *extra, "--out", str(tmp_path / "out"))
    assert "hw99_nope" in err and all(hw in err for hw in course.graded_homeworks())


def test_a_submission_that_does_not_exist_is_an_error_not_a_zero(capsys, tmp_path, notebook):
    err = one_line_error(capsys, tmp_path, "grade", HW, str(notebook), str(tmp_path / "gone.ipynb"),
                         "--out", str(tmp_path / "out"))
    assert "gone.ipynb" in err


def test_a_glob_matching_nothing_is_an_error(capsys, tmp_path, notebook):
    err = one_line_error(capsys, tmp_path, "grade", HW, str(tmp_path / "*" / "*.nothing"),
                         "--out", str(tmp_path / "out"))
    assert "*.nothing" in err


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--jobs", "two"], ["--shard", "3/2"],
                                    ["--shard", "0/2"], ["--shard", "x"], ["--load-timeout", "nan"],
                                    ["--call-timeout", "-1"]])
def test_a_bad_option_value_is_one_line(capsys, tmp_path, notebook, option):
    err = one_line_error(capsys, tmp_path, "grade", HW, str(notebook), "--out", str(tmp_path / "out"), *option)
    assert option[0] in err


def test_an_out_that_is_a_file_is_an_error(capsys, tmp_path, notebook):
    afile = tmp_path / "afile"
    afile.write_text("")
    for argv in (["grade", HW, str(notebook)], ["summary", HW], ["merge", HW, str(tmp_path)]):
        assert "is a file" in one_line_error(capsys, tmp_path, *argv, "--out", str(afile))


def test_a_folder_that_is_not_a_grading_output_is_an_error(capsys, tmp_path, notebook):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no graded" in one_line_error(capsys, tmp_path, "summary", HW, "--out", str(empty))
    assert "no graded" in one_line_error(capsys, tmp_path, "merge", HW, str(empty), "--out", str(tmp_path / "o"))
    assert "not a folder" in one_line_error(capsys, tmp_path, "merge", HW, str(notebook),
                                             "--out", str(tmp_path / "o"))


def test_merge_of_conflicting_shards_is_one_line(capsys, tmp_path):
    for shard, score in (("a", 1), ("b", 2)):
        folder = tmp_path / shard / "alice" / HW
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(f'{{"score": {score}, "tests": []}}')
    err = one_line_error(capsys, tmp_path, "merge", HW, str(tmp_path / "a"), str(tmp_path / "b"),
                         "--out", str(tmp_path / "a"))
    assert "alice" in err


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_help_lists_the_homeworks_and_every_option_its_default(capsys):
    assert all(hw in cli.build_parser().format_help() for hw in course.homeworks())
    for name, sub in subcommands().items():
        text = sub.format_help()
        assert all(hw in text for hw in course.homeworks()), name
        formatter = sub._get_formatter()
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert "default" in formatter._expand_help(action), (name, action.option_strings)
    grade = subcommands()["grade"].format_help()
    assert str(course.AUTOGRADED) in grade and "Exit status" in grade
    demo = subcommands()["demo"].format_help()
    assert "release/<hw>/" in demo and "submitted/{reference,blank,partial}/" in demo


def test_progress_off_a_terminal_is_plain_lines_with_an_estimate(tmp_path):
    import io

    from hw_utils.progress import Progress

    stream = io.StringIO()
    with Progress(3, stream=stream, every=0.05) as progress:
        progress.finished("alice")
        import time
        time.sleep(0.2)  # a long submission: the periodic line
        progress.finished("bob")
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[progress] 1 of 3 graded,") and "left" in lines[0] and "alice" in lines[0]
    assert any("still grading" in line for line in lines)
    assert "2 of 3 graded" in lines[-1] and "\r" not in stream.getvalue()


def test_the_running_test_is_reported_from_the_grading_process(tmp_path):
    """The plugin half (as pytest loads it in a grading process) writes; the display reads."""
    import io

    from hw_utils import progress as plugin
    from hw_utils.progress import Progress

    with Progress(2, stream=io.StringIO(), status_root=tmp_path) as shown:
        args = shown.pytest_args()
        assert args[:2] == ("-p", "hw_utils.progress")
        folder = args[2].split("=", 1)[1]

        class Config:
            def getoption(self, name, default=None):
                return {plugin.STATUS_OPTION: folder, "--submission": "/x/alice/hw/hw.ipynb"}.get(name, default)

        plugin.pytest_configure(Config())
        plugin.pytest_runtest_logstart("grader_tests/hw/test_a.py::test_slow", None)
        assert shown.running() == ["alice: test_a.py::test_slow"]
        plugin.pytest_sessionfinish(None)
        assert shown.running() == []
        plugin._config = None
    assert list(tmp_path.iterdir()) == []  # the status folder is gone


def test_demo_stops_when_the_release_fails(monkeypatch, capsys):
    """A broken source notebook: hw demo says so and grades nothing (not the old release's blank)."""
    monkeypatch.setattr(cli, "cmd_release", lambda homeworks: 2)
    monkeypatch.setattr(cli, "grade_all", lambda *a, **k: pytest.fail("graded after a failed release"))
    monkeypatch.setattr(cli.samples, "write_samples", lambda *a, **k: pytest.fail("samples after a failed release"))
    assert cli.main(["demo"]) == 2
    assert "the release failed" in capsys.readouterr().err
