"""Chapter 01 (gating): ``rnn_step``, ``memory_kept`` and ``half_life`` check themselves; the
open questions of the chapter's Exercises (``exploding``, ``open_enough``, ``forget_bias_one``,
``gru_default_init``, ``longer``; all in ``open_questions``) have hints and a model answer."""

import math

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise, OpenQuestion
from lstm_gru.i18n import later, tr

__all__ = [
    "exploding",
    "forget_bias_one",
    "gru_default_init",
    "half_life",
    "longer",
    "memory_kept",
    "open_enough",
    "rnn_step",
]


def rnn_step_reference(x, h, W_x, W_h, b):
    """One step of the vanilla RNN. x (batch_size, num_inputs), h (batch_size, num_hiddens),
    W_x (num_inputs, num_hiddens), W_h (num_hiddens, num_hiddens), b (num_hiddens,).
    Returns the new h, (batch_size, num_hiddens)."""
    return torch.tanh(x @ W_x + h @ W_h + b)


def _rnn_cases() -> list[Case]:
    cases = []
    for label, batch_size, num_inputs, num_hiddens, seed in [
        (later.tr("batch 1, one unit"), 1, 1, 1, 0),
        (later.tr("batch 3, 4 units"), 3, 2, 4, 1),
        (later.tr("batch 2, 5 inputs, 3 units"), 2, 5, 3, 2),
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
    dims=(later.tr("batch row"), later.tr("unit")),
    hints=(
        later.tr(
            "Which two things does the new state depend on, and what keeps it between -1 and 1?"
        ),
        later.tr(
            "h_new = tanh(x @ W_x + h @ W_h + b): a product for the input, one for the state."
        ),
    ),
    mistakes={
        later.tr("a sigmoid instead of tanh"): lambda x, h, W_x, W_h, b: torch.sigmoid(
            x @ W_x + h @ W_h + b
        ),
        later.tr("leaving the previous state out"): lambda x, h, W_x, W_h, b: torch.tanh(
            x @ W_x + b
        ),
        later.tr("W_h transposed (h @ W_h.T)"): lambda x, h, W_x, W_h, b: torch.tanh(
            x @ W_x + h @ W_h.T + b
        ),
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
        Case(later.tr("one step"), (torch.full((1, 1, 1), 0.5),)),
        Case(later.tr("20 steps, batch 2, 3 units"), (torch.rand(20, 2, 3, generator=gen),)),
        Case(
            later.tr("gates near 1, 50 steps"), (0.9 + 0.1 * torch.rand(50, 1, 4, generator=gen),)
        ),
    ]


memory_kept = CodeExercise(
    "ch01.memory_kept",
    memory_kept_reference,
    _kept_cases,
    names=("kept",),
    dims=(later.tr("step"), later.tr("batch row"), later.tr("unit")),
    hints=(
        later.tr(
            "With nothing written, what does one step do to the memory cell's value, and what "
            "do t such steps add up to?"
        ),
        later.tr("After t steps without input, c_t = f_t * f_{t-1} * ... * f_1 * c_0."),
        later.tr("torch.cumprod(forget, dim=0) multiplies along time."),
    ),
    mistakes={
        later.tr("a running sum instead of a product"): lambda f: torch.cumsum(f, dim=0),
        later.tr("multiplying along the units instead of time"): lambda f: torch.cumprod(f, dim=2),
        later.tr("only the last gate, not the product"): lambda f: f,
    },
)

half_life = NumberExercise(
    "ch01.half_life",
    round(math.log(0.5) / math.log(0.9), 2),
    question=(
        later.tr(
            "A memory cell whose forget gate stays at f = 0.9 and whose input gate is closed: after "
            "how many steps is half of its value left?"
        )
    ),
    worked=(
        later.tr(
            "after t steps a memory kept by a forget gate f is f**t of what it was; f**t = 0.5 at "
            "t = ln 0.5 / ln 0.9 = 6.58 steps. (The time scale 1 / (1 - f) = 10 steps is when it "
            "falls to about 1/e.)"
        )
    ),
    hints=(
        later.tr("With no input, each step multiplies the memory by f = 0.9."),
        later.tr("Solve 0.9**t = 0.5 for t with logarithms."),
    ),
    explain=lambda t: (
        tr("That is the time scale 1 / (1 - f), where the memory falls to about 1/e, not to half.")
        if abs(t - 10) < 0.5
        else tr("after {t} steps 0.9**{t} = {kept:.3f} of the memory is left, not 0.5.").format(
            t=t, kept=0.9**t
        )
    ),
    atol=0.01,
)

exploding = OpenQuestion(
    later.tr("Exploding instead of vanishing"),
    (
        later.tr(
            "Inside torch.no_grad(), rnn.weight_hh_l0.mul_(3), then rerun the hand-written loop and "
            "the cell that prints the eigenvalue, the mean tanh' and the measured factor."
        ),
        later.tr(
            "tanh' = 1 - h**2 is near 0 where a unit is saturated (|h| near 1). What do larger "
            "weights do to |h|?"
        ),
    ),
    later.tr("""
    Scaling W_hh by 3 scales its eigenvalues by 3 (the largest: 0.65 -> 1.94), but it also
    pushes units into saturation, |h| near 1, where tanh' = 1 - h² is near 0. With the
    chapter's seed we measured: mean tanh' 0.94 -> 0.53; the rough rule (eigenvalue × mean
    tanh') 0.61 -> 1.02; the measured factor per step 0.61 -> 1.01. The gradient no longer
    vanishes: over 50 steps it keeps roughly its size.

        with torch.no_grad():
            rnn.weight_hh_l0.mul_(3)  # before the loop; then rerun the loop and the table

    The two factors pull against each other: larger weights, more saturated units, smaller
    tanh'. The state stays in (-1, 1), and every increase of the weights is paid back in tanh'
    (we also tried ×2 to ×20: the rough rule stayed between 1.02 and 1.05). Saturation damps
    the explosion without forbidding it: at ×5 we measured 1.27 per step, since the gradient
    flows through the few unsaturated units, whose tanh' is above the mean. Hence the
    gradient clipping in this course's training runs.
    """),
)

open_enough = OpenQuestion(
    later.tr("How open is open enough?"),
    (
        later.tr(
            "path_gradients(...)[100] is the gradient that reaches 100 steps back. Try b = 3, 4, 5, "
            "then halve the interval (bisection) until it meets 0.1."
        ),
        later.tr(
            "For a constant gate, σ(b)**100 >= 0.1 means b >= logit(0.1**(1/100)). The path's gates "
            "are σ(x_t + b) with random x_t: do they keep as much as σ(b)?"
        ),
    ),
    later.tr("""
    A bisection on b:

        lo, hi = 0.0, 10.0
        for _ in range(30):
            mid = (lo + hi) / 2
            if path_gradients("cell", 100, forget_bias=mid)[100] >= 0.1:
                hi = mid
            else:
                lo = mid

    With the default seed 0 this gives b ≈ 4.26 (σ(b) ≈ 0.986). A constant gate needs less:
    σ(b)^100 >= 0.1 ⇔ b >= logit(0.1^(1/100)) ≈ 3.76 (σ ≈ 0.977), between the table's rows b
    = 3 (keeps 8e-03) and b = 4.6 (4e-01). Why more? The path's gates are σ(x_t + b) with x_t
    ~ N(0, 1), and log σ is concave, so E[log σ(x + b)] < log σ(b) (Jensen): a gate that
    wobbles around σ(b) keeps less than one fixed there. Solving 100 · E[log σ(x + b)] = log
    0.1 numerically gives b ≈ 4.24, close to the 4.26 found. So "within about 1% of fully
    open" is the right order; noise in the gate costs a little extra bias.
    """),
)

forget_bias_one = OpenQuestion(
    later.tr("Forget bias 1 on the task"),
    (
        later.tr(
            "inspect.getsource(train_recipe) shows the data, loaders, task_loss, score and learning "
            "rate: copy them with your SequenceModel in place of the recipe's."
        ),
        later.tr(
            "Estimate first: a gate at σ(1) ≈ 0.73 keeps 0.73**99 of a memory over the 99 noise "
            "steps, and 0.73**29 over 29."
        ),
    ),
    later.tr("""
    Estimate: σ(1)^99 ≈ 3e-14 and σ(1)^29 ≈ 1e-4. At the start, a forget bias of 1 alone does
    not carry the first token across 99 steps; across 29 it keeps about 1e-4, far more.
    Section 1 measured the same for the gradient (64 units, untrained): with bias 1, 4e-04
    reaches 50 steps back and 2e-07 reaches 99 (the default LSTM: 1e-10 and 4e-20).

    Run it: copy train_recipe's body (task data with task_num_steps, loaders, task_loss, Adam
    at the recipe's lr, score) with SequenceModel(8, 32, 4, cell="lstm", forget_bias=1.0), and
    compare the held-out accuracy per epoch with the table of section 3.
    - At chance (25%) at 100 steps: bias 1 is not enough; as for the default LSTM, the
      gradient that would open the gates never arrives.
    - Solved: training opened a gate from that start; check with best_kept (section 3) that
      a unit now keeps most of the memory.
    - Solved at 30 but not at 100: the initial bias sets how long a dependency the model can
      start learning.

    Outcomes near the edge depend on the seed (section 3's adding problem), so run 2-3 seeds.
    """),
)

gru_default_init = OpenQuestion(
    later.tr("The GRU at default initialisation"),
    (
        later.tr(
            "The new entry makes train_recipe build the GRU with chrono_init=None: PyTorch's "
            "default. Rerun section 3's cells; they loop over models."
        ),
        later.tr(
            "At default initialisation the update gate z, the GRU's keep gate, sits near σ(0) = "
            "0.5. Look at the GRU column of section 1's table."
        ),
    ),
    later.tr("""
    At PyTorch's default initialisation the GRU's keep gate z starts near σ(0) = 0.5, like
    the LSTM's forget gate, so section 1 predicts the same trouble: the chapter measured 9e-10
    of the GRU's gradient reaching 50 steps back (LSTM 1e-10, RNN 2e-11). Compare the new
    row of both summary tables with "LSTM, default init" and "GRU, chrono init".
    - First token at chance: the GRU behaves like the default LSTM; its success in section 3
      came from the chrono start, not from the cell.
    - First token solved: it found a way the default LSTM did not. Check whether it opened z
      (the product of a unit's update gates over the noise steps, trace_gates(...)["update"],
      as chapter 03's kept_fraction does) or keeps the state another way.
    - Adding problem: the default LSTM left the baseline late (its held-out MSE per epoch
      is printed in section 3), and with other seeds not at all; compare when the GRU's MSE
      drops, and try a second seed before reading much into one run.
    """),
)

longer = OpenQuestion(
    later.tr("Longer"),
    (
        later.tr(
            "Only the parameters cell changes: models passes task_num_steps to chrono_init, so "
            "the keep biases become log u with u uniform in [1, 299]."
        ),
        later.tr(
            "A keep bias log u gives a gate u / (1 + u). How much does it keep over 299 steps for "
            "u = 299? For which u is it at least 10%?"
        ),
    ),
    later.tr("""
    Chrono's prediction: a keep-gate bias log u gives a gate σ(log u) = u / (1 + u), a memory
    of about 1 + u steps. With u <= 299 the most open unit keeps (299/300)^299 ≈ 0.37 over 299
    noise steps, as (99/100)^99 ≈ 0.37 at 100 steps; units with u >= 129 keep at least 10%,
    about 57% of them, the same share as at 100 steps (u >= 42.5). So at the start the
    chrono-initialised models are as well placed for 300 steps as they were for 100. The
    vanilla RNN and the default LSTM were at chance at 100 steps, and section 1's decay
    predicts even less gradient at 300.

    Then measure: the summary table and the claims cell (now at 300 steps; each epoch is
    about 3 times the work). If the chrono models still solve it, the initialisation scaled
    with the length as predicted. If not within first_token_epochs, look whether the accuracy
    is still rising (train longer) or flat at 25%, and compare best_kept before and after
    training to see whether any unit's forget gate opened.
    """),
)

open_questions = (exploding, open_enough, forget_bias_one, gru_default_init, longer)
