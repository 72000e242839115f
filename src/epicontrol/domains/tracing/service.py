"""Tracing service: check cases, trace them and write their records.

:func:`investigate` traces one case with :func:`epicontrol.core.tracing.engine.trace`
and writes its case, investigation and contacts; like every service it
flushes and never commits, so the caller's transaction makes a case's records
all-or-nothing, and re-running a case replaces its previous contacts.
:func:`read_cases` reads a batch file (``trace run``) and rejects it whole
when a row breaks a rule.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...core.tracing.engine import CaseInput, trace
from ...core.tracing.rules import TracingRules, infectious_window
from ...store.bulk import bulk_insert
from ..city.importing.base import RowError
from .context import MINUTES_PER_DAY, SHOWN_ROWS, TracingContext, describe, parse_when
from .models import CASE_STATUSES, CATEGORIES, Case, Contact, Investigation
from .schemas import CaseIn, ContactEntry, InvestigationOut

#: Columns of a ``trace run`` batch file: required, then optional.
CASE_COLUMNS: Final = ("person_id", "status")
CASE_OPTIONAL: Final = ("onset", "sample", "isolated", "report", "source")


class NotFoundError(LookupError):
    """The case or investigation asked for does not exist."""


class TracingInputError(ValueError):
    """Bad input: ``errors`` lists every rejected value (file, line, field, rule)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors: list[RowError] = list(errors)
        shown = "; ".join(describe(e) for e in self.errors[:SHOWN_ROWS])
        more = len(self.errors) - SHOWN_ROWS
        super().__init__(shown + (f"; ... and {more} more" if more > 0 else ""))


# --------------------------------------------------------------------------- checks


def check_case(
    ctx: TracingContext, case: CaseIn, rules: TracingRules, *, file: str = "", line: int = 0
) -> list[RowError]:
    """Every rule ``case`` breaks (empty when it can be traced)."""
    errors: list[RowError] = []

    def err(field: str, rule: str, value: object = None) -> None:
        errors.append(RowError(file, line, field, rule, None if value is None else str(value)))

    pid = case.person_id
    if not (0 <= pid < ctx.n_persons and ctx.person_exists[pid]):
        err("person_id", "unknown person id", pid)
    if case.status == "asymptomatic":
        if case.onset is not None:
            err("onset", "must be empty for an asymptomatic case (give the sample date)")
        if case.sample is None:
            err("sample", "is required for an asymptomatic case")
        anchor_field, anchor = "sample", case.sample
    else:
        if case.onset is None:
            err("onset", f"is required for a {case.status} case")
        anchor_field, anchor = "onset", case.onset
    if anchor is None:
        return errors
    day = ctx.clock.minutes(anchor) // MINUTES_PER_DAY
    if not ctx.lake.first_day <= day <= ctx.lake.last_day:
        err(
            anchor_field,
            f"must be within the lake's check-ins ({ctx.lake.day_range_text()})",
            anchor.isoformat(),
        )
        return errors
    if case.isolated is not None:
        start = ctx.clock.minutes(anchor) - rules.pre_onset_days * MINUTES_PER_DAY
        isolated = ctx.clock.minutes(case.isolated)
        if isolated <= start:
            err(
                "isolated",
                f"must be after the start of the infectious window "
                f"({anchor_field} − {rules.pre_onset_days} days)",
                case.isolated.isoformat(),
            )
        elif isolated <= ctx.index.t_min:
            first = ctx.clock.local(ctx.index.t_min).strftime("%Y-%m-%d %H:%M")
            err(
                "isolated",
                f"must be after the lake's first check-in ({first})",
                case.isolated.isoformat(),
            )
    return errors


def check_risk_venues(ctx: TracingContext, venues: Sequence[int]) -> list[RowError]:
    return [
        RowError("", 0, "risk_venues", f"unknown venue id (0 to {ctx.lake.n_venues - 1})", str(v))
        for v in venues
        if not 0 <= v < ctx.lake.n_venues
    ]


def window_of(ctx: TracingContext, case: CaseIn, rules: TracingRules) -> tuple[int, int]:
    """Infectious window in lake minutes; an isolation not yet known ends it at the lake's end."""
    clock = ctx.clock
    return infectious_window(
        onset=None if case.onset is None else clock.minutes(case.onset),
        sample=None if case.sample is None else clock.minutes(case.sample),
        isolated=(
            clock.minutes(case.isolated)
            if case.isolated is not None
            else (ctx.lake.last_day + 1) * MINUTES_PER_DAY
        ),
        rules=rules,
    )


