"""Slides and the static HTML handout (`make slides`, `make html`): built offline, complete.

Every notebook in notebooks/ is converted once per module (the same `tools.publish` calls the
Makefile makes), then each page is checked: it loads nothing from the network, every figure and
diagram is embedded, widgets show text instead of nothing. The browser tests open the pages in
headless Chromium with every non-file request blocked and check that reveal.js starts.
"""

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tests.lab_server import ROOT
from tools import publish, slide_report

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
IMAGE_MIMES = ("image/png", "image/jpeg")
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


class ResourceLinks(HTMLParser):
    """Collects the URLs a page *loads* (scripts, styles, images, frames), not the links a
    reader may click."""

    LOADING = {
        "script": "src",
        "link": "href",
        "img": "src",
        "iframe": "src",
        "embed": "src",
        "source": "src",
        "video": "src",
        "audio": "src",
        "object": "data",
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        name = self.LOADING.get(tag)
        for key, value in attrs:
            if key == name and value:
                self.urls.append(value)


def loaded_urls(page: Path) -> list[str]:
    parser = ResourceLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.urls


def remote_references(page: Path) -> list[str]:
    """Every URL the page would fetch from the network: tags, CSS imports, JS module imports."""
    text = page.read_text(encoding="utf-8")
    found = [url for url in loaded_urls(page) if REMOTE.match(url)]
    found += re.findall(r"@import\s+(?:url\()?\s*['\"]?((?:https?:)?//[^'\")\s]+)", text)
    found += re.findall(r"\bimport\b[^;'\"]*\bfrom\s*['\"]((?:https?:)?//[^'\"]+)", text)
    found += re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")\s]+)", text)
    return found


def expected_images(path: Path) -> int:
    """Figure outputs plus images in markdown cells (markdown ![..](..) and <img> tags)."""
    nb = json.loads(path.read_text())
    count = 0
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            count += len(re.findall(r"!\[[^\]]*\]\(", source)) + source.lower().count("<img")
        for output in cell.get("outputs", []):
            count += any(mime in output.get("data", {}) for mime in IMAGE_MIMES)
    return count


def has_math(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "markdown" and "$" in c.source for c in nb.cells)


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    publish.build_slides(NOTEBOOKS, out)
    return out


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    publish.build_html(NOTEBOOKS, out)
    return out


# --- the pieces, on small made-up notebooks ---------------------------------------------------


def test_embed_markdown_images_inlines_local_files_only(tmp_path):
    (tmp_path / "img").mkdir()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'
    (tmp_path / "img" / "cell.svg").write_bytes(svg)
    (tmp_path / "nb").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            '![cell](../img/cell.svg "the cell")\n<img src="../img/cell.svg" width="300">\n'
            "![gone](../img/missing.svg) ![web](https://example.org/x.png)"
        ),
        nbformat.v4.new_code_cell("x = '![not markdown](../img/cell.svg)'"),
    ]
    nb.cells[0].metadata.slides = {"show": ["## Cell", "![cell](../img/cell.svg)"]}
    assert publish.embed_markdown_images(nb, tmp_path / "nb") == 3
    url = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    assert nb.cells[0].metadata.slides.show == ["## Cell", f"![cell]({url})"]
    assert nb.cells[0].source == (
        f'![cell]({url} "the cell")\n<img src="{url}" width="300">\n'
        "![gone](../img/missing.svg) ![web](https://example.org/x.png)"
    )
    assert nb.cells[1].source == "x = '![not markdown](../img/cell.svg)'"


def test_relink_notebooks_points_at_converted_pages():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "[LSTM](02_lstm.ipynb), [its gates](02_lstm.ipynb#Gates), [other](99_other.ipynb)"
        )
    ]
    assert publish.relink_notebooks(nb, {"02_lstm"}, ".slides.html") == 2
    assert nb.cells[0].source == (
        "[LSTM](02_lstm.slides.html), [its gates](02_lstm.slides.html#Gates), "
        "[other](99_other.ipynb)"
    )


