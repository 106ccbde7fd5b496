from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from phaseviz.checkpoints import discover_run, load_state_dict
from phaseviz.engine import (
    CheckpointFailed,
    ComputeOptions,
    MetricFailed,
    ValueComputed,
    compute_results,
    compute_run,
    pages,
)
from phaseviz.engine.loading import ParameterLoader
from phaseviz.engine.pages import MappedParameters
from phaseviz.metrics import (
    TrajectoryReference,
    compute_metrics,
    flatten_parameters,
    select_parameters,
)
from phaseviz.metrics.placement import DeviceTensors
from phaseviz.metrics.references import FlatParameters

from scale_helpers import WIDE, file_resident_kb, mapping_resident_kb, save_run, state

linux = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self")
CPU = ComputeOptions("cpu", cache=False)
ELEMENTWISE = ["l2", "mean", "skew", "sparsity", "max_activation", "participation"]
TRAJECTORY = ["distance_from_init", "step_distance", "cosine_to_final"]


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@linux
def test_safetensors_tensors_are_views_of_the_file_with_its_values(tmp_path):
    run = discover_run(save_run(tmp_path / "run", "safetensors", (0,), WIDE))
    checkpoint = run.checkpoints[0]

    params = ParameterLoader(None, False).load(checkpoint).params
    resident_after_reading = mapping_resident_kb(checkpoint.path)

    assert params.mapped
    assert resident_after_reading <= 2048 < checkpoint.size // 1024 // 8
    copies = load_file(str(checkpoint.path))
    for name, tensor in params.items():
        assert torch.equal(tensor, copies[name])


def test_bf16_and_odd_shapes_read_in_place_as_saved(tmp_path):
    path = tmp_path / "odd.safetensors"
    tensors = {
        "a": torch.randn(3, 5).to(torch.bfloat16),
        "b": torch.randn(7, dtype=torch.float64),
        "empty": torch.zeros(0, 4),
        "c": torch.randn(2, 3, 4).half(),
    }
    save_file(tensors, path)

    loaded = load_state_dict(discover_run(tmp_path).checkpoints[0])

    assert loaded.keys() == tensors.keys()
    for name, tensor in tensors.items():
        assert loaded[name].dtype == tensor.dtype
        assert torch.equal(loaded[name], tensor)


@linux
def test_releasing_a_tensor_drops_its_pages_and_keeps_its_values(mapped_run):
    checkpoint = discover_run(mapped_run).checkpoints[0]
    params = ParameterLoader(None, False).load(checkpoint).params
    matrix = params["fc1.weight"]
    size_kb = matrix.numel() * 4 // 1024
    total = float(matrix.double().sum())
    touched = mapping_resident_kb(checkpoint.path)

    params.release(matrix)

    assert touched >= size_kb
    assert mapping_resident_kb(checkpoint.path) <= touched - size_kb + 8
    assert float(matrix.double().sum()) == total


def test_memory_that_is_not_file_backed_is_never_released(monkeypatch):
    dropped: list[int] = []
    monkeypatch.setattr(pages, "_drop", lambda start, length: dropped.append(length))
    tensors = {"w": torch.randn(512, 512), "b": torch.randn(512)}
    expected = tensors["w"].clone()

    params = MappedParameters(tensors, [Path("/nonexistent/checkpoint.pt")])
    params.release(tensors["w"])
    params.release_all()

    assert not params.mapped and dropped == []
    assert torch.equal(tensors["w"], expected)


@linux
def test_a_computation_holds_about_one_tensor_and_a_window_per_reference(
    mapped_run, monkeypatch
):
    run = discover_run(mapped_run)
    largest_kb = 2 * WIDE * WIDE * 4 // 1024
    compute_results(run, ["l2"], CPU)  # the code paths' own pages, mapped once
    baseline = file_resident_kb()
    seen: list[int] = []
    drop = pages._drop

    def measured(start: int, length: int) -> None:
        seen.append(file_resident_kb() - baseline)
        drop(start, length)

    monkeypatch.setattr(pages, "_drop", measured)
    compute_results(run, ELEMENTWISE + TRAJECTORY, CPU)

    # One tensor, plus what the kernel maps around each reference's window
    # (a page-cache folio, up to 2 MB) and the libraries' own pages.
    whole_run_kb = sum(c.size for c in run.checkpoints) // 1024
    assert seen and max(seen) <= largest_kb + 8192 < whole_run_kb // 2
    assert file_resident_kb() - baseline <= 4096


