"""Chapter 07 (encoder–decoder): ``masked_loss`` and ``length_normalised_score``."""

import torch
import torch.nn.functional as F

from lstm_gru.exercises.core import Case, CodeExercise

__all__ = ["length_normalised_score", "masked_loss", "sequence_mask"]


def masked_loss_reference(logits, targets, valid_len):
    """Mean cross-entropy over the real tokens only. logits (batch_size, num_steps,
    vocab_size); targets (batch_size, num_steps) ids; valid_len (batch_size,): sequence i's
    first valid_len[i] steps are real, the rest padding. Returns a scalar tensor."""
    losses = F.cross_entropy(logits.permute(0, 2, 1), targets, reduction="none")  # (B, T)
    real = torch.arange(targets.shape[1])[None, :] < valid_len[:, None]  # (B, T)
    return (losses * real).sum() / real.sum()


def _masked(logits, targets, valid_len, extra=0):
    """(token losses with padding zeroed, real-token mask), each (batch_size, num_steps);
    ``extra`` counts that many padded steps as real too."""
    real = torch.arange(targets.shape[1])[None, :] < valid_len[:, None] + extra
    return F.cross_entropy(logits.permute(0, 2, 1), targets, reduction="none") * real, real


def _mean_over_padding_too(logits, targets, valid_len):
    return _masked(logits, targets, valid_len)[0].mean()  # d2l's MaskedSoftmaxCELoss, averaged


def _mean_of_sequence_means(logits, targets, valid_len):
    return (_masked(logits, targets, valid_len)[0].sum(1) / valid_len).mean()


def _one_too_many(logits, targets, valid_len):
    losses, real = _masked(logits, targets, valid_len, extra=1)
    return losses.sum() / real.sum()


def _summed(logits, targets, valid_len):
    return _masked(logits, targets, valid_len)[0].sum()


def _loss_cases() -> list[Case]:
    cases = []
    for label, batch_size, num_steps, valid, seed in [
        ("batch 1, length 1, no padding", 1, 1, [1], 0),
        ("batch 3 with padding", 3, 5, [5, 2, 3], 1),
        ("batch 4 with padding", 4, 6, [1, 6, 4, 2], 2),
    ]:
        gen = torch.Generator().manual_seed(seed)
        logits = 3 * torch.randn(batch_size, num_steps, 7, generator=gen)
        targets = torch.randint(0, 7, (batch_size, num_steps), generator=gen)
        cases.append(Case(label, (logits, targets, torch.tensor(valid))))
    return cases


masked_loss = CodeExercise(
    "ch07.masked_loss",
    masked_loss_reference,
    _loss_cases,
    names=("the loss",),
    hints=(
        "F.cross_entropy(logits.permute(0, 2, 1), targets, reduction='none') gives one loss "
        "per token, (batch_size, num_steps).",
        "A mask torch.arange(num_steps)[None, :] < valid_len[:, None] is True at real tokens.",
        "Divide the masked sum by the number of real tokens, not by batch_size * num_steps.",
    ),
    mistakes={
        "averaging over every position, padding included (the d2l book's MaskedSoftmaxCELoss)": _mean_over_padding_too,
        "averaging each sequence first, then the sequences (a short word then weighs as much "
        "as a long one)": _mean_of_sequence_means,
        "counting one token too many per sequence (<= valid_len instead of <)": _one_too_many,
        "summing instead of averaging": _summed,
    },
)


def length_normalised_score_reference(log_prob, length, alpha):
    """Beam search's score of a finished hypothesis: its summed log-probability divided by
    length ** alpha, length = the generated tokens, <eos> included (alpha = 0: no
    normalisation). Returns a float."""
    return log_prob / length**alpha


def _score_cases() -> list[Case]:
    return [
        Case("a 3-token output, alpha 0.75", (-2.5, 3, 0.75)),
        Case("a 1-token output, alpha 0.75", (-0.7, 1, 0.75)),
        Case("alpha 0: no normalisation", (-4.0, 6, 0.0)),
        Case("alpha 1: the mean per token", (-6.0, 4, 1.0)),
    ]


length_normalised_score = CodeExercise(
    "ch07.length_normalised_score",
    length_normalised_score_reference,
    _score_cases,
    names=("the score",),
    atol=1e-9,
    hints=(
        "Log-probabilities are negative and only fall as tokens are added; dividing by a "
        "power of the length takes away the advantage of stopping early.",
        "score = log_prob / length ** alpha.",
    ),
    mistakes={
        "dividing by the length and ignoring alpha": lambda lp, n, a: lp / n,
        "no normalisation at all": lambda lp, n, a: lp,
        "multiplying by length ** alpha": lambda lp, n, a: lp * n**a,
    },
)


def sequence_mask_reference(valid_len, num_steps):
    """valid_len (batch_size,) -> a bool mask (batch_size, num_steps), True at real tokens
    (the first valid_len[i] steps of row i), False at padding."""
    return torch.arange(num_steps)[None, :] < valid_len[:, None]


sequence_mask = CodeExercise(
    "ch07.sequence_mask",
    sequence_mask_reference,
    lambda: [
        Case("one sequence of length 1", (torch.tensor([1]), 1)),
        Case("batch 3, width 5", (torch.tensor([5, 2, 0]), 5)),
        Case("width wider than every length", (torch.tensor([1, 3]), 6)),
    ],
    names=("the mask",),
    dims=("batch row", "step"),
    convert=lambda mask: torch.as_tensor(mask).to(torch.int64),
    atol=0,
    hints=("Compare a row of positions 0 .. num_steps - 1 with each length, by broadcasting.",),
    mistakes={
        "<= instead of < (one padded step too many)": lambda v, n: (
            torch.arange(n)[None, :] <= v[:, None]
        ),
        "the positions counted from the end": lambda v, n: (
            torch.arange(n).flip(0)[None, :] < v[:, None]
        ),
    },
)
