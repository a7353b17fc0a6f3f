import ipywidgets
import jupyterlab_widgets
import torch

from lstm_gru import environment


def by_name(checks):
    return {c.name: c for c in checks}


def test_this_environment_passes_every_check():
    checks = environment.check_environment()
    assert [c.name for c in checks] == [
        "Python >= 3.10",
        "PyTorch >= 2.4",
        "device the course will use",
        "ipywidgets 8 with jupyterlab_widgets 3",
        "d2l importable",
    ]
    assert all(c.ok for c in checks), environment.report(checks)
    assert by_name(checks)["PyTorch >= 2.4"].detail == f"torch {torch.__version__}"


def test_mismatched_widget_packages_are_reported(monkeypatch):
    monkeypatch.setattr(jupyterlab_widgets, "__version__", "1.1.0")
    check = by_name(environment.check_environment())["ipywidgets 8 with jupyterlab_widgets 3"]
    assert not check.ok
    assert check.detail == (
        f"ipywidgets {ipywidgets.__version__}, jupyterlab_widgets 1.1.0: "
        "run `make lab` to rebuild the environment"
    )


def test_old_torch_fails_the_version_check(monkeypatch):
    monkeypatch.setattr(torch, "__version__", "2.3.1+cpu")
    assert not by_name(environment.check_environment())["PyTorch >= 2.4"].ok


def test_report_marks_failures():
    checks = [environment.Check("a", True, "fine"), environment.Check("longer", False, "broken")]
    assert environment.report(checks) == "ok    a       fine\nFAIL  longer  broken"
