from __future__ import annotations

import math

import pytest
import torch

from phaseviz.checkpoints import discover_run
from phaseviz.engine import ComputeOptions, ValueComputed, compute_results, compute_run
from phaseviz.engine.options import OptionError
from phaseviz.metrics import compute_metrics, spectrum
from phaseviz.metrics.approximate import (
    GRAM_CONDITION_LIMIT,
    gram_singular_values,
    largest_singular_values,
)
from phaseviz.metrics.placement import DeviceTensors
from phaseviz.metrics.spectrum import batch_size, spectra

from scale_helpers import save_run

F64 = torch.float64
SPECTRAL = ["effective_rank", "condition", "flatness", "isotropy", "spectral"]
SPECTRAL += ["stable_rank", "rank"]
TOP = ["spectral", "stable_rank", "flatness"]


def prescribed(rows: int, columns: int, values: torch.Tensor, seed: int = 0):
    """A matrix with exactly the singular values ``values``."""
    generator = torch.Generator().manual_seed(seed)
    left, _ = torch.linalg.qr(
        torch.randn(rows, len(values), generator=generator, dtype=F64)
    )
    right, _ = torch.linalg.qr(
        torch.randn(columns, len(values), generator=generator, dtype=F64)
    )
    return left @ torch.diag(values.to(F64)) @ right.T


def gaussian(rows: int, columns: int, seed: int = 0, dtype=F64) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, columns, generator=generator, dtype=dtype)


STRUCTURED = {
    "decaying 1/i": prescribed(120, 90, 1 / torch.arange(1, 91)),
    "slow decay": prescribed(80, 160, torch.arange(1, 81) ** -0.5),
    "clustered top": prescribed(
        100, 100, torch.cat([torch.tensor([1.0, 0.9999]), torch.rand(98) * 0.5])
    ),
    "spike on noise": gaussian(150, 150)
    + 40 * torch.outer(gaussian(150, 1, 1)[:, 0], gaussian(150, 1, 2)[:, 0]) / 150,
    "rank one": torch.outer(gaussian(60, 1, 3)[:, 0], gaussian(40, 1, 4)[:, 0]),
}


@pytest.mark.parametrize("shape", [(200, 200), (300, 120), (90, 260)])
def test_lanczos_s_max_of_gaussian_matrices_within_1e6(shape):
    matrix = gaussian(*shape)
    exact = torch.linalg.svdvals(matrix)[0]

    estimate = largest_singular_values(matrix.unsqueeze(0))[0]

    assert abs(estimate - exact) / exact <= 1e-6
    assert estimate <= exact * (1 + 1e-12)


@pytest.mark.parametrize("name", list(STRUCTURED))
def test_lanczos_s_max_of_structured_matrices_within_1e6(name):
    matrix = STRUCTURED[name]
    exact = torch.linalg.svdvals(matrix)[0]

    estimate = largest_singular_values(matrix.unsqueeze(0))[0]

    assert abs(estimate - exact) / exact <= 1e-6


def test_lanczos_in_float32_within_1e5_and_zero_for_a_zero_matrix():
    matrices = torch.stack([gaussian(128, 96, seed, torch.float32) for seed in (5, 6)])
    matrices = torch.cat([matrices, torch.zeros(1, 128, 96)])
    exact = torch.linalg.svdvals(matrices.double())[:, 0]

    estimate = largest_singular_values(matrices)

    assert estimate[2] == 0
    assert torch.all((estimate[:2] - exact[:2]).abs() / exact[:2] <= 1e-5)


def test_lanczos_is_deterministic():
    matrix = gaussian(100, 70).unsqueeze(0)
    assert torch.equal(largest_singular_values(matrix), largest_singular_values(matrix))


@pytest.mark.parametrize("condition", [1e1, 1e3, 1e5])
def test_gram_resolves_every_singular_value_within_1e6(condition):
    values = torch.logspace(0, -math.log10(condition), 100, dtype=F64) * 3.0
    matrix = prescribed(140, 100, values)

    estimate, resolved = gram_singular_values(matrix.unsqueeze(0))

    assert bool(resolved[0])
    assert torch.all((estimate[0] - values).abs() / values <= 1e-6)


