"""Discovering a run: its checkpoints, their steps and recorded scalars.

Discovery reads only what is cheap: safetensors headers, JSON files, and
torch files memory-mapped, so no tensor's bytes are read. A checkpoint that
cannot be read is reported in ``Run.skipped`` and the run goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from phaseviz.checkpoints import huggingface as hf
from phaseviz.checkpoints.errors import CheckpointError, RunError
from phaseviz.checkpoints.layout import Candidate, find_candidates
from phaseviz.checkpoints.reading import no_state_dict
from phaseviz.checkpoints.recorded import (
    metadata_scalars,
    recorded_scalars,
    scalar_value,
)
from phaseviz.checkpoints.run import Checkpoint, Run, SkippedFile
from phaseviz.checkpoints.safetensors_header import read_header
from phaseviz.checkpoints.safety import torch_load
from phaseviz.checkpoints.state_dict import data_step, find_state_dict
from phaseviz.checkpoints.steps import Placement, StepClues, place, step_from_name

logger = logging.getLogger(__name__)

LOOKED_FOR = (
    ".pt, .pth, .bin, .ckpt and .safetensors files, and Hugging Face "
    "checkpoint folders (model.safetensors, sharded model-*-of-*.safetensors "
    "with model.safetensors.index.json, or pytorch_model.bin), in the folder "
    "and its direct subfolders"
)


@dataclass
class _Probe:
    """What discovery learnt about one candidate without reading tensors."""

    candidate: Candidate
    format: str
    step: int | None = None
    epoch: int | None = None
    recorded: dict[str, float] = field(default_factory=dict)

    @property
    def clues(self) -> StepClues:
        leaf = self.candidate.path.name
        return StepClues(self.candidate.name, leaf, self.step, self.epoch)


def discover_run(path: Path | str, *, trust: bool = False) -> Run:
    """Find a run's checkpoints and order them by step.

    Args:
        path: The run folder.
        trust: Unpickle arbitrary objects (``--trust-checkpoints``).

    Returns:
        The run, its readable checkpoints in step order, and the files that
        were skipped with the reason.

    Raises:
        RunError: The folder is missing, is not a folder, holds no checkpoint,
            or none of its checkpoints can be read.

    Example:
        >>> run = discover_run("runs/grokking")  # doctest: +SKIP
        >>> run.steps  # doctest: +SKIP
        [0, 100, 200]
    """
    run_path = _run_folder(Path(path).expanduser())
    layout = find_candidates(run_path)
    if not layout.candidates and not layout.skipped:
        raise RunError(
            f"{run_path}: no checkpoints found. phaseviz looks for {LOOKED_FOR}."
        )

    skipped = list(layout.skipped)
    probes = [
        p for p in (_probe_or_skip(c, trust, skipped) for c in layout.candidates) if p
    ]
    probes = _without_stepless_final_model(probes, skipped)
    if not probes:
        raise _nothing_readable(run_path, skipped)

    placements, duplicates = place([p.clues for p in probes])
    checkpoints = tuple(_checkpoint(probes[p.index], p) for p in placements)
    for duplicate in duplicates:
        left_out, kept = probes[duplicate.index], probes[duplicate.kept]
        skipped.append(
            _skip(
                left_out.candidate.path,
                f"has step {duplicate.step}, the same as {kept.candidate.name}, which "
                "is used; move one of them out of the run folder to choose",
            )
        )

    logger.info(
        "run %s: %d checkpoints, %d skipped",
        run_path.name,
        len(checkpoints),
        len(skipped),
    )
    return Run(run_path, run_path.name, checkpoints, tuple(skipped))


def _run_folder(path: Path) -> Path:
    if not path.exists():
        raise RunError(
            f"{path}: no such folder. Give the folder that holds the run's "
            f"checkpoints; phaseviz looks for {LOOKED_FOR}."
        )
    if not path.is_dir():
        raise RunError(
            f"{path}: is a file, not a folder. Give the folder that holds the "
            f"run's checkpoints (here {path.parent})."
        )
    return path


def _probe_or_skip(
    candidate: Candidate, trust: bool, skipped: list[SkippedFile]
) -> _Probe | None:
    try:
        return _probe(candidate, trust)
    except CheckpointError as error:
        reason = error.reason + (f"; {error.hint}" if error.hint else "")
        skipped.append(_skip(candidate.path, reason))
        return None
    except OSError as error:
        skipped.append(_skip(candidate.path, f"cannot be read ({error})"))
        return None


def _skip(path: Path, reason: str) -> SkippedFile:
    logger.warning("checkpoint %s skipped: %s", path, reason)
    return SkippedFile(path, reason)


def _probe(candidate: Candidate, trust: bool) -> _Probe:
    if candidate.format in ("safetensors", "safetensors-sharded"):
        probe = _probe_safetensors(candidate)
    else:
        probe = _probe_torch(candidate, trust)

    if candidate.folder:
        _add_trainer_state(probe)
    return probe


def _probe_safetensors(candidate: Candidate) -> _Probe:
    probe = _Probe(candidate, candidate.format)
    for path in candidate.files:
        metadata = read_header(path).metadata
        probe.recorded.update(metadata_scalars(metadata))
        step, epoch = data_step(metadata)
        probe.step = probe.step if step is None else step
        probe.epoch = probe.epoch if epoch is None else epoch
    return probe


def _probe_torch(candidate: Candidate, trust: bool) -> _Probe:
    probe = _Probe(candidate, candidate.format)
    for path in candidate.files:
        data = torch_load(path, trust=trust)
        found = find_state_dict(data)
        if found is None:
            raise no_state_dict(path)
        if not isinstance(data, Mapping):
            continue

        if "pytorch-lightning_version" in data:
            probe.format = "lightning"
        probe.step, probe.epoch = data_step(data)
        probe.recorded.update(_torch_scalars(data, found.key))
    return probe


def _torch_scalars(data: Mapping[Any, Any], key: str | None) -> dict[str, float]:
    if key is not None:
        return recorded_scalars(data, skip=frozenset({key}))
    # The file is the state dict: its tensors are weights, not recorded scalars.
    plain = {k: v for k, v in data.items() if not isinstance(v, torch.Tensor)}
    return recorded_scalars(plain)


def _add_trainer_state(probe: _Probe) -> None:
    state = hf.read_json(probe.candidate.path / hf.TRAINER_STATE)
    if state is None:
        return
    step = hf.trainer_state_step(state)
    probe.step = probe.step if step is None else step
    for name, value in hf.logged_values(state).items():
        number = scalar_value(value)
        if number is not None:
            probe.recorded[name] = number


def _without_stepless_final_model(
    probes: list[_Probe], skipped: list[SkippedFile]
) -> list[_Probe]:
    """Leave out a Hugging Face final model in the run folder that has no step.

    ``save_model()`` writes the final (or best) model beside the
    ``checkpoint-N/`` folders without a step; ordering it would push the whole
    run to natural file order.
    """
    kept = []
    for probe in probes:
        stepless = (
            probe.step is None and step_from_name(probe.candidate.path.name) is None
        )
        if probe.candidate.root and stepless and len(probes) > 1:
            skipped.append(
                _skip(
                    probe.candidate.path,
                    "holds a final model with no step (no trainer_state.json beside "
                    "it); the checkpoint folders are used",
                )
            )
        else:
            kept.append(probe)
    return kept


def _checkpoint(probe: _Probe, placement: Placement) -> Checkpoint:
    files = probe.candidate.files
    stats = [f.stat() for f in files]
    return Checkpoint(
        path=probe.candidate.path,
        name=probe.candidate.name,
        format=probe.format,
        files=files,
        step=placement.step,
        step_source=placement.source,
        size=sum(s.st_size for s in stats),
        mtime_ns=max(s.st_mtime_ns for s in stats),
        recorded=dict(probe.recorded),
    )


def _nothing_readable(run_path: Path, skipped: list[SkippedFile]) -> RunError:
    lines = "\n".join(f"  {_relative(s.path, run_path)}: {s.reason}" for s in skipped)
    return RunError(f"{run_path}: none of its checkpoints could be read:\n{lines}")


def _relative(path: Path, run_path: Path) -> str:
    try:
        return str(path.relative_to(run_path)) or "."
    except ValueError:
        return str(path)
