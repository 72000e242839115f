"""Twin scenarios: what to simulate, written as YAML, validated field by field.

A scenario names the city, the pathogen (a preset and dotted overrides),
the imported cases, the measures with their start days or triggers, the
horizon, the number of runs and the seed; :mod:`.ensemble` turns it into an
ensemble of seeded runs and outcome summaries.  Example::

    name: full package
    city: {generate: {population: 50000, seed: 1}}   # or {workspace: var/demo}; omit = CLI's
    preset: omicron
    params: {layers.community.beta: 0.03}            # dotted keys of TwinParams
    seeding:
      - {district: 中洲区, count: 1, day: 0}          # name or 0-based index; omit = anywhere
    measures:
      - {kind: symptomatic_testing}
      - {kind: contact_tracing, start_day: 3}
      - {kind: zones, trigger: {diagnosed: 1, delay_days: 1}}
    horizon: 90
    runs: 5
    seed: 7
    capacity: {rooms: 800, tracers: 12}              # override the city's records
    rt: {series: onset, window: 7}                   # serial interval: the preset's

Every key is checked (pydantic, ``extra="forbid"``); errors are
``"<source>: <yaml path>: <rule>"``, e.g. ``"a.yaml: measures[2].kind: must be
one of ..."``.  A measure's own keys (everything but ``kind``, ``start_day``
and ``trigger``) are checked by the measure's ``from_config`` when the
ensemble is built (:func:`.ensemble.build_measures`), with the same path.

Serial interval for Rt (:func:`natural_serial_interval`): unless the scenario
gives ``rt.si_mean`` / ``rt.si_sd``, Rt is estimated with the serial interval
of the preset's own natural history, so that the estimate and the engine
agree on what "one generation" is: for a symptomatic infector infected on day
0 (latency *e*, presymptomatic *p*, mild symptomatic *m* days, drawn as the
engine draws them), the day of transmission is spread over its infectious
days in proportion to its infectiousness (``rel_presymptomatic`` on the
presymptomatic days, 1 on the symptomatic ones), and the infectee's onset
follows its own latency and presymptomatic period:
``SI = t + e' + p' - (e + p)``.  Monte Carlo over 200,000 pairs gives mean
5.4 d, sd 2.8 d for ``omicron`` and 8.7 d, sd 3.4 d for ``wild_type``
(Covasim's 8-day mild infectious period at full infectiousness; published
serial intervals are shorter, e.g. Omicron BA.1 3.5 d, Backer et al. 2022 [1]_,
ancestral 4.7 d, Nishiura et al. 2020 [2]_, partly because isolation cuts
the late transmissions).  The ensemble also reports the serial interval
realised in each run (onset-to-onset of infector–infectee pairs), which is
shorter while the epidemic grows and susceptibles deplete.

Quick mode (:func:`run_quick`, :func:`homogeneous_params`)
----------------------------------------------------------
One community pool, no households, classes or teams, age-independent
susceptibility, every agent making the same ``c`` contacts a day.  The
engine's infection probability is ``1 - exp(-h)`` with the hazard
``h = β a_i Σ_j a_j w_j / Σ_j a_j = β c I / N``, so one infectious agent
causes ``N (1 - e^{-β c / N}) → β c`` infections a day and, infectious for
exactly ``D`` days (fixed duration), ``R0 = β c D``: the quick mode sets the
community ``β = R0 / (c D)``.  Because the daily escape probability is
exactly ``exp(-h)``, a susceptible escapes the whole epidemic with
probability ``exp(-(β c / N) Σ_d I_d) = exp(-R0 · z)`` (``Σ_d I_d = D × ever
infected``): the discrete day step leaves the Kermack–McKendrick final size
``z = 1 - exp(-R0 z)`` unbiased (tested at 200,000 agents).  ``sir`` uses
the engine's shortest latency (one day: infected on day *d*, infectious
from *d* + 1 to *d* + *D*); ``seir`` a fixed latency of ``latent_days``.
Every infection is asymptomatic (no severity), infectious with weight 1.

References
----------
.. [1] J. A. Backer et al., "Shorter serial intervals in SARS-CoV-2 cases with
   Omicron BA.1 variant compared with Delta variant, the Netherlands, 13 to
   26 December 2021", *Euro Surveill.* 27(6):2200042, 2022.
.. [2] H. Nishiura, N. M. Linton and A. R. Akhmetzhanov, "Serial interval of
   novel coronavirus (COVID-19) infections", *Int. J. Infect. Dis.*
   93:284–286, 2020.
.. [3] W. O. Kermack and A. G. McKendrick, "A contribution to the
   mathematical theory of epidemics", *Proc. R. Soc. A* 115:700–721, 1927.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from . import kernels as K
from .disease import DURATIONS, IP, S, disease_tables
from .disease import R as RECOVERED
from .measures import KINDS, ORDER
from .metapop import final_size
from .params import PRESETS, TwinParams, load_preset
from .population import Population, population_from_arrays
from .sim import Sim

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
#: Infector–infectee pairs of the Monte Carlo serial interval.
SI_SAMPLES: Final = 200_000
#: Keys of a measure entry that the scenario handles (the rest go to the measure).
SCHEDULE_KEYS: Final = ("kind", "start_day", "trigger")
#: Capacity keys of the scenario → keys of ``MeasureContext.capacity``.
CAPACITY_KEYS: Final[dict[str, str]] = {
    "rooms": "quarantine_rooms",
    "tracers": "tracers",
    "hospital_beds": "hospital_beds",
    "icu_beds": "icu_beds",
    "samplers": "samplers",
    "lab_tests_per_day": "lab_tests_per_day",
}
MAX_RUNS: Final = 1000
#: Quick mode: contacts per agent and day (only ``β c`` matters).
QUICK_CONTACTS: Final = 10.0


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GenerateSpec(_Model):
    """A synthetic city made in memory by :func:`epicontrol.core.city.generator.generate_city`."""

    population: int = Field(ge=1_000, le=20_000_000)
    seed: int = Field(default=1, ge=0, lt=2**63)


class CitySpec(_Model):
    """Either a workspace path (relative to the scenario file) or a generated city."""

    workspace: str | None = None
    generate: GenerateSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> CitySpec:
        if (self.workspace is None) == (self.generate is None):
            raise ValueError("give either workspace or generate (one of the two)")
        return self


class SeedingSpec(_Model):
    """``count`` imported infections on ``day`` in a home district (name or index; None: any)."""

    district: str | int | None = None
    count: int = Field(default=1, ge=1, le=1_000_000)
    day: int = Field(default=0, ge=0, lt=K.MAX_DAYS)

    @field_validator("district", mode="before")
    @classmethod
    def _index(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and v):
            return v
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            return v
        raise ValueError("must be a district name or a 0-based district index")


class TriggerSpec(_Model):
    """Start a measure once ``diagnosed`` cases have been found, ``delay_days`` later."""

    diagnosed: int = Field(default=1, ge=1)
    delay_days: int = Field(default=0, ge=0, lt=K.MAX_DAYS)


class MeasureSpec(BaseModel):
    """One measure: its ``kind``, when it starts, and the measure's own parameters."""

    model_config = ConfigDict(frozen=True, extra="allow")

    kind: str
    start_day: int = Field(default=0, ge=0, lt=K.MAX_DAYS)
    trigger: TriggerSpec | None = None

    @field_validator("kind")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"must be one of {', '.join(KINDS)}, got {v!r}")
        return v

    @property
    def params(self) -> dict[str, Any]:
        """The measure's own parameters (validated by its ``from_config``)."""
        return dict(self.model_extra or {})


