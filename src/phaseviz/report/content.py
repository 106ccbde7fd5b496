"""What a report shows, gathered once for the HTML page and the PNG charts."""

from __future__ import annotations

import io
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from phaseviz.export import (
    AgreementRow,
    TransitionRow,
    detect_run_transitions,
    write_metrics_csv,
)
from phaseviz.report.summary import RunSummary, summarize_run
from phaseviz.results import RunResults

logger = logging.getLogger(__name__)

_Row = TypeVar("_Row", TransitionRow, AgreementRow)

# Colour-blind-safe (Okabe-Ito), with a dash style per run so runs stay apart
# in greyscale prints too.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
DASHES = ("solid", "dash", "dot", "dashdot")


@dataclass(frozen=True)
class Series:
    """One metric of one run, in step order.

    Attributes:
        run: The run's name.
        steps: The steps of the checkpoints that have a value.
        values: The values; NaN where the metric failed.
        checkpoints: The names of those checkpoints.
    """

    run: str
    steps: list[int]
    values: list[float]
    checkpoints: list[str]


@dataclass(frozen=True)
class RunStyle:
    """How one run is drawn in every chart.

    Attributes:
        name: The run's name.
        color: A CSS colour.
        dash: A plotly dash name (``solid``, ``dash``, ``dot``, ``dashdot``).
    """

    name: str
    color: str
    dash: str


@dataclass
class ReportContent:
    """Everything a report shows.

    Attributes:
        metrics: The metric keys, in display order.
        titles: The title of each metric key.
        series: metric key -> one series per run that has the metric.
        runs: The drawing style of each run, in the order given.
        summaries: A summary of each run.
        transitions: Every transition, by run, then metric, then step.
        agreements: Where metrics of a run agree, ranked within each run.
        metrics_csv: The long-form CSV of every value, as written to disk.
        detector: The transition detector's name.
        log_steps: Draw the charts on a log step axis at first: every run's
            checkpoints are spaced evenly in log(step).
        step_offset: The c of a log axis drawn at step + c, so a run that
            starts at step 0 fits on it; 0 when every step is positive.
    """

    metrics: list[str]
    titles: dict[str, str]
    series: dict[str, list[Series]]
    runs: list[RunStyle]
    summaries: list[RunSummary]
    transitions: list[TransitionRow] = field(default_factory=list)
    agreements: list[AgreementRow] = field(default_factory=list)
    metrics_csv: str = ""
    detector: str = "default"
    log_steps: bool = False
    step_offset: float = 0.0

    def transitions_of(self, metric: str) -> list[TransitionRow]:
        """The transitions of ``metric`` in every run."""
        return [t for t in self.transitions if t.metric == metric]

    def style_of(self, run: str) -> RunStyle:
        """The drawing style of the run named ``run``."""
        return next(style for style in self.runs if style.name == run)


def collect_report(
    results: Sequence[RunResults],
    metrics: Sequence[str] | None = None,
    detector: str = "default",
    *,
    detector_options: Mapping[str, float] | None = None,
    trust: bool = False,
) -> ReportContent:
    """Gather the series, transitions and summaries of ``results``.

    Args:
        results: One entry per run; runs of the same name are told apart by
            a ``#2``, ``#3`` suffix.
        metrics: The metric keys to show, in this order; every metric with
            a value in some run when None.
        detector: The transition detector's name.
        detector_options: The detector's own settings, such as
            ``threshold``.
        trust: Unpickle arbitrary objects when a checkpoint is read for
            the parameter count.

    Raises:
        ValueError: ``results`` is empty.
    """
    if not results:
        raise ValueError("a report needs at least one run")

    names = _unique_names(results)
    keys = _metric_keys(results, metrics)
    titles: dict[str, str] = {}
    for run_results in results:
        titles.update(run_results.titles)

    content = ReportContent(
        metrics=keys,
        titles={key: titles.get(key, key) for key in keys},
        series={key: [] for key in keys},
        runs=[
            RunStyle(name, PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)])
            for i, name in enumerate(names)
        ],
        summaries=[],
        detector=detector,
    )
    for name, run_results in zip(names, results, strict=True):
        _add_run(content, name, run_results, dict(detector_options or {}), trust)

    buffer = io.StringIO()
    write_metrics_csv(results, buffer)
    content.metrics_csv = buffer.getvalue()
    content.log_steps, content.step_offset = step_axis([r.run.steps for r in results])
    return content


def step_axis(runs_steps: Sequence[Sequence[int]]) -> tuple[bool, float]:
    """Whether to chart steps on a log axis, and the offset c of step + c there.

    Log when every run's checkpoints are spaced evenly in log(step), as the
    transition detectors decide it
    (:func:`~phaseviz.transitions.coordinates.choose_axis`). The offset
    comes from all runs' steps together, so one axis fits every run.
    """
    import numpy as np

    from phaseviz.transitions.coordinates import choose_axis, log_offset

    steps = sorted({step for run in runs_steps for step in run})
    if not steps:
        return False, 0.0
    log = all(
        choose_axis(np.array(sorted(set(run)), dtype=float)) == "log"
        for run in runs_steps
    )
    return log, float(log_offset(np.array(steps, dtype=float)))


def _add_run(
    content: ReportContent,
    name: str,
    results: RunResults,
    detector_options: dict[str, float],
    trust: bool,
) -> None:
    present = [key for key in content.metrics if key in results.values]
    for key in present:
        indices = sorted(results.values[key])
        checkpoints = [results.run.checkpoints[i] for i in indices]
        content.series[key].append(
            Series(
                name,
                [c.step for c in checkpoints],
                [results.values[key][i] for i in indices],
                [c.name for c in checkpoints],
            )
        )

    transitions, agreements = detect_run_transitions(
        results, present, content.detector, tolerance=1, options=detector_options
    )
    content.transitions.extend(_renamed(t, name) for t in transitions)
    content.agreements.extend(_renamed(a, name) for a in agreements)
    content.summaries.append(summarize_run(results, name, trust=trust))


def _unique_names(results: Sequence[RunResults]) -> list[str]:
    seen: Counter[str] = Counter()
    names = []
    for run_results in results:
        name = run_results.run.name
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return names


def _metric_keys(
    results: Sequence[RunResults], metrics: Sequence[str] | None
) -> list[str]:
    # Titles come in the order the metrics were asked for; values in the
    # order they arrived.
    ordered = dict.fromkeys(k for r in results for k in (*r.titles, *r.values))
    with_values = {k for r in results for k in r.values}
    available = [key for key in ordered if key in with_values]
    if metrics is None:
        return available

    missing = [key for key in metrics if key not in available]
    if missing:
        logger.warning(
            "no values for metrics %s; left out of the report", ", ".join(missing)
        )
    return [key for key in dict.fromkeys(metrics) if key in available]


def _renamed(row: _Row, name: str) -> _Row:
    return row if row.run == name else replace(row, run=name)


def finite_range(values: Sequence[float]) -> tuple[float, float] | None:
    """The smallest and largest finite value, or None if there is none."""
    finite = [v for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else None
