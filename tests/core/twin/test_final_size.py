"""The quick mode against the Kermack–McKendrick final size (issue: correctness).

Homogeneous mixing, SIR, R0 ∈ {1.5, 2.5, 4}, 200,000 agents: the ensemble
mean attack rate must lie within 0.01 of the analytic ``z``.  With ``k``
agents infected at the start (out of ``n``), the deterministic final size
solves ``1 - z = (1 - k/n) exp(-R0 z)`` (``z`` counts the initial cases,
as the attack rate does); for ``k = 10`` this differs from the textbook
``z = 1 - exp(-R0 z)`` by less than 2e-4.  The conversion ``β = R0 / (c D)``
and why the day step leaves it unbiased are in :mod:`epicontrol.core.twin.scenario`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from epicontrol.core.twin.scenario import parse_quick, run_quick

AGENTS = 200_000
INITIAL = 10


def analytic(r0: float, seeded: float) -> float:
    """Final size with a seeded fraction (independent of metapop.final_size)."""
    return float(brentq(lambda z: 1 - z - (1 - seeded) * math.exp(-r0 * z), 1e-3, 1.0))


@pytest.mark.parametrize(
    ("r0", "disease"), [(1.5, "sir"), (2.5, "sir"), (4.0, "sir"), (2.5, "seir")]
)
def test_homogeneous_attack_rate_matches_final_size(r0: float, disease: str) -> None:
    spec = parse_quick(
        agents=AGENTS,
        days=400,
        disease=disease,
        r0=r0,
        infectious_days=3,
        initial=INITIAL,
        runs=3,
        seed=20,
    )
    res = run_quick(spec)
    assert all(d < spec.days for d in res.days_simulated)  # every run ended: final size
    z = analytic(r0, INITIAL / AGENTS)
    assert abs(z - (1 - math.exp(-r0 * z))) < 2e-4  # the textbook relation, nearly
    mean = float(res.attack_rates.mean())
    assert abs(mean - z) < 0.01, (mean, z, res.attack_rates)
    # the runs themselves scatter by O(1/sqrt(n)) only: no run is a minor outbreak
    assert np.all(np.abs(res.attack_rates - z) < 0.03)
    summary = res.summary()
    assert summary["attack_rate"] == pytest.approx(mean)
    assert abs(summary["analytic_attack_rate"] - z) < 2e-4
    inc = np.asarray(summary["daily_incidence"])
    assert len(inc) == spec.days and summary["peak_day"] == int(np.argmax(inc))
    assert inc.sum() + INITIAL == pytest.approx(mean * AGENTS)


def test_seir_latency_delays_the_peak_not_the_final_size() -> None:
    common = {"agents": 50_000, "days": 300, "r0": 2.5, "infectious_days": 3, "runs": 2}
    sir = run_quick(parse_quick(**common, disease="sir")).summary()
    seir = run_quick(parse_quick(**common, disease="seir", latent_days=4)).summary()
    assert seir["peak_day"] > sir["peak_day"] + 10
    assert abs(seir["attack_rate"] - sir["attack_rate"]) < 0.01
