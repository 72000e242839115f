"""The zones part of ``epicontrol demo``: draw the three zones around the traced cases."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from rich.table import Table
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.zones import ZONE_LEVELS, load_rules
from ..domains.zones import queries, service
from ..domains.zones.schemas import DelineationOut, TierCounts
from ..i18n import t
from .common import open_store, out
from .zones import _lake

#: Lockdown units listed by the demo.
SHOWN = 10


class LevelTotals(BaseModel):
    """Units, residents and special-population persons of one zone level."""

    units: int
    residents: int
    special: TierCounts


class ZoneRow(BaseModel):
    zone_id: int
    level: str
    area_id: int
    area_code: str
    name: str
    name_en: str | None
    residents: int
    special: TierCounts
    source_case_ids: list[int]


class ZonesDemo(BaseModel):
    """What the demo drew: per level totals and the first lockdown units."""

    case_ids: list[int]
    unit: str
    delineation: DelineationOut
    levels: dict[str, LevelTotals]
    lockdown: list[ZoneRow]


def zones_demo(
    settings: Settings, *, unit: str | None = None, rules: Path | None = None
) -> ZonesDemo:
    """Delineate every traced (confirmed or asymptomatic) case of the store that has no
    zones yet, in its own transaction, and read the active zones with their counts."""
    engine = open_store(settings)
    lake = _lake(settings, engine, as_json=True)
    zone_rules = load_rules(rules).with_unit(unit)
    with Session(engine) as session, session.begin():
        done = service.delineate(session=session, rules=zone_rules, lake=lake)
    with Session(engine) as session:
        zones = queries.active_zones(session=session)
    levels = {}
    for level in ZONE_LEVELS:
        rows = [z for z in zones if z.level == level]
        levels[level] = LevelTotals(
            units=len(rows),
            residents=sum(z.residents for z in rows),
            special=TierCounts(
                red=sum(z.special.red for z in rows),
                yellow=sum(z.special.yellow for z in rows),
                green=sum(z.special.green for z in rows),
            ),
        )
    lockdown = sorted(
        (z for z in zones if z.level == "lockdown"), key=lambda z: (-z.residents, z.id)
    )
    case_ids = sorted({c for z in zones for c in z.source_case_ids})
    return ZonesDemo(
        case_ids=case_ids,
        unit=done.unit,
        delineation=done,
        levels=levels,
        lockdown=[
            ZoneRow(
                zone_id=z.id,
                level=z.level,
                area_id=z.area_id,
                area_code=z.area_code,
                name=z.area_name,
                name_en=z.area_name_en,
                residents=z.residents,
                special=z.special,
                source_case_ids=z.source_case_ids,
            )
            for z in lockdown[:SHOWN]
        ],
    )


def render_zones(result: ZonesDemo, lang: str) -> None:
    """Units, residents and special population per level, then the lockdown units."""
    out.print(f"[bold]{t('zones.demo.title', lang)}[/]")
    out.print(
        t(
            "zones.demo.cases",
            lang,
            n=len(result.case_ids),
            ids=", ".join(f"#{c}" for c in result.case_ids),
            unit=t(f"zones.unit.{result.unit}", lang),
        )
    )
    table = Table()
    for key in ("level", "units", "residents", "red", "yellow", "green"):
        table.add_column(t(f"zones.col.{key}", lang), justify="right")
    for level, row in result.levels.items():
        table.add_row(
            t(f"zones.level.{level}", lang),
            f"{row.units:,}",
            f"{row.residents:,}",
            str(row.special.red),
            str(row.special.yellow),
            str(row.special.green),
        )
    out.print(table)
    totals = result.levels.values()
    out.print(
        t(
            "zones.demo.totals",
            lang,
            units=sum(r.units for r in totals),
            residents=sum(r.residents for r in totals),
            red=sum(r.special.red for r in totals),
            yellow=sum(r.special.yellow for r in totals),
            green=sum(r.special.green for r in totals),
        )
    )
    if not result.lockdown:
        return
    shown = Table(title=t("zones.demo.lockdown", lang, n=len(result.lockdown)))
    for key in ("id", "area", "cases", "residents", "red", "yellow", "green"):
        shown.add_column(t(f"zones.col.{key}", lang), justify="left" if key == "area" else "right")
    for z in result.lockdown:
        name = z.name_en or z.name if lang == "en" else z.name
        shown.add_row(
            str(z.zone_id),
            f"{name} ({z.area_code})",
            ", ".join(f"#{c}" for c in z.source_case_ids),
            f"{z.residents:,}",
            str(z.special.red),
            str(z.special.yellow),
            str(z.special.green),
        )
    out.print(shown)
