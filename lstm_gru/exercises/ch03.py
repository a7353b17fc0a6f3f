"""Chapter 03 (GRU): ``gru_step`` (one step of either GRU formulation), ``gru_num_params`` and
``keep_fraction`` check themselves; the open questions of the chapter's Exercises
(``other_formulation``, ``half_open``, ``skip_trained``, ``which_gate``, ``three_digits``; all in
``open_questions``) have hints and a model answer."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise, OpenQuestion
from lstm_gru.i18n import later, tr

__all__ = [
    "gru_num_params",
    "gru_step",
    "half_open",
    "keep_fraction",
    "other_formulation",
    "skip_trained",
    "three_digits",
    "which_gate",
]


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
    x, h, W_x, W_h, b_x, b_h, reset_after, *, swap_z=False, reset=True, flip=False,
    act=torch.tanh, order="rzn", b_hn_outside=False,
):  # fmt: skip
    """``gru_step`` with one typical mistake switched on (the defaults are the right step)."""
    (r_x, z_x, n_x), (W_hr, W_hz, W_hn), (b_hr, b_hz, b_hn) = (
        [dict(zip(order, parts, strict=True))[gate] for gate in "rzn"]  # blocks read in `order`
        for parts in ((x @ W_x + b_x).chunk(3, dim=1), W_h.chunk(3, dim=1), b_h.chunk(3))
    )
    r = torch.sigmoid(r_x + h @ W_hr + b_hr) if reset else torch.ones_like(h)
    z = torch.sigmoid(z_x + h @ W_hz + b_hz)
    if reset_after != flip:
        n = act(n_x + r * (h @ W_hn) + b_hn if b_hn_outside else n_x + r * (h @ W_hn + b_hn))
    else:
        n = act(n_x + (r * h) @ W_hn + b_hn)
    return (1 - z) * h + z * n if swap_z else z * h + (1 - z) * n


def _cases() -> list[Case]:
    cases = []
    for label, batch_size, num_inputs, num_hiddens, reset_after, seed in [
        (later.tr("batch 1, reset_after=True"), 1, 2, 2, True, 0),
        (later.tr("batch 3, reset_after=True"), 3, 4, 3, True, 1),
        (later.tr("batch 1, reset_after=False"), 1, 2, 2, False, 2),
        (later.tr("batch 3, reset_after=False"), 3, 4, 3, False, 3),
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
    dims=(later.tr("batch row"), later.tr("unit")),
    hints=(
        later.tr(
            "In which order does nn.GRU store its three blocks? Which gate decides how much of "
            "the old state is kept, and where does the reset gate act in each formulation?"
        ),
        later.tr(
            "Split the input part x @ W_x + b_x into three (reset, update, candidate); for the "
            "recurrent part split W_h and b_h the same way, because the reset gate enters the "
            "candidate's block differently."
        ),
        later.tr("With z near 1 the GRU keeps its state: h_new = z * h + (1 - z) * candidate."),
        later.tr(
            "reset_after=True multiplies r with (h @ W_hn + b_hn); reset_after=False multiplies r "
            "with h first, then takes the product with W_hn and adds b_hn."
        ),
    ),
    mistakes={
        later.tr(
            "swapping z and 1 - z (z near 1 would then overwrite instead of keep)"
        ): lambda *a: _variant(*a, swap_z=True),
        later.tr("leaving the reset gate out"): lambda *a: _variant(*a, reset=False),
        later.tr(
            "swapping the two formulations (reset before the product when reset_after=True, and "
            "after it when False)"
        ): lambda *a: _variant(*a, flip=True),
        later.tr("a sigmoid on the candidate instead of tanh"): lambda *a: _variant(
            *a, act=torch.sigmoid
        ),
        later.tr(
            "adding b_hn outside the reset gate when reset_after=True, r * (h @ W_hn) + b_hn "
            "(the Dive-into-DL-PyTorch port's bug: nn.GRU resets the bias too, r * (h @ W_hn "
            "+ b_hn))"
        ): lambda *a: _variant(*a, b_hn_outside=True),
        later.tr(
            "reading the blocks in the order update, reset, candidate (nn.GRU stores reset, "
            "update, candidate)"
        ): lambda *a: _variant(*a, order="zrn"),
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
        Case(later.tr("nn.GRU(1, 1)"), (1, 1, 1)),
        Case(later.tr("nn.GRU(32, 128)"), (32, 128, 1)),
        Case(later.tr("nn.GRU(5, 8, num_layers=3)"), (5, 8, 3)),
    ],
    names=(later.tr("the count"),),
    atol=0,
    hints=(
        later.tr(
            "How many weight blocks does one GRU layer have, and what does a layer above the "
            "first one read as its input?"
        ),
        later.tr("Three blocks (reset, update, candidate), each with W_ih, W_hh, b_ih and b_hh."),
        later.tr("Layers after the first read the layer below: their input size is num_hiddens."),
    ),
    mistakes={
        later.tr("every layer reading num_inputs"): lambda d, h, n: n * 3 * (h * d + h * h + 2 * h),
        later.tr("four blocks (that is the LSTM)"): lambda d, h, n: sum(
            4 * (h * (d if k == 0 else h) + h * h + 2 * h) for k in range(n)
        ),
    },
)

keep_fraction = NumberExercise(
    "ch03.keep_fraction",
    0.8**5,
    question=(
        later.tr(
            "A GRU unit's update gate stays at z = 0.8 for 5 steps and every candidate is 0. What "
            "fraction of its starting value h_0 is left (PyTorch's convention, h = z h + (1 - z) n)?"
        )
    ),
    worked=later.tr("each step keeps z = 0.8 of h: 0.8**5 = 0.328."),
    hints=(
        later.tr(
            "In PyTorch's and the d2l book's convention z is the share KEPT from the old state."
        ),
    ),
    explain=lambda x: (
        tr("That is 0.2**5: with z = 0.8 the unit keeps 0.8 per step (1 - z is what it writes).")
        if abs(x - 0.2**5) < 0.001
        else tr("Multiply what each step keeps.")
    ),
    atol=0.005,
)

other_formulation = OpenQuestion(
    later.tr("The other formulation, trained"),
    (
        later.tr(
            "GRUScratch has nn.GRU's parameters (weight_ih, weight_hh, bias_ih, bias_hh; rows r, z, "
            "n): the update gate's biases are rows 32:64."
        ),
        later.tr(
            "Train GRUScratch(reset_after=True) the same way too: it separates the cost of the "
            "Python loop from the cost of the formulation."
        ),
    ),
    later.tr("""
        model = SequenceModel(8, 32, 7, cell="gru")
        model.rnn = GRUScratch(8, 32, reset_after=False)
        with torch.no_grad():  # chrono start as make_rnn's: z's bias log u, u ~ U[1, 99]
            model.rnn.bias_ih[32:64] = torch.empty(32).uniform_(1, 99).log()
            model.rnn.bias_hh[32:64] = 0.0

    Train it with fit as train_recipe does (the distractor task's data and loaders,
    task_loss, Adam at RECIPES["distractor"]["lr"], score), and the same with
    GRUScratch(8, 32, reset_after=True). Compare the held-out accuracy per epoch with the
    chapter's nn.GRU (section 4 prints the epoch after which it first reached 99%) and
    history.seconds.
    - Both scratch GRUs reach >= 95% in about as many epochs: the formulation does not matter
      for this task. A gap of an epoch needs two or three seeds before it means anything.
    - time(scratch, after) / time(nn.GRU): the cost of the Python loop against PyTorch's
      fused implementation.
    - time(scratch, before) / time(scratch, after): the cost of the second product that has
      to wait for r (section 2).
    """),
)

half_open = OpenQuestion(
    later.tr("Half open"),
    (
        later.tr(
            "With r = 0 the candidate depends on x_t only. Write h_t - h'_t for two runs with the "
            "same inputs and different initial states."
        ),
        later.tr(
            "Zero rows num_hiddens:2*num_hiddens of weight_ih_l0, weight_hh_l0, bias_ih_l0 and "
            "bias_hh_l0 of a copy of gru, then use forced(copy, reset=False)."
        ),
    ),
    later.tr("""
    Prediction: with r = 0 the candidate n_t = tanh(x_t W_xn + b_xn) is the same in both runs,
    and with z = 0.5, h_t - h'_t = 0.5 (h_{t-1} - h'_{t-1}). The gap halves exactly at every
    step: after t steps it is 0.5^t of the initial gap, about 1e-3 after 10 steps.

        half = copy.deepcopy(gru)
        with torch.no_grad():
            for p in (half.weight_ih_l0, half.weight_hh_l0, half.bias_ih_l0, half.bias_hh_l0):
                p[num_hiddens : 2 * num_hiddens] = 0  # the update gate's rows: z = 0.5
            for m in (forced(half, reset=False), half):  # reset pinned to 0, then free
                gap = (m(X, h0)[0] - m(X, h0_other)[0]).abs().amax(dim=(1, 2))
                print(gap / (h0 - h0_other).abs().max())  # r = 0: 0.5, 0.25, 0.125, ...

    On a copy of this set-up the r = 0 ratios came out as 0.5^t to the printed digits. With
    the reset gate free the candidate depends on h_{t-1}: the gap follows d_t ≈ 0.5 (I + J_t)
    d_{t-1}, J_t the candidate's Jacobian, so the factor is no longer exactly 0.5 nor the same
    at every step (on our copy it shrank a little slower). z sets the rate of forgetting; a
    free r lets the candidate carry part of the old state as well.
    """),
)

skip_trained = OpenQuestion(
    later.tr("Skip on a trained model"),
    (
        later.tr(
            "z_other from section 4 holds each unit's mean update gate on distractors: "
            "int(z_other.argmax()) is the unit."
        ),
        later.tr(
            "Along the keep path, what survives is the product of the unit's z over the letters "
            "after the digit; compare it with what its hidden state actually keeps."
        ),
    ),
    later.tr("""
        keep = int(z_other.argmax())  # mean update gate on distractors, per unit (section 4)
        text = "ab2" + "x" * 60  # step 2 is the digit
        ids = torch.tensor([typed.encode(text)], device=device)  # (1, num_steps)
        trace = trace_gates(typed.rnn, typed.inputs(ids))
        z, h = trace["update"][3:, 0, keep], trace["hidden"][:, 0, keep]
        print(z.prod().item(), (h[-1] / h[2]).item())  # keep path, what is actually left

    Compare the keep path's share, the product of z over the 60 letters, with the share of the
    value actually left, h_end / h_after_digit (pick another digit if h_after_digit is near
    0). For scale: a constant z of 0.99 keeps 0.99^60 ≈ 0.55, one of 0.96 only 0.09. If the
    two agree, the unit holds its value through its gate. If the state keeps more than the
    product, the candidate is reproducing the old value (the chapter's caveat: h_t - h_{t-1} =
    (1 - z_t)(h~_t - h_{t-1})). Try other letters: if z depends on the letter read, the unit
    does not skip all distractors alike.
    """),
)

which_gate = OpenQuestion(
    later.tr("Which gate matters?"),
    (
        later.tr(
            "forced(pinned.rnn, update=False) and update=True work like reset=True; start each "
            "from a fresh copy of the trained model."
        ),
        later.tr(
            "With z pinned to 1, what is the final state of every sequence, given that it starts "
            "from h_0 = 0?"
        ),
    ),
    later.tr("""
        loader = distractor_valid.loader(1000, shuffle=False)
        for pin in (dict(reset=True), dict(update=False), dict(update=True)):
            pinned = copy.deepcopy(distractor_model)
            pinned.rnn = forced(pinned.rnn, **pin)
            print(pin, lstm_gru.tasks.score(pinned, loader))

    The reset gate is answered in section 4, "What the reset gate learned": held at 1 it
    wrecks the distractor model, and the first pin should agree with that table. What the
    section does not show is the update gate. One result follows without running: with z = 1
    every step copies the state, so h_T = h_0 = 0 for every sequence and the model gives all
    of them the same answer; its accuracy is that answer's frequency, at most the no-memory
    baseline (25%). With z = 0 the state is replaced by the candidate at every step: no keep
    path, and a memory survives only where the candidate reproduces the old state (measure
    how much). Such pins remove a whole mechanism, so each may cost nearly everything. To
    compare the gates fairly, take away only their choices, as the section did for r: copy
    accuracy_with_reset, hold z at each unit's mean instead of r, and set the loss beside
    the reset gate's. The gate whose choices cost more is the one the model relies on; if it
    is z, the memory runs through the skip of claim 5.
    """),
)

three_digits = OpenQuestion(
    later.tr("Three digits"),
    (
        later.tr(
            "train_recipe builds the model from the task (10 outputs for sums 0..9); rerun "
            "gate_stats and stats_table on the new model and on untrained(valid3, 'distractor')."
        ),
        later.tr(
            "Baseline first: the most likely sum of three digits 0..3 is 4 or 5, each 12 of the 64 "
            "combinations."
        ),
    ),
    later.tr("""
        kwargs = dict(num_steps=100, num_relevant=3, num_values=4, num_distractors=4)
        model3, history3, valid3 = train_recipe(
            "distractor", "gru", seed=seed, device=device, num_epochs=distractor_epochs,
            task_kwargs=kwargs,
        )
        stats_table({"untrained": gate_stats(untrained(valid3, "distractor"), valid3, labels),
                     "trained": gate_stats(model3, valid3, labels)})

    First check the accuracy against the new baseline, 12/64 = 18.75% (valid3.baseline): the
    gate table means something only if the model learned the task; if it is still rising,
    train longer. Then set it beside section 4's table for two digits, column by column:
    mean z at digits and at distractors, the share of gates above 0.99, how far the state
    moves per digit and per distractor. A similar table: the same write-at-digits,
    keep-elsewhere mechanism, now holding a sum of up to 9. Lower z at digits, or more units
    writing: each digit has to change more of the state. A weaker digit/distractor contrast
    with the model still right: it leans more on the candidate path (section 4's caveat).
    """),
)

open_questions = (other_formulation, half_open, skip_trained, which_gate, three_digits)
