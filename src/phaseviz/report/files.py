"""Writing a report folder: the HTML page, the CSV tables and the PNG charts."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from phaseviz.export import write_agreement_csv, write_transitions_csv
from phaseviz.report.content import collect_report
from phaseviz.report.html import render_html
from phaseviz.report.png import write_pngs
from phaseviz.results import RunResults

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportFiles:
    """The files of a report folder.

    Attributes:
        html: ``report.html``, self-contained, opens offline.
        metrics_csv: ``metrics.csv``, every value in long form.
        transitions_csv: ``transitions.csv``, every transition.
        pngs: ``charts/<metric>.png``, one per metric.
        agreement_csv: ``agreement.csv``, where metrics change together.
    """

    html: Path
    metrics_csv: Path
    transitions_csv: Path
    pngs: list[Path]
    agreement_csv: Path

    @property
    def all(self) -> list[Path]:
        """Every file, the page first."""
        return [
            self.html,
            self.metrics_csv,
            self.transitions_csv,
            self.agreement_csv,
            *self.pngs,
        ]


def export_report(
    results: Sequence[RunResults],
    out_dir: Path,
    *,
    metrics: Sequence[str] | None = None,
    detector: str = "default",
    detector_options: Mapping[str, float] | None = None,
    trust: bool = False,
) -> ReportFiles:
    """Write the report of one or more runs into ``out_dir``.

    Args:
        results: The computed runs; several runs share each chart.
        out_dir: The folder to write into; made if missing, files of the
            same names overwritten.
        metrics: The metric keys to report, in order; all when None.
        detector: The transition detector, a name in
            ``phaseviz.transitions.DETECTORS``.
        detector_options: The detector's own settings, such as
            ``threshold``.
        trust: Unpickle arbitrary objects when a checkpoint is read for
            the parameter count.

    Returns:
        The paths written.

    Example:
        >>> files = export_report([results], Path("report"))  # doctest: +SKIP
        >>> files.html
        PosixPath('report/report.html')
    """
    content = collect_report(
        results, metrics, detector, detector_options=detector_options, trust=trust
    )
    out_dir.mkdir(parents=True, exist_ok=True)

    files = ReportFiles(
        html=out_dir / "report.html",
        metrics_csv=out_dir / "metrics.csv",
        transitions_csv=out_dir / "transitions.csv",
        pngs=write_pngs(content, out_dir / "charts"),
        agreement_csv=out_dir / "agreement.csv",
    )
    files.metrics_csv.write_text(content.metrics_csv, encoding="utf-8")
    write_transitions_csv(content.transitions, files.transitions_csv)
    write_agreement_csv(content.agreements, files.agreement_csv)
    files.html.write_text(render_html(content), encoding="utf-8")
    logger.info(
        "report of %d runs, %d metrics written to %s",
        len(results),
        len(content.metrics),
        out_dir,
    )
    return files


def render_report(
    results: Sequence[RunResults],
    *,
    metrics: Sequence[str] | None = None,
    detector: str = "default",
    detector_options: Mapping[str, float] | None = None,
    trust: bool = False,
) -> str:
    """The report page of ``results`` as an HTML string, writing no file.

    Takes the arguments of :func:`export_report`, without the folder.
    """
    content = collect_report(
        results, metrics, detector, detector_options=detector_options, trust=trust
    )
    return render_html(content)
