from __future__ import annotations

from pathlib import Path

import pytest
from demo_configs import TINY

from phaseviz.demo import QUICK_DEMO, ensure_demo_run


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick demo run, trained once for the whole session."""
    folder = tmp_path_factory.mktemp("quick") / "demo-run"
    return ensure_demo_run(QUICK_DEMO, folder).path


@pytest.fixture
def tiny_run(tmp_path: Path) -> Path:
    return ensure_demo_run(TINY, tmp_path / "tiny").path
