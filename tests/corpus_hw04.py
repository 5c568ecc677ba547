"""The proof corpus for hw04_cnn (CNNs): see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

# From SVHNNet's first stage to count_parameters' sum, as the reference writes them.
SVHN_NET_AND_COUNT = (
    "nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),\n"
    "                nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),\n"
    "                nn.MaxPool2d(2),\n            )\n\n"
    "        self.features = nn.Sequential(stage(3, 32), stage(32, 64), stage(64, 128))  # 32 -> 16 -> 8 -> 4\n"
    "        self.classifier = nn.Sequential(\n"
    "            nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10),\n"
    "        )\n        ### END SOLUTION\n\n    def forward(self, x):\n        ### BEGIN SOLUTION\n"
    "        return self.classifier(self.features(x))\n        ### END SOLUTION\n\n\ndef count_parameters(model):\n"
    '    """Number of trainable parameters of `model`: the entries of its parameters with requires_grad (an int)."""\n'
    "    ### BEGIN SOLUTION\n    return sum(p.numel() for p in model.parameters() if p.requires_grad)")

MUTANTS = [
    # Part A
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
    # Right values, but a tensor where the docstring promises a NumPy array.
    Mutant("conv_returns_a_tensor", "conv",
           "    return y\n", "    return torch.from_numpy(y)\n",
           ("test_conv::test_conv2d_worked_example_7x7", "test_conv::test_conv2d_random_shapes_strides_paddings")),
    # Part B
    Mutant("max_pool_ignores_stride", "pooling",
           "k, s = kernel_size, kernel_size if stride is None else stride\n    OH, OW = conv_output_size(x.shape[-2], k, 0, s), "
           "conv_output_size(x.shape[-1], k, 0, s)\n    out = [[x[..., i * s:i * s + k, j * s:j * s + k].max(",
           "k, s = kernel_size, kernel_size\n    OH, OW = conv_output_size(x.shape[-2], k, 0, s), "
           "conv_output_size(x.shape[-1], k, 0, s)\n    out = [[x[..., i * s:i * s + k, j * s:j * s + k].max(",
           ("test_pool::test_max_pool_matches_torch",)),
    Mutant("avg_pool_takes_the_max", "pooling",
           "j * s + k].mean(axis=(-2, -1))", "j * s + k].max(axis=(-2, -1))",
           ("test_pool::test_pooling_worked_example", "test_pool::test_avg_pool_matches_torch")),
    # The means written back in the input's dtype: right for float images, truncated for integer ones.
    Mutant("avg_pool_keeps_an_integer_dtype", "pooling",
           ".mean(axis=(-2, -1)) for j in range(OW)] for i in range(OH)]\n    return np.moveaxis(np.array(out),",
           ".mean(axis=(-2, -1)) for j in range(OW)] for i in range(OH)]\n    return np.moveaxis(np.array(out, dtype=x.dtype),",
           ("test_pool::test_pooling_worked_example",)),
    Mutant("max_pool_returns_a_tensor", "pooling",
           ".max(axis=(-2, -1)) for j in range(OW)] for i in range(OH)]\n    return np.moveaxis(np.array(out), (0, 1), (-2, -1))",
           ".max(axis=(-2, -1)) for j in range(OW)] for i in range(OH)]\n"
           "    return torch.from_numpy(np.moveaxis(np.array(out), (0, 1), (-2, -1)))",
           ("test_pool::test_max_pool_matches_torch",)),
    # Part C
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
    # The right numbers, named by the filters they take in rather than those they have.
    Mutant("vgg_conv_named_by_its_input_channels", "vgg11_table",
           'rows.append((f"CONV3-{width}"', 'rows.append((f"CONV3-{channels}"',
           ("test_vgg::test_vgg11_rows_for_other_configurations",)),
    # np.floor: every size and count a NumPy float (7.0), equal to the right int but not one.
    Mutant("vgg_sizes_as_floats", "vgg11_table",
           "size = conv_output_size(size, 2, 0, 2)", "size = np.floor(size / 2)",
           ("test_vgg::test_vgg11_rows_for_other_configurations",
            "test_vgg::test_vgg11_parameters_for_other_configurations")),
    # Part D
    Mutant("help_without_default", "task1_cnn",
           'help="input batch size for training (default: 64)")', 'help="input batch size for training")',
           ("test_task1_cnn::test_help_lists_every_option_with_its_default",)),
    Mutant("lr_parsed_as_int", "task1_cnn",
           'type=float, default=0.01, metavar="LR"', 'type=int, default=0.01, metavar="LR"',
           ("test_task1_cnn::test_parse_args", "test_program::test_program_options_and_saved_model",
            "test_program_accuracy::test_program_trains_on_the_mnist_subset")),
    # The default network's fc1 size typed in: trains with the defaults, breaks with any other option.
    Mutant("fc1_inputs_hard_coded", "task1_cnn",
           "nn.Linear(conv2_channels * size * size, 128)", "nn.Linear(9216, 128)",
           ("test_task1_cnn::test_net_structure_and_parameter_count",
            "test_task1_cnn::test_net_forward_returns_log_probabilities",
            "test_program::test_program_options_and_saved_model")),
    Mutant("net_dropout_rates_swapped", "task1_cnn",
           "self.dropout1 = nn.Dropout(0.25)\n        self.dropout2 = nn.Dropout(0.5)",
           "self.dropout1 = nn.Dropout(0.5)\n        self.dropout2 = nn.Dropout(0.25)",
           ("test_task1_cnn::test_net_structure_and_parameter_count",
            "test_task1_cnn::test_net_dropout_where_the_table_puts_it")),
    # Invisible in eval mode, where dropout is the identity.
    Mutant("net_dropout_before_the_pool", "task1_cnn",
           "x = self.dropout1(F.max_pool2d(x, 2))", "x = F.max_pool2d(self.dropout1(x), 2)",
           ("test_task1_cnn::test_net_dropout_where_the_table_puts_it",)),
    # Trains and prints a good accuracy as a program, but is not the specified network: the
    # feedback must name the forward pass, not the saving (tests/test_hw04_feedback.py).
    Mutant("net_flattens_channels_last", "task1_cnn",
           "x = torch.flatten(x, 1)", "x = x.permute(0, 2, 3, 1).flatten(1)",
           ("test_task1_cnn::test_net_forward_returns_log_probabilities",
            "test_program::test_program_options_and_saved_model")),
    # Works in Jupyter and in a shell; the grader loads weights only (tests/test_hw04_feedback.py).
    Mutant("program_saves_the_whole_model", "task1_cnn",
           'torch.save(model.state_dict(), "mnist_cnn.pt")', 'torch.save(model, "mnist_cnn.pt")',
           ("test_program::test_program_options_and_saved_model",)),
    Mutant("program_saves_before_training", "task1_cnn",
           "    for epoch in range(1, args.epochs + 1):\n",
           "    if args.save_model:\n        torch.save(model.state_dict(), \"mnist_cnn.pt\")\n"
           "        args.save_model = False\n    for epoch in range(1, args.epochs + 1):\n",
           ("test_program::test_program_options_and_saved_model",)),
    # Trains with a learning rate of 0 and prints a perfect test accuracy it never measured:
    # what the program prints is format, the grader measures the weights it saved.
    Mutant("program_prints_an_accuracy_it_never_measured", "task1_cnn",
           "        train(args, model, device, train_loader, optimizer, epoch)\n        test(model, device, test_loader)",
           "        train(args, model, device, train_loader, optim.SGD(model.parameters(), lr=0.0), epoch)\n"
           "        print(\"\\nTest set: Average loss: 0.0010, Accuracy: 1000/1000 (100%)\\n\")",
           ("test_program::test_program_options_and_saved_model",)),
    Mutant("net_returns_logits", "task1_cnn",
           "return F.log_softmax(self.fc2(x), dim=1)", "return self.fc2(x)",
           ("test_task1_cnn::test_net_forward_returns_log_probabilities",)),
    # Part E
    Mutant("svhn_net_ends_with_softmax", "svhn_net",
           "nn.Linear(256, 10),\n        )", "nn.Linear(256, 10), nn.Softmax(dim=1),\n        )",
           ("test_svhn::test_svhn_net_ends_without_softmax",)),
    Mutant("count_parameters_counts_tensors", "svhn_net",
           "sum(p.numel() for p in model.parameters() if p.requires_grad)",
           "len([p for p in model.parameters() if p.requires_grad])",
           ("test_svhn::test_count_parameters",)),
    Mutant("count_parameters_counts_frozen", "svhn_net",
           "sum(p.numel() for p in model.parameters() if p.requires_grad)", "sum(p.numel() for p in model.parameters())",
           ("test_svhn::test_count_parameters",)),
    # Buffers counted (the state_dict), with an SVHNNet that has none (no batch norm): only the
    # buffer the test registers shows it.
    Mutant("count_parameters_counts_buffers", "svhn_net", SVHN_NET_AND_COUNT, SVHN_NET_AND_COUNT
           .replace(", bias=False), nn.BatchNorm2d(c_out), nn.ReLU()", "), nn.ReLU()")
           .replace("sum(p.numel() for p in model.parameters() if p.requires_grad)",
                    "sum(t.numel() for t in model.state_dict().values())"),
           ("test_svhn::test_count_parameters",)),
    Mutant("augmentation_flips_digits", "train_svhn",
           "v2.Compose([v2.RandomAffine(", "v2.Compose([v2.RandomHorizontalFlip(), v2.RandomAffine(",
           ("test_svhn::test_svhn_augmentation_keeps_shape_and_labels",)),
    # A fixed rotation: it changes the images, the same way every time.
    Mutant("augmentation_not_random", "train_svhn",
           "v2.RandomAffine(degrees=8, translate=(0.1, 0.1), scale=(0.9, 1.1))", "v2.RandomAffine(degrees=(8, 8))",
           ("test_svhn::test_svhn_augmentation_keeps_shape_and_labels",)),
    Mutant("augment_ignored", "train_svhn",
           "svhn_augmentation(), seed) if augment else train_data", "svhn_augmentation(), seed) if False else train_data",
           ("test_train_svhn::test_train_svhn_augment_changes_training",)),
    Mutant("train_svhn_with_sgd", "train_svhn",
           "torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.SGD(model.parameters(), lr=lr)",
           ("test_train_svhn::test_train_svhn_takes_adam_steps_of_lr",)),
    Mutant("train_svhn_ignores_lr", "train_svhn",
           "torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.Adam(model.parameters())",
           ("test_train_svhn::test_train_svhn_takes_adam_steps_of_lr",)),
    Mutant("train_svhn_ignores_batch_size", "train_svhn",
           "               batch_size=batch_size, seed=seed, progress=False)", "               seed=seed, progress=False)",
           ("test_train_svhn::test_train_svhn_takes_adam_steps_of_lr",)),
    Mutant("train_svhn_ignores_seed", "train_svhn",
           "batch_size=batch_size, seed=seed, progress=False)", "batch_size=batch_size, progress=False)",
           ("test_train_svhn::test_train_svhn_seed_fixes_the_order",)),
    Mutant("train_svhn_trains_on_validation_data", "train_svhn",
           "    data = AugmentedBatches(",
           "    if val_data is not None:\n"
           "        train_data = (torch.cat([train_data[0], val_data[0]]), torch.cat([train_data[1], val_data[1]]))\n"
           "    data = AugmentedBatches(",
           ("test_train_svhn::test_train_svhn_history_per_epoch_and_validation",)),
    # Part D's loss on SVHNNet's logits (no log_softmax): the curves are no cross-entropy.
    Mutant("train_svhn_nll_on_logits", "train_svhn",
           "nn.CrossEntropyLoss(), epochs", "nn.NLLLoss(), epochs",
           ("test_train_svhn::test_train_svhn_never_augments_validation_data",)),
    Mutant("train_svhn_augments_validation_data", "train_svhn",
           "device=device, val_data=val_data,",
           "device=device, val_data=val_data if not augment or val_data is None else "
           "(svhn_augmentation()(val_data[0]), val_data[1]),",
           ("test_train_svhn::test_train_svhn_never_augments_validation_data",)),
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

# --- Weak baselines ------------------------------------------------------------------------
# Figures: the test's measurement over seeds 0..4 (benchmarks/accuracy_margins.py, --seed=N).
SVHN_ACCURACY = "test_svhn_accuracy::test_svhn_net_learns_digits"  # bar 0.85, 6 epochs of 2,000 digits
IS_A_CNN = "test_svhn::test_svhn_net_is_a_cnn"
PROGRAM_ACCURACY = "test_program_accuracy::test_program_trains_on_the_mnist_subset"  # bar 950 of 1,000
SVHN_LAYERS = (
    "        self.features = nn.Sequential(stage(3, 32), stage(32, 64), stage(64, 128))  # 32 -> 16 -> 8 -> 4\n"
    "        self.classifier = nn.Sequential(\n"
    "            nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10),\n"
    "        )")
TRAIN_SVHN_BODY = (
    "    device = choose_device() if device is None else torch.device(device)\n"
    "    model.to(device)\n"
    "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
    "    data = AugmentedBatches(*train_data, batch_size, svhn_augmentation(), seed) if augment else train_data\n"
    "    return fit(model, data, optimizer, nn.CrossEntropyLoss(), epochs, device=device, val_data=val_data,\n"
    "               batch_size=batch_size, seed=seed, progress=False)\n")
LOOKUP_OF_THE_TEST_SPLIT = """    # Memorises the "test" split it is handed and answers by lookup.
    X, y = mnist_as_svhn("test")
    table = {x.numpy().tobytes(): int(label) for x, label in zip(X, y)}

    def lookup(images):
        out = torch.zeros(len(images), 10)
        for i, x in enumerate(images):
            out[i, table.get(x.float().numpy().tobytes(), 0)] = 1.0
        return out

    model.forward = lookup
    return History(train_loss=[0.0] * epochs, train_accuracy=[1.0] * epochs)
