"""Hospital capacity forecast: admissions and census of general beds, ICU and ventilators.

Two engines share the census arithmetic:

* :func:`chime_sir` — Penn Medicine's CHIME model (COVID-19 Hospital Impact
  Model for Epidemics, v1.1.3, the ``penn-chime`` 0.0.3 package) re-implemented
  in numpy: its discrete-time SIR, with beta from the doubling time and the
  relative contact rate, its policy (before / after the mitigation day), its
  fit of the day of the first hospitalised case (``i_day``) or of the doubling
  time, and its admissions and census (rates, market share, lengths of stay).
  Given CHIME's inputs it gives CHIME's curves (the test compares them).
* :func:`capacity_forecast` — the forecast the command centre uses: from a
  daily case series by district (observed cases plus a projection, either
  :func:`growth_projection`, an exponential growth model fitted to the recent
  cases or given a doubling time, or an external array such as the digital
  twin's), the daily admissions to each care level (the share of cases of
  each severity, after an admission delay), the census (each admission stays
  its level's length of stay, as in CHIME), the occupancy against each
  district's capacity and the first day it reaches the alert threshold
  (85 % by default, DESIGN.md §3).

Care levels are disjoint beds: ``general`` (ward beds: hospital beds minus ICU
beds), ``icu`` (ICU beds) and ``ventilated`` (ventilators, used by part of the
ICU patients).

References
----------
.. [1] Weissman G. E. et al. (2020). Locally informed simulation to predict
   hospital capacity needs during the COVID-19 pandemic. Annals of Internal
   Medicine 173(1), 21-28.  Code: github.com/CodeForPhilly/chime (v1.1.3).
.. [2] Wu Z., McGoogan J. M. (2020). Characteristics of and important lessons
   from the COVID-19 outbreak in China. JAMA 323(13), 1239-1242 (81 % mild,
   14 % severe, 5 % critical of 44 672 confirmed cases).
.. [3] Guan W. et al. (2020). Clinical characteristics of coronavirus disease
   2019 in China. NEJM 382, 1708-1720 (5.0 % ICU, 2.3 % invasive ventilation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Care levels of the forecast, in array order.
CARE_LEVELS: Final = ("general", "icu", "ventilated")
#: CHIME's dispositions, in array order.
CHIME_DISPOSITIONS: Final = ("hospitalized", "icu", "ventilated")


# --------------------------------------------------------------------------- census


def census_from_admissions(admissions: ArrayLike, los_days: int) -> F64:
    """Patients in care each day when each admission stays ``los_days`` days.

    ``census[t] = admissions[max(0, t - los + 1)] + ... + admissions[t]``,
    computed as CHIME does (difference of a cumulative sum), along axis 0.

    Parameters
    ----------
    admissions : array_like, shape (T, ...)
        Admissions per day (finite, >= 0 is not required: CHIME's can be < 0
        when its SIR is rescaled).
    los_days : int
        Length of stay in days, >= 1.

    Examples
    --------
    >>> census_from_admissions([1, 2, 3, 4], 2).tolist()
    [1.0, 3.0, 5.0, 7.0]
    """
    a = np.asarray(admissions, dtype=np.float64)
    if a.ndim < 1:
        raise ValueError("admissions must be an array with days on axis 0")
    if not np.isfinite(a).all():
        raise ValueError("admissions must be finite")
    if isinstance(los_days, bool) or int(los_days) != los_days or los_days < 1:
        raise ValueError(f"los_days must be an integer >= 1, got {los_days!r}")
    los = int(los_days)
    n = a.shape[0]
    cumsum = np.zeros((n + los, *a.shape[1:]), dtype=np.float64)
    cumsum[los:] = np.cumsum(a, axis=0)
    return np.asarray(cumsum[los:] - cumsum[:-los], dtype=np.float64)


# --------------------------------------------------------------------------- CHIME


@dataclass(frozen=True)
class Disposition:
    """A CHIME disposition: share of the infected (``rate``) and days in it."""

    rate: float
    days: int


@dataclass(frozen=True)
class ChimeInputs:
    """CHIME's parameters (``penn_chime.model.parameters.Parameters``).

    ``mitigation_day`` is the mitigation date minus the current date in days
    (``None``: CHIME without a mitigation date); ``first_hospitalized_days_ago``
    is the current date minus ``date_first_hospitalized`` (then the doubling
    time is fitted and ``doubling_time`` must be ``None``).
    """

    population: float
    current_hospitalized: float
    infectious_days: float
    market_share: float
    relative_contact_rate: float
    n_days: int
    hospitalized: Disposition
    icu: Disposition
    ventilated: Disposition
    doubling_time: float | None = None
    first_hospitalized_days_ago: int | None = None
    mitigation_day: int | None = None
    recovered: float = 0.0

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first field that breaks CHIME's rules."""
        if not self.population > 0:
            raise ValueError(f"population must be > 0, got {self.population}")
        if not self.current_hospitalized >= 0:
            raise ValueError(f"current_hospitalized must be >= 0, got {self.current_hospitalized}")
        if not self.infectious_days > 0:
            raise ValueError(f"infectious_days must be > 0, got {self.infectious_days}")
        if not 0 < self.market_share <= 1:
            raise ValueError(f"market_share must be in (0, 1], got {self.market_share}")
        if not 0 <= self.relative_contact_rate <= 1:
            raise ValueError(
                f"relative_contact_rate must be in [0, 1], got {self.relative_contact_rate}"
            )
        if int(self.n_days) != self.n_days or self.n_days < 1:
            raise ValueError(f"n_days must be an integer >= 1, got {self.n_days}")
        if not self.recovered >= 0:
            raise ValueError(f"recovered must be >= 0, got {self.recovered}")
        for name in CHIME_DISPOSITIONS:
            d: Disposition = getattr(self, name)
            if not 0 <= d.rate <= 1:
                raise ValueError(f"{name}.rate must be in [0, 1], got {d.rate}")
            if int(d.days) != d.days or d.days < 1:
                raise ValueError(f"{name}.days must be an integer >= 1, got {d.days}")
        if not self.hospitalized.rate > 0:
            raise ValueError("hospitalized.rate must be > 0 (it seeds the infected)")
        given = (self.doubling_time is not None, self.first_hospitalized_days_ago is not None)
        if given == (False, False) or given == (True, True):
            raise ValueError(
                "give exactly one of doubling_time and first_hospitalized_days_ago, "
                f"got {self.doubling_time!r} and {self.first_hospitalized_days_ago!r}"
            )
        if self.doubling_time is not None and not self.doubling_time > 0:
            raise ValueError(f"doubling_time must be > 0, got {self.doubling_time}")
        if self.first_hospitalized_days_ago is not None and self.first_hospitalized_days_ago < 0:
            raise ValueError(
                f"first_hospitalized_days_ago must be >= 0, got {self.first_hospitalized_days_ago}"
            )


