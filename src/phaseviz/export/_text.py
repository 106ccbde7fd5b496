"""Shared pieces of the writers: where text goes and how numbers are spelled."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def text_destination(dest: Path | TextIO) -> Iterator[TextIO]:
    """Yield a text stream for ``dest``: the stream itself, or the file opened.

    A path is opened with ``newline=""`` so the csv module controls line
    endings, and is closed afterwards; a stream is left open for the caller.
    """
    if isinstance(dest, Path):
        with dest.open("w", encoding="utf-8", newline="") as stream:
            yield stream
    else:
        yield dest


def format_float(value: float) -> str:
    """Spell ``value`` so that ``float()`` reads back the very same number.

    ``repr`` gives the shortest string that round-trips, and ``nan``,
    ``inf`` and ``-inf`` for the values that are not finite.
    """
    return repr(float(value))


def json_float(value: float) -> float | str | None:
    """A JSON-safe form of ``value``: NaN is null, infinities are strings.

    JSON has no NaN or infinity; null marks a missing value, and ``"inf"`` /
    ``"-inf"`` keep an infinite value (a condition number) from looking
    missing.
    """
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float(value)