class CapacitySpec(_Model):
    """Overrides of the city's capacities (None: from the city's records)."""

    rooms: float | None = Field(default=None, ge=0)
    tracers: float | None = Field(default=None, ge=0)
    hospital_beds: float | None = Field(default=None, ge=0)
    icu_beds: float | None = Field(default=None, ge=0)
    samplers: float | None = Field(default=None, ge=0)
    lab_tests_per_day: float | None = Field(default=None, ge=0)

    def as_context(self) -> dict[str, float]:
        """The given values under ``MeasureContext.capacity`` keys."""
        return {CAPACITY_KEYS[k]: float(v) for k, v in self.model_dump().items() if v is not None}


class RtSpec(_Model):
    """Rt estimation (Cori et al. 2013) on each run's daily cases."""

    #: ``onset``: symptom onsets (seeded cases imported); ``diagnosed``: the registry's diagnoses.
    series: Literal["onset", "diagnosed"] = "onset"
    window: int = Field(default=7, ge=1, le=60)
    si_mean: float | None = Field(default=None, gt=1, le=60)
    si_sd: float | None = Field(default=None, gt=0, le=60)
    #: Windows whose posterior CV exceeds this are not reported (Cori et al.: 0.3).
    max_cv: float = Field(default=0.3, gt=0, le=10)

    @model_validator(mode="after")
    def _both(self) -> RtSpec:
        if (self.si_mean is None) != (self.si_sd is None):
            raise ValueError("give si_mean and si_sd together")
        return self


