"""Tiny runs that tests build for themselves."""

from __future__ import annotations

from pathlib import Path

import torch


def save_checkpoint(folder: Path, step: int, seed: int | None = None) -> Path:
    generator = torch.Generator().manual_seed(step if seed is None else seed)
    state = {
        "fc1.weight": torch.randn(6, 4, generator=generator),
        "fc1.bias": torch.randn(6, generator=generator),
        "fc2.weight": torch.randn(3, 6, generator=generator) * (1 + step / 10),
        "norm.running_mean": torch.zeros(3),
    }
    path = folder / f"step_{step}.pt"
    torch.save({"state_dict": state, "step": step, "test_acc": step / 100}, path)
    return path


CUSTOM = """
def total_of_model(model):
    return float(sum(p.sum() for p in model.parameters()))
"""

FAILING = """
def broken_of_model(model):
    raise RuntimeError("boom")
"""
