"""What every widget shares: a figure rendered to PNG bytes, shown in an ``ipywidgets.Image``."""

import io
import time

import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lstm_gru.i18n import prepare_figure, tr

WIDGET_DPI = 80  # fixed, so PNG bytes are deterministic and rendering stays fast
PNG_OPTIONS = {"compress_level": 1}  # fast PNG encoding; the image is sent once per change


def figure_png(fig: Figure, dpi: int = WIDGET_DPI) -> bytes:
    """Render ``fig`` to PNG bytes at a fixed ``dpi``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs=PNG_OPTIONS)
    return buffer.getvalue()


def new_figure(figsize, pyplot: bool) -> Figure:
    """A pyplot figure (static: the inline backend shows it), or one outside pyplot (for a
    widget: never shown twice by the inline backend, never piles up)."""
    prepare_figure()
    if pyplot:
        return plt.figure(figsize=figsize)
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


class Widget:
    """Shows ``self.widget`` (the ipywidgets root) in Jupyter, with a plain-text fallback."""

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = tr("{name}: an interactive widget (run it in Jupyter)").format(
            name=type(self).__name__
        )
        return bundle


class Explorer(Widget):
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
