"""The package speaks Chinese when the language is zh: widgets, figures, exercise feedback, hints
and model answers, chapter 00's environment report; and its catalogue keeps every placeholder.

Each test sets the language with ``set_language("zh")`` after the modules were imported, so it
also checks that text is translated when it is shown, not when a module is imported. Figure text
is Chinese only when a font with Chinese glyphs is installed (``lstm_gru.i18n.cjk_font``); then
drawing a figure must not miss a glyph.
"""

import re
import unicodedata
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import polib  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lstm_gru import i18n  # noqa: E402
from lstm_gru.claims import SMOKE_ENV, claim  # noqa: E402
from lstm_gru.data import Vocab  # noqa: E402
from lstm_gru.environment import Check, check_environment, report  # noqa: E402
from lstm_gru.exercises import ch01, ch03, ch04  # noqa: E402
from lstm_gru.g2p import SPECIALS, g2p_model  # noqa: E402
from lstm_gru.models import CharRNN  # noqa: E402
from lstm_gru.predict import PredictFirst  # noqa: E402
from lstm_gru.tracing import trace_text  # noqa: E402
from lstm_gru.viz import plot_gates  # noqa: E402
from lstm_gru.widgets import DecodingExplorer, GateExplorer, GatePlayground  # noqa: E402

CORPUS = "def f(x):\n\treturn x * 2  # twice\nprint(f(3))\n"
VOCAB = Vocab(CORPUS)
LETTERS = Vocab(list("abcdefghijklmnopqrstuvwxyz'"), reserved_tokens=SPECIALS)
PHONEMES = Vocab(["AA", "AE", "AH", "B", "D", "IY", "K", "N", "S", "T"], reserved_tokens=SPECIALS)
HAN = re.compile(r"[\u4e00-\u9fff]")
FONT = i18n.cjk_font()


def chinese(text: str) -> bool:
    return bool(HAN.search(text))


def figure_chinese(text: str) -> bool:
    """Figure text is Chinese where a CJK font can draw it, else (after a warning) English."""
    return chinese(text) if FONT is not None else not chinese(text)


@pytest.fixture(autouse=True)
def zh():
    """Chinese for one test; matplotlib's settings (figure_text puts the CJK font first) and the
    language are restored after it."""
    with matplotlib.rc_context(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="no font with Chinese glyphs")
        i18n.set_language("zh")
        try:
            yield
        finally:
            i18n.set_language(None)
            plt.close("all")


def char_model(cell: str = "lstm") -> CharRNN:
    torch.manual_seed(0)
    return CharRNN(len(VOCAB), 6, cell=cell)


def g2p() -> torch.nn.Module:
    torch.manual_seed(0)
    return g2p_model(len(LETTERS), len(PHONEMES), embed_size=8, num_hiddens=16, cell="gru")


