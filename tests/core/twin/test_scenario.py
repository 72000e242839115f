"""Scenarios and ensembles: validation, seeds, bands, outcomes, Rt and the serial interval."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from epicontrol.core.twin.ensemble import (
    OUTCOMES,
    EnsembleResult,
    Scheduled,
    TwinCity,
    band,
    build_measures,
    compare_ensembles,
    days_to_zero,
    resolve_seeding,
    rt_series,
    run_ensemble,
    summarise,
)
from epicontrol.core.twin.measures import MeasureContext, registry_of
from epicontrol.core.twin.params import load_preset
from epicontrol.core.twin.population import Population, population_from_arrays
from epicontrol.core.twin.scenario import (
    load_scenario,
    natural_serial_interval,
    parse_quick,
    parse_scenario,
    run_seed,
    scenario_from_yaml,
    shipped_scenario,
)
from epicontrol.core.twin.sim import Sim


def town(n: int = 4000, seed: int = 0) -> Population:
    """Households of 4, work teams of 20, 20 communities in 4 named districts."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n)
    return population_from_arrays(
        age=rng.integers(0, 90, n),
        household=ids // 4,
        community=ids // (n // 20),
        district=(ids // (n // 20)) // 5,
        work_group=np.where(ids % 4 < 2, ids // 40, -1),
        district_names=("北区", "南区", "东区", "西区"),
    )


CITY = TwinCity(
    name="town", population=town(), context=MeasureContext(capacity={"hospital_beds": 5.0})
)


def scenario(**changes: Any) -> Any:
    base: dict[str, Any] = {
        "name": "t",
        "seeding": [{"district": "南区", "count": 5}],
        "horizon": 40,
        "runs": 3,
        "seed": 11,
    }
    return parse_scenario(base | changes, source="t.yaml")


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"measures": [{"kind": "lockdown"}]}, r"t\.yaml: measures\[0\]\.kind: must be one of"),
        ({"horizon": 0}, r"t\.yaml: horizon: .*greater than or equal to 1"),
        ({"runz": 3}, r"t\.yaml: runz: unknown key"),
        ({"capacity": {"beds": 3}}, r"capacity\.beds: unknown key"),
        ({"seeding": [{"district": 1.5}]}, r"seeding\[0\]\.district: must be a district name"),
        ({"seeding": [{"day": 50}]}, r"seeding\[0\]\.day: must be < horizon \(40\)"),
        ({"seeding": [{"count": 0}]}, r"seeding\[0\]\.count: .*greater than or equal to 1"),
        (
            {"measures": [{"kind": "zones"}, {"kind": "zones"}]},
            r"measures\[1\]\.kind: zones is given twice",
        ),
        ({"city": {}}, r"city: give either workspace or generate"),
        ({"city": {"generate": {"population": 5}}}, r"city\.generate\.population: .*1000"),
        ({"rt": {"si_mean": 4}}, r"rt: give si_mean and si_sd together"),
        ({"measures": [{"kind": "zones", "trigger": {"diagnosed": 0}}]}, r"trigger\.diagnosed"),
    ],
)
def test_scenario_errors_name_the_yaml_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scenario(**data)


def test_yaml_errors_and_shipped_scenarios() -> None:
    with pytest.raises(ValueError, match=r"x\.yaml: line 2: not valid YAML"):
        scenario_from_yaml("name: a\nmeasures: [1,", source="x.yaml")
    with pytest.raises(ValueError, match=r"x\.yaml: \(top level\): must be a mapping"):
        scenario_from_yaml("- a\n- b\n", source="x.yaml")
    none, full = (load_scenario(shipped_scenario(n)) for n in ("no_measures", "full_package"))
    assert none.measures == [] and none.seed == full.seed and none.seeding == full.seeding
    kinds = [m.kind for _, m in full.sorted_measures()]
    assert kinds == [
        "symptomatic_testing",
        "mass_testing",
        "contact_tracing",
        "quarantine",
        "zones",
        "school_closure",
    ]
    with pytest.raises(ValueError, match="no shipped scenario 'nope'"):
        shipped_scenario("nope")


