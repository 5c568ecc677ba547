"""Submissions the grader must score right: per homework, the reference, the blank
release and plausible wrong answers (mutants); for hw01 also broken and hostile inputs.

Each mutant is a plausible student mistake made by editing one solution cell of the
reference notebook; `failing` names the graded tests it must fail. Every edit must
apply exactly once, so a change to the notebook that silently defuses a mutant fails.
A new homework adds its list to MUTANTS; tests/test_discrimination.py does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from hw_utils.notebook import nbgrader_meta

ROOT = Path(__file__).resolve().parent.parent
HW = "hw01_backprop"
SOURCE = ROOT / "source" / HW / f"{HW}.ipynb"


def source_path(hw: str) -> Path:
    return ROOT / "source" / hw / f"{hw}.ipynb"


def release_path(hw: str) -> Path:
    return ROOT / "release" / hw / f"{hw}.ipynb"


@dataclass(frozen=True)
class Mutant:
    name: str
    grade_id: str
    old: str
    new: str
    failing: tuple[str, ...]  # graded tests this mistake must fail


HW01_MUTANTS = [
    Mutant("sigmoid_derivative_is_sigmoid", "neuron_backward",
           "z_bar = y_bar * y * (1.0 - y)", "z_bar = y_bar * y",
           ("test_neuron::test_neuron_backward_parameters", "test_neuron::test_neuron_backward_intermediates")),
    Mutant("lambda_term_dropped", "neuron_backward",
           "w_bar = z_bar * x + R_bar * w", "w_bar = z_bar * x",
           ("test_neuron::test_neuron_backward_parameters",)),
    Mutant("transposed_weight_gradient", "net322_backward",
           "dW2 = np.outer(delta2, h)", "dW2 = np.outer(h, delta2)",
           ("test_net322::test_backward",)),
    # (Dropping MSE's 2/K is no mistake here: K = 2. The proof caught that mutant as equivalent.)
    Mutant("hidden_delta_through_untransposed_W2", "net322_backward",
           'delta1 = (params["W2"].T @ delta2)', 'delta1 = (params["W2"] @ delta2)',
           ("test_net322::test_backward",)),
    Mutant("sgd_step_adds_gradient", "sgd_step",
           "{k: params[k] - lr * grads[k]", "{k: params[k] + lr * grads[k]",
           ("test_net322::test_one_sgd_step_on_the_example", "test_net322::test_sgd_step_any_rate_and_inputs_untouched")),
    Mutant("sgd_step_in_place", "sgd_step",
           "return {k: params[k] - lr * grads[k] for k in params}",
           "for k in params:\n        params[k] -= lr * grads[k]\n    return params",
           ("test_net322::test_sgd_step_any_rate_and_inputs_untouched",)),
    Mutant("softmax_without_max_shift", "softmax",
           "shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits",
           ("test_numpy_mlp::test_softmax_rows_and_large_logits",)),
    Mutant("cross_entropy_without_max_shift", "softmax_cross_entropy",
           "shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits",
           ("test_numpy_mlp::test_softmax_cross_entropy",)),
    Mutant("linear_weight_gradient_transposed", "linear",
           "self.dW = self.x.T @ grad_out", "self.dW = grad_out.T @ self.x",
           ("test_numpy_mlp::test_linear_forward_backward", "test_numpy_mlp::test_mlp_backprop_matches_true_gradients")),
    Mutant("relu_backward_ignores_mask", "activations",
           "return grad_out * self.mask", "return grad_out",
           ("test_numpy_mlp::test_activation_forward_backward[ReLU-relu]",
            "test_numpy_mlp::test_mlp_backprop_matches_true_gradients")),
    Mutant("numerical_gradient_one_sided_step", "gradcheck_tools",
           "(f_plus - f_minus) / (2.0 * eps)", "(f_plus - f_minus) / eps",
           ("test_numpy_mlp::test_numerical_gradient",)),
    Mutant("nn_gradients_not_transposed_back", "mlp_gradients_nn",
           "m.weight.grad.detach().T.numpy()", "m.weight.grad.detach().numpy()",
           ("test_torch::test_gradients_match_autograd[mlp_gradients_nn]", "test_torch::test_numpy_and_torch_agree")),
]

HW02_MUTANTS = [
    Mutant("first_nonfinite_layer_counts_from_0", "first_nonfinite_layer",
           "enumerate(weights, start=1)", "enumerate(weights)",
           ("test_explode::test_first_nonfinite_layer_on_known_networks",)),
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

HW03_MUTANTS = [
    Mutant("val_normalised_with_own_statistics", "data_loader",
           "self.mean, self.std = train_loader.mean, train_loader.std",
           "self.mean, self.std = float(self.X.mean()), float(self.X.std())",
           ("test_data_loader::test_val_normalised_with_train_statistics",
            "test_trainer::test_val_loss_is_plain_data_loss_of_eval_model")),
    Mutant("sum_correct_preds_argmin", "sum_correct_preds",
           "logits.argmax(dim=1) == labels", "logits.argmin(dim=1) == labels",
           ("test_trainer::test_sum_correct_preds",)),
    Mutant("fnn_ignores_batch_norm", "fnn",
           "if batch_norm:\n        layers.append", "if False:\n        layers.append",
           ("test_fnn::test_batch_norm_when_asked",)),
    Mutant("evaluation_in_train_mode", "trainer",
           "model.eval()", "pass",
           ("test_trainer::test_validation_never_trains", "test_trainer::test_eval_mode_and_no_grad",
            "test_trainer::test_val_loss_is_plain_data_loss_of_eval_model")),
    Mutant("evaluation_without_no_grad", "trainer",
           "with torch.no_grad():", "if True:",
           ("test_trainer::test_eval_mode_and_no_grad",)),
    Mutant("validation_batches_trained_on", "trainer",
           "for x, y in train_loader:", "for x, y in list(train_loader) + list(val_loader):",
           ("test_trainer::test_validation_never_trains", "test_trainer::test_eval_mode_and_no_grad")),
    Mutant("penalty_added_to_val_loss", "trainer",
           "total += loss_fn(logits, y).item() * len(y)",
           "total += (loss_fn(logits, y) + (0 if regularization is None else regularization(model))).item() * len(y)",
           ("test_trainer::test_val_loss_is_plain_data_loss_of_eval_model",)),
    Mutant("l2_without_square", "trainer",
           "(m.weight ** 2).sum()", "m.weight.abs().sum()",
           ("test_trainer::test_penalty_matches_formula[l2_penalty]",)),
    Mutant("l1_with_square", "trainer",
           "m.weight.abs().sum()", "(m.weight ** 2).sum()",
           ("test_trainer::test_penalty_matches_formula[l1_penalty]",)),
    Mutant("l2_includes_biases", "trainer",
           "(m.weight ** 2).sum() for m in model.modules() if isinstance(m, nn.Linear)",
           "(p ** 2).sum() for p in model.parameters()",
           ("test_trainer::test_penalty_matches_formula[l2_penalty]",)),
    Mutant("load_without_load_state_dict", "network_user",
           "model.load_state_dict(torch.load(path))", "torch.load(path)",
           ("test_user::test_save_load_round_trip",)),
    Mutant("predict_in_train_mode", "network_user",
           "        model.eval()\n        with torch.no_grad():", "        with torch.no_grad():",
           ("test_user::test_predict",)),
]

HW04_MUTANTS = [
    Mutant("output_size_true_division", "conv",
           "return (w - k + 2 * p) // s + 1", "return (w - k + 2 * p) / s + 1",
           ("test_conv::test_conv_output_size", "test_conv::test_conv2d_worked_example_7x7",
            "test_conv::test_conv2d_random_shapes_strides_paddings")),
    # True convolution (the filter flipped): invisible with a symmetric filter, not with random ones.
    Mutant("conv_flips_the_filter", "conv",
           "np.tensordot(window, w, axes=", "np.tensordot(window, w[:, :, ::-1, ::-1], axes=",
           ("test_conv::test_conv2d_worked_example_7x7", "test_conv::test_conv2d_random_shapes_strides_paddings")),
    Mutant("conv_bias_forgotten", "conv",
           "        y += np.asarray(b).reshape(1, n_filters, 1, 1)\n", "        pass\n",
           ("test_conv::test_conv2d_random_shapes_strides_paddings",)),
    Mutant("max_pool_ignores_stride", "pooling",
           "k, s = kernel_size, kernel_size if stride is None else stride\n    OH, OW = conv_output_size(x.shape[-2], k, 0, s), "
           "conv_output_size(x.shape[-1], k, 0, s)\n    out = [[x[..., i * s:i * s + k, j * s:j * s + k].max(",
           "k, s = kernel_size, kernel_size\n    OH, OW = conv_output_size(x.shape[-2], k, 0, s), "
           "conv_output_size(x.shape[-1], k, 0, s)\n    out = [[x[..., i * s:i * s + k, j * s:j * s + k].max(",
           ("test_pool::test_max_pool_matches_torch",)),
    Mutant("avg_pool_takes_the_max", "pooling",
           "j * s + k].mean(axis=(-2, -1))", "j * s + k].max(axis=(-2, -1))",
           ("test_pool::test_pooling_worked_example", "test_pool::test_avg_pool_matches_torch")),
    Mutant("vgg_convolutions_without_biases", "vgg11_table",
           "(3 * 3 * channels + 1) * width", "3 * 3 * channels * width",
           ("test_vgg::test_vgg11_at_224_matches_torchvision", "test_vgg::test_vgg11_parameters_for_other_configurations",
            "test_vgg::test_vgg11_fc_share")),
    # torchvision's adaptive pool copied into the classic table: right at 224 only.
    Mutant("vgg_first_fc_always_7x7", "vgg11_table",
           "features = channels * size * size", "features = channels * 7 * 7",
           ("test_vgg::test_vgg11_parameters_for_other_configurations", "test_vgg::test_vgg11_fc_share")),
    Mutant("vgg_pool_rounds_up", "vgg11_table",
           "size = conv_output_size(size, 2, 0, 2)", "size = -(-size // 2)",
           ("test_vgg::test_vgg11_rows_for_other_configurations",
            "test_vgg::test_vgg11_parameters_for_other_configurations")),
    Mutant("help_without_default", "task1_cnn",
           'help="input batch size for training (default: 64)")', 'help="input batch size for training")',
           ("test_task1_cnn::test_help_lists_every_option_with_its_default",)),
    Mutant("lr_parsed_as_int", "task1_cnn",
           'type=float, default=0.01, metavar="LR"', 'type=int, default=0.01, metavar="LR"',
           ("test_task1_cnn::test_parse_args", "test_task1_cnn::test_program_trains_on_the_mnist_subset",
            "test_task1_cnn::test_program_options_and_saved_model")),
    # The default network's fc1 size typed in: trains with the defaults, breaks with any other option.
    Mutant("fc1_inputs_hard_coded", "task1_cnn",
           "nn.Linear(conv2_channels * size * size, 128)", "nn.Linear(9216, 128)",
           ("test_task1_cnn::test_net_structure_and_parameter_count",
            "test_task1_cnn::test_net_forward_returns_log_probabilities",
            "test_task1_cnn::test_program_options_and_saved_model")),
    # Trains with a learning rate of 0 and prints a perfect test accuracy it never measured:
    # what the program prints is format, the grader measures the weights it saved.
    Mutant("program_prints_an_accuracy_it_never_measured", "task1_cnn",
           "        train(args, model, device, train_loader, optimizer, epoch)\n        test(model, device, test_loader)",
           "        train(args, model, device, train_loader, optim.SGD(model.parameters(), lr=0.0), epoch)\n"
           "        print(\"\\nTest set: Average loss: 0.0010, Accuracy: 1000/1000 (100%)\\n\")",
           ("test_task1_cnn::test_program_trains_on_the_mnist_subset",
            "test_task1_cnn::test_program_options_and_saved_model")),
    Mutant("net_returns_logits", "task1_cnn",
           "return F.log_softmax(self.fc2(x), dim=1)", "return self.fc2(x)",
           ("test_task1_cnn::test_net_forward_returns_log_probabilities",)),
    Mutant("count_parameters_counts_tensors", "svhn_net",
           "sum(p.numel() for p in model.parameters() if p.requires_grad)",
           "len([p for p in model.parameters() if p.requires_grad])",
           ("test_svhn::test_count_parameters",)),
    Mutant("count_parameters_counts_frozen", "svhn_net",
           "sum(p.numel() for p in model.parameters() if p.requires_grad)", "sum(p.numel() for p in model.parameters())",
           ("test_svhn::test_count_parameters",)),
    Mutant("augmentation_flips_digits", "train_svhn",
           "v2.Compose([v2.RandomAffine(", "v2.Compose([v2.RandomHorizontalFlip(), v2.RandomAffine(",
           ("test_svhn::test_svhn_augmentation_keeps_shape_and_labels",)),
    Mutant("augment_ignored", "train_svhn",
           "svhn_augmentation(), seed) if augment else train_data", "svhn_augmentation(), seed) if False else train_data",
           ("test_svhn::test_train_svhn_augment_changes_training",)),
    Mutant("add_noise_in_place", "noise",
           "return images + a * noise", "return images.add_(a * noise)",
           ("test_svhn::test_add_noise_leaves_its_input_unchanged",)),
    # a read as the variance of the noise.
    Mutant("add_noise_std_sqrt_a", "noise",
           "return images + a * noise", "return images + math.sqrt(a) * noise",
           ("test_svhn::test_add_noise_statistics", "test_svhn::test_add_noise_exact_and_reproducible",
            "test_svhn::test_noisy_accuracy")),
    Mutant("add_noise_ignores_generator", "noise",
           "noise = torch.randn(images.shape, generator=generator, dtype", "noise = torch.randn(images.shape, dtype",
           ("test_svhn::test_add_noise_exact_and_reproducible", "test_svhn::test_noisy_accuracy")),
    Mutant("noisy_accuracy_in_train_mode", "noise",
           "    model.eval()\n    correct = 0", "    correct = 0",
           ("test_svhn::test_noisy_accuracy",)),
]

MUTANTS: dict[str, list[Mutant]] = {"hw01_backprop": HW01_MUTANTS, "hw02_init": HW02_MUTANTS, "hw03_mlp": HW03_MUTANTS,
                                    "hw04_cnn": HW04_MUTANTS}


def tests_by_name(grade) -> dict:
    return {t.name: t for t in grade.tests}


def edit_cell(nb, grade_id: str, old: str, new: str):
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    assert len(cells) == 1, f"no single cell with grade_id {grade_id!r}"
    count = cells[0].source.count(old)
    assert count == 1, f"{old!r} occurs {count} times in cell {grade_id!r}, expected once"
    cells[0].source = cells[0].source.replace(old, new)
    return nb


def replace_cell(nb, grade_id: str, new_source: str):
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)
    cell.source = new_source
    return nb


def add_first_code_cell(nb, source: str):
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def load(path: Path):
    return nbformat.read(path, as_version=4)


def write_submissions(hw: str, notebooks: dict, out: Path) -> dict[str, Path]:
    """Write each notebook (or raw text) as out/<name>/<hw>/<hw>.ipynb."""
    paths = {}
    for name, nb in notebooks.items():
        path = out / name / hw / f"{hw}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
        paths[name] = path
    return paths


def standard_corpus(hw: str) -> dict:
    """reference, blank and every mutant of hw, as notebooks."""
    notebooks = {"reference": load(source_path(hw)), "blank": load(release_path(hw))}
    for m in MUTANTS.get(hw, []):
        notebooks[m.name] = edit_cell(load(source_path(hw)), m.grade_id, m.old, m.new)
    return notebooks


HIDDEN_TEST = ROOT / "grader_tests" / HW / "test_neuron.py"


def hostile_corpus(out: Path) -> dict:
    """hw01 submissions that are broken, or try to break the grader or the rest of the class.

    out is where the batch's results go; "victim" is graded first, so the attacks on its
    results.json aim at a real file.
    """
    source, release = source_path(HW), release_path(HW)
    victim = out / "victim" / HW / "results.json"
    attack_cells = [
        f"stolen = open({str(HIDDEN_TEST)!r}).read()",
        f"open({str(victim)!r}, 'w').write('{{\"score\": 0}}')",
        "import os\nfor name in os.listdir('.'):\n    os.remove(name)",
        "print('x' * 50_000_000)",
    ]
    attacker = load(source)
    for cell in reversed(attack_cells):
        attacker = add_first_code_cell(attacker, cell)
    raises = edit_cell(load(source), "softmax", "shifted = logits", "raise KeyboardInterrupt\n    shifted = logits")
    raises = edit_cell(raises, "mse", "return float(np.mean((y - t) ** 2))", "raise BaseException('mse')")
    return {
        "victim": load(source),
        "reads_and_writes_what_it_must_not": attacker,
        "loops_in_a_function": edit_cell(load(source), "neuron_forward", "z = w * x + b\n",
                                         "while True:\n        pass\n    z = w * x + b\n"),
        "spawns_processes": edit_cell(load(source), "net322_forward", 'z1 = params["W1"]', (
            "import subprocess\n    for _ in range(500):  # bounded, should the limit ever fail\n"
            "        subprocess.Popen(['sleep', '60'])\n    z1 = params[\"W1\"]")),
        "raises_base_exceptions": raises,
        "function_deleted": replace_cell(load(source), "sgd_step", "# I deleted sgd_step by mistake\n"),
        "syntax_error": edit_cell(load(source), "mse", "def mse(y, t):", "def mse(y, t)"),
        "exits_at_top": add_first_code_cell(load(release), "import sys\nsys.exit(0)"),
        "os_exit_in_function": edit_cell(load(source), "neuron_forward", "z = w * x + b\n", "import os\n    os._exit(0)\n"),
        "infinite_loop_at_top": add_first_code_cell(load(release), "while True:\n    pass"),
        "patches_allclose": add_first_code_cell(load(release), (
            "import numpy, torch, builtins\n"
            "torch.allclose = lambda *a, **k: True\n"
            "numpy.allclose = lambda *a, **k: True\n"
            "numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)\n"
            "builtins.abs = lambda x: 0\n"
            "builtins.isinstance = lambda obj, cls: True\n"
            "import pytest\npytest.approx = lambda *a, **k: True\npytest.fail = lambda *a, **k: None\n")),
        "not_json": "this is not JSON {",
        "json_not_notebook": '{"hello": "world"}',
    }