def test_mapped_and_copied_checkpoints_give_identical_values(tmp_path):
    keys = [*ELEMENTWISE, "effective_rank", "condition", *TRAJECTORY]
    results = {
        form: compute_results(
            discover_run(save_run(tmp_path / form, form)), keys, CPU
        ).values
        for form in ("safetensors", "torch", "legacy")
    }

    for key in keys:
        for form in ("torch", "legacy"):
            a, b = results["safetensors"][key], results[form][key]
            assert a.keys() == b.keys()
            assert all(same(a[i], b[i]) for i in a), (key, form)


def test_legacy_torch_files_are_read_whole_and_never_released(tmp_path):
    checkpoint = discover_run(save_run(tmp_path / "run", "legacy")).checkpoints[0]

    params = ParameterLoader(None, False).load(checkpoint).params

    assert not params.mapped
    assert torch.equal(params["fc1.weight"], state(0)["fc1.weight"])


def test_trajectory_metrics_read_references_without_flattening(mapped_run, monkeypatch):
    run = discover_run(mapped_run)
    flat = [
        flatten_parameters(select_parameters(load_state_dict(c)))
        for c in run.checkpoints
    ]

    def refused(*args, **kwargs):
        raise AssertionError("the engine flattened a reference")

    monkeypatch.setattr("phaseviz.metrics.trajectory.flatten_parameters", refused)
    results = compute_results(run, TRAJECTORY, CPU)

    for index, checkpoint in enumerate(run.checkpoints):
        params = select_parameters(load_state_dict(checkpoint))
        reference = TrajectoryReference(
            first=flat[0],
            previous=flat[index - 1] if index else None,
            final=flat[-1],
        )
        expected = compute_metrics(params, TRAJECTORY, trajectory=reference)
        for key in TRAJECTORY:
            assert same(results.values[key][index], expected[key].value), key
            assert results.layers[key] == {} or all(
                same(results.layers[key][layer][index], value)
                for layer, value in (expected[key].layers or {}).items()
            )


def test_flat_windows_across_tensors_match_the_flattened_vector():
    params = {
        "a": torch.randn(3, 4),
        "b": torch.randn(5).to(torch.bfloat16),
        "empty": torch.zeros(0),
        "c": torch.randn(2, 2, dtype=torch.float64).mT,
    }
    flat = FlatParameters(params)
    expected = flatten_parameters(params)

    assert flat.numel() == expected.numel() == 21
    assert flat.reshape(-1) is flat
    for start, stop in ((0, 21), (2, 14), (11, 13), (12, 21), (20, 21), (5, 5)):
        assert torch.equal(flat[start:stop], expected[start:stop]), (start, stop)


def test_trajectory_metrics_read_no_checkpoint_twice_but_the_final(
    mapped_run, monkeypatch
):
    seen: list[str] = []
    original = ParameterLoader.load

    def counting(self, checkpoint):
        seen.append(checkpoint.name)
        return original(self, checkpoint)

    monkeypatch.setattr(ParameterLoader, "load", counting)
    run = discover_run(mapped_run)

    compute_results(run, TRAJECTORY, CPU)

    # The final checkpoint is read first as cosine_to_final's reference.
    names = [c.name for c in run.checkpoints]
    assert sorted(seen) == sorted([*names, names[-1]])


def test_an_unreadable_reference_fails_its_metric_not_the_run(tmp_path):
    run = discover_run(save_run(tmp_path / "run", "torch"))
    run.checkpoints[0].path.write_bytes(b"damaged")

    events = list(compute_run(run, ["l2", "distance_from_init"], CPU))

    failed = [e for e in events if isinstance(e, CheckpointFailed)]
    assert [e.index for e in failed] == [0]
    metric_failures = [e for e in events if isinstance(e, MetricFailed)]
    assert {(e.index, e.metric) for e in metric_failures} == {
        (1, "distance_from_init"),
        (2, "distance_from_init"),
        (3, "distance_from_init"),
    }
    assert all("step_0.pt" in e.message for e in metric_failures)
    l2 = [e for e in events if isinstance(e, ValueComputed) and e.metric == "l2"]
    assert sorted(e.index for e in l2) == [1, 2, 3]


def test_off_host_each_tensor_is_released_once_copied_over():
    tensors = [torch.randn(4, 4) for _ in range(3)]
    released: list[int] = []
    # The meta device stands in for a GPU too small to keep P resident:
    # every read copies the tensor over, as on a GPU without room.
    device = DeviceTensors(
        tensors, torch.device("meta"), lambda t: released.append(t.data_ptr())
    )

    copies = [device[i] for i in range(3)]
    device.finish()

    assert all(copy.device.type == "meta" for copy in copies)
    assert released == [t.data_ptr() for t in tensors]
