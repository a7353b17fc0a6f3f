"""The Chinese edition: complete and current catalogues, a stale translation named, one source.

Every chapter's catalogue (locale/zh/LC_MESSAGES/<chapter>.po) must translate every markdown cell
and slide string of the current English text; an English edit makes the test name the chapter and
cell until `python -m tools.i18n update` has run and the translation is fixed (shown below on a
temporary copy). The Chinese notebooks share the English code cells byte for byte, and one of
them is executed top to bottom.
"""

import shutil

import nbformat
import polib
import pytest

from lstm_gru import i18n as runtime
from tests.lab_server import ROOT
from tools import i18n

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture
def english():
    yield
    runtime.set_language(None)


# --- the runtime: which language, which text ---------------------------------------------------


def test_language_comes_from_set_language_then_env_then_marker(tmp_path, monkeypatch, english):
    monkeypatch.delenv(runtime.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert runtime.language() == "en"
    (tmp_path / runtime.MARKER_FILE).write_text("zh\n")
    assert runtime.language() == "zh"
    monkeypatch.setenv(runtime.ENV_VAR, "en")
    assert runtime.language() == "en"
    runtime.set_language("zh")
    assert runtime.language() == "zh"
    with pytest.raises(ValueError, match=r"language must be one of \('en', 'zh'\), got 'fr'"):
        runtime.set_language("fr")
    monkeypatch.setenv(runtime.ENV_VAR, "de")
    runtime.set_language(None)
    with pytest.raises(ValueError, match="got 'de'"):
        runtime.language()


def test_tr_skips_fuzzy_and_missing_translations(tmp_path, monkeypatch, english):
    po = polib.POFile()
    po.append(polib.POEntry(msgid="forget gate", msgstr="遗忘门"))
    po.append(polib.POEntry(msgid="reset gate", msgstr="旧的译文", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="update gate", msgstr=""))
    (tmp_path / "zh" / "LC_MESSAGES").mkdir(parents=True)
    po.save(str(tmp_path / "zh" / "LC_MESSAGES" / "lstm_gru.po"))
    monkeypatch.setattr(runtime, "LOCALE_DIR", tmp_path)
    runtime.catalogue.cache_clear()
    try:
        runtime.set_language("zh")
        assert [runtime.tr(t) for t in ("forget gate", "reset gate", "update gate", "other")] == [
            "遗忘门",
            "reset gate",
            "update gate",
            "other",
        ]
        runtime.set_language("en")
        assert runtime.tr("forget gate") == "forget gate"
    finally:
        runtime.catalogue.cache_clear()


# --- the catalogues: complete, current, consistent ---------------------------------------------


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_every_cell_of_the_chapter_has_a_current_translation(notebook):
    assert i18n.chapter_problems(notebook) == []


def test_every_package_string_has_a_current_translation():
    assert i18n.problems(i18n.package_catalogue(), i18n.package_messages()) == []


def test_the_glossary_terms_are_used_and_translated_consistently():
    assert len(i18n.glossary()) >= 30
    assert i18n.glossary_problems() == []


def test_an_english_edit_makes_its_translation_stale_until_it_is_fixed(tmp_path):
    """On a copy of chapter 03 and its catalogue: edit one English markdown cell, and the check
    names the chapter and cell; `update` keeps the old translation marked fuzzy, still failing;
    a fixed translation passes."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "locale").mkdir()
    notebook = tmp_path / "notebooks" / "03_gru.ipynb"
    shutil.copy(ROOT / "notebooks" / "03_gru.ipynb", notebook)
    shutil.copytree(ROOT / "locale" / "zh", tmp_path / "locale" / "zh")
    assert i18n.chapter_problems(notebook, root=tmp_path) == []

    nb = nbformat.read(notebook, as_version=4)
    number = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## 1. Two gates"))
    nb.cells[number].source = nb.cells[number].source.replace("Two gates", "Two gates,", 1)
    nbformat.write(nb, notebook)
    (found,) = i18n.chapter_problems(notebook, root=tmp_path)
    assert found.startswith(f"03_gru.po: cell {number} ('## 1. Two gates, and a candidate'")
    assert "not in the catalogue" in found

    catalogue = i18n.chapter_catalogue(notebook, root=tmp_path)
    i18n.update(catalogue, i18n.notebook_messages(notebook))
    (found,) = i18n.chapter_problems(notebook, root=tmp_path)
    assert f"cell {number} " in found and "stale" in found
    entry = polib.pofile(str(catalogue)).find(nb.cells[number].source)
    assert entry.fuzzy and entry.previous_msgid.startswith("## 1. Two gates and a candidate")
    assert entry.msgstr  # the old translation is kept, to be fixed rather than redone

    po = polib.pofile(str(catalogue))
    po.find(nb.cells[number].source).flags.remove("fuzzy")
    po.save()
    assert i18n.chapter_problems(notebook, root=tmp_path) == []


# --- the Chinese notebooks ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def chinese(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh") / "notebooks"
    i18n.build(out, NOTEBOOKS)
    return out


def test_chinese_notebooks_share_the_english_code_and_outputs(chinese):
    for notebook in NOTEBOOKS:
        english = nbformat.read(notebook, as_version=4)
        translated = nbformat.read(chinese / notebook.name, as_version=4)
        assert len(translated.cells) == len(english.cells)
        for en, zh in zip(english.cells, translated.cells, strict=True):
            assert zh.cell_type == en.cell_type
            if en.cell_type == "code":
                assert zh.source == en.source, f"{notebook.name}: a code cell differs"
                assert zh.outputs == en.outputs
            elif en.source.strip():
                assert zh.source != en.source, f"{notebook.name}: {en.source[:40]!r} untranslated"
    assert (chinese / runtime.MARKER_FILE).read_text().strip() == "zh"
    assert (chinese.parent / "img" / "lstm.svg").is_file()  # the chapters link ../img/


def test_a_chinese_chapter_runs_top_to_bottom_in_chinese(chinese, monkeypatch):
    """Chapter 00, executed where its kernel starts (the marker file makes it Chinese): no
    error, and the package's own report is in Chinese."""
    from nbclient import NotebookClient

    monkeypatch.delenv(runtime.ENV_VAR, raising=False)
    nb = nbformat.read(chinese / "00_start_here.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(chinese)}}).execute()
    text = "".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), "no Chinese in the outputs"


def test_chinese_slides_show_translated_slides_and_notes(chinese, tmp_path):
    from tools import publish

    english = nbformat.read(ROOT / "notebooks" / "03_gru.ipynb", as_version=4)
    ask = next(
        c.metadata.slides["ask"] for c in english.cells if "ask" in c.metadata.get("slides", {})
    )
    pages = publish.build_slides([chinese / "03_gru.ipynb"], tmp_path)
    text = "".join(page.read_text(encoding="utf-8") for page in pages)
    assert "重置门" in text and ask not in text
    assert (
        text.count(publish.NOTE_LABELS["zh"][0]) > 10 and publish.NOTE_LABELS["en"][0] not in text
    )


def test_a_chinese_page_explains_a_widget_in_chinese():
    from tools import publish

    nb = nbformat.v4.new_notebook(metadata={"lstm_gru": {"language": "zh"}})
    view = {publish.WIDGET_VIEW: {"model_id": "m"}, "text/plain": "VBox(children=())"}
    nb.cells = [
        nbformat.v4.new_code_cell("w", outputs=[nbformat.v4.new_output("display_data", view)])
    ]
    assert publish.static_widget_outputs(nb) == 1
    assert nb.cells[0].outputs[0].data == {"text/plain": publish.WIDGET_NOTES["zh"]}


def test_build_keeps_english_where_no_translation_exists(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "img").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Gates"), nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "notebooks" / "99_new.ipynb")
    (written,) = i18n.build(
        tmp_path / "zh" / "notebooks", [tmp_path / "notebooks" / "99_new.ipynb"], root=tmp_path
    )
    assert [c.source for c in nbformat.read(written, as_version=4).cells] == ["## Gates", "x = 1"]


def test_glossary_rows_have_the_promised_columns():
    rows = i18n.glossary()
    terms = {row["english"]: row for row in rows}
    assert terms["forget gate"]["chinese"] == "遗忘门"
    assert terms["reset gate"]["symbol"] == r"$\mathbf{r}_t$"
    assert all(list((ROOT / "notebooks").glob(f"{row['chapter']}_*.ipynb")) for row in rows)


def test_the_text_a_chapter_draws_is_extracted_with_f_strings_as_templates(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'ax.set(title="Loss", xlabel="SGD step")\n'
            'ax.plot(x, y, label=f"batch size {b}")\n'
            'ax.legend(["training", "validation"])\n'
            'print("not drawn")\n'
            'ax.set_ylabel("%")'
        )
    ]
    nbformat.write(nb, tmp_path / "99_demo.ipynb")
    found = [text for _, text, _ in i18n.figure_messages(tmp_path / "99_demo.ipynb")]
    assert found == ["Loss", "SGD step", "batch size {0}", "training", "validation"]


def test_figures_drawn_in_chinese_from_english_code(english):
    """A chapter's code sets English titles and labels; in Chinese they are drawn in Chinese,
    an f-string's value translated too, with a glyph for every character."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert runtime.cjk_font(), "no font with Chinese glyphs (the test extra's mplfonts has one)"
    runtime.set_language("zh")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label=f"{'forget'} gate")
    ax.set(title="Loss", xlabel=f"batch size {16}", ylabel="made-up label")
    ax.legend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    texts.append(ax.get_legend().get_texts()[0].get_text())
    plt.close(fig)
    assert texts == ["损失", "批量大小 16", "made-up label", "遗忘门"]
    assert not [w for w in caught if "missing from font" in str(w.message)]
    runtime.set_language("en")
    fig, ax = plt.subplots()
    ax.set_title("Loss")
    fig.canvas.draw()
    plt.close(fig)
    assert ax.get_title() == "Loss"
