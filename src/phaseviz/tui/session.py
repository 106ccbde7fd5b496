"""What the terminal app knows about its runs, apart from how it shows it.

The session holds the runs, the values computed so far, the metrics on offer
and which are selected, the shared timeline and the transition detector. The
app changes it in answer to keys and engine events and redraws from it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from phaseviz.checkpoints.run import Run
from phaseviz.results import RunResults
from phaseviz.tui.series import is_finite, is_flat
from phaseviz.tui.step_axis import log_spaced
from phaseviz.tui.timeline import Timeline

if TYPE_CHECKING:
    from phaseviz.metrics import Metric
    from phaseviz.transitions import Transition

logger = logging.getLogger(__name__)

GROUPS = (
    "norms",
    "distribution",
    "spectral",
    "structure",
    "trajectory",
    "recorded",
    "custom",
)
DEFAULT_METRICS = ("l2", "effective_rank")
_ACCURACY = re.compile(r"acc", re.IGNORECASE)
_HELD_OUT = re.compile(r"test|val|eval", re.IGNORECASE)


def default_metrics(available: Sequence[Metric]) -> list[str]:
    """The metrics to show when none are asked for.

    The L2 norm and effective rank, plus the run's recorded test accuracy when
    its checkpoints store one (a validation or any accuracy otherwise).
    """
    keys = [m.key for m in available]
    chosen = [key for key in DEFAULT_METRICS if key in keys]
    accuracies = [
        key for key in keys if key.startswith("recorded.") and _ACCURACY.search(key)
    ]
    held_out = [key for key in accuracies if _HELD_OUT.search(key)]
    for key in [k for k in held_out if "test" in k.lower()] + held_out + accuracies:
        return [*chosen, key]
    return chosen


class Session:
    """The runs on screen and the state of the views over them.

    Args:
        runs: The runs, in the order given on the command line.
        available: Every metric the runs offer.
        selected: The metric keys to show first.
        detector: The transition detector's name.
    """

    def __init__(
        self,
        runs: Sequence[Run],
        available: Sequence[Metric],
        selected: Sequence[str],
        detector: str = "default",
    ) -> None:
        self.runs = list(runs)
        self.results = [RunResults(run) for run in self.runs]
        self.catalogue: dict[str, Metric] = {}
        self.add_metrics(available)
        self.selected = [key for key in selected if key in self.catalogue]
        self.detector = detector
        self.timeline = Timeline(
            (step for run in self.runs for step in run.steps),
            log=log_spaced(run.steps for run in self.runs),
        )
        # Until the user picks an axis, it follows the runs as they grow.
        self._axis_chosen = False
        self.unreadable: set[tuple[int, int]] = set()
        self._versions: dict[tuple[int, str], int] = {}
        self._transitions: dict[tuple[int, str, str], tuple[int, list[Transition]]] = {}

    def add_metrics(self, metrics: Sequence[Metric]) -> list[str]:
        """Offer more metrics, such as a custom file's; returns the new keys."""
        new = [m.key for m in metrics if m.key not in self.catalogue]
        self.catalogue.update({m.key: m for m in metrics})
        return new

    def grouped(self) -> list[tuple[str, list[Metric]]]:
        """The metrics on offer by group, in the sidebar's order."""
        order = {group: i for i, group in enumerate(GROUPS)}
        groups: dict[str, list[Metric]] = {}
        for metric in self.catalogue.values():
            groups.setdefault(metric.group, []).append(metric)
        return sorted(
            groups.items(), key=lambda g: (order.get(g[0], len(GROUPS)), g[0])
        )

    @property
    def labels(self) -> list[str]:
        """A name per run for legends and tables.

        The folder's name, with its parent's where two runs' folders share a
        name, as in ``lr1e-3/checkpoints`` and ``lr3e-4/checkpoints``.
        """
        names = [run.name for run in self.runs]
        return [
            f"{run.path.parent.name}/{name}" if names.count(name) > 1 else name
            for run, name in zip(self.runs, names, strict=True)
        ]

    def title(self, key: str) -> str:
        """The metric's title, or its key when it is unknown."""
        metric = self.catalogue.get(key)
        return metric.title if metric else key

    def toggle(self, key: str) -> bool:
        """Select or deselect a metric; returns True when it is now selected."""
        if key in self.selected:
            self.selected.remove(key)
            return False
        self.selected.append(key)
        return True

    def toggle_log_axis(self) -> bool:
        """Switch every chart between a linear and a log step axis.

        Returns:
            True when the charts are now on the log axis.
        """
        self.timeline.log = not self.timeline.log
        self._axis_chosen = True
        return self.timeline.log

    def record(
        self,
        run_index: int,
        metric: str,
        index: int,
        value: float,
        layers: dict[str, float] | None = None,
    ) -> None:
        """Store a value that arrived from the engine."""
        results = self.results[run_index]
        results.add(metric, index, value, layers)
        results.titles.setdefault(metric, self.title(metric))
        self._touch(run_index, metric)

    def record_error(
        self, run_index: int, metric: str, index: int, message: str
    ) -> None:
        """Store that a metric failed at one checkpoint."""
        self.results[run_index].add_error(metric, index, message)
        self._touch(run_index, metric)

    def missing(self, metric: str) -> list[int]:
        """The runs that lack a value of ``metric`` at a readable checkpoint."""
        return [
            run_index
            for run_index, run in enumerate(self.runs)
            if self._settled(run_index, metric) < len(run.checkpoints)
        ]

    def progress(self, metric: str) -> tuple[int, int]:
        """Checkpoints settled for ``metric`` (valued, failed, unreadable), of all."""
        done = sum(self._settled(i, metric) for i in range(len(self.runs)))
        return done, sum(len(run.checkpoints) for run in self.runs)

    def series(self, run_index: int, metric: str) -> tuple[list[int], list[float]]:
        """The steps and values of ``metric`` in one run, in step order."""
        return self.results[run_index].series(metric)

    def value_at(self, run_index: int, metric: str, step: int | None) -> float | None:
        """The value at the run's checkpoint of ``step``; None if there is none yet."""
        index = self._index_at(run_index, step)
        if index is None:
            return None
        return self.results[run_index].values.get(metric, {}).get(index)

    def layer_value_at(
        self, run_index: int, metric: str, layer: str, step: int | None
    ) -> float | None:
        """One layer's value at the run's checkpoint of ``step``, if computed."""
        index = self._index_at(run_index, step)
        if index is None:
            return None
        return self.results[run_index].layers.get(metric, {}).get(layer, {}).get(index)

    def checkpoint_at(self, run_index: int, step: int | None) -> str | None:
        """The name of the run's checkpoint at ``step``."""
        for checkpoint in self.runs[run_index].checkpoints:
            if checkpoint.step == step:
                return checkpoint.name
        return None

    def errors(self, metric: str) -> list[str]:
        """Every error message of ``metric``, over all runs, in step order."""
        return [
            message
            for results in self.results
            for _, message in sorted(results.errors.get(metric, {}).items())
        ]

    def transitions(self, run_index: int, metric: str) -> list[Transition]:
        """The current detector's transitions in one run's series, cached."""
        key = (run_index, metric, self.detector)
        version = self._versions.get((run_index, metric), 0)
        cached = self._transitions.get(key)
        if cached and cached[0] == version:
            return cached[1]

        found = self._detect(run_index, metric)
        self._transitions[key] = (version, found)
        return found

    def snapshot(self) -> list[RunResults]:
        """Copies of the results, safe to read on another thread while values arrive."""
        return [
            RunResults(
                results.run,
                titles=dict(results.titles),
                values={m: dict(v) for m, v in results.values.items()},
                layers={
                    m: {layer: dict(v) for layer, v in by_layer.items()}
                    for m, by_layer in results.layers.items()
                },
                errors={m: dict(e) for m, e in results.errors.items()},
                device=results.device,
            )
            for results in self.results
        ]

    def replace_run(self, run_index: int, run: Run) -> None:
        """Take a newer listing of a run, keeping unchanged checkpoints' values."""
        old = self.runs[run_index]
        position = {c.identity: i for i, c in enumerate(run.checkpoints)}
        moved = {
            old_index: position[c.identity]
            for old_index, c in enumerate(old.checkpoints)
            if c.identity in position
        }

        results = _carried_over(self.results[run_index], run, moved)
        self.unreadable = {
            (r, moved[i]) if r == run_index else (r, i)
            for r, i in self.unreadable
            if r != run_index or i in moved
        }
        self.runs[run_index] = run
        self.results[run_index] = results
        self.timeline.set_steps(step for each in self.runs for step in each.steps)
        if not self._axis_chosen:
            self.timeline.log = log_spaced(each.steps for each in self.runs)
        for metric in results.values:
            self._touch(run_index, metric)

    def _index_at(self, run_index: int, step: int | None) -> int | None:
        for index, checkpoint in enumerate(self.runs[run_index].checkpoints):
            if checkpoint.step == step:
                return index
        return None

    def _settled(self, run_index: int, metric: str) -> int:
        computed = set(self.results[run_index].values.get(metric, {}))
        unreadable = {i for r, i in self.unreadable if r == run_index}
        return len(computed | unreadable)

    def _touch(self, run_index: int, metric: str) -> None:
        key = (run_index, metric)
        self._versions[key] = self._versions.get(key, 0) + 1

    def _detect(self, run_index: int, metric: str) -> list[Transition]:
        from phaseviz.transitions import detect_transitions

        steps, values = self.series(run_index, metric)
        points = [(s, v) for s, v in zip(steps, values, strict=True) if is_finite(v)]
        # A series the charts draw as flat (float noise on a constant) has no
        # transition to show.
        if len(points) < 3 or is_flat([v for _, v in points]):
            return []
        try:
            return detect_transitions(
                [s for s, _ in points], [v for _, v in points], detector=self.detector
            )
        except Exception:
            # A detector that cannot handle a series must not take the chart down.
            logger.exception(
                "detector %s failed on metric %s of run %s",
                self.detector,
                metric,
                self.runs[run_index].name,
            )
            return []


def _carried_over(old: RunResults, run: Run, moved: dict[int, int]) -> RunResults:
    """The old results re-indexed for ``run``, by old index -> new index."""
    results = RunResults(run, titles=dict(old.titles), device=old.device)
    for metric, by_index in old.values.items():
        for index in by_index.keys() & moved.keys():
            results.add(metric, moved[index], by_index[index])

    for metric, by_layer in old.layers.items():
        for layer, by_index in by_layer.items():
            for index in by_index.keys() & moved.keys():
                layers = results.layers.setdefault(metric, {}).setdefault(layer, {})
                layers[moved[index]] = by_index[index]

    for metric, messages in old.errors.items():
        for index in messages.keys() & moved.keys():
            results.add_error(metric, moved[index], messages[index])
    return results
