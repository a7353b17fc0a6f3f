"""The claims: the checker itself, and the list of conclusions each chapter checks.

Reproducibility policy (the README's "Reproducible on every machine" section says the same
for instructors):

* Outputs that are exact on every machine (shapes, parameter counts, vocabularies, equivalence
  checks printed as "max |difference| < 1e-05: True", decoded examples from fixed weights) are
  compared strictly by nbval.
* Outputs that depend on the order of floating-point operations (training curves,
  perplexities, accuracies, sampled text, timings) are stored for the reader but not compared:
  their cells carry the tag ``nbval-ignore-output``. Every conclusion the text draws from them
  is a ``lstm_gru.claims.claim`` in the cell after, whose output ("✔ ...") is compared
  strictly, so a conclusion that stops holding fails the suite on any machine.
* Test-harness markers live in cell tags, never in the text a student reads
  (tests/test_notebook_text.py).

``CLAIMS`` lists every chapter's claims; a claim added, removed or reworded in a notebook must
be listed here too, so a change in what a chapter asserts is always a visible change.
"""

import ast
import re
from pathlib import Path

import pytest

from lstm_gru.claims import SMOKE_ENV, ClaimError, claim
from tests.test_notebook_text import CHAPTERS, cells

ROOT = Path(__file__).resolve().parents[1]
IGNORE = "nbval-ignore-output"

CLAIMS = {
    "01_gating": [
        "the vanilla RNN and the default-initialised LSTM stay at chance (within 5 points of 25%)",
        "the chrono-initialised LSTM and GRU solve the task (held-out accuracy >= 95%)",
        "the vanilla RNN stays at the no-memory baseline (MSE within 10% of 0.167)",
        "the chrono-initialised LSTM and GRU solve it (MSE below 0.01)",
        "before training, no unit of the default-initialised LSTM keeps even 1e-6 over 100 steps",
        "on the adding problem, leaving the baseline (MSE below 0.05) and opening a forget gate (a unit keeping over half) went together: both happened or neither did",
        "on the first-token task it never did (its best unit keeps under 1e-6 after training)",
        "the chrono-initialised LSTM kept more after training than before",
        "the trained RNN and default-initialised LSTM pass the first token a gradient at least 5 decades below the newest step's",
        "the trained chrono-initialised LSTM and GRU pass it at least a hundredth of it (<= 2 decades)",
    ],
    "02_lstm": [
        "the LSTM beats the unigram model by far (held-out perplexity below a third of the unigram model's)",
        "the validation perplexity is lower after the last epoch than after the one before",
        "greedy decoding ends in a loop (its last 48 characters repeat with a period of at most 8)",
        "after 4 to 16 spaces a space is always the single most likely next character",
        "|h| never exceeds 1",
        "the memory cell is not bounded: some |c| exceed 10, and over a third of all exceed 1",
        "on the next 10 characters the state as built predicts best, wiping c costs something and wiping h costs more",
        "over the next 100 characters the differences shrink to under half of those on the first 10",
        "the mean forget gate differs by at least 0.05 between the characters read",
        "the units span a wide range of time scales: over 10 units remember for more than 10 steps, and over 10 for at most 2",
        "most forget and input gate values lie below 0.1 or above 0.9",
        "where a unit keeps its memory (f > 0.9), its input gate is open (i > 0.5) most of the time, and then its candidate mostly adds to the memory (same sign in over 3 of 4 cases)",
        "the 10 units with the largest memories keep their output gates less open: at most 0.8 times the mean over all units",
        "a memory-cell unit follows leading_space with |r| >= 0.6, and no label is followed more closely than the two about indentation",
        "no unit follows strings nearly as closely as the best one follows leading_space (|r| lower by at least 0.1)",
        "in these seeds, a forget-gate bias of 1 helped by less than 0.25 perplexity (about 3%) on average",
    ],
    "03_gru": [
        "the GRU solves the first-token task (held-out accuracy >= 95%)",
        "untrained, the update gate ignores the position (mean z within 0.02 at step 0 and on noise)",
        "trained, the state moves at least 3 times more at the first token than on a noise token",
        "trained, over 10% of the update gates on noise steps are shut (z > 0.99), at least twice as many as untrained",
        "yet the mean update gate on noise steps went down in training",
        "untrained, no unit keeps half of the first token; trained, a few do (1 to 8 of 32)",
        "the GRU solves the distractor task (held-out accuracy >= 95%)",
        "untrained, digits and distractors look the same to the update gate (within 0.02)",
        "trained, the mean update gate is at least 0.05 lower on digits than on distractors",
        "trained, the state moves at least 10 times more at a digit than at a distractor",
        "trained, at least 10% of the update gates on distractor steps are shut (z > 0.99)",
        "one unit switches cleanly: its mean update gate is at least 0.2 lower on digits",
        "holding the reset gate open costs the distractor model at least 40 points of accuracy, and at least 40 points more than the first-token model",
        "held at each unit's mean, the reset gate costs the distractor model at least 10 points, the first-token model at most 5",
        "the model adds the two digits typed in the sentence: 3 + 2 = 5",
    ],
    "04_gru_vs_lstm": [
        "at the shortest length both cells learn the simple task, far above chance (mean >= 60%)",
        "both cells do worse at the longest length than at the shortest, on both tasks",
        "on the harder task the GRU scores higher: over all lengths and seeds, by at least 10 points",
        "with 3/4 of the parameters the GRU language model does as well as the LSTM: its mean held-out perplexity is at most 0.5 above the LSTM's",
        "the LSTM scores better on average in at most one of the complex settings",
    ],
    "05_training": [
        "both models predict better when they read the held-out text as one stream than in windows",
        "in independent windows the model trained that way is better than the carried-state model",
        "read as a stream, the two models are within 0.15 perplexity of each other",
        "for both models, context from 4 to 64 characters back lowers perplexity by more than 8%",
        "for both models, context beyond 64 characters changes perplexity by less than 1%",
        "started from the state other text leaves, the carried-state model also changes by less than 1% beyond 64 characters",
        "with one character of context, the state the start of the training text leaves is worse for it than a zero state",
        "with one character of context the carried-state model is worse than the windows model",
        "over 1,000 characters the carried-state model's memory cells grow at least as large as those of the model trained on 64-character windows",
        "scaling W_hh from 1 to 4 multiplies the gradient norm by more than 100",
        "without clipping the gradient norm exceeds 1,000 at some step",
        "clipped to 1, most steps are shortened; clipped to 10, fewer than a fifth",
        "clipped to 10, the loss of the last 30 steps is lower than without clipping by more than 0.3 nats",
        "clipped to 10, the loss of the last 30 steps is about as low as clipped to 1 (at most 0.3 nats above)",
    ],
    "06_deep_bidirectional": [
        "two layers of 128 beat one layer of 128 (lower validation perplexity)",
        "one wide layer with as many parameters does at least as well as two layers (within 0.1)",
        "the top layer's forget gates are more open than the bottom layer's (mean and share above 0.9)",
        "read with the future in view, the bidirectional model's held-out perplexity is below 1.5",
        "predicting a character it has not seen, the bidirectional model is worse than the one-directional one",
    ],
    "07_encoder_decoder": [
        "the loop written out decodes exactly what lstm_gru's predict does",
        "the model pronounces about half the test words exactly (greedy WER below 55%, PER below 18%)",
        "beam search lowers both error rates",
        "where the decoders disagree, beam search is right more often than greedy decoding",
        "the error per phoneme rises with word length: 5 < 6 < 8 < 10 < 12+ letters",
        "words of 12+ letters have at least 1.8 times the PER of 5-letter words",
    ],
    "08_attention": [
        "attention lowers the greedy phoneme error rate overall, and for every word length from 5 letters up",
        "for words of 12+ letters attention removes at least a third of the fixed context's errors",
        "from 5-letter words to 12+, the fixed context's error per phoneme rises at least twice as much as attention's",
        "trained, the most-weighted letter lies within one letter of the diagonal on average, less than half as far as untrained",
        "where only one of the two prefixes leads to a wrong choice, it is the one with the model's own mistake at least 1.5 times as often as the correct one",
    ],
}


