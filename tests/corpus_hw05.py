"""The proof corpus for hw05_optim (optimisers, momentum, TensorBoard, confusion matrices, checkpoints):
see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

SGD_MOMENTUM = "state[\"momentum_buffer\"].mul_(mu).add_(g)"
ADAM_UPDATE = ("                denominator = (v / (1 - beta2 ** t)).sqrt_().add_(group[\"eps\"])\n"
               "                p.addcdiv_(m, denominator, value=-group[\"lr\"] / (1 - beta1 ** t))\n")

MUTANTS = [
    # Part A: SGD
    Mutant("sgd_nesterov_ignored", "optimizers",
           "g = g.add(buf, alpha=mu) if group[\"nesterov\"] else buf", "g = buf",
           ("test_optimizers::test_sgd_nesterov", "test_optimizers::test_weight_decay")),
    # dampening = momentum: an exponential average, which torch.optim.SGD is not by default.
    Mutant("sgd_momentum_as_an_average", "optimizers",
           SGD_MOMENTUM, "state[\"momentum_buffer\"].mul_(mu).add_(g, alpha=1 - mu)",
           ("test_optimizers::test_sgd_plain_and_momentum", "test_optimizers::test_sgd_nesterov")),
    Mutant("sgd_weight_decay_decoupled", "optimizers",
           "g = p.grad if wd == 0 else p.grad.add(p, alpha=wd)", "g = p.grad\n                p.mul_(1 - lr * wd)",
           ("test_optimizers::test_weight_decay",)),
    Mutant("sgd_options_from_defaults", "optimizers",
           "lr, mu, wd = group[\"lr\"], group[\"momentum\"], group[\"weight_decay\"]",
           "lr, mu, wd = self.defaults[\"lr\"], self.defaults[\"momentum\"], self.defaults[\"weight_decay\"]",
           ("test_optimizers::test_parameter_groups",)),
    Mutant("sgd_velocity_outside_self_state", "optimizers",
           "state = self.state[p]\n                    if \"momentum_buffer\"",
           "state = self.__dict__.setdefault(\"velocity\", {}).setdefault(p, {})\n                    if \"momentum_buffer\"",
           ("test_optimizers::test_state_dict_round_trip",)),
    # Part A: RMSprop
    Mutant("rmsprop_alpha_swapped", "optimizers",
           "s.mul_(group[\"alpha\"]).addcmul_(g, g, value=1 - group[\"alpha\"])",
           "s.mul_(1 - group[\"alpha\"]).addcmul_(g, g, value=group[\"alpha\"])",
           ("test_optimizers::test_rmsprop",)),
    Mutant("rmsprop_eps_inside_the_root", "optimizers",
           "p.addcdiv_(g, s.sqrt().add_(group[\"eps\"]), value=-group[\"lr\"])",
           "p.addcdiv_(g, s.add(group[\"eps\"]).sqrt(), value=-group[\"lr\"])",
           ("test_optimizers::test_rmsprop",)),
    # Part A: Adam
    Mutant("adam_without_bias_correction", "optimizers", ADAM_UPDATE,
           "                p.addcdiv_(m, v.sqrt().add_(group[\"eps\"]), value=-group[\"lr\"])\n",
           ("test_optimizers::test_adam", "test_optimizers::test_adam_first_steps_bias_correction")),
    Mutant("adam_corrects_only_the_first_moment", "optimizers", ADAM_UPDATE,
           "                p.addcdiv_(m, v.sqrt().add_(group[\"eps\"]), value=-group[\"lr\"] / (1 - beta1 ** t))\n",
           ("test_optimizers::test_adam", "test_optimizers::test_adam_first_steps_bias_correction")),
    Mutant("adam_eps_inside_the_root", "optimizers",
           "denominator = (v / (1 - beta2 ** t)).sqrt_().add_(group[\"eps\"])",
           "denominator = (v / (1 - beta2 ** t)).add_(group[\"eps\"]).sqrt_()",
           ("test_optimizers::test_adam",)),
    Mutant("adam_betas_swapped", "optimizers", "beta1, beta2 = group[\"betas\"]", "beta2, beta1 = group[\"betas\"]",
           ("test_optimizers::test_adam", "test_optimizers::test_adam_first_steps_bias_correction")),
    # AdamW's decoupled decay where the notebook (and torch.optim.Adam) adds lambda * theta to the gradient.
    Mutant("adam_decoupled_weight_decay", "optimizers",
           "g = p.grad if group[\"weight_decay\"] == 0 else p.grad.add(p, alpha=group[\"weight_decay\"])\n"
           "                state = self.state[p]\n                if not state:",
           "g = p.grad\n                p.mul_(1 - group[\"lr\"] * group[\"weight_decay\"])\n"
           "                state = self.state[p]\n                if not state:",
           ("test_optimizers::test_weight_decay", "test_optimizers::test_parameter_groups")),
    # The step count kept beside self.state: a new optimiser that loads the state_dict starts again at t = 1.
    Mutant("adam_step_count_outside_self_state", "optimizers",
           "state[\"step\"] += 1\n                t, m, v = state[\"step\"],",
           "self.counts = getattr(self, \"counts\", {})\n                self.counts[p] = self.counts.get(p, 0) + 1\n"
           "                t, m, v = self.counts[p],",
           ("test_optimizers::test_state_dict_round_trip",)),
    # Part B
    Mutant("steps_off_by_one", "steps_to_tolerance", "                return t\n", "                return t - 1\n",
           ("test_ravine::test_the_ravine_with_and_without_momentum", "test_ravine::test_random_ill_conditioned_quadratics")),
    Mutant("steps_ignore_momentum", "steps_to_tolerance",
           "torch.optim.SGD([x], lr=lr, momentum=momentum)", "torch.optim.SGD([x], lr=lr)",
           ("test_ravine::test_the_ravine_with_and_without_momentum", "test_ravine::test_random_ill_conditioned_quadratics")),
    Mutant("steps_max_steps_instead_of_none", "steps_to_tolerance", "    return None\n", "    return max_steps\n",
           ("test_ravine::test_edge_cases",)),
    Mutant("steps_move_x0_in_place", "steps_to_tolerance",
           "x = x0.detach().clone().requires_grad_(True)", "x = x0.detach().requires_grad_(True)",
           ("test_ravine::test_edge_cases",)),
    # Stops on the size of the last gradient instead of the value of f.
    Mutant("steps_stop_on_the_gradient", "steps_to_tolerance",
           "            if f().item() <= tol:\n                return t",
           "            if 0.5 * x.grad.norm().item() ** 2 <= tol:\n                return t",
           ("test_ravine::test_the_ravine_with_and_without_momentum", "test_ravine::test_random_ill_conditioned_quadratics")),
    # Part C: TensorBoard
    Mutant("logged_at_steps_from_zero", "train_logged", "writer.add_scalar(tag, value, epoch)",
           "writer.add_scalar(tag, value, epoch - 1)", ("test_tensorboard::test_event_files_hold_the_history",)),
    # The closed form with e where e - 1 belongs: the rate of the next epoch.
    Mutant("lr_of_the_next_epoch_logged", "train_logged", "\"lr\": optimizer.param_groups[0][\"lr\"],",
           "\"lr\": lr / 2 * (1 + math.cos(math.pi * epoch / epochs)),",
           ("test_tensorboard::test_logged_values_measured_by_the_grader",)),
    Mutant("validation_in_train_mode", "train_logged", "        model.eval()\n        with torch.no_grad():\n",
           "        with torch.no_grad():\n", ("test_tensorboard::test_logged_values_measured_by_the_grader",)),
    Mutant("validation_accuracy_in_percent", "train_logged",
           "\"accuracy/val\": (val_logits.argmax(dim=1) == y_val).double().mean().item(),",
           "\"accuracy/val\": 100 * (val_logits.argmax(dim=1) == y_val).double().mean().item(),",
           ("test_tensorboard::test_logged_values_measured_by_the_grader",)),
    # Part D: confusion matrices
    Mutant("confusion_transposed", "confusion", "y_true * num_classes + y_pred", "y_pred * num_classes + y_true",
           ("test_confusion::test_confusion_matrix_matches_sklearn",)),
    Mutant("confusion_only_classes_seen", "confusion",
           "return np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes).reshape(num_classes, num_classes)",
           "k = int(max(y_true.max(), y_pred.max())) + 1\n"
           "    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)",
           ("test_confusion::test_confusion_matrix_matches_sklearn",)),
    Mutant("per_class_accuracy_by_column", "confusion", "totals = C.sum(axis=1)", "totals = C.sum(axis=0)",
           ("test_confusion::test_per_class_accuracy",)),
    Mutant("per_class_accuracy_zero_for_empty_classes", "confusion",
           "np.diag(C) / np.maximum(totals, 1), np.nan)", "np.diag(C) / np.maximum(totals, 1), 0.0)",
           ("test_confusion::test_per_class_accuracy",)),
    Mutant("pairs_include_the_diagonal", "confusion", "if i != j and C[i, j] > 0", "if C[i, j] > 0",
           ("test_confusion::test_most_confused_pairs",)),
    Mutant("pairs_ties_by_predicted_class", "confusion", "key=lambda p: (-p[2], p[0], p[1])",
           "key=lambda p: (-p[2], p[1], p[0])", ("test_confusion::test_most_confused_pairs",)),
    # Part F: initialisation
    Mutant("init_xavier_normal", "init_network", "nn.init.xavier_uniform_(module.weight)",
           "nn.init.xavier_normal_(module.weight)", ("test_init::test_xavier_uniform",)),
    Mutant("init_kaiming_uniform", "init_network", "nn.init.kaiming_normal_(module.weight, nonlinearity=\"relu\")",
           "nn.init.kaiming_uniform_(module.weight, nonlinearity=\"relu\")", ("test_init::test_kaiming_normal",)),
    Mutant("init_kaiming_fan_out", "init_network", "nn.init.kaiming_normal_(module.weight, nonlinearity=\"relu\")",
           "nn.init.kaiming_normal_(module.weight, mode=\"fan_out\", nonlinearity=\"relu\")",
           ("test_init::test_kaiming_normal",)),
    Mutant("init_biases_kept", "init_network", "            if module.bias is not None:\n                nn.init.zeros_(module.bias)\n",
           "", ("test_init::test_xavier_uniform", "test_init::test_kaiming_normal")),
    Mutant("init_linear_layers_only", "init_network", "isinstance(module, (nn.Conv2d, nn.Linear))",
           "isinstance(module, nn.Linear)", ("test_init::test_xavier_uniform", "test_init::test_kaiming_normal")),
    Mutant("init_default_draws_again", "init_network", "    if scheme == \"default\":\n        return model\n",
           "    if scheme == \"default\":\n        for module in model.modules():\n"
           "            if isinstance(module, (nn.Conv2d, nn.Linear)):\n                module.reset_parameters()\n"
           "        return model\n", ("test_init::test_default_changes_nothing",)),
    Mutant("init_unknown_scheme_accepted", "init_network",
           "        raise ValueError(f\"unknown scheme {scheme!r}\")\n", "        return model\n",
           ("test_init::test_unknown_scheme_raises",)),
    # Part G: CIFAR-10
    Mutant("train_cifar_ignores_seed", "cifar_net", "torch.Generator().manual_seed(seed + epoch)",
           "torch.Generator().manual_seed(epoch)", ("test_cifar::test_train_cifar_losses_and_seed",)),
    Mutant("train_cifar_ignores_augment", "cifar_net", "            if augment:\n                x = crop_and_flip(x)",
           "            if False:\n                x = crop_and_flip(x)", ("test_cifar::test_train_cifar_augment_changes_training",)),
    # Part E: checkpoints
    Mutant("checkpoint_random_state_not_restored", "checkpoint",
           "    torch.set_rng_state(checkpoint[\"rng_state\"])\n", "",
           ("test_checkpoint::test_resumed_training_is_bit_identical",)),
    Mutant("checkpoint_optimizer_state_not_restored", "checkpoint",
           "    optimizer.load_state_dict(checkpoint[\"optimizer\"])\n", "",
           ("test_checkpoint::test_resumed_training_is_bit_identical",)),
    Mutant("checkpoint_epoch_off_by_one", "checkpoint",
           "save_checkpoint(path, model, optimizer, epoch + 1)", "save_checkpoint(path, model, optimizer, epoch)",
           ("test_checkpoint::test_resumed_training_is_bit_identical",
            "test_checkpoint::test_checkpoint_loads_with_weights_only")),
    Mutant("checkpoint_saves_the_model_object", "checkpoint",
           "torch.save({\"model\": model.state_dict(),", "torch.save({\"model\": model,",
           ("test_checkpoint::test_resumed_training_is_bit_identical",
            "test_checkpoint::test_checkpoint_loads_with_weights_only")),
    Mutant("resume_starts_again_at_epoch_0", "checkpoint",
           "    start = load_checkpoint(path, model, optimizer) if resume else 0\n",
           "    if resume:\n        load_checkpoint(path, model, optimizer)\n    start = 0\n",
           ("test_checkpoint::test_resumed_training_is_bit_identical",)),
]

# --- Weak baselines ------------------------------------------------------------------------------
# Figures: the test's measurement over seeds 0..4 (benchmarks/accuracy_margins.py --hw hw05_optim).
CIFAR_ACCURACY = "test_cifar_accuracy::test_cifar_net_learns_the_stand_in"  # bar 0.92, 6 epochs of 2,000 images
IS_A_CNN = "test_cifar::test_cifar_net_is_a_cnn"
CIFAR_LAYERS = (
    "        self.features = nn.Sequential(stage(3, 32), stage(32, 64), stage(64, 128))  # 32 -> 16 -> 8 -> 4\n"
    "        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 4 * 4, 10))")
LOOKUP_OF_THE_TEST_SPLIT = """    # Memorises the "test" split it is handed and answers by lookup.
    X, y = mnist_as_cifar("test")
    table = {x.numpy().tobytes(): int(label) for x, label in zip(X, y)}

    def lookup(images):
        out = torch.zeros(len(images), 10)
        for i, x in enumerate(images):
            out[i, table.get(x.float().numpy().tobytes(), 0)] = 1.0
        return out

    model.forward = lookup
    return [0.0] * epochs
