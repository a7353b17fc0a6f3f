"""Conclusions drawn from training, checked where the reader sees them.

Training results (accuracies, perplexities, error rates) differ in their last digits from
machine to machine: another CPU, thread count or Python sums floating-point numbers in another
order, and a trained model amplifies such differences. So a chapter does not compare them
digit for digit. Instead, every conclusion its text draws from them is stated once more as a
``claim`` with a tolerance that holds across seeds and machines::

    claim("the LSTM with chrono initialisation solves the task (>= 95%)", acc >= 0.95, acc)

prints ``✔ the LSTM with chrono initialisation solves the task (>= 95%)`` (the same line on
every machine) or raises ``ClaimError`` with the measured value. With the environment variable
``LSTM_GRU_SMOKE=1`` (set by the browser tests, which run chapters with tiny training budgets
only to drive their widgets) a claim that does not hold is reported, not raised.
"""

import os

from lstm_gru.i18n import tr

SMOKE_ENV = "LSTM_GRU_SMOKE"


class ClaimError(AssertionError):
    """A conclusion the chapter draws from its measurements did not hold in this run."""


def _smoke_run() -> bool:
    return os.environ.get(SMOKE_ENV, "") not in ("", "0")


def claim(statement: str, holds, measured=None) -> None:
    """Check one conclusion: print ``✔ statement`` if ``holds``, else raise ``ClaimError``.

    ``statement``: the conclusion in words, with its tolerance (e.g. "within 5 points of
    chance"). ``holds``: a bool (or a one-element bool tensor). ``measured``: the value(s) the
    conclusion rests on, shown only when it fails. Returns None, so a notebook cell that
    ends with a claim shows the check line and nothing else.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError(f"statement must be a non-empty str, got {statement!r}")
    holds = bool(holds)
    if holds:
        print(f"✔ {statement}")
        return
    if _smoke_run():
        detail = (
            "" if measured is None else tr(" (measured: {value})").format(value=_shown(measured))
        )
        print(
            tr("- not checked in this smoke run ({env}=1): {statement}{detail}").format(
                env=SMOKE_ENV, statement=statement, detail=detail
            )
        )
        return
    detail = "" if measured is None else f" (measured: {_shown(measured)})"
    raise ClaimError(f"this run does not support the claim: {statement}{detail}")


def _shown(value) -> str:
    """A measured value for an error message: floats to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return str(value)
