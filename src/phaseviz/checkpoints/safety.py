"""Unpickling torch checkpoints without running code stored in them.

Every torch file is read with ``torch.load(weights_only=True)``, which only
rebuilds tensors and plain containers. A few harmless data types that real
checkpoints carry beside their weights (NumPy scalars and arrays, an
``argparse.Namespace`` of hyperparameters, paths) are allowed on top; none of
them can call anything on load. ``trust=True`` turns the guard off.
"""

from __future__ import annotations

import argparse
import io
import logging
import pathlib
import pickle
import pickletools
import re
import threading
from pathlib import Path
from typing import Any

import torch

from phaseviz.checkpoints.errors import CheckpointError, UnsafeCheckpointError

logger = logging.getLogger(__name__)

TRUST_HINT = (
    "if you trust this file, pass --trust-checkpoints; that lets it run code "
    "stored in it"
)
DAMAGED_HINT = (
    "the file may be truncated, damaged or still being written; save it again "
    "or move it out of the run folder"
)

# Only the start of a legacy file is pickles; the rest is tensor bytes.
SCAN_BYTES = 64 * 1024 * 1024

_allow_lock = threading.Lock()
_allowed = False

# How torch words a refusal by the weights-only unpickler, with the global.
_GLOBAL_PATTERNS = (
    re.compile(r"GLOBAL (\S+) was not an allowed global"),
    re.compile(r"unsupported GLOBAL (\S+) whose module"),
)
_REFUSAL_PATTERNS = (
    re.compile(r"Trying to call reduce for unrecognized function [^\n]+"),
    re.compile(r"Can only (?:build|create new object|SETITEMS?|append|extend)[^\n]+"),
)


def torch_load(path: Path, *, trust: bool = False) -> Any:
    """Unpickle a torch file onto the CPU, memory-mapped where it can be.

    Files in torch's zip format are memory-mapped, so tensors are only read
    when used; the old pickle-only format is read whole.

    Args:
        path: The ``.pt``, ``.pth``, ``.bin`` or ``.ckpt`` file.
        trust: Unpickle arbitrary objects (``--trust-checkpoints``).

    Returns:
        Whatever the file holds, usually a dict.

    Raises:
        UnsafeCheckpointError: Loading it would run code stored in it.
        CheckpointError: It is not a readable torch file.
    """
    try:
        size, mmap = path.stat().st_size, is_torch_zip(path)
    except OSError as error:
        raise unreadable(path, error) from None
    if size == 0:
        raise CheckpointError(path, "is empty (0 bytes)", DAMAGED_HINT)
    if not trust:
        allow_metadata_types()

    try:
        return torch.load(path, map_location="cpu", weights_only=not trust, mmap=mmap)
    except pickle.UnpicklingError as error:
        if trust:
            raise _damaged(path, error) from None
        raise refusal_error(path, str(error)) from None
    except RuntimeError as error:
        if not trust and "TorchScript" in str(error):
            raise UnsafeCheckpointError(
                path, "is a TorchScript archive, which holds code", TRUST_HINT
            ) from None
        raise _damaged(path, error) from None
    except (AttributeError, ModuleNotFoundError, ImportError) as error:
        raise CheckpointError(
            path,
            f"refers to code that cannot be imported here ({error})",
            "make the module it was saved from importable, or save a state_dict",
        ) from None
    except Exception as error:  # any failure means unreadable
        raise _damaged(path, error) from None


def unreadable(path: Path, error: OSError) -> CheckpointError:
    """The error for a file the system will not let phaseviz read."""
    return CheckpointError(
        path,
        f"cannot be read ({error.strerror or error})",
        "check that it exists and that you may read it",
    )


def is_torch_zip(path: Path) -> bool:
    """Whether ``path`` is in torch's zip format (the default since 1.6)."""
    with path.open("rb") as file:
        return file.read(4) == b"PK\x03\x04"


def allow_metadata_types() -> None:
    """Allow the harmless data types that checkpoints carry, once per process.

    Added process-wide rather than with the ``safe_globals`` context manager:
    the context removes its globals on exit, which would break a load running
    at the same time in another thread.
    """
    global _allowed
    with _allow_lock:
        if _allowed:
            return
        torch.serialization.add_safe_globals(_metadata_globals())
        _allowed = True


