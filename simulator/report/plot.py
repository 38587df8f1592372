"""A small SVG drawing surface for the report's charts.

Plain SVG written by hand: text stays text (the reader's browser shapes Hangul and Persian, and a
screen reader reads it), a picture is the same bytes whenever its coordinates are, and nothing
is imported that the charts do not use. Lengths are CSS pixels; a chart is 680 pixels wide and
scales with the page.

Text is measured to lay a chart out (margins, wrapping, legends): with the advance widths of
DejaVu Sans, the first font the report asks for, for Latin letters, and with typical widths for
the rest. A browser that draws another font draws text a little wider or narrower; the layout
leaves room for that.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 680.0
FONT_FAMILY = (
    "'DejaVu Sans', Verdana, 'Noto Sans', 'Malgun Gothic', 'Apple SD Gothic Neo', "
    "'Noto Sans CJK KR', NanumGothic, Vazirmatn, Tahoma, 'Noto Sans Arabic', sans-serif"
)
FONT_SIZE = 12.0
INK = "#1a1a1a"

# Advance widths of DejaVu Sans 2.35 (the font most Linux systems ship), U+0020 to
# U+007E, in 2048ths of an em, read from the font's hmtx table.
_ASCII = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253,
    1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
)  # fmt: skip
# The same font's typographic marks that labels use.
_MARKS = {
    "“": 1061, "”": 1061, "‘": 651, "’": 651, "–": 1024, "—": 2048, "…": 2048, "−": 1716,
    "←": 1716, "→": 1716, "×": 1716, "·": 651, "٪": 1946, "٫": 651,
}  # fmt: skip


def _em(ch: str) -> float:
    """The width of one character in ems."""
    code = ord(ch)
    if 0x20 <= code <= 0x7E:
        return _ASCII[code - 0x20] / 2048
    mark = _MARKS.get(ch)
    if mark is not None:
        return mark / 2048
    if unicodedata.combining(ch) or code in (0x200C, 0x200D, 0x200E, 0x200F):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 0.95  # Hangul and Chinese characters: nearly square
    if 0x0600 <= code <= 0x06FF or 0xFB50 <= code <= 0xFEFF:
        return 0.5  # Persian letters, joined: about half an em on average
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch and 0x20 <= ord(base) <= 0x7E:
        return _ASCII[ord(base) - 0x20] / 2048  # an accented Latin letter: its base letter's
    return 0.62


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The width of one line of text at a font size, in pixels."""
    return size * sum(_em(ch) for ch in text)


def _pieces(text: str) -> list[tuple[str, bool]]:
    """A label's breakable pieces, each with whether a space comes before it: its words, and
    within a dotted key (population.roles.source) the parts after each dot."""
    pieces = []
    for word in text.split():
        # Break after a dot that a letter follows (population.roles), never inside a number (2.5).
        parts = re.findall(r".*?\.+(?=[^\W\d])|.+", word)
        pieces += [(part, i == 0) for i, part in enumerate(parts)]
    return pieces


def _broken(word: str, width: float, size: float) -> list[str]:
    """A word wider than a line, cut into parts that fit (at least a letter each)."""
    parts, part = [], ""
    for ch in word:
        if part and text_width(part + ch, size) > width:
            parts.append(part)
            part = ch
        else:
            part += ch
    return [*parts, part]


