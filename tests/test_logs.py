from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

from phaseviz.logs import LineRotatingFileHandler, setup_logging


def _handler(path: Path, max_lines: int, keep: int = 20) -> logging.Logger:
    logger = logging.getLogger(f"test.rotation.{path}")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(LineRotatingFileHandler(path, max_lines=max_lines, keep=keep))
    return logger


def test_rotates_after_max_lines_and_keeps_earlier_files(tmp_path: Path):
    log = tmp_path / "phase-viz.log"
    logger = _handler(log, max_lines=10)
    for n in range(35):
        logger.info("line %d", n)

    assert len(log.read_text().splitlines()) == 5
    assert len((tmp_path / "phase-viz.log.1").read_text().splitlines()) == 10
    assert (tmp_path / "phase-viz.log.3").exists()
    assert "line 0" in (tmp_path / "phase-viz.log.3").read_text()


def test_keeps_at_most_keep_earlier_files(tmp_path: Path):
    logger = _handler(tmp_path / "x.log", max_lines=2, keep=3)
    for n in range(20):
        logger.info("line %d", n)
    assert sorted(p.name for p in tmp_path.glob("x.log.*") if p.suffix != ".lock") == [
        "x.log.1",
        "x.log.2",
        "x.log.3",
    ]


def _log_many(path: str, worker: int) -> None:
    logger = _handler(Path(path), max_lines=100)
    for n in range(150):
        logger.info("worker %d line %d", worker, n)


def test_several_processes_write_one_log_safely(tmp_path: Path):
    log = tmp_path / "phase-viz.log"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_log_many, args=(str(log), w)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    lines = [
        line
        for p in tmp_path.glob("phase-viz.log*")
        if not p.name.endswith(".lock")
        for line in p.read_text().splitlines()
    ]
    assert len(lines) == 450
    assert all(line.startswith("worker ") for line in lines)
    assert all(
        len(p.read_text().splitlines()) <= 100
        for p in tmp_path.glob("*.log*")
        if not p.name.endswith(".lock")
    )


def test_log_dir_follows_the_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PHASEVIZ_LOG_DIR", str(tmp_path / "elsewhere"))
    path = setup_logging()
    logging.getLogger("phaseviz.test").info("checkpoint x loaded")
    assert path == tmp_path / "elsewhere" / "phase-viz.log"
    assert "checkpoint x loaded" in path.read_text()
