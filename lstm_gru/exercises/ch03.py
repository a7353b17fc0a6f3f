"""Chapter 03 (GRU): ``gru_step``, one step of either GRU formulation."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise

__all__ = ["gru_num_params", "gru_step", "keep_fraction"]


def gru_step_reference(x, h, W_x, W_h, b_x, b_h, reset_after):
    """One GRU step. x (batch_size, num_inputs); h (batch_size, num_hiddens);
    W_x (num_inputs, 3 * num_hiddens), W_h (num_hiddens, 3 * num_hiddens), b_x, b_h
    (3 * num_hiddens,), the columns in nn.GRU's order: reset, update, candidate.
    reset_after=True: the reset gate scales h @ W_hn + b_hn (nn.GRU, cuDNN); False: it scales
    h before the product (Cho et al. 2014's published form). Returns the new h."""
    r_x, z_x, n_x = (x @ W_x + b_x).chunk(3, dim=1)
    W_hr, W_hz, W_hn = W_h.chunk(3, dim=1)
    b_hr, b_hz, b_hn = b_h.chunk(3)
    r = torch.sigmoid(r_x + h @ W_hr + b_hr)
    z = torch.sigmoid(z_x + h @ W_hz + b_hz)
    if reset_after:
        n = torch.tanh(n_x + r * (h @ W_hn + b_hn))
    else:
        n = torch.tanh(n_x + (r * h) @ W_hn + b_hn)
    return z * h + (1 - z) * n


def _variant(
    x, h, W_x, W_h, b_x, b_h, reset_after, *, swap_z=False, reset=True, flip=False, act=torch.tanh
):
    r_x, z_x, n_x = (x @ W_x + b_x).chunk(3, dim=1)
    W_hr, W_hz, W_hn = W_h.chunk(3, dim=1)
    b_hr, b_hz, b_hn = b_h.chunk(3)
    r = torch.sigmoid(r_x + h @ W_hr + b_hr) if reset else torch.ones_like(h)
    z = torch.sigmoid(z_x + h @ W_hz + b_hz)
    if reset_after != flip:
        n = act(n_x + r * (h @ W_hn + b_hn))
    else:
        n = act(n_x + (r * h) @ W_hn + b_hn)
    return (1 - z) * h + z * n if swap_z else z * h + (1 - z) * n


def _cases() -> list[Case]:
    cases = []
    for label, batch_size, num_inputs, num_hiddens, reset_after, seed in [
        ("batch 1, reset_after=True", 1, 2, 2, True, 0),
        ("batch 3, reset_after=True", 3, 4, 3, True, 1),
        ("batch 1, reset_after=False", 1, 2, 2, False, 2),
        ("batch 3, reset_after=False", 3, 4, 3, False, 3),
    ]:
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(batch_size, num_inputs, generator=gen)
        h = torch.randn(batch_size, num_hiddens, generator=gen).tanh()
        W_x = torch.randn(num_inputs, 3 * num_hiddens, generator=gen)
        W_h = torch.randn(num_hiddens, 3 * num_hiddens, generator=gen)
        b_x, b_h = (
            torch.randn(3 * num_hiddens, generator=gen),
            torch.randn(3 * num_hiddens, generator=gen),
        )
        cases.append(Case(label, (x, h, W_x, W_h, b_x, b_h, reset_after)))
    return cases


gru_step = CodeExercise(
    "ch03.gru_step",
    gru_step_reference,
    _cases,
    names=("h",),
    dims=("batch row", "unit"),
    hints=(
        "Split the input part x @ W_x + b_x into three (reset, update, candidate); for the "
        "recurrent part split W_h and b_h the same way, because the reset gate enters the "
        "candidate's block differently.",
        "With z near 1 the GRU keeps its state: h_new = z * h + (1 - z) * candidate.",
        "reset_after=True multiplies r with (h @ W_hn + b_hn); reset_after=False multiplies r "
        "with h first, then takes the product with W_hn and adds b_hn.",
    ),
    mistakes={
        "swapping z and 1 - z (z near 1 would then overwrite instead of keep)": lambda *a: _variant(
            *a, swap_z=True
        ),
        "leaving the reset gate out": lambda *a: _variant(*a, reset=False),
        "swapping the two formulations (reset before the product when reset_after=True, and "
        "after it when False)": lambda *a: _variant(*a, flip=True),
        "a sigmoid on the candidate instead of tanh": lambda *a: _variant(*a, act=torch.sigmoid),
    },
)


def gru_num_params_reference(num_inputs, num_hiddens, num_layers):
    """The number of parameters of nn.GRU(num_inputs, num_hiddens, num_layers): an int
    (layer 1 reads num_inputs, every later layer reads num_hiddens)."""
    total = 0
    for layer in range(num_layers):
        d = num_inputs if layer == 0 else num_hiddens
        total += 3 * (num_hiddens * d + num_hiddens * num_hiddens + 2 * num_hiddens)
    return total


gru_num_params = CodeExercise(
    "ch03.gru_num_params",
    gru_num_params_reference,
    lambda: [
        Case("nn.GRU(1, 1)", (1, 1, 1)),
        Case("nn.GRU(32, 128)", (32, 128, 1)),
        Case("nn.GRU(5, 8, num_layers=3)", (5, 8, 3)),
    ],
    names=("the count",),
    atol=0,
    hints=(
        "Three blocks (reset, update, candidate), each with W_ih, W_hh, b_ih and b_hh.",
        "Layers after the first read the layer below: their input size is num_hiddens.",
    ),
    mistakes={
        "every layer reading num_inputs": lambda d, h, n: n * 3 * (h * d + h * h + 2 * h),
        "four blocks (that is the LSTM)": lambda d, h, n: sum(
            4 * (h * (d if k == 0 else h) + h * h + 2 * h) for k in range(n)
        ),
    },
)

keep_fraction = NumberExercise(
    "ch03.keep_fraction",
    0.8**5,
    question=(
        "A GRU unit's update gate stays at z = 0.8 for 5 steps and every candidate is 0. What "
        "fraction of its starting value h_0 is left (PyTorch's convention, h = z h + (1 - z) n)?"
    ),
    worked="each step keeps z = 0.8 of h: 0.8**5 = 0.328.",
    hints=("In PyTorch's and the d2l book's convention z is the share KEPT from the old state.",),
    explain=lambda x: (
        "That is 0.2**5: with z = 0.8 the unit keeps 0.8 per step (1 - z is what it writes)."
        if abs(x - 0.2**5) < 0.001
        else "Multiply what each step keeps."
    ),
    atol=0.005,
)
