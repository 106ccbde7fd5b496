"""The demo: a small model that really groks, trained in a minute on a CPU.

``phaseviz demo`` trains it once, keeps the run in the user cache and opens
the terminal app on it, so the first thing a newcomer sees is a real phase
transition: test accuracy jumping long after the training pairs are
memorised, and the weight norm changing course as it does.

Importing this package imports torch.
"""

from phaseviz.demo.cache import (
    DemoFolderError,
    DemoRun,
    default_run_dir,
    ensure_demo_run,
    is_complete,
    read_marker,
)
from phaseviz.demo.config import FULL_DEMO, QUICK_DEMO, DemoConfig, Recipe
from phaseviz.demo.jump import AccuracyJump, accuracy_jump
from phaseviz.demo.model import ModularAdditionMLP
from phaseviz.demo.summary import DemoSummary, summarize
from phaseviz.demo.train import (
    MARKER,
    Scores,
    checkpoint_name,
    checkpoint_steps,
    train_grokking_run,
)

__all__ = [
    "FULL_DEMO",
    "MARKER",
    "QUICK_DEMO",
    "AccuracyJump",
    "DemoConfig",
    "DemoFolderError",
    "DemoRun",
    "DemoSummary",
    "ModularAdditionMLP",
    "Recipe",
    "Scores",
    "accuracy_jump",
    "checkpoint_name",
    "checkpoint_steps",
    "default_run_dir",
    "ensure_demo_run",
    "is_complete",
    "read_marker",
    "summarize",
    "train_grokking_run",
]
