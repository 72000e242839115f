"""The detector registry: names, frequencies, documented parameters, the common options."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.surveillance import farrington
from epicontrol.core.surveillance.base import DetectionResult
from epicontrol.core.surveillance.registry import (
    DETECTORS,
    detector,
    history_steps,
    parse_param,
    validate_params,
)

NAMES = [
    "ears-c1",
    "ears-c2",
    "ears-c3",
    "ewma",
    "regression",
    "switch",
    "nbinom",
    "serfling",
    "farrington",
    "cusum",
]


def test_every_cli_name_is_registered() -> None:
    assert list(DETECTORS) == NAMES
    assert {n for n, s in DETECTORS.items() if s.frequency == "weekly"} == {
        "nbinom",
        "serfling",
        "farrington",
    }


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_documented_and_options_map_to_them(name: str) -> None:
    spec = DETECTORS[name]
    assert spec.name == name and spec.summary
    params = {p.name: p for p in spec.params}
    assert params, name
    for p in params.values():
        assert p.help, f"{name}: parameter {p.name} has no description in the docstring"
        assert p.type, f"{name}: parameter {p.name} has no type in the docstring"
    for option, keyword in spec.options.items():
        assert option in ("baseline", "guard", "alpha")
        assert keyword in params, f"{name}: --{option} maps to unknown {keyword}"


@pytest.mark.parametrize("name", NAMES)
def test_each_detector_runs_through_the_registry(name: str) -> None:
    spec = DETECTORS[name]
    rng = np.random.default_rng(1)
    weekly = spec.frequency == "weekly"
    length = 52 * 7 if weekly else 120
    step = 7 if weekly else 1
    dates = np.datetime64("2019-01-07") + np.arange(length) * np.timedelta64(step, "D")
    counts = rng.poisson(20, size=(3, length)).astype(float)
    counts[1, -1] = 80  # a spike on the last step
    extra = {"baseline_end": dates[52 * 4]} if name in ("nbinom", "serfling") else {}
    result = spec.run(counts, dates, **extra)
    assert isinstance(result, DetectionResult)
    for field in ("statistic", "threshold", "p_value", "alarm", "evaluated"):
        assert getattr(result, field).shape == counts.shape, field
    assert result.evaluated[:, -1].all()
    assert result.alarm[1, -1], f"{name} misses a 4-fold spike"
    assert not (result.alarm & ~result.evaluated).any()


def test_farrington_is_the_improved_algorithm() -> None:
    spec = detector("farrington")
    assert dict(spec.preset) == {**farrington.NOUFAILY_DEFAULTS, "threshold_method": "muan"}
    defaults = {p.name: p.default for p in spec.params}
    assert defaults["no_periods"] == 10 and defaults["threshold_method"] == "muan"
    assert defaults["past_weeks_not_included"] == 26


def test_required_parameters_are_marked() -> None:
    params = {p.name: p for p in detector("nbinom").params}
    assert params["baseline_end"].required and params["baseline_end"].default is None
    assert not params["include_time"].required


def test_validation_parsing_and_history() -> None:
    with pytest.raises(KeyError, match="unknown detector 'magic'; known: ears-c1"):
        detector("magic")
    with pytest.raises(
        ValueError, match=r"ewma: unknown parameter\(s\) alpha; valid: b, g, w1, w2"
    ):
        validate_params("ewma", {"alpha": 0.01})
    validate_params("ears-c2", {"baseline": 10, "min_sigma": 1.0})
    assert parse_param("b=28") == ("b", 28)
    assert parse_param(" alpha = 0.01 ") == ("alpha", 0.01)
    assert parse_param("reset=true") == ("reset", True)
    assert parse_param("mu0=none") == ("mu0", None)
    assert parse_param("kind=nbinom") == ("kind", "nbinom")
    with pytest.raises(ValueError, match="key=value"):
        parse_param("b")
    # steps before the first evaluated one, from the implementation itself
    assert history_steps("ears-c1") == 7
    assert history_steps("ears-c2") == 9
    assert history_steps("ears-c3") == 11
    assert history_steps("ears-c2", {"baseline": 10}) == 12
    assert history_steps("cusum") == 28