def test_strip_test_markers_leaves_the_code():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(report(checks))"),
        nbformat.v4.new_code_cell("x = 1  # NBVAL_SKIP is not alone on its line\n  # NBVAL_SKIP"),
        nbformat.v4.new_markdown_cell("# NBVAL_IGNORE_OUTPUT"),
    ]
    assert publish.strip_test_markers(nb) == 2
    assert [cell.source for cell in nb.cells] == [
        "print(report(checks))",
        "x = 1  # NBVAL_SKIP is not alone on its line\n",
        "# NBVAL_IGNORE_OUTPUT",
    ]


def widget_output(model_id: str, text: str) -> dict:
    data = {publish.WIDGET_VIEW: {"model_id": model_id, "version_major": 2}, "text/plain": text}
    return nbformat.v4.new_output("display_data", data=data)


def test_static_widget_outputs_progress_bar_repr_and_own_text():
    state = {  # as tqdm.auto saves a finished bar: HBox(HTML, FloatProgress, HTML)
        "bar": {
            "state": {
                "_model_name": "HBoxModel",
                "children": ["IPY_MODEL_l", "IPY_MODEL_p", "IPY_MODEL_r"],
            }
        },
        "l": {"state": {"_model_name": "HTMLModel", "value": "epoch:\u2007100%"}},
        "p": {"state": {"_model_name": "FloatProgressModel", "value": 3.0, "max": 3.0}},
        "r": {"state": {"_model_name": "HTMLModel", "value": "\u20073/3\u2007[00:01&lt;00:00]"}},
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {publish.WIDGET_STATE: {"state": state}}
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        widget_output("bar", "epoch:   0%|          | 0/3 [00:00<?, ?it/s]"),
        widget_output("slider", "IntSlider(value=3)"),
        widget_output("play", "GatePlayground: an interactive widget (run it in Jupyter)"),
    ]
    nb.cells = [cell]
    assert publish.static_widget_outputs(nb) == 3
    assert "widgets" not in nb.metadata
    assert [output.data for output in cell.outputs] == [
        {"text/plain": "epoch: 100%|██████████| 3/3 [00:01<00:00]"},
        {"text/plain": publish.WIDGET_NOTE},
        {"text/plain": "GatePlayground: an interactive widget (run it in Jupyter)"},
    ]


def slide_cell(kind: str, source: str, slide_type: str = "-", **slides) -> nbformat.NotebookNode:
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = make(source)
    cell.metadata.slideshow = {"slide_type": slide_type}
    if slides:
        cell.metadata.slides = slides
    return cell


def shown(deck) -> list[tuple]:
    """(slide type, text) per cell of a deck; code cells whose input is hidden read "<outputs>"."""
    return [
        (
            cell.metadata.get("slideshow", {}).get("slide_type", "-"),
            "<outputs>" if cell.metadata.get("transient", {}).get("remove_source") else cell.source,
        )
        for cell in deck.cells
    ]


def test_lecture_shows_equations_figures_tables_and_moves_prose_to_notes():
    markdown = (
        "## 1. The GRU\n"
        "At step $t$ the GRU reads the input.\n\n"
        "$$\n\\mathbf{r}_t = \\sigma(x)\n\n\\mathbf{z}_t = \\sigma(y)\n$$\n\n"
        "![GRU](../img/gru.svg)\n\n"
        "| gate | keeps |\n| --- | --- |\n| z | h |\n\n"
        "```python\nh = z * h\n\nh = h + 1\n```"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        slide_cell("markdown", markdown, "slide", ask="What does z = 1 do?", answer="It keeps h."),
        slide_cell("code", "import torch", "skip"),
        slide_cell("code", "print(1)"),
        slide_cell("code", "claim('holds')", "fragment"),
        slide_cell("code", "x = 2\nprint(x)", input=True),
    ]
    (deck,) = publish.lecture_notebook(nb)
    assert shown(deck) == [
        (
            "slide",
            "## 1. The GRU\n\n$$\n\\mathbf{r}_t = \\sigma(x)\n\n\\mathbf{z}_t = \\sigma(y)\n$$"
            "\n\n![GRU](../img/gru.svg)",
        ),
        (
            "notes",
            "At step $t$ the GRU reads the input.\n\n```python\nh = z * h\n\nh = h + 1\n```"
            "\n\n**Ask the room:** What does z = 1 do?\n\n**Expected answer:** It keeps h.",
        ),
        ("fragment", "| gate | keeps |\n| --- | --- |\n| z | h |"),
        ("-", "<outputs>"),
        ("fragment", "<outputs>"),
        ("-", "x = 2\nprint(x)"),
    ]
    assert nb.cells[2].source == "print(1)"  # the notebook itself is left as it was


