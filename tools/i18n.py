"""The Chinese edition from one source: gettext catalogues beside the English notebooks.

- ``locale/zh/LC_MESSAGES/<chapter>.po``: one catalogue per chapter. msgid = an English markdown
  cell (or, with msgctxt ``slides``, a string a slide shows or its notes ask: the cell metadata's
  ``slides.show``, ``ask``, ``answer``), msgstr = its Chinese text. Each entry's reference
  (``#: 02_lstm.ipynb:<cell id>``) names the cell it came from.
- ``lstm_gru/locale/zh/LC_MESSAGES/lstm_gru.po``: the package's strings, every literal passed to
  ``tr(...)`` or ``figure_text(...)`` (see ``lstm_gru.i18n``), and, with msgctxt ``figure``, the
  titles, axis labels and legends the chapters' code draws, which the package translates as
  matplotlib draws them (so the code cells stay the same in both languages).

Commands (``python -m tools.i18n ...``; ``make i18n-update``, ``make zh``):

- ``update``: after an English edit, like ``sphinx-intl update``: new text gets an empty entry;
  changed text keeps the old translation marked *fuzzy* (stale) with the old English as
  ``#| msgid``; text that is gone is dropped.
- ``check``: every missing or stale translation, naming the chapter and the cell; exit 1 if any.
- ``build OUT NOTEBOOK...``: the Chinese notebooks: markdown and slide strings translated, code
  cells and outputs untouched, ``img/`` copied beside them, and a ``lstm_gru-language`` file so
  their kernel speaks Chinese.
"""

import argparse
import ast
import re
import shutil
import sys
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parents[1]
LANG = "zh"
SLIDES = "slides"  # msgctxt of the strings slides show
FIGURE = "figure"  # msgctxt of the text the chapters' code draws in figures (package catalogue)
SLIDE_FIELDS = ("show", "ask", "answer")
PACKAGE_CALLS = ("tr", "figure_text")


def chapter_catalogue(notebook: Path, lang: str = LANG, root: Path = ROOT) -> Path:
    return root / "locale" / lang / "LC_MESSAGES" / f"{notebook.stem}.po"


def package_catalogue(lang: str = LANG, root: Path = ROOT) -> Path:
    return root / "lstm_gru" / "locale" / lang / "LC_MESSAGES" / "lstm_gru.po"


def _slide_strings(cell) -> list[tuple[str, str]]:
    """(where, text) for each string the cell's ``slides`` metadata shows or asks."""
    found = []
    for field in SLIDE_FIELDS:
        value = cell.metadata.get("slides", {}).get(field)
        values = value if isinstance(value, list) else [value]
        found += [(f"{field}{i}", text) for i, text in enumerate(values) if text]
    return found


def notebook_messages(notebook: Path) -> list[tuple[str | None, str, str]]:
    """(msgctxt, msgid, reference) for every translatable string of ``notebook``, in order."""
    nb = nbformat.read(notebook, as_version=4)
    found = []
    for cell in nb.cells:
        where = f"{notebook.name}:{cell.id}"
        if cell.cell_type == "markdown" and cell.source.strip():
            found.append((None, cell.source, where))
        found += [(SLIDES, text, f"{where}/{key}") for key, text in _slide_strings(cell)]
    return found


def package_messages(root: Path = ROOT) -> list[tuple[str | None, str, str]]:
    """(None, msgid, reference) for every string literal passed to ``tr`` or ``figure_text`` in
    the package's source."""
    found = []
    for path in sorted((root / "lstm_gru").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) in PACKAGE_CALLS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                found.append((None, node.args[0].value, where))
    found.sort(key=lambda m: (m[2].split(":")[0], int(m[2].split(":")[1])))
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    return found + [m for notebook in notebooks for m in figure_messages(notebook)]


# Matplotlib calls whose string arguments are drawn text, and keywords that hold drawn text.
FIGURE_CALLS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel", "ylabel"}
FIGURE_CALLS |= {"text", "annotate", "legend", "figtext", "set_label"}
FIGURE_KEYWORDS = {"label", "title", "xlabel", "ylabel"}