@dataclass(frozen=True)
class ChimeResult:
    """CHIME's raw projection: days from ``-i_day`` to ``n_days``."""

    day: I64
    susceptible: F64
    infected: F64
    recovered: F64
    #: ``admissions[k]`` for disposition ``CHIME_DISPOSITIONS[k]``; day 0 of the run is NaN.
    admissions: F64
    census: F64
    i_day: int
    doubling_time: float
    beta: float
    beta_t: float

    def admits(self, disposition: str) -> F64:
        return np.asarray(self.admissions[CHIME_DISPOSITIONS.index(disposition)])

    def census_of(self, disposition: str) -> F64:
        return np.asarray(self.census[CHIME_DISPOSITIONS.index(disposition)])


def growth_rate(doubling_time: float | None) -> float:
    """CHIME's daily growth rate ``2**(1/T) - 1`` (0 for no doubling time)."""
    if doubling_time is None or doubling_time == 0.0:
        return 0.0
    return float(2.0 ** (1.0 / doubling_time) - 1.0)


def sir_beta(
    growth: float, gamma: float, susceptible: float, relative_contact_rate: float
) -> float:
    """CHIME's ``beta = (g + gamma) / S * (1 - relative_contact_rate)``."""
    return (growth + gamma) / susceptible * (1.0 - relative_contact_rate)


def sim_sir(
    s: float,
    i: float,
    r: float,
    gamma: float,
    first_day: int,
    policies: Sequence[tuple[float, int]],
) -> tuple[I64, F64, F64, F64]:
    """CHIME's discrete-time SIR, renormalised to ``N`` each step, under ``(beta, days)``."""
    n = s + i + r
    total = 1 + sum(days for _, days in policies)
    d_a = np.empty(total, np.int64)
    s_a = np.empty(total, np.float64)
    i_a = np.empty(total, np.float64)
    r_a = np.empty(total, np.float64)
    d = first_day
    k = 0
    for beta, days in policies:
        for _ in range(days):
            d_a[k], s_a[k], i_a[k], r_a[k] = d, s, i, r
            k += 1
            s_n = (-beta * s * i) + s
            i_n = (beta * s * i - gamma * i) + i
            r_n = gamma * i + r
            scale = n / (s_n + i_n + r_n)
            s, i, r = s_n * scale, i_n * scale, r_n * scale
            d += 1
    d_a[k], s_a[k], i_a[k], r_a[k] = d, s, i, r
    return d_a, s_a, i_a, r_a


