from __future__ import annotations

from pathlib import Path

import pytest

from run_helpers import save_checkpoint


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    for step in (0, 10, 20, 30, 40):
        save_checkpoint(folder, step)
    return folder
