"""Part E: SVHNNet, count_parameters, train_svhn (CPU: MNIST digits shaped like SVHN), augmentation,
add_noise, noisy_accuracy; the gpu tier trains on SVHN and tests on its test split."""

import pytest
import torch
from _reference import mnist_as_svhn, mnist_net_forward, mnist_net_parameter_count, svhn_test_tensors

from hw_utils.data import DatasetMissing, load_dataset


def fresh_model(student, name="SVHNNet", *args, seed=0):
    student.torch.manual_seed(seed)
    return student.construct(name, *args)


def accuracy(model, X, y, chunk=1000):
    correct = 0
    for start in range(0, len(X), chunk):
        correct += (model(X[start:start + chunk]).argmax(dim=1) == y[start:start + chunk]).sum().item()
    return correct / len(X)


@pytest.mark.points(1)
def test_svhn_net_maps_images_to_logits(student):
    model = fresh_model(student)
    snap = model.eval()
    assert hasattr(snap, "parameters") and snap.num_parameters() > 0, \
        f"SVHNNet() should construct a torch.nn.Module with parameters, got {snap!r:.200}"
    for n in (1, 6):
        x = torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(n))
        out = model(x)
        assert isinstance(out, torch.Tensor) and tuple(out.shape) == (n, 10), \
            f"SVHNNet() on images ({n}, 3, 32, 32): expected logits of shape ({n}, 10), got {getattr(out, 'shape', out)!r}"
        assert torch.isfinite(out).all(), "SVHNNet's logits contain NaN or inf"


@pytest.mark.points(1)
def test_count_parameters(student):
    model = fresh_model(student)
    want = model.eval().num_parameters()
    got = student.count_parameters(model)
    assert isinstance(got, int) and got == want, f"count_parameters(SVHNNet()): expected {want:,}, got {got!r}"
    for c1, c2, k in [(8, 16, 5), (32, 64, 3)]:
        net = fresh_model(student, "Net", c1, c2, k)
        want = mnist_net_parameter_count(c1, c2, k)
        got = student.count_parameters(net)
        assert got == want, f"count_parameters(Net({c1}, {c2}, {k})): expected {want:,}, got {got!r}"
    net.requires_grad_(False)
    got = student.count_parameters(net)
    assert got == 0, f"count_parameters of a model whose parameters all have requires_grad=False: expected 0, got {got!r}"


@pytest.mark.points(3)
def test_train_svhn_learns_digits(student):
    X, y = mnist_as_svhn("train")
    X_test, y_test = mnist_as_svhn("test")
    model = fresh_model(student)
    # Validation data from the training split: no test label ever enters the worker.
    history = student.train_svhn(model, (X, y), (X[:200], y[:200]), epochs=1, lr=1e-3, device="cpu",
                                 batch_size=64)
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        values = getattr(history, name)
        assert isinstance(values, list) and len(values) == 1, \
            f"train_svhn(..., epochs=1) with validation data: History.{name} should hold 1 value, got {values!r:.200}"
    model.eval()
    acc = accuracy(model, X_test, y_test)  # the images go in, the labels stay here
    assert acc >= 0.90, (
        f"SVHNNet trained by train_svhn for 1 epoch on 4,000 MNIST digits padded to 3x32x32 (Adam, lr 1e-3, "
        f"batches of 64): test accuracy {acc:.3f} on the 1,000 test digits, need at least 0.90")


@pytest.mark.points(1)
def test_train_svhn_augment_changes_training(student):
    X, y = mnist_as_svhn("train", seed=1)
    trained = {}
    for augment in (False, True):
        model = fresh_model(student, seed=3)
        student.torch.manual_seed(3)
        history = student.train_svhn(model, (X[:256], y[:256]), None, epochs=1, device="cpu", batch_size=64,
                                     augment=augment)
        assert len(history.train_loss) == 1 and not history.val_loss, \
            f"train_svhn(..., epochs=1, val_data=None, augment={augment}): one train_loss, no val_loss expected"
        trained[augment] = model.eval().parameters
    same = all(torch.equal(trained[False][name], trained[True][name]) for name in trained[False])
    assert not same, ("the same model, data and seeds trained with augment=False and augment=True ended with "
                      "identical parameters: augment=True should transform the training batches")


@pytest.mark.points(1)
def test_svhn_augmentation_keeps_shape_and_labels(student):
    transform = student.construct("svhn_augmentation")  # kept in the worker: a v2 transform is a Module
    ramp = torch.linspace(2.0, -2.0, 32)
    left_bright = ramp.view(1, 1, 1, 32).expand(8, 3, 32, 32).contiguous()  # bright left, dark right
    top_bright = ramp.view(1, 1, 32, 1).expand(8, 3, 32, 32).contiguous()
    changed = False
    for _ in range(20):
        for name, x, axis in [("left-bright", left_bright, 3), ("top-bright", top_bright, 2)]:
            out = transform(x)
            assert isinstance(out, torch.Tensor) and tuple(out.shape) == (8, 3, 32, 32), \
                f"svhn_augmentation() on a batch (8, 3, 32, 32): expected the same shape, got {getattr(out, 'shape', out)!r}"
            first, second = out.narrow(axis, 0, 16).mean().item(), out.narrow(axis, 16, 16).mean().item()
            assert first > second, (
                f"svhn_augmentation() turned {name} images the other way round (mean {first:.2f} vs {second:.2f}): "
                "a flip does not keep a digit's label")
            changed = changed or not torch.equal(out, x)
    assert changed, "svhn_augmentation() returned its input unchanged in 40 calls: it should transform it randomly"


