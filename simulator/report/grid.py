"""A titled table of text cells, rendered for the terminal (rich) or as Markdown."""

from __future__ import annotations

import io
import re
from contextvars import ContextVar
from dataclasses import dataclass, field

from rich.cells import cell_len

from simulator.i18n import finish, written_number

# Tables and sentences fit an 80-column terminal, as on a projector; --wide gives them 120.
NARROW = 80
# The projector view of the tabletop (`exercise --room`): short lines for a large font.
ROOM = 60
WIDE = 120
_WIDTH: ContextVar[int] = ContextVar("table_width", default=NARROW)


def table_width() -> int:
    """The width terminal output is laid out for."""
    return _WIDTH.get()


def set_table_width(width: int) -> None:
    """Lay terminal output out for this many columns from now on (in this context)."""
    _WIDTH.set(width)


def width_of(text: str) -> int:
    """How many terminal columns a text takes: Hangul and other wide letters take two."""
    return cell_len(text)


def rule(title: str, char: str = "-") -> str:
    """The line under a heading, as wide as the heading is on the terminal."""
    return char * width_of(title)


def fold(text: str, width: int | None = None, first: str = "", rest: str = "") -> list[str]:
    """Words folded into lines of at most `width` terminal columns (a longer word stays whole),
    the first line starting with `first`, the others with `rest`; finished for the language."""
    limit = width or table_width()
    out: list[str] = []
    current = ""
    for word in finish(text).split():
        if not current:
            current = (rest if out else first) + word
        elif width_of(current) + 1 + width_of(word) > limit:
            out.append(current)
            current = rest + word
        else:
            current += " " + word
    return [*out, current] if current else out


def fill(text: str, width: int | None = None, first: str = "", rest: str = "") -> str:
    """`fold`, as one string of lines."""
    return "\n".join(fold(text, width, first, rest))


def wrapped(lines: list[str], width: int | None = None) -> list[str]:
    """Plain sentences folded at word boundaries to fit the width (blank lines kept)."""
    out: list[str] = []
    limit = width or table_width()
    for line in map(finish, lines):
        if width_of(line) <= limit:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        if indent or line.lstrip().startswith("- "):  # items continue a little further in
            indent += "  "
        out += fold(line.lstrip(" "), limit, line[: len(line) - len(line.lstrip(" "))], indent)
    return out


@dataclass
class Grid:
    """A table: a title, columns (header, right-aligned?) and rows of text cells."""

    title: str
    columns: list[tuple[str, bool]]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        """Append one row."""
        self.rows.append(list(cells))


def column_widths(grid: Grid, width: int) -> list[int | None]:
    """Content widths that fit the table in `width` columns, wrapping cells between words.

    Columns keep their natural width when the table fits. Otherwise each column gets its longest
    word (so no word is split), and the room left is shared in proportion to what each column
    would need to show its cells on one line. Only when even the longest words do not fit are
    words folded. None leaves a column to the renderer.
    """
    texts = [
        [header, *(row[i] for row in grid.rows)] for i, (header, _right) in enumerate(grid.columns)
    ]
    want = [max(width_of(t) for t in column) for column in texts]
    room = width - (3 * len(grid.columns) + 1)  # borders and one space each side of a cell
    if sum(want) <= room:
        return [None] * len(want)
    need = [max((width_of(w) for t in column for w in t.split()), default=1) for column in texts]
    if sum(need) > room:  # fold words: share the room by the longest words, at least 3 each
        return [max(3, room * n // sum(need)) for n in need]
    spare = room - sum(need)
    extra = [w - n for w, n in zip(want, need)]
    share = [spare * e // max(sum(extra), 1) for e in extra]
    return [n + x for n, x in zip(need, share)]


def as_text(grids: list[Grid], width: int | None = None) -> list[str]:
    """The grids as terminal lines (box drawing, no colour, no markup from scenario text)."""
    # rich's console and tables are a few hundredths of a second to import: only tables need them.
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or table_width(),
        force_terminal=False,
        color_system=None,
        highlight=False,
        markup=False,
    )  # scenario text is never markup
    for grid in grids:
        table = Table(title=grid.title, title_justify="left")
        widths = column_widths(grid, width or table_width())
        for (header, right), fixed in zip(grid.columns, widths):
            table.add_column(
                header, justify="right" if right else "left", width=fixed, overflow="fold"
            )
        for row in grid.rows:
            table.add_row(*(finish(written_number(cell)) for cell in row))
        console.print(table)
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


# Markdown reads `<` as the start of raw HTML or an autolink only before a letter, `/`, `!` or `?`:
# escaping just those keeps "<1%" readable in the Markdown source.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def no_html(text: str) -> str:
    """Text in which Markdown finds no HTML tag, comment or autolink to open."""
    return _TAG_START.sub("&lt;", text)


def _cell(text: str) -> str:
    """Markdown table cell text: pipes escaped, no line breaks, no HTML."""
    return no_html(text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " "))


def as_markdown(grids: list[Grid]) -> list[str]:
    """The grids as Markdown tables, each under its title in bold."""
    lines: list[str] = []
    for grid in grids:
        lines += [f"**{_cell(grid.title)}**", ""]
        lines.append("| " + " | ".join(_cell(h) for h, _ in grid.columns) + " |")
        lines.append("|" + "|".join("---:" if right else "---" for _, right in grid.columns) + "|")
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in grid.rows]
        lines.append("")
    return lines


def document(grids: list[Grid], after: list[str], markdown: bool, width: int | None = None) -> str:
    """Tables then plain lines, for the terminal or as Markdown paragraphs."""
    if markdown:
        paragraphs = [_cell(line).strip() for line in after if line.strip()]
        return "\n".join(as_markdown(grids) + [p + "\n" for p in paragraphs]).rstrip("\n") + "\n"
    return "\n".join(as_text(grids, width) + wrapped(after, width)) + "\n"
