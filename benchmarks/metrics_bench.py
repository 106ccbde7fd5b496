"""How fast the engine computes every built-in metric, against two yardsticks.

Builds a run of a small transformer-shaped model, then measures in the same
process, each the best of a few repeats:

- naive: each metric on its own function, reloading the checkpoint every
  time and decomposing every matrix again for each spectral metric (what
  a tool without shared work, such as the predecessor, does);
- floor: reading every checkpoint plus one singular-value pass over every
  matrix, the least any tool computing spectral metrics must do;
- phaseviz: the engine computing all built-in metrics, cache off, with and
  without reading ahead (``--parallel`` / ``--no-parallel``).

Prints the ratios: phaseviz against naive (target at least 10x faster) and
against the floor (target at most 1.5x), and parallel against sequential.

Run: ``.venv/bin/python benchmarks/metrics_bench.py [--checkpoints N]``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from phaseviz.checkpoints import discover_run, load_state_dict
from phaseviz.engine import ComputeOptions, compute_results
from phaseviz.metrics import BUILTIN, select_parameters

WIDTH, LAYERS, VOCAB = 256, 4, 1000


def make_run(folder: Path, checkpoints: int) -> None:
    """Save ``checkpoints`` states of a transformer-shaped model."""
    generator = torch.Generator().manual_seed(0)
    shapes = {"embed.weight": (VOCAB, WIDTH), "head.weight": (VOCAB, WIDTH)}
    for layer in range(LAYERS):
        shapes |= {
            f"layers.{layer}.attn.qkv.weight": (3 * WIDTH, WIDTH),
            f"layers.{layer}.attn.out.weight": (WIDTH, WIDTH),
            f"layers.{layer}.mlp.up.weight": (4 * WIDTH, WIDTH),
            f"layers.{layer}.mlp.down.weight": (WIDTH, 4 * WIDTH),
            f"layers.{layer}.norm.weight": (WIDTH,),
            f"layers.{layer}.mlp.up.bias": (4 * WIDTH,),
        }
    state = {
        name: torch.randn(shape, generator=generator) for name, shape in shapes.items()
    }
    for step in range(checkpoints):
        for tensor in state.values():
            tensor.mul_(0.98).add_(
                torch.randn(tensor.shape, generator=generator), alpha=0.05
            )
        torch.save(
            {"state_dict": state, "step": step * 100}, folder / f"step_{step}.pt"
        )


def best_of(repeats: int, works: dict[str, Callable[[], object]]) -> dict[str, float]:
    """The fastest of ``repeats`` timings of each work, in seconds.

    The works take turns, round after round, so a burst of load on a
    shared machine hits all of them alike.
    """
    best = dict.fromkeys(works, math.inf)
    for _ in range(repeats):
        for name, work in works.items():
            start = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _matrices(params: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    return [t.reshape(t.shape[0], -1).double() for t in params.values() if t.ndim >= 2]


def _flat(params: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.double().flatten() for t in params.values()])


def _spectrum(w: torch.Tensor) -> torch.Tensor:
    # Written as a per-metric function usually is: a full decomposition.
    return torch.linalg.svd(w, full_matrices=False).S


def _entropy(w: torch.Tensor) -> float:
    p = torch.histc(w, bins=100, min=float(w.min()), max=float(w.max())) / w.numel()
    return float(-(p[p > 0] * p[p > 0].log()).sum())


def _effective_rank(w: torch.Tensor) -> float:
    q = _spectrum(w) / _spectrum(w).sum()
    return float(torch.exp(-(q[q > 0] * q[q > 0].log()).sum()))


def _moment(w: torch.Tensor, k: int) -> float:
    return float(((w - w.mean()) ** k).mean() / w.std(unbiased=False) ** k)


def _mean_over(params: dict, f: Callable[[torch.Tensor], float]) -> float:
    return sum(f(w) for w in _matrices(params)) / len(_matrices(params))


# One function per metric, each starting from the state dict, as a tool
# without shared work computes them.
NAIVE: dict[str, Callable[[dict[str, torch.Tensor]], float]] = {
    "l2": lambda p: float(_flat(p).norm()),
    "weight_norm": lambda p: float(_flat(p).norm()),
    "entropy": lambda p: _entropy(_flat(p)),
    "connectivity": lambda p: _mean_over(p, lambda w: float(w.abs().mean())),
    "variance": lambda p: float(_flat(p).var(unbiased=False)),
    "norm_ratio": lambda p: float(_matrices(p)[-1].norm() / _matrices(p)[0].norm()),
    "capacity": lambda p: sum(math.log(w.shape[0] + 1) for w in _matrices(p)),
    "dead_neurons": lambda p: float((_flat(p).abs() < 1e-6).double().mean() * 100),
    "rank": lambda p: _mean_over(p, _effective_rank),
    "gradient_flow": lambda p: _mean_over(
        p,
        lambda w: 1 / (1 + abs(float(w.std(unbiased=False)) - (2 / w.shape[1]) ** 0.5)),
    ),
    "effective_rank": lambda p: _mean_over(p, _effective_rank),
    "condition": lambda p: _mean_over(
        p, lambda w: float(_spectrum(w).max() / _spectrum(w).min())
    ),
    "flatness": lambda p: _mean_over(p, lambda w: float(w.norm() * _spectrum(w)[0])),
    "mean": lambda p: float(_flat(p).mean()),
    "skew": lambda p: _moment(_flat(p), 3),
    "kurtosis": lambda p: _moment(_flat(p), 4),
    "isotropy": lambda p: _mean_over(
        p,
        lambda w: float(
            (_spectrum(w) ** 2).sum() ** 2
            / (len(_spectrum(w)) * (_spectrum(w) ** 4).sum())
        ),
    ),
    "spectral": lambda p: max(float(_spectrum(w)[0]) for w in _matrices(p)),
    "participation": lambda p: float(
        (_flat(p) ** 2).sum() ** 2 / (_flat(p) ** 4).sum()
    ),
    "sparsity": lambda p: float((_flat(p).abs() < 1e-3).double().mean()),
    "max_activation": lambda p: max(float(w.abs().max()) for w in _matrices(p)),
    "stable_rank": lambda p: _mean_over(
        p, lambda w: float(w.norm() ** 2 / _spectrum(w)[0] ** 2)
    ),
}


def naive(folder: Path) -> None:
    """Each metric on its own, reading every checkpoint again for each.

    As the predecessor tool does: a metric is a function of the loaded
    model; nothing is shared between metrics, and the spectral ones each
    decompose every matrix again.
    """
    run = discover_run(folder)
    for function in NAIVE.values():
        for checkpoint in run.checkpoints:
            state = torch.load(checkpoint.path, weights_only=True)["state_dict"]
            function(state)


def floor(folder: Path) -> None:
    """Read every checkpoint and take the singular values of every matrix."""
    for checkpoint in discover_run(folder).checkpoints:
        params = select_parameters(load_state_dict(checkpoint))
        for tensor in params.values():
            if tensor.ndim >= 2:
                torch.linalg.svdvals(tensor.reshape(tensor.shape[0], -1).double())


def engine(folder: Path, parallel: bool, keys: str | list[str]) -> None:
    """The engine over the run with the cache off."""
    options = ComputeOptions(device="cpu", cache=False, parallel=parallel)
    compute_results(discover_run(folder), keys, options)


def main() -> None:
    """Build the run, time each way, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_run(folder, args.checkpoints)
        untimed = [k for k, m in BUILTIN.items() if m.kind != "trajectory"]
        timings = best_of(
            args.repeats,
            {
                "floor (read + one SVD pass)": lambda: floor(folder),
                "phaseviz, parallel": lambda: engine(folder, True, untimed),
                "phaseviz, sequential": lambda: engine(folder, False, untimed),
                "phaseviz, all incl. trajectory": lambda: engine(folder, True, "all"),
            },
        )
        timings |= best_of(1, {"naive (per metric, reloading)": lambda: naive(folder)})

    print(
        f"{args.checkpoints} checkpoints, {len(untimed)} metrics, "
        f"torch threads {torch.get_num_threads()}"
    )
    for name, seconds in timings.items():
        print(f"  {name:34s} {seconds:8.3f} s")
    ours = timings["phaseviz, parallel"]
    naive_seconds = timings["naive (per metric, reloading)"]
    print(f"naive / phaseviz        {naive_seconds / ours:6.1f}x   (target >= 10)")
    print(
        f"phaseviz / floor        {ours / timings['floor (read + one SVD pass)']:6.2f}x"
        "   (target <= 1.5)"
    )
    print(
        f"parallel / sequential   {ours / timings['phaseviz, sequential']:6.2f}x"
        "   (target <= 1.0)"
    )


if __name__ == "__main__":
    main()
