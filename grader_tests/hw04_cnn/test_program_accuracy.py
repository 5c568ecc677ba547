"""Part D as a program: trained with the options the notebook names, the model it saves
reaches the bar on the mnist_subset test split, measured by the grader (see test_program.py)."""

import pytest
from _program import CPU_TIER, check_saved_model, epoch_results, parameters_printed, run, saved_model_counts, \
    saved_weights, tail

# The notebook states this budget and bar (Part D, "Experiments"). The reference reaches 955/1000 or
# more over seeds 0..4; a tenth of the data, or the 1,000 images of the "test" split the worker is
# handed (a stand-in drawn from the training images), 915 at most.
EPOCHS, OPTIONS, BAR = 3, ["--lr", "0.02", "--momentum", "0.9", "--batch-size", "32"], 940


@pytest.mark.accuracy
@pytest.mark.points(3)
def test_program_trains_on_the_mnist_subset(student, seed, measure):
    argv = CPU_TIER + ["--epochs", str(EPOCHS), *OPTIONS, "--seed", str(1 + seed), "--log-interval", "50",
                       "--save-model"]
    result, command = run(student, argv)
    count = parameters_printed(result.output)
    assert count == 1_199_882, f"`{command}` should print \"Parameters: 1199882\", found {count}:\n{tail(result.output)}"
    tests = epoch_results(result.output)
    assert len(tests) == EPOCHS, (
        f"`{command}` should print one line \"Test set: Average loss: ..., Accuracy: c/n (p%)\" per epoch "
        f"({EPOCHS}), found {len(tests)}:\n{tail(result.output)}")
    assert tests[-1][1] == 1000, \
        f"the mnist_subset test split has 1,000 images, the program's last \"Test set\" line counts {tests[-1][1]}"
    theirs, ours = saved_model_counts(student, saved_weights(result, command), (32, 64, 3), command)
    check_saved_model(theirs, ours, BAR, command, (32, 64, 3), result.output, measure)