def missing_glyphs(figure) -> list[str]:
    """The "Glyph ... missing from font" warnings drawing ``figure`` gives."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def check_glyphs(figure) -> None:
    assert FONT is not None, "no font with Chinese glyphs (the test extra's mplfonts has one)"
    assert missing_glyphs(figure) == []


# --- widgets -----------------------------------------------------------------------------------


def test_gate_explorer_speaks_chinese():
    explorer = GateExplorer(char_model(), VOCAB, text="def f(x):")
    assert explorer.step_slider.description == "时间步"
    assert explorer.unit_slider.description == "单元"
    assert chinese(explorer.text_box.placeholder)
    assert explorer.readout.value.startswith("第 0 步 <code>d</code>，单元 0：输入门 ")
    drawing = explorer.drawing
    labels = [
        drawing.heat_axes[0].get_ylabel(), drawing.line_ax.get_ylabel(),
        drawing.line_ax.get_xlabel(), drawing.step_label.get_text(),
        drawing.unit_label.get_text(),
        *(t.get_text() for ax in drawing.figure.axes if ax.get_legend()
          for t in ax.get_legend().get_texts()),
    ]  # fmt: skip
    assert all(figure_chinese(label) for label in labels), labels
    assert explorer._repr_mimebundle_()["text/plain"].startswith("GateExplorer：一个交互式小部件")
    explorer.set_text("")
    assert explorer.readout.value == "<i>在上面输入一些文本，查看各个门。</i>"
    explorer.set_text("def f(x):")
    check_glyphs(explorer.figure)


def test_gate_playground_speaks_chinese():
    playground = GatePlayground(num_steps=20)
    descriptions = [slider.description for slider in playground.sliders.values()]
    assert descriptions == ["遗忘门 f", "输入门 i", "脉冲", "脉冲位置 t", "RNN w"]
    assert playground.readout.value.startswith("20 个时间步之后<br>LSTM 记忆元：<b>")
    ax = playground.drawing.ax
    texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), playground.drawing.result.get_text()]
    texts += [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(figure_chinese(text) for text in texts), texts
    check_glyphs(playground.figure)


def test_decoding_explorer_speaks_chinese():
    explorer = DecodingExplorer(g2p(), LETTERS, PHONEMES, word="banana", beam_size=3)
    assert [explorer.text_box.description, explorer.beam_slider.description] == ["单词", "束宽"]
    assert explorer.step_slider.description == "时间步"
    assert (
        "：贪心搜索 <code>" in explorer.readout.value
        and "束宽 3 的束搜索" in explorer.readout.value
    )
    drawing = explorer.drawing
    texts = [
        drawing.grid_ax.get_title(loc="left"), drawing.beam_ax.get_title(loc="left"),
        drawing.grid_ax.get_xlabel(), drawing.grid_ax.get_ylabel(),
        *(t.get_text() for t in drawing.figure.legends[0].get_texts()),
    ]  # fmt: skip
    assert all(figure_chinese(text) for text in texts), texts
    explorer.text_box.value = "  "
    assert explorer.readout.value == "<i>在上面的框中输入一个单词，查看它的解码过程。</i>"
    explorer.set_word("banana")
    check_glyphs(explorer.figure)


def test_predict_first_and_a_smoke_claim_speak_chinese(capsys, monkeypatch):
    p = PredictFirst("Which wipe hurts more?", ["wiping c", "wiping h"])
    assert p.result.value == "<i>运行实验之前，先选一个答案。</i>"
    p.choose("wiping c")
    p.reveal("wiping h", "perplexity 9.1 with h wiped")
    assert p.verdict() == (
        "测得：perplexity 9.1 with h wiped。所以：wiping h。"
        "你预测的是 wiping c：这次没对。可能是为什么？"
    )
    assert capsys.readouterr().out.startswith("先预测：Which wipe hurts more?\n测得：")
    monkeypatch.setenv(SMOKE_ENV, "1")
    claim("accuracy above 95%", False, 0.5)
    assert capsys.readouterr().out == (
        f"- 本次冒烟运行（{SMOKE_ENV}=1）不检查：accuracy above 95%（测得：0.5）\n"
    )


# --- exercises ---------------------------------------------------------------------------------


def test_code_exercise_feedback_hints_and_solution_are_chinese(capsys):
    wrong = ch01.rnn_step.mistakes["a sigmoid instead of tanh"]
    assert ch01.rnn_step.check(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith(
        "✘ ch01.rnn_step，批量大小 1，一个单元：h 在 批量中的行 0，单元 0 处不同："
    )
    assert "  你的函数给出的结果与“用 sigmoid 代替了 tanh”完全相同。" in out
    assert ch01.rnn_step.check(ch01.rnn_step.reference) is True
    assert capsys.readouterr().out.startswith(
        "✔ ch01.rnn_step：全部 3 个测试用例都正确（批量大小 1，一个单元；"
    )
    ch01.rnn_step.hint(2)
    assert capsys.readouterr().out == (
        "提示 2/2：h_new = tanh(x @ W_x + h @ W_h + b)：输入一个乘积，状态一个乘积。\n"
    )


def test_number_exercise_feedback_and_worked_answer_are_chinese(capsys):
    assert ch01.half_life.check(10) is False
    assert capsys.readouterr().out == (
        "✘ ch01.half_life：10 不对。 这是时间尺度 1 / (1 - f)：记忆在这时降到约 1/e，而不是一半。\n"
    )
    assert ch04.equal_params_hidden.check(171) is False
    assert "nn.GRU(64, 171) 有" in capsys.readouterr().out
    ch04.equal_params_hidden.solution()  # its working is formatted with the chapter's numbers
    out = capsys.readouterr().out
    assert out.startswith("152: nn.LSTM(64, 128) 有 4 (h d + h^2 + 2h) = 99,328 个参数")
    ch04.equal_params_hidden.hint(1)
    assert capsys.readouterr().out.startswith(
        "提示 1/2：先数 LSTM 的参数：nn.LSTM(64, 128) 有四个块"
    )


def test_open_question_hint_and_model_answer_are_chinese(capsys):
    ch03.half_open.hint(2)
    assert capsys.readouterr().out.startswith("提示 2/2：在 gru 的一个副本中")
    ch03.half_open.solution()
    out = capsys.readouterr().out
    assert out.startswith("参考答案：半开\n\n预测：r = 0 时")
    assert "\n    half = copy.deepcopy(gru)\n" in out  # the code keeps its indentation
    ch03.other_formulation.solution()  # an answer that starts with code
    assert capsys.readouterr().out.startswith(
        '参考答案：训练另一种形式\n\n    model = SequenceModel(8, 32, 7, cell="gru")\n'
    )


# --- chapter 00's environment report -----------------------------------------------------------


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_environment_report_is_chinese_and_aligned():
    checks = check_environment()
    lines = report(checks).splitlines()
    assert len(lines) == 5
    assert lines[2].startswith("通过  课程将使用的设备")
    assert lines[4].startswith("通过  d2l 可以导入")
    starts = {columns(line) - columns(c.detail) for line, c in zip(lines, checks, strict=True)}
    assert len(starts) == 1  # every detail starts in the same column of a monospaced font
    assert report([Check("a", False, "x"), Check("b", True, "y", warning=True)]) == (
        "失败  a  x\n注意  b  y"
    )


# --- figures -----------------------------------------------------------------------------------


def test_plot_gates_labels_are_chinese_and_every_glyph_is_drawn():
    trace = trace_text(char_model("gru"), VOCAB, "def f(x):\n\treturn x")
    fig = plot_gates(trace)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    labels.append(fig.axes[len(trace.gates) - 1].get_xlabel())
    assert all(figure_chinese(label) for label in labels), labels
    if FONT is not None:
        assert labels[0] == "重置门\n单元" and labels[-1] == "输入词元"
    check_glyphs(fig)


# --- the catalogue -----------------------------------------------------------------------------


PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def test_every_translation_keeps_the_placeholders_of_its_english():
    """``tr(...).format(...)`` fills the same fields in either language; code in a model answer
    keeps its braces too."""
    po = polib.pofile(str(i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "lstm_gru.po"))
    differ = {
        entry.msgid: set(PLACEHOLDER.findall(entry.msgid)) ^ set(PLACEHOLDER.findall(entry.msgstr))
        for entry in po
        if entry.msgstr
        and set(PLACEHOLDER.findall(entry.msgid)) != set(PLACEHOLDER.findall(entry.msgstr))
    }
    assert differ == {}
    assert len(po) > 300
