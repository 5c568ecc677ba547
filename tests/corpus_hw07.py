"""The proof corpus for hw07_rnn (encodings, the RNN cell by hand, classifiers, a generator):
see tests/variants.py for the kinds.

Weak baselines edit what all three classifiers share (CharClassifier, train_classifier), so
each of them fails the bars of the three models it trains at once (one weak grading trains
three small models, not fifteen). Figures: test accuracy (nats per character for the
generator) from a prototype of the same models, seeds 0 and 1, on a loaded machine; the
proof is tests/test_discrimination.py, which shows each of them failing its bars.
"""

from variants import Correct, Edit, Mutant, Weak  # noqa: F401

ENC = "test_encoding::"
CELL = "test_rnn_cell::"
CLS = "test_classifier::"
ACC = "test_classifier_accuracy::test_classifier_accuracy"
GEN = "test_generator::"
NLL = "test_generator_nll::test_generator_nll_on_the_test_names"
STOPS = "test_generator_nll::test_trained_sampling_stops_at_the_end_token"
RUN_RNN, BPTT = CELL + "test_run_rnn_matches_nn_rnn_on_packed_sequences", CELL + "test_gradients_through_time_match_nn_rnn"
STEP = CELL + "test_cell_step_matches_nn_rnn_cell"

MUTANTS = [
    # Part A: encodings
    Mutant("indices_of_lower_case_letters", "name_to_indices", "ALPHABET.index(c)", "ALPHABET.index(c.lower())",
           (ENC + "test_name_to_indices", ENC + "test_one_hot_name", ENC + "test_encode_batch")),
    Mutant("one_hot_one_column_too_many", "one_hot_name", "N_LETTERS).float()", "N_LETTERS + 1).float()",
           (ENC + "test_one_hot_name",)),
    Mutant("padding_with_index_0", "encode_batch", "int(lengths.max())), PAD,", "int(lengths.max())), 0,",
           (ENC + "test_encode_batch",)),
    # Part B: the cell and run_rnn
    Mutant("cell_with_relu", "rnn_cell", "return torch.tanh(", "return torch.relu(", (STEP, RUN_RNN, BPTT)),
    Mutant("cell_w_hh_not_transposed", "rnn_cell", "h @ self.weight_hh.T", "h @ self.weight_hh", (STEP, RUN_RNN, BPTT)),
    Mutant("cell_without_b_hh", "rnn_cell", " + self.bias_hh)", ")", (STEP, RUN_RNN, BPTT)),
    Mutant("cell_init_bound_from_the_input_size", "rnn_cell", "bound = 1.0 / math.sqrt(hidden_size)",
           "bound = 1.0 / math.sqrt(input_size)", (CELL + "test_cell_parameters_and_their_initialisation",)),
    Mutant("run_rnn_without_the_mask", "run_rnn", "h = mask * cell(x[:, t], h) + (1 - mask) * h",
           "h = cell(x[:, t], h)", (RUN_RNN, BPTT)),
    Mutant("run_rnn_padding_outputs_not_zeroed", "run_rnn", "outputs.append(mask * h)", "outputs.append(h)",
           (RUN_RNN, BPTT)),
    Mutant("run_rnn_ignores_h0", "run_rnn", " if h0 is None else h0\n", "\n", (RUN_RNN, BPTT)),
    Mutant("run_rnn_truncated_backpropagation", "run_rnn", "h = mask * cell(x[:, t], h) + (1 - mask) * h",
           "h = mask * cell(x[:, t], h.detach()) + (1 - mask) * h.detach()", (BPTT,)),
    # Part C: the classifier, clipping, confusion matrix
    Mutant("classifier_runs_through_the_padding", "char_classifier",
           "packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)", "packed = x",
           (CLS + "test_classifier_outputs_and_padding",)),
    Mutant("train_step_without_clipping", "train_step", "clip_grad_norm_(model.parameters(), max_norm)",
           "clip_grad_norm_(model.parameters(), float('inf'))", (CLS + "test_train_step_clips_the_gradient",)),
    Mutant("train_step_clips_after_the_step", "train_step",
           "    grad_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n    optimizer.step()\n",
           "    optimizer.step()\n    grad_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
           (CLS + "test_train_step_clips_the_gradient",)),
    Mutant("train_step_clips_each_value", "train_step",
           "grad_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)",
           "grad_norm = nn.utils.clip_grad_norm_(model.parameters(), float('inf'))\n"
           "    nn.utils.clip_grad_value_(model.parameters(), max_norm)",
           (CLS + "test_train_step_clips_the_gradient",)),
    Mutant("confusion_matrix_transposed", "predict", "(np.asarray(labels), predict(model, names).numpy())",
           "(predict(model, names).numpy(), np.asarray(labels))", (CLS + "test_predict_and_confusion_matrix",)),
    # Part D: the generator and sampling
    Mutant("teacher_forcing_without_the_end_token", "teacher_forcing_batch",
           "targets[i, len(name) - 1] = EOS", "targets[i, len(name) - 1] = -100", (GEN + "test_teacher_forcing_batch",)),
    Mutant("generator_ignores_the_country", "name_generator", "torch.cat([letters, country], dim=2)",
           "torch.cat([letters, torch.zeros_like(country)], dim=2)", (GEN + "test_generator_outputs",)),
    Mutant("sample_ignores_its_generator", "sample", "torch.multinomial(probs, 1, generator=generator)",
           "torch.multinomial(probs, 1)", (GEN + "test_sampling_is_seeded_and_stays_in_the_alphabet",)),
    Mutant("sample_multiplies_by_the_temperature", "sample", "logits[0, -1] / temperature",
           "logits[0, -1] * temperature",
           (GEN + "test_temperature_near_zero_is_greedy", GEN + "test_sampling_draws_from_the_tempered_softmax")),
    Mutant("sample_always_greedy", "sample", "index = int(torch.multinomial(probs, 1, generator=generator))",
           "index = int(probs.argmax())",
           (GEN + "test_sampling_is_seeded_and_stays_in_the_alphabet", GEN + "test_sampling_draws_from_the_tempered_softmax")),
    Mutant("sample_one_letter_too_many", "sample", "while len(name) < max_length:", "while len(name) <= max_length:",
           (GEN + "test_sampling_is_seeded_and_stays_in_the_alphabet", GEN + "test_sampling_stops_at_max_length",
            GEN + "test_temperature_near_zero_is_greedy")),
    Mutant("sample_never_draws_the_end_token", "sample", "F.softmax(logits[0, -1] / temperature, dim=0)",
           "F.softmax(logits[0, -1, :EOS] / temperature, dim=0)", (STOPS,)),
]

