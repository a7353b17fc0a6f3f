"""Probing what a character model's units track in Python source.

:func:`python_labels` marks, for every character of some Python source, whether it sits inside
a string literal, inside a comment, how deep inside brackets, how far its line is indented,
whether it is part of that indentation and at which column it is, using Python's own tokenizer (so quotes inside comments, apostrophes inside strings
and triple-quoted docstrings are handled right). :func:`unit_correlations` then measures how
well each unit of a recorded state (e.g. the LSTM memory cell from ``trace_gates``) follows
such a label: the Pearson correlation over all characters. A unit with a correlation near
+1 or -1 is a "string detector" or a "bracket counter" of the kind Karpathy et al. (2015)
found in character LSTMs.
"""

import io
import tokenize

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from lstm_gru.viz import VALUE_CMAP, printable_token

__all__ = ["LABEL_NAMES", "python_labels", "text_heatmap", "unit_correlations"]

LABEL_NAMES = ("string", "comment", "bracket", "indent", "leading_space", "column")

# Python 3.12+ splits f-strings into FSTRING_START ... FSTRING_END; earlier versions emit STRING.
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def python_labels(text: str) -> dict[str, np.ndarray]:
    """Per-character labels of Python source ``text``; each an int array (len(text),).

    - ``"string"``: 1 inside a string literal, its quotes and prefix included (docstrings too);
    - ``"comment"``: 1 from a ``#`` to the end of its line;
    - ``"bracket"``: how many pairs of ``()``, ``[]``, ``{}`` enclose the character (the
      brackets themselves are outside their own pair);
    - ``"indent"``: the number of leading spaces of the character's line;
    - ``"leading_space"``: 1 for those leading spaces themselves (the indentation being typed);
    - ``"column"``: the character's position in its line, from 0.

    ``text`` must tokenize as Python (e.g. whole modules joined by blank lines, as the stdlib
    corpus of ``lstm_gru.data`` is); otherwise a ValueError says where tokenizing failed.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    lines = io.StringIO(text).readlines()  # split at "\n" only, as the tokenizer reads
    line_starts = np.concatenate([[0], np.cumsum([len(line) for line in lines])])
    # Differences: +1 where a span starts, -1 where it ends; a cumulative sum gives the labels.
    marks = {name: np.zeros(len(text) + 1, dtype=np.int64) for name in LABEL_NAMES[:3]}
    fstring_starts = []  # offsets of open f-strings (Python 3.12+), innermost last
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            start = line_starts[token.start[0] - 1] + token.start[1]
            end = line_starts[token.end[0] - 1] + token.end[1]
            if token.type in (tokenize.STRING, tokenize.COMMENT):
                name = "string" if token.type == tokenize.STRING else "comment"
                marks[name][start] += 1
                marks[name][end] -= 1
            elif token.type == _FSTRING_START:
                fstring_starts.append(start)
            elif token.type == _FSTRING_END:
                marks["string"][fstring_starts.pop()] += 1
                marks["string"][end] -= 1
            elif token.type == tokenize.OP and token.string in "([{" and not fstring_starts:
                marks["bracket"][end] += 1
            elif token.type == tokenize.OP and token.string in ")]}" and not fstring_starts:
                marks["bracket"][start] -= 1
    except (tokenize.TokenError, SyntaxError) as error:
        raise ValueError(f"text must be Python source that tokenizes: {error}") from None
    labels = {name: np.cumsum(diff)[:-1] for name, diff in marks.items()}
    labels["string"] = np.minimum(labels["string"], 1)  # f-strings nest in 3.12's tokens
    lengths = [len(line) for line in lines]
    indents = np.array([len(line) - len(line.lstrip(" ")) for line in lines], dtype=np.int64)
    labels["indent"] = np.repeat(indents, lengths)
    column = np.arange(len(text)) - np.repeat(line_starts[:-1], lengths)
    labels["leading_space"] = (column < labels["indent"]).astype(np.int64)
    labels["column"] = column
    return labels


def unit_correlations(values, label) -> np.ndarray:
    """Pearson correlation of every unit with ``label`` over time: an array (num_units,).

    ``values``: (num_steps, num_units), a tensor or array (e.g. one sequence of a GateTrace's
    ``"cell"``, or several sequences concatenated along time); ``label``: (num_steps,).
    A unit (or a label) that never changes has correlation 0.
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    values = np.asarray(values, dtype=np.float64)
    label = np.asarray(label, dtype=np.float64)
    if values.ndim != 2 or label.shape != (values.shape[0],):
        raise ValueError(
            f"values must have shape (num_steps, num_units) and label (num_steps,), got "
            f"values {values.shape} and label {label.shape}"
        )
    centred = values - values.mean(axis=0)  # (num_steps, num_units)
    label = label - label.mean()  # (num_steps,)
    norms = np.sqrt((centred**2).sum(axis=0) * (label**2).sum())  # (num_units,)
    covariance = label @ centred  # (num_units,)
    return np.divide(covariance, norms, out=np.zeros_like(covariance), where=norms > 0)


def text_heatmap(
    text: str, values, *, limit: float | None = None, title: str | None = None, width: int = 80
) -> Figure:
    """``text`` drawn as a grid of characters, each on a colour for its value (Karpathy et al.
    2015's picture of one unit): red positive, blue negative, white 0.

    ``values``: (len(text),) floats, e.g. one unit of a trace's ``"cell"``; ``limit``: the
    colour scale is (-limit, limit) (default: max |values|); lines longer than ``width``
    characters wrap (the figure is as wide as the longest row). Newlines show as '↵' and end the row. Returns a pyplot Figure (assign it,
    so the notebook shows it once).
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    values = np.asarray(values, dtype=np.float64)
    if not isinstance(text, str) or not text or values.shape != (len(text),):
        raise ValueError(
            f"text must be a non-empty str and values have shape (len(text),) = ({len(text)},), "
            f"got values {values.shape}"
        )
    cells, row, col = [], 0, 0  # (row, col, char, value) for every character
    for char, value in zip(text, values, strict=True):
        if col == width:
            row, col = row + 1, 0
        cells.append((row, col, printable_token(char) if char in "\n\t" else char, value))
        col += 1
        if char == "\n":
            row, col = row + 1, 0
    num_rows = cells[-1][0] + 1
    num_cols = max(c for _, c, _, _ in cells) + 1  # the longest row
    limit = limit or max(float(np.abs(values).max()), 1e-9)
    cmap, norm = plt.get_cmap(VALUE_CMAP), plt.Normalize(-limit, limit)
    fig, ax = plt.subplots(
        figsize=(0.16 * num_cols + 1.2, 0.3 * num_rows + 0.8), layout="constrained"
    )
    for r, c, char, value in cells:
        ax.add_patch(plt.Rectangle((c, r), 1, 1, color=cmap(norm(value)), linewidth=0))
        ax.text(c + 0.5, r + 0.55, char, ha="center", va="center", family="monospace")
    ax.set_xlim(0, num_cols)
    ax.set_ylim(num_rows, 0)
    ax.axis("off")
    fig.colorbar(plt.cm.ScalarMappable(norm, cmap), ax=ax, pad=0.01, aspect=15, shrink=0.8)
    if title is not None:
        ax.set_title(title, loc="left")
    return fig
