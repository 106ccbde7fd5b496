"""Small file systems for the fault tests: a tiny tmpfs, a read-only view.

Both need root and a kernel that lets this process mount; where it may not
(most containers, every unprivileged user) the test is skipped and its
in-process twin, which patches the failure in, still runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*arguments: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting needs root and the mount command")
    done = subprocess.run(["mount", *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount {' '.join(arguments)} not permitted: {done.stderr.strip()}")


def _unmount(target: Path) -> None:
    if subprocess.run(["umount", str(target)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@contextlib.contextmanager
def tiny_tmpfs(target: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` kilobytes mounted on ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(target))
    try:
        yield target
    finally:
        _unmount(target)


@contextlib.contextmanager
def read_only_view(source: Path, target: Path) -> Iterator[Path]:
    """``source`` seen through a read-only bind mount on ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(target))
    try:
        done = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(target)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip("remounting a bind mount read-only is not permitted")
        yield target
    finally:
        _unmount(target)


def fill(folder: Path, leave_bytes: int) -> Path:
    """Fill the file system of ``folder`` until about ``leave_bytes`` are free."""
    filler = folder / "filler.bin"
    free = shutil.disk_usage(folder).free
    with filler.open("wb") as stream, contextlib.suppress(OSError):
        stream.write(b"\0" * max(0, free - leave_bytes))
    return filler
