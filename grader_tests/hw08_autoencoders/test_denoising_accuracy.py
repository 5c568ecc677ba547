"""Part C: the denoising auto-encoder cleans digits it never saw. The grader trains a fresh
AutoEncoder(K) with the submission's train_denoising and the notebook's budget, corrupts the held-out
digits with its own noise, hands the noisy images to encode and the codes to decode, and measures
the error against the clean digits here: clearly below the noisy images' own error, and dark where
the digit is black (a network trained on noisy targets outputs a grey background)."""

import pytest
from _reference import BATCH_SIZE, EPOCHS, K, LR, SIGMA, digits, mse, noisy, reconstruct

from hw_utils.testing import WorkerDied, fail, is_module, type_name

BAR = 0.038  # the reference 0.0296-0.0303 over seeds 0..4; the nearest clean training digit 0.044; the noisy images 0.115
RATIO = 0.5  # the denoised error at most this fraction of the noisy images' error
BACKGROUND = 0.1  # the mean output where the clean digit is 0; the reference about 0.03, noisy targets about 0.2
NOISE_SEED = 1000  # the grader's noise on the held-out digits (+ seed)
TRAINED = pytest.StashKey[dict]()


def denoised_test_digits(student, request, seed):
    """(clean, noisy, denoised) held-out digits, the model trained once per grading session."""
    cache = request.config.stash.setdefault(TRAINED, {})
    if seed in cache:
        return cache[seed]
    X, X_test = digits("train"), digits("test")
    X_noisy = noisy(X_test, SIGMA, NOISE_SEED + seed)
    student.torch.manual_seed(seed)
    model = student.construct("AutoEncoder", K)
    if not is_module(model):
        fail(f"AutoEncoder({K}) should construct a torch.nn.Module, got a {type_name(model)}")
    call = (f"train_denoising(AutoEncoder({K}), the 4,000 training digits, epochs={EPOCHS}, lr={LR}, "
            f"batch_size={BATCH_SIZE}, sigma={SIGMA}, seed={seed})")
    student.train_denoising(model, X, epochs=EPOCHS, lr=LR, batch_size=BATCH_SIZE, sigma=SIGMA, seed=seed)
    denoised = reconstruct(model, X_noisy, K, f"AutoEncoder({K}) after {call}")
    cache[seed] = (X_test, X_noisy, denoised, call)
    return cache[seed]


def trained(student, request, seed):
    try:
        return denoised_test_digits(student, request, seed)
    except WorkerDied:  # a model from a worker that has since died is trained again
        request.config.stash[TRAINED].pop(seed, None)
        raise


@pytest.mark.accuracy
@pytest.mark.call_timeout(120)
@pytest.mark.points(3)
def test_denoising_autoencoder_cleans_held_out_digits(student, request, seed, measure):
    clean, X_noisy, denoised, call = trained(student, request, seed)
    loss, noisy_loss = mse(denoised, clean), mse(X_noisy, clean)
    measure("held-out denoised loss", loss, BAR)
    measure("held-out noisy-input loss", noisy_loss)
    assert loss <= BAR and loss <= RATIO * noisy_loss, (
        f"{call}: on the 1,000 held-out digits with noise of sigma {SIGMA}, the denoised images are {loss:.4f} from "
        f"the clean ones (mean squared error), the noisy inputs {noisy_loss:.4f}; need at most {BAR} and at most "
        f"{RATIO} x the noisy inputs' error")


@pytest.mark.points(2)
@pytest.mark.call_timeout(120)
def test_denoising_autoencoder_learnt_clean_targets(student, request, seed, measure):
    """Where a held-out digit is black, the denoised image is dark: the network learnt to output the clean
    digit (trained on noisy targets, it outputs the noise's grey average there)."""
    clean, _, denoised, call = trained(student, request, seed)
    background = float(denoised[clean == 0].mean())
    measure("mean output where the digit is black", background, BACKGROUND)
    assert background <= BACKGROUND, (
        f"{call}: where the held-out digits are black (pixel 0), the denoised images average {background:.3f}, need "
        f"at most {BACKGROUND}: train on the clean images as targets (the noisy ones average about "
        f"{noisy_background(clean):.2f} there)")


def noisy_background(clean) -> float:
    """The mean noisy pixel where the clean digit is black: what a network trained on noisy targets outputs."""
    return float(noisy(clean, SIGMA, 0)[clean == 0].mean())
