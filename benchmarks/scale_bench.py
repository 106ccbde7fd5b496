"""How phaseviz scales with run length, workers, and matrix size.

Builds a run of a GPT-2-shaped model, reduced to fit a small machine:
d_model 768, 2 blocks, vocabulary 8192, context 1024, float32, GPT-2's
state-dict names and Conv1D shapes (21.3M parameters, 85 MB a checkpoint),
saved as safetensors and as torch zip files. Then measures, each in a
fresh process so that its peak resident memory (VmHWM) is its own:

1. memory: the peak computing the non-spectral metrics but entropy (the
   element sweep, read-ahead, and the three trajectory references) over
   10 and over 40 checkpoints, per format; and the peak with every
   metric, spectral ones included, over 3 checkpoints;
2. readers: the extra memory of one pass over a checkpoint read as
   memory-mapped views whose pages are released (phaseviz), the same
   views never released, and safetensors' ``load_file`` copies;
3. Ray: wall time of the same computation with 2 local Ray workers
   against 1 (one torch thread per task);
4. spectral: exact against ``--spectral fast`` for every spectral
   metric, and for the s_max ones alone, with the largest difference,
   on checkpoints already read, interleaved so that both see the same load;
5. per-matrix costs: singular values of 768×768, 768×3072 and 50257×768
   matrices, and of Pythia-width 2048×2048 and 8192×2048 ones, in float64
   on the CPU, exact and fast (Gaussian matrices: the slowest case for
   Lanczos, whose top singular values have no gap).

Prints the ratios measured in the same run. Run:
``.venv/bin/python benchmarks/scale_bench.py [--short]``.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

WIDTH, BLOCKS, VOCAB, CONTEXT = 768, 2, 8192, 1024
# Every non-spectral metric but entropy, whose histogram pass is slow here
# and reads the tensors exactly as the other sums do.
NON_SPECTRAL = (
    "l2,connectivity,variance,norm_ratio,capacity,dead_neurons,"
    "gradient_flow,mean,skew,kurtosis,participation,sparsity,max_activation,"
    "distance_from_init,step_distance,cosine_to_final"
)
SPECTRAL = "effective_rank,condition,flatness,isotropy,spectral,stable_rank"
TOP = "spectral,stable_rank,flatness"


def gpt2_shapes() -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "wte.weight": (VOCAB, WIDTH),
        "wpe.weight": (CONTEXT, WIDTH),
    }
    for block in range(BLOCKS):
        prefix = f"h.{block}."
        shapes |= {
            prefix + "ln_1.weight": (WIDTH,),
            prefix + "ln_1.bias": (WIDTH,),
            prefix + "attn.c_attn.weight": (WIDTH, 3 * WIDTH),
            prefix + "attn.c_attn.bias": (3 * WIDTH,),
            prefix + "attn.c_proj.weight": (WIDTH, WIDTH),
            prefix + "attn.c_proj.bias": (WIDTH,),
            prefix + "ln_2.weight": (WIDTH,),
            prefix + "ln_2.bias": (WIDTH,),
            prefix + "mlp.c_fc.weight": (WIDTH, 4 * WIDTH),
            prefix + "mlp.c_fc.bias": (4 * WIDTH,),
            prefix + "mlp.c_proj.weight": (4 * WIDTH, WIDTH),
            prefix + "mlp.c_proj.bias": (WIDTH,),
        }
    return shapes | {"ln_f.weight": (WIDTH,), "ln_f.bias": (WIDTH,)}


def make_runs(folder: Path, checkpoints: int) -> dict[str, Path]:
    """The same drifting weights saved in both formats, one folder each."""
    from safetensors.torch import save_file

    runs = {"safetensors": folder / "safetensors", "torch": folder / "torch"}
    for path in runs.values():
        path.mkdir()
    generator = torch.Generator().manual_seed(0)
    state = {
        name: torch.randn(shape, generator=generator) * 0.02
        for name, shape in gpt2_shapes().items()
    }
    for step in range(checkpoints):
        for tensor in state.values():
            noise = torch.randn(tensor.shape, generator=generator)
            tensor.mul_(0.99).add_(noise, alpha=0.002)
        number = f"{step * 1000:07d}"
        save_file(state, runs["safetensors"] / f"step_{number}.safetensors")
        torch.save(state, runs["torch"] / f"step_{number}.pt")
    return runs


def child(arguments: list[str]) -> dict:
    """Run this file as a child measurement; return what it printed."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {arguments} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def resident_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak, in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def run_child(kind: str, folder: str, count: int, metrics: str, extra: str) -> None:
    """A measurement in this (fresh) process; prints one JSON line."""
    from phaseviz.checkpoints import Run, discover_run
    from phaseviz.engine import ComputeOptions, compute_results

    run = discover_run(Path(folder))
    run = Run(run.path, run.name, run.checkpoints[:count])
    if kind == "reader":
        print(json.dumps(reader_child(run, extra)))
        return
    if kind == "ray":
        print(json.dumps(ray_child(run, metrics, int(extra))))
        return
    if kind == "spectral":
        print(json.dumps(spectral_child(run)))
        return

    options = ComputeOptions("cpu", cache=False, spectral=extra or "exact")
    baseline, _ = resident_mb()
    start = time.perf_counter()
    results = compute_results(run, metrics, options)
    seconds = time.perf_counter() - start
    _, peak = resident_mb()
    values = {key: list(by_index.values()) for key, by_index in results.values.items()}
    print(json.dumps({"baseline": baseline, "peak": peak, "seconds": seconds,
                      "values": values}))  # fmt: skip


