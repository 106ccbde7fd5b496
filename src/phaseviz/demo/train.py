"""Training the demo run: modular addition that memorises, then groks."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from phaseviz.demo.config import DemoConfig, Recipe
from phaseviz.demo.model import ModularAdditionMLP

logger = logging.getLogger(__name__)

MARKER = "demo.json"
CHECKPOINT_PATTERN = "step_*.pt"
# The first step saved after the initial weights.
FIRST_SAVED_STEP = 10
# Adam's second-moment memory is shorter than the usual 0.999 so that, when
# gradients shrink after memorisation, its steps do not blow up.
BETAS = (0.9, 0.98)
# Matrices this small train fastest on one thread: a second one buys little
# and, on a busy machine, waits on the first far longer than it saves.
THREADS = 1


@dataclass(frozen=True)
class Scores:
    """How the model does at one checkpoint.

    Attributes:
        step: The training step.
        train_loss: Cross-entropy on the training pairs.
        train_acc: Accuracy on the training pairs, in [0, 1].
        test_loss: Cross-entropy on the held-out pairs.
        test_acc: Accuracy on the held-out pairs, in [0, 1].
    """

    step: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float


@dataclass(frozen=True)
class _Split:
    train_pairs: torch.Tensor
    train_labels: torch.Tensor
    test_pairs: torch.Tensor
    test_labels: torch.Tensor


def checkpoint_name(step: int) -> str:
    """The file name of the checkpoint at ``step``, e.g. ``step_000120.pt``."""
    return f"step_{step:06d}.pt"


def checkpoint_steps(steps: int, checkpoints: int) -> list[int]:
    """Step 0, then steps spread evenly in log(step) from 10 to ``steps``.

    Grokking spans orders of magnitude: the training pairs are memorised in
    tens of steps and the rule is found after a thousand. Spacing evenly
    in log(step) gives both the same detail, as the usual log-step plots of
    grokking do, and phaseviz's default detector fits such runs along
    log(step).

    Example:
        >>> checkpoint_steps(1000, 5)
        [0, 10, 46, 215, 1000]
    """
    fewest_steps = FIRST_SAVED_STEP + checkpoints - 2
    if checkpoints < 3 or steps < fewest_steps:
        raise ValueError(
            f"cannot spread {checkpoints} checkpoints over {steps} steps; give "
            f"at least 3 checkpoints and at least {fewest_steps} steps"
        )
    ratio = (steps / FIRST_SAVED_STEP) ** (1 / (checkpoints - 2))
    saved = [0]
    for k in range(checkpoints - 1):
        # Early steps round to the same integer when the ratio is small.
        saved.append(max(saved[-1] + 1, round(FIRST_SAVED_STEP * ratio**k)))
    if saved[-1] != steps:
        raise ValueError(
            f"cannot spread {checkpoints} checkpoints over {steps} steps evenly "
            "in log(step); give fewer checkpoints or more steps"
        )
    return saved


def train_grokking_run(
    out_dir: Path,
    *,
    steps: int,
    checkpoints: int,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
    on_checkpoint: Callable[[Scores], None] | None = None,
    recipe: Recipe | None = None,
) -> Path:
    """Train a model on (a + b) mod p until it groks, saving checkpoints.

    The model first memorises its training pairs (train accuracy near 1,
    test accuracy near chance); weight decay then shrinks the weights
    until the general rule wins and test accuracy jumps. Training is
    full-batch and deterministic for a given seed on a given machine.

    Each checkpoint is a dict with ``model_state_dict``, ``step``,
    ``train_loss``, ``train_acc``, ``test_loss``, ``test_acc`` and
    ``config`` (the model's constructor arguments), written to a temporary
    file and renamed into place. ``demo.json`` is written last, so a folder
    without it is an unfinished run.

    Args:
        out_dir: The run folder; created if missing. Existing checkpoints
            and marker of an earlier demo run in it are replaced.
        steps: Optimiser steps.
        checkpoints: Checkpoints to save: step 0, then evenly in log(step).
        seed: Seeds the initial weights and the train/test split.
        on_progress: Called after each step with (steps done, steps).
        on_checkpoint: Called with the scores of each saved checkpoint.
        recipe: The task, model and optimiser; the demo's by default.

    Returns:
        ``out_dir``.
    """
    config = DemoConfig(steps, checkpoints, seed, recipe or Recipe())
    save_at = set(checkpoint_steps(steps, checkpoints))
    out_dir.mkdir(parents=True, exist_ok=True)
    clear_run(out_dir)

    started = time.perf_counter()
    with _training_threads(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        split = _split_pairs(config.recipe, seed)
        model = _initial_model(config.recipe)
        optimizer = torch.optim.AdamW(
            model.parameters(),
            lr=config.recipe.learning_rate,
            weight_decay=config.recipe.weight_decay,
            betas=BETAS,
        )

        for step in range(steps + 1):
            if step in save_at:
                scores = _evaluate(model, split, step)
                _save_checkpoint(out_dir, model, scores, config)
                if on_checkpoint is not None:
                    on_checkpoint(scores)
            if step < steps:
                _step(model, optimizer, split)
                if on_progress is not None:
                    on_progress(step + 1, steps)

    seconds = time.perf_counter() - started
    _write_marker(out_dir, config, seconds)
    logger.info("trained the demo run %s in %.1f s", out_dir, seconds)
    return out_dir


def clear_run(out_dir: Path) -> None:
    """Remove an earlier demo run's marker, checkpoints and temporary files."""
    (out_dir / MARKER).unlink(missing_ok=True)
    for pattern in (CHECKPOINT_PATTERN, "*.tmp"):
        for path in out_dir.glob(pattern):
            path.unlink()


@contextmanager
def _training_threads() -> Iterator[None]:
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _split_pairs(recipe: Recipe, seed: int) -> _Split:
    p = recipe.modulus
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    labels = (pairs[:, 0] + pairs[:, 1]) % p

    order = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed))
    n_train = round(recipe.train_fraction * len(pairs))
    train, test = order[:n_train], order[n_train:]
    return _Split(pairs[train], labels[train], pairs[test], labels[test])


