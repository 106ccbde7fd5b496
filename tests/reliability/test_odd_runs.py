"""Runs that are odd but legal: NaN and infinite weights, empty tensors, one
checkpoint, thousands of checkpoints, names with spaces and accents.

Every metric and every detector must work on them, and every command must
carry the names through unchanged.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from typer.testing import CliRunner

from phaseviz.checkpoints import discover_run
from phaseviz.cli import app
from phaseviz.engine import ComputeOptions, compute_results
from phaseviz.export import detect_run_transitions, read_metrics_csv
from phaseviz.metrics import BUILTIN
from phaseviz.transitions import DETECTORS

from .conftest import Tally

OPTIONS = ComputeOptions(device="cpu", cache=False)
runner = CliRunner()


def _weights(step: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(step)
    scale = 1.0 if step < 6 else 3.0
    return {
        "fc1.weight": torch.randn(5, 4, generator=generator) * scale,
        "fc1.bias": torch.randn(5, generator=generator),
        "fc2.weight": torch.randn(3, 5, generator=generator) * scale,
    }


def _save(folder: Path, steps: range, change=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for step in steps:
        weights = _weights(step)
        if change is not None:
            change(step, weights)
        torch.save({"state_dict": weights, "step": step}, folder / f"step_{step}.pt")
    return folder


def _every_detector(results, tally: Tally) -> None:
    """Each detector runs, and no transition sits on a NaN or infinite value."""
    for detector in DETECTORS:
        rows, _ = detect_run_transitions(results, detector=detector)
        tally.inputs += 1
        for row in rows:
            steps, values = results.series(row.metric)
            value = values[steps.index(row.step)]
            assert math.isfinite(value), (detector, row)
            assert math.isfinite(row.before) and math.isfinite(row.after)


def _poison(step: int, weights: dict[str, torch.Tensor]) -> None:
    if step in (2, 7):
        weights["fc1.weight"][0, 0] = math.nan
    if step in (4, 9):
        weights["fc2.weight"][1, 1] = math.inf
    if step == 5:
        weights["fc1.bias"].fill_(-math.inf)


def test_nan_and_inf_weights_give_nan_or_inf_never_a_crash(
    tmp_path: Path, tally: Tally
):
    run = discover_run(_save(tmp_path / "run", range(12), _poison))
    results = compute_results(run, "all", OPTIONS)
    tally.inputs += len(run.checkpoints)

    assert not results.errors, results.errors
    assert set(results.values) == set(BUILTIN)
    l2 = results.series("l2")[1]
    assert math.isnan(l2[2]) and math.isnan(l2[7])
    assert math.isinf(l2[4]) and math.isinf(l2[5])
    assert all(math.isfinite(v) for i, v in enumerate(l2) if i not in (2, 4, 5, 7, 9))
    _every_detector(results, tally)


@pytest.mark.parametrize(
    "state",
    [
        {"empty.weight": torch.zeros(0, 4), "empty.bias": torch.zeros(0)},
        {"w": torch.zeros(3, 0), "b": torch.ones(3)},
        {"scalar": torch.tensor(2.0)},
        {"counts": torch.arange(6).reshape(2, 3)},
    ],
    ids=["zero-size", "zero-width", "0-d", "integers only"],
)
def test_zero_size_and_odd_tensors_give_values_or_nan(
    tmp_path: Path, tally: Tally, state: dict[str, torch.Tensor]
):
    folder = tmp_path / "run"
    folder.mkdir()
    for step in range(3):
        torch.save({"state_dict": state, "step": step}, folder / f"s{step}.pt")
    results = compute_results(discover_run(folder), "all", OPTIONS)
    tally.inputs += 3

    assert not results.errors, results.errors
    assert all(len(by_index) == 3 for by_index in results.values.values())
    _every_detector(results, tally)


def test_empty_state_dicts_are_skipped_with_a_reason(tmp_path: Path, tally: Tally):
    folder = _save(tmp_path / "run", range(2))
    torch.save({"state_dict": {}, "step": 5}, folder / "step_5.pt")
    torch.save({}, folder / "step_6.pt")
    result = runner.invoke(app, ["compute", str(folder), "-m", "l2", "--device", "cpu"])
    tally.inputs += 2

    assert result.exit_code == 0, result.output
    for name in ("step_5.pt", "step_6.pt"):
        assert f"{folder / name}: holds no state dict" in result.stderr


def test_a_run_of_one_checkpoint_works_with_every_metric_and_detector(
    tmp_path: Path, tally: Tally
):
    folder = _save(tmp_path / "run", range(1))
    results = compute_results(discover_run(folder), "all", OPTIONS)
    tally.inputs += 1

    assert not results.errors, results.errors
    assert set(results.values) == set(BUILTIN)
    assert results.series("cosine_to_final")[1] == [pytest.approx(1.0)]
    assert results.series("distance_from_init")[1] == [0.0]
    assert math.isnan(results.series("step_distance")[1][0])
    _every_detector(results, tally)

    for detector in DETECTORS:
        shown = runner.invoke(
            app, ["transitions", str(folder), "--device", "cpu", "-d", detector]
        )
        assert shown.exit_code == 0, shown.output
    exported = runner.invoke(
        app,
        ["export", str(folder), "-m", "l2,cosine_to_final", "--device", "cpu"]
        + ["--out", str(tmp_path / "report")],
    )
    assert exported.exit_code == 0, exported.output


def _many(folder: Path, count: int) -> Path:
    folder.mkdir()
    for step in range(count):
        save_file(
            {"w": torch.full((2, 2), float(step))}, folder / f"{step}.safetensors"
        )
    return folder


def _discovery_seconds(folder: Path) -> float:
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        discover_run(folder)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(500, id="fast"),
        pytest.param(10_000, id="soak", marks=pytest.mark.soak),
    ],
)
def test_thousands_of_tiny_checkpoints_discover_in_linear_time_and_compute(
    tmp_path: Path, tally: Tally, count: int
):
    small = _many(tmp_path / "small", count // 5)
    large = _many(tmp_path / "large", count)
    per_small = _discovery_seconds(small) / (count // 5)
    per_large = _discovery_seconds(large) / count
    tally.inputs += count + count // 5
    tally.note("largest run, checkpoints", count)

    # Five times the checkpoints may cost five times the time, not 25 times;
    # the margin absorbs a busy machine.
    assert per_large < 3 * per_small, (per_small, per_large)

    run = discover_run(large)
    assert run.steps == list(range(count))
    results = compute_results(run, "l2", ComputeOptions(device="cpu"))
    l2 = results.series("l2")[1]
    assert l2 == [pytest.approx(2.0 * step) for step in range(count)]
    again = compute_results(run, "l2", ComputeOptions(device="cpu"))
    assert again.series("l2")[1] == l2


NAMES = [
    "step 1 ü.pt",
    "sub dir ß/step 2 é.pt",
    "step 3, «quoted».pt",
    'step 4 "<b>&amp;".pt',
]


def test_names_with_spaces_and_accents_survive_every_command(
    tmp_path: Path, tally: Tally
):
    folder = tmp_path / "räksmörgås run"
    for step, name in enumerate(NAMES, start=1):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"state_dict": _weights(step)}, path)
    tally.inputs += len(NAMES)
    compute = ["-m", "l2,entropy", "--device", "cpu"]

    listed = runner.invoke(app, ["inspect", str(folder), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [row["checkpoint"] for row in json.loads(listed.stdout)] == NAMES

    table = tmp_path / "values.csv"
    computed = runner.invoke(app, ["compute", str(folder), *compute, "-o", str(table)])
    assert computed.exit_code == 0, computed.output
    records = read_metrics_csv(table)
    assert {r.run for r in records} == {folder.name}
    assert [r.checkpoint for r in records if r.metric == "l2"] == NAMES

    out = tmp_path / "report ü"
    exported = runner.invoke(app, ["export", str(folder), *compute, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    exported_records = read_metrics_csv(out / "metrics.csv")
    assert [r.checkpoint for r in exported_records if r.metric == "l2"] == NAMES
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "räksmörgås run" in html
    assert '"<b>&amp;"' not in html, "a checkpoint name reached the page unescaped"
