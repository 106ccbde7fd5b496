"""Reading a safetensors file's header: tensor names, shapes and metadata.

The header is a length-prefixed JSON object at the start of the file, so a
checkpoint can be listed, counted and checked for truncation without reading
a single tensor. The same offsets let :func:`map_tensors` build the tensors
over a memory map of the file without copying a byte.
"""

from __future__ import annotations

import json
import math
import mmap
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from phaseviz.checkpoints.errors import CheckpointError
from phaseviz.checkpoints.safety import unreadable

if TYPE_CHECKING:
    import torch

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
        end: Where they end; -1 when not known.
    """

    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int = -1

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
    # A header nested deeply enough overflows the JSON parser's stack.
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
    ) as error:
        raise CheckpointError(
            path, f"has a damaged safetensors header ({error!r})", _DAMAGED_HINT
        ) from None

    ordered = sorted(entries.items(), key=lambda item: item[1][2])
    tensors = {
        name: TensorEntry(dtype, shape, offsets[0], offsets[1])
        for name, (dtype, shape, offsets) in ordered
    }
    end = max((offsets[1] for _, _, offsets in entries.values()), default=0)
    return SafetensorsHeader(tensors, metadata), end


# Element types torch can view in place, by safetensors name.
_TORCH_DTYPES = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}


def map_tensors(
    path: Path, header: SafetensorsHeader
) -> dict[str, torch.Tensor] | None:
    """Every tensor of a safetensors file as a view of a memory map of it.

    Nothing is read until a tensor's elements are: its pages come from the
    file (through the page cache) when touched. The map is private, so a
    write to a tensor changes this process's copy, never the file. The file
    must not be rewritten in place while its tensors are in use; writing a
    new file and renaming it over the old one is safe.

    Args:
        path: The file.
        header: Its header, from :func:`read_header`.

    Returns:
        Tensors by name, in the order of their bytes; None when the file
        cannot be viewed in place (an element type torch cannot view, bytes
        not aligned to their element size, a big-endian machine), for the
        caller to read by copying instead.

    Raises:
        CheckpointError: A tensor's bytes do not match its shape.
    """
    import torch

    dtypes = {name: getattr(torch, dtype) for name, dtype in _TORCH_DTYPES.items()}
    if sys.byteorder != "little" or any(
        entry.dtype not in dtypes for entry in header.tensors.values()
    ):
        return None
    try:
        with path.open("rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY)
    except (OSError, ValueError) as error:
        raise CheckpointError(
            path, f"could not be memory-mapped ({error})", _DAMAGED_HINT
        ) from None

    data = 8 + int.from_bytes(mapped[:8], "little")
    tensors: dict[str, torch.Tensor] = {}
    for name, entry in header.tensors.items():
        dtype = dtypes[entry.dtype]
        size = torch.empty(0, dtype=dtype).element_size()
        if entry.end >= 0 and entry.end - entry.start != entry.numel * size:
            raise CheckpointError(
                path,
                f"tensor {name} has {entry.end - entry.start} bytes, not the "
                f"{entry.numel * size} its shape {list(entry.shape)} and "
                f"{entry.dtype} need",
                _DAMAGED_HINT,
            )
        if (data + entry.start) % size:
            return None
        if entry.numel == 0:
            tensors[name] = torch.empty(entry.shape, dtype=dtype)
            continue
        flat = torch.frombuffer(
            mapped, dtype=dtype, count=entry.numel, offset=data + entry.start
        )
        tensors[name] = flat.reshape(entry.shape)
    return tensors
