"""Reading a checkpoint's tensors, whatever its format.

Safetensors files and torch zip files are memory-mapped, so a tensor's
bytes are read only when its elements are used (and can be given back
after, see :mod:`phaseviz.engine.pages`); safetensors tensors are views of
the map, built from the header's offsets without copying. Torch files in
the legacy format, before torch 1.6, cannot be mapped and are read whole.
Every torch file goes through the weights-only unpickler unless ``trust``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from phaseviz.checkpoints import huggingface as hf
from phaseviz.checkpoints.errors import CheckpointError
from phaseviz.checkpoints.run import Checkpoint
from phaseviz.checkpoints.safetensors_header import (
    SafetensorsHeader,
    map_tensors,
    read_header,
)
from phaseviz.checkpoints.safety import DAMAGED_HINT, torch_load
from phaseviz.checkpoints.state_dict import (
    STATE_DICT_KEYS,
    find_config,
    find_state_dict,
    strip_wrapper_prefix,
    wrapper_prefix,
)

logger = logging.getLogger(__name__)

SAFETENSORS_FORMATS = frozenset({"safetensors", "safetensors-sharded"})


@dataclass
class LoadedCheckpoint:
    """A checkpoint read into memory, ready to build a model from.

    Attributes:
        state_dict: Tensors by layer name, wrapper prefix stripped.
        config: The model config stored with the weights (``config``,
            ``model_config``, ``hparams``, ``hyper_parameters``, or a Hugging
            Face ``config.json``), if any.
        recorded: The checkpoint's recorded scalars.
        prefix: The wrapper prefix stripped from every layer name.
    """

    state_dict: dict[str, torch.Tensor]
    config: dict[str, Any] | None = None
    recorded: dict[str, float] = field(default_factory=dict)
    prefix: str = ""


def load_checkpoint(checkpoint: Checkpoint, *, trust: bool = False) -> LoadedCheckpoint:
    """Read a checkpoint's state dict and the model config stored with it.

    Args:
        checkpoint: From :func:`phaseviz.checkpoints.discover_run`.
        trust: Unpickle arbitrary objects (``--trust-checkpoints``).

    Returns:
        The state dict, config and recorded scalars.

    Raises:
        UnsafeCheckpointError: Loading it would run code stored in it.
        CheckpointError: It cannot be read.
    """
    config = None
    if checkpoint.format in SAFETENSORS_FORMATS:
        tensors = _read_safetensors(checkpoint.files)
    else:
        tensors, config = _read_torch(checkpoint.files, trust)

    if config is None and checkpoint.path.is_dir():
        config = hf.read_json(checkpoint.path / hf.CONFIG)
    state_dict, prefix = strip_wrapper_prefix(tensors)
    return LoadedCheckpoint(state_dict, config, dict(checkpoint.recorded), prefix)


def load_state_dict(
    checkpoint: Checkpoint, *, trust: bool = False
) -> dict[str, torch.Tensor]:
    """Read a checkpoint's tensors by layer name.

    Shards are merged; Lightning's ``model.`` and DDP's ``module.`` prefixes
    are stripped when every name has them; values that are not tensors are
    dropped.

    Args:
        checkpoint: From :func:`phaseviz.checkpoints.discover_run`.
        trust: Unpickle arbitrary objects (``--trust-checkpoints``).

    Raises:
        UnsafeCheckpointError: Loading it would run code stored in it.
        CheckpointError: It cannot be read.
    """
    return load_checkpoint(checkpoint, trust=trust).state_dict


def iter_tensors(
    checkpoint: Checkpoint, *, trust: bool = False
) -> Iterator[tuple[str, torch.Tensor]]:
    """Yield a checkpoint's tensors one at a time, with their layer names.

    Safetensors tensors are views of a memory map, read only as their
    elements are used; torch zip files are memory-mapped too.

    Args:
        checkpoint: From :func:`phaseviz.checkpoints.discover_run`.
        trust: Unpickle arbitrary objects (``--trust-checkpoints``).

    Raises:
        UnsafeCheckpointError: Loading it would run code stored in it.
        CheckpointError: It cannot be read.
    """
    if checkpoint.format not in SAFETENSORS_FORMATS:
        yield from load_state_dict(checkpoint, trust=trust).items()
        return

    headers = [(path, read_header(path)) for path in checkpoint.files]
    cut = len(wrapper_prefix([name for _, h in headers for name in h.tensors]))
    for path, header in headers:
        for name, tensor in _safetensors_file(path, header).items():
            yield name[cut:], tensor


def count_parameters(checkpoint: Checkpoint, *, trust: bool = False) -> int:
    """The number of elements of a checkpoint's floating-point tensors.

    Read from the headers for safetensors and from memory-mapped shapes for
    torch files; tensors sharing storage (tied weights) count once.

    Raises:
        UnsafeCheckpointError: Loading it would run code stored in it.
        CheckpointError: It cannot be read.
    """
    if checkpoint.format in SAFETENSORS_FORMATS:
        return sum(
            entry.numel
            for path in checkpoint.files
            for entry in read_header(path).tensors.values()
            if entry.is_floating
        )

    tensors, _ = _read_torch(checkpoint.files, trust)
    seen: set[tuple[Any, ...]] = set()
    for tensor in tensors.values():
        if tensor.is_floating_point():
            seen.add(_storage_view(tensor))
    return sum(math.prod(view[2]) for view in seen)


def _storage_view(tensor: torch.Tensor) -> tuple[Any, ...]:
    """What identifies a tensor's elements, so tied weights count once."""
    try:
        pointer = tensor.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):
        pointer = id(tensor)
    return (pointer, tensor.storage_offset(), tuple(tensor.shape), tensor.stride())


