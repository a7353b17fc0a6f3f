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

# `import lstm_gru` must work on Python 3.9, so that chapter 00 can report the unsupported version.
from __future__ import annotations

import functools
import os
import re
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

FALLBACK_FONT = "DejaVu Sans"  # matplotlib's own font: the symbols a CJK font lacks

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
    if _chosen not in (None, "en"):
        translate_figures()


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
    Placeholders such as ``{name}`` survive translation: call ``.format`` on the result. Text
    made by :data:`later` is looked up by its template and then formatted."""
    template = getattr(text, "template", None)
    if template is not None:
        return catalogue(language()).get(template, template).format(**text.values)
    return catalogue(language()).get(text, text)


class _Later(str):
    """English text built with ``later.tr(template, **values)``: it is the formatted English
    string, and remembers the template so that :func:`tr` can translate it when shown."""

    def __new__(cls, template: str, values: dict):
        text = super().__new__(cls, template.format(**values))
        text.template, text.values = template, values
        return text


class _Marker:
    """``later.tr(text, **values)``: for text a module builds as it is imported (exercise
    hints, model answers, typical mistakes), which must still follow :func:`set_language`.
    It returns the English text (formatted with ``values``, if any) and marks the literal for
    the catalogue; the code that shows the text passes it to :func:`tr` then."""

    @staticmethod
    def tr(text: str, **values) -> str:
        return _Later(text, values) if values else text


later = _Marker()


# Parts of the file names of the CJK_FONTS, lowercased, to find them among the system's fonts.
CJK_FONT_FILES = ("cjk", "notosanssc", "sourcehansans", "wqy", "pingfang", "msyh", "simhei")


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, registering the ``mplfonts``
    package's fonts first if it is installed; None when there is none. A font installed after
    matplotlib cached its list of fonts (e.g. ``apt install fonts-noto-cjk`` after the first
    import of matplotlib) is missing from that list, so the system's font files are also
    searched by name."""
    from matplotlib import font_manager

    try:
        import mplfonts  # optional: bundles Noto Sans CJK SC

        for path in Path(mplfonts.__file__).parent.rglob("*.[ot]t[fc]"):
            font_manager.fontManager.addfont(str(path))
    except ImportError:
        pass

    def find() -> str | None:
        installed = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    if find() is None:
        known = {font.fname for font in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            name = Path(path).name.lower().replace("-", "").replace("_", "")
            if path not in known and any(part in name for part in CJK_FONT_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError):  # a font file FreeType cannot read
                    pass
    return find()


@functools.cache
def _warn_no_font() -> None:
    warnings.warn(
        "no font with Chinese glyphs found (install fonts-noto-cjk, or `pip install mplfonts`): "
        "figures keep their English labels",
        stacklevel=3,
    )


def _use_font(font: str) -> None:
    """``font`` first in ``font.sans-serif`` (plain text and mathtext then find its glyphs and
    its Latin letters), and matplotlib's DejaVu Sans added to ``font.family`` for the symbols a
    CJK font lacks (↵, ␣). Text keeps the families it was made with: see :func:`prepare_figure`."""
    import matplotlib

    families = matplotlib.rcParams["font.sans-serif"]
    if families[:1] != [font]:
        matplotlib.rcParams["font.sans-serif"] = [font, *families]
    if FALLBACK_FONT not in matplotlib.rcParams["font.family"]:
        matplotlib.rcParams["font.family"] = [*matplotlib.rcParams["font.family"], FALLBACK_FONT]


def prepare_figure() -> None:
    """Call before making a figure whose text goes through :func:`figure_text`: in a language
    other than English, with a font for it installed, every text of the figure (tick labels
    made before the first translated label too) can then draw both scripts. No-op otherwise."""
    if language() != "en":
        font = cjk_font()
        if font is not None:
            _use_font(font)


def _drawable(translated: str, english: str) -> str:
    """``translated`` if matplotlib can draw it (a font for it is then put first, see
    :func:`_use_font`), else ``english`` and one warning."""
    if translated == english or translated.isascii():
        return translated
    font = cjk_font()
    if font is None:
        _warn_no_font()
        return english
    _use_font(font)
    return translated


def figure_text(text: str) -> str:
    """:func:`tr` for text drawn by matplotlib: the translation only if a font can draw it, else
    the English text and one warning."""
    return _drawable(tr(text), text)


@functools.cache
def _templates(code: str) -> list[tuple[re.Pattern, str]]:
    """(pattern, translation) for each catalogue entry with ``{0}``, ``{1}``...: the text a
    chapter draws with an f-string, such as ``f"batch size {b}"``."""
    found = []
    for msgid, msgstr in catalogue(code).items():
        parts = re.split(r"\{(\d+)\}", msgid.replace("{{", "\0").replace("}}", "\1"))
        if len(parts) < 3 or len(set(parts[1::2])) != len(parts[1::2]):
            continue
        regex = "".join(
            f"(?P<v{part}>.+?)" if i % 2 else re.escape(part.replace("\0", "{").replace("\1", "}"))
            for i, part in enumerate(parts)
        )
        found.append((re.compile(regex + r"\Z", re.DOTALL), msgstr))
    return found


def drawn_text(text: str) -> str:
    """``text``, about to be drawn by matplotlib, in the current language: its translation, or a
    translated template filled with the values read from ``text`` (each translated too if the
    catalogue has it: "forget" in "forget gate"); else ``text``."""
    table = catalogue(language())
    if text in table:
        return table[text]
    for pattern, translation in _templates(language()):
        match = pattern.match(text)
        if match:
            values = (match.group(f"v{i}") for i in range(len(match.groups())))
            return translation.format(*(table.get(value, value) for value in values))
    return text


_translating = False


def translate_figures() -> None:
    """From now on, every text matplotlib draws (titles, axis labels, legends, also those the
    chapters' own code sets, in English) is drawn in the current language, when a font can draw
    it: the chapters' code cells stay the same in every language. Called on ``import lstm_gru``
    in a language other than English, and by :func:`set_language`."""
    global _translating
    if _translating:
        return
    from matplotlib.text import Text

    english_draw = Text.draw

    def draw(self, renderer, *args, **kwargs):
        text = self.get_text()
        if text and language() != "en":
            translated = _drawable(drawn_text(text), text)
            if translated != text:
                self.set_text(translated)
        return english_draw(self, renderer, *args, **kwargs)

    Text.draw = draw
    _translating = True
    prepare_figure()
