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