def notebook_claims(path: Path) -> list[str]:
    """The statements of every ``claim(...)`` call in the notebook's code cells, in order."""
    found = []
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "claim":
                statement = node.args[0]
                assert isinstance(statement, ast.Constant), (
                    f"{path.name}: claim statements must be plain strings, got "
                    f"{ast.unparse(statement)}"
                )
                found.append(statement.value)
    return found


def test_a_claim_that_holds_prints_one_fixed_line(capsys):
    assert claim("two is more than one", 2 > 1, measured=2) is None  # no "True" under the cell
    assert capsys.readouterr().out == "✔ two is more than one\n"


def test_a_claim_that_fails_raises_with_the_measured_value(monkeypatch):
    monkeypatch.delenv(SMOKE_ENV, raising=False)
    with pytest.raises(ClaimError, match=r"the RNN stays at chance \(measured: 0.4123\)"):
        claim("the RNN stays at chance", False, measured=0.41234)
    with pytest.raises(ClaimError, match=r"measured: a: 0.5, b: \[1, 2\]"):
        claim("both", False, measured={"a": 0.5, "b": [1, 2]})


def test_a_smoke_run_reports_a_failed_claim_instead_of_raising(monkeypatch, capsys):
    monkeypatch.setenv(SMOKE_ENV, "1")
    claim("solved", False, measured=0.3)
    assert "not checked in this smoke run" in capsys.readouterr().out
    monkeypatch.setenv(SMOKE_ENV, "0")
    with pytest.raises(ClaimError):
        claim("solved", False)


def test_claim_accepts_a_one_element_tensor_and_rejects_an_empty_statement(capsys):
    import torch

    claim("a tensor that holds", torch.tensor(True))
    assert capsys.readouterr().out == "✔ a tensor that holds\n"
    with pytest.raises(TypeError, match="statement must be a non-empty str"):
        claim("  ", True)


@pytest.mark.parametrize("chapter", sorted(CLAIMS) or ["01_gating"])
def test_every_chapter_checks_its_listed_claims(chapter):
    assert notebook_claims(ROOT / "notebooks" / f"{chapter}.ipynb") == CLAIMS[chapter]


def test_chapters_that_train_check_conclusions():
    for path in CHAPTERS:
        trains = any(
            re.search(r"\b(fit|train_recipe|train_g2p)\(", "".join(c["source"]))
            for c in cells(path)
            if c["cell_type"] == "code"
        )
        if trains:
            assert path.stem in CLAIMS and len(CLAIMS[path.stem]) >= 3, path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_claim_cells_are_compared_and_print_only_claims(path):
    for i, cell in enumerate(cells(path)):
        source = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code" and "claim(" in source:
            assert IGNORE not in tags, f"{path.name} cell {i}: a claim cell must be compared"
            assert "print(" not in source, f"{path.name} cell {i}: a claim cell prints only claims"
