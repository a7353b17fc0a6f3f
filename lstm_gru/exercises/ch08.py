"""Chapter 08 (attention): ``masked_softmax``, ``dot_product_attention`` and
``additive_scores``."""

import math

import torch

from lstm_gru.exercises.core import Case, CodeExercise
from lstm_gru.i18n import later

__all__ = ["additive_scores", "dot_product_attention", "masked_softmax"]


def masked_softmax_reference(scores, valid_len):
    """Softmax over the last axis of scores (batch_size, num_queries, num_keys), with every
    key at or beyond its row's valid length (valid_len (batch_size,), each >= 1) given weight
    exactly 0. Returns weights of the same shape."""
    keep = torch.arange(scores.shape[-1])[None, None, :] < valid_len[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)


def _zeroed_after(scores, valid_len):
    keep = torch.arange(scores.shape[-1])[None, None, :] < valid_len[:, None, None]
    return torch.softmax(scores, dim=-1) * keep


def _softmax_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [
        Case(
            later.tr("batch 1, one real key of 3"),
            (torch.randn(1, 1, 3, generator=gen), torch.tensor([1])),
        ),
        Case(
            later.tr("batch 2, 2 queries, no padding"),
            (torch.randn(2, 2, 4, generator=gen), torch.tensor([4, 4])),
        ),
        Case(
            later.tr("batch 3 with padding"),
            (3 * torch.randn(3, 2, 5, generator=gen), torch.tensor([2, 5, 3])),
        ),
    ]


masked_softmax = CodeExercise(
    "ch08.masked_softmax",
    masked_softmax_reference,
    _softmax_cases,
    names=(later.tr("the weights"),),
    dims=(later.tr("batch row"), later.tr("query"), later.tr("key")),
    hints=(
        later.tr(
            "Build a mask of the real keys by comparing torch.arange(num_keys) with valid_len."
        ),
        later.tr(
            "Set the scores of padded keys to -inf BEFORE the softmax (masked_fill), so the real "
            "keys' weights still sum to 1."
        ),
    ),
    mistakes={
        later.tr(
            "zeroing the padding after the softmax (the real weights then sum to less than 1)"
        ): _zeroed_after,
        later.tr("no mask at all (the padding gets weight too)"): lambda scores, valid_len: (
            torch.softmax(scores, dim=-1)
        ),
    },
)


def dot_product_attention_reference(queries, keys, values):
    """Scaled dot-product attention without a mask: queries (B, Q, d), keys (B, K, d),
    values (B, K, v) -> softmax(queries @ keys^T / sqrt(d)) @ values, (B, Q, v)."""
    d = queries.shape[-1]
    weights = torch.softmax(queries @ keys.transpose(1, 2) / math.sqrt(d), dim=-1)
    return weights @ values


def _attention_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(1)
    return [
        Case(
            later.tr("one query, one key"),
            (
                torch.randn(1, 1, 2, generator=gen),
                torch.randn(1, 1, 2, generator=gen),
                torch.randn(1, 1, 3, generator=gen),
            ),
        ),
        Case(
            later.tr("batch 2, 3 queries, 4 keys, d = 8"),
            (
                torch.randn(2, 3, 8, generator=gen),
                torch.randn(2, 4, 8, generator=gen),
                torch.randn(2, 4, 5, generator=gen),
            ),
        ),
    ]


def _unscaled(q, k, v):
    return torch.softmax(q @ k.transpose(1, 2), dim=-1) @ v


def _by_d(q, k, v):
    return torch.softmax(q @ k.transpose(1, 2) / q.shape[-1], dim=-1) @ v


dot_product_attention = CodeExercise(
    "ch08.dot_product_attention",
    dot_product_attention_reference,
    _attention_cases,
    names=(later.tr("the output"),),
    dims=(later.tr("batch row"), later.tr("query"), later.tr("feature")),
    hints=(
        later.tr("Scores: queries @ keys.transpose(1, 2), (B, Q, K); scale by 1 / sqrt(d)."),
        later.tr("Softmax over the keys (the last axis), then a batched product with the values."),
    ),
    mistakes={
        later.tr("no scaling by sqrt(d)"): _unscaled,
        later.tr("dividing by d instead of sqrt(d)"): _by_d,
    },
)


def additive_scores_reference(queries, keys, W_q, W_k, w_v):
    """Additive attention's scores (before the softmax): queries (B, Q, q), keys (B, K, k),
    W_q (q, h), W_k (k, h), w_v (h,) -> w_v . tanh(query @ W_q + key @ W_k) for every query and
    key, (B, Q, K)."""
    features = torch.tanh((queries @ W_q)[:, :, None, :] + (keys @ W_k)[:, None, :, :])
    return features @ w_v


def _additive_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(2)
    return [
        Case(
            later.tr("batch 2, 3 queries of size 4, 5 keys of size 6"),
            (
                torch.randn(2, 3, 4, generator=gen),
                torch.randn(2, 5, 6, generator=gen),
                torch.randn(4, 8, generator=gen),
                torch.randn(6, 8, generator=gen),
                torch.randn(8, generator=gen),
            ),
        ),
        Case(
            later.tr("one query, one key"),
            (
                torch.randn(1, 1, 2, generator=gen),
                torch.randn(1, 1, 3, generator=gen),
                torch.randn(2, 4, generator=gen),
                torch.randn(3, 4, generator=gen),
                torch.randn(4, generator=gen),
            ),
        ),
    ]


additive_scores = CodeExercise(
    "ch08.additive_scores",
    additive_scores_reference,
    _additive_cases,
    names=(later.tr("the scores"),),
    dims=(later.tr("batch row"), later.tr("query"), later.tr("key")),
    hints=(
        later.tr("Project first: queries @ W_q is (B, Q, h), keys @ W_k is (B, K, h)."),
        later.tr(
            "Add them with broadcasting as (B, Q, 1, h) + (B, 1, K, h), take tanh, then @ w_v."
        ),
    ),
    mistakes={
        later.tr("leaving out the tanh"): lambda q, k, W_q, W_k, w_v: (
            ((q @ W_q)[:, :, None, :] + (k @ W_k)[:, None, :, :]) @ w_v
        ),
        later.tr("a sigmoid instead of tanh"): lambda q, k, W_q, W_k, w_v: (
            torch.sigmoid((q @ W_q)[:, :, None, :] + (k @ W_k)[:, None, :, :]) @ w_v
        ),
    },
)
