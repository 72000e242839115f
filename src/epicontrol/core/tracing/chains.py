"""Transmission chains: cases linked to the cases found among their contacts.

Case *A* and case *B* are linked when *B*'s person is one of *A*'s contacts
(a row of the contact table with *A* among its ``case_ids``, in the chosen
categories — close contacts by default).  Each link becomes one directed edge
from the case whose infectious window started earlier (ties: the smaller case
id) to the other: the earlier case is the possible infector.  Because that
order is strict, the graph is acyclic.

* clusters are the connected components of the undirected graph, numbered
  0, 1, … in order of their smallest node (node order = order of the input);
* the generation of a case is the length of the shortest path to it from a
  root (a case without incoming edge, generation 0) — the earliest generation
  it can belong to.

References
----------
.. [1] J. Wallinga and P. Teunis, "Different epidemic curves for severe acute
   respiratory syndrome reveal similar impacts of control measures",
   *Am. J. Epidemiol.* 160(6), 2004 — transmission networks of cases.
.. [2] U. Brandes et al., "GraphML progress report", *Graph Drawing 2001*,
   LNCS 2265 — the GraphML format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

I32 = NDArray[np.int32]
EDGE_SCHEMA = pa.schema(
    [
        ("source_case", pa.int32()),
        ("target_case", pa.int32()),
        ("relation", pa.string()),
        ("first_exposure", pa.int32()),
    ]
)


@dataclass(frozen=True)
class TransmissionGraph:
    """Cases (nodes, in input order) and the directed links between them.

    Attributes
    ----------
    case_ids, case_persons : int32 arrays
        Node ``i`` is case ``case_ids[i]`` of person ``case_persons[i]``.
    window_start : int64 array or None
        The windows' starts used to orient the edges, when given.
    edges : pyarrow.Table
        ``source_case, target_case`` (case ids), ``relation`` and
        ``first_exposure`` of the contact row the link came from (the earliest
        when several).
    cluster_of, generation : int32 arrays
        Per node: cluster number and generation (0 = root).
    """

    case_ids: I32
    case_persons: I32
    window_start: NDArray[np.int64] | None
    edges: pa.Table
    cluster_of: I32
    generation: I32

    @property
    def cluster_sizes(self) -> NDArray[np.int64]:
        """Number of cases in each cluster (index = cluster number)."""
        return np.bincount(self.cluster_of, minlength=0).astype(np.int64)

    def to_json(self) -> dict[str, Any]:
        """Nodes, edges and clusters as a JSON-ready dict."""
        nodes = []
        for i in range(len(self.case_ids)):
            node: dict[str, Any] = {
                "case_id": int(self.case_ids[i]),
                "person_id": int(self.case_persons[i]),
                "cluster": int(self.cluster_of[i]),
                "generation": int(self.generation[i]),
            }
            if self.window_start is not None:
                node["window_start"] = int(self.window_start[i])
            nodes.append(node)
        edges = [
            {
                "source": e["source_case"],
                "target": e["target_case"],
                "relation": e["relation"],
                "first_exposure": e["first_exposure"],
            }
            for e in self.edges.to_pylist()
        ]
        order = np.argsort(self.cluster_of, kind="stable")
        bounds = np.r_[0, np.cumsum(self.cluster_sizes)]
        clusters = [
            {
                "cluster": k,
                "size": int(bounds[k + 1] - bounds[k]),
                "case_ids": self.case_ids[order[bounds[k] : bounds[k + 1]]].tolist(),
                "generations": int(self.generation[order[bounds[k] : bounds[k + 1]]].max()) + 1,
            }
            for k in range(len(bounds) - 1)
        ]
        return {
            "n_cases": len(self.case_ids),
            "n_edges": self.edges.num_rows,
            "n_clusters": len(clusters),
            "nodes": nodes,
            "edges": edges,
            "clusters": clusters,
        }

    def to_graphml(self) -> str:
        """The graph as a GraphML document (directed; node id ``c<case_id>``)."""
        keys = [
            ("person_id", "node", "int"),
            ("cluster", "node", "int"),
            ("generation", "node", "int"),
            ("window_start", "node", "long"),
            ("relation", "edge", "string"),
            ("first_exposure", "edge", "int"),
        ]
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
            'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
        ]
        for name, scope, kind in keys:
            lines.append(
                f'  <key id="{name}" for="{scope}" attr.name="{name}" attr.type="{kind}"/>'
            )
        lines.append('  <graph id="transmission" edgedefault="directed">')
        for i, cid in enumerate(self.case_ids.tolist()):
            data = [
                ("person_id", int(self.case_persons[i])),
                ("cluster", int(self.cluster_of[i])),
                ("generation", int(self.generation[i])),
            ]
            if self.window_start is not None:
                data.append(("window_start", int(self.window_start[i])))
            inner = "".join(f'<data key="{k}">{v}</data>' for k, v in data)
            lines.append(f'    <node id="c{cid}">{inner}</node>')
        for e in self.edges.to_pylist():
            inner = (
                f'<data key="relation">{escape(str(e["relation"]))}</data>'
                f'<data key="first_exposure">{e["first_exposure"]}</data>'
            )
            source = quoteattr("c" + str(e["source_case"]))
            target = quoteattr("c" + str(e["target_case"]))
            lines.append(f"    <edge source={source} target={target}>{inner}</edge>")
        lines += ["  </graph>", "</graphml>", ""]
        return "\n".join(lines)


def transmission_graph(
    case_persons: NDArray[np.int32],
    contacts: pa.Table,
    *,
    case_ids: ArrayLike | None = None,
    window_start: ArrayLike | None = None,
    categories: Sequence[str] = ("close",),
) -> TransmissionGraph:
    """Link cases through their contacts; clusters and generations.

    Parameters
    ----------
    case_persons : int32 array
        The person of each case (node ``i``).
    contacts : pyarrow.Table
        A contact table from :func:`~epicontrol.core.tracing.engine.trace`
        (``person_id``, ``category``, ``relation``, ``case_ids``, ``first_exposure``).
    case_ids : array, optional
        The case id of each node; default ``0..n-1`` (``case_persons`` indexed by case id).
    window_start : array, optional
        Each case's infectious-window start, which orients the edges (earlier →
        later).  Without it, edges run from the smaller case id to the larger.
    categories : sequence of str
        Contact categories that link cases (default close contacts only).

    Raises
    ------
    ValueError
        If the arrays differ in length, case ids repeat, or a column is missing.
    """
    persons = np.asarray(case_persons, dtype=np.int64)
    n = len(persons)
    ids = np.arange(n, dtype=np.int64) if case_ids is None else np.asarray(case_ids, np.int64)
    if persons.ndim != 1 or ids.shape != (n,):
        raise ValueError(f"case_ids must have one entry per case ({n}), got {ids.shape}")
    if len(np.unique(ids)) != n:
        raise ValueError("case_ids must be unique")
    starts = None if window_start is None else np.asarray(window_start, np.int64)
    if starts is not None and starts.shape != (n,):
        raise ValueError(f"window_start must have one entry per case ({n}), got {starts.shape}")
    for col in ("person_id", "category", "relation", "case_ids", "first_exposure"):
        if col not in contacts.column_names:
            raise ValueError(f"contacts must have a column {col!r}")

    rows = contacts.filter(pc.is_in(contacts["category"], pa.array(list(categories))))
    lists = rows["case_ids"].combine_chunks()
    linked = pc.list_flatten(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    # Linked case id -> node.
    id_order = np.argsort(ids, kind="stable")
    pos = np.clip(np.searchsorted(ids[id_order], linked), 0, max(n - 1, 0))
    known = (ids[id_order][pos] == linked) if n else np.zeros(len(linked), np.bool_)
    src = id_order[pos[known]]
    parent = parent[known]
    # Row person -> every node of that person.
    row_person = rows["person_id"].to_numpy(zero_copy_only=False).astype(np.int64)[parent]
    p_order = np.argsort(persons, kind="stable")
    lo = np.searchsorted(persons[p_order], row_person, "left")
    hi = np.searchsorted(persons[p_order], row_person, "right")
    count = hi - lo
    src = np.repeat(src, count)
    parent = np.repeat(parent, count)
    starts_rep = np.repeat(lo - np.r_[0, np.cumsum(count)[:-1]], count)
    tgt = p_order[starts_rep + np.arange(int(count.sum()))] if len(count) else src
    keep = src != tgt
    src, tgt, parent = src[keep], tgt[keep], parent[keep]

    # Orient from the earlier window start (ties: smaller case id).
    key_s = (starts[src], ids[src]) if starts is not None else (ids[src], ids[src])
    key_t = (starts[tgt], ids[tgt]) if starts is not None else (ids[tgt], ids[tgt])
    flip = (key_t[0] < key_s[0]) | ((key_t[0] == key_s[0]) & (key_t[1] < key_s[1]))
    a = np.where(flip, tgt, src)
    b = np.where(flip, src, tgt)
    first = rows["first_exposure"].to_numpy(zero_copy_only=False).astype(np.int64)[parent]
    order = np.lexsort((first, b, a))
    a, b, parent = a[order], b[order], parent[order]
    lead = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.zeros(0, bool)
    a, b, parent = a[lead], b[lead], parent[lead]
    edges = pa.table(
        {
            "source_case": pa.array(ids[a].astype(np.int32)),
            "target_case": pa.array(ids[b].astype(np.int32)),
            "relation": rows["relation"].take(pa.array(parent)).combine_chunks().cast(pa.string()),
            "first_exposure": pa.array(first[order][lead].astype(np.int32)),
        },
        schema=EDGE_SCHEMA,
    )

    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="weak")
    _, first_node = np.unique(labels, return_index=True)
    rank = np.empty(len(first_node), dtype=np.int64)
    rank[np.argsort(first_node)] = np.arange(len(first_node))
    cluster_of = rank[labels].astype(np.int32) if n else np.zeros(0, np.int32)

    generation = np.full(n, -1, dtype=np.int32)
    indegree = np.bincount(b, minlength=n)
    frontier = np.flatnonzero(indegree == 0)
    generation[frontier] = 0
    level = 0
    while len(frontier):
        level += 1
        nxt = np.unique(graph[frontier].indices).astype(np.int64)
        nxt = nxt[generation[nxt] < 0]
        generation[nxt] = level
        frontier = nxt
    return TransmissionGraph(
        case_ids=ids.astype(np.int32),
        case_persons=persons.astype(np.int32),
        window_start=starts,
        edges=edges,
        cluster_of=cluster_of,
        generation=generation,
    )
