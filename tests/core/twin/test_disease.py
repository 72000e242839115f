"""Parameter presets, their validation, and the natural-history tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from epicontrol.core.twin import kernels as K
from epicontrol.core.twin.disease import DURATIONS, disease_tables
from epicontrol.core.twin.params import PRESETS, load_params, load_preset, parse_params


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load_and_conditionals_multiply_back(name: str) -> None:
    params = load_preset(name)
    assert params.name == name
    t = disease_tables(params)
    age = params.age
    sev = params.severity
    overall = t.overall()
    np.testing.assert_allclose(overall[:, 0], np.asarray(age.p_symptomatic) * sev.rel_symptomatic)
    factor = sev.rel_symptomatic * sev.rel_severe
    np.testing.assert_allclose(overall[:, 1], np.asarray(age.p_severe) * factor)
    np.testing.assert_allclose(
        overall[:, 3], np.asarray(age.p_death) * factor * sev.rel_critical * sev.rel_death
    )
    assert (t.prog >= 0).all() and (t.prog <= 1).all()
    assert t.age_bin(np.array([0, 9, 10, 89, 90, 110])).tolist() == [0, 0, 1, 8, 9, 9]


def test_omicron_is_faster_and_milder_than_wild_type() -> None:
    o, w = load_preset("omicron"), load_preset("wild_type")
    assert o.durations.exposed_to_infectious.mean < w.durations.exposed_to_infectious.mean
    assert (disease_tables(o).overall()[:, 1] < disease_tables(w).overall()[:, 1]).all()
    assert o.layers.household.beta > w.layers.household.beta


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"age.p_death": [0.5] * 10}, r"p_death\[0\] = 0.5 exceeds p_critical\[0\]"),
        ({"age.cutoffs": [0, 10, 5, 30, 40, 50, 60, 70, 80, 90]}, "strictly increasing"),
        ({"age.p_symptomatic": [0.5] * 9}, "p_symptomatic must have one value per age bin"),
        ({"layers.community.level_shares": [0.5, 0.6, 0.0]}, "sum to 1"),
        ({"layers.community.contacts": [1.0]}, "layers.community.contacts must have one value"),
        ({"layers.household.beta": -1}, r"layers.household.beta: Input should be greater"),
        ({"durations.mild_to_recovered": {"dist": "gamma", "mean": 5.0}}, "sd must be > 0"),
        ({"isolation.home_quarantine": [1.0, 0.0]}, "4 values"),
        ({"layers.bus": 1}, "layers.bus: no such parameter"),
    ],
)
def test_validation_names_the_field(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        load_preset("wild_type").updated(changes)


def test_files_and_unknown_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="preset must be one of"):
        load_preset("delta")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[layers\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.toml"):
        load_params(bad)
    data = load_preset("omicron").model_dump()
    data["transmission"]["speed"] = 3
    with pytest.raises(ValueError, match=r"transmission.speed: Extra inputs"):
        parse_params(data, source="mine")
    good = tmp_path / "good.toml"
    good.write_text(
        (Path(__file__).parents[3] / "src/epicontrol/core/twin/presets/omicron.toml").read_text(
            encoding="utf-8"
        ),
        encoding="utf-8",
    )
    assert load_params(good) == load_preset("omicron")


@pytest.mark.parametrize("dist", ["lognormal", "gamma", "fixed"])
def test_duration_draws_match_mean_and_sd(dist: str) -> None:
    mean, sd = 20.0, 6.0
    params = load_preset("wild_type").updated(
        {"durations.severe_to_recovered": {"dist": dist, "mean": mean, "sd": sd}}
    )
    t = disease_tables(params)
    row = DURATIONS.index("severe_to_recovered")
    x = K.sample_durations(np.uint64(12345), row, 200_000, t.dur_kind, t.dur_a, t.dur_b)
    assert x.min() >= 1
    if dist == "fixed":
        assert (x == 20).all()
        return
    assert abs(x.mean() - mean) < 0.05
    assert abs(x.std() - np.sqrt(sd**2 + 1 / 12)) < 0.08
    # Lognormal and gamma differ in skewness: 3 CV + CV^3 vs 2 CV.
    cv = sd / mean
    skew = float(((x - x.mean()) ** 3).mean() / x.std() ** 3)
    expected = 3 * cv + cv**3 if dist == "lognormal" else 2 * cv
    assert abs(skew - expected) < 0.05


def test_small_gamma_shape_and_short_durations() -> None:
    params = load_preset("wild_type").updated(
        {"durations.severe_to_critical": {"dist": "gamma", "mean": 1.5, "sd": 2.0}}
    )
    t = disease_tables(params)
    row = DURATIONS.index("severe_to_critical")
    x = K.sample_durations(np.uint64(7), row, 100_000, t.dur_kind, t.dur_a, t.dur_b)
    # shape 0.56 < 1: rounded draws, at least one day.
    assert x.min() == 1 and 1.5 < x.mean() < 2.2
