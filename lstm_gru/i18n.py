"""The course's languages: every string the package shows a student goes through :func:`tr`.

English is the source. The Chinese edition (``make zh``) runs the same code with the language set
to ``zh``: by the environment variable ``LSTM_GRU_LANG=zh`` (what ``make zh`` and
``make lab-zh`` set), or by a file named ``lstm_gru-language`` holding ``zh`` in the folder the
kernel starts in (``make zh`` writes one beside the Chinese notebooks, so they speak Chinese
in any JupyterLab), or by :func:`set_language`. Translations live in gettext catalogues,
``lstm_gru/locale/<lang>/LC_MESSAGES/lstm_gru.po`` (msgid = the English text, msgstr = the
translation), read with ``polib``; ``python -m tools.i18n update`` refreshes them after an English
edit and a test fails on any missing or stale translation.

Figures need a font with the language's glyphs: :func:`figure_text` returns the translation only
when matplotlib has one (Noto Sans CJK, Source Han Sans, WenQuanYi, PingFang, Microsoft YaHei,
SimHei, or the fonts of the ``mplfonts`` package), and otherwise the English text, after one
warning.
"""

import functools
import os
import warnings
from pathlib import Path

LANGUAGES = ("en", "zh")
ENV_VAR = "LSTM_GRU_LANG"
MARKER_FILE = "lstm_gru-language"
LOCALE_DIR = Path(__file__).parent / "locale"
# Fonts with Simplified Chinese glyphs, by matplotlib family name, most likely first.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
    "Heiti SC",
)

_chosen: str | None = None


def _check(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


def language() -> str:
    """The current language: :func:`set_language`'s, else ``$LSTM_GRU_LANG``, else the marker
    file in the working folder, else ``"en"``."""
    if _chosen is not None:
        return _chosen
    if os.environ.get(ENV_VAR):
        return _check(os.environ[ENV_VAR].strip())
    marker = Path.cwd() / MARKER_FILE
    if marker.is_file():
        return _check(marker.read_text(encoding="utf-8").strip())
    return "en"


def set_language(code: str | None) -> None:
    """Use ``code`` ("en" or "zh") from now on; None goes back to the environment's choice."""
    global _chosen
    _chosen = None if code is None else _check(code)


@functools.cache
def catalogue(code: str) -> dict[str, str]:
    """msgid -> msgstr of the package's catalogue for ``code``; fuzzy and empty entries are left
    out, so their English shows rather than a stale translation."""
    if code == "en":
        return {}
    import polib

    path = LOCALE_DIR / code / "LC_MESSAGES" / "lstm_gru.po"
    return {
        entry.msgid: entry.msgstr
        for entry in polib.pofile(str(path))
        if entry.msgstr and not entry.fuzzy and not entry.obsolete
    }


def tr(text: str) -> str:
    """``text`` (English) in the current language; the English text when no translation exists.
    Placeholders such as ``{name}`` survive translation: call ``.format`` on the result."""
    return catalogue(language()).get(text, text)


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, registering the ``mplfonts``
    package's fonts first if it is installed; None when there is none."""
    from matplotlib import font_manager

    try:
        import mplfonts  # optional: bundles Noto Sans CJK SC

        for path in Path(mplfonts.__file__).parent.rglob("*.[ot]t[fc]"):
            font_manager.fontManager.addfont(str(path))
    except ImportError:
        pass
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


@functools.cache
def _warn_no_font() -> None:
    warnings.warn(
        "no font with Chinese glyphs found (install fonts-noto-cjk, or `pip install mplfonts`): "
        "figures keep their English labels",
        stacklevel=3,
    )


def figure_text(text: str) -> str:
    """:func:`tr` for text drawn by matplotlib: the translation only if a font can draw it (then
    that font is put first in ``font.sans-serif``), else the English text and one warning."""
    translated = tr(text)
    if translated == text or translated.isascii():
        return translated
    font = cjk_font()
    if font is None:
        _warn_no_font()
        return text
    import matplotlib

    families = matplotlib.rcParams["font.sans-serif"]
    if families[:1] != [font]:
        matplotlib.rcParams["font.sans-serif"] = [font, *families]
    return translated
