"""Runs and browser settings shared by the report tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from phaseviz.checkpoints.run import Checkpoint, Run
from phaseviz.results import RunResults

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STEPS = [0, 10, 25, 60, 100, 150, 230, 300, 420, 500, 640, 800]


def build_results(
    name: str,
    steps: Sequence[int],
    series: dict[str, Sequence[float]],
    titles: dict[str, str] | None = None,
    device: str = "cpu",
) -> RunResults:
    """RunResults of a run named ``name``, one checkpoint per step."""
    folder = Path("/runs") / name
    checkpoints = tuple(
        Checkpoint(
            path=folder / f"ckpt_{step}.pt",
            name=f"ckpt_{step}.pt",
            format="torch",
            files=(folder / f"ckpt_{step}.pt",),
            step=step,
            step_source="data",
            size=100,
            mtime_ns=0,
        )
        for step in steps
    )
    results = RunResults(
        Run(folder, name, checkpoints),
        titles=dict(titles or {}),
        device=device,
        compute_seconds=1.25,
    )
    for metric, values in series.items():
        for index, value in enumerate(values):
            results.add(metric, index, value)
    return results


def jump(at: int, low: float, high: float, n: int = len(STEPS)) -> list[float]:
    """A flat series that jumps from ``low`` to ``high`` at position ``at``."""
    return [low if i < at else high for i in range(n)]


def two_runs_results() -> list[RunResults]:
    """Two runs whose l2 and entropy jump together, at different steps."""
    titles = {"l2": "L2 Norm", "entropy": "Weight Entropy"}
    return [
        build_results(
            "grok",
            STEPS,
            {"l2": jump(6, 1.0, 5.0), "entropy": jump(6, 2.0, 0.5)},
            titles,
        ),
        build_results(
            "baseline",
            STEPS,
            {"l2": jump(3, 1.0, 3.0), "entropy": jump(9, 2.0, 1.0)},
            titles,
        ),
    ]


class Offline:
    """A browser context whose only reachable origins are those allowed."""

    def __init__(self, browser, allowed: Sequence[str] = ("file://",)) -> None:
        self.blocked: list[str] = []
        self.allowed = tuple(allowed)
        self.context = browser.new_context(accept_downloads=True)
        self.context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.allowed) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()
