"""GateExplorer and GatePlayground: one figure updated in place, exact values, fast updates."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lstm_gru.bench.widgets import measure_text_update  # noqa: E402
from lstm_gru.data import Vocab  # noqa: E402
from lstm_gru.models import CharRNN  # noqa: E402
from lstm_gru.widgets import (  # noqa: E402
    GateExplorer,
    GatePlayground,
    explorer_figure,
    playground_curves,
    playground_figure,
)

CORPUS = "def f(x):\n\treturn x * 2  # twice\nprint(f(3))\n"
VOCAB = Vocab(CORPUS)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def char_model(cell: str, num_hiddens: int = 6) -> CharRNN:
    torch.manual_seed(0)
    return CharRNN(len(VOCAB), num_hiddens, cell=cell)


GATES = {
    "lstm": ["input", "forget", "output", "candidate", "cell", "hidden"],
    "gru": ["reset", "update", "candidate", "hidden"],
    "rnn": ["hidden"],
}


@pytest.fixture
def explorer():
    return GateExplorer(char_model("lstm"), VOCAB, text="def f(x):")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_heatmaps_are_the_models_own_values(cell):
    """The hidden-state heatmap equals what the fused nn.LSTM / nn.GRU / nn.RNN computes."""
    model = char_model(cell)
    explorer = GateExplorer(model, VOCAB, text="def f(x):")
    assert explorer.drawing.names == GATES[cell]
    ids = VOCAB.encode("def f(x):")[None]  # (1, num_steps)
    with torch.no_grad():
        outputs, _ = model.rnn(model.inputs(ids))  # (num_steps, 1, num_hiddens)
    hidden = explorer.drawing.images[explorer.drawing.names.index("hidden")].get_array()
    assert hidden.shape == (6, 9)  # (units, time)
    np.testing.assert_allclose(hidden, outputs[:, 0].T.numpy(), atol=1e-6)


def test_the_explorer_shows_the_layer_asked_for():
    """layer=1 of a two-layer LSTM: the heatmap is the top layer's hidden state, after typing too."""
    torch.manual_seed(0)
    model = CharRNN(len(VOCAB), 6, cell="lstm", num_layers=2)
    explorer = GateExplorer(model, VOCAB, text="def f(x):", layer=1)
    explorer.set_text("x = f(2)")
    with torch.no_grad():
        outputs, _ = model.rnn(model.inputs(VOCAB.encode("x = f(2)")[None]))  # the top layer's h
    hidden = explorer.drawing.images[explorer.drawing.names.index("hidden")].get_array()
    np.testing.assert_allclose(hidden, outputs[:, 0].T.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="layer must be < num_layers=2 of the module, got layer=2"):
        GateExplorer(model, VOCAB, layer=2)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_set_text_recomputes_in_the_same_figure(cell):
    explorer = GateExplorer(char_model(cell), VOCAB, text="def f(x):")
    figure, before = explorer.figure, explorer.image.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n"
    explorer.set_text("print(x)\n")
    assert explorer.figure is figure  # built once
    assert explorer.trace.num_steps == 9 and explorer.trace.tokens[-1] == "\n"
    explorer.set_text("x = 2 * x + 1")
    assert explorer.trace["hidden"].shape == (13, 1, 6)
    assert explorer.drawing.images[0].get_array().shape == (6, 13)
    assert explorer.step_slider.max == 12
    assert explorer.image.value != before
    labels = [t.get_text() for t in explorer.drawing.line_ax.get_xticklabels()]
    assert labels == list("x␣=␣2␣*␣x␣+␣1")


def test_typing_in_the_text_box_updates(explorer):
    explorer.text_box.value = "f(3)"  # what the browser does
    assert explorer.trace.tokens == list("f(3)")
    assert explorer.drawing.images[0].get_array().shape == (6, 4)


def test_set_step_moves_the_marker_and_the_bars(explorer):
    figure, before = explorer.figure, explorer.image.value
    explorer.set_step(3)
    drawing = explorer.drawing
    assert explorer.step_slider.value == 3 and drawing.step == 3
    assert [box.get_x() for box in drawing.step_boxes] == [2.5] * len(drawing.names)
    assert list(drawing.step_line.get_xdata()) == [3, 3]
    for name, bars in zip(drawing.names, drawing.bars, strict=True):
        lengths = [path.vertices[1, 0] for path in bars.get_paths()]  # (units,)
        np.testing.assert_allclose(lengths, drawing.matrices[name][:, 3])
    assert drawing.step_label.get_text() == "step 3 '␣'"
    assert explorer.figure is figure and explorer.image.value != before
    assert "step 3 <code>␣</code>" in explorer.readout.value
    with pytest.raises(ValueError, match=r"step must be in \[0, 8\] for the current text, got 9"):
        explorer.set_step(9)


def test_set_unit_changes_the_line_data(explorer):
    before = explorer.image.value
    explorer.set_unit(3)
    drawing = explorer.drawing
    for name, line in zip(drawing.names, drawing.lines, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), drawing.matrices[name][3])
    assert [mark.get_ydata()[0] for mark in drawing.unit_marks] == [3] * len(drawing.names)
    assert drawing.unit_label.get_text() == "unit 3"
    assert explorer.image.value != before
    with pytest.raises(ValueError, match=r"unit must be in \[0, 6\), got 6"):
        explorer.set_unit(6)


def test_blitted_image_equals_a_full_redraw(explorer):
    explorer.set_step(2)
    explorer.set_unit(5)
    blitted = explorer.image.value
    explorer.drawing._background = None  # force drawing everything
    assert explorer.drawing.png() == blitted


