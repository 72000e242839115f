"""Symptomatic testing: persons with symptoms seek a test; the lab's turnaround; positives reported.

Each day (the engine runs measures at the start of a day, so today's state
holds the onsets of yesterday and before):

* a symptomatic agent (state IS) not diagnosed and without a test pending
  seeks a test with probability ``test_prob`` a day from ``seek_delay`` days
  after its onset (Covasim's ``test_prob(symp_prob=…)`` [1]_; 0.2 a day as in
  the Covasim runs the platform compares against, PEERS.md; the earliest is
  the day after onset, as the engine's onsets happen after the measures); one under
  home or centralised quarantine, whose health is monitored daily, with
  ``p_quarantined``;
* a severe or critical agent (admitted to hospital) is tested on admission
  (``test_admitted``), i.e. the first day it is seen in hospital untested;
* the sample is taken at a random hour of the day (uniform, counter-based:
  the same agent and day give the same hour for any thread count or
  scenario of the seed) and the result comes back ``turnaround_hours`` later
  — DESIGN.md §3's lab rule (≤ 12 h, Shenyang) — on the day that hour falls
  on; a test is positive with probability ``sensitivity`` (symptomatic,
  severe and critical agents are infectious; Covasim's default is 1, as is
  the platform's :mod:`epicontrol.core.operations.pooling`);
* a positive result diagnoses the agent (found by symptomatic testing) with
  the hour of the result, which starts the tracing playbook's clock; after a
  negative result the agent may seek a test again.

Admitted-case testing runs from ``start_day``; testing of mild symptomatic
persons from ``start_day`` and once the registry holds
``start_after_diagnoses`` diagnoses (the outbreak recognised, e.g. from
hospital cases: 0 = no trigger).

Figures (registry, per day): ``tests`` (samples taken), ``positives``
(positive results returned), ``tests_admitted`` (of ``tests``, on admission).

References
----------
.. [1] C. C. Kerr et al., "Covasim: an agent-based model of COVID-19
   dynamics and interventions", *PLoS Comput. Biol.* 17(7):e1009149, 2021,
   §"Testing" (``cv.test_prob``, ``symp_prob``, ``test_delay``, ``sensitivity``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from ..disease import CRIT, IS, SEV
from ..params import CENTRAL_QUARANTINE, HOME_QUARANTINE, ISOLATED
from .registry import (
    P_TEST_HOUR,
    P_TEST_RESULT,
    P_TEST_SEEK,
    SYMPTOMATIC,
    parse_config,
    registry_of,
    uniforms,
)

if TYPE_CHECKING:
    from ..sim import Sim
    from . import MeasureContext

I32 = NDArray[np.int32]
F64 = NDArray[np.float64]

KIND = "symptomatic_testing"


class TestingConfig(BaseModel):
    """Parameters of ``symptomatic_testing``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    test_prob: float = Field(default=0.2, ge=0, le=1)
    #: Days from onset to the first day a test may be sought (≥ 1: the
    #: measures act at the start of a day, before that day's onsets).
    seek_delay: int = Field(default=1, ge=1, le=30)
    p_quarantined: float = Field(default=1.0, ge=0, le=1)
    test_admitted: bool = True
    turnaround_hours: float = Field(default=12.0, ge=0, le=240)
    sensitivity: float = Field(default=1.0, gt=0, le=1)
    start_day: int = Field(default=0, ge=0)
    start_after_diagnoses: int = Field(default=0, ge=0)


class SymptomaticTesting:
    """The ``symptomatic_testing`` measure (see the module docstring)."""

    def __init__(self, config: TestingConfig) -> None:
        self.config = config
        self._pending = np.zeros(0, dtype=np.bool_)
        self._results: dict[int, list[tuple[I32, NDArray[np.bool_], F64]]] = defaultdict(list)
        self._triggered = config.start_after_diagnoses == 0

    @classmethod
    def from_config(cls, params: dict[str, Any], *, context: MeasureContext) -> Self:
        """A fresh measure from ``params`` (ValueError ``symptomatic_testing.<field>``)."""
        return cls(parse_config(TestingConfig, params, KIND))

    def start(self, sim: Sim) -> None:
        self._pending = np.zeros(sim.pop.n, dtype=np.bool_)
        self._results = defaultdict(list)
        self._triggered = self.config.start_after_diagnoses == 0

    def apply(self, sim: Sim, day: int) -> None:
        if len(self._pending) != sim.pop.n:
            self.start(sim)
        cfg = self.config
        reg = registry_of(sim)
        reg.start_day(sim, day)
        if day >= cfg.start_day:
            self._take_samples(sim, day)
        parts = self._results.pop(day, [])
        if not parts:
            return
        ids = np.concatenate([p[0] for p in parts])
        pos = np.concatenate([p[1] for p in parts])
        hours = np.concatenate([p[2] for p in parts])
        self._pending[ids] = False
        reg.diagnose_at(sim, ids[pos], day, SYMPTOMATIC, hours[pos])
        reg.add("positives", day, int(pos.sum()))

    def _take_samples(self, sim: Sim, day: int) -> None:
        cfg = self.config
        reg = registry_of(sim)
        if not self._triggered:
            self._triggered = int((reg.t_diagnosed >= 0).sum()) >= cfg.start_after_diagnoses
        state = sim.state
        free = (reg.t_diagnosed < 0) & ~self._pending
        admitted = np.zeros(0, dtype=np.int32)
        if cfg.test_admitted:
            admitted = np.flatnonzero(((state == SEV) | (state == CRIT)) & free).astype(np.int32)
        mild = np.zeros(0, dtype=np.int32)
        if self._triggered:
            mild = np.flatnonzero(
                (state == IS) & free & (sim.t_onset <= day - cfg.seek_delay)
            ).astype(np.int32)
            iso = sim.isolation[mild]
            prob = np.where(
                (iso == HOME_QUARANTINE) | (iso == CENTRAL_QUARANTINE),
                cfg.p_quarantined,
                cfg.test_prob,
            )
            prob[iso == ISOLATED] = 0.0  # isolated without a diagnosis: not ours to test
            mild = mild[uniforms(sim, day, mild, P_TEST_SEEK) < prob]
        ids = np.sort(np.concatenate([admitted, mild]))
        reg.add("tests", day, len(ids))
        reg.add("tests_admitted", day, len(admitted))
        if not ids.size:
            return
        self._pending[ids] = True
        t = 24.0 * uniforms(sim, day, ids, P_TEST_HOUR) + cfg.turnaround_hours
        result_day = day + np.floor(t / 24.0).astype(np.int64)
        hour = np.mod(t, 24.0)
        # every tested agent is symptomatic or admitted, hence infectious
        positive = uniforms(sim, day, ids, P_TEST_RESULT) < cfg.sensitivity
        for d in np.unique(result_day):
            sel = result_day == d
            self._results[int(d)].append((ids[sel], positive[sel], hour[sel]))


__all__ = ["KIND", "SymptomaticTesting", "TestingConfig"]
