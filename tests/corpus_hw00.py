"""The proof corpus for hw00_basics (NumPy, PyTorch, a first look at the data): see
tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

ARR = "test_arrays::"
TEN = "test_tensors::"
EXP = "test_exploration::"

MUTANTS = [
    # Part A: NumPy
    Mutant("make_grid_column_major", "make_grid", "np.arange(rows * cols).reshape(rows, cols)",
           "np.arange(rows * cols).reshape(cols, rows).T", (ARR + "test_make_grid",)),
    Mutant("make_grid_floats", "make_grid", "np.arange(rows * cols)", "np.linspace(0, rows * cols - 1, rows * cols)",
           (ARR + "test_make_grid",)),
    Mutant("slices_every_other_row", "slices", '"every_other_column": A[:, ::2]', '"every_other_column": A[::2]',
           (ARR + "test_slices",)),
    Mutant("slices_inner_keeps_the_last_row_and_column", "slices", '"inner": A[1:-1, 1:-1]', '"inner": A[1:, 1:]',
           (ARR + "test_slices",)),
    Mutant("slices_reverses_columns", "slices", '"reversed_rows": A[::-1]', '"reversed_rows": A[:, ::-1]',
           (ARR + "test_slices",)),
    # Right values, but written into the input: the mask applied to A itself.
    Mutant("zero_negatives_in_place", "zero_negatives", "out = A.copy()", "out = A",
           (ARR + "test_zero_negatives_leaves_its_input_alone",)),
    Mutant("zero_negatives_float_result", "zero_negatives", "    out = A.copy()\n", "    out = A.astype(np.float64)\n",
           (ARR + "test_zero_negatives_values",)),
    Mutant("zero_negatives_zeroes_zero_and_below_as_abs", "zero_negatives", "out[out < 0] = 0", "out = np.abs(out)",
           (ARR + "test_zero_negatives_values",)),
    Mutant("axis_summaries_column_means_over_rows", "axis_summaries", "X.mean(axis=0)", "X.mean(axis=1)",
           (ARR + "test_axis_summaries",)),
    Mutant("axis_summaries_argmax_of_columns", "axis_summaries", "X.argmax(axis=1)", "X.argmax(axis=0)",
           (ARR + "test_axis_summaries",)),
    Mutant("axis_summaries_argmax_flat", "axis_summaries", "X.argmax(axis=1)", "X.argmax()",
           (ARR + "test_axis_summaries",)),
    Mutant("standardise_rows_not_columns", "standardise_columns", "(X - X.mean(axis=0)) / X.std(axis=0)",
           "(X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)", (ARR + "test_standardise_columns",)),
    Mutant("standardise_by_one_global_std", "standardise_columns", "/ X.std(axis=0)", "/ X.std()",
           (ARR + "test_standardise_columns",)),
    Mutant("pairwise_without_the_cross_term_factor", "pairwise_sq_dists", "- 2.0 * X @ Y.T", "- X @ Y.T",
           (ARR + "test_pairwise_sq_dists_values", ARR + "test_pairwise_sq_dists_has_no_python_loop")),
    Mutant("pairwise_distances_not_squared", "pairwise_sq_dists", "return np.maximum(D, 0.0)",
           "return np.sqrt(np.maximum(D, 0.0))",
           (ARR + "test_pairwise_sq_dists_values", ARR + "test_pairwise_sq_dists_has_no_python_loop")),
    # Right values, one Python loop over the rows of X: the loop test alone catches it.
    Mutant("pairwise_loops_over_rows", "pairwise_sq_dists",
           "    D = (X ** 2).sum(axis=1)[:, None] + (Y ** 2).sum(axis=1)[None, :] - 2.0 * X @ Y.T\n",
           "    D = np.array([((x - Y) ** 2).sum(axis=1) for x in X]).reshape(len(X), len(Y))\n",
           (ARR + "test_pairwise_sq_dists_has_no_python_loop",)),
    Mutant("pairwise_loops_over_pairs", "pairwise_sq_dists",
           "    D = (X ** 2).sum(axis=1)[:, None] + (Y ** 2).sum(axis=1)[None, :] - 2.0 * X @ Y.T\n",
           "    D = pairwise_sq_dists_loop(X, Y)\n",
           (ARR + "test_pairwise_sq_dists_has_no_python_loop",)),
    Mutant("shuffle_two_permutations", "shuffle_together", "return X[order], y[order]",
           "return X[order], y[np.random.default_rng(seed + 1).permutation(len(y))]",
           (ARR + "test_shuffle_together_keeps_pairs",)),
    Mutant("shuffle_with_the_global_generator", "shuffle_together", "np.random.default_rng(seed).permutation",
           "np.random.permutation", (ARR + "test_shuffle_together_is_reproducible",)),
    Mutant("shuffle_ignores_its_seed", "shuffle_together", "np.random.default_rng(seed)", "np.random.default_rng(0)",
           (ARR + "test_shuffle_together_is_reproducible",)),
    # Part B: PyTorch
    Mutant("tensor_info_assumes_four_bytes", "tensor_info", "t.numel() * t.element_size()", "t.numel() * 4",
           (TEN + "test_tensor_info",)),
    Mutant("tensor_info_numel_is_len", "tensor_info", '"numel": t.numel(),', '"numel": len(t) if t.dim() else 1,',
           (TEN + "test_tensor_info",)),
    Mutant("tensor_info_short_dtype_name", "tensor_info", '"dtype": str(t.dtype)',
           '"dtype": str(t.dtype).replace("torch.", "")', (TEN + "test_tensor_info",)),
    Mutant("to_unit_float_by_256", "to_unit_float", "/ 255.0", "/ 256.0", (TEN + "test_to_unit_float",)),
    Mutant("to_unit_float_float64", "to_unit_float", "images.to(torch.float32) / 255.0", "images.double() / 255.0",
           (TEN + "test_to_unit_float",)),
    Mutant("to_unit_float_integer_division", "to_unit_float", "images.to(torch.float32) / 255.0",
           "(images // 255).to(torch.float32)", (TEN + "test_to_unit_float",)),
    Mutant("numpy_shared_copies", "interop", "    return t.numpy()\n", "    return np.array(t)\n",
           (TEN + "test_tensor_to_numpy_shared_and_copied",)),
    Mutant("numpy_copy_shares", "interop", "    return t.numpy().copy()\n", "    return t.numpy()[:]\n",
           (TEN + "test_tensor_to_numpy_shared_and_copied",)),
    Mutant("tensor_shared_copies", "interop", "return torch.from_numpy(a)", "return torch.tensor(a)",
           (TEN + "test_numpy_to_tensor_shared_and_copied",)),
    Mutant("tensor_copy_float32", "interop", "return torch.tensor(a)", "return torch.Tensor(a)",
           (TEN + "test_numpy_to_tensor_shared_and_copied",)),
    Mutant("line_loss_summed", "line_loss_and_grads", "loss = ((a * x + b - y) ** 2).mean()",
           "loss = ((a * x + b - y) ** 2).sum()", (TEN + "test_line_loss_and_grads",)),
    Mutant("line_grads_swapped", "line_loss_and_grads", '"grad_a": a.grad.item(), "grad_b": b.grad.item()',
           '"grad_a": b.grad.item(), "grad_b": a.grad.item()', (TEN + "test_line_loss_and_grads",)),
    Mutant("line_loss_tensor_not_float", "line_loss_and_grads", '"loss": loss.item()', '"loss": loss.detach()',
           (TEN + "test_line_loss_and_grads",)),
    Mutant("fit_line_gradients_accumulate", "fit_line", "        a.grad.zero_()\n        b.grad.zero_()\n", "",
           (TEN + "test_fit_line",)),
    Mutant("fit_line_one_step_too_many", "fit_line", "for _ in range(steps):", "for _ in range(steps + 1):",
           (TEN + "test_fit_line",)),
    Mutant("fit_line_climbs_the_gradient", "fit_line", "a -= lr * a.grad\n            b -= lr * b.grad",
           "a += lr * a.grad\n            b += lr * b.grad", (TEN + "test_fit_line",)),
    Mutant("predict_records_the_graph", "predict", "    with torch.no_grad():\n        return model(x[:, None])[:, 0]",
           "    return model(x[:, None])[:, 0]", (TEN + "test_predict_records_nothing",)),
    Mutant("predict_keeps_the_column", "predict", "return model(x[:, None])[:, 0]", "return model(x[:, None])",
           (TEN + "test_predict_records_nothing",)),
    # Part C: the data
    Mutant("class_counts_unique_drops_absent_classes", "class_counts",
           "return np.bincount(data_y, minlength=num_classes)", "return np.unique(data_y, return_counts=True)[1]",
           (EXP + "test_class_counts",)),
    Mutant("class_counts_without_minlength", "class_counts",
           "return np.bincount(data_y, minlength=num_classes)", "return np.bincount(data_y)",
           (EXP + "test_class_counts",)),
    # Right on sorted labels (the demo's), wrong on shuffled ones.
    Mutant("first_index_assumes_sorted_labels", "class_counts",
           "np.array([int(np.argmax(data_y == k)) for k in range(num_classes)])",
           "np.searchsorted(data_y, np.arange(num_classes))", (EXP + "test_first_index_of_each_class",)),
    Mutant("first_index_takes_the_last", "class_counts", "int(np.argmax(data_y == k))",
           "int(np.flatnonzero(data_y == k)[-1])", (EXP + "test_first_index_of_each_class",)),
    Mutant("pixel_std_divides_by_m_minus_1", "normalise", "float(values.std())", "float(values.std(ddof=1))",
           (EXP + "test_pixel_mean_std",)),
    Mutant("pixel_std_per_image_averaged", "normalise", "float(values.std())",
           "float(values.std(axis=(1, 2, 3)).mean())", (EXP + "test_pixel_mean_std",)),
    Mutant("normalise_keeps_float64", "normalise", "((data_x - mean) / std).astype(np.float32)",
           "(data_x - mean) / std", (EXP + "test_normalise",)),
    Mutant("normalise_multiplies_by_std", "normalise", "((data_x - mean) / std)", "((data_x - mean) * std)",
           (EXP + "test_normalise",)),
    Mutant("split_not_stratified", "split_train_test", ", stratify=data_y)", ")",
           (EXP + "test_split_is_stratified",)),
    Mutant("split_ignores_its_seed", "split_train_test", "random_state=seed", "random_state=0",
           (EXP + "test_split_is_reproducible",)),
    Mutant("split_unseeded", "split_train_test", "random_state=seed", "random_state=None",
           (EXP + "test_split_is_reproducible",)),
    Mutant("split_test_size_as_train_size", "split_train_test", "test_size=test_size", "train_size=test_size",
           (EXP + "test_split_sizes_and_pairs",)),
    Mutant("batches_drop_the_last", "make_batches",
           "return list(zip(torch.split(x, batch_size), torch.split(y, batch_size)))",
           "return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x) - batch_size + 1, batch_size)]",
           (EXP + "test_make_batches",)),
    Mutant("batches_chunk_into_batch_size_pieces", "make_batches",
           "return list(zip(torch.split(x, batch_size), torch.split(y, batch_size)))",
           "return list(zip(torch.chunk(x, batch_size), torch.chunk(y, batch_size)))",
           (EXP + "test_make_batches",)),
]

# No accuracy bar: nothing is trained against a threshold in this homework.
WEAK: list[Weak] = []

ARRAYS_OTHERWISE = {
    "make_grid": '''def make_grid(rows, cols):
    i, j = np.indices((rows, cols), dtype=np.int32)
    return i * cols + j
''',
    "slices": '''def slices(A):
    rows, cols = A.shape
    return {"last_row": A[rows - 1, :].copy(), "every_other_column": A[:, range(0, cols, 2)],
            "reversed_rows": np.flip(A, axis=0), "inner": A[1:rows - 1][:, 1:cols - 1]}
''',
    "zero_negatives": '''def zero_negatives(A):
    return np.where(A < 0, np.zeros_like(A), A)
''',
    "axis_summaries": '''def axis_summaries(X):
    n, d = X.shape
    return {"column_means": np.sum(X, axis=0) / n, "row_maxima": np.max(X, axis=-1),
            "row_argmax": np.argmax(X, axis=-1).astype(np.int32), "total": X.sum(axis=(0, 1))}
''',
    "standardise_columns": '''def standardise_columns(X):
    mu = X.mean(axis=0, keepdims=True)
    return (X - mu) / np.sqrt(((X - mu) ** 2).mean(axis=0, keepdims=True))
''',
    "pairwise_sq_dists": '''def pairwise_sq_dists(X, Y):
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)
''',
    "shuffle_together": '''def shuffle_together(X, y, seed):
    rng = np.random.default_rng(seed)
    order = np.arange(len(y))
    rng.shuffle(order)
    return np.take(X, order, axis=0), np.take(y, order)
''',
}

# Torch where NumPy was asked, a loop over the few columns (allowed), float32 arithmetic.
ARRAYS_IN_TORCH = {
    "pairwise_sq_dists": '''def pairwise_sq_dists(X, Y):
    X, Y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(Y, dtype=torch.float32)
    D = torch.zeros(len(X), len(Y))
    for k in range(X.shape[1]):
        D += (X[:, k, None] - Y[None, :, k]) ** 2
    return D
''',
    "standardise_columns": '''def standardise_columns(X):
    t = torch.from_numpy(X)
    return ((t - t.mean(dim=0)) / t.std(dim=0, unbiased=False)).numpy()
''',
}

TENSORS_OTHERWISE = {
    "tensor_info": '''def tensor_info(t):
    return {"shape": tuple(t.size()), "dtype": f"{t.dtype}", "device": t.device.type if t.device.type == "cpu" else str(t.device),
            "numel": math.prod(t.shape), "nbytes": t.nbytes}
''',
    "to_unit_float": '''def to_unit_float(images):
    return images / 255
''',
    "interop": '''def numpy_shared(t):
    return np.asarray(t)


def numpy_copy(t):
    return np.array(t)


def tensor_shared(a):
    return torch.as_tensor(a)


def tensor_copy(a):
    return torch.from_numpy(a.copy())
''',
    # The gradients by hand (the formulas of the markdown) instead of autograd.
    "line_loss_and_grads": '''def line_loss_and_grads(x, y, a, b):
    r = a * x.double() + b - y.double()
    return {"loss": float((r ** 2).mean()), "grad_a": float(2 * (r * x).mean()), "grad_b": float(2 * r.mean())}
''',
    "predict": '''def predict(model, x):
    return model(x.unsqueeze(1)).squeeze(1).detach()
''',
    # .data updates and grad = None, a parameter vector, torch.optim.SGD for the step.
    "fit_line": '''def fit_line(x, y, steps, lr):
    theta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((theta[0] * x.double() + theta[1] - y.double()) ** 2).mean()
        loss.backward()
        opt.step()
    return float(theta[0]), float(theta[1])
''',
}

EXPLORATION_OTHERWISE = {
    "class_counts": '''def class_counts(data_y, num_classes):
    return [int((data_y == k).sum()) for k in range(num_classes)]


def first_index_of_each_class(data_y, num_classes):
    labels, first = np.unique(data_y, return_index=True)
    return first[np.argsort(labels)]
''',
    "normalise": '''def pixel_mean_std(data_x):
    t = torch.from_numpy(np.asarray(data_x, dtype=np.float64))
    return t.mean().item(), t.std(unbiased=False).item()


def normalise(data_x, mean, std):
    out = np.empty(data_x.shape, dtype=np.float32)
    np.divide(data_x - mean, std, out=out, casting="unsafe")
    return out
''',
    # A split written by hand: per class, a seeded shuffle; floor(test_size * count) of each class to the test
    # part, one more for the classes with the largest remainders until it holds ceil(test_size * N).
    "split_train_test": '''def split_train_test(data_x, data_y, test_size, seed):
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(data_y, return_counts=True)
    ideal = test_size * counts
    take = np.floor(ideal).astype(int)
    extra = math.ceil(test_size * len(data_y)) - int(take.sum())
    take[np.argsort(take - ideal, kind="stable")[:extra]] += 1
    test = np.concatenate([rng.permutation(np.flatnonzero(data_y == k))[:m] for k, m in zip(classes, take)])
    train = rng.permutation(np.setdiff1d(np.arange(len(data_y)), test))
    test = rng.permutation(test)
    return data_x[train], data_x[test], data_y[train], data_y[test]
''',
    "make_batches": '''def make_batches(x, y, batch_size):
    batches = []
    for start in range(0, len(x), batch_size):
        batches.append((x[start:start + batch_size], y[start:start + batch_size]))
    return batches
''',
}

CORRECT = [
    Correct("arrays_indices_take_where_broadcast", tuple(Edit(k, None, v) for k, v in ARRAYS_OTHERWISE.items()),
            ("test_arrays",), "np.indices in int32, fancy indexing and np.flip, np.where, argmax as int32, a total "
            "as a NumPy scalar, broadcasting to (n, m, d), Generator.shuffle with np.take"),
    Correct("arrays_in_torch_loop_over_columns", tuple(Edit(k, None, v) for k, v in ARRAYS_IN_TORCH.items()),
            ("test_arrays",), "pairwise distances as a float32 tensor with a loop over the d columns; torch for the "
            "standardisation"),
    Correct("tensors_otherwise", tuple(Edit(k, None, v) for k, v in TENSORS_OTHERWISE.items()), ("test_tensors",),
            "t.nbytes and math.prod, images / 255, np.asarray / np.array / as_tensor / from_numpy of a copy, "
            "gradients by the formulas, torch.optim.SGD on a float64 parameter vector, predictions detached instead of no_grad"),
    Correct("tensor_info_torch_objects", (Edit("tensor_info", None, '''def tensor_info(t):
    return {"shape": t.shape, "dtype": t.dtype, "device": t.device, "numel": t.nelement(),
            "nbytes": t.untyped_storage().nbytes() if t.is_contiguous() and t.storage_offset() == 0 else t.numel() * t.element_size()}
'''),), ("test_tensors",), "torch.Size, torch.dtype and torch.device as they are (they cross as a tuple and the "
            "strings str() writes), bytes from the tensor's storage"),
    Correct("exploration_otherwise", tuple(Edit(k, None, v) for k, v in EXPLORATION_OTHERWISE.items()),
            ("test_exploration",), "counts as a list of ints by comparison, np.unique's first indices, torch "
            "statistics, np.divide into float32, a stratified split written by hand, a loop of slices for batches"),
]