def test_gram_flags_ill_conditioned_and_rank_deficient_matrices():
    stack = torch.stack(
        [
            prescribed(60, 40, torch.logspace(0, -7, 40)),
            STRUCTURED["rank one"],
            torch.zeros(60, 40, dtype=F64),
        ]
    )

    _, resolved = gram_singular_values(stack)

    assert resolved.tolist() == [False, False, True]
    assert GRAM_CONDITION_LIMIT == 1e5


def _params() -> dict[str, torch.Tensor]:
    return {
        "structured": STRUCTURED["decaying 1/i"].float(),
        "noise": gaussian(64, 48, 7, torch.float32),
        "spike": STRUCTURED["spike on noise"].float(),
        "ill": prescribed(50, 40, torch.logspace(0, -7, 40)).float(),
        "zero": torch.zeros(16, 8),
        "bias": torch.ones(16),
    }


def test_fast_metrics_agree_with_exact_ones_within_1e6():
    params = _params()
    exact = compute_metrics(params, SPECTRAL, spectral="exact")

    fast = compute_metrics(params, SPECTRAL, spectral="fast")

    for key in SPECTRAL:
        assert fast[key].value == pytest.approx(exact[key].value, rel=1e-6), key
        for layer, value in exact[key].layers.items():
            got = fast[key].layers[layer]
            assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(
                value, rel=1e-6
            ), (key, layer)


def test_fast_s_max_metrics_alone_agree_with_exact_ones_within_1e6():
    params = _params()
    exact = compute_metrics(params, TOP, spectral="exact")

    fast = compute_metrics(params, TOP, spectral="fast")

    for key in TOP:
        assert fast[key].value == pytest.approx(exact[key].value, rel=1e-6), key


def test_fast_spectra_of_s_max_alone_leave_the_rest_unknown():
    params = _params()
    tensors = DeviceTensors(list(params.values()), torch.device("cpu"))
    shapes = {0: (120, 90), 1: (64, 48)}

    found = spectra(tensors, shapes, method="fast", top=True)

    assert math.isnan(found[0].entropy) and math.isnan(found[0].smallest)
    assert found[0].squares == pytest.approx(
        float(params["structured"].double().square().sum())
    )


def test_non_finite_matrices_give_nan_in_fast_mode():
    params = {"bad": torch.tensor([[1.0, math.nan], [0.0, 1.0]]), "ok": torch.eye(3)}

    fast = compute_metrics(params, ["spectral", "effective_rank"], spectral="fast")

    assert math.isnan(fast["spectral"].layers["bad"])
    assert fast["effective_rank"].layers["ok"] == pytest.approx(3.0)


def test_spectral_method_reaches_callers_that_do_not_pass_it():
    params = {"w": STRUCTURED["slow decay"].float()}
    with spectrum.spectral_method("fast"):
        inside = spectrum.current_method()
    assert inside == "fast" and spectrum.current_method() == "exact"
    with pytest.raises(ValueError, match="spectral method"):
        compute_metrics(params, ["spectral"], spectral="slow")


@pytest.mark.parametrize("method", ["exact", "fast"])
def test_batched_path_chunks_large_groups_and_matches_one_by_one(method, monkeypatch):
    matrices = [gaussian(24, 16, seed, torch.float32) for seed in range(5)]
    tensors = DeviceTensors(matrices, torch.device("cpu"))
    shapes = dict.fromkeys(range(5), (24, 16))
    sizes: list[int] = []
    summaries = spectrum._Solver._summaries

    def counted(self, stack):
        sizes.append(stack.shape[0])
        return summaries(self, stack)

    monkeypatch.setattr(spectrum, "GPU_BATCH_ELEMENTS", 2 * 24 * 16)
    monkeypatch.setattr(spectrum._Solver, "_summaries", counted)
    batched = spectra(tensors, shapes, batched=True, method=method)
    single = spectra(tensors, shapes, batched=False, method=method)

    assert sizes[:3] == [2, 2, 1]
    for index in range(5):
        assert batched[index].largest == pytest.approx(single[index].largest, rel=1e-5)
        assert batched[index].entropy == pytest.approx(single[index].entropy, rel=1e-5)


