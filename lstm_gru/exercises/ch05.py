"""Chapter 05 (training): ``clip_by_global_norm``, ``sequential_batches`` and
``backward_steps`` check themselves; the open questions of the chapter's Exercises
(``longer_window``, ``reset_at_random``, ``clip_by_value``, ``how_high``, ``sorted_batches``;
all in ``open_questions``) have hints and a model answer."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise, OpenQuestion
from lstm_gru.i18n import later, tr

__all__ = [
    "backward_steps",
    "clip_by_global_norm",
    "clip_by_value",
    "how_high",
    "longer_window",
    "reset_at_random",
    "sequential_batches",
    "sorted_batches",
]


def clip_by_global_norm_reference(grads, max_norm):
    """Gradient clipping: grads, a tuple of tensors, scaled together by
    min(1, max_norm / ||g||), where ||g|| is the norm of all of them as one vector.
    Returns a tuple of tensors of the same shapes."""
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    scale = min(1.0, max_norm / float(norm)) if float(norm) > 0 else 1.0
    return tuple(g * scale for g in grads)


def _per_tensor(grads, max_norm):
    return tuple(g * min(1.0, max_norm / float(g.norm())) for g in grads)


def _always_scaled(grads, max_norm):
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    return tuple(g * max_norm / norm for g in grads)


def _summed_norms(grads, max_norm):
    norm = sum(float(g.norm()) for g in grads)
    return tuple(g * min(1.0, max_norm / norm) for g in grads)


def _clip_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    big = (10 * torch.randn(3, 4, generator=gen), 10 * torch.randn(4, generator=gen))
    return [
        Case(later.tr("two tensors far above the norm"), (big, 1.0)),
        Case(
            later.tr("below the norm: unchanged"),
            ((0.01 * torch.ones(2, 2), 0.01 * torch.ones(3)), 1.0),
        ),
        Case(later.tr("one tensor, norm 5"), ((torch.tensor([3.0, 4.0]),), 2.5)),
    ]


clip_by_global_norm = CodeExercise(
    "ch05.clip_by_global_norm",
    clip_by_global_norm_reference,
    _clip_cases,
    names=(later.tr("the clipped gradients"),),
    dims=(later.tr("entry"),),
    convert=lambda grads: torch.cat([g.reshape(-1) for g in grads]),  # one vector: say where
    hints=(
        later.tr(
            "Clipping must shorten the step without turning it: what single factor can multiply "
            "every tensor, and when should that factor be 1?"
        ),
        later.tr(
            "First the norm of ALL gradients as one vector: sqrt of the sum of every squared entry."
        ),
        later.tr(
            "Scale only when that norm exceeds max_norm, and then every tensor by the same factor."
        ),
    ),
    mistakes={
        later.tr(
            "clipping each tensor by its own norm (that changes the gradient's direction)"
        ): _per_tensor,
        later.tr("scaling to max_norm even when the norm is already below it"): _always_scaled,
        later.tr(
            "clipping by value, each entry clamped to [-max_norm, max_norm] (that changes the "
            "gradient's direction: large entries are cut, small ones kept)"
        ): lambda grads, max_norm: tuple(g.clamp(-max_norm, max_norm) for g in grads),
        later.tr(
            "the sum of the tensors' norms instead of the norm of all of them as one vector (the "
            "sum is larger, so the gradient is clipped too much)"
        ): _summed_norms,
    },
)


def sequential_batches_reference(ids, batch_size, num_steps):
    """Sequential partitioning: ids (num_tokens,) -> a list of X batches, each (batch_size,
    num_steps), such that row b of batch k + 1 continues row b of batch k. The stream is cut
    into batch_size equal rows (the tail that does not fill a batch is dropped; Y would be the
    same one token ahead, so the last token is kept for it)."""
    num_batches = (len(ids) - 1) // (batch_size * num_steps)
    rows = ids[: num_batches * batch_size * num_steps].reshape(batch_size, -1)
    return [rows[:, k * num_steps : (k + 1) * num_steps] for k in range(num_batches)]


def _consecutive_windows(ids, batch_size, num_steps):
    num_batches = (len(ids) - 1) // (batch_size * num_steps)
    windows = ids[: num_batches * batch_size * num_steps].reshape(-1, num_steps)
    return [windows[k * batch_size : (k + 1) * batch_size] for k in range(num_batches)]


def _batch_cases() -> list[Case]:
    return [
        Case(later.tr("26 tokens, 2 rows of 3"), (torch.arange(26), 2, 3)),
        Case(later.tr("one row"), (torch.arange(10), 1, 4)),
        Case(later.tr("101 tokens, 4 rows of 5"), (torch.arange(101), 4, 5)),
    ]


def _stacked(batches):
    """A list of (batch_size, num_steps) tensors -> one (num_batches, batch_size, num_steps)."""
    return torch.stack(list(batches)) if len(batches) else torch.zeros(0)


sequential_batches = CodeExercise(
    "ch05.sequential_batches",
    sequential_batches_reference,
    _batch_cases,
    names=(later.tr("the batches"),),
    dims=(later.tr("batch"), later.tr("row"), later.tr("step")),
    convert=_stacked,
    hints=(
        later.tr(
            "For row b of batch k + 1 to continue row b of batch k, which part of the stream must "
            "row b of every batch come from?"
        ),
        later.tr("Cut the stream into batch_size long rows with reshape(batch_size, -1) first."),
        later.tr("Batch k is columns k * num_steps to (k + 1) * num_steps of every row."),
    ),
    mistakes={
        later.tr(
            "consecutive windows stacked into batches (row b of the next batch does not continue "
            "row b)"
        ): _consecutive_windows,
    },
)


def _explain_steps(n: float) -> str:
    """Why ``n`` is not the number of steps the 11th window's backward pass runs through."""
    if n == 11 * 64:
        return tr(
            "That is 11 × 64, the answer without detach(): the graph would reach back through "
            "all 11 windows."
        )
    if n == 10 * 64:
        return tr(
            "That is 10 × 64, the steps of the 10 windows read before: detach() cuts them off, "
            "so the backward pass runs through the current window only."
        )
    if n > 64:
        return tr(
            "Only without detach() would the backward pass reach past the current window (to "
            "all 11 windows: 704 steps)."
        )
    return tr("The backward pass covers the whole current window.")


