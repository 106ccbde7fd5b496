from __future__ import annotations

from pathlib import Path

import pytest

from phaseviz.state import STATE_FILE, RunState, StateError, load_state, save_state


def test_state_round_trips(tmp_path: Path):
    state = RunState("/abs/run", "/abs/model.py", "Net", trust=True)

    path = save_state(state, tmp_path)

    assert path == tmp_path / STATE_FILE
    assert load_state(tmp_path) == state
    assert list(tmp_path.iterdir()) == [path]  # no partial file left behind


def test_missing_state_says_to_run_load_dir(tmp_path: Path):
    with pytest.raises(StateError, match="run phaseviz load-dir first") as error:
        load_state(tmp_path)
    assert error.value.exit_code == 2


@pytest.mark.parametrize(
    "text", ["{not json", '{"version": 99, "run_dir": "/r"}', '{"version": 1}', "[]"]
)
def test_unusable_state_names_the_file(tmp_path: Path, text: str):
    (tmp_path / STATE_FILE).write_text(text)

    with pytest.raises(StateError, match=r"\.phaseviz_state\.json.*load-dir again"):
        load_state(tmp_path)
