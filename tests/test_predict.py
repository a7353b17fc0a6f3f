import pytest
from IPython.core.formatters import DisplayFormatter

import lstm_gru.predict
from lstm_gru.predict import PredictFirst

WIPE = "perplexity 9.1 with h wiped, 6.0 with c wiped"
SHOWN = (
    "Predict first: Which wipe hurts more?\n"
    "Measured: perplexity 9.1 with h wiped, 6.0 with c wiped. So: wiping h."
)


@pytest.fixture
def displayed(monkeypatch):
    """The bundles ``reveal`` displays, as a notebook stores them."""
    bundles = []
    monkeypatch.setattr(
        lstm_gru.predict, "display", lambda obj: bundles.append(DisplayFormatter().format(obj)[0])
    )
    return bundles


def test_pick_then_reveal_says_whether_the_pick_matched(displayed):
    p = PredictFirst("Which wipe hurts more?", ["wiping c", "wiping h"])
    assert p.pick is None and "Pick an answer" in p.result.value
    p.choose("wiping c")
    assert p.result.value.startswith("<i>")  # nothing revealed yet
    p.reveal("wiping h", WIPE)
    assert p.result.value == (
        "Measured: perplexity 9.1 with h wiped, 6.0 with c wiped. So: wiping h."
        " You predicted wiping c: not this time. Why might that be?"
    )
    assert [bundle["text/plain"] for bundle in displayed] == [SHOWN]
    p.buttons.value = "wiping h"  # a click after the reveal updates the verdict
    assert "You predicted wiping h: right." in p.result.value


def test_run_all_keeps_the_answer_until_the_pick(displayed):
    p = PredictFirst("Which wipe hurts more?", ["wiping c", "wiping h"])
    p.reveal("wiping h", WIPE)  # "Run All": the experiment ran before any pick
    assert p.verdict() == "Measured. Pick an answer to see the result."
    assert p.result.value == "Measured. Pick an answer to see the result."
    synced = str([w.get_state() for w in (p.widget, *p.widget.children)])  # what the browser gets
    assert "9.1" not in synced and "So:" not in synced
    (bundle,) = displayed  # a static page still has the answer, folded in its HTML
    assert bundle["text/plain"] == SHOWN
    assert bundle["text/html"] == (
        "<details><summary>The measured answer (pick above first)</summary>"
        "Predict first: Which wipe hurts more?<br>"
        "Measured: perplexity 9.1 with h wiped, 6.0 with c wiped. So: wiping h.</details>"
    )
    p.choose("wiping h")
    assert p.result.value == (
        "Measured: perplexity 9.1 with h wiped, 6.0 with c wiped. So: wiping h."
        " You predicted wiping h: right."
    )


def test_reveal_prints_its_text_outside_ipython(capsys):
    PredictFirst("Which wipe hurts more?", ["wiping c", "wiping h"]).reveal("wiping h", WIPE)
    assert capsys.readouterr().out == SHOWN + "\n"


def test_static_text_of_the_question():
    p = PredictFirst("Rises or falls?", ["rises", "falls"])
    assert p.verdict() == "Not revealed yet: run the experiment first."
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
