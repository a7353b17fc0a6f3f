"""Presentation mode: larger fonts, lines and figures for a projector, and back.

``presentation_mode(1.6)`` multiplies matplotlib's font sizes and line widths by ``scale``
and its default figure size by ``sqrt(scale)`` (so text grows relative to the figure, and
the figure still fits a notebook cell); ``normal_mode()`` restores the exact previous
values. Figures and widgets built afterwards read their sizes from ``rcParams``, so they
follow the mode; build widgets after switching. The object returned is also a context
manager::

    with presentation_mode(1.6):
        plot_gates(trace)
"""

import math

import matplotlib as mpl

from lstm_gru.i18n import tr

# rcParams multiplied by ``scale`` (only numeric values: relative sizes such as
# "large" already follow font.size).
FONT_KEYS = (
    "font.size",
    "axes.titlesize",
    "axes.labelsize",
    "xtick.labelsize",
    "ytick.labelsize",
    "legend.fontsize",
    "legend.title_fontsize",
    "figure.titlesize",
)
LINE_KEYS = (
    "lines.linewidth",
    "lines.markersize",
    "axes.linewidth",
    "grid.linewidth",
    "patch.linewidth",
    "xtick.major.width",
    "ytick.major.width",
    "xtick.major.size",
    "ytick.major.size",
    "xtick.minor.width",
    "ytick.minor.width",
    "xtick.minor.size",
    "ytick.minor.size",
)
FIGSIZE_KEY = "figure.figsize"

_saved: dict | None = None  # rcParams before presentation mode; None in normal mode
_scale: float = 1.0


class PresentationMode:
    """Returned by :func:`presentation_mode`: ``.scale``, ``.previous`` (the rcParams it
    replaced); usable as a context manager that restores them on exit."""

    def __init__(self, scale: float, previous: dict):
        self.scale = scale
        self.previous = previous

    def __enter__(self) -> "PresentationMode":
        return self

    def __exit__(self, *exc) -> None:
        normal_mode()

    def __repr__(self) -> str:
        return tr("presentation mode on (scale {scale:g}); normal_mode() switches it off").format(
            scale=self.scale
        )


def _scaled(value, factor: float):
    """``value`` * ``factor`` for a number; a relative size ("large") is returned as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * factor
    return value


def presentation_mode(scale: float = 1.6) -> PresentationMode:
    """Scale matplotlib's font sizes and line widths by ``scale`` and the figure size by
    ``sqrt(scale)``; return a :class:`PresentationMode` holding the previous values.

    Calling it again while on re-applies from the normal settings (scales do not compound).
    """
    global _saved, _scale
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 10:
        raise ValueError(f"scale must be a number in (0, 10], got {scale!r}")
    normal_mode()
    keys = FONT_KEYS + LINE_KEYS + (FIGSIZE_KEY,)
    _saved = {key: mpl.rcParams[key] for key in keys}
    for key in FONT_KEYS + LINE_KEYS:
        mpl.rcParams[key] = _scaled(_saved[key], scale)
    width, height = _saved[FIGSIZE_KEY]
    mpl.rcParams[FIGSIZE_KEY] = [width * math.sqrt(scale), height * math.sqrt(scale)]
    _scale = float(scale)
    return PresentationMode(float(scale), dict(_saved))


def normal_mode() -> None:
    """Restore the rcParams that :func:`presentation_mode` changed (no-op when not presenting)."""
    global _saved, _scale
    if _saved is not None:
        mpl.rcParams.update(_saved)
    _saved = None
    _scale = 1.0


def current_scale() -> float:
    """The scale of the presentation mode in force (1.0 in normal mode)."""
    return _scale
