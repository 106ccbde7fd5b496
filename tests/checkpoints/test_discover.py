"""Finding a run's checkpoints and ordering them by step."""

from __future__ import annotations

import logging
import os

import pytest
import torch

from phaseviz.checkpoints import RunError, discover_run


def test_torch_files_are_ordered_by_the_step_in_their_names(ckpt_writer):
    for step in (2448, 100, 1000):
        ckpt_writer.torch(f"checkpoint_step_{step}.pt", ckpt_writer.state_dict(step))

    run = discover_run(ckpt_writer.root)

    assert run.steps == [100, 1000, 2448]
    assert [c.name for c in run.checkpoints][0] == "checkpoint_step_100.pt"
    assert {c.step_source for c in run.checkpoints} == {"name"}
    assert {c.format for c in run.checkpoints} == {"torch"}
    assert run.name == "run" and run.skipped == ()


def test_step_in_the_data_beats_the_number_in_the_name(ckpt_writer):
    sd = ckpt_writer.state_dict()
    ckpt_writer.torch("ckpt_1.pt", {"model_state_dict": sd, "global_step": 300})
    ckpt_writer.torch("ckpt_2.pt", {"model_state_dict": sd, "step": 200})

    run = discover_run(ckpt_writer.root)

    assert [(c.name, c.step, c.step_source) for c in run.checkpoints] == [
        ("ckpt_2.pt", 200, "data"),
        ("ckpt_1.pt", 300, "data"),
    ]


def test_epoch_is_the_step_when_nothing_else_is_known(ckpt_writer):
    sd = ckpt_writer.state_dict()
    ckpt_writer.torch("final.pt", {"model": sd, "epoch": 7})
    ckpt_writer.torch("best.pt", {"model": sd, "epoch": 3})

    run = discover_run(ckpt_writer.root)

    assert [(c.name, c.step, c.step_source) for c in run.checkpoints] == [
        ("best.pt", 3, "data"),
        ("final.pt", 7, "data"),
    ]


def test_number_in_the_name_beats_a_stored_epoch(ckpt_writer):
    sd = ckpt_writer.state_dict()
    ckpt_writer.torch("ckpt_500.pt", {"model": sd, "epoch": 0})
    ckpt_writer.torch("ckpt_1000.pt", {"model": sd, "epoch": 0})

    assert discover_run(ckpt_writer.root).steps == [500, 1000]


def test_natural_order_puts_2_before_10_when_a_checkpoint_has_no_step(ckpt_writer):
    for name in ("model_10.pt", "model.pt", "model_2.pt"):
        ckpt_writer.torch(name, ckpt_writer.state_dict())

    run = discover_run(ckpt_writer.root)

    assert [c.name for c in run.checkpoints] == [
        "model.pt",
        "model_2.pt",
        "model_10.pt",
    ]
    assert run.steps == [0, 1, 2]
    assert {c.step_source for c in run.checkpoints} == {"order"}


def test_names_that_are_only_numbers_sort_numerically(ckpt_writer):
    for name in ("10.pt", "2.pt", "1000.pt"):
        ckpt_writer.torch(name, ckpt_writer.state_dict())

    assert discover_run(ckpt_writer.root).steps == [2, 10, 1000]


def test_lightning_checkpoints_use_global_step_and_keep_one_per_step(ckpt_writer):
    ckpt_writer.lightning("epoch=0-step=250.ckpt", step=250, epoch=0)
    ckpt_writer.lightning("epoch=1-step=500.ckpt", step=500, epoch=1, seed=1)
    ckpt_writer.lightning("last.ckpt", step=500, epoch=1, seed=1)

    run = discover_run(ckpt_writer.root)

    assert [(c.name, c.step) for c in run.checkpoints] == [
        ("epoch=0-step=250.ckpt", 250),
        ("epoch=1-step=500.ckpt", 500),
    ]
    assert {c.format for c in run.checkpoints} == {"lightning"}
    (duplicate,) = run.skipped
    assert duplicate.path.name == "last.ckpt"
    assert (
        "step 500" in duplicate.reason and "epoch=1-step=500.ckpt" in duplicate.reason
    )


