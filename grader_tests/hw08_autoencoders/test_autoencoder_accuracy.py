"""Part A: the plain auto-encoder reconstructs digits it never saw. The grader trains a fresh
AutoEncoder(K) with the submission's train_autoencoder and the budget the notebook states, then
computes decode(encode(x)) for the 1,000 held-out digits itself (the worker never has them) and
measures the error here, beside the trivial baseline of the mean training image."""

import pytest
from _reference import BATCH_SIZE, EPOCHS, K, LR, digits, mean_image_loss, mse, reconstruct

from hw_utils.testing import fail, is_module, type_name

BAR = 0.025  # the reference 0.0178-0.0184 over seeds 0..4; weak baselines 0.041-0.068; the mean image 0.068


@pytest.mark.accuracy
@pytest.mark.call_timeout(120)
@pytest.mark.points(3)
def test_plain_autoencoder_reconstructs_held_out_digits(student, seed, measure):
    X, X_test = digits("train"), digits("test")
    student.torch.manual_seed(seed)
    model = student.construct("AutoEncoder", K)
    if not is_module(model):
        fail(f"AutoEncoder({K}) should construct a torch.nn.Module, got a {type_name(model)}")
    call = (f"train_autoencoder(AutoEncoder({K}), the 4,000 training digits, epochs={EPOCHS}, lr={LR}, "
            f"batch_size={BATCH_SIZE}, seed={seed})")
    student.train_autoencoder(model, X, epochs=EPOCHS, lr=LR, batch_size=BATCH_SIZE, seed=seed)
    loss = mse(reconstruct(model, X_test, K, f"AutoEncoder({K}) after {call}"), X_test)
    baseline = mean_image_loss(X, X_test)
    measure("held-out reconstruction loss", loss, BAR)
    assert loss <= BAR, (
        f"{call}: the mean squared error of decode(encode(x)) on the 1,000 held-out digits is {loss:.4f}, need at "
        f"most {BAR} (the mean training image scores {baseline:.4f})")