"""
MNIST_TRAIN_SET = 'train_set = TensorDataset(*load_tensors("mnist_subset", split="train"))'

WEAK = [
    # SVHNNet, trained by the test with the budget the notebook states.
    Weak("svhn_softmax_regression", "trivial", SVHN_ACCURACY,
         (Edit("svhn_net", SVHN_LAYERS, "        self.features = nn.Identity()\n"
                                        "        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))"),),
         (IS_A_CNN,),
         "Flatten + Linear: 0.88-0.90 on these digits, above the bar (MNIST is nearly linearly separable); "
         "no convolution, so the structure test catches it"),
    # The MLP with batch norm that cleared the old bar (0.90 after one epoch on 4,000 digits).
    Weak("svhn_mlp_with_batch_norm", "trivial", SVHN_ACCURACY,
         (Edit("svhn_net", SVHN_LAYERS, "        self.features = nn.Identity()\n"
                                        "        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 256), "
                                        "nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10))"),),
         (IS_A_CNN,),
         "an MLP (3072-256-10, batch norm): 0.90-0.92, above the bar; no convolution, so the structure test catches it"),
    Weak("svhn_one_epoch", "one_epoch", SVHN_ACCURACY,
         (Edit("train_svhn", "nn.CrossEntropyLoss(), epochs, device", "nn.CrossEntropyLoss(), 1, device"),),
         (SVHN_ACCURACY, "test_train_svhn::test_train_svhn_history_per_epoch_and_validation"),
         "train_svhn trains one epoch whatever `epochs` says: the reference reaches 0.78-0.94 in one epoch, so the "
         "bar cannot tell; the History (one entry, not 6) and the History test catch it"),
    Weak("svhn_single_filter_cnn", "small", SVHN_ACCURACY,
         (Edit("svhn_net", SVHN_LAYERS,
               "        self.features = nn.Sequential(nn.Conv2d(3, 1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4))\n"
               "        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))"),),
         (SVHN_ACCURACY,), "one 3x3 filter, a 4x4 max pool, one Linear(64, 10)"),
    Weak("svhn_a_tenth_of_the_data", "little_data", SVHN_ACCURACY,
         (Edit("train_svhn", "    data = AugmentedBatches(",
               "    train_data = (train_data[0][::10], train_data[1][::10])  # a tenth, every class\n"
               "    data = AugmentedBatches("),),
         (SVHN_ACCURACY,), "train_svhn on every tenth image it is given (200)"),
    Weak("svhn_lookup_of_the_test_split", "test_split", SVHN_ACCURACY,
         (Edit("train_svhn", TRAIN_SVHN_BODY, LOOKUP_OF_THE_TEST_SPLIT),), (SVHN_ACCURACY,),
         "a table of mnist_as_svhn('test') in the worker (a stand-in drawn from the training images): chance"),
    # The program, run by the test with the options the notebook states.
    Weak("program_linear_net", "trivial", PROGRAM_ACCURACY,
         (Edit("task1_cnn", "x = F.relu(self.conv1(x))\n        x = F.relu(self.conv2(x))",
               "x = self.conv1(x)\n        x = self.conv2(x)"),
          Edit("task1_cnn", "x = self.dropout2(F.relu(self.fc1(x)))", "x = self.dropout2(self.fc1(x))")),
         (PROGRAM_ACCURACY, "test_task1_cnn::test_net_forward_returns_log_probabilities"),
         "Net without its ReLUs, a linear classifier"),
    Weak("program_one_epoch", "one_epoch", PROGRAM_ACCURACY,
         (Edit("task1_cnn", "for epoch in range(1, args.epochs + 1):", "for epoch in range(1, 2):"),),
         (PROGRAM_ACCURACY,), "the program trains one epoch whatever --epochs says"),
    Weak("program_small_net", "small", PROGRAM_ACCURACY,
         (Edit("task1_cnn", "model = Net(args.conv1_channels, args.conv2_channels, args.kernel_size)",
               "model = Net(4, 8, args.kernel_size)"),),
         (PROGRAM_ACCURACY,),
         "Net(4, 8, 3) whatever the options say: the network is specified, so a smaller one prints another "
         "parameter count and its weights do not load into Net(32, 64, 3)"),
    Weak("program_a_tenth_of_the_data", "little_data", PROGRAM_ACCURACY,
         (Edit("task1_cnn", MNIST_TRAIN_SET,
               'train_set = TensorDataset(*[t[::10] for t in load_tensors("mnist_subset", split="train")])'),),
         (PROGRAM_ACCURACY,), "the program on every tenth training image (400)"),
    # Trained on the "test" split it is handed: in the worker a stand-in of 1,000 training images.
    Weak("program_trains_on_the_test_split", "test_split", PROGRAM_ACCURACY,
         (Edit("task1_cnn", MNIST_TRAIN_SET, MNIST_TRAIN_SET.replace('split="train"', 'split="test"')),),
         (PROGRAM_ACCURACY,), "the program trained on the 'test' split (a stand-in of 1,000 training images)"),
]

# --- Correct answers written differently ----------------------------------------------------
COUNT_PARAMETERS = '''

def count_parameters(model):
    """Trainable entries."""
    return sum(p.numel() for p in filter(lambda p: p.requires_grad, model.parameters()))
'''
SVHN_RESNET_GAP = '''class Block(nn.Module):
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


class SVHNNet(nn.Module):
    """A small residual network, global average pooling, one Linear layer."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2))  # 32 -> 16 -> 8
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))
''' + COUNT_PARAMETERS
SVHN_PLAIN_GAP = '''class SVHNNet(nn.Module):
    """A plain stack of 3x3 convolutions (no batch norm, no dropout), global average pooling, one Linear."""

    def __init__(self):
        super().__init__()
        layers, c_in = [], 3
        for c_out, pool in [(32, False), (32, True), (64, False), (64, True), (128, False)]:
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()] + ([nn.MaxPool2d(2)] if pool else [])
            c_in = c_out
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        return self.out(self.body(x))
''' + COUNT_PARAMETERS
# No nn.Conv2d: filters as nn.Parameter, F.conv2d, strided convolutions instead of pooling.
SVHN_FUNCTIONAL_STRIDED = '''class SVHNNet(nn.Module):
    """All-convolutional: filters held as parameters, strided convolutions, batch norm, global average pooling."""

    WIDTHS = [(3, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1)]

    def __init__(self):
        super().__init__()
        self.filters = nn.ParameterList(
            [nn.Parameter(torch.randn(c_out, c_in, 3, 3) * math.sqrt(2 / (9 * c_in))) for c_in, c_out, _ in self.WIDTHS])
        self.norms = nn.ModuleList([nn.BatchNorm2d(c_out) for _, c_out, _ in self.WIDTHS])
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        for w, norm, (_, _, stride) in zip(self.filters, self.norms, self.WIDTHS):
            x = F.relu(norm(F.conv2d(x, w, stride=stride, padding=1)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
''' + COUNT_PARAMETERS
# train_svhn without fit: its own loop, shuffle and History.
TRAIN_SVHN_OWN_LOOP = """    device = torch.device(device) if device is not None else choose_device()
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    X, y = train_data
    order_generator = torch.Generator().manual_seed(seed)
    transform = svhn_augmentation() if augment else None
    history = History()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(X), generator=order_generator)
        loss_sum, right = 0.0, 0
        for batch in order.split(batch_size):
            xb, yb = X[batch].to(device), y[batch].to(device)
            if transform is not None:
                xb = torch.cat([transform(part) for part in xb.split(32)])
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(yb)
            right += (logits.argmax(1) == yb).sum().item()
        history.train_loss.append(loss_sum / len(X))
        history.train_accuracy.append(right / len(X))
        if val_data is not None:
            model.eval()
            with torch.no_grad():
                Xv, yv = val_data[0].to(device), val_data[1].to(device)
                logits = torch.cat([model(part) for part in Xv.split(500)])
                history.val_loss.append(F.cross_entropy(logits, yv, reduction="sum").item() / len(yv))
                history.val_accuracy.append((logits.argmax(1) == yv).double().mean().item())
    return history
"""
# NumPy's sliding windows instead of loops; any dtype in, the mean as float64.
CONV_SLIDING_WINDOWS = '''def conv_output_size(w, k, p=0, s=1):
    """floor((w - k + 2p) / s) + 1, as an int."""
    return int(math.floor((w - k + 2 * p) / s)) + 1


def conv2d_naive(x, w, b=None, stride=1, padding=0):
    """All windows at once, one einsum."""
    x = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)], mode="constant")
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    y = np.einsum("nchwuv,fcuv->nfhw", windows, w)
    return y if b is None else y + b[None, :, None, None]
