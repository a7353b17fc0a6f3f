"""Publish the chapters as reveal.js slides and as a static HTML handout, both fully offline.

``python -m tools.publish slides build/slides notebooks/*.ipynb`` (what ``make slides`` runs)
and ``python -m tools.publish html build/html notebooks/*.ipynb`` (``make html``) convert each
notebook with nbconvert's ``SlidesExporter`` / ``HTMLExporter`` (the exporters behind
``jupyter nbconvert --to slides`` / ``--to html``) and write an ``index.html`` linking them.

nbconvert's templates load reveal.js, RequireJS, MathJax, Mermaid and the widget manager from
CDNs, which a classroom without internet (and CI) cannot reach. Here every page references only
files next to it:

- reveal.js 5 is copied from the ``sphinx-revealjs`` package into ``OUT/reveal.js/`` and loaded
  with plain ``<script>`` tags (no RequireJS);
- MathJax 2.7 is copied from the ``jupyter-server-mathjax`` package into ``OUT/mathjax/``;
- images that markdown cells link to (``![LSTM](../img/lstm.svg)``) are embedded as data URLs,
  as are figure outputs, so a page can be mailed or moved on its own;
- widgets need a live kernel: each widget output becomes one line of text (a progress bar at its
  final value, a widget's own text, or a note), and the static figure every chapter places next
  to its widgets carries the lesson.

Slides are a lecture, not the notebook's pages (:func:`lecture_notebook`):

- boundaries come from each cell's ``metadata.slideshow.slide_type`` (slide, subslide, fragment,
  skip, notes: JupyterLab's *Property Inspector ▸ Slide Type*); set-up and plumbing cells are
  *Skip*, claim checks are *Fragments*;
- a markdown cell shows only its headings, display equations, images and tables (tables reveal
  as fragments); its prose becomes the slide's speaker notes, so a notebook reader still reads
  it where it was;
- a code cell shows only its outputs (``metadata.slides.outputs``: which ones), unless its
  ``metadata.slides.input`` is true;
- ``metadata.slides.show`` replaces what a cell shows (the one key line of a long cell);
  ``ask`` and ``answer`` add the question for the room and the expected answer to the notes;
  ``deck: 2`` on a cell starts a second deck, ``<name>-2.slides.html``, for a chapter too long
  for one lecture.
"""

import argparse
import base64
import copy
import html
import importlib.util
import mimetypes
import re
import shutil
from pathlib import Path

import jinja2
import nbformat
from nbconvert import HTMLExporter, SlidesExporter

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
REVEAL_DIR = "reveal.js"
WIDGET_NOTE = (
    "[Interactive widget: it runs only in a live notebook (JupyterLab). "
    "The static figure next to it shows the same idea.]"
)
WIDGET_NOTES = {  # by the notebook's language (metadata.lstm_gru.language, set by tools.i18n)
    "en": WIDGET_NOTE,
    "zh": "[交互式小部件：只能在运行中的笔记本（JupyterLab）里使用。旁边的静态图展示了同样的内容。]",
}
# ipywidgets' own text fallback, e.g. "VBox(children=(IntSlider(value=3), ...))"
WIDGET_REPR = re.compile(r"^[A-Z]\w*\(")
PROGRESS_MODELS = ("FloatProgressModel", "IntProgressModel")

