"""Part D: the challenge. The grader calls challenge_predict(data_x, data_y, test_x) on the
challenge's arrays (rebuilt here from the recorded spec, checked against its hashes), checks what
comes back as hostile input, and measures the accuracy on the public half of the hidden labels.
Only the public accuracy is measured here, so feedback and results.json never hold the private
one; the checked labels are stored grader side for `hw leaderboard` (hw_utils.leaderboard)."""

from pathlib import Path

import pytest

from hw_utils import challenge, leaderboard
from hw_utils.course import source_notebook
from hw_utils.testing import StudentError, StudentTimeout, WorkerDied, fail

BANDS = [0.915, 0.930, 0.940]  # public accuracy for 2, 4, 6 points: see the notebook's table
_cache: dict = {}  # seed -> (checked predictions, None) or (None, why not): one training per submission


def predictions(student, seed, request):
    if seed not in _cache:
        spec = challenge.read_spec()
        arrays, _ = challenge.rebuild(spec)
        try:
            value = student.challenge_predict(arrays["data_x"], arrays["data_y"], arrays["test_x"])
            checked = challenge.check_predictions(value, spec.n_test)
        except (StudentError, StudentTimeout, WorkerDied) as err:
            _cache[seed] = (None, f"challenge_predict failed: {err}")
        except challenge.BadPredictions as bad:
            _cache[seed] = (None, f"challenge_predict(data_x, data_y, test_x): {bad}")
        else:
            _cache[seed] = (checked, None)
            submission = request.config.getoption("--submission") or source_notebook(challenge.HW)
            leaderboard.record_predictions(Path(submission), checked)
    return _cache[seed]


@pytest.mark.points(1)
@pytest.mark.call_timeout(90)
def test_predictions_are_labels(student, seed, request):
    """challenge_predict returns one int64 label in 0..9 for every test image."""
    _, problem = predictions(student, seed, request)
    if problem:
        fail(problem)


@pytest.mark.accuracy
@pytest.mark.points(2)
@pytest.mark.call_timeout(90)
@pytest.mark.parametrize("bar", BANDS, ids=[f"{b:.3f}" for b in BANDS])
def test_public_accuracy(student, seed, request, measure, bar):
    """Accuracy on the public half of the hidden test labels reaches this band."""
    predicted, problem = predictions(student, seed, request)
    if problem:
        fail(f"{problem} (0 points for this band)")
    labels = challenge.hidden_labels()
    accuracy = challenge.accuracy(predicted, labels.public_index, labels.public_y)
    measure("public accuracy", accuracy, bar)
    assert accuracy >= bar, (f"public accuracy {accuracy:.4f} on {len(labels.public_y)} hidden labels; "
                             f"this band needs {bar:.3f}")
