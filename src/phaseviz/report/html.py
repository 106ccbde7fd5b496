"""The self-contained HTML report: charts, transitions and the run summary.

The page carries everything it needs: plotly's JavaScript inlined, the data
as JSON in a ``<script type="application/json">`` element, no fonts or
scripts from the network, so it opens offline and can be mailed around.
Tables are rendered here, escaped; the charts are drawn by the page's
script from the embedded data.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from html import escape

from phaseviz.export import write_transitions_csv
from phaseviz.export._text import json_float
from phaseviz.report.content import PALETTE, ReportContent
from phaseviz.report.page_script import PAGE_JS
from phaseviz.report.page_style import PAGE_CSS
from phaseviz.report.summary import RunSummary

# Characters that would let embedded JSON end its <script> element or be read
# as markup; JSON allows them escaped.
_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def render_html(content: ReportContent) -> str:
    """The report page for ``content``, as one self-contained HTML string."""
    from plotly.offline import get_plotlyjs

    names = ", ".join(run.name for run in content.runs)
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>phaseviz report: {escape(names)}</title>\n",
        f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n",
        _header(content, names),
        "<main>\n",
        _summary_section(content.summaries),
        _charts_section(content),
        _transitions_section(content),
        "</main>\n",
        _MODAL,
        '<script type="application/json" id="phaseviz-data">',
        _script_json(_payload(content)),
        "</script>\n<script>",
        get_plotlyjs(),
        "</script>\n",
        f"<script>{PAGE_JS}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def file_stem(key: str) -> str:
    """A file-name-safe form of a metric key, for downloaded charts."""
    return "phaseviz-" + re.sub(r"[^A-Za-z0-9._-]", "_", key)


def _header(content: ReportContent, names: str) -> str:
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (
        '<header class="page">\n<h1>phaseviz report</h1>\n'
        f"<p>{escape(names)} · {len(content.metrics)} metrics · transitions by "
        f"the <code>{escape(content.detector)}</code> detector · {generated}</p>\n"
        '<nav class="toolbar">\n<span class="segmented" role="group" '
        'aria-label="Chart view">'
        '<button id="view-individual" aria-pressed="true">Individual charts</button>'
        '<button id="view-overlay" aria-pressed="false">Overlay</button></span>\n'
        f'<button id="axis-log" aria-pressed="{str(content.log_steps).lower()}" '
        'title="Every chart against log(step) or step">log step</button>\n'
        '<span class="spacer"></span>\n'
        '<button id="download-csv">Download metrics CSV</button>\n'
        '<button id="download-transitions">Download transitions CSV</button>\n'
        "</nav>\n</header>\n"
    )


def _summary_section(summaries: Sequence[RunSummary]) -> str:
    headers = [
        "Run",
        "Folder",
        "Checkpoints",
        "Steps",
        "Parameters",
        "Formats",
        "Device",
        "Compute time",
        "Skipped files",
        "Failed values",
    ]
    rows = [
        [
            s.run,
            s.path,
            str(s.checkpoints),
            _step_range(s),
            _count(s.parameters),
            s.formats,
            s.device,
            _duration(s.compute_seconds),
            str(s.skipped),
            str(s.failed),
        ]
        for s in summaries
    ]
    return (
        '<section id="summary">\n<h2>Runs</h2>\n'
        + _table(headers, rows, numeric={2, 4, 8, 9})
        + "</section>\n"
    )


def _charts_section(content: ReportContent) -> str:
    picker = "".join(
        f'<label><input type="checkbox" class="metric-toggle" data-index="{i}" '
        f"checked> {escape(content.titles[key])}</label>"
        for i, key in enumerate(content.metrics)
    )
    cards = "".join(
        f'<figure class="card" data-index="{i}" data-metric="{escape(key)}">'
        f'<figcaption><span class="title">{escape(content.titles[key])}</span>'
        f'<code class="key">{escape(key)}</code><span class="spacer"></span>'
        '<button class="png" title="Download this chart as PNG">PNG</button>'
        '<button class="expand" title="Show this chart large">Expand</button>'
        f'</figcaption><div class="chart" id="chart-{i}"></div></figure>\n'
        for i, key in enumerate(content.metrics)
    )
    return (
        '<section id="charts">\n<h2>Metrics</h2>\n'
        '<p class="note" id="charts-note">x is the training step'
        f"{_axis_note(content)}. Dotted vertical lines and open diamonds mark "
        "transitions. Click a chart to expand it; Escape closes it.</p>\n"
        f'<div class="picker" role="group" aria-label="Metrics shown">{picker}</div>\n'
        f'<div id="individual" class="grid">\n{cards}</div>\n'
        '<div id="overlay" hidden>\n<p class="note">Each metric is scaled to '
        "[0, 1] by its smallest and largest value over all runs shown, "
        "(value − min) / (max − min), so their shapes can be compared; a "
        "constant metric sits at 0.5. Hover for the unscaled value. "
        '<button id="overlay-png">PNG</button></p>\n'
        '<div class="overlay-chart" id="overlay-chart"></div>\n</div>\n'
        "</section>\n"
    )


def _axis_note(content: ReportContent) -> str:
    spacing = (
        "; the checkpoints are spaced evenly in log(step), so it starts on a log scale"
        if content.log_steps
        else ""
    )
    shift = (
        f"; on the log scale points sit at step + {content.step_offset:g}, so "
        "step 0 fits, and ticks and hover give the real step"
        if content.step_offset
        else ""
    )
    return f" (“log step” switches every chart to a log scale{spacing}{shift})"


def _transitions_section(content: ReportContent) -> str:
    parts = [
        '<section id="transitions">\n<h2>Transitions</h2>\n',
        "<h3>Where metrics change together</h3>\n",
    ]
    if content.agreements:
        rows = [
            [
                a.run,
                str(a.rank),
                str(a.step),
                a.checkpoint,
                ", ".join(content.titles.get(m, m) for m in a.metrics),
                _number(a.score),
            ]
            for a in content.agreements
        ]
        parts.append(
            _table(
                ["Run", "Rank", "Step", "Checkpoint", "Metrics", "Score"],
                rows,
                numeric={1, 2, 5},
                table_id="agreement",
            )
        )
    else:
        parts.append(
            '<p class="note" id="agreement">No step where two or more '
            "metrics change together.</p>\n"
        )

    quiet = []
    for key in content.metrics:
        found = content.transitions_of(key)
        if not found:
            quiet.append(content.titles[key])
            continue
        rows = [
            [
                t.run,
                str(t.step),
                t.checkpoint,
                t.kind,
                _number(t.before),
                _number(t.after),
                _number(t.score),
            ]
            for t in found
        ]
        parts.append(
            f"<h3>{escape(content.titles[key])} <code>{escape(key)}</code></h3>\n"
        )
        parts.append(
            _table(
                ["Run", "Step", "Checkpoint", "Kind", "Before", "After", "Score"],
                rows,
                numeric={1, 4, 5, 6},
                table_class="transitions",
            )
        )
    if quiet:
        parts.append(
            f'<p class="note">No transitions in: {escape(", ".join(quiet))}.</p>\n'
        )
    parts.append("</section>\n")
    return "".join(parts)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Collection[int] = (),
    table_id: str = "",
    table_class: str = "",
) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        css = ' class="num"' if i in numeric else ""
        return f"<{tag}{css}>{escape(text)}</{tag}>"

    attributes = (f' id="{table_id}"' if table_id else "") + (
        f' class="{table_class}"' if table_class else ""
    )
    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, text) for i, text in enumerate(row)) + "</tr>\n"
        for row in rows
    )
    return (
        f'<div class="table-wrap"><table{attributes}>\n<thead><tr>{head}</tr>'
        f"</thead>\n<tbody>\n{body}</tbody>\n</table></div>\n"
    )


def _payload(content: ReportContent) -> dict[str, object]:
    transitions_csv = io.StringIO()
    write_transitions_csv(content.transitions, transitions_csv)
    return {
        "axis": {"log": content.log_steps, "offset": content.step_offset},
        "runs": [
            {"name": r.name, "color": r.color, "dash": r.dash} for r in content.runs
        ],
        "metrics": [
            {
                "key": key,
                "title": content.titles[key],
                "color": PALETTE[i % len(PALETTE)],
                "file": file_stem(key),
            }
            for i, key in enumerate(content.metrics)
        ],
        "series": {
            key: [
                {
                    "run": s.run,
                    "steps": s.steps,
                    "values": [json_float(v) for v in s.values],
                    "checkpoints": s.checkpoints,
                }
                for s in series
            ]
            for key, series in content.series.items()
        },
        "transitions": {
            key: [
                {
                    "run": t.run,
                    "step": t.step,
                    "checkpoint": t.checkpoint,
                    "score": json_float(t.score),
                    "before": json_float(t.before),
                    "after": json_float(t.after),
                    "kind": t.kind,
                }
                for t in content.transitions_of(key)
            ]
            for key in content.metrics
        },
        "csv": {
            "metrics": {"name": "metrics.csv", "text": content.metrics_csv},
            "transitions": {
                "name": "transitions.csv",
                "text": transitions_csv.getvalue(),
            },
        },
    }


def _script_json(payload: dict[str, object]) -> str:
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_UNSAFE[m.group()], text)


def _step_range(summary: RunSummary) -> str:
    if summary.first_step is None:
        return "–"
    return f"{summary.first_step} – {summary.last_step}"


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _number(value: float) -> str:
    return "NaN" if value != value else f"{value:.6g}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


_MODAL = (
    '<div class="modal" id="modal" hidden role="dialog" aria-modal="true" '
    'aria-labelledby="modal-title">\n<div class="modal-box">\n<header>'
    '<span class="title" id="modal-title"></span>'
    '<button id="modal-png">Download PNG</button>'
    '<button id="modal-close">Close (Esc)</button></header>\n'
    '<div class="modal-chart" id="modal-chart"></div>\n</div>\n</div>\n'
)
