"""Part D as a program: the options it is run with change what it trains, and the model it
saves is the trained Net (a short run; how well it trains: test_program_accuracy.py).

What the program prints is checked for its format only. How well it trained is measured:
the weights it saved are loaded into the submission's own Net in a fresh worker (none of the
notebook's code runs there, and it has no data), the test images are handed in, and the
grader counts the right answers with its own labels; the same weights also go through the
specified forward pass here, and the lower of the two counts is the one that is graded.
"""

import re

import pytest
from _program import CPU_TIER, check_saved_model, epoch_results, parameters_printed, run, saved_model_counts, \
    saved_weights, tail
from _reference import mnist_net_parameter_count

BAR = 700  # of 1,000 after one epoch of a small Net: trained at all (the reference: about 900)


@pytest.mark.points(2)
def test_program_options_and_saved_model(student, measure):
    c1, c2, k = 6, 12, 5
    argv = CPU_TIER + ["--epochs", "1", "--conv1-channels", str(c1), "--conv2-channels", str(c2),
                       "--kernel-size", str(k), "--batch-size", "100", "--test-batch-size", "250",
                       "--log-interval", "20", "--lr", "0.05", "--momentum", "0.9", "--save-model"]
    result, command = run(student, argv)
    want = mnist_net_parameter_count(c1, c2, k)
    count = parameters_printed(result.output)
    assert count == want, f"`{command}` should print \"Parameters: {want}\", found {count}:\n{tail(result.output)}"
    logged = len(re.findall(r"Train Epoch: 1 \[", result.output))
    assert logged == 2, (f"`{command}`: 4,000 images in batches of 100 are 40 batches, logged every 20: expected "
                         f"2 \"Train Epoch\" lines, found {logged}")
    tests = epoch_results(result.output)
    assert len(tests) == 1, f"`{command}`: expected one \"Test set\" line (1 epoch), found {len(tests)}"
    theirs, ours = saved_model_counts(student, saved_weights(result, command), (c1, c2, k), command)
    check_saved_model(theirs, ours, BAR, command, (c1, c2, k), result.output, measure)
