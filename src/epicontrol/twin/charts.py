"""Charts of one or two twin ensembles: a PNG (matplotlib) and a self-contained HTML page.

Eight panels, each the ensemble mean with its 5–95 % band per scenario:
new infections, community cases, Rt (reference line 1), tracer workload
(1 = the tracers' daily capacity), hospital and ICU census against the
city's beds, occupied quarantine rooms against the rooms, and cumulative
infections.

* PNG — matplotlib with the Agg backend (no display).  Chinese labels need a
  CJK font (e.g. ``fonts-wqy-zenhei``, ``fonts-noto-cjk``); without one the
  labels are English whatever ``--lang`` says (:func:`png_lang`).
* HTML — one file with everything inline: ECharts from the dashboard's
  vendored copy (``web/static/vendor/echarts.min.js``, written by ``make
  web``) when present, else inline SVG drawn here.  No CDN, no external
  request: the page opens offline.
"""

from __future__ import annotations

import html
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ..core.twin.ensemble import EnsembleResult
from ..i18n import t

F64 = NDArray[np.float64]

#: Fonts with CJK glyphs, in order of preference.
CJK_FONTS: Final = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
#: Colours of scenario A and B (ECharts' default palette's first two).
COLOURS: Final = ("#5470c6", "#ee6666")


@dataclass(frozen=True)
class Panel:
    """One chart: a daily series, an optional capacity (key) or reference line."""

    key: str
    series: str
    capacity: str | None = None
    reference: float | None = None


PANELS: Final = (
    Panel("infections", "new_infections"),
    Panel("community", "community"),
    Panel("rt", "rt", reference=1.0),
    Panel("tracer", "tracer_workload", reference=1.0),
    Panel("hospital", "hospital", capacity="hospital_beds"),
    Panel("icu", "icu", capacity="icu_beds"),
    Panel("quarantine", "central_quarantine", capacity="quarantine_rooms"),
    Panel("cumulative", "cum_infections"),
)


def cjk_font() -> str | None:
    """The first installed CJK font family matplotlib knows, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def png_lang(lang: str) -> str:
    """The language of the PNG's labels: ``lang``, or ``en`` without a CJK font."""
    return lang if lang == "en" or cjk_font() is not None else "en"


def _band(result: EnsembleResult, series: str) -> dict[str, F64]:
    return result.bands.get(series) or {k: np.zeros(result.days) for k in ("mean", "lo", "hi")}


def _capacities(results: Sequence[EnsembleResult], key: str | None) -> list[float]:
    if key is None:
        return []
    values = []
    for r in results:
        v = r.capacity.get(key)
        if v is not None and math.isfinite(v) and v not in values:
            values.append(float(v))
    return values