def _step(
    model: ModularAdditionMLP, optimizer: torch.optim.Optimizer, split: _Split
) -> None:
    loss = F.cross_entropy(model(split.train_pairs), split.train_labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _initial_model(recipe: Recipe) -> ModularAdditionMLP:
    model = ModularAdditionMLP(**recipe.model_args())
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(recipe.init_scale)
    return model


@torch.no_grad()
def _evaluate(model: ModularAdditionMLP, split: _Split, step: int) -> Scores:
    train_logits = model(split.train_pairs)
    test_logits = model(split.test_pairs)
    return Scores(
        step=step,
        train_loss=F.cross_entropy(train_logits, split.train_labels).item(),
        train_acc=_accuracy(train_logits, split.train_labels),
        test_loss=F.cross_entropy(test_logits, split.test_labels).item(),
        test_acc=_accuracy(test_logits, split.test_labels),
    )


def _accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _save_checkpoint(
    out_dir: Path, model: ModularAdditionMLP, scores: Scores, config: DemoConfig
) -> None:
    checkpoint = {
        "model_state_dict": {k: v.clone() for k, v in model.state_dict().items()},
        "step": scores.step,
        "train_loss": scores.train_loss,
        "train_acc": scores.train_acc,
        "test_loss": scores.test_loss,
        "test_acc": scores.test_acc,
        "config": config.recipe.model_args(),
    }
    path = out_dir / checkpoint_name(scores.step)
    partial = path.with_name(path.name + ".tmp")
    torch.save(checkpoint, partial)
    os.replace(partial, path)


def _write_marker(out_dir: Path, config: DemoConfig, seconds: float) -> None:
    marker = {
        "config": config.to_json(),
        "checkpoints": [
            checkpoint_name(s)
            for s in checkpoint_steps(config.steps, config.checkpoints)
        ],
        "train_seconds": round(seconds, 2),
        "torch": torch.__version__,
    }
    partial = out_dir / (MARKER + ".tmp")
    partial.write_text(json.dumps(marker, indent=2) + "\n")
    os.replace(partial, out_dir / MARKER)
