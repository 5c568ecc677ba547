"""The proof corpus for hw02_init (initialisation): see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

MUTANTS = [
    Mutant("first_nonfinite_layer_counts_from_0", "first_nonfinite_layer",
           "enumerate(weights, start=1)", "enumerate(weights)",
           ("test_explode::test_first_nonfinite_layer_on_known_networks",
            "test_explode::test_first_nonfinite_layer_on_gaussian_networks")),
    Mutant("first_nonfinite_layer_misses_nan", "first_nonfinite_layer",
           "if not torch.isfinite(h).all():", "if torch.isinf(h).any():",
           ("test_explode::test_first_nonfinite_layer_on_known_networks",)),
    Mutant("dot_product_biased_std", "dot_product_stats",
           "/ (n_draws - 1))", "/ n_draws)",
           ("test_dot_product::test_dot_product_stats_on_the_specified_draws",)),
    Mutant("dot_product_variance_for_std", "dot_product_stats",
           "std = torch.sqrt(((y - mean) ** 2).sum() / (n_draws - 1))",
           "std = ((y - mean) ** 2).sum() / (n_draws - 1)",
           ("test_dot_product::test_dot_product_stats_on_the_specified_draws",
            "test_dot_product::test_dot_product_std_is_close_to_sqrt_fan_in")),
    Mutant("scaled_normal_divides_by_fan_in", "scaled_normal_init",
           "/ math.sqrt(fan_in)", "/ fan_in",
           ("test_init::test_scaled_normal_init_statistics",)),
    Mutant("forward_stats_one_layer_short", "forward_stats",
           "for _ in range(depth):", "for _ in range(depth - 1):",
           ("test_forward::test_forward_stats_follows_the_recipe",)),
    Mutant("xavier_normal_instead_of_uniform", "xavier_init",
           "torch.empty(fan_in, fan_out).uniform_(-limit, limit)", "torch.randn(fan_in, fan_out) * limit",
           ("test_init::test_xavier_bound", "test_init::test_xavier_is_uniform",
            "test_init::test_xavier_mean_and_variance", "test_forward::test_tanh_xavier_after_100_layers")),
    # The std of Xavier normal used as the uniform bound: the variance is 3 times too small.
    Mutant("xavier_bound_sqrt_2_over_fans", "xavier_init",
           "6.0 / (fan_in + fan_out)", "2.0 / (fan_in + fan_out)",
           ("test_init::test_xavier_bound", "test_init::test_xavier_mean_and_variance",
            "test_forward::test_tanh_xavier_after_100_layers")),
    Mutant("xavier_bound_sqrt_1_over_fans", "xavier_init",
           "6.0 / (fan_in + fan_out)", "1.0 / (fan_in + fan_out)",
           ("test_init::test_xavier_bound", "test_init::test_xavier_mean_and_variance",
            "test_forward::test_tanh_xavier_after_100_layers")),
    # Invisible on square layers (forward_stats): only the non-square statistics catch it.
    Mutant("kaiming_std_from_fan_out", "kaiming_init",
           "math.sqrt(2.0 / fan_in)", "math.sqrt(2.0 / fan_out)",
           ("test_init::test_kaiming_statistics",)),
    Mutant("kaiming_without_factor_2", "kaiming_init",
           "math.sqrt(2.0 / fan_in)", "math.sqrt(1.0 / fan_in)",
           ("test_init::test_kaiming_statistics", "test_forward::test_relu_kaiming_after_100_layers")),
    Mutant("kaiming_one_column_repeated", "kaiming_init",
           "return torch.randn(fan_in, fan_out) * std", "return torch.randn(fan_in, 1).repeat(1, fan_out) * std",
           ("test_init::test_init_entries_are_independent",)),
    # Right variance, wrong distribution: only the share within one standard deviation tells.
    Mutant("scaled_normal_uniform_with_the_same_variance", "scaled_normal_init",
           "return torch.randn(fan_in, fan_out) / math.sqrt(fan_in)",
           "return (torch.rand(fan_in, fan_out) * 2 - 1) * math.sqrt(3.0 / fan_in)",
           ("test_init::test_scaled_normal_init_statistics",)),
    Mutant("first_nonfinite_layer_returns_a_tensor", "first_nonfinite_layer",
           "            return k\n", "            return torch.tensor(k)\n",
           ("test_explode::test_first_nonfinite_layer_returns_a_python_int_or_none",)),
    Mutant("dot_product_stats_returns_tensors", "dot_product_stats",
           "return float(mean), float(std)", "return mean, std",
           ("test_dot_product::test_dot_product_stats_returns_two_python_floats",)),
    # Invisible with torch.eye weights (the same matrix every layer): only random weights tell.
    Mutant("forward_stats_one_weight_for_every_layer", "forward_stats",
           "    for _ in range(depth):\n        h = activation(h @ init_fn(width, width))\n",
           "    W = init_fn(width, width)\n    for _ in range(depth):\n        h = activation(h @ W)\n",
           ("test_forward::test_forward_stats_draws_a_new_weight_per_layer",)),
    Mutant("forward_stats_returns_tensors", "forward_stats",
           "return float(h.mean()), float(h.std())", "return h.mean(), h.std()",
           ("test_forward::test_forward_stats_returns_two_python_floats",)),
    Mutant("kaiming_reseeds_inside", "kaiming_init",
           "return torch.randn(fan_in, fan_out) * std",
           "torch.manual_seed(0)\n    return torch.randn(fan_in, fan_out) * std",
           ("test_init::test_inits_are_reproducible_with_torch_manual_seed",)),
]

# Honest submissions too weak for an accuracy bar (none yet: this homework has no accuracy test).
WEAK: list[Weak] = []

# Correct answers written differently: full marks on the tests they name.
EXPLODE_AND_DOT_PRODUCT_OTHERWISE = {
    "first_nonfinite_layer": '''def first_nonfinite_layer(x, weights):
    """torch.matmul layer by layer; NaN and inf tested separately."""
    h = x
    for k in range(1, len(weights) + 1):
        h = torch.matmul(h, weights[k - 1])
        if bool((torch.isnan(h) | torch.isinf(h)).any()):
            return k
    return None
''',
    "dot_product_stats": '''def dot_product_stats(fan_in, n_draws=10_000, seed=0):
    """Everything in float32, torch's default: einsum for the dot products, torch.std_mean."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n_draws, fan_in, generator=g)
    x = torch.randn(n_draws, fan_in, generator=g)
    std, mean = torch.std_mean(torch.einsum("nd,nd->n", a, x))
    return mean.item(), std.item()