def wrap(text: str, width: float, size: float = FONT_SIZE) -> list[str]:
    """Lines of text no wider than `width` pixels: broken between words, after the dots of a
    dotted key, and inside a word only when the word alone is wider than a line."""
    lines: list[str] = []
    line = ""
    for piece, spaced in _pieces(text):
        candidate = f"{line} {piece}" if line and spaced else line + piece
        if text_width(candidate, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        *whole, line = _broken(piece, width, size)
        lines += whole
    return [*lines, line] if line else lines or [text]


def _right_to_left(text: str) -> bool:
    """Whether a label's first strong letter is written right to left (Persian, Arabic, Hebrew)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def num(value: float) -> str:
    """A coordinate as short, exact-enough text: two decimals at most, no "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# Line styles by name, as the charts use them: solid, dashed, dotted, dash-dot.
DASHES = {"-": None, "--": "5.5,3", ":": "1.5,2.5", "-.": "6,2.5,1.5,2.5"}
# Hatch patterns drawn over a fill: (tile size, SVG drawing of one tile, with {c} its colour).
_HATCHES = {
    "//": (8, '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{c}" stroke-width="1"/>'),
    "\\\\": (8, '<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="{c}" stroke-width="1"/>'),
    "////": (5, '<path d="M-1,1 l2,-2 M0,5 l5,-5 M4,6 l2,-2" stroke="{c}" stroke-width="0.9"/>'),
    "xx": (
        8,
        '<path d="M0,0 l8,8 M0,8 l8,-8 M-2,2 l4,-4 M6,10 l4,-4 M-2,6 l4,4 M6,-2 l4,4" '
        'stroke="{c}" stroke-width="0.8"/>',
    ),
    "..": (6, '<circle cx="3" cy="3" r="0.9" fill="{c}"/>'),
    "oo": (9, '<circle cx="4.5" cy="4.5" r="2.4" fill="none" stroke="{c}" stroke-width="0.8"/>'),
    "--": (6, '<path d="M0,3 h6" stroke="{c}" stroke-width="1"/>'),
    "++": (8, '<path d="M0,4 h8 M4,0 v8" stroke="{c}" stroke-width="0.8"/>'),
}
HATCHES = tuple(_HATCHES)


class Canvas:
    """An SVG picture built element by element, in the order drawn (later on top)."""

    def __init__(self, width: float, height: float):
        self.width = width
        self.height = height
        self._parts: list[str] = []
        self._defs: list[str] = []
        self._hatches: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ shapes
    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        colour: str = INK,
        width: float = 1.0,
        dash: str = "-",
        round_caps: bool = False,
    ) -> None:
        self.polyline([(x1, y1), (x2, y2)], colour, width, dash, round_caps=round_caps)

    def polyline(
        self,
        points: Sequence[tuple[float, float]],
        colour: str = INK,
        width: float = 1.0,
        dash: str = "-",
        round_caps: bool = False,
    ) -> None:
        points = _finite_points(points)
        if len(points) < 2:
            return
        attrs = f'fill="none"{_stroke(colour, width, dash)}'
        if round_caps and not DASHES[dash]:  # round caps would lengthen every dash
            attrs += ' stroke-linecap="round"'
        self._parts.append(f'<polyline points="{_points(points)}" {attrs}/>')

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        fill: str,
        edge: str | None = None,
        width: float = 0.6,
        dash: str = "-",
        opacity: float | None = None,
        hatch: str = "",
    ) -> None:
        points = _finite_points(points)
        if len(points) < 3:
            return
        shape = f'<polygon points="{_points(points)}"'
        self._shape(shape, fill, edge, width, dash, opacity, hatch)

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str,
        edge: str | None = None,
        width: float = 0.6,
        hatch: str = "",
        opacity: float | None = None,
        hatch_colour: str | None = None,
    ) -> None:
        if not _finite(x, y, w, h):
            return
        if w < 0:
            x, w = x + w, -w
        shape = f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"'
        self._shape(shape, fill, edge, width, "-", opacity, hatch, hatch_colour)

    def _shape(
        self,
        shape: str,
        fill: str,
        edge: str | None,
        width: float,
        dash: str,
        opacity: float | None,
        hatch: str,
        hatch_colour: str | None = None,
    ) -> None:
        """A filled shape, its hatching drawn over the fill, and its outline over both."""
        fill_attrs = f' fill="{fill}"'
        if opacity is not None:
            fill_attrs += f' fill-opacity="{num(opacity)}"'
        stroke = _stroke(edge, width, dash) if edge else ""
        if not hatch:
            self._parts.append(f"{shape}{fill_attrs}{stroke}/>")
            return
        if fill != "none":
            self._parts.append(f"{shape}{fill_attrs}/>")
        ink = hatch_colour or ("#ffffff" if dark(fill) else INK)
        self._parts.append(f'{shape} fill="url(#{self._hatch(hatch, ink)})"/>')
        if edge:
            self._parts.append(f'{shape} fill="none"{stroke}/>')

    def _hatch(self, hatch: str, colour: str) -> str:
        """The id of the pattern that draws a hatch in a colour (defined once per picture)."""
        key = (hatch, colour)
        name = self._hatches.get(key)
        if name is None:
            name = self._hatches[key] = f"hatch{len(self._hatches)}"
            size, tile = _HATCHES[hatch]
            self._defs.append(
                f'<pattern id="{name}" patternUnits="userSpaceOnUse" width="{size}" '
                f'height="{size}">{tile.format(c=colour)}</pattern>'
            )
        return name

    def marker(
        self,
        x: float,
        y: float,
        shape: str,
        size: float,
        fill: str,
        edge: str = INK,
        width: float = 1.0,
        hatch: str = "",
    ) -> None:
        """A point's marker, `size` pixels across: o circle, s square, ^ v < > triangles,
        D diamond, x cross, * star."""
        if not _finite(x, y):
            return
        r = size / 2
        if shape == "o":
            self._shape(
                f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}"',
                fill,
                edge,
                width,
                "-",
                None,
                hatch,
            )
            return
        if shape == "x":
            self.line(x - r, y - r, x + r, y + r, edge, width * 1.4)
            self.line(x - r, y + r, x + r, y - r, edge, width * 1.4)
            return
        self.polygon(_outline(shape, x, y, r), fill, edge, width, hatch=hatch)

    # ------------------------------------------------------------------ text
    def text(
        self,
        x: float,
        y: float,
        text: str | Sequence[str],
        size: float = FONT_SIZE,
        align: str = "left",
        valign: str = "baseline",
        colour: str = INK,
        rotate: bool = False,
        box: bool = False,
        keep_inside: bool = False,
    ) -> tuple[float, float, float, float]:
        """One or more lines of text at (x, y); returns the box they take (x, y, w, h).

        `align` is left, centre or right of x; `valign` puts y at the top, middle, bottom or
        baseline of the lines. `rotate` turns the text a quarter left (an axis label read from
        below). `box` puts a white box behind it, so that it reads over lines. `keep_inside`
        moves it sideways as far as it takes to stay within the picture. The lines of a label
        whose first strong letter is written right to left are all written right to left.
        """
        lines = [text] if isinstance(text, str) else list(text)
        leading = size * 1.25
        height = leading * (len(lines) - 1) + size
        width = max((text_width(line, size) for line in lines), default=0.0)
        if not _finite(x, y):
            return (0.0, 0.0, 0.0, 0.0)
        if keep_inside:
            lo = {"left": 2.0, "centre": 2.0 + width / 2, "right": 2.0 + width}[align]
            x = max(lo, min(x, lo + self.width - 4.0 - width))
        # Where the first line's baseline goes (ascent about 0.76 of the size, descent 0.24).
        first = {
            "top": y + size * 0.76,
            "middle": y - height / 2 + size * 0.76,
            "bottom": y - height + size * 0.76,
        }.get(valign, y)
        left = {"left": x, "centre": x - width / 2, "right": x - width}[align]
        if rotate:
            self._parts.append(f'<g transform="rotate(-90 {num(x)} {num(y)})">')
        if box:
            self._parts.append(
                f'<rect x="{num(left - 2)}" y="{num(first - size * 0.76 - 1.5)}" '
                f'width="{num(width + 4)}" height="{num(height + 3)}" fill="#ffffff" '
                'fill-opacity="0.85"/>'
            )
        rtl = _right_to_left(" ".join(lines))
        anchor = {"left": "start", "centre": "middle", "right": "end"}[align]
        if rtl and anchor != "middle":
            anchor = "end" if anchor == "start" else "start"
        for i, line in enumerate(lines):
            attrs = f'x="{num(x)}" y="{num(first + i * leading)}"'
            if anchor != "start":
                attrs += f' text-anchor="{anchor}"'
            if rtl:
                attrs += ' direction="rtl"'
            if size != FONT_SIZE:
                attrs += f' font-size="{num(size)}"'
            if colour != INK:
                attrs += f' fill="{colour}"'
            self._parts.append(f"<text {attrs}>{escape(line, quote=False)}</text>")
        if rotate:
            self._parts.append("</g>")
        return (left, first - size * 0.76, width, height)

    # ------------------------------------------------------------------ the file
    def svg(self) -> str:
        """The picture as an SVG file's text."""
        w, h = num(self.width), num(math.ceil(self.height))
        head = (
            '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" font-size="{num(FONT_SIZE)}" '
            # Left to right whatever the page around it: a chart inside a Persian page would
            # otherwise anchor every label at its other end. Persian labels say rtl themselves.
            f'fill="{INK}" direction="ltr">\n'
            '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description>'
            "<dc:creator>Exposure</dc:creator></rdf:Description></rdf:RDF></metadata>\n"
        )
        defs = f"<defs>{''.join(self._defs)}</defs>\n" if self._defs else ""
        back = f'<rect width="{w}" height="{h}" fill="#ffffff"/>\n'
        return head + defs + back + "\n".join(self._parts) + "\n</svg>\n"


