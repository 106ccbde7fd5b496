"""Reading a checkpoint's tensors in every format."""

from __future__ import annotations

import zipfile
from unittest import mock

import numpy as np
import pytest
import torch

from phaseviz.checkpoints import (
    CheckpointError,
    count_parameters,
    discover_run,
    iter_tensors,
    load_checkpoint,
    load_state_dict,
)


def _only(run_root):
    (checkpoint,) = discover_run(run_root).checkpoints
    return checkpoint


def _assert_same(actual, expected):
    assert set(actual) == set(expected)
    for name, tensor in expected.items():
        assert torch.equal(actual[name], tensor), name


def test_plain_torch_state_dict(ckpt_writer):
    sd = ckpt_writer.state_dict()
    ckpt_writer.torch("step_1.pt", sd)

    _assert_same(load_state_dict(_only(ckpt_writer.root)), sd)


def test_lightning_state_dict_loses_its_model_prefix(ckpt_writer):
    ckpt_writer.lightning("epoch=0-step=10.ckpt", step=10, epoch=0)

    loaded = load_checkpoint(_only(ckpt_writer.root))

    _assert_same(loaded.state_dict, ckpt_writer.state_dict())
    assert loaded.prefix == "model."
    assert loaded.config == {"in_features": 3, "hidden": 4, "out_features": 2}
    assert loaded.recorded == {"epoch": 0.0, "global_step": 10.0}


def test_ddp_module_prefix_is_stripped_under_model_state_dict(ckpt_writer):
    sd = ckpt_writer.state_dict(prefix="module.")
    ckpt_writer.torch("step_1.pt", {"model_state_dict": sd, "step": 1})

    _assert_same(load_state_dict(_only(ckpt_writer.root)), ckpt_writer.state_dict())


def test_prefix_is_kept_unless_every_name_has_it(ckpt_writer):
    sd = ckpt_writer.state_dict(prefix="model.")
    sd["head.weight"] = torch.ones(2, 2)
    ckpt_writer.torch("step_1.pt", {"state_dict": sd})

    assert set(load_state_dict(_only(ckpt_writer.root))) == set(sd)


def test_values_that_are_not_tensors_are_dropped(ckpt_writer):
    sd = dict(ckpt_writer.state_dict())
    sd["version"] = 3
    sd["note"] = "trained on cifar"
    ckpt_writer.torch("step_1.pt", {"model": sd})

    _assert_same(load_state_dict(_only(ckpt_writer.root)), ckpt_writer.state_dict())


def test_safetensors_file(ckpt_writer):
    sd = ckpt_writer.state_dict()
    ckpt_writer.safetensors("step_1.safetensors", sd)

    _assert_same(load_state_dict(_only(ckpt_writer.root)), sd)


def test_sharded_trainer_folder_merges_its_shards(ckpt_writer):
    folder = ckpt_writer.trainer_folder("checkpoint-10", 10, shards=2)

    loaded = load_checkpoint(_only(folder))

    _assert_same(loaded.state_dict, ckpt_writer.state_dict())
    assert loaded.config == {"hidden": 4}


def test_pytorch_model_bin_folder(ckpt_writer):
    folder = ckpt_writer.trainer_folder("checkpoint-10", 10, bin_file=True)

    _assert_same(load_state_dict(_only(folder)), ckpt_writer.state_dict())


def test_legacy_torch_format_loads_without_memory_mapping(ckpt_writer):
    sd = ckpt_writer.state_dict()
    path = ckpt_writer.torch("step_1.pt", sd, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)

    _assert_same(load_state_dict(_only(ckpt_writer.root)), sd)