class Scenario(_Model):
    """A twin scenario (see the module docstring)."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    city: CitySpec | None = None
    preset: Literal["omicron", "wild_type"] = "omicron"
    params: dict[str, Any] = Field(default_factory=dict)
    activity: Literal["age_table", "checkins"] = "age_table"
    seeding: list[SeedingSpec] = Field(default_factory=lambda: [SeedingSpec()], min_length=1)
    measures: list[MeasureSpec] = Field(default_factory=list)
    horizon: int = Field(default=90, ge=1, le=K.MAX_DAYS)
    runs: int = Field(default=10, ge=1, le=MAX_RUNS)
    seed: int = Field(default=0, ge=0, lt=2**63)
    start_weekday: int | None = Field(default=None, ge=0, le=6)
    capacity: CapacitySpec = CapacitySpec()
    rt: RtSpec = RtSpec()

    @model_validator(mode="after")
    def _checks(self) -> Scenario:
        seen: set[str] = set()
        for i, m in enumerate(self.measures):
            if m.kind in seen:
                raise ValueError(f"measures[{i}].kind: {m.kind} is given twice")
            seen.add(m.kind)
        for i, s in enumerate(self.seeding):
            if s.day >= self.horizon:
                raise ValueError(f"seeding[{i}].day: must be < horizon ({self.horizon})")
        return self

    def sorted_measures(self) -> list[tuple[int, MeasureSpec]]:
        """(position in the YAML, spec) in :data:`~.measures.ORDER`."""
        return sorted(enumerate(self.measures), key=lambda im: ORDER.index(im[1].kind))

    def twin_params(self, *, source: str = "scenario") -> TwinParams:
        """The preset with the dotted ``params`` overrides applied (validated)."""
        base = load_preset(self.preset)
        if not self.params:
            return base
        try:
            return base.updated(dict(self.params))
        except ValueError as exc:
            raise ValueError(f"{source}: params.{str(exc).removeprefix('updated: ')}") from None

    def serial_interval(self, params: TwinParams) -> tuple[float, float]:
        """(mean, sd) of the serial interval used for Rt: given, else the preset's."""
        if self.rt.si_mean is not None and self.rt.si_sd is not None:
            return self.rt.si_mean, self.rt.si_sd
        return natural_serial_interval(params)

    def with_overrides(self, **changes: Any) -> Scenario:
        """A validated copy with top-level fields replaced (``runs``, ``seed`` ...)."""
        data = self.model_dump(mode="python", exclude_unset=False)
        data["measures"] = [_measure_dump(m) for m in self.measures]
        data.update({k: v for k, v in changes.items() if v is not None})
        return parse_scenario(data, source="scenario")


def natural_serial_interval(params: TwinParams, *, n: int = SI_SAMPLES) -> tuple[float, float]:
    """Mean and sd (days) of the serial interval of ``params``' natural history (see above).

    Deterministic: the durations come from the engine's counter-based
    streams with fixed keys, the transmission day from ``default_rng(0)``.
    """
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    tables = disease_tables(params)

    def draw(name: str, key: int) -> NDArray[np.float64]:
        row = DURATIONS.index(name)
        d = K.sample_durations(np.uint64(key), row, n, tables.dur_kind, tables.dur_a, tables.dur_b)
        return np.asarray(d, dtype=np.float64)

    e, p = draw("exposed_to_infectious", 1), draw("infectious_to_symptomatic", 2)
    m = draw("mild_to_recovered", 3)
    e2, p2 = draw("exposed_to_infectious", 4), draw("infectious_to_symptomatic", 5)
    rel_p = float(tables.rel_trans_state[IP])
    u = np.random.default_rng(0).random(n) * (rel_p * p + m)
    pre = u < rel_p * p
    day = np.where(pre, e + np.floor(u / max(rel_p, 1e-300)), e + p + np.floor(u - rel_p * p))
    si = day + e2 + p2 - (e + p)
    return float(si.mean()), float(si.std())


