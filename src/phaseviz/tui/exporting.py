"""Writing the report from the app, on a worker thread."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from textual.message import Message

from phaseviz.results import RunResults
from phaseviz.tui.messages import ExportFailed, ReportExported

logger = logging.getLogger(__name__)


def report_folder(base: Path, runs: Sequence[str], now: float | None = None) -> Path:
    """A new folder name such as ``phaseviz-report-<run>-20250101-120000``.

    A folder that exists already gets a number, so two exports in one
    second never overwrite each other.

    Args:
        base: The folder it goes in.
        runs: The runs' names; several are joined with ``+``.
        now: The time to stamp it with; the current time by default.
    """
    names = "+".join(runs)
    names = re.sub(r"[^A-Za-z0-9._+-]+", "_", names)[:60] or "run"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    folder = base / f"phaseviz-report-{names}-{stamp}"
    number = 2
    while folder.exists():
        folder = base / f"phaseviz-report-{names}-{stamp}-{number}"
        number += 1
    return folder


def export(
    results: Sequence[RunResults],
    folder: Path,
    metrics: Sequence[str],
    detector: str,
    post: Callable[[Message], object],
) -> None:
    """Write the report of ``results`` into ``folder``, posting the outcome.

    Runs on a worker thread and never raises: a failure is posted as
    ``ExportFailed`` with the reason.
    """
    from phaseviz.report import export_report

    try:
        files = export_report(
            results, folder, metrics=list(metrics) or None, detector=detector
        )
    except Exception as error:
        logger.exception("exporting the report to %s failed", folder)
        post(ExportFailed(f"{folder}: {error}"))
        return

    logger.info("report written to %s", folder)
    post(ReportExported(folder, files.all))