@pytest.mark.parametrize("layout", ["torch", "safetensors", "sharded", "lightning"])
def test_iter_tensors_yields_what_load_state_dict_returns(ckpt_writer, layout):
    sd = ckpt_writer.state_dict()
    if layout == "torch":
        ckpt_writer.torch("step_1.pt", sd)
    elif layout == "safetensors":
        ckpt_writer.safetensors("step_1.safetensors", sd)
    elif layout == "sharded":
        ckpt_writer.trainer_folder("checkpoint-1", 1, shards=2)
    else:
        ckpt_writer.lightning("epoch=0-step=1.ckpt", step=1, epoch=0)
    checkpoint = _only(ckpt_writer.root)

    pairs = list(iter_tensors(checkpoint))

    assert len(pairs) == len(sd)
    _assert_same(dict(pairs), load_state_dict(checkpoint))


def test_checkpoint_saved_from_cuda_loads_on_the_cpu(ckpt_writer):
    sd = ckpt_writer.state_dict()
    # torch.save tags each storage with its device; tag them as a GPU run does.
    with mock.patch.object(torch.serialization, "location_tag", lambda _: "cuda:0"):
        path = ckpt_writer.torch("step_1.pt", {"model_state_dict": sd})
    with zipfile.ZipFile(path) as archive:
        pickled = archive.read(
            next(n for n in archive.namelist() if n.endswith("data.pkl"))
        )
    assert b"cuda:0" in pickled
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)

    loaded = load_state_dict(_only(ckpt_writer.root))

    _assert_same(loaded, sd)
    assert {t.device.type for t in loaded.values()} == {"cpu"}


def test_numpy_metadata_loads_under_weights_only(ckpt_writer):
    ckpt_writer.torch(
        "step_1.pt",
        {
            "state_dict": ckpt_writer.state_dict(),
            "best_acc": np.float64(0.875),
            "step": np.int64(40),
            "class_weights": np.array([0.5, 2.0]),
            "seed": np.int32(7),
        },
    )

    checkpoint = _only(ckpt_writer.root)

    assert checkpoint.step == 40 and checkpoint.step_source == "data"
    assert checkpoint.recorded == {"best_acc": 0.875, "step": 40.0, "seed": 7.0}
    _assert_same(load_state_dict(checkpoint), ckpt_writer.state_dict())


def test_truncated_file_read_after_discovery_is_a_checkpoint_error(ckpt_writer):
    path = ckpt_writer.torch("step_1.pt", ckpt_writer.state_dict())
    checkpoint = _only(ckpt_writer.root)
    path.write_bytes(path.read_bytes()[:200])

    with pytest.raises(CheckpointError) as raised:
        load_state_dict(checkpoint)

    assert raised.value.path == path
    assert "step_1.pt" in str(raised.value) and "save it again" in str(raised.value)


def test_truncated_safetensors_read_after_discovery_is_a_checkpoint_error(ckpt_writer):
    path = ckpt_writer.safetensors("step_1.safetensors", ckpt_writer.state_dict())
    checkpoint = _only(ckpt_writer.root)
    path.write_bytes(path.read_bytes()[:-4])

    with pytest.raises(CheckpointError, match="truncated"):
        list(iter_tensors(checkpoint))


def test_parameter_count_covers_floating_tensors_once(ckpt_writer):
    shared = torch.randn(5, 3)
    ckpt_writer.torch(
        "step_1.pt",
        {
            "embed.weight": shared,
            "head.weight": shared,
            "fc.bias": torch.zeros(5),
            "bn.num_batches_tracked": torch.tensor(3),
            "ids": torch.arange(4),
        },
    )

    assert count_parameters(_only(ckpt_writer.root)) == 15 + 5


def test_parameter_count_of_safetensors_comes_from_the_header(ckpt_writer, monkeypatch):
    ckpt_writer.safetensors(
        "step_1.safetensors",
        {
            "w": torch.zeros(4, 3, dtype=torch.bfloat16),
            "b": torch.zeros(4, dtype=torch.float16),
            "ids": torch.zeros(9, dtype=torch.int64),
        },
    )
    checkpoint = _only(ckpt_writer.root)
    monkeypatch.setattr("phaseviz.checkpoints.reading.safe_open", None)

    assert count_parameters(checkpoint) == 16
