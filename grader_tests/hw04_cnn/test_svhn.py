"""Part E without training: SVHNNet's interface and that it is a CNN, count_parameters, the
augmentation, add_noise, noisy_accuracy. train_svhn: test_train_svhn.py; how well SVHNNet
learns: test_svhn_accuracy.py."""

import pytest
import torch
from _reference import mnist_net_forward, mnist_net_parameter_count

from hw_utils.testing import fail, is_module, type_name

CNN_PATTERN = "a few stages of 3x3 convolutions (nn.Conv2d) with batch norm and ReLU, and pooling"


def fresh_model(student, name="SVHNNet", *args, seed=0):
    student.torch.manual_seed(seed)
    model = student.construct(name, *args)
    if not is_module(model):
        fail(f"{name}({', '.join(map(repr, args))}) should construct a torch.nn.Module, got a {type_name(model)}")
    return model


def images(n, seed, shape=(3, 32, 32)):
    return torch.randn(n, *shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.points(1)
def test_svhn_net_maps_images_to_logits(student):
    model = fresh_model(student)
    snap = model.eval()
    assert snap.num_parameters() > 0, f"SVHNNet() should have parameters; it prints as\n{snap.text:.600}"
    for n in (1, 6):
        out = model(images(n, n))
        assert isinstance(out, torch.Tensor) and tuple(out.shape) == (n, 10), \
            f"SVHNNet() on images ({n}, 3, 32, 32): expected logits of shape ({n}, 10), got {getattr(out, 'shape', out)!r}"
        assert torch.isfinite(out).all(), "SVHNNet's logits contain NaN or inf"


@pytest.mark.points(1)
def test_svhn_net_ends_without_softmax(student):
    """The docstring: logits, no softmax at the end (nn.CrossEntropyLoss applies log-softmax itself)."""
    model = fresh_model(student, seed=1)
    model.eval()
    out = model(images(8, 2))
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (8, 10), \
        f"SVHNNet() on images (8, 3, 32, 32): expected logits of shape (8, 10), got {getattr(out, 'shape', out)!r}"
    probabilities = bool((out >= 0).all() and (out.sum(dim=1) - 1).abs().max() < 1e-4)
    assert not probabilities, (
        "SVHNNet() returns rows of probabilities (non-negative, summing to 1): it should return logits, with no "
        "softmax at the end; train_svhn's nn.CrossEntropyLoss applies log-softmax itself")


@pytest.mark.points(1)
def test_svhn_net_is_a_cnn(student):
    """The homework asks for a CNN: convolution filters, (out, in, kh, kw) weights with kh, kw > 1,
    among its parameters. An MLP learns the grader's CPU digits nearly as well, not SVHN."""
    snap = fresh_model(student).eval()
    filters = [name for name, p in snap.parameters.items() if p.dim() == 4 and min(p.shape[2:]) > 1]
    assert filters, (
        f"SVHNNet() should be a convolutional network ({CNN_PATTERN}, see 'Your network'); its parameters "
        f"{ {name: tuple(p.shape) for name, p in snap.parameters.items()} } hold no convolution filters; it prints "
        f"as\n{snap.text:.600}")


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
    # Batch norm's running means and variances are buffers, not parameters: a buffer added here must not count.
    net = fresh_model(student, "Net", 8, 16, 5)
    net.register_buffer("running_probe", torch.zeros(7))
    want = mnist_net_parameter_count(8, 16, 5)
    got = student.count_parameters(net)
    assert got == want, (f"count_parameters(Net(8, 16, 5)) with a buffer of 7 entries registered: expected {want:,}, "
                         f"got {got!r}: buffers (batch norm's running means and variances) are not parameters")


@pytest.mark.points(1)
def test_svhn_augmentation_keeps_shape_and_labels(student):
    transform = student.construct("svhn_augmentation")  # kept in the worker: a v2 transform is a Module
    ramp = torch.linspace(2.0, -2.0, 32)
    left_bright = ramp.view(1, 1, 1, 32).expand(8, 3, 32, 32).contiguous()  # bright left, dark right
    top_bright = ramp.view(1, 1, 32, 1).expand(8, 3, 32, 32).contiguous()
    changed, varied, previous = False, False, {}
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
            varied = varied or (name in previous and not torch.equal(out, previous[name]))
            previous[name] = out
    assert changed, "svhn_augmentation() returned its input unchanged in 40 calls: it should transform it randomly"
    assert varied, ("svhn_augmentation() transformed the same batch the same way in 20 calls: it should draw new "
                    "random transformations at each call (v2.RandomAffine with ranges, not fixed values)")


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
    x = images(4, 6)
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
    x = images(2, 9, (3, 8, 8))
    kept = student.construct("add_noise", x, 0.0)  # a tensor that lives in the worker, equal to x
    noisy = student.add_noise(kept, 0.5)
    assert not torch.equal(noisy, x), "add_noise(images, 0.5) returned the images without noise"
    after = kept.clone()
    assert torch.equal(after, x), \
        f"add_noise changed its input by up to {(after - x).abs().max().item():.3g}: return a new tensor (images + a * z)"


def labels_right_on(predicted, wrong, g):
    """Labels that the predictions get right but for `wrong` of them."""
    y = predicted.clone()
    changed = torch.randperm(len(y), generator=g)[:wrong]
    y[changed] = (y[changed] + torch.randint(1, 10, (wrong,), generator=g)) % 10
    return y


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
        y = labels_right_on(predicted, wrong, g)
        want = 1 - wrong / 300
        model.train()  # noisy_accuracy must switch to eval mode itself
        got = student.noisy_accuracy(model, X, y, a, seed=seed, batch_size=64)
        assert isinstance(got, float), f"noisy_accuracy should return a float, got {type(got).__name__}"
        assert abs(got - want) <= 2 / 300, (
            f"noisy_accuracy(Net(), X, y, a={a}, seed={seed}, batch_size=64) with labels y that the model gets right "
            f"on {300 - wrong} of 300 noisy images (in eval mode, noise from add_noise(X, a, "
            f"torch.Generator().manual_seed({seed}))): expected {want:.4f}, got {got:.4f} "
            "(noise drawn otherwise, or the model not in eval mode?)")
