"""hw04's feedback names the real cause of a failure, read from the graded proof corpus
(tests/corpus_hw04.py): a program whose network differs from the specified one is told so,
not to save its model after training; a whole-module save is named as such, whether or not
the grader's sandbox can pickle the class."""

import pytest

import corpus

HW = "hw04_cnn"
OPTIONS = "test_program::test_program_options_and_saved_model"


def feedback_of(batch, mutant: str, test: str) -> str:
    return corpus.tests_by_name(batch.grades[mutant])[test].output


# `hw` as a parameter: the tests share hw04's graded corpus with test_discrimination.py (conftest.py).
@pytest.mark.parametrize("hw", [HW])
def test_a_network_that_differs_is_told_its_forward_differs(standard_batch, hw):
    text = feedback_of(standard_batch(hw), "net_flattens_channels_last", OPTIONS)
    assert "your forward differs from the specified network" in text, text
    assert "after the last epoch" not in text, text


@pytest.mark.parametrize("hw", [HW])
def test_a_whole_module_save_is_named(standard_batch, hw):
    text = feedback_of(standard_batch(hw), "program_saves_the_whole_model", OPTIONS)
    assert "torch.save(model, ...) pickles the whole Net object" in text, text
    assert 'torch.save(model.state_dict(), "mnist_cnn.pt")' in text, text


@pytest.mark.parametrize("hw", [HW])
def test_an_untrained_model_is_told_to_train_and_save_after_training(standard_batch, hw):
    batch = standard_batch(hw)
    for mutant in ("program_saves_before_training", "program_prints_an_accuracy_it_never_measured"):
        text = feedback_of(batch, mutant, OPTIONS)
        assert "about chance" in text and "after the last epoch" in text, text
    printed = feedback_of(batch, "program_prints_an_accuracy_it_never_measured", OPTIONS)
    assert "the program printed 1000/1000" in printed, printed
