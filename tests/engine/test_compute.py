from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest
import torch

from phaseviz.checkpoints import discover_run
from phaseviz.engine import (
    CheckpointDone,
    CheckpointFailed,
    ComputeOptions,
    MetricFailed,
    Notice,
    ValueComputed,
    compute_results,
    compute_run,
)
from phaseviz.engine.loading import ParameterLoader
from phaseviz.metrics import UnknownMetricError

from run_helpers import CUSTOM, FAILING, save_checkpoint

CPU = ComputeOptions(device="cpu")


def values(events, metric):
    return {
        e.index: e.value
        for e in events
        if isinstance(e, ValueComputed) and e.metric == metric
    }


@pytest.fixture
def loads(monkeypatch):
    """Counts the checkpoints the engine reads."""
    seen: list[str] = []
    original = ParameterLoader.load

    def counting(self, checkpoint):
        seen.append(checkpoint.name)
        return original(self, checkpoint)

    monkeypatch.setattr(ParameterLoader, "load", counting)
    return seen


def test_values_match_a_direct_computation(run_dir: Path):
    run = discover_run(run_dir)
    events = list(compute_run(run, ["l2", "mean"], CPU))

    l2 = values(events, "l2")
    for index, checkpoint in enumerate(run.checkpoints):
        state = torch.load(checkpoint.path, weights_only=True)["state_dict"]
        params = [t.double() for k, t in state.items() if "running" not in k]
        expected = math.sqrt(sum(float((t**2).sum()) for t in params))
        assert l2[index] == pytest.approx(expected, rel=1e-12)


def test_second_run_over_unchanged_checkpoints_computes_nothing(run_dir, loads):
    run = discover_run(run_dir)
    first = list(compute_run(run, ["l2", "effective_rank"], CPU))
    read_first = len(loads)

    second = list(compute_run(run, ["l2", "effective_rank"], CPU))

    assert read_first == 5
    assert len(loads) == read_first
    assert all(
        e.cached for e in second if isinstance(e, ValueComputed | CheckpointDone)
    )
    assert values(first, "l2") == values(second, "l2")


def test_checkpoint_added_later_computes_only_itself(run_dir, loads):
    list(compute_run(discover_run(run_dir), ["l2"], CPU))
    loads.clear()
    save_checkpoint(run_dir, 50)

    events = list(compute_run(discover_run(run_dir), ["l2"], CPU))

    assert loads == ["step_50.pt"]
    assert len(values(events, "l2")) == 6


def test_edited_custom_metric_is_recomputed(run_dir, tmp_path, loads):
    metric_file = tmp_path / "custom.py"
    metric_file.write_text(CUSTOM)
    options = ComputeOptions(device="cpu", metric_files=(metric_file,))
    run = discover_run(run_dir)
    before = values(list(compute_run(run, [], options)), "total")
    loads.clear()

    metric_file.write_text(CUSTOM.replace("p.sum()", "2 * p.sum()"))
    after = values(list(compute_run(run, [], options)), "total")

    assert len(loads) == 5
    assert after[3] == pytest.approx(2 * before[3])


def test_failing_custom_metric_is_nan_and_named(run_dir, tmp_path):
    metric_file = tmp_path / "bad.py"
    metric_file.write_text(FAILING)
    options = ComputeOptions(device="cpu", metric_files=(metric_file,))

    results = compute_results(discover_run(run_dir), ["l2"], options)

    assert all(math.isnan(v) for v in results.values["broken"].values())
    message = results.errors["broken"][0]
    assert "broken_of_model" in message and "step_0.pt" in message and "boom" in message
    assert len(results.values["l2"]) == 5


def test_corrupt_checkpoint_is_skipped_and_the_run_goes_on(run_dir):
    run = discover_run(run_dir)
    run.checkpoints[2].path.write_bytes(b"not a checkpoint at all")

    events = list(compute_run(run, ["l2"], CPU))

    failed = [e for e in events if isinstance(e, CheckpointFailed)]
    assert [e.index for e in failed] == [2]
    assert "step_20.pt" in failed[0].message
    assert sorted(values(events, "l2")) == [0, 1, 3, 4]
    assert events[-1].done == 5


def test_cancel_stops_and_the_next_run_resumes(run_dir, loads):
    run = discover_run(run_dir)
    cancel = threading.Event()
    for event in compute_run(run, ["l2"], CPU, cancel=cancel):
        if isinstance(event, CheckpointDone) and event.done == 2:
            cancel.set()
    assert len(loads) <= 3
    loads.clear()

    events = list(compute_run(run, ["l2"], CPU))

    assert sorted(loads) == ["step_20.pt", "step_30.pt", "step_40.pt"][: len(loads)]
    assert "step_0.pt" not in loads and "step_10.pt" not in loads
    assert len(values(events, "l2")) == 5


