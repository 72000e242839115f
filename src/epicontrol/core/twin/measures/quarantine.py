"""Centralised quarantine of traced contacts, limited by rooms, with tests during the stay.

Each day :class:`CentralQuarantine` takes the requests contact tracing left
in the registry (:meth:`~.registry.CaseRegistry.take_quarantine_requests`)
and follows the plans' rules:

* *close contacts* (密接) go to centralised quarantine (isolation status 2),
  one person per room — the platform's default (``QuarantineOptions.share_rooms
  = False`` of the quarantine domain, :mod:`epicontrol.core.operations.assignment`),
  so household members do not share — while rooms last, in the order
  tracing handed them over; the others stay in home quarantine (status 1,
  figure ``no_room``) for the whole period, and are not moved when a room
  frees later.  A close contact already in home quarantine (e.g. as a
  secondary contact) is moved to a room and its period starts again;
* *secondary contacts* (次密接) go to home quarantine (``secondary = "central"``
  sends them to rooms as close contacts, as Shenzhen's 1+4+6+24 does);
* samples are taken on the days ``test_days`` of the stay (day 1 = the day
  of admission), at a random hour; results come back ``turnaround_hours``
  later.  A sample is positive with probability ``sensitivity`` when the
  person is infectious (presymptomatic, symptomatic, asymptomatic, severe or
  critical; a latent infection is not detected, as in Covasim [1]_).
  Positives are diagnosed (found by quarantine testing), isolated, and their
  room is freed; so is the room of anyone diagnosed otherwise;
* after ``central_days`` a person moves to home quarantine for ``home_days``
  (if any), then is released; persons diagnosed meanwhile leave the book.

Defaults are the platform's live rule — the quarantine domain's
``release_days = 14`` with a test every day (Shenzhen, seeds 004; plan 001:
隔离期间核酸检测频次每日1次) — so the twin's room demand matches what the
platform manages.  The national 9th edition (2022) is ``central_days = 7,
home_days = 3, test_days = [1, 2, 3, 5, 7]`` with secondary contacts
``secondary_days = 7``.  Without a ``rooms`` value the rooms are the city's
``quarantine_rooms`` capacity, else 15 per 10 000 residents (Fuzhou, the
lower of the two standards of DESIGN.md §3).

Figures (registry, per day): ``central_quarantine`` (occupied rooms at the
end of the day's admissions), ``home_quarantine`` (persons in home
quarantine under this measure), ``quarantine_rooms`` (rooms),
``quarantine_admissions`` (persons given a room), ``home_admissions``,
``no_room`` (close contacts sent home for want of a room),
``quarantine_released``, ``quarantine_tests`` (samples), ``quarantine_positives``.

References
----------
.. [1] C. C. Kerr et al., "Covasim: an agent-based model of COVID-19
   dynamics and interventions", *PLoS Comput. Biol.* 17(7):e1009149, 2021
   (``cv.test_prob``: only infectious agents test positive).
.. [2] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022 —
   密切接触者 "7天集中隔离医学观察+3天居家健康监测", 次密接 7 天居家隔离.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..disease import CRIT, IP, D
from ..params import CENTRAL_QUARANTINE, HOME_QUARANTINE, ISOLATED
from .registry import (
    P_QUARANTINE_HOUR,
    P_QUARANTINE_RESULT,
    QUARANTINE_TESTING,
    CaseRegistry,
    parse_config,
    registry_of,
    uniforms,
)

if TYPE_CHECKING:
    from ..sim import Sim
    from . import MeasureContext

I32 = NDArray[np.int32]

KIND = "quarantine"
#: Rooms per 10 000 residents when the city gives no capacity (Fuzhou; plan 002: 40).
ROOMS_PER_10K = 15.0


class QuarantineBook:
    """Who is in quarantine under one measure, since when and until when.

    ``status`` is 0 (not in the book), 1 (home) or 2 (central); a person
    admitted on day *a* for *c* central and *h* home days is in a room on days
    *a* … *a+c−1*, at home on *a+c* … *a+c+h−1* and released on day *a+c+h*.
    The sim's isolation status is raised on admission and lowered on release
    through the registry, which only lowers persons still at the status
    released (a diagnosis in between wins).
    """

    def __init__(self, n: int) -> None:
        self.status = np.zeros(n, dtype=np.uint8)
        self.admitted = np.full(n, -1, dtype=np.int32)
        self.central_end = np.full(n, -1, dtype=np.int32)
        self.end = np.full(n, -1, dtype=np.int32)
        self.active = np.zeros(0, dtype=np.int32)

    def count(self, status: int) -> int:
        """Persons in the book at ``status`` (1 home, 2 central)."""
        return int((self.status[self.active] == status).sum())

    def _add(self, ids: I32) -> None:
        fresh = ids[self.status[ids] == 0]
        if fresh.size:
            self.active = np.concatenate([self.active, fresh])

    def admit_central(self, sim: Sim, ids: ArrayLike, day: int, central: int, home: int) -> I32:
        """Give ``ids`` rooms from ``day`` (those not in a room already); returns them."""
        arr = np.asarray(ids, dtype=np.int32)
        arr = arr[self.status[arr] < CENTRAL_QUARANTINE]
        self._add(arr)
        self.status[arr] = CENTRAL_QUARANTINE
        self.admitted[arr] = day
        self.central_end[arr] = day + central
        self.end[arr] = day + central + home
        CaseRegistry.isolate(sim, arr, CENTRAL_QUARANTINE)
        return arr

    def admit_home(self, sim: Sim, ids: ArrayLike, day: int, days: int) -> I32:
        """Home quarantine for ``days`` from ``day``; returns the new admissions.

        A person already at home stays until the later end; persons in a room
        are left alone.
        """
        arr: I32 = np.asarray(ids, dtype=np.int32)
        arr = arr[self.status[arr] < CENTRAL_QUARANTINE]
        again = arr[self.status[arr] == HOME_QUARANTINE]
        self.end[again] = np.maximum(self.end[again], day + days)
        new: I32 = arr[self.status[arr] == 0]
        self._add(new)
        self.status[new] = HOME_QUARANTINE
        self.admitted[new] = day
        self.central_end[new] = -1
        self.end[new] = day + days
        CaseRegistry.isolate(sim, new, HOME_QUARANTINE)
        return new

    def _drop(self, keep: NDArray[np.bool_]) -> None:
        gone = self.active[~keep]
        self.status[gone] = 0
        self.active = self.active[keep]

    def step(self, sim: Sim, day: int, reg: CaseRegistry) -> int:
        """Start of ``day``: drop the diagnosed and dead, move and release those due.

        Returns how many were released (not counting the diagnosed).
        """
        a = self.active
        if not a.size:
            return 0
        gone = (reg.t_diagnosed[a] >= 0) | (sim.state[a] == D) | (sim.isolation[a] == ISOLATED)
        dead = a[(sim.state[a] == D) & (sim.isolation[a] != ISOLATED)]
        for status in (HOME_QUARANTINE, CENTRAL_QUARANTINE):
            reg.release(sim, dead[self.status[dead] == status], status)
        self._drop(~gone)
        a = self.active
        st = self.status[a]
        move = a[(st == CENTRAL_QUARANTINE) & (self.central_end[a] <= day)]
        out = move[self.end[move] <= day]
        home = move[self.end[move] > day]
        reg.release(sim, out, CENTRAL_QUARANTINE)
        reg.release(sim, home, CENTRAL_QUARANTINE)
        CaseRegistry.isolate(sim, home, HOME_QUARANTINE)
        self.status[home] = HOME_QUARANTINE
        done = a[(st == HOME_QUARANTINE) & (self.end[a] <= day)]
        reg.release(sim, done, HOME_QUARANTINE)
        released = np.concatenate([out, done])
        self.status[released] = 0
        self._drop(self.status[a] != 0)
        return len(released)


class QuarantineConfig(BaseModel):
    """Parameters of ``quarantine`` (defaults: the platform's quarantine domain)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Rooms (one person each); None: the city's ``quarantine_rooms``, else 15 / 10 000.
    rooms: int | None = Field(default=None, ge=0)
    central_days: int = Field(default=14, ge=1, le=60)
    #: Home quarantine after the central period (9th edition: 3 days of home monitoring).
    home_days: int = Field(default=0, ge=0, le=60)
    #: Home quarantine of secondary contacts (and of close contacts without a room:
    #: ``central_days + home_days``).
    secondary_days: int = Field(default=14, ge=1, le=60)
    secondary: Literal["home", "central"] = "home"
    #: Days of the stay (1 = admission day) with a sample; default every day of 14.
    test_days: tuple[int, ...] = tuple(range(1, 15))
    #: Persons in home quarantine are sampled on the same days.
    test_home: bool = True
    #: Risk groups' results in ≤ 6 h (DESIGN.md §3, Shenyang).
    turnaround_hours: float = Field(default=6.0, ge=0, le=240)
    sensitivity: float = Field(default=1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _days(self) -> QuarantineConfig:
        if any(d < 1 or d > 120 for d in self.test_days):
            raise ValueError("test_days must be days of the stay between 1 and 120")
        if len(set(self.test_days)) != len(self.test_days):
            raise ValueError("test_days must not repeat a day")
        return self


class CentralQuarantine:
    """The ``quarantine`` measure (see the module docstring)."""

    def __init__(self, config: QuarantineConfig, rooms_context: float | None) -> None:
        self.config = config
        self._rooms_context = rooms_context
        self.rooms = 0
        self.book: QuarantineBook | None = None
        self._results: dict[int, list[tuple[I32, NDArray[np.float64]]]] = defaultdict(list)
        self._test_days = np.zeros(0, dtype=np.bool_)

    @classmethod
    def from_config(cls, params: dict[str, Any], *, context: MeasureContext) -> Self:
        """A fresh measure from the scenario's ``params`` (ValueError ``quarantine.<field>``)."""
        config = parse_config(QuarantineConfig, params, KIND)
        rooms = context.capacity.get("quarantine_rooms")
        if rooms is not None and not (math.isfinite(rooms) and rooms >= 0):
            raise ValueError(f"{KIND}.rooms: the context's quarantine_rooms must be >= 0")
        return cls(config, None if rooms is None else float(rooms))

    def start(self, sim: Sim) -> None:
        cfg = self.config
        if cfg.rooms is not None:
            self.rooms = cfg.rooms
        elif self._rooms_context is not None:
            self.rooms = int(self._rooms_context)
        else:
            self.rooms = math.ceil(round(ROOMS_PER_10K * sim.pop.n / 10_000, 9))
        self.book = QuarantineBook(sim.pop.n)
        self._results = defaultdict(list)
        mask = np.zeros(122, dtype=np.bool_)
        mask[list(cfg.test_days)] = True
        self._test_days = mask
        registry_of(sim).quarantine_handler = True

    def apply(self, sim: Sim, day: int) -> None:
        if self.book is None:
            self.start(sim)
        book = self.book
        assert book is not None
        cfg = self.config
        reg = registry_of(sim)
        reg.start_day(sim, day)
        released = book.step(sim, day, reg)
        self._deliver(sim, day, reg, book)  # results of earlier samples free rooms first
        # today's requests: rooms in request order, the rest at home
        close, secondary = reg.take_quarantine_requests(day)
        if cfg.secondary == "central":
            close = np.concatenate([close, secondary])
            secondary = np.zeros(0, dtype=np.int32)
        close = close[(reg.t_diagnosed[close] < 0) & (sim.state[close] != D)]
        close = close[book.status[close] < CENTRAL_QUARANTINE]
        free = max(self.rooms - book.count(CENTRAL_QUARANTINE), 0)
        roomed = book.admit_central(sim, close[:free], day, cfg.central_days, cfg.home_days)
        overflow = close[free:]
        home_new = book.admit_home(sim, overflow, day, cfg.central_days + cfg.home_days)
        secondary = secondary[(reg.t_diagnosed[secondary] < 0) & (sim.state[secondary] != D)]
        home_new = np.concatenate(
            [home_new, book.admit_home(sim, secondary, day, cfg.secondary_days)]
        )
        self._sample(sim, day, book)
        self._deliver(sim, day, reg, book)  # today's samples with a same-day result
        reg.add("quarantine_admissions", day, len(roomed))
        reg.add("home_admissions", day, len(home_new))
        reg.add("no_room", day, len(overflow))
        reg.add("quarantine_released", day, released)
        reg.set("quarantine_rooms", day, self.rooms)
        reg.set("central_quarantine", day, book.count(CENTRAL_QUARANTINE))
        reg.set("home_quarantine", day, book.count(HOME_QUARANTINE))

    def _sample(self, sim: Sim, day: int, book: QuarantineBook) -> None:
        cfg = self.config
        a = book.active
        stay = day - book.admitted[a] + 1
        due = self._test_days[np.minimum(stay, len(self._test_days) - 1)]
        if not cfg.test_home:
            due &= book.status[a] == CENTRAL_QUARANTINE
        ids = a[due]
        reg = registry_of(sim)
        reg.add("quarantine_tests", day, len(ids))
        if not ids.size:
            return
        st = sim.state[ids]
        infectious = (st >= IP) & (st <= CRIT)
        pos = infectious & (uniforms(sim, day, ids, P_QUARANTINE_RESULT) < cfg.sensitivity)
        t = 24.0 * uniforms(sim, day, ids[pos], P_QUARANTINE_HOUR) + cfg.turnaround_hours
        result_day = day + np.floor(t / 24.0).astype(np.int64)
        hour = np.mod(t, 24.0)
        for d in np.unique(result_day):
            sel = result_day == d
            self._results[int(d)].append((ids[pos][sel], hour[sel]))

    def _deliver(self, sim: Sim, day: int, reg: CaseRegistry, book: QuarantineBook) -> None:
        parts = self._results.pop(day, [])
        if not parts:
            return
        ids = np.concatenate([p[0] for p in parts])
        hours = np.concatenate([p[1] for p in parts])
        new = reg.diagnose_at(sim, ids, day, QUARANTINE_TESTING, hours)
        reg.add("quarantine_positives", day, len(ids))
        if new.size:  # the diagnosed leave the book (their room is free from today)
            book.status[new] = 0
            book._drop(book.status[book.active] != 0)


__all__ = ["KIND", "ROOMS_PER_10K", "CentralQuarantine", "QuarantineBook", "QuarantineConfig"]
