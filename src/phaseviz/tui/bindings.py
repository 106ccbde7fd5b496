"""The app's keys: each with an id to remap it by, a label and a description.

The label is what the footer shows; the description (the binding's tooltip)
is what the help screen says.
"""

from __future__ import annotations

from textual.binding import Binding

STEP = Binding.Group("Step", compact=True)
ZOOM = Binding.Group("Zoom", compact=True)

# Lists and scrolling containers claim enter and the arrows for themselves;
# as priority bindings these keys mean the same wherever the focus is.
PRIORITY_ACTIONS = frozenset({"expand", "cursor"})

BINDINGS = [
    Binding(
        "space",
        "toggle_metric",
        "Toggle",
        id="toggle_metric",
        tooltip="Chart the highlighted metric, or remove its chart; "
        "computing starts at once",
    ),
    Binding(
        "enter",
        "expand",
        "Expand",
        id="expand",
        priority=True,
        tooltip="Fill the screen with the focused pane; escape returns",
    ),
    Binding(
        "left",
        "cursor(-1)",
        "Step back",
        id="cursor_left",
        key_display="←",
        priority=True,
        group=STEP,
        tooltip="Move the checkpoint cursor one checkpoint back",
    ),
    Binding(
        "right",
        "cursor(1)",
        "Step on",
        id="cursor_right",
        key_display="→",
        priority=True,
        group=STEP,
        tooltip="Move the checkpoint cursor one checkpoint on",
    ),
    Binding(
        "plus,equals_sign",
        "zoom_in",
        "Zoom in",
        id="zoom_in",
        key_display="+",
        group=ZOOM,
        tooltip="Halve the step range shown, around the cursor",
    ),
    Binding(
        "minus",
        "zoom_out",
        "Zoom out",
        id="zoom_out",
        key_display="-",
        group=ZOOM,
        tooltip="Double the step range shown, around the cursor",
    ),
    Binding(
        "0",
        "zoom_reset",
        "Whole run",
        id="zoom_reset",
        show=False,
        tooltip="Show every step again",
    ),
    Binding(
        "x",
        "toggle_log_axis",
        "Log step",
        id="toggle_log_axis",
        tooltip="Switch every chart between a linear and a log step axis "
        "(log is chosen at start for log-spaced checkpoints)",
    ),
    Binding(
        "o",
        "overlay",
        "Overlay",
        id="overlay",
        tooltip="Every selected metric on one chart, each scaled to [0, 1]",
    ),
    Binding(
        "l",
        "layers",
        "Layers",
        id="layers",
        tooltip="The focused metric layer by layer: which layers moved, and when",
    ),
    Binding(
        "r",
        "next_run",
        "Next run",
        id="next_run",
        tooltip="In the layer view of several runs, show the next run",
    ),
    Binding(
        "escape",
        "leave",
        "Back",
        id="back",
        tooltip="Leave an expanded pane, the overlay or the layer view",
    ),
    Binding(
        "question_mark",
        "help",
        "Help",
        id="help",
        key_display="?",
        tooltip="This list of keys",
    ),
    Binding(
        "q",
        "quit",
        "Quit",
        id="quit",
        tooltip="Stop computing and quit; computed values stay cached",
    ),
    Binding(
        "t",
        "cycle_detector",
        "Detector",
        id="cycle_detector",
        tooltip="Use the next transition detector",
    ),
    Binding(
        "e",
        "export",
        "Export",
        id="export",
        tooltip="Write the report (HTML, CSV, PNG) into a new folder here",
    ),
    Binding(
        "c",
        "custom_metrics",
        "Custom file",
        id="custom_metrics",
        show=False,
        tooltip="Load a custom metrics file; its metrics join the sidebar",
    ),
]
