"""The gate playground: how an LSTM cell state keeps a pulse (c_t = f c_{t-1} + i x_t) while a
vanilla RNN's state decays (h_t = tanh(w h_{t-1} + x_t)). Static twin: :func:`playground_figure`."""

import time

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from lstm_gru.checks import check_positive_int
from lstm_gru.i18n import figure_text, tr
from lstm_gru.widgets.base import Widget, figure_png, new_figure

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
        self.figure = new_figure((1.3 * width, 0.8 * height), pyplot)
        ax = self.ax = self.figure.add_subplot()
        steps = np.arange(1, num_steps + 1)
        (self.cell_line,) = ax.plot(
            steps, steps * 0.0, label=figure_text("LSTM cell  $c_t = f\\,c_{t-1} + i\\,x_t$")
        )
        (self.rnn_line,) = ax.plot(
            steps,
            steps * 0.0,
            "--",
            label=figure_text("vanilla RNN  $h_t = \\tanh(w\\,h_{t-1} + x_t)$"),
        )
        ax.axhline(0, color="grey", linewidth=0.8)
        self.pulse_line = ax.axvline(1, color="black", linewidth=1.0, linestyle=":")
        self.result = ax.text(
            0.98, 0.04, "", transform=ax.transAxes, ha="right", va="bottom",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        )  # fmt: skip
        ax.set_xlim(0.5, num_steps + 0.5)
        ax.set_xlabel(figure_text("time step $t$"))
        ax.set_ylabel(figure_text("state"))
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
            figure_text(
                "after {num_steps} steps: cell $c$ = {cell:.4f}, RNN $h$ = {rnn:.4f}"
            ).format(num_steps=self.num_steps, cell=c[-1], rnn=h[-1])
        )
        self.ax.set_title(
            figure_text(
                "f = {f:.2f}, i = {i:.2f}, pulse {pulse:+.2f} at t = {pulse_step}, w = {w:.2f}"
            ).format(f=f, i=i, pulse=pulse, pulse_step=pulse_step, w=w)
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


class GatePlayground(Widget):
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
            "f": widgets.FloatSlider(params["f"], min=0, max=1, step=0.01, description=tr("forget f"), **options),
            "i": widgets.FloatSlider(params["i"], min=0, max=1, step=0.01, description=tr("input i"), **options),
            "pulse": widgets.FloatSlider(params["pulse"], min=-2, max=2, step=0.1, description=tr("pulse"), **options),
            "pulse_step": widgets.IntSlider(
                params["pulse_step"], min=1, max=num_steps, description=tr("pulse at t"), continuous_update=True
            ),
            "w": widgets.FloatSlider(params["w"], min=0, max=2, step=0.01, description=tr("RNN w"), **options),
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
        power = self.drawing.num_steps - p["pulse_step"]
        kept = p["f"] ** power
        self.readout.value = tr(
            "After {num_steps} steps<br>"
            "LSTM cell: <b>{cell:.4f}</b> = f<sup>{power}</sup> &middot; i &middot; pulse "
            "(f<sup>{power}</sup> = {kept:.4f})<br>"
            "vanilla RNN: <b>{rnn:.4f}</b>"
        ).format(
            num_steps=self.drawing.num_steps,
            cell=values["cell"],
            power=power,
            kept=kept,
            rnn=values["rnn"],
        )
        self.render_ms = (time.perf_counter() - start) * 1e3
