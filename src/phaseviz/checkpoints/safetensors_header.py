"""Reading a safetensors file's header: tensor names, shapes and metadata.

The header is a length-prefixed JSON object at the start of the file, so a
checkpoint can be listed, counted and checked for truncation without reading
a single tensor.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from phaseviz.checkpoints.errors import CheckpointError
from phaseviz.checkpoints.safety import unreadable

# Larger headers than this are not written by any safetensors writer.
MAX_HEADER_BYTES = 100 * 1024 * 1024

_DAMAGED_HINT = "save it again or move it out of the run folder"


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as the header describes it.

    Attributes:
        dtype: The safetensors dtype name (``F32``, ``BF16``, ``I64``...).
        shape: The tensor's shape.
        start: Where its bytes begin in the data section.
    """

    dtype: str
    shape: tuple[int, ...]
    start: int

    @property
    def is_floating(self) -> bool:
        """Whether the tensor holds floating-point numbers."""
        return self.dtype.startswith(("F", "BF"))

    @property
    def numel(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class SafetensorsHeader:
    """The header of one safetensors file.

    Attributes:
        tensors: Each tensor's entry, by name, in the order of their bytes.
        metadata: The ``__metadata__`` strings.
    """

    tensors: dict[str, TensorEntry]
    metadata: dict[str, str] = field(default_factory=dict)


def read_header(path: Path) -> SafetensorsHeader:
    """Read and check the header of a safetensors file.

    Args:
        path: The ``.safetensors`` file.

    Returns:
        Its tensors and metadata.

    Raises:
        CheckpointError: The file is not safetensors, or is truncated.
    """
    try:
        size, prefix, raw = _read_raw_header(path)
    except OSError as error:
        raise unreadable(path, error) from None
    if len(prefix) < 8:
        raise CheckpointError(
            path, f"is {size} bytes, too short for a safetensors file", _DAMAGED_HINT
        )
    length = int.from_bytes(prefix, "little")
    if raw is None:
        raise CheckpointError(
            path,
            f"says its header is {length} bytes but the file is {size} "
            "bytes: it is truncated or not safetensors",
            _DAMAGED_HINT,
        )

    header, end = _parse(path, raw)
    data_bytes = size - 8 - length
    if end != data_bytes:
        raise CheckpointError(
            path,
            f"holds {data_bytes} bytes of tensor data but its header describes "
            f"{end}: it is truncated or damaged",
            _DAMAGED_HINT,
        )
    return header


def _read_raw_header(path: Path) -> tuple[int, bytes, bytes | None]:
    """The file's size, its 8-byte length prefix, and the header bytes.

    The header is None when its length cannot be right for this file.
    """
    size = path.stat().st_size
    with path.open("rb") as file:
        prefix = file.read(8)
        length = int.from_bytes(prefix, "little")
        if len(prefix) < 8 or length > min(size - 8, MAX_HEADER_BYTES):
            return size, prefix, None
        return size, prefix, file.read(length)


def _parse(path: Path, raw: bytes) -> tuple[SafetensorsHeader, int]:
    """The header, and where its last tensor's bytes end."""
    try:
        document = json.loads(raw)
        metadata = document.pop("__metadata__", None) or {}
        metadata = {str(key): str(value) for key, value in metadata.items()}
        entries = {
            str(name): (
                str(entry["dtype"]),
                tuple(int(n) for n in entry["shape"]),
                (int(entry["data_offsets"][0]), int(entry["data_offsets"][1])),
            )
            for name, entry in document.items()
        }
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise CheckpointError(
            path, f"has a damaged safetensors header ({error!r})", _DAMAGED_HINT
        ) from None

    ordered = sorted(entries.items(), key=lambda item: item[1][2])
    tensors = {
        name: TensorEntry(dtype, shape, offsets[0])
        for name, (dtype, shape, offsets) in ordered
    }
    end = max((offsets[1] for _, _, offsets in entries.values()), default=0)
    return SafetensorsHeader(tensors, metadata), end
