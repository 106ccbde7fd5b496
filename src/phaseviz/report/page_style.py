"""The report page's stylesheet: system fonts only, so the page needs no network."""

PAGE_CSS = """
:root {
  --ink: #1d232b; --muted: #5b6673; --line: #d8dde3; --paper: #ffffff;
  --wash: #f4f6f8; --accent: #0072B2;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
    Arial, sans-serif;
  color: var(--ink); background: var(--wash);
}
body { margin: 0; }
[hidden] { display: none !important; }
header.page { background: var(--paper); border-bottom: 1px solid var(--line);
  padding: 14px 24px; position: sticky; top: 0; z-index: 5; }
header.page h1 { font-size: 20px; margin: 0 0 2px 0; }
header.page p { margin: 0; color: var(--muted); font-size: 13px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center;
  margin-top: 10px; }
.toolbar .spacer { flex: 1; }
button { font: inherit; font-size: 13px; border: 1px solid var(--line);
  background: var(--paper); color: var(--ink); border-radius: 6px;
  padding: 5px 11px; cursor: pointer; }
button:hover { border-color: var(--accent); }
button[aria-pressed="true"] { background: var(--accent); color: #fff;
  border-color: var(--accent); }
.segmented { display: inline-flex; }
.segmented button { border-radius: 0; }
.segmented button:first-child { border-radius: 6px 0 0 6px; }
.segmented button:last-child { border-radius: 0 6px 6px 0; margin-left: -1px; }
main { padding: 16px 24px 48px; max-width: 1600px; margin: 0 auto; }
section { margin-bottom: 28px; }
h2 { font-size: 16px; margin: 0 0 10px 0; }
h3 { font-size: 14px; margin: 16px 0 6px 0; }
.note { color: var(--muted); font-size: 13px; margin: 6px 0; }
table { border-collapse: collapse; background: var(--paper); font-size: 13px;
  border: 1px solid var(--line); }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line);
  text-align: left; vertical-align: top; }
th { background: var(--wash); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
.picker { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 0 0 12px 0;
  font-size: 13px; }
.picker label { cursor: pointer; white-space: nowrap; }
.grid { display: grid; gap: 14px;
  grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); }
.card { background: var(--paper); border: 1px solid var(--line);
  border-radius: 8px; margin: 0; padding: 8px 10px 4px; }
.card figcaption { display: flex; gap: 8px; align-items: baseline;
  font-size: 14px; }
.card figcaption .title { font-weight: 600; }
.card figcaption .key { color: var(--muted); font-size: 12px; }
.card figcaption .spacer { flex: 1; }
.card figcaption button { padding: 2px 8px; font-size: 12px; }
.chart { height: 320px; cursor: zoom-in; }
.overlay-chart { height: 560px; background: var(--paper);
  border: 1px solid var(--line); border-radius: 8px; cursor: zoom-in; }
.chart-error { color: #b00020; font-size: 13px; padding: 12px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12px; }
.modal { position: fixed; inset: 0; background: rgba(20, 24, 30, 0.6);
  z-index: 50; display: flex; }
.modal-box { background: var(--paper); margin: 3vh 3vw; flex: 1;
  border-radius: 10px; display: flex; flex-direction: column; padding: 10px 14px; }
.modal-box header { display: flex; gap: 8px; align-items: center; }
.modal-box header .title { font-weight: 600; flex: 1; }
.modal-chart { flex: 1; min-height: 0; }
"""
