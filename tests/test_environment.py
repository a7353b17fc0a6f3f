"""The environment the set-up builds: files in sync, d2l importable, lint clean."""

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["test"]
    return {
        Requirement(r).name.lower().replace("_", "-"): str(Requirement(r).specifier) for r in lines
    }


def environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return {
        Requirement(r).name.lower().replace("_", "-"): str(Requirement(r).specifier)
        for r in pip_section
    }


def test_environment_yml_matches_pyproject():
    assert environment_requirements() == pyproject_requirements()


def test_every_dependency_is_a_bounded_range():
    for name, spec in pyproject_requirements().items():
        assert ">=" in spec and "<" in spec.replace("<=", "").replace(">=", ""), (name, spec)


def test_python_floor_agrees():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_python = next(
        d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")
    )
    assert project["requires-python"] == ">=3.10"
    assert conda_python.startswith("python>=3.10")


def test_every_package_and_data_file_is_listed_for_installation():
    """A non-editable `pip install .` ships only the packages and data pyproject.toml lists."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = sorted(
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "lstm_gru").rglob("__init__.py")
    )
    assert (
        setuptools["packages"]
        == packages
        == [
            "lstm_gru",
            "lstm_gru.bench",
            "lstm_gru.corpora",
            "lstm_gru.exercises",
            "lstm_gru.widgets",
        ]
    )
    corpora = ROOT / "lstm_gru" / "corpora"
    data_files = sorted(p.name for p in corpora.iterdir() if p.is_file() and p.suffix != ".py")
    assert data_files == ["LICENSE-PSF.txt", "README.md", "python_stdlib.txt.gz"]
    patterns = setuptools["package-data"]["lstm_gru.corpora"]
    for name in data_files:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), (name, patterns)


def test_d2l_pin_is_the_same_in_makefile_and_postbuild():
    makefile_pin = re.search(r"^D2L\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert makefile_pin == "d2l==1.0.3"
    assert f'"{makefile_pin}"' in (ROOT / "postBuild").read_text()


def test_d2l_imports_with_current_releases():
    from d2l import torch as d2l

    assert d2l.try_gpu is not None
    assert d2l.Seq2SeqEncoder is not None


def test_widget_packages_match():
    """ipywidgets 8 needs jupyterlab_widgets 3, or widgets show as text (ipywidgets issue 3577)."""
    import ipywidgets
    import jupyterlab_widgets

    assert ipywidgets.__version__.startswith("8.")
    assert jupyterlab_widgets.__version__.startswith("3.")


def test_ruff_lint_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_lists_every_module_of_the_package():
    """The README's package table names every module (a new module must be described there)."""
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("The package, one module per idea:") :]
    table = table[: table.index("\n\n", table.index("| module |"))]
    modules = sorted(
        "lstm_gru." + ".".join(path.relative_to(ROOT / "lstm_gru").with_suffix("").parts)
        for path in (ROOT / "lstm_gru").glob("*.py")
        if not path.name.startswith("_")
    ) + sorted(f"lstm_gru.{path.parent.name}" for path in (ROOT / "lstm_gru").glob("*/__init__.py"))
    missing = [m for m in modules if f"`{m}`" not in table]
    assert not missing, f"README's package table does not list {missing}"


def test_importing_the_teaching_modules_loads_no_test_or_publishing_tool():
    """A student's `import lstm_gru...` needs neither pytest nor nbconvert nor d2l."""
    import subprocess
    import sys

    code = (
        "import sys, lstm_gru, lstm_gru.attention, lstm_gru.train, lstm_gru.bidirectional, "
        "lstm_gru.predict, lstm_gru.widgets, lstm_gru.g2p, lstm_gru.exercises.ch07\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pytest', 'nbconvert', 'nbclient', 'nbval', 'playwright', 'd2l'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
