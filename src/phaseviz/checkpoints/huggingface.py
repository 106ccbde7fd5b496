"""Hugging Face folders: which files hold the weights, and ``trainer_state.json``.

A Trainer writes each checkpoint as a folder ``checkpoint-N/`` holding
``model.safetensors`` (or shards listed in ``model.safetensors.index.json``,
or the older ``pytorch_model.bin``), plus optimizer and scheduler files that
phaseviz leaves alone, and ``trainer_state.json`` with the step and the
training log.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phaseviz.checkpoints.errors import CheckpointError

logger = logging.getLogger(__name__)

SAFETENSORS_NAME = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
TORCH_BIN_NAME = "pytorch_model.bin"
TORCH_BIN_INDEX = "pytorch_model.bin.index.json"
TRAINER_STATE = "trainer_state.json"
CONFIG = "config.json"

_SHARD = re.compile(r"^(model|pytorch_model)-(\d+)-of-(\d+)\.(safetensors|bin)$")


@dataclass(frozen=True)
class WeightFiles:
    """The files that hold a Hugging Face folder's weights.

    Attributes:
        format: ``safetensors``, ``safetensors-sharded`` or ``torch-bin``.
        files: The weight files, shards in order.
    """

    format: str
    files: tuple[Path, ...]


def is_weight_file_name(name: str) -> bool:
    """Whether ``name`` is one of the weight files of a Hugging Face folder."""
    return name in (SAFETENSORS_NAME, TORCH_BIN_NAME) or bool(_SHARD.match(name))


def find_weight_files(folder: Path) -> WeightFiles | None:
    """The weight files of a Hugging Face folder, or None if it is not one.

    Args:
        folder: A folder such as ``checkpoint-500/``.

    Raises:
        CheckpointError: The folder's index is damaged or names missing shards.
    """
    names = {entry.name for entry in folder.iterdir() if entry.is_file()}
    if SAFETENSORS_NAME in names:
        return WeightFiles("safetensors", (folder / SAFETENSORS_NAME,))
    if SAFETENSORS_INDEX in names:
        return WeightFiles("safetensors-sharded", _indexed(folder / SAFETENSORS_INDEX))
    if TORCH_BIN_NAME in names:
        return WeightFiles("torch-bin", (folder / TORCH_BIN_NAME,))
    if TORCH_BIN_INDEX in names:
        return WeightFiles("torch-bin", _indexed(folder / TORCH_BIN_INDEX))

    shards = _unindexed_shards(folder, names)
    if shards is None:
        return None
    fmt = "safetensors-sharded" if shards[0].suffix == ".safetensors" else "torch-bin"
    return WeightFiles(fmt, shards)


def _indexed(index: Path) -> tuple[Path, ...]:
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
        names = sorted(set(weight_map.values()))
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
    ) as error:
        raise CheckpointError(
            index,
            f"is not a readable shard index ({error!r})",
            "save the checkpoint again",
        ) from None

    missing = [name for name in names if not (index.parent / name).is_file()]
    if missing:
        raise CheckpointError(
            index.parent,
            f"misses shards named in {index.name}: {', '.join(missing)}",
            "copy the missing shards or move the folder out of the run",
        )
    return tuple(index.parent / name for name in names)


def _unindexed_shards(folder: Path, names: set[str]) -> tuple[Path, ...] | None:
    matches = [m for m in map(_SHARD.match, sorted(names)) if m]
    if not matches:
        return None

    expected = int(matches[0].group(3))
    if len(matches) != expected:
        raise CheckpointError(
            folder,
            f"holds {len(matches)} of {expected} weight shards and no index",
            "copy the missing shards or move the folder out of the run",
        )
    return tuple(folder / m.group(0) for m in matches)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when missing, logged when unreadable."""
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as error:
        logger.warning(
            "checkpoint %s: %s is not readable JSON (%s)", path.parent, path.name, error
        )
        return None
    return document if isinstance(document, dict) else None


def trainer_state_step(state: dict[str, Any]) -> int | None:
    """The ``global_step`` of a ``trainer_state.json``, if it has one."""
    step = state.get("global_step")
    if isinstance(step, int) and not isinstance(step, bool) and step >= 0:
        return step
    return None


def logged_values(state: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint's step and epoch, and its ``log_history`` entries, merged.

    A Trainer logs training and evaluation values as separate entries at the
    same step; later entries win where names repeat, and the state's own
    ``global_step`` and ``epoch`` win over logged ones.
    """
    step = trainer_state_step(state)
    merged: dict[str, Any] = {}
    history = state.get("log_history")
    if step is not None and isinstance(history, list):
        for entry in history:
            if isinstance(entry, dict) and entry.get("step") == step:
                merged.update({k: v for k, v in entry.items() if k != "step"})

    for key in ("global_step", "epoch"):
        if key in state:
            merged[key] = state[key]
    return merged
