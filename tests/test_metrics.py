"""Edit distance, phoneme and word error rates, and BLEU against d2l's."""

import pytest
from d2l import torch as d2l

from lstm_gru.metrics import (
    bleu,
    closest_reference,
    edit_distance,
    error_rates_by_length,
    length_group,
    phoneme_error_rate,
    word_error_rate,
)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("kitten", "sitting", 3),  # two substitutions and one insertion
        ("", "abc", 3),
        ("abc", "", 3),
        ("", "", 0),
        ("flaw", "lawn", 2),
        ("abc", "abc", 0),
        (["K", "AE", "T"], ["K", "AA", "T", "S"], 2),
        (("R", "IY", "D"), ["R", "EH", "D"], 1),
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_closest_reference_prefers_fewest_edits_then_the_longer_reference():
    assert closest_reference(["R", "IY", "D"], [["R", "EH", "D"], ["R", "IY", "D"]]) == (0, 3)
    assert closest_reference(["A", "B"], [["A"], ["A", "B", "C"]]) == (1, 3)
    with pytest.raises(ValueError, match="at least one reference"):
        closest_reference(["A"], [])


def test_error_rates_use_the_closest_of_several_pronunciations():
    predictions = [["R", "EH", "D"], ["K", "AE", "T"], ["D", "AO", "G", "Z"]]
    references = [
        [["R", "IY", "D"], ["R", "EH", "D"]],  # "read": the second pronunciation matches
        [["K", "AE", "T"]],  # "cat": right
        [["D", "AO", "G"]],  # "dog": one insertion
    ]
    assert phoneme_error_rate(predictions, references) == pytest.approx(1 / 9)
    assert word_error_rate(predictions, references) == pytest.approx(1 / 3)
    # the same word scored against only its first pronunciation would count as wrong
    assert word_error_rate(predictions[:1], [references[0][:1]]) == 1.0
    assert phoneme_error_rate(predictions[:1], [references[0][:1]]) == pytest.approx(1 / 3)


def test_error_rates_reject_mismatched_inputs():
    with pytest.raises(ValueError, match="same length, got 1 predictions and 2 reference"):
        word_error_rate([["A"]], [[["A"]], [["B"]]])
    with pytest.raises(ValueError, match="predictions must not be empty"):
        phoneme_error_rate([], [])


# The d2l book's examples (section 10.7) and a few more, including repeated n-grams (clipping),
# a prediction longer than the label and one shorter than k.
BLEU_CASES = [
    ("va !", "va !"),
    ("j'ai perdu .", "j'ai perdu ."),
    ("il est calme .", "il est riche ."),
    ("je suis chez moi .", "je suis chez moi ."),
    ("il est <unk> .", "il est mouillé ."),
    ("the the the the", "the cat is on the mat"),
    ("a b c d e f", "a b c"),
    ("a b", "a b c d e"),
    ("a a b a a b", "a a b"),
    ("x y z", "a b c"),
]


@pytest.mark.parametrize(("pred", "label"), BLEU_CASES)
@pytest.mark.parametrize("k", [1, 2, 4])
def test_bleu_matches_d2l(pred, label, k):
    assert bleu(pred, label, k) == pytest.approx(d2l.bleu(pred, label, k), abs=1e-12)


def test_bleu_values():
    assert bleu("va !", "va !", 2) == 1.0
    assert bleu("il est calme .", "il est riche .", 2) == pytest.approx(0.658, abs=1e-3)
    assert bleu("x y z", "a b c", 2) == 0.0
    with pytest.raises(ValueError, match="k .* must be an int >= 1, got 0"):
        bleu("a", "a", 0)


def test_error_rates_by_length_group_the_words_by_their_letters():
    words = ["cat", "tomato", "potato", "internationally"]
    references = [
        [("K", "AE", "T")],
        [("T", "AH", "M", "EY", "T", "OW")],
        [("P", "AH")],
        [("X",) * 5],
    ]
    predictions = [("K", "AE", "T"), ("T", "AH", "M", "AA", "T", "OW"), ("P", "AH"), ("X",) * 4]
    rates = error_rates_by_length(words, predictions, references)
    assert list(rates) == ["1-4", "6", "12+"]  # groups without words are left out
    assert rates["1-4"] == (1, 0.0, 0.0)
    assert rates["6"] == (2, pytest.approx(1 / 8), 0.5)  # one edit in 6 + 2 phonemes
    assert rates["12+"] == (1, pytest.approx(1 / 5), 1.0)
    assert [length_group(n) for n in (1, 4, 5, 11, 12, 30)] == [
        "1-4",
        "1-4",
        "5",
        "11",
        "12+",
        "12+",
    ]
    with pytest.raises(ValueError, match="words and predictions must have the same length"):
        error_rates_by_length(words[:2], predictions, references)
