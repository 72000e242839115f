"""Vaccination by age in the twin: coverage per age band, daily doses oldest first, efficacy.

``coverage`` maps the lower limits of age bands to the share of the band
vaccinated: ``{"12": 0.9, "60": 0.8}`` is 90 % of the 12–59-year-olds and 80 %
of those 60 and older (nobody under 12); the bands may be the lower limits of
the parameters' age table (``params.age.cutoffs``) or any others.  Each band's
vaccinees are drawn once, exactly ``round(coverage × residents)`` of them at
random, when the run starts; from ``start_day`` they get ``doses_per_day``
doses a day (None: everybody on ``start_day``), oldest first (ties in random
order), the priority of the national campaign for the elderly [2]_.  A vaccinee
who has died by its turn is skipped and its dose goes to the next one.
Vaccination does not check infection status (campaigns do not test first):
a vaccinee infected before its protection day keeps its course.

A course (the model's single "dose") protects from ``days_to_protection``
days later (default 14: the usual "fully vaccinated" two weeks after the last dose),
by multiplying

* ``sim.rel_sus`` by ``1 − efficacy_infection`` — the hazard of infection; and
* ``sim.rel_sev`` by ``1 − efficacy_severe`` — P(severe | symptomatic), i.e.
  the efficacy against severe disease *given infection* (vaccination does not
  change the symptomatic share here), so that the protection against severe
  disease is ``1 − (1 − VE_inf)(1 − VE_sev)``.

Defaults from the inactivated vaccine CoronaVac in Chile [1]_: 65.9 % against
COVID-19 (taken as the efficacy against infection) and 87.5 % against
hospitalisation, hence ``VE_sev = 1 − (1 − 0.875) / (1 − 0.659) = 0.633``.

Figures: ``doses`` (given that day), ``vaccinated`` and ``protected``
(cumulative, end of day).

References
----------
.. [1] Jara A, Undurraga EA, González C, et al. Effectiveness of an
   inactivated SARS-CoV-2 vaccine in Chile. *N. Engl. J. Med.*
   385(10):875–884, 2021.
.. [2] 国务院联防联控机制综合组, 加强老年人新冠病毒疫苗接种工作方案, 2022.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from ..disease import D
from ..population import MAX_AGE
from .registry import parse_config, registry_of
from .zones import ConfigModel

if TYPE_CHECKING:
    from ..sim import Sim
    from . import MeasureContext

I32 = NDArray[np.int32]

KIND = "vaccination"
#: Jara et al. 2021 (module docstring).
EFFICACY_INFECTION: Final = 0.659
EFFICACY_SEVERE: Final = round(1.0 - (1.0 - 0.875) / (1.0 - 0.659), 3)
_SALT = 0x76616363  # "vacc"


class VaccinationConfig(ConfigModel):
    """Scenario parameters of ``vaccination`` (see the module docstring)."""

    coverage: dict[int, float]
    efficacy_infection: float = Field(default=EFFICACY_INFECTION, ge=0, le=1)
    efficacy_severe: float = Field(default=EFFICACY_SEVERE, ge=0, le=1)
    doses_per_day: int | None = Field(default=None, ge=1)
    start_day: int = Field(default=0, ge=0)
    days_to_protection: int = Field(default=14, ge=0, le=365)

    @field_validator("coverage")
    @classmethod
    def _bands(cls, value: dict[int, float]) -> dict[int, float]:
        if not value:
            raise ValueError("give at least one age band, e.g. {'60': 0.8}")
        for age, share in value.items():
            if not 0 <= age <= MAX_AGE:
                raise ValueError(f"age band lower limits must be 0..{MAX_AGE}, got {age}")
            if not 0 <= share <= 1:
                raise ValueError(f"the share of band {age} must be in [0, 1], got {share}")
        return dict(sorted(value.items()))


class Vaccination:
    """Courses by age band, oldest first, protecting after a lag (module docstring)."""

    def __init__(self, config: VaccinationConfig) -> None:
        self.config = config
        self._started = False

    @classmethod
    def from_config(cls, params: dict[str, Any], *, context: MeasureContext) -> Self:
        return cls(parse_config(VaccinationConfig, params, KIND))

    def start(self, sim: Sim) -> None:
        c = self.config
        rng = np.random.default_rng(np.random.SeedSequence([sim.seed, _SALT]))
        age = sim.pop.age.astype(np.int64)
        lower = np.array(list(c.coverage), np.int64)
        share = np.array(list(c.coverage.values()), np.float64)
        band = np.searchsorted(lower, age, "right") - 1
        chosen: list[I32] = []
        for b in range(len(lower)):
            members = np.flatnonzero(band == b).astype(np.int32)
            k = round(float(share[b]) * len(members))
            chosen.append(np.sort(rng.choice(members, size=k, replace=False)).astype(np.int32))
        who = np.concatenate(chosen) if chosen else np.zeros(0, np.int32)
        tie = rng.random(len(who))
        #: Vaccinees in the order they get their course.
        self.queue = who[np.lexsort((tie, -age[who]))]
        self.vaccinated_day = np.full(sim.pop.n, -1, np.int32)
        self.pending: dict[int, list[I32]] = {}
        self.n_vaccinated = 0
        self.n_protected = 0
        self._started = True

    def apply(self, sim: Sim, day: int) -> None:
        reg = registry_of(sim)
        reg.start_day(sim, day)
        if not self._started:
            raise RuntimeError("vaccination: start(sim) must run before apply")
        c = self.config
        doses = 0
        if day >= c.start_day and len(self.queue):
            alive = self.queue[sim.state[self.queue] != D]
            take = len(alive) if c.doses_per_day is None else min(c.doses_per_day, len(alive))
            ids, self.queue = alive[:take], alive[take:]
            self.vaccinated_day[ids] = day
            self.pending.setdefault(day + c.days_to_protection, []).append(ids)
            doses = take
            self.n_vaccinated += take
        for due in sorted(d for d in self.pending if d <= day):
            ids = np.concatenate(self.pending.pop(due))
            sim.rel_sus[ids] *= np.float32(1.0 - c.efficacy_infection)
            sim.rel_sev[ids] *= np.float32(1.0 - c.efficacy_severe)
            self.n_protected += len(ids)
        reg.add("doses", day, doses)
        reg.set("vaccinated", day, self.n_vaccinated)
        reg.set("protected", day, self.n_protected)


__all__ = ["EFFICACY_INFECTION", "EFFICACY_SEVERE", "KIND", "Vaccination", "VaccinationConfig"]