def test_shorter_text_clamps_the_step(explorer):
    explorer.set_step(8)
    explorer.set_text("ab")
    assert explorer.step == 1 and explorer.drawing.step == 1


def test_empty_text_shows_a_message(explorer):
    explorer.set_text("")
    assert explorer.trace is None
    assert "Type some text" in explorer.readout.value
    assert explorer.image.layout.display == "none"
    explorer.set_unit(2)  # no trace: nothing to draw, no error
    explorer.set_text("x")
    assert explorer.trace.num_steps == 1 and explorer.image.layout.display is None
    assert explorer.drawing.unit == 2


def test_unknown_characters_read_as_unk(explorer):
    explorer.set_text("f(é)")  # 'é' is not in the corpus
    assert "1 characters not in the vocabulary" in explorer.readout.value
    assert explorer.trace.tokens == list("f(é)")


def test_displays_itself_as_a_widget(explorer):
    bundle = explorer._repr_mimebundle_()
    assert (
        bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    )
    assert bundle["text/plain"] == "GateExplorer: an interactive widget (run it in Jupyter)"
    children = explorer.widget.children
    assert explorer.text_box in children and explorer.image in children


def test_text_update_is_fast():
    """100 characters: recompute the gates and redraw. Target < 200 ms; generous bound here."""
    explorer = GateExplorer(char_model("lstm", 32), VOCAB)
    text = (CORPUS * 3)[:100]
    assert measure_text_update(explorer, text, repeats=3) < 1000
    assert explorer.trace.num_steps == 100


def test_bad_model():
    with pytest.raises(TypeError, match=r"model must have \.rnn"):
        GateExplorer(torch.nn.LSTM(3, 4), VOCAB)


def test_explorer_figure_is_the_static_twin():
    fig = explorer_figure(char_model("gru"), VOCAB, "f(3)", step=2, unit=1, names=["update"])
    assert fig in map(plt.figure, plt.get_fignums())  # a pyplot figure: shows inline
    heat = fig.axes[0]
    assert heat.images[0].get_array().shape == (6, 4)
    assert heat.patches[0].get_x() == 1.5


@pytest.mark.gpu
def test_explorer_on_cuda():
    model = char_model("lstm").to("cuda")
    explorer = GateExplorer(model, VOCAB, text="def f(x):")
    assert explorer.trace["cell"].device.type == "cuda"
    assert explorer.drawing.images[0].get_array().shape == (6, 9)


# -- the playground ---------------------------------------------------------------------
@pytest.mark.parametrize("f, i, pulse", [(0.95, 1.0, 1.0), (0.5, 0.3, -2.0), (1.0, 0.7, 1.5)])
def test_cell_keeps_f_to_the_49_of_the_pulse(f, i, pulse):
    steps, c, h = playground_curves(f, i, pulse, pulse_step=1, w=0.9)
    assert steps[0] == 1 and steps[-1] == 50
    assert c[-1] == pytest.approx(f**49 * i * pulse, rel=1e-12)
    _, c, _ = playground_curves(f, i, pulse, pulse_step=20, w=0.9)
    assert np.all(c[:19] == 0) and c[-1] == pytest.approx(f**30 * i * pulse, rel=1e-12)


def test_rnn_curve_is_the_recurrence():
    _, _, h = playground_curves(0.9, 1.0, pulse=1.2, pulse_step=3, w=1.3)
    expected, state = [], 0.0
    for t in range(1, 51):
        state = math.tanh(1.3 * state + (1.2 if t == 3 else 0.0))
        expected.append(state)
    np.testing.assert_allclose(h, expected, rtol=1e-12)
    assert h[-1] > 0.5  # w > 1: tanh saturates at a fixed point instead of fading


def test_playground_updates_in_place():
    playground = GatePlayground()
    figure, before = playground.figure, playground.image.value
    assert playground.values["cell"] == pytest.approx(0.95**49, rel=1e-12)
    playground.set(f=1.0, i=0.5, w=0.5)
    assert playground.figure is figure and playground.image.value != before
    assert playground.values["cell"] == 0.5  # f = 1 keeps the pulse exactly
    np.testing.assert_allclose(playground.drawing.cell_line.get_ydata(), 0.5)
    assert abs(playground.values["rnn"]) < 1e-12  # 0.5**49 * tanh(1): gone
    assert "f<sup>49</sup>" in playground.readout.value
    playground.sliders["pulse_step"].value = 50  # as a browser would
    assert playground.values["cell"] == 0.5 and playground.values["rnn"] == pytest.approx(
        math.tanh(1.0)
    )
    with pytest.raises(ValueError, match=r"parameters must be some of .* got \['g'\]"):
        playground.set(g=1.0)


def test_playground_figure_is_the_static_twin():
    fig = playground_figure(f=0.8, i=1.0, pulse=1.0, pulse_step=1, w=0.9)
    assert fig in map(plt.figure, plt.get_fignums())
    cell_line, rnn_line = fig.axes[0].get_lines()[:2]
    _, c, h = playground_curves(0.8, 1.0, 1.0, 1, 0.9)
    np.testing.assert_array_equal(cell_line.get_ydata(), c)
    np.testing.assert_array_equal(rnn_line.get_ydata(), h)
    with pytest.raises(ValueError, match=r"pulse_step must be an int in \[1, 50\], got 0"):
        playground_curves(0.9, 1.0, pulse_step=0)