# --------------------------------------------------------------------------- records


def _upsert_case(session: Session, ctx: TracingContext, case: CaseIn, now: datetime) -> Case:
    clock = ctx.clock

    def utc(when: datetime | None) -> datetime | None:
        return None if when is None else clock.to_utc(when)

    # locked (PostgreSQL) so two runs of one case cannot both leave a current investigation
    row = session.scalars(
        select(Case).where(Case.person_id == case.person_id).with_for_update()
    ).first()
    if row is None:
        row = Case(person_id=case.person_id, created_at=now)
        session.add(row)
    row.status = case.status
    row.onset_at = utc(case.onset)
    row.sample_at = utc(case.sample)
    row.isolated_at = utc(case.isolated)
    row.reported_at = utc(case.reported) or now
    row.source = case.source
    row.updated_at = now
    session.flush()
    return row


def _supersede(session: Session, case_id: int, now: datetime) -> int | None:
    """Mark the case's current investigation superseded and delete its contacts."""
    old = session.scalars(
        select(Investigation).where(
            Investigation.case_id == case_id, Investigation.status == "current"
        )
    ).all()
    if not old:
        return None
    ids = [inv.id for inv in old]
    session.execute(delete(Contact).where(Contact.investigation_id.in_(ids)))
    for inv in old:
        inv.status = "superseded"
        inv.superseded_at = now
    session.flush()
    return max(ids)


def _by_relation(contacts: pa.Table) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {c: {} for c in CATEGORIES}
    if contacts.num_rows:
        grouped = contacts.group_by(["category", "relation"]).aggregate([("person_id", "count")])
        for cat, rel, n in zip(*(grouped.column(i).to_pylist() for i in range(3)), strict=True):
            out[str(cat)][str(rel)] = int(n)
    return out


def _contact_rows(
    contacts: pa.Table, ctx: TracingContext, investigation_id: int, case_id: int
) -> pa.Table:
    n = contacts.num_rows
    pid = contacts.column("person_id").to_numpy(zero_copy_only=False).astype(np.int64)
    community = ctx.person_community[pid] if n else np.zeros(0, np.int64)

    def col(name: str, typ: pa.DataType) -> pa.ChunkedArray:
        return contacts.column(name).cast(typ)

    return pa.table(
        {
            "investigation_id": pa.array(np.full(n, investigation_id, np.int32)),
            "category": col("category", pa.string()),
            "person_id": col("person_id", pa.int32()),
            "case_id": pa.array(np.full(n, case_id, np.int32)),
            "relation": col("relation", pa.string()),
            "first_exposure_at": ctx.clock.utc_text(
                contacts.column("first_exposure").to_numpy(zero_copy_only=False)
            ),
            "last_exposure_at": ctx.clock.utc_text(
                contacts.column("last_exposure").to_numpy(zero_copy_only=False)
            ),
            "overlap_minutes": col("overlap_minutes", pa.int32()),
            "venue_id": col("venue_id", pa.int32()),
            "via_person_id": col("via_person", pa.int32()),
            "home_community_id": pa.array(community.astype(np.int32), mask=community < 0),
            "priority": col("priority", pa.int16()),
        }
    )


@dataclass(frozen=True)
class Investigated:
    """One traced case: its records (``out``) and the engine's contact rows (lake minutes)."""

    out: InvestigationOut
    contacts: pa.Table


def contact_entries(contacts: pa.Table, ctx: TracingContext) -> dict[str, list[ContactEntry]]:
    """The contacts per category, most urgent first, times in local ISO 8601 (for JSON)."""
    rows = contacts.sort_by(
        [("priority", "ascending"), ("first_exposure", "ascending"), ("person_id", "ascending")]
    )
    pid = rows.column("person_id").to_numpy(zero_copy_only=False).astype(np.int64)
    community = ctx.person_community[pid]
    table = pa.table(
        {
            "category": rows.column("category"),
            "person_id": rows.column("person_id"),
            "relation": rows.column("relation"),
            "first_exposure": ctx.clock.local_text(
                rows.column("first_exposure").to_numpy(zero_copy_only=False)
            ),
            "last_exposure": ctx.clock.local_text(
                rows.column("last_exposure").to_numpy(zero_copy_only=False)
            ),
            "overlap_minutes": rows.column("overlap_minutes"),
            "venue_id": rows.column("venue_id"),
            "via_person": rows.column("via_person"),
            "home_community_id": pa.array(community, pa.int32(), mask=community < 0),
            "priority": rows.column("priority"),
        }
    )
    out: dict[str, list[ContactEntry]] = {c: [] for c in CATEGORIES}
    for row in table.to_pylist():
        out[row.pop("category")].append(row)
    return out


