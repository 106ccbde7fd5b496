"""Computed values of a run, gathered for the views and the exports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from phaseviz.checkpoints.run import Run

RECORD_FIELDS = ("run", "checkpoint", "step", "metric", "value")
LAYER_RECORD_FIELDS = (*RECORD_FIELDS, "layer")


@dataclass(frozen=True)
class Value:
    """One value of one metric at one checkpoint.

    Attributes:
        run: The run's name.
        checkpoint: The checkpoint's name within the run.
        step: The checkpoint's training step.
        metric: The metric's key.
        value: The value; NaN where the metric failed or is undefined.
        layer: The tensor's state-dict name for a per-layer value, else None.
    """

    run: str
    checkpoint: str
    step: int
    metric: str
    value: float
    layer: str | None = None


@dataclass
class RunResults:
    """Every value computed so far for one run, indexed by checkpoint.

    Values arrive one at a time from the engine and are kept by checkpoint
    index, so a series is always in step order and a view can draw a
    half-computed run.

    Attributes:
        run: The run the values belong to.
        titles: The title of each metric key seen, for charts and tables.
        values: metric key -> checkpoint index -> value.
        layers: metric key -> layer name -> checkpoint index -> value.
        errors: metric key -> checkpoint index -> error message.
        device: The device the values were computed on.
        compute_seconds: Wall time spent computing (cache hits cost nothing).
        approximate: Keys of the metrics whose values are estimates
            (``--spectral fast``); their titles end in " (approx.)".
    """

    run: Run
    titles: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[int, float]] = field(default_factory=dict)
    layers: dict[str, dict[str, dict[int, float]]] = field(default_factory=dict)
    errors: dict[str, dict[int, str]] = field(default_factory=dict)
    device: str = "cpu"
    compute_seconds: float = 0.0
    approximate: set[str] = field(default_factory=set)

    def add(
        self,
        metric: str,
        index: int,
        value: float,
        layers: dict[str, float] | None = None,
    ) -> None:
        """Store the value of ``metric`` at checkpoint ``index``."""
        self.values.setdefault(metric, {})[index] = value
        for layer, layer_value in (layers or {}).items():
            by_layer = self.layers.setdefault(metric, {})
            by_layer.setdefault(layer, {})[index] = layer_value

    def add_error(self, metric: str, index: int, message: str) -> None:
        """Record that ``metric`` failed at checkpoint ``index``."""
        self.errors.setdefault(metric, {})[index] = message
        self.values.setdefault(metric, {})[index] = math.nan

    @property
    def metrics(self) -> list[str]:
        """The keys of the metrics that have at least one value.

        In the order of ``titles`` (the order they were asked for), so the
        same request gives the same order whether values came from the
        cache or were computed.
        """
        ordered = [key for key in self.titles if key in self.values]
        return ordered + [key for key in self.values if key not in self.titles]

    def series(self, metric: str) -> tuple[list[int], list[float]]:
        """The steps and values of ``metric`` computed so far, in step order."""
        return self._series(self.values.get(metric, {}))

    def layer_names(self, metric: str) -> list[str]:
        """The layers that have per-layer values of ``metric``."""
        return list(self.layers.get(metric, {}))

    def layer_series(self, metric: str, layer: str) -> tuple[list[int], list[float]]:
        """The steps and per-layer values of ``metric`` for ``layer``."""
        return self._series(self.layers.get(metric, {}).get(layer, {}))

    def records(self, per_layer: bool = False) -> list[Value]:
        """Every value as a flat record, ordered by checkpoint, then metric.

        Metrics come in the order of :attr:`metrics`.

        Args:
            per_layer: Also give one record per layer for metrics that have
                per-layer values.
        """
        records: list[Value] = []
        for index, checkpoint in enumerate(self.run.checkpoints):
            for metric in self.metrics:
                by_index = self.values[metric]
                if index in by_index:
                    records.append(
                        self._value(
                            checkpoint.name, checkpoint.step, metric, by_index[index]
                        )
                    )
                if not per_layer:
                    continue
                for layer, layer_values in self.layers.get(metric, {}).items():
                    if index in layer_values:
                        records.append(
                            self._value(
                                checkpoint.name,
                                checkpoint.step,
                                metric,
                                layer_values[index],
                                layer,
                            )
                        )
        return records

    def _value(
        self, name: str, step: int, metric: str, value: float, layer: str | None = None
    ) -> Value:
        return Value(self.run.name, name, step, metric, value, layer)

    def _series(self, by_index: dict[int, float]) -> tuple[list[int], list[float]]:
        indices = sorted(by_index)
        steps = [self.run.checkpoints[i].step for i in indices]
        return steps, [by_index[i] for i in indices]
