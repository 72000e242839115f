"""Quarantine assignment: persons to centralised quarantine sites (集中隔离点), as a HiGHS MIP.

The problem
-----------
Persons ``i`` live in households ``h``; sites ``j`` have ``R_j`` rooms (left),
``A_j`` of them accessible (``-1``: not counted — every room of an accessible
site is usable by anyone).  A household is placed whole in one site or not at
all.  It needs

* ``r_h = s_h`` rooms (one person per room, the default), or
  ``r_h = ceil(s_h / persons_per_room)`` when ``share_rooms`` lets a household
  share rooms;
* ``a_h = n_h`` accessible rooms, ``n_h`` its members needing accessibility
  (``ceil(n_h / persons_per_room)`` when sharing), and, if ``n_h > 0``, an
  accessible site.

A placement is feasible when, per site, ``sum r_h <= R_j`` and
``sum a_h <= A_j`` (when ``A_j`` is counted): the accessible rooms go to the
members who need them and everyone else takes any remaining room.  The cost of
``h`` at ``j`` is ``c_hj = sum_{i in h} d_ij``: persons × the distance from
their home to the site, Euclidean on ``x, y`` (km) or taken from a road
distance matrix (``inf`` = unreachable).

Lexicographic objective: first the most persons placed, then the least total
distance.  Stage 1 finds ``P*``, the most persons that can be placed: only a
household's type (persons, rooms, accessible rooms, eligible sites) matters
for capacity, so stage 1 is a small exact MIP on type counts
``y_tj in {0..n_t}``.  Stage 2 minimises ``sum c_hj x_hj`` with
``sum_j x_hj + z_h = 1`` (``z_h``: left out), the room rows, and
``sum s_h (1 - z_h) >= P*`` — nobody is left out while a placement of more
persons exists, and infeasibility never means nobody is placed.

Candidate pruning with a valid bound
------------------------------------
The full stage-2 model has a column for every eligible (household, site) pair
(3,500 × 200 = 700,000 at the benchmark size).  It is solved on a restricted
set of columns — each household's ``candidates`` nearest eligible sites —
grown by *column generation*: the restricted LP is solved, every column of the
full model is priced with its duals ``y`` (reduced cost
``rc_k = c_k - y^T A_k``, vectorised over all pairs), the negative ones are
added, until none is left.  For any sign-correct ``y``, weak duality over the
box ``0 <= x <= 1`` gives the bound ``L(y) = y^T b + sum_k min(0, rc_k)`` [1]_,
valid for the full LP and therefore for the full MIP, whatever was pruned; at
convergence it is the full LP optimum.

The MIP is then solved on the restricted set, giving an incumbent ``U``
(feasible for the full problem).  Every feasible ``x`` satisfies
``c^T x >= L(y) + sum_k max(0, rc_k) x_k``, so a solution using a pruned column
with ``rc_k > U - L(y)`` costs more than ``U`` (reduced-cost fixing [2]_).  If
every pruned column has ``rc_k > U - L``, the full optimum lies in the restricted
set, and the MIP's proven bound on it is a bound for the full problem:
``bound = max(L, MIP bound)``, ``pruning_safe = True``.  Otherwise the columns
with ``rc_k <= U - L`` are added and the MIP re-solved (warm-started from
``U``), a few rounds; if some remain, the reported bound is ``L`` alone.
``gap = (objective - bound) / objective``.

References
----------
.. [1] G. Desaulniers, J. Desrosiers, M. M. Solomon (eds.), *Column Generation*,
   Springer, 2005, ch. 1 (Lagrangian lower bounds of a restricted master).
.. [2] G. L. Nemhauser, L. A. Wolsey, *Integer and Combinatorial Optimization*,
   Wiley, 1988, §II.4 (reduced-cost fixing).
.. [3] Q. Huangfu, J. A. J. Hall, "Parallelizing the dual revised simplex method",
   *Math. Prog. Comp.* 10 (2018) 119–142 (HiGHS).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Final

import highspy
import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

#: Why a person is left out (``AssignmentResult.reason``).
REASONS: Final = (
    "no_accessible_site",  # needs accessibility; no accessible site (with a reachable room) exists
    "unreachable",  # no site is reachable (road distance matrix)
    "household_too_large",  # needs more rooms than any eligible site has left (some have rooms)
    "no_accessible_room",  # the accessible rooms of every eligible site are taken
    "no_room",  # every eligible site is full (placing more persons is impossible)
)

_INF = highspy.kHighsInf
#: HiGHS MIP settings that find good assignments sooner (measured on the benchmark:
#: a smaller, younger cut pool and more heuristic effort).
_MIP: Final = {
    "mip_detect_symmetry": False,
    "mip_pool_soft_limit": 100,
    "mip_lp_age_limit": 1,
    "mip_pool_age_limit": 1,
    "mip_heuristic_effort": 0.5,
}


@dataclass(frozen=True)
class AssignmentOptions:
    """How to assign; the defaults follow the plans (one person per room)."""

    #: Let a household share rooms, ``persons_per_room`` to a room.
    share_rooms: bool = False
    persons_per_room: int = 2
    #: Nearest eligible sites per household in the first restricted model.
    candidates: int = 8
    #: Wall-clock budget of the whole solve (s); the MIP stops at it with its gap.
    time_limit: float = 9.0
    #: Relative MIP gap to stop at; ``None``: 0 (exact) up to ``exact_persons`` persons, else 1e-4.
    mip_rel_gap: float | None = None
    exact_persons: int = 2_000
    max_pricing_rounds: int = 30
    #: Up to this many eligible pairs the MIP has every pair (no pruning at all).
    full_model_pairs: int = 20_000
    #: Columns per household in the pruned MIP (least reduced cost first; the LP's
    #: support always).  Few columns make HiGHS far faster; measured on the benchmark.
    mip_columns: float = 1.5
    #: Rounds, and columns per round, added when pruned columns could still improve.
    max_fixing_rounds: int = 3
    max_fixing_columns: int = 50_000

    def validate(self) -> None:
        if self.persons_per_room < 1:
            raise ValueError("persons_per_room: must be at least 1")
        if self.candidates < 1:
            raise ValueError("candidates: must be at least 1")
        if not self.time_limit > 0:
            raise ValueError("time_limit: must be positive (seconds)")
        if self.mip_rel_gap is not None and not 0 <= self.mip_rel_gap < 1:
            raise ValueError("mip_rel_gap: must be in [0, 1)")
        if self.max_pricing_rounds < 0 or self.max_fixing_rounds < 0:
            raise ValueError("max_pricing_rounds / max_fixing_rounds: must be >= 0")


@dataclass(frozen=True)
class AssignmentResult:
    """The assignment, per person in input order, and the proof of its quality."""

    #: Site id per person, ``-1`` when left out; ``site_index`` the site's position.
    site: I64
    site_index: I64
    #: ``""`` when placed, else one of :data:`REASONS`.
    reason: list[str]
    #: Rooms and accessible rooms counted against the site for this person (a
    #: household's rooms are attributed to its first members; accessible ones to
    #: those who need them).
    rooms: I64
    accessible_rooms: I64
    #: Distance from the person's home to the site (0 when left out).
    distance: F64
    total_cost: float
    #: Proven lower bound on ``total_cost`` for the full problem, and the gap.
    bound: float
    gap: float
    bound_source: str
    pruning_safe: bool
    persons: int
    assigned: int
    #: Most persons any placement can hold (stage 1), and whether that is proven.
    max_assignable: int
    max_assignable_proven: bool
    status: str
    rooms_used: I64
    accessible_rooms_used: I64
    stats: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- validation


def _array(name: str, values: Any, dtype: Any, n: int | None) -> NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name}: must be one-dimensional")
    if n is not None and len(arr) != n:
        raise ValueError(f"{name}: must have one value per row ({n}), has {len(arr)}")
    if (
        np.issubdtype(np.dtype(dtype), np.integer)
        and len(arr)
        and not np.issubdtype(arr.dtype, np.integer)
    ):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: must be integers")
        if np.any(arr != np.round(arr)):
            raise ValueError(f"{name}: must be integers")
    if np.issubdtype(np.dtype(dtype), np.floating):
        arr = arr.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(arr))
        if len(bad):
            raise ValueError(f"{name}: must be a finite number (row {bad[0]} is {arr[bad[0]]})")
    return arr.astype(dtype)


def _unique(name: str, ids: I64) -> None:
    uniq, counts = np.unique(ids, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(f"{name}: duplicate id {uniq[counts > 1][0]} (each id once)")


# --------------------------------------------------------------------------- HiGHS


@dataclass
class _Solved:
    status: str
    x: F64
    objective: float
    bound: float
    row_dual: F64


_BANNER = [True]


def _new_highs() -> highspy.Highs:
    """A HiGHS instance; the first one of the process is made with stdout closed, since
    HiGHS prints its banner there (C level) before any option can silence it, and a
    ``--json`` command's stdout must hold exactly one JSON document."""
    if not _BANNER[0]:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER[0] = False
    return h


