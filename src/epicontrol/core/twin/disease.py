"""Natural history of the twin's disease: states, prognoses and duration tables.

Each infection follows Covasim's branching [1]_::

    S → E → IP (presymptomatic) → IS (symptomatic, mild) → SEV (severe) → CRIT (critical) → D
              └→ IA (asymptomatic) → R          └→ R              └→ R                └→ R

The branch taken at each step is drawn when the state is entered (E → IP or
IA when the infection becomes infectious; IS → SEV or R at symptom onset;
SEV → CRIT or R on admission; CRIT → D or R on entering intensive care),
with the age bin's conditional probability; the time to the next state is
drawn from the duration distribution of the branch, in whole days (at least
one).  Severe agents occupy a hospital bed and critical agents an ICU bed
until they leave the state.  States IP, IS, IA, SEV and CRIT are infectious,
with relative infectiousness ``rel_presymptomatic``, 1, ``rel_asymptomatic``
and ``rel_admitted`` (severe and critical).

This module holds the plain tables the kernels read; :mod:`.kernels` draws.

References
----------
.. [1] C. C. Kerr et al., "Covasim: an agent-based model of COVID-19
   dynamics and interventions", *PLoS Comput. Biol.* 17(7):e1009149, 2021,
   §"Disease progression".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from .params import Duration, TwinParams

F64 = NDArray[np.float64]

STATES: Final = (
    "susceptible",
    "exposed",
    "presymptomatic",
    "symptomatic",
    "asymptomatic",
    "severe",
    "critical",
    "recovered",
    "dead",
)
S, E, IP, IS, IA, SEV, CRIT, R, D = range(9)
N_STATES: Final = len(STATES)
INFECTIOUS_STATES: Final = (IP, IS, IA, SEV, CRIT)

#: Duration table rows (the kernels index them by number).
DURATIONS: Final = (
    "exposed_to_infectious",
    "infectious_to_symptomatic",
    "symptomatic_to_severe",
    "severe_to_critical",
    "asymptomatic_to_recovered",
    "mild_to_recovered",
    "severe_to_recovered",
    "critical_to_recovered",
    "critical_to_death",
)
DIST_FIXED, DIST_LOGNORMAL, DIST_GAMMA = 0, 1, 2

#: History bits per agent (``Sim.history``): states ever entered.
EVER_INFECTED, EVER_SYMPTOMATIC, EVER_SEVERE, EVER_CRITICAL, EVER_DEAD = 1, 2, 4, 8, 16


@dataclass(frozen=True)
class DiseaseTables:
    """Arrays of the natural history for the kernels.

    ``prog[b]`` holds, for age bin *b*: P(symptomatic | infected),
    P(severe | symptomatic), P(critical | severe), P(death | critical).
    ``dur_kind``, ``dur_a``, ``dur_b`` encode each duration: fixed (mean),
    lognormal (μ, σ of the log) or gamma (shape, scale).
    """

    cutoffs: NDArray[np.int64]
    rel_sus: F64
    prog: F64  # (bins, 4)
    dur_kind: NDArray[np.int64]
    dur_a: F64
    dur_b: F64
    rel_trans_state: F64  # per state
    dispersion: float

    def age_bin(self, age: NDArray[np.integer]) -> NDArray[np.int8]:
        """The age bin of each age (bins start at ``cutoffs``; the last is open)."""
        return (np.searchsorted(self.cutoffs, age, side="right") - 1).astype(np.int8)

    def overall(self) -> F64:
        """Overall P(symptomatic), P(severe), P(critical), P(death) given infection, per bin."""
        return np.asarray(np.cumprod(self.prog, axis=1), dtype=np.float64)


def _encode(d: Duration) -> tuple[int, float, float]:
    if d.dist == "fixed":
        return DIST_FIXED, d.mean, 0.0
    if d.dist == "lognormal":
        sigma2 = float(np.log1p((d.sd / d.mean) ** 2))
        return DIST_LOGNORMAL, float(np.log(d.mean) - sigma2 / 2), float(np.sqrt(sigma2))
    shape = (d.mean / d.sd) ** 2
    return DIST_GAMMA, shape, d.mean / shape


def _ratio(num: list[float], den: list[float]) -> F64:
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    return np.divide(n, d, out=np.zeros_like(n), where=d > 0)


def disease_tables(params: TwinParams) -> DiseaseTables:
    """Conditional probabilities (after the variant's factors) and encoded durations."""
    age = params.age
    sev = params.severity
    prog = np.stack(
        [
            np.asarray(age.p_symptomatic) * sev.rel_symptomatic,
            _ratio(age.p_severe, age.p_symptomatic) * sev.rel_severe,
            _ratio(age.p_critical, age.p_severe) * sev.rel_critical,
            _ratio(age.p_death, age.p_critical) * sev.rel_death,
        ],
        axis=1,
    )
    prog = np.clip(prog, 0.0, 1.0)
    enc = [_encode(getattr(params.durations, name)) for name in DURATIONS]
    tr = params.transmission
    rel = np.zeros(N_STATES)
    rel[IP] = tr.rel_presymptomatic
    rel[IS] = 1.0
    rel[IA] = tr.rel_asymptomatic
    rel[SEV] = rel[CRIT] = tr.rel_admitted
    return DiseaseTables(
        cutoffs=np.asarray(age.cutoffs, dtype=np.int64),
        rel_sus=np.asarray(age.rel_susceptibility, dtype=np.float64),
        prog=prog,
        dur_kind=np.array([e[0] for e in enc], dtype=np.int64),
        dur_a=np.array([e[1] for e in enc], dtype=np.float64),
        dur_b=np.array([e[2] for e in enc], dtype=np.float64),
        rel_trans_state=rel,
        dispersion=float(tr.dispersion),
    )
