"""Interactive widgets (ipywidgets 8) for the gating chapters, each with a static twin.

- :class:`GateExplorer` (``gate_explorer``): type text, see every gate of a character model over
  time, pick a step and a unit. Static twin: :func:`explorer_figure`.
- :class:`GatePlayground` (``playground``): how an LSTM cell state keeps a pulse
  (c_t = f c_{t-1} + i x_t) while a vanilla RNN's state decays (h_t = tanh(w h_{t-1} + x_t)).
  Static twin: :func:`playground_figure`.
- :class:`DecodingExplorer` (``decoding_explorer``): type a word, watch an encoder-decoder
  pronounce it step by step, greedy and with a beam. Static twin: :func:`decoding_figure`.
  What it draws, a :class:`DecodingTrace`, comes from :func:`trace_decoding` (``decoding_trace``).

Each widget builds ONE matplotlib figure, updates its artists on every change and shows
it as PNG bytes in an ``ipywidgets.Image`` (no ipympl needed, no flicker, no pile of
figures); ``base`` holds what they share. Sizes come from rcParams, so
:func:`lstm_gru.present.presentation_mode` (called before building a widget) makes them
projector-sized.
"""

from lstm_gru.tracing import trace_text
from lstm_gru.widgets.base import PNG_OPTIONS, WIDGET_DPI, figure_png
from lstm_gru.widgets.decoding_explorer import (
    BEAM_COLORS,
    DEFAULT_WORD,
    MAX_BEAM_SIZE,
    TEXT_COLORS,
    DecodingExplorer,
    DecodingFigure,
    decoding_figure,
)
from lstm_gru.widgets.decoding_trace import DecodingTrace, trace_decoding
from lstm_gru.widgets.gate_explorer import (
    DEFAULT_TEXT,
    HALO,
    MARKER,
    ExplorerFigure,
    GateExplorer,
    explorer_figure,
)
from lstm_gru.widgets.playground import (
    PLAYGROUND_DEFAULTS,
    GatePlayground,
    PlaygroundFigure,
    playground_curves,
    playground_figure,
)

__all__ = [
    "BEAM_COLORS",
    "DEFAULT_TEXT",
    "DEFAULT_WORD",
    "HALO",
    "MARKER",
    "MAX_BEAM_SIZE",
    "PLAYGROUND_DEFAULTS",
    "PNG_OPTIONS",
    "TEXT_COLORS",
    "WIDGET_DPI",
    "DecodingExplorer",
    "DecodingFigure",
    "DecodingTrace",
    "ExplorerFigure",
    "GateExplorer",
    "GatePlayground",
    "PlaygroundFigure",
    "decoding_figure",
    "explorer_figure",
    "figure_png",
    "playground_curves",
    "playground_figure",
    "trace_decoding",
    "trace_text",
]
