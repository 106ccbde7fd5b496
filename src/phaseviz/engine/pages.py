"""Giving back the memory of memory-mapped checkpoint tensors once read.

Safetensors and torch zip files are memory-mapped: a tensor costs nothing
until its elements are read, and then its pages stay resident as long as
the checkpoint is held. :class:`MappedParameters` lets the metrics drop the
pages of each tensor they have finished with (``madvise(MADV_DONTNEED)``),
so a computation holds about one tensor at a time rather than the whole
checkpoint. Reading a released tensor again reads the file again (from the
page cache, usually), with the same values.

Only pages inside a private mapping of the checkpoint's own files are ever
dropped, and only while the mapping is held by one of its tensors: memory
that is not file-backed (a legacy torch file read whole, a model's
parameters) is never touched, as dropping it would lose its contents.
The mappings are private, so a tensor changed in place (a custom metric
may do that) goes back to the file's values once released: the engine
releases a checkpoint only after its custom metrics have run. Elsewhere
than on Linux nothing is dropped.
"""

from __future__ import annotations

import bisect
import ctypes
import logging
import mmap
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from torch import Tensor

logger = logging.getLogger(__name__)

_PAGE = mmap.PAGESIZE
_MAPS = Path("/proc/self/maps")


class MappedParameters(dict[str, Tensor]):
    """P of one checkpoint whose memory-mapped tensors can release their pages.

    Args:
        params: P by state-dict name.
        files: The checkpoint's files; only their mappings are released.
    """

    def __init__(self, params: Mapping[str, Tensor], files: Iterable[Path]) -> None:
        super().__init__(params)
        # The whole pages of each tensor of ours that lies in a mapping of the
        # checkpoint's files, in address order; holding the tensors keeps the
        # mappings alive, so these addresses stay theirs.
        ranges = _mapped_ranges(files)
        spans = {
            pages
            for tensor in self.values()
            if (pages := _pages_of(tensor)) is not None
            and any(low <= pages[0] and pages[1] <= high for low, high in ranges)
        }
        self._spans = sorted(spans)
        self._starts = [start for start, _ in self._spans]

    @property
    def mapped(self) -> bool:
        """Whether any tensor lies in a mapping whose pages can be released."""
        return bool(self._spans)

    def release(self, tensor: Tensor) -> None:
        """Drop the resident pages of ``tensor``, a tensor of P or a view of one.

        Nothing happens unless its pages lie inside one of the mapped
        tensors of this checkpoint.
        """
        if not self._spans:
            return
        pages = _pages_of(tensor)
        if pages is None:
            return
        at = bisect.bisect_right(self._starts, pages[0]) - 1
        if at >= 0 and pages[1] <= self._spans[at][1]:
            _drop(pages[0], pages[1] - pages[0])

    def release_all(self) -> None:
        """Drop the resident pages of every mapped tensor."""
        for start, end in self._spans:
            _drop(start, end - start)


def release_all(params: Mapping[str, Tensor]) -> None:
    """Drop the pages of every tensor of ``params`` if it can; else nothing."""
    if isinstance(params, MappedParameters):
        params.release_all()


def _pages_of(tensor: Tensor) -> tuple[int, int] | None:
    """The whole pages inside ``tensor``'s bytes, or None if there are none.

    Pages shared with a neighbour are kept: they belong to it as well.
    """
    if tensor.device.type != "cpu" or tensor.numel() == 0:
        return None
    start = tensor.data_ptr()
    if tensor.is_contiguous():
        end = start + tensor.numel() * tensor.element_size()
    else:
        storage = tensor.untyped_storage()
        start, end = storage.data_ptr(), storage.data_ptr() + storage.nbytes()
    first, last = -(-start // _PAGE) * _PAGE, end // _PAGE * _PAGE
    return (first, last) if last > first else None


def _mapped_ranges(files: Iterable[Path]) -> list[tuple[int, int]]:
    """The private mappings of ``files`` in this process, adjacent ones merged."""
    if sys.platform != "linux":
        return []
    wanted = {os.path.realpath(path) for path in files}
    try:
        lines = _MAPS.read_text().splitlines()
    except OSError as error:
        logger.debug("memory maps unreadable (%s); no pages are released", error)
        return []
    return _merged(_file_mappings(lines, wanted))


def _file_mappings(lines: list[str], wanted: set[str]) -> list[tuple[int, int]]:
    found = []
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or fields[5] not in wanted:
            continue
        # Shared mappings would pass a release on to other processes' view
        # of the file's pages; phaseviz only maps files privately.
        if not fields[1].endswith("p"):
            continue
        low, high = (int(part, 16) for part in fields[0].split("-"))
        found.append((low, high))
    return found


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and merged[-1][1] == low:
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def _drop(address: int, length: int) -> None:
    if _madvise(address, length, mmap.MADV_DONTNEED) != 0:
        logger.debug(
            "madvise of %d bytes failed (errno %d)", length, ctypes.get_errno()
        )


def _libc_madvise() -> Any:
    if sys.platform != "linux":
        return None
    function = ctypes.CDLL(None, use_errno=True).madvise
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_LIBC_MADVISE = _libc_madvise()


def _madvise(address: int, length: int, advice: int) -> int:
    if _LIBC_MADVISE is None:
        return 0
    return int(_LIBC_MADVISE(address, length, advice))
