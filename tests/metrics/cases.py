"""Small state dicts whose metrics have known or independently checked answers."""

from __future__ import annotations

import math

import torch


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=_gen(seed), dtype=torch.float64).to(dtype)


def identity() -> dict[str, torch.Tensor]:
    return {"fc.weight": torch.eye(6)}


def rank_one() -> dict[str, torch.Tensor]:
    # Only the first row is non-zero, so the other singular values are
    # exactly zero rather than rounding noise.
    weight = torch.zeros(5, 4, dtype=torch.float64)
    weight[0] = torch.tensor([1.0, -2.0, 0.5, 3.0])
    return {"fc.weight": weight}


def gaussian() -> dict[str, torch.Tensor]:
    return {
        "l1.weight": _randn(8, 6, seed=1),
        "l1.bias": _randn(8, seed=2),
        "l2.weight": _randn(3, 8, seed=3) * 0.1 + 0.05,
    }


def conv() -> dict[str, torch.Tensor]:
    return {
        "conv.weight": _randn(4, 3, 3, 3, seed=4, dtype=torch.float32),
        "conv.bias": _randn(4, seed=5, dtype=torch.float32),
        "fc.weight": _randn(2, 36, seed=6, dtype=torch.float32),
        "fc.bias": _randn(2, seed=7, dtype=torch.float32),
    }


def low_precision() -> dict[str, torch.Tensor]:
    return {
        "emb.weight": _randn(10, 4, seed=8, dtype=torch.bfloat16),
        "fc.weight": (_randn(4, 4, seed=9) * 0.02).to(torch.bfloat16),
        "fc.bias": (_randn(4, seed=10) * 1e-4).to(torch.float16),
    }


def zero() -> dict[str, torch.Tensor]:
    return {"fc.weight": torch.zeros(4, 3)}


def zero_then_gaussian() -> dict[str, torch.Tensor]:
    return {
        "a.weight": torch.zeros(4, 3, dtype=torch.float64),
        "a.bias": torch.zeros(4, dtype=torch.float64),
        "b.weight": _randn(3, 4, seed=11),
    }


def constant() -> dict[str, torch.Tensor]:
    # One-dimensional: a constant matrix is rank one, whose smaller singular
    # values are rounding noise rather than a known answer.
    return {
        "scale": torch.full((5,), 0.1, dtype=torch.float64),
        "shift": torch.full((3,), 0.1, dtype=torch.float64),
    }


def offset_and_sorted() -> dict[str, torch.Tensor]:
    # Far from zero, and in order, so a tensor's first chunk sits far from
    # its mean: the centring of the moments is put to work.
    return {
        "offset": 3.0 + 0.01 * _randn(40, 30, seed=18),
        "sorted": torch.sort(_randn(400, seed=19)).values.reshape(20, 20),
    }


def batchnorm_and_masks() -> dict[str, torch.Tensor]:
    causal = torch.triu(torch.full((4, 4), -math.inf), diagonal=1)
    return {
        "conv.weight": _randn(3, 2, 2, 2, seed=12, dtype=torch.float32),
        "bn.weight": _randn(3, seed=13, dtype=torch.float32).abs() + 0.5,
        "bn.bias": _randn(3, seed=14, dtype=torch.float32),
        "bn.running_mean": _randn(3, seed=15, dtype=torch.float32),
        "bn.running_var": _randn(3, seed=16, dtype=torch.float32).abs(),
        "bn.num_batches_tracked": torch.tensor(7),
        "attn.mask": causal,
        "prune.weight_mask": torch.tensor([[1.0, 0.0], [0.0, 1.0]]),
        "keep.mask": torch.tensor([0.5, 0.25]),
        "bool_mask": torch.tensor([True, False]),
        "fc.weight": _randn(5, 3, seed=17, dtype=torch.float32),
    }


CASES = {
    "identity": identity,
    "rank_one": rank_one,
    "gaussian": gaussian,
    "conv": conv,
    "bf16": low_precision,
    "zero": zero,
    "zero_then_gaussian": zero_then_gaussian,
    "constant": constant,
    "offset_and_sorted": offset_and_sorted,
    "batchnorm_and_masks": batchnorm_and_masks,
}


def numpy_state(state: dict[str, torch.Tensor]):
    """The state dict as NumPy arrays, low-precision floats widened exactly."""
    out = {}
    for name, tensor in state.items():
        if tensor.dtype in (torch.bfloat16, torch.float16):
            tensor = tensor.to(torch.float32)
        out[name] = tensor.numpy()
    return out
