"""Transitions of each metric and the steps where metrics agree, as tables.

Two tables, each a plain CSV file:

- ``transitions.csv``: ``run,metric,step,checkpoint,score,before,after,kind``,
  one row per transition, by run, then metric, then step.
- ``agreement.csv``: ``run,rank,step,checkpoint,metrics,score``, one row per
  step where several metrics of a run change together, ranked by score
  within the run (rank 1 is the strongest); ``metrics`` joins the keys
  with ``;``.

They are separate files rather than sections of one, so each loads as it
is in pandas, a spreadsheet or ``csv.reader``.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from phaseviz.export._text import format_float, text_destination
from phaseviz.results import RunResults

if TYPE_CHECKING:
    from phaseviz.transitions.transition import Transition

logger = logging.getLogger(__name__)

TRANSITION_FIELDS = (
    "run",
    "metric",
    "step",
    "checkpoint",
    "score",
    "before",
    "after",
    "kind",
)
AGREEMENT_FIELDS = ("run", "rank", "step", "checkpoint", "metrics", "score")


@dataclass(frozen=True)
class TransitionRow:
    """One transition of one metric in one run.

    Attributes:
        run: The run's name.
        metric: The metric's key.
        step: The step of the first checkpoint after the change.
        checkpoint: That checkpoint's name.
        score: The detector's strength of the change.
        before: The metric's typical value before the change.
        after: The metric's typical value after it.
        kind: ``level``, ``slope`` or ``relative``.
    """

    run: str
    metric: str
    step: int
    checkpoint: str
    score: float
    before: float
    after: float
    kind: str


@dataclass(frozen=True)
class AgreementRow:
    """A step where several metrics of one run change together.

    Attributes:
        run: The run's name.
        rank: 1 for the strongest agreement of the run, then 2, 3, ...
        step: The step the transitions gather around.
        checkpoint: The name of the checkpoint at that step.
        metrics: The keys of the metrics that change there.
        score: The combined strength the ranking follows.
    """

    run: str
    rank: int
    step: int
    checkpoint: str
    metrics: tuple[str, ...]
    score: float


def detect_run_transitions(
    results: RunResults,
    metrics: Sequence[str] | None = None,
    detector: str = "default",
    tolerance: int = 1,
    options: Mapping[str, float] | None = None,
) -> tuple[list[TransitionRow], list[AgreementRow]]:
    """Find the transitions of each metric of a run and where they agree.

    Checkpoints whose value is NaN or infinite are left out of a metric's
    series before detection, so a failed checkpoint neither makes nor hides
    a transition.

    Args:
        results: The run's computed values.
        metrics: The metric keys to look at; every metric of ``results``
            when None.
        detector: A name from ``phaseviz.transitions.DETECTORS``.
        tolerance: How many checkpoints apart transitions of different
            metrics may be and still agree.
        options: The detector's own settings (``threshold``,
            ``sensitivity``), passed on to ``detect_transitions``.

    Returns:
        The transitions, by metric then step, and the agreements, ranked.
    """
    from phaseviz.transitions import agreement, detect_transitions

    run = results.run
    by_metric: dict[str, list[Transition]] = {}
    rows: list[TransitionRow] = []
    for metric in metrics if metrics is not None else results.metrics:
        indices = _finite_indices(results, metric)
        steps = [run.checkpoints[i].step for i in indices]
        values = [results.values[metric][i] for i in indices]
        found = detect_transitions(steps, values, detector=detector, **(options or {}))
        # The detector counts positions in the series it was given; the
        # agreement and the tables count checkpoints of the run.
        found = [dataclasses.replace(t, index=indices[t.index]) for t in found]
        by_metric[metric] = found
        rows.extend(_transition_row(results, metric, t) for t in found)
        logger.debug("run %s, metric %s: %d transitions", run.name, metric, len(found))

    agreements = agreement(by_metric, run.steps, tolerance=tolerance)
    ranked = sorted(agreements, key=lambda a: -a.score)
    agreement_rows = [
        AgreementRow(
            run.name,
            rank,
            a.step,
            run.checkpoints[a.index].name,
            tuple(a.metrics),
            a.score,
        )
        for rank, a in enumerate(ranked, start=1)
    ]
    return rows, agreement_rows


def write_transitions_csv(rows: Iterable[TransitionRow], dest: Path | TextIO) -> None:
    """Write transitions as ``run,metric,step,checkpoint,score,before,after,kind``.

    Args:
        rows: The transitions, in the order to write them.
        dest: A file path (overwritten) or an open text stream.
    """
    with text_destination(dest) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(TRANSITION_FIELDS)
        for row in rows:
            writer.writerow(
                [
                    row.run,
                    row.metric,
                    str(row.step),
                    row.checkpoint,
                    format_float(row.score),
                    format_float(row.before),
                    format_float(row.after),
                    row.kind,
                ]
            )


def write_agreement_csv(rows: Iterable[AgreementRow], dest: Path | TextIO) -> None:
    """Write agreements as ``run,rank,step,checkpoint,metrics,score``.

    Args:
        rows: The agreements, ranked within each run.
        dest: A file path (overwritten) or an open text stream.
    """
    with text_destination(dest) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(AGREEMENT_FIELDS)
        for row in rows:
            writer.writerow(
                [
                    row.run,
                    str(row.rank),
                    str(row.step),
                    row.checkpoint,
                    ";".join(row.metrics),
                    format_float(row.score),
                ]
            )


def _finite_indices(results: RunResults, metric: str) -> list[int]:
    by_index = results.values.get(metric, {})
    return [i for i in sorted(by_index) if math.isfinite(by_index[i])]


def _transition_row(
    results: RunResults, metric: str, transition: Transition
) -> TransitionRow:
    checkpoint = results.run.checkpoints[transition.index]
    return TransitionRow(
        results.run.name,
        metric,
        transition.step,
        checkpoint.name,
        transition.score,
        transition.before,
        transition.after,
        transition.kind,
    )
