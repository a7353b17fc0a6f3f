"""Chapter 02 (LSTM): ``lstm_step``, one time step of the LSTM written out."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise

__all__ = ["lstm_num_params", "lstm_step", "perplexity_from_logits"]


def lstm_step_reference(x, h, c, W_x, W_h, b):
    """One LSTM step. x (batch_size, num_inputs); h, c (batch_size, num_hiddens);
    W_x (num_inputs, 4 * num_hiddens), W_h (num_hiddens, 4 * num_hiddens), b (4 * num_hiddens,),
    the gates' columns in nn.LSTM's order: input, forget, candidate, output.
    Returns the new (h, c), each (batch_size, num_hiddens)."""
    i, f, g, o = (x @ W_x + h @ W_h + b).chunk(4, dim=1)  # each (batch_size, num_hiddens)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c


def _variant(
    x, h, c, W_x, W_h, b, *, order="ifgo", swap_input_forget=False, candidate=torch.tanh,
    keep_old=True, squash_cell=True,
):  # fmt: skip
    """``lstm_step`` with one typical mistake switched on (the defaults are the right step)."""
    gates = dict(zip(order, (x @ W_x + h @ W_h + b).chunk(4, dim=1), strict=True))
    i, f = (gates["f"], gates["i"]) if swap_input_forget else (gates["i"], gates["f"])
    written = torch.sigmoid(i) * candidate(gates["g"])
    c = torch.sigmoid(f) * c + written if keep_old else written
    return torch.sigmoid(gates["o"]) * (torch.tanh(c) if squash_cell else c), c


def _cases() -> list[Case]:
    cases = []
    for label, batch_size, num_inputs, num_hiddens, scale, seed in [
        ("batch 1, one unit", 1, 2, 1, 1.0, 0),
        ("batch 3, 4 units", 3, 5, 4, 1.0, 1),
        ("large weights (saturated gates)", 2, 3, 3, 4.0, 2),
    ]:
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(batch_size, num_inputs, generator=gen)
        h = torch.randn(batch_size, num_hiddens, generator=gen).tanh()
        c = torch.randn(batch_size, num_hiddens, generator=gen)
        W_x = scale * torch.randn(num_inputs, 4 * num_hiddens, generator=gen)
        W_h = scale * torch.randn(num_hiddens, 4 * num_hiddens, generator=gen)
        b = torch.randn(4 * num_hiddens, generator=gen)
        cases.append(Case(label, (x, h, c, W_x, W_h, b)))
    lstm = torch.nn.LSTM(3, 2)  # a real nn.LSTM's weights, in the layout of this exercise
    with torch.no_grad():
        torch.manual_seed(3)
        for p in lstm.parameters():
            p.uniform_(-1, 1)
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(4))
    cases.append(
        Case(
            "nn.LSTM(3, 2)'s weights",
            (x, torch.zeros(2, 2), torch.zeros(2, 2), lstm.weight_ih_l0.detach().T,
             lstm.weight_hh_l0.detach().T, b),
        )
    )  # fmt: skip
    return cases


lstm_step = CodeExercise(
    "ch02.lstm_step",
    lstm_step_reference,
    _cases,
    names=("h", "c"),
    dims=("batch row", "unit"),
    hints=(
        "Compute all four gates' pre-activations with one product: x @ W_x + h @ W_h + b, "
        "then split it into four with .chunk(4, dim=1), in the order input, forget, "
        "candidate, output.",
        "The gates use the sigmoid; the candidate uses tanh. The new cell keeps f * c and "
        "writes i * candidate.",
        "h is the output gate times tanh of the NEW cell.",
    ),
    mistakes={
        "swapping the input and forget gates": lambda *a: _variant(*a, swap_input_forget=True),
        "a sigmoid on the candidate instead of tanh": lambda *a: _variant(
            *a, candidate=torch.sigmoid
        ),
        "h = o * c (tanh of the cell left out)": lambda *a: _variant(*a, squash_cell=False),
        "reading the gates in the order input, forget, output, candidate (nn.LSTM stores "
        "input, forget, candidate, output)": lambda *a: _variant(*a, order="ifog"),
        "dropping the old cell (c = i * candidate, no f * c)": lambda *a: _variant(
            *a, keep_old=False
        ),
    },
)


def lstm_num_params_reference(num_inputs, num_hiddens):
    """The number of parameters of nn.LSTM(num_inputs, num_hiddens): an int."""
    return 4 * (num_hiddens * num_inputs + num_hiddens * num_hiddens + 2 * num_hiddens)


lstm_num_params = CodeExercise(
    "ch02.lstm_num_params",
    lstm_num_params_reference,
    lambda: [
        Case("nn.LSTM(1, 1)", (1, 1)),
        Case("nn.LSTM(32, 128)", (32, 128)),
        Case("nn.LSTM(101, 16)", (101, 16)),
    ],
    names=("the count",),
    atol=0,
    hints=(
        "Four blocks (input, forget, candidate, output gates), each with W_ih (h x d), "
        "W_hh (h x h) and PyTorch's two bias vectors b_ih and b_hh.",
    ),
    mistakes={
        "one bias vector per block (PyTorch keeps two, b_ih and b_hh)": lambda d, h: (
            4 * (h * d + h * h + h)
        ),
        "three blocks (that is the GRU)": lambda d, h: 3 * (h * d + h * h + 2 * h),
        "leaving out the recurrent matrices W_hh": lambda d, h: 4 * (h * d + 2 * h),
    },
)


def perplexity_from_logits_reference(logits, targets):
    """Perplexity of a language model's predictions: logits (batch_size, num_steps,
    vocab_size), targets (batch_size, num_steps) -> exp(mean cross-entropy per token), a float."""
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    )
    return loss.exp().item()


def _ppl_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [
        Case(
            "uniform over 10 tokens (perplexity 10)",
            (torch.zeros(1, 3, 10), torch.zeros(1, 3, dtype=torch.long)),
        ),
        Case(
            "batch 2 x 5 steps",
            (torch.randn(2, 5, 7, generator=gen), torch.randint(0, 7, (2, 5), generator=gen)),
        ),
    ]


def _mean_of_exp(logits, targets):
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    )
    return losses.exp().mean().item()


perplexity_from_logits = CodeExercise(
    "ch02.perplexity_from_logits",
    perplexity_from_logits_reference,
    _ppl_cases,
    names=("the perplexity",),
    hints=("Perplexity is exp of the MEAN cross-entropy per token (in nats).",),
    mistakes={
        "the mean of each token's exp(loss) (exp of the mean is not the mean of exp)": _mean_of_exp,
        "the mean cross-entropy itself, without exp": lambda logits, targets: (
            torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
            ).item()
        ),
    },
)
