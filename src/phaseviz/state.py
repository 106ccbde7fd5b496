"""The run that ``phaseviz load-dir`` remembers for ``phaseviz plot-metric``.

It is saved as ``.phaseviz_state.json`` in the working directory, as
Phase-Viz did, so the two commands can be run one after the other from the
same place.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from phaseviz.checkpoints.errors import PhasevizError

STATE_FILE = ".phaseviz_state.json"
STATE_VERSION = 1


class StateError(PhasevizError):
    """There is no saved run, or the saved file cannot be used."""

    exit_code = 2


@dataclass(frozen=True)
class RunState:
    """What ``load-dir`` found and ``plot-metric`` computes on.

    Attributes:
        run_dir: The run folder, absolute.
        model_path: The model's Python file, absolute, or None.
        class_name: The model class in that file, or None.
        trust: Whether checkpoints may be unpickled (``--trust-checkpoints``).
        version: The file format's version.
    """

    run_dir: str
    model_path: str | None = None
    class_name: str | None = None
    trust: bool = False
    version: int = STATE_VERSION


def save_state(state: RunState, directory: Path | None = None) -> Path:
    """Write ``state`` to ``.phaseviz_state.json`` in ``directory``.

    The file is replaced whole, so a reader never sees half of it.

    Args:
        state: The state to save.
        directory: Where to save it; the working directory when None.

    Returns:
        The file written.
    """
    path = (directory or Path.cwd()) / STATE_FILE
    partial = path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def load_state(directory: Path | None = None) -> RunState:
    """Read the state saved by ``phaseviz load-dir`` in ``directory``.

    Args:
        directory: Where to look; the working directory when None.

    Raises:
        StateError: No state is saved there, or the file is not one.
    """
    path = (directory or Path.cwd()) / STATE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(
            f"no run loaded in {path.parent}: run phaseviz load-dir first"
        ) from None
    except (OSError, ValueError, RecursionError) as error:
        raise StateError(
            f"{path}: cannot be read ({error}); run phaseviz load-dir again"
        ) from None

    if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
        raise StateError(
            f"{path}: not a phaseviz state file of version {STATE_VERSION}; "
            "run phaseviz load-dir again"
        )
    try:
        return RunState(
            run_dir=str(raw["run_dir"]),
            model_path=_optional_str(raw.get("model_path")),
            class_name=_optional_str(raw.get("class_name")),
            trust=bool(raw.get("trust", False)),
        )
    except KeyError:
        raise StateError(
            f"{path}: names no run folder; run phaseviz load-dir again"
        ) from None


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