backward_steps = NumberExercise(
    "ch05.backward_steps",
    64,
    question=(
        later.tr(
            "Truncated BPTT with windows of 64 characters: after 10 windows read with the state "
            "carried and detached, through how many time steps does the backward pass of the 11th "
            "run?"
        )
    ),
    worked=(
        later.tr(
            "with the carried state detached before every window, a backward pass runs through the "
            "current window only: 64 steps, however many windows were read before."
        )
    ),
    hints=(later.tr("What does detach() do to the state handed to the next window?"),),
    explain=_explain_steps,
)

longer_window = OpenQuestion(
    later.tr("A longer window"),
    (
        later.tr(
            "How far back can a gradient reach with 128-character windows, and what would the "
            "text have to contain for a model to gain from context beyond 64 characters?"
        ),
        later.tr(
            "Set num_steps = 128 and batch_size = 32 in the parameters cell, rerun sections 2 and "
            "3, and read the context curve at 64 against 128 to 512; histories[name].seconds "
            "holds the time per epoch."
        ),
    ),
    later.tr("""
    With 64-character windows both of section 3's curves are flat past 64 characters (the
    chapter's claims check it). With 128-character windows the gradient reaches 128 steps
    back, so the model can learn dependencies up to that length, but only if the text has
    them: a name defined earlier in a function, the indentation of an enclosing block, a
    docstring's style. A curve that now falls past 64 says the window was the limit; one
    that stays flat says this model and corpus gain little from more context, and the window
    was not what held it back. The targets are the same at every k, so the differences
    between k are measured on the same characters; rerun with a second seed before trusting
    a change of 1-2%.

    Cost: an epoch reads the same characters in half as many batches, each twice as long, so
    the multiply-adds per epoch are the same, as is the memory per batch (32 × 128 = 64 × 64
    positions). Time is not: each batch now runs 128 steps one after the other on 32 rows. On a
    CPU expect an epoch to take somewhat longer; on a GPU, where a step on 32 rows costs
    about as much as on 64, expect up to twice as long. Compare histories[name].seconds.
    """),
)

reset_at_random = OpenQuestion(
    later.tr("Reset at random"),
    (
        later.tr(
            "What does the carried-state model never practise in training, and how often would "
            "it practise it if the state were reset with probability 0.1 per batch?"
        ),
        later.tr(
            "Subclass CarriedStateLoss; in __call__, call self.reset() when a seeded "
            "torch.rand(1, generator=...) is below 0.1, then return super().__call__(model, batch)."
        ),
    ),
    later.tr("""
        class RandomResetLoss(CarriedStateLoss):
            def __init__(self, p=0.1, seed=0):
                super().__init__()
                self.p, self.generator = p, torch.Generator().manual_seed(seed)

            def __call__(self, model, batch):
                if torch.rand(1, generator=self.generator).item() < self.p:
                    self.reset()  # this batch starts from zeros
                return super().__call__(model, batch)

    Train it with train_lm(RandomResetLoss()), add its curve to section 3's and its row to
    section 2's table. Read both ends of the printouts: with 1 character of context the
    carried-state model is far worse than the windows model; at 512 characters, and read as
    a stream, the two are close. About one window in ten now starts from zeros, so expect the
    short-context end to move from the carried model's towards the windows model's, and the
    long end and the stream perplexity to stay near the carried model's. How far it moves is
    the measurement; try p = 0.3 as well.
    """),
)

