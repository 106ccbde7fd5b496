"""The detectors by name, and the one entry point that runs any of them."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from phaseviz.transitions.piecewise import piecewise_transitions
from phaseviz.transitions.threshold import threshold_transitions
from phaseviz.transitions.transition import Transition

Detector = Callable[..., list[Transition]]

DETECTORS: Mapping[str, Detector] = MappingProxyType(
    {
        "default": piecewise_transitions,
        "threshold": threshold_transitions,
    }
)
"""Detector name -> function taking ``(steps, values, **options)``."""


def detector_names() -> list[str]:
    """The names :func:`detect_transitions` accepts, ``default`` first."""
    return list(DETECTORS)


def detect_transitions(
    steps: Sequence[float],
    values: Sequence[float],
    detector: str = "default",
    **options: object,
) -> list[Transition]:
    """Find the transitions of one metric's series.

    Args:
        steps: The training step of each checkpoint.
        values: The metric's value at each checkpoint; NaN is left out.
        detector: ``default`` (a broken-line fit, see
            :func:`~phaseviz.transitions.piecewise.piecewise_transitions`) or
            ``threshold`` (Phase-Viz's relative-change rule).
        **options: The detector's own options, such as ``sensitivity`` for
            ``default`` or ``threshold`` for ``threshold``.

    Returns:
        The transitions in step order; ``index`` is a position in
        ``steps``/``values``.

    Raises:
        ValueError: If ``detector`` is unknown or an option is out of range.
        TypeError: If the detector has no such option.

    Example:
        >>> steps = list(range(40))
        >>> values = [1.0] * 20 + [3.0] * 20
        >>> [(t.index, t.kind) for t in detect_transitions(steps, values)]
        [(20, 'level')]
    """
    if detector not in DETECTORS:
        raise ValueError(
            f"unknown detector {detector!r}; known detectors: "
            + ", ".join(detector_names())
        )
    function = DETECTORS[detector]
    accepted = _options(function)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(
            f"detector {detector!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options: {', '.join(accepted) or 'none'}"
        )
    return function(steps, values, **options)


def _options(function: Detector) -> list[str]:
    parameters = inspect.signature(function).parameters.values()
    return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
