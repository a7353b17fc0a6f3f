"""Check a student's environment: the versions the course needs and the device it will use.

Everything that could be missing or too old (torch, ipywidgets, d2l) is imported inside the
checks, so an unsupported environment gives a report, not a traceback.
"""

from __future__ import annotations  # this module must import, and report, on an old Python too

import importlib
import platform
import unicodedata
from dataclasses import dataclass

PYTHON_MIN = (3, 10)  # pyproject.toml: requires-python = ">=3.10"
PYTHON_TESTED_MAX = (3, 13)  # newest Python the course is tested on (environment.yml: <3.14)
TORCH_MIN = (2, 4)  # pyproject.toml: "torch>=2.4,<3"
TORCH_BELOW = (3,)


def tr(text: str) -> str:
    """``lstm_gru.i18n.tr``, or ``text`` itself when that cannot run (this module reports on
    environments the rest of the package does not support)."""
    try:
        from lstm_gru.i18n import tr as translate

        return translate(text)
    except Exception:
        return text


def _rebuild() -> str:
    return tr("run `make lab` to rebuild the environment")


@dataclass
class Check:
    """One line of the environment report; ``warning``: passed, but read the detail."""

    name: str
    ok: bool
    detail: str
    warning: bool = False


def _version_tuple(version: str, length: int = 3) -> tuple[int, ...]:
    """``"2.4.1+cu121"`` -> ``(2, 4, 1)``: the leading digits of each dotted part."""
    numbers = []
    for part in version.split("+")[0].split(".")[:length]:
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        numbers.append(int(digits or 0))
    return tuple(numbers)


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def check_python(version: str) -> Check:
    """Python ``version`` (e.g. ``"3.11.7"``) against the supported 3.10 to 3.13."""
    supported = f"{_dotted(PYTHON_MIN)}-{_dotted(PYTHON_TESTED_MAX)}"
    name = f"Python {supported}"
    found = _version_tuple(version, 2)
    if found < PYTHON_MIN:
        return Check(
            name,
            False,
            tr(
                "Python {version} found, the course supports {supported}: rebuild the "
                "environment with a supported Python (rm -rf .venv && make lab "
                "PYTHON=python3.12)"
            ).format(version=version, supported=supported),
        )
    if found > PYTHON_TESTED_MAX:
        return Check(
            name,
            True,
            tr(
                "Python {version}: newer than the tested {supported}; if a chapter fails, "
                "rebuild with Python {tested} (rm -rf .venv && make lab PYTHON=python{tested})"
            ).format(version=version, supported=supported, tested=_dotted(PYTHON_TESTED_MAX)),
            warning=True,
        )
    return Check(name, True, f"Python {version}")


def check_torch(version: str) -> Check:
    """PyTorch ``version`` (``torch.__version__``) against the supported ``>= 2.4, < 3``."""
    supported = f">= {_dotted(TORCH_MIN)}, < {_dotted(TORCH_BELOW)}"
    found = _version_tuple(version)
    ok = TORCH_MIN <= found < TORCH_BELOW
    detail = f"torch {version}"
    if not ok:
        detail += tr(" found, the course needs {supported}: {rebuild}").format(
            supported=supported, rebuild=_rebuild()
        )
    return Check(f"PyTorch {supported}", ok, detail)


def check_environment() -> list[Check]:
    """Run every check; each says what was found and, when it fails, what to do."""
    checks = [check_python(platform.python_version())]
    torch_name = f"PyTorch >= {_dotted(TORCH_MIN)}, < {_dotted(TORCH_BELOW)}"
    device_name = tr("device the course will use")
    try:
        import torch
    except Exception as error:  # missing, or broken (e.g. a library it needs will not load)
        checks.append(
            Check(
                torch_name,
                False,
                tr("torch missing ({kind}: {error}): {rebuild}").format(
                    kind=type(error).__name__, error=error, rebuild=_rebuild()
                ),
            )
        )
        checks.append(Check(device_name, False, tr("cannot be chosen without torch")))
    else:
        checks.append(check_torch(torch.__version__))
        try:
            from lstm_gru.device import device_choice  # needs numpy too

            device, reason = device_choice()
            checks.append(Check(device_name, True, f"{device} ({reason})"))
        except (ImportError, ValueError, RuntimeError) as error:  # or a bad $LSTM_GRU_DEVICE
            checks.append(Check(device_name, False, str(error)))
    checks.append(_check_widgets())
    try:
        importlib.import_module("d2l.torch")
        checks.append(Check(tr("d2l importable"), True, "from d2l import torch as d2l"))
    except Exception as error:  # any import-time failure is what the student needs to see
        checks.append(Check(tr("d2l importable"), False, f"{type(error).__name__}: {error}"))
    return checks


def _check_widgets() -> Check:
    """ipywidgets 8 needs jupyterlab_widgets 3, or widgets show up as plain text."""
    versions = {}
    for module in ("ipywidgets", "jupyterlab_widgets"):
        try:
            versions[module] = importlib.import_module(module).__version__
        except ImportError:
            versions[module] = tr("missing")
    ipywidgets, lab_widgets = versions["ipywidgets"], versions["jupyterlab_widgets"]
    matched = ipywidgets.split(".")[0] == "8" and lab_widgets.split(".")[0] == "3"
    return Check(
        tr("ipywidgets 8 with jupyterlab_widgets 3"),
        matched,
        f"ipywidgets {ipywidgets}, jupyterlab_widgets {lab_widgets}"
        + ("" if matched else f": {_rebuild()}"),
    )


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: wide (Chinese) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def report(checks: list[Check]) -> str:
    """The checks as aligned lines: ``ok   name: detail``, ``warn ...`` or ``FAIL ...``."""
    width = max(_width(c.name) for c in checks)
    marks = {(True, False): tr("ok  "), (True, True): tr("warn")}
    return "\n".join(
        f"{marks.get((c.ok, c.warning), tr('FAIL'))}  {c.name}{' ' * (width - _width(c.name))}"
        f"  {c.detail}"
        for c in checks
    )
