"""The proof corpus for hw01_backprop (backprop by hand, in NumPy and with autograd): see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

MUTANTS = [
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

# Honest submissions too weak for an accuracy bar (none yet: this homework has no accuracy test).
WEAK: list[Weak] = []

# Correct answers written differently: full marks on the tests they name.
CORRECT: list[Correct] = []