def test_a_batch_that_runs_out_of_memory_is_halved_until_it_fits(monkeypatch):
    matrices = [gaussian(12, 8, seed, torch.float32) for seed in range(4)]
    tensors = DeviceTensors(matrices, torch.device("cpu"))
    shapes = dict.fromkeys(range(4), (12, 8))
    summaries = spectrum._Solver._summaries

    def tight(self, stack):
        if stack.shape[0] > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return summaries(self, stack)

    monkeypatch.setattr(spectrum._Solver, "_summaries", tight)
    found = spectra(tensors, shapes, batched=True)

    for index, matrix in enumerate(matrices):
        exact = float(torch.linalg.svdvals(matrix.double())[0])
        assert found[index].largest == pytest.approx(exact, rel=1e-5)


def test_gpu_batches_fit_a_share_of_the_free_memory(monkeypatch):
    free = 1 << 30
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free, free))
    cuda = torch.device("cuda")

    count = batch_size((1024, 1024), cuda, 4)

    per_matrix = 1024 * 1024 * 4 * 3
    assert count == int(spectrum.BATCH_MEMORY_SHARE * free) // per_matrix == 21
    assert batch_size((16384, 16384), cuda, 4) == 1
    assert batch_size((10, 10), torch.device("cpu"), 4) == (1 << 29) // 100


def test_fast_values_are_titled_approximate_and_cached_apart(tmp_path):
    run = discover_run(save_run(tmp_path / "run", "safetensors", (0, 1)))
    keys = ["spectral", "effective_rank", "l2"]
    exact = compute_results(run, keys, ComputeOptions("cpu"))

    events = list(compute_run(run, keys, ComputeOptions("cpu", spectral="fast")))
    fast = compute_results(run, keys, ComputeOptions("cpu", spectral="fast"))
    again = list(compute_run(run, keys, ComputeOptions("cpu")))

    fresh = {e.metric for e in events if isinstance(e, ValueComputed) and not e.cached}
    assert fresh == {"spectral", "effective_rank"}
    assert fast.approximate == {"spectral", "effective_rank"} and not exact.approximate
    assert fast.titles["spectral"] == "Spectral Norm (approx.)"
    assert fast.titles["l2"] == exact.titles["l2"] == "L2 Norm"
    assert all(e.cached for e in again if isinstance(e, ValueComputed))
    for key in keys:
        for index, value in exact.values[key].items():
            assert fast.values[key][index] == pytest.approx(value, rel=1e-6)


def test_unknown_spectral_method_and_executor_are_usage_errors():
    with pytest.raises(OptionError, match="--spectral 'slow'") as error:
        ComputeOptions("cpu", spectral="slow")
    assert error.value.exit_code == 2
    with pytest.raises(OptionError, match="--executor 'slurm'"):
        ComputeOptions("cpu", executor="slurm")


def test_large_tall_matrices_take_s_max_from_the_gram_matrix_on_a_cpu(monkeypatch):
    tall = gaussian(4096, 512, 8, torch.float32)
    square = gaussian(512, 512, 9, torch.float32)
    calls: list[tuple[int, ...]] = []
    gram = spectrum.gram_singular_values

    def spied(matrices):
        calls.append(tuple(matrices.shape[1:]))
        return gram(matrices)

    monkeypatch.setattr(spectrum, "gram_singular_values", spied)
    fast = compute_metrics({"tall": tall, "square": square}, TOP, spectral="fast")

    assert calls == [(4096, 512)]
    for name, matrix in (("tall", tall), ("square", square)):
        exact = float(torch.linalg.svdvals(matrix.double())[0])
        assert fast["spectral"].layers[name] == pytest.approx(exact, rel=1e-6)


def test_finite_matrices_whose_sum_overflows_still_count_as_finite():
    stack = torch.full((3, 16, 16), 1e37)
    stack[1, 2, 3] = math.nan
    stack[2, 0, 0] = math.inf

    assert spectrum._finite(stack).tolist() == [True, False, False]
