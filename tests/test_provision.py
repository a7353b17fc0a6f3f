"""`make test` gets its Chromium and Chinese font itself, or stops with one line (tools/provision.py)."""

import os
import stat
import subprocess
import sys

import pytest

from tests.lab_server import ROOT, free_port
from tools import browser


def provision(tmp_path, *args, **env):
    """tools.provision on a machine with no system Chromium, no apt-get and no Playwright browser,
    whose browser download fails (Playwright's download host is a closed port on loopback)."""
    (tmp_path / "bin").mkdir()
    environment = {
        **{k: v for k, v in os.environ.items() if k != "CI"},
        "PATH": str(tmp_path / "bin"),
        "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "browsers"),
        "PLAYWRIGHT_DOWNLOAD_HOST": f"http://127.0.0.1:{free_port()}",
        **env,
    }
    command = [sys.executable, "-m", "tools.provision", *args]
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )


def test_without_any_way_to_a_browser_it_stops_with_one_line(tmp_path):
    done = provision(tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["make test: playwright install chromium ..."]
    [line] = done.stderr.splitlines()
    assert line.startswith("make test: no Chromium for the browser tests (")
    assert "playwright install chromium failed: Error: connect ECONNREFUSED" in line
    assert "fix: `" in line and "-m playwright install chromium --only-shell`" in line
    assert line.endswith("or skip the browser tests with `make test BROWSER=0`")


def test_without_a_browser_but_told_to_skip_it_goes_on(tmp_path):
    done = provision(tmp_path, "--no-browser")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_ci_never_skips_the_browser(tmp_path):
    done = provision(tmp_path, "--no-browser", CI="true")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "make test: CI never skips the browser tests: unset BROWSER=0 (CI=true is set)"
    )


def test_the_system_chromium_is_found_on_path(tmp_path):
    assert browser.system_chromium(path=str(tmp_path)) is None
    fake = tmp_path / "chromium-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert browser.system_chromium(path=str(tmp_path)) == str(fake)


@pytest.mark.parametrize("browser_setting", ["1", "0"])
def test_make_test_browser_switch(browser_setting):
    done = subprocess.run(
        ["make", "-n", "test", f"BROWSER={browser_setting}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    [provision_line] = [line for line in done.stdout.splitlines() if "tools.provision" in line]
    skip = browser_setting == "0"
    assert provision_line.rstrip().endswith(
        "-m tools.provision --no-browser" if skip else "tools.provision"
    )
    assert "-m pytest" in done.stdout
    assert ('-m "not browser"' in done.stdout) is skip
