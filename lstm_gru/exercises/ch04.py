"""Chapter 04 (GRU vs LSTM): ``equal_params_hidden`` (a GRU as large as an LSTM),
``param_ratio`` and ``mingru_step`` check themselves; the open questions of the chapter's
Exercises (``equal_parameters``, ``equal_time``, ``steadiness``, ``forget_bias``,
``mingru_on_a_task``; all in ``open_questions``) have hints and a model answer."""

import torch

from lstm_gru.exercises.ch02 import lstm_num_params_reference
from lstm_gru.exercises.ch03 import gru_num_params_reference
from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise, OpenQuestion
from lstm_gru.i18n import later, tr

__all__ = [
    "equal_parameters",
    "equal_params_hidden",
    "equal_time",
    "forget_bias",
    "mingru_on_a_task",
    "mingru_step",
    "param_ratio",
    "steadiness",
]

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
            " Scaling the units by 4/3 overshoots: the parameters would grow by 4/3 only if they "
            "grew in proportion to the size, but W_hh grows with the square of the size, so a "
            "smaller factor (152 / 128, about 1.19) is enough."
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
        later.tr(
            "Which parts of a minGRU step read the old state h: the gate, the candidate, or only "
            "the final mix? And is its z the share of h kept or the share written?"
        ),
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

equal_parameters = OpenQuestion(
    later.tr("Equal parameters"),
    (
        later.tr(
            "The LSTM has four weight blocks and the GRU three. Why is a GRU with 4/3 as many "
            "units too large, and how would you find the right width?"
        ),
        later.tr(
            "In section 5's loop give the GRU 153 units, CharRNN(len(vocab), 153, cell='gru'); "
            "count_parameters(model.rnn) should be within 1% of the LSTM's 115,712."
        ),
    ),
    later.tr("""
    nn.LSTM(96, 128) has 4 (96 · 128 + 128² + 2 · 128) = 115,712 parameters and nn.GRU(96,
    153) has 3 (96 · 153 + 153² + 2 · 153) = 115,209, 0.4% fewer. In section 5's loop:

        width = {"lstm": lm_num_hiddens, "gru": 153}
        model = CharRNN(len(vocab), width[cell], cell=cell)

    Section 5's printout is the baseline: each model's perplexity, mean ± standard deviation
    over the seeds, with 3/4 of the LSTM's parameters for the GRU. At equal parameters the
    GRU also gets a larger state. A gap that grows says the extra units helped; one that
    stays says that at this budget the number of updates, not the size, limits both models.
    Judge a change against the noise: a mean over n seeds has a standard error of its
    standard deviation / √n, so with 3 seeds a change of the gap below about twice the
    larger standard error is not resolved; raise num_seeds before reading it.
    """),
)

equal_time = OpenQuestion(
    later.tr("Equal time"),
    (
        later.tr(
            "On this CPU, how long did a GRU update take against an LSTM update, and so which "
            "model gets more updates in the same number of seconds?"
        ),
        later.tr(
            "train_recipe(..., max_seconds=s, num_epochs=1000) stops after s seconds; "
            "history.num_updates says how many updates each model got."
        ),
    ),
    later.tr("""
    In section 5's loop replace num_epochs=task_num_epochs by num_epochs=1000 and add
    max_seconds=10, then print history.num_updates beside the accuracy. fit checks the time
    after every batch and still scores the last, partial epoch.

    Section 5 prints the time of each model's runs, for the same 128 updates per run, and
    their ratio GRU/LSTM. At equal time the LSTM gets about that ratio times as many updates,
    so the GRU's lead at equal updates on the distractor task (section 5's table) can shrink
    or reverse: the answer depends on the kernels, not on the cells. On a CPU PyTorch runs
    nn.LSTM as one fused kernel and nn.GRU as a loop of small operations (section 3). On a GPU
    cuDNN fuses both, and the GRU's 3/4 of the multiply-adds should make its updates no
    slower, so there the GRU would get at least as many. Wall-clock budgets are noisy on a
    shared machine: compare the update counts, and rerun.
    """),
)

