"""Declarative parameters of the agent-based twin, loaded from TOML presets.

A parameter set (:class:`TwinParams`) is plain data: the transmission weight
of each contact layer, the natural history of the disease (durations as
distributions, age-dependent probabilities of symptoms, severe and critical
disease and death), the relative infectiousness of presymptomatic,
asymptomatic and admitted cases, and how much each isolation status keeps of
each layer.  Two presets ship with the package (``presets/*.toml``):

* ``wild_type`` — Covasim's defaults [1]_: durations from Lauer et al. [2]_,
  Linton et al. [3]_, Verity et al. [4]_; severe and critical probabilities
  from Ferguson et al. (Imperial report 9) [5]_; infection fatality from
  O'Driscoll et al. [6]_; susceptibility odds ratios from Zhang et al. [7]_.
* ``omicron`` — an Omicron-like variant: shorter incubation (Wu et al.
  [8]_, Backer et al. [9]_), shorter shedding (Hay et al. [10]_), more
  asymptomatic infections (Shang et al. [11]_), lower severity (Nyberg et al.
  [12]_) and higher transmissibility.

The age tables hold *overall* probabilities given infection (as published);
:mod:`.disease` turns them into the conditional probabilities the engine
draws from, after the variant's ``severity`` factors, which scale the
conditional probabilities as Covasim's ``rel_*_prob`` do.

References
----------
.. [1] C. C. Kerr et al., "Covasim: an agent-based model of COVID-19
   dynamics and interventions", *PLoS Comput. Biol.* 17(7):e1009149, 2021
   (``covasim/parameters.py``, version 4.0.1).
.. [2] S. A. Lauer et al., *Ann. Intern. Med.* 172(9):577–582, 2020.
.. [3] N. M. Linton et al., *J. Clin. Med.* 9(2):538, 2020.
.. [4] R. Verity et al., *Lancet Infect. Dis.* 20(6):669–677, 2020.
.. [5] N. M. Ferguson et al., Imperial College COVID-19 Response Team,
   Report 9, 16 March 2020, Table 1.
.. [6] M. O'Driscoll et al., *Nature* 590:140–145, 2021.
.. [7] J. Zhang et al., *Science* 368(6498):1481–1486, 2020.
.. [8] Y. Wu et al., *JAMA Netw. Open* 5(8):e2228008, 2022.
.. [9] J. A. Backer et al., *Euro Surveill.* 27(6):2200042, 2022.
.. [10] J. A. Hay et al., *eLife* 11:e81849, 2022.
.. [11] W. Shang et al., *Vaccines* 10(7):1049, 2022.
.. [12] T. Nyberg et al., *Lancet* 399(10332):1303–1312, 2022.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

#: Contact layers, in the order of every per-layer array of the engine.
LAYERS: Final = ("household", "school", "work", "community")
HOUSEHOLD, SCHOOL, WORK, COMMUNITY = 0, 1, 2, 3
N_LAYERS: Final = len(LAYERS)
#: Isolation statuses an agent can be given by a measure (``Sim.isolation``).
ISOLATION_STATUSES: Final = ("none", "home_quarantine", "central_quarantine", "isolated")
NO_ISOLATION, HOME_QUARANTINE, CENTRAL_QUARANTINE, ISOLATED = 0, 1, 2, 3
#: Community pools, smallest first.
POOL_LEVELS: Final = ("community", "district", "city")
PRESETS: Final = ("omicron", "wild_type")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Duration(_Model):
    """A duration in days: ``fixed`` (the mean), ``lognormal`` or ``gamma`` (mean, sd).

    Draws are rounded to whole days, at least one day (the engine steps in days).
    """

    dist: Literal["fixed", "lognormal", "gamma"] = "lognormal"
    mean: float = Field(gt=0, le=365)
    sd: float = Field(default=0.0, ge=0, le=365)

    @model_validator(mode="after")
    def _sd_for_random(self) -> Duration:
        if self.dist != "fixed" and self.sd <= 0:
            raise ValueError(f"sd must be > 0 for a {self.dist} duration")
        return self


class Durations(_Model):
    """The natural history's waiting times (Covasim's ``dur``)."""

    exposed_to_infectious: Duration
    infectious_to_symptomatic: Duration
    symptomatic_to_severe: Duration
    severe_to_critical: Duration
    asymptomatic_to_recovered: Duration
    mild_to_recovered: Duration
    severe_to_recovered: Duration
    critical_to_recovered: Duration
    critical_to_death: Duration


class AgeTable(_Model):
    """Age bins (lower limits, years) and per-bin probabilities given infection.

    ``p_severe``, ``p_critical`` and ``p_death`` are overall probabilities
    given infection, so each must not exceed the previous state's.
    """

    cutoffs: list[int]
    rel_susceptibility: list[float]
    p_symptomatic: list[float]
    p_severe: list[float]
    p_critical: list[float]
    p_death: list[float]

    @model_validator(mode="after")
    def _consistent(self) -> AgeTable:
        n = len(self.cutoffs)
        if n == 0 or n > 100:
            raise ValueError("cutoffs must hold 1 to 100 age bins")
        if self.cutoffs[0] != 0:
            raise ValueError("cutoffs must start at 0")
        if any(b <= a for a, b in pairwise(self.cutoffs)):
            raise ValueError("cutoffs must be strictly increasing")
        for name in ("rel_susceptibility", "p_symptomatic", "p_severe", "p_critical", "p_death"):
            values = getattr(self, name)
            if len(values) != n:
                raise ValueError(f"{name} must have one value per age bin ({n}), got {len(values)}")
            if any(v < 0 for v in values):
                raise ValueError(f"{name} must be >= 0")
        chain = ("p_symptomatic", "p_severe", "p_critical", "p_death")
        if any(v > 1 for v in self.p_symptomatic):
            raise ValueError("p_symptomatic must be <= 1")
        for hi, lo in pairwise(chain):
            for i, (a, b) in enumerate(zip(getattr(self, hi), getattr(self, lo), strict=True)):
                if b > a:
                    raise ValueError(
                        f"{lo}[{i}] = {b} exceeds {hi}[{i}] = {a}: overall probabilities "
                        "must not increase along symptomatic → severe → critical → death"
                    )
        return self


class Severity(_Model):
    """Variant factors on the conditional probabilities (Covasim's ``rel_*_prob``)."""

    rel_symptomatic: float = Field(default=1.0, ge=0)
    rel_severe: float = Field(default=1.0, ge=0)
    rel_critical: float = Field(default=1.0, ge=0)
    rel_death: float = Field(default=1.0, ge=0)


class Transmission(_Model):
    """Relative infectiousness by state and its individual variation."""

    rel_presymptomatic: float = Field(default=1.0, ge=0)
    rel_asymptomatic: float = Field(default=0.75, ge=0)
    #: Severe and critical cases are admitted: hospital transmission is not modelled.
    rel_admitted: float = Field(default=0.0, ge=0)
    #: Gamma shape k of each infection's relative infectiousness (mean 1);
    #: 0 = every infection equally infectious.  Covasim's default is 0.45.
    dispersion: float = Field(default=0.0, ge=0)


class GroupLayer(_Model):
    """A layer of small groups where every member meets every other member daily."""

    #: Per-contact daily hazard (≈ probability for small values).
    beta: float = Field(ge=0, le=10)
    #: Probability of attending on an active day (school and work; household: 1).
    attendance: float = Field(default=1.0, ge=0, le=1)


class CommunityLayer(_Model):
    """Random contacts within nested pools (community, district, city).

    Agent *i* makes ``a_i`` contacts a day; partners are drawn in proportion to
    their own ``a_j``: ``share[level]`` of them in the agent's pool at that
    level.  ``a_i`` is ``contacts[age bin]`` (× ``weekend_factor`` on Saturday
    and Sunday), or ``contacts_per_visit`` × the agent's venue check-ins
    outside its own organisation when the twin is driven by the lake.
    """

    beta: float = Field(ge=0, le=10)
    contacts: list[float]
    weekend_factor: float = Field(default=1.0, ge=0)
    contacts_per_visit: float = Field(default=3.0, ge=0)
    level_shares: list[float] = Field(default_factory=lambda: [0.7, 0.2, 0.1])

    @model_validator(mode="after")
    def _shares(self) -> CommunityLayer:
        if len(self.level_shares) != len(POOL_LEVELS):
            raise ValueError("level_shares must have 3 values (community, district, city)")
        if any(s < 0 for s in self.level_shares) or abs(sum(self.level_shares) - 1) > 1e-9:
            raise ValueError("level_shares must be >= 0 and sum to 1")
        if any(c < 0 for c in self.contacts):
            raise ValueError("contacts must be >= 0")
        return self


class Layers(_Model):
    household: GroupLayer
    school: GroupLayer
    work: GroupLayer
    community: CommunityLayer


class Isolation(_Model):
    """Share of each layer (household, school, work, community) kept by each status."""

    home_quarantine: list[float] = Field(default_factory=lambda: [1.0, 0.0, 0.0, 0.0])
    central_quarantine: list[float] = Field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    isolated: list[float] = Field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])

    @model_validator(mode="after")
    def _four(self) -> Isolation:
        for name in ("home_quarantine", "central_quarantine", "isolated"):
            v = getattr(self, name)
            if len(v) != N_LAYERS or any(not 0 <= x <= 1 for x in v):
                raise ValueError(f"{name} must have 4 values (one per layer) in [0, 1]")
        return self


