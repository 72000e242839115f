from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.resources.provision import provision


def test_required_and_shortfall_follow_the_standard() -> None:
    # Fuzhou's figures: 8.3 million residents at 15 rooms per 10 000 need 12 450 rooms;
    # with 12 000 on hand the gap is 450.  (The plan states a 3 000-room gap, which does
    # not follow from its own numbers.)
    p = provision([8_300_000, 20_000, 0], [12_000, 40, 5], 15.0)
    assert p.required.tolist() == [12_450, 30, 0]
    assert p.shortfall.tolist() == [450, 0, 0]
    assert p.short.tolist() == [True, False, False]
    assert p.per_10k[1] == pytest.approx(20.0)
    assert np.isnan(p.per_10k[2])


def test_fractions_round_up_and_float_noise_does_not() -> None:
    p = provision([10_001, 10_000], [0, 0], 15.0)
    assert p.required.tolist() == [16, 15]


@pytest.mark.parametrize(
    ("population", "capacity", "standard", "message"),
    [
        ([1, 2], [1], 15.0, "same shape"),
        ([-1], [1], 15.0, "population must be finite and >= 0"),
        ([1], [-3], 15.0, "capacity must be finite and >= 0"),
        ([1], [1], 0.0, "standard_per_10k must be > 0"),
    ],
)
def test_bad_input(
    population: list[int], capacity: list[int], standard: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        provision(population, capacity, standard)
