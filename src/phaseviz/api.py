"""``phaseviz.compute``: the engine for notebooks and scripts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from phaseviz.checkpoints import ModelSpec, discover_run
from phaseviz.engine import ComputeOptions, compute_results


def compute(
    run_dir: str | Path,
    metrics: str | Sequence[str] = "all",
    *,
    device: str = "cuda",
    per_layer: bool = False,
    metric_files: Sequence[str | Path] = (),
    model: str | Path | None = None,
    class_name: str | None = None,
    trust_checkpoints: bool = False,
    cache: bool = True,
    parallel: bool = True,
) -> Any:
    """Compute metrics over a run folder, as ``phaseviz compute`` does.

    Args:
        run_dir: The folder of checkpoints.
        metrics: ``"all"``, comma-separated keys, or a list of keys.
        device: ``cuda`` (falls back to the CPU), ``cuda:N`` or ``cpu``.
        per_layer: Also return a record per layer, with a ``layer`` field.
        metric_files: Files of custom ``*_of_model`` metrics.
        model: A Python file defining the model class.
        class_name: The class in ``model``; optional when it defines one.
        trust_checkpoints: Unpickle arbitrary objects in checkpoints.
        cache: Read and write the results cache in the run folder.
        parallel: Read the next checkpoint while computing this one.

    Returns:
        A pandas DataFrame with the columns ``run, checkpoint, step,
        metric, value`` (and ``layer``) when pandas is installed, else a
        list of dicts with those keys.

    Example:
        >>> df = phaseviz.compute("runs/grokking", "l2,entropy")  # doctest: +SKIP
    """
    spec = ModelSpec(Path(model), class_name) if model else None
    options = ComputeOptions(
        device=device,
        model=spec,
        metric_files=tuple(Path(f) for f in metric_files),
        trust=trust_checkpoints,
        cache=cache,
        parallel=parallel,
        per_layer=per_layer,
    )
    run = discover_run(run_dir, trust=trust_checkpoints)
    results = compute_results(run, metrics, options)

    records = [dataclasses.asdict(v) for v in results.records(per_layer=per_layer)]
    if not per_layer:
        for record in records:
            record.pop("layer")
    try:
        import pandas
    except ImportError:
        return records
    return pandas.DataFrame.from_records(records)
