"""The proof corpus for hw08_autoencoders (plain, convolutional and denoising auto-encoders):
see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

AE = "test_autoencoder::"
PLAIN_ACCURACY = "test_autoencoder_accuracy::test_plain_autoencoder_reconstructs_held_out_digits"  # bar 0.025
SHAPES = AE + "test_encode_decode_through_a_bottleneck_of_k"
LOSS = AE + "test_reconstruction_loss_is_the_mean_squared_error"
HISTORY = AE + "test_train_autoencoder_returns_a_falling_loss_per_epoch"
ADAM = AE + "test_train_autoencoder_takes_adam_steps_of_lr"
GRID = AE + "test_image_grid_tiles_rows_of_digits"
LATENT = AE + "test_latent_codes_are_the_codes_of_encode"
CONV = "test_conv::"
CONV_ACCURACY = "test_conv_accuracy::test_conv_autoencoder_reconstructs_held_out_digits"  # bar 0.028
SIZE = CONV + "test_conv_transpose_output_size_matches_pytorch"
CONV_SHAPES = CONV + "test_conv_autoencoder_shapes_and_layers"
COUNT = CONV + "test_count_parameters"
COMPARE = CONV + "test_compare_autoencoders_reports_what_it_measures"
DEN = "test_denoising::"
DEN_ACCURACY = "test_denoising_accuracy::test_denoising_autoencoder_cleans_held_out_digits"  # bar 0.038, 0.5 x noisy
CLEAN_TARGETS = "test_denoising_accuracy::test_denoising_autoencoder_learnt_clean_targets"
NOISE = DEN + "test_add_noise_is_clipped_gaussian_noise_from_the_generator"
NOISE_KEEPS_INPUT = DEN + "test_add_noise_leaves_its_input_unchanged"
DEN_HISTORY = DEN + "test_train_denoising_returns_a_falling_loss_per_epoch"

MUTANTS = [
    # Part A: the plain auto-encoder
    Mutant("decoder_without_sigmoid", "autoencoder",
           "nn.Linear(hidden, 784), nn.Sigmoid())", "nn.Linear(hidden, 784))", (SHAPES,)),
    Mutant("code_through_a_relu", "autoencoder",
           "nn.Linear(hidden, k))", "nn.Linear(hidden, k), nn.ReLU())", (SHAPES,)),
    # Decodes into image shape: right for Part B's model, not for this one.
    Mutant("decode_returns_images", "autoencoder",
           "return self.decoder(z)", "return self.decoder(z).view(-1, 1, 28, 28)", (SHAPES,)),
    # One hidden width for both sides, the decoder's written as the encoder's bottleneck.
    Mutant("decoder_hidden_width_is_k", "autoencoder",
           "nn.Sequential(nn.Linear(k, hidden), nn.ReLU(), nn.Linear(hidden, 784)",
           "nn.Sequential(nn.Linear(k, k), nn.ReLU(), nn.Linear(k, 784)", (SHAPES,)),
    Mutant("loss_sums_squared_errors", "reconstruction_loss",
           "return ((x_hat - x) ** 2).mean()", "return ((x_hat - x) ** 2).sum()", (LOSS,)),
    Mutant("loss_sums_over_pixels", "reconstruction_loss",
           "return ((x_hat - x) ** 2).mean()", "return ((x_hat - x) ** 2).flatten(1).sum(dim=1).mean()", (LOSS,)),
    Mutant("loss_is_mean_absolute_error", "reconstruction_loss",
           "return ((x_hat - x) ** 2).mean()", "return (x_hat - x).abs().mean()", (LOSS,)),
    Mutant("train_with_sgd", "train_autoencoder",
           "torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.SGD(model.parameters(), lr=lr)", (ADAM,)),
    Mutant("train_ignores_lr", "train_autoencoder",
           "torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.Adam(model.parameters())", (ADAM,)),
    Mutant("train_ignores_batch_size", "train_autoencoder",
           "generator=generator).split(batch_size)", "generator=generator).split(BATCH_SIZE)", (ADAM,)),
    Mutant("history_of_tensors", "train_autoencoder",
           "losses.append(loss.item())", "losses.append(loss.detach())", (HISTORY,)),
    Mutant("train_one_epoch_short", "train_autoencoder",
           "for _ in range(epochs):", "for _ in range(epochs - 1):", (HISTORY,)),
    Mutant("image_grid_without_permute", "image_grid",
           "images.permute(0, 2, 1, 3).reshape(28 * R, 28 * C)", "images.reshape(28 * R, 28 * C)", (GRID,)),
    Mutant("image_grid_rows_as_columns", "image_grid",
           "images.permute(0, 2, 1, 3).reshape(28 * R, 28 * C)", "images.permute(1, 2, 0, 3).reshape(28 * C, 28 * R)",
           (GRID,)),
    Mutant("latent_codes_in_train_mode", "latent_codes", "    model.eval()\n", "", (LATENT,)),
    Mutant("latent_codes_as_a_tensor", "latent_codes",
           "for x in X.split(batch_size)]).cpu().numpy()", "for x in X.split(batch_size)])", (LATENT,)),
    # Part B: the convolutional auto-encoder
    Mutant("transpose_size_without_output_padding", "conv_transpose_output_size",
           "return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1",
           "return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1", (SIZE,)),
    Mutant("transpose_size_without_dilation", "conv_transpose_output_size",
           "return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1",
           "return (n - 1) * stride - 2 * padding + (kernel_size - 1) + output_padding + 1", (SIZE,)),
    Mutant("transpose_size_padding_once", "conv_transpose_output_size", "return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1",
           "return (n - 1) * stride - padding + dilation * (kernel_size - 1) + output_padding + 1", (SIZE,)),
    Mutant("transpose_size_n_times_stride", "conv_transpose_output_size", "return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1",
           "return n * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1", (SIZE,)),
    # The convolution's formula where the transposed one is asked for.
    Mutant("transpose_size_is_the_convolution_formula", "conv_transpose_output_size",
           "return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1",
           "return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1", (SIZE,)),
    # 7 -> 13 -> 25: the images come back too small.
    Mutant("decoder_without_output_padding", "conv_autoencoder",
           "nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1)",
           "nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1)", (CONV_SHAPES,)),
    # Up-sampling then convolving: a decoder, but not the transposed convolution the part is about.
    Mutant("decoder_upsamples_instead_of_transposing", "conv_autoencoder",
           "nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # 7 -> 14\n"
           "            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),",
           "nn.Upsample(scale_factor=2), nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(),  # 7 -> 14\n"
           "            nn.Upsample(scale_factor=2), nn.Conv2d(8, 1, 3, padding=1),", (CONV_SHAPES,)),
    Mutant("conv_decoder_without_sigmoid", "conv_autoencoder",
           "output_padding=1), nn.Sigmoid(),", "output_padding=1),", (CONV_SHAPES,)),
    Mutant("count_parameters_counts_tensors", "conv_autoencoder",
           "return sum(p.numel() for p in model.parameters() if p.requires_grad)",
           "return len([p for p in model.parameters() if p.requires_grad])", (COUNT, COMPARE)),
    Mutant("compare_in_train_mode", "compare_autoencoders", "        model.eval()\n", "", (COMPARE,)),
    Mutant("compare_swaps_the_models", "compare_autoencoders",
           '[("plain", plain, X.flatten(1)), ("conv", conv, X)]', '[("conv", plain, X.flatten(1)), ("plain", conv, X)]',
           (COMPARE,)),
    Mutant("compare_sums_the_squared_errors", "compare_autoencoders",
           "loss = reconstruction_loss(model(x), x).item()", "loss = ((model(x) - x) ** 2).sum().item()", (COMPARE,)),
    # Rounded "for the table": no longer the number measured.
    Mutant("compare_reports_rounded_losses", "compare_autoencoders",
           '"loss": loss}', '"loss": round(loss, 2)}', (COMPARE,)),
    # Part C: the denoising auto-encoder
    Mutant("add_noise_without_clipping", "add_noise",
           "return (x + sigma * eps).clamp(0.0, 1.0)", "return x + sigma * eps", (NOISE,)),
    Mutant("add_noise_sigma_as_variance", "add_noise",
           "return (x + sigma * eps).clamp(0.0, 1.0)", "return (x + math.sqrt(sigma) * eps).clamp(0.0, 1.0)", (NOISE,)),
    Mutant("add_noise_ignores_the_generator", "add_noise",
           "    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)", "    eps = torch.randn(x.shape, dtype=x.dtype)",
           (NOISE,)),
    # In place: the clean batch becomes the noisy one, and so does the target.
    Mutant("add_noise_in_place", "add_noise",
           "return (x + sigma * eps).clamp(0.0, 1.0)", "return x.add_(sigma * eps).clamp_(0.0, 1.0)",
           (NOISE_KEEPS_INPUT, CLEAN_TARGETS)),
    Mutant("denoising_on_noisy_targets", "add_noise",
           "loss = reconstruction_loss(model(x_noisy), x)", "loss = reconstruction_loss(model(x_noisy), x_noisy)",
           (CLEAN_TARGETS, DEN_ACCURACY)),
    Mutant("denoising_history_of_tensors", "add_noise",
           "losses.append(loss.item())", "losses.append(loss.detach())", (DEN_HISTORY,)),
]

# --- Weak baselines ------------------------------------------------------------------------
# Figures: the test's measurement over seeds 0..4 (benchmarks/accuracy_margins.py --hw hw08_autoencoders).
LOOKUP_AUTOENCODER = '''class AutoEncoder(nn.Module):
    """Memorises the "test" split it can load: the code is the index of the nearest image there."""

    def __init__(self, k=K, hidden=256):
        super().__init__()
        self.k = k
        self.table = torch.tensor(load_arrays("mnist_subset", split="test", flatten=True)[0], dtype=torch.float32)

    def encode(self, x):
        z = torch.zeros(len(x), self.k)
        z[:, 0] = torch.cdist(x.flatten(1), self.table).argmin(dim=1).float()
        return z

    def decode(self, z):
        return self.table[z[:, 0].round().long().clamp(0, len(self.table) - 1)]

    def forward(self, x):
        return self.decode(self.encode(x))
'''
TRAIN_BODY = "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
LOOKUP_CONV_AUTOENCODER = LOOKUP_AUTOENCODER.replace("class AutoEncoder(nn.Module):", "class ConvAutoEncoder(nn.Module):").replace(
    "def __init__(self, k=K, hidden=256):", "def __init__(self, k=K):").replace(
    "return self.table[z[:, 0].round().long().clamp(0, len(self.table) - 1)]",
    "return self.table[z[:, 0].round().long().clamp(0, len(self.table) - 1)].view(-1, 1, 28, 28)") + '''

def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
'''

WEAK = [
    Weak("plain_decoder_ignores_the_code", "trivial", PLAIN_ACCURACY,
         (Edit("autoencoder", "return self.decoder(z)", "return self.decoder(z * 0)"),), (PLAIN_ACCURACY,),
         "decode(z) = decoder(0 * z): it learns one image for all, the mean image (0.068)"),
    Weak("plain_one_epoch", "one_epoch", PLAIN_ACCURACY,
         (Edit("train_autoencoder", "for _ in range(epochs):", "for _ in range(1):"),), (PLAIN_ACCURACY, HISTORY),
         "train_autoencoder trains one epoch whatever `epochs` says"),
    Weak("plain_hidden_8", "small", PLAIN_ACCURACY,
         (Edit("autoencoder", "def __init__(self, k=K, hidden=256):", "def __init__(self, k=K, hidden=8):"),),
         (PLAIN_ACCURACY,), "784 -> 8 -> 32 -> 8 -> 784: a hidden layer of 8 units on each side"),
    Weak("plain_a_tenth_of_the_data", "little_data", PLAIN_ACCURACY,
         (Edit("train_autoencoder", TRAIN_BODY, "    X = X[::10]  # a tenth\n" + TRAIN_BODY),), (PLAIN_ACCURACY,),
         "train_autoencoder on every tenth digit it is given (400)"),
    Weak("plain_lookup_of_the_test_split", "test_split", PLAIN_ACCURACY,
         (Edit("autoencoder", None, LOOKUP_AUTOENCODER),
          Edit("train_autoencoder", TRAIN_BODY, "    return [0.0] * epochs\n" + TRAIN_BODY)), (PLAIN_ACCURACY,),
         "the nearest of the 1,000 'test' digits it can load (in the worker, training digits): 0.041"),
    # Part B: ConvAutoEncoder(K) trained by the test with train_autoencoder and the notebook's budget.
    Weak("conv_decoder_ignores_the_code", "trivial", CONV_ACCURACY,
         (Edit("conv_autoencoder", "return self.decoder(z)", "return self.decoder(z * 0)"),), (CONV_ACCURACY,),
         "decode(z) = decoder(0 * z): one image for all"),
    Weak("conv_one_epoch", "one_epoch", CONV_ACCURACY,
         (Edit("train_autoencoder", "for _ in range(epochs):", "for _ in range(1):"),), (CONV_ACCURACY, HISTORY),
         "train_autoencoder trains one epoch whatever `epochs` says"),
    Weak("conv_one_channel", "small", CONV_ACCURACY, tuple(Edit("conv_autoencoder", old, new) for old, new in [
        ("nn.Conv2d(1, 8, 3, stride=2, padding=1)", "nn.Conv2d(1, 1, 3, stride=2, padding=1)"),
        ("nn.Conv2d(8, 16, 3, stride=2, padding=1)", "nn.Conv2d(1, 1, 3, stride=2, padding=1)"),
        ("nn.Flatten(), nn.Linear(16 * 7 * 7, k)", "nn.Flatten(), nn.Linear(7 * 7, k)"),
        ("nn.Linear(k, 16 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (16, 7, 7))",
         "nn.Linear(k, 7 * 7), nn.ReLU(), nn.Unflatten(1, (1, 7, 7))"),
        ("nn.ConvTranspose2d(16, 8, 3,", "nn.ConvTranspose2d(1, 1, 3,"),
        ("nn.ConvTranspose2d(8, 1, 3,", "nn.ConvTranspose2d(1, 1, 3,")]),
         (CONV_ACCURACY,), "one channel in every convolution: a 7 x 7 map between the Linear layers and the convolutions"),
    Weak("conv_a_tenth_of_the_data", "little_data", CONV_ACCURACY,
         (Edit("train_autoencoder", TRAIN_BODY, "    X = X[::10]  # a tenth\n" + TRAIN_BODY),), (CONV_ACCURACY,),
         "train_autoencoder on every tenth digit it is given (400)"),
    Weak("conv_lookup_of_the_test_split", "test_split", CONV_ACCURACY,
         (Edit("conv_autoencoder", None, LOOKUP_CONV_AUTOENCODER),
          Edit("train_autoencoder", TRAIN_BODY, "    return [0.0] * epochs\n" + TRAIN_BODY)), (CONV_ACCURACY,),
         "the nearest of the 1,000 'test' digits it can load (in the worker, training digits)"),
    # Part C: AutoEncoder(K) trained by the test with train_denoising and the notebook's budget.
    Weak("denoising_decoder_ignores_the_code", "trivial", DEN_ACCURACY,
         (Edit("autoencoder", "return self.decoder(z)", "return self.decoder(z * 0)"),), (DEN_ACCURACY,),
         "decode(z) = decoder(0 * z): the mean clean image whatever the input"),
    Weak("denoising_one_epoch", "one_epoch", DEN_ACCURACY,
         (Edit("add_noise", "for _ in range(epochs):", "for _ in range(1):"),), (DEN_ACCURACY, DEN_HISTORY),
         "train_denoising trains one epoch whatever `epochs` says"),
    Weak("denoising_hidden_8", "small", DEN_ACCURACY,
         (Edit("autoencoder", "def __init__(self, k=K, hidden=256):", "def __init__(self, k=K, hidden=8):"),),
         (DEN_ACCURACY,), "784 -> 8 -> 32 -> 8 -> 784"),
    Weak("denoising_a_tenth_of_the_data", "little_data", DEN_ACCURACY,
         (Edit("add_noise", TRAIN_BODY, "    X = X[::10]  # a tenth\n" + TRAIN_BODY),), (DEN_ACCURACY,),
         "train_denoising on every tenth digit it is given (400)"),
    Weak("denoising_lookup_of_the_test_split", "test_split", DEN_ACCURACY,
         (Edit("autoencoder", None, LOOKUP_AUTOENCODER),
          Edit("add_noise", TRAIN_BODY, "    return [0.0] * epochs\n" + TRAIN_BODY)), (DEN_ACCURACY,),
         "the nearest clean digit, among the 1,000 'test' digits it can load, to the noisy input"),
]

# --- Correct answers written differently ----------------------------------------------------
AUTOENCODER_LAYERS = '''class AutoEncoder(nn.Module):
    def __init__(self, k=K, hidden=256):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(784, hidden), nn.Linear(hidden, k)
        self.fc3, self.fc4 = nn.Linear(k, hidden), nn.Linear(hidden, 784)

    def encode(self, x):
        return self.fc2(F.relu(self.fc1(x)))

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        return self.decode(self.encode(x))
'''
LOSS_F = '''def reconstruction_loss(x_hat, x):
    return F.mse_loss(x_hat, x, reduction="mean")
'''
TRAIN_DATALOADER = '''def train_autoencoder(model, X, epochs=EPOCHS, lr=LR, batch_size=BATCH_SIZE, seed=0):
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X), batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr)
    history = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for (x,) in loader:
            loss = reconstruction_loss(model(x), x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total, count = total + float(loss), count + 1
        history.append(total / count)
    return history
'''
GRID_LOOPS = '''def image_grid(rows):
    R, C = len(rows), len(rows[0])
    grid = np.zeros((28 * R, 28 * C), dtype=np.float32)
    for r, row in enumerate(rows):
        for j in range(C):
            grid[28 * r:28 * (r + 1), 28 * j:28 * (j + 1)] = row[j].detach().numpy().reshape(28, 28)
    return grid
'''
LATENT_INFERENCE = '''def latent_codes(model, X, batch_size=256):
    model.train(False)
    codes = []
    with torch.inference_mode():
        for start in range(0, len(X), batch_size):
            codes.append(model.encode(X[start:start + batch_size]).numpy().astype(np.float64))
    return np.concatenate(codes)
'''

CORRECT = [
    Correct("autoencoder_named_layers_functional", (Edit("autoencoder", None, AUTOENCODER_LAYERS),
                                                    Edit("reconstruction_loss", None, LOSS_F)),
            ("test_autoencoder", "test_autoencoder_accuracy"),
            "four named Linear layers with F.relu and torch.sigmoid, F.mse_loss"),
    Correct("train_through_a_dataloader_grid_by_loops", (Edit("train_autoencoder", None, TRAIN_DATALOADER),
                                                         Edit("image_grid", None, GRID_LOOPS),
                                                         Edit("latent_codes", None, LATENT_INFERENCE)),
            ("test_autoencoder",),
            "a seeded DataLoader, zero_grad(set_to_none), a grid filled by loops (float32), codes under "
            "inference_mode in float64"),
]

CONV_SIZE_OTHERWISE = '''def conv_transpose_output_size(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    span = dilation * kernel_size - dilation + 1  # the dilated kernel's extent
    return int(stride * (n - 1) + span - 2 * padding + output_padding)
'''
CONV_LAYERS = '''class ConvAutoEncoder(nn.Module):
    def __init__(self, k=K):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, stride=2, padding=1)
        self.to_code = nn.Linear(784, k)
        self.from_code = nn.Linear(k, 784)
        self.up1 = nn.ConvTranspose2d(16, 8, kernel_size=3, stride=2, padding=1,
                                      output_padding=14 - conv_transpose_output_size(7, 3, 2, 1))
        self.up2 = nn.ConvTranspose2d(8, 1, kernel_size=3, stride=2, padding=1, output_padding=1)

    def encode(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.to_code(h.reshape(h.size(0), -1))

    def decode(self, z):
        h = F.relu(self.from_code(z)).view(-1, 16, 7, 7)
        return torch.sigmoid(self.up2(F.relu(self.up1(h))))

    def forward(self, x):
        return self.decode(self.encode(x))


def count_parameters(model):
    return int(sum(p.numel() for p in filter(lambda p: p.requires_grad, model.parameters())))
'''
COMPARE_OTHERWISE = '''def compare_autoencoders(plain, conv, X):
    def measure(model, x):
        model.train(False)
        with torch.inference_mode():
            return {"loss": float(F.mse_loss(model(x), x)), "parameters": count_parameters(model)}
    return {"conv": measure(conv, X), "plain": measure(plain, X.reshape(len(X), -1))}
'''
NOISE_OTHERWISE = '''def add_noise(x, sigma=SIGMA, generator=None):
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return torch.clip(noise.mul(sigma).add(x), min=0, max=1)


def train_denoising(model, X, epochs=EPOCHS, lr=LR, batch_size=BATCH_SIZE, sigma=SIGMA, seed=0):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        order = torch.randperm(X.shape[0], generator=g)
        total = 0.0
        batches = 0
        for start in range(0, X.shape[0], batch_size):
            clean = X[order[start:start + batch_size]]
            loss = F.mse_loss(model(add_noise(clean, sigma, g)), clean)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        history.append(total / batches)
    return history
'''
CORRECT += [
    Correct("conv_named_layers_size_by_span", (Edit("conv_transpose_output_size", None, CONV_SIZE_OTHERWISE),
                                               Edit("conv_autoencoder", None, CONV_LAYERS),
                                               Edit("compare_autoencoders", None, COMPARE_OTHERWISE)),
            ("test_conv", "test_conv_accuracy"),
            "the size from the dilated kernel's span; named layers with F.relu, view and torch.sigmoid; a filter "
            "in count_parameters; compare under inference_mode with F.mse_loss, keys in another order"),
    Correct("denoising_clip_and_index_loop", (Edit("add_noise", None, NOISE_OTHERWISE),),
            ("test_denoising", "test_denoising_accuracy"),
            "torch.clip of noise.mul(sigma).add(x), batches by index ranges, F.mse_loss"),
]
