"""Interactive widgets (ipywidgets 8) for the gating chapters, each with a static twin.

- :class:`GateExplorer`: type text, see every gate of a character model over time, pick a
  step and a unit. Static twin: :func:`explorer_figure`.
- :class:`GatePlayground`: how an LSTM cell state keeps a pulse (c_t = f c_{t-1} + i x_t)
  while a vanilla RNN's state decays (h_t = tanh(w h_{t-1} + x_t)). Static twin:
  :func:`playground_figure`.
- :class:`DecodingExplorer`: type a word, watch an encoder-decoder pronounce it step by step,
  greedy and with a beam. Static twin: :func:`decoding_figure`.

Each widget builds ONE matplotlib figure, updates its artists on every change and shows
it as PNG bytes in an ``ipywidgets.Image`` (no ipympl needed, no flicker, no pile of
figures). Sizes come from rcParams, so :func:`lstm_gru.present.presentation_mode` (called
before building a widget) makes them projector-sized.
"""

import contextlib
import html
import io
import math
import statistics
import time
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.transforms import blended_transform_factory

from lstm_gru.cells import trace_gates
from lstm_gru.checks import check_positive_int
from lstm_gru.encoder_decoder import beam_search
from lstm_gru.viz import (
    check_names,
    color_limits,
    colormap,
    gate_kind,
    gate_matrix,
    max_time_labels,
    printable_token,
    time_ticks,
)

DEFAULT_TEXT = "def area(r):\n    return 3.14 * r ** 2\n"
WIDGET_DPI = 80  # fixed, so PNG bytes are deterministic and rendering stays fast
PNG_OPTIONS = {"compress_level": 1}  # fast PNG encoding; the image is sent once per change
MARKER = {"fill": False, "edgecolor": "black", "linewidth": 1.0}
HALO = [withStroke(linewidth=2.5, foreground="white")]  # visible on dark and light cells


