"""A titled table of text cells, rendered for the terminal (rich) or as Markdown."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table


@dataclass
class Grid:
    """A table: a title, columns (header, right-aligned?) and rows of text cells."""

    title: str
    columns: list[tuple[str, bool]]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        """Append one row."""
        self.rows.append(list(cells))


def as_text(grids: list[Grid], width: int = 120) -> list[str]:
    """The grids as terminal lines (box drawing, no colour, no markup from scenario text)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=False,
        color_system=None,
        highlight=False,
        markup=False,
    )  # scenario text is never markup
    for grid in grids:
        table = Table(title=grid.title, title_justify="left")
        for header, right in grid.columns:
            table.add_column(header, justify="right" if right else "left")
        for row in grid.rows:
            table.add_row(*row)
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


def document(grids: list[Grid], after: list[str], markdown: bool, width: int = 120) -> str:
    """Tables then plain lines, for the terminal or as Markdown paragraphs."""
    if markdown:
        paragraphs = [_cell(line).strip() for line in after if line.strip()]
        return "\n".join(as_markdown(grids) + [p + "\n" for p in paragraphs]).rstrip("\n") + "\n"
    return "\n".join(as_text(grids, width) + after) + "\n"