@dataclass
class _Chime:
    p: ChimeInputs
    gamma: float
    susceptible: float
    infected: float
    i_day: int = 0
    beta: float = 0.0
    beta_t: float = 0.0
    rates: F64 = field(default_factory=lambda: np.zeros(3))
    days: tuple[int, ...] = ()

    def set_doubling(self, doubling_time: float) -> None:
        g = growth_rate(doubling_time)
        self.beta = sir_beta(g, self.gamma, self.susceptible, 0.0)
        self.beta_t = sir_beta(g, self.gamma, self.susceptible, self.p.relative_contact_rate)

    def policy(self) -> list[tuple[float, int]]:
        mitigation_day = 0 if self.p.mitigation_day is None else self.p.mitigation_day
        total_days = self.i_day + self.p.n_days
        mitigation_day = max(mitigation_day, -self.i_day)
        pre = self.i_day + mitigation_day
        return [(self.beta, pre), (self.beta_t, total_days - pre)]

    def project(self, policies: Sequence[tuple[float, int]]) -> dict[str, F64 | I64]:
        day, s, i, r = sim_sir(
            self.susceptible, self.infected, self.p.recovered, self.gamma, -self.i_day, policies
        )
        ever_infected = i + r
        ever = ever_infected[None, :] * self.rates[:, None] * self.p.market_share
        admits = np.empty_like(ever)
        admits[:, 0] = np.nan
        admits[:, 1:] = ever[:, 1:] - ever[:, :-1]
        census = np.empty_like(ever)
        for k, los in enumerate(self.days):
            a = admits[k].copy()
            a[0] = 0.0
            census[k] = census_from_admissions(a, los)
        return {"day": day, "s": s, "i": i, "r": r, "admits": admits, "census": census}


def chime_sir(inputs: ChimeInputs) -> ChimeResult:
    """CHIME's projection of hospital admissions and census (see the module docstring).

    Parameters
    ----------
    inputs : ChimeInputs
        CHIME's parameters.

    Returns
    -------
    ChimeResult
        The same ``raw`` arrays as ``penn_chime.model.sir.Sir(p).raw``.

    Raises
    ------
    ValueError
        A parameter breaks CHIME's rules, or CHIME's fit has no solution
        (the hospital census peaks on the first day).
    """
    inputs.validate()
    p = inputs
    infected = 1.0 / p.market_share / p.hospitalized.rate
    m = _Chime(
        p=p,
        gamma=1.0 / p.infectious_days,
        susceptible=p.population - infected,
        infected=infected,
        rates=np.array([getattr(p, k).rate for k in CHIME_DISPOSITIONS], np.float64),
        days=tuple(int(getattr(p, k).days) for k in CHIME_DISPOSITIONS),
    )
    if m.susceptible <= 0:
        raise ValueError(
            "population must exceed the seed 1 / market_share / hospitalized.rate "
            f"= {infected:.6g}, got {p.population}"
        )
    doubling_time: float
    if p.doubling_time is not None:
        doubling_time = float(p.doubling_time)
        m.set_doubling(doubling_time)
        if p.mitigation_day is None:
            m.i_day = 0
            census = m.project([(m.beta, p.n_days)])["census"][0]
            peak = int(np.argmax(census))
            if peak == 0:
                raise ValueError("the hospital census peaks on day 0: CHIME cannot fit i_day")
            m.i_day = int(np.argmin((census[:peak] - p.current_hospitalized) ** 2.0))
            raw = m.project(m.policy())
        else:
            best, best_loss = -1, math.inf
            found: dict[str, F64 | I64] | None = None
            for i_day in range(p.n_days):
                m.i_day = i_day
                candidate = m.project(m.policy())
                census = candidate["census"][0]
                if int(np.argmax(census)) < i_day:
                    continue
                loss = (census[i_day] - p.current_hospitalized) ** 2.0
                if loss < best_loss:
                    best, best_loss, found = i_day, loss, candidate
            if found is None:
                raise ValueError("CHIME found no i_day before the census peak for these inputs")
            raw = found
            m.i_day = best
    else:
        assert p.first_hospitalized_days_ago is not None
        m.i_day = int(p.first_hospitalized_days_ago)

        def argmin_doubling(dts: F64) -> int:
            losses = np.full(dts.shape[0], np.inf)
            for k, dt in enumerate(dts):
                m.set_doubling(float(dt))
                predicted = m.project(m.policy())["census"][0][m.i_day]
                losses[k] = (p.current_hospitalized - predicted) ** 2.0
            return int(np.argmin(losses))

        dts = np.linspace(1, 15, 15)
        best_k = argmin_doubling(dts)
        for _ in range(4):
            if best_k + 1 >= dts.shape[0]:
                raise ValueError("CHIME's doubling-time search left its range (more than 15 days)")
            # CHIME indexes dts[best_k - 1]: at best_k = 0 that is the last element
            dts = np.linspace(dts[best_k - 1], dts[best_k + 1], 15)
            best_k = argmin_doubling(dts)
        doubling_time = float(dts[best_k])
        m.set_doubling(doubling_time)
        raw = m.project(m.policy())
    return ChimeResult(
        day=np.asarray(raw["day"], np.int64),
        susceptible=np.asarray(raw["s"], np.float64),
        infected=np.asarray(raw["i"], np.float64),
        recovered=np.asarray(raw["r"], np.float64),
        admissions=np.asarray(raw["admits"], np.float64),
        census=np.asarray(raw["census"], np.float64),
        i_day=m.i_day,
        doubling_time=doubling_time,
        beta=m.beta,
        beta_t=m.beta_t,
    )