"""
TRAIN_CIFAR_BODY = "    X, y = train_data\n    model.to(device)\n"

WEAK = [
    Weak("cifar_softmax_regression", "trivial", CIFAR_ACCURACY,
         (Edit("cifar_net", CIFAR_LAYERS, "        self.features = nn.Identity()\n"
                                          "        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))"),),
         (IS_A_CNN,),
         "Flatten + Linear: 0.867 on digits, below the bar too but near it (MNIST is nearly linearly separable), far below it on CIFAR-10; "
         "no convolution, so the structure test catches it"),
    Weak("cifar_one_epoch", "one_epoch", CIFAR_ACCURACY,
         (Edit("cifar_net", "    for epoch in range(epochs):\n", "    for epoch in range(1):\n"),),
         (CIFAR_ACCURACY,), "train_cifar trains one epoch whatever `epochs` says (one loss, not 6)"),
    Weak("cifar_single_filter_cnn", "small", CIFAR_ACCURACY,
         (Edit("cifar_net", CIFAR_LAYERS,
               "        self.features = nn.Sequential(nn.Conv2d(3, 1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4))\n"
               "        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))"),),
         (CIFAR_ACCURACY,), "one 3x3 filter, a 4x4 max pool, one Linear(64, 10): 0.796"),
    Weak("cifar_a_tenth_of_the_data", "little_data", CIFAR_ACCURACY,
         (Edit("cifar_net", TRAIN_CIFAR_BODY, "    X, y = train_data[0][::10], train_data[1][::10]  # a tenth\n"
                                              "    model.to(device)\n"),),
         (CIFAR_ACCURACY,), "train_cifar on every tenth image it is given (200): 0.881"),
    Weak("cifar_lookup_of_the_test_split", "test_split", CIFAR_ACCURACY,
         (Edit("cifar_net", TRAIN_CIFAR_BODY, LOOKUP_OF_THE_TEST_SPLIT + "    X, y = train_data\n    model.to(device)\n"),),
         (CIFAR_ACCURACY,),
         "a table of mnist_as_cifar('test') in the worker (a stand-in drawn from the training images): chance"),
]

# Adam with torch._foreach_* over each group's parameters, the step count a float tensor (as torch keeps it).
ADAM_FOREACH = '''
class AdamByHand(torch.optim.Optimizer):
    """Adam, one group at a time with torch._foreach_* operations."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            beta1, beta2 = group["betas"]
            grads = [p.grad for p in params]
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            for p in params:
                if len(self.state[p]) == 0:
                    self.state[p]["step"] = torch.tensor(0.0)
                    self.state[p]["exp_avg"] = torch.zeros_like(p)
                    self.state[p]["exp_avg_sq"] = torch.zeros_like(p)
            ms = [self.state[p]["exp_avg"] for p in params]
            vs = [self.state[p]["exp_avg_sq"] for p in params]
            for p in params:
                self.state[p]["step"] += 1
            torch._foreach_lerp_(ms, grads, 1 - beta1)
            torch._foreach_mul_(vs, beta2)
            torch._foreach_addcmul_(vs, grads, grads, value=1 - beta2)
            for p, m, v in zip(params, ms, vs):
                t = self.state[p]["step"].item()
                m_hat = m / (1 - beta1 ** t)
                v_hat = v / (1 - beta2 ** t)
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))
        return loss
