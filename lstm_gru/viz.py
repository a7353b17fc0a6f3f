"""Static figures of gate activity: one heatmap per gate, units x time, tokens on the time axis.

Colour scales are fixed per kind of value, so two heatmaps of the same kind can be compared
by eye: sigmoid gates (input, forget, output, reset, update) are 0..1 on a sequential map;
tanh values (candidate, hidden) are -1..1 on a diverging map; the LSTM cell state, which
is not bounded, is symmetric around 0 on the same diverging map with its own limits.
Sizes come from matplotlib's rcParams, so :mod:`lstm_gru.present` enlarges them.
"""

import math
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from lstm_gru.checks import check_positive_int
from lstm_gru.i18n import figure_text, prepare_figure

SIGMOID_GATES = frozenset({"input", "forget", "output", "reset", "update"})
STATE_NAMES = frozenset({"cell"})  # unbounded values
GATE_CMAP = "viridis"  # sequential, readable in greyscale and by colour-blind readers
VALUE_CMAP = "RdBu_r"  # diverging: blue negative, white 0, red positive

# How whitespace and control characters appear as tick labels.
PRINTABLE = {"\n": "↵", " ": "␣", "\t": "⇥", "\r": "␍"}


def printable_token(token: str) -> str:
    """A visible label for ``token``: '\\n' -> '↵', ' ' -> '␣', '\\t' -> '⇥', other control
    characters as their escape (e.g. '\\x00'); anything else unchanged."""
    if token in PRINTABLE:
        return PRINTABLE[token]
    if len(token) == 1 and not token.isprintable():
        return repr(token)[1:-1]
    return token


def gate_label(name: str) -> str:
    """Gate ``name`` as a figure names it: the name itself in English, the gate's name in the
    reader's language otherwise (``figure_text``); a name the course does not know stays as
    it is."""
    labels = {
        "input": figure_text("input"),
        "forget": figure_text("forget"),
        "output": figure_text("output"),
        "reset": figure_text("reset"),
        "update": figure_text("update"),
        "candidate": figure_text("candidate"),
        "cell": figure_text("cell"),
        "hidden": figure_text("hidden"),
    }
    return labels.get(name, name)


def gate_kind(name: str) -> str:
    """ "gate" for a sigmoid gate (0..1), "state" for the unbounded cell state, else "tanh"."""
    if name in SIGMOID_GATES:
        return "gate"
    return "state" if name in STATE_NAMES else "tanh"


def color_limits(name: str, values: np.ndarray) -> tuple[float, float]:
    """Colour limits for gate ``name``: (0, 1) for sigmoid gates, else symmetric (-L, L) with
    L = max(1, max |values|) rounded up to 0.1 (so tanh values always get (-1, 1))."""
    if gate_kind(name) == "gate":
        return 0.0, 1.0
    peak = float(np.max(np.abs(values))) if np.size(values) else 0.0
    limit = max(1.0, math.ceil(peak * 10) / 10)
    return -limit, limit


def colormap(name: str) -> str:
    """The colormap for gate ``name``: sequential for sigmoid gates, diverging otherwise."""
    return GATE_CMAP if gate_kind(name) == "gate" else VALUE_CMAP


def trace_names(trace) -> list[str]:
    """The gate names of a GateTrace, in its order."""
    names = getattr(trace, "names", None)
    return list(names) if names is not None else list(trace.gates)


def check_names(trace, names) -> list[str]:
    """``names`` (None: all of the trace's) checked against the trace's gates; return a list."""
    available = trace_names(trace)
    if names is None:
        return available
    if isinstance(names, str):
        names = [names]
    names = list(names)
    unknown = [n for n in names if n not in available]
    if unknown or not names:
        raise ValueError(f"names must be some of {available}, got {names}")
    return names


def gate_matrix(trace, name: str, sample: int = 0, max_units: int | None = None) -> np.ndarray:
    """Gate ``name`` of batch element ``sample`` as a float array (units, time).

    The trace stores (num_steps, batch_size, num_hiddens); only the first ``max_units``
    units are kept when it is given.
    """
    values = trace.gates[name]
    if isinstance(values, torch.Tensor):
        values = values.detach().float().cpu().numpy()
    values = np.asarray(values)
    if values.ndim != 3:
        raise ValueError(
            f"trace.gates[{name!r}] must have shape (num_steps, batch_size, num_hiddens), "
            f"got {values.shape}"
        )
    batch_size = values.shape[1]
    if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample < batch_size:
        raise ValueError(f"sample must be an int in [0, {batch_size}), got {sample!r}")
    matrix = values[:, sample, :].T  # (num_hiddens, num_steps)
    if max_units is not None:
        matrix = matrix[: check_positive_int(max_units, "max_units")]
    return matrix