def _stroke(colour: str, width: float, dash: str) -> str:
    """A line's attributes: its colour, width and dashes (none for a solid line)."""
    attrs = f' stroke="{colour}" stroke-width="{num(width)}"'
    pattern = DASHES[dash]
    return attrs + (f' stroke-dasharray="{pattern}"' if pattern else "")


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _finite_points(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points that can be drawn: a value that is not a number (or infinite) is left out."""
    return [(x, y) for x, y in points if _finite(x, y)]


def dark(colour: str) -> bool:
    """Whether text or hatching on this fill should be white."""
    return colour.startswith("#") and len(colour) == 7 and int(colour[1:3], 16) < 0x80


def _outline(shape: str, x: float, y: float, r: float) -> list[tuple[float, float]]:
    """The corners of a marker's polygon, centred on (x, y), r pixels from centre to edge."""
    if shape == "s":
        r *= 0.85
        return [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
    if shape == "D":
        return [(x, y - r), (x + r * 0.8, y), (x, y + r), (x - r * 0.8, y)]
    if shape in ("^", "v"):
        s = -1 if shape == "^" else 1
        return [(x, y + s * r), (x + r * 0.9, y - s * r * 0.6), (x - r * 0.9, y - s * r * 0.6)]
    if shape in ("<", ">"):
        s = -1 if shape == "<" else 1
        return [(x + s * r, y), (x - s * r * 0.6, y - r * 0.9), (x - s * r * 0.6, y + r * 0.9)]
    if shape == "*":
        corners = []
        for i in range(10):
            radius = r if i % 2 == 0 else r * 0.42
            angle = math.pi / 2 + i * math.pi / 5
            corners.append((x + radius * math.cos(angle), y - radius * math.sin(angle)))
        return corners
    raise ValueError(f"no marker {shape!r}")


# --------------------------------------------------------------------------- axes


def ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten, at
    most `most` + 1 of them."""
    span = high - low
    if not span > 0:
        return [low]
    raw = span / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(i * step, 10) + 0.0 for i in range(first, last + 1)]


@dataclass
class Axes:
    """A plotting box on a canvas (left, top, width, height in pixels) and the data ranges it
    shows."""

    left: float
    top: float
    width: float
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def x(self, value: float) -> float:
        lo, hi = self.xlim
        return self.left + (value - lo) / (hi - lo) * self.width

    def y(self, value: float) -> float:
        lo, hi = self.ylim
        return self.bottom - (value - lo) / (hi - lo) * self.height

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return self.x(x), self.y(y)


TICK = 4.0
TICK_SIZE = 11.0


def x_axis(
    c: Canvas,
    ax: Axes,
    values: Sequence[float],
    label: Sequence[str] | str,
    fmt: Callable[[float], str],
    grid: bool = False,
) -> float:
    """The bottom axis: its line, ticks, tick labels and label; returns the y below it all."""
    c.line(ax.left, ax.bottom, ax.right, ax.bottom, INK, 0.8)
    for v in values:
        x = ax.x(v)
        if grid:
            c.line(x, ax.top, x, ax.bottom, "#e0e0e0", 0.6)
        c.line(x, ax.bottom, x, ax.bottom + TICK, INK, 0.8)
        c.text(x, ax.bottom + TICK + 2, fmt(v), TICK_SIZE, "centre", "top")
    below = ax.bottom + TICK + 4 + TICK_SIZE
    if label:
        _, top, _, height = c.text(
            ax.left + ax.width / 2, below + 4, label, FONT_SIZE, "centre", "top"
        )
        below = top + height
    return below


def y_axis(
    c: Canvas,
    ax: Axes,
    values: Sequence[float],
    label: str,
    fmt: Callable[[float], str],
    grid: bool = False,
) -> None:
    """The left axis: its line, ticks, tick labels and a label turned a quarter left."""
    c.line(ax.left, ax.top, ax.left, ax.bottom, INK, 0.8)
    widest = 0.0
    for v in values:
        y = ax.y(v)
        if grid:
            c.line(ax.left, y, ax.right, y, "#e0e0e0", 0.6)
        c.line(ax.left - TICK, y, ax.left, y, INK, 0.8)
        box = c.text(ax.left - TICK - 3, y, fmt(v), TICK_SIZE, "right", "middle")
        widest = max(widest, box[2])
    if label:
        x = ax.left - TICK - 3 - widest - 6
        c.text(x, ax.top + ax.height / 2, label, FONT_SIZE, "centre", "bottom", rotate=True)


def y_axis_room(values: Sequence[float], label: str, fmt: Callable[[float], str]) -> float:
    """How far left of the plotting box `y_axis` draws."""
    widest = max((text_width(fmt(v), TICK_SIZE) for v in values), default=0.0)
    return TICK + 3 + widest + (6 + FONT_SIZE * 1.1 if label else 0.0) + 2


def legend(
    c: Canvas,
    entries: Sequence[tuple[Callable[[float, float], None], str]],
    x: float,
    y: float,
    columns: int,
    column_width: float,
    size: float = TICK_SIZE,
    key_width: float = 28.0,
) -> float:
    """Legend entries (a drawing of the key at its centre, and a label) in `columns` columns
    from (x, y) at the top left, read down each column; returns the y below the legend."""
    if not entries:
        return y
    columns = max(1, min(columns, len(entries)))
    row_top = y
    rows = -(-len(entries) // columns)
    for r in range(rows):
        heights = []
        for i, (key, label) in enumerate(entries[r::rows]):
            left = x + i * column_width
            lines = wrap(label, column_width - key_width - 14, size)
            key(left + key_width / 2, row_top + size / 2 + 1)
            _x, _y, _w, height = c.text(left + key_width + 6, row_top, lines, size, "left", "top")
            heights.append(height)
        row_top += max(heights) + 7
    return row_top
