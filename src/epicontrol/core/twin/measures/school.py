"""School closure (停课) in the twin: the school layer closed city-wide or by district.

Schools close from ``start_day`` or, with ``after_cases``, ``delay_days``
after the day the cumulative diagnosed cases (the run's
:class:`~.registry.CaseRegistry`) reach ``after_cases`` — in the whole city,
or, with ``districts``, in each named district on its own (cases counted by
the residents' home district).  They stay closed for ``days`` days (None:
to the end of the run).  While closed, pupils keep ``factor`` of their school
contacts (0: closed; e.g. 0.5 for half the classes by rotation).

* City-wide, the closure multiplies ``sim.layer_factor[SCHOOL]`` (reset by
  the engine every day) by ``factor``.
* By district, it sets ``sim.area_mult[SCHOOL, k]`` to ``factor`` for every
  home community *k* of the district and back to 1 on reopening (this
  measure owns the school row of ``area_mult``).  The twin's school classes
  have no place, so a pupil belongs to the district it lives in: a pupil
  living in a closed district stays home whatever its school, and its
  classmates from other districts still meet each other.

The trigger counts today's diagnoses too: the measure runs last in a day
(:data:`~.ORDER`), after every testing measure.  The plans set no threshold;
closures were decided case by case (the national plan, 9th ed., lists
"停课" among the measures of an outbreak area [1]_), so ``after_cases`` has no
default.

Figures: ``schools_closed`` (districts whose schools are closed that day; all
districts when closed city-wide) and ``pupils_home`` (agents with a school
class whose school contacts are cut or reduced).

References
----------
.. [1] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from ..params import SCHOOL
from .registry import parse_config, registry_of
from .zones import ConfigModel

if TYPE_CHECKING:
    from ..sim import Sim
    from . import MeasureContext

KIND = "school_closure"


class SchoolClosureConfig(ConfigModel):
    """Scenario parameters of ``school_closure`` (see the module docstring)."""

    start_day: int | None = Field(default=None, ge=0)
    after_cases: int | None = Field(default=None, ge=1)
    delay_days: int = Field(default=1, ge=0, le=60)
    days: int | None = Field(default=None, ge=1)
    districts: list[str] = Field(default_factory=list)
    factor: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _one_trigger(self) -> SchoolClosureConfig:
        if self.start_day is not None and self.after_cases is not None:
            raise ValueError("after_cases: give either start_day or after_cases, not both")
        if "delay_days" in self.model_fields_set and self.after_cases is None:
            raise ValueError("delay_days: only with after_cases")
        if len(set(self.districts)) != len(self.districts):
            raise ValueError("districts: each district once")
        return self


class SchoolClosure:
    """Schools closed from a day or after a number of cases (module docstring)."""

    def __init__(self, config: SchoolClosureConfig) -> None:
        self.config = config
        self._started = False

    @classmethod
    def from_config(cls, params: dict[str, Any], *, context: MeasureContext) -> Self:
        return cls(parse_config(SchoolClosureConfig, params, KIND))

    def start(self, sim: Sim) -> None:
        c, pop = self.config, sim.pop
        names = pop.district_names
        for name in c.districts:
            if name not in names:
                raise ValueError(
                    f"{KIND}.districts: unknown district {name!r} (known: {', '.join(names)})"
                )
        #: Scopes: one per named district, or one for the whole city (-1).
        self.scopes = np.array([names.index(d) for d in c.districts] or [-1], np.int64)
        first = c.start_day if c.start_day is not None else (None if c.after_cases else 0)
        #: Closing day of each scope (-1: not triggered yet).
        self.close_day = np.full(len(self.scopes), -1 if first is None else first, np.int64)
        self.cases = np.zeros(len(self.scopes), np.int64)
        self.closed = np.zeros(len(self.scopes), np.bool_)
        self.scope_communities: list[NDArray[np.int64]] = []
        self.scope_pupils: list[int] = []
        pupil = pop.school_group >= 0
        for k in self.scopes.tolist():
            lives = np.ones(pop.n, np.bool_) if k < 0 else pop.district == k
            self.scope_communities.append(np.unique(pop.community[lives]).astype(np.int64))
            self.scope_pupils.append(int((lives & pupil).sum()))
        self._started = True

    def apply(self, sim: Sim, day: int) -> None:
        reg = registry_of(sim)
        reg.start_day(sim, day)
        if not self._started:
            raise RuntimeError("school_closure: start(sim) must run before apply")
        c, pop = self.config, sim.pop
        city = bool(self.scopes[0] < 0)
        # the trigger counts today's diagnoses (this measure runs after every testing measure)
        if c.after_cases is not None:
            new = reg.diagnosed_on(day)
            if len(new):
                if city:
                    self.cases[0] += len(new)
                else:
                    by = np.bincount(pop.district[new], minlength=pop.n_districts)
                    self.cases += by[self.scopes]
            hit = (self.close_day < 0) & (self.cases >= c.after_cases)
            self.close_day[hit] = day + c.delay_days
        open_at = self.close_day + (c.days if c.days is not None else 10**9)
        should = (self.close_day >= 0) & (day >= self.close_day) & (day < open_at)
        if city:
            if should[0]:
                sim.layer_factor[SCHOOL] *= c.factor
        else:
            for s in np.flatnonzero(should != self.closed).tolist():
                value = c.factor if should[s] else 1.0
                sim.area_mult[SCHOOL, self.scope_communities[s]] = value
        self.closed = should
        n_closed = (pop.n_districts if should[0] else 0) if city else int(should.sum())
        reg.set("schools_closed", day, n_closed)
        pupils = sum(p for p, on in zip(self.scope_pupils, should.tolist(), strict=True) if on)
        reg.set("pupils_home", day, pupils)


__all__ = ["KIND", "SchoolClosure", "SchoolClosureConfig"]
