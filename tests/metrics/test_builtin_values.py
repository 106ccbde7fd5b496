"""Every built-in metric against the NumPy reference, and known closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from phaseviz.metrics import (
    BUILTIN,
    TrajectoryReference,
    compute_metrics,
    elementwise,
    flatten_parameters,
    select_parameters,
)

from . import reference
from .cases import CASES, numpy_state

RTOL = 1e-10
ATOL = 1e-12


def assert_same(actual: float, expected: float, what: str) -> None:
    if math.isnan(expected) or math.isinf(expected):
        assert actual == expected or (math.isnan(actual) and math.isnan(expected)), (
            f"{what}: {actual} != {expected}"
        )
        return
    assert actual == pytest.approx(expected, rel=RTOL, abs=ATOL), what


def _moved(params: dict[str, torch.Tensor], seed: int) -> torch.Tensor:
    flat = flatten_parameters(params)
    noise = torch.randn(
        flat.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    return flat + 0.1 * noise


@pytest.fixture(
    scope="module",
    params=[(name, chunk) for name in CASES for chunk in (None, 5)],
    ids=lambda p: p[0] if p[1] is None else f"{p[0]}-chunks-of-{p[1]}",
)
def case(request):
    """A case's computed and reference metrics; also read in 5-element chunks."""
    name, chunk = request.param
    state = CASES[name]()
    params = select_parameters(state)
    refs = {
        role: _moved(params, seed)
        for seed, role in enumerate(("first", "previous", "final"))
    }
    with pytest.MonkeyPatch.context() as patch:
        if chunk is not None:
            patch.setattr(elementwise, "CPU_CHUNK", chunk)
        computed = compute_metrics(
            params, list(BUILTIN), trajectory=TrajectoryReference(**refs)
        )
    expected = reference.metrics(
        reference.select(numpy_state(state)),
        **{role: ref.numpy() for role, ref in refs.items()},
    )
    return name, computed, expected


@pytest.mark.parametrize("key", list(BUILTIN))
def test_metric_matches_reference(case, key):
    """Value and per-layer values of every built-in metric equal the reference."""
    name, computed, expected = case
    value, layers = expected[key]
    assert_same(computed[key].value, value, f"{name}/{key}")

    if layers is None:
        assert computed[key].layers is None
        return
    assert computed[key].layers is not None
    assert list(computed[key].layers) == list(layers)
    for layer, layer_value in layers.items():
        assert_same(computed[key].layers[layer], layer_value, f"{name}/{key}/{layer}")


def test_reference_covers_every_builtin():
    """The reference defines every key of the registry, so none goes unchecked."""
    expected = reference.metrics({"w": np.eye(2)})
    assert set(expected) == set(BUILTIN)


def _values(params, *keys):
    results = compute_metrics(params, list(keys))
    return [results[k].value for k in keys]


def test_identity_closed_forms():
    """Identity n: effective rank n, isotropy 1, condition 1, stable rank n."""
    n = 7
    eff, iso, cond, stable, spec = _values(
        {"w": torch.eye(n)},
        "effective_rank",
        "isotropy",
        "condition",
        "stable_rank",
        "spectral",
    )
    assert eff == pytest.approx(n, rel=1e-12)
    assert iso == pytest.approx(1.0, rel=1e-12)
    assert cond == pytest.approx(1.0, rel=1e-12)
    assert stable == pytest.approx(n, rel=1e-12)
    assert spec == pytest.approx(1.0, rel=1e-12)


def test_rank_one_closed_forms():
    """A dense rank-one matrix: effective rank 1, isotropy 1/r, stable rank 1."""
    u = torch.arange(1.0, 7.0, dtype=torch.float64)
    v = torch.tensor([0.5, -1.0, 2.0, 0.25], dtype=torch.float64)
    eff, iso, stable, cond = _values(
        {"w": torch.outer(u, v)},
        "effective_rank",
        "isotropy",
        "stable_rank",
        "condition",
    )
    assert eff == pytest.approx(1.0, rel=1e-10)
    assert iso == pytest.approx(1 / 4, rel=1e-10)
    assert stable == pytest.approx(1.0, rel=1e-10)
    # The smaller singular values are rounding noise or exactly zero: the
    # condition is huge, or NaN when every matrix is left out for s_min = 0.
    assert math.isnan(cond) or cond > 1e12