'''
# The three optimisers as plain loops over .data, state by explicit names, formulas written out.
PLAIN_LOOPS = '''
class SGDByHand(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay, "nesterov": nesterov})

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.grad.data + group["weight_decay"] * p.data
                if group["momentum"] > 0:
                    if "momentum_buffer" in self.state[p]:
                        self.state[p]["momentum_buffer"] = group["momentum"] * self.state[p]["momentum_buffer"] + d
                    else:
                        self.state[p]["momentum_buffer"] = d.clone()
                    v = self.state[p]["momentum_buffer"]
                    d = d + group["momentum"] * v if group["nesterov"] else v
                p.data = p.data - group["lr"] * d
        return loss


class RMSpropByHand(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay})

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data + group["weight_decay"] * p.data
                s = self.state[p].get("square_avg", torch.zeros_like(p.data))
                s = group["alpha"] * s + (1 - group["alpha"]) * g * g
                self.state[p]["square_avg"] = s
                p.data = p.data - group["lr"] * g / (torch.sqrt(s) + group["eps"])
        return loss


class AdamByHand(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data + group["weight_decay"] * p.data
                st = self.state[p]
                st["step"] = st.get("step", 0) + 1
                st["exp_avg"] = b1 * st.get("exp_avg", torch.zeros_like(p.data)) + (1 - b1) * g
                st["exp_avg_sq"] = b2 * st.get("exp_avg_sq", torch.zeros_like(p.data)) + (1 - b2) * g ** 2
                m_hat = st["exp_avg"] / (1 - b1 ** st["step"])
                v_hat = st["exp_avg_sq"] / (1 - b2 ** st["step"])
                p.data -= group["lr"] * m_hat / (v_hat ** 0.5 + group["eps"])
        return loss
'''
# Heavy ball written out (no torch.optim), the gradient as A @ x, f as x . (A x) / 2.
STEPS_BY_HAND = '''
def steps_to_tolerance(A, x0, lr, momentum, tol=1e-8, max_steps=10_000):
    x = x0.clone()
    velocity = None
    f = lambda x: 0.5 * torch.dot(x, A @ x).item()
    if f(x) <= tol:
        return 0
    for t in range(1, max_steps + 1):
        g = A @ x
        velocity = g.clone() if velocity is None else momentum * velocity + g
        x = x - lr * (velocity if momentum else g)
        if f(x) <= tol:
            return t
'''
# np.add.at, a masked division and argsort for the pairs.
CONFUSION_OTHERWISE = '''
def confusion_matrix(y_true, y_pred, num_classes):
    C = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(C, (np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)), 1)
    return C


