"""Recorded scalars: the numbers a checkpoint stores beside its weights."""

from __future__ import annotations

import math

import numpy as np
import torch

from phaseviz.checkpoints import discover_run
from phaseviz.checkpoints.recorded import (
    metadata_scalars,
    recorded_scalars,
    scalar_value,
)


def test_nested_metrics_are_flattened_to_dotted_names():
    data = {
        "state_dict": {"w": torch.ones(2)},
        "epoch": 3,
        "metrics": {"test_acc": 0.9, "val": {"loss": torch.tensor(0.25)}},
    }

    assert recorded_scalars(data, skip=frozenset({"state_dict"})) == {
        "epoch": 3.0,
        "metrics.test_acc": 0.9,
        "metrics.val.loss": 0.25,
    }


def test_training_machinery_and_config_are_not_recorded():
    data = {
        "optimizer_state_dict": {"param_groups": [{"lr": 0.1}], "step": 4},
        "callbacks": {"EarlyStopping": {"wait_count": 2}},
        "lr_schedulers": [{"last_epoch": 3}],
        "hyper_parameters": {"lr": 0.001},
        "loops": {"fit_loop": {"total": 5}},
        "val_loss": 0.5,
    }

    assert recorded_scalars(data) == {"val_loss": 0.5}


def test_only_real_numbers_count():
    assert scalar_value(True) is None
    assert scalar_value(np.bool_(False)) is None
    assert scalar_value("0.5") is None
    assert scalar_value(float("inf")) is None
    assert scalar_value(1 + 2j) is None
    assert scalar_value(torch.tensor([1.0, 2.0])) is None
    assert scalar_value(torch.tensor(True)) is None
    assert math.isnan(scalar_value(float("nan")))
    assert scalar_value(np.float32(0.5)) == 0.5
    assert scalar_value(np.array(2)) == 2.0
    assert scalar_value(torch.tensor(7, dtype=torch.int64)) == 7.0


def test_nested_state_dicts_are_not_searched_for_scalars():
    data = {
        "ema": {"w": torch.ones(3), "n": torch.tensor(1)},
        "teacher": {"w": torch.ones(3), "steps": 5},
    }

    assert recorded_scalars(data) == {}


def test_safetensors_metadata_numbers_and_json_objects():
    metadata = {
        "format": "pt",
        "step": "12",
        "loss": "nan",
        "big": "inf",
        "eval": '{"acc": 0.75, "name": "x"}',
    }

    found = metadata_scalars(metadata)

    assert found["step"] == 12.0 and math.isnan(found["loss"])
    assert found["eval.acc"] == 0.75
    assert set(found) == {"step", "loss", "eval.acc"}


def test_trainer_log_history_of_the_checkpoints_own_step(ckpt_writer):
    ckpt_writer.trainer_folder("checkpoint-200", 200)

    (checkpoint,) = discover_run(ckpt_writer.root).checkpoints

    assert checkpoint.recorded == {
        "global_step": 200.0,
        "epoch": 2.0,
        "loss": 0.5,
        "learning_rate": 1e-4,
        "eval_loss": 0.75,
        "eval_runtime": 2.0,
    }


def test_plain_state_dict_records_no_weights_as_scalars(ckpt_writer):
    sd = dict(ckpt_writer.state_dict())
    sd["bn.num_batches_tracked"] = torch.tensor(10)
    ckpt_writer.torch("step_1.pt", sd)

    (checkpoint,) = discover_run(ckpt_writer.root).checkpoints

    assert checkpoint.recorded == {}
