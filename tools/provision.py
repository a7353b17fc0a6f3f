"""What ``make test`` needs besides the Python packages, got before any test runs.

``python -m tools.provision [--no-browser]`` makes sure of two things, installing what is missing
where it can:

- a Chromium that Playwright can start, for the browser tests (``tools/browser.py``): the
  system's if it has one; else, on Debian as root, Debian's package (``apt-get install
  chromium``); else Playwright's own headless build (``python -m playwright install chromium
  --only-shell``, into Playwright's cache folder);
- a font with Chinese glyphs, for the Chinese edition's figures: the system's, or Noto Sans CJK
  from the ``mplfonts`` package of the test extra.

Exits 0 when both are there. Otherwise it prints one line, naming what is missing and the one
command that fixes it, and exits 1, so that ``make test`` stops before running anything.
``--no-browser`` (``make test BROWSER=0``) leaves the browser out; under ``CI=true`` it is refused.
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from tools import browser

PREFIX = "make test:"
SKIP_HINT = "or skip the browser tests with `make test BROWSER=0`"
PLAYWRIGHT = [sys.executable, "-m", "playwright"]


def venv_python() -> str:
    """How to name this Python in a command for the user: relative to the checkout if inside."""
    python = Path(sys.executable)
    try:
        return str(python.relative_to(Path.cwd()))
    except ValueError:
        return str(python)


def start_chromium() -> str | None:
    """None when a headless Chromium starts (and is closed again), else why not (one line)."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser.launch(playwright).close()
        except Error as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            return lines[0] if lines else type(error).__name__
    return None


def debian_root() -> bool:
    """Whether Debian's chromium package can be installed here: Debian, as root, with apt-get."""
    try:
        release = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return "ID=debian" in release.split() and os.geteuid() == 0 and bool(shutil.which("apt-get"))


def run(name: str, command: list[str], env: dict | None = None) -> str | None:
    """Run an install step quietly; None when it succeeded, else why not (one line)."""
    print(f"{PREFIX} {name} ...", flush=True)
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=1800
    )
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("Error", "E:"))]  # Playwright's, apt's
    reason = (errors or lines or [f"exit status {done.returncode}"])[0]
    return f"{name} failed: {reason.removesuffix(', caused by')}"


def install_chromium() -> str | None:
    """Install a Chromium where this machine allows it; None when one then starts, else why not."""
    if debian_root():
        apt = {"DEBIAN_FRONTEND": "noninteractive"}
        failed = run("apt-get update", ["apt-get", "update", "-qq"], apt) or run(
            "apt-get install chromium", ["apt-get", "install", "-y", "-qq", "chromium"], apt
        )
        if not failed and not start_chromium():
            return None
    failed = run(
        "playwright install chromium", [*PLAYWRIGHT, "install", "chromium", "--only-shell"]
    )
    return failed or start_chromium()


def fix_for_browser(reason: str) -> str:
    """The one command that gives this machine a Chromium."""
    if "missing dependencies" in reason or "install-deps" in reason:
        return f"sudo {venv_python()} -m playwright install-deps chromium"
    if platform.system() == "Linux" and shutil.which("apt-get"):
        return "sudo apt-get install chromium"
    return f"{venv_python()} -m playwright install chromium --only-shell"


def ensure_browser() -> str | None:
    """None when a Chromium starts (after installing one if needed), else the line to print."""
    if start_chromium() is None:
        return None
    reason = install_chromium()
    if reason is None:
        return None
    return (
        f"{PREFIX} no Chromium for the browser tests ({reason}); "
        f"fix: `{fix_for_browser(reason)}`, {SKIP_HINT}"
    )


def ensure_font() -> str | None:
    """None when a font with Chinese glyphs is installed, else the line to print."""
    from lstm_gru.i18n import cjk_font

    if cjk_font() is not None:
        return None
    return (
        f"{PREFIX} no font with Chinese glyphs for the Chinese figures; "
        f"fix: `{venv_python()} -m pip install mplfonts` (it is in the test extra)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.provision", description=__doc__)
    parser.add_argument("--no-browser", action="store_true", help="leave out the browser")
    args = parser.parse_args(argv)
    if args.no_browser and os.environ.get("CI"):
        problem = f"{PREFIX} CI never skips the browser tests: unset BROWSER=0 (CI=true is set)"
    else:
        problem = ensure_font() or (None if args.no_browser else ensure_browser())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
