"""Discretised serial interval against EpiEstim ``discr_si`` (peer vectors) and its definition."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import integrate, stats

from epicontrol.core.twin.serial_interval import (
    check_si_distr,
    discr_si,
    parametric_si,
    si_moments,
)
from tests.peers import peer_vectors_dir


def _expected(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((peer_vectors_dir() / f"epiestim_expected_{name}.json").read_text())


@pytest.mark.parametrize("name", ["example2", "example3"])
def test_discr_si_matches_epiestim(name: str) -> None:
    data = _expected(name)
    cfg = data["call"]["config"]
    expected = np.array(data["expected"]["si_distr"])
    # EpiEstim evaluates discr_si at k = 0..T-1 and pads one 0 (length T+1)
    got = np.append(parametric_si(cfg["mean_si"], cfg["std_si"], expected.size - 1), 0.0)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    mean, std = si_moments(got)
    np.testing.assert_allclose(mean, data["expected"]["SI.Moments"]["Mean"], rtol=1e-12)
    np.testing.assert_allclose(std, data["expected"]["SI.Moments"]["Std"], rtol=1e-12)


def test_discr_si_is_the_triangular_kernel_integral_of_the_offset_gamma() -> None:
    # w_k = integral of (1 - |x - k|)_+ dF(x) with F = 1 + Gamma(a, b): check by quadrature
    mu, sigma = 4.8, 2.3
    a, b = ((mu - 1) / sigma) ** 2, sigma**2 / (mu - 1)
    pdf = stats.gamma(a, loc=1.0, scale=b).pdf
    for k in range(0, 15):
        ref, _ = integrate.quad(
            lambda x, k=k: max(0.0, 1 - abs(x - k)) * pdf(x), max(k - 1, 1), k + 1
        )
        assert discr_si(k, mu, sigma)[()] == pytest.approx(ref, abs=1e-10)
    w = parametric_si(mu, sigma, 200)
    assert w[0] == 0.0
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    mean, _ = si_moments(w)
    assert mean[0] == pytest.approx(mu, rel=1e-9)  # the kernel keeps the mean


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="mean_si must be > 1"):
        discr_si([0, 1], 1.0, 1.0)
    with pytest.raises(ValueError, match="std_si must be > 0"):
        discr_si([0, 1], 2.0, 0.0)
    with pytest.raises(ValueError, match="k must be finite and >= 0"):
        discr_si([-1], 2.0, 1.0)
    with pytest.raises(ValueError, match=r"si_distr\[0\].*must be 0"):
        check_si_distr([0.1, 0.9])
    with pytest.raises(ValueError, match="must sum to 1"):
        check_si_distr([0.0, 0.5, 0.3])
    with pytest.raises(ValueError, match="no negative value"):
        check_si_distr([0.0, 1.2, -0.2])
    assert check_si_distr([0.0, 0.5, 0.495]).dtype == np.float64  # within EpiEstim's 0.01