# Markdown images ![alt](src "title") and HTML <img src="...">, whose src may be a local file.
MARKDOWN_IMAGE = re.compile(r"(!\[[^\]]*\]\()\s*([^)\s]+)((?:\s+\"[^\"]*\")?\s*\))")
# A markdown link to a notebook beside this one: [text](02_lstm.ipynb) or (02_lstm.ipynb#Gates)
NOTEBOOK_LINK = re.compile(r"(\]\()([\w.-]+)\.ipynb((?:#[^)\s]*)?\))")
# nbval's markers (# NBVAL_IGNORE_OUTPUT, # NBVAL_SKIP, ...): test machinery, not for an audience
NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_\w+[ \t]*(?:\n|$)", re.MULTILINE)
HTML_IMAGE = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*)([\"'])([^\"']+)\2", re.IGNORECASE)

# Blocks of nbconvert's lab/reveal templates replaced so that nothing is fetched from a CDN.
_OFFLINE_BLOCKS = r"""
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_jquery -%}{%- endblock html_head_js_jquery -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
// jupyter-server-mathjax ships the STIX-Web fonts only (not MathJax's default TeX fonts).
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], webFont: "STIX-Web", imageFont: null}});
</script>
{{ super() }}
{%- endblock html_head_js_mathjax -%}
{%- block html_head_css -%}
<style type="text/css">
.reveal .jp-RenderedMarkdown img {  /* a diagram fits one slide, beside its heading */
  display: block;
  margin: 0 auto;
  max-height: 420px;
  max-width: 100%;
  width: auto;
}
.reveal .jp-RenderedMarkdown :is(h1, h2, h3, h4) + p:last-child > img:only-child {
  max-height: 560px;  /* a diagram alone under its heading: as large as the slide allows */
}
.reveal .jp-OutputArea-output img {  /* a figure fits one slide, beside a heading */
  display: block;
  margin: 0 auto;
  max-height: 520px;
  max-width: 100%;
  width: auto;
}
</style>
{%- endblock html_head_css -%}
"""

HTML_TEMPLATE = "lstm_gru_offline.html.j2"
SLIDES_TEMPLATE = "lstm_gru_offline.slides.j2"
TEMPLATES = {
    HTML_TEMPLATE: "{%- extends 'index.html.j2' -%}\n" + _OFFLINE_BLOCKS,
    SLIDES_TEMPLATE: "{%- extends 'index.html.j2' -%}\n"
    + _OFFLINE_BLOCKS
    + r"""
{%- block footer_js -%}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
// MathJax lays out formulas on hidden slides badly: lay them out again once shown.
function rerenderMath() {
  if (window.MathJax && MathJax.Hub) {
    MathJax.Hub.Queue(["Rerender", MathJax.Hub, Reveal.getCurrentSlide()]);
  }
}
Reveal.initialize({
  controls: true,
  progress: true,
  history: true,
  transition: "{{ resources.reveal.transition }}",
  slideNumber: "{{ resources.reveal.number }}",
  width: {{ resources.reveal.width or 960 }},
  height: {{ resources.reveal.height or 700 }},
  plugins: [RevealNotes],
}).then(function () {
  rerenderMath();
  Reveal.on("slidechanged", rerenderMath);
});
</script>
{%- endblock footer_js -%}
""",
}


def _package_dir(package: str, marker: str) -> Path:
    """The folder holding ``marker`` (a relative path) inside the installed ``package``.

    The package is located without importing it (sphinx-revealjs would import Sphinx).
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"{package} is not installed: it provides the offline files for slides and HTML "
            "(pip install -e '.[test]', or `make setup`)"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.rglob(marker), key=lambda path: len(path.parts))
    if not found:
        raise RuntimeError(f"{package} at {root} has no {marker}; is it a supported version?")
    return found[0].parents[len(Path(marker).parts) - 1]


def reveal_source() -> Path:
    """reveal.js's folder (``dist/``, ``plugin/``) inside the installed sphinx-revealjs."""
    return _package_dir("sphinx_revealjs", "dist/reveal.js")


def mathjax_source() -> Path:
    """MathJax 2.7's folder (``MathJax.js``, ``config/``, ...) inside jupyter-server-mathjax."""
    return _package_dir("jupyter_server_mathjax", "MathJax.js")


def _data_url(path: Path) -> str | None:
    """``path`` as a base64 data URL, or None when it is not an image file."""
    mime, _ = mimetypes.guess_type(path.name)
    if mime is None or not mime.startswith("image/") or not path.is_file():
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def embed_markdown_images(nb, base: Path) -> int:
    """Replace links to local image files in ``nb``'s markdown cells (and in what they show on
    slides, ``metadata.slides.show``) by data URLs, in place.

    ``base`` is the notebook's folder (links are relative to it, like ``../img/lstm.svg``, which
    nbconvert's own ``embed_images`` refuses because it leaves that folder). Returns how many
    images were embedded; links to missing files and URLs are left as they are.
    """
    count = 0

    def local(src: str) -> str | None:
        nonlocal count
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):  # http:, data:, attachment:
            return None
        url = _data_url(base / src)
        count += url is not None
        return url

    def markdown_image(match: re.Match) -> str:
        url = local(match.group(2))
        return match.group(0) if url is None else f"{match.group(1)}{url}{match.group(3)}"

    def html_image(match: re.Match) -> str:
        url = local(match.group(3))
        quote = match.group(2)
        return match.group(0) if url is None else f"{match.group(1)}{quote}{url}{quote}"

    def embed(text: str | None) -> str | None:
        if text is None:  # a slide that shows the cell's own text
            return None
        return HTML_IMAGE.sub(html_image, MARKDOWN_IMAGE.sub(markdown_image, text))

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = embed(cell.source)
            show = cell.metadata.get("slides", {}).get("show")
            if show is not None:  # what the cell shows on a slide instead (one text or a list)
                show = [embed(text) for text in show] if isinstance(show, list) else embed(show)
                cell.metadata.slides.show = show
    return count


