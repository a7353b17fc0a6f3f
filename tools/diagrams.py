"""Draw the course's diagrams (img/lstm.svg, img/gru.svg, img/encoder-decoder.svg) as plain SVG.

The SVG text is written by hand with the standard library, so a rerun gives the same bytes:
no timestamps, no random ids, no font-dependent glyph paths (matplotlib's SVG has all three).
Regenerate every file with ``python -m tools.diagrams`` or ``write_all()``.

Text labels use a tiny markup: ``h_{t−1}`` or ``x_t`` draws a subscript. Every label's box is
estimated from its characters, so ``Diagram.layout_problems()`` can report labels that overlap
each other, cross a drawn line or leave the canvas (the tests require none).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "DIAGRAMS",
    "Diagram",
    "draw_encoder_decoder",
    "draw_gru",
    "draw_lstm",
    "main",
    "write_all",
]

IMG_DIR = Path(__file__).resolve().parent.parent / "img"

# Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), and near-black ink for text and lines.
INK = "#1A1A1A"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
ORANGE = "#E69F00"
YELLOW = "#F0E442"
GREY = "#666666"

SANS = (
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', "
    "'Noto Sans', 'DejaVu Sans', Arial, sans-serif"
)
MATH = "'DejaVu Serif', 'Times New Roman', 'Noto Serif CJK SC', serif"
MONO = "'DejaVu Sans Mono', Consolas, Menlo, 'Noto Sans Mono CJK SC', monospace"
FONTS = {"sans": SANS, "math": MATH, "mono": MONO}

_SUBSCRIPT = re.compile(r"_\{([^}]*)\}|_([A-Za-z0-9])(?![A-Za-z0-9_])")
_SUB_SCALE = 0.7  # subscript size relative to the label


def _tint(color: str, amount: float) -> str:
    """Mix ``color`` ('#RRGGBB') with white: amount 1 keeps the colour, 0 gives white."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - amount * (255 - c)) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


OP_FILL = _tint(YELLOW, 0.35)  # elementwise operations (×, +, 1−, tanh)


