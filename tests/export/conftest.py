from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from phaseviz.checkpoints.run import Checkpoint, Run
from phaseviz.results import RunResults

MakeResults = Callable[..., RunResults]


def build_results(
    name: str,
    steps: Sequence[int],
    series: dict[str, Sequence[float]],
    layers: dict[str, dict[str, Sequence[float]]] | None = None,
    titles: dict[str, str] | None = None,
) -> RunResults:
    """RunResults of a run named ``name`` with one checkpoint per step."""
    folder = Path("/runs") / name
    checkpoints = tuple(
        Checkpoint(
            path=folder / f"step_{step}.pt",
            name=f"step_{step}.pt",
            format="torch",
            files=(folder / f"step_{step}.pt",),
            step=step,
            step_source="data",
            size=100,
            mtime_ns=0,
        )
        for step in steps
    )
    results = RunResults(Run(folder, name, checkpoints), titles=dict(titles or {}))
    for metric, values in series.items():
        for index, value in enumerate(values):
            by_layer = {
                layer: layer_values[index]
                for layer, layer_values in (layers or {}).get(metric, {}).items()
            }
            results.add(metric, index, value, by_layer or None)
    return results


@pytest.fixture
def make_results() -> MakeResults:
    return build_results