def time_ticks(
    tokens: Sequence[str] | None, num_steps: int, max_labels: int
) -> tuple[list[int], list[str]]:
    """Tick positions and labels for the time axis: every k-th step so that at most
    ``max_labels`` labels show; labels are printable tokens, or step numbers without tokens."""
    every = max(1, math.ceil(num_steps / max(1, max_labels)))
    positions = list(range(0, num_steps, every))
    if tokens is None:
        return positions, [str(t) for t in positions]
    return positions, [printable_token(tokens[t]) for t in positions]


def max_time_labels(width_inches: float, fontsize: float | None = None) -> int:
    """How many single-character tick labels fit across ``width_inches`` at ``fontsize``."""
    fontsize = (
        fontsize
        or mpl.font_manager.FontProperties(
            size=mpl.rcParams["xtick.labelsize"]
        ).get_size_in_points()
    )
    return max(1, int(width_inches * 72 / (1.5 * fontsize)))


def plot_gates(
    trace,
    names: Sequence[str] | None = None,
    sample: int = 0,
    max_units: int | None = None,
    *,
    axes: Sequence | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """One heatmap per gate of ``trace`` (a GateTrace), units on the y axis, time on the x axis.

    trace.gates[name]: (num_steps, batch_size, num_hiddens); ``sample`` picks the batch
    element, ``max_units`` keeps the first units. The time axis shows ``trace.tokens``
    (whitespace made visible) or step numbers. ``axes``: one Axes per gate to draw into
    (default: a new pyplot figure, ``figsize`` or a size derived from rcParams).
    Returns the Figure (never calls ``plt.show``). It is a pyplot figure, so a notebook
    shows it at the end of the cell: assign it (``fig = plot_gates(trace)``) to show it once.
    """
    names = check_names(trace, names)
    prepare_figure()
    matrices = [gate_matrix(trace, n, sample, max_units) for n in names]
    num_units, num_steps = matrices[0].shape
    tokens = getattr(trace, "tokens", None)
    if tokens is not None and len(tokens) != num_steps:
        raise ValueError(f"trace.tokens must have num_steps={num_steps} entries, got {len(tokens)}")
    if axes is None:
        width, height = mpl.rcParams["figure.figsize"]
        if figsize is None:
            figsize = (1.5 * width, 0.3 * height * len(names) + 0.3 * height)
        fig, axes = plt.subplots(
            len(names), 1, figsize=figsize, sharex=True, squeeze=False, layout="constrained"
        )
        axes = list(axes[:, 0])
    else:
        axes = list(axes)
        if len(axes) != len(names):
            raise ValueError(f"axes must hold one Axes per gate ({len(names)}), got {len(axes)}")
        fig = axes[0].figure
    for ax, name, matrix in zip(axes, names, matrices, strict=True):
        vmin, vmax = color_limits(name, matrix)
        image = ax.imshow(
            matrix,  # (units, time)
            aspect="auto",
            interpolation="nearest",
            cmap=colormap(name),
            vmin=vmin,
            vmax=vmax,
        )
        ax.set_ylabel(figure_text("{name}\nunit").format(name=gate_label(name)))
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=3, integer=True))
        fig.colorbar(image, ax=ax, pad=0.01, aspect=8)
    width_inches = fig.get_figwidth() * 0.8
    positions, labels = time_ticks(tokens, num_steps, max_time_labels(width_inches))
    for ax in axes:  # shared x axes (the default figure) show the labels at the bottom only
        ax.set_xticks(positions, labels)
    axes[-1].set_xlabel(
        figure_text("input token") if tokens is not None else figure_text("time step")
    )
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_alignment(weights, source_tokens, output_tokens, ax=None, title: str | None = None):
    """Heatmap of attention weights (len(output_tokens), len(source_tokens)): one row per
    output token, one column per source token, darker = more weight. Returns the Axes."""
    weights = np.asarray(weights.cpu() if isinstance(weights, torch.Tensor) else weights)
    if weights.shape != (len(output_tokens), len(source_tokens)):
        raise ValueError(
            f"weights must have shape (len(output_tokens)={len(output_tokens)}, "
            f"len(source_tokens)={len(source_tokens)}), got {weights.shape}"
        )
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    ax.imshow(weights, cmap="Blues", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(source_tokens)), [printable_token(t) for t in source_tokens])
    ax.set_yticks(range(len(output_tokens)), list(output_tokens))
    ax.tick_params(length=0)
    if title is not None:
        ax.set_title(title)
    return ax