def test_params_overrides_and_measure_params_are_checked() -> None:
    sc = scenario(params={"layers.household.beta": 0.5})
    assert sc.twin_params().layers.household.beta == 0.5
    with pytest.raises(ValueError, match=r"t\.yaml: params\.layers\.house\.beta: no such"):
        scenario(params={"layers.house.beta": 1}).twin_params(source="t.yaml")
    with pytest.raises(ValueError, match=r"params\.layers\.household\.beta: .*less than or equal"):
        scenario(params={"layers.household.beta": 50}).twin_params(source="t.yaml")
    bad = scenario(measures=[{"kind": "quarantine"}, {"kind": "symptomatic_testing", "p": 1}])
    with pytest.raises(ValueError, match=r"t\.yaml: measures\[1\]\.p: "):
        build_measures(bad, MeasureContext(), source="t.yaml")
    bad = scenario(measures=[{"kind": "symptomatic_testing", "test_prob": 2}])
    with pytest.raises(ValueError, match=r"measures\[0\]\.test_prob: .*less than or equal to 1"):
        run_ensemble(bad, CITY, source="t.yaml")


def test_unknown_district_and_seeding_resolution() -> None:
    pop = CITY.population
    assert resolve_seeding(scenario(seeding=[{"district": "东区"}, {}, {"district": 3}]), pop) == [
        2,
        -1,
        3,
    ]
    with pytest.raises(ValueError, match=r"seeding\[0\]\.district: unknown district '鼓楼区'"):
        resolve_seeding(scenario(seeding=[{"district": "鼓楼区"}]), pop, source="t.yaml")
    with pytest.raises(ValueError, match=r"seeding\[0\]\.district: index must be < 4"):
        run_ensemble(scenario(seeding=[{"district": 7}]), CITY)


def test_quick_options_are_checked() -> None:
    assert parse_quick(agents=1000, days=10, r0=2.0).beta == pytest.approx(2.0 / (10 * 5))
    with pytest.raises(ValueError, match=r"--agents: .*greater than or equal to 100"):
        parse_quick(agents=5, days=10, r0=2.0)
    with pytest.raises(ValueError, match=r"--disease: "):
        parse_quick(agents=1000, days=10, r0=2.0, disease="sis")
    with pytest.raises(ValueError, match=r"--mixing: "):
        parse_quick(agents=1000, days=10, r0=2.0, mixing="city")


# --------------------------------------------------------------------------- helpers


def test_days_to_zero_on_constructed_series() -> None:
    assert days_to_zero([3, 1, 0, 2, 0, 0]) == 4
    assert days_to_zero([0, 0, 0]) == 0
    assert days_to_zero([5, 0, 0, 0, 0]) == 1
    assert days_to_zero([1, 0, 1]) is None  # a case on the last day: not reached
    assert days_to_zero(np.array([0, 0, 4, 0])) == 3
    with pytest.raises(ValueError, match="one-dimensional"):
        days_to_zero(np.zeros((2, 2)))


def test_run_seeds_are_distinct_and_stable() -> None:
    seeds = [run_seed(7, r) for r in range(50)]
    assert len(set(seeds)) == 50 and all(0 <= s < 2**63 for s in seeds)
    assert seeds == [run_seed(7, r) for r in range(50)]
    assert run_seed(8, 0) != seeds[0]


def test_summarise_and_band_recompute() -> None:
    s = summarise([4.0, 1.0, 3.0, 2.0, 5.0])
    assert s["median"] == 3.0 and s["mean"] == 3.0 and s["reached"] == 5
    assert s["lo"] == pytest.approx(1.2) and s["hi"] == pytest.approx(4.8)  # linear, n = 5
    c = summarise([10.0, None, 12.0, 11.0], censored=True)  # None: not reached (+inf)
    assert c["median"] == 11.0 and c["hi"] is None and c["mean"] is None and c["reached"] == 3
    skip = summarise([None, 2.0, 4.0])  # None: no value, left out
    assert skip["median"] == 3.0 and skip["reached"] == 2 and skip["runs"] == 3
    assert summarise([None, None])["median"] is None
    rng = np.random.default_rng(1)
    runs = rng.poisson(20, size=(9, 30)).astype(np.float64)
    runs[:, 5] = np.nan  # e.g. Rt not estimable that day in any run
    b = band(runs)
    ok = np.arange(30) != 5
    np.testing.assert_allclose(b["mean"][ok], runs[:, ok].mean(axis=0))
    np.testing.assert_allclose(b["lo"][ok], np.percentile(runs[:, ok], 5, axis=0))
    np.testing.assert_allclose(b["hi"][ok], np.percentile(runs[:, ok], 95, axis=0))
    assert np.isnan(b["mean"][5]) and np.isnan(b["lo"][5])