@pytest.mark.points(1)
def test_add_noise_statistics(student):
    x = torch.randn(50, 3, 32, 32, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    n = x.numel()
    for a in (0.05, 0.5):
        got = student.add_noise(x, a)
        assert isinstance(got, torch.Tensor) and got.shape == x.shape and got.dtype == x.dtype, \
            f"add_noise(x, {a}) on float64 images {tuple(x.shape)}: expected a float64 tensor of the same shape, got {got!r:.100}"
        d = got - x
        assert abs(d.mean().item()) < 5 * a / n ** 0.5, f"add_noise(x, {a}) - x should have mean 0, got {d.mean().item():.4g}"
        assert abs(d.std().item() / a - 1) < 5 / (2 * n) ** 0.5, \
            f"add_noise(x, {a}) - x should have standard deviation a = {a}, got {d.std().item():.5g}"


@pytest.mark.points(1)
def test_add_noise_exact_and_reproducible(student):
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(6))
    generator = student.torch.Generator()
    generator.manual_seed(7)
    got = student.add_noise(x, 0.3, generator=generator)
    want = x + 0.3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    assert (got - want).abs().max().item() < 1e-6, (
        "add_noise(x, 0.3, generator) with a generator seeded 7 should return "
        "x + 0.3 * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)")
    again = student.add_noise(x, 0.3, generator=generator)
    assert not torch.equal(again, got), "a second call with the same generator (not reseeded) should draw new noise"
    student.torch.manual_seed(8)
    first = student.add_noise(x, 0.3)
    student.torch.manual_seed(8)
    assert torch.equal(student.add_noise(x, 0.3), first), \
        "without a generator, add_noise should use torch's global generator: torch.manual_seed makes it reproducible"


@pytest.mark.points(1)
def test_add_noise_leaves_its_input_unchanged(student):
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(9))
    images = student.construct("add_noise", x, 0.0)  # a tensor that lives in the worker, equal to x
    noisy = student.add_noise(images, 0.5)
    assert not torch.equal(noisy, x), "add_noise(images, 0.5) returned the images without noise"
    after = images.clone()
    assert torch.equal(after, x), \
        f"add_noise changed its input by up to {(after - x).abs().max().item():.3g}: return a new tensor (images + a * z)"


@pytest.mark.points(1)
def test_noisy_accuracy(student):
    # Part D's Net() (untrained, defaults): unlike a network with batch norm, its predictions on noise
    # change with the noise drawn, and its dropout shows whether it is evaluated in eval mode.
    # The grader measures the right answer itself: the model's parameters through the reference
    # forward pass, on noise drawn here as the docstring specifies, against labels it chose.
    model = fresh_model(student, "Net", seed=4)
    X = torch.randn(300, 1, 28, 28, generator=torch.Generator().manual_seed(10))
    a, seed = 2.0, 12
    noisy = X + a * torch.randn(X.shape, generator=torch.Generator().manual_seed(seed))
    predicted = mnist_net_forward(model.eval().parameters, noisy).argmax(dim=1)  # eval mode: no dropout
    g = torch.Generator().manual_seed(13)
    for wrong in (0, 300, 97, 211):
        y = predicted.clone()
        changed = torch.randperm(300, generator=g)[:wrong]
        y[changed] = (y[changed] + torch.randint(1, 10, (wrong,), generator=g)) % 10
        want = 1 - wrong / 300
        model.train()  # noisy_accuracy must switch to eval mode itself
        got = student.noisy_accuracy(model, X, y, a, seed=seed, batch_size=64)
        assert isinstance(got, float), f"noisy_accuracy should return a float, got {type(got).__name__}"
        assert abs(got - want) <= 2 / 300, (
            f"noisy_accuracy(Net(), X, y, a={a}, seed={seed}, batch_size=64) with labels y that the model gets right "
            f"on {300 - wrong} of 300 noisy images (in eval mode, noise from add_noise(X, a, "
            f"torch.Generator().manual_seed({seed}))): expected {want:.4f}, got {got:.4f} "
            "(noise drawn otherwise, or the model not in eval mode?)")


# The gpu tier: skipped without CUDA (the plugin's `gpu` marker) or without SVHN.
@pytest.mark.gpu
@pytest.mark.call_timeout(600)  # trains on the full training split
@pytest.mark.points(3)
def test_svhn_test_accuracy(student):
    try:
        X, y = svhn_test_tensors(load_dataset("svhn", "test"))
    except DatasetMissing as missing:
        pytest.skip(f"gpu tier needs SVHN on this runner: {missing}")
    model = fresh_model(student)
    student.train_svhn_full(model)
    model.cpu()
    model.eval()
    acc = accuracy(model, X, y, chunk=2000)
    assert acc >= 0.90, f"SVHNNet trained by train_svhn_full(): test accuracy {acc:.4f} on SVHN's 26,032 test images, need 0.90"
