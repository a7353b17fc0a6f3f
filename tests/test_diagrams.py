"""The committed img/*.svg match the code that draws them, parse, carry their labels, and fit."""

import re
import xml.etree.ElementTree as ET

import pytest

from tools import diagrams
from tools.diagrams import DIAGRAMS, IMG_DIR, Diagram, main, write_all

SVG = "{http://www.w3.org/2000/svg}"

# Labels each figure must show (subscripts read as plain text: "h_{t−1}" -> "ht−1").
EXPECTED = {
    "lstm.svg": [
        "forget gate f",
        "遗忘门",
        "input gate i",
        "输入门",
        "output gate o",
        "输出门",
        "candidate c̃",
        "候选记忆元",
        "记忆元 / 细胞状态",
        "memory highway",
        "隐状态",
        "hidden state",
        "ct−1",
        "ht−1",
        "xt",
        "ct",
        "ht",
        "σ",
        "tanh",
        "×",
        "+",
    ],
    "gru.svg": [
        "reset gate r",
        "重置门",
        "update gate z",
        "更新门",
        "candidate h̃",
        "候选隐状态",
        "隐状态",
        "1 − z",
        "1−",
        "ht−1",
        "ht = zt ⊙ ht−1 + (1 − zt) ⊙ h̃t",
        "Cho et al. (2014) / d2l form",
        "reset-after",
        "Whn ht−1 + bhn",
        "reset_after=True",
    ],
    "encoder-decoder.svg": [
        "编码器",
        "解码器",
        "固定形状的编码状态",
        "Encoder.forward(X)",
        "Decoder.init_state(enc_outputs)",
        "Decoder.forward(X, state)",
        "<bos>",
        "<eos>",
        "h",
        "OW1",
        "variable-length input",
        "fed back as the next input",
    ],
}


def _texts(root: ET.Element) -> list[str]:
    """The text of every <text> element, tspans joined."""
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every diagram written once into a fresh folder: {file name: bytes}."""
    paths = write_all(tmp_path_factory.mktemp("img"))
    return {path.name: path.read_bytes() for path in paths}


def test_committed_files_match_the_code(written):
    assert sorted(written) == sorted(DIAGRAMS)
    for name, data in written.items():
        committed = (IMG_DIR / name).read_bytes()
        assert committed == data, f"img/{name} is stale: run `python -m tools.diagrams`"


def test_write_all_is_deterministic(tmp_path, written):
    paths = write_all(tmp_path / "again")
    assert [p.name for p in paths] == list(DIAGRAMS)  # fixed order
    assert {p.name: p.read_bytes() for p in paths} == written


@pytest.mark.parametrize("name", list(EXPECTED))
def test_svg_parses_with_viewbox_title_and_labels(name, written):
    root = ET.fromstring(written[name])
    assert root.tag == f"{SVG}svg"
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
    texts = _texts(root)
    for label in EXPECTED[name]:
        assert any(label in text for text in texts), f"{name} lacks the label {label!r}"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_fonts_have_cjk_fallbacks_and_colours_are_okabe_ito(name, written):
    root = ET.fromstring(written[name])
    family = root.get("font-family")
    for font in ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC"):
        assert f"'{font}'" in family
    assert family.endswith("sans-serif")
    palette = {diagrams.BLUE, diagrams.VERMILLION, diagrams.GREEN, diagrams.ORANGE}
    allowed = palette | {diagrams.INK, diagrams.GREY, "#FFFFFF", "none"}
    strokes = {el.get("stroke") for el in root.iter() if el.get("stroke")}
    assert strokes <= allowed, strokes - allowed


def test_no_timestamps_or_random_ids(written):
    for name, data in written.items():
        text = data.decode("utf-8")
        assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d", text), name
        assert " id=" not in text, name


@pytest.mark.parametrize("name", list(DIAGRAMS))
def test_layout_has_no_overlapping_or_crossed_labels(name):
    assert DIAGRAMS[name]().layout_problems() == []


def test_layout_check_reports_overlaps_crossings_and_overflow():
    d = Diagram(200, 100, "t", "d")
    d.text(100, 40, "forget gate")
    d.text(110, 45, "遗忘门")  # on top of the first label
    d.line([(0, 70), (200, 70)])
    d.text(100, 75, "crossed")  # the line runs through it
    d.text(195, 20, "off the edge", anchor="start")
    problems = d.layout_problems()
    assert "labels 'forget gate' and '遗忘门' overlap" in problems
    assert any(p.startswith("label 'crossed' is crossed by the line") for p in problems)
    assert "label 'off the edge' leaves the 200x100 canvas" in problems
    assert len(problems) == 3


def test_subscript_markup_and_code_underscores():
    d = Diagram(300, 100, "t", "d")
    d.text(10, 50, "h_{t−1} and x_t", font="math", anchor="start")
    d.text(10, 80, "enc_outputs reset_after", font="mono", anchor="start")
    svg = d.to_svg()
    assert 'h<tspan dy="6.6" font-size="15.4">t−1</tspan><tspan dy="-6.6"> and x</tspan>' in svg
    assert ">enc_outputs reset_after</text>" in svg
    # the sans font: an underscore inside a word stays, one closing a word subscripts
    d.text(10, 20, "reset_after W_x", anchor="start")
    assert 'reset_after W<tspan dy="6.6" font-size="15.4">x</tspan></text>' in d.to_svg()


def test_main_writes_every_file(tmp_path, capsys, written):
    main(["--img-dir", str(tmp_path)])
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / name) for name in DIAGRAMS]
    assert {name: (tmp_path / name).read_bytes() for name in DIAGRAMS} == written