def _highs(options: dict[str, Any]) -> highspy.Highs:
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h


def _pass(
    h: highspy.Highs,
    cost: F64,
    lo: F64,
    hi: F64,
    starts: I64,
    index: I64,
    value: F64,
    row_lo: F64,
    row_hi: F64,
    integer: bool,
    maximise: bool = False,
) -> None:
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(row_lo)
    lp.col_cost_ = cost
    lp.col_lower_ = lo
    lp.col_upper_ = hi
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = index.astype(np.int32)
    lp.a_matrix_.value_ = value
    if maximise:
        lp.sense_ = highspy.ObjSense.kMaximize
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cost)
    h.passModel(lp)


def _result(h: highspy.Highs, n_rows: int, mip: bool) -> _Solved:
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=np.float64)
    has = info.primal_solution_status == 2 or (mip and len(x) and info.mip_gap < _INF)
    obj = float(info.objective_function_value) if has else math.inf
    bound = float(info.mip_dual_bound) if mip else obj
    dual = np.asarray(sol.row_dual, dtype=np.float64) if not mip else np.zeros(n_rows)
    return _Solved(status, x if has else np.zeros(0), obj, bound, dual)


# --------------------------------------------------------------------------- stage 1


def _max_persons(
    size: I64,
    r: I64,
    a: I64,
    eligible: B,
    rooms: I64,
    acc_rows: I64,
    acc_cap: I64,
    seconds: float,
) -> tuple[int, bool]:
    """The most persons a placement holds: an exact MIP on household types."""
    H, m = eligible.shape
    if H == 0:
        return 0, True
    key = np.concatenate(
        [np.stack([size, r, a], axis=1).astype(np.int64), eligible.astype(np.int64)], axis=1
    )
    types, counts = np.unique(key, axis=0, return_counts=True)
    T = len(types)
    t_size, t_r, t_a = types[:, 0], types[:, 1], types[:, 2]
    t_elig = types[:, 3:].astype(bool)
    tt, jj = np.nonzero(t_elig)
    n_acc_rows = int((acc_rows >= 0).sum())
    # rows: type counts [0, T), site rooms [T, T+m), accessible rooms [T+m, ...)
    starts = [0]
    index: list[int] = []
    value: list[float] = []
    for t, j in zip(tt.tolist(), jj.tolist(), strict=True):
        index += [t, T + j]
        value += [1.0, float(t_r[t])]
        if t_a[t] > 0 and acc_rows[j] >= 0:
            index.append(T + m + int(acc_rows[j]))
            value.append(float(t_a[t]))
        starts.append(len(index))
    cost = t_size[tt].astype(np.float64)
    hi = counts[tt].astype(np.float64)
    # a type never fits more often than the site's rooms allow
    hi = np.minimum(hi, np.floor(rooms[jj] / np.maximum(t_r[tt], 1)))
    row_lo = np.full(T + m + n_acc_rows, -_INF)
    row_hi = np.concatenate(
        [counts.astype(np.float64), rooms.astype(np.float64), acc_cap.astype(np.float64)]
    )
    if len(cost) == 0:
        return 0, True
    h = _highs({"time_limit": max(seconds, 0.5), "mip_rel_gap": 0.0})
    _pass(
        h,
        cost,
        np.zeros(len(cost)),
        hi,
        np.asarray(starts, np.int64),
        np.asarray(index, np.int64),
        np.asarray(value, np.float64),
        row_lo,
        row_hi,
        integer=True,
        maximise=True,
    )
    h.run()
    solved = _result(h, len(row_lo), mip=True)
    if not len(solved.x):
        return 0, False
    best = round(solved.objective)
    proven = math.floor(solved.bound + 1e-6) <= best
    return best, proven


