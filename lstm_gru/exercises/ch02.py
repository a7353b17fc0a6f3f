"""Chapter 02 (LSTM): ``lstm_step`` (one time step written out), ``lstm_num_params`` and
``perplexity_from_logits`` check themselves; the open questions of the chapter's Exercises
(``peepholes``, ``tie_gates``, ``seeds_and_length``, ``more_units``, ``temperature``; all in
``open_questions``) have hints and a model answer."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise, OpenQuestion
from lstm_gru.i18n import later

__all__ = [
    "lstm_num_params",
    "lstm_step",
    "more_units",
    "peepholes",
    "perplexity_from_logits",
    "seeds_and_length",
    "temperature",
    "tie_gates",
]


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
    keep_old=True, squash_cell=True, h_from_old=False,
):  # fmt: skip
    """``lstm_step`` with one typical mistake switched on (the defaults are the right step)."""
    gates = dict(zip(order, (x @ W_x + h @ W_h + b).chunk(4, dim=1), strict=True))
    i, f = (gates["f"], gates["i"]) if swap_input_forget else (gates["i"], gates["f"])
    written = torch.sigmoid(i) * candidate(gates["g"])
    new_c = torch.sigmoid(f) * c + written if keep_old else written
    shown = c if h_from_old else new_c  # the cell that h is computed from
    return torch.sigmoid(gates["o"]) * (torch.tanh(shown) if squash_cell else shown), new_c


def _cases() -> list[Case]:
    cases = []
    for label, batch_size, num_inputs, num_hiddens, scale, seed in [
        (later.tr("batch 1, one unit"), 1, 2, 1, 1.0, 0),
        (later.tr("batch 3, 4 units"), 3, 5, 4, 1.0, 1),
        (later.tr("large weights (saturated gates)"), 2, 3, 3, 4.0, 2),
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
            later.tr("nn.LSTM(3, 2)'s weights"),
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
    dims=(later.tr("batch row"), later.tr("unit")),
    hints=(
        later.tr(
            "Which of the four blocks are gates, squashed to between 0 and 1, and which one is "
            "the value written into the cell? In which order does nn.LSTM store them?"
        ),
        later.tr(
            "Compute all four gates' pre-activations with one product: x @ W_x + h @ W_h + b, "
            "then split it into four with .chunk(4, dim=1), in the order input, forget, "
            "candidate, output."
        ),
        later.tr(
            "The gates use the sigmoid; the candidate uses tanh. The new cell keeps f * c and "
            "writes i * candidate."
        ),
        later.tr("h is the output gate times tanh of the NEW cell."),
    ),
    mistakes={
        later.tr("swapping the input and forget gates"): lambda *a: _variant(
            *a, swap_input_forget=True
        ),
        later.tr("a sigmoid on the candidate instead of tanh"): lambda *a: _variant(
            *a, candidate=torch.sigmoid
        ),
        later.tr("h = o * c (tanh of the cell left out)"): lambda *a: _variant(
            *a, squash_cell=False
        ),
        later.tr(
            "reading the gates in the order input, forget, output, candidate (nn.LSTM stores "
            "input, forget, candidate, output)"
        ): lambda *a: _variant(*a, order="ifog"),
        later.tr("dropping the old cell (c = i * candidate, no f * c)"): lambda *a: _variant(
            *a, keep_old=False
        ),
        later.tr(
            "computing h from the old cell c_{t-1} (the new c is right, but h must read the "
            "cell just updated: h = o * tanh(new c))"
        ): lambda *a: _variant(*a, h_from_old=True),
        later.tr(
            "returning (c, h) instead of (h, c) (both are right, in the wrong order)"
        ): lambda *a: lstm_step_reference(*a)[::-1],
    },
)


def lstm_num_params_reference(num_inputs, num_hiddens):
    """The number of parameters of nn.LSTM(num_inputs, num_hiddens): an int."""
    return 4 * (num_hiddens * num_inputs + num_hiddens * num_hiddens + 2 * num_hiddens)


lstm_num_params = CodeExercise(
    "ch02.lstm_num_params",
    lstm_num_params_reference,
    lambda: [
        Case(later.tr("nn.LSTM(1, 1)"), (1, 1)),
        Case(later.tr("nn.LSTM(32, 128)"), (32, 128)),
        Case(later.tr("nn.LSTM(101, 16)"), (101, 16)),
    ],
    names=(later.tr("the count"),),
    atol=0,
    hints=(
        later.tr(
            "How many weight blocks does an LSTM have, and which weights and biases does each "
            "block hold?"
        ),
        later.tr(
            "Four blocks (input, forget, candidate, output gates), each with W_ih (h x d), "
            "W_hh (h x h) and PyTorch's two bias vectors b_ih and b_hh."
        ),
    ),
    mistakes={
        later.tr("one bias vector per block (PyTorch keeps two, b_ih and b_hh)"): lambda d, h: (
            4 * (h * d + h * h + h)
        ),
        later.tr("three blocks (that is the GRU)"): lambda d, h: 3 * (h * d + h * h + 2 * h),
        later.tr("leaving out the recurrent matrices W_hh"): lambda d, h: 4 * (h * d + 2 * h),
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
            later.tr("uniform over 10 tokens (perplexity 10)"),
            (torch.zeros(1, 3, 10), torch.zeros(1, 3, dtype=torch.long)),
        ),
        Case(
            later.tr("batch 2 x 5 steps"),
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
    names=(later.tr("the perplexity"),),
    hints=(
        later.tr(
            "Perplexity is the number of equally likely choices that would be as hard to "
            "predict: which average of the per-token losses gives it?"
        ),
        later.tr("Perplexity is exp of the MEAN cross-entropy per token (in nats)."),
    ),
    mistakes={
        later.tr(
            "the mean of each token's exp(loss) (exp of the mean is not the mean of exp)"
        ): _mean_of_exp,
        later.tr("the mean cross-entropy itself, without exp"): lambda logits, targets: (
            torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
            ).item()
        ),
    },
)

peepholes = OpenQuestion(
    later.tr("Peepholes"),
    (
        later.tr(
            "A peephole is a vector w (num_hiddens,), multiplied element-wise with a cell value and "
            "added to a gate's pre-activation: no matrix."
        ),
        later.tr(
            "The input and forget gates act before c_t exists; the output gate can act after."
        ),
    ),
    later.tr("""
    Three new vectors w_ci, w_cf, w_co, each (num_hiddens,): 3 · num_hiddens parameters. The
    input and forget gates see the old cell c_{t-1}; the output gate is computed after the
    update and sees the new cell c_t (as in Graves 2013's equations):

        i = torch.sigmoid(x @ W_xi + h @ W_hi + c * w_ci + b_i)  # c is c_{t-1} here
        f = torch.sigmoid(x @ W_xf + h @ W_hf + c * w_cf + b_f)
        c = f * c + i * torch.tanh(x @ W_xc + h @ W_hc + b_c)
        o = torch.sigmoid(x @ W_xo + h @ W_ho + c * w_co + b_o)  # c is c_t now
        h = o * torch.tanh(c)

    Check: with all three w = 0 it must equal nn.LSTM again (section 2's test). nn.LSTM cannot
    express peepholes: its gates read only x_t and h_{t-1} through its weight matrices, and
    h_{t-1} = o ⊙ tanh(c_{t-1}) is not c_{t-1}. You need your own loop (like LSTMScratch),
    without cuDNN's fused kernel.
    """),
)

tie_gates = OpenQuestion(
    later.tr("Tie the gates"),
    (
        later.tr(
            "The input gate has its own block: W_xi (num_inputs, num_hiddens), W_hi (num_hiddens, "
            "num_hiddens) and its bias (nn.LSTM keeps two bias vectors)."
        ),
        later.tr(
            "Write the memory update with i = 1 - f next to chapter 03's h_t = z ⊙ h_{t-1} + "
            "(1 - z) ⊙ h~_t."
        ),
    ),
    later.tr("""
    The input gate's whole block goes: h · (d + h) weights and its bias, h in lstm_scratch
    (one b_i) or 2h in nn.LSTM (bias_ih and bias_hh). For the chapter's nn.LSTM(32, 128):
    128 · (32 + 128) + 2 · 128 = 20,736 of 82,944 parameters, a quarter, leaving 62,208:
    exactly nn.GRU(32, 128)'s count (section 5). In lstm_scratch:

        f = torch.sigmoid(x @ W_xf + h @ W_hf + b_f)
        c = f * c + (1 - f) * c_tilde  # no i, no W_xi, W_hi, b_i

    The memory update is now the GRU's h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h~_t with f in the
    place of z: keep a fraction, write the rest. It is a convex combination, so a cell that
    starts in (-1, 1) stays there (c~ is in (-1, 1)), unlike the chapter's cells, whose |c|
    grew far beyond 1 (section 4). Greff et al. (2017) call this the coupled input-forget
    gate (CIFG). Still unlike the GRU: the output gate, the separate cell, no reset gate.
    """),
)

seeds_and_length = OpenQuestion(
    later.tr("Seeds and length"),
    (
        later.tr(
            "Compare bias 0 with bias 1 seed by seed (paired): one seed gives both runs the same "
            "initial weights and batches."
        ),
        later.tr(
            "The spread of the per-seed gaps measures the noise; trust the mean gap when it is "
            "several standard errors (sd / sqrt(n)) away from 0."
        ),
    ),
    later.tr("""
    Section 8 prints the gap (bias 0 minus bias 1) of each seed and the largest difference
    between seeds at the same bias. Rerun it with four seeds; bias_gaps holds one gap per
    seed:

        gaps = torch.tensor(bias_gaps)  # one per seed
        print(gaps, gaps.mean(), gaps.std() / math.sqrt(len(gaps)))  # mean, standard error

    A consistent gap: the same sign for every seed and a mean about two standard errors or
    more from 0 (with 4 seeds a paired t-test asks for about 3.2). Mixed signs: the effect is
    below what the experiment resolves. Seeds needed: about n = (2 · sd / δ)² to resolve an
    effect δ, with sd the standard deviation of the per-seed gaps (estimate it from your
    four; two are too few). If sd is as large as δ, that is 4 seeds; if it is twice δ, 16.
    With bias_epochs = 6 compare the gaps after 2 and 6 epochs: a gap that shrinks means the
    bias only speeds up the start; one that stays or grows means it changes where training
    ends.
    """),
)

more_units = OpenQuestion(
    later.tr("Find more units"),
    (
        later.tr(
            "After retraining, rerun sections 5 and 6 unchanged: best[label, state] holds the "
            "strongest unit. A detector has |r| near 1 and switches at the right characters in "
            "text_heatmap."
        ),
        later.tr(
            "A label is one number per character of corpus.text, e.g. np.array([ch == '\\n' for ch "
            "in corpus.text]); cut it to the traced characters as probe_label does."
        ),
    ),
    later.tr(r"""
    The chapter's model (12 epochs, 128 units), in section 6's printouts: the best "string"
    unit follows "column" more closely than strings, a column counter more than a string
    detector, and the best "bracket" cell is a slow drift. After retraining, call a unit a
    detector only if its |r| is clearly higher, it does not follow "column" or "indent" as
    well (correlate it with those too, as the chapter did), and its heatmap switches at the
    quotes or brackets. A wider model has more units to pick the best from, which alone
    raises the best |r| a little.

    Your own label, e.g. "the character just read is a newline":

        newline = np.array([ch == "\n" for ch in corpus.text], dtype=np.int64)
        rows = newline[start : start + num_rows * row_len].reshape(num_rows, row_len)
        r = unit_correlations(probe_values("cell"), rows[:, warm_up:].reshape(-1))
        unit = int(abs(r).argmax())  # then print(unit, r[unit]); also try "hidden"

    Section 5 found the mean forget gate lowest after newlines, so try trace["forget"] too.
    For "inside a docstring", get the docstrings' spans with ast (the first statement of a
    module, class or def: lineno, col_offset, end_lineno, end_col_offset).
    """),
)

temperature = OpenQuestion(
    later.tr("Temperature"),
    (
        later.tr(
            "model.generate(prompt, 300, vocab, temperature=T, seed=seed) samples from "
            "softmax(logits / T)."
        ),
        later.tr(
            "Perplexity is exp(mean cross-entropy): the size of a uniform choice that would be as "
            "hard to predict."
        ),
    ),
    later.tr("""
        for T in (0.2, 0.6, 1.0, 1.5):
            print(f"--- T = {T}\\n" + model.generate(prompt, 300, vocab, temperature=T, seed=seed))

    Temperature T samples from softmax(logits / T), proportional to p^(1/T). T = 1 is the
    model's own distribution, whose validation perplexity section 3 printed. T < 1
    sharpens it towards the most likely character: at 0.2 the text approaches greedy decoding,
    which the chapter showed loops on spaces. T > 1 flattens it and gives unlikely characters
    more weight: look for misspellings and broken syntax.

    A perplexity P is a mean cross-entropy of ln P nats (log2 P bits) per character: on
    average the model is as unsure as a uniform choice among P of the 101 characters, a
    handful. It is a geometric mean: the text nearly fixes some characters (the n
    after "retur") and leaves many open at the start of a name. To see T's effect in numbers, average
    exp(entropy of softmax(logits / T)) over the validation text: it grows with T; at T = 1,
    compare it with the perplexity (if the two are close, the model is as sure as its
    accuracy warrants).
    """),
)

open_questions = (peepholes, tie_gates, seeds_and_length, more_units, temperature)
