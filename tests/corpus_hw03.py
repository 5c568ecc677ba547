"""The proof corpus for hw03_mlp (feed-forward networks and the training structure): see tests/variants.py for the kinds."""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

MUTANTS = [
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

# Honest submissions too weak for an accuracy bar (none yet: this homework has no accuracy test).
WEAK: list[Weak] = []

# Correct answers written differently: full marks on the tests they name.
CORRECT: list[Correct] = []
