"""Chapter 06 (deep and bidirectional): ``reverse_padded``, ``lstm_params`` and
``stacked_params`` check themselves; the open questions of the chapter's Exercises
(``deeper``, ``dropout``, ``layer_by_layer``, ``cheating``, ``fair_task``; all in
``open_questions``) have hints and a model answer."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise, OpenQuestion
from lstm_gru.i18n import later, tr

__all__ = [
    "cheating",
    "deeper",
    "dropout",
    "fair_task",
    "layer_by_layer",
    "lstm_params",
    "reverse_padded",
    "stacked_params",
]


def reverse_padded_reference(X, valid_len):
    """What the backward direction of a bidirectional RNN must read: each sequence of X
    (num_steps, batch_size, num_inputs) reversed within its valid length, the padding left
    where it is. valid_len (batch_size,) in [1, num_steps]. Returns a tensor like X."""
    out = X.clone()
    for b, n in enumerate(valid_len.tolist()):
        out[:n, b] = X[:n, b].flip(0)
    return out


def _reverse_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [
        Case(
            later.tr("one sequence of length 1"),
            (torch.randn(1, 1, 2, generator=gen), torch.tensor([1])),
        ),
        Case(later.tr("no padding"), (torch.randn(4, 2, 3, generator=gen), torch.tensor([4, 4]))),
        Case(
            later.tr("padded batch"), (torch.randn(5, 3, 2, generator=gen), torch.tensor([5, 2, 3]))
        ),
    ]


reverse_padded = CodeExercise(
    "ch06.reverse_padded",
    reverse_padded_reference,
    _reverse_cases,
    names=(later.tr("the reversed batch"),),
    dims=(later.tr("step"), later.tr("batch row"), later.tr("feature")),
    hints=(
        later.tr(
            "Which step must the backward direction read first in a sequence shorter than the "
            "batch, and where should its padding stay?"
        ),
        later.tr(
            "X.flip(0) reverses the whole time axis, padding included: a short sequence would then "
            "start with padding."
        ),
        later.tr("Reverse X[:n, b] for each sequence b of valid length n, and keep the rest."),
    ),
    mistakes={
        later.tr("flipping the whole time axis, padding included"): lambda X, valid_len: X.flip(0),
        later.tr("flipping the batch axis instead of time"): lambda X, valid_len: X.flip(1),
    },
)


def lstm_params_reference(num_inputs, num_hiddens, num_layers, bidirectional):
    """The number of parameters of nn.LSTM(num_inputs, num_hiddens, num_layers,
    bidirectional=bidirectional): an int. Layer 1 reads num_inputs; a later layer reads the
    layer below, num_hiddens from each direction."""
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d = num_inputs if layer == 0 else directions * num_hiddens
        total += directions * 4 * (num_hiddens * d + num_hiddens * num_hiddens + 2 * num_hiddens)
    return total


lstm_params = CodeExercise(
    "ch06.lstm_params",
    lstm_params_reference,
    lambda: [
        Case(later.tr("nn.LSTM(3, 4)"), (3, 4, 1, False)),
        Case(later.tr("nn.LSTM(3, 4, num_layers=3)"), (3, 4, 3, False)),
        Case(later.tr("nn.LSTM(3, 4, bidirectional=True)"), (3, 4, 1, True)),
        Case(later.tr("nn.LSTM(3, 4, num_layers=2, bidirectional=True)"), (3, 4, 2, True)),
    ],
    names=(later.tr("the count"),),
    atol=0,
    hints=(
        later.tr(
            "What does a bidirectional layer consist of, and what does the layer above it read?"
        ),
        later.tr(
            "Each direction of each layer is a whole LSTM cell: 4 (h d + h^2 + 2h) parameters."
        ),
        later.tr("In a bidirectional stack, layer 2 reads both directions of layer 1: d = 2h."),
    ),
    mistakes={
        later.tr(
            "later layers reading only num_hiddens in a bidirectional stack"
        ): lambda d, h, n, bi: (
            (2 if bi else 1) * sum(4 * (h * (d if k == 0 else h) + h * h + 2 * h) for k in range(n))
        ),
        later.tr("counting one direction only"): lambda d, h, n, bi: sum(
            4 * (h * (d if k == 0 else h) + h * h + 2 * h) for k in range(n)
        ),
    },
)

stacked_params = NumberExercise(
    "ch06.stacked_params",
    4 * (128 * 32 + 128 * 128 + 256) + 4 * (128 * 128 + 128 * 128 + 256),
    question=later.tr("How many parameters does nn.LSTM(32, 128, num_layers=2) have?"),
    worked=(
        later.tr(
            "layer 1: 4 (128 x 32 + 128 x 128 + 2 x 128) = 82,944; layer 2 reads layer 1's 128 units: "
            "4 (128 x 128 + 128 x 128 + 2 x 128) = 132,096; together 215,040."
        )
    ),
    hints=(later.tr("Layer 2's input is layer 1's hidden state, 128 numbers, not the 32 inputs."),),
    explain=lambda n: (
        tr("That counts layer 2 as if it read the 32 inputs.")
        if n == 2 * 82_944
        else tr("Count each layer's four blocks.")
    ),
)

deeper = OpenQuestion(
    later.tr("Deeper"),
    (
        later.tr(
            "How many parameters does a third layer of 128 add, and how wide must a single layer "
            "be to have as many as the three-layer model?"
        ),
        later.tr(
            "Add two entries to configs before the training cell: dict(num_hiddens=num_hiddens, "
            "num_layers=3) and dict(num_hiddens=272); for twice as long, train_lm(2 * "
            "num_epochs, ...)."
        ),
    ),
    later.tr("""
        configs["3 layers of 128"] = dict(num_hiddens=num_hiddens, num_layers=3)
        configs["1 layer of 272"] = dict(num_hiddens=272)

    The third layer adds 4 (128 · 128 + 128² + 2 · 128) = 132,096 parameters: 363,397 with the
    embedding and the head. One layer of 272 has 363,733, the closest width. In section 2's
    table (one seed, 4 epochs) two layers beat one layer of 128 and the wide layer did at
    least as well as the two. The pattern holds if the wide layer again does at least as
    well as the deep stack. Trained twice as long (every row, train_lm(2 * num_epochs,
    ...)), depth starts to pay if the gap between the deep and the wide model shrinks or
    reverses. Two cautions. These are single runs: a difference no larger than the spread
    between seeds that chapter 02 measured for this model family (section 8) needs a second
    seed. And the budget is equal in updates, not in time: the table's last column gives
    each model's training time, so compare the seconds too.
    """),
)

dropout = OpenQuestion(
    later.tr("Dropout between layers"),
    (
        later.tr(
            "Dropout fights overfitting. Is the two-layer model overfitting now, and what would "
            "tell you?"
        ),
        later.tr(
            "train_lm(2 * num_epochs, num_hiddens=num_hiddens, num_layers=2, dropout=p) for p = 0 "
            "and 0.2; perplexity(model, char_batches(train_ids, 256, num_steps)) is the training "
            "perplexity."
        ),
    ),
    later.tr("""
        train_loader = char_batches(train_ids, 256, num_steps)
        for p in (0.0, 0.2):  # p = 0: the control, trained as long without dropout
            model, seconds = train_lm(2 * num_epochs, num_hiddens=num_hiddens, num_layers=2,
                                      dropout=p)
            print(p, perplexity(model, train_loader), perplexity(model, valid_loader))

    Training twice as long changes the result by itself, so compare with a two-layer model
    trained as long without dropout, not with the table's row. Dropout (between the layers
    and before the head in CharRNN) is active in training only; train_lm returns the model
    in eval mode, so both perplexities above are measured without it. Reading: if without
    dropout the training perplexity is clearly below the held-out one, the model overfits,
    and dropout should narrow the gap, raising the training perplexity and lowering the
    held-out one. If the two are close, the model (about 231,000 parameters, 475,000 training
    characters) is not overfitting at this budget, and dropout mostly slows learning: expect
    both to rise a little.
    """),
)

layer_by_layer = OpenQuestion(
    later.tr("Layer by layer"),
    (
        later.tr(
            "Indentation stays the same for a whole line. Which layer keeps its memory longer, "
            "and which layer sees the leading spaces directly?"
        ),
        later.tr(
            "python_labels(corpus.text)['indent'] labels every character; the traced stretches of "
            "section 3 start at len(train_ids) in the text. unit_correlations(values, label) "
            "takes values (num_steps, num_units)."
        ),
    ),
    later.tr("""
        start = len(train_ids)  # the stretches are the first 20 × 256 held-out characters
        indent = python_labels(corpus.text)["indent"][start : start + 20 * 256]
        for k in range(2):
            cell = trace_gates(stacked_model.rnn, inputs, layer=k).gates["cell"]  # (256, 20, 128)
            r = unit_correlations(cell.transpose(0, 1).reshape(-1, 128).cpu(), indent)
            unit = int(abs(r).argmax())
            print(f"layer {k + 1}: unit {unit}, r = {r[unit]:+.2f}")

    Each layer has 128 units, so the best |r| of the two is a fair comparison. The top layer
    keeps its memory longer (section 3's printout: its forget gates are more open, on
    average and in the share near 1) and reads the bottom layer's summary, which favours it
    for a quantity that holds for a whole line.
    But the bottom layer reads the characters themselves, and the indentation is typed at the
    start of each line, so it may track it as well. Measure, then check the winner's heatmap
    (text_heatmap, chapter 02): a real indentation unit changes at the line starts and holds
    between them. Also correlate it with "column" (chapter 02's best "string" unit followed
    "column" more closely), and repeat with "hidden" instead of "cell".
    """),
)

cheating = OpenQuestion(
    later.tr("Where is the cheating?"),
    (
        later.tr(
            "At position t of a window the target is character t + 1. Which characters has the "
            "backward state at t read? Does that include the target at the window's last position?"
        ),
        later.tr(
            "For one batch (X, Y) of valid_loader: logits, _ = bi_model(X), then "
            "F.cross_entropy(logits.permute(0, 2, 1), Y, reduction='none').mean(0) is the mean "
            "loss at each of the 64 positions."
        ),
    ),
    later.tr("""
        X, Y = (t.to(device) for t in next(iter(valid_loader)))  # each (256, 64)
        with torch.no_grad():
            logits, _ = bi_model(X)  # (256, 64, vocab_size)
        loss = F.cross_entropy(logits.permute(0, 2, 1), Y, reduction="none").mean(0)  # (64,)
        plt.plot(loss.cpu())

    At position t the target is x_{t+1}, and the backward state at t has read x_T, ..., x_t
    of its window. For every t < T that includes x_{t+1}, the answer: the loss is near zero.
    At the last position, t = T, it has read x_T only, and the target lies outside the
    window: nothing to copy, so the loss there is high, not near zero. Section 5's printouts
    say how high. Predicting a character from the 64 before it is exactly the last position
    of a 64-character window, so ln of that perplexity estimates the loss at the last
    position; 64 · ln of the held-out perplexity near 1 is the loss of a whole window. Work
    both out: expect the last position alone to carry a large part of the window's loss, and
    the other 63 positions to share the rest. The targets differ (1,000 random characters
    there, every window here), so expect the plot to agree only roughly.
    """),
)

fair_task = OpenQuestion(
    later.tr("A fair bidirectional task"),
    (
        later.tr(
            "The tag of character t depends on characters t and t + 1. Which of the two taggers "
            "has read character t + 1 when it tags t?"
        ),
        later.tr(
            "In a batch (X, Y) of char_batches, Y is X one character ahead: the tag is "
            "alnum[X] & ~alnum[Y], with alnum a bool tensor over the vocabulary. Give the "
            "CharRNN a head with 2 outputs."
        ),
    ),
    later.tr("""
        alnum = torch.tensor([token.isalnum() for token in vocab.idx_to_token])

        def tag_loss(model, batch):  # tag 1: the last character of a word
            X, Y = batch
            tags = (alnum.to(X.device)[X] & ~alnum.to(X.device)[Y]).long()
            logits, _ = model(X)  # (batch_size, num_steps, 2)
            return F.cross_entropy(logits.reshape(-1, 2), tags.reshape(-1)), tags.numel()

    Build each tagger as a CharRNN (bidirectional=False or True) with model.head =
    nn.Linear(model.head.in_features, 2), train it with fit and tag_loss, and count right
    tags. The tag is a function of x_t and x_{t+1}. The bidirectional tagger's backward
    state at t has read x_{t+1}, so it can be right every time, except at a window's last
    position, whose x_{t+1} is in the next window. The one-directional tagger must guess
    whether the word goes on ("return" or "returns"?): always right where x_t is not a
    letter or digit, wrong as often as the next character is uncertain. Its accuracy is
    bounded by how well the past predicts whether the next character is a letter or digit.
    """),
)

open_questions = (deeper, dropout, layer_by_layer, cheating, fair_task)