# Weak baselines. Each classifier edit changes the three models at once.
ALL3 = tuple(f"{ACC}[{kind}]" for kind in ("rnn", "lstm", "gru"))
GATED = ALL3[1:]
TRAIN_LOOP = "        for batch in torch.randperm(len(names), generator=generator).split(batch_size):\n"
BAG_OF_LETTERS = '''        x = F.one_hot(X, N_LETTERS + 1)[..., :N_LETTERS].float().sum(dim=1)  # letter counts, order lost
        return self.bag(x)
'''
GEN_LOOP = "    for _ in range(5):\n"

WEAK = [
    Weak("classifiers_bag_of_letters", "trivial", ACC,
         (Edit("char_classifier", "        self.out = nn.Linear(hidden_size, n_classes)\n",
               "        self.out = nn.Linear(hidden_size, n_classes)\n        self.bag = nn.Linear(N_LETTERS, n_classes)\n"),
          Edit("char_classifier", "        if self.embedding_dim is None:\n", BAG_OF_LETTERS + "        if self.embedding_dim is None:\n")),
         GATED, "a linear model of the letter counts (the recurrent layers built but unused, so only the bar can "
                "catch it): 0.553-0.569 over seeds 0..4, above the plain RNN's bar (0.53), below the LSTM's and GRU's (0.61)"),
    Weak("classifiers_one_epoch", "one_epoch", ACC,
         (Edit("train_classifier", "    for _ in range(epochs):\n", "    for _ in range(1):\n"),), ALL3,
         "train_classifier trains one epoch whatever `epochs` says: RNN 0.50-0.52, LSTM 0.45-0.54, GRU 0.51-0.52"),
    Weak("classifiers_hidden_size_2", "small", ACC,
         (Edit("char_classifier", "hidden_size, num_layers=num_layers", "2, num_layers=num_layers"),
          Edit("char_classifier", "nn.Linear(hidden_size, n_classes)", "nn.Linear(2, n_classes)")), ALL3,
         "two hidden units in every recurrent layer"),
    Weak("classifiers_a_tenth_of_the_names", "little_data", ACC,
         (Edit("train_classifier", "    labels = torch.as_tensor(labels, dtype=torch.int64)\n",
               "    names, labels = names[::10], torch.as_tensor(labels, dtype=torch.int64)[::10]\n"),), ALL3,
         "train_classifier on every tenth name (210): RNN 0.36, GRU 0.37"),
    Weak("classifiers_trained_on_the_test_split", "test_split", ACC,
         (Edit("train_classifier", "    labels = torch.as_tensor(labels, dtype=torch.int64)\n",
               "    names, labels = load_names('test')[:2]\n    labels = torch.as_tensor(labels, dtype=torch.int64)\n"),),
         ALL3, "train_classifier on load_names('test') instead: in the worker a stand-in of 450 training names"),
    Weak("generator_without_the_letters", "trivial", NLL,
         (Edit("name_generator", "letters = self.letters(inputs)", "letters = self.letters(inputs) * 0"),), (NLL,),
         "the letters never reach the GRU: a unigram model per country and position"),
    Weak("generator_one_epoch", "one_epoch", NLL, (Edit("train_generator", GEN_LOOP, "    for _ in range(1):\n"),),
         (NLL,), "one pass over the training names: 2.19 nats per character (the bar 2.00)"),
    Weak("generator_hidden_size_2", "small", NLL,
         (Edit("train_generator", "model = NameGenerator(N_COUNTRIES)", "model = NameGenerator(N_COUNTRIES, hidden_size=2)"),),
         (NLL,), "two hidden units"),
    Weak("generator_a_tenth_of_the_names", "little_data", NLL,
         (Edit("train_generator", "    countries = torch.as_tensor(train_labels)\n",
               "    countries = torch.as_tensor(train_labels)[::10]\n    train_names = globals()['train_names'][::10]\n"),),
         (NLL,), "every tenth training name (210)"),
    Weak("generator_trained_on_the_test_split", "test_split", NLL,
         (Edit("train_generator", "    countries = torch.as_tensor(train_labels)\n",
               "    train_names, countries = load_names('test')[:2]\n    countries = torch.as_tensor(countries)\n"),),
         (NLL,), "the test split in the worker: a stand-in of 450 training names"),
]