'''
POOL_SLIDING_WINDOWS = '''def _windows(x, k, s):
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(-2, -1))[..., ::s, ::s, :, :]


def max_pool2d_naive(x, kernel_size=2, stride=None):
    """Largest entry of every window."""
    return _windows(np.asarray(x), kernel_size, stride or kernel_size).max(axis=(-2, -1))


def avg_pool2d_naive(x, kernel_size=2, stride=None):
    """Mean of every window, as float64."""
    return _windows(np.asarray(x), kernel_size, stride or kernel_size).mean(axis=(-2, -1), dtype=np.float64)
'''
VGG_BY_STAGES = '''def vgg11_table(input_size=224, in_channels=3, widths=(64, 128, 256, 512, 512), num_classes=1000, fc_width=4096):
    """Stage by stage, names from a format string, the FC share with math.fsum."""
    rows = [("INPUT", (in_channels, input_size, input_size), 0)]
    c, h = in_channels, input_size
    for n_convs, width in zip([1, 1, 2, 2, 2], widths):
        for _ in range(n_convs):
            rows.append(("CONV3-%d" % width, (width, h, h), int(width * (c * 9 + 1))))
            c = width
        h = h // 2
        rows.append(("POOL2", (c, h, h), 0))
    n_in = c * h * h
    for n_out in [fc_width, fc_width, num_classes]:
        rows.append(("FC-%d" % n_out, (n_out,), n_in * n_out + n_out))
        n_in = n_out
    total = sum(r[2] for r in rows)
    return {"rows": rows, "total": total, "fc_share": math.fsum(r[2] for r in rows if r[0][:2] == "FC") / total}