def test_natural_serial_interval_with_fixed_durations() -> None:
    """Latency 2, presymptomatic 1, symptomatic 3 days: transmission days 2..5 by weight."""
    fixed = {
        "durations.exposed_to_infectious": {"dist": "fixed", "mean": 2.0},
        "durations.infectious_to_symptomatic": {"dist": "fixed", "mean": 1.0},
        "durations.mild_to_recovered": {"dist": "fixed", "mean": 3.0},
    }
    params = load_preset("wild_type").updated(fixed)
    mean, sd = natural_serial_interval(params)
    # SI = t + (2 + 1) - (2 + 1) = t, t uniform on {2, 3, 4, 5}
    assert mean == pytest.approx(3.5, abs=0.01) and sd == pytest.approx(math.sqrt(1.25), abs=0.01)
    half = params.updated({"transmission.rel_presymptomatic": 0.5})
    mean, _ = natural_serial_interval(half)
    assert mean == pytest.approx((2 * 0.5 + 3 + 4 + 5) / 3.5, abs=0.01)


def test_rt_of_constant_and_doubling_incidence() -> None:
    n = 60
    flat = np.full(n, 200, dtype=np.int64)
    rt = rt_series(flat, np.zeros(n, np.int64), si_mean=4.0, si_sd=2.0, window=7, max_cv=0.3)
    assert np.isnan(rt[:7]).all()  # the first window ends on day 8 (EpiEstim)
    np.testing.assert_allclose(rt[30:], 1.0, atol=0.02)
    few = np.zeros(n, np.int64)
    few[10] = 3  # too few cases: the prior would dominate, not reported
    assert np.isnan(
        rt_series(few, np.zeros(n, np.int64), si_mean=4.0, si_sd=2.0, window=7, max_cv=0.3)
    ).all()


def test_trigger_starts_a_measure_after_the_first_diagnoses() -> None:
    pop = CITY.population
    params = load_preset("omicron")
    sc = scenario(
        measures=[
            {"kind": "symptomatic_testing", "test_prob": 1.0},
            {"kind": "contact_tracing", "trigger": {"diagnosed": 3, "delay_days": 2}},
        ]
    )
    measures = build_measures(sc, MeasureContext(capacity={"tracers": 4.0}))
    assert not isinstance(measures[0], Scheduled) and isinstance(measures[1], Scheduled)
    sim = Sim(pop, params, seed=5, measures=measures)
    sim.seed_random(20)
    sim.run(40)
    reg = registry_of(sim)
    diagnosed = reg.figure("diagnosed", 40)
    cum = np.cumsum(diagnosed)
    first = int(np.argmax(cum >= 3))  # day whose end reaches 3 diagnoses
    assert cum[-1] >= 3
    assert measures[1].fired_on == first + 1  # counted through yesterday
    assert measures[1].started_on == first + 3
    traced = reg.figure("cases_traced", 40)
    assert traced[: first + 3].sum() == 0 and traced.sum() > 0
    with pytest.raises(ValueError, match=r"measures\[0\]\.trigger: mass_testing needs the zones"):
        build_measures(
            scenario(measures=[{"kind": "zones", "trigger": {}}, {"kind": "mass_testing"}]),
            MeasureContext(),
        )


# --------------------------------------------------------------------------- ensembles


@pytest.fixture(scope="module")
def pair() -> tuple[EnsembleResult, EnsembleResult]:
    a = scenario()
    b = scenario(
        measures=[
            {"kind": "symptomatic_testing", "test_prob": 0.5},
            {"kind": "contact_tracing"},
            {"kind": "quarantine", "rooms": 30},
        ]
    )
    return run_ensemble(a, CITY), run_ensemble(b, CITY)


def same(x: pa.Table, y: pa.Table) -> bool:
    """Equal tables, NaN equal to NaN (Rt is NaN where not estimable)."""
    return x.column_names == y.column_names and all(
        np.array_equal(
            x.column(c).to_numpy(zero_copy_only=False),
            y.column(c).to_numpy(zero_copy_only=False),
            equal_nan=x.column(c).type == pa.float64(),
        )
        for c in x.column_names
    )


def test_same_seed_same_outputs(pair: tuple[EnsembleResult, EnsembleResult]) -> None:
    a, b = pair
    again = run_ensemble(b.scenario, CITY)
    assert same(again.daily_table(), b.daily_table())
    assert same(again.district_table(), b.district_table())
    assert same(
        again.runs_table().drop_columns(["wall_s"]), b.runs_table().drop_columns(["wall_s"])
    )
    other = run_ensemble(b.scenario.with_overrides(seed=12), CITY)
    assert not same(other.daily_table(), b.daily_table())
    assert a.seeds == b.seeds == [run_seed(11, r) for r in range(3)]  # common random numbers