def reader_child(run, way: str) -> dict:
    """Extra memory of one l2 pass over the largest checkpoint, read ``way``."""
    from safetensors.torch import load_file

    from phaseviz.engine import pages
    from phaseviz.engine.loading import ParameterLoader
    from phaseviz.metrics import compute_metrics, select_parameters

    checkpoint = run.checkpoints[-1]
    baseline, _ = resident_mb()
    if way == "copies":
        params = select_parameters(load_file(str(checkpoint.path)))
    else:
        if way == "views kept":
            pages._drop = lambda address, length: None
        params = ParameterLoader(None, False).load(checkpoint).params
    compute_metrics(params, ["l2", "mean"], device="cpu")
    _, peak = resident_mb()
    return {"extra": peak - baseline}


def ray_child(run, metrics: str, workers: int) -> dict:
    """Wall time of a computation on a local Ray instance of ``workers`` CPUs."""
    import ray

    from phaseviz.checkpoints import Run
    from phaseviz.engine import ComputeOptions, compute_results

    ray.init(
        num_cpus=workers,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
        _node_ip_address="127.0.0.1",
    )
    options = ComputeOptions("cpu", cache=False, executor="ray")
    warm = Run(run.path, run.name, run.checkpoints[:workers])
    compute_results(warm, "l2", options)  # starts the workers, imports torch
    start = time.perf_counter()
    compute_results(run, metrics, options)
    seconds = time.perf_counter() - start
    ray.shutdown()
    return {"seconds": seconds}


def spectral_child(run) -> dict:
    """Exact against fast spectra on checkpoints already read, interleaved."""
    from phaseviz.engine.loading import ParameterLoader
    from phaseviz.metrics import compute_metrics

    loader = ParameterLoader(None, False)
    checkpoints = [loader.load(c).params for c in run.checkpoints]
    ways = {"exact": (SPECTRAL, "exact"), "fast": (SPECTRAL, "fast")}
    ways |= {"exact s_max": (TOP, "exact"), "fast s_max": (TOP, "fast")}
    seconds = dict.fromkeys(ways, math.inf)
    values: dict[str, list[float]] = {}
    for _ in range(2):
        for way, (keys, method) in ways.items():
            start = time.perf_counter()
            found = [
                compute_metrics(params, keys.split(","), spectral=method)
                for params in checkpoints
            ]
            seconds[way] = min(seconds[way], time.perf_counter() - start)
            values[way] = [r.value for result in found for r in result.values()]
    return {"seconds": seconds, "values": values}