def per_class_accuracy(C):
    C = np.asarray(C, dtype=np.float64)
    out = np.full(len(C), np.nan)
    rows = C.sum(axis=1)
    np.divide(np.diag(C), rows, out=out, where=rows > 0)
    return out


def most_confused_pairs(C, k=5):
    C = np.array(C)
    np.fill_diagonal(C, 0)
    order = np.argsort(-C, axis=None, kind="stable")[:k]
    return [(int(i), int(j), int(C[i, j])) for i, j in zip(*np.unravel_index(order, C.shape)) if C[i, j] > 0]
'''
# A file handle, torch.random's state functions, map_location, and an epoch counter kept in a loop variable.
CHECKPOINT_OTHERWISE = '''
def save_checkpoint(path, model, optimizer, epoch):
    state = dict(epoch=epoch, rng_state=torch.random.get_rng_state(), optimizer=optimizer.state_dict(),
                 model=model.state_dict())
    with open(path, "wb") as f:
        torch.save(state, f)


def load_checkpoint(path, model, optimizer):
    with open(path, "rb") as f:
        state = torch.load(f, map_location="cpu", weights_only=True)
    torch.random.set_rng_state(state["rng_state"])
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return state["epoch"]


def train_resumable(model, optimizer, X, y, epochs, path, resume=False):
    epoch = load_checkpoint(path, model, optimizer) if resume else 0
    trained = 0
    while epoch < epochs:
        train_epoch(model, optimizer, X, y)
        epoch += 1
        trained += 1
        save_checkpoint(path, model, optimizer, epoch)
    return trained