def _metadata_globals() -> list[Any]:
    import numpy as np

    core: Any = getattr(np, "_core", None) or np.core
    multiarray = core.multiarray
    allowed: list[Any] = [
        np.dtype,
        np.ndarray,
        argparse.Namespace,
        pathlib.PosixPath,
        pathlib.PurePosixPath,
        pathlib.PureWindowsPath,
    ]
    # NumPy 1 and NumPy 2 name the scalar and array rebuilders differently.
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed.append((multiarray.scalar, f"{module}.scalar"))
        allowed.append((multiarray._reconstruct, f"{module}._reconstruct"))

    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        allowed.extend(getattr(dtypes, name) for name in dtypes.__all__)
    return allowed


def refusal_error(path: Path, message: str) -> CheckpointError:
    """The error for a file the weights-only unpickler refused.

    Args:
        path: The file.
        message: The unpickler's message.

    Returns:
        An UnsafeCheckpointError naming the disallowed globals where the
        file uses any, else a CheckpointError for a damaged file.
    """
    names = _named_globals(message) or unsafe_globals(path)
    if names:
        listed = ", ".join(sorted(names))
        return UnsafeCheckpointError(
            path,
            f"loading it safely is refused: it needs {listed}, which may run code",
            TRUST_HINT,
        )

    for pattern in _REFUSAL_PATTERNS:
        match = pattern.search(message)
        if match:
            return UnsafeCheckpointError(
                path, f"loading it safely is refused: {match.group(0)}", TRUST_HINT
            )

    detail = _core_message(message)
    return CheckpointError(
        path,
        f"is not a readable torch checkpoint ({detail})",
        f"{DAMAGED_HINT}; if it loads with torch.load(weights_only=False) and "
        "you trust it, pass --trust-checkpoints",
    )


def unsafe_globals(path: Path) -> list[str]:
    """The globals in a torch file that safe loading does not allow.

    The pickle is disassembled, never run. Returns an empty list where the
    file cannot be disassembled.
    """
    try:
        if is_torch_zip(path):
            return list(torch.serialization.get_unsafe_globals_in_checkpoint(path))
        with path.open("rb") as file:
            return _scan_pickles(file.read(SCAN_BYTES))
    except Exception as error:  # only improves a message
        logger.debug("checkpoint %s: globals not listed (%s)", path, error)
        return []


def _scan_pickles(data: bytes) -> list[str]:
    allowed = _allowed_global_names()
    stream = io.BytesIO(data)
    found: list[str] = []
    # A legacy torch file is several pickles in a row, then raw storage bytes.
    for _ in range(8):
        start = stream.tell()
        names, complete = _globals_in_pickle(stream)
        found.extend(name for name in names if name not in allowed)
        if not complete or stream.tell() <= start:
            break
    return sorted(set(found))


def _globals_in_pickle(stream: io.BytesIO) -> tuple[list[str], bool]:
    """The globals one pickle names, and whether it was read to its end."""
    names: list[str] = []
    strings: list[str | None] = []
    memo: dict[int, str | None] = {}
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            name = opcode.name
            if name == "GLOBAL":
                names.append(str(arg).replace(" ", "."))
            elif name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(f"{strings[-2]}.{strings[-1]}")
            elif "UNICODE" in name or name.endswith("STRING"):
                strings.append(str(arg))
            elif name == "MEMOIZE":
                memo[len(memo)] = strings[-1] if strings else None
            elif name.endswith("PUT"):
                memo[int(str(arg))] = strings[-1] if strings else None
            elif name.endswith("GET"):
                strings.append(memo.get(int(str(arg))))
    except Exception:  # the stream goes on in raw bytes, or is damaged
        return names, False
    return names, True


def _allowed_global_names() -> set[str]:
    from torch import _weights_only_unpickler as unpickler

    return set(unpickler._get_allowed_globals()) | set(
        unpickler._get_user_allowed_globals()
    )


def _named_globals(message: str) -> list[str]:
    names: list[str] = []
    for pattern in _GLOBAL_PATTERNS:
        names.extend(pattern.findall(message))
    return names


def _core_message(message: str) -> str:
    """The unpickler's own words, without torch's paragraphs of advice."""
    marker = "WeightsUnpickler error:"
    if marker in message:
        message = message.split(marker, 1)[1]
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("Check the doc")]
    return useful[0] if useful else "unpickling failed"


def _damaged(path: Path, error: BaseException) -> CheckpointError:
    text = str(error).strip()
    if "central directory" in text:
        reason = "is cut short: its zip archive has no end"
    elif isinstance(error, EOFError):
        reason = "ends before its data does"
    else:
        # torch's messages run on for paragraphs; the first sentence says it.
        detail = text.split(". ")[0].splitlines()[0] if text else type(error).__name__
        reason = f"could not be read ({detail[:160]})"
    return CheckpointError(path, reason, DAMAGED_HINT)