# --------------------------------------------------------------------------- stage 2


@dataclass
class _Model:
    """The full stage-2 model: rows and how any (household, site) column enters them."""

    H: int
    m: int
    cost_hm: F64
    eligible: B
    size: I64
    r: I64
    a: I64
    acc_rows: I64  # per site: index among the accessible rows, -1 when not counted
    n_acc: int
    with_z: bool
    p_star: int
    row_lo: F64
    row_hi: F64

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    def columns(self, h: I64, j: I64) -> tuple[F64, I64, I64, F64]:
        """Cost and CSC entries of the x columns ``(h, j)``."""
        H, m = self.H, self.m
        cost = self.cost_hm[h, j]
        acc = (self.a[h] > 0) & (self.acc_rows[j] >= 0)
        nnz = 2 + acc.astype(np.int64) + (1 if self.with_z else 0)
        starts = np.zeros(len(h) + 1, np.int64)
        np.cumsum(nnz, out=starts[1:])
        index = np.empty(int(starts[-1]), np.int64)
        value = np.empty(int(starts[-1]), np.float64)
        pos = starts[:-1].copy()
        index[pos], value[pos] = h, 1.0
        pos += 1
        index[pos], value[pos] = H + j, self.r[h]
        pos += 1
        pa = pos[acc]
        index[pa], value[pa] = H + m + self.acc_rows[j[acc]], self.a[h[acc]]
        pos[acc] += 1
        if self.with_z:
            index[pos], value[pos] = self.n_rows - 1, self.size[h]
        return cost, starts, index, value

    def reduced(self, y: F64) -> F64:
        """Reduced cost of every (h, j) column (``inf`` where not eligible)."""
        H, m = self.H, self.m
        rc = self.cost_hm - y[:H, None] - self.r[:, None] * y[None, H : H + m]
        if self.n_acc:
            acc_dual = np.where(self.acc_rows >= 0, y[H + m + np.maximum(self.acc_rows, 0)], 0.0)
            rc -= self.a[:, None] * acc_dual[None, :]
        if self.with_z:
            rc -= self.size[:, None] * y[-1]
        return np.where(self.eligible, rc, np.inf)

    def lagrangian(self, y: F64, rc: F64) -> float:
        """``y^T b + sum min(0, rc)`` over every column of the full model (x and z)."""
        b = np.where(self.row_lo == self.row_hi, self.row_lo, 0.0)
        b = np.where((self.row_lo != self.row_hi) & (y > 0), self.row_lo, b)
        b = np.where((self.row_lo != self.row_hi) & (y < 0), self.row_hi, b)
        total = float(y @ np.where(np.isfinite(b), b, 0.0))
        total += float(np.minimum(rc[np.isfinite(rc)], 0.0).sum())
        if self.with_z:
            total += float(np.minimum(-y[: self.H], 0.0).sum())
        return total

    def sign_correct(self, y: F64) -> F64:
        """Duals with the sign the rows need (a ``<=`` row of a minimum: ``y <= 0``)."""
        y = y.copy()
        eq = self.row_lo == self.row_hi
        le = ~eq & ~np.isfinite(self.row_lo)
        ge = ~eq & ~np.isfinite(self.row_hi)
        y[le] = np.minimum(y[le], 0.0)
        y[ge] = np.maximum(y[ge], 0.0)
        return y


