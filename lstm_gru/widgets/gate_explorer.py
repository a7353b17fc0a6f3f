"""The gate explorer: type text, see every gate of a character model over time, pick a step and a
unit. Static twin: :func:`explorer_figure`."""

import html
import io
import time

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import PIL.Image
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.transforms import blended_transform_factory

from lstm_gru.checks import check_positive_int
from lstm_gru.i18n import figure_text, tr
from lstm_gru.tracing import check_char_model, encode_text, trace_text
from lstm_gru.viz import (
    check_names,
    color_limits,
    colormap,
    gate_kind,
    gate_label,
    gate_matrix,
    max_time_labels,
    printable_token,
    time_ticks,
)
from lstm_gru.widgets.base import PNG_OPTIONS, WIDGET_DPI, Explorer, new_figure

DEFAULT_TEXT = "def area(r):\n    return 3.14 * r ** 2\n"
MARKER = {"fill": False, "edgecolor": "black", "linewidth": 1.0}
HALO = [withStroke(linewidth=2.5, foreground="white")]  # visible on dark and light cells


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
        self.figure = new_figure(figsize, pyplot)
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
            heat.set_ylabel(gate_label(name))
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
        self.lines = [self.line_ax.plot([0], [0], label=gate_label(name))[0] for name in self.names]
        self.line_ax.axhline(0, color="grey", linewidth=0.8)
        self.step_line = self.line_ax.axvline(0, color="black", linewidth=1.0)
        self.line_ax.set_ylabel(figure_text("value"))
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
        self.line_ax.set_xlabel(
            figure_text("input character") if self.tokens else figure_text("time step")
        )
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
        if self.tokens:
            label = figure_text("step {step} '{token}'").format(
                step=step, token=printable_token(self.tokens[step])
            )
        else:
            label = figure_text("step {step}").format(step=step)
        self.step_label.set_text(label)

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
        self.unit_label.set_text(figure_text("unit {unit}").format(unit=unit))

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


class GateExplorer(Explorer):
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
        check_char_model(model)
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
            placeholder=tr("Type some text: the gates are recomputed as you type"),
            continuous_update=True,
            layout=widgets.Layout(width="100%", height="4.5em"),
        )
        self.step_slider = widgets.IntSlider(
            0, 0, 0, description=tr("step"), continuous_update=True
        )
        self.unit_slider = widgets.IntSlider(
            0, 0, self.drawing.num_units - 1, description=tr("unit"), continuous_update=True
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
            self._show_message(tr("<i>Type some text above to see the gates.</i>"), start)
            return
        self.trace = trace_text(self.model, self.vocab, text, self.layer)
        unk = getattr(self.vocab, "unk", None)
        self._unknown = (
            sum(i == unk for i in encode_text(self.vocab, text)) if unk is not None else 0
        )
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
        values = tr(", ").join(
            f"{tr(name)} {self.drawing.matrices[name][unit, step]:+.2f}"
            for name in self.drawing.names
        )
        token = html.escape(printable_token(self.text[step]))
        unknown = self._unknown
        note = (
            tr(" &nbsp; ({count} characters not in the vocabulary read as &lt;unk&gt;)").format(
                count=unknown
            )
            if unknown
            else ""
        )
        return tr("step {step} <code>{token}</code>, unit {unit}: {values}{note}").format(
            step=step, token=token, unit=unit, values=values, note=note
        )
