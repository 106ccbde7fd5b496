"""The phaseviz terminal app: metric charts of one or more runs, by keyboard."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.worker import Worker

from phaseviz.tui import messages as msg
from phaseviz.tui.bindings import BINDINGS, PRIORITY_ACTIONS
from phaseviz.tui.computation import Job, compute, describe
from phaseviz.tui.exporting import export, report_folder
from phaseviz.tui.notices import Notices
from phaseviz.tui.screens.help import HelpScreen
from phaseviz.tui.screens.main import MainScreen
from phaseviz.tui.screens.path_input import PathInput
from phaseviz.tui.session import Session
from phaseviz.tui.watcher import POLL_SECONDS, changed_runs
from phaseviz.tui.widgets.chart_pane import ChartPane
from phaseviz.tui.widgets.sidebar import MetricList

if TYPE_CHECKING:
    from phaseviz.engine import ComputeOptions

logger = logging.getLogger(__name__)

REDRAW_SECONDS = 0.1
"""Values arriving closer together are drawn together: ten redraws a second."""


class PhasevizApp(App[None]):
    """Charts of metrics against step for the runs of a session.

    Args:
        session: The runs, the metrics on offer and the first selection.
        options: How the engine computes.
        watch: Poll the run folders for new checkpoints.
        export_dir: Where ``e`` writes report folders (the cwd by default).
        keymap: Binding id -> keys, to remap bindings.
        poll_seconds: How often ``watch`` lists the run folders.
    """

    CSS_PATH = "app.tcss"
    TITLE = "phaseviz"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = list(BINDINGS)

    def __init__(
        self,
        session: Session,
        options: ComputeOptions,
        *,
        watch: bool = False,
        export_dir: Path | None = None,
        keymap: Mapping[str, str] | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        super().__init__()
        self.session = session
        self.options = options
        self.watching = watch
        self.poll_seconds = poll_seconds
        self.export_dir = export_dir or Path.cwd()
        self.device = options.device
        self.jobs: dict[int, Job] = {}
        self.cancel = threading.Event()
        self.notices = Notices(self)
        self.main = MainScreen(session)
        self._job_ids = iter(range(1, 1 << 62))
        self._redraw_timer: Timer | None = None
        self._watcher: Worker[None] | None = None
        self._user_keymap = dict(keymap or {})
        if keymap:
            self.set_keymap(dict(keymap))

    def get_default_screen(self) -> MainScreen:
        """The main screen, which draws the session."""
        return self.main

    @on(MainScreen.Ready)
    def _screen_ready(self) -> None:
        """Start computing the first selection, and watching if asked."""
        self._tell_skipped()
        self.start_computing(self.session.selected)
        if self.watching:
            self.set_interval(self.poll_seconds, self._poll_runs)
        self.redraw()

    @on(ChartPane.Ready)
    def _pane_ready(self) -> None:
        self.schedule_redraw()

    # Computing

    def start_computing(
        self, metrics: Sequence[str], runs: Iterable[int] | None = None
    ) -> None:
        """Compute ``metrics`` wherever values are missing, a worker per run.

        A metric already being computed on a run is left to that computation.
        """
        targets = list(runs) if runs is not None else range(len(self.session.runs))
        for run_index in targets:
            busy = {
                m
                for job in self.jobs.values()
                if job.run_index == run_index
                for m in job.metrics
            }
            wanted = tuple(
                m
                for m in metrics
                if m not in busy and run_index in self.session.missing(m)
            )
            if wanted:
                run = self.session.runs[run_index]
                self._start_job(Job(next(self._job_ids), run_index, run, wanted))

    def _start_job(self, job: Job) -> None:
        options = self._options_for(job.metrics)
        description = describe(job, [self.session.title(m) for m in job.metrics])
        self.jobs[job.id] = job
        self.run_worker(
            lambda: compute(job, options, self.cancel, self.post_message),
            name=f"compute-{job.id}",
            group="compute",
            description=description,
            exclusive=False,
            exit_on_error=False,
            thread=True,
        )

    def _options_for(self, metrics: Sequence[str]) -> ComputeOptions:
        # The engine computes every metric of the files it is given, so a job
        # that asks for no custom metric is given no file.
        catalogue = self.session.catalogue
        if any(m in catalogue and catalogue[m].group == "custom" for m in metrics):
            return self.options
        return dataclasses.replace(self.options, metric_files=())

    @on(msg.ComputeStarted)
    def _started(self, message: msg.ComputeStarted) -> None:
        self.device = message.device
        job = self.jobs.get(message.job)
        if job is not None:
            self.session.results[job.run_index].device = message.device
        self.schedule_redraw()

    @on(msg.ValuesArrived)
    def _values(self, message: msg.ValuesArrived) -> None:
        from phaseviz.engine.events import MetricFailed

        run_index = message.run_index
        for event in message.events:
            if isinstance(event, MetricFailed):
                self.session.record_error(
                    run_index, event.metric, event.index, event.message
                )
                self._tell_failure(run_index, event.metric, event.message)
            else:
                self.session.record(
                    run_index, event.metric, event.index, event.value, event.layers
                )
        self.schedule_redraw()

    @on(msg.ComputeProgress)
    def _progress(self, message: msg.ComputeProgress) -> None:
        job = self.jobs.get(message.job)
        if job is not None:
            job.done, job.total = message.done, message.total
        self.schedule_redraw()

    @on(msg.CheckpointUnreadable)
    def _unreadable(self, message: msg.CheckpointUnreadable) -> None:
        self.session.unreadable.add((message.run_index, message.index))
        run = self.session.runs[message.run_index]
        checkpoint = run.checkpoints[message.index]
        self.notices.once(
            ("checkpoint", checkpoint.identity),
            f"Skipped checkpoint {checkpoint.name} of {run.name}: {message.message}",
            severity="error",
        )
        self.schedule_redraw()

    @on(msg.EngineNotice)
    def _notice(self, message: msg.EngineNotice) -> None:
        self.notices.once(("notice", message.message), message.message, "warning")

    @on(msg.ComputeEnded)
    def _ended(self, message: msg.ComputeEnded) -> None:
        job = self.jobs.pop(message.job, None)
        if job is None:
            return
        if message.error:
            self.notices.tell(
                message.error, title="Computation stopped", severity="error"
            )
        elif job.run is not self.session.runs[job.run_index]:
            # The run gained checkpoints while this computation went through
            # the older listing; the new ones are computed now.
            self.start_computing(self.session.selected, [job.run_index])
        self.schedule_redraw()

    def _tell_failure(self, run_index: int, metric: str, message: str) -> None:
        if metric in self.session.selected:
            title = self.session.title(metric)
            self.notices.once(
                ("metric", run_index, metric), f"{title} failed: {message}", "error"
            )

    def _tell_skipped(self) -> None:
        for run in self.session.runs:
            for skipped in run.skipped:
                self.notices.once(
                    ("skipped", str(skipped.path)),
                    f"Skipped {skipped.path.name}: {skipped.reason}",
                    "warning",
                )

    # Watching

    def _poll_runs(self) -> None:
        # A listing still running (a slow network disk) is left to finish.
        if self._watcher is not None and self._watcher.is_running:
            return
        runs = list(self.session.runs)
        self._watcher = self.run_worker(
            lambda: self._post_changes(runs),
            name="watch",
            group="watch",
            description="listing the run folders for new checkpoints",
            exclusive=False,
            exit_on_error=False,
            thread=True,
        )

    def _post_changes(self, runs: list) -> None:
        for run_index, run in changed_runs(runs, trust=self.options.trust):
            self.post_message(msg.RunChanged(run_index, run))

    @on(msg.RunChanged)
    def _run_changed(self, message: msg.RunChanged) -> None:
        before = len(self.session.runs[message.run_index].checkpoints)
        self.session.replace_run(message.run_index, message.run)
        gained = len(message.run.checkpoints) - before
        if gained > 0:
            self.notices.tell(f"{message.run.name}: {gained} new checkpoint(s)")
        self.start_computing(self.session.selected, [message.run_index])
        self.redraw()

    # Drawing

    def schedule_redraw(self) -> None:
        """Redraw soon; calls within one interval share one redraw."""
        if self._redraw_timer is None:
            self._redraw_timer = self.set_timer(REDRAW_SECONDS, self.redraw)

    def redraw(self) -> None:
        """Draw the main screen from the session now."""
        if self._redraw_timer is not None:
            self._redraw_timer.stop()
            self._redraw_timer = None
        try:
            self.main.draw(self.jobs.values(), self.device)
        except Exception:
            # A drawing bug must not end the session and lose its values.
            logger.exception("redrawing the app failed")
            self.notices.once(
                "redraw",
                "Part of the screen could not be drawn; details are in the log file.",
                "error",
            )

    # Selecting metrics

    @on(MetricList.Toggled)
    async def _toggled(self, message: MetricList.Toggled) -> None:
        await self.toggle(message.key)

    async def toggle(self, key: str) -> None:
        """Select or deselect ``key``; a selected metric starts computing at once."""
        metric = self.session.catalogue.get(key)
        if metric is None:
            return
        selected = self.session.toggle(key)
        self.main.metric_list.mark(metric, selected)
        await self.main.grid.show(self.session.selected)
        if selected:
            self.start_computing([key])
            for run_index, results in enumerate(self.session.results):
                for error in list(results.errors.get(key, {}).values())[:1]:
                    self._tell_failure(run_index, key, error)
        self.redraw()

    async def action_toggle_metric(self) -> None:
        """Toggle the metric highlighted in the sidebar."""
        key = self.main.metric_list.highlighted_key
        if key is not None:
            await self.toggle(key)

    # Views

    def action_expand(self) -> None:
        """Fill the screen with the focused pane (or the overlay, or layers)."""
        target = self.main.expandable()
        if target is None:
            self.notices.tell("Nothing to expand: press space to chart a metric.")
            return
        target.focus()
        self.main.maximize(target, container=False)
        self.refresh_bindings()

    def action_leave(self) -> None:
        """Leave an expanded pane, or the overlay or layer view."""
        if self.main.maximized is not None:
            self.main.minimize()
            self.refresh_bindings()
        elif self.main.view != "grid":
            self._switch("grid")

    def action_overlay(self) -> None:
        """Show the selected metrics on one chart, or go back to the grid."""
        self._switch("grid" if self.main.view == "overlay" else "overlay")

    def action_layers(self) -> None:
        """Show the focused metric layer by layer, or go back to the grid."""
        if self.main.view == "layers":
            self._switch("grid")
            return
        metric = self.main.focused_metric()
        if metric is None:
            self.notices.tell("Select a metric first: space in the sidebar.")
            return
        if not self.session.catalogue[metric].per_layer:
            layered = [m.title for m in self.session.catalogue.values() if m.per_layer]
            self.notices.tell(
                f"{self.session.title(metric)} is one number per checkpoint, with "
                f"no per-layer values; these have them: {', '.join(layered[:4])}, …"
            )
            return
        self.main.layer_view.show(metric, 0)
        self._switch("layers")

    def action_next_run(self) -> None:
        """In the layer view, look at the next run's layers."""
        view = self.main.layer_view
        if view.metric is not None:
            view.show(view.metric, (view.run_index + 1) % len(self.session.runs))
            self.redraw()

    def _switch(self, view: str) -> None:
        self.main.switch(view)
        self.redraw()
        self.refresh_bindings()

    # The timeline

    def action_cursor(self, delta: int) -> None:
        """Move the checkpoint cursor by ``delta`` checkpoints."""
        self.session.timeline.move(delta)
        self.redraw()

    def action_zoom_in(self) -> None:
        """Halve the visible step range around the cursor."""
        if not self.session.timeline.zoom_in():
            self.notices.tell("Zoomed in as far as the checkpoints allow.")
        self.redraw()

    def action_zoom_out(self) -> None:
        """Double the visible step range around the cursor."""
        self.session.timeline.zoom_out()
        self.redraw()

    def action_zoom_reset(self) -> None:
        """Show the whole run again."""
        self.session.timeline.reset()
        self.redraw()

    def action_toggle_log_axis(self) -> None:
        """Switch every chart between a linear and a log step axis."""
        log = self.session.toggle_log_axis()
        self.notices.tell(f"Step axis: {'log' if log else 'linear'}")
        self.redraw()

    def action_cycle_detector(self) -> None:
        """Use the next transition detector."""
        from phaseviz.transitions import DETECTORS

        names = list(DETECTORS)
        current = self.session.detector
        position = names.index(current) if current in names else -1
        self.session.detector = names[(position + 1) % len(names)]
        self.notices.tell(f"Transition detector: {self.session.detector}")
        self.redraw()

    # Files

    def action_export(self) -> None:
        """Write the HTML report, CSVs and PNGs into a new folder, in a worker."""
        folder = report_folder(self.export_dir, self.session.labels)
        snapshot = self.session.snapshot()
        selected = list(self.session.selected)
        detector = self.session.detector
        self.notices.tell(f"Exporting the report to {folder} …")
        self.run_worker(
            lambda: export(snapshot, folder, selected, detector, self.post_message),
            name="export",
            group="export",
            description=f"writing the report to {folder}",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    @on(msg.ReportExported)
    def _exported(self, message: msg.ReportExported) -> None:
        paths = "\n".join(str(path) for path in message.paths)
        self.notices.tell(
            paths, title=f"Report written to {message.folder}", timeout=20
        )

    @on(msg.ExportFailed)
    def _export_failed(self, message: msg.ExportFailed) -> None:
        self.notices.tell(message.message, title="Export failed", severity="error")

    def action_custom_metrics(self) -> None:
        """Ask for a custom metrics file and add its metrics to the sidebar."""
        prompt = "Path of a .py file whose *_of_model(model) functions return floats:"
        self.push_screen(PathInput(prompt, Path.cwd()), self._load_custom)

    def _load_custom(self, path: Path | None) -> None:
        if path is None:
            return
        from phaseviz.tui.custom import load_custom

        run = self.session.runs[0]
        files = (*self.options.metric_files, path)
        self.run_worker(
            lambda: load_custom(run, files, path, self.post_message),
            name="custom-metrics",
            group="custom",
            description=f"reading custom metrics from {path}",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    @on(msg.CustomMetricsLoaded)
    def _custom_loaded(self, message: msg.CustomMetricsLoaded) -> None:
        if message.path not in self.options.metric_files:
            files = (*self.options.metric_files, message.path)
            self.options = dataclasses.replace(self.options, metric_files=files)
        new = self.session.add_metrics(message.metrics)
        self.main.sidebar.fill(self.session)
        if not new:
            self.notices.tell(
                f"{message.path.name} adds no new metric.", severity="warning"
            )
            return
        self.main.metric_list.highlight_key(new[0])
        names = ", ".join(self.session.title(key) for key in new)
        self.notices.tell(
            f"Added {names}: highlight one and press space.",
            title=f"Custom metrics from {message.path.name}",
        )

    @on(msg.CustomMetricsFailed)
    def _custom_failed(self, message: msg.CustomMetricsFailed) -> None:
        self.notices.tell(
            message.message, title="Custom metrics not loaded", severity="error"
        )

    # The app

    def action_help(self) -> None:
        """Show every binding and what it does."""
        rows = [
            (self._keys(b), b.tooltip or b.description, b.id or "")
            for b in self.BINDINGS
            if isinstance(b, Binding)
        ]
        rows.append(("tab / shift+tab", "Move focus between the sidebar and panes", ""))
        rows.append(("↑ / ↓", "Move through the metrics in the sidebar", ""))
        self.push_screen(HelpScreen(rows))

    async def action_quit(self) -> None:
        """Stop every computation and leave."""
        self.cancel.set()
        self.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Leave keys to dialogs; offer back and next run only where they apply."""
        if action in PRIORITY_ACTIONS and isinstance(self.screen, ModalScreen):
            return False
        if not self.main.is_mounted:
            return True
        if action == "leave":
            return self.main.maximized is not None or self.main.view != "grid"
        if action == "next_run":
            return self.main.view == "layers" and len(self.session.runs) > 1
        return True

    def _keys(self, binding: Binding) -> str:
        keys = self._user_keymap.get(binding.id or "", binding.key)
        return ", ".join(
            self.get_key_display(Binding(key, "")) for key in keys.split(",")
        )
