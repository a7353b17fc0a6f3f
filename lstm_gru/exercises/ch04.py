"""Chapter 04 (GRU vs LSTM): ``equal_params_hidden``, a GRU as large as an LSTM."""

import torch

from lstm_gru.exercises.ch02 import lstm_num_params_reference
from lstm_gru.exercises.ch03 import gru_num_params_reference
from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise
from lstm_gru.i18n import later, tr

__all__ = ["equal_params_hidden", "mingru_step", "param_ratio"]

NUM_INPUTS, LSTM_HIDDENS = 64, 128


def gru_params(num_inputs: int, num_hiddens: int) -> int:
    """Parameters of nn.GRU(num_inputs, num_hiddens) (chapter 03's exercise, one layer)."""
    return gru_num_params_reference(num_inputs, num_hiddens, 1)


TARGET = lstm_num_params_reference(NUM_INPUTS, LSTM_HIDDENS)  # chapter 02's exercise
REFERENCE = min(range(1, 1000), key=lambda h: abs(gru_params(NUM_INPUTS, h) - TARGET))


def _explain(answer: float) -> str:
    if answer != int(answer) or answer < 1:
        return tr("A hidden size is a whole number of units, at least 1.")
    count = gru_params(NUM_INPUTS, int(answer))
    text = tr(
        "nn.GRU({num_inputs}, {hiddens}) has {count:,} parameters, {gap:+,} from the LSTM's "
        "{target:,}."
    ).format(
        num_inputs=NUM_INPUTS, hiddens=int(answer), count=count, gap=count - TARGET, target=TARGET
    )
    if int(answer) == round(LSTM_HIDDENS * 4 / 3):
        text += tr(
            " Scaling the units by 4/3 is not enough: W_hh grows with the square of the size."
        )
    return text


equal_params_hidden = NumberExercise(
    "ch04.equal_params_hidden",
    REFERENCE,
    question=later.tr(
        "Which hidden size H makes nn.GRU({num_inputs}, H) have as many parameters as "
        "nn.LSTM({num_inputs}, {lstm_hiddens}) (the closest count)?",
        num_inputs=NUM_INPUTS,
        lstm_hiddens=LSTM_HIDDENS,
    ),
    worked=later.tr(
        "nn.LSTM({num_inputs}, {lstm_hiddens}) has 4 (h d + h^2 + 2h) = {target:,} parameters "
        "(d = {num_inputs}, h = {lstm_hiddens}). nn.GRU({num_inputs}, H) has "
        "3 (H d + H^2 + 2H) = 3H^2 + {linear}H. The closest count is at "
        "H = {reference}: {count:,} parameters. (Solve "
        "3H^2 + 198H = 99,328 with the quadratic formula: H = 151.9.)",
        num_inputs=NUM_INPUTS,
        lstm_hiddens=LSTM_HIDDENS,
        target=TARGET,
        linear=3 * (NUM_INPUTS + 2),
        reference=REFERENCE,
        count=gru_params(NUM_INPUTS, REFERENCE),
    ),
    hints=(
        later.tr(
            "Count the LSTM's parameters first: nn.LSTM({num_inputs}, {lstm_hiddens}) has four "
            "blocks, each with W_ih (h x d), W_hh (h x h) and two bias vectors of h.",
            num_inputs=NUM_INPUTS,
            lstm_hiddens=LSTM_HIDDENS,
        ),
        later.tr(
            "The GRU has the same blocks, three of them. Set the two counts equal and solve the "
            "quadratic in H; round to the hidden size whose count is closest."
        ),
    ),
    explain=_explain,
)


def mingru_step_reference(x, h, W_z, b_z, W_h, b_h):
    """One step of minGRU as Feng et al. (2024) first write it (before their positive g):
    z = sigmoid(x @ W_z + b_z), candidate = x @ W_h + b_h, h_new = (1 - z) * h + z * candidate.
    x (batch_size, num_inputs), h (batch_size, num_hiddens), W_z, W_h (num_inputs, num_hiddens),
    b_z, b_h (num_hiddens,). No gate reads h: the recurrence is linear in h."""
    z = torch.sigmoid(x @ W_z + b_z)
    return (1 - z) * h + z * (x @ W_h + b_h)


def _mingru_cases() -> list[Case]:
    cases = []
    for label, batch_size, num_inputs, num_hiddens, seed in [
        (later.tr("batch 1, one unit"), 1, 1, 1, 0),
        (later.tr("batch 3, 4 units"), 3, 2, 4, 1),
    ]:
        gen = torch.Generator().manual_seed(seed)
        cases.append(
            Case(
                label,
                (
                    torch.randn(batch_size, num_inputs, generator=gen),
                    torch.randn(batch_size, num_hiddens, generator=gen),
                    torch.randn(num_inputs, num_hiddens, generator=gen),
                    torch.randn(num_hiddens, generator=gen),
                    torch.randn(num_inputs, num_hiddens, generator=gen),
                    torch.randn(num_hiddens, generator=gen),
                ),
            )
        )
    return cases


mingru_step = CodeExercise(
    "ch04.mingru_step",
    mingru_step_reference,
    _mingru_cases,
    names=("h",),
    dims=(later.tr("batch row"), later.tr("unit")),
    hints=(
        later.tr("Neither the gate nor the candidate reads h; only the final mix does."),
        later.tr("minGRU's z is the share WRITTEN: h_new = (1 - z) * h + z * candidate."),
    ),
    mistakes={
        later.tr(
            "PyTorch's GRU convention (z kept: z * h + (1 - z) * candidate)"
        ): lambda x, h, W_z, b_z, W_h, b_h: (
            torch.sigmoid(x @ W_z + b_z) * h + (1 - torch.sigmoid(x @ W_z + b_z)) * (x @ W_h + b_h)
        ),
        later.tr("a tanh on the candidate (minGRU drops it)"): lambda x, h, W_z, b_z, W_h, b_h: (
            (1 - torch.sigmoid(x @ W_z + b_z)) * h
            + torch.sigmoid(x @ W_z + b_z) * torch.tanh(x @ W_h + b_h)
        ),
    },
)

param_ratio = NumberExercise(
    "ch04.param_ratio",
    0.75,
    question=(
        later.tr(
            "For the same input and hidden sizes, what fraction of an nn.LSTM's parameters does an "
            "nn.GRU have?"
        )
    ),
    worked=later.tr(
        "3 weight blocks against 4, each of the same size: exactly 3/4 = 0.75, whatever the sizes."
    ),
    hints=(later.tr("Count the blocks: gates plus candidate."),),
    explain=lambda x: (
        tr("The course notes' 'about 1/3 fewer' would give 0.67; the blocks give 3 of 4.")
        if abs(x - 2 / 3) < 0.01
        else tr("Compare the number of weight blocks.")
    ),
    atol=0.001,
)
