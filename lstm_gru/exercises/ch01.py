"""Chapter 01 (gating): ``rnn_step``, ``memory_kept`` and ``half_life``."""

import math

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise

__all__ = ["half_life", "memory_kept", "rnn_step"]


def rnn_step_reference(x, h, W_x, W_h, b):
    """One step of the vanilla RNN. x (batch_size, num_inputs), h (batch_size, num_hiddens),
    W_x (num_inputs, num_hiddens), W_h (num_hiddens, num_hiddens), b (num_hiddens,).
    Returns the new h, (batch_size, num_hiddens)."""
    return torch.tanh(x @ W_x + h @ W_h + b)


def _rnn_cases() -> list[Case]:
    cases = []
    for label, batch_size, num_inputs, num_hiddens, seed in [
        ("batch 1, one unit", 1, 1, 1, 0),
        ("batch 3, 4 units", 3, 2, 4, 1),
        ("batch 2, 5 inputs, 3 units", 2, 5, 3, 2),
    ]:
        gen = torch.Generator().manual_seed(seed)
        cases.append(
            Case(
                label,
                (
                    torch.randn(batch_size, num_inputs, generator=gen),
                    torch.randn(batch_size, num_hiddens, generator=gen).tanh(),
                    torch.randn(num_inputs, num_hiddens, generator=gen),
                    torch.randn(num_hiddens, num_hiddens, generator=gen),
                    torch.randn(num_hiddens, generator=gen),
                ),
            )
        )
    return cases


rnn_step = CodeExercise(
    "ch01.rnn_step",
    rnn_step_reference,
    _rnn_cases,
    names=("h",),
    dims=("batch row", "unit"),
    hints=("h_new = tanh(x @ W_x + h @ W_h + b): a product for the input, one for the state.",),
    mistakes={
        "a sigmoid instead of tanh": lambda x, h, W_x, W_h, b: torch.sigmoid(x @ W_x + h @ W_h + b),
        "leaving the previous state out": lambda x, h, W_x, W_h, b: torch.tanh(x @ W_x + b),
        "W_h transposed (h @ W_h.T)": lambda x, h, W_x, W_h, b: torch.tanh(x @ W_x + h @ W_h.T + b),
    },
)


def memory_kept_reference(forget):
    """How much of the memory cell's value at step 0 survives each step: forget gates
    (num_steps, batch_size, num_hiddens) -> the running product f_1 * ... * f_t at every step t,
    same shape (with no input written, c_t = f_t * c_{t-1})."""
    return torch.cumprod(forget, dim=0)


def _kept_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [
        Case("one step", (torch.full((1, 1, 1), 0.5),)),
        Case("20 steps, batch 2, 3 units", (torch.rand(20, 2, 3, generator=gen),)),
        Case("gates near 1, 50 steps", (0.9 + 0.1 * torch.rand(50, 1, 4, generator=gen),)),
    ]


memory_kept = CodeExercise(
    "ch01.memory_kept",
    memory_kept_reference,
    _kept_cases,
    names=("kept",),
    dims=("step", "batch row", "unit"),
    hints=(
        "After t steps without input, c_t = f_t * f_{t-1} * ... * f_1 * c_0.",
        "torch.cumprod(forget, dim=0) multiplies along time.",
    ),
    mistakes={
        "a running sum instead of a product": lambda f: torch.cumsum(f, dim=0),
        "multiplying along the units instead of time": lambda f: torch.cumprod(f, dim=2),
        "only the last gate, not the product": lambda f: f,
    },
)

half_life = NumberExercise(
    "ch01.half_life",
    round(math.log(0.5) / math.log(0.9), 2),
    question=(
        "A memory cell whose forget gate stays at f = 0.9 and whose input gate is closed: after "
        "how many steps is half of its value left?"
    ),
    worked=(
        "after t steps a memory kept by a forget gate f is f**t of what it was; f**t = 0.5 at "
        "t = ln 0.5 / ln 0.9 = 6.58 steps. (The time scale 1 / (1 - f) = 10 steps is when it "
        "falls to about 1/e.)"
    ),
    hints=(
        "With no input, each step multiplies the memory by f = 0.9.",
        "Solve 0.9**t = 0.5 for t with logarithms.",
    ),
    explain=lambda t: (
        "That is the time scale 1 / (1 - f), where the memory falls to about 1/e, not to half."
        if abs(t - 10) < 0.5
        else f"after {t} steps 0.9**{t} = {0.9**t:.3f} of the memory is left, not 0.5."
    ),
    atol=0.01,
)