def _build(
    cost_hm: F64,
    eligible: B,
    size: I64,
    r: I64,
    a: I64,
    rooms: I64,
    acc_rows: I64,
    acc_cap: I64,
    p_star: int,
) -> _Model:
    H, m = cost_hm.shape
    n = int(size.sum())
    with_z = p_star < n
    hh = np.ones(H)
    row_lo = np.concatenate([hh, np.full(m + len(acc_cap), -_INF)])
    row_hi = np.concatenate([hh, rooms.astype(np.float64), acc_cap.astype(np.float64)])
    if with_z:
        row_lo = np.append(row_lo, float(p_star))
        row_hi = np.append(row_hi, _INF)
    return _Model(
        H, m, cost_hm, eligible, size, r, a, acc_rows, len(acc_cap), with_z, p_star, row_lo, row_hi
    )


def _extra(model: _Model, big: float) -> tuple[F64, F64, F64, I64, I64, F64]:
    """The columns after the x columns: one ``z_h`` per household, then ``w``.

    ``z_h`` (left out) is part of the model when ``P* < n`` (cost 0); otherwise
    it is an artificial column of cost ``big`` per person that keeps a
    restricted model feasible and is driven to 0.  ``w`` (artificial, only when
    ``P* < n``) relaxes the persons row at cost ``big`` per person.
    """
    H = model.H
    cost = np.zeros(H) if model.with_z else big * model.size.astype(np.float64)
    lo, hi = np.zeros(H), np.ones(H)
    starts = np.arange(H + 1, dtype=np.int64)
    index = np.arange(H, dtype=np.int64)
    value = np.ones(H)
    if model.with_z:
        cost = np.append(cost, big)
        lo, hi = np.append(lo, 0.0), np.append(hi, _INF)
        starts = np.append(starts, H + 1)
        index = np.append(index, model.n_rows - 1)
        value = np.append(value, 1.0)
    return cost, lo, hi, starts, index, value


def _stack(model: _Model, h: I64, j: I64, big: float) -> tuple[F64, F64, F64, I64, I64, F64]:
    """All columns of a restricted model: the x columns ``(h, j)``, then :func:`_extra`."""
    cost, starts, index, value = model.columns(h, j)
    e_cost, e_lo, e_hi, e_starts, e_index, e_value = _extra(model, big)
    return (
        np.concatenate([cost, e_cost]),
        np.concatenate([np.zeros(len(h)), e_lo]),
        np.concatenate([np.ones(len(h)), e_hi]),
        np.concatenate([starts, starts[-1] + e_starts[1:]]),
        np.concatenate([index, e_index]),
        np.concatenate([value, e_value]),
    )


def _artificial(model: _Model, x: F64, n_x: int) -> float:
    """Persons carried by artificial columns in a restricted solution."""
    extra = x[n_x:]
    if model.with_z:
        return float(extra[-1])
    return float(extra @ model.size)


