"""Presentation mode scales fonts, lines and figures, and normal_mode restores rcParams exactly."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lstm_gru.present import current_scale, normal_mode, presentation_mode  # noqa: E402
from lstm_gru.widgets import GatePlayground  # noqa: E402


@pytest.fixture(autouse=True)
def back_to_normal():
    yield
    normal_mode()
    plt.close("all")


def test_scales_fonts_lines_and_figure():
    before = dict(mpl.rcParams)
    mode = presentation_mode(1.6)
    assert mpl.rcParams["font.size"] == pytest.approx(1.6 * before["font.size"])
    assert mpl.rcParams["lines.linewidth"] == pytest.approx(1.6 * before["lines.linewidth"])
    width, height = before["figure.figsize"]
    assert mpl.rcParams["figure.figsize"] == pytest.approx(
        [width * math.sqrt(1.6), height * math.sqrt(1.6)]
    )
    assert mpl.rcParams["axes.titlesize"] == before["axes.titlesize"]  # "large" follows font.size
    assert mode.scale == 1.6 and mode.previous["font.size"] == before["font.size"]
    assert current_scale() == 1.6
    assert repr(mode) == "presentation mode on (scale 1.6); normal_mode() switches it off"


def test_normal_mode_restores_exactly():
    before = dict(mpl.rcParams)
    presentation_mode(1.6)
    presentation_mode(2.0)  # re-applied from the normal settings, not compounded
    assert mpl.rcParams["font.size"] == pytest.approx(2.0 * before["font.size"])
    normal_mode()
    assert dict(mpl.rcParams) == before
    normal_mode()  # already normal: nothing changes
    assert dict(mpl.rcParams) == before and current_scale() == 1.0


def test_context_manager_form():
    before = dict(mpl.rcParams)
    with presentation_mode(1.5) as mode:
        assert mode.scale == 1.5
        assert mpl.rcParams["font.size"] == pytest.approx(1.5 * before["font.size"])
    assert dict(mpl.rcParams) == before


def test_widgets_follow_the_mode():
    normal = GatePlayground().figure.get_size_inches()
    with presentation_mode(1.6):
        playground = GatePlayground()
        big = playground.figure.get_size_inches()
        title_size = playground.drawing.ax.title.get_fontsize()
    assert big == pytest.approx(normal * math.sqrt(1.6))
    assert title_size == pytest.approx(1.6 * GatePlayground().drawing.ax.title.get_fontsize())


def test_bad_scale():
    with pytest.raises(ValueError, match="scale must be a number in \\(0, 10\\], got 0"):
        presentation_mode(0)
