"""Part B: the convolutional auto-encoder reconstructs digits it never saw. The grader trains a fresh
ConvAutoEncoder(K) with the submission's train_autoencoder and the notebook's budget on the training
digits as images (4000, 1, 28, 28), then computes decode(encode(x)) for the held-out digits itself."""

import pytest
from _reference import BATCH_SIZE, EPOCHS, K, LR, digits, mean_image_loss, mse, reconstruct

from hw_utils.testing import fail, is_module, type_name

BAR = 0.028  # the reference 0.0171-0.0222 over seeds 0..4; weak baselines 0.041-0.125; the mean image 0.068


@pytest.mark.accuracy
@pytest.mark.call_timeout(180)
@pytest.mark.points(3)
def test_conv_autoencoder_reconstructs_held_out_digits(student, seed, measure):
    X, X_test = digits("train", images=True), digits("test", images=True)
    student.torch.manual_seed(seed)
    model = student.construct("ConvAutoEncoder", K)
    if not is_module(model):
        fail(f"ConvAutoEncoder({K}) should construct a torch.nn.Module, got a {type_name(model)}")
    call = (f"train_autoencoder(ConvAutoEncoder({K}), the 4,000 training digits (4000, 1, 28, 28), epochs={EPOCHS}, "
            f"lr={LR}, batch_size={BATCH_SIZE}, seed={seed})")
    student.train_autoencoder(model, X, epochs=EPOCHS, lr=LR, batch_size=BATCH_SIZE, seed=seed)
    loss = mse(reconstruct(model, X_test, K, f"ConvAutoEncoder({K}) after {call}"), X_test)
    measure("held-out reconstruction loss", loss, BAR)
    assert loss <= BAR, (
        f"{call}: the mean squared error of decode(encode(x)) on the 1,000 held-out digits is {loss:.4f}, need at "
        f"most {BAR} (the mean training image scores {mean_image_loss(X, X_test):.4f})")
