"""One PNG chart per metric, drawn by matplotlib without a display."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from phaseviz.report.content import ReportContent, Series

if TYPE_CHECKING:
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)

# plotly's dash names, as matplotlib spells them.
_LINESTYLES = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-."}


def write_pngs(content: ReportContent, out_dir: Path) -> list[Path]:
    """Draw each metric of ``content`` against step into ``out_dir``.

    Each chart has the runs as lines, each run's transitions as dotted
    vertical lines in the run's colour, a title and a legend. Files are
    named after the metric key (``l2.png``, ``recorded.eval_loss.png``).

    Returns:
        The files written, in the order of ``content.metrics``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for key in content.metrics:
        figure = Figure(figsize=(8, 4.5), dpi=120, layout="constrained")
        draw_metric(figure.add_subplot(), content, key)
        path = _free_path(out_dir, _file_name(key), paths)
        figure.savefig(path)
        logger.debug("metric %s: chart written to %s", key, path)
        paths.append(path)
    return paths


def draw_metric(axes: Axes, content: ReportContent, key: str) -> None:
    """Draw metric ``key`` of every run, and its transitions, on ``axes``.

    The step axis is logarithmic when ``content.log_steps`` says so.
    """
    title = content.titles[key]
    for series in content.series[key]:
        style = content.style_of(series.run)
        axes.plot(
            series.steps,
            _plottable(series),
            color=style.color,
            linestyle=_LINESTYLES[style.dash],
            linewidth=1.8,
            marker="o" if len(series.steps) <= 80 else None,
            markersize=3,
            label=series.run,
        )

    marked = set()
    for transition in content.transitions_of(key):
        style = content.style_of(transition.run)
        label = None if transition.run in marked else f"transitions · {transition.run}"
        marked.add(transition.run)
        axes.axvline(
            transition.step,
            color=style.color,
            linestyle=":",
            linewidth=1.3,
            alpha=0.8,
            label=label,
        )

    axes.set_title(f"{title} ({key})" if title != key else title)
    axes.set_xlabel("step (log scale)" if content.log_steps else "step")
    if content.log_steps:
        _log_scale(axes, content)
    axes.set_ylabel(title)
    axes.grid(True, color="#e6e9ed")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small")


def _log_scale(axes: Axes, content: ReportContent) -> None:
    """A log step axis; symlog, linear below the first positive step, for step 0."""
    if not content.step_offset:
        axes.set_xscale("log")
        return
    positive = [
        s for series in content.series.values() for r in series for s in r.steps
    ]
    first = min((s for s in positive if s > 0), default=1)
    axes.set_xscale("symlog", linthresh=first)
    # Steps are never negative; symlog would otherwise pad the left with them.
    axes.set_xlim(left=min(positive, default=0))


def _plottable(series: Series) -> list[float]:
    # matplotlib draws inf as a spike off the chart; a gap says "no value".
    return [v if math.isfinite(v) else math.nan for v in series.values]


def _free_path(out_dir: Path, stem: str, taken: list[Path]) -> Path:
    # Keys that differ only in characters a file name cannot hold would
    # otherwise overwrite each other's chart.
    path, n = out_dir / f"{stem}.png", 1
    while path in taken:
        n += 1
        path = out_dir / f"{stem}-{n}.png"
    return path


def _file_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)
