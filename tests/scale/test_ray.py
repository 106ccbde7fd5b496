from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from phaseviz.checkpoints import discover_run
from phaseviz.cli import app
from phaseviz.engine import (
    CheckpointDone,
    CheckpointFailed,
    ComputeOptions,
    Notice,
    ValueComputed,
    compute_results,
    compute_run,
)
from phaseviz.engine.executors.distributed import ExecutorError
from phaseviz.engine.loading import ParameterLoader

from run_helpers import CUSTOM
from scale_helpers import save_run

ray = pytest.importorskip("ray")

KEYS = ["l2", "entropy", "effective_rank", "condition", "spectral", "kurtosis"]
KEYS += ["distance_from_init", "step_distance", "cosine_to_final"]


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance on 127.0.0.1 for the module, two CPUs."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
        _node_ip_address="127.0.0.1",
    )
    yield
    ray.shutdown()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return save_run(tmp_path / "run", "safetensors", (0, 1, 2, 3))


@pytest.fixture
def metric_file(tmp_path: Path) -> Path:
    path = tmp_path / "custom.py"
    path.write_text(CUSTOM)
    return path


def identical(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[i] == b[i] or (math.isnan(a[i]) and math.isnan(b[i])) for i in a
    )


def test_ray_gives_the_values_of_the_local_executor(
    local_ray, run_dir, metric_file, monkeypatch
):
    run = discover_run(run_dir)
    options = ComputeOptions("cpu", cache=False, metric_files=(metric_file,))
    # A Ray task computes with one torch thread; sums and decompositions
    # are bit for bit the same only with the same number of threads.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = compute_results(run, KEYS, options)
    finally:
        torch.set_num_threads(threads)

    distributed = compute_results(
        run,
        KEYS,
        ComputeOptions(
            "cpu", cache=False, executor="ray", metric_files=(metric_file,)
        ),  # fmt: skip
    )

    assert set(distributed.values) == {*KEYS, "total"}
    for key in distributed.values:
        assert identical(local.values[key], distributed.values[key]), key
    for key, layers in local.layers.items():
        for layer, by_index in layers.items():
            assert identical(by_index, distributed.layers[key][layer]), (key, layer)
    assert not distributed.errors


def test_ray_streams_events_and_fills_the_cache(local_ray, run_dir, monkeypatch):
    run = discover_run(run_dir)
    events = list(compute_run(run, KEYS, ComputeOptions("cpu", executor="ray")))

    done = [e for e in events if isinstance(e, CheckpointDone)]
    assert sorted(e.index for e in done) == [0, 1, 2, 3]
    assert [e.done for e in done] == [1, 2, 3, 4]
    assert not any(e.cached for e in done) and all(e.seconds > 0 for e in done)
    computed = [e for e in events if isinstance(e, ValueComputed)]
    assert len(computed) == 4 * len(KEYS)
    assert not [e for e in events if isinstance(e, Notice)]

    reads: list[str] = []
    monkeypatch.setattr(ParameterLoader, "load", lambda self, c: reads.append(c))
    again = list(compute_run(run, KEYS, ComputeOptions("cpu")))
    assert reads == []
    assert all(e.cached for e in again if isinstance(e, ValueComputed))


def test_ray_skips_an_unreadable_checkpoint_and_goes_on(local_ray, run_dir):
    run = discover_run(run_dir)
    run.checkpoints[2].path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")

    events = list(
        compute_run(run, ["l2"], ComputeOptions("cpu", cache=False, executor="ray"))
    )

    failed = [e for e in events if isinstance(e, CheckpointFailed)]
    assert [e.index for e in failed] == [2]
    assert "step_2.safetensors" in failed[0].message
    l2 = {e.index for e in events if isinstance(e, ValueComputed)}
    assert l2 == {0, 1, 3}


def test_the_cli_computes_with_ray_and_fast_spectra(local_ray, run_dir):
    result = CliRunner().invoke(
        app,
        ["compute", str(run_dir), "-m", "spectral,l2", "--device", "cpu",
         "--executor", "ray", "--spectral", "fast", "--no-cache"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert rows[0] == "run,checkpoint,step,metric,value"
    assert len(rows) == 1 + 4 * 2


def test_missing_ray_names_the_extra_to_install(run_dir, monkeypatch):
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "ray" else found(name, *args),
    )

    with pytest.raises(ExecutorError, match=r"pip install 'phaseviz\[ray\]'"):
        compute_run(discover_run(run_dir), ["l2"], ComputeOptions(executor="ray"))
