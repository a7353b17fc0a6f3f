"""Chapter 05 (training): ``clip_by_global_norm``, ``sequential_batches`` and
``backward_steps``."""

import torch

from lstm_gru.exercises.core import Case, CodeExercise, NumberExercise
from lstm_gru.i18n import later, tr

__all__ = ["backward_steps", "clip_by_global_norm", "sequential_batches"]


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
    explain=lambda n: (
        tr("That would be the case without detach(): the graph would reach back to the start.")
        if n > 64
        else tr("The backward pass covers the whole current window.")
    ),
)
