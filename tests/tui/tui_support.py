"""Tiny runs on disk and an app factory for the terminal app's tests."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import torch

from phaseviz.engine import ComputeOptions
from phaseviz.tui.app import PhasevizApp
from phaseviz.tui.launch import open_session

STEPS = (0, 100, 200, 300, 400, 500, 600, 700)
SIZE = (100, 30)

FAILING_METRICS = """
def always_fails_of_model(model):
    raise ValueError("this metric always fails")


def parameter_count_of_model(model):
    return float(sum(p.numel() for p in model.parameters()))
"""


def state_dict(step: int) -> dict[str, torch.Tensor]:
    """Weights whose second layer jumps in scale halfway through the run."""
    generator = torch.Generator().manual_seed(1234)
    fc1 = torch.randn(6, 4, generator=generator) * (1 + 0.01 * step / 100)
    fc2 = torch.randn(3, 6, generator=generator)
    fc2 = fc2 * (1.0 if step < 400 else 4.0)
    return {"fc1.weight": fc1, "fc1.bias": torch.zeros(6), "fc2.weight": fc2}


def accuracy_at(step: int) -> float:
    return round(0.2 + 0.7 * (1 - math.exp(-step / 300)), 4)


def write_run(
    folder: Path, steps: Sequence[int] = STEPS, corrupt: bool = False
) -> Path:
    """A run of small torch checkpoints, each recording its test accuracy."""
    folder.mkdir(parents=True, exist_ok=True)
    for step in steps:
        torch.save(
            {
                "model_state_dict": state_dict(step),
                "step": step,
                "test_acc": accuracy_at(step),
            },
            folder / f"ckpt_{step:05d}.pt",
        )
    if corrupt:
        (folder / f"ckpt_{steps[-1] + 100:05d}.pt").write_bytes(b"PK\x03\x04 not a zip")
    return folder


def l2_norm(step: int) -> float:
    """The L2 norm of every parameter, computed independently of phaseviz."""
    return math.sqrt(
        sum(float((t.double() ** 2).sum()) for t in state_dict(step).values())
    )


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "runA")


@pytest.fixture
def failing_metrics_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_metrics.py"
    path.write_text(FAILING_METRICS)
    return path


@pytest.fixture(autouse=True)
def _quiet_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Logs, caches and reports of a test stay in its own folder.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHASEVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PHASEVIZ_LOG_DIR", str(tmp_path / "logs"))


AppFactory = Callable[..., PhasevizApp]


@pytest.fixture
def make_app(tmp_path: Path) -> AppFactory:
    def make(
        run_dirs: Sequence[Path],
        metrics: Sequence[str] = (),
        metric_files: Sequence[Path] = (),
        **app_options: object,
    ) -> PhasevizApp:
        options = ComputeOptions(
            device="cpu", metric_files=tuple(metric_files), parallel=False
        )
        session = open_session(run_dirs, metrics, options)
        app_options.setdefault("export_dir", tmp_path / "exports")
        return PhasevizApp(session, options, **app_options)  # type: ignore[arg-type]

    return make


async def settle(pilot) -> None:
    """Wait until every computation, export and file read is done and drawn."""
    app = pilot.app
    for _ in range(100):
        busy = [w for w in app.workers if w.group != "watch" and w.is_running]
        if not busy and not app.jobs:
            break
        await app.workers.wait_for_complete(busy)
        await pilot.pause()
    app.redraw()
    # A redraw can change heights (the values table fills), which lays the
    # grid out again; give that a moment to settle too.
    await pilot.pause(0.1)
    await pilot.pause()


def notifications(app) -> list[str]:
    """Every notification the app has shown, title and message together."""
    return [f"{n.title}: {n.message}" for n in app._notifications]