''',
}

INITS_OTHERWISE = {
    "scaled_normal_init": '''def scaled_normal_init(fan_in, fan_out):
    """torch.normal with the standard deviation given."""
    return torch.normal(0.0, 1.0 / math.sqrt(fan_in), size=(fan_in, fan_out))
''',
    "xavier_init": '''def xavier_init(fan_in, fan_out):
    """torch.nn.init on nn.Linear's (out, in) layout, then transposed to (fan_in, fan_out)."""
    return torch.nn.init.xavier_uniform_(torch.empty(fan_out, fan_in)).T
''',
    "kaiming_init": '''def kaiming_init(fan_in, fan_out):
    """torch.nn.init in fan_in mode on (out, in), transposed: fan_in is then the right one."""
    return torch.nn.init.kaiming_normal_(torch.empty(fan_out, fan_in), mode="fan_in", nonlinearity="relu").T
''',
}

FORWARD_STATS_OTHERWISE = '''def forward_stats(init_fn, activation, depth=100, width=512, batch=256, seed=0):
    """A while loop, torch.matmul, torch.std_mean."""
    torch.manual_seed(seed)
    h = torch.randn(batch, width)
    layer = 0
    while layer < depth:
        h = activation(torch.matmul(h, init_fn(width, width)))
        layer += 1
    std, mean = torch.std_mean(h)
    return mean.item(), std.item()
'''


def _cells(sources: dict) -> tuple[Edit, ...]:
    return tuple(Edit(grade_id, None, source) for grade_id, source in sources.items())


CORRECT = [
    Correct("explode_matmul_dot_product_float32", _cells(EXPLODE_AND_DOT_PRODUCT_OTHERWISE),
            ("test_explode", "test_dot_product"),
            "torch.matmul with isnan | isinf; dot products by einsum and statistics by torch.std_mean, all float32"),
    Correct("inits_torch_normal_and_nn_init_transposed", _cells(INITS_OTHERWISE), ("test_init", "test_forward"),
            "torch.normal; nn.init.xavier_uniform_ and kaiming_normal_ on (out, in) then transposed"),
    Correct("forward_stats_while_matmul_std_mean", (Edit("forward_stats", None, FORWARD_STATS_OTHERWISE),),
            ("test_forward",), "a while loop, torch.matmul, torch.std_mean"),
]
