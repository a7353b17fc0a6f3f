"""Scores for generated sequences: edit distance, phoneme/word error rates, and d2l's BLEU."""

import collections
import math
from collections.abc import Sequence


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance between two sequences (insertions, deletions, substitutions all cost 1).

    Works on strings (characters) and on lists of tokens such as phonemes:
    ``edit_distance(["K", "AE", "T"], ["K", "AA", "T", "S"]) == 2``.
    """
    if len(a) < len(b):  # keep the row short: O(len(a) * len(b)) time, O(len(b)) memory
        a, b = b, a
    previous = list(range(len(b) + 1))  # distances from a[:0] to every prefix of b
    for i, token_a in enumerate(a, start=1):
        current = [i]
        for j, token_b in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + 1,  # delete token_a
                    current[j - 1] + 1,  # insert token_b
                    previous[j - 1] + (token_a != token_b),  # substitute (free when equal)
                )
            )
        previous = current
    return previous[-1]


def closest_reference(prediction: Sequence, references: Sequence[Sequence]) -> tuple[int, int]:
    """``(edits, reference_length)`` for the reference closest to ``prediction``.

    Ties in edits go to the longer reference (the smaller error rate), so a word with several
    accepted pronunciations is scored against the one the prediction is nearest to.
    """
    if len(references) == 0:
        raise ValueError("references must hold at least one reference sequence, got none")
    return min(
        ((edit_distance(prediction, ref), len(ref)) for ref in references),
        key=lambda pair: (pair[0], -pair[1]),
    )


def _check_pairs(predictions: Sequence, references: Sequence) -> None:
    if len(predictions) != len(references):
        raise ValueError(
            f"predictions and references must have the same length, "
            f"got {len(predictions)} predictions and {len(references)} reference lists"
        )
    if len(predictions) == 0:
        raise ValueError("predictions must not be empty")


def phoneme_error_rate(
    predictions: Sequence[Sequence], references: Sequence[Sequence[Sequence]]
) -> float:
    """PER: total edits / total reference phonemes, each word against its closest reference.

    ``predictions[i]`` is one phoneme sequence; ``references[i]`` the list of accepted
    pronunciations of word ``i`` (one or more phoneme sequences).
    """
    _check_pairs(predictions, references)
    edits = total = 0
    for prediction, refs in zip(predictions, references, strict=True):
        word_edits, ref_len = closest_reference(prediction, refs)
        edits += word_edits
        total += ref_len
    return edits / total


def word_error_rate(
    predictions: Sequence[Sequence], references: Sequence[Sequence[Sequence]]
) -> float:
    """WER: the fraction of words whose prediction matches none of their references exactly."""
    _check_pairs(predictions, references)
    wrong = sum(
        all(list(prediction) != list(ref) for ref in refs)
        for prediction, refs in zip(predictions, references, strict=True)
    )
    return wrong / len(predictions)


def bleu(pred_seq: str, label_seq: str, k: int) -> float:
    """BLEU as the d2l book defines it (section "Sequence to Sequence Learning"), for one pair.

    ``pred_seq`` and ``label_seq`` are space-separated token strings; ``k`` is the longest n-gram.
    ``exp(min(0, 1 - len_label / len_pred)) * prod_n p_n ** (1 / 2**n)`` for n = 1..min(k, len_pred),
    where ``p_n`` is the clipped n-gram precision. Matches ``d2l.bleu`` exactly.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k (the longest n-gram) must be an int >= 1, got {k!r}")
    pred_tokens, label_tokens = pred_seq.split(" "), label_seq.split(" ")
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))  # brevity penalty
    for n in range(1, min(k, len_pred) + 1):
        label_ngrams = collections.Counter(
            " ".join(label_tokens[i : i + n]) for i in range(len_label - n + 1)
        )
        num_matches = 0
        for i in range(len_pred - n + 1):
            ngram = " ".join(pred_tokens[i : i + n])
            if label_ngrams[ngram] > 0:  # each label n-gram can be matched once (clipping)
                num_matches += 1
                label_ngrams[ngram] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


LENGTH_GROUPS = ("1-4", "5", "6", "7", "8", "9", "10", "11", "12+")  # letters in a word


def length_group(num_letters: int) -> str:
    """The ``LENGTH_GROUPS`` entry of a word with ``num_letters`` letters."""
    return "1-4" if num_letters <= 4 else "12+" if num_letters >= 12 else str(num_letters)


def error_rates_by_length(
    words: Sequence[str], predictions: Sequence[Sequence], references: Sequence[Sequence[Sequence]]
) -> dict[str, tuple[int, float, float]]:
    """``{group: (number of words, PER, WER)}`` per word-length group, in ``LENGTH_GROUPS``
    order, for the groups that have words (``phoneme_error_rate`` and ``word_error_rate`` of
    each group's words)."""
    _check_pairs(predictions, references)
    if len(words) != len(predictions):
        raise ValueError(
            f"words and predictions must have the same length, got {len(words)} words and "
            f"{len(predictions)} predictions"
        )
    members = {group: [] for group in LENGTH_GROUPS}
    for i, word in enumerate(words):
        members[length_group(len(word))].append(i)
    rates = {}
    for group, index in members.items():
        if index:
            preds, refs = [predictions[i] for i in index], [references[i] for i in index]
            rates[group] = (
                len(index),
                phoneme_error_rate(preds, refs),
                word_error_rate(preds, refs),
            )
    return rates
