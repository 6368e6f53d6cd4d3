#pragma once

// The page kstream-stats serves at `/`: the table as two bar charts (records, distinct hotels)
// and a table with the exact numbers, refreshed from /stats every second. Self-contained
// (inline CSS, JS and SVG: the page must work without internet). The numbers carry ids and
// data-value attributes so that tests read them back from the rendered DOM.

namespace kstream {

inline constexpr const char* stats_page_html = R"KSTREAM_PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kstream-stats: stay categories</title>
<style>
  :root { --fg: #1d2330; --muted: #677085; --grid: #e3e6ee; --bg: #f7f8fb; }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 24px 32px; font: 15px/1.4 "DejaVu Sans", Arial, sans-serif; color: var(--fg); background: var(--bg); }
  h1 { font-size: 22px; margin: 0 0 4px; }
  #status { color: var(--muted); margin-bottom: 18px; }
  #status .live { color: #1a7f37; font-weight: bold; }
  #status .stale { color: #b42318; font-weight: bold; }
  .charts { display: flex; gap: 24px; flex-wrap: wrap; }
  .chart { background: #fff; border: 1px solid var(--grid); border-radius: 8px; padding: 12px 16px; flex: 1 1 520px; }
  .chart h2 { font-size: 16px; margin: 0 0 8px; }
  table { border-collapse: collapse; margin-top: 20px; background: #fff; border: 1px solid var(--grid); }
  th, td { padding: 6px 14px; border-bottom: 1px solid var(--grid); text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  tfoot td { font-weight: bold; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; }
  label { color: var(--muted); font-size: 13px; }
  #unknown { color: #b42318; margin-top: 8px; }
</style>
</head>
<body data-sequence="-1">
<h1>Stay categories in <span id="topic">expedia_ext</span></h1>
<div id="status">waiting for /stats ...</div>
<label><input type="checkbox" id="log-scale"> logarithmic scale</label>
<div class="charts">
  <div class="chart"><h2>Records</h2><svg id="chart-records" width="100%" height="230" role="img" aria-label="records per stay category"></svg></div>
  <div class="chart"><h2>Distinct hotels</h2><svg id="chart-hotels" width="100%" height="230" role="img" aria-label="distinct hotels per stay category"></svg></div>
</div>
<table id="stay-table">
  <thead><tr><th>stay category</th><th>records</th><th>distinct hotels</th><th>records without hotel_id</th></tr></thead>
  <tbody id="stay-rows"></tbody>
  <tfoot><tr><td>all categories</td><td id="total-records" data-value="0">0</td><td></td><td></td></tr></tfoot>
</table>
<div id="unknown" data-value="0"></div>
<script>
"use strict";
var colors = ["#2f6fdf", "#15a67a", "#e0a100", "#8e44ad", "#d64545"];
var last = null;

function fmt(n) { return Number(n).toLocaleString("en-US"); }
function slug(text) { return text.toLowerCase().replace(/[^a-z0-9]+/g, "-"); }
function esc(text) {
  return String(text).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]; });
}

function drawChart(svg, rows, field) {
  var width = svg.clientWidth || 560, labelWidth = 190, valueWidth = 90, rowHeight = 42, top = 8;
  var plot = Math.max(50, width - labelWidth - valueWidth);
  var log = document.getElementById("log-scale").checked;
  var scale = function (v) { return log ? Math.log10(1 + v) : v; };
  var max = 0;
  rows.forEach(function (r) { max = Math.max(max, scale(r[field])); });
  var parts = [];
  rows.forEach(function (r, i) {
    var y = top + i * rowHeight, w = max > 0 ? Math.round(plot * scale(r[field]) / max) : 0;
    var id = field + "-bar-" + slug(r.stay_category);
    parts.push('<text x="0" y="' + (y + 21) + '" font-size="14" fill="#1d2330">' + esc(r.stay_category) + '</text>');
    parts.push('<rect x="' + labelWidth + '" y="' + (y + 6) + '" width="' + plot + '" height="22" fill="#eef0f5" rx="3"></rect>');
    parts.push('<rect id="' + id + '" data-value="' + r[field] + '" x="' + labelWidth + '" y="' + (y + 6) + '" width="' + w +
               '" height="22" fill="' + colors[i % colors.length] + '" rx="3"></rect>');
    parts.push('<text x="' + (labelWidth + plot + 8) + '" y="' + (y + 22) + '" font-size="14" fill="#1d2330">' + fmt(r[field]) + '</text>');
  });
  svg.setAttribute("height", String(top * 2 + rows.length * rowHeight));
  svg.innerHTML = parts.join("");
}

function render(stats) {
  last = stats;
  var rows = stats.rows;
  var body = [];
  rows.forEach(function (r, i) {
    var s = slug(r.stay_category);
    body.push('<tr id="row-' + s + '" data-category="' + esc(r.stay_category) + '">' +
      '<td><span class="swatch" style="background:' + colors[i % colors.length] + '"></span>' + esc(r.stay_category) + '</td>' +
      '<td id="records-' + s + '" data-value="' + r.records + '">' + fmt(r.records) + '</td>' +
      '<td id="hotels-' + s + '" data-value="' + r.distinct_hotels + '">' + fmt(r.distinct_hotels) + '</td>' +
      '<td id="nohotel-' + s + '" data-value="' + r.records_without_hotel + '">' + fmt(r.records_without_hotel) + '</td></tr>');
  });
  document.getElementById("stay-rows").innerHTML = body.join("");
  var total = document.getElementById("total-records");
  total.setAttribute("data-value", String(stats.total_records));
  total.textContent = fmt(stats.total_records);
  var unknown = document.getElementById("unknown");
  unknown.setAttribute("data-value", String(stats.unknown_records));
  unknown.textContent = stats.unknown_records > 0
    ? fmt(stats.unknown_records) + " records with a missing or unknown stay_category (not in the table)" : "";
  drawChart(document.getElementById("chart-records"), rows, "records");
  drawChart(document.getElementById("chart-hotels"), rows, "distinct_hotels");
  var st = stats.status || {};
  document.getElementById("topic").textContent = st.input_topic || "expedia_ext";
  var state = st.done ? '<span class="live">final</span>' : (st.caught_up ? '<span class="live">live, caught up</span>' : '<span class="live">live, reading</span>');
  document.getElementById("status").innerHTML = state + " &middot; " + fmt(st.records_read || 0) + " records read &middot; lag " +
    fmt(st.lag || 0) + " &middot; group " + esc(st.group_id || "") + " &middot; updated " + esc(st.updated_at || "") +
    ' &middot; update #<span id="sequence">' + (st.sequence || 0) + '</span>';
  document.body.setAttribute("data-sequence", String(st.sequence || 0));
}

function poll() {
  fetch("/stats", {cache: "no-store"})
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(render)
    .catch(function (e) {
      document.getElementById("status").innerHTML = '<span class="stale">no answer from /stats (' + esc(e.message) + ')</span>';
    });
}

document.getElementById("log-scale").addEventListener("change", function () { if (last) render(last); });
window.addEventListener("resize", function () { if (last) render(last); });
poll();
setInterval(poll, 1000);
</script>
</body>
</html>
)KSTREAM_PAGE";

} // namespace kstream
