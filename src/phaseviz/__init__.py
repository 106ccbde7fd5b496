"""phaseviz: how a network's weights develop over training, from checkpoints.

The Python API mirrors the command line::

    import phaseviz

    records = phaseviz.compute("runs/grokking", metrics=["l2", "effective_rank"])
    steps, values = ...
    transitions = phaseviz.detect_transitions(steps, values)

Heavy modules (torch, the views) are imported only when a function that
needs them is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from phaseviz.api import compute
    from phaseviz.transitions import detect_transitions

__all__ = ["__version__", "compute", "detect_transitions"]


def __getattr__(name: str) -> Any:
    if name == "compute":
        from phaseviz.api import compute

        return compute
    if name == "detect_transitions":
        from phaseviz.transitions import detect_transitions

        return detect_transitions
    raise AttributeError(f"module 'phaseviz' has no attribute {name!r}")
