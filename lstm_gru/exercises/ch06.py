"""Chapter 06 (deep and bidirectional): ``reverse_padded``, ``lstm_params`` and
``stacked_params``."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise
from lstm_gru.i18n import later, tr

__all__ = ["lstm_params", "reverse_padded", "stacked_params"]


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