def _measure_dump(m: MeasureSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": m.kind, **m.params}
    if "start_day" in m.model_fields_set:
        out["start_day"] = m.start_day
    if m.trigger is not None:
        out["trigger"] = m.trigger.model_dump()
    return out


_UNION_TAGS: Final = frozenset({"str", "int", "float", "bool", "none"})


def _loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a YAML path: ``measures[2].kind``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    """Validate a scenario mapping; ``ValueError("<source>: <path>: <rule>")`` otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: (top level): must be a mapping of scenario keys")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        # a union member's tag ("str", "int", ...) is no YAML key
        loc = tuple(p for p in err["loc"] if p not in _UNION_TAGS)
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        if msg.startswith(("measures[", "seeding[")):
            return _raise(f"{source}: {msg}")
        return _raise(f"{source}: {_loc(loc)}: {msg}")


def _raise(message: str) -> Scenario:
    raise ValueError(message)


def scenario_from_yaml(text: str, *, source: str = "scenario") -> Scenario:
    """Parse YAML text (safe loader) into a :class:`Scenario`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(top level)"
        problem = getattr(exc, "problem", exc)
        raise ValueError(f"{source}: {where}: not valid YAML ({problem})") from None
    return parse_scenario(data, source=source)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (YAML)."""
    p = Path(path)
    return scenario_from_yaml(p.read_text(encoding="utf-8"), source=p.name)


def shipped_scenario(name: str) -> Path:
    """Path of a scenario shipped with the package (``no_measures``, ``full_package``)."""
    path = Path(__file__).with_name("scenarios") / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"scenario: no shipped scenario {name!r}")
    return path


# --------------------------------------------------------------------------- quick mode


class QuickSpec(_Model):
    """The quick mode's model (see the module docstring)."""

    agents: int = Field(ge=100, le=50_000_000)
    days: int = Field(ge=1, le=K.MAX_DAYS)
    disease: Literal["sir", "seir"] = "sir"
    mixing: Literal["homogeneous"] = "homogeneous"
    r0: float = Field(gt=0, le=50)
    infectious_days: int = Field(default=5, ge=1, le=100)
    latent_days: int = Field(default=3, ge=1, le=100)
    initial: int = Field(default=10, ge=1)
    runs: int = Field(default=1, ge=1, le=MAX_RUNS)
    seed: int = Field(default=0, ge=0, lt=2**63)

    @model_validator(mode="after")
    def _initial(self) -> QuickSpec:
        if self.initial > self.agents:
            raise ValueError(f"initial must be <= agents ({self.agents})")
        return self

    @property
    def latency(self) -> int:
        """Days from infection to infectiousness (1 for SIR: the engine's shortest)."""
        return 1 if self.disease == "sir" else self.latent_days

    @property
    def beta(self) -> float:
        """Community β with ``R0 = β c D`` (module docstring)."""
        return self.r0 / (QUICK_CONTACTS * self.infectious_days)


def parse_quick(**values: Any) -> QuickSpec:
    """Validate quick-mode options; ``ValueError("--<option>: <rule>")`` otherwise."""
    try:
        return QuickSpec.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).replace("_", "-") if err["loc"] else "options"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ValueError(f"--{name}: {msg}") from None


def homogeneous_population(n: int) -> Population:
    """``n`` agents aged 30, each alone in its household, in one community and district."""
    if not 1 <= n <= 50_000_000:
        raise ValueError(f"agents must be between 1 and 50000000, got {n}")
    return population_from_arrays(
        age=np.full(n, 30, dtype=np.int16),
        household=np.arange(n, dtype=np.int32),
        district_names=("all",),
    )


def homogeneous_params(spec: QuickSpec) -> TwinParams:
    """The wild-type preset reduced to homogeneous SIR/SEIR (module docstring)."""
    base = load_preset("wild_type")
    bins = len(base.age.cutoffs)
    zeros = [0.0] * bins
    return base.updated(
        {
            "name": f"homogeneous {spec.disease}",
            "description": f"homogeneous mixing {spec.disease.upper()}, R0 = {spec.r0:g}",
            "transmission.dispersion": 0.0,
            "transmission.rel_asymptomatic": 1.0,
            "transmission.rel_presymptomatic": 1.0,
            "layers.household.beta": 0.0,
            "layers.school.beta": 0.0,
            "layers.work.beta": 0.0,
            "layers.community.beta": spec.beta,
            "layers.community.contacts": [QUICK_CONTACTS] * bins,
            "layers.community.weekend_factor": 1.0,
            "durations.exposed_to_infectious": {"dist": "fixed", "mean": float(spec.latency)},
            "durations.asymptomatic_to_recovered": {
                "dist": "fixed",
                "mean": float(spec.infectious_days),
            },
            "age.rel_susceptibility": [1.0] * bins,
            "age.p_symptomatic": zeros,
            "age.p_severe": zeros,
            "age.p_critical": zeros,
            "age.p_death": zeros,
        }
    )