def _num(value: float) -> str:
    """Format a coordinate with at most one decimal and no trailing zeros ('12', '12.5')."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _split_subscripts(text: str) -> list[tuple[str, bool]]:
    """Split label markup into (run, is_subscript) pieces: 'h_{t−1}' -> [('h', F), ('t−1', T)]."""
    pieces, pos = [], 0
    for match in _SUBSCRIPT.finditer(text):
        if match.start() > pos:
            pieces.append((text[pos : match.start()], False))
        pieces.append((match.group(1) if match.group(1) is not None else match.group(2), True))
        pos = match.end()
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


def _char_em(char: str, font: str) -> float:
    """Generous estimate of one character's advance width in em (fonts differ by machine)."""
    code = ord(char)
    if 0x0300 <= code <= 0x036F:  # combining marks (the tilde of c̃) take no width
        return 0.0
    if code >= 0x2E80:  # CJK ideographs and full-width punctuation
        return 1.0
    if font == "mono":
        return 0.62
    if char == " ":
        return 0.32
    if char in "il.,:;'|!()[]":
        return 0.35
    if char.isupper() or char in "mw⊙×−—–~":
        return 0.78
    return 0.6


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle (x0, y0) to (x1, y1) in canvas units."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        """True when the two rectangles share an interior point."""
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def hits_segment(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """True when segment a-b passes through this rectangle (Liang–Barsky clipping)."""
        (xa, ya), (xb, yb) = a, b
        dx, dy = xb - xa, yb - ya
        lo, hi = 0.0, 1.0
        for p, q in (
            (-dx, xa - self.x0),
            (dx, self.x1 - xa),
            (-dy, ya - self.y0),
            (dy, self.y1 - ya),
        ):
            if p == 0:
                if q <= 0:
                    return False
                continue
            t = q / p
            if p < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
            if lo >= hi:
                return False
        return True


@dataclass
class Diagram:
    """An SVG canvas that records its elements in drawing order; ``to_svg()`` writes the text."""

    width: int
    height: int
    title: str
    description: str
    elements: list[str] = field(default_factory=list)
    labels: list[tuple[str, Box]] = field(default_factory=list)
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=list)

    # -- shapes ---------------------------------------------------------------------------------
    def rect(self, x, y, w, h, *, stroke=INK, fill="none", width=3, radius=10, dash=None) -> None:
        """A rounded rectangle with top-left corner (x, y)."""
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.elements.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
            f'rx="{_num(radius)}" fill="{fill}" stroke="{stroke}" stroke-width="{_num(width)}"'
            f"{extra}/>"
        )

    def circle(self, cx, cy, r, *, stroke=INK, fill="none", width=3) -> None:
        """A circle centred at (cx, cy)."""
        self.elements.append(
            f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{_num(width)}"/>'
        )

    def ellipse(self, cx, cy, rx, ry, *, stroke=INK, fill="none", width=3) -> None:
        """An ellipse centred at (cx, cy)."""
        self.elements.append(
            f'<ellipse cx="{_num(cx)}" cy="{_num(cy)}" rx="{_num(rx)}" ry="{_num(ry)}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{_num(width)}"/>'
        )

    def dot(self, x, y, *, color=INK, r=6) -> None:
        """A junction dot: the value is copied to both branches."""
        self.circle(x, y, r, stroke="none", fill=color, width=0)

    def line(
        self,
        points: Sequence[tuple[float, float]],
        *,
        color=INK,
        width=3,
        arrow=True,
        dash=None,
        gaps: Sequence[int] = (),
        halo=False,
    ) -> None:
        """A polyline through ``points``, with an arrowhead at the last point when ``arrow``.

        ``gaps``: indices i of segments (points[i] -> points[i+1]) drawn with a gap in the middle,
        so the line visibly passes *under* a crossing line. ``halo`` draws a white band under the
        line so that lines it crosses look interrupted (it passes *over* them).
        """
        points = [tuple(map(float, p)) for p in points]
        head = 3 * width + 9 if arrow else 0.0
        (xa, ya), (xb, yb) = points[-2], points[-1]
        seg_len = ((xb - xa) ** 2 + (yb - ya) ** 2) ** 0.5
        ux, uy = (xb - xa) / seg_len, (yb - ya) / seg_len
        drawn = points[:-1] + [(xb - ux * head * 0.8, yb - uy * head * 0.8)]
        parts, gap = [f"M{_num(drawn[0][0])},{_num(drawn[0][1])}"], 14.0
        for i in range(1, len(drawn)):
            (x0, y0), (x1, y1) = drawn[i - 1], drawn[i]
            if i - 1 in gaps:
                mx, my = (x0 + x1) / 2, (y0 + y1) / 2
                length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
                gx, gy = (x1 - x0) / length * gap, (y1 - y0) / length * gap
                parts.append(f"L{_num(mx - gx)},{_num(my - gy)}")
                parts.append(f"M{_num(mx + gx)},{_num(my + gy)}")
            parts.append(f"L{_num(x1)},{_num(y1)}")
        path = "".join(parts)
        if halo:
            self.elements.append(
                f'<path d="{path}" fill="none" stroke="#FFFFFF" stroke-width="{_num(width + 10)}"/>'
            )
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.elements.append(
            f'<path d="{path}" fill="none" stroke="{color}" stroke-width="{_num(width)}"'
            f' stroke-linejoin="round"{extra}/>'
        )
        if arrow:
            px, py = -uy, ux
            base_x, base_y = xb - ux * head, yb - uy * head
            half = head * 0.5
            tri = [(xb, yb), (base_x + px * half, base_y + py * half)]
            tri.append((base_x - px * half, base_y - py * half))
            pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in tri)
            self.elements.append(f'<polygon points="{pts}" fill="{color}"/>')
        self.segments.extend(zip(points[:-1], points[1:], strict=True))

    # -- text -----------------------------------------------------------------------------------
    def text(
        self,
        x,
        y,
        content: str,
        *,
        size=22,
        anchor="middle",
        weight="normal",
        color=INK,
        font="sans",
    ) -> None:
        """A one-line label whose baseline starts (or is centred, or ends) at (x, y).

        ``content`` may use ``_{...}``, or ``_x`` for one character at the end of a word, for
        subscripts (not in ``mono``, whose underscores are code). ``font``: sans, math or mono.
        """
        pieces = [(content, False)] if font == "mono" else _split_subscripts(content)
        em = sum(
            _char_em(c, font) * (_SUB_SCALE if sub else 1.0) for run, sub in pieces for c in run
        )
        w = em * size
        x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        has_sub = any(sub for _, sub in pieces)
        self.labels.append(
            (content, Box(x0, y - 0.8 * size, x0 + w, y + (0.42 if has_sub else 0.22) * size))
        )
        shift = round(0.3 * size, 1)
        spans, lowered = [], False
        for run, sub in pieces:
            attrs = ""
            if sub and not lowered:
                attrs = f' dy="{_num(shift)}" font-size="{_num(size * _SUB_SCALE)}"'
            elif sub:
                attrs = f' font-size="{_num(size * _SUB_SCALE)}"'
            elif lowered:
                attrs = f' dy="{_num(-shift)}"'
            lowered = sub
            spans.append(f"<tspan{attrs}>{escape(run)}</tspan>" if attrs else escape(run))
        style = ' font-style="italic"' if font == "math" else ""
        weight_attr = f' font-weight="{weight}"' if weight != "normal" else ""
        family = f' font-family="{FONTS[font]}"' if font != "sans" else ""  # sans: the root's
        self.elements.append(
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}" '
            f'fill="{color}"{family}{style}{weight_attr}>{"".join(spans)}</text>'
        )

    # -- composite shapes -------------------------------------------------------------------------
    def node(self, cx, cy, symbol: str, *, rx=24, size=30) -> None:
        """An elementwise operation (×, +, 1−, tanh) at (cx, cy): a circle, wider when rx > 24."""
        self.ellipse(cx, cy, rx, 24, fill=OP_FILL)
        # The symbol sits inside the circle, so it is not a label for the layout check.
        self.elements.append(
            f'<text x="{_num(cx)}" y="{_num(cy + 0.35 * size)}" font-size="{_num(size)}" '
            f'text-anchor="middle" fill="{INK}" font-weight="bold">'
            f"{escape(symbol)}</text>"
        )

    def layer(self, cx, top, activation: str, english: str, chinese: str, color: str) -> None:
        """A gate/layer box (170 x 110) centred on ``cx``: activation, English and Chinese names."""
        self.rect(cx - 85, top, 170, 110, stroke=color, fill=_tint(color, 0.16), width=3.5)
        self.text(cx, top + 34, activation, size=26, weight="bold", color=color)
        self.text(cx, top + 66, english, size=20)
        self.text(cx, top + 96, chinese, size=21)

    # -- output ---------------------------------------------------------------------------------
    def layout_problems(self) -> list[str]:
        """Labels that overlap another label, are crossed by a drawn line, or leave the canvas."""
        problems = []
        canvas = Box(0, 0, self.width, self.height)
        for i, (name, box) in enumerate(self.labels):
            if not (
                canvas.x0 <= box.x0
                and box.x1 <= canvas.x1
                and canvas.y0 <= box.y0 <= box.y1 <= canvas.y1
            ):
                problems.append(f"label {name!r} leaves the {self.width}x{self.height} canvas")
            for other, other_box in self.labels[i + 1 :]:
                if box.overlaps(other_box):
                    problems.append(f"labels {name!r} and {other!r} overlap")
            for a, b in self.segments:
                if box.hits_segment(a, b):
                    problems.append(f"label {name!r} is crossed by the line {a} -> {b}")
        return problems

    def to_svg(self) -> str:
        """The SVG document as text (UTF-8 safe, one element per line, trailing newline)."""
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" font-family="{SANS}" role="img">'
        )
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<!-- Generated by `python -m tools.diagrams`; edit tools/diagrams.py, not this file. -->",
            head,
            f"<title>{escape(self.title)}</title>",
            f"<desc>{escape(self.description)}</desc>",
            f'<rect width="{self.width}" height="{self.height}" fill="#FFFFFF"/>',
            *self.elements,
            "</svg>",
        ]
        return "\n".join(lines) + "\n"


_LEGEND_WORDS = {
    "sigma": "σ gate, in (0, 1)",
    "tanh": "tanh layer, in (−1, 1)",
    "op": "elementwise op",
    "copy": "copy",
}


def _legend(d: Diagram, cx: float, y: float) -> None:
    """A legend row centred on ``cx`` (``y`` is its vertical centre): gate, layer, op, copy."""
    widths = [56 + sum(_char_em(c, "sans") for c in words) * 19 for words in _LEGEND_WORDS.values()]
    x = cx - (sum(widths) + 36 * (len(widths) - 1)) / 2
    for (kind, words), width in zip(_LEGEND_WORDS.items(), widths, strict=True):
        if kind in ("sigma", "tanh"):
            color = BLUE if kind == "sigma" else GREEN
            d.rect(x, y - 16, 44, 32, stroke=color, fill=_tint(color, 0.16), width=3, radius=6)
        elif kind == "op":
            d.circle(x + 22, y, 16, fill=OP_FILL)
        else:
            d.dot(x + 22, y)
        d.text(x + 56, y + 7, words, size=19, anchor="start")
        x += width + 36


def draw_lstm() -> Diagram:
    """The LSTM cell, d2l style: gates below, the cell-state 'memory highway' along the top."""
    d = Diagram(
        1280,
        900,
        "LSTM cell (长短期记忆网络)",
        "An LSTM cell. Inputs x_t, h_{t-1}, c_{t-1}; forget gate f, input gate i and output gate o "
        "(sigmoid), candidate c~ (tanh). c_t = f*c_{t-1} + i*c~ runs along the top; "
        "h_t = o*tanh(c_t).",
    )
    d.text(640, 48, "LSTM cell · 长短期记忆网络", size=32, weight="bold")
    d.rect(110, 130, 1030, 570, stroke=GREY, fill="#F7F7F7", width=2, radius=24)

    top, hy, bus = 410, 200, 610  # gate boxes' top edge, highway y, input bus y
    fx, ix, cx, ox = 300, 500, 710, 905  # gate centres
    mul_f, plus = (fx, hy), (605, hy)
    mul_i = (605, 320)
    tanh_c, mul_o = (1060, 320), (1060, top + 55)

    # The memory highway: c_{t-1} -> × f -> + i*c~ -> c_t.
    d.line([(30, hy), (mul_f[0] - 24, hy)], color=VERMILLION, width=9, arrow=False)
    d.line([(mul_f[0] + 24, hy), (plus[0] - 24, hy)], color=VERMILLION, width=9, arrow=False)
    d.line([(plus[0] + 24, hy), (1250, hy)], color=VERMILLION, width=9)
    d.text(30, hy - 18, "c_{t−1}", size=28, anchor="start", font="math")
    d.text(1250, hy - 18, "c_t", size=28, anchor="end", font="math")
    d.text(830, hy - 46, "memory highway: cell state", size=22, weight="bold", color=VERMILLION)
    d.text(830, hy - 18, "记忆元 / 细胞状态", size=22, weight="bold", color=VERMILLION)
    d.text(1250, hy + 36, "to the next step", size=18, anchor="end", color=GREY)

    # Inputs: h_{t-1} from the left and x_t from below join into one bus feeding every gate.
    d.line([(30, bus), (ox, bus)], arrow=False)
    d.text(30, bus - 16, "h_{t−1}", size=28, anchor="start", font="math")
    d.line([(200, 780), (200, bus)], arrow=False)
    d.dot(200, bus)
    d.text(200, 818, "x_t", size=28, font="math")
    d.text(200, 850, "input 输入", size=20)
    for gx in (fx, ix, cx):
        d.dot(gx, bus)
    for gx in (fx, ix, cx, ox):
        d.line([(gx, bus), (gx, top + 110)])

    d.layer(fx, top, "σ", "forget gate f", "遗忘门", BLUE)
    d.layer(ix, top, "σ", "input gate i", "输入门", BLUE)
    d.layer(cx, top, "tanh", "candidate c̃", "候选记忆元", GREEN)
    d.layer(ox, top, "σ", "output gate o", "输出门", BLUE)

    # f scales the old memory; i * c~ is what gets written.
    d.line([(fx, top), (fx, hy + 24)])
    d.node(*mul_f, "×")
    d.line([(ix, top), (ix, mul_i[1]), (mul_i[0] - 24, mul_i[1])])
    d.line([(cx, top), (cx, mul_i[1]), (mul_i[0] + 24, mul_i[1])])
    d.node(*mul_i, "×")
    d.line([(mul_i[0], mul_i[1] - 24), (plus[0], hy + 24)])
    d.node(*plus, "+")

    # h_t = o * tanh(c_t).
    d.dot(tanh_c[0], hy, color=VERMILLION, r=8)
    d.line([(tanh_c[0], hy), (tanh_c[0], tanh_c[1] - 24)])
    d.node(*tanh_c, "tanh", rx=44, size=22)
    d.line([(tanh_c[0], tanh_c[1] + 24), (mul_o[0], mul_o[1] - 24)])
    d.line([(ox + 85, mul_o[1]), (mul_o[0] - 24, mul_o[1])])
    d.node(*mul_o, "×")
    d.line([(mul_o[0] + 24, mul_o[1]), (1250, mul_o[1])])
    d.text(1250, mul_o[1] - 18, "h_t", size=28, anchor="end", font="math")
    d.text(1250, mul_o[1] + 34, "隐状态", size=21, anchor="end")
    d.text(1250, mul_o[1] + 60, "hidden state", size=19, anchor="end")

    d.text(fx + 14, 330, "f_t", size=24, anchor="start", font="math")
    d.text(ix + 14, 380, "i_t", size=24, anchor="start", font="math")
    d.text(cx + 14, 380, "c̃_t", size=24, anchor="start", font="math")
    d.text(1013, mul_o[1] - 14, "o_t", size=24, font="math")

    d.text(470, 742, "c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t", size=25, font="math")
    d.text(900, 742, "h_t = o_t ⊙ tanh(c_t)", size=25, font="math")
    _legend(d, 740, 800)
    d.text(
        740,
        852,
        "Only h_t goes on to the output layer; c_t stays inside the LSTM.",
        size=19,
        color=GREY,
    )
    return d


def draw_gru() -> Diagram:
    """The GRU cell in the Cho et al. / d2l form (reset applied to h_{t-1} before the matmul)."""
    d = Diagram(
        1280,
        960,
        "GRU cell (门控循环单元)",
        "A GRU cell in the Cho et al. (2014) / d2l form: reset gate r and update gate z (sigmoid), "
        "candidate hidden state h~ = tanh(W_xh x_t + W_hh (r*h_{t-1}) + b_h); "
        "h_t = z*h_{t-1} + (1-z)*h~.",
    )
    d.text(640, 48, "GRU cell · 门控循环单元", size=32, weight="bold")
    d.rect(100, 130, 1050, 600, stroke=GREY, fill="#F7F7F7", width=2, radius=24)

    top, hy, bus, xbus = 420, 200, 610, 680  # boxes' top, hidden path y, gate bus y, x_t bus y
    rx, zx, cx = 330, 620, 940  # reset, update, candidate centres
    split = 160  # where h_{t-1} turns down to the gates
    mul_r = (rx, 330)
    mul_z, plus = (zx, hy), (cx + 40, hy)
    one_minus, mul_c = (800, 290), (cx + 40, 290)

    # The hidden-state path along the top: h_{t-1} -> × z -> + (1-z)*h~ -> h_t.
    d.line([(30, hy), (mul_z[0] - 24, hy)], arrow=False)
    d.line([(mul_z[0] + 24, hy), (plus[0] - 24, hy)], arrow=False)
    d.line([(plus[0] + 24, hy), (1250, hy)])
    d.node(*mul_z, "×")
    d.node(*plus, "+")
    d.text(30, hy - 18, "h_{t−1}", size=28, anchor="start", font="math")
    d.text(1250, hy - 18, "h_t", size=28, anchor="end", font="math")
    d.text(1250, hy + 36, "隐状态", size=21, anchor="end")
    d.text(1250, hy + 62, "hidden state", size=19, anchor="end")

    # h_{t-1} down to the gates' input bus, with a branch to the reset multiplication.
    d.dot(split, hy)
    d.line([(split, hy), (split, bus)], arrow=False)
    d.dot(split, mul_r[1])
    d.line([(split, mul_r[1]), (mul_r[0] - 24, mul_r[1])])
    d.line([(split, bus), (zx, bus)], arrow=False)
    d.line([(240, 810), (240, bus + 6)], arrow=False)
    d.dot(240, bus)
    d.dot(240, xbus)
    d.text(240, 846, "x_t", size=28, font="math")
    d.text(240, 878, "input 输入", size=20)
    d.dot(rx, bus)
    for gx in (rx, zx):
        d.line([(gx, bus), (gx, top + 110)])
    d.line([(240, xbus), (cx, xbus), (cx, top + 110)])

    d.layer(rx, top, "σ", "reset gate r", "重置门", BLUE)
    d.layer(zx, top, "σ", "update gate z", "更新门", BLUE)
    d.layer(cx, top, "tanh", "candidate h̃", "候选隐状态", GREEN)

    # r ⊙ h_{t-1} -> candidate; it passes under the update gate's line.
    d.line([(rx, top), (mul_r[0], mul_r[1] + 24)])
    d.node(*mul_r, "×")
    d.line(
        [(mul_r[0] + 24, mul_r[1]), (cx - 40, mul_r[1]), (cx - 40, top)],
        gaps=(0,),
    )
    # z keeps the old state; 1 − z lets the candidate in.
    d.line([(zx, top), (zx, hy + 24)])
    d.dot(zx, one_minus[1])
    d.line([(zx, one_minus[1]), (one_minus[0] - 24, one_minus[1])])
    d.node(*one_minus, "1−", size=24)
    d.line([(one_minus[0] + 24, one_minus[1]), (mul_c[0] - 24, mul_c[1])])
    d.line([(cx + 40, top), (mul_c[0], mul_c[1] + 24)])
    d.node(*mul_c, "×")
    d.line([(mul_c[0], mul_c[1] - 24), (plus[0], hy + 24)])
    d.text(zx + 16, 370, "z", size=24, anchor="start", font="math")
    d.text(705, one_minus[1] - 16, "1 − z", size=22, font="math")
    d.text(rx + 16, 392, "r", size=24, anchor="start", font="math")
    d.text(480, mul_r[1] - 14, "r ⊙ h_{t−1}", size=22, font="math")
    d.text(cx + 52, 370, "h̃_t", size=24, anchor="start", font="math")

    d.text(640, 770, "h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t", size=24, font="math")
    _legend(d, 740, 820)
    d.text(
        760,
        876,
        "Drawn: Cho et al. (2014) / d2l form, h̃_t = tanh(W_{xh} x_t + W_{hh} (r_t ⊙ h_{t−1}) + b_h).",
        size=18,
        color=GREY,
    )
    d.text(
        760,
        904,
        "PyTorch nn.GRU (cuDNN) is reset-after: r_t ⊙ (W_{hn} h_{t−1} + b_{hn}), after the matmul.",
        size=18,
        color=GREY,
    )
    d.text(
        760,
        932,
        "GRUScratch(reset_after=False) draws this form; reset_after=True matches nn.GRU.",
        size=18,
        color=GREY,
    )
    return d


def draw_encoder_decoder() -> Diagram:
    """Encoder -> fixed-shape state -> decoder, on the grapheme-to-phoneme task of chapter 07."""
    d = Diagram(
        1600,
        820,
        "Encoder–decoder architecture (编码器-解码器架构)",
        "The encoder reads the variable-length spelling h e l l o and returns enc_outputs; "
        "Decoder.init_state turns them into a fixed-shape state; the decoder emits the "
        "pronunciation HH AH0 L OW1 <eos> one token at a time, starting from <bos> and feeding "
        "each output back in as the next input.",
    )
    d.text(800, 50, "Encoder–decoder architecture · 编码器-解码器架构", size=32, weight="bold")
    d.text(
        800,
        92,
        "grapheme-to-phoneme (chapter 07): spelling in, pronunciation out",
        size=21,
        color=GREY,
    )
    cell_top, cell_h, in_y, out_y = 280, 80, 470, 160  # cell row; token boxes' top edges

    # Encoder: one recurrent step per input grapheme.
    d.rect(40, 240, 520, 160, stroke=BLUE, fill=_tint(BLUE, 0.08), width=2, radius=18, dash="8 6")
    enc_x = [110, 210, 310, 410, 510]
    for k, (x, token) in enumerate(zip(enc_x, "hello", strict=True)):
        d.rect(x - 35, cell_top, 70, cell_h, stroke=BLUE, fill=_tint(BLUE, 0.2), width=3)
        d.rect(x - 30, in_y, 60, 44, stroke=INK, fill="#FFFFFF", width=2, radius=8)
        d.text(x, in_y + 31, token, size=24, font="mono")
        d.line([(x, in_y), (x, cell_top + cell_h)])
        if k:
            d.line([(x - 65, cell_top + 40), (x - 35, cell_top + 40)])
    d.text(300, 566, "Encoder · 编码器", size=26, weight="bold", color=BLUE)
    d.text(300, 600, "variable-length input", size=20)
    d.text(300, 628, "长度可变序列", size=20)
    d.text(300, 672, "Encoder.forward(X)", size=21, font="mono", color=BLUE)

    # The fixed-shape state between them.
    sx, sy = 720, cell_top + 40
    for k in range(4):
        d.rect(
            sx - 18,
            sy - 72 + 36 * k,
            36,
            36,
            stroke=GREEN,
            fill=_tint(GREEN, 0.3),
            width=3,
            radius=3,
        )
    d.line([(545, sy), (sx - 22, sy)])
    d.text(630, sy - 12, "enc_outputs", size=17, font="mono")
    d.text(sx, 168, "fixed-shape state", size=21, weight="bold", color=GREEN)
    d.text(sx, 198, "固定形状的编码状态", size=21, weight="bold", color=GREEN)
    d.text(sx, 566, "state", size=24, weight="bold", color=GREEN)
    d.text(sx, 672, "Decoder.init_state(enc_outputs)", size=21, font="mono", color=GREEN)
    d.text(sx, 600, "same shape for any", size=20)
    d.text(sx, 628, "input length", size=20)

    # Decoder: one step per output phoneme, each output fed back as the next input.
    d.rect(
        860,
        240,
        700,
        160,
        stroke=VERMILLION,
        fill=_tint(VERMILLION, 0.08),
        width=2,
        radius=18,
        dash="8 6",
    )
    dec_x = [940, 1070, 1200, 1330, 1460]
    d.line([(sx + 22, sy), (dec_x[0] - 45, sy)])
    inputs = ["<bos>", "HH", "AH0", "L", "OW1"]
    outputs = ["HH", "AH0", "L", "OW1", "<eos>"]
    for k, x in enumerate(dec_x):
        d.rect(
            x - 45, cell_top, 90, cell_h, stroke=VERMILLION, fill=_tint(VERMILLION, 0.2), width=3
        )
        d.rect(x - 42, in_y, 84, 44, stroke=INK, fill="#FFFFFF", width=2, radius=8)
        d.text(x, in_y + 30, inputs[k], size=21, font="mono")
        d.line([(x, in_y), (x, cell_top + cell_h)])
        d.rect(x - 42, out_y, 84, 44, stroke=INK, fill="#FFFFFF", width=2, radius=8)
        d.text(x, out_y + 30, outputs[k], size=21, font="mono")
        d.line([(x, cell_top), (x, out_y + 44)])
        if k:
            d.line([(x - 85, cell_top + 40), (x - 45, cell_top + 40)])
        if k < len(dec_x) - 1:
            d.line(
                [(x + 30, out_y + 44), (x + 100, in_y)],
                color=ORANGE,
                width=3,
                dash="9 6",
                halo=True,
            )
    d.text(1210, 566, "Decoder · 解码器", size=26, weight="bold", color=VERMILLION)
    d.text(1210, 600, "variable-length output, one token per step", size=20)
    d.text(1210, 628, "长度可变序列，逐个词元生成", size=20)
    d.text(1210, 672, "Decoder.forward(X, state)", size=21, font="mono", color=VERMILLION)

    d.line([(470, 752), (540, 752)], color=ORANGE, width=3, dash="9 6", arrow=True)
    d.text(
        556,
        759,
        "prediction: each output is fed back as the next input (training: teacher forcing)",
        size=19,
        anchor="start",
    )
    d.text(
        800,
        798,
        "生成时，上一步的输出作为下一步的输入；遇到 <eos> 停止",
        size=19,
        color=GREY,
    )
    return d


DIAGRAMS: dict[str, Callable[[], Diagram]] = {
    "lstm.svg": draw_lstm,
    "gru.svg": draw_gru,
    "encoder-decoder.svg": draw_encoder_decoder,
}


def write_all(img_dir: str | Path = IMG_DIR) -> list[Path]:
    """Write every diagram in ``DIAGRAMS`` into ``img_dir`` (created if needed); return the paths.

    The bytes depend only on this module, so a rerun leaves the committed files unchanged.
    """
    img_dir = Path(img_dir)
    img_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in DIAGRAMS.items():
        path = img_dir / name
        path.write_bytes(draw().to_svg().encode("utf-8"))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m tools.diagrams [--img-dir DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--img-dir", type=Path, default=IMG_DIR, help="output folder (default: img/)"
    )
    args = parser.parse_args(argv)
    for path in write_all(args.img_dir):
        print(path)


if __name__ == "__main__":
    main()