def test_lecture_show_replaces_a_cell_and_a_list_splits_it_over_slides():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        slide_cell(
            "markdown",
            "## Gates\nTwo gates.\n\n$$a$$\n\n![cell](cell.svg)\n\nThe cell.\n\nIts state.",
            "slide",
            show=["## Gates\n\n$$a$$", "## The cell\n\n![cell](cell.svg)"],
            ask=["Which gate?", "Where is h?"],
            answer=["The reset gate.", "On top."],
            say=[1, 1],
        ),
        slide_cell("code", "long()\nkey_line()", show="key_line()"),
        slide_cell("code", "train()", outputs=[1]),
        slide_cell("markdown", "## Part two\nMore.", "slide", deck=2, ask="Q", answer="A"),
    ]
    nb.cells[2].outputs = [
        nbformat.v4.new_output("stream", text="epochs: 100%\n"),
        nbformat.v4.new_output("stream", text="result\n"),
    ]
    first, second = publish.lecture_notebook(nb)
    assert shown(first) == [
        ("slide", "## Gates\n\n$$a$$"),
        (
            "notes",
            "Two gates.\n\n**Ask the room:** Which gate?\n\n**Expected answer:** The reset gate.",
        ),
        ("subslide", "## The cell\n\n![cell](cell.svg)"),
        (
            "notes",
            "The cell.\n\nIts state.\n\n**Ask the room:** Where is h?\n\n**Expected answer:** On top.",
        ),
        ("-", "key_line()"),
        ("-", "<outputs>"),
    ]
    assert [o.text for o in first.cells[-1].outputs] == ["result\n"]  # the progress bar stays out
    assert shown(second) == [
        ("slide", "## Part two"),
        ("notes", "More.\n\n**Ask the room:** Q\n\n**Expected answer:** A"),
    ]


def test_lecture_rejects_questions_that_do_not_match_the_slides():
    nb = nbformat.v4.new_notebook()
    nb.cells = [slide_cell("markdown", "## A", "slide", show=["## A", "## B"], ask=["Q"])]
    with pytest.raises(ValueError, match=r"slides\.ask must have 2 items, like slides\.show"):
        publish.lecture_notebook(nb)
    nb.cells = [slide_cell("code", "x", show=["a", "b"])]
    with pytest.raises(ValueError, match="markdown cells only"):
        publish.lecture_notebook(nb)


