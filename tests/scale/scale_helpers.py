"""Small runs and memory probes for the scale tests."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

# The width of the runs used to measure memory: 8 MB matrices.
WIDE = 1024


def state(step: int, width: int = 64) -> dict[str, torch.Tensor]:
    """A small model whose weights drift with the step, big enough to span pages."""
    generator = torch.Generator().manual_seed(step)
    return {
        "embed.weight": torch.randn(256, width, generator=generator),
        "fc1.weight": torch.randn(2 * width, width, generator=generator),
        "fc1.bias": torch.randn(2 * width, generator=generator),
        "fc2.weight": torch.randn(width, 2 * width, generator=generator) * (1 + step),
        "norm.weight": torch.ones(width) + step / 10,
    }


def save_run(folder: Path, form: str, steps=(0, 1, 2, 3), width: int = 64) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for step in steps:
        tensors = state(step, width)
        if form == "safetensors":
            save_file(tensors, folder / f"step_{step}.safetensors")
        elif form == "legacy":
            torch.save(
                tensors,
                folder / f"step_{step}.pt",
                _use_new_zipfile_serialization=False,
            )
        else:
            torch.save(tensors, folder / f"step_{step}.pt")
    return folder


def mapping_resident_kb(path: Path) -> int:
    """Resident kB of this process's mappings of ``path`` (from smaps)."""
    total, inside = 0, False
    target = str(path.resolve())
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):
            inside = len(fields) >= 6 and fields[5] == target
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def file_resident_kb() -> int:
    """This process's resident file-backed memory, in kB (cheap to read)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    raise RuntimeError("no RssFile in /proc/self/status")
