"""The contact table: :data:`CONTACT_SCHEMA` rows assembled from the engine's results."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from .inputs import INT32_MAX, Cases

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]

CATEGORIES = ("close", "secondary", "general", "yellow_code")
RELATIONS = ("household", "classmate", "colleague", "venue")
HOUSEHOLD, CLASSMATE, COLLEAGUE, VENUE = range(4)

CONTACT_SCHEMA = pa.schema(
    [
        ("person_id", pa.int32()),
        ("category", pa.string()),
        ("relation", pa.string()),
        ("case_ids", pa.list_(pa.int32())),
        ("first_exposure", pa.int32()),
        ("last_exposure", pa.int32()),
        ("overlap_minutes", pa.int32()),
        ("venue_id", pa.int32()),
        ("via_person", pa.int32()),
        ("priority", pa.int8()),
    ]
)


class Rows(NamedTuple):
    """One row per person from :func:`kernels.aggregate`."""

    person: I32
    rel: NDArray[np.int8]
    first: I64
    last: I64
    overlap: I64
    venue: I32
    case_off: I64
    case_val: I32  # case indices


class SecondaryRows(NamedTuple):
    """Secondary contacts: one per person, with the via and the venue of the relation."""

    person: I32
    rel: NDArray[np.int8]
    first: I64
    last: I64
    overlap: I64
    venue: I32
    via: I32


def gather(off: I64, val: I32, rows: NDArray[np.integer[Any]]) -> tuple[I64, I32]:
    """The CSR lists ``rows`` of (``off``, ``val``), as a new CSR."""
    lengths = off[rows + 1] - off[rows]
    out_off = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_off[1:])
    idx = np.repeat(off[rows] - out_off[:-1], lengths) + np.arange(out_off[-1], dtype=np.int64)
    return out_off, val[idx]


def _strings(codes: NDArray[Any], labels: tuple[str, ...]) -> pa.Array:
    indices = pa.array(np.asarray(codes, dtype=np.int8))
    return pa.DictionaryArray.from_arrays(indices, pa.array(labels)).cast(pa.string())


def contact_table(
    cs: Cases,
    close: Rows,
    general: Rows,
    sec: SecondaryRows,
    yel: tuple[I32, I64, I64, I64, I32] | None,
) -> pa.Table:
    """Assemble :data:`CONTACT_SCHEMA` rows: category by category, each by person id."""
    top = (close.rel == HOUSEHOLD) | (np.diff(close.case_off) > 1)
    none = np.full(len(close.person), -1, np.int32)
    blocks: list[tuple[Any, ...]] = [
        (0, close.person, close.rel, close.first, close.last, close.overlap, close.venue, none,
         (close.case_off, close.case_val), np.where(top, 1, 2)),
        (1, sec.person, sec.rel, sec.first, sec.last, sec.overlap, sec.venue, sec.via,
         gather(close.case_off, close.case_val, np.searchsorted(close.person, sec.via)), 3),
        (2, general.person, VENUE, general.first, general.last, general.overlap, general.venue,
         -1, (general.case_off, general.case_val), 5),
    ]  # fmt: skip
    if yel is not None:
        m = len(yel[0])
        blocks.append((3, yel[0], VENUE, yel[1], yel[2], yel[3], yel[4], -1,
                       (np.zeros(m + 1, np.int64), np.empty(0, np.int32)), 4))  # fmt: skip
    cols: dict[str, list[NDArray[Any]]] = {k: [] for k in CONTACT_SCHEMA.names if k != "case_ids"}
    offsets, values, shift = [np.zeros(1, np.int64)], [], 0
    for cat, person, rel, first, last, ov, venue, via, (c_off, c_val), prio in blocks:
        m = len(person)
        rel = np.broadcast_to(np.asarray(rel, np.int8), m)
        cols["person_id"].append(person)
        cols["category"].append(np.full(m, cat, np.int8))
        cols["relation"].append(rel)
        cols["first_exposure"].append(first)
        cols["last_exposure"].append(last)
        cols["overlap_minutes"].append(np.minimum(ov, INT32_MAX))
        cols["venue_id"].append(np.where(rel == VENUE, venue, -1))
        cols["via_person"].append(np.broadcast_to(np.asarray(via, np.int32), m))
        cols["priority"].append(np.broadcast_to(np.asarray(prio, np.int8), m))
        offsets.append(c_off[1:] + shift)
        values.append(c_val)
        shift += len(c_val)
    col = {k: np.concatenate(v) for k, v in cols.items()}
    venue_id = col["venue_id"].astype(np.int32)
    via_person = col["via_person"].astype(np.int32)
    return pa.table(
        [
            pa.array(col["person_id"].astype(np.int32)),
            _strings(col["category"], CATEGORIES),
            _strings(col["relation"], RELATIONS),
            pa.ListArray.from_arrays(
                pa.array(np.concatenate(offsets).astype(np.int32)),
                pa.array(cs.ids[np.concatenate(values)], pa.int32()),
            ),
            pa.array(col["first_exposure"].astype(np.int32)),
            pa.array(col["last_exposure"].astype(np.int32)),
            pa.array(col["overlap_minutes"].astype(np.int32)),
            pa.array(venue_id, mask=venue_id < 0),
            pa.array(via_person, mask=via_person < 0),
            pa.array(col["priority"].astype(np.int8)),
        ],
        schema=CONTACT_SCHEMA,
    )