# --------------------------------------------------------------------------- growth


@dataclass(frozen=True)
class GrowthParams:
    """The simple growth model: exponential growth fitted to the last ``window_days``.

    ``doubling_time`` given: the growth rate is ``ln 2 / doubling_time`` and only
    the level is fitted.  Otherwise the rate is the Poisson maximum-likelihood
    fit of ``cases ~ exp(a + r t)`` to the city's daily cases, which needs at
    least ``min_cases`` cases on at least two days of the window.
    """

    window_days: int = 14
    min_cases: int = 10
    doubling_time: float | None = None

    def validate(self) -> None:
        if self.window_days < 2:
            raise ValueError(f"window_days must be >= 2, got {self.window_days}")
        if self.min_cases < 1:
            raise ValueError(f"min_cases must be >= 1, got {self.min_cases}")
        dt = self.doubling_time
        if dt is not None and (not math.isfinite(dt) or dt == 0):
            raise ValueError(f"doubling_time must be finite and non-zero (< 0 halves), got {dt}")


@dataclass(frozen=True)
class Projection:
    """Observed cases followed by the projected ones, by day and district."""

    cases: F64
    n_observed: int
    growth_rate: float
    #: ``ln 2 / growth_rate`` (negative: halving time; ``inf`` for no growth).
    doubling_time: float
    fitted: bool
    share: F64


def _poisson_fit(t: F64, y: F64, rate: float | None) -> tuple[float, float]:
    """``(a, r)`` of the Poisson log-linear model; ``r`` fixed when ``rate`` is given."""
    if rate is not None:
        return math.log(y.sum() / np.exp(rate * t).sum()), rate
    a, r = math.log(max(y.mean(), 1e-12)), 0.0
    for _ in range(200):
        mu = np.exp(a + r * t)
        g = np.array([(y - mu).sum(), ((y - mu) * t).sum()])
        h = np.array([[mu.sum(), (mu * t).sum()], [(mu * t).sum(), (mu * t * t).sum()]])
        step = np.linalg.solve(h, g)
        # damped Newton: a growth rate changes by at most 0.5 a day per step
        scale = min(1.0, 0.5 / max(abs(step[1]), 1e-300))
        a, r = a + scale * float(step[0]), r + scale * float(step[1])
        if abs(step[1]) < 1e-12 and abs(step[0]) < 1e-10:
            return a, r
    raise ValueError("cases: the growth model's Poisson fit did not converge; give doubling_time")


