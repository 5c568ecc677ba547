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
    Mutant("kaiming_reseeds_inside", "kaiming_init",
           "return torch.randn(fan_in, fan_out) * std",
           "torch.manual_seed(0)\n    return torch.randn(fan_in, fan_out) * std",
           ("test_init::test_inits_are_reproducible_with_torch_manual_seed",)),
]

# Honest submissions too weak for an accuracy bar (none yet: this homework has no accuracy test).
WEAK: list[Weak] = []

# Correct answers written differently: full marks on the tests they name.
CORRECT: list[Correct] = []
