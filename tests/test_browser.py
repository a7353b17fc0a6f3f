"""Every widget in every chapter, rendered by JupyterLab in a real (headless) Chromium.

For each notebook whose stored outputs hold widgets: open it in JupyterLab, run all cells, check
that every widget rendered as a control (no text fallback, no "Error displaying widget"), then
move each slider and type into each text box and check that the widget's figure changed.
Needs a Chromium (the `browser` fixture in tests/conftest.py; `make test` installs one first).

The widgets need a trained model, not a good one, and nbval already runs every chapter at full
size. So the browser runs a copy of each chapter with tiny training budgets (SMOKE_PARAMETERS,
appended to the chapter's `parameters` cell) and with LSTM_GRU_SMOKE=1 in the kernel's
environment, under which `lstm_gru.claims.claim` reports a conclusion that does not hold
instead of raising.
"""

import ast
import json
import re
import shutil
from pathlib import Path

import polib
import pytest

from lstm_gru.claims import SMOKE_ENV
from tests.lab_server import ROOT, free_port, lab_args, lab_server, new_token
from tools import i18n

ZH_CHAPTER = "00_start_here.ipynb"  # the Chinese chapter the browser opens (it has a widget)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TEXT_FALLBACK = re.compile(r"\b(HBox|VBox|IntSlider|FloatSlider|Text|Dropdown|Image|Output)\(")


# Per chapter, the values that replace its parameters (appended to its `parameters` cell): the
# least training after which every cell still runs and every widget still has something to
# show. Every chapter has an entry (an empty one if it trains nothing), so a new chapter is
# sized here on purpose rather than trained at full size in the browser by default.
SMOKE_PARAMETERS: dict[str, dict] = {
    "00_start_here.ipynb": {},
    "01_gating.ipynb": {
        "task_num_steps": 20,  # 5x less work per sequence; the gradient sections keep 100 steps
        "first_token_epochs": 1,
        "adding_epochs": 1,
    },
    "02_lstm.ipynb": {
        "num_hiddens": 32,
        "batch_size": 256,  # a quarter of the updates per epoch
        "num_epochs": 2,  # two points on the learning curve (a cell compares the last two)
        "bias_epochs": 1,
    },
    "03_gru.ipynb": {
        "first_token_epochs": 1,
        "distractor_epochs": 1,
        "num_probe": 100,
    },
    "04_gru_vs_lstm.ipynb": {
        "timing_num_hiddens": [32],
        "timing_num_steps": [20],
        "timing_repeats": 1,
        "task_lengths": [10, 20],
        "num_seeds": 2,  # a standard deviation needs two
        "task_num_train": 256,
        "task_num_valid": 100,
        "task_num_epochs": 1,
        "lm_max_chars": 50_000,
        "lm_num_hiddens": 32,
        "scan_lengths": [64, 256],
        "scan_batch_sizes": [1],
    },
    "05_training.ipynb": {
        "num_epochs": 1,
        "num_targets": 100,
        "explode_steps": 20,
    },
    "06_deep_bidirectional.ipynb": {
        "num_hiddens": 32,
        "wide_hiddens": 47,  # as many parameters as two layers of 32, as in the full run
        "num_epochs": 1,
        "bi_epochs": 1,
        "num_targets": 100,
    },
    "07_encoder_decoder.ipynb": {
        "num_hiddens": 32,
        # 300, not fewer: the demo cell needs a word of 7+ letters that beam search gets right
        # and greedy decoding wrong (31 such words at 300 updates, 1 at 100)
        "num_updates": 300,
        "beam_size": 2,
    },
    "08_attention.ipynb": {
        "num_updates": 100,
        "num_diagonal": 50,
    },
}


def parameters_cell(cells: list[dict]) -> dict:
    """The chapter's code cell tagged `parameters`."""
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged 'parameters', found {len(tagged)}"
    return tagged[0]


def assigned_names(source: str) -> set[str]:
    """Names a cell's source assigns at top level (``name = ...``)."""
    assigns = [stmt for stmt in ast.parse(source).body if isinstance(stmt, ast.Assign)]
    targets = [node for stmt in assigns for target in stmt.targets for node in ast.walk(target)]
    return {node.id for node in targets if isinstance(node, ast.Name)}