def relink_notebooks(nb, names, extension: str) -> int:
    """Point markdown links to the notebooks ``names`` (stems such as ``"02_lstm"``) at their
    converted pages (``02_lstm`` + ``extension``), in place; return how many were changed."""
    count = 0

    def link(match: re.Match) -> str:
        nonlocal count
        if match.group(2) not in names:
            return match.group(0)
        count += 1
        return f"{match.group(1)}{match.group(2)}{extension}{match.group(3)}"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = NOTEBOOK_LINK.sub(link, cell.source)
    return count


def strip_test_markers(nb) -> int:
    """Remove nbval's marker lines (``# NBVAL_IGNORE_OUTPUT``) from ``nb``'s code cells, in
    place; return how many were removed."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source, removed = NBVAL_MARKER.subn("", cell.source)
            count += removed
    return count


def _widget_text(view: dict, plain: str, state: dict, note: str = WIDGET_NOTE) -> str:
    """The text shown offline for one widget output: a tqdm progress bar as tqdm prints it
    (from the saved widget state, so at its final value), a widget's own text if it has one
    (``GatePlayground``'s), else ``note`` instead of ipywidgets' ``VBox(...)``."""

    def model(ref: str) -> dict:
        return state.get(ref.removeprefix("IPY_MODEL_"), {}).get("state", {})

    children = [model(ref) for ref in model(view.get("model_id", "")).get("children", [])]
    if len(children) == 3 and children[1].get("_model_name") in PROGRESS_MODELS:
        left, bar, right = children
        done = round(10 * bar.get("value", 0) / bar["max"]) if bar.get("max") else 0
        text = f"{left.get('value', '')}|{'█' * done}{' ' * (10 - done)}|{right.get('value', '')}"
        return html.unescape(text).replace("\u2007", " ")  # tqdm pads with figure spaces
    if not plain or WIDGET_REPR.match(plain):
        return note
    return plain


def static_widget_outputs(nb) -> int:
    """Turn every widget output of ``nb`` into plain text (see :func:`_widget_text`), in place,
    and drop the saved widget state (it needs a widget manager from a CDN). Returns the count."""
    saved = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    note = WIDGET_NOTES[nb.metadata.get("lstm_gru", {}).get("language", "en")]
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                view = data.pop(WIDGET_VIEW)
                data["text/plain"] = _widget_text(view, data.get("text/plain", ""), saved, note)
                count += 1
    return count


SLIDE_STARTS = ("slide", "subslide")
# The speaker notes' labels for the question and its answer, by the notebook's language
# (``metadata.lstm_gru.language``, which the Chinese edition's build sets).
NOTE_LABELS = {"en": ("Ask the room:", "Expected answer:"), "zh": ("向全班提问：", "预期回答：")}


def _blocks(markdown: str) -> list[str]:
    """``markdown`` split into blocks at blank lines, keeping fenced code and ``$$`` equations
    whole and putting each heading line in a block of its own."""
    blocks, current, fenced, in_math = [], [], False, False
    for line in markdown.splitlines():
        stripped = line.strip()
        if not fenced and not in_math and (not stripped or stripped.startswith("#")):
            if current:
                blocks.append("\n".join(current))
            current = []
            if stripped:
                blocks.append(line)
            continue
        current.append(line)
        if stripped.startswith("```"):
            fenced = not fenced
        elif not fenced and stripped.count("$$") % 2:
            in_math = not in_math
    if current:
        blocks.append("\n".join(current))
    return blocks


def _kind(block: str) -> str:
    """heading, math, image, table or prose."""
    lines = block.strip().splitlines()
    if lines[0].startswith("#"):
        return "heading"
    if all(line.lstrip().startswith("|") for line in lines):
        return "table"
    if lines[0].lstrip().startswith(("$$", "\\begin")):
        return "math"
    if lines[0].lstrip().startswith(("![", "<img")) and len(lines) == 1:
        return "image"
    return "prose"


def _cell(cell_type: str, source: str, slide_type: str) -> nbformat.NotebookNode:
    make = nbformat.v4.new_markdown_cell if cell_type == "markdown" else nbformat.v4.new_code_cell
    cell = make(source)
    cell.metadata.slideshow = {"slide_type": slide_type}
    return cell


def _per_part(meta: dict, key: str, parts: int) -> list:
    """``meta[key]`` as one value per part of a cell: a list as it is, else the value on the
    first part only."""
    value = meta.get(key)
    if isinstance(value, list):
        if len(value) != parts:
            raise ValueError(f"slides.{key} must have {parts} items, like slides.show, got {value}")
        return value
    return [value] + [None] * (parts - 1)


def lecture_notebook(nb) -> list:
    """The slides' version of ``nb``: a list of decks (notebooks), usually one.

    Each markdown cell shows its headings, equations and images, then its tables as fragments;
    its prose joins the speaker notes of its slide, followed by the cell metadata's ``ask`` and
    ``answer``. Code cells show their outputs only (``slides.outputs``: the indices of those
    to show), unless ``slides.input`` is true. ``slides.show`` replaces what a cell shows; a list
    of them (markdown cells only) shows the items on consecutive slides, with ``ask`` and
    ``answer`` lists of the same length, and ``slides.say`` the number of prose paragraphs that
    go to each slide's notes (the rest to the last; default: all to the first). Cells
    marked Skip stay out; ``slides.deck`` on a cell that opens a slide starts a new deck there.
    """
    ask_label, answer_label = NOTE_LABELS[nb.metadata.get("lstm_gru", {}).get("language", "en")]
    decks, cells, notes = [], [], None
    for cell in nb.cells:
        meta = cell.metadata.get("slides", {})
        slide_type = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if slide_type == "skip":
            continue
        if meta.get("deck") and cells:
            decks.append(cells)
            cells, notes = [], None
        shows = meta.get("show")
        shows = shows if isinstance(shows, list) else [shows]
        if cell.cell_type != "markdown" and len(shows) > 1:
            raise ValueError("slides.show may be a list in markdown cells only")
        asks, answers = (_per_part(meta, key, len(shows)) for key in ("ask", "answer"))
        blocks = _blocks(cell.source) if cell.cell_type == "markdown" else []
        prose = [block for block in blocks if _kind(block) == "prose"]
        counts = meta.get("say") or [len(prose)]  # paragraphs of notes per part, in order
        said = [prose[sum(counts[:i]) : sum(counts[: i + 1])] for i in range(len(shows))]
        said[-1] += prose[sum(counts[: len(shows)]) :]
        for part, show in enumerate(shows):
            part_type = slide_type if part == 0 else "subslide"
            opens = part_type in SLIDE_STARTS or notes is None
            if opens:
                notes = _cell("markdown", "", "notes")
            if cell.cell_type == "markdown":
                shown = (
                    [b for b in blocks if _kind(b) != "prose"] if show is None else _blocks(show)
                )
                tables = [b for b in shown if _kind(b) == "table"]
                rest = [b for b in shown if _kind(b) != "table"]
                if rest or part_type in SLIDE_STARTS:
                    cells.append(_cell("markdown", "\n\n".join(rest), part_type))
                if opens:
                    cells.append(notes)
                cells += [_cell("markdown", table, "fragment") for table in tables]
            else:
                code = copy.deepcopy(cell)
                if show is not None:
                    code.source = show
                elif not meta.get("input"):
                    code.metadata.transient = {"remove_source": True}
                if "outputs" in meta:
                    code.outputs = [code.outputs[i] for i in meta["outputs"]]
                cells += [code, notes] if opens else [code]
            lines = said[part]
            lines += [f"**{ask_label}** {asks[part]}"] if asks[part] else []
            lines += [f"**{answer_label}** {answers[part]}"] if answers[part] else []
            notes.source = "\n\n".join(filter(None, [notes.source, *lines]))
    decks.append(cells)
    return [
        nbformat.v4.new_notebook(cells=deck, metadata=copy.deepcopy(nb.metadata)) for deck in decks
    ]


def _exporter(kind: str):
    loader = jinja2.DictLoader(TEMPLATES)
    common = dict(extra_loaders=[loader], mathjax_url=MATHJAX_URL, embed_images=True)
    if kind == "slides":
        return SlidesExporter(
            template_file=SLIDES_TEMPLATE,
            reveal_url_prefix=REVEAL_DIR,
            reveal_theme="white",  # the default theme ("simple") loads Google Fonts
            reveal_width="1280",  # 16:9, as projectors are; 100-character code lines fit
            reveal_height="720",
            reveal_number="c/t",  # "slide 7/23" in a corner, to find one's place
            exclude_input_prompt=True,  # no "In [5]:" column: wider code on a projector
            exclude_output_prompt=True,
            **common,
        )
    if kind == "html":
        return HTMLExporter(template_file=HTML_TEMPLATE, **common)
    raise ValueError(f"kind must be 'slides' or 'html', got {kind!r}")


def _copy_tree(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)


def _write_index(out_dir: Path, pages: list[Path], title: str) -> None:
    links = "\n".join(
        f'<li><a href="{page.name}">{page.name.split(".")[0]}</a></li>' for page in pages
    )
    (out_dir / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{title}</title>'
        f"</head>\n<body>\n<h1>{title}</h1>\n<ul>\n{links}\n</ul>\n</body>\n</html>\n",
        encoding="utf-8",
    )


def _build(kind: str, notebooks, out_dir) -> list[Path]:
    notebooks = [Path(nb) for nb in notebooks]
    if not notebooks:
        raise ValueError("notebooks must name at least one .ipynb file, got none")
    for nb in notebooks:
        if nb.suffix != ".ipynb" or not nb.is_file():
            raise ValueError(f"notebooks must be existing .ipynb files, got {str(nb)!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = _exporter(kind)
    names = {path.stem for path in notebooks}
    pages = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        static_widget_outputs(nb)
        strip_test_markers(nb)
        embed_markdown_images(nb, path.parent)
        relink_notebooks(nb, names, exporter.file_extension)
        decks = lecture_notebook(nb) if kind == "slides" else [nb]
        for number, deck in enumerate(decks, start=1):
            name = path.stem if number == 1 else f"{path.stem}-{number}"
            resources = {"metadata": {"name": name, "path": str(path.parent)}}
            body, _ = exporter.from_notebook_node(deck, resources=resources)
            page = out_dir / f"{name}{exporter.file_extension}"
            page.write_text(body, encoding="utf-8")
            pages.append(page)
    _copy_tree(mathjax_source(), out_dir / "mathjax")
    if kind == "slides":
        _copy_tree(reveal_source(), out_dir / REVEAL_DIR)
    _write_index(out_dir, pages, "Slides" if kind == "slides" else "Chapters")
    return pages


def build_slides(notebooks, out_dir) -> list[Path]:
    """Write reveal.js slides ``OUT/<name>.slides.html`` for each notebook, with reveal.js and
    MathJax copied into ``out_dir`` (works offline, opened as a file); return the pages' paths.

    Slide boundaries come from each cell's ``metadata.slideshow.slide_type``
    (slide / subslide / fragment / skip / notes), as in JupyterLab's property inspector.
    """
    return _build("slides", notebooks, out_dir)


def build_html(notebooks, out_dir) -> list[Path]:
    """Write a static page ``OUT/<name>.html`` for each notebook (stored outputs, figures and
    diagrams embedded, MathJax copied into ``out_dir``); return the pages' paths."""
    return _build("html", notebooks, out_dir)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.publish", description=__doc__.split("\n")[0]
    )
    parser.add_argument("kind", choices=["slides", "html"], help="reveal.js slides or static HTML")
    parser.add_argument("out_dir", type=Path, help="folder to write (created if missing)")
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks to convert")
    args = parser.parse_args(argv)
    build = build_slides if args.kind == "slides" else build_html
    for page in build(args.notebooks, args.out_dir):
        print(page)
    print(args.out_dir / "index.html")


if __name__ == "__main__":
    main()