def write_png(
    path: Path, results: Sequence[tuple[str, EnsembleResult]], *, lang: str, title: str
) -> Path:
    """The eight panels as one PNG (see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lang = png_lang(lang)
    font = cjk_font()
    ensembles = [r for _, r in results]
    with plt.rc_context():
        if font and lang != "en":
            plt.rcParams["font.family"] = [font, "DejaVu Sans"]
        # fixed margins and legend places: constrained layout and loc="best" are slow
        fig, axes = plt.subplots(2, 4, figsize=(18, 8))
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.07, top=0.9, wspace=0.25, hspace=0.35)
        for ax, panel in zip(axes.ravel(), PANELS, strict=True):
            for i, (label, res) in enumerate(results):
                b = _band(res, panel.series)
                days = np.arange(res.days)
                colour = COLOURS[i % len(COLOURS)]
                ax.fill_between(days, b["lo"], b["hi"], color=colour, alpha=0.2, linewidth=0)
                ax.plot(days, b["mean"], color=colour, linewidth=1.6, label=label)
            for cap in _capacities(ensembles, panel.capacity):
                ax.axhline(cap, color="#333333", linestyle="--", linewidth=1.0)
            if panel.capacity and _capacities(ensembles, panel.capacity):
                ax.plot(
                    [], [], color="#333333", linestyle="--", label=t("twin.chart.capacity", lang)
                )
            if panel.reference is not None:
                ax.axhline(panel.reference, color="#999999", linestyle=":", linewidth=1.0)
            ax.set_title(t(f"twin.chart.{panel.key}", lang), fontsize=11)
            ax.set_xlabel(t("twin.chart.day", lang))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="upper right")
        fig.suptitle(f"{title} — {t('twin.chart.band', lang)}", fontsize=13)
        path.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            # user-given scenario names may hold glyphs the font lacks: drawn as boxes
            warnings.filterwarnings(
                "ignore", message="Glyph .* missing from font", category=UserWarning
            )
            fig.savefig(path, dpi=100)
        plt.close(fig)
    return path


def _echarts_source() -> str | None:
    ref = resources.files("epicontrol").joinpath("web/static/vendor/echarts.min.js")
    try:
        return ref.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None


def _clean(values: F64) -> list[float | None]:
    return [None if not math.isfinite(float(v)) else round(float(v), 4) for v in values]


def _panel_data(results: Sequence[tuple[str, EnsembleResult]], panel: Panel) -> dict[str, Any]:
    return {
        "key": panel.key,
        "series": [
            {"label": label, **{k: _clean(v) for k, v in _band(res, panel.series).items()}}
            for label, res in results
        ],
        "capacity": _capacities([r for _, r in results], panel.capacity),
        "reference": panel.reference,
        "days": max(res.days for _, res in results),
    }


_ECHARTS_INIT = """
(function () {
  var panels = %s, labels = %s, colours = %s;
  panels.forEach(function (p) {
    var el = document.getElementById('chart-' + p.key);
    var chart = echarts.init(el, null, {renderer: 'svg'});
    var days = []; for (var d = 0; d < p.days; d++) days.push(d);
    var series = [];
    p.series.forEach(function (s, i) {
      var c = colours[i %% colours.length];
      series.push({name: s.label + ' 5%%', type: 'line', data: s.lo, stack: 'b' + i,
                   lineStyle: {opacity: 0}, symbol: 'none', silent: true});
      series.push({name: s.label + ' 5–95%%', type: 'line', stack: 'b' + i, symbol: 'none',
                   data: s.hi.map(function (v, k) {
                     return v === null || s.lo[k] === null ? null : v - s.lo[k]; }),
                   lineStyle: {opacity: 0}, areaStyle: {color: c, opacity: 0.2}, silent: true});
      series.push({name: s.label, type: 'line', data: s.mean, symbol: 'none',
                   lineStyle: {color: c, width: 2}, itemStyle: {color: c}});
    });
    var lines = p.capacity.map(function (v) { return {yAxis: v, name: labels.capacity}; });
    if (p.reference !== null) lines.push({yAxis: p.reference});
    if (lines.length) series[series.length - 1].markLine = {
      symbol: 'none', data: lines, lineStyle: {color: '#333', type: 'dashed'},
      label: {formatter: '{b} {c}'}};
    chart.setOption({
      title: {text: labels[p.key], textStyle: {fontSize: 13}},
      tooltip: {trigger: 'axis'},
      legend: {bottom: 0, data: p.series.map(function (s) { return s.label; })},
      grid: {left: 50, right: 20, top: 40, bottom: 50},
      xAxis: {type: 'category', data: days, name: labels.day},
      yAxis: {type: 'value', scale: p.key === 'rt'},
      series: series
    });
  });
})();
"""


def _svg_panel(p: dict[str, Any], title: str, cap_label: str) -> str:
    w, h, left, right, top, bottom = 420, 260, 48, 12, 28, 28
    days = max(p["days"], 2)
    values = (
        [v for s in p["series"] for k in ("mean", "lo", "hi") for v in s[k] if v is not None]
        + list(p["capacity"])
        + ([p["reference"]] if p["reference"] is not None else [])
    )
    top_v = float(max(values)) if values else 1.0
    top_v = top_v if top_v > 0 else 1.0

    def x(d: float) -> float:
        return float(left + (w - left - right) * d / (days - 1))

    def y(v: float) -> float:
        return float(h - bottom - (h - top - bottom) * v / top_v)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img">',
        f'<text x="{left}" y="16" font-size="13">{html.escape(title)}</text>',
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{top_v:,.3g}</text>',
        f'<text x="{left - 4}" y="{h - bottom}" font-size="10" text-anchor="end">0</text>',
        f'<text x="{w - right}" y="{h - 8}" font-size="10" text-anchor="end">{days - 1}</text>',
    ]
    for i, s in enumerate(p["series"]):
        c = COLOURS[i % len(COLOURS)]
        ok = [d for d in range(len(s["mean"])) if s["mean"][d] is not None]
        if not ok:
            continue
        upper = " ".join(f"{x(d):.1f},{y(s['hi'][d]):.1f}" for d in ok)
        lower = " ".join(f"{x(d):.1f},{y(s['lo'][d]):.1f}" for d in reversed(ok))
        parts.append(f'<polygon points="{upper} {lower}" fill="{c}" fill-opacity="0.2"/>')
        mean = " ".join(f"{x(d):.1f},{y(s['mean'][d]):.1f}" for d in ok)
        parts.append(f'<polyline points="{mean}" fill="none" stroke="{c}" stroke-width="2"/>')
        parts.append(
            f'<text x="{w - right}" y="{top + 14 * (i + 1)}" font-size="11" fill="{c}" '
            f'text-anchor="end">{html.escape(s["label"])}</text>'
        )
    for v in p["capacity"]:
        parts.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{w - right}" y2="{y(v):.1f}" '
            f'stroke="#333" stroke-dasharray="5,4"/>'
            f'<text x="{left + 4}" y="{y(v) - 3:.1f}" font-size="10">'
            f"{html.escape(cap_label)} {v:,.0f}</text>"
        )
    if p["reference"] is not None:
        ry = y(p["reference"])
        parts.append(
            f'<line x1="{left}" y1="{ry:.1f}" x2="{w - right}" y2="{ry:.1f}" '
            f'stroke="#999" stroke-dasharray="2,3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def write_html(
    path: Path,
    results: Sequence[tuple[str, EnsembleResult]],
    *,
    lang: str,
    title: str,
    table: Sequence[Sequence[str]] = (),
    header: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Path:
    """A self-contained HTML page: the outcome table and the eight panels."""
    panels = [_panel_data(results, p) for p in PANELS]
    labels = {p.key: t(f"twin.chart.{p.key}", lang) for p in PANELS}
    labels |= {"day": t("twin.chart.day", lang), "capacity": t("twin.chart.capacity", lang)}
    echarts = _echarts_source()
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,'Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif;"
        "margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}"
        ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}"
        ".chart{height:280px}p.note{color:#555;font-size:13px}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">{html.escape(t("twin.chart.band", lang))}</p>',
    ]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    if table:
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    parts.append('<div class="grid">')
    if echarts is not None:
        parts += [f'<div class="chart" id="chart-{p["key"]}"></div>' for p in panels]
        parts.append("</div>")
        data = json.dumps(panels, ensure_ascii=False).replace("</", "<\\/")
        lab = json.dumps(labels, ensure_ascii=False).replace("</", "<\\/")
        parts.append(f"<script>{echarts}</script>")
        parts.append(f"<script>{_ECHARTS_INIT % (data, lab, json.dumps(list(COLOURS)))}</script>")
    else:
        parts += [
            f'<div class="chart">{_svg_panel(p, labels[p["key"]], labels["capacity"])}</div>'
            for p in panels
        ]
        parts.append("</div>")
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
