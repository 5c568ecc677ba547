"""Trusted helpers for Part D's program, run in the grader: run it, read what it printed,
and measure the model it saved (never what it printed about itself)."""

import io
import re
import zipfile

import torch
from _reference import mnist_net_forward, mnist_net_shapes

from hw_utils.testing import StudentError, load_tensors

CHUNK = 500  # test images per call into the saved model
CPU_TIER = ["--dataset", "mnist_subset", "--no-cuda"]
SPECIFIED_FORWARD = ("conv1 -> ReLU -> conv2 -> ReLU -> 2x2 max pool -> flatten -> fc1 -> ReLU -> fc2 -> "
                     "log_softmax (dropout off in eval mode)")
# Run in a fresh worker, where mnist_cnn.pt is the only file besides the submission's scripts.
LOAD_SAVED_MODEL = """
import torch
from task1_cnn import Net

model = Net({c1}, {c2}, {k})
model.load_state_dict(torch.load("mnist_cnn.pt", weights_only=True))
model.eval()
"""
TEST_LINE = re.compile(r"Test set: Average loss: (\S+), Accuracy: (\d+)/(\d+) \(([\d.]+)%\)")
PARAMETERS_LINE = re.compile(r"Parameters: ([\d,]+)")
PICKLE_FAILURE = re.compile(r"(Pickling|Attribute)Error.*(pickle|Net)|Can't pickle", re.IGNORECASE)
WHOLE_MODULE_SAVE = ("torch.save(model, ...) pickles the whole Net object, which needs the class Net to load; the "
                     "task asks for torch.save(model.state_dict(), \"mnist_cnn.pt\"), the weights only, which the "
                     "grader loads with torch.load(..., weights_only=True) into Net")


def tail(text, lines=15):
    return "\n".join(text.strip().splitlines()[-lines:])


def run(student, argv, timeout=240):
    """The program run as `python task1_cnn.py argv`; (its ScriptRun, the command) once it exited 0."""
    result = student.run_script("task1_cnn.py", argv, timeout=timeout)
    command = "python task1_cnn.py " + " ".join(argv)
    assert not result.timed_out, f"`{command}` ran longer than {timeout} s and was stopped:\n{tail(result.output)}"
    last = (result.output.strip().splitlines() or [""])[-1]
    if result.exit_code != 0 and "--save-model" in argv and PICKLE_FAILURE.search(last):
        # Python pickles a class by its module and name; where the program runs, its Net cannot be
        # found again that way. The cause to name is the whole-module save itself.
        raise AssertionError(f"`{command}` failed while saving the model ({last.strip()}): {WHOLE_MODULE_SAVE}")
    assert result.exit_code == 0, \
        f"`{command}` ended with exit code {result.exit_code}: {last}\nits last lines:\n{tail(result.output)}"
    return result, command


def epoch_results(output):
    """[(correct, total), ...] from every "Test set: ..." line, in order."""
    return [(int(m.group(2)), int(m.group(3))) for m in TEST_LINE.finditer(output)]


def parameters_printed(output):
    m = PARAMETERS_LINE.search(output)
    return None if m is None else int(m.group(1).replace(",", ""))


def help_entries(help_text):
    """{option: its whole help entry, whitespace collapsed} from argparse's -h output."""
    entries, keys = {}, []
    for line in help_text.splitlines():
        stripped = line.strip()
        if re.match(r"^ {1,4}-", line):  # an entry's first line: "  --lr LR    learning rate ..."
            keys = re.findall(r"(?<![\w-])--?[\w-]+", stripped.split("  ")[0])
            for key in keys:
                entries[key] = stripped
        elif keys and line.startswith("    ") and stripped:  # its help text, wrapped
            for key in keys:
                entries[key] += " " + stripped
        else:
            keys = []
    return {key: " ".join(text.split()) for key, text in entries.items()}


def saved_weights(result, command):
    assert "mnist_cnn.pt" in result.files, \
        f"`{command}` should write mnist_cnn.pt (model.state_dict()); files left: {sorted(result.files)}"
    return result.files["mnist_cnn.pt"]


def holds_a_pickled_module(data: bytes) -> bool:
    """Whether a torch.save file holds nn.Module objects (torch.save(model)), not a state_dict.
    Read as bytes, never unpickled: a state_dict's pickle names tensors and OrderedDict only."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
            return any(b"torch.nn.modules" in archive.read(n)[:1 << 20] for n in pickles[:1])
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        return False


def saved_model_counts(student, weights: bytes, config, command) -> tuple[int, int]:
    """Test images of the mnist_subset classified right by the saved weights, (theirs, ours):
    loaded into the submission's Net(*config) in a fresh worker and run there, and run through
    the specified forward here."""
    c1, c2, k = config
    X, y = load_tensors("mnist_subset", split="test")
    try:
        with student.fresh(LOAD_SAVED_MODEL.format(c1=c1, c2=c2, k=k), {"mnist_cnn.pt": weights}) as saved:
            snap = saved.model
            model = saved.reference_to("model")
            outputs = [model(X[start:start + CHUNK]) for start in range(0, len(X), CHUNK)]
    except StudentError as err:
        if holds_a_pickled_module(weights):
            raise AssertionError(f"the mnist_cnn.pt written by `{command}`: {WHOLE_MODULE_SAVE}") from None
        raise AssertionError(f"the mnist_cnn.pt written by `{command}` does not load into Net({c1}, {c2}, {k}) "
                             f"with torch.load(..., weights_only=True) and load_state_dict:\n{err}") from None
    shapes = {name: tuple(t.shape) for name, t in snap.parameters.items()}
    assert shapes == mnist_net_shapes(c1, c2, k), \
        f"mnist_cnn.pt of Net({c1}, {c2}, {k}): expected {mnist_net_shapes(c1, c2, k)}, found {shapes}"
    assert all(isinstance(out, torch.Tensor) and tuple(out.shape) == (len(part), 10)
               for out, part in zip(outputs, X.split(CHUNK))), \
        f"Net({c1}, {c2}, {k}) with the saved weights should map test images ({CHUNK}, 1, 28, 28) to (N, 10) outputs"
    theirs = (torch.cat(outputs).argmax(dim=1) == y).sum().item()
    ours = (mnist_net_forward(snap.parameters, X).argmax(dim=1) == y).sum().item()
    return theirs, ours


def check_saved_model(theirs: int, ours: int, bar: int, command: str, config, output: str, measure) -> None:
    """The graded count is the smaller of the two; the message names why it is low."""
    correct = min(theirs, ours)
    measure("accuracy", correct / 1000, bar / 1000)
    if correct >= bar:
        return
    if ours < bar <= theirs or theirs - ours > 50:
        raise AssertionError(
            f"`{command}`: the Net{tuple(config)} the program saved classifies {theirs}/1000 test images right "
            f"through your Net's forward, but {ours}/1000 through the specified one, {SPECIFIED_FORWARD}: your "
            f"forward differs from the specified network (need at least {bar} through both)")
    if max(theirs, ours) <= 200:
        printed = epoch_results(output)
        claim = f" (the program printed {printed[-1][0]}/{printed[-1][1]} for its last epoch)" if printed else ""
        raise AssertionError(
            f"`{command}`: the model it saved classifies {correct}/1000 test images right, about chance, as an "
            f"untrained network does{claim}: is it trained, and saved after training (after the last epoch)? "
            f"need at least {bar}")
    raise AssertionError(
        f"`{command}`: the model it saved classifies {correct}/1000 test images right (measured by the grader, "
        f"whatever the program printed), need at least {bar}")