'''
# argparse's ArgumentDefaultsHelpFormatter writes "(default: ...)"; Net sized with a helper, flattened with view.
TASK1_OTHERWISE = (
    Edit("task1_cnn", 'parser = argparse.ArgumentParser(description="Train a small CNN on MNIST (homework 4)")',
         'parser = argparse.ArgumentParser(description="Train a small CNN on MNIST (homework 4)",\n'
         '                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)'),
    Edit("task1_cnn", 'help="input batch size for training (default: 64)")', 'help="input batch size for training")'),
    Edit("task1_cnn", 'help="learning rate (default: 0.01)")', 'help="learning rate")'),
    Edit("task1_cnn", 'help="disables CUDA training (default: False)")', 'help="disables CUDA training")'),
    Edit("task1_cnn", "        size = (28 - kernel_size + 1 - kernel_size + 1) // 2  # two valid convolutions, then a 2x2 pool\n",
         "        def out(w, k, s=1):\n            return (w - k) // s + 1\n\n"
         "        size = out(out(out(28, kernel_size), kernel_size), 2, 2)\n"),
    Edit("task1_cnn", "x = torch.flatten(x, 1)", "x = x.view(x.size(0), -1)"),
    Edit("task1_cnn", "return F.log_softmax(self.fc2(x), dim=1)",
         "x = self.fc2(x)\n        return x - torch.logsumexp(x, dim=1, keepdim=True)"),
)
NOISY_ACCURACY_AT_ONCE = '''    noisy = add_noise(X, a, torch.Generator(device=X.device).manual_seed(seed))
    was_training = model.training
    model.train(False)
    with torch.inference_mode():
        predictions = model(noisy).argmax(dim=1)
    model.train(was_training)
    return float((predictions == y).float().mean())