def shrink(path: Path, values: dict) -> None:
    """Append ``name = value`` lines to the `parameters` cell of the notebook at ``path``."""
    if not values:
        return
    notebook = json.loads(path.read_text())
    cell = parameters_cell(notebook["cells"])
    source = "".join(cell["source"]).rstrip("\n")
    lines = [f"{name} = {value!r}" for name, value in values.items()]
    cell["source"] = (
        source + "\n# smoke run (tests/test_browser.py): tiny budgets\n" + "\n".join(lines)
    )
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False))


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_smoke_parameters_name_real_parameters(path):
    """Every chapter has smoke values, and each one replaces a parameter the chapter defines
    (a renamed parameter would otherwise leave the browser test training at full size)."""
    assert path.name in SMOKE_PARAMETERS, (
        f"{path.name}: add its tiny training budget to SMOKE_PARAMETERS in {__file__} "
        "({} if it trains nothing)"
    )
    defined = assigned_names(
        "".join(parameters_cell(json.loads(path.read_text())["cells"])["source"])
    )
    unknown = sorted(set(SMOKE_PARAMETERS[path.name]) - defined)
    assert not unknown, f"{path.name}: not in its parameters cell: {unknown}"


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
    tmp = tmp_path_factory.mktemp("lab")
    site = tmp / "site"  # a copy: the browser never writes into the real notebooks
    shutil.copytree(ROOT / "notebooks", site / "notebooks")
    shutil.copytree(ROOT / "img", site / "img")
    i18n.build(site / "zh" / "notebooks", [ROOT / "notebooks" / ZH_CHAPTER])  # + img, marker
    for name, values in SMOKE_PARAMETERS.items():
        for folder in (site / "notebooks", site / "zh" / "notebooks"):
            if (folder / name).exists():
                shrink(folder / name, values)
    port, token = free_port(), new_token()
    command = [str(ROOT / ".venv/bin/jupyter"), "lab", *lab_args(port, token)]
    command += ["--allow-root", f"--ServerApp.root_dir={site}"]
    with lab_server(command, tmp, port, token, env={SMOKE_ENV: "1"}) as server:
        yield server


@pytest.fixture
def page(browser, lab):
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


# The open notebook's cells (JupyterLab's models), for what the page does not show as such.
NOTEBOOK_CELLS = """[...window.jupyterapp.shell.widgets('main')]
    .find(w => w.content && w.content.model && w.content.widgets).content.widgets"""


def cell_errors(page) -> list[str]:
    """``cell <index>: <exception>`` for each error output in the open notebook."""
    return page.evaluate(
        f"""() => {NOTEBOOK_CELLS}.flatMap((cell, index) => cell.model.type !== 'code' ? [] :
            cell.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o =>
                `cell ${{index}}: ${{o.ename}}: ${{o.evalue}}\\n` + cell.model.sharedModel.source
                    .split('\\n').slice(0, 3).join('\\n')))"""
    )


def run_all(page, timeout_ms):
    """Clear the stored outputs, run every cell, and wait until each code cell has run, or
    until one raised (JupyterLab then skips the rest, which would otherwise wait out the
    timeout): assert that none did."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    # textContent, not innerText: cells scrolled out of view are not rendered (windowing).
    page.wait_for_function(
        f"""() => {{
            const failed = {NOTEBOOK_CELLS}.some(cell => cell.model.type === 'code' &&
                cell.model.outputs.toJSON().some(o => o.output_type === 'error'));
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return failed ||
                (prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)));
        }}""",
        timeout=timeout_ms,
    )
    wait_kernel_idle(page)
    errors = cell_errors(page)
    assert not errors, "a cell raised:\n" + "\n".join(errors)


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


@pytest.mark.browser
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


@pytest.mark.browser
def test_a_chinese_chapter_shows_chinese_widget_labels(lab, page):
    """The Chinese build of chapter 00, opened in JupyterLab like any notebook: its kernel finds
    the language marker beside it, and the widget's labels come from the package catalogue."""
    page.goto(f"{lab.base_url}/lab/tree/zh/notebooks/{ZH_CHAPTER}?reset&token={lab.token}")
    wait_kernel_idle(page)
    run_all(page, timeout_ms=300_000)
    shown = "\n".join(output_texts(page, ".jp-OutputArea-output .jupyter-widgets"))
    assert shown.strip(), "no widget rendered"
    catalogue = polib.pofile(str(i18n.package_catalogue()))
    labels = [e.msgstr for e in catalogue if e.msgstr and len(e.msgid) < 40 and "{" not in e.msgid]
    found = [label for label in labels if label in shown]
    assert found, f"no translated widget label among the widgets' text: {shown[:300]!r}"