class _Master:
    """The restricted LP, kept in one HiGHS instance so each round warm-starts."""

    def __init__(self, model: _Model, h: I64, j: I64, big: float) -> None:
        self.model = model
        self.h = _new_highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("solver", "simplex")
        cost, lo, hi, starts, index, value = _stack(model, h, j, big)
        _pass(self.h, cost, lo, hi, starts, index, value, model.row_lo, model.row_hi, False)
        self.n_x = len(h)
        self.cols_h, self.cols_j = h, j
        self.n_extra = len(cost) - len(h)

    def add(self, h: I64, j: I64) -> None:
        cost, starts, index, value = self.model.columns(h, j)
        self.h.addCols(
            len(h), cost, np.zeros(len(h)), np.ones(len(h)), len(index),
            starts[:-1].astype(np.int32), index.astype(np.int32), value,
        )  # fmt: skip
        self.cols_h = np.concatenate([self.cols_h, h])
        self.cols_j = np.concatenate([self.cols_j, j])

    def solve(self, seconds: float) -> tuple[_Solved, float]:
        """The LP solution (x columns only) and the persons on artificial columns."""
        self.h.setOptionValue("time_limit", max(seconds, 0.2))
        self.h.run()
        got = _result(self.h, self.model.n_rows, mip=False)
        if not len(got.x):
            return got, math.inf
        # column order in HiGHS: x (first n_x), extra, then x columns added later
        x = got.x
        x_cols = np.concatenate([x[: self.n_x], x[self.n_x + self.n_extra :]])
        extra = x[self.n_x : self.n_x + self.n_extra]
        got.x = x_cols
        return got, _artificial(self.model, np.concatenate([x_cols, extra]), len(x_cols))


def _solve_mip(
    model: _Model, h: I64, j: I64, big: float, seconds: float, gap: float, start: F64 | None
) -> tuple[_Solved, float]:
    """The restricted MIP, without artificial columns (they mislead HiGHS's heuristics)."""
    cost, lo, hi, starts, index, value = _stack(model, h, j, big)
    n_x = len(h)
    if model.with_z:
        hi[-1] = 0.0  # w
    else:
        hi[n_x:] = 0.0  # artificial z
    hs = _highs({"time_limit": max(seconds, 0.2), "mip_rel_gap": gap, "mip_abs_gap": 1e-9, **_MIP})
    _pass(hs, cost, lo, hi, starts, index, value, model.row_lo, model.row_hi, integer=True)
    if model.with_z:  # w stays continuous
        hs.changeColIntegrality(len(cost) - 1, highspy.HighsVarType.kContinuous)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = start
        hs.setSolution(sol)
    hs.run()
    got = _result(hs, model.n_rows, mip=True)
    if not len(got.x):
        return got, math.inf
    return got, _artificial(model, got.x, n_x)


def _nearest(cost_hm: F64, eligible: B, k: int) -> tuple[I64, I64]:
    masked = np.where(eligible, cost_hm, np.inf)
    k = min(k, masked.shape[1])
    part = np.argpartition(masked, k - 1, axis=1)[:, :k]
    hh = np.repeat(np.arange(masked.shape[0]), k)
    jj = part.ravel()
    keep = np.isfinite(masked[hh, jj])
    return hh[keep].astype(np.int64), jj[keep].astype(np.int64)


def _merge(cols: tuple[I64, I64], add_h: I64, add_j: I64, m: int) -> tuple[I64, I64]:
    key = np.union1d(cols[0] * m + cols[1], add_h * m + add_j)
    return key // m, key % m


# --------------------------------------------------------------------------- assign


