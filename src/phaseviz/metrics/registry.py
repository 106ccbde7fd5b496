"""The built-in metrics by key, and turning what a user typed into metrics.

Nothing here imports torch or numpy, so ``phaseviz metrics`` can list the
registry at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from phaseviz.metrics.definitions import BUILTIN
from phaseviz.metrics.errors import UnknownMetricError
from phaseviz.metrics.metric import GROUPS, KINDS, Metric

__all__ = ["BUILTIN", "GROUPS", "KINDS", "Metric", "recorded_metric", "resolve"]

RECORDED_PREFIX = "recorded."


def resolve(spec: str | Sequence[str]) -> list[Metric]:
    """The metrics a user asked for, in the order asked, each once.

    Args:
        spec: ``"all"``, comma-separated keys such as ``"l2,entropy"``, or a
            list of keys. ``all`` means every built-in metric; a key
            ``recorded.<name>`` means the recorded scalar ``<name>``.

    Raises:
        UnknownMetricError: A key is neither built-in nor recorded.

    Example:
        >>> [m.key for m in resolve("l2, entropy")]
        ['l2', 'entropy']
    """
    chosen: dict[str, Metric] = {}
    for key in _split(spec):
        if key.lower() == "all":
            chosen.update(BUILTIN)
        elif key.startswith(RECORDED_PREFIX) and len(key) > len(RECORDED_PREFIX):
            metric = recorded_metric(key[len(RECORDED_PREFIX) :])
            chosen[metric.key] = metric
        else:
            metric = _builtin(key)
            chosen[metric.key] = metric
    return list(chosen.values())


def recorded_metric(name: str) -> Metric:
    """The metric of a scalar the checkpoints record, such as ``eval_loss``.

    Example:
        >>> recorded_metric("eval_loss").title
        'Eval Loss'
    """
    return Metric(
        key=f"{RECORDED_PREFIX}{name}",
        title=title_from_name(name),
        group="recorded",
        description=f"the value of {name!r} stored in each checkpoint",
        formula=f"{name} as recorded by the training run",
        version=1,
        per_layer=False,
        kind="recorded",
    )


def title_from_name(name: str) -> str:
    """A title for a metric that only has a name: ``eval_loss`` → ``Eval Loss``."""
    words = [word for word in re.split(r"[_\-\s]+", name) if word]
    return " ".join(word[0].upper() + word[1:] for word in words) or name


def _builtin(key: str) -> Metric:
    metric = BUILTIN.get(key) or BUILTIN.get(key.lower())
    if metric is None:
        known = [*BUILTIN, "all"]
        close = difflib.get_close_matches(key.lower(), known, n=3)
        raise UnknownMetricError(key, close)
    return metric


def _split(spec: str | Sequence[str]) -> list[str]:
    items = [spec] if isinstance(spec, str) else list(spec)
    keys = (key.strip() for item in items for key in item.split(","))
    return [key for key in keys if key]