LSTM_CLASSIFIER_BY_HAND_LOOP = '''
class CharClassifier(nn.Module):
    """Written differently: an embedding for every kind (one-hot as a frozen identity embedding),
    the recurrent layer run on the padded batch, the final states gathered at lengths - 1."""

    def __init__(self, n_classes, hidden_size=128, cell="rnn", num_layers=1, embedding_dim=None):
        super().__init__()
        if embedding_dim is None:
            self.embed = nn.Embedding.from_pretrained(torch.eye(N_LETTERS + 1)[:, :N_LETTERS], freeze=True)
        else:
            self.embed = nn.Embedding(N_LETTERS + 1, embedding_dim)
        self.layers = getattr(nn, cell.upper())(self.embed.embedding_dim, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, X, lengths):
        outputs, _ = self.layers(self.embed(X))  # causal: the steps before each name's end ignore its padding
        last = outputs[torch.arange(len(X)), lengths - 1]
        return self.head(last)
'''

CORRECT = [
    Correct("classifier_gathers_the_last_real_step", (Edit("char_classifier", None, LSTM_CLASSIFIER_BY_HAND_LOOP),),
            ("test_classifier",),
            "no packing: the top layer's outputs at lengths - 1 are each name's final state (padding comes after it)"),
    Correct("run_rnn_with_torch_where", (Edit("run_rnn", None, '''
def run_rnn(cell, x, lengths, h0=None):
    """Written differently: torch.where on a boolean mask, outputs in a preallocated list."""
    B, T, _ = x.shape
    h = h0 if h0 is not None else x.new_zeros(B, cell.hidden_size)
    steps = []
    for t in range(T):
        alive = (lengths > t).unsqueeze(1)
        h = torch.where(alive, cell(x[:, t], h), h)
        steps.append(torch.where(alive, h, torch.zeros_like(h)))
    return torch.stack(steps, 1), h
'''),), ("test_rnn_cell",), "torch.where instead of arithmetic masks"),
    Correct("sample_reruns_the_prefix", (Edit("sample", None, '''
def sample(model, country, start_letter, temperature=1.0, generator=None, max_length=20):
    """Written differently: the whole prefix fed again at each step (no state carried)."""
    name = start_letter
    with torch.no_grad():
        for _ in range(max_length - 1):
            logits, _ = model(name_to_indices(name).unsqueeze(0), torch.tensor([country]))
            probs = torch.softmax(logits[0, -1].double() / temperature, dim=0)
            index = torch.multinomial(probs, 1, generator=generator).item()
            if index == EOS:
                break
            name += ALPHABET[index]
    return name
'''),), ("test_generator",), "the prefix re-run at every step, float64 probabilities"),
]