def figure_png(fig: Figure, dpi: int = WIDGET_DPI) -> bytes:
    """Render ``fig`` to PNG bytes at a fixed ``dpi``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs=PNG_OPTIONS)
    return buffer.getvalue()


def _new_figure(figsize, pyplot: bool) -> Figure:
    """A pyplot figure (static: the inline backend shows it), or one outside pyplot (for a
    widget: never shown twice by the inline backend, never piles up)."""
    if pyplot:
        return plt.figure(figsize=figsize)
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _check_model(model) -> None:
    if not hasattr(model, "rnn") or not callable(getattr(model, "inputs", None)):
        raise TypeError(
            f"model must have .rnn (nn.LSTM/nn.GRU/nn.RNN) and .inputs(tokens), like "
            f"lstm_gru.models.CharRNN; got {type(model).__name__}"
        )


def _encode(vocab, text: str) -> list[int]:
    """Token ids of the characters of ``text``; unknown characters give ``<unk>``."""
    if hasattr(vocab, "encode"):
        ids = vocab.encode(text)
        return ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
    return list(vocab[list(text)])


@contextlib.contextmanager
def _one_cpu_thread(device: torch.device):
    """Run on one CPU thread: a batch of one is a string of tiny matrix products, and on a
    busy CPU waiting for a second thread costs far more than it saves (measured: 100 LSTM
    steps took 1.7 s with 2 threads on a loaded 2-core machine, 8-16 ms with 1)."""
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def trace_text(model, vocab, text: str, layer: int = 0):
    """The gates of layer ``layer`` of ``model.rnn`` on the characters of ``text`` (batch of
    one): a GateTrace with gates (num_steps=len(text), 1, num_hiddens), tokens = the characters."""
    _check_model(model)
    if not isinstance(text, str) or not text:
        raise ValueError(f"text must be a non-empty str, got {text!r}")
    device = next(model.parameters()).device
    with torch.no_grad(), _one_cpu_thread(device):
        tokens = torch.tensor([_encode(vocab, text)], dtype=torch.long, device=device)  # (1, T)
        X = model.inputs(tokens)  # (num_steps, 1, num_inputs)
        return trace_gates(model.rnn, X, tokens=list(text), layer=layer)


def _bar_verts(values: np.ndarray) -> np.ndarray:
    """Horizontal bars, one per unit (row u, length values[u]): corners (units, 4, 2)."""
    rows = np.arange(len(values))
    bottom, top, zero = rows - 0.4, rows + 0.4, np.zeros(len(values))
    xs = np.stack([zero, values, values, zero], axis=1)  # (units, 4)
    ys = np.stack([bottom, bottom, top, top], axis=1)  # (units, 4)
    return np.stack([xs, ys], axis=2)


class ExplorerFigure:
    """The GateExplorer's figure: per gate a heatmap (units x time) with the chosen step
    outlined and the chosen unit marked, beside bars of that gate's vector at the step;
    below, the chosen unit's gates over time.

    Built once; :meth:`set_trace`, :meth:`set_step`, :meth:`set_unit` update the artists in
    place and :meth:`png` renders it. The markers, bars and lines are "animated" artists: a
    new text redraws everything, a new step or unit only redraws them over a saved
    background (blitting), which is several times faster.
    """

    def __init__(self, trace, names=None, max_units: int | None = 32, pyplot: bool = False):
        self.names = check_names(trace, names)
        self.max_units = max_units
        first = gate_matrix(trace, self.names[0], 0, max_units)
        self.num_units = first.shape[0]
        width, height = mpl.rcParams["figure.figsize"]
        figsize = (1.6 * width, 0.3 * height * (len(self.names) + 1.5))
        self.figure = _new_figure(figsize, pyplot)
        grid = self.figure.add_gridspec(
            len(self.names) + 1,
            2,
            width_ratios=(5, 1),
            height_ratios=(1,) * len(self.names) + (1.4,),
            left=0.08,
            right=0.98,
            top=0.95,
            bottom=0.09,
            hspace=0.25,
            wspace=0.05,
        )
        self.heat_axes, self.bar_axes, self.images, self.bars = [], [], [], []
        self.step_boxes, self.unit_marks = [], []
        for k, name in enumerate(self.names):
            heat = self.figure.add_subplot(grid[k, 0])
            bar = self.figure.add_subplot(grid[k, 1], sharey=heat)
            vmin, vmax = color_limits(name, first)
            self.images.append(
                heat.imshow(
                    np.zeros((self.num_units, 1)),
                    aspect="auto",
                    interpolation="nearest",
                    cmap=colormap(name),
                    vmin=vmin,
                    vmax=vmax,
                )
            )
            heat.set_ylabel(name)
            heat.set_yticks([0, self.num_units - 1])  # few labels: text is the slow part to draw
            heat.set_xticks([])  # the tokens label the line plot below, on the same time axis
            box = heat.add_patch(Rectangle((-0.5, -0.5), 1, 1, **MARKER))
            box.set_path_effects(HALO)
            self.step_boxes.append(box)
            # a triangle just right of the heatmap, pointing at the chosen unit's row
            (mark,) = heat.plot(
                [1.0], [0], marker="<", color="black", markersize=5, clip_on=False,
                transform=blended_transform_factory(heat.transAxes, heat.transData),
            )  # fmt: skip
            self.unit_marks.append(mark)
            self.bars.append(
                bar.add_collection(PolyCollection(_bar_verts(np.zeros(self.num_units))))
            )
            bar.axvline(0, color="grey", linewidth=0.8)
            bar.set_xlim(vmin, vmax)
            bar.set_xticks([vmin, vmax])
            bar.tick_params(labelleft=False)
            self.heat_axes.append(heat)
            self.bar_axes.append(bar)
        self.line_ax = self.figure.add_subplot(grid[-1, 0])
        self.lines = [self.line_ax.plot([0], [0], label=name)[0] for name in self.names]
        self.line_ax.axhline(0, color="grey", linewidth=0.8)
        self.step_line = self.line_ax.axvline(0, color="black", linewidth=1.0)
        self.line_ax.set_ylabel("value")
        legend_ax = self.figure.add_subplot(grid[-1, 1])
        legend_ax.axis("off")
        legend_ax.legend(handles=self.lines, loc="center left", frameon=False)
        title = {"fontsize": mpl.rcParams["axes.titlesize"], "va": "bottom"}
        self.step_label = self.bar_axes[0].text(
            0.5, 1.06, "", transform=self.bar_axes[0].transAxes, ha="center", **title
        )
        self.unit_label = self.line_ax.text(
            0.0, 1.03, "", transform=self.line_ax.transAxes, ha="left", **title
        )
        self.animated = [
            *self.step_boxes, *self.unit_marks, *self.bars, *self.lines,
            self.step_line, self.step_label, self.unit_label,
        ]  # fmt: skip
        for artist in self.animated:
            artist.set_animated(True)
        self._background = None  # the figure without the animated artists, once drawn
        self.matrices = {}
        self.tokens = None
        self.step = 0
        self.unit = 0
        self.set_trace(trace)

    @property
    def num_steps(self) -> int:
        return self.matrices[self.names[0]].shape[1]

    def set_trace(self, trace) -> None:
        """Show a new trace (any length); keeps the step and unit when they still exist."""
        self.matrices = {n: gate_matrix(trace, n, 0, self.max_units) for n in self.names}
        self.tokens = trace.tokens
        num_steps = self.num_steps
        extent = (-0.5, num_steps - 0.5, self.num_units - 0.5, -0.5)
        for name, image, heat, bar_ax in zip(
            self.names, self.images, self.heat_axes, self.bar_axes, strict=True
        ):
            matrix = self.matrices[name]
            image.set_data(matrix)  # (units, time)
            image.set_extent(extent)
            if gate_kind(name) == "state":  # unbounded: limits follow the data
                image.set_clim(*color_limits(name, matrix))
                bar_ax.set_xlim(*image.get_clim())
                bar_ax.set_xticks(image.get_clim())
            heat.set_xlim(-0.5, num_steps - 0.5)
            heat.set_ylim(self.num_units - 0.5, -0.5)
        self.line_ax.set_xlim(-0.5, num_steps - 0.5)
        low = min(-1.0, *(float(m.min()) for m in self.matrices.values()))
        high = max(1.0, *(float(m.max()) for m in self.matrices.values()))
        self.line_ax.set_ylim(low - 0.1, high + 0.1)  # fixed per text: any unit fits
        width = self.figure.get_figwidth() * 0.75
        positions, labels = time_ticks(self.tokens, num_steps, max_time_labels(width))
        self.line_ax.set_xticks(positions, labels)
        self.line_ax.set_xlabel("input character" if self.tokens else "time step")
        self._background = None
        self.set_step(min(self.step, num_steps - 1))
        self.set_unit(self.unit)

    def set_step(self, step: int) -> None:
        """Outline time step ``step`` and show every gate's vector there as bars."""
        if not 0 <= step < self.num_steps:
            raise ValueError(f"step must be in [0, {self.num_steps}), got {step}")
        self.step = step
        for name, image, bars, box in zip(
            self.names, self.images, self.bars, self.step_boxes, strict=True
        ):
            values = self.matrices[name][:, step]  # (units,)
            bars.set_verts(_bar_verts(values))
            bars.set_facecolor(image.cmap(image.norm(values)))
            box.set_bounds(step - 0.5, -0.5, 1, self.num_units)
        self.step_line.set_xdata([step, step])
        token = f" '{printable_token(self.tokens[step])}'" if self.tokens else ""
        self.step_label.set_text(f"step {step}{token}")

    def set_unit(self, unit: int) -> None:
        """Mark unit ``unit`` in every heatmap and plot its gates over time."""
        if not 0 <= unit < self.num_units:
            raise ValueError(f"unit must be in [0, {self.num_units}), got {unit}")
        self.unit = unit
        steps = np.arange(self.num_steps)
        for name, line, mark, bars in zip(
            self.names, self.lines, self.unit_marks, self.bars, strict=True
        ):
            line.set_data(steps, self.matrices[name][unit])  # (num_steps,)
            mark.set_ydata([unit])
            edges = np.zeros((self.num_units, 4))  # transparent edges but the chosen unit's
            edges[unit, 3] = 1.0
            bars.set_edgecolor(edges)
        self.unit_label.set_text(f"unit {unit}")

    def png(self, dpi: int = WIDGET_DPI) -> bytes:
        """Render to PNG bytes: the whole figure after a new trace, else only the animated
        artists over the saved background."""
        canvas = self.figure.canvas
        if self.figure.dpi != dpi:
            self.figure.set_dpi(dpi)
            self._background = None
        if self._background is None:
            canvas.draw()  # draws all but the animated artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self.animated:
            artist.draw(renderer)
        image = PIL.Image.frombuffer(
            "RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        buffer = io.BytesIO()
        image.save(buffer, format="png", **PNG_OPTIONS)
        return buffer.getvalue()


def explorer_figure(
    model, vocab, text: str = DEFAULT_TEXT, names=None, max_units: int = 32, step=0, unit=0
) -> Figure:
    """The GateExplorer's figure for ``text`` at ``step`` and ``unit``, as a static pyplot
    figure (for GitHub / nbconvert HTML, where widgets do not run). Like ``plot_gates``:
    assign it, so the notebook shows it once."""
    trace = trace_text(model, vocab, text)
    drawing = ExplorerFigure(trace, names, max_units, pyplot=True)
    drawing.set_step(step)
    drawing.set_unit(unit)
    return drawing.figure


class _Widget:
    """Shows ``self.widget`` (the ipywidgets root) in Jupyter, with a plain-text fallback."""

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{type(self).__name__}: an interactive widget (run it in Jupyter)"
        return bundle


class _Explorer(_Widget):
    """What GateExplorer and DecodingExplorer share: ``drawing`` (a figure with ``set_step``
    and ``png``) shown in ``image``, a ``readout`` from ``_readout_html``, a ``step_slider``,
    ``trace`` (None while there is no input) and ``_busy`` (True while one change moves
    several sliders, so that the figure is rendered once)."""

    def _on_step(self, change) -> None:
        if self._busy or self.trace is None:
            return
        start = time.perf_counter()
        self.drawing.set_step(change["new"])
        self._render(start)

    def _render(self, start: float) -> None:
        self.image.value = self.drawing.png()
        self.readout.value = self._readout_html()
        self.render_ms = (time.perf_counter() - start) * 1e3

    def _show_message(self, html: str, start: float) -> None:
        """No input to show: hide the figure and say what to do instead."""
        self.trace = None
        self.image.layout.display = "none"
        self.readout.value = html
        self.render_ms = (time.perf_counter() - start) * 1e3


class GateExplorer(_Explorer):
    """Type text, watch the gates: heatmaps per gate (units x time), a step slider, a unit
    slider and a text box whose gates are recomputed as you type.

    ``model``: a CharRNN, or any object with ``.rnn`` (nn.LSTM/nn.GRU/nn.RNN) and
    ``.inputs(tokens)`` ((batch_size, num_steps) ids -> (num_steps, batch_size, num_inputs));
    ``vocab``: has ``encode(text)`` or ``vocab[list_of_chars]``; unknown characters are <unk>.
    ``names``: gates to show (default: all); ``max_units``: the first units shown;
    ``layer``: which layer of a stacked ``model.rnn`` to show (0, the bottom, by default).
    Attributes: ``widget`` (the ipywidgets root), ``figure`` (built once), ``trace`` (the
    current GateTrace, None for empty text), ``render_ms`` (the last update, from input to PNG).
    Methods for code and tests: :meth:`set_text`, :meth:`set_step`, :meth:`set_unit`.
    """

    def __init__(
        self,
        model,
        vocab,
        text: str = DEFAULT_TEXT,
        names=None,
        max_units: int | None = 32,
        layer: int = 0,
    ):
        _check_model(model)
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if max_units is not None:
            check_positive_int(max_units, "max_units")
        self.model, self.vocab, self.layer = model, vocab, layer
        first = trace_text(model, vocab, text or " ", layer)
        self.drawing = ExplorerFigure(first, names, max_units)
        self.figure = self.drawing.figure
        self.trace = None
        self.render_ms = float("nan")
        self._unknown = 0  # characters of the text not in the vocabulary
        self._busy = False  # True while one change updates several sliders: render once
        self.text_box = widgets.Textarea(
            value=text,
            placeholder="Type some text: the gates are recomputed as you type",
            continuous_update=True,
            layout=widgets.Layout(width="100%", height="4.5em"),
        )
        self.step_slider = widgets.IntSlider(0, 0, 0, description="step", continuous_update=True)
        self.unit_slider = widgets.IntSlider(
            0, 0, self.drawing.num_units - 1, description="unit", continuous_update=True
        )
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.widget = widgets.VBox(
            [
                self.text_box,
                widgets.HBox([self.step_slider, self.unit_slider]),
                self.readout,
                self.image,
            ]
        )
        self.text_box.observe(lambda change: self._update_text(change["new"]), "value")
        self.step_slider.observe(self._on_step, "value")
        self.unit_slider.observe(self._on_unit, "value")
        self._update_text(text)

    # -- what the controls do ------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """Recompute the gates for ``text`` (as if typed in the text box)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if text == self.text_box.value:
            self._update_text(text)
        else:
            self.text_box.value = text  # the observer updates

    def set_step(self, step: int) -> None:
        """Move the step slider to ``step`` (0 <= step < len(text))."""
        limit = self.step_slider.max
        if self.trace is None or not 0 <= step <= limit:
            raise ValueError(f"step must be in [0, {limit}] for the current text, got {step}")
        self.step_slider.value = step

    def set_unit(self, unit: int) -> None:
        """Move the unit slider to ``unit`` (0 <= unit < the number of units shown)."""
        if not 0 <= unit < self.drawing.num_units:
            raise ValueError(f"unit must be in [0, {self.drawing.num_units}), got {unit}")
        self.unit_slider.value = unit

    @property
    def text(self) -> str:
        return self.text_box.value

    @property
    def step(self) -> int:
        return self.step_slider.value

    @property
    def unit(self) -> int:
        return self.unit_slider.value

    # -- updates ------------------------------------------------------------------------
    def _update_text(self, text: str) -> None:
        start = time.perf_counter()
        if not text:
            self._show_message("<i>Type some text above to see the gates.</i>", start)
            return
        self.trace = trace_text(self.model, self.vocab, text, self.layer)
        unk = getattr(self.vocab, "unk", None)
        self._unknown = sum(i == unk for i in _encode(self.vocab, text)) if unk is not None else 0
        self._busy = True
        try:
            self.step_slider.max = len(text) - 1  # clamps the value, which calls _on_step
            self.drawing.set_trace(self.trace)
            self.drawing.set_step(self.step_slider.value)
            self.drawing.set_unit(self.unit_slider.value)
        finally:
            self._busy = False
        self.image.layout.display = None
        self._render(start)

    def _on_unit(self, change) -> None:
        if self.trace is None:
            return
        start = time.perf_counter()
        self.drawing.set_unit(change["new"])
        self._render(start)

    def _readout_html(self) -> str:
        step, unit = self.drawing.step, self.drawing.unit
        values = ", ".join(
            f"{name} {self.drawing.matrices[name][unit, step]:+.2f}" for name in self.drawing.names
        )
        token = html.escape(printable_token(self.text[step]))
        unknown = self._unknown
        note = (
            f" &nbsp; ({unknown} characters not in the vocabulary read as &lt;unk&gt;)"
            if unknown
            else ""
        )
        return f"step {step} <code>{token}</code>, unit {unit}: {values}{note}"


def measure_text_update(explorer: GateExplorer, text: str, repeats: int = 5) -> float:
    """Median milliseconds for ``explorer`` to recompute and redraw the gates of ``text``."""
    check_positive_int(repeats, "repeats")
    times = []
    for _ in range(repeats):
        explorer.set_text(text)
        times.append(explorer.render_ms)
    return statistics.median(times)


# -- the gate playground ----------------------------------------------------------------
PLAYGROUND_DEFAULTS = {"f": 0.95, "i": 1.0, "pulse": 1.0, "pulse_step": 1, "w": 0.9}


def playground_curves(
    f: float, i: float, pulse: float = 1.0, pulse_step: int = 1, w: float = 0.9, num_steps: int = 50
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 1..num_steps, the LSTM cell state c and a vanilla RNN state h, after one pulse.

    The input is x_t = ``pulse`` at t = ``pulse_step``, else 0; c_0 = h_0 = 0;
    c_t = f * c_{t-1} + i * x_t (a fixed forget gate f and input gate i);
    h_t = tanh(w * h_{t-1} + x_t) (recurrent weight w). With pulse_step = 1,
    c_{num_steps} = f**(num_steps - 1) * i * pulse. Returns three arrays (num_steps,).
    """
    check_positive_int(num_steps, "num_steps")
    if (
        isinstance(pulse_step, bool)
        or not isinstance(pulse_step, int)
        or not 1 <= pulse_step <= num_steps
    ):
        raise ValueError(f"pulse_step must be an int in [1, {num_steps}], got {pulse_step!r}")
    steps = np.arange(1, num_steps + 1)
    x = np.where(steps == pulse_step, float(pulse), 0.0)  # (num_steps,)
    c, h = np.zeros(num_steps), np.zeros(num_steps)
    c_prev = h_prev = 0.0
    for t in range(num_steps):
        c_prev = f * c_prev + i * x[t]
        h_prev = np.tanh(w * h_prev + x[t])
        c[t], h[t] = c_prev, h_prev
    return steps, c, h


class PlaygroundFigure:
    """The playground's figure, built once: cell state and RNN state against time, the pulse
    marked, the values after the last step written on it. :meth:`update` redraws in place."""

    def __init__(self, num_steps: int = 50, pyplot: bool = False, **params):
        self.num_steps = check_positive_int(num_steps, "num_steps")
        width, height = mpl.rcParams["figure.figsize"]
        self.figure = _new_figure((1.3 * width, 0.8 * height), pyplot)
        ax = self.ax = self.figure.add_subplot()
        steps = np.arange(1, num_steps + 1)
        (self.cell_line,) = ax.plot(
            steps, steps * 0.0, label="LSTM cell  $c_t = f\\,c_{t-1} + i\\,x_t$"
        )
        (self.rnn_line,) = ax.plot(
            steps, steps * 0.0, "--", label="vanilla RNN  $h_t = \\tanh(w\\,h_{t-1} + x_t)$"
        )
        ax.axhline(0, color="grey", linewidth=0.8)
        self.pulse_line = ax.axvline(1, color="black", linewidth=1.0, linestyle=":")
        self.result = ax.text(
            0.98, 0.04, "", transform=ax.transAxes, ha="right", va="bottom",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        )  # fmt: skip
        ax.set_xlim(0.5, num_steps + 0.5)
        ax.set_xlabel("time step $t$")
        ax.set_ylabel("state")
        ax.legend(loc="upper right")
        self.figure.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.13)
        self.values = {}
        self.update(**{**PLAYGROUND_DEFAULTS, **params})

    def update(self, f, i, pulse=1.0, pulse_step=1, w=0.9) -> dict:
        """Redraw for new parameters; return ``{"cell": c_T, "rnn": h_T}`` (values at the end)."""
        _, c, h = playground_curves(f, i, pulse, pulse_step, w, self.num_steps)
        self.cell_line.set_ydata(c)
        self.rnn_line.set_ydata(h)
        self.pulse_line.set_xdata([pulse_step, pulse_step])
        limit = 1.15 * max(1.0, abs(pulse))
        self.ax.set_ylim(-limit, limit)
        self.values = {"cell": float(c[-1]), "rnn": float(h[-1])}
        self.result.set_text(
            f"after {self.num_steps} steps: cell $c$ = {c[-1]:.4f}, RNN $h$ = {h[-1]:.4f}"
        )
        self.ax.set_title(
            f"f = {f:.2f}, i = {i:.2f}, pulse {pulse:+.2f} at t = {pulse_step}, w = {w:.2f}"
        )
        return self.values


def playground_figure(
    f: float = 0.95,
    i: float = 1.0,
    pulse: float = 1.0,
    pulse_step: int = 1,
    w: float = 0.9,
    num_steps: int = 50,
) -> Figure:
    """The GatePlayground's figure for fixed values, as a static pyplot figure (assign it,
    so the notebook shows it once)."""
    drawing = PlaygroundFigure(
        num_steps, pyplot=True, f=f, i=i, pulse=pulse, pulse_step=pulse_step, w=w
    )
    return drawing.figure


class GatePlayground(_Widget):
    """Sliders for a forget gate f, an input gate i, an input pulse (size, step) and a vanilla
    RNN's recurrent weight w: watch the LSTM cell state keep the pulse for 50 steps while the
    RNN's state fades. Pure NumPy, instant.

    Attributes: ``widget``, ``figure`` (built once), ``values`` ({"cell", "rnn"} after the
    last step), ``render_ms``. :meth:`set` moves sliders from code.
    """

    def __init__(self, num_steps: int = 50, **params):
        params = {**PLAYGROUND_DEFAULTS, **params}
        self.drawing = PlaygroundFigure(num_steps, **params)
        self.figure = self.drawing.figure
        options = {"continuous_update": True, "readout_format": ".2f"}
        self.sliders = {
            "f": widgets.FloatSlider(params["f"], min=0, max=1, step=0.01, description="forget f", **options),
            "i": widgets.FloatSlider(params["i"], min=0, max=1, step=0.01, description="input i", **options),
            "pulse": widgets.FloatSlider(params["pulse"], min=-2, max=2, step=0.1, description="pulse", **options),
            "pulse_step": widgets.IntSlider(
                params["pulse_step"], min=1, max=num_steps, description="pulse at t", continuous_update=True
            ),
            "w": widgets.FloatSlider(params["w"], min=0, max=2, step=0.01, description="RNN w", **options),
        }  # fmt: skip
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        controls = widgets.VBox(list(self.sliders.values()))
        self.widget = widgets.VBox([widgets.HBox([controls, self.readout]), self.image])
        for slider in self.sliders.values():
            slider.observe(self._on_slider, "value")
        self.render_ms = float("nan")
        self._busy = False  # True while set() moves several sliders: redraw once
        self._update()

    @property
    def params(self) -> dict:
        """The slider values: {"f", "i", "pulse", "pulse_step", "w"}."""
        return {name: slider.value for name, slider in self.sliders.items()}

    @property
    def values(self) -> dict:
        return self.drawing.values

    def set(self, **params) -> None:
        """Move sliders from code, e.g. ``set(f=1.0, w=0.5)``; redraws once."""
        unknown = set(params) - set(self.sliders)
        if unknown:
            raise ValueError(
                f"parameters must be some of {sorted(self.sliders)}, got {sorted(unknown)}"
            )
        self._busy = True
        try:
            for name, value in params.items():
                self.sliders[name].value = value
        finally:
            self._busy = False
        self._update()

    def _on_slider(self, change) -> None:
        if not self._busy:
            self._update()

    def _update(self) -> None:
        start = time.perf_counter()
        p = self.params
        values = self.drawing.update(**p)
        self.image.value = figure_png(self.figure)
        kept = p["f"] ** (self.drawing.num_steps - p["pulse_step"])
        self.readout.value = (
            f"After {self.drawing.num_steps} steps<br>"
            f"LSTM cell: <b>{values['cell']:.4f}</b> = f<sup>{self.drawing.num_steps - p['pulse_step']}</sup>"
            f" &middot; i &middot; pulse (f<sup>{self.drawing.num_steps - p['pulse_step']}</sup> = {kept:.4f})<br>"
            f"vanilla RNN: <b>{values['rnn']:.4f}</b>"
        )
        self.render_ms = (time.perf_counter() - start) * 1e3


# -- the decoding explorer --------------------------------------------------------------
DEFAULT_WORD = "thought"
MAX_BEAM_SIZE = 8  # the beam-size slider's limit
BEAM_COLORS = {"live": "C0", "finished": "C2", "earlier": "0.7"}
TEXT_COLORS = {"live": "C0", "finished": "#1a7a1a", "earlier": "0.45"}  # darker: readable


@dataclass
class DecodingTrace:
    """How an encoder-decoder (e.g. a G2P model) turns one word into tokens, step by step.

    ``word``: the word as decoded (lowercased); ``unknown``: its characters that are not in the
    letter vocabulary (read as ``<unk>``).
    ``candidates[t]``: the ``top_k`` most probable tokens at greedy step t+1 as ``(token,
    probability)``, best first, given the word and the greedy prefix, so ``candidates[t][0]``
    is the greedy choice; ``greedy``: the greedy output without ``<eos>``; ``greedy_log_prob``
    its summed log-probability (``<eos>`` included).
    ``beam_steps[t]``: the hypotheses the beam keeps after step t+1, ``(tokens, log_prob,
    finished)``, ``tokens`` without ``<eos>``, ``finished`` when that step chose ``<eos>``;
    ``beam``: the final hypotheses ``(tokens, log_prob)``, best first (``beam[0][0]`` is what
    ``lstm_gru.g2p.predict`` returns for the same ``beam_size``).
    ``attention[t]``: for a decoder with attention, the weights over the word's letters at
    greedy step t+1 (None for a decoder without).
    """

    word: str
    unknown: int
    candidates: list[list[tuple[str, float]]]
    greedy: list[str]
    greedy_log_prob: float
    beam_size: int
    beam_steps: list[list[tuple[list[str], float, bool]]]
    beam: list[tuple[list[str], float]]
    attention: list[list[float]] | None = None

    @property
    def num_steps(self) -> int:
        """The steps there are to show: the longer of the greedy and the beam runs."""
        return max(len(self.candidates), len(self.beam_steps))

    def finished_before(self, step: int) -> list[tuple[list[str], float]]:
        """Hypotheses the beam finished at steps 1..step-1, ``(tokens, log_prob)`` best first."""
        done = [(t, lp) for hyps in self.beam_steps[: step - 1] for t, lp, end in hyps if end]
        return sorted(done, key=lambda pair: pair[1], reverse=True)


def _check_seq2seq(model) -> None:
    if not (
        hasattr(model, "encoder") and callable(getattr(model.decoder, "init_state", None))
        if hasattr(model, "decoder")
        else False
    ):
        raise TypeError(
            "model must be an encoder-decoder with .encoder and .decoder.init_state, like "
            f"lstm_gru.g2p.g2p_model(...); got {type(model).__name__}"
        )


def trace_decoding(
    model,
    letters,
    phonemes,
    word: str,
    *,
    beam_size: int = 3,
    top_k: int = 5,
    alpha: float = 0.0,
    max_len: int | None = None,
) -> DecodingTrace:
    """Decode ``word`` greedily and with a beam, recording every step (batch of one).

    ``model``: an ``EncoderDecoder`` whose encoder takes ``(src, valid_len)``, such as
    ``lstm_gru.g2p.g2p_model``; ``letters`` / ``phonemes``: the source and target vocabularies
    (the target has ``<bos>`` and ``<eos>``). The word is lowercased like ``g2p.predict``;
    at most ``max_len`` tokens (default ``2 * len(word) + 5``, as ``predict``).
    Greedy decoding is run step by step here to keep each step's distribution; the beam is
    ``beam_search`` with ``return_steps=True``.
    """
    _check_seq2seq(model)
    if not isinstance(word, str) or not word:
        raise ValueError(f"word must be a non-empty str, got {word!r}")
    check_positive_int(beam_size, "beam_size")
    check_positive_int(top_k, "top_k")
    word = word.lower()
    max_len = 2 * len(word) + 5 if max_len is None else check_positive_int(max_len, "max_len")
    bos, eos = phonemes["<bos>"], phonemes["<eos>"]
    ids = letters[list(word)]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), _one_cpu_thread(device):
            src = torch.tensor([ids], dtype=torch.long, device=device)  # (1, num_letters)
            valid_len = torch.tensor([len(ids)], device=device)  # (1,)
            state = model.decoder.init_state(model.encoder(src, valid_len), valid_len)
            Y = torch.tensor([[bos]], dtype=torch.long, device=device)  # (1, 1)
            candidates, greedy, greedy_log_prob = [], [], 0.0
            attends = hasattr(model.decoder, "attention_weights")
            attention = [] if attends else None
            for _ in range(max_len):
                logits, state = model.decoder(Y, state)  # (1, 1, vocab_size)
                if attends:  # (1, 1, num_letters): where this step looked
                    attention.append(model.decoder.attention_weights[0, -1].tolist())
                log_probs = torch.log_softmax(logits[0, -1], dim=-1)  # (vocab_size,)
                top_lp, top = log_probs.topk(min(top_k, log_probs.numel()))
                tokens = phonemes.to_tokens(top.tolist())
                candidates.append(list(zip(tokens, top_lp.exp().tolist(), strict=True)))
                greedy_log_prob += float(top_lp[0])
                if int(top[0]) == eos:
                    break
                greedy.append(tokens[0])
                Y = top[:1].view(1, 1)  # feed the choice back: (1, 1)
            results, steps = beam_search(
                model, src, beam_size, max_len, bos=bos, eos=eos, src_valid_len=valid_len,
                alpha=alpha, return_steps=True,
            )  # fmt: skip
    finally:
        model.train(was_training)
    beam_steps = [
        [(phonemes.to_tokens(t[:-1] if end else t), lp, end) for t, lp, end in step[0]]
        for step in steps
    ]
    beam = [(phonemes.to_tokens(h.tokens), h.log_prob) for h in results[0]]
    unknown = sum(i == letters.unk for i in ids)
    return DecodingTrace(
        word, unknown, candidates, greedy, greedy_log_prob, beam_size, beam_steps, beam, attention
    )


def _phoneme_text(tokens: list[str], finished: bool) -> str:
    return " ".join(tokens) + (" <eos>" if finished else " …")


class DecodingFigure:
    """The DecodingExplorer's figure, built once.

    Top: greedy decoding as a grid, one column per step, the ``top_k`` most probable next
    tokens in each (best at the top, colour = probability), the chosen step outlined.
    Bottom: the beam's hypotheses after the chosen step, one row each with its probability
    P(tokens | word) as a number and as a bar relative to the most probable row: first the
    ``beam_size`` hypotheses the step kept (blue: still growing; green: this step chose
    ``<eos>``), then those finished earlier (grey).
    For a model with attention a strip on top shows the word's letters, shaded by the weight
    the chosen greedy step gives each one (``trace.attention``).
    :meth:`set_trace` and :meth:`set_step` update the artists; :meth:`png` renders.
    """

    BAR_X, BAR_WIDTH = 0.82, 0.18  # where the probability bars sit in the beam panel (0..1)

    def __init__(self, trace: DecodingTrace, top_k: int = 5, pyplot: bool = False):
        self.top_k = check_positive_int(top_k, "top_k")
        width, height = mpl.rcParams["figure.figsize"]
        attends = trace.attention is not None
        self.figure = _new_figure((1.6 * width, (1.75 if attends else 1.45) * height), pyplot)
        ratios = (0.28, 1, 1.1) if attends else (1, 1.1)
        grid = self.figure.add_gridspec(
            len(ratios), 1, height_ratios=ratios, left=0.06, right=0.98, top=0.93, bottom=0.08,
            hspace=0.55,
        )  # fmt: skip
        self.letter_ax = self.letter_image = None
        self.letter_texts: list = []
        if attends:
            self.letter_ax = self.figure.add_subplot(grid[0])
            self.letter_image = self.letter_ax.imshow(
                np.zeros((1, 1)), aspect="auto", cmap="Oranges", vmin=0.0, vmax=1.0
            )
            self.letter_ax.set_yticks([])
            self.letter_ax.set_xticks([])
        self.grid_ax = self.figure.add_subplot(grid[-2])
        self.image = self.grid_ax.imshow(
            np.zeros((top_k, 1)), aspect="auto", interpolation="nearest", cmap="Blues",
            vmin=0.0, vmax=1.0,
        )  # fmt: skip
        self.grid_ax.set_yticks(range(top_k), [str(r) for r in range(1, top_k + 1)])
        self.grid_ax.set_ylabel("rank")
        self.grid_ax.set_xlabel("greedy step (the best candidate is fed back)")
        self.box = self.grid_ax.add_patch(
            Rectangle((-0.5, -0.5), 1, top_k, fill=False, edgecolor="C3", linewidth=2.5)
        )
        self.cell_texts: list = []  # one per grid cell, replaced for each new word
        self.beam_ax = self.figure.add_subplot(grid[-1])
        self.beam_ax.axis("off")
        self.beam_ax.set_xlim(0, 1)
        rows = 2 * MAX_BEAM_SIZE  # the beam after a step, and as many finished earlier
        font = {"va": "center"}
        self.row_texts = [
            self.beam_ax.text(0.0, row, "", ha="left", family="monospace", **font)
            for row in range(rows)
        ]
        self.prob_texts = [
            self.beam_ax.text(self.BAR_X - 0.01, row, "", ha="right", **font) for row in range(rows)
        ]
        self.bars = [
            self.beam_ax.add_patch(Rectangle((self.BAR_X, row - 0.35), 0, 0.7, linewidth=0))
            for row in range(rows)
        ]
        self.figure.legend(
            handles=[
                Rectangle((0, 0), 1, 1, color=BEAM_COLORS["live"], label="in the beam"),
                Rectangle((0, 0), 1, 1, color=BEAM_COLORS["finished"], label="ends at this step"),
                Rectangle((0, 0), 1, 1, color=BEAM_COLORS["earlier"], label="ended earlier"),
            ],
            loc="lower right",
            ncols=3,
            fontsize="small",
            frameon=False,
        )
        self.trace: DecodingTrace | None = None
        self.step = 1
        self.set_trace(trace)

    def set_trace(self, trace: DecodingTrace) -> None:
        """Show a new trace; the step moves to its last one."""
        self.trace = trace
        num_cols = len(trace.candidates)
        probs = np.zeros((self.top_k, num_cols))  # (top_k, greedy steps)
        for col, step in enumerate(trace.candidates):
            probs[: len(step), col] = [p for _, p in step]
        self.image.set_data(probs)
        self.image.set_extent((-0.5, num_cols - 0.5, self.top_k - 0.5, -0.5))
        for text in self.cell_texts:
            text.remove()
        scale = mpl.rcParams["font.size"] / 10  # presentation mode enlarges everything
        size = scale * float(np.clip(180 / max(num_cols, 1), 5, 10))  # narrower cells, smaller
        self.cell_texts = [
            self.grid_ax.text(
                col, row, f"{token}\n{p:.2f}", ha="center", va="center", fontsize=size,
                color="white" if p > 0.6 else "black",
            )
            for col, step in enumerate(trace.candidates)
            for row, (token, p) in enumerate(step)
        ]  # fmt: skip
        self.grid_ax.set_xlim(-0.5, num_cols - 0.5)
        self.grid_ax.set_ylim(self.top_k - 0.5, -0.5)
        ticks = range(0, num_cols, max(1, -(-num_cols // 20)))
        self.grid_ax.set_xticks(list(ticks), [str(t + 1) for t in ticks])
        self.grid_ax.set_title(
            f"greedy decoding of '{trace.word}': the {self.top_k} most probable next tokens "
            f"per step (output p = {math.exp(trace.greedy_log_prob):.3g})",
            loc="left",
        )
        if self.letter_ax is not None:
            for text in self.letter_texts:
                text.remove()
            letters = trace.word
            self.letter_image.set_extent((-0.5, len(letters) - 0.5, 0.5, -0.5))
            self.letter_ax.set_xlim(-0.5, len(letters) - 0.5)
            self.letter_texts = [
                self.letter_ax.text(i, 0, ch, ha="center", va="center", family="monospace")
                for i, ch in enumerate(letters)
            ]
        self.set_step(trace.num_steps)

    def beam_rows(self, step: int) -> list[tuple[list[str], float, str]]:
        """The rows shown after ``step``: (tokens, log_prob, kind), kind in BEAM_COLORS."""
        trace = self.trace
        beam_step = min(step, len(trace.beam_steps))
        rows = [
            (tokens, lp, "finished" if end else "live")
            for tokens, lp, end in trace.beam_steps[beam_step - 1]
        ]
        earlier = trace.finished_before(beam_step)[: trace.beam_size]
        return rows + [(tokens, lp, "earlier") for tokens, lp in earlier]

    def set_step(self, step: int) -> None:
        """Outline greedy step ``step`` (1-based) and show the beam after it."""
        trace = self.trace
        if not 1 <= step <= trace.num_steps:
            raise ValueError(f"step must be in [1, {trace.num_steps}], got {step}")
        self.step = step
        self.box.set_visible(step <= len(trace.candidates))
        self.box.set_x(step - 1.5)
        if self.letter_ax is not None:
            greedy_step = min(step, len(trace.attention))
            self.letter_image.set_data(np.array([trace.attention[greedy_step - 1]]))
            token = trace.candidates[greedy_step - 1][0][0]
            self.letter_ax.set_title(
                f"attention at greedy step {greedy_step} (writing {token}): darker letters "
                "weigh more",
                loc="left",
            )
        rows = self.beam_rows(step)
        best = max(lp for _, lp, _ in rows)
        for row, (text, prob, bar) in enumerate(
            zip(self.row_texts, self.prob_texts, self.bars, strict=True)
        ):
            if row < len(rows):
                tokens, lp, kind = rows[row]
                p = math.exp(lp)
                text.set_text(_phoneme_text(tokens, kind != "live"))
                text.set_color(TEXT_COLORS[kind])
                prob.set_text(f"p = {p:.3g}")
                bar.set_width(self.BAR_WIDTH * math.exp(lp - best))  # relative to the best row
                bar.set_color(BEAM_COLORS[kind])
                bar.set_visible(True)
            else:
                text.set_text("")
                prob.set_text("")
                bar.set_visible(False)
        self.beam_ax.set_ylim(max(len(rows), 8) - 0.5, -0.5)
        beam_step = min(step, len(trace.beam_steps))
        self.beam_ax.set_title(
            f"beam search, beam size {trace.beam_size}: the hypotheses after step {beam_step}",
            loc="left",
        )

    def png(self, dpi: int = WIDGET_DPI) -> bytes:
        """Render to PNG bytes."""
        return figure_png(self.figure, dpi)


def decoding_figure(
    model, letters, phonemes, word: str = DEFAULT_WORD, beam_size: int = 3, step=None,
    top_k: int = 5, alpha: float = 0.0,
) -> Figure:  # fmt: skip
    """The DecodingExplorer's figure for ``word`` at ``step`` (default: the last), as a static
    pyplot figure (assign it, so the notebook shows it once)."""
    trace = trace_decoding(
        model, letters, phonemes, word, beam_size=beam_size, top_k=top_k, alpha=alpha
    )
    drawing = DecodingFigure(trace, top_k, pyplot=True)
    if step is not None:
        drawing.set_step(step)
    return drawing.figure


class DecodingExplorer(_Explorer):
    """Type a word, watch an encoder-decoder pronounce it: the top candidates at every greedy
    step with their probabilities, and the beam's hypotheses after the chosen step.

    ``model``: a G2P ``EncoderDecoder`` (``lstm_gru.g2p.g2p_model``); ``letters``, ``phonemes``:
    its vocabularies. Controls: a text box (the word; spaces around it are ignored, an empty box
    shows a message), a beam-size slider (1 is greedy) and a step slider. Attributes:
    ``widget``, ``figure`` (built once), ``trace`` (the current ``DecodingTrace``, None while
    the box is empty), ``render_ms``. Methods for code: :meth:`set_word`, :meth:`set_beam_size`,
    :meth:`set_step`.
    """

    def __init__(
        self, model, letters, phonemes, word: str = DEFAULT_WORD, beam_size: int = 3,
        top_k: int = 5, alpha: float = 0.0,
    ):  # fmt: skip
        self.model, self.letters, self.phonemes = model, letters, phonemes
        self.top_k, self.alpha = top_k, alpha
        if not isinstance(beam_size, int) or not 1 <= beam_size <= MAX_BEAM_SIZE:
            raise ValueError(f"beam_size must be an int in [1, {MAX_BEAM_SIZE}], got {beam_size!r}")
        first = self._trace(word, beam_size)  # checks the model and the word
        self.drawing = DecodingFigure(first, top_k)
        self.figure = self.drawing.figure
        self.trace = None
        self.render_ms = float("nan")
        self._busy = False  # True while one change moves the step slider: render once
        self.text_box = widgets.Text(
            value=word,
            placeholder="Type a word: it is pronounced as you type",
            continuous_update=True,
            description="word",
        )
        self.beam_slider = widgets.IntSlider(
            beam_size, 1, MAX_BEAM_SIZE, description="beam size", continuous_update=True
        )
        self.step_slider = widgets.IntSlider(1, 1, 1, description="step", continuous_update=True)
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text_box, self.beam_slider, self.step_slider]),
                self.readout,
                self.image,
            ]
        )
        self.text_box.observe(lambda change: self._update_word(change["new"]), "value")
        self.beam_slider.observe(self._on_beam, "value")
        self.step_slider.observe(self._on_step, "value")
        self._show(first, time.perf_counter(), last_step=True)

    def _trace(self, word: str, beam_size: int) -> DecodingTrace:
        return trace_decoding(
            self.model, self.letters, self.phonemes, word, beam_size=beam_size,
            top_k=self.top_k, alpha=self.alpha,
        )  # fmt: skip

    # -- what the controls do ------------------------------------------------------------
    def set_word(self, word: str) -> None:
        """Decode ``word`` (as if typed in the text box); it must not be empty."""
        if not isinstance(word, str) or not word.strip():
            raise ValueError(f"word must be a non-empty str, got {word!r}")
        if word == self.text_box.value:
            self._update_word(word)
        else:
            self.text_box.value = word  # the observer updates

    def set_beam_size(self, beam_size: int) -> None:
        """Move the beam-size slider (1 <= beam_size <= MAX_BEAM_SIZE)."""
        if not isinstance(beam_size, int) or not 1 <= beam_size <= MAX_BEAM_SIZE:
            raise ValueError(f"beam_size must be an int in [1, {MAX_BEAM_SIZE}], got {beam_size!r}")
        self.beam_slider.value = beam_size

    def set_step(self, step: int) -> None:
        """Move the step slider (1 <= step <= the current trace's ``num_steps``)."""
        limit = self.step_slider.max
        if self.trace is None or not 1 <= step <= limit:
            raise ValueError(f"step must be in [1, {limit}] for the current word, got {step}")
        self.step_slider.value = step

    @property
    def word(self) -> str:
        return self.text_box.value.strip()

    @property
    def step(self) -> int:
        return self.step_slider.value

    # -- updates ------------------------------------------------------------------------
    def _update_word(self, text: str) -> None:
        start = time.perf_counter()
        if not text.strip():
            self._show_message("<i>Type a word in the box above to see it decoded.</i>", start)
            return
        self._show(self._trace(text.strip(), self.beam_slider.value), start, last_step=True)

    def _on_beam(self, change) -> None:
        if self.trace is None:
            return
        start = time.perf_counter()
        self._show(self._trace(self.word, change["new"]), start, last_step=False)

    def _show(self, trace: DecodingTrace, start: float, last_step: bool) -> None:
        """Show a new trace: at its last step, or at the current step where it exists."""
        self.trace = trace
        step = trace.num_steps if last_step else min(self.step_slider.value, trace.num_steps)
        self._busy = True
        try:
            self.step_slider.max = trace.num_steps  # may clamp the value: _on_step waits
            self.step_slider.value = step
            self.drawing.set_trace(trace)
            self.drawing.set_step(step)
        finally:
            self._busy = False
        self.image.layout.display = None
        self._render(start)

    def _readout_html(self) -> str:
        trace = self.trace
        best, best_lp = trace.beam[0]
        unknown = (
            f" &nbsp; ({trace.unknown} characters not in the vocabulary read as &lt;unk&gt;)"
            if trace.unknown
            else ""
        )
        return (
            f"<b>{html.escape(trace.word)}</b>: greedy <code>{' '.join(trace.greedy)}</code> "
            f"(p = {math.exp(trace.greedy_log_prob):.3f}); beam of {trace.beam_size} "
            f"<code>{' '.join(best)}</code> (p = {math.exp(best_lp):.3f}){unknown}"
        )
