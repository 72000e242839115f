"""Time the city board, a community's board and the daily report on a workspace.

Reads an existing workspace (e.g. ``epicontrol demo``'s 50,000-person city)
and times, median of ``--runs`` runs each: :func:`city_board` for the city,
for the most populous community, :func:`daily_report` (the board plus the
day's figures and zero-reports), its HTML rendering and — unless ``--no-pdf``
— the PDF print by headless Chromium.

    .venv/bin/python bench/bench_report.py --workspace var/demo --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.config import Settings
from epicontrol.domains.board import render
from epicontrol.domains.board.report import daily_report
from epicontrol.domains.board.scope import get_city
from epicontrol.domains.board.service import city_board
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tracing.context import Clock
from epicontrol.domains.tracing.models import Case
from epicontrol.store.engine import make_engine


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, default=Path("var/demo"))
    ap.add_argument("--date", type=date.fromisoformat, default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-pdf", action="store_true")
    args = ap.parse_args()
    settings = Settings(workspace=args.workspace, database_url=None)
    engine = make_engine(settings.resolved_database_url())
    rows: list[dict[str, Any]] = []
    with Session(engine) as session:
        city = get_city(session)
        if city is None:
            raise SystemExit(f"{args.workspace} holds no city")
        clock = Clock.of(city)
        last = session.scalar(select(func.max(Case.reported_at)))
        day = args.date or (clock.from_store(last).date() if last else None)
        if day is None:
            raise SystemExit("no case in the store: give --date")
        persons = int(session.scalar(select(func.count()).select_from(Person)) or 0)
        communities = int(
            session.scalar(select(func.count()).where(Area.level == "community")) or 0
        )
        community = session.scalar(
            select(Area.id)
            .where(Area.level == "community")
            .order_by(Area.population.desc())
            .limit(1)
        )
        lake = settings.lake_dir
        s, _ = timed(lambda: city_board(session=session, on=day, lake_dir=lake), args.runs)
        rows.append({"step": "city_board (city)", "seconds": s})
        s, _ = timed(
            lambda: city_board(session=session, on=day, lake_dir=lake, community_id=community),
            args.runs,
        )
        rows.append({"step": "city_board (community)", "seconds": s})
        s, report = timed(lambda: daily_report(session=session, day=day, lake_dir=lake), args.runs)
        rows.append({"step": "daily_report", "seconds": s})
    s, html = timed(lambda: render.render_html(report, "zh-CN"), args.runs)
    rows.append({"step": "render_html", "seconds": s})
    if not args.no_pdf and render.CHROMIUM.exists():
        with tempfile.TemporaryDirectory() as tmp:
            html_path = Path(tmp) / "r.html"
            html_path.write_text(html, encoding="utf-8")
            s, _ = timed(lambda: render.print_pdf(html_path, Path(tmp) / "r.pdf"), args.runs)
        rows.append({"step": "print_pdf (chromium)", "seconds": s})
    meta = {
        "workspace": str(args.workspace),
        "day": day.isoformat(),
        "persons": persons,
        "communities": communities,
        "units_in_report": len(report.units),
        "runs": args.runs,
        "loadavg": os.getloadavg(),
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus",
        "python": platform.python_version(),
    }
    print(f"| step | median s ({args.runs} runs) |\n|---|---|")
    for r in rows:
        print(f"| {r['step']} | {r['seconds']:.3f} |")
    print(json.dumps({"meta": meta, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