def _template(node) -> str | None:
    """A string literal as it is, an f-string with ``{0}``, ``{1}``... for its values, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts, number = [], 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(value.value.replace("{", "{{").replace("}", "}}"))
            else:
                parts.append(f"{{{number}}}")
                number += 1
        return "".join(parts)
    return None


def figure_messages(notebook: Path) -> list[tuple[str | None, str, str]]:
    """(FIGURE, text, reference) for the text a chapter's code draws in its figures (titles,
    axis labels, legends; an f-string as a template with ``{0}``...), which the package
    translates as matplotlib draws it (``lstm_gru.i18n.translate_figures``)."""
    nb = nbformat.read(notebook, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            values = list(node.args) if name in FIGURE_CALLS else []
            values += [k.value for k in node.keywords if k.arg in FIGURE_KEYWORDS]
            for value in values:
                items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                for text in map(_template, items):
                    if text and any(ch.isalpha() for ch in text):
                        found.append((FIGURE, text, f"{notebook.name}:{cell.id}"))
    return found


def update(path: Path, messages, lang: str = LANG) -> polib.POFile:
    """Write the catalogue ``path`` for ``messages``, keeping what is translated, marking
    translations of changed text fuzzy (matched by their reference), dropping the rest."""
    old = polib.pofile(str(path)) if path.exists() else polib.POFile()
    by_key = {(e.msgctxt, e.msgid): e for e in old if not e.obsolete}
    # polib reads "02_lstm.ipynb:<cell id>" back as a file name with no line number
    by_place = {
        (e.msgctxt, f"{file}:{line}" if line else file): e
        for e in old
        if not e.obsolete
        for file, line in e.occurrences
    }
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "lstm_gru course",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    entries: dict[tuple, polib.POEntry] = {}
    for msgctxt, msgid, where in messages:
        file, _, line = where.partition(":")
        entry = entries.get((msgctxt, msgid))
        if entry is not None:
            entry.occurrences.append((file, line))
            continue
        entry = polib.POEntry(msgctxt=msgctxt, msgid=msgid, occurrences=[(file, line)])
        known = by_key.get((msgctxt, msgid))
        was = by_place.get((msgctxt, where))
        if known is not None:
            entry.msgstr = known.msgstr
            entry.flags = list(known.flags)
            entry.previous_msgid = known.previous_msgid
        elif was is not None and was.msgstr:
            entry.msgstr = was.msgstr
            entry.flags = ["fuzzy"]
            entry.previous_msgid = was.msgid
        entries[(msgctxt, msgid)] = entry
        po.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return po


def problems(path: Path, messages) -> list[str]:
    """Every string of ``messages`` whose translation in ``path`` is missing, empty or stale
    (fuzzy), named by its place (chapter and cell number, or file and line)."""
    po = polib.pofile(str(path)) if path.exists() else polib.POFile()
    entries = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    found = []
    for msgctxt, msgid, where in messages:
        entry = entries.get((msgctxt, msgid))
        if entry is None:
            what = "not in the catalogue (run `python -m tools.i18n update`, then translate)"
        elif not entry.msgstr.strip():
            what = "not translated"
        elif entry.fuzzy:
            what = "stale: the English changed since it was translated (fix it, drop `fuzzy`)"
        else:
            continue
        first_line = msgid.strip().splitlines()[0][:60]
        found.append(f"{path.name}: {where} ({first_line!r}): {what}")
    return found


def chapter_problems(notebook: Path, lang: str = LANG, root: Path = ROOT) -> list[str]:
    """:func:`problems` for one chapter, each place given as ``cell N`` (its index), followed by
    the slide field for a slide string (``cell 12 slides.ask0``)."""
    nb = nbformat.read(notebook, as_version=4)
    numbers = {cell.id: number for number, cell in enumerate(nb.cells)}

    def place(where: str) -> str:  # "03_gru.ipynb:<cell id>/ask0" -> "cell 12 slides.ask0"
        cell_id, _, field = where.partition(":")[2].partition("/")
        return f"cell {numbers[cell_id]}" + (f" slides.{field}" if field else "")

    messages = [(ctxt, msgid, place(where)) for ctxt, msgid, where in notebook_messages(notebook)]
    return problems(chapter_catalogue(notebook, lang, root), messages)


def translate_notebook(notebook: Path, lang: str = LANG, root: Path = ROOT):
    """``notebook`` with its markdown cells and slide strings in ``lang`` (English where the
    catalogue has no current translation); code cells and outputs untouched."""
    path = chapter_catalogue(notebook, lang, root)
    po = polib.pofile(str(path)) if path.exists() else polib.POFile()
    table = {
        (e.msgctxt, e.msgid): e.msgstr for e in po if e.msgstr and not e.fuzzy and not e.obsolete
    }
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = table.get((None, cell.source), cell.source)
        slides = cell.metadata.get("slides", {})
        for field in SLIDE_FIELDS:
            value = slides.get(field)
            if isinstance(value, list):
                slides[field] = [table.get((SLIDES, v), v) if v else v for v in value]
            elif value:
                slides[field] = table.get((SLIDES, value), value)
    nb.metadata["lstm_gru"] = {"language": lang}
    return nb


def build(out_dir: Path, notebooks, lang: str = LANG, root: Path = ROOT) -> list[Path]:
    """Write the ``lang`` edition of ``notebooks`` into ``out_dir``, with ``img/`` beside it (the
    chapters link ``../img/...``) and the language marker for their kernel; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in map(Path, notebooks):
        target = out_dir / notebook.name
        nbformat.write(translate_notebook(notebook, lang, root), target)
        written.append(target)
    img = out_dir.parent / "img"
    if img.exists():
        shutil.rmtree(img)
    shutil.copytree(root / "img", img)
    (out_dir / "lstm_gru-language").write_text(lang + "\n", encoding="utf-8")
    return written


