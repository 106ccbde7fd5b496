"""Computing built-in metrics of one checkpoint, sharing every pass.

One call gathers what the requested keys need and nothing more: one sweep
over the elements for every per-tensor sum (after a cheap pass for the
extremes, where a metric needs them), and one singular value decomposition
per matrix shared by every spectral metric.
Each metric is then a formula over those statistics.

Every pass reads P tensor by tensor, in order. When P can release its
tensors (memory-mapped checkpoints, see :class:`Releasing`), each tensor's
memory is given back once the pass moves on, so a computation holds about
one tensor of P at a time.

NaN or infinite weights never raise: a NaN weight makes NaN every value
whose formula reads it (the sums, moments, counts and extremes of its
tensor, its matrix's spectrum, and the totals over P); an infinite one
gives the value the formula gives in IEEE arithmetic, NaN where that is
undefined (``entropy`` over an infinite range, a spectrum).
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor

from phaseviz.metrics.builtins import BUILDERS, MetricResult
from phaseviz.metrics.elementwise import ElementSweep, Sums
from phaseviz.metrics.errors import UnknownMetricError
from phaseviz.metrics.gathered import Gathered
from phaseviz.metrics.parameters import matrix_shape
from phaseviz.metrics.placement import DeviceTensors, Releasing
from phaseviz.metrics.plan import needs_of
from phaseviz.metrics.registry import BUILTIN
from phaseviz.metrics.spectrum import current_method, spectra
from phaseviz.metrics.trajectory import TrajectoryReference, usable_references

logger = logging.getLogger(__name__)

SPECTRAL_METHODS = ("exact", "fast")
# The spectral metrics that read more of the spectrum than s_max and ‖W‖_F.
WHOLE_SPECTRUM_KEYS = frozenset({"rank", "effective_rank", "condition", "isotropy"})


def compute_metrics(
    params: Mapping[str, Tensor],
    keys: Sequence[str],
    *,
    device: torch.device | str = "cpu",
    per_layer: bool = True,
    trajectory: TrajectoryReference | None = None,
    checkpoint: str = "",
    spectral: str | None = None,
) -> dict[str, MetricResult]:
    """The built-in metrics ``keys`` of one checkpoint's parameters P.

    Args:
        params: P by state-dict name, as :func:`select_parameters` gives it.
            Tensors without elements hold no weights and are left out. When
            it is :class:`Releasing`, each tensor's memory is given back
            once it is read.
        keys: Built-in metric keys.
        device: Where to compute: sums and singular values run in float64 on
            the CPU; on a GPU sums run in float64 and singular values in
            float32.
        per_layer: Also give per-layer values (skipping them saves the
            per-tensor histograms of ``entropy``).
        trajectory: The flattened P of the checkpoints the trajectory
            metrics compare with; without one those metrics are NaN.
        checkpoint: The checkpoint's name, for log lines.
        spectral: ``exact`` (one decomposition per matrix) or ``fast`` (the
            estimates of :mod:`phaseviz.metrics.approximate`); None takes
            the method set by :func:`phaseviz.metrics.spectrum.spectral_method`.

    Returns:
        Key → result, for every key asked.

    Raises:
        UnknownMetricError: A key is not a built-in metric.
        ValueError: ``spectral`` is no method.

    Example:
        >>> params = {"fc.weight": torch.eye(3), "fc.bias": torch.zeros(3)}
        >>> results = compute_metrics(params, ["effective_rank", "l2"])
        >>> round(results["effective_rank"].value, 12), results["l2"].layers
        (3.0, {'fc.weight': 1.7320508075688772, 'fc.bias': 0.0})
    """
    for key in keys:
        if key not in BUILDERS:
            raise UnknownMetricError(key, _suggest(key))
    method = spectral or current_method()
    if method not in SPECTRAL_METHODS:
        raise ValueError(f"spectral method {method!r} is not one of {SPECTRAL_METHODS}")

    items = [(name, t) for name, t in params.items() if t.numel() > 0]
    if not items:
        return {key: _undefined(key, per_layer) for key in keys}

    release = params.release if isinstance(params, Releasing) else None
    gathered = gather(
        items,
        keys,
        torch.device(device),
        per_layer,
        trajectory,
        checkpoint,
        method=method,
        release=release,
    )
    return {key: BUILDERS[key](gathered) for key in keys}


def gather(
    items: Sequence[tuple[str, Tensor]],
    keys: Sequence[str],
    device: torch.device,
    per_layer: bool,
    trajectory: TrajectoryReference | None,
    checkpoint: str,
    method: str = "exact",
    release: Callable[[Tensor], None] | None = None,
) -> Gathered:
    """Every statistic the metrics ``keys`` read, each computed once."""
    tensors = DeviceTensors([t for _, t in items], device, release)
    try:
        return _gather(items, keys, tensors, per_layer, trajectory, checkpoint, method)
    finally:
        tensors.finish()


def _gather(
    items: Sequence[tuple[str, Tensor]],
    keys: Sequence[str],
    tensors: DeviceTensors,
    per_layer: bool,
    trajectory: TrajectoryReference | None,
    checkpoint: str,
    method: str,
) -> Gathered:
    needs = needs_of(keys)
    sizes = [t.numel() for _, t in items]
    shapes = {
        i: s for i, (_, t) in enumerate(items) if (s := matrix_shape(t)) is not None
    }
    references = usable_references(trajectory, needs.references, sum(sizes), checkpoint)

    sums = Sums({})
    if needs.elementwise:
        sums = ElementSweep(tensors, needs, per_layer, references).run()

    gathered = Gathered(
        names=[name for name, _ in items],
        sizes=sizes,
        shapes=shapes,
        stats=sums.per_tensor,
        entropy=sums.entropy,
        references=frozenset(references),
        per_layer=per_layer,
    )
    if needs.spectra:
        top = not WHOLE_SPECTRUM_KEYS.intersection(keys)
        gathered.spectra = spectra(tensors, shapes, checkpoint, method=method, top=top)
    return gathered


def _undefined(key: str, per_layer: bool) -> MetricResult:
    has_layers = per_layer and BUILTIN[key].per_layer
    return MetricResult(math.nan, {} if has_layers else None)


def _suggest(key: str) -> list[str]:
    return difflib.get_close_matches(key, list(BUILDERS), n=3)
