"""The report page's script: draws the charts from the data embedded in the page.

On the log step axis each point is drawn at step + c, where c (0 unless a
run starts at step 0) comes with the data; ticks and hover give the real
step.

Every string that came from a user (run, metric, checkpoint names) reaches
the DOM through ``textContent`` or, for plotly, which reads a subset of HTML
in labels, through ``esc``.
"""

PAGE_JS = r"""
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("phaseviz-data").textContent);
  var styles = {};
  data.runs.forEach(function (run) { styles[run.name] = run; });
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  var current = null;
  var logAxis = Boolean(data.axis.log);
  var OFFSET = Number(data.axis.offset) || 0;

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;")
      .replace(/>/g, "&gt;");
  }

  function plotted(value) {
    return typeof value === "number" ? value : null;
  }

  function shown(value) {
    if (value === null) { return "NaN"; }
    if (typeof value === "string") { return value; }
    var size = Math.abs(value);
    if (size !== 0 && (size < 1e-4 || size >= 1e7)) {
      return value.toExponential(5);
    }
    return String(Number(value.toPrecision(8)));
  }

  function xOf(step) {
    return logAxis ? step + OFFSET : step;
  }

  function logTicks() {
    // Round steps (0, then 1, 2, 5 × 10^k) placed at step + c, so a shifted
    // axis is still labelled with the steps themselves.
    var last = 0;
    Object.keys(data.series).forEach(function (key) {
      data.series[key].forEach(function (series) {
        series.steps.forEach(function (step) { last = Math.max(last, step); });
      });
    });
    var steps = [0];
    for (var power = 1; power <= last * 10; power *= 10) {
      [1, 2, 5].forEach(function (m) {
        if (m * power <= last * 2) { steps.push(m * power); }
      });
    }
    // Ticks closer than a fifth of a decade would print over each other.
    var kept = [];
    steps.forEach(function (step) {
      var previous = kept[kept.length - 1];
      if (previous === undefined ||
          Math.log10(xOf(step)) - Math.log10(xOf(previous)) >= 0.2) {
        kept.push(step);
      }
    });
    return { tickmode: "array", tickvals: kept.map(xOf),
             ticktext: kept.map(function (s) { return shown(s); }) };
  }

  function valueAt(series, step) {
    var i = series.steps.indexOf(step);
    return i < 0 ? null : plotted(series.values[i]);
  }

  function marker(x, color, dash) {
    return { type: "line", xref: "x", yref: "paper", x0: xOf(x), x1: xOf(x),
             y0: 0, y1: 1,
             line: { color: color, width: 1.5, dash: dash }, opacity: 0.7 };
  }

  function transitionTrace(metric, series, marks, color, scale) {
    var ys = marks.map(function (t) {
      var y = valueAt(series, t.step);
      return y === null ? null : scale(y);
    });
    return {
      type: "scatter", mode: "markers",
      x: marks.map(function (t) { return xOf(t.step); }),
      y: ys, name: "transitions · " + esc(series.run), legendgroup: esc(series.run),
      showlegend: false,
      marker: { symbol: "diamond-open", size: 12, color: color, line: { width: 2 } },
      customdata: marks.map(function (t) {
        return [esc(series.run), esc(t.checkpoint), shown(t.before), shown(t.after),
                shown(t.score), esc(t.kind), esc(metric.title), t.step];
      }),
      hovertemplate: "<b>transition</b> · %{customdata[6]}<br>%{customdata[0]}" +
        "<br>step %{customdata[7]} (%{customdata[1]})" +
        "<br>%{customdata[2]} → %{customdata[3]}" +
        "<br>%{customdata[5]}, score %{customdata[4]}<extra></extra>"
    };
  }

  function lineTrace(metric, series, name, color, dash, scale) {
    return {
      type: "scatter", mode: series.steps.length > 80 ? "lines" : "lines+markers",
      name: name, legendgroup: esc(series.run), x: series.steps.map(xOf),
      y: series.values.map(function (v) {
        var y = plotted(v);
        return y === null ? null : scale(y);
      }),
      line: { color: color, dash: dash, width: 2 }, marker: { size: 5, color: color },
      customdata: series.values.map(function (v, i) {
        return [esc(series.run), esc(series.checkpoints[i]), shown(v),
                esc(metric.title), series.steps[i]];
      }),
      hovertemplate: "%{customdata[3]}: <b>%{customdata[2]}</b><br>" +
        "%{customdata[0]} · step %{customdata[4]}<br>%{customdata[1]}<extra></extra>"
    };
  }

  function metricFigure(metric) {
    var traces = [], shapes = [];
    var identity = function (y) { return y; };
    (data.series[metric.key] || []).forEach(function (series) {
      var style = styles[series.run];
      traces.push(lineTrace(metric, series, esc(series.run), style.color,
                            style.dash, identity));
      var marks = (data.transitions[metric.key] || []).filter(function (t) {
        return t.run === series.run;
      });
      if (marks.length) {
        traces.push(transitionTrace(metric, series, marks, style.color, identity));
        marks.forEach(function (t) {
          shapes.push(marker(t.step, style.color, "dot"));
        });
      }
    });
    return { traces: traces, shapes: shapes, title: metric.title,
             yTitle: metric.title, file: metric.file };
  }

  function scaler(metric) {
    var lo = Infinity, hi = -Infinity;
    (data.series[metric.key] || []).forEach(function (series) {
      series.values.forEach(function (v) {
        if (typeof v === "number") { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      });
    });
    if (!(hi > lo)) { return function () { return 0.5; }; }
    return function (y) { return (y - lo) / (hi - lo); };
  }

  function overlayFigure(keys) {
    var traces = [], shapes = [];
    var many = data.runs.length > 1;
    data.metrics.forEach(function (metric) {
      if (keys.indexOf(metric.key) < 0) { return; }
      var scale = scaler(metric);
      (data.series[metric.key] || []).forEach(function (series) {
        var style = styles[series.run];
        var name = esc(metric.title) + (many ? " · " + esc(series.run) : "");
        var trace = lineTrace(metric, series, name, metric.color, style.dash, scale);
        trace.legendgroup = esc(metric.key);
        trace.hovertemplate = trace.hovertemplate.replace(
          "<extra>", "<br>scaled %{y:.3f}<extra>");
        traces.push(trace);
        (data.transitions[metric.key] || []).forEach(function (t) {
          if (t.run === series.run) {
            shapes.push(marker(t.step, metric.color, "dot"));
          }
        });
      });
    });
    return { traces: traces, shapes: shapes,
             title: "Selected metrics, each scaled to [0, 1]",
             yTitle: "value scaled to [0, 1]", file: "phaseviz-overlay",
             overlay: true };
  }

  function layout(figure, detailed) {
    // Titles are on the card or the dialog; a downloaded PNG gets its own.
    var legend = figure.overlay
      ? { orientation: "h", x: 0, y: -0.14, yanchor: "top" }
      : { orientation: "h", x: 1, xanchor: "right", y: 1.01, yanchor: "bottom" };
    var result = {
      font: { family: FONT, size: 12 }, margin: { l: 64, r: 16, t: 14, b: 44 },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", hovermode: "closest",
      showlegend: figure.overlay || data.runs.length > 1, legend: legend,
      xaxis: { title: { text: logAxis ? "step (log scale)" : "step" },
               type: logAxis ? "log" : "linear", zeroline: false,
               gridcolor: "#e6e9ed", fixedrange: !detailed },
      yaxis: { title: { text: esc(figure.yTitle) }, zeroline: false,
               gridcolor: "#e6e9ed", fixedrange: !detailed },
      shapes: figure.shapes, dragmode: detailed ? "zoom" : false
    };
    if (figure.overlay) { result.yaxis.range = [-0.05, 1.05]; }
    if (logAxis && OFFSET > 0) {
      Object.assign(result.xaxis, logTicks());
      result.xaxis.title.text = "step (log scale, drawn at step + " + OFFSET + ")";
    }
    return result;
  }

  function draw(div, figure, detailed) {
    var config = {
      responsive: true, displaylogo: false, displayModeBar: detailed,
      scrollZoom: false,
      toImageButtonOptions: { format: "png", filename: figure.file,
                              width: 1400, height: 800 }
    };
    try {
      return Plotly.newPlot(div, figure.traces, layout(figure, detailed), config);
    } catch (error) {
      div.textContent = "This chart could not be drawn: " + error;
      div.className += " chart-error";
      return Promise.resolve();
    }
  }

  function downloadPng(div, figure) {
    var titled = Object.assign({}, div.layout, {
      title: { text: esc(figure.title), x: 0.01, xanchor: "left" },
      margin: Object.assign({}, div.layout.margin, { t: 64 })
    });
    return Plotly.downloadImage({ data: div.data, layout: titled }, {
      format: "png", filename: figure.file, width: 1400, height: 800 });
  }

  function selectedKeys() {
    var boxes = document.querySelectorAll("input.metric-toggle");
    var keys = [];
    boxes.forEach(function (box) {
      if (box.checked) { keys.push(data.metrics[Number(box.dataset.index)].key); }
    });
    return keys;
  }

  var modal = document.getElementById("modal");
  var modalChart = document.getElementById("modal-chart");

  function openModal(build) {
    current = build;
    document.getElementById("modal-title").textContent = build().title;
    modal.hidden = false;
    document.body.dataset.expanded = "true";
    draw(modalChart, build(), true);
    document.getElementById("modal-close").focus();
  }

  function closeModal() {
    if (modal.hidden) { return; }
    Plotly.purge(modalChart);
    modal.hidden = true;
    current = null;
    delete document.body.dataset.expanded;
  }

  function clickedPlotControl(event) {
    return event.target.closest && event.target.closest(".legend, .modebar");
  }

  function cardMetric(card) {
    return data.metrics[Number(card.dataset.index)];
  }

  function listenToCards() {
    document.querySelectorAll("figure.card").forEach(function (card) {
      var build = function () { return metricFigure(cardMetric(card)); };
      var div = card.querySelector(".chart");
      div.addEventListener("click", function (event) {
        if (!clickedPlotControl(event)) { openModal(build); }
      });
      card.querySelector("button.expand").addEventListener("click", function () {
        openModal(build);
      });
      card.querySelector("button.png").addEventListener("click", function () {
        downloadPng(div, build());
      });
    });
  }

  function drawCards() {
    var drawing = [];
    document.querySelectorAll("figure.card").forEach(function (card) {
      var div = card.querySelector(".chart");
      drawing.push(draw(div, metricFigure(cardMetric(card)), false));
    });
    return Promise.all(drawing);
  }

  function setLogAxis(log) {
    logAxis = log;
    document.getElementById("axis-log").setAttribute("aria-pressed", String(log));
    document.body.dataset.axis = log ? "log" : "linear";
    var drawing = [drawCards()];
    if (document.body.dataset.view === "overlay") { drawing.push(drawOverlay()); }
    if (current) { drawing.push(draw(modalChart, current(), true)); }
    return Promise.all(drawing);
  }

  var overlayDiv = document.getElementById("overlay-chart");

  function drawOverlay() {
    return draw(overlayDiv, overlayFigure(selectedKeys()), false);
  }

  function setView(view) {
    var overlay = view === "overlay";
    document.getElementById("individual").hidden = overlay;
    document.getElementById("overlay").hidden = !overlay;
    document.getElementById("view-individual")
      .setAttribute("aria-pressed", String(!overlay));
    document.getElementById("view-overlay")
      .setAttribute("aria-pressed", String(overlay));
    document.body.dataset.view = view;
    return overlay ? drawOverlay() : Promise.resolve();
  }

  function applySelection() {
    var keys = selectedKeys();
    document.querySelectorAll("figure.card").forEach(function (card) {
      card.hidden = keys.indexOf(data.metrics[Number(card.dataset.index)].key) < 0;
    });
    if (document.body.dataset.view === "overlay") { drawOverlay(); }
  }

  function downloadText(file) {
    var blob = new Blob([file.text], { type: "text/csv;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = file.name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  document.getElementById("view-individual").addEventListener("click", function () {
    setView("individual");
  });
  document.getElementById("view-overlay").addEventListener("click", function () {
    setView("overlay");
  });
  document.querySelectorAll("input.metric-toggle").forEach(function (box) {
    box.addEventListener("change", applySelection);
  });
  document.getElementById("download-csv").addEventListener("click", function () {
    downloadText(data.csv.metrics);
  });
  document.getElementById("download-transitions")
    .addEventListener("click", function () { downloadText(data.csv.transitions); });
  document.getElementById("axis-log").addEventListener("click", function () {
    delete document.body.dataset.ready;
    setLogAxis(!logAxis).then(function () { document.body.dataset.ready = "true"; });
  });
  overlayDiv.addEventListener("click", function (event) {
    if (!clickedPlotControl(event)) {
      openModal(function () { return overlayFigure(selectedKeys()); });
    }
  });
  document.getElementById("overlay-png").addEventListener("click", function () {
    downloadPng(overlayDiv, overlayFigure(selectedKeys()));
  });
  document.getElementById("modal-close").addEventListener("click", closeModal);
  document.getElementById("modal-png").addEventListener("click", function () {
    if (current) { downloadPng(modalChart, current()); }
  });
  modal.addEventListener("click", function (event) {
    if (event.target === modal) { closeModal(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeModal(); }
  });

  document.body.dataset.view = "individual";
  document.body.dataset.axis = logAxis ? "log" : "linear";
  document.getElementById("axis-log").setAttribute("aria-pressed", String(logAxis));
  if (typeof Plotly === "undefined") {
    document.getElementById("charts-note").textContent =
      "The charting library did not load; the tables below still hold the data.";
    return;
  }
  listenToCards();
  drawCards().then(function () { document.body.dataset.ready = "true"; });
})();
"""