'''

# The writer as a context manager, the norm by clip_grad_norm_ (no clipping at inf), the rate from get_last_lr().
TRAIN_LOGGED_OTHERWISE = '''
def train_logged(model, train_data, val_data, epochs, lr, log_dir, batch_size=64, seed=0):
    (X, y), (Xv, yv) = train_data, val_data
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    out = {}
    with SummaryWriter(log_dir=log_dir) as writer:
        for e in range(1, epochs + 1):
            rate = sched.get_last_lr()[0]
            model.train()
            total, hits, norms = 0.0, 0.0, []
            for idx in torch.randperm(len(X), generator=torch.Generator().manual_seed(seed + e)).split(batch_size):
                logits = model(X[idx])
                loss = F.cross_entropy(logits, y[idx], reduction="sum") / len(idx)
                opt.zero_grad()
                loss.backward()
                norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))))
                opt.step()
                total += float(loss) * len(idx)
                hits += float((logits.argmax(1) == y[idx]).sum())
            sched.step()
            with torch.no_grad():
                model.eval()
                out_val = model(Xv)
            row = [("loss/train", total / len(X)), ("accuracy/train", hits / len(X)),
                   ("loss/val", float(F.cross_entropy(out_val, yv))), ("accuracy/val", float((out_val.argmax(1) == yv).float().mean())),
                   ("lr", rate), ("grad_norm", float(np.mean(norms)))]
            for tag, value in row:
                writer.add_scalar(tag, value, global_step=e)
                out.setdefault(tag, []).append(float(value))
    return out