def test_trajectory_metrics_measure_against_the_right_checkpoints(run_dir):
    run = discover_run(run_dir)
    keys = ["distance_from_init", "step_distance", "cosine_to_final"]
    events = list(compute_run(run, keys, CPU))

    assert values(events, "distance_from_init")[0] == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(values(events, "step_distance")[0])
    assert values(events, "step_distance")[1] > 0
    assert values(events, "cosine_to_final")[4] == pytest.approx(1.0)


def test_a_new_final_checkpoint_recomputes_cosine_to_final(run_dir):
    first = values(
        list(compute_run(discover_run(run_dir), ["cosine_to_final"], CPU)),
        "cosine_to_final",
    )
    save_checkpoint(run_dir, 50)

    events = list(compute_run(discover_run(run_dir), ["cosine_to_final"], CPU))

    assert first[4] == pytest.approx(1.0)
    assert values(events, "cosine_to_final")[4] != pytest.approx(1.0)
    assert not any(e.cached for e in events if isinstance(e, ValueComputed))


def test_parallel_and_sequential_give_identical_values(run_dir):
    run = discover_run(run_dir)
    keys = ["l2", "entropy", "condition", "step_distance"]
    parallel = compute_results(run, keys, ComputeOptions("cpu", cache=False))
    serial = compute_results(
        run, keys, ComputeOptions("cpu", cache=False, parallel=False)
    )
    assert parallel.values.keys() == serial.values.keys()
    for key in keys:
        a, b = parallel.values[key], serial.values[key]
        assert a.keys() == b.keys()
        assert all(a[i] == b[i] or (math.isnan(a[i]) and math.isnan(b[i])) for i in a)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback")
def test_cuda_falls_back_to_cpu_with_one_notice(run_dir):
    events = list(compute_run(discover_run(run_dir), ["l2"], ComputeOptions("cuda")))
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and "CPU" in notices[0].message
    assert len(values(events, "l2")) == 5


def test_unknown_metric_names_the_closest_keys(run_dir):
    with pytest.raises(UnknownMetricError) as error:
        compute_run(discover_run(run_dir), ["l2", "entropi"], CPU)
    assert "entropy" in str(error.value)


def test_per_layer_values_are_recomputed_when_first_cached_without(run_dir, loads):
    run = discover_run(run_dir)
    list(compute_run(run, ["spectral"], ComputeOptions("cpu", per_layer=False)))
    loads.clear()

    events = list(compute_run(run, ["spectral"], CPU))

    assert len(loads) == 5
    layers = [e.layers for e in events if isinstance(e, ValueComputed)]
    assert all(set(layer) == {"fc1.weight", "fc2.weight"} for layer in layers)


def test_recorded_scalars_are_series_without_reading_tensors(run_dir, loads):
    events = list(compute_run(discover_run(run_dir), ["recorded.test_acc"], CPU))
    assert values(events, "recorded.test_acc") == {
        0: 0.0,
        1: 0.1,
        2: 0.2,
        3: 0.3,
        4: 0.4,
    }
    assert loads == []


def test_failure_of_one_checkpoint_is_not_cached(run_dir):
    run = discover_run(run_dir)
    original = run.checkpoints[1].path.read_bytes()
    run.checkpoints[1].path.write_bytes(b"garbage")
    list(compute_run(run, ["l2"], CPU))
    run.checkpoints[1].path.write_bytes(original)

    events = list(compute_run(discover_run(run_dir), ["l2"], CPU))

    assert not [e for e in events if isinstance(e, CheckpointFailed | MetricFailed)]
    assert len(values(events, "l2")) == 5


def test_custom_metric_named_like_a_builtin_is_kept_apart(run_dir, tmp_path):
    metric_file = tmp_path / "phase_viz_example.py"
    metric_file.write_text(
        "def sparsity_of_model(model):\n"
        "    ps = [p for p in model.parameters()]\n"
        "    return sum(float((p.abs() < 1e-3).sum()) for p in ps) / "
        "sum(p.numel() for p in ps)\n"
    )
    options = ComputeOptions(device="cpu", metric_files=(metric_file,))

    results = compute_results(discover_run(run_dir), ["sparsity"], options)

    assert set(results.values) == {"sparsity", "custom.sparsity"}
    assert results.titles["custom.sparsity"].endswith("(custom)")
    assert results.values["custom.sparsity"] == pytest.approx(
        results.values["sparsity"]
    )