def test_singular_matrix_condition_is_inf_per_layer_and_left_out():
    """s_min = 0 gives +inf for that layer and the mean skips it."""
    singular = torch.zeros(3, 3, dtype=torch.float64)
    singular[0, 0] = 2.0
    diagonal = torch.diag(torch.tensor([4.0, 2.0, 1.0], dtype=torch.float64))
    result = compute_metrics({"s": singular, "d": diagonal}, ["condition"])["condition"]
    assert result.layers == {"s": math.inf, "d": pytest.approx(4.0)}
    assert result.value == pytest.approx(4.0)


def test_large_normal_has_kurtosis_three_and_no_skew():
    """Pearson kurtosis of many normal draws is about 3 and skew about 0."""
    draws = torch.randn(200_000, generator=torch.Generator().manual_seed(0))
    kurt, sk = _values({"w": draws}, "kurtosis", "skew")
    assert kurt == pytest.approx(3.0, abs=0.05)
    assert sk == pytest.approx(0.0, abs=0.02)


def test_uniform_values_fill_every_bin_equally():
    """Evenly spread weights have entropy ln 100."""
    grid = torch.arange(1000, dtype=torch.float64)
    (h,) = _values({"w": grid}, "entropy")
    assert h == pytest.approx(math.log(100), rel=1e-12)


def test_capacity_sums_log_output_widths():
    """Capacity counts matrices only: ln(5) + ln(3) for outputs 4 and 2."""
    params = {"a": torch.ones(4, 3), "a_bias": torch.ones(4), "b": torch.ones(2, 4, 3)}
    (cap,) = _values(params, "capacity")
    assert cap == pytest.approx(math.log(5) + math.log(3), rel=1e-14)


def test_empty_parameters_give_nan():
    """No parameters at all: every metric is NaN, nothing raises."""
    results = compute_metrics({}, list(BUILTIN))
    assert all(math.isnan(r.value) for r in results.values())


def test_per_layer_false_gives_no_layers():
    """per_layer=False leaves every result without per-layer values."""
    params = select_parameters(CASES["conv"]())
    results = compute_metrics(params, list(BUILTIN), per_layer=False)
    assert all(r.layers is None for r in results.values())
    assert results["entropy"].value == pytest.approx(
        compute_metrics(params, ["entropy"])["entropy"].value, rel=1e-15
    )


def test_nan_weight_propagates_without_raising():
    """A NaN weight makes what reads it NaN; other layers keep their values."""
    bad = torch.ones(3, 3)
    bad[1, 1] = math.nan
    params = {"bad": bad, "good": torch.eye(3)}
    results = compute_metrics(params, list(BUILTIN))
    for key in (
        "l2",
        "mean",
        "variance",
        "entropy",
        "spectral",
        "dead_neurons",
        "effective_rank",
        "max_activation",
        "participation",
    ):
        assert math.isnan(results[key].value), key
    assert results["l2"].layers["good"] == pytest.approx(math.sqrt(3))
    assert math.isnan(results["effective_rank"].layers["bad"])
    assert results["effective_rank"].layers["good"] == pytest.approx(3.0)


def test_infinite_weight_does_not_raise():
    """An infinite weight gives inf norms and NaN where a value is undefined."""
    params = {"w": torch.tensor([[1.0, math.inf], [0.0, 2.0]])}
    results = compute_metrics(params, list(BUILTIN))
    assert results["l2"].value == math.inf
    assert math.isnan(results["entropy"].value)
    assert math.isnan(results["spectral"].value)
    assert results["dead_neurons"].value == pytest.approx(25.0)