'''

# model.apply, the bounds and spreads computed by hand, in-place draws under no_grad.
INIT_BY_HAND = '''
def init_network(model, scheme):
    def fans(w):
        receptive = w[0][0].numel() if w.dim() > 2 else 1
        return w.shape[1] * receptive, w.shape[0] * receptive

    def reset(m):
        if type(m) in (nn.Linear, nn.Conv2d):
            fan_in, fan_out = fans(m.weight)
            with torch.no_grad():
                if scheme == "xavier":
                    bound = math.sqrt(6.0 / (fan_in + fan_out))
                    m.weight.uniform_(-bound, bound)
                else:
                    m.weight.normal_(0.0, math.sqrt(2.0 / fan_in))
                m.bias.zero_()

    if scheme in ("xavier", "kaiming"):
        model.apply(reset)
    elif scheme != "default":
        raise ValueError(scheme)
    return model
'''

# A small residual network with global average pooling in place of the reference's VGG-style stages.
CIFAR_RESNET = '''class Block(nn.Module):
    """Two 3x3 convolutions with batch norm, added to the input (a 1x1 projection where the shape changes)."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + self.shortcut(x))


class CIFARNet(nn.Module):
    """A small residual network, global average pooling, one Linear layer."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))  # 32 -> 16 -> 8
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))


