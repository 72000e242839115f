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

Besides, the registry carries what the case-management measures hand each
other: the hour of the day a result came back (:meth:`CaseRegistry.diagnose_at`,
which starts the tracing playbook's clock), and the queue of quarantine
requests from contact tracing (:meth:`CaseRegistry.request_quarantine`,
:meth:`CaseRegistry.take_quarantine_requests`), which a quarantine measure
takes each day (it says so with :attr:`CaseRegistry.quarantine_handler`).
:func:`uniforms` gives the measures counter-based random draws (the engine's
SplitMix64 streams, with purposes of their own), and :func:`parse_config`
validates a measure's parameters with its pydantic model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ValidationError

from ..disease import D, R
from ..kernels import _next, _stream
from ..params import HOME_QUARANTINE, ISOLATED, NO_ISOLATION

if TYPE_CHECKING:
    from ..sim import Sim

I32 = NDArray[np.int32]
F64 = NDArray[np.float64]

#: How a case was found (``CaseRegistry.found_by``).
FOUND_BY: Final = ("", "symptomatic", "mass_testing", "quarantine_testing")
SYMPTOMATIC, MASS_TESTING, QUARANTINE_TESTING = 1, 2, 3
#: Kinds of quarantine request (``request_quarantine``): close and secondary contacts.
CLOSE_CONTACT, SECONDARY_CONTACT = 1, 2
#: Purposes of the measures' random streams (the engine's kernels use 1–8).
P_TEST_SEEK, P_TEST_HOUR, P_TEST_RESULT = 11, 12, 13
P_TRACE, P_TRACE_HOUR, P_TRACE_SECONDARY = 21, 22, 23
P_QUARANTINE_HOUR, P_QUARANTINE_RESULT = 31, 32

ModelT = TypeVar("ModelT", bound=BaseModel)


class CaseRegistry:
    """Per-agent diagnosis records and named daily figures of one run.

    Attributes
    ----------
    t_diagnosed : int32, day of diagnosis (-1: never).
    found_by : int8, a code of :data:`FOUND_BY`.
    community : bool, diagnosed while under no quarantine or isolation.
    report_hour : float64, hour of the day (0–24) the positive result came
        back, NaN when the diagnosing measure did not say (:meth:`diagnose_at`).
    quarantine_handler : True once a quarantine measure takes the requests
        of :meth:`request_quarantine` (set in its ``start``).
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
        self.report_hour = np.full(n, np.nan, dtype=np.float64)
        self.quarantine_handler = False
        self._requests: list[tuple[int, int, I32]] = []

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

    def diagnose_at(
        self, sim: Sim, ids: ArrayLike, day: int, found_by: int, hours: ArrayLike
    ) -> I32:
        """:meth:`diagnose` with the hour of the day (0 ≤ h < 24) of each result.

        ``hours`` has one value per id (or one for all); the new cases keep
        theirs in :attr:`report_hour` (the tracing playbook's clock starts there).
        """
        arr = np.asarray(ids, dtype=np.int32)
        h = np.broadcast_to(np.asarray(hours, dtype=np.float64), arr.shape)
        if h.size and not ((h >= 0) & (h < 24)).all():
            raise ValueError("hours must be in [0, 24)")
        new = self.diagnose(sim, arr, day, found_by)
        if new.size:
            order = np.argsort(arr, kind="stable")
            pos = order[np.searchsorted(arr[order], new)]
            self.report_hour[new] = h[pos]
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

    # ---------------------------------------------------------- quarantine queue
    def request_quarantine(self, ids: ArrayLike, day: int, kind: int) -> None:
        """Ask the quarantine measure to take ``ids`` (close or secondary contacts) on ``day``."""
        if kind not in (CLOSE_CONTACT, SECONDARY_CONTACT):
            raise ValueError(f"kind must be {CLOSE_CONTACT} (close) or {SECONDARY_CONTACT}")
        arr = np.asarray(ids, dtype=np.int32)
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= self.n):
            raise ValueError(f"ids must be agent ids in [0, {self.n})")
        if arr.size:
            self._requests.append((day, kind, arr.copy()))

    def take_quarantine_requests(self, day: int) -> tuple[I32, I32]:
        """Requests due by ``day``, removed from the queue: (close, secondary), in request order.

        Ids are unique within each array; a close contact is not repeated as secondary.
        """
        due = [r for r in self._requests if r[0] <= day]
        self._requests = [r for r in self._requests if r[0] > day]
        out = []
        for kind in (CLOSE_CONTACT, SECONDARY_CONTACT):
            parts = [r[2] for r in due if r[1] == kind]
            arr = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
            _, first = np.unique(arr, return_index=True)
            out.append(arr[np.sort(first)].astype(np.int32))
        close, secondary = out
        if close.size and secondary.size:
            secondary = secondary[~np.isin(secondary, close)]
        return close, secondary

    def pending_quarantine_requests(self) -> int:
        """Persons in the queue (requests not taken yet)."""
        return sum(len(r[2]) for r in self._requests)

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


@nb.njit(cache=True, nogil=True)
def _uniforms(key, day, ids, purpose):  # type: ignore[no-untyped-def]
    out = np.empty(len(ids), dtype=np.float64)
    for k in range(len(ids)):
        _, out[k] = _next(_stream(key, day, ids[k], purpose))
    return out


def uniforms(sim: Sim, day: int, ids: ArrayLike, purpose: int) -> F64:
    """One uniform draw in [0, 1) per id, from the stream ``(sim's key, day, id, purpose)``.

    A draw depends only on the seed, the day, the agent and the purpose, so it
    is the same whatever else the run does (common random numbers between
    scenarios of one seed).
    """
    arr = np.ascontiguousarray(ids, dtype=np.int64)
    return _uniforms(sim.key, np.int64(day), arr, np.int64(purpose))  # type: ignore[no-any-return]


def parse_config(model: type[ModelT], params: Mapping[str, Any], kind: str) -> ModelT:
    """Validate a measure's ``params`` with ``model``; errors read ``<kind>.<field>: <rule>``."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not loc and re.match(r"^[a-z_]+: ", msg):  # a cross-field rule naming its field
            raise ValueError(f"{kind}.{msg}") from None
        raise ValueError(f"{kind}.{loc}: {msg}" if loc else f"{kind}: {msg}") from None


def registry_of(sim: Sim) -> CaseRegistry:
    """The run's registry (created on first use and kept on ``sim.registry``)."""
    reg = getattr(sim, "registry", None)
    if reg is None:
        reg = CaseRegistry(sim.pop.n)
        sim.registry = reg  # type: ignore[attr-defined]
    return reg