def test_ensemble_outputs_are_consistent(pair: tuple[EnsembleResult, EnsembleResult]) -> None:
    a, b = pair
    n, days = len(b.runs), b.days
    assert b.daily_table().num_rows == n * days
    assert b.district_table().num_rows == n * days * 4
    assert b.runs_table().num_rows == n and set(OUTCOMES) <= set(b.runs_table().column_names)
    for res in pair:
        for r in res.runs:
            inc = r.results.new_infections
            assert r.outcomes["infections"] == r.results.seeded + inc.sum()
            assert r.outcomes["peak_day"] == int(np.argmax(inc))
            assert r.results.new_infections_by_district.sum(axis=1).tolist() == inc.tolist()
            over = (r.series["hospital"] > 5.0).sum()  # the city's 5 beds
            assert r.outcomes["hospital_days_over"] == over
        for name, bd in res.bands.items():
            runs = res.series(name)
            ok = ~np.isnan(bd["mean"])
            lo, hi = bd["lo"][ok], bd["hi"][ok]
            assert (lo <= bd["mean"][ok] + 1e-9).all() and (bd["mean"][ok] <= hi + 1e-9).all()
            assert (np.nanmin(runs[:, ok], axis=0) <= lo + 1e-9).all(), name
            assert (hi <= np.nanmax(runs[:, ok], axis=0) + 1e-9).all(), name
    # seeding: 5 cases in 南区 (index 1) on day 0
    assert all(r.results.seeded == 5 for r in b.runs)
    no = a.runs[0]
    assert no.outcomes["diagnosed"] == 0 and no.outcomes["peak_quarantine"] == 0
    assert no.outcomes["community_cases"] == no.results.new_symptomatic.sum()  # no case finding
    with_m = b.runs[0]
    community = with_m.series["community_cases"]
    assert with_m.outcomes["community_cases"] == community.sum()
    assert with_m.outcomes["days_to_zero"] == days_to_zero(community)
    assert with_m.outcomes["peak_quarantine"] <= 30


def test_compare_pairs_the_runs(pair: tuple[EnsembleResult, EnsembleResult]) -> None:
    a, b = pair
    comp = compare_ensembles(a, b)
    inf_a = a.outcome_values("infections")
    inf_b = b.outcome_values("infections")
    diffs = [y - x for x, y in zip(inf_a, inf_b, strict=True)]  # type: ignore[operator]
    assert comp["infections"]["difference"]["median"] == float(np.median(diffs))
    assert comp["infections"]["a"]["median"] == float(np.median(inf_a))  # type: ignore[arg-type]
    doc = b.to_dict(daily=["new_infections", "rt"])
    assert set(doc["daily"]) == {"day", "new_infections", "rt"}
    assert doc["seeds"] == [str(s) for s in b.seeds]
    assert [m["kind"] for m in doc["measures"]] == [
        "symptomatic_testing",
        "contact_tracing",
        "quarantine",
    ]
    other = run_ensemble(a.scenario.with_overrides(runs=2), CITY)
    with pytest.raises(ValueError, match="same runs and seeds"):
        compare_ensembles(other, b)


def test_rt_on_diagnoses_and_vaccination_in_a_scenario() -> None:
    sc = scenario(
        runs=1,
        measures=[
            {"kind": "vaccination", "coverage": {60: 0.9}},
            {"kind": "symptomatic_testing", "test_prob": 1.0},
        ],
        rt={"series": "diagnosed", "si_mean": 4.0, "si_sd": 2.0},
    )
    res = run_ensemble(sc, CITY)
    run = res.runs[0]
    assert res.serial_interval == (4.0, 2.0)
    assert run.series["vaccinated"].max() > 0
    # Rt of the window ending on day d uses the diagnoses of days d-6..d (5 seeds imported):
    # prior shape 1, so CV <= 0.3 needs >= 11 local cases in the window
    window = np.convolve(run.series["diagnosed"], np.ones(7))[: sc.horizon]
    rt = run.series["rt"]
    assert np.isnan(rt[window < 11]).all()
    assert np.isfinite(rt[7:][window[7:] >= 11 + 5]).all()
    assert np.isfinite(rt).any()
