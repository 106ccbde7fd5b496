"""Ordering checkpoints by training step.

Each checkpoint's step comes from the first of these that it has:

1. its own data: ``global_step`` or ``step`` at the top of a torch dict or in
   a safetensors ``__metadata__``, ``global_step`` in a Hugging Face
   ``trainer_state.json``;
2. the number in its name: ``step=500`` / ``step_500`` / ``global_step500``,
   then ``checkpoint-1000``, then ``iter_300``, then ``epoch=3``, then the
   last number in the name (``1000.pt``);
3. the ``epoch`` in its data, used as the step when nothing else is known.

If any checkpoint of the run has none of these, steps would mix with
made-up ones, so the whole run falls back to natural file order
(``2.pt`` before ``10.pt``) with steps 0, 1, 2...

Two checkpoints with the same step cannot both sit on the x axis: the one
whose name carries the step is kept (``epoch=3-step=500.ckpt`` over
``last.ckpt``), then the one whose step came from its data, then the first in
natural order; the others are reported as skipped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from phaseviz.checkpoints.run import StepSource

logger = logging.getLogger(__name__)

_NAME_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        r"(?:global[_-]?)?step[=_-]?(\d+)",
        r"checkpoint[=_-](\d+)",
        r"iter(?:ation)?s?[=_-]?(\d+)",
        r"epoch[=_-]?(\d+)",
    )
)
_DIGITS = re.compile(r"(\d+)")
_SUFFIXES = re.compile(r"\.(pt|pth|bin|ckpt|safetensors)$", re.IGNORECASE)


@dataclass(frozen=True)
class StepClues:
    """What is known about one checkpoint's step.

    Attributes:
        name: The checkpoint's name in the run, for ordering and messages.
        leaf: The file or folder name the step may be read from.
        data_step: The step stored in the checkpoint, if any.
        data_epoch: The epoch stored in the checkpoint, if any.
    """

    name: str
    leaf: str
    data_step: int | None = None
    data_epoch: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where one checkpoint sits on the step axis.

    Attributes:
        index: The checkpoint's position in the list given to :func:`place`.
        step: Its step.
        source: Where the step came from.
    """

    index: int
    step: int
    source: StepSource


@dataclass(frozen=True)
class Duplicate:
    """A checkpoint left out because another has the same step.

    Attributes:
        index: The left-out checkpoint's position in the list.
        kept: The position of the checkpoint kept at that step.
        step: The shared step.
    """

    index: int
    kept: int
    step: int


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts ``2.pt`` before ``10.pt``.

    Example:
        >>> sorted(["10.pt", "2.pt"], key=natural_key)
        ['2.pt', '10.pt']
    """
    parts = _DIGITS.split(name.lower())
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts) + ((0, name),)


def step_from_name(leaf: str) -> int | None:
    """The step a file or folder name carries, if any.

    Example:
        >>> step_from_name("epoch=3-step=500.ckpt")
        500
    """
    stem = _SUFFIXES.sub("", leaf.lower())
    for pattern in _NAME_PATTERNS:
        matches = pattern.findall(stem)
        if matches:
            return int(matches[-1])
    numbers = _DIGITS.findall(stem)
    return int(numbers[-1]) if numbers else None


def place(clues: Sequence[StepClues]) -> tuple[list[Placement], list[Duplicate]]:
    """Give each checkpoint its step and order them.

    Args:
        clues: One entry per checkpoint.

    Returns:
        The placements in step order, one per step, and the checkpoints left
        out because they share a step with a kept one.
    """
    found = [_known_step(c) for c in clues]
    if any(f is None for f in found):
        return _by_order(clues), []

    known = [(i, f[0], f[1]) for i, f in enumerate(found) if f is not None]
    known.sort(key=lambda item: (item[1], natural_key(clues[item[0]].name)))
    return _one_per_step(clues, known)


def _known_step(clues: StepClues) -> tuple[int, StepSource] | None:
    if clues.data_step is not None:
        return clues.data_step, "data"
    named = step_from_name(clues.leaf)
    if named is not None:
        return named, "name"
    if clues.data_epoch is not None:
        return clues.data_epoch, "data"
    return None


def _by_order(clues: Sequence[StepClues]) -> list[Placement]:
    missing = [c.name for c in clues if _known_step(c) is None]
    if len(clues) > 1:
        logger.warning(
            "no step in the data or name of %s; ordering all %d checkpoints "
            "by name with steps 0, 1, 2...",
            ", ".join(missing),
            len(clues),
        )
    order = sorted(range(len(clues)), key=lambda i: natural_key(clues[i].name))
    return [Placement(index, position, "order") for position, index in enumerate(order)]


def _one_per_step(
    clues: Sequence[StepClues], known: list[tuple[int, int, StepSource]]
) -> tuple[list[Placement], list[Duplicate]]:
    groups: dict[int, list[tuple[int, StepSource]]] = {}
    for index, step, source in known:
        groups.setdefault(step, []).append((index, source))

    placements: list[Placement] = []
    duplicates: list[Duplicate] = []
    for step, members in groups.items():
        ranked = sorted(
            members,
            key=lambda m: (
                step_from_name(clues[m[0]].leaf) != step,
                m[1] != "data",
                natural_key(clues[m[0]].name),
            ),
        )
        kept, source = ranked[0]
        placements.append(Placement(kept, step, source))
        duplicates.extend(Duplicate(index, kept, step) for index, _ in ranked[1:])
    return placements, duplicates
