"""The run's shared case registry: diagnoses, isolation and the daily workload figures.

Measures of one run coordinate through one :class:`CaseRegistry` attached to
the simulation (:func:`registry_of`): testing measures *diagnose* agents (who
are then isolated), tracing reads the day's diagnoses, quarantine and zones
read them too, and every measure records its daily figures (tests used,
contacts traced, rooms occupied, ...) under a name, so that a scenario can
report them next to the epidemic.

Isolation statuses are ordered (none < home quarantine < central quarantine <
isolated): :meth:`CaseRegistry.isolate` only ever raises an agent's status and
:meth:`CaseRegistry.release` only lowers agents still at the status being
released, so measures never undo each other.  Diagnosed agents are released
from isolation when they have recovered (or died), at the start of each day.

A *community case* (社会面病例) is a case diagnosed while not under any
quarantine or isolation: the plans' "social-level zero" (社会面清零) is the
first day after which no community case is found.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..disease import D, R
from ..params import HOME_QUARANTINE, ISOLATED, NO_ISOLATION

if TYPE_CHECKING:
    from ..sim import Sim

I32 = NDArray[np.int32]
F64 = NDArray[np.float64]

#: How a case was found (``CaseRegistry.found_by``).
FOUND_BY: Final = ("", "symptomatic", "mass_testing", "quarantine_testing")
SYMPTOMATIC, MASS_TESTING, QUARANTINE_TESTING = 1, 2, 3


class CaseRegistry:
    """Per-agent diagnosis records and named daily figures of one run.

    Attributes
    ----------
    t_diagnosed : int32, day of diagnosis (-1: never).
    found_by : int8, a code of :data:`FOUND_BY`.
    community : bool, diagnosed while under no quarantine or isolation.
    """

    def __init__(self, n: int) -> None:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self.n = n
        self.t_diagnosed = np.full(n, -1, dtype=np.int32)
        self.found_by = np.zeros(n, dtype=np.int8)
        self.community = np.zeros(n, dtype=np.bool_)
        self._by_day: dict[int, list[I32]] = defaultdict(list)
        self._figures: dict[str, dict[int, float]] = defaultdict(dict)
        self._released_day = -1

    # ---------------------------------------------------------------- diagnoses
    def diagnose(self, sim: Sim, ids: ArrayLike, day: int, found_by: int) -> I32:
        """Record positives found today; returns the ids not diagnosed before.

        The new cases are isolated; those that were under no quarantine count
        as community cases (figures ``diagnosed`` and ``community_cases``).
        """
        if found_by not in (SYMPTOMATIC, MASS_TESTING, QUARANTINE_TESTING):
            raise ValueError(f"found_by must be 1, 2 or 3 ({', '.join(FOUND_BY[1:])})")
        arr = np.unique(np.asarray(ids, dtype=np.int32))
        if arr.size and (arr[0] < 0 or arr[-1] >= self.n):
            raise ValueError(f"ids must be agent ids in [0, {self.n})")
        new = arr[self.t_diagnosed[arr] < 0]
        if new.size:
            self.t_diagnosed[new] = day
            self.found_by[new] = found_by
            free = sim.isolation[new] == NO_ISOLATION
            self.community[new] = free
            self._by_day[day].append(new)
            self.isolate(sim, new, ISOLATED)
            self.add("diagnosed", day, len(new))
            self.add("community_cases", day, int(free.sum()))
        return new

    def diagnosed_on(self, day: int) -> I32:
        """Agents diagnosed on ``day``, sorted."""
        parts = self._by_day.get(day)
        if not parts:
            return np.zeros(0, dtype=np.int32)
        return np.sort(np.concatenate(parts))

    # ---------------------------------------------------------------- isolation
    @staticmethod
    def isolate(sim: Sim, ids: ArrayLike, status: int) -> I32:
        """Raise agents to ``status`` (never lowers); returns those whose status changed."""
        if not HOME_QUARANTINE <= status <= ISOLATED:
            raise ValueError(f"status must be {HOME_QUARANTINE} to {ISOLATED}, got {status}")
        arr = np.asarray(ids, dtype=np.int64)
        arr = arr[sim.isolation[arr] < status]
        sim.isolation[arr] = status
        return arr.astype(np.int32)

    @staticmethod
    def release(sim: Sim, ids: ArrayLike, status: int) -> I32:
        """Release agents still at ``status`` (others keep theirs); returns the released."""
        arr = np.asarray(ids, dtype=np.int64)
        arr = arr[sim.isolation[arr] == status]
        sim.isolation[arr] = NO_ISOLATION
        out: I32 = arr.astype(np.int32)
        return out

    def start_day(self, sim: Sim, day: int) -> None:
        """Once a day (idempotent): release isolated cases that have recovered or died."""
        if self._released_day == day:
            return
        self._released_day = day
        done = np.flatnonzero((sim.isolation == ISOLATED) & ((sim.state == R) | (sim.state == D)))
        if done.size:
            sim.isolation[done] = NO_ISOLATION

    # ------------------------------------------------------------------ figures
    def add(self, name: str, day: int, value: float) -> None:
        """Add ``value`` to the figure ``name`` of ``day``."""
        fig = self._figures[name]
        fig[day] = fig.get(day, 0.0) + float(value)

    def set(self, name: str, day: int, value: float) -> None:
        """Set the figure ``name`` of ``day`` (a level such as occupancy)."""
        self._figures[name][day] = float(value)

    def figure(self, name: str, days: int) -> F64:
        """The figure ``name`` for days 0 … days-1 (0 where nothing was recorded)."""
        out = np.zeros(days, dtype=np.float64)
        for d, v in self._figures.get(name, {}).items():
            if 0 <= d < days:
                out[d] = v
        return out

    def figures(self, days: int) -> dict[str, F64]:
        """Every recorded figure as a day-indexed array."""
        names = sorted(set(self._figures) | {"diagnosed", "community_cases"})
        return {name: self.figure(name, days) for name in names}


def registry_of(sim: Sim) -> CaseRegistry:
    """The run's registry (created on first use and kept on ``sim.registry``)."""
    reg = getattr(sim, "registry", None)
    if reg is None:
        reg = CaseRegistry(sim.pop.n)
        sim.registry = reg  # type: ignore[attr-defined]
    return reg
