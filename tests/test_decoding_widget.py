"""DecodingExplorer and its static twin: every number shown is the model's own, updates redraw."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lstm_gru.data import Vocab  # noqa: E402
from lstm_gru.encoder_decoder import greedy_decode  # noqa: E402
from lstm_gru.g2p import SPECIALS, g2p_model, predict  # noqa: E402
from lstm_gru.widgets import (  # noqa: E402
    MAX_BEAM_SIZE,
    DecodingExplorer,
    decoding_figure,
    trace_decoding,
)

LETTERS = Vocab(list("abcdefghijklmnopqrstuvwxyz'"), reserved_tokens=SPECIALS)
PHONEMES = Vocab(["AA", "AE", "AH", "B", "D", "IY", "K", "N", "S", "T"], reserved_tokens=SPECIALS)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tiny_model(cell: str = "gru") -> torch.nn.Module:
    """A seeded untrained model with peaked output distributions (so <eos> wins sometimes)."""
    torch.manual_seed(0)
    model = g2p_model(len(LETTERS), len(PHONEMES), embed_size=8, num_hiddens=16, cell=cell)
    with torch.no_grad():
        model.decoder.dense.weight.mul_(6.0)
        model.decoder.dense.bias[PHONEMES["<eos>"]] += 1.0  # "banana": beam beats greedy
    return model


@pytest.fixture(scope="module")
def model():
    return tiny_model()


@pytest.fixture
def explorer(model):
    return DecodingExplorer(model, LETTERS, PHONEMES, word="banana", beam_size=3)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("word", ["cat", "banana", "Stack'd"])
def test_trace_is_what_the_decoders_return(cell, word):
    model = tiny_model(cell)
    trace = trace_decoding(model, LETTERS, PHONEMES, word, beam_size=3, top_k=4)
    assert trace.word == word.lower() and trace.unknown == 0
    assert trace.greedy == predict(model, [word], LETTERS, PHONEMES)[0]
    assert trace.beam[0][0] == predict(model, [word], LETTERS, PHONEMES, beam_size=3)[0]
    src = torch.tensor([LETTERS[list(word.lower())]])
    bos, eos = PHONEMES["<bos>"], PHONEMES["<eos>"]
    _, log_prob = greedy_decode(model, src, 2 * len(word) + 5, bos=bos, eos=eos)
    assert trace.greedy_log_prob == pytest.approx(float(log_prob[0]), abs=1e-5)
    # each step's candidates: the model's distribution given the greedy prefix (teacher forced)
    dec_in = torch.tensor([[bos, *PHONEMES[trace.greedy]]])[:, : len(trace.candidates)]
    with torch.no_grad():
        logits, _ = model(src, dec_in, torch.tensor([len(word)]))  # (1, steps, vocab_size)
    probs = torch.softmax(logits[0], dim=-1)  # (steps, vocab_size)
    for t, step in enumerate(trace.candidates):
        top_p, top = probs[t].topk(4)
        assert [tok for tok, _ in step] == PHONEMES.to_tokens(top.tolist())
        assert [p for _, p in step] == pytest.approx(top_p.tolist(), abs=1e-6)
    assert [step[0][0] for step in trace.candidates[: len(trace.greedy)]] == trace.greedy


def test_beam_steps_and_finished_hypotheses(model):
    trace = trace_decoding(model, LETTERS, PHONEMES, "banana", beam_size=3)
    assert trace.num_steps == max(len(trace.candidates), len(trace.beam_steps))
    assert all(1 <= len(step) <= 3 for step in trace.beam_steps)
    for step in trace.beam_steps:
        lps = [lp for _, lp, _ in step]
        assert lps == sorted(lps, reverse=True)  # the beam is kept best first
    ended = [(t, lp) for step in trace.beam_steps for t, lp, end in step if end]
    assert ended and trace.beam[0] in ended  # the answer is a hypothesis that chose <eos>
    last = len(trace.beam_steps)
    assert trace.finished_before(last + 1) == sorted(ended, key=lambda p: p[1], reverse=True)
    assert trace.finished_before(1) == []
    assert trace.greedy == ["T", "AA", "AA"] and trace.beam[0][0] == ["AA"]
    assert trace.beam[0][1] > trace.greedy_log_prob  # the beam found a more probable output
    one = trace_decoding(model, LETTERS, PHONEMES, "banana", beam_size=1)
    assert one.beam[0][0] == one.greedy  # a beam of one is greedy decoding


def test_unknown_letters_and_bad_arguments(model):
    trace = trace_decoding(model, LETTERS, PHONEMES, "ça va")  # 'ç' and ' ' are not letters
    assert trace.unknown == 2
    with pytest.raises(ValueError, match="word must be a non-empty str, got ''"):
        trace_decoding(model, LETTERS, PHONEMES, "")
    with pytest.raises(ValueError, match="beam_size must be >= 1"):
        trace_decoding(model, LETTERS, PHONEMES, "cat", beam_size=0)
    with pytest.raises(TypeError, match="model must be an encoder-decoder"):
        trace_decoding(torch.nn.GRU(3, 4), LETTERS, PHONEMES, "cat")


def test_grid_and_beam_rows_show_the_trace(explorer):
    drawing, trace = explorer.drawing, explorer.trace
    steps = len(trace.candidates)
    assert drawing.image.get_array().shape == (5, steps)
    assert drawing.image.get_array()[0, 0] == pytest.approx(trace.candidates[0][0][1])
    assert len(drawing.cell_texts) == sum(len(s) for s in trace.candidates)
    assert drawing.cell_texts[0].get_text() == f"{trace.candidates[0][0][0]}\n" + (
        f"{trace.candidates[0][0][1]:.2f}"
    )
    assert explorer.step == drawing.step == trace.num_steps  # a new word shows the end
    explorer.set_step(2)
    assert drawing.box.get_x() == 0.5 and drawing.box.get_visible()
    rows = drawing.beam_rows(2)
    assert [(t, lp) for t, lp, _ in rows[:3]] == [(t, lp) for t, lp, _ in trace.beam_steps[1]]
    shown = [t.get_text() for t in drawing.row_texts if t.get_text()]
    assert len(shown) == len(rows)
    assert drawing.prob_texts[0].get_text() == f"p = {math.exp(rows[0][1]):.3g}"
    widths = [bar.get_width() for bar in drawing.bars if bar.get_visible()]
    assert max(widths) == pytest.approx(drawing.BAR_WIDTH)  # the best row is a full bar
    with pytest.raises(ValueError, match=r"step must be in \[1, \d+\] for the current word"):
        explorer.set_step(trace.num_steps + 1)


def test_typing_and_sliders_change_the_image(explorer):
    figure, before = explorer.figure, explorer.image.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n"
    explorer.text_box.value = "cat"  # what the browser does
    assert explorer.trace.word == "cat" and explorer.image.value != before
    assert explorer.figure is figure  # built once
    before = explorer.image.value
    explorer.beam_slider.value = 5
    assert explorer.trace.beam_size == 5 and explorer.image.value != before
    before = explorer.image.value
    explorer.step_slider.value = 1
    assert explorer.drawing.step == 1 and explorer.image.value != before
    explorer.set_beam_size(2)  # keeps the step where it exists
    assert explorer.trace.beam_size == 2 and explorer.step == 1
    assert "<b>cat</b>: greedy <code>" in explorer.readout.value


def test_empty_box_shows_a_message_and_code_gets_an_error(explorer):
    explorer.text_box.value = "   "
    assert explorer.trace is None and explorer.image.layout.display == "none"
    assert "Type a word" in explorer.readout.value
    explorer.beam_slider.value = 4  # nothing to decode: no error
    explorer.text_box.value = "dab"
    assert explorer.trace.word == "dab" and explorer.trace.beam_size == 4
    assert explorer.image.layout.display is None
    with pytest.raises(ValueError, match="word must be a non-empty str, got ''"):
        explorer.set_word("")
    with pytest.raises(ValueError, match=rf"beam_size must be an int in \[1, {MAX_BEAM_SIZE}\]"):
        explorer.set_beam_size(MAX_BEAM_SIZE + 1)
    explorer.set_word("x y")
    assert "1 characters not in the vocabulary" in explorer.readout.value


def test_displays_itself_as_a_widget(explorer):
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == "DecodingExplorer: an interactive widget (run it in Jupyter)"
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == (
        explorer.widget.model_id
    )


def test_update_is_fast(explorer):
    """A new word: decode greedy and with a beam of 8, then redraw. Generous bound here."""
    explorer.set_beam_size(MAX_BEAM_SIZE)
    explorer.set_word("antidisestablishment")
    assert explorer.render_ms < 2000


def test_decoding_figure_is_the_static_twin(model):
    fig = decoding_figure(model, LETTERS, PHONEMES, "banana", beam_size=2, step=3, top_k=3)
    assert fig in map(plt.figure, plt.get_fignums())  # a pyplot figure: shows inline
    trace = trace_decoding(model, LETTERS, PHONEMES, "banana", beam_size=2, top_k=3)
    grid = fig.axes[0]
    assert grid.images[0].get_array().shape == (3, len(trace.candidates))
    assert grid.patches[0].get_x() == 1.5
    assert fig.axes[1].get_title(loc="left").endswith("after step 3")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_decoding_on_cuda(model):
    cpu = trace_decoding(model, LETTERS, PHONEMES, "banana", beam_size=3)
    gpu = trace_decoding(tiny_model().to("cuda"), LETTERS, PHONEMES, "banana", beam_size=3)
    assert gpu.greedy == cpu.greedy and gpu.beam[0][0] == cpu.beam[0][0]


def test_an_attention_model_shows_where_each_greedy_step_looks():
    from lstm_gru.attention import alignment

    torch.manual_seed(0)
    model = g2p_model(len(LETTERS), len(PHONEMES), embed_size=8, num_hiddens=16, attention=True)
    trace = trace_decoding(model, LETTERS, PHONEMES, "banana", beam_size=2)
    assert trace.greedy == predict(model, ["banana"], LETTERS, PHONEMES)[0]
    eos_if_any = [PHONEMES["<eos>"]] if len(trace.candidates) > len(trace.greedy) else []
    expected = alignment(
        model,
        torch.tensor([LETTERS[list("banana")]]),
        PHONEMES[trace.greedy] + eos_if_any,
        PHONEMES["<bos>"],
    )
    assert torch.tensor(trace.attention) == pytest.approx(expected, abs=1e-6)
    explorer = DecodingExplorer(model, LETTERS, PHONEMES, word="banana", beam_size=2)
    drawing = explorer.drawing
    assert [t.get_text() for t in drawing.letter_texts] == list("banana")
    explorer.set_step(1)
    assert drawing.letter_image.get_array()[0].tolist() == pytest.approx(trace.attention[0])
    explorer.set_word("cab")
    assert [t.get_text() for t in drawing.letter_texts] == list("cab")
    assert drawing.letter_image.get_array().shape == (1, 3)
    assert DecodingExplorer(tiny_model(), LETTERS, PHONEMES, word="cab").drawing.letter_ax is None