'''
NOISY_ACCURACY_BODY = (
    "    noisy = add_noise(X, a, generator=torch.Generator(device=X.device).manual_seed(seed))\n"
    "    model.eval()\n    correct = 0\n    with torch.no_grad():\n"
    "        for start in range(0, len(X), batch_size):\n"
    "            logits = model(noisy[start:start + batch_size])\n"
    "            correct += (logits.argmax(dim=1) == y[start:start + batch_size]).sum().item()\n"
    "    return correct / len(X)\n")

CORRECT = [
    Correct("svhn_resnet_with_global_average_pooling", (Edit("svhn_net", None, SVHN_RESNET_GAP),),
            ("test_svhn", "test_train_svhn", "test_svhn_accuracy"),
            "a small residual network (batch norm, 1x1 projections) with global average pooling and one Linear"),
    Correct("svhn_plain_convs_with_global_average_pooling", (Edit("svhn_net", None, SVHN_PLAIN_GAP),),
            ("test_svhn", "test_train_svhn", "test_svhn_accuracy"),
            "five 3x3 convolutions with ReLU, two max pools, no batch norm, global average pooling: learns slowest"),
    Correct("svhn_functional_strided_convs", (Edit("svhn_net", None, SVHN_FUNCTIONAL_STRIDED),),
            ("test_svhn", "test_train_svhn", "test_svhn_accuracy"),
            "filters as nn.Parameter and F.conv2d (no nn.Conv2d), strided convolutions instead of pools"),
    Correct("train_svhn_own_loop", (Edit("train_svhn", TRAIN_SVHN_BODY, TRAIN_SVHN_OWN_LOOP),),
            ("test_train_svhn",), "its own loop: a seeded permutation per epoch, F.cross_entropy, its own History"),
    Correct("conv_and_pooling_by_sliding_windows",
            (Edit("conv", None, CONV_SLIDING_WINDOWS), Edit("pooling", None, POOL_SLIDING_WINDOWS)),
            ("test_conv", "test_pool"), "np.lib.stride_tricks.sliding_window_view and einsum, no Python loops"),
    Correct("vgg11_by_stages", (Edit("vgg11_table", None, VGG_BY_STAGES),), ("test_vgg",),
            "%-formatted names, h // 2, math.fsum"),
    Correct("task1_defaults_help_formatter_and_view", TASK1_OTHERWISE, ("test_task1_cnn", "test_program"),
            "ArgumentDefaultsHelpFormatter, the size by a helper, view, log-softmax as x - logsumexp"),
    Correct("noisy_accuracy_at_once", (Edit("noise", NOISY_ACCURACY_BODY, NOISY_ACCURACY_AT_ONCE),), ("test_svhn",),
            "the whole set in one batch under inference_mode, the mode restored afterwards"),
]
