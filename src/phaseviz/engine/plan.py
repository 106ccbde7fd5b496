"""Turning the metric keys a user asks for into what the engine computes."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from phaseviz.checkpoints.run import Run
from phaseviz.metrics import (
    BUILTIN,
    CustomMetric,
    Metric,
    UnknownMetricError,
    load_custom_metrics,
    recorded_metric,
)


@dataclass(frozen=True)
class Plan:
    """The metrics of one computation, split by where their values come from.

    Attributes:
        builtin: Built-in metrics, computed from the checkpoint's tensors.
        custom: Custom metrics, called on the model.
        recorded: Recorded-scalar metrics, read from the checkpoints as found.
    """

    builtin: tuple[Metric, ...]
    custom: tuple[CustomMetric, ...]
    recorded: tuple[Metric, ...]

    @property
    def titles(self) -> dict[str, str]:
        """The title of every metric of the plan, by key, in the order asked."""
        titles = {m.key: m.title for m in self.builtin}
        titles.update((m.key, m.title) for m in self.custom)
        titles.update((m.key, m.title) for m in self.recorded)
        return titles

    @property
    def keys(self) -> list[str]:
        """Every metric key of the plan, in the order asked."""
        return list(self.titles)


def recorded_metrics(run: Run) -> list[Metric]:
    """A metric per recorded scalar that any checkpoint of the run carries."""
    names = dict.fromkeys(n for c in run.checkpoints for n in c.recorded)
    return [recorded_metric(name) for name in names]


def custom_metrics(files: Sequence[Path]) -> list[CustomMetric]:
    """The custom metrics defined in ``files``, in file order.

    A custom metric named like a built-in one (``sparsity_of_model``) gets
    the key ``custom.sparsity``, so both can be shown side by side.
    """
    found: list[CustomMetric] = []
    for path in files:
        for metric in load_custom_metrics(Path(path)):
            if metric.key in BUILTIN:
                metric = dataclasses.replace(
                    metric, key=f"custom.{metric.key}", title=f"{metric.title} (custom)"
                )
            found.append(metric)
    return found


def make_plan(
    run: Run, requested: str | Sequence[str], metric_files: Sequence[Path] = ()
) -> Plan:
    """Resolve the requested keys against everything the run offers.

    Args:
        run: The run.
        requested: ``"all"``, a comma-separated string or a list of keys.
            ``all`` means every built-in metric. The custom metrics of
            ``metric_files`` are always part of the plan.
        metric_files: Files of custom ``*_of_model`` metrics.

    Raises:
        UnknownMetricError: A key is neither built-in, recorded nor custom.
        MetricFileError: A custom metric file cannot be used.
    """
    custom = {m.key: m for m in custom_metrics(metric_files)}
    recorded = {m.key: m for m in recorded_metrics(run)}
    builtin: dict[str, Metric] = {}
    chosen_recorded: dict[str, Metric] = {}

    for key in _split(requested):
        if key == "all":
            builtin.update(BUILTIN)
        elif key in BUILTIN:
            builtin[key] = BUILTIN[key]
        elif key in recorded:
            chosen_recorded[key] = recorded[key]
        elif key not in custom:
            known = [*BUILTIN, *recorded, *custom]
            raise UnknownMetricError(key, difflib.get_close_matches(key, known, n=3))

    return Plan(
        tuple(builtin.values()), tuple(custom.values()), tuple(chosen_recorded.values())
    )


def _split(requested: str | Sequence[str]) -> list[str]:
    items = requested.split(",") if isinstance(requested, str) else list(requested)
    return [item.strip() for item in items if item.strip()]
