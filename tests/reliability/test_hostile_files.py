"""Random, truncated and damaged files under every checkpoint name phaseviz reads.

Each example puts one bad file (or Hugging Face folder) beside a good
checkpoint. Discovery and compute must never raise: the bad one is either
skipped with a reason, or read as the checkpoint it happens to still be,
and the good one computes the values it always does. Special files (a FIFO,
a folder named like a file, a file the system refuses to open) and link
loops are tried by hand.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save

from phaseviz.checkpoints import discover_run
from phaseviz.engine import (
    CheckpointFailed,
    ComputeOptions,
    MetricFailed,
    ValueComputed,
    compute_run,
)

from .conftest import Tally
from run_helpers import save_checkpoint

SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors")
METRICS = "l2,effective_rank,cosine_to_final"
OPTIONS = ComputeOptions(device="cpu", cache=False, parallel=False)


def _torch_bytes(**save_args: object) -> bytes:
    state = {"w": torch.randn(4, 3, generator=torch.Generator().manual_seed(1))}
    buffer = io.BytesIO()
    torch.save({"state_dict": state, "step": 7}, buffer, **save_args)
    return buffer.getvalue()


VALID = {
    "zip": _torch_bytes(),
    "legacy": _torch_bytes(_use_new_zipfile_serialization=False),
    "safetensors": save({"w": torch.ones(4, 3)}, metadata={"step": "7"}),
}


@st.composite
def damaged(draw: st.DrawFn, source: bytes) -> bytes:
    """``source`` cut short, with a few bytes changed, or both."""
    data = bytearray(source[: draw(st.integers(0, len(source)))])
    for _ in range(draw(st.integers(0, 4)) if data else 0):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _with_header(header: object) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + b"\0" * 16


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
HEADER_ENTRY = st.fixed_dictionaries(
    {
        "dtype": st.sampled_from(["F32", "F16", "I64", "BOOL", "X9", ""]),
        "shape": st.lists(st.integers(-3, 6), max_size=3),
        "data_offsets": st.lists(st.integers(-8, 64), min_size=0, max_size=3),
    }
)
HEADERS = st.dictionaries(st.text(max_size=6), HEADER_ENTRY | JSON, max_size=3)


def contents(suffix: str) -> st.SearchStrategy[bytes]:
    """Bytes a file of ``suffix`` might hold after a bad copy or a crash."""
    if suffix == ".safetensors":
        sources = [VALID["safetensors"]]
        structured = HEADERS.map(_with_header)
    else:
        sources = [VALID["zip"], VALID["legacy"]]
        structured = st.just(b"PK\x03\x04") | st.just(VALID["zip"][:-22])
    return st.one_of(
        st.binary(max_size=600),
        *(damaged(source) for source in sources),
        structured,
    )


@st.composite
def bad_files(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(SUFFIXES))
    return f"bad{suffix}", draw(contents(suffix))


@st.composite
def bad_folders(draw: st.DrawFn) -> dict[str, bytes]:
    """A Hugging Face ``checkpoint-N/`` with a broken index or shards missing."""
    shard = VALID["safetensors"]
    kind = draw(st.sampled_from(["index", "missing", "unindexed", "bin"]))
    if kind == "index":
        index = draw(
            st.binary(max_size=200) | JSON.map(lambda j: json.dumps(j).encode())
        )
        return {"model.safetensors.index.json": index}
    if kind == "missing":
        names = [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
        index = {"weight_map": {f"w{i}": name for i, name in enumerate(names)}}
        present = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
        files = {name: shard for name in present}
        return {**files, "model.safetensors.index.json": json.dumps(index).encode()}
    if kind == "unindexed":
        count = draw(st.integers(1, 2))
        return {f"model-0000{i}-of-00003.safetensors": shard for i in range(count)}
    return {"pytorch_model.bin": draw(damaged(VALID["zip"]))}


class Examples:
    """Runs a fresh folder for each example: the good checkpoint and one bad."""

    def __init__(self, root: Path, tally: Tally) -> None:
        self.root = root
        self.tally = tally
        self.count = 0
        self.good = save_checkpoint(root, 3)
        self.expected = self._expected(self.root / "expected")

    def folder(self) -> Path:
        self.count += 1
        folder = self.root / f"example-{self.count}"
        folder.mkdir()
        shutil.copy2(self.good, folder / self.good.name)
        return folder

    def check(self, folder: Path, bad: Path) -> None:
        """Discovery and compute survive; the bad entry is skipped or read."""
        self.tally.inputs += 1
        run = discover_run(folder)
        found = {c.path for c in run.checkpoints}
        skipped = {s.path for s in run.skipped}
        assert folder / self.good.name in found
        named = [s for s in run.skipped if s.path == bad or s.path.parent == bad]
        assert named or bad in found, "the bad entry vanished without a reason"
        for entry in named:
            assert entry.reason, f"{entry.path} skipped without a reason"
        self.tally.note("skipped with a reason", int(bool(skipped)))
        self.tally.note("read despite the damage", int(bad in found))

        values = self._compute(run, bad)
        lost = sum(values.get(k) != v for k, v in self.expected.items())
        self.tally.lost += lost
        assert lost == 0, "the good checkpoint's values changed"

    def _compute(self, run, bad: Path) -> dict[str, float]:
        values: dict[str, float] = {}
        for event in compute_run(run, METRICS, OPTIONS):
            if isinstance(event, CheckpointFailed):
                assert str(bad) in event.message or bad.name in event.message
                self.tally.note("failed in compute, named")
            elif (
                isinstance(event, ValueComputed | MetricFailed)
                and event.checkpoint.path.name == self.good.name
            ):
                values[event.metric] = getattr(event, "value", None)
        return {k: v for k, v in values.items() if k != "cosine_to_final"}

    def _expected(self, folder: Path) -> dict[str, float]:
        folder.mkdir()
        shutil.copy2(self.good, folder / self.good.name)
        run = discover_run(folder)
        return self._compute(run, folder / "none")


@pytest.fixture
def examples(tmp_path: Path, tally: Tally) -> Examples:
    return Examples(tmp_path, tally)


def _hypothesis(count: int):
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


SCALE = [
    pytest.param(70, id="fast"),
    pytest.param(3000, id="soak", marks=pytest.mark.soak),
]
FOLDER_SCALE = [
    pytest.param(30, id="fast"),
    pytest.param(1000, id="soak", marks=pytest.mark.soak),
]


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("count", SCALE)
def test_random_and_damaged_files_are_skipped_or_read_never_fatal(
    examples: Examples, count: int
):
    @_hypothesis(count)
    @given(bad_files())
    def attempt(bad: tuple[str, bytes]) -> None:
        folder = examples.folder()
        path = folder / bad[0]
        path.write_bytes(bad[1])
        examples.check(folder, path)

    attempt()


@pytest.mark.parametrize("count", FOLDER_SCALE)
def test_broken_hugging_face_folders_are_skipped_with_a_reason(
    examples: Examples, count: int
):
    @_hypothesis(count)
    @given(bad_folders())
    def attempt(files: dict[str, bytes]) -> None:
        folder = examples.folder()
        checkpoint = folder / "checkpoint-20"
        checkpoint.mkdir()
        for name, data in files.items():
            (checkpoint / name).write_bytes(data)
        examples.check(folder, checkpoint)

    attempt()


def _within(seconds: float, function, release=None):
    """``function()``, failing the test if it takes longer than ``seconds``."""
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(function()), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive() and release is not None:
        release()
    assert outcome, f"did not finish within {seconds} s"
    return outcome[0]


def test_a_fifo_named_like_a_checkpoint_is_skipped_not_waited_on(
    examples: Examples, tally: Tally
):
    folder = examples.folder()
    fifo = folder / "stream.pt"
    os.mkfifo(fifo)

    def release() -> None:
        # Opening the other end lets a reader stuck on the FIFO go on.
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    run = _within(20, lambda: discover_run(folder), release)
    tally.inputs += 1
    (reason,) = [s.reason for s in run.skipped if s.path == fifo]
    assert "not a regular file" in reason


def test_a_folder_named_like_a_checkpoint_is_searched_not_read(
    examples: Examples, tally: Tally
):
    folder = examples.folder()
    (folder / "weights.pt").mkdir()
    tally.inputs += 1
    run = discover_run(folder)
    assert [c.name for c in run.checkpoints] == [examples.good.name]


def test_a_file_the_system_refuses_to_open_is_skipped_naming_it(
    examples: Examples, tally: Tally, monkeypatch: pytest.MonkeyPatch
):
    # Root may read any file whatever its mode, so the refusal is patched in.
    folder = examples.folder()
    secrets = [folder / f"secret{suffix}" for suffix in SUFFIXES]
    for path in secrets:
        shutil.copy2(examples.good, path)
    real_open = Path.open

    def refusing_open(self: Path, *args, **kwargs):
        if self.name.startswith("secret"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    run = discover_run(folder)
    tally.inputs += len(secrets)
    reasons = {s.path: s.reason for s in run.skipped}
    for path in secrets:
        assert "Permission denied" in reasons[path]
    assert [c.name for c in run.checkpoints] == [examples.good.name]


def test_a_link_to_the_run_folder_itself_is_not_followed(
    examples: Examples, tally: Tally
):
    folder = examples.folder()
    (folder / "again").symlink_to(folder, target_is_directory=True)
    (folder / "up").symlink_to(folder.parent, target_is_directory=True)
    tally.inputs += 2
    run = discover_run(folder)
    assert [c.name for c in run.checkpoints] == [examples.good.name]
    assert not run.skipped


def test_link_loops_are_skipped_as_loops(examples: Examples, tally: Tally):
    folder = examples.folder()
    (folder / "self.pt").symlink_to(folder / "self.pt")
    (folder / "a.ckpt").symlink_to(folder / "b.ckpt")
    (folder / "b.ckpt").symlink_to(folder / "a.ckpt")
    (folder / "gone.safetensors").symlink_to(folder / "nowhere.safetensors")
    tally.inputs += 4
    run = discover_run(folder)
    reasons = {s.path.name: s.reason for s in run.skipped}
    assert "link loop" in reasons["self.pt"]
    assert "link loop" in reasons["a.ckpt"] and "link loop" in reasons["b.ckpt"]
    assert "does not exist" in reasons["gone.safetensors"]
    assert [c.name for c in run.checkpoints] == [examples.good.name]


@pytest.mark.parametrize(
    "name", ["model.safetensors.index.json", "trainer_state.json", "config.json"]
)
def test_json_nested_past_the_parser_stack_is_a_reason_not_a_crash(
    examples: Examples, tally: Tally, name: str
):
    folder = examples.folder()
    checkpoint = folder / "checkpoint-9"
    checkpoint.mkdir()
    if name != "model.safetensors.index.json":
        (checkpoint / "model.safetensors").write_bytes(VALID["safetensors"])
    (checkpoint / name).write_text("[" * 100_000 + "]" * 100_000)
    examples.check(folder, checkpoint)


def test_a_safetensors_header_nested_past_the_parser_stack_is_skipped(
    examples: Examples,
):
    folder = examples.folder()
    bad = folder / "deep.safetensors"
    bad.write_bytes(_deep_header())
    examples.check(folder, bad)


def _deep_header() -> bytes:
    text = b"[" * 100_000 + b"]" * 100_000
    return len(text).to_bytes(8, "little") + text


@pytest.mark.parametrize("lost", ["first", "final"])
def test_a_checkpoint_deleted_after_discovery_is_skipped_and_named(
    tmp_path: Path, tally: Tally, lost: str
):
    folder = tmp_path / "run"
    folder.mkdir()
    paths = [save_checkpoint(folder, step) for step in range(4)]
    run = discover_run(folder)
    gone = paths[0 if lost == "first" else -1]
    gone.unlink()
    tally.faults += 1

    events = list(compute_run(run, "l2,distance_from_init,cosine_to_final", OPTIONS))
    failed = [e for e in events if isinstance(e, CheckpointFailed)]
    assert [e.checkpoint.path for e in failed] == [gone]
    assert str(gone) in failed[0].message
    l2 = {e.checkpoint.path for e in events if isinstance(e, ValueComputed)}
    assert l2 == set(paths) - {gone}
    for event in events:
        if isinstance(event, MetricFailed):
            assert gone.name in event.message