clip_by_value = OpenQuestion(
    later.tr("Clip by value"),
    (
        later.tr(
            "Clip the vector (3, 0.001) to 0.01 in each component: does the result point the same "
            "way as before?"
        ),
        later.tr(
            "fit clips by norm only, so write section 4's loop out: forward, backward, "
            "nn.utils.clip_grad_value_(model.parameters(), 0.01), step."
        ),
    ),
    later.tr("""
        model = scaled_rnn(explode_scale)
        optimizer = torch.optim.SGD(model.parameters(), lr=explode_lr)
        value_losses = []
        for batch in explode_loader:
            loss, _ = lm_loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), 0.01)
            optimizer.step()
            value_losses.append(loss.item())

    Direction: clamping each component cuts the large ones and keeps the small ones, so the
    proportions change: (3, 0.001) becomes (0.01, 0.001), from 0.02° off the first axis to
    5.7°. When nearly every component is clipped, the step is 0.01 times the gradient's signs.
    Length: the model has 36,997 parameters, so a step is at most 0.01 · √36,997 ≈ 1.9 long,
    the same order as norm clipping at 1, so the comparison with section 4's run clipped to 1
    is mostly one of direction: put sum(value_losses[-30:]) / 30 beside the mean loss of the
    last 30 steps in section 4's table, and the curve beside its figure.
    """),
)

how_high = OpenQuestion(
    later.tr("How high?"),
    (
        later.tr(
            "With SGD at learning rate 1, how long is a step when the gradient's norm is above "
            "the threshold, and when it is below? Set 0.1, 3 and 100 against the norms of "
            "section 4: about 10^4 at the first step, mostly between 1 and 10 after it."
        ),
        later.tr(
            "Train scaled_rnn(explode_scale) as section 4's loop does with clip_norm=theta for "
            "each theta; history.grad_norm holds each step's norm before clipping, so "
            "min(norm, theta) is the length of that step."
        ),
    ),
    later.tr("""
        for theta in (0.1, 3, 100):
            model = scaled_rnn(explode_scale)
            optimizer = torch.optim.SGD(model.parameters(), lr=explode_lr)
            h = fit(model, explode_loader, num_epochs=1, loss_fn=lm_loss, optimizer=optimizer,
                    device=device, clip_norm=theta, progress=False)
            moved = sum(min(n, theta) for n in h.grad_norm)  # lr 1: the path the weights took
            shortened = sum(n > theta for n in h.grad_norm)
            print(theta, shortened, round(moved), sum(h.step_loss[-30:]) / 30)  # last 30 steps
            runs[f"clipped to {theta:g}"] = h  # then draw runs with section 4's plot lines

    A clipped step has length θ, an unclipped one the gradient's norm. Fastest: expect θ = 3
    to end about as low as the chapter's 1 and 10, far below no clipping, since all three cap
    the explosion, which is what helped in section 4; rank the three only after a second
    seed. θ = 0.1 cuts nearly every step to 0.1, so 100 steps move the weights at most 10 in
    all: expect a slow, steady fall that ends above 1, 3 and 10. A threshold that cuts every
    step is a smaller learning rate, not a guard against spikes. θ = 100 cuts the first step
    from about 10^4 to 100, ten times the control's jump, and few later ones: if a jump of 100
    still throws the weights far, the run looks like no clipping. A threshold protects when
    it lies above the normal norms and far below the explosion.
    """),
)

sorted_batches = OpenQuestion(
    later.tr("Sorted batches"),
    (
        later.tr(
            "The encoder packs its input: which parts of the model and of the loss still run over "
            "the padded positions?"
        ),
        later.tr(
            "A batch (src, src_len, dec_in, labels, label_len) of G2PBatches has src.numel() - "
            "src_len.sum() padded letters and labels.numel() - label_len.sum() padded phoneme "
            "steps; sum them over an epoch."
        ),
    ),
    later.tr("""
        def padded(batches):  # padded letters and phoneme steps in one epoch
            return sum(int(src.numel() - src_len.sum() + labels.numel() - label_len.sum())
                       for src, src_len, _, labels, label_len in batches)

        shuffled = random.Random(0).sample(data.train, len(data.train))
        by_length = sorted(data.train, key=lambda entry: len(entry[0]))
        for pairs, shuffle in ((shuffled, False), (data.train, True), (by_length, False)):
            print(padded(G2PBatches(pairs, data.letters, data.phonemes, 256, shuffle=shuffle)))

    Packing keeps padding out of the encoder's recurrence, but the embeddings, the
    teacher-forced decoder and the loss run over every padded position. Counted on the
    course's split (batch 256): random batches hold about 1.87 million padded positions per
    epoch, more than the 1.79 million real ones; chapter 07's G2PBatches, which sorts within
    chunks of 50 batches, 0.34 million; a full sort 0.29 million, nearly all of it phoneme
    steps (one spelling length, pronunciations of several lengths). So chapter 07 already
    saves most of it. A full sort saves a little more, but it feeds the batches from the
    shortest words to the longest unless they are shuffled afterwards, as G2PBatches does.
    """),
)

open_questions = (longer_window, reset_at_random, clip_by_value, how_high, sorted_batches)