def run_seed(seed: int, run: int) -> int:
    """The seed of run ``run`` of an ensemble seeded ``seed`` (63 bits of ``SeedSequence``)."""
    if seed < 0 or run < 0:
        raise ValueError("seed and run must be >= 0")
    state = np.random.SeedSequence([seed, run]).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


@dataclass(frozen=True)
class QuickResult:
    """Runs of the quick mode (homogeneous mixing, :class:`~.scenario.QuickSpec`)."""

    spec: QuickSpec
    seeds: list[int]
    incidence: I64  # (runs, days) new infections
    attack_rates: F64
    days_simulated: list[int]
    wall_s: float

    def summary(self) -> dict[str, Any]:
        """Attack rate (mean over runs), peak day of the mean curve, daily incidence, timing."""
        mean_curve = self.incidence.mean(axis=0)
        agent_days = self.spec.agents * sum(self.days_simulated)
        return {
            "agents": self.spec.agents,
            "days": self.spec.days,
            "disease": self.spec.disease,
            "mixing": self.spec.mixing,
            "r0": self.spec.r0,
            "beta": self.spec.beta,
            "contacts_per_day": QUICK_CONTACTS,
            "latent_days": self.spec.latency,
            "infectious_days": self.spec.infectious_days,
            "initial": self.spec.initial,
            "runs": len(self.seeds),
            "seed": self.spec.seed,
            "attack_rate": float(self.attack_rates.mean()),
            "attack_rates": [float(v) for v in self.attack_rates],
            "analytic_attack_rate": final_size(self.spec.r0),
            "peak_day": int(np.argmax(mean_curve)),
            "peak_incidence": float(mean_curve.max()),
            "daily_incidence": [round(float(v), 6) for v in mean_curve],
            "days_simulated": self.days_simulated,
            "wall_s": round(self.wall_s, 4),
            "agent_days_per_s": round(agent_days / self.wall_s) if self.wall_s > 0 else None,
        }


def run_quick(spec: QuickSpec, *, on_day: Callable[[int, int], None] | None = None) -> QuickResult:
    """Homogeneous-mixing SIR/SEIR runs (see :mod:`.scenario`, quick mode).

    A run stops early once nobody is latent or infectious: the remaining days
    have no infections (``days_simulated`` says how many were stepped), which
    only saves time.  ``wall_s`` covers the simulation, not the set-up.
    """
    pop = homogeneous_population(spec.agents)
    params = homogeneous_params(spec)
    incidence = np.zeros((spec.runs, spec.days), dtype=np.int64)
    attack = np.zeros(spec.runs)
    seeds, stepped = [], []
    wall = 0.0
    for r in range(spec.runs):
        seed = run_seed(spec.seed, r)
        seeds.append(seed)
        sim = Sim(pop, params, seed=seed)
        t0 = time.perf_counter()
        sim.seed_random(spec.initial)
        for day in range(spec.days):
            sim.step()
            if on_day is not None:
                on_day(r, day + 1)
            if not ((sim.state > S) & (sim.state < RECOVERED)).any():
                break
        wall += time.perf_counter() - t0
        res = sim.results()
        incidence[r, : res.days] = res.new_infections
        attack[r] = float((sim.state != S).mean())
        stepped.append(res.days)
    return QuickResult(spec, seeds, incidence, attack, stepped, wall)


__all__ = [
    "CAPACITY_KEYS",
    "PRESETS",
    "CapacitySpec",
    "CitySpec",
    "GenerateSpec",
    "MeasureSpec",
    "QuickResult",
    "QuickSpec",
    "RtSpec",
    "Scenario",
    "SeedingSpec",
    "TriggerSpec",
    "homogeneous_params",
    "homogeneous_population",
    "load_scenario",
    "natural_serial_interval",
    "parse_quick",
    "parse_scenario",
    "run_quick",
    "run_seed",
    "scenario_from_yaml",
    "shipped_scenario",
]
