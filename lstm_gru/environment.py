"""Check a student's environment: the versions the course needs and the device it will use."""

import importlib
import platform
import sys
from dataclasses import dataclass

from lstm_gru.device import try_gpu


@dataclass
class Check:
    """One line of the environment report."""

    name: str
    ok: bool
    detail: str


def _major(version: str) -> int:
    return int(version.split(".")[0])


def _version_at_least(version: str, minimum: tuple[int, ...]) -> bool:
    numbers = []
    for part in version.split("+")[0].split(".")[: len(minimum)]:
        digits = "".join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits or 0))
    return tuple(numbers) >= minimum


def check_environment() -> list[Check]:
    """Run every check; each says what was found and, when it fails, what to do."""
    import ipywidgets
    import torch

    checks = [
        Check(
            "Python >= 3.10",
            sys.version_info >= (3, 10),
            f"Python {platform.python_version()}",
        ),
        Check(
            "PyTorch >= 2.4",
            _version_at_least(torch.__version__, (2, 4)),
            f"torch {torch.__version__}",
        ),
    ]
    device = try_gpu()
    checks.append(Check("device the course will use", True, str(device)))
    try:
        import jupyterlab_widgets

        lab_widgets = jupyterlab_widgets.__version__
    except ImportError:
        lab_widgets = "missing"
    matched = _major(ipywidgets.__version__) == 8 and lab_widgets.split(".")[0] == "3"
    checks.append(
        Check(
            "ipywidgets 8 with jupyterlab_widgets 3",
            matched,
            f"ipywidgets {ipywidgets.__version__}, jupyterlab_widgets {lab_widgets}"
            + ("" if matched else ": run `make lab` to rebuild the environment"),
        )
    )
    try:
        importlib.import_module("d2l.torch")
        checks.append(Check("d2l importable", True, "from d2l import torch as d2l"))
    except Exception as error:  # any import-time failure is what the student needs to see
        checks.append(Check("d2l importable", False, f"{type(error).__name__}: {error}"))
    return checks


def report(checks: list[Check]) -> str:
    """The checks as aligned lines: ``ok   name: detail`` or ``FAIL name: detail``."""
    width = max(len(c.name) for c in checks)
    return "\n".join(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}" for c in checks)
