"""The headless Chromium that the browser tests and the slide report drive, found in one place.

The system's Chromium when one is on PATH (Debian's ``chromium``, other Linuxes'
``chromium-browser``), otherwise the one Playwright installs (``python -m playwright install
chromium``, the usual way on a laptop). ``make test`` provides one of them first
(``tools/provision.py``).
"""

import shutil

SYSTEM_NAMES = ("chromium", "chromium-browser")

# Headless and quiet: as root Chromium needs --no-sandbox, and without the networking flags it
# tries to reach Google's services at every start (refused on a machine without network).
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def system_chromium(path: str | None = None) -> str | None:
    """The path of the system's Chromium on ``path`` (default: PATH), or None."""
    return next(filter(None, (shutil.which(name, path=path) for name in SYSTEM_NAMES)), None)


def launch(playwright):
    """A running headless Chromium: the system's if it starts, else Playwright's own.

    Raises Playwright's ``Error`` from the last one tried when none starts (for example, the
    system has none and Playwright's browser was never installed)."""
    from playwright.sync_api import Error

    candidates = [system_chromium(), None]  # None: the browser Playwright installed
    for executable in dict.fromkeys(candidates):
        try:
            return playwright.chromium.launch(executable_path=executable, args=list(ARGS))
        except Error as error:
            failure = error
    raise failure