def assign(
    person_ids: Any,
    household_ids: Any,
    x: Any,
    y: Any,
    needs_accessible: Any,
    site_ids: Any,
    site_x: Any,
    site_y: Any,
    rooms: Any,
    accessible: Any,
    accessible_rooms: Any | None = None,
    *,
    distance: Any | None = None,
    fixed_site: Any | None = None,
    options: AssignmentOptions | None = None,
) -> AssignmentResult:
    """Assign persons to quarantine sites (see the module docstring for the model).

    Parameters
    ----------
    person_ids, household_ids : int arrays (n,)
        Persons (each once) and their households.
    x, y : float arrays (n,)
        Homes, km.
    needs_accessible : bool array (n,)
    site_ids, site_x, site_y, rooms, accessible : arrays (m,)
        Sites (each once), their location (km), rooms left (``>= 0``), and
        whether they are accessible.
    accessible_rooms : int array (m,), optional
        Accessible rooms left; ``-1`` (or omitted) = not counted (all rooms of an
        accessible site serve anyone); a count > 0 makes the site accessible.
    distance : float array (n, m), optional
        Road distance person × site (``inf`` = unreachable) instead of Euclidean.
    fixed_site : int array (n,), optional
        Site id the person's household already stays at (``-1``: none); the
        household then goes there or nowhere.

    Raises
    ------
    ValueError
        Naming the field and the rule, before anything is solved.
    """
    t0 = time.perf_counter()
    opts = options or AssignmentOptions()
    opts.validate()
    pid = _array("person_id", person_ids, np.int64, None)
    n = len(pid)
    hid = _array("household_id", household_ids, np.int64, n)
    px, py = _array("x", x, np.float64, n), _array("y", y, np.float64, n)
    need = _array("needs_accessible", needs_accessible, np.bool_, n)
    sid = _array("site_id", site_ids, np.int64, None)
    m = len(sid)
    sx, sy = _array("site x", site_x, np.float64, m), _array("site y", site_y, np.float64, m)
    cap = _array("rooms", rooms, np.int64, m)
    acc_site = _array("accessible", accessible, np.bool_, m)
    acc_cap = (
        np.full(m, -1, np.int64)
        if accessible_rooms is None
        else _array("accessible_rooms", accessible_rooms, np.int64, m)
    )
    _unique("person_id", pid)
    _unique("site_id", sid)
    if np.any(cap < 0):
        raise ValueError(f"rooms: must be >= 0 (site {sid[cap < 0][0]} has {cap[cap < 0][0]})")
    bad = (acc_cap < -1) | (acc_cap > cap)
    if np.any(bad):
        raise ValueError(
            f"accessible_rooms: must be -1 (not counted) or between 0 and rooms "
            f"(site {sid[bad][0]} has {acc_cap[bad][0]} of {cap[bad][0]})"
        )
    acc_site = acc_site | (acc_cap > 0)
    if distance is not None:
        dist = np.asarray(distance, dtype=np.float64)
        if dist.shape != (n, m):
            raise ValueError(f"distance: must be persons × sites ({n} × {m}), is {dist.shape}")
        if np.any(np.isnan(dist)) or np.any(dist < 0):
            raise ValueError("distance: must be >= 0 (inf = unreachable), not NaN")
    else:
        dist = np.hypot(px[:, None] - sx[None, :], py[:, None] - sy[None, :])
    fixed = (
        np.full(n, -1, np.int64)
        if fixed_site is None
        else _array("fixed_site", fixed_site, np.int64, n)
    )
    site_pos = {int(s): k for k, s in enumerate(sid.tolist())}
    unknown = [int(f) for f in fixed[fixed >= 0] if int(f) not in site_pos]
    if unknown:
        raise ValueError(f"fixed_site: unknown site id {unknown[0]}")

    # households, by id
    hh_ids, inverse = np.unique(hid, return_inverse=True)
    inverse = inverse.ravel()
    H = len(hh_ids)
    order = np.argsort(inverse, kind="stable")
    size = np.bincount(inverse, minlength=H).astype(np.int64)
    n_need = np.bincount(inverse, weights=need, minlength=H).astype(np.int64)
    ppr = opts.persons_per_room if opts.share_rooms else 1
    r = -(-size // ppr)
    a = -(-n_need // ppr)
    fixed_pos = np.array([site_pos.get(int(f), -1) for f in fixed.tolist()], np.int64)
    hh_fixed = np.full(H, -2, np.int64)
    for i in order.tolist():
        h = int(inverse[i])
        if hh_fixed[h] == -2:
            hh_fixed[h] = fixed_pos[i]
        elif hh_fixed[h] != fixed_pos[i]:
            raise ValueError(
                f"fixed_site: household {hh_ids[h]} has members fixed to different sites"
            )
    starts = (np.cumsum(size) - size).astype(np.int64)
    cost_hm = np.add.reduceat(dist[order], starts, axis=0) if H and m else np.zeros((H, m))

    # eligible (household, site) pairs
    reachable = np.isfinite(cost_hm)
    acc_ok = (n_need[:, None] == 0) | acc_site[None, :]
    fits = (r[:, None] <= cap[None, :]) & ((acc_cap[None, :] < 0) | (a[:, None] <= acc_cap))
    fixed_ok = (hh_fixed[:, None] < 0) | (hh_fixed[:, None] == np.arange(m)[None, :])
    eligible = reachable & acc_ok & fits & fixed_ok
    counted = acc_cap >= 0
    acc_rows = np.where(counted, np.cumsum(counted) - 1, -1).astype(np.int64)
    acc_caps = acc_cap[counted]

    stats: dict[str, Any] = {"households": H, "sites": m, "pairs": int(eligible.sum())}
    p_star, p_proven = _max_persons(
        size, r, a, eligible, cap, acc_rows, acc_caps, opts.time_limit / 4
    )
    stats["stage1_seconds"] = round(time.perf_counter() - t0, 3)
    model = _build(cost_hm, eligible, size, r, a, cap, acc_rows, acc_caps, p_star)
    gap_target = (
        opts.mip_rel_gap
        if opts.mip_rel_gap is not None
        else (0.0 if n <= opts.exact_persons else 1e-4)
    )
    chosen = np.full(H, -1, np.int64)
    total, bound, status, safe, source = 0.0, 0.0, "optimal", True, "mip"
    if p_star > 0:
        chosen, total, bound, status, safe, source = _stage2(model, opts, gap_target, t0, stats)
    return _finish(
        pid, inverse, order, size, n_need, r, a, need, dist, sid, cap, acc_cap, acc_site,
        eligible, hh_fixed, chosen, total, bound, status, safe, source, p_star, p_proven,
        stats, t0,
    )  # fmt: skip


def _stage2(
    model: _Model, opts: AssignmentOptions, gap_target: float, t0: float, stats: dict[str, Any]
) -> tuple[I64, float, float, str, bool, str]:
    H, m = model.H, model.m
    deadline = t0 + opts.time_limit
    finite = model.cost_hm[model.eligible]
    per_person = float(finite.max() / 1.0) if len(finite) else 1.0
    big = 100.0 * (per_person + 1.0)
    cols = _nearest(model.cost_hm, model.eligible, opts.candidates)
    master = _Master(model, *cols, big)
    lower = -math.inf
    rounds = 0
    rc = np.zeros((H, m))
    in_set = np.zeros((H, m), bool)
    in_set[cols[0], cols[1]] = True
    while True:
        lp, artificial = master.solve(deadline - time.perf_counter())
        if not len(lp.x):
            raise RuntimeError(f"stage-2 LP failed ({lp.status})")
        y = model.sign_correct(lp.row_dual)
        rc = model.reduced(y)
        lower = max(lower, model.lagrangian(y, rc))
        rounds += 1
        tol = 1e-9 * max(1.0, abs(lp.objective))
        neg = (rc < -tol) & ~in_set
        if not neg.any():
            if artificial > 1e-6:  # big is too small for this instance: raise it
                big *= 10.0
                master = _Master(model, master.cols_h, master.cols_j, big)
                continue
            break
        if rounds > opts.max_pricing_rounds or time.perf_counter() > deadline - 1.0:
            break
        # the most negative few per household
        masked = np.where(neg, rc, np.inf)
        k = min(5, m)
        part = np.argpartition(masked, k - 1, axis=1)[:, :k]
        hh = np.repeat(np.arange(H), k)
        jj = part.ravel()
        keep = np.isfinite(masked[hh, jj])
        master.add(hh[keep].astype(np.int64), jj[keep].astype(np.int64))
        in_set[hh[keep], jj[keep]] = True
    stats.update(pricing_rounds=rounds, lp_bound=round(lower, 6), lp_columns=len(master.cols_h))
    stats["lp_seconds"] = round(time.perf_counter() - t0, 3)

    # MIP columns: every eligible pair on small instances, else the LP's support
    # and the pairs of least reduced cost (about ``mip_columns`` per household)
    n_pairs = int(model.eligible.sum())
    support = lp.x > 1e-9
    finite_rc = rc[np.isfinite(rc)]
    share = opts.mip_columns

    def mip_columns() -> tuple[I64, I64]:
        if n_pairs <= opts.full_model_pairs or share * H >= len(finite_rc):
            hh, jj = np.nonzero(model.eligible)
            return hh.astype(np.int64), jj.astype(np.int64)
        tau = float(np.quantile(finite_rc, share * H / len(finite_rc)))
        hh, jj = np.nonzero(rc <= tau)
        lp_cols = (master.cols_h[support], master.cols_j[support])
        return _merge(lp_cols, hh.astype(np.int64), jj.astype(np.int64), m)

    cols = mip_columns()
    in_set = np.zeros((H, m), bool)
    in_set[cols[0], cols[1]] = True
    start: F64 | None = None
    best: _Solved | None = None
    best_cols = cols
    safe = False
    fixing = 0
    while True:
        mip, artificial = _solve_mip(
            model, *cols, big, deadline - time.perf_counter(), gap_target, start
        )
        better = best is None or mip.objective <= best.objective + 1e-9
        if len(mip.x) and artificial < 1e-6 and better:
            best, best_cols = mip, cols
        if best is None:  # the pruned MIP has no solution (yet): widen it
            if len(cols[0]) >= n_pairs or time.perf_counter() > deadline:
                raise RuntimeError(f"stage-2 MIP found no solution ({mip.status})")
            share *= 1.6
            cols = _merge(cols, *mip_columns(), m)
            in_set[cols[0], cols[1]] = True
            continue
        slack = best.objective - lower + 1e-7 * max(1.0, abs(best.objective))
        missing = (rc <= slack) & ~in_set & model.eligible
        if not missing.any():
            safe = True
            break
        fixing += 1
        if (
            fixing > opts.max_fixing_rounds
            or int(missing.sum()) > opts.max_fixing_columns
            or time.perf_counter() > deadline - 0.5
        ):
            break
        mh, mj = np.nonzero(missing)
        new_cols = _merge(cols, mh.astype(np.int64), mj.astype(np.int64), m)
        start = _start_vector(model, best.x, best_cols, new_cols)
        cols = new_cols
        in_set[cols[0], cols[1]] = True
    stats.update(
        fixing_rounds=fixing,
        mip_columns=len(best_cols[0]),
        mip_status=best.status,
        mip_bound=round(best.bound, 6),
    )
    x = best.x[: len(best_cols[0])]
    pick = x > 0.5
    chosen = np.full(H, -1, np.int64)
    chosen[best_cols[0][pick]] = best_cols[1][pick]
    total = float(model.cost_hm[np.flatnonzero(chosen >= 0), chosen[chosen >= 0]].sum())
    if safe and best.bound > lower:
        bound, source = best.bound, "mip"
    else:
        bound, source = lower, "lp"
    bound = min(bound, total)
    status = "optimal" if total - bound <= 1e-6 * max(1.0, total) else "feasible"
    return chosen, total, bound, status, safe, source


def _start_vector(model: _Model, x: F64, old: tuple[I64, I64], new: tuple[I64, I64]) -> F64:
    """A MIP start on the ``new`` columns from a solution ``x`` on the ``old`` ones."""
    m = model.m
    n_old, n_new = len(old[0]), len(new[0])
    where = np.searchsorted(new[0] * m + new[1], old[0] * m + old[1])
    out = np.zeros(n_new + (len(x) - n_old))
    out[where] = x[:n_old]
    out[n_new:] = x[n_old:]
    return out


def _finish(
    pid: I64, inverse: I64, order: I64, size: I64, n_need: I64, r: I64, a: I64, need: B,
    dist: F64, sid: I64, cap: I64, acc_cap: I64, acc_site: B, eligible: B, hh_fixed: I64,
    chosen: I64, total: float, bound: float, status: str, safe: bool, source: str,
    p_star: int, p_proven: bool, stats: dict[str, Any], t0: float,
) -> AssignmentResult:  # fmt: skip
    n, H, m = len(pid), len(size), len(sid)
    used = np.bincount(chosen[chosen >= 0], weights=r[chosen >= 0], minlength=m).astype(np.int64)
    acc_used = np.bincount(chosen[chosen >= 0], weights=a[chosen >= 0], minlength=m).astype(
        np.int64
    )
    site_index = chosen[inverse]
    site = np.where(site_index >= 0, sid[np.maximum(site_index, 0)], -1)
    # attribute the rooms: accessible ones to the members who need them, then one each
    rooms = np.zeros(n, np.int64)
    acc_rooms = np.zeros(n, np.int64)
    ranked = np.lexsort((~need[order], inverse[order]))
    members = order[ranked]
    rank = np.empty(n, np.int64)
    starts = (np.cumsum(size) - size).astype(np.int64)
    rank[members] = np.arange(n) - np.repeat(starts, size)
    placed = site_index >= 0
    rooms[placed] = (rank[placed] < r[inverse[placed]]).astype(np.int64)
    acc_rooms[placed] = (rank[placed] < a[inverse[placed]]).astype(np.int64)
    distance = np.where(placed, dist[np.arange(n), np.maximum(site_index, 0)], 0.0)
    # reasons for the households left out
    left = cap - used
    acc_left = np.where(acc_cap >= 0, acc_cap - acc_used, np.iinfo(np.int64).max)
    hh_reason: list[str] = [""] * H
    for h in np.flatnonzero(chosen < 0).tolist():
        base = np.isfinite(dist[order[starts[h] : starts[h] + size[h]]]).all(axis=0)
        if hh_fixed[h] >= 0:
            base &= np.arange(m) == hh_fixed[h]
        if n_need[h] > 0 and not (base & acc_site).any():
            hh_reason[h] = "no_accessible_site" if base.any() else "unreachable"
            continue
        if not base.any():
            hh_reason[h] = "unreachable"
            continue
        ok = base & (acc_site if n_need[h] > 0 else True)
        if not (ok & (left > 0)).any():
            hh_reason[h] = "no_room"
        elif not eligible[h].any() and not (ok & (r[h] <= cap)).any():
            hh_reason[h] = "household_too_large"
        elif (
            n_need[h] > 0
            and not (ok & (r[h] <= left) & (a[h] <= acc_left)).any()
            and (ok & (r[h] <= left)).any()
        ):
            hh_reason[h] = "no_accessible_room"
        else:
            hh_reason[h] = "no_room"
    reason = [hh_reason[int(h)] for h in inverse.tolist()]
    assigned = int(placed.sum())
    gap = 0.0 if total <= 0 else max(0.0, (total - bound) / total)
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    return AssignmentResult(
        site=site.astype(np.int64),
        site_index=site_index.astype(np.int64),
        reason=reason,
        rooms=rooms,
        accessible_rooms=acc_rooms,
        distance=distance,
        total_cost=total,
        bound=bound,
        gap=gap,
        bound_source=source,
        pruning_safe=safe,
        persons=n,
        assigned=assigned,
        max_assignable=p_star,
        max_assignable_proven=p_proven,
        status=status,
        rooms_used=used,
        accessible_rooms_used=acc_used,
        stats=stats,
    )
