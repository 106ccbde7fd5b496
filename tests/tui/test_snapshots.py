"""The app's layout at 100×30, pinned by SVG snapshots.

Regenerate after an intended change with ``pytest tests/tui --snapshot-update``
and look at the report before committing the new files.
"""

from tui_support import SIZE, settle

METRICS = ["l2", "effective_rank", "recorded.test_acc"]


def test_main_screen(snap_compare, make_app, run_dir):
    app = make_app([run_dir], metrics=METRICS)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_overlay(snap_compare, make_app, run_dir):
    app = make_app([run_dir], metrics=METRICS)

    async def overlay(pilot):
        await settle(pilot)
        await pilot.press("left", "left", "o")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=overlay)


def test_expanded_pane(snap_compare, make_app, run_dir):
    app = make_app([run_dir], metrics=METRICS)

    async def expand(pilot):
        await settle(pilot)
        await pilot.press("tab", "left", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=expand)
