"""Colours and markers that tell runs and metrics apart on a chart.

Each style pairs a colour with a marker character, so lines stay apart in a
terminal without colour (NO_COLOR) as well.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    """How one series is drawn, and the character its legend entry shows.

    Attributes:
        color: A plotext colour name, also understood by Rich.
        marker: The plotext marker.
        glyph: The character standing for the marker in a legend.
    """

    color: str
    marker: str
    glyph: str


STYLES = (
    Style("cyan", "braille", "⢕"),
    Style("orange", "•", "•"),
    Style("magenta", "+", "+"),
    Style("green", "x", "x"),
    Style("yellow", "o", "o"),
    Style("blue", "*", "*"),
    Style("red", "#", "#"),
    Style("white", "%", "%"),
)
CURSOR_COLOR = "white"
TRANSITION_COLOR = "red"


def style(position: int) -> Style:
    """The style of the ``position``-th run (or metric, on an overlay)."""
    return STYLES[position % len(STYLES)]


def rich_color(color: str) -> str:
    """The Rich colour for a plotext colour name."""
    return "dark_orange" if color == "orange" else color
