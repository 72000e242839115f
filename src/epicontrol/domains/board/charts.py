"""Inline SVG charts drawn on the server for the daily report (no script, no network).

* :func:`curve_svg` — the epidemic curve: cases per report day stacked by
  status, with the Rt posterior mean and its 95 % band on a right-hand axis
  and the Rt = 1 line, when Rt is available;
* :func:`zones_svg` — active zones by level: units and residents.

Every label is XML-escaped; sizes are in SVG user units with a ``viewBox`` so
the charts scale with the page and print crisply.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from .schemas import CurveOut, ZoneLevelOut

COLOURS = {
    "confirmed": "#c62828",
    "asymptomatic": "#ef6c00",
    "suspected": "#90a4ae",
    "lockdown": "#b71c1c",
    "control": "#f57c00",
    "prevention": "#fbc02d",
    "rt": "#1565c0",
}


def nice_max(value: float) -> float:
    """The smallest 1/2/5 × 10^k at or above ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        top = m * 10.0**exp
        if top >= value:
            return float(top)
    return 10.0 ** (exp + 1)  # pragma: no cover - the loop always returns


def _text(x: float, y: float, label: str, anchor: str = "middle", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="#334e68">{escape(label)}</text>'
    )


def curve_svg(curve: CurveOut, labels: dict[str, str], title: str) -> str:
    """Stacked daily bars by status, and Rt (right axis) when estimated."""
    width, height = 760, 300
    left, right, top, bottom = 50, 50, 20, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    days = curve.days
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfd"/>',
    ]
    if not days:
        parts.append(_text(width / 2, height / 2, labels["empty"]))
        parts.append("</svg>")
        return "".join(parts)
    totals = [d.confirmed + d.asymptomatic + d.suspected for d in days]
    tick = max(nice_max(max(totals) / 4), 1.0)
    n_ticks = max(math.ceil(max(totals) / tick), 1)
    y_max = tick * n_ticks
    step = plot_w / len(days)
    bar = min(max(step * 0.8, 1.0), 40.0)
    for k in range(n_ticks + 1):
        v = tick * k
        y = top + plot_h - plot_h * v / y_max
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            'stroke="#d9e2ec" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, f"{v:g}", "end"))
    every = max(1, math.ceil(len(days) / 12))
    for i, d in enumerate(days):
        x = left + i * step + (step - bar) / 2
        y = top + plot_h
        for status in ("confirmed", "asymptomatic", "suspected"):
            n = getattr(d, status)
            if n <= 0:
                continue
            h = plot_h * n / y_max
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[status]}"><title>{d.day.isoformat()} '
                f"{escape(labels[status])}: {n}</title></rect>"
            )
        if i % every == 0:
            parts.append(_text(left + (i + 0.5) * step, top + plot_h + 16, d.day.isoformat()[5:]))
    rt = curve.rt
    if rt.status == "ok" and rt.series:
        r_max = nice_max(max(max(p.upper for p in rt.series), 2.0))
        index = {d.day: i for i, d in enumerate(days)}

        def ry(v: float) -> float:
            return top + plot_h - plot_h * min(v, r_max) / r_max

        points = [(left + (index[p.day] + 0.5) * step, p) for p in rt.series if p.day in index]
        band = [f"{x:.1f},{ry(p.upper):.1f}" for x, p in points]
        band += [f"{x:.1f},{ry(p.lower):.1f}" for x, p in reversed(points)]
        parts.append(f'<polygon points="{" ".join(band)}" fill="{COLOURS["rt"]}" opacity="0.15"/>')
        line = " ".join(f"{x:.1f},{ry(p.mean):.1f}" for x, p in points)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{COLOURS["rt"]}" stroke-width="2"/>'
        )
        parts.append(
            f'<line x1="{left}" y1="{ry(1.0):.1f}" x2="{left + plot_w}" y2="{ry(1.0):.1f}" '
            f'stroke="{COLOURS["rt"]}" stroke-dasharray="4 3" stroke-width="1"/>'
        )
        for k in range(5):
            v = r_max * k / 4
            parts.append(_text(left + plot_w + 6, ry(v) + 4, f"{v:g}", "start"))
        parts.append(_text(left + plot_w + 20, top - 6, "Rt", "middle"))
    legend_x = left
    for status in ("confirmed", "asymptomatic", "suspected"):
        parts.append(
            f'<rect x="{legend_x}" y="{height - 18}" width="10" height="10" '
            f'fill="{COLOURS[status]}"/>'
        )
        parts.append(_text(legend_x + 14, height - 9, labels[status], "start"))
        legend_x += 24 + 12 * len(labels[status])
    parts.append("</svg>")
    return "".join(parts)


def zones_svg(levels: list[ZoneLevelOut], lang: str, labels: dict[str, str]) -> str:
    """Horizontal bars of active zone units per level, with their residents."""
    width, row = 760, 34
    height = 30 + row * len(levels)
    left, right = 120, 160
    plot_w = width - left - right
    top_units = nice_max(max((z.units for z in levels), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(labels["title"])}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfd"/>',
    ]
    for i, z in enumerate(levels):
        y = 15 + i * row
        w = plot_w * z.units / top_units
        name = z.label_zh if lang == "zh-CN" else z.label_en
        parts.append(_text(left - 8, y + 17, name, "end", 12))
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{max(w, 0.0):.1f}" height="{row - 10}" '
            f'fill="{COLOURS[z.level]}"/>'
        )
        note = f"{z.units} {labels['units']} · {z.residents:,} {labels['residents']}"
        parts.append(_text(left + w + 8, y + 17, note, "start", 12))
    parts.append("</svg>")
    return "".join(parts)
