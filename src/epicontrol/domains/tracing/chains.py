"""Transmission chains of the recorded cases, from the store (``epicontrol trace chains``).

The contacts of every case's *current* investigation are read back into the
contact-table shape of :func:`epicontrol.core.tracing.chains.transmission_graph`
(one row per contact record, ``case_ids`` = the investigation's case) and the
cases are linked through them; edges are oriented by the investigations'
infectious-window starts.  JSON and GraphML are written next to the per-case
reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core.tracing.chains import TransmissionGraph, transmission_graph
from .context import Clock, get_city
from .models import CATEGORIES, Case, Contact, Investigation


class ChainsOut(BaseModel):
    """Summary of the graph and where it was written."""

    n_cases: int
    n_edges: int
    n_clusters: int
    largest_cluster: int
    max_generation: int
    categories: list[str]
    json_path: str | None = None
    graphml_path: str | None = None


def check_categories(categories: Sequence[str]) -> list[str]:
    """``categories`` if every one is a contact category, else ``ValueError``."""
    bad = [c for c in categories if c not in CATEGORIES]
    if bad or not categories:
        raise ValueError(
            f"categories must be a non-empty subset of {', '.join(CATEGORIES)}, got {bad or '[]'}"
        )
    return list(dict.fromkeys(categories))


def case_graph(*, session: Session, categories: Sequence[str] = ("close",)) -> TransmissionGraph:
    """The transmission graph of every recorded case with a current investigation.

    Cases without a current investigation are nodes without edges (their
    window is unknown, so their window start is taken as their report time).
    """
    cats = check_categories(categories)
    clock = Clock.of(get_city(session))
    cases = session.execute(
        select(Case.id, Case.person_id, Case.reported_at).order_by(Case.id)
    ).all()
    windows = dict(
        session.execute(
            select(Investigation.case_id, Investigation.window_start_at).where(
                Investigation.status == "current"
            )
        ).all()
    )
    case_ids = np.array([c.id for c in cases], dtype=np.int32)
    persons = np.array([c.person_id for c in cases], dtype=np.int32)
    starts = np.array(
        [clock.store_minutes(windows.get(c.id, c.reported_at)) for c in cases], dtype=np.int64
    )
    rows = session.execute(
        select(Contact.person_id, Contact.category, Contact.relation, Contact.case_id)
        .add_columns(Contact.first_exposure_at)
        .join(Investigation, Investigation.id == Contact.investigation_id)
        .where(Investigation.status == "current", Contact.category.in_(cats))
    ).all()
    table = pa.table(
        {
            "person_id": pa.array([r[0] for r in rows], pa.int32()),
            "category": pa.array([r[1] for r in rows], pa.string()),
            "relation": pa.array([r[2] for r in rows], pa.string()),
            "case_ids": pa.array([[r[3]] for r in rows], pa.list_(pa.int32())),
            "first_exposure": pa.array([clock.store_minutes(r[4]) for r in rows], pa.int32()),
        }
    )
    return transmission_graph(
        persons, table, case_ids=case_ids, window_start=starts, categories=cats
    )


def summarise(graph: TransmissionGraph, categories: Sequence[str]) -> ChainsOut:
    sizes = graph.cluster_sizes
    return ChainsOut(
        n_cases=len(graph.case_ids),
        n_edges=graph.edges.num_rows,
        n_clusters=len(sizes),
        largest_cluster=int(sizes.max()) if len(sizes) else 0,
        max_generation=int(graph.generation.max()) if len(graph.generation) else 0,
        categories=list(categories),
    )


def write_graph(graph: TransmissionGraph, directory: Path, categories: Sequence[str]) -> ChainsOut:
    """Write ``chains.json`` and ``chains.graphml`` into ``directory``; their summary."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "chains.json"
    graphml_path = directory / "chains.graphml"
    doc: dict[str, Any] = {"categories": list(categories), **graph.to_json()}
    for path, text in (
        (json_path, json.dumps(doc, ensure_ascii=False, indent=2)),
        (graphml_path, graph.to_graphml()),
    ):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # readers never see half a file
    summary = summarise(graph, categories)
    summary.json_path = str(json_path.resolve())
    summary.graphml_path = str(graphml_path.resolve())
    return summary