steadiness = OpenQuestion(
    later.tr("Steadiness"),
    (
        later.tr(
            "A standard deviation computed from a few seeds is itself a noisy number: how much "
            "could it change with another set of seeds?"
        ),
        later.tr(
            "Resample one model's 8 accuracies with replacement, take their standard deviation, "
            "repeat 10,000 times: the spread of those values is the spread of the spread."
        ),
    ),
    later.tr("""
        sub = quality[(quality.task == "distractor") & (quality.num_steps == 100)]
        rng = np.random.default_rng(0)
        boot = {m: np.array([rng.choice(a, len(a)).std(ddof=1) for _ in range(10_000)])
                for m, a in sub.groupby("model").accuracy}
        print(np.percentile(boot["GRU"] - boot["LSTM"], [5, 95]))  # 90% interval

    If the interval excludes 0, the two spreads differ by more than their own uncertainty.
    Expect it rarely to: from 8 seeds of normally spread accuracies, a standard deviation's
    90% interval runs from about 0.71 to 1.80 times the value computed, and two of them must
    differ by a factor of about 2 before 8 seeds tell them apart at that level (an F test on
    7 and 7 degrees of freedom). Read section 5's 3-seed spreads with their means: a model
    whose mean lies near the 25% chance level has accuracies with little room to spread, so
    its small spread says little. Compare spreads only where both models learn the task. (A
    bootstrap from 8 values also understates the spread a little.)
    """),
)

forget_bias = OpenQuestion(
    later.tr("Forget bias"),
    (
        later.tr(
            "If the forget gate sat at exactly σ(b) at every step, what share of the memory would "
            "survive 50 steps, and how much more would one more unit of bias keep?"
        ),
        later.tr(
            "gradient_vs_distance('lstm', flow_steps, seed=seed, forget_bias=float(b))[50] for b "
            "in 0, 1, 2, 3; compare log10 of consecutive values."
        ),
    ),
    later.tr("""
        for b in (0, 1, 2, 3):
            g = gradient_vs_distance("lstm", flow_steps, seed=seed, forget_bias=float(b))
            rule = 50 * math.log10(1 / (1 + math.exp(-b)))  # log10 of σ(b)^50
            print(b, f"{g[50]:.1e}", f"{rule:.1f}", f"{(g[50] / g[10]) ** (1 / 40):.2f}")

    The rule: σ(b)^50 is 10^-15.1, 10^-6.8, 10^-2.8 and 10^-1.1 for b = 0 to 3, so the three
    units of bias buy 8.3, 4.0 and 1.7 orders of magnitude. Each buys less: once b is large,
    -log σ(b) ≈ e^-b, and each unit of bias divides what a step loses by about e. With seed 0
    (float64, deterministic) we measured 2.8e-11, 1.4e-04, 6.3e-02 and 2.0e-01: 6.7, 2.7 and
    0.5 orders, the same pattern with smaller steps. The measured decay per step (the last
    number printed: 0.63, 0.86, 0.98, 1.01) is slower than σ(b) (0.50, 0.73, 0.88, 0.95): the
    Jacobian along c is diag(f) plus terms through the gates, which the rule leaves out. At b
    = 3 the gradient from 50 steps back is already as large as from 10: the forget gate no
    longer limits it. (b = 0 here is exactly 0; the chapter's default LSTM, 5.2e-11, has
    random biases near 0.)
    """),
)

mingru_on_a_task = OpenQuestion(
    later.tr("minGRU on a task"),
    (
        later.tr(
            "A minGRU's gate reads only the current token. In the first-token task, can the "
            "token alone tell the gate when to write and when to keep? And how much of the first "
            "token survives 99 steps when the gate starts near 0.5?"
        ),
        later.tr(
            "MinGRU(X) returns the outputs only, (num_steps, batch_size, num_hiddens): put a "
            "linear head on the last step and train it as train_recipe does (first_token_task, "
            "task_loss, score, Adam)."
        ),
    ),
    later.tr("""
        class MinGRUModel(nn.Module):  # MinGRU, then a linear head on the last step
            def __init__(self, num_inputs, num_hiddens, num_outputs):
                super().__init__()
                self.rnn = MinGRU(num_inputs, num_hiddens)
                self.head = nn.Linear(num_hiddens, num_outputs)

            def forward(self, X):  # X (num_steps, batch_size, num_inputs)
                return self.head(self.rnn(X)[-1])

    One layer can solve it in principle: class tokens and noise tokens are different ids, so
    a gate that reads only x_t can write at the class token (z near 1) and keep at noise (z
    near 0). But at PyTorch's default initialisation z starts near 0.5 (between about 0.33
    and 0.67), so at most about 1e-17 of the first token reaches step 100, and with it the
    gradient that would teach the gate to keep: predict chance (25%), like chapter 01's
    default LSTM, unless the gate biases start towards keeping (in MinGRU, 1 - z =
    σ(-bias): set rnn.linear.bias[:num_hiddens] to -log u, u uniform in [1, 99], a chrono
    start).
    Several layers are needed when the decision depends on the past, e.g. keep the first
    class token but ignore later ones: a gate that reads only x_t cannot know that it has
    stored one already; a second layer's gate reads the first layer's states, which carry
    the past.
    """),
)

open_questions = (equal_parameters, equal_time, steadiness, forget_bias, mingru_on_a_task)