def growth_projection(
    observed: ArrayLike,
    horizon: int,
    params: GrowthParams | None = None,
    population: ArrayLike | None = None,
) -> Projection:
    """Observed daily cases by district followed by ``horizon`` projected days.

    The city's daily cases in the window are fitted with exponential growth
    (see :class:`GrowthParams`); the projected city cases are split among the
    districts by their share of the window's cases (of all observed cases when
    the window has none).  With ``population``, a district's cumulative cases
    never exceed its residents.

    Parameters
    ----------
    observed : array_like, shape (days, districts)
        Observed new cases, finite and >= 0, at least one day.
    horizon : int
        Days to project, >= 0.
    params : GrowthParams, optional
    population : array_like, shape (districts,), optional

    Examples
    --------
    >>> p = growth_projection([[1.0], [2.0]], 2, GrowthParams(doubling_time=1.0))
    >>> p.cases[:, 0].round(6).tolist()
    [1.0, 2.0, 4.0, 8.0]
    """
    params = params or GrowthParams()
    params.validate()
    obs = np.asarray(observed, dtype=np.float64)
    if obs.ndim != 2 or obs.shape[0] < 1:
        raise ValueError(f"cases must be a 2-D array (days, districts), got shape {obs.shape}")
    if not np.isfinite(obs).all() or (obs < 0).any():
        raise ValueError("cases must be finite and >= 0")
    if isinstance(horizon, bool) or int(horizon) != horizon or horizon < 0:
        raise ValueError(f"horizon must be an integer >= 0, got {horizon!r}")
    n_obs, n_d = obs.shape
    window = obs[max(0, n_obs - params.window_days) :]
    city = window.sum(axis=1)
    total = float(city.sum())
    t = np.arange(n_obs - window.shape[0], n_obs, dtype=np.float64) - (n_obs - 1)
    if params.doubling_time is not None:
        rate: float | None = math.log(2.0) / params.doubling_time
    else:
        rate = None
        days_with_cases = int((city > 0).sum())
        if total < params.min_cases or days_with_cases < 2:
            raise ValueError(
                f"cases: fitting the growth model needs >= {params.min_cases} cases on >= 2 days "
                f"in the last {params.window_days} days, got {total:g} on {days_with_cases}; "
                "give doubling_time"
            )
    if total <= 0:
        if params.doubling_time is None:  # pragma: no cover - excluded above
            raise ValueError("cases: no cases in the window")
        a, r = -math.inf, float(rate or 0.0)
    else:
        a, r = _poisson_fit(t, city, rate)
    weights = window.sum(axis=0) if total > 0 else obs.sum(axis=0)
    share = weights / weights.sum() if weights.sum() > 0 else np.full(n_d, 1.0 / max(n_d, 1))
    h = np.arange(1, int(horizon) + 1, dtype=np.float64)
    city_future = np.exp(a + r * h) if math.isfinite(a) else np.zeros_like(h)
    future = city_future[:, None] * share[None, :]
    cases = np.concatenate([obs, future], axis=0)
    if population is not None:
        pop = np.asarray(population, dtype=np.float64)
        if pop.shape != (n_d,) or (pop < 0).any() or not np.isfinite(pop).all():
            raise ValueError(f"population must be {n_d} finite values >= 0")
        cumulative = np.minimum(np.cumsum(cases, axis=0), np.maximum(pop, obs.sum(axis=0)))
        cases = np.diff(cumulative, axis=0, prepend=0.0)
    doubling = math.log(2.0) / r if abs(r) > 1e-12 else math.inf
    return Projection(
        cases=cases,
        n_observed=n_obs,
        growth_rate=r,
        doubling_time=doubling,
        fitted=params.doubling_time is None,
        share=share,
    )


# --------------------------------------------------------------------------- capacity


@dataclass(frozen=True)
class Severity:
    """Share of the cases admitted to a care level and their length of stay (days)."""

    share: float
    los_days: int


