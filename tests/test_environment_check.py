import platform
import subprocess
import sys
from pathlib import Path

import ipywidgets
import jupyterlab_widgets
import pytest
import torch
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from lstm_gru import device, environment

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def by_name(checks):
    return {c.name: c for c in checks}


def test_this_environment_passes_every_check(monkeypatch):
    monkeypatch.delenv("LSTM_GRU_DEVICE", raising=False)
    checks = environment.check_environment()
    assert [c.name for c in checks] == [
        "Python 3.10-3.13",
        "PyTorch >= 2.4, < 3",
        "device the course will use",
        "ipywidgets 8 with jupyterlab_widgets 3",
        "d2l importable",
    ]
    assert all(c.ok and not c.warning for c in checks), environment.report(checks)
    assert by_name(checks)["Python 3.10-3.13"].detail == f"Python {platform.python_version()}"
    assert by_name(checks)["PyTorch >= 2.4, < 3"].detail == f"torch {torch.__version__}"
    chosen, reason = device.device_choice()
    assert by_name(checks)["device the course will use"].detail == f"{chosen} ({reason})"


def test_supported_range_matches_pyproject_and_environment_yml():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10" and environment.PYTHON_MIN == (3, 10)
    torch_spec = next(
        Requirement(r).specifier for r in project["dependencies"] if r.startswith("torch>")
    )
    assert torch_spec == SpecifierSet(">=2.4,<3")
    assert (environment.TORCH_MIN, environment.TORCH_BELOW) == ((2, 4), (3,))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python>=3.10,<3.14" in env["dependencies"]
    assert environment.PYTHON_TESTED_MAX == (3, 13)


@pytest.mark.parametrize("version", ["3.10.0", "3.11.7", "3.13.0"])
def test_supported_pythons_pass(version):
    assert environment.check_python(version) == environment.Check(
        "Python 3.10-3.13", True, f"Python {version}"
    )


def test_old_python_fails_with_the_version_and_the_supported_range(monkeypatch):
    monkeypatch.setattr(platform, "python_version", lambda: "3.9.18")
    check = environment.check_environment()[0]
    assert not check.ok
    assert check.detail == (
        "Python 3.9.18 found, the course supports 3.10-3.13: rebuild the environment with a "
        "supported Python (rm -rf .venv && make lab PYTHON=python3.12)"
    )
    assert environment.report([check]).startswith("FAIL  Python 3.10-3.13  Python 3.9.18 found")


def test_newer_python_passes_with_a_warning():
    check = environment.check_python("3.14.0")
    assert check.ok and check.warning
    assert check.detail == (
        "Python 3.14.0: newer than the tested 3.10-3.13; if a chapter fails, rebuild with "
        "Python 3.13 (rm -rf .venv && make lab PYTHON=python3.13)"
    )
    assert environment.report([check]).startswith("warn  Python 3.10-3.13  Python 3.14.0: newer")


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("2.4.0", True),
        ("2.14.1+cu130", True),
        ("2.5.0a0+git1234", True),
        ("2.3.1+cpu", False),
        ("1.13.1", False),
        ("3.0.0", False),
    ],
)
def test_torch_version_range(monkeypatch, version, ok):
    monkeypatch.setattr(torch, "__version__", version)
    check = by_name(environment.check_environment())["PyTorch >= 2.4, < 3"]
    assert check.ok is ok
    expected = f"torch {version}"
    if not ok:
        expected += (
            " found, the course needs >= 2.4, < 3: run `make lab` to rebuild the environment"
        )
    assert check.detail == expected


def test_missing_torch_is_reported_not_raised(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    checks = by_name(environment.check_environment())
    assert not checks["PyTorch >= 2.4, < 3"].ok
    assert checks["PyTorch >= 2.4, < 3"].detail.startswith("torch missing (ModuleNotFoundError: ")
    assert checks["PyTorch >= 2.4, < 3"].detail.endswith(
        "run `make lab` to rebuild the environment"
    )
    assert checks["device the course will use"] == environment.Check(
        "device the course will use", False, "cannot be chosen without torch"
    )


def test_device_line_shows_the_choice_and_the_reason(monkeypatch):
    monkeypatch.setenv("LSTM_GRU_DEVICE", "cpu")
    check = by_name(environment.check_environment())["device the course will use"]
    assert check == environment.Check(
        "device the course will use", True, "cpu (LSTM_GRU_DEVICE=cpu)"
    )
    monkeypatch.setenv("LSTM_GRU_DEVICE", "tpu")
    check = by_name(environment.check_environment())["device the course will use"]
    assert not check.ok
    assert check.detail.startswith("LSTM_GRU_DEVICE must be one of cpu, cuda, mps")


def test_mismatched_widget_packages_are_reported(monkeypatch):
    monkeypatch.setattr(jupyterlab_widgets, "__version__", "1.1.0")
    check = by_name(environment.check_environment())["ipywidgets 8 with jupyterlab_widgets 3"]
    assert not check.ok
    assert check.detail == (
        f"ipywidgets {ipywidgets.__version__}, jupyterlab_widgets 1.1.0: "
        "run `make lab` to rebuild the environment"
    )


def test_report_marks_failures_and_warnings():
    checks = [
        environment.Check("a", True, "fine"),
        environment.Check("longer", False, "broken"),
        environment.Check("b", True, "untested", warning=True),
    ]
    assert environment.report(checks) == (
        "ok    a       fine\nFAIL  longer  broken\nwarn  b       untested"
    )


REPORT_BY_PATH = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from lstm_gru.environment import check_environment, report
print(report(check_environment()))
"""


@pytest.mark.parametrize("version", ["3.9", "3.10"])
def test_a_bare_interpreter_gets_a_report_not_a_traceback(version):
    """Python 3.9 (unsupported) and a 3.10 without torch or widgets: the checks still report."""
    installed = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    if not installed:
        pytest.skip(f"python{version} is not installed under ~/.pyenv")
    python = installed[-1]
    result = subprocess.run(
        [str(python), "-I", "-c", REPORT_BY_PATH], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    found = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    python_ok = "ok    Python 3.10-3.13" if version == "3.10" else "FAIL  Python 3.10-3.13"
    assert lines[0].startswith(python_ok) and f"Python {found}" in lines[0]
    assert lines[1].startswith("FAIL  PyTorch >= 2.4, < 3")
    assert "torch missing (ModuleNotFoundError: No module named 'torch')" in lines[1]
    assert (
        lines[2].split() == "FAIL device the course will use cannot be chosen without torch".split()
    )
