"""The axis a detector fits along: the step itself, its logarithm, or the index."""

from __future__ import annotations

import numpy as np

AXES = ("auto", "step", "log", "index")


def choose_axis(steps: np.ndarray, axis: str = "auto") -> str:
    """The axis to fit ``steps`` along, resolving ``auto``.

    ``auto`` picks ``log`` when the checkpoints are spaced evenly in
    log(step) rather than in step (a run that saves at 1, 2, 4, 8, ... or
    at 100, 200, ..., 1000, 2000, ...), and ``step`` otherwise: ``log``
    wins when the standard deviation of the logarithm of the gaps along
    log step is under half of that along step. It is zero for even
    spacing and about 1.3 for random gaps, so random gaps stay on ``step``.

    Args:
        steps: Distinct steps, ascending.
        axis: ``auto``, ``step``, ``log`` or ``index``.

    Returns:
        ``step``, ``log`` or ``index``.

    Raises:
        ValueError: If ``axis`` is not one of :data:`AXES`.
    """
    if axis not in AXES:
        raise ValueError(f"unknown x axis {axis!r}; choose one of {', '.join(AXES)}")
    if axis != "auto":
        return axis
    if len(steps) < 4:
        return "step"

    linear_spread = np.std(np.log(np.diff(steps)))
    log_spread = np.std(np.log(np.diff(log_steps(steps))))
    return "log" if log_spread < 0.5 * linear_spread else "step"


def log_offset(steps: np.ndarray) -> float:
    """The offset c that makes log(step + c) finite and well spaced.

    Positive steps need none. A run that starts at step 0 (or below) is
    shifted so its first step sits one first-gap above zero, which keeps
    the first gap in log(step) like the others (0, 1, 2, 4 becomes
    log 1, log 2, log 3, log 5).
    """
    first = float(steps[0])
    if first > 0:
        return 0.0
    gap = float(steps[1] - steps[0]) if len(steps) > 1 else 1.0
    return gap - first


def log_steps(steps: np.ndarray) -> np.ndarray:
    """log(step + c), with c from :func:`log_offset`."""
    return np.log(steps + log_offset(steps))


def axis_values(steps: np.ndarray, axis: str) -> np.ndarray:
    """The coordinate of each step along ``axis`` (already resolved)."""
    if axis == "log":
        return log_steps(steps)
    if axis == "index":
        return np.arange(len(steps), dtype=float)
    return steps.astype(float)


def step_derivative(steps: np.ndarray, axis: str, point: int) -> float:
    """d(coordinate)/d(step) at ``point``, to turn fitted slopes into per-step rates.

    Along ``index`` the rate uses the local gap between checkpoints.
    """
    if axis == "log":
        return 1.0 / float(steps[point] + log_offset(steps))
    if axis == "index":
        low, high = max(point - 1, 0), min(point + 1, len(steps) - 1)
        return (high - low) / float(steps[high] - steps[low])
    return 1.0