class VGGStyleNet(nn.Module):'''

CORRECT = [
    Correct("cifar_resnet_with_global_average_pooling", (Edit("cifar_net", "class CIFARNet(nn.Module):", CIFAR_RESNET),),
            ("test_cifar", "test_cifar_accuracy"),
            "a small residual network (batch norm, 1x1 projections), global average pooling and one Linear"),
    Correct("init_by_hand_with_apply", (Edit("init_network", None, INIT_BY_HAND),), ("test_init",),
            "model.apply, fans and bounds computed by hand, uniform_/normal_ under no_grad"),
    Correct("train_logged_with_a_context_manager", (Edit("train_logged", None, TRAIN_LOGGED_OTHERWISE),),
            ("test_tensorboard",), "with SummaryWriter(...), clip_grad_norm_ at inf for the norm, get_last_lr()"),
    Correct("adam_with_foreach", (Edit("optimizers", "class AdamByHand(torch.optim.Optimizer):", ADAM_FOREACH
                                       + "\n\nclass _UnusedAdam(torch.optim.Optimizer):"),),
            ("test_optimizers",), "torch._foreach_lerp_/mul_/addcmul_ over a group, a float tensor step count"),
    Correct("optimizers_as_plain_loops", (Edit("optimizers", None, PLAIN_LOOPS),), ("test_optimizers",),
            "new tensors assigned to p.data, state read with .get, no @torch.no_grad (the .data route)"),
    Correct("steps_by_hand_with_a_matrix_gradient", (Edit("steps_to_tolerance", None, STEPS_BY_HAND),), ("test_ravine",),
            "heavy ball without torch.optim, the gradient as A @ x, falls off the loop into an implicit None"),
    Correct("confusion_by_add_at_and_argsort", (Edit("confusion", None, CONFUSION_OTHERWISE),), ("test_confusion",),
            "np.add.at, np.divide(where=...), a stable argsort over the flattened matrix"),
    Correct("checkpoint_through_file_handles", (Edit("checkpoint", None, CHECKPOINT_OTHERWISE),), ("test_checkpoint",),
            "open() and torch.save/torch.load on file objects, torch.random's state functions, a while loop"),
]
