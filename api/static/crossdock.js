// crossdock's own script: draws the charts of a page with uPlot.
//
// A chart is a <figure class="chart"> holding a JSON data island and an
// empty element to draw in:
//
//   <figure class="chart">
//     <figcaption>Demand, forecast and 80 % interval</figcaption>
//     <script type="application/json" class="chart-data">{{ chart|safe }}</script>
//     <div class="chart-plot"></div>
//     <noscript>... the same numbers as a table ...</noscript>
//   </figure>
//
// (`chart` made by html::json_island, which escapes <, > and &, so the
// island cannot end the script element early.) The JSON:
//
//   {"x": "time" | "number",          time: x are dates "YYYY-MM-DD" or
//                                      seconds since the epoch (default)
//    "height": 260,                    optional, pixels
//    "series": [
//      {"label": "ordered", "points": [["2026-01-05", 12], ...]},
//      {"label": "forecast", "points": [...], "dash": true, "color": "#c0392b"},
//      {"label": "80 % interval", "band": [["2026-03-02", 8, 19], ...]}
//    ]}
//
// A series with `points` is a line ([x, y]; y may be null for a gap); one
// with `band` is an interval ([x, low, high]) drawn as a shaded band. The
// series need not share their x: they are merged onto one sorted x axis.
//
// It runs on load and again on every piece of a page htmx swaps in
// (`htmx:load`), draws each chart once, and follows the window's width. No
// eval, no inline script or style: the Content-Security-Policy allows only
// same-origin scripts.
(function () {
  "use strict";

  var PALETTE = ["#1f5fd1", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#5c6578"];

  function seconds(x) {
    if (typeof x === "number") return x;
    var t = Date.parse(String(x).length === 10 ? x + "T00:00:00Z" : x);
    return isNaN(t) ? null : t / 1000;
  }

  function withAlpha(hex, alpha) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    if (!m) return hex;
    return "rgba(" + parseInt(m[1], 16) + "," + parseInt(m[2], 16) + "," +
      parseInt(m[3], 16) + "," + alpha + ")";
  }

  // The spec's series as uPlot's aligned data, series and bands.
  function build(spec) {
    var time = spec.x !== "number";
    var toX = time ? seconds : Number;
    var xs = {};
    var lines = []; // {label, color, dash, values: {x: y}}
    var bands = [];
    (spec.series || []).forEach(function (s, i) {
      var color = s.color || PALETTE[i % PALETTE.length];
      if (s.band) {
        var lo = {}, hi = {};
        s.band.forEach(function (p) {
          var x = toX(p[0]);
          if (x === null) return;
          xs[x] = true; lo[x] = p[1]; hi[x] = p[2];
        });
        bands.push(lines.length);
        lines.push({ label: s.label + " (low)", color: color, values: lo, band: true });
        lines.push({ label: s.label + " (high)", color: color, values: hi, band: true });
      } else {
        var v = {};
        (s.points || []).forEach(function (p) {
          var x = toX(p[0]);
          if (x === null) return;
          xs[x] = true; v[x] = p[1];
        });
        lines.push({ label: s.label, color: color, dash: !!s.dash, values: v });
      }
    });
    var x = Object.keys(xs).map(Number).sort(function (a, b) { return a - b; });
    var data = [x];
    var series = [{}];
    lines.forEach(function (l) {
      data.push(x.map(function (k) { return k in l.values ? l.values[k] : null; }));
      series.push({
        label: l.label,
        stroke: l.band ? withAlpha(l.color, 0.35) : l.color,
        width: l.band ? 1 : 2,
        dash: l.dash ? [6, 4] : undefined,
        spanGaps: false,
        points: { show: false }
      });
    });
    var uBands = bands.map(function (i) {
      // series indexes are 1-based (0 is x): [high, low]
      return { series: [i + 2, i + 1], fill: withAlpha(lines[i].color, 0.15) };
    });
    return { time: time, data: data, series: series, bands: uBands };
  }

  function draw(figure) {
    if (figure.dataset.chartDrawn) return;
    var island = figure.querySelector("script.chart-data");
    var plot = figure.querySelector(".chart-plot");
    if (!island || !plot || typeof window.uPlot !== "function") return;
    var spec;
    try {
      spec = JSON.parse(island.textContent);
    } catch (e) {
      plot.textContent = "The chart's data could not be read.";
      return;
    }
    var b = build(spec);
    figure.dataset.chartDrawn = "1";
    var chart = new window.uPlot({
      width: Math.max(plot.clientWidth, 200),
      height: spec.height || 260,
      scales: { x: { time: b.time } },
      series: b.series,
      bands: b.bands
    }, b.data, plot);
    var resize = function () {
      chart.setSize({ width: Math.max(plot.clientWidth, 200), height: spec.height || 260 });
    };
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) clearTimeout(pending);
      pending = setTimeout(resize, 150);
    });
  }

  function init(root) {
    root = root || document;
    if (root.matches && root.matches("figure.chart")) draw(root);
    if (root.querySelectorAll) {
      Array.prototype.forEach.call(root.querySelectorAll("figure.chart"), draw);
    }
  }

  window.crossdock = { drawCharts: init, chartData: build };
  // For style sheets (and tests): scripts run here, and htmx too.
  document.documentElement.classList.add("js");
  if (window.htmx) document.documentElement.classList.add("htmx");
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
