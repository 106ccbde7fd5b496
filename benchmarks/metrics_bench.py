"""How fast the engine computes every built-in metric, against two yardsticks.

Builds a run of a small transformer-shaped model, then measures in the same
process, each the best of a few repeats:

- naive: each metric on its own, reloading the checkpoint every time (what
  a tool without shared work does);
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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from phaseviz.checkpoints import discover_run, load_state_dict
from phaseviz.engine import ComputeOptions, compute_results
from phaseviz.metrics import BUILTIN, compute_metrics, select_parameters

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


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeats`` timings of ``work``, in seconds."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def naive(folder: Path) -> None:
    """Each metric alone, the checkpoint read again for every metric."""
    run = discover_run(folder)
    keys = [k for k, m in BUILTIN.items() if m.kind != "trajectory"]
    for key in keys:
        for checkpoint in run.checkpoints:
            params = select_parameters(load_state_dict(checkpoint))
            compute_metrics(params, [key], device="cpu", per_layer=False)


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
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_run(folder, args.checkpoints)
        untimed = [k for k, m in BUILTIN.items() if m.kind != "trajectory"]
        timings = {
            "floor (read + one SVD pass)": best_of(args.repeats, lambda: floor(folder)),
            "phaseviz, parallel": best_of(
                args.repeats, lambda: engine(folder, True, untimed)
            ),
            "phaseviz, sequential": best_of(
                args.repeats, lambda: engine(folder, False, untimed)
            ),
            "phaseviz, all incl. trajectory": best_of(
                args.repeats, lambda: engine(folder, True, "all")
            ),
            "naive (per metric, reloading)": best_of(1, lambda: naive(folder)),
        }

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