@dataclass(frozen=True)
class CapacityParams:
    """Severity mix, lengths of stay and alert threshold of the capacity forecast.

    Defaults: 14 % of the confirmed cases severe (ward), 5 % critical (ICU)
    [2]_, 2.3 % of the cases ventilated (a part of the ICU patients) [3]_;
    lengths of stay 7, 9 and 10 days (CHIME's defaults [1]_); the alert at
    85 % occupancy (plan 001, Fuzhou).
    """

    general: Severity = Severity(0.14, 7)
    icu: Severity = Severity(0.05, 9)
    ventilated: Severity = Severity(0.023, 10)
    alert_occupancy: float = 0.85
    admission_delay_days: int = 0

    def levels(self) -> tuple[Severity, Severity, Severity]:
        return (self.general, self.icu, self.ventilated)

    def validate(self) -> None:
        for name, s in zip(CARE_LEVELS, self.levels(), strict=True):
            if not 0 <= s.share <= 1:
                raise ValueError(f"{name}.share must be in [0, 1], got {s.share}")
            if int(s.los_days) != s.los_days or s.los_days < 1:
                raise ValueError(f"{name}.los_days must be an integer >= 1, got {s.los_days}")
        if self.general.share + self.icu.share > 1:
            raise ValueError("general.share + icu.share must be <= 1 (the levels are disjoint)")
        if self.ventilated.share > self.icu.share:
            raise ValueError("ventilated.share must be <= icu.share (ventilated are ICU patients)")
        if not 0 < self.alert_occupancy <= 1:
            raise ValueError(f"alert_occupancy must be in (0, 1], got {self.alert_occupancy}")
        if self.admission_delay_days < 0:
            raise ValueError(f"admission_delay_days must be >= 0, got {self.admission_delay_days}")


@dataclass(frozen=True)
class CapacityForecast:
    """Arrays of shape ``(level, day, district)``; levels in :data:`CARE_LEVELS` order."""

    admissions: F64
    census: F64
    capacity: F64
    occupancy: F64
    #: First day (index into the cases) with occupancy >= the alert, -1 if never.
    first_alert_day: I64
    #: Peak census and its day, (level, district).
    peak: F64
    peak_day: I64


def capacity_forecast(
    cases: ArrayLike, capacity: ArrayLike, params: CapacityParams | None = None
) -> CapacityForecast:
    """Admissions, census and occupancy by care level and district; first alert day.

    Parameters
    ----------
    cases : array_like, shape (days, districts)
        New cases per day (observed then projected), finite, >= 0.
    capacity : array_like, shape (3, districts)
        Beds of each care level (general ward beds, ICU beds, ventilators);
        NaN where unknown (occupancy NaN, never alerts).
    params : CapacityParams, optional

    Returns
    -------
    CapacityForecast
        Occupancy is ``census / capacity`` (``inf`` for patients with no
        beds); the alert day is the first with occupancy >= ``alert_occupancy``.

    Examples
    --------
    >>> f = capacity_forecast([[10.0], [10.0], [10.0]], [[2.0], [1.0], [1.0]],
    ...                       CapacityParams(alert_occupancy=0.85))
    >>> f.census[0, :, 0].round(6).tolist(), f.first_alert_day[0].tolist()
    ([1.4, 2.8, 4.2], [1])
    """
    params = params or CapacityParams()
    params.validate()
    c = np.asarray(cases, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cases must be a 2-D array (days, districts), got shape {c.shape}")
    if not np.isfinite(c).all() or (c < 0).any():
        raise ValueError("cases must be finite and >= 0")
    cap = np.asarray(capacity, dtype=np.float64)
    if cap.shape != (len(CARE_LEVELS), c.shape[1]):
        raise ValueError(f"capacity must have shape (3, {c.shape[1]}), got {cap.shape}")
    if (cap[np.isfinite(cap)] < 0).any() or np.isinf(cap).any():
        raise ValueError("capacity must be >= 0 (NaN where unknown)")
    n_days, n_d = c.shape
    delay = int(params.admission_delay_days)
    delayed = np.zeros_like(c)
    if delay < n_days:
        delayed[delay:] = c[: n_days - delay]
    admissions = np.empty((len(CARE_LEVELS), n_days, n_d), np.float64)
    census = np.empty_like(admissions)
    for k, s in enumerate(params.levels()):
        admissions[k] = delayed * s.share
        census[k] = census_from_admissions(admissions[k], s.los_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = census / cap[:, None, :]
    occupancy = np.where((cap[:, None, :] == 0) & (census <= 1e-12), np.nan, occupancy)
    alert = np.nan_to_num(occupancy, nan=-1.0) >= params.alert_occupancy - 1e-12
    first = np.where(alert.any(axis=1), alert.argmax(axis=1), -1).astype(np.int64)
    peak_day = census.argmax(axis=1).astype(np.int64) if n_days else np.zeros((3, n_d), np.int64)
    peak = census.max(axis=1) if n_days else np.zeros((3, n_d))
    return CapacityForecast(
        admissions=admissions,
        census=census,
        capacity=cap,
        occupancy=occupancy,
        first_alert_day=first,
        peak=peak,
        peak_day=peak_day,
    )
