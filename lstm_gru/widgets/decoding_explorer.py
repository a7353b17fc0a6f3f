"""The decoding explorer: type a word, watch an encoder-decoder pronounce it step by step,
greedy and with a beam. Static twin: :func:`decoding_figure`."""

import html
import math
import time

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lstm_gru.checks import check_positive_int
from lstm_gru.i18n import figure_text, tr
from lstm_gru.widgets.base import WIDGET_DPI, Explorer, figure_png, new_figure
from lstm_gru.widgets.decoding_trace import DecodingTrace, trace_decoding

DEFAULT_WORD = "thought"
MAX_BEAM_SIZE = 8  # the beam-size slider's limit
BEAM_COLORS = {"live": "C0", "finished": "C2", "earlier": "0.7"}
TEXT_COLORS = {"live": "C0", "finished": "#1a7a1a", "earlier": "0.45"}  # darker: readable


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
        self.figure = new_figure((1.6 * width, (1.75 if attends else 1.45) * height), pyplot)
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
        self.grid_ax.set_ylabel(figure_text("rank"))
        self.grid_ax.set_xlabel(figure_text("greedy step (the best candidate is fed back)"))
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
                Rectangle(
                    (0, 0), 1, 1, color=BEAM_COLORS["live"], label=figure_text("in the beam")
                ),
                Rectangle(
                    (0, 0),
                    1,
                    1,
                    color=BEAM_COLORS["finished"],
                    label=figure_text("ends at this step"),
                ),
                Rectangle(
                    (0, 0), 1, 1, color=BEAM_COLORS["earlier"], label=figure_text("ended earlier")
                ),
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
            figure_text(
                "greedy decoding of '{word}': the {top_k} most probable next tokens per step "
                "(output p = {p:.3g})"
            ).format(word=trace.word, top_k=self.top_k, p=math.exp(trace.greedy_log_prob)),
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
                figure_text(
                    "attention at greedy step {step} (writing {token}): darker letters weigh more"
                ).format(step=greedy_step, token=token),
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
            figure_text(
                "beam search, beam size {beam_size}: the hypotheses after step {step}"
            ).format(beam_size=trace.beam_size, step=beam_step),
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


class DecodingExplorer(Explorer):
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
            placeholder=tr("Type a word: it is pronounced as you type"),
            continuous_update=True,
            description=tr("word"),
        )
        self.beam_slider = widgets.IntSlider(
            beam_size, 1, MAX_BEAM_SIZE, description=tr("beam size"), continuous_update=True
        )
        self.step_slider = widgets.IntSlider(
            1, 1, 1, description=tr("step"), continuous_update=True
        )
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
            self._show_message(tr("<i>Type a word in the box above to see it decoded.</i>"), start)
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
            tr(" &nbsp; ({count} characters not in the vocabulary read as &lt;unk&gt;)").format(
                count=trace.unknown
            )
            if trace.unknown
            else ""
        )
        return tr(
            "<b>{word}</b>: greedy <code>{greedy}</code> (p = {greedy_p:.3f}); beam of "
            "{beam_size} <code>{beam}</code> (p = {beam_p:.3f}){unknown}"
        ).format(
            word=html.escape(trace.word),
            greedy=" ".join(trace.greedy),
            greedy_p=math.exp(trace.greedy_log_prob),
            beam_size=trace.beam_size,
            beam=" ".join(best),
            beam_p=math.exp(best_lp),
            unknown=unknown,
        )