class TwinParams(_Model):
    """Everything the engine needs about the pathogen and the contact layers."""

    name: str
    description: str = ""
    transmission: Transmission
    layers: Layers
    durations: Durations
    age: AgeTable
    severity: Severity = Severity()
    isolation: Isolation = Isolation()

    @model_validator(mode="after")
    def _contacts_per_bin(self) -> TwinParams:
        n = len(self.age.cutoffs)
        if len(self.layers.community.contacts) != n:
            raise ValueError(
                f"layers.community.contacts must have one value per age bin ({n}), "
                f"got {len(self.layers.community.contacts)}"
            )
        return self

    def updated(self, changes: dict[str, Any]) -> TwinParams:
        """A copy with dotted keys replaced, validated: ``{"layers.household.beta": 0.1}``."""
        data = self.model_dump()
        for key, value in changes.items():
            node = data
            parts = key.split(".")
            for part in parts[:-1]:
                if not isinstance(node, dict) or part not in node:
                    raise ValueError(f"{key}: no such parameter")
                node = node[part]
            if not isinstance(node, dict) or parts[-1] not in node:
                raise ValueError(f"{key}: no such parameter")
            node[parts[-1]] = value
        return parse_params(data, source="updated")


def parse_params(data: dict[str, Any], *, source: str = "params") -> TwinParams:
    """Validate a parameter mapping; errors name ``source`` and the dotted field."""
    try:
        return TwinParams.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ValueError(f"{source}: {loc}: {err['msg']}") from None


def load_params(path: str | Path) -> TwinParams:
    """Read a parameter file (TOML, same keys as the presets)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{p}: {exc}") from None
    return parse_params(data, source=str(p))


def load_preset(name: str = "omicron") -> TwinParams:
    """One of the shipped presets: ``omicron`` (default) or ``wild_type``."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {name!r}")
    text = resources.files(__package__).joinpath("presets", f"{name}.toml").read_text("utf-8")
    return parse_params(tomllib.loads(text), source=f"preset {name}")
