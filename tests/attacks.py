"""Mounting attacks in a real worker: define code there, run it, read back what happened.

An attack reports its outcome as plain text ('done: <value>' or the exception it raised),
so a test that fails shows what the attack achieved.
"""

from __future__ import annotations

from hw_utils import data, sandbox
from hw_utils.notebook import CodeCell

ATTEMPT = '''
def attempt(action):
    """What happened: 'done: <value>' or the exception it raised."""
    try:
        return "done: " + repr(action())[:300]
    except BaseException as err:
        return f"{type(err).__name__}: {err}"[:300]


def define(source):
    exec(source, globals())
'''


def attack_worker(**limits) -> sandbox.Worker:
    """A started worker whose notebook defines attempt() and define(); close it when done.
    Like a grading worker, it is given the training data (and reads no dataset file)."""
    worker = sandbox.Worker([CodeCell(0, ATTEMPT, None, False)], sandbox.Limits(**{"load_timeout": 60, **limits}),
                            env={data.GIVEN_ENV: str(data.given_data())})
    report = worker.start()
    assert not report.errors and not report.fatal, report.summary()
    return worker


def run(worker: sandbox.Worker, code: str, timeout: float | None = None) -> str:
    """Define `action` in the worker from code (its body) and return attempt(action)."""
    student = sandbox.Student(worker)
    body = "\n".join("    " + line for line in code.strip().splitlines())
    student.define(f"def action():\n{body}\n")
    return worker.call(student.reference_to("attempt")._id, [student.reference_to("action")], {}, timeout)