def investigate(
    *,
    session: Session,
    ctx: TracingContext,
    case: CaseIn,
    rules: TracingRules,
    risk_venues: Sequence[int] = (),
    risk_window: tuple[datetime, datetime] | None = None,
    now: datetime | None = None,
) -> Investigated:
    """Trace ``case`` and write its case row, investigation and contacts (flush only).

    Raises :class:`TracingInputError` before writing anything when the case or
    the risk venues break a rule.  The caller's transaction is one case:
    re-running a case replaces its previous investigation's contacts.
    """
    errors = check_case(ctx, case, rules) + check_risk_venues(ctx, risk_venues)
    if errors:
        raise TracingInputError(errors)
    started = now or datetime.now(UTC).replace(tzinfo=None)
    start, end = window_of(ctx, case, rules)
    if risk_window is not None:
        risk = (ctx.clock.minutes(risk_window[0]), ctx.clock.minutes(risk_window[1]))
    else:
        risk = (start, end)
    row = _upsert_case(session, ctx, case, started)
    try:
        contacts = trace(
            ctx.index,
            ctx.registry,
            [CaseInput(row.id, case.person_id, start, end)],
            rules,
            risk_venues=tuple(risk_venues),
            risk_window=risk if risk_venues else None,
        )
    except ValueError as exc:  # a rule the checks above do not know (the engine names it)
        raise TracingInputError([RowError("", 0, "case", str(exc))]) from exc
    replaced = _supersede(session, row.id, started)
    by_relation = _by_relation(contacts)
    counts = {c: sum(by_relation[c].values()) for c in CATEGORIES}
    inv = Investigation(
        case_id=row.id,
        status="current",
        started_at=started,
        completed_at=datetime.now(UTC).replace(tzinfo=None),
        window_start_at=ctx.clock.utc(start),
        window_end_at=ctx.clock.utc(end),
        rules=json.dumps(dataclasses.asdict(rules), sort_keys=True),
        risk_venues=json.dumps(sorted(set(risk_venues))),
        risk_start_at=ctx.clock.utc(risk[0]) if risk_venues else None,
        risk_end_at=ctx.clock.utc(risk[1]) if risk_venues else None,
        index_version=ctx.lake.version,
        n_close=counts["close"],
        n_secondary=counts["secondary"],
        n_general=counts["general"],
        n_yellow_code=counts["yellow_code"],
        counts=json.dumps(by_relation, sort_keys=True),
    )
    session.add(inv)
    session.flush()
    bulk_insert(session.connection(), "contacts", _contact_rows(contacts, ctx, inv.id, row.id))
    out = InvestigationOut(
        case_id=row.id,
        person_id=case.person_id,
        status=case.status,
        investigation_id=inv.id,
        replaced_investigation_id=replaced,
        window_start=ctx.clock.local(start),
        window_end=ctx.clock.local(end),
        risk_venues=sorted(set(risk_venues)),
        risk_start=ctx.clock.local(risk[0]) if risk_venues else None,
        risk_end=ctx.clock.local(risk[1]) if risk_venues else None,
        rules=dataclasses.asdict(rules),
        index_version=ctx.lake.version,
        counts=counts,
        by_relation=by_relation,
    )
    return Investigated(out, contacts)


# --------------------------------------------------------------------------- reads


def get_case(*, session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"case {case_id} does not exist")
    return case


def current_investigation(*, session: Session, case_id: int) -> Investigation:
    inv = session.scalars(
        select(Investigation).where(
            Investigation.case_id == case_id, Investigation.status == "current"
        )
    ).first()
    if inv is None:
        raise NotFoundError(f"case {case_id} has no investigation yet: run `epicontrol trace case`")
    return inv


