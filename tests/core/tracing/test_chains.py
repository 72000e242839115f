"""Transmission graph: edges between cases, clusters, generations, JSON and GraphML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pyarrow as pa
import pytest

from epicontrol.core.tracing import (
    CONTACT_SCHEMA,
    CaseInput,
    CheckinIndex,
    Registry,
    TracingRules,
    trace,
    transmission_graph,
)


def contacts(rows: list[tuple[int, str, list[int], int]]) -> pa.Table:
    """Contact rows (person, category, case_ids, first_exposure), other fields filled in."""
    n = len(rows)
    return pa.table(
        {
            "person_id": pa.array([r[0] for r in rows], pa.int32()),
            "category": [r[1] for r in rows],
            "relation": ["venue"] * n,
            "case_ids": pa.array([r[2] for r in rows], pa.list_(pa.int32())),
            "first_exposure": pa.array([r[3] for r in rows], pa.int32()),
            "last_exposure": pa.array([r[3] + 10 for r in rows], pa.int32()),
            "overlap_minutes": pa.array([10] * n, pa.int32()),
            "venue_id": pa.array([0] * n, pa.int32()),
            "via_person": pa.array([None] * n, pa.int32()),
            "priority": pa.array([2] * n, pa.int8()),
        },
        schema=CONTACT_SCHEMA,
    )


# Cases 10, 11, 12, 13 of persons 100, 101, 102, 103 (window starts 0, 50, 90, 0).
PERSONS = np.array([100, 101, 102, 103], np.int32)
IDS = [10, 11, 12, 13]
TABLE = contacts(
    [
        (101, "close", [10], 60),  # 10 -> 11
        (102, "close", [10, 11], 95),  # 10 -> 12, 11 -> 12
        (100, "close", [11], 60),  # the same 10 - 11 link seen from case 11
        (103, "general", [12], 99),  # general contacts do not link by default
        (555, "close", [13], 5),  # not a case
    ]
)


def test_edges_clusters_generations() -> None:
    g = transmission_graph(PERSONS, TABLE, case_ids=IDS, window_start=[0, 50, 90, 0])
    edges = sorted(
        zip(g.edges["source_case"].to_pylist(), g.edges["target_case"].to_pylist(), strict=True)
    )
    assert edges == [(10, 11), (10, 12), (11, 12)]
    assert g.cluster_of.tolist() == [0, 0, 0, 1]
    assert g.cluster_sizes.tolist() == [3, 1]
    assert g.generation.tolist() == [0, 1, 1, 0]
    first = {(e["source_case"], e["target_case"]): e["first_exposure"] for e in g.edges.to_pylist()}
    assert first[(10, 11)] == 60


def test_direction_follows_window_start() -> None:
    g = transmission_graph(PERSONS, TABLE, case_ids=IDS, window_start=[100, 50, 90, 0])
    edges = sorted(
        zip(g.edges["source_case"].to_pylist(), g.edges["target_case"].to_pylist(), strict=True)
    )
    assert edges == [(11, 10), (11, 12), (12, 10)]
    assert g.generation.tolist() == [1, 0, 1, 0]  # shortest path from the root 11


def test_categories_and_defaults() -> None:
    g = transmission_graph(PERSONS, TABLE, case_ids=IDS, categories=("close", "general"))
    assert g.edges.num_rows == 4  # + 12 -> 13 (by case id order without windows)
    assert g.cluster_sizes.tolist() == [4]
    by_index = transmission_graph(np.array([5, 6], np.int32), contacts([(6, "close", [0], 1)]))
    assert by_index.edges.to_pylist() == [
        {"source_case": 0, "target_case": 1, "relation": "venue", "first_exposure": 1}
    ]


def test_json_and_graphml() -> None:
    g = transmission_graph(PERSONS, TABLE, case_ids=IDS, window_start=[0, 50, 90, 0])
    js = g.to_json()
    assert (js["n_cases"], js["n_edges"], js["n_clusters"]) == (4, 3, 2)
    assert js["clusters"][0] == {
        "cluster": 0,
        "size": 3,
        "case_ids": [10, 11, 12],
        "generations": 2,
    }
    assert js["nodes"][3] == {
        "case_id": 13, "person_id": 103, "cluster": 1, "generation": 0, "window_start": 0,
    }  # fmt: skip
    root = ET.fromstring(g.to_graphml())
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:node", ns)) == 4
    edges = root.findall(".//g:edge", ns)
    assert (edges[0].get("source"), edges[0].get("target")) == ("c10", "c11")
    assert root.find(".//g:graph", ns).get("edgedefault") == "directed"  # type: ignore[union-attr]


def test_errors() -> None:
    with pytest.raises(ValueError, match="case_ids must be unique"):
        transmission_graph(PERSONS, TABLE, case_ids=[1, 1, 2, 3])
    with pytest.raises(ValueError, match=r"window_start must have one entry per case \(4\)"):
        transmission_graph(PERSONS, TABLE, window_start=[0])
    with pytest.raises(ValueError, match="contacts must have a column 'case_ids'"):
        transmission_graph(PERSONS, TABLE.drop_columns(["case_ids"]))


def test_from_a_trace() -> None:
    # 0 and 1 share a restaurant; 1 and 2 a shop the next day.
    rows = [(0, 0, 100, 200), (1, 0, 150, 260), (1, 1, 1600, 1700), (2, 1, 1650, 1800)]
    p, v, a, b = (np.array(x, np.int32) for x in zip(*rows, strict=True))
    index = CheckinIndex.build(
        [pa.table({"person_id": p, "venue_id": v, "t_in": a, "t_out": b})], n_persons=3, n_venues=2
    )
    none = np.full(3, -1, np.int32)
    cases = [CaseInput(0, 0, 0, 1000), CaseInput(1, 1, 100, 2000), CaseInput(2, 2, 1500, 2000)]
    table = trace(index, Registry(none, none, none), cases, TracingRules())
    g = transmission_graph(
        np.array([c.person_id for c in cases], np.int32),
        table,
        case_ids=[c.case_id for c in cases],
        window_start=[c.window_start for c in cases],
    )
    assert g.edges.select(["source_case", "target_case"]).to_pylist() == [
        {"source_case": 0, "target_case": 1},
        {"source_case": 1, "target_case": 2},
    ]
    assert g.generation.tolist() == [0, 1, 2]