def test_a_link_to_another_checkpoint_counts_once(ckpt_writer):
    target = ckpt_writer.torch("step_100.pt", ckpt_writer.state_dict())
    os.symlink(target, ckpt_writer.root / "latest.pt")

    run = discover_run(ckpt_writer.root)

    assert [c.name for c in run.checkpoints] == ["step_100.pt"]
    assert run.skipped == ()


def test_trainer_folders_of_every_weight_layout(ckpt_writer):
    ckpt_writer.trainer_folder("checkpoint-500", 500)
    ckpt_writer.trainer_folder("checkpoint-1000", 1000, shards=2, seed=1)
    ckpt_writer.trainer_folder("checkpoint-1500", 1500, bin_file=True, seed=2)

    run = discover_run(ckpt_writer.root)

    assert [(c.name, c.step, c.step_source, c.format) for c in run.checkpoints] == [
        ("checkpoint-500", 500, "data", "safetensors"),
        ("checkpoint-1000", 1000, "data", "safetensors-sharded"),
        ("checkpoint-1500", 1500, "data", "torch-bin"),
    ]
    sharded = run.checkpoints[1]
    assert sharded.path == ckpt_writer.root / "checkpoint-1000"
    assert [f.name for f in sharded.files] == [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    assert sharded.size == sum(f.stat().st_size for f in sharded.files)
    assert run.skipped == ()


def test_trainer_folder_without_state_takes_the_step_from_its_name(ckpt_writer):
    ckpt_writer.trainer_folder("checkpoint-40", None)
    ckpt_writer.trainer_folder("checkpoint-8", None)

    run = discover_run(ckpt_writer.root)

    assert run.steps == [8, 40]
    assert {c.step_source for c in run.checkpoints} == {"name"}


def test_a_run_folder_that_is_itself_a_trainer_folder_is_one_checkpoint(ckpt_writer):
    folder = ckpt_writer.trainer_folder("checkpoint-700", 700)

    run = discover_run(folder)

    (checkpoint,) = run.checkpoints
    assert checkpoint.path == folder and checkpoint.step == 700
    assert checkpoint.files == (folder / "model.safetensors",)


def test_final_model_without_a_step_beside_checkpoint_folders_is_skipped(ckpt_writer):
    ckpt_writer.trainer_folder("checkpoint-100", 100)
    ckpt_writer.trainer_folder("checkpoint-200", 200)
    ckpt_writer.safetensors("model.safetensors", ckpt_writer.state_dict())

    run = discover_run(ckpt_writer.root)

    assert run.steps == [100, 200]
    assert {c.step_source for c in run.checkpoints} == {"data"}
    (skipped,) = run.skipped
    assert skipped.path == ckpt_writer.root and "no step" in skipped.reason


def test_safetensors_metadata_gives_the_step(ckpt_writer):
    sd = ckpt_writer.state_dict()
    ckpt_writer.safetensors("a.safetensors", sd, {"global_step": "20", "loss": "0.5"})
    ckpt_writer.safetensors("b.safetensors", sd, {"step": "10"})

    run = discover_run(ckpt_writer.root)

    assert [(c.name, c.step, c.step_source) for c in run.checkpoints] == [
        ("b.safetensors", 10, "data"),
        ("a.safetensors", 20, "data"),
    ]
    assert run.checkpoints[1].recorded == {"global_step": 20.0, "loss": 0.5}


def test_non_checkpoint_files_hidden_entries_and_deep_folders_are_ignored(
    ckpt_writer, caplog
):
    ckpt_writer.torch("step_1.pt", ckpt_writer.state_dict())
    ckpt_writer.torch("sub/step_2.pt", ckpt_writer.state_dict())
    ckpt_writer.torch("sub/deeper/step_3.pt", ckpt_writer.state_dict())
    ckpt_writer.torch(".hidden_4.pt", ckpt_writer.state_dict())
    ckpt_writer.torch(".phaseviz/step_5.pt", ckpt_writer.state_dict())
    ckpt_writer.torch("optimizer.pt", {"state": {}, "param_groups": []})
    (ckpt_writer.root / "training_args.bin").write_bytes(b"\x80\x02}q\x00.")
    (ckpt_writer.root / "notes.txt").write_text("lr=1e-3")

    with caplog.at_level(logging.DEBUG, logger="phaseviz.checkpoints"):
        run = discover_run(ckpt_writer.root)

    assert [c.name for c in run.checkpoints] == ["step_1.pt", "sub/step_2.pt"]
    assert run.skipped == ()
    assert "notes.txt" in caplog.text


def test_missing_folder_is_a_run_error_saying_what_is_looked_for(tmp_path):
    with pytest.raises(RunError) as raised:
        discover_run(tmp_path / "nowhere")

    message = str(raised.value)
    assert str(tmp_path / "nowhere") in message
    assert ".safetensors" in message and ".ckpt" in message
    assert raised.value.exit_code == 3


def test_a_file_is_not_a_run_folder(ckpt_writer):
    path = ckpt_writer.torch("step_1.pt", ckpt_writer.state_dict())

    with pytest.raises(RunError, match="not a folder"):
        discover_run(path)


def test_folder_without_checkpoints_is_a_run_error(ckpt_writer):
    (ckpt_writer.root / "README.md").write_text("nothing here")

    with pytest.raises(RunError, match="no checkpoints found") as raised:
        discover_run(ckpt_writer.root)

    assert str(ckpt_writer.root) in str(raised.value)
    assert "checkpoint" in str(raised.value) and ".pt" in str(raised.value)


def test_corrupt_and_truncated_files_are_skipped_and_the_run_goes_on(
    ckpt_writer, caplog
):
    good = ckpt_writer.torch("step_1.pt", ckpt_writer.state_dict())
    whole = good.read_bytes()
    (ckpt_writer.root / "step_2.pt").write_bytes(whole[: len(whole) // 2])
    (ckpt_writer.root / "step_3.pt").write_bytes(os.urandom(512))
    (ckpt_writer.root / "step_4.bin").write_bytes(b"")
    st = ckpt_writer.safetensors("step_5.safetensors", ckpt_writer.state_dict())
    st.write_bytes(st.read_bytes()[:-8])
    ckpt_writer.torch("step_6.pt", {"notes": "no tensors at all", "lr": 0.1})

    with caplog.at_level(logging.WARNING):
        run = discover_run(ckpt_writer.root)

    assert [c.name for c in run.checkpoints] == ["step_1.pt"]
    reasons = {s.path.name: s.reason for s in run.skipped}
    assert set(reasons) == {
        "step_2.pt",
        "step_3.pt",
        "step_4.bin",
        "step_5.safetensors",
        "step_6.pt",
    }
    assert "truncated" in reasons["step_5.safetensors"]
    assert "no state dict" in reasons["step_6.pt"]
    assert all(reason for reason in reasons.values())
    assert "step_3.pt" in caplog.text and "skipped" in caplog.text


def test_no_readable_checkpoint_is_a_run_error_listing_the_reasons(ckpt_writer):
    (ckpt_writer.root / "a.pt").write_bytes(b"garbage")
    (ckpt_writer.root / "b.safetensors").write_bytes(b"\x01")

    with pytest.raises(RunError) as raised:
        discover_run(ckpt_writer.root)

    message = str(raised.value)
    assert "a.pt" in message and "b.safetensors" in message
    assert "too short" in message


def test_unsafe_file_is_skipped_without_running_it(ckpt_writer, tmp_path):
    marker = tmp_path / "pwned"
    ckpt_writer.torch("step_1.pt", ckpt_writer.state_dict())
    ckpt_writer.malicious("step_2.pt", marker)

    run = discover_run(ckpt_writer.root)

    assert run.steps == [1]
    (skipped,) = run.skipped
    assert "--trust-checkpoints" in skipped.reason
    assert not marker.exists()


def test_discovery_memory_maps_torch_files_and_loads_weights_only(
    ckpt_writer, monkeypatch
):
    ckpt_writer.torch("step_1.pt", ckpt_writer.state_dict())
    calls = []
    real_load = torch.load

    def spying_load(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spying_load)
    discover_run(ckpt_writer.root)

    assert calls == [{"map_location": "cpu", "weights_only": True, "mmap": True}]


def test_checkpoint_records_size_and_modification_time(ckpt_writer):
    path = ckpt_writer.torch("step_1.pt", ckpt_writer.state_dict())

    (checkpoint,) = discover_run(ckpt_writer.root).checkpoints

    assert checkpoint.size == path.stat().st_size
    assert checkpoint.mtime_ns == path.stat().st_mtime_ns
    assert checkpoint.files == (path,)