# --------------------------------------------------------------------------- batches


def read_cases(path: Path, ctx: TracingContext, rules: TracingRules) -> list[tuple[int, CaseIn]]:
    """The cases of a batch file as (line, case); the file is rejected whole on any error.

    CSV (UTF-8, header line): ``person_id`` and ``status`` required; ``onset``,
    ``sample``, ``isolated``, ``report`` (ISO dates or date-times, local city
    time unless an offset is given) and ``source`` optional.
    """
    name = path.name
    errors: list[RowError] = []
    cases: list[tuple[int, CaseIn]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise TracingInputError([RowError(name, 0, "", f"cannot be read: {exc}")]) from None
    if not rows:
        raise TracingInputError([RowError(name, 0, "", "is empty (a header line is required)")])
    header = [h.strip().lower() for h in rows[0]]
    known = CASE_COLUMNS + CASE_OPTIONAL
    for column in header:
        if column not in known:
            errors.append(
                RowError(name, 1, column, f"unknown column (expected: {', '.join(known)})")
            )
    for column in CASE_COLUMNS:
        if column not in header:
            errors.append(RowError(name, 1, column, "column is required"))
    if len(set(header)) != len(header):
        errors.append(RowError(name, 1, "", "a column appears twice"))
    if errors:
        raise TracingInputError(errors)
    seen: dict[int, int] = {}
    for line, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                RowError(name, line, "", f"must have {len(header)} fields, has {len(values)}")
            )
            continue
        row = {h: v.strip() for h, v in zip(header, values, strict=True)}
        case = _parse_case(row, name, line, errors)
        if case is None:
            continue
        if case.person_id in seen:
            errors.append(
                RowError(
                    name,
                    line,
                    "person_id",
                    f"appears again (first on line {seen[case.person_id]})",
                    str(case.person_id),
                )
            )
            continue
        seen[case.person_id] = line
        found = check_case(ctx, case, rules, file=name, line=line)
        errors += found
        if not found:
            cases.append((line, case))
    if not errors and not cases:
        errors.append(RowError(name, 0, "", "has no cases"))
    if errors:
        raise TracingInputError(errors)
    return cases


def _parse_case(row: dict[str, str], name: str, line: int, errors: list[RowError]) -> CaseIn | None:
    before = len(errors)

    def err(field: str, rule: str, value: str | None = None) -> None:
        errors.append(RowError(name, line, field, rule, value))

    person = row["person_id"]
    if not person.isdigit():
        err("person_id", "must be a non-negative integer", person)
    status = row["status"]
    if status not in CASE_STATUSES:
        err("status", f"must be one of: {', '.join(CASE_STATUSES)}", status)
    when: dict[str, datetime | None] = {}
    for field in ("onset", "sample", "isolated", "report"):
        value = row.get(field, "")
        when[field] = None
        if value:
            try:
                when[field] = parse_when(value)
            except ValueError as exc:
                err(field, str(exc), value)
    source = row.get("source") or f"batch:{name}"
    if len(source) > 200:
        err("source", "must be at most 200 characters", source[:40] + "...")
    if len(errors) > before:
        return None
    return CaseIn(
        person_id=int(person),
        status=status,
        onset=when["onset"],
        sample=when["sample"],
        isolated=when["isolated"],
        reported=when["report"],
        source=source,
    )


def add_distinct(seen: dict[str, NDArray[np.bool_]], done: Investigated, n_persons: int) -> None:
    """Mark the persons of ``done`` in ``seen`` (one flag array per category, over a batch)."""
    category = done.contacts.column("category").cast(pa.string())
    persons = done.contacts.column("person_id").to_numpy(zero_copy_only=False)
    for name in CATEGORIES:
        flags = seen.setdefault(name, np.zeros(n_persons, np.bool_))
        mask = pc.equal(category, name).to_numpy(zero_copy_only=False)
        flags[persons[mask]] = True


def distinct_counts(seen: dict[str, NDArray[np.bool_]]) -> dict[str, int]:
    """Distinct persons per category, and ``persons`` in any category."""
    out = {c: int(seen[c].sum()) if c in seen else 0 for c in CATEGORIES}
    every = [seen[c] for c in CATEGORIES if c in seen]
    out["persons"] = int(np.logical_or.reduce(every).sum()) if every else 0
    return out
