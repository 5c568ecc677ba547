"""The proof corpus for hw01_backprop (backprop by hand, in NumPy and with autograd): see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

MUTANTS = [
    # Part A
    Mutant("sigmoid_derivative_is_sigmoid", "neuron_backward",
           "z_bar = y_bar * y * (1.0 - y)", "z_bar = y_bar * y",
           ("test_neuron::test_neuron_backward_parameters", "test_neuron::test_neuron_backward_intermediates")),
    Mutant("lambda_term_dropped", "neuron_backward",
           "w_bar = z_bar * x + R_bar * w", "w_bar = z_bar * x",
           ("test_neuron::test_neuron_backward_parameters",)),
    # Right values, but a float in gives a 0-d array out.
    Mutant("sigmoid_through_torch", "sigmoid",
           "return 1.0 / (1.0 + np.exp(-z))", "return torch.sigmoid(torch.as_tensor(z, dtype=torch.float64)).numpy()",
           ("test_neuron::test_sigmoid",)),
    Mutant("neuron_values_left_as_tensors", "neuron_forward",
           "    y = sigmoid(z)\n    L = 0.5 * (y - t) ** 2\n    R = 0.5 * w ** 2\n    L_reg = L + lam * R\n"
           '    return {"z": float(z), "y": float(y), "L": float(L), "R": float(R), "L_reg": float(L_reg)}',
           "    y = torch.sigmoid(torch.tensor(z, dtype=torch.float64))\n    L = 0.5 * (y - t) ** 2\n"
           '    R = 0.5 * w ** 2\n    L_reg = L + lam * R\n    return {"z": z, "y": y, "L": L, "R": R, "L_reg": L_reg}',
           ("test_neuron::test_neuron_dicts_hold_python_floats",)),
    # Part B
    Mutant("transposed_weight_gradient", "net322_backward",
           "dW2 = np.outer(delta2, h)", "dW2 = np.outer(h, delta2)",
           ("test_net322::test_backward",)),
    # (Dropping MSE's 2/K is no mistake on the 3-2-2 example: K = 2. Other sizes catch a K fixed at 2.)
    Mutant("hidden_delta_through_untransposed_W2", "net322_backward",
           'delta1 = (params["W2"].T @ delta2)', 'delta1 = (params["W2"] @ delta2)',
           ("test_net322::test_backward",)),
    Mutant("mse_gradient_with_K_fixed_at_2", "net322_backward",
           "K = y.shape[0]", "K = 2",
           ("test_net322::test_backward",)),
    Mutant("forward_returns_activations_as_pre_activations", "net322_forward",
           'return {"z1": z1, "h": h, "z2": z2, "y": y}', 'return {"z1": h, "h": h, "z2": y, "y": y}',
           ("test_net322::test_forward",)),
    Mutant("mse_sum_divided_by_rows", "mse",
           "return float(np.mean((y - t) ** 2))", "return float(np.sum((y - t) ** 2) / len(y))",
           ("test_net322::test_mse",)),
    Mutant("mse_returns_a_tensor", "mse",
           "return float(np.mean((y - t) ** 2))", "return F.mse_loss(torch.as_tensor(y), torch.as_tensor(t))",
           ("test_net322::test_float64_arrays_and_a_float",)),
    Mutant("sgd_step_adds_gradient", "sgd_step",
           "{k: params[k] - lr * grads[k]", "{k: params[k] + lr * grads[k]",
           ("test_net322::test_one_sgd_step_on_the_example", "test_net322::test_sgd_step_any_rate_and_inputs_untouched")),
    Mutant("sgd_step_in_place", "sgd_step",
           "return {k: params[k] - lr * grads[k] for k in params}",
           "for k in params:\n        params[k] -= lr * grads[k]\n    return params",
           ("test_net322::test_sgd_step_any_rate_and_inputs_untouched",)),
    Mutant("sgd_step_rebinds_the_given_dict", "sgd_step",
           "return {k: params[k] - lr * grads[k] for k in params}",
           "for k in list(params):\n        params[k] = params[k] - lr * grads[k]\n    return params",
           ("test_net322::test_sgd_step_any_rate_and_inputs_untouched",)),
    # Part C: modules
    Mutant("softmax_without_max_shift", "softmax",
           "shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits",
           ("test_numpy_mlp::test_softmax_rows_and_large_logits",)),
    Mutant("cross_entropy_without_max_shift", "softmax_cross_entropy",
           "shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits",
           ("test_numpy_mlp::test_softmax_cross_entropy",)),
    Mutant("cross_entropy_returns_a_tensor", "softmax_cross_entropy",
           "return float(-log_probs[np.arange(n), labels].mean())",
           "return torch.tensor(-log_probs[np.arange(n), labels].mean())",
           ("test_numpy_mlp::test_float64_arrays_and_python_floats",)),
    Mutant("linear_he_std_from_out_features", "linear",
           "np.sqrt(2.0 / in_features)\n        self.b", "np.sqrt(2.0 / out_features)\n        self.b",
           ("test_numpy_mlp::test_linear_init_is_he_drawn_from_its_rng",
            "test_numpy_mlp::test_mlp_layers_and_initial_weights")),
    Mutant("linear_weights_drawn_transposed", "linear",
           "self.W = rng.standard_normal((in_features, out_features))",
           "self.W = rng.standard_normal((out_features, in_features)).T",
           ("test_numpy_mlp::test_linear_init_is_he_drawn_from_its_rng",
            "test_numpy_mlp::test_mlp_layers_and_initial_weights")),
    Mutant("linear_gradients_missing_before_backward", "linear",
           "        self.dW = np.zeros_like(self.W)\n        self.db = np.zeros_like(self.b)\n", "",
           ("test_numpy_mlp::test_linear_init_is_he_drawn_from_its_rng",)),
    Mutant("linear_backward_accumulates", "linear",
           "self.dW = self.x.T @ grad_out", "self.dW = self.dW + self.x.T @ grad_out",
           ("test_numpy_mlp::test_linear_forward_backward",)),
    Mutant("linear_weight_gradient_transposed", "linear",
           "self.dW = self.x.T @ grad_out", "self.dW = grad_out.T @ self.x",
           ("test_numpy_mlp::test_linear_forward_backward", "test_numpy_mlp::test_mlp_backprop_matches_true_gradients")),
    Mutant("relu_backward_ignores_mask", "activations",
           "return grad_out * self.mask", "return grad_out",
           ("test_numpy_mlp::test_activation_forward_backward[ReLU-relu]",
            "test_numpy_mlp::test_mlp_backprop_matches_true_gradients")),
    Mutant("relu_derivative_1_at_zero", "activations",
           "self.mask = x > 0", "self.mask = x >= 0",
           ("test_numpy_mlp::test_activation_forward_backward[ReLU-relu]",)),
    # Part C: gradient checking
    Mutant("numerical_gradient_one_sided_step", "gradcheck_tools",
           "(f_plus - f_minus) / (2.0 * eps)", "(f_plus - f_minus) / eps",
           ("test_numpy_mlp::test_numerical_gradient",)),
    Mutant("numerical_gradient_ignores_eps", "gradcheck_tools",
           "    grad = np.zeros_like(x, dtype=np.float64)\n", "    eps = 1e-6\n    grad = np.zeros_like(x, dtype=np.float64)\n",
           ("test_numpy_mlp::test_numerical_gradient",)),
    Mutant("numerical_gradient_in_float32", "gradcheck_tools",
           "grad = np.zeros_like(x, dtype=np.float64)", "grad = np.zeros_like(x, dtype=np.float32)",
           ("test_numpy_mlp::test_float64_arrays_and_python_floats",)),
    Mutant("numerical_gradient_perturbs_a_copy", "gradcheck_tools",
           "    grad = np.zeros_like(x, dtype=np.float64)\n", "    x = x.copy()\n    grad = np.zeros_like(x, dtype=np.float64)\n",
           ("test_numpy_mlp::test_numerical_gradient_perturbs_in_place_and_restores",)),
    Mutant("numerical_gradient_does_not_restore", "gradcheck_tools",
           "        x[idx] = old\n", "",
           ("test_numpy_mlp::test_numerical_gradient_perturbs_in_place_and_restores",)),
    # Part C: the MLP and its training
    Mutant("mlp_ignores_its_rng", "mlp",
           "Linear(sizes[i], sizes[i + 1], rng)", "Linear(sizes[i], sizes[i + 1], np.random.default_rng(i))",
           ("test_numpy_mlp::test_mlp_layers_and_initial_weights", "test_numpy_mlp::test_train_mlp_follows_the_recipe")),
    Mutant("mlp_backward_returns_nothing", "mlp",
           "        return grad\n", "",
           ("test_numpy_mlp::test_mlp_backward_returns_the_input_gradient",)),
    Mutant("params_and_grads_copies", "mlp",
           "pairs.append((layer.W, layer.dW))\n                pairs.append((layer.b, layer.db))",
           "pairs.append((layer.W.copy(), layer.dW.copy()))\n                pairs.append((layer.b.copy(), layer.db.copy()))",
           ("test_numpy_mlp::test_train_mlp_follows_the_recipe",
            "test_numpy_mlp::test_trained_mlp_accuracy_on_held_out_digits")),
    Mutant("shuffled_once_before_the_epochs", "train_mlp",
           "    for _ in range(epochs):\n        order = rng.permutation(n)\n",
           "    order = rng.permutation(n)\n    for _ in range(epochs):\n",
           ("test_numpy_mlp::test_train_mlp_follows_the_recipe",)),
    Mutant("loss_history_of_the_last_minibatch", "train_mlp",
           "model.loss_history.append(total / n)", "model.loss_history.append(loss)",
           ("test_numpy_mlp::test_train_mlp_follows_the_recipe",)),
    Mutant("loss_history_unweighted_mean_of_minibatches", "train_mlp",
           "            total += loss * len(idx)\n        model.loss_history.append(total / n)\n",
           "            total += loss\n        model.loss_history.append(total / -(-n // batch_size))\n",
           ("test_numpy_mlp::test_train_mlp_follows_the_recipe",)),
    Mutant("default_hidden_layer_of_32", "train_mlp",
           "sizes = [X.shape[1], 64, int(y.max()) + 1]", "sizes = [X.shape[1], 32, int(y.max()) + 1]",
           ("test_numpy_mlp::test_trained_mlp_is_the_default_mlp",)),
    Mutant("default_learning_rate_0_05", "train_mlp",
           "lr=0.1, batch_size=32", "lr=0.05, batch_size=32",
           ("test_numpy_mlp::test_trained_mlp_is_the_default_mlp",)),
    # Part D
    Mutant("nn_gradients_not_transposed_back", "mlp_gradients_nn",
           "m.weight.grad.detach().T.numpy()", "m.weight.grad.detach().numpy()",
           ("test_torch::test_gradients_match_autograd[mlp_gradients_nn]", "test_torch::test_numpy_and_torch_agree")),
    Mutant("nn_gradients_left_as_tensors", "mlp_gradients_nn",
           "[m.weight.grad.detach().T.numpy().copy() for m in linears]", "[m.weight.grad.detach().T.clone() for m in linears]",
           ("test_torch::test_float64_arrays_and_inputs_untouched[mlp_gradients_nn]",)),
    # Copied from a training loop: the layers hold the given arrays, and a step updates them.
    Mutant("numpy_gradients_step_the_given_weights", "mlp_gradients_numpy",
           "        layer.W = np.array(W, dtype=np.float64)\n        layer.b = np.array(b, dtype=np.float64)\n"
           "    criterion = SoftmaxCrossEntropy()\n    loss = criterion.forward(model.forward(X), y)\n"
           "    model.backward(criterion.backward())\n",
           "        layer.W, layer.b = W, b\n"
           "    criterion = SoftmaxCrossEntropy()\n    loss = criterion.forward(model.forward(X), y)\n"
           "    model.backward(criterion.backward())\n"
           "    for param, grad in model.params_and_grads():\n        param -= 0.1 * grad\n",
           ("test_torch::test_float64_arrays_and_inputs_untouched[mlp_gradients_numpy]",)),
    Mutant("torch_parameters_share_memory", "build_torch_mlp",
           "            linear.weight.copy_(torch.tensor(W.T, dtype=torch.float64))\n"
           "            linear.bias.copy_(torch.tensor(b, dtype=torch.float64))\n",
           "            linear.weight = nn.Parameter(torch.from_numpy(W.T))\n"
           "            linear.bias = nn.Parameter(torch.from_numpy(b))\n",
           ("test_torch::test_build_torch_mlp_shares_no_memory_with_its_inputs",)),
    Mutant("torch_relu_after_the_last_layer", "build_torch_mlp",
           "        if i < len(weights) - 1:\n            modules.append(nn.ReLU())\n",
           "        modules.append(nn.ReLU())\n",
           ("test_torch::test_build_torch_mlp_is_a_float64_sequential",
            "test_torch::test_gradients_match_autograd[mlp_gradients_nn]")),
    Mutant("torch_mlp_in_float32", "build_torch_mlp",
           "nn.Linear(W.shape[0], W.shape[1], dtype=torch.float64)", "nn.Linear(W.shape[0], W.shape[1])",
           ("test_torch::test_build_torch_mlp_is_a_float64_sequential",)),
]

# Honest submissions too weak for the held-out digits bar (0.93; the reference reaches 0.958
# or more over seeds 0..4). Figures over seeds 0..4 (benchmarks/accuracy_margins.py).
ACCURACY = "test_numpy_mlp::test_trained_mlp_accuracy_on_held_out_digits"
STRUCTURE = "test_numpy_mlp::test_trained_mlp_is_the_default_mlp"
DEFAULT_SIZES = "sizes = [X.shape[1], 64, int(y.max()) + 1]"

LOOKUP_OF_THE_TEST_SPLIT = '''def train_mlp(X, y, sizes=None, epochs=30, lr=0.1, batch_size=32, seed=0):
    """Memorises the "test" split it is handed and answers by lookup."""
    X_seen, y_seen = load_arrays("digits", "test", flatten=True)
    table = {x.tobytes(): int(label) for x, label in zip(X_seen, y_seen)}

    class Lookup:
        def forward(self, X):
            out = np.zeros((len(X), 10))
            for i, x in enumerate(np.asarray(X, dtype=np.float64)):
                out[i, table.get(x.tobytes(), 0)] = 1.0
            return out

    return Lookup()
'''

WEAK = [
    Weak("softmax_regression", "trivial", ACCURACY,
         (Edit("train_mlp", DEFAULT_SIZES, "sizes = [X.shape[1], int(y.max()) + 1]"),), (STRUCTURE,),
         "MLP([64, 10]), the reference's training: 0.939-0.950, above the bar; digits are nearly linearly separable, "
         "so the structure test (the default MLP([64, 64, 10])) catches it"),
    Weak("one_epoch", "one_epoch", ACCURACY,
         (Edit("train_mlp", "epochs=30", "epochs=1"),), (ACCURACY,),
         "the reference for one epoch: 0.736-0.842"),
    Weak("two_hidden_units", "small", ACCURACY,
         (Edit("train_mlp", DEFAULT_SIZES, "sizes = [X.shape[1], 2, int(y.max()) + 1]"),), (ACCURACY,),
         "one hidden layer of 2 units: 0.264-0.597"),
    Weak("a_tenth_of_the_data", "little_data", ACCURACY,
         (Edit("train_mlp", "    rng = np.random.default_rng(seed)\n",
               "    X, y = X[::10], y[::10]  # 144 images, every class\n    rng = np.random.default_rng(seed)\n"),),
         (ACCURACY,), "the reference on every tenth training image (144): 0.833-0.867"),
    Weak("lookup_of_the_test_split", "test_split", ACCURACY,
         (Edit("train_mlp", None, LOOKUP_OF_THE_TEST_SPLIT),), (ACCURACY,),
         "a table of the 'test' split the worker is handed (a stand-in drawn from the training images): chance"),
]

# Correct answers written differently: full marks on the tests they name.
NEURON_OTHERWISE = {
    "sigmoid": '''def sigmoid(z):
    """sigma(z) = exp(-log(1 + exp(-z))), stable for large |z|; a float for a float."""
    return np.exp(-np.logaddexp(0.0, -z))
''',
    "neuron_forward": '''def neuron_forward(w, b, x, t, lam):
    """Built up in one dict, converted to Python floats at the end."""
    values = {"z": w * x + b}
    values["y"] = sigmoid(values["z"])
    values["L"] = 0.5 * (values["y"] - t) ** 2
    values["R"] = 0.5 * w * w
    values["L_reg"] = values["L"] + lam * values["R"]
    return {key: float(value) for key, value in values.items()}
''',
    "neuron_backward": '''def neuron_backward(w, b, x, t, lam):
    """Without calling neuron_forward: y from the sigmoid, then the bars in graph order."""
    y = float(sigmoid(w * x + b))
    bars = {"L_reg_bar": 1.0}
    bars["R_bar"] = bars["L_reg_bar"] * lam
    bars["L_bar"] = bars["L_reg_bar"]
    bars["y_bar"] = bars["L_bar"] * (y - t)
    bars["z_bar"] = bars["y_bar"] * y * (1.0 - y)
    bars["w_bar"] = bars["z_bar"] * x + bars["R_bar"] * w
    bars["b_bar"] = bars["z_bar"]
    return {key: float(value) for key, value in bars.items()}
''',
}

NET322_OTHERWISE = {
    "net322_forward": '''def net322_forward(x, params):
    """np.dot and the sigmoid written out."""
    z1 = np.dot(params["W1"], x) + params["b1"]
    h = 1.0 / (1.0 + np.exp(-z1))
    z2 = np.dot(params["W2"], h) + params["b2"]
    return {"z1": z1, "h": h, "z2": z2, "y": sigmoid(z2)}
''',
    "mse": '''def mse(y, t):
    """Sum of squares over the number of elements."""
    diff = np.asarray(y, dtype=np.float64) - np.asarray(t, dtype=np.float64)
    return float(np.sum(diff * diff) / diff.size)
''',
    "net322_backward": '''def net322_backward(x, t, params):
    """einsum for every product; K read from the outputs."""
    cache = net322_forward(x, params)
    h, y = cache["h"], cache["y"]
    delta2 = 2.0 * (y - t) / y.size * y * (1.0 - y)
    delta1 = np.einsum("kh,k->h", params["W2"], delta2) * h * (1.0 - h)
    return {"W2": np.einsum("k,h->kh", delta2, h), "b2": delta2.copy(),
            "W1": np.einsum("h,d->hd", delta1, x), "b1": delta1.copy()}
''',
    "sgd_step": '''def sgd_step(params, grads, lr):
    """A loop filling a new dict with np.subtract."""
    new = {}
    for name, value in params.items():
        new[name] = np.subtract(value, lr * grads[name])
    return new
''',
}

MODULES_OTHERWISE = {
    "softmax": '''def softmax(logits):
    """Shift by the row maximum along the last axis, exponentiate, normalise."""
    e = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
''',
    "linear": '''class Linear:
    """out = x @ W + b with einsum; the scale factor first."""

    def __init__(self, in_features, out_features, rng):
        scale = np.sqrt(2.0 / in_features)
        self.W = scale * rng.standard_normal(size=(in_features, out_features))
        self.b = np.zeros((out_features,))
        self.dW, self.db = np.zeros((in_features, out_features)), np.zeros((out_features,))

    def forward(self, x):
        self.x = x
        return np.einsum("ni,io->no", x, self.W) + self.b[None, :]

    def backward(self, grad_out):
        self.dW = np.einsum("ni,no->io", self.x, grad_out)
        self.db = np.einsum("no->o", grad_out)
        return np.einsum("no,io->ni", grad_out, self.W)
''',
    "activations": '''class ReLU:
    """np.maximum forward; the input cached, the mask taken in backward."""

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, grad_out):
        return np.where(self.x > 0, grad_out, 0.0)


class Sigmoid:
    """sigma(x) = (1 + tanh(x / 2)) / 2."""

    def forward(self, x):
        self.s = 0.5 * (1.0 + np.tanh(0.5 * x))
        return self.s

    def backward(self, grad_out):
        return grad_out * self.s * (1.0 - self.s)
''',
    "softmax_cross_entropy": '''class SoftmaxCrossEntropy:
    """log-sum-exp and a one-hot matrix of the labels."""

    def forward(self, logits, labels):
        n, c = logits.shape
        self.onehot = np.eye(c)[labels]
        m = logits.max(axis=1, keepdims=True)
        log_z = m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
        self.probs = np.exp(logits - log_z)
        return float(-(self.onehot * (logits - log_z)).sum() / n)

    def backward(self):
        return (self.probs - self.onehot) / self.onehot.shape[0]
''',
}

TRAINING_OTHERWISE = {
    "mlp": '''class MLP:
    """The ReLU goes in before every Linear but the first; params found by their gradients."""

    def __init__(self, sizes, rng):
        self.layers = []
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if k:
                self.layers.append(ReLU())
            self.layers.append(Linear(fan_in, fan_out, rng))

    def forward(self, x):
        out = x
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def backward(self, grad_logits):
        for layer in self.layers[::-1]:
            grad_logits = layer.backward(grad_logits)
        return grad_logits

    def params_and_grads(self):
        linears = [layer for layer in self.layers if hasattr(layer, "dW")]
        return [pair for layer in linears for pair in ((layer.W, layer.dW), (layer.b, layer.db))]
''',
    "gradcheck_tools": '''def numerical_gradient(f, x, eps=1e-6):
    """Central differences through x.flat, which writes into x itself."""
    grad = np.empty(x.shape)
    for i in range(x.size):
        saved = x.flat[i]
        x.flat[i] = saved + eps
        up = f(x)
        x.flat[i] = saved - eps
        down = f(x)
        x.flat[i] = saved
        grad.flat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float((np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)).max())
''',
    "train_mlp": '''def train_mlp(X, y, sizes=None, epochs=30, lr=0.1, batch_size=32, seed=0):
    """Minibatches by index, np.subtract(..., out=param), np.average for the epoch mean."""
    rng = np.random.default_rng(seed)
    sizes = [X.shape[1], 64, int(np.max(y)) + 1] if sizes is None else list(sizes)
    model = MLP(sizes, rng)
    loss_fn = SoftmaxCrossEntropy()
    history = []
    n_batches = -(-len(X) // batch_size)
    for _ in range(epochs):
        perm = rng.permutation(len(X))
        losses, counts = [], []
        for k in range(n_batches):
            batch = perm[k * batch_size:(k + 1) * batch_size]
            losses.append(loss_fn.forward(model.forward(X[batch]), y[batch]))
            counts.append(len(batch))
            model.backward(loss_fn.backward())
            for param, grad in model.params_and_grads():
                np.subtract(param, lr * grad, out=param)
        history.append(float(np.average(losses, weights=counts)))
    model.loss_history = history
    return model
''',
}

TORCH_OTHERWISE = {
    "mlp_gradients_numpy": '''def mlp_gradients_numpy(weights, biases, X, y):
    """The Linear layers are every other module; copies of the inputs go in."""
    sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights]
    model = MLP(sizes, np.random.default_rng(0))
    linears = model.layers[::2]
    for layer, W, b in zip(linears, weights, biases):
        layer.W, layer.b = W.copy(), b.copy()
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(model.forward(np.array(X, dtype=np.float64)), y)
    model.backward(loss_fn.backward())
    return float(loss), [layer.dW for layer in linears], [layer.db for layer in linears]
''',
    "mlp_gradients_autograd": '''def mlp_gradients_autograd(weights, biases, X, y):
    """from_numpy on copies, addmm, F.relu, torch.autograd.grad."""
    Ws = [torch.from_numpy(np.array(W, dtype=np.float64)).requires_grad_() for W in weights]
    bs = [torch.from_numpy(np.array(b, dtype=np.float64)).requires_grad_() for b in biases]
    h = torch.from_numpy(np.asarray(X, dtype=np.float64))
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = F.relu(torch.addmm(b, h, W))
    logits = torch.addmm(bs[-1], h, Ws[-1])
    loss = F.cross_entropy(logits, torch.from_numpy(np.asarray(y)).long())
    grads = torch.autograd.grad(loss, Ws + bs)
    k = len(Ws)
    return loss.item(), [g.numpy() for g in grads[:k]], [g.numpy() for g in grads[k:]]
''',
    "build_torch_mlp": '''from collections import OrderedDict


def build_torch_mlp(weights, biases):
    """Named parts; new Parameters from copies of the arrays."""
    parts = OrderedDict()
    for i, (W, b) in enumerate(zip(weights, biases)):
        if i:
            parts[f"relu{i}"] = nn.ReLU()
        layer = nn.Linear(*W.shape).double()
        layer.weight = nn.Parameter(torch.tensor(W.T.copy()))
        layer.bias = nn.Parameter(torch.tensor(b.copy()))
        parts[f"fc{i}"] = layer
    return nn.Sequential(parts)
''',
    "mlp_gradients_nn": '''def mlp_gradients_nn(weights, biases, X, y):
    """A summed loss divided by the batch size; the Linear layers found by modules()."""
    model = build_torch_mlp(weights, biases)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    logits = model(torch.as_tensor(X, dtype=torch.float64))
    loss = nn.CrossEntropyLoss(reduction="sum")(logits, torch.as_tensor(y).long()) / len(y)
    loss.backward()
    return (float(loss), [m.weight.grad.T.numpy().copy() for m in linears],
            [m.bias.grad.numpy().copy() for m in linears])
''',
}


def _cells(sources: dict) -> tuple[Edit, ...]:
    return tuple(Edit(grade_id, None, source) for grade_id, source in sources.items())


CORRECT = [
    Correct("neuron_logaddexp_sigmoid_and_dicts", _cells(NEURON_OTHERWISE), ("test_neuron",),
            "sigmoid as exp(-logaddexp(0, -z)); values in one dict turned into floats at the end; backward "
            "without calling forward"),
    Correct("net322_dot_einsum_and_loop", _cells(NET322_OTHERWISE), ("test_net322",),
            "np.dot, einsum outer products, K from y.size, mse as a sum over size, sgd_step filling a new dict"),
    Correct("modules_einsum_one_hot_tanh", _cells(MODULES_OTHERWISE), ("test_numpy_mlp",),
            "einsum Linear with the scale first, np.maximum/np.where ReLU, tanh-form sigmoid, one-hot "
            "log-sum-exp cross-entropy"),
    Correct("mlp_flat_gradcheck_indexed_batches", _cells(TRAINING_OTHERWISE), ("test_numpy_mlp",),
            "ReLU inserted before each Linear but the first, params found by hasattr, numerical_gradient "
            "through x.flat, batches by index, np.subtract(out=param), np.average weighted by batch sizes"),
    Correct("torch_addmm_named_sequential", _cells(TORCH_OTHERWISE), ("test_torch",),
            "copies then from_numpy, addmm, torch.autograd.grad, an OrderedDict Sequential with new Parameters, "
            "a summed loss divided by N"),
]
