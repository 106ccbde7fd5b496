"""Where checkpoints are looked for in a run folder.

The search covers the run folder and its direct subfolders, no deeper, so a
link that points back up can never loop. A subfolder holding Hugging Face
weight files (``checkpoint-N/``) is one checkpoint; in any other subfolder
each checkpoint file counts on its own. The run folder itself may be a
Hugging Face folder too. Hidden entries and the ``.phaseviz/`` cache are
skipped, as are files that carry a checkpoint suffix but no model weights
(``training_args.bin``, ``optimizer.pt``, ``rng_state.pth``...).
"""

from __future__ import annotations

import errno
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from phaseviz.checkpoints import huggingface as hf
from phaseviz.checkpoints.errors import CheckpointError
from phaseviz.checkpoints.run import SkippedFile
from phaseviz.checkpoints.steps import natural_key

logger = logging.getLogger(__name__)

FORMAT_BY_SUFFIX = {
    ".pt": "torch",
    ".pth": "torch",
    ".bin": "torch-bin",
    ".ckpt": "lightning",
    ".safetensors": "safetensors",
}
_NOT_WEIGHTS = re.compile(
    r"^(training_args\.bin|optimizer.*\.(pt|pth|bin)|scheduler.*\.(pt|pth)"
    r"|scaler.*\.(pt|pth)|rng_state.*\.pth)$"
)
_LOOP = "is a symbolic link loop; remove the link or point it at a file"


@dataclass(frozen=True)
class Candidate:
    """A place in the run folder that should hold one checkpoint.

    Attributes:
        path: The file, or the folder of a Hugging Face checkpoint.
        name: The path relative to the run folder.
        format: The format its suffix or folder layout says.
        files: The files holding its tensors.
        folder: Whether it is a Hugging Face folder.
        root: Whether it is the run folder itself.
    """

    path: Path
    name: str
    format: str
    files: tuple[Path, ...]
    folder: bool = False
    root: bool = False


@dataclass
class Layout:
    """The candidates found, and what could not even be listed.

    Attributes:
        candidates: The places that should hold a checkpoint, by name.
        skipped: Entries that could not be looked into, with the reason.
    """

    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def find_candidates(run_path: Path) -> Layout:
    """Find every place in ``run_path`` that should hold a checkpoint.

    Args:
        run_path: An existing folder.

    Returns:
        The candidates and the entries that could not be listed.
    """
    layout = Layout()
    _add_folder(run_path, run_path.name, layout, root=True)
    taken = {f for c in layout.candidates for f in c.files}

    for entry in _entries(run_path, layout):
        if _links_back(entry, run_path):
            logger.debug("run %s: ignoring %s, a link back up", run_path, entry.name)
        elif entry.is_dir():
            _add_subfolder(entry, layout)
        elif entry not in taken:
            _add_file(entry, entry.name, layout)

    layout.candidates = _without_links_to_same_file(layout.candidates, run_path)
    return layout


def _links_back(entry: Path, run_path: Path) -> bool:
    """Whether ``entry`` links to the run folder or a folder holding it.

    Its files are the run's own, seen again through the link.
    """
    if not entry.is_symlink():
        return False
    try:
        target = entry.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return target.is_dir() and run_path.resolve().is_relative_to(target)


def _entries(folder: Path, layout: Layout) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError as error:
        layout.skipped.append(SkippedFile(folder, f"cannot be listed ({error})"))
        return []

    kept = []
    for entry in entries:
        if entry.name.startswith("."):
            logger.debug("run %s: ignoring hidden %s", folder, entry.name)
        else:
            kept.append(entry)
    return sorted(kept, key=lambda p: natural_key(p.name))


def _add_folder(folder: Path, name: str, layout: Layout, *, root: bool = False) -> bool:
    try:
        weights = hf.find_weight_files(folder)
    except CheckpointError as error:
        layout.skipped.append(SkippedFile(error.path, str(error)))
        return True
    except OSError as error:
        layout.skipped.append(SkippedFile(folder, f"cannot be listed ({error})"))
        return True

    if weights is None:
        return False
    layout.candidates.append(
        Candidate(folder, name, weights.format, weights.files, folder=True, root=root)
    )
    return True


def _add_subfolder(folder: Path, layout: Layout) -> None:
    if _add_folder(folder, folder.name, layout):
        return
    for entry in _entries(folder, layout):
        name = f"{folder.name}/{entry.name}"
        if entry.is_dir():
            logger.debug(
                "run %s: not searching %s, deeper than one level", folder.parent, name
            )
        else:
            _add_file(entry, name, layout)


def _add_file(path: Path, name: str, layout: Layout) -> None:
    fmt = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None or path.name.endswith(".index.json"):
        logger.debug("run folder: ignoring %s, not a checkpoint file", name)
        return
    if _NOT_WEIGHTS.match(path.name) or hf.is_weight_file_name(path.name):
        logger.debug("run folder: ignoring %s, it holds no model weights", name)
        return
    problem = _not_a_file(path)
    if problem:
        layout.skipped.append(SkippedFile(path, problem))
        return
    layout.candidates.append(Candidate(path, name, fmt, (path,)))


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a checkpoint file, or None if it can.

    Only regular files are opened: reading a FIFO of that name would wait
    for a writer forever.
    """
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return _LOOP
    except OSError as error:
        if error.errno == errno.ELOOP:
            return _LOOP
        if path.is_symlink():
            return "is a link to a file that does not exist; remove the link"
        return f"cannot be read ({error.strerror or error})"
    if not path.is_file():
        return (
            "is not a regular file (a FIFO, socket or device); move it out of the "
            "run folder"
        )
    return None


def _without_links_to_same_file(
    candidates: list[Candidate], run_path: Path
) -> list[Candidate]:
    """Keep one candidate per real file: ``last.ckpt`` may link to another."""
    by_target: dict[tuple[Path, ...], Candidate] = {}
    for candidate in candidates:
        target = tuple(f.resolve() for f in candidate.files)
        kept = by_target.get(target)
        if kept is None or (
            _reached_by_link(kept, run_path)
            and not _reached_by_link(candidate, run_path)
        ):
            by_target[target] = candidate
        if kept is not None:
            logger.debug(
                "run folder: %s and %s are the same file; keeping %s",
                kept.name,
                candidate.name,
                by_target[target].name,
            )
    return sorted(by_target.values(), key=lambda c: natural_key(c.name))


def _reached_by_link(candidate: Candidate, run_path: Path) -> bool:
    """Whether the candidate is itself a link, or sits in a linked subfolder."""
    folder = candidate.path.parent
    return candidate.path.is_symlink() or (folder != run_path and folder.is_symlink())
