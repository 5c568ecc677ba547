"""The proof corpus for hw03_mlp (feed-forward networks and the training structure): see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

MUTANTS = [
    # Part A: FNN
    Mutant("fnn_ignores_batch_norm", "fnn",
           "if batch_norm:\n        layers.append", "if False:\n        layers.append",
           ("test_fnn::test_batch_norm_when_asked",)),
    Mutant("dense_layer_activation_before_batch_norm", "fnn",
           "    if batch_norm:\n        layers.append(nn.BatchNorm1d(out_features))\n"
           "    if activation is not None:\n        layers.append(activation())\n",
           "    if activation is not None:\n        layers.append(activation())\n"
           "    if batch_norm:\n        layers.append(nn.BatchNorm1d(out_features))\n",
           ("test_fnn::test_dense_layer", "test_fnn::test_fnn_layer_order_with_batch_norm")),
    Mutant("dropout_before_each_dense_layer", "fnn",
           "            layers.append(_dense_layer(fan_in, fan_out, activation, batch_norm))\n"
           "            if dropout > 0:\n                layers.append(nn.Dropout(dropout))\n",
           "            if dropout > 0:\n                layers.append(nn.Dropout(dropout))\n"
           "            layers.append(_dense_layer(fan_in, fan_out, activation, batch_norm))\n",
           ("test_fnn::test_dropout_after_each_hidden_layer",)),
    Mutant("fnn_kaiming_init_zero_biases", "fnn",
           "        self.layers = nn.Sequential(*layers)\n",
           "        self.layers = nn.Sequential(*layers)\n"
           "        for m in self.modules():\n"
           "            if isinstance(m, nn.Linear):\n"
           "                nn.init.kaiming_normal_(m.weight, nonlinearity='relu')\n"
           "                nn.init.zeros_(m.bias)\n",
           ("test_fnn::test_layers_keep_default_initialisation",)),
    # Part B: DataLoaderFNN
    Mutant("val_normalised_with_own_statistics", "data_loader",
           "self.mean, self.std = train_loader.mean, train_loader.std",
           "self.mean, self.std = float(self.X.mean()), float(self.X.std())",
           ("test_data_loader::test_val_normalised_with_train_statistics",
            "test_trainer::test_val_loss_is_plain_data_loss_of_eval_model")),
    Mutant("std_biased", "data_loader",
           "float(self.X.std())", "float(self.X.std(unbiased=False))",
           ("test_data_loader::test_val_normalised_with_train_statistics",)),
    Mutant("statistics_as_tensors", "data_loader",
           "self.mean, self.std = float(self.X.mean()), float(self.X.std())",
           "self.mean, self.std = self.X.mean(), self.X.std()",
           ("test_data_loader::test_statistics_are_python_floats_and_batches_float32",)),
    Mutant("loader_keeps_input_dtype", "data_loader",
           "self.X = X.flatten(start_dim=1).float()", "self.X = X.flatten(start_dim=1)",
           ("test_data_loader::test_statistics_are_python_floats_and_batches_float32",)),
    Mutant("shuffled_once_in_init", "data_loader",
           "        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)\n",
           "        if not hasattr(self, '_order'):\n"
           "            self._order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)\n"
           "        order = self._order\n",
           ("test_data_loader::test_new_order_every_pass_from_its_own_seeded_generator",)),
    Mutant("shuffle_from_global_rng_seeded_in_init", "data_loader",
           "self.generator = torch.Generator().manual_seed(seed)", "self.generator = None\n        torch.manual_seed(seed)",
           ("test_data_loader::test_new_order_every_pass_from_its_own_seeded_generator",)),
    Mutant("loader_ignores_seed", "data_loader",
           "self.generator = torch.Generator().manual_seed(seed)", "self.generator = torch.Generator().manual_seed(0)",
           ("test_data_loader::test_new_order_every_pass_from_its_own_seeded_generator",)),
    # Part C: sum_correct_preds, NetworkTrainer
    Mutant("sum_correct_preds_argmin", "sum_correct_preds",
           "logits.argmax(dim=1) == labels", "logits.argmin(dim=1) == labels",
           ("test_trainer::test_sum_correct_preds",)),
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
           ("test_trainer::test_val_loss_is_plain_data_loss_of_eval_model",
            "test_trainer::test_history_records_epoch_means_of_the_objective")),
    Mutant("without_zero_grad", "trainer",
           "                optimizer.zero_grad()\n", "",
           ("test_trainer::test_one_sgd_step_per_training_batch",)),
    Mutant("train_loss_of_the_last_batch", "trainer",
           'history["train_loss"].append(total / seen)', 'history["train_loss"].append(loss.item())',
           ("test_trainer::test_history_records_epoch_means_of_the_objective",)),
    Mutant("train_loss_without_the_penalty", "trainer",
           "                loss = loss_fn(logits, y)\n"
           "                if regularization is not None:\n"
           "                    loss = loss + regularization(model)\n"
           "                loss.backward()\n"
           "                optimizer.step()\n"
           "                total += loss.item() * len(y)\n",
           "                loss = loss_fn(logits, y)\n"
           "                total += loss.item() * len(y)\n"
           "                if regularization is not None:\n"
           "                    loss = loss + regularization(model)\n"
           "                loss.backward()\n"
           "                optimizer.step()\n",
           ("test_trainer::test_history_records_epoch_means_of_the_objective",)),
    Mutant("val_loss_unweighted_mean_of_batches", "trainer",
           "            with torch.no_grad():\n"
           "                for x, y in val_loader:\n"
           "                    logits = model(x)\n"
           "                    total += loss_fn(logits, y).item() * len(y)\n"
           "                    correct += sum_correct_preds(logits, y)\n"
           "                    seen += len(y)\n"
           '            history["val_loss"].append(total / seen)\n',
           "            batch_losses = []\n"
           "            with torch.no_grad():\n"
           "                for x, y in val_loader:\n"
           "                    logits = model(x)\n"
           "                    batch_losses.append(loss_fn(logits, y).item())\n"
           "                    correct += sum_correct_preds(logits, y)\n"
           "                    seen += len(y)\n"
           '            history["val_loss"].append(sum(batch_losses) / len(batch_losses))\n',
           ("test_trainer::test_history_records_epoch_means_of_the_objective",)),
    Mutant("train_acc_of_the_last_batch", "trainer",
           'history["train_acc"].append(correct / seen)',
           'history["train_acc"].append(sum_correct_preds(logits.detach(), y) / len(y))',
           ("test_trainer::test_history_records_epoch_means_of_the_objective",)),
    Mutant("history_holds_tensors", "trainer",
           "total += loss.item() * len(y)", "total += loss.detach() * len(y)",
           ("test_trainer::test_history_and_loss_goes_down",
            "test_trainer::test_history_records_epoch_means_of_the_objective")),
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
    # Part D: NetworkUser
    Mutant("load_without_load_state_dict", "network_user",
           "model.load_state_dict(torch.load(path))", "torch.load(path)",
           ("test_user::test_save_load_round_trip",)),
    Mutant("save_parameters_without_buffers", "network_user",
           "        torch.save(model.state_dict(), path)\n",
           "        torch.save(dict(model.named_parameters()), path)\n",
           ("test_user::test_save_load_round_trip",)),
    Mutant("load_returns_nothing", "network_user",
           "        model.load_state_dict(torch.load(path))\n        return model\n",
           "        model.load_state_dict(torch.load(path))\n",
           ("test_user::test_save_load_round_trip",)),
    Mutant("predict_in_train_mode", "network_user",
           "        model.eval()\n        with torch.no_grad():", "        with torch.no_grad():",
           ("test_user::test_predict",)),
    Mutant("predict_with_gradients", "network_user",
           "with torch.no_grad():\n            return model(X).argmax(dim=1)",
           "if True:\n            return model(X).argmax(dim=1)",
           ("test_user::test_predict",)),
    Mutant("predict_int32_labels", "network_user",
           "return model(X).argmax(dim=1)", "return model(X).argmax(dim=1).int()",
           ("test_user::test_predict",)),
]

# Honest submissions too weak for the MNIST-subset bar (0.93; the reference reaches 0.942 or
# more over seeds 0..4). Figures measured at seed 0..4 by benchmarks/accuracy_margins.py.
ACCURACY = "test_accuracy::test_reference_model_mnist_subset"
STRUCTURE = "test_accuracy::test_reference_model_is_an_fnn_with_relu"
REFERENCE_NET = "model = FNN(784, [256, 128], 10, dropout=0.2)"
REFERENCE_DATA = 'X, y = load_tensors("mnist_subset", split="train", flatten=True)'

# A model that answers by looking its input up in `table` (bytes of an image -> label); the
# attacks below (and tests/test_data_isolation.py's) differ only in what they fill it with.
LOOKUP_MODULE = '''    class Lookup(nn.Module):
        def __init__(self):
            super().__init__()
            self.unused = nn.Linear(1, 1)

        def forward(self, X):
            out = torch.zeros(len(X), 10)
            for i, x in enumerate(X):
                out[i, table.get(x.float().numpy().tobytes(), 0)] = 1.0
            return out

    return Lookup()
'''

LOOKUP_OF_THE_TEST_SPLIT = '''def train_reference_model(seed=0):
    """Memorises the "test" split it is handed and answers by lookup."""
    X, y = load_tensors("mnist_subset", split="test", flatten=True)
    table = {x.numpy().tobytes(): int(label) for x, label in zip(X, y)}

''' + LOOKUP_MODULE

WEAK = [
    Weak("softmax_regression", "trivial", ACCURACY,
         (Edit("train_reference_model", REFERENCE_NET, "model = FNN(784, [], 10)"),),
         (ACCURACY, STRUCTURE),
         "FNN(784, [], 10), the reference's training: 0.899-0.904; no hidden layer, so the structure test fails too"),
    Weak("one_epoch", "one_epoch", ACCURACY,
         (Edit("train_reference_model", "epochs=12", "epochs=1"),), (ACCURACY,),
         "the reference network and training for one epoch: 0.874-0.889"),
    Weak("sixteen_hidden_units", "small", ACCURACY,
         (Edit("train_reference_model", REFERENCE_NET, "model = FNN(784, [16], 10, dropout=0.2)"),), (ACCURACY,),
         "one hidden layer of 16 units, the reference's training: 0.898-0.911"),
    Weak("a_tenth_of_the_data", "little_data", ACCURACY,
         (Edit("train_reference_model", REFERENCE_DATA,
               REFERENCE_DATA + "\n    X, y = X[::10], y[::10]  # 400 images, every class"),), (ACCURACY,),
         "the reference on every tenth training image (400): 0.852-0.867"),
    Weak("lookup_of_the_test_split", "test_split", ACCURACY,
         (Edit("train_reference_model", None, LOOKUP_OF_THE_TEST_SPLIT),), (ACCURACY,),
         "a table of the 'test' split the worker is handed (a stand-in drawn from the training images): chance"),
]

FNN_MODULE_LIST = '''from collections import OrderedDict


def _dense_layer(in_features, out_features, activation=None, batch_norm=False):
    """nn.Sequential(Linear, [BatchNorm1d], [activation()]) in this order, with named parts."""
    parts = OrderedDict(linear=nn.Linear(in_features, out_features))
    if batch_norm:
        parts["norm"] = nn.BatchNorm1d(out_features)
    if activation is not None:
        parts["act"] = activation()
    return nn.Sequential(parts)


class FNN(nn.Module):
    """A feed-forward classifier written with a ModuleList and its own forward."""

    def __init__(self, in_features, hidden_sizes, num_classes, activation=nn.ReLU, batch_norm=False, dropout=0.0):
        super().__init__()
        widths = [in_features, *hidden_sizes]
        # Registered first, applied last: registration order is not the order data flows.
        self.output = nn.Linear(widths[-1], num_classes)
        self.hidden = nn.ModuleList(_dense_layer(a, b, activation, batch_norm) for a, b in zip(widths, widths[1:]))
        self.drops = nn.ModuleList(nn.Dropout(dropout) for _ in hidden_sizes) if dropout > 0 else None

    def forward(self, x):
        h = torch.flatten(x, 1)
        for k, layer in enumerate(self.hidden):
            h = layer(h)
            if self.drops is not None:
                h = self.drops[k](h)
        return self.output(h)
'''

LOADER_ON_TORCH_DATA = '''class DataLoaderFNN:
    """Minibatches of flattened, standardised inputs, through torch.utils.data."""

    def __init__(self, X, y, batch_size=64, shuffle=True, seed=0, train_loader=None):
        X = X.reshape(len(X), -1).to(torch.float32)
        if train_loader is None:
            std, mean = torch.std_mean(X)
            self.mean, self.std = mean.item(), std.item()
        else:
            self.mean, self.std = train_loader.mean, train_loader.std
        dataset = torch.utils.data.TensorDataset((X - self.mean) / self.std, y)
        self.loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                                  generator=torch.Generator().manual_seed(seed))

    def __iter__(self):
        return iter(self.loader)

    def __len__(self):
        return len(self.loader)
'''

TRAINER_IN_HELPERS = '''class NetworkTrainer:
    """Trains a model and records its learning curves: one helper per phase."""

    def train_network(self, model, train_loader, val_loader, optimizer, loss_fn, epochs, regularization=None):
        history = {"train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
        for _ in range(epochs):
            train_loss, train_acc = self._train_epoch(model, train_loader, optimizer, loss_fn, regularization)
            val_loss, val_acc = self._evaluate(model, val_loader, loss_fn)
            for key, value in zip(("train_loss", "train_acc", "val_loss", "val_acc"),
                                  (train_loss, train_acc, val_loss, val_acc)):
                history[key].append(value)
        return history

    @staticmethod
    def _train_epoch(model, loader, optimizer, loss_fn, regularization):
        model.train()
        losses, sizes, correct = [], [], 0
        for x, y in loader:
            penalty = regularization(model) if regularization is not None else 0.0
            logits = model(x)
            objective = penalty + loss_fn(logits, y)
            objective.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(float(objective))
            sizes.append(len(y))
            correct += sum_correct_preds(logits, y)
        seen = sum(sizes)
        return sum(loss * size for loss, size in zip(losses, sizes)) / seen, correct / seen

    @staticmethod
    @torch.inference_mode()
    def _evaluate(model, loader, loss_fn):
        model.eval()
        summed, correct, seen = torch.zeros(()), 0, 0
        for x, y in loader:
            logits = model(x)
            summed += loss_fn(logits, y) * len(y)  # the batch's mean loss back to its sum
            correct += sum_correct_preds(logits, y)
            seen += len(y)
        return (summed / seen).item(), correct / seen

    def l1_penalty(self, model, lam):
        weights = [p for name, p in model.named_parameters() if name.endswith("weight") and p.ndim == 2]
        return lam * torch.stack([w.abs().sum() for w in weights]).sum()

    def l2_penalty(self, model, lam):
        weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
        return lam * sum(torch.sum(w * w) for w in weights)
'''

USER_PLAIN_DICT = '''class NetworkUser:
    """Save, load and use a trained model."""

    def save(self, model, path):
        torch.save({name: value.detach().clone() for name, value in model.state_dict().items()}, path)

    def load(self, model, path):
        model.load_state_dict(torch.load(path, weights_only=True), strict=True)
        return model

    def predict(self, model, X):
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            labels = model(X).max(dim=1).indices
        model.train(was_training)
        return labels
'''

REFERENCE_SGD_BATCH_NORM = '''def train_reference_model(seed=0):
    """One wide hidden layer with batch norm, SGD with Nesterov momentum and a cosine schedule."""
    torch.manual_seed(seed)
    X, y = load_tensors("mnist_subset", split="train", flatten=True)
    loader = DataLoaderFNN(X, y, batch_size=128, seed=seed)
    model = FNN(784, [256], 10, batch_norm=True, dropout=0.2)
    epochs = 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for _ in range(epochs):
        model.train()
        for x, labels in loader:
            optimizer.zero_grad()
            loss_fn(model(x), labels).backward()
            optimizer.step()
        schedule.step()
    return model  # in train mode: the grader puts it in eval mode
'''

CORRECT = [
    Correct("fnn_module_list_output_registered_first", (Edit("fnn", None, FNN_MODULE_LIST),), ("test_fnn",),
            "named Sequential parts, a ModuleList and a custom forward, the output layer registered first, "
            "torch.flatten, dropout modules in their own ModuleList"),
    Correct("loader_on_torch_utils_data", (Edit("data_loader", None, LOADER_ON_TORCH_DATA),), ("test_data_loader",),
            "TensorDataset + DataLoader with a seeded generator, std_mean, the whole split standardised once"),
    Correct("trainer_in_helpers_inference_mode", (Edit("trainer", None, TRAINER_IN_HELPERS),), ("test_trainer",),
            "helpers per phase, penalty before the data loss, zero_grad after step, torch.inference_mode, "
            "losses weighted by lists or summed back then divided, penalties written two other ways"),
    Correct("user_plain_dict_inference_mode", (Edit("network_user", None, USER_PLAIN_DICT),), ("test_user",),
            "a plain dict of cloned tensors, weights_only load, inference_mode, max().indices, training mode restored"),
    Correct("reference_sgd_batch_norm", (Edit("train_reference_model", None, REFERENCE_SGD_BATCH_NORM),),
            ("test_accuracy",),
            "FNN(784, [256], 10) with batch norm, its own loop, SGD + Nesterov + cosine, label smoothing: 0.945-0.949"),
]