def glossary(lang: str = LANG, root: Path = ROOT) -> list[dict]:
    """The rows of ``locale/<lang>/glossary.md``: english, chinese, symbol, chapter, notes."""
    rows = []
    for line in (root / "locale" / lang / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 5 and cells[3].isdigit():
            rows.append(
                dict(zip(("english", "chinese", "symbol", "chapter", "notes"), cells, strict=True))
            )
    return rows


# Code spans, math and link targets: names there (`lstm_gru.encoder_decoder`) are not prose.
NOT_PROSE = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)", re.DOTALL)


def glossary_problems(lang: str = LANG, root: Path = ROOT) -> list[str]:
    """Each glossary term the chapter it names does not use, and each translated passage whose
    English uses a term while its translation lacks the term's Chinese form."""
    terms = glossary(lang, root)
    notebooks = {nb.stem[:2]: nb for nb in sorted((root / "notebooks").glob("*.ipynb"))}
    found = []

    def uses(term: str, english: str) -> bool:
        return re.search(rf"\b{re.escape(term)}", NOT_PROSE.sub(" ", english), re.IGNORECASE)

    for term in terms:
        chapter = notebooks.get(term["chapter"])
        english = " ".join(msgid for _, msgid, _ in notebook_messages(chapter)) if chapter else ""
        if not uses(term["english"], english):
            found.append(f"glossary: {term['english']!r} is not used in chapter {term['chapter']}")
    for notebook in notebooks.values():
        path = chapter_catalogue(notebook, lang, root)
        if not path.exists():
            continue
        for entry in polib.pofile(str(path)):
            if not entry.msgstr or entry.fuzzy or entry.obsolete:
                continue
            for term in terms:
                chinese = term["chinese"].replace(" ", "")
                if uses(term["english"], entry.msgid) and chinese not in entry.msgstr.replace(
                    " ", ""
                ):
                    where = " ".join(f"{f}:{n}" if n else f for f, n in entry.occurrences)
                    found.append(
                        f"{path.name}: {where}: uses {term['english']!r} but not {chinese!r}"
                    )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.i18n", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="refresh every catalogue after an English edit")
    commands.add_parser("check", help="list missing and stale translations (exit 1 if any)")
    make = commands.add_parser("build", help="write the Chinese notebooks")
    make.add_argument("out_dir", type=Path)
    make.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.command == "update":
        for notebook in notebooks:
            update(chapter_catalogue(notebook), notebook_messages(notebook))
        update(package_catalogue(), package_messages())
        return 0
    if args.command == "check":
        found = [p for nb in notebooks for p in chapter_problems(nb)]
        found += problems(package_catalogue(), package_messages())
        found += glossary_problems()
        print("\n".join(found) or "every translation is present and current")
        return 1 if found else 0
    for path in build(args.out_dir, args.notebooks):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
