"""The daily report as files: JSON (both languages), self-contained HTML, and PDF.

The HTML (``templates/daily.html.j2``) has inline CSS and inline SVG charts
(:mod:`.charts`), no script and no external resource, so it opens offline and
prints the same everywhere.  The PDF is that page printed by headless
Chromium (``--print-to-pdf``) with a throw-away profile and every network
feature off; :class:`ChromiumMissing` names the dependency when the binary is
not there.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape

from ...core.surveillance.triggers import LEVELS as ALERT_LEVELS
from ...i18n import t
from ..tracing.models import CASE_STATUSES, CATEGORIES
from .charts import curve_svg, zones_svg
from .report_schemas import DailyReport
from .schemas import KpiOut

#: Where Debian's chromium package installs the browser.
CHROMIUM: Final = Path("/usr/bin/chromium")
#: Longest a PDF print may take.
PDF_TIMEOUT_S: Final = 120
#: Stock alarm rows shown in the HTML (all of them are in the JSON).
MAX_ALARM_ROWS: Final = 40


class ChromiumMissing(RuntimeError):
    """Headless Chromium is needed for the PDF and is not installed."""


class PdfError(RuntimeError):
    """Chromium ran but did not write the PDF."""


def kpi_value(k: KpiOut) -> str:
    if k.value is None:
        return "—"
    if k.unit == "share":
        return f"{k.value:.1%}"
    return f"{k.value:,.1f} {k.unit}"


def kpi_standard(k: KpiOut) -> str:
    s = k.standard
    sign = "≤" if s.direction == "at_most" else "≥"
    if k.key == "stock":
        return f"{sign} {s.target:g} d"
    target = f"{s.target:.0%}" if s.unit == "share" else f"{s.target:g} {s.unit}"
    return f"{sign} {target}"


def render_html(report: DailyReport, lang: str) -> str:
    """The report as one self-contained HTML page in ``lang``."""
    env = Environment(
        loader=PackageLoader("epicontrol.domains.board", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("daily.html.j2")

    def tr(key: str, **kwargs: Any) -> str:
        return t(key, lang, **kwargs)

    def name(zh: str | None, en: str | None) -> str:
        return (en or zh or "") if lang == "en" else (zh or en or "")

    def when(value: datetime) -> str:
        return value.strftime("%Y-%m-%d %H:%M")

    statuses = {s: tr(f"tracing.status.{s}") for s in CASE_STATUSES}
    curve = curve_svg(
        report.board.curve,
        {**statuses, "empty": tr("board.report.no_cases")},
        tr("board.report.curve"),
    )
    zones = zones_svg(
        report.board.zones,
        lang,
        {
            "title": tr("board.report.zones_active"),
            "units": tr("board.report.units"),
            "residents": tr("board.report.residents"),
        },
    )
    rt = report.board.curve.rt
    if rt.status == "ok" and rt.value is not None:
        rt_text = tr(
            "board.report.rt",
            value=rt.value,
            lower=rt.lower,
            upper=rt.upper,
            start=rt.window_start,
            end=rt.window_end,
        )
    else:
        rt_text = tr("board.report.rt_none", reason=name(rt.reason_zh, rt.reason_en))
    return template.render(
        r=report,
        b=report.board,
        lang=lang,
        t=tr,
        name=name,
        when=when,
        kpi_value=kpi_value,
        kpi_standard=kpi_standard,
        statuses=CASE_STATUSES,
        categories=CATEGORIES,
        alert_levels=ALERT_LEVELS,
        curve_svg=curve,
        zones_svg=zones,
        rt_text=rt_text,
        max_alarms=MAX_ALARM_ROWS,
    )


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)


def print_pdf(html: Path, pdf: Path, *, chromium: Path = CHROMIUM) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium (no network, a temporary profile)."""
    exe = shutil.which(str(chromium)) if chromium.is_absolute() else shutil.which(chromium.name)
    if exe is None or not Path(exe).exists():
        raise ChromiumMissing(t("board.report.pdf_missing", "en", path=chromium))
    tmp_pdf = pdf.with_name(f".{pdf.name}.tmp")
    with tempfile.TemporaryDirectory(prefix="epicontrol-chromium-") as profile:
        argv = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp_pdf}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"chromium did not finish printing within {PDF_TIMEOUT_S} s") from exc
    if done.returncode != 0 or not tmp_pdf.exists() or tmp_pdf.stat().st_size == 0:
        tmp_pdf.unlink(missing_ok=True)
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise PdfError(f"chromium exited {done.returncode} without a PDF: {' | '.join(tail)}")
    tmp_pdf.replace(pdf)
    return pdf


def write_report(
    report: DailyReport,
    out_dir: Path,
    lang: str,
    *,
    pdf: bool = True,
    chromium: Path = CHROMIUM,
) -> dict[str, Path]:
    """Write ``daily-<day>.json``, ``daily-<day>.<lang>.html`` and (with ``pdf``)
    ``daily-<day>.<lang>.pdf`` into ``out_dir``; returns the paths by kind.

    A missing Chromium is found before anything is written."""
    if pdf and shutil.which(str(chromium)) is None:
        raise ChromiumMissing(t("board.report.pdf_missing", "en", path=chromium))
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"daily-{report.day.isoformat()}"
    paths = {"json": out_dir / f"{stem}.json", "html": out_dir / f"{stem}.{lang}.html"}
    _atomic_write(paths["json"], report.model_dump_json(indent=2))
    _atomic_write(paths["html"], render_html(report, lang))
    if pdf:
        paths["pdf"] = print_pdf(paths["html"], out_dir / f"{stem}.{lang}.pdf", chromium=chromium)
    return paths