def best_of(repeats: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def memory_section(runs: dict[str, Path], counts: tuple[int, int]) -> None:
    print("\n1. peak memory, non-spectral metrics (MB; baseline = after imports)")
    for form, folder in runs.items():
        peaks = {}
        for count in counts:
            got = child(["memory", str(folder), str(count), NON_SPECTRAL, ""])
            peaks[count] = got["peak"]
            print(
                f"  {form:11s} {count:3d} checkpoints: peak {got['peak']:7.0f}, "
                f"baseline {got['baseline']:5.0f}, extra "
                f"{got['peak'] - got['baseline']:5.0f}   ({got['seconds']:.1f} s)"
            )
        ratio = peaks[counts[1]] / peaks[counts[0]]
        print(f"  {form:11s} peak {counts[1]} / {counts[0]} checkpoints: "
              f"{ratio:.2f}x   (target <= 1.2)")  # fmt: skip
    got = child(["memory", str(runs["safetensors"]), "3", "all", ""])
    print(
        f"  safetensors   3 checkpoints, every metric: peak {got['peak']:.0f}, "
        f"extra {got['peak'] - got['baseline']:.0f}   ({got['seconds']:.1f} s)"
    )


def reader_section(runs: dict[str, Path]) -> None:
    size = (runs["safetensors"] / "step_0000000.safetensors").stat().st_size / 2**20
    print(f"\n2. one pass over a {size:.0f} MB safetensors checkpoint: extra MB")
    for way in ("views released", "views kept", "copies"):
        got = child(["reader", str(runs["safetensors"]), "1", "", way])
        print(f"  {way:15s} {got['extra']:6.0f}")


def ray_section(runs: dict[str, Path], count: int) -> None:
    print(f"\n3. Ray, {count} checkpoints, non-spectral metrics, 1 thread a task")
    seconds = {}
    for workers in (1, 2):
        got = child(["ray", str(runs["safetensors"]), str(count), NON_SPECTRAL,
                     str(workers)])  # fmt: skip
        seconds[workers] = got["seconds"]
        print(f"  {workers} worker(s): {got['seconds']:.2f} s")
    print(f"  2 workers / 1 worker: {seconds[2] / seconds[1]:.2f}x   (ideal 0.5)")


def spectral_section(runs: dict[str, Path], count: int) -> None:
    print(
        f"\n4. spectral metrics of {count} checkpoints already read, exact "
        "against fast (best of 2, interleaved)"
    )
    got = child(["spectral", str(runs["safetensors"]), str(count), "", ""])
    seconds, values = got["seconds"], got["values"]
    for way, label in (("", "every spectral metric"), (" s_max", "s_max metrics")):
        exact, fast = seconds["exact" + way], seconds["fast" + way]
        worst = max(
            abs(a - b) / abs(b)
            for a, b in zip(values["fast" + way], values["exact" + way], strict=True)
            if b and math.isfinite(b)
        )
        print(
            f"  {label:22s} exact {exact:6.2f} s   fast {fast:6.2f} s   "
            f"fast / exact {fast / exact:.2f}x   largest difference {worst:.1e}"
        )


def matrix_section(repeats: int) -> None:
    from phaseviz.metrics.approximate import (
        gram_singular_values,
        largest_singular_values,
    )

    print("\n5. one matrix, float64, CPU (seconds; best of a few)")
    print(f"  torch threads {torch.get_num_threads()}")
    generator = torch.Generator().manual_seed(1)
    shapes = ((768, 768), (768, 3072), (50257, 768), (2048, 2048), (8192, 2048))
    for rows, columns in shapes:
        matrix = torch.randn(rows, columns, generator=generator, dtype=torch.float64)
        tall = matrix.mT if rows < columns else matrix
        stack = matrix.unsqueeze(0)
        once = rows * columns > 10**7
        times = best_of(1 if once else repeats, lambda m=tall: torch.linalg.svdvals(m))
        gram = best_of(1 if once else repeats, lambda s=stack: gram_singular_values(s))
        top = best_of(
            1 if once else repeats, lambda s=stack: largest_singular_values(s)
        )
        print(
            f"  {rows:5d} x {columns:4d}: svdvals {times:7.3f}   gram {gram:7.3f}   "
            f"lanczos s_max {top:7.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="fewer checkpoints")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, count, metrics, extra = args.child
        run_child(kind, folder, int(count), metrics, extra)
        return

    counts = (4, 12) if args.short else (10, 40)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        runs = make_runs(Path(tmp), counts[1])
        shapes = ", ".join(
            f"{name} {tuple(s)}"
            for name, s in gpt2_shapes().items()
            if name.startswith(("wte", "wpe", "h.0.")) and len(s) == 2
        )
        print(f"GPT-2-shaped run: {shapes}; {BLOCKS} blocks")
        print(f"  built {counts[1]} checkpoints per format in "
              f"{time.perf_counter() - start:.0f} s")  # fmt: skip
        memory_section(runs, counts)
        reader_section(runs)
        ray_section(runs, 4 if args.short else 8)
        spectral_section(runs, 1 if args.short else 2)
    matrix_section(2)


if __name__ == "__main__":
    main()