def _read_torch(
    files: tuple[Path, ...], trust: bool
) -> tuple[dict[str, torch.Tensor], dict[str, Any] | None]:
    tensors: dict[str, torch.Tensor] = {}
    config = None
    for path in files:
        data = torch_load(path, trust=trust)
        found = find_state_dict(data)
        if found is None:
            raise no_state_dict(path)
        tensors.update(found.tensors)
        config = config or find_config(data)
    return tensors, config


def no_state_dict(path: Path) -> CheckpointError:
    """The error for a torch file that holds no weights phaseviz can find."""
    places = ", ".join(STATE_DICT_KEYS)
    return CheckpointError(
        path,
        f"holds no state dict: no tensors under {places} or at its top level",
        "save model.state_dict(), alone or under one of those keys",
    )


def _read_safetensors(files: tuple[Path, ...]) -> dict[str, torch.Tensor]:
    tensors: dict[str, torch.Tensor] = {}
    for path in files:
        tensors.update(_safetensors_file(path, read_header(path)))
    return tensors


def _safetensors_file(path: Path, header: SafetensorsHeader) -> dict[str, torch.Tensor]:
    """The file's tensors as views of a memory map, else copied one by one."""
    mapped = map_tensors(path, header)
    if mapped is not None:
        return mapped
    logger.debug("checkpoint file %s cannot be viewed in place; copying", path)
    with _safe_open(path) as file:
        return {name: _get_tensor(path, file, name) for name in header.tensors}


def _safe_open(path: Path) -> Any:
    try:
        return safe_open(str(path), framework="pt", device="cpu")
    except Exception as error:  # the library raises its own types
        raise CheckpointError(
            path, f"could not be opened ({error})", DAMAGED_HINT
        ) from None


def _get_tensor(path: Path, file: Any, name: str) -> torch.Tensor:
    try:
        return file.get_tensor(name)
    except Exception as error:  # the library raises its own types
        raise CheckpointError(
            path, f"tensor {name} could not be read ({error})", DAMAGED_HINT
        ) from None
