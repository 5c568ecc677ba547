"""The proof corpus for hw06_regularization (weight decay, dropout, early stopping, batch norm):
see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

WD = "test_weight_decay::"
DROP = "test_dropout::"
ES = "test_early_stopping::"
BN = "test_batch_norm::"

MUTANTS = [
    # Part A: weight decay
    Mutant("l2_penalty_without_the_half", "l2_penalty", "return lam / 2 * sum(", "return lam * sum(",
           (WD + "test_l2_penalty_value", WD + "test_penalised_step_equals_sgd_weight_decay")),
    Mutant("l2_penalty_weights_only", "l2_penalty",
           "for p in model.parameters())", "for p in model.parameters() if p.dim() > 1)",
           (WD + "test_l2_penalty_value", WD + "test_penalised_step_equals_sgd_weight_decay")),
    # The penalty's gradient and the decay both: twice weight_decay's step.
    Mutant("penalised_step_decays_twice", "penalised_sgd_step",
           "p -= lr * p.grad", "p -= lr * (p.grad + lam * p)",
           (WD + "test_penalised_step_equals_sgd_weight_decay",)),
    # Invisible on one step from a fresh model: the second step adds the first one's gradients.
    Mutant("penalised_step_never_zeroes_gradients", "penalised_sgd_step",
           "    model.zero_grad()\n", "",
           (WD + "test_penalised_step_equals_sgd_weight_decay",)),
    Mutant("weight_decay_not_passed_to_the_optimiser", "train_with_weight_decay",
           "lr=lr, weight_decay=weight_decay)", "lr=lr)",
           (WD + "test_weight_norm_falls_as_weight_decay_grows",)),
    Mutant("train_with_weight_decay_never_steps", "train_with_weight_decay",
           "            optimizer.step()\n", "",
           (WD + "test_weight_norm_falls_as_weight_decay_grows",)),
    # Part B: dropout
    Mutant("dropout_scales_by_keep_probability", "dropout", "return x * mask / keep", "return x * mask * keep",
           (DROP + "test_dropout_keeps_with_probability_1_minus_p_and_rescales",
            DROP + "test_dropout_gradient_flows_through_kept_units_only")),
    Mutant("dropout_keeps_with_probability_p", "dropout", "< keep).to(x.dtype)", "< self.p).to(x.dtype)",
           (DROP + "test_dropout_keeps_with_probability_1_minus_p_and_rescales",)),
    Mutant("dropout_also_in_eval_mode", "dropout",
           "if not self.training or self.p == 0.0:", "if self.p == 0.0:",
           (DROP + "test_dropout_eval_mode_is_the_identity", DROP + "test_dropout_gradient_flows_through_kept_units_only")),
    Mutant("dropout_one_mask_per_row", "dropout", "torch.rand(x.shape)", "torch.rand(x.shape[0], 1)",
           (DROP + "test_dropout_masks_are_independent_and_fresh",)),
    Mutant("dropout_same_mask_every_call", "dropout",
           "torch.rand(x.shape)", "torch.rand(x.shape, generator=torch.Generator().manual_seed(0))",
           (DROP + "test_dropout_masks_are_independent_and_fresh",)),
    Mutant("dropout_p_1_divides_by_zero", "dropout",
           "        if self.p == 1.0:\n            return torch.zeros_like(x)\n", "",
           (DROP + "test_dropout_with_p_0_and_p_1",)),
    Mutant("dropout_detaches_its_input", "dropout", "return x * mask / keep", "return x.detach() * mask / keep",
           (DROP + "test_dropout_gradient_flows_through_kept_units_only",)),
    # Part C: early stopping
    Mutant("early_stopping_tie_counts_as_better", "early_stopping", "if error < v:", "if error <= v:",
           (ES + "test_an_equal_error_is_not_an_improvement",)),
    Mutant("early_stopping_one_evaluation_too_many", "early_stopping", "while j < patience:", "while j <= patience:",
           (ES + "test_stops_after_patience_evaluations_without_improvement",
            ES + "test_an_equal_error_is_not_an_improvement")),
    Mutant("early_stopping_patience_never_reset", "early_stopping", "            j = 0\n", "",
           (ES + "test_stops_after_patience_evaluations_without_improvement",)),
    Mutant("early_stopping_keeps_a_reference", "early_stopping",
           "            best_params = {k: t.detach().clone() for k, t in params.items()}",
           "            best_params = params",
           (ES + "test_best_parameters_are_a_copy_taken_at_the_best_step",)),
    Mutant("early_stopping_shallow_copy", "early_stopping",
           "            best_params = {k: t.detach().clone() for k, t in params.items()}",
           "            best_params = dict(params)",
           (ES + "test_best_parameters_are_a_copy_taken_at_the_best_step",)),
    Mutant("early_stopping_best_step_in_evaluations", "early_stopping",
           "            best_step = i\n", "            best_step = i // n\n",
           (ES + "test_best_step_counts_training_steps",)),
    # Part D: batch norm
    Mutant("batch_norm_unbiased_variance_for_normalising", "batch_norm",
           "var = ((x - mean) ** 2).mean(dim=0)", "var = ((x - mean) ** 2).sum(dim=0) / (n - 1)",
           (BN + "test_train_mode_output_matches_batch_norm_1d",)),
    Mutant("batch_norm_biased_running_variance", "batch_norm", " * n / (n - 1))", ")",
           (BN + "test_running_statistics_match_batch_norm_1d",
            BN + "test_eval_mode_uses_and_keeps_the_running_statistics")),
    Mutant("batch_norm_momentum_weights_the_old_value", "batch_norm",
           "m = self.momentum\n", "m = 1 - self.momentum\n",
           (BN + "test_running_statistics_match_batch_norm_1d",
            BN + "test_eval_mode_uses_and_keeps_the_running_statistics")),
    Mutant("batch_norm_batch_statistics_in_eval_mode", "batch_norm", "if self.training:", "if True:",
           (BN + "test_eval_mode_uses_and_keeps_the_running_statistics",)),
    Mutant("batch_norm_eps_outside_the_sqrt", "batch_norm",
           "torch.sqrt(var + self.eps)", "(torch.sqrt(var) + self.eps)",
           (BN + "test_train_mode_output_matches_batch_norm_1d",)),
    Mutant("batch_norm_ignores_its_eps", "batch_norm",
           "self.eps, self.momentum = eps, momentum", "self.eps, self.momentum = 1e-5, momentum",
           (BN + "test_train_mode_output_matches_batch_norm_1d",)),
    Mutant("batch_norm_without_affine", "batch_norm",
           "return self.weight * x_hat + self.bias", "return x_hat",
           (BN + "test_train_mode_output_matches_batch_norm_1d",)),
    Mutant("batch_norm_detaches_the_batch_mean", "batch_norm",
           "mean = x.mean(dim=0)\n", "mean = x.mean(dim=0).detach()\n",
           (BN + "test_input_gradient_matches_batch_norm_1d",)),
    Mutant("batch_norm_running_var_not_a_buffer", "batch_norm",
           'self.register_buffer("running_var", torch.ones(num_features))',
           "self.running_var = torch.ones(num_features)",
           (BN + "test_parameters_and_buffers",)),
]

# Honest submissions too weak for an accuracy bar: none. This homework has no accuracy test; its
# one trained experiment (weight decay) is checked structurally in the grader (the norm of the
# returned weights falls with weight decay, and each model learnt its own training images).
WEAK: list[Weak] = []

A_OTHERWISE = {
    "l2_penalty": '''def l2_penalty(model, lam):
    flat = torch.cat([p.reshape(-1) for p in model.parameters()])
    return 0.5 * lam * flat.pow(2).sum()
''',
    "penalised_sgd_step": '''def penalised_sgd_step(model, X, y, lr, lam):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()
    loss = nn.CrossEntropyLoss()(model(X), y) + l2_penalty(model, lam)
    loss.backward()
    opt.step()
    return loss.item()
''',
    "train_with_weight_decay": '''def train_with_weight_decay(X, y, weight_decay, epochs=5, lr=0.1, batch_size=100, seed=0):
    classes = len(torch.unique(y))
    model = make_mlp([X.size(1), 100, classes], seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=batch_size,
                                         shuffle=True, generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    return model
''',
}

DROPOUT_BERNOULLI = '''class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = float(p)

    def forward(self, x):
        if not self.training:
            return x
        if self.p >= 1.0:
            return x * 0.0
        keep = torch.bernoulli(torch.full(x.shape, 1.0 - self.p, dtype=x.dtype))
        return torch.where(keep.bool(), x / (1.0 - self.p), torch.zeros_like(x))
'''

DROPOUT_RAND_GE_P = '''class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training and self.p > 0:
            if self.p == 1:
                return torch.zeros_like(x)
            return x * (torch.rand_like(x) >= self.p) / (1 - self.p)
        return x
'''

EARLY_STOPPING_DEEPCOPY = '''def early_stopping(params, train, validation_error, n, patience):
    best_error = float("inf")
    best = (copy.deepcopy(params), 0)
    steps = bad = 0
    while True:
        train(n)
        steps += n
        error = float(validation_error())
        if error < best_error:
            best_error, best, bad = error, (copy.deepcopy(params), steps), 0
        else:
            bad += 1
            if bad >= patience:
                return best
'''

BATCH_NORM_VAR = '''class BatchNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        if not self.training:
            return (x - self.running_mean) / (self.running_var + self.eps).sqrt() * self.weight + self.bias
        mean, var = x.mean(0), x.var(0, unbiased=False)
        m = self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * mean.detach()
        self.running_var = (1 - m) * self.running_var + m * x.var(0, unbiased=True).detach()
        return (x - mean) / (var + self.eps).sqrt() * self.weight + self.bias
'''

BATCH_NORM_FLOAT64 = '''class BatchNorm(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features, dtype=torch.float64))
        self.register_buffer("running_var", torch.ones(num_features, dtype=torch.float64))

    def forward(self, x):
        x64 = x.double()
        if self.training:
            n = x64.shape[0]
            mean = x64.mean(dim=0)
            var = (x64 ** 2).mean(dim=0) - mean ** 2
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / (n - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        y = (x64 - mean) * torch.rsqrt(var + self.eps) * self.weight.double() + self.bias.double()
        return y.to(x.dtype)
'''

CORRECT = [
    Correct("weight_decay_flat_penalty_optimiser_step_dataloader", tuple(Edit(k, None, v) for k, v in A_OTHERWISE.items()),
            ("test_weight_decay",), "the penalty over torch.cat of the flattened parameters, the step by an SGD "
            "optimiser without weight_decay, training through a seeded DataLoader"),
    Correct("dropout_torch_bernoulli_where", (Edit("dropout", None, DROPOUT_BERNOULLI),), ("test_dropout",),
            "mask by torch.bernoulli in the input's dtype, torch.where"),
    Correct("dropout_rand_like_ge_p", (Edit("dropout", None, DROPOUT_RAND_GE_P),), ("test_dropout",),
            "keep where rand_like(x) >= p, a boolean mask times x"),
    Correct("early_stopping_deepcopy_while_true", (Edit("early_stopping", None, EARLY_STOPPING_DEEPCOPY),),
            ("test_early_stopping",), "copy.deepcopy, a while True loop that returns from inside"),
    Correct("batch_norm_var_unbiased_false", (Edit("batch_norm", None, BATCH_NORM_VAR),), ("test_batch_norm",),
            "x.var(unbiased=False) to normalise, x.var(unbiased=True) for the running estimate, buffers reassigned"),
    Correct("batch_norm_float64_mean_of_squares", (Edit("batch_norm", None, BATCH_NORM_FLOAT64),), ("test_batch_norm",),
            "float64 inside (and float64 running buffers), variance as mean of squares minus squared mean, lerp_"),
]
