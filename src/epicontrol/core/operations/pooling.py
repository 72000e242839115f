"""Dorfman two-stage pooled testing (混采): expected tests, accuracy, pool size, pools.

In the first stage the samples of ``k`` persons are tested together; a
negative pool clears all its members, and each member of a positive pool is
re-tested individually (second stage).  With prevalence ``p``, test
sensitivity ``Se`` and specificity ``Sp`` and pools of ``k > 1`` the expected
number of tests per person is

.. math:: E[T]/k = 1/k + P(\\text{pool positive}),

which for a perfect test is Dorfman's :math:`1/k + 1 - (1-p)^k`.  A pool with
``d ≥ 1`` positive samples among ``k`` is detected with probability
:math:`Se \\cdot (d/k)^{\\delta}` (power-law dilution, ``δ = 0`` no dilution;
the signal of one positive swab is diluted ``k``-fold, which shifts the PCR
cycle threshold by about :math:`\\log_2 k`), and a pool of negatives is
called positive with probability :math:`1 - Sp`.

References
----------
Dorfman R. The detection of defective members of large populations.
*Ann. Math. Statist.* 14(4):436–440, 1943.

Hwang FK. Group testing with a dilution effect. *Biometrika* 63(3):611–613, 1976.

Kim HY, Hudgens MG, Dreyfuss JM, Westreich DJ, Pilcher CD. Comparison of group
testing algorithms for case identification in the presence of test error.
*Biometrics* 63(4):1152–1163, 2007.

Yelin I, Aharony N, Tamar ES, et al. Evaluation of COVID-19 RT-qPCR test in
multi sample pools. *Clin. Infect. Dis.* 71(16):2073–2078, 2020.

Bateman AC, Mueller S, Guenther K, Shult P. Assessing the dilution effect of
specimen pooling on the sensitivity of SARS-CoV-2 PCR tests.
*J. Med. Virol.* 93(3):1568–1572, 2021.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom

__all__ = [
    "PoolingAccuracy",
    "PoolingSimulation",
    "dorfman_accuracy",
    "dorfman_tests_per_person",
    "form_pools",
    "optimal_pool_size",
    "pool_detection",
    "simulate_dorfman",
]


def _check_probability(name: str, value: float, *, open_low: bool = False) -> None:
    if not np.isfinite(value) or value < 0 or value > 1 or (open_low and value == 0):
        rule = "in (0, 1]" if open_low else "in [0, 1]"
        raise ValueError(f"{name} must be a probability {rule}, got {value!r}")


def _check(p: float, k: int, sensitivity: float, specificity: float, dilution: float) -> None:
    _check_probability("prevalence", p)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"pool_size must be an integer >= 1, got {k!r}")
    _check_probability("sensitivity", sensitivity, open_low=True)
    _check_probability("specificity", specificity)
    if not np.isfinite(dilution) or dilution < 0:
        raise ValueError(f"dilution must be a number >= 0, got {dilution!r}")


def pool_detection(k: int, sensitivity: float = 1.0, dilution: float = 0.0) -> NDArray[np.float64]:
    """Probability that a pool of ``k`` with ``d`` positives tests positive, ``d = 0..k``.

    Entry 0 is not a detection probability (a negative pool is called positive
    with probability ``1 − Sp``, which callers add) and is 0 here.
    """
    _check(0.0, k, sensitivity, 1.0, dilution)
    d = np.arange(k + 1, dtype=np.float64)
    out = sensitivity * (d / k) ** dilution
    out[0] = 0.0
    return np.asarray(out, dtype=np.float64)


def _pool_positive(p: float, k: int, se: float, sp: float, dilution: float) -> float:
    """P(a pool of ``k`` random persons tests positive)."""
    det = pool_detection(k, se, dilution)
    d = np.arange(k + 1)
    weights = binom.pmf(d, k, p)
    return float((weights[1:] * det[1:]).sum() + weights[0] * (1.0 - sp))


def dorfman_tests_per_person(
    p: float,
    k: int,
    *,
    sensitivity: float = 1.0,
    specificity: float = 1.0,
    dilution: float = 0.0,
) -> float:
    """Expected tests per person of Dorfman two-stage testing with pools of ``k``.

    ``k = 1`` is individual testing (one test each).  With a perfect test this
    is Dorfman's (1943) closed form :math:`1/k + 1 - (1-p)^k`.

    Parameters
    ----------
    p : float
        Prevalence in [0, 1].
    k : int
        Pool size >= 1.
    sensitivity, specificity : float
        Of one PCR test (Se in (0, 1], Sp in [0, 1]).
    dilution : float
        Exponent δ >= 0 of the dilution model (module docstring).
    """
    _check(p, k, sensitivity, specificity, dilution)
    if k == 1:
        return 1.0
    return 1.0 / k + _pool_positive(p, k, sensitivity, specificity, dilution)


@dataclass(frozen=True)
class PoolingAccuracy:
    """Per-person accuracy of two-stage testing (Kim et al. 2007, Dorfman procedure)."""

    #: Expected tests per person.
    tests_per_person: float
    #: Probability that a positive person is reported positive (recall).
    sensitivity: float
    #: Probability that a negative person is reported negative.
    specificity: float
    #: Expected share of pools that test positive (and are re-tested).
    positive_pools: float
    #: Persons per test: ``1 / tests_per_person``.
    efficiency: float


def dorfman_accuracy(
    p: float,
    k: int,
    *,
    sensitivity: float = 1.0,
    specificity: float = 1.0,
    dilution: float = 0.0,
) -> PoolingAccuracy:
    """Tests per person, recall and specificity of the Dorfman procedure.

    A positive person is found when the pool is detected and the individual
    re-test is positive:
    :math:`Se_{eff} = Se \\sum_{j=0}^{k-1} \\binom{k-1}{j} p^j (1-p)^{k-1-j} s_{j+1}`,
    with :math:`s_d = Se (d/k)^δ` the pool detection of :func:`pool_detection`.
    A negative person is a false positive when the pool is called positive
    and the re-test is a false positive:
    :math:`1 - Sp_{eff} = (1-Sp) \\big[(1-p)^{k-1}(1-Sp) + \\sum_{j\\ge1} \\ldots s_j\\big]`.
    """
    _check(p, k, sensitivity, specificity, dilution)
    if k == 1:
        return PoolingAccuracy(1.0, sensitivity, specificity, 0.0, 1.0)
    det = pool_detection(k, sensitivity, dilution)
    j = np.arange(k)
    others = binom.pmf(j, k - 1, p)
    recall = sensitivity * float((others * det[j + 1]).sum())
    called_given_negative = float(others[0] * (1.0 - specificity) + (others[1:] * det[1:k]).sum())
    spec = 1.0 - (1.0 - specificity) * called_given_negative
    positive = _pool_positive(p, k, sensitivity, specificity, dilution)
    tpp = 1.0 / k + positive
    return PoolingAccuracy(tpp, recall, spec, positive, 1.0 / tpp)


def optimal_pool_size(
    p: float,
    *,
    max_size: int = 30,
    sensitivity: float = 1.0,
    specificity: float = 1.0,
    dilution: float = 0.0,
) -> tuple[int, float]:
    """The pool size in ``1..max_size`` with the fewest expected tests per person.

    Returns ``(k, tests_per_person)``; ties go to the smaller pool.  For small
    ``p`` the optimum of the perfect test is close to :math:`1/\\sqrt{p}`
    (Dorfman 1943: ``p = 0.01`` gives ``k = 11`` and 0.196 tests per person).
    """
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"max_size must be an integer >= 1, got {max_size!r}")
    best_k, best = 1, 1.0
    for k in range(2, max_size + 1):
        value = dorfman_tests_per_person(
            p, k, sensitivity=sensitivity, specificity=specificity, dilution=dilution
        )
        if value < best - 1e-12:
            best_k, best = k, value
    _check(p, best_k, sensitivity, specificity, dilution)
    return best_k, best


@dataclass(frozen=True)
class PoolingSimulation:
    """Outcome of simulated Dorfman rounds (:func:`simulate_dorfman`)."""

    persons: int
    positives: int
    tests: int
    found: int
    false_positives: int

    @property
    def tests_per_person(self) -> float:
        return self.tests / self.persons

    @property
    def recall(self) -> float:
        """Share of the positive persons reported positive (nan without positives)."""
        return self.found / self.positives if self.positives else float("nan")


def simulate_dorfman(
    p: float,
    k: int,
    persons: int,
    *,
    sensitivity: float = 1.0,
    specificity: float = 1.0,
    dilution: float = 0.0,
    rng: np.random.Generator | None = None,
) -> PoolingSimulation:
    """Simulate two-stage testing of ``persons`` persons (a multiple of ``k``) in pools of ``k``.

    Infection, pool results and re-test results are drawn independently with
    the same model as :func:`dorfman_accuracy`; used to check the closed forms.
    """
    _check(p, k, sensitivity, specificity, dilution)
    if persons < k or persons % k:
        raise ValueError(f"persons must be a positive multiple of pool_size {k}, got {persons}")
    gen = rng if rng is not None else np.random.default_rng()
    infected = gen.random(persons) < p
    pools = infected.reshape(-1, k)
    d = pools.sum(axis=1)
    det = pool_detection(k, sensitivity, dilution)
    u = gen.random(len(d))
    called = np.where(d > 0, u < det[d], u < 1.0 - specificity) if k > 1 else np.ones(len(d), bool)
    retested = np.repeat(called, k)
    v = gen.random(persons)
    reported = retested & np.where(infected, v < sensitivity, v < 1.0 - specificity)
    tests = (len(d) if k > 1 else 0) + int(retested.sum())
    return PoolingSimulation(
        persons=persons,
        positives=int(infected.sum()),
        tests=tests,
        found=int((reported & infected).sum()),
        false_positives=int((reported & ~infected).sum()),
    )


@nb.njit(nogil=True, cache=True)
def _pack(
    group: NDArray[np.int64],
    hh_start: NDArray[np.int64],
    hh_size: NDArray[np.int64],
    hh_group: NDArray[np.int64],
    k: int,
    window: int,
    out: NDArray[np.int64],
) -> int:  # pragma: no cover - compiled
    """Next-fit packing of households into pools of ``k`` with a look-ahead ``window``.

    Households are taken in order; when the next one does not fit the open
    pool, the first later household of the same group (site) within
    ``window`` that fits is pulled forward.  Households larger than ``k``
    are split into chunks.  ``out[person] = pool``; returns the pool count.
    """
    n_h = len(hh_size)
    used = np.zeros(n_h, np.bool_)
    pool = -1
    free = 0
    cur_group = -1
    for h in range(n_h):
        if used[h]:
            continue
        g = hh_group[h]
        if g != cur_group:
            cur_group = g
            free = 0
        size = hh_size[h]
        if size > free and size <= k and free > 0:
            # fill the open pool from the look-ahead window first
            j = h + 1
            while free > 0 and j < n_h and j <= h + window and hh_group[j] == g:
                if not used[j] and hh_size[j] <= free:
                    used[j] = True
                    for m in range(hh_size[j]):
                        out[hh_start[j] + m] = pool
                    free -= hh_size[j]
                j += 1
        used[h] = True
        start = hh_start[h]
        if size <= free:
            for m in range(size):
                out[start + m] = pool
            free -= size
            continue
        if size <= k:
            pool += 1
            free = k
            for m in range(size):
                out[start + m] = pool
            free -= size
            continue
        # a household larger than a pool: fill the open pool, then whole pools
        m = 0
        while m < size:
            if free == 0:
                pool += 1
                free = k
            out[start + m] = pool
            free -= 1
            m += 1
    return pool + 1


def form_pools(
    site: ArrayLike,
    building: ArrayLike,
    household: ArrayLike,
    person: ArrayLike,
    k: int,
    *,
    keep_households: bool = True,
    window: int = 32,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Form pools of at most ``k`` persons, each pool within one sampling site.

    Persons are taken in building order (site, building, household, person);
    with ``keep_households`` a household is never split across pools unless
    it is larger than ``k`` (sampling queues are formed by household), and an
    open pool is topped up from the next ``window`` households of the site so
    that pools stay full.  Without it, pools are consecutive runs of ``k``.

    Returns ``(order, pool)``: ``order`` the indices of the input persons in
    sampling order, ``pool[i]`` the pool of input person ``order[i]``; pools
    are numbered from 0 in sampling order, sites in ascending order, so
    ``pool`` is non-decreasing and each pool's members are consecutive.
    """
    arrays = [np.asarray(a, dtype=np.int64) for a in (site, building, household, person)]
    n = len(arrays[0])
    for name, a in zip(("site", "building", "household", "person"), arrays, strict=True):
        if a.ndim != 1 or len(a) != n:
            raise ValueError(f"{name} must be a 1-d array of {n} values, got shape {a.shape}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"pool_size must be an integer >= 1, got {k!r}")
    if window < 0:
        raise ValueError(f"window must be >= 0, got {window}")
    s, b, h, p = arrays
    order = np.lexsort((p, h, b, s))
    if n == 0:
        return order.astype(np.int64), np.zeros(0, np.int64)
    ss, hh = s[order], h[order]
    new_hh = np.ones(n, bool)
    new_hh[1:] = (hh[1:] != hh[:-1]) | (ss[1:] != ss[:-1])
    hh_start = np.flatnonzero(new_hh).astype(np.int64)
    hh_size = np.diff(np.append(hh_start, n)).astype(np.int64)
    hh_group = ss[hh_start]
    pools = np.empty(n, np.int64)
    if keep_households:
        _pack(ss, hh_start, hh_size, hh_group, int(k), int(window), pools)
    else:
        new_site = np.ones(n, bool)
        new_site[1:] = ss[1:] != ss[:-1]
        site_start = np.flatnonzero(new_site)
        rank = np.arange(n) - np.repeat(site_start, np.diff(np.append(site_start, n)))
        per_site = -(-np.diff(np.append(site_start, n)) // k)
        offset = np.repeat(np.cumsum(per_site) - per_site, np.diff(np.append(site_start, n)))
        pools[:] = offset + rank // k
    # households pulled forward are sampled with the pool they joined
    regroup = np.argsort(pools, kind="stable")
    return order[regroup].astype(np.int64), pools[regroup]
