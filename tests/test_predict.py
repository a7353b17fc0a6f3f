import pytest

from lstm_gru.predict import PredictFirst


def test_pick_then_reveal_says_whether_the_pick_matched(capsys):
    p = PredictFirst("Which wipe hurts more?", ["wiping c", "wiping h"])
    assert p.pick is None and "Pick an answer" in p.result.value
    p.choose("wiping c")
    assert p.result.value.startswith("<i>")  # nothing revealed yet
    p.reveal("wiping h", "perplexity 9.1 with h wiped, 6.0 with c wiped")
    assert "You predicted wiping c: not this time." in p.result.value
    assert capsys.readouterr().out == (
        "Predict first: Which wipe hurts more?\n"
        "Measured: perplexity 9.1 with h wiped, 6.0 with c wiped. So: wiping h.\n"
    )
    p.buttons.value = "wiping h"  # a click after the reveal updates the verdict
    assert "You predicted wiping h: right." in p.result.value


def test_no_pick_and_static_text():
    p = PredictFirst("Rises or falls?", ["rises", "falls"])
    assert p.verdict() == "Not revealed yet: run the experiment first."
    p.reveal("rises", "PER 9% at 5 letters, 25% at 12+")
    assert p.verdict().endswith("(You did not pick an answer.)")
    bundle = p._repr_mimebundle_()
    assert bundle["text/plain"] == "Predict first: Rises or falls?\n  (a) rises\n  (b) falls"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_bad_arguments():
    with pytest.raises(ValueError, match="options must be at least two different strs"):
        PredictFirst("q?", ["a", "a"])
    with pytest.raises(ValueError, match="question must be a non-empty str"):
        PredictFirst(" ", ["a", "b"])
    p = PredictFirst("q?", ["a", "b"])
    with pytest.raises(ValueError, match=r"answer must be one of \['a', 'b'\], got 'c'"):
        p.reveal("c", "x")
    with pytest.raises(ValueError, match=r"option must be one of \['a', 'b'\], got 'z'"):
        p.choose("z")