def test_build_rejects_bad_notebook_lists(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        publish.build_html([], tmp_path)
    with pytest.raises(ValueError, match=r"existing \.ipynb files, got '.*README\.md'"):
        publish.build_slides([ROOT / "README.md"], tmp_path)


# --- every chapter ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_slides_reference_only_local_files(slides, name):
    page = slides / f"{name}.slides.html"
    assert remote_references(page) == []
    local = [url for url in loaded_urls(page) if not url.startswith("data:")]
    assert "reveal.js/dist/reveal.js" in local
    for url in local:  # every local file the page loads was copied next to it
        assert (slides / url.split("?")[0]).is_file(), url


def decks(slides: Path, name: str) -> list[Path]:
    """The chapter's decks: ``<name>.slides.html``, then ``<name>-2.slides.html`` if split."""
    return [slides / f"{name}.slides.html", *sorted(slides.glob(f"{name}-*.slides.html"))]


@pytest.mark.parametrize("name", NAMES)
def test_slides_follow_the_slide_metadata(slides, name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    lecture = publish.lecture_notebook(nb)
    kinds = [
        c.metadata.get("slideshow", {}).get("slide_type", "-")
        for deck in lecture
        for c in deck.cells
    ]
    starts = sum(kind in ("slide", "subslide") for kind in kinds)
    text = "".join(page.read_text(encoding="utf-8") for page in decks(slides, name))
    # nbconvert opens one <section> per slide and one more per slide or subslide
    assert text.count("<section") == starts + kinds.count("slide")
    assert text.count('<aside class="notes">') == kinds.count("notes")
    assert starts >= 2, "a chapter's slides need slide/subslide metadata on its cells"
    setup = [  # code without output, unless a slide shows its key lines
        c
        for c in nb.cells
        if c.cell_type == "code"
        and not c.outputs
        and not {"show", "input"} & set(c.metadata.get("slides", {}))
    ]
    assert all(c.metadata.get("slideshow", {}).get("slide_type") == "skip" for c in setup), (
        "set-up cells (code without output) are Skip on the slides"
    )


@pytest.mark.parametrize("name", NAMES)
def test_handout_embeds_every_figure_and_diagram(handout, name):
    page = handout / f"{name}.html"
    assert remote_references(page) == []
    images = [url for url in loaded_urls(page) if url.startswith("data:image/")]
    assert len(images) >= expected_images(ROOT / "notebooks" / f"{name}.ipynb")
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"\b(VBox|HBox|IntSlider|FloatSlider)\(", text)  # no raw widget reprs


def test_index_pages_link_every_chapter(slides, handout):
    assert all(f'href="{n}.slides.html"' in (slides / "index.html").read_text() for n in NAMES)
    assert all(f'href="{n}.html"' in (handout / "index.html").read_text() for n in NAMES)


# --- in a real browser, offline --------------------------------------------------------------


def open_offline(browser, url: str):
    """A page on ``url`` (file://) where every request not for a file fails and is recorded,
    as are local files that failed to load and script errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.remote_requests = []
    page.missing_files = []
    page.errors = []

    def route(request_route):
        request = request_route.request
        if request.url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            page.remote_requests.append(request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "requestfailed",
        lambda request: request.url.startswith("file:") and page.missing_files.append(request.url),
    )
    page.goto(url)
    return page


@pytest.mark.browser
@pytest.mark.parametrize("name", NAMES)
def test_slides_start_offline_in_chromium(slides, browser, name):
    page = open_offline(browser, (slides / f"{name}.slides.html").as_uri())
    try:
        page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=15_000)
        assert (
            page.evaluate("() => document.querySelectorAll('.reveal .slides section').length") > 1
        )
        first = page.evaluate("() => Reveal.getIndices()")
        page.keyboard.press("Space")  # the next slide, as a presenter's clicker sends
        page.wait_for_function(
            "(first) => JSON.stringify(Reveal.getIndices()) !== JSON.stringify(first)", arg=first
        )
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        broken = page.evaluate("() => [...document.images].filter(i => !i.naturalWidth).length")
        assert broken == 0
        assert page.remote_requests == []
        assert page.missing_files == []
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("name", NAMES)
def test_every_slide_fits_the_screen_and_has_notes_for_the_room(slides, browser, name):
    """At 1280×720 with every fragment shown, no slide scrolls more than a little, and each
    slide's speaker notes ask the room a question and give the expected answer."""
    found = []
    for page in decks(slides, name):
        rows = slide_report.measure(browser, page)
        assert len(rows) >= 3, f"{page.name}: {len(rows)} slides"
        found += [f"{page.name}: {problem}" for problem in slide_report.problems(rows)]
    assert found == []


@pytest.mark.browser
@pytest.mark.parametrize("name", NAMES)
def test_handout_shows_figures_and_math_offline(handout, browser, name):
    page = open_offline(browser, (handout / f"{name}.html").as_uri())
    try:
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        sizes = page.evaluate("() => [...document.images].map(i => i.naturalWidth)")
        assert len(sizes) >= expected_images(ROOT / "notebooks" / f"{name}.ipynb")
        assert all(sizes), sizes
        if has_math(ROOT / "notebooks" / f"{name}.ipynb"):
            page.wait_for_function("() => window.MathJax && MathJax.isReady")
            page.wait_for_function("() => document.querySelectorAll('.MathJax').length > 0")
            assert (
                page.locator(".MathJax_Error, .MathJax_Preview:has-text('Math Processing')").count()
                == 0
            )
        assert page.remote_requests == []
        assert page.missing_files == []
        assert page.errors == []
    finally:
        page.close()
