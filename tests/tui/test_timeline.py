"""The shared checkpoint cursor and the zoomed step range."""

from phaseviz.tui.timeline import Timeline


def test_cursor_starts_at_the_last_step_and_moves_within_the_run():
    timeline = Timeline([0, 100, 200, 300])
    assert timeline.cursor_step == 300
    timeline.move(-2)
    assert timeline.cursor_step == 100
    timeline.move(-10)
    assert timeline.cursor_step == 0


def test_zoom_in_halves_the_range_around_the_cursor_and_reset_restores_it():
    timeline = Timeline(range(0, 1100, 100))
    timeline.move(-5)  # step 500
    assert timeline.zoom_in()
    assert timeline.span == (250, 750)
    timeline.zoom_out()
    assert timeline.span == (0, 1000)
    assert not timeline.zoomed
    timeline.zoom_in()
    timeline.reset()
    assert timeline.span == (0, 1000)


def test_zoom_in_stops_before_fewer_than_three_checkpoints_are_left():
    timeline = Timeline([0, 100, 200, 300, 400])
    timeline.move(-2)  # step 200
    assert timeline.zoom_in()
    assert timeline.span == (100, 300)
    assert not timeline.zoom_in()
    assert timeline.span == (100, 300)


def test_moving_the_cursor_out_of_a_zoomed_range_pans_it():
    timeline = Timeline(range(0, 1100, 100))
    timeline.move(-10)  # step 0
    timeline.zoom_in()
    low, high = timeline.span
    for _ in range(8):
        timeline.move(1)
    assert timeline.span[0] > low
    assert timeline.span[0] <= timeline.cursor_step <= timeline.span[1]
    assert timeline.span[1] - timeline.span[0] == high - low


def test_new_steps_keep_the_cursor_at_the_end_when_it_was_there():
    timeline = Timeline([0, 100])
    timeline.set_steps([0, 100, 200])
    assert timeline.cursor_step == 200
    timeline.move(-1)
    timeline.set_steps([0, 100, 200, 300])
    assert timeline.cursor_step == 100
