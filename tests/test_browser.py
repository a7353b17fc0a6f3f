"""Every widget in every chapter, rendered by JupyterLab in a real (headless) Chromium.

For each notebook whose stored outputs hold widgets: open it in JupyterLab, run all cells, check
that every widget rendered as a control (no text fallback, no "Error displaying widget"), then
move each slider and type into each text box and check that the widget's figure changed.
Needs Debian's chromium (`.ci/run` installs it); without it these tests skip, except under CI.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.lab_server import ROOT, free_port, lab_args, lab_server, new_token

CHROMIUM = "/usr/bin/chromium"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TEXT_FALLBACK = re.compile(r"\b(HBox|VBox|IntSlider|FloatSlider|Text|Dropdown|Image|Output)\(")

pytestmark = pytest.mark.browser


def widget_notebooks() -> list[str]:
    """Notebooks whose stored outputs contain at least one widget view."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        outputs = [o for c in cells for o in c.get("outputs", [])]
        if any(WIDGET_MIME in o.get("data", {}) for o in outputs):
            found.append(path.name)
    return found


def has_sliders(name: str) -> bool:
    """Whether the notebook's stored widget state holds a slider (an interactive widget)."""
    metadata = json.loads((ROOT / "notebooks" / name).read_text())["metadata"]
    state = metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {}).values()
    return any(m.get("model_name", "").endswith("SliderModel") for m in models)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    tmp = tmp_path_factory.mktemp("lab")
    site = tmp / "site"  # a copy: the browser never writes into the real notebooks
    shutil.copytree(ROOT / "notebooks", site / "notebooks")
    shutil.copytree(ROOT / "img", site / "img")
    port, token = free_port(), new_token()
    command = [str(ROOT / ".venv/bin/jupyter"), "lab", *lab_args(port, token)]
    command += ["--allow-root", f"--ServerApp.root_dir={site}"]
    with lab_server(command, tmp, port, token) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    page.close()
    for session in lab.api("/api/sessions"):  # stop the kernel this notebook started
        lab.api(f"/api/sessions/{session['id']}", method="DELETE")


def wait_kernel_idle(page, timeout_ms=120_000):
    page.wait_for_function(
        "() => /\\|\\s*Idle/.test(document.querySelector('#jp-main-statusbar')?.innerText || '')",
        timeout=timeout_ms,
    )


def run_all(page, timeout_ms):
    """Clear the stored outputs, run every cell, and wait until each code cell has run."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    # textContent, not innerText: cells scrolled out of view are not rendered (windowing).
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=timeout_ms,
    )
    wait_kernel_idle(page)


def output_texts(page, selector: str) -> list[str]:
    """Text of every element matching ``selector``, rendered or scrolled out of view."""
    return page.evaluate(
        "(sel) => [...document.querySelectorAll(sel)].map(e => e.textContent)", selector
    )


def cell_images(output_area) -> list[str]:
    return [img.get_attribute("src") or "" for img in output_area.locator("img").all()]


def wait_images_change(page, output_area, before: list[str], what: str) -> None:
    handle = output_area.element_handle()
    try:
        page.wait_for_function(
            """([area, before]) => {
                const now = [...area.querySelectorAll('img')].map(i => i.getAttribute('src') || '');
                return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before);
            }""",
            arg=[handle, before],
            timeout=15_000,
        )
    except Exception as error:
        raise AssertionError(f"the figure did not change after {what}") from error


@pytest.mark.parametrize("name", widget_notebooks())
def test_widgets_render_and_respond(lab, page, name):
    page.goto(f"{lab.base_url}/lab/tree/notebooks/{name}?reset&token={lab.token}")
    wait_kernel_idle(page)
    run_all(page, timeout_ms=900_000)

    outputs = "\n".join(output_texts(page, ".jp-OutputArea-output"))
    assert "Error displaying widget" not in outputs
    fallback = TEXT_FALLBACK.search(outputs)
    assert not fallback, f"{name}: a widget shown as text: {fallback.group(0)}"
    stderr = output_texts(
        page, ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    tracebacks = [t for t in stderr if "Traceback" in t or "Error" in t]
    assert not tracebacks, tracebacks[0][:2000]

    areas = page.locator(".jp-OutputArea-output:has(.jupyter-widgets)")
    assert areas.count() > 0, f"{name}: no widget rendered"
    moved = typed = 0
    for area in areas.all():
        area.scroll_into_view_if_needed()
        for slider in area.locator(".widget-slider [role='slider']").all():
            before = cell_images(area)
            value = slider.get_attribute("aria-valuenow")
            slider.focus()
            key = "ArrowLeft" if slider.get_attribute("aria-valuemax") == value else "ArrowRight"
            page.keyboard.press(key)
            wait_images_change(page, area, before, f"moving slider from {value} ({name})")
            moved += 1
        boxes = area.locator(".widget-text input[type='text'], .widget-textarea textarea")
        for box in boxes.all():
            before = cell_images(area)
            box.fill("if (x > 0): y = [1]")
            box.press("Enter")
            wait_images_change(page, area, before, f"typing into a text box ({name})")
            typed += 1
    if has_sliders(name):  # a chapter whose only widgets are progress bars has nothing to move
        assert moved > 0, f"{name}: no slider found to move"
    print(
        f"{name}: {areas.count()} widget outputs, {moved} sliders moved, {typed} text boxes typed"
    )
