from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch):
    """Keep logs and user caches of every test out of the real home."""
    base = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("PHASEVIZ_LOG_DIR", str(base / "logs"))
    monkeypatch.setenv("PHASEVIZ_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg"))
    yield Path(base)


@pytest.fixture(autouse=True)
def _logging_restored():
    """Undo a command's log set-up, so caplog sees phaseviz's records again."""
    import logging

    logger = logging.getLogger("phaseviz")
    handlers, level = list(logger.handlers), logger.level
    yield
    for handler in list(logger.handlers):
        if handler not in handlers:
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)
    logger.propagate = True
