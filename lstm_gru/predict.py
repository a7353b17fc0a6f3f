"""Predict first: commit to an answer before an experiment runs, then see the measurement
beside your pick (the "predict, observe, explain" routine of active-learning lectures).

``PredictFirst(question, options)`` shows the question with one button per option. After the
experiment, ``reveal(answer, measured)`` records the option the measurement supports; the widget
shows it, and whether the pick matched, once there is a pick, so that "Run All" does not give
the answer away before the student commits. ``reveal`` also displays the answer folded in a
``<details>`` block, for static pages (``make html``, GitHub), where the question and the
options appear as text.
"""

import html
from collections.abc import Sequence

import ipywidgets as widgets
from IPython.display import display

from lstm_gru.i18n import tr

__all__ = ["PredictFirst"]


class PredictFirst:
    """A question and its options as toggle buttons; ``reveal`` shows the measured answer.

    Attributes: ``widget`` (the ipywidgets root), ``pick`` (the chosen option or None),
    ``answer`` and ``measured`` (None until revealed). ``choose(option)`` picks from code.
    """

    def __init__(self, question: str, options: Sequence[str]):
        if not isinstance(question, str) or not question.strip():
            raise ValueError(f"question must be a non-empty str, got {question!r}")
        options = list(options)
        if len(options) < 2 or len(set(options)) != len(options):
            raise ValueError(f"options must be at least two different strs, got {options!r}")
        if not all(isinstance(o, str) and o for o in options):
            raise ValueError(f"options must be non-empty strs, got {options!r}")
        self.question, self.options = question, options
        self.answer = self.measured = None
        self.buttons = widgets.ToggleButtons(
            options=options, value=None, style={"button_width": "auto"}
        )
        self.result = widgets.HTML(tr("<i>Pick an answer before you run the experiment.</i>"))
        prompt = widgets.HTML(
            tr("<b>Predict first.</b> {question}").format(question=html.escape(question))
        )
        self.widget = widgets.VBox([prompt, self.buttons, self.result])
        self.buttons.observe(lambda _: self._update(), names="value")

    @property
    def pick(self) -> str | None:
        return self.buttons.value

    def choose(self, option: str) -> None:
        """Pick ``option`` (as a click on its button does)."""
        if option not in self.options:
            raise ValueError(f"option must be one of {self.options}, got {option!r}")
        self.buttons.value = option

    def verdict(self) -> str:
        """One sentence: the measured answer and how the pick compares (after ``reveal``; before
        a pick, only a reminder to pick, without the answer)."""
        if self.answer is None:
            return tr("Not revealed yet: run the experiment first.")
        if self.pick is None:
            return tr("Measured. Pick an answer to see the result.")
        text = tr("Measured: {measured}. So: {answer}.").format(
            measured=self.measured, answer=self.answer
        )
        if self.pick == self.answer:
            return text + tr(" You predicted {pick}: right.").format(pick=self.pick)
        return text + tr(" You predicted {pick}: not this time. Why might that be?").format(
            pick=self.pick
        )

    def _update(self) -> None:
        if self.answer is not None:
            self.result.value = html.escape(self.verdict())

    def reveal(self, answer: str, measured: str) -> None:
        """Record that the measurement ``measured`` (a short text) supports ``answer``, one of
        the options: the widget shows it beside the pick once there is one. Also display it,
        for pages where widgets do not run, folded in HTML (text as it is in plain text)."""
        if answer not in self.options:
            raise ValueError(f"answer must be one of {self.options}, got {answer!r}")
        self.answer, self.measured = answer, measured
        self._update()
        text = (
            tr("Predict first: {question}").format(question=self.question)
            + "\n"
            + tr("Measured: {measured}. So: {answer}.").format(measured=measured, answer=answer)
        )
        display(_Folded(text, tr("The measured answer (pick above first)")))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        lines = [tr("Predict first: {question}").format(question=self.question)]
        lines += [f"  ({chr(ord('a') + k)}) {o}" for k, o in enumerate(self.options)]
        bundle["text/plain"] = "\n".join(lines)
        return bundle


class _Folded:
    """``text`` as displayed output: as it is in plain text (and outside IPython, where display
    prints it), folded under ``summary`` in HTML, so that a live notebook keeps it out of sight
    and a static page shows it on a click."""

    def __init__(self, text: str, summary: str):
        self.text, self.summary = text, summary

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        body = html.escape(self.text).replace("\n", "<br>")
        return f"<details><summary>{html.escape(self.summary)}</summary>{body}</details>"
