/* epicontrol dashboard: live SLA countdowns and the ECharts figures.
 *
 * Data comes from <script type="application/json"> elements rendered by the
 * server; ECharts and htmx are served from /static/vendor/ (copied from the
 * npm packages by `make web`), never from a CDN.
 */
(function () {
  "use strict";

  var LEVEL_COLOURS = { lockdown: "#c62828", control: "#ef6c00", prevention: "#f9a825" };
  var STATUS_COLOURS = { confirmed: "#b71c1c", asymptomatic: "#6a1b9a", suspected: "#546e7a" };

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // ------------------------------------------------------------ SLA countdowns

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function span(ms, dayUnit) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    return (d ? d + (dayUnit || "d") + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }

  function tick() {
    var now = Date.now();
    var els = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var left = due - now;
      if (left < 0) {
        el.textContent = el.getAttribute("data-overdue") + " " + span(left, el.getAttribute("data-day"));
        el.classList.add("overdue");
        el.classList.remove("soon");
      } else {
        el.textContent = el.getAttribute("data-left") + " " + span(left, el.getAttribute("data-day"));
        el.classList.remove("overdue");
        el.classList.toggle("soon", left < 3600 * 1000);
      }
    }
  }

  // ------------------------------------------------------------ charts

  var charts = [];

  function chartOn(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  /* A geo component over the registered GeoJSON (polygons where the areas have
   * them); without polygons the same component spans the points' extent. */
  function geoOf(name, geojson, bounds) {
    window.echarts.registerMap(name, geojson);
    var geo = { map: name, roam: true, aspectScale: 0.85,
      itemStyle: { areaColor: "#eef2f6", borderColor: "#9aa5b1" },
      emphasis: { itemStyle: { areaColor: "#d9e2ec" }, label: { show: false } } };
    if (bounds) geo.boundingCoords = bounds;
    return geo;
  }

  function zoneMap() {
    var data = json("zone-map-data");
    var labels = json("zone-map-labels") || {};
    if (!data) return;
    var chart = chartOn("zone-map");
    if (!chart) return;
    if (!data.bounds) {
      chart.setOption({ title: { text: labels.empty, left: "center", top: "middle",
        textStyle: { color: "#52606d", fontSize: 14, fontWeight: "normal" } } });
      return;
    }
    var geo = geoOf("epicontrol-zones", data.geojson, data.bounds);
    geo.regions = data.zones.filter(function (z) { return z.polygon; }).map(function (z) {
      return { name: z.name, itemStyle: { areaColor: LEVEL_COLOURS[z.level], opacity: 0.6 } };
    });
    var series = ["lockdown", "control", "prevention"].map(function (level) {
      return {
        name: labels[level], type: "scatter", coordinateSystem: "geo",
        symbolSize: function (v) { return 8 + Math.min(Math.sqrt(v[2] || 0), 14); },
        itemStyle: { color: LEVEL_COLOURS[level], opacity: 0.75 },
        data: data.zones.filter(function (z) { return z.level === level && z.value; })
      };
    });
    series.push({
      name: labels.cases, type: "scatter", coordinateSystem: "geo", symbol: "diamond",
      symbolSize: 12, itemStyle: { color: "#111", borderColor: "#fff", borderWidth: 1 },
      data: data.cases, z: 5
    });
    chart.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        var d = p.data || {};
        if (d.level_name) return d.name + "<br>" + d.level_name + " · " + labels.residents + " " + d.residents;
        return labels.cases + " " + (d.name || "");
      } },
      legend: { bottom: 0 },
      geo: geo,
      series: series
    });
  }

  function epiCurve() {
    var data = json("epi-curve-data");
    var labels = json("epi-curve-labels") || {};
    if (!data) return;
    var chart = chartOn("epi-curve");
    if (!chart) return;
    var rtByDay = {};
    (data.rt || []).forEach(function (p) { rtByDay[p.day] = p; });
    function rt(key) { return data.days.map(function (d) { return rtByDay[d] ? rtByDay[d][key] : null; }); }
    var series = ["confirmed", "asymptomatic", "suspected"].map(function (s) {
      return { name: labels[s], type: "bar", stack: "cases", data: data[s],
        itemStyle: { color: STATUS_COLOURS[s] } };
    });
    var yAxis = [{ type: "value", name: labels.cases, minInterval: 1 }];
    if (data.rt && data.rt.length) {
      yAxis.push({ type: "value", name: "Rt", min: 0, splitLine: { show: false } });
      var lower = rt("lower");
      var width = rt("upper").map(function (u, i) { return u === null ? null : u - lower[i]; });
      series.push({ name: labels.rt_band, type: "line", yAxisIndex: 1, stack: "rt", data: lower,
        lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } });
      series.push({ name: labels.rt_band, type: "line", yAxisIndex: 1, stack: "rt", data: width,
        lineStyle: { opacity: 0 }, symbol: "none", areaStyle: { color: "rgba(21,101,192,0.18)" },
        tooltip: { show: false } });
      series.push({ name: labels.rt, type: "line", yAxisIndex: 1, data: rt("mean"),
        itemStyle: { color: "#1565c0" }, connectNulls: false,
        markLine: { silent: true, symbol: "none", data: [{ yAxis: 1 }], lineStyle: { type: "dashed" } } });
    }
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, data: [labels.confirmed, labels.asymptomatic, labels.suspected, labels.rt] },
      grid: { left: 48, right: 48, top: 36, bottom: 56 },
      xAxis: { type: "category", data: data.days },
      yAxis: yAxis,
      series: series
    });
  }

  function caseFigures() {
    var data = json("case-data");
    var labels = json("case-labels") || {};
    if (!data) return;
    var map = chartOn("case-map");
    if (map) {
      var pts = data.venues.map(function (v) { return v.value; }).concat(
        data.communities.map(function (c) { return c.value; }));
      if (pts.length) {
        var lons = pts.map(function (p) { return p[0]; }), lats = pts.map(function (p) { return p[1]; });
        var padLon = Math.max((Math.max.apply(null, lons) - Math.min.apply(null, lons)) * 0.08, 0.005);
        var padLat = Math.max((Math.max.apply(null, lats) - Math.min.apply(null, lats)) * 0.08, 0.005);
        var bounds = [[Math.min.apply(null, lons) - padLon, Math.max.apply(null, lats) + padLat],
                      [Math.max.apply(null, lons) + padLon, Math.min.apply(null, lats) - padLat]];
        map.setOption({
          tooltip: { trigger: "item", formatter: function (p) {
            var d = p.data || {};
            return d.name + (d.type ? " (" + d.type + ")" : "") + "<br>" + labels.contacts + " " + (d.value ? d.value[2] : "");
          } },
          legend: { bottom: 0 },
          geo: geoOf("epicontrol-case", { type: "FeatureCollection", features: [] }, bounds),
          series: [
            { name: labels.visited, type: "scatter", coordinateSystem: "geo", itemStyle: { color: "#c62828" },
              symbolSize: function (v) { return 7 + Math.min(Math.sqrt(v[2] || 0), 12); },
              data: data.venues.filter(function (v) { return v.visited; }) },
            { name: labels.exposure, type: "scatter", coordinateSystem: "geo", itemStyle: { color: "#ef6c00" },
              symbolSize: function (v) { return 6 + Math.min(Math.sqrt(v[2] || 0), 12); },
              data: data.venues.filter(function (v) { return !v.visited; }) },
            { name: labels.homes, type: "scatter", coordinateSystem: "geo", symbol: "rect", itemStyle: { color: "#1565c0", opacity: 0.6 },
              symbolSize: function (v) { return 6 + Math.min(Math.sqrt(v[2] || 0), 10); },
              data: data.communities }
          ]
        });
      }
    }
    var days = chartOn("case-days");
    if (days && data.per_day.days.length) {
      var colours = { close: "#c62828", secondary: "#ef6c00", general: "#1565c0", yellow_code: "#f9a825" };
      days.setOption({
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        grid: { left: 48, right: 16, top: 24, bottom: 56 },
        xAxis: { type: "category", data: data.per_day.days },
        yAxis: { type: "value", minInterval: 1 },
        series: Object.keys(data.per_day.series).map(function (cat) {
          return { name: data.per_day.names[cat], type: "bar", stack: "c", data: data.per_day.series[cat],
            itemStyle: { color: colours[cat] } };
        })
      });
    }
  }

  function init() {
    tick();
    window.setInterval(tick, 1000);
    try { zoneMap(); } catch (e) { console.error("zone map", e); }
    try { epiCurve(); } catch (e) { console.error("epidemic curve", e); }
    try { caseFigures(); } catch (e) { console.error("case figures", e); }
    document.body.setAttribute("data-charts", charts.length ? "ready" : "none");
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
