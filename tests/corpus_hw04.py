"""The proof corpus for hw04_cnn (CNNs): see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

MUTANTS = [
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

# Honest submissions too weak for an accuracy bar (none yet: this homework has no accuracy test).
WEAK: list[Weak] = []

# Correct answers written differently: full marks on the tests they name.
CORRECT: list[Correct] = []
