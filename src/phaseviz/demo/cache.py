"""Where the demo run is kept, and when a kept run can be used again."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.demo.config import DemoConfig
from phaseviz.demo.train import (
    CHECKPOINT_PATTERN,
    MARKER,
    Scores,
    checkpoint_name,
    checkpoint_steps,
    train_grokking_run,
)
from phaseviz.store import CACHE_FOLDER, user_cache_dir

logger = logging.getLogger(__name__)

RUN_FOLDER = "demo-run"


class DemoFolderError(PhasevizError):
    """The folder given for the demo run holds files of something else."""

    exit_code = 2


@dataclass(frozen=True)
class DemoRun:
    """A complete demo run on disk.

    Attributes:
        path: The run folder.
        config: What it was trained with.
        reused: True when an earlier, identical run was found and kept.
        train_seconds: How long its training took.
    """

    path: Path
    config: DemoConfig
    reused: bool
    train_seconds: float


def default_run_dir() -> Path:
    """The demo run's folder in the user cache (``$PHASEVIZ_CACHE_DIR`` wins)."""
    return user_cache_dir() / RUN_FOLDER


def read_marker(run_dir: Path) -> dict[str, Any] | None:
    """The contents of the run's ``demo.json``; None if missing or unreadable."""
    try:
        marker = json.loads((run_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def is_complete(run_dir: Path, config: DemoConfig) -> bool:
    """Whether ``run_dir`` holds a finished demo run trained with ``config``.

    Finished means ``demo.json`` exists, records the same config (recipe
    version included) and every checkpoint it lists is on disk.
    """
    marker = read_marker(run_dir)
    if marker is None or marker.get("config") != config.to_json():
        return False
    expected = [
        checkpoint_name(s) for s in checkpoint_steps(config.steps, config.checkpoints)
    ]
    return marker.get("checkpoints") == expected and all(
        (run_dir / name).is_file() for name in expected
    )


def ensure_demo_run(
    config: DemoConfig,
    run_dir: Path | None = None,
    *,
    retrain: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    on_checkpoint: Callable[[Scores], None] | None = None,
) -> DemoRun:
    """The demo run for ``config``: the kept one if complete, else a new one.

    Args:
        config: What the run is trained with.
        run_dir: Where the run lives; the user cache folder by default.
        retrain: Train again even if a complete run is there.
        on_progress: Passed to :func:`train_grokking_run` when training.
        on_checkpoint: Passed to :func:`train_grokking_run` when training.

    Returns:
        The run, and whether it was reused.

    Raises:
        DemoFolderError: ``run_dir`` holds files that are not a demo run's,
            which training would mix with its checkpoints.
    """
    path = run_dir if run_dir is not None else default_run_dir()
    if not retrain and is_complete(path, config):
        logger.info("reusing the demo run in %s", path)
        marker = read_marker(path) or {}
        return DemoRun(path, config, True, float(marker.get("train_seconds", 0.0)))

    _check_folder(path)
    train_grokking_run(
        path,
        steps=config.steps,
        checkpoints=config.checkpoints,
        seed=config.seed,
        on_progress=on_progress,
        on_checkpoint=on_checkpoint,
        recipe=config.recipe,
    )
    marker = read_marker(path) or {}
    return DemoRun(path, config, False, float(marker.get("train_seconds", 0.0)))


def _check_folder(path: Path) -> None:
    if not path.exists():
        return
    if not path.is_dir():
        raise DemoFolderError(f"{path}: not a folder; give a new or empty folder")

    ours = {MARKER, CACHE_FOLDER}
    foreign = sorted(
        entry.name
        for entry in path.iterdir()
        if entry.name not in ours
        and not entry.match(CHECKPOINT_PATTERN)
        and not entry.name.endswith(".tmp")
    )
    if foreign:
        shown = ", ".join(foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        raise DemoFolderError(
            f"{path}: holds files that are not part of a demo run ({shown}); "
            "give a new or empty folder, so no file of yours is replaced"
        )
