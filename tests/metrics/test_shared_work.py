"""Shared work: each statistic and each decomposition happens once, if needed."""

from __future__ import annotations

import pytest
import torch

from phaseviz.metrics import BUILTIN, compute_metrics
from phaseviz.metrics.histogram import Histogram
from phaseviz.metrics.parameters import matrix_shape
from phaseviz.metrics.placement import DeviceTensors
from phaseviz.metrics.plan import SPECTRAL_KEYS
from phaseviz.metrics.spectrum import spectra

PARAMS = {
    "a.weight": torch.randn(6, 4, generator=torch.Generator().manual_seed(0)),
    "a.bias": torch.randn(6, generator=torch.Generator().manual_seed(1)),
    "b.weight": torch.randn(3, 2, 2, 2, generator=torch.Generator().manual_seed(2)),
    "c.weight": torch.randn(6, 4, generator=torch.Generator().manual_seed(3)),
}
MATRICES = 3


class Counter:
    """Wraps a torch function and counts calls and matrices decomposed."""

    def __init__(self, function):
        self.function = function
        self.calls = 0
        self.matrices = 0

    def __call__(self, tensor, *args, **kwargs):
        self.calls += 1
        self.matrices += tensor.shape[0] if tensor.ndim == 3 else 1
        return self.function(tensor, *args, **kwargs)


@pytest.fixture
def svdvals(monkeypatch):
    counter = Counter(torch.linalg.svdvals)
    monkeypatch.setattr(torch.linalg, "svdvals", counter)
    return counter


@pytest.mark.parametrize(
    "keys",
    [
        ["spectral"],
        ["effective_rank", "rank", "condition"],
        sorted(SPECTRAL_KEYS),
        list(BUILTIN),
    ],
)
def test_each_matrix_is_decomposed_exactly_once(svdvals, keys):
    """However many spectral metrics are asked, one SVD per matrix."""
    compute_metrics(PARAMS, keys)
    assert svdvals.matrices == MATRICES
    assert svdvals.calls == MATRICES


def test_no_decomposition_without_a_spectral_metric(svdvals):
    """Elementwise metrics alone never decompose a matrix."""
    compute_metrics(PARAMS, [k for k in BUILTIN if k not in SPECTRAL_KEYS])
    assert svdvals.calls == 0


def test_histograms_are_filled_only_for_entropy(monkeypatch):
    """No binning without entropy; one histogram per chunk, two with layers."""
    filled = []
    original = Histogram.add
    monkeypatch.setattr(
        Histogram, "add", lambda self, *a: filled.append(1) or original(self, *a)
    )
    compute_metrics(PARAMS, [k for k in BUILTIN if k != "entropy"])
    assert filled == []

    compute_metrics(PARAMS, ["entropy"], per_layer=False)
    assert len(filled) == len(PARAMS)

    filled.clear()
    compute_metrics(PARAMS, ["entropy"])
    assert len(filled) == 2 * len(PARAMS)


def test_norms_alone_skip_the_moments_and_extremes(monkeypatch):
    """l2 reads only Σ w²: no extremes, no centring pass."""
    counters = {name: Counter(getattr(torch, name)) for name in ("aminmax", "sub")}
    for name, counter in counters.items():
        monkeypatch.setattr(torch, name, counter)
    compute_metrics(PARAMS, ["l2", "weight_norm"])
    assert counters["aminmax"].calls == 0
    assert counters["sub"].calls == 0


def test_every_tensor_is_upcast_once_per_sweep(monkeypatch):
    """All statistics of a float32 tensor come from a single float64 copy."""
    copies = []
    original = torch.Tensor.copy_

    def counting_copy(self, source, *args, **kwargs):
        copies.append(source.numel())
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "copy_", counting_copy)
    keys = [k for k in BUILTIN if k not in SPECTRAL_KEYS and k != "entropy"]
    compute_metrics(PARAMS, keys)
    assert sorted(copies) == sorted(t.numel() for t in PARAMS.values())


def test_batched_path_stacks_each_shape_into_one_call(svdvals):
    """The GPU path: one svdvals call per shape, values as float32 allows."""
    tensors = DeviceTensors(list(PARAMS.values()), torch.device("cpu"))
    shapes = {i: s for i, t in enumerate(PARAMS.values()) if (s := matrix_shape(t))}
    stacked = spectra(tensors, shapes, batched=True)
    assert svdvals.calls == 2
    assert svdvals.matrices == MATRICES

    single = spectra(tensors, shapes, batched=False)
    assert stacked.keys() == single.keys()
    for index, spectrum in single.items():
        for field in ("largest", "smallest", "total", "entropy", "squares"):
            assert getattr(stacked[index], field) == pytest.approx(
                getattr(spectrum, field), rel=1e-5
            ), field


def test_extremes_alone_read_tensors_as_stored(monkeypatch):
    """max_activation needs only min and max: nothing is widened to float64."""
    copies = []
    original = torch.Tensor.copy_
    monkeypatch.setattr(
        torch.Tensor,
        "copy_",
        lambda self, *a, **k: copies.append(1) or original(self, *a, **k),
    )
    result = compute_metrics(PARAMS, ["max_activation"])["max_activation"]
    assert copies == []
    assert result.value == max(
        float(t.abs().max()) for t in PARAMS.values() if t.ndim >= 2
    )
