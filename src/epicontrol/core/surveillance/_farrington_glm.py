"""numba kernel of :mod:`.farrington`: every quasi-Poisson fit of every series and week.

The Farrington/Noufaily design of a monitored week is an intercept, an
optional linear time trend and a dummy per seasonal level (the reference
windows and the blocks between them).  Written with one intercept per level
instead of intercept + dummies (the same model and the same fitted values,
predictions, leverages, dispersion and trend t-statistic; only the labelling
of the coefficients differs), the weighted cross-product matrix is an *arrow*:

.. math::

   X^\\top W X = \\begin{pmatrix} \\operatorname{diag}(S_{0j}) & s_1 \\\\
                 s_1^\\top & S_2 \\end{pmatrix},\\quad
   S_{0j} = \\sum_{i \\in j} w_i,\\ s_{1j} = \\sum_{i \\in j} w_i t_i,\\
   S_2 = \\sum_i w_i t_i^2,

so each IRLS step, its inverse (the unscaled covariance) and every leverage
cost O(n + levels) instead of O(n p²) + O(p³).  With the Schur complement
``σ = S₂ - Σ_j s_{1j}² / S_{0j}``: ``Cov(β) = 1/σ``,
``Cov(θ_j, β) = -(s_{1j}/S_{0j})/σ`` and
``Cov(θ_j, θ_k) = δ_{jk}/S_{0j} + s_{1j} s_{1k} / (S_{0j} S_{0k} σ)``.

The IRLS itself is R ``glm.fit``'s as in :mod:`.farrington` (start ``y + 0.1``,
relative deviance change < 1e-8, at most 25 iterations, ``μ = max(exp η, ε)``;
weights, covariance and leverages of the last weighted least-squares step,
residuals with the final ``μ``).  A level whose weights are all zero (possible
after re-weighting) carries no information: its intercept is set to 0, as
the pseudo-inverse of the dense design would.

Kernels are serial and release the GIL; :func:`.farrington.farrington_flexible`
runs blocks of series on threads (:func:`._nssp.run_rows`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

_EPS = float(np.finfo(np.float64).eps)

#: Output planes of :func:`fit_all`, first axis of its ``out`` array.
OUT_FIELDS = (
    "trend_eta",  # linear predictor at the monitored week (trend model)
    "trend_se",  # its standard error
    "trend_phi",  # max(1, dispersion) of the final (re-weighted) trend fit
    "trend_t",  # t-statistic of the slope
    "trend_df",  # residual degrees of freedom
    "trend_ok",  # 1 if the first trend fit converged
    "trend_within",  # 1 if exp(eta) <= the largest count of the fitted weeks
    "flat_eta",
    "flat_se",
    "flat_phi",
    "flat_ok",
)
N_OUT = len(OUT_FIELDS)


@nb.njit(nogil=True, cache=True)
def _deviance(y, ylogy, mu, logmu, prior, n):  # type: ignore[no-untyped-def]
    """Poisson deviance ``2 Σ prior (y log(y/μ) - (y - μ))`` from ``y log y`` and ``log μ``."""
    d = 0.0
    for i in range(n):
        t = ylogy[i] - y[i] * logmu[i] if y[i] > 0.0 else 0.0
        d += prior[i] * (t - (y[i] - mu[i]))
    return 2.0 * d


_LOG_EPS = math.log(_EPS)


@nb.njit(nogil=True, cache=True)
def _irls_levels(  # type: ignore[no-untyped-def]
    y, ylogy, ly01, prior, lev, n, n_lev, mu, eta, logmu, w_last, s0, r0, theta, cov_jj, lv,
):  # fmt: skip
    """:func:`_irls` for the flat model without offset: O(levels) per step after the first.

    Once ``μ`` is one value per level (from the second step on), the weighted
    sums are ``S₀ⱼ = μⱼ Pⱼ`` and ``Σ w z = μⱼ ηⱼ Pⱼ + Yⱼ - μⱼ Pⱼ`` and the deviance
    is ``2 Σⱼ (Lⱼ - log μⱼ Yⱼ - Yⱼ + μⱼ Pⱼ)`` with ``Pⱼ = Σ prior``, ``Yⱼ = Σ prior y``
    and ``Lⱼ = Σ prior y log y`` over the level: the same iteration with sums
    taken once.  ``lv`` is scratch ``(8, levels)``; on return ``lv[3]`` holds μ.
    """
    P, Y, L, m, e, mprev = lv[0], lv[1], lv[2], lv[3], lv[4], lv[5]
    for j in range(n_lev):
        P[j] = 0.0
        Y[j] = 0.0
        L[j] = 0.0
        theta[j] = 0.0
        cov_jj[j] = math.nan
    for i in range(n):
        j = lev[i]
        P[j] += prior[i]
        Y[j] += prior[i] * y[i]
        if y[i] > 0.0:
            L[j] += prior[i] * ylogy[i]
        mu[i] = y[i] + 0.1
        eta[i] = ly01[i]
        w_last[i] = prior[i] * mu[i]
    dev_old = _deviance(y, ylogy, mu, eta, prior, n)
    converged = False
    per_level = False  # mu, eta and the last weights live in m, e, mprev
    for it in range(25):
        if it == 0:
            for j in range(n_lev):
                s0[j] = 0.0
                r0[j] = 0.0
            for i in range(n):
                w = prior[i] * mu[i]
                w_last[i] = w
                z = eta[i] + (y[i] - mu[i]) / mu[i]
                s0[lev[i]] += w
                r0[lev[i]] += w * z
        else:
            for j in range(n_lev):
                mprev[j] = m[j]
                s0[j] = m[j] * P[j]
                r0[j] = m[j] * e[j] * P[j] + (Y[j] - m[j] * P[j])
        dev = 0.0
        for j in range(n_lev):
            if s0[j] > 0.0:
                theta[j] = r0[j] / s0[j]
                cov_jj[j] = 1.0 / s0[j]
            else:
                theta[j] = 0.0
                cov_jj[j] = 0.0
            v = np.exp(theta[j])
            m[j] = v if (v > _EPS or v != v) else _EPS
            e[j] = theta[j]
            lm = theta[j] if m[j] > _EPS else _LOG_EPS
            dev += L[j] - lm * Y[j] - Y[j] + m[j] * P[j]
        dev *= 2.0
        per_level = True
        done = abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-8
        bad = not math.isfinite(dev)
        dev_old = dev
        if done:
            converged = True
            break
        if bad:
            break
    if per_level:
        for i in range(n):
            j = lev[i]
            mu[i] = m[j]
            eta[i] = e[j]
    n_ok = 0
    pearson = 0.0
    for i in range(n):
        j = lev[i]
        if per_level and it > 0:
            w_last[i] = prior[i] * mprev[j]
        if prior[i] > 0.0:
            n_ok += 1
            r = (y[i] - mu[i]) / mu[i]
            pearson += w_last[i] * r * r
    df = float(n_ok - n_lev)
    disp = pearson / df if df > 0.0 else math.nan
    return converged, disp, df


@nb.njit(nogil=True, cache=True)
def _irls(  # type: ignore[no-untyped-def]
    y, ylogy, ly01, off, eoff, prior, lev, t, n, n_lev, trend, zero_off,
    mu, eta, logmu, w_last, s0, s1, r0, theta, cov_tb, cov_jj, etheta, lv,
):  # fmt: skip
    """One Poisson log-link IRLS fit; fills ``mu``, ``w_last``, ``theta``, covariances.

    Returns ``(beta, cov_bb, converged, disp, df)``; ``cov_tb[j]`` =
    Cov(θ_j, β), ``cov_jj[j]`` = Var(θ_j) (unscaled).  ``eoff = exp(off)``: the
    flat model needs one ``exp`` per level and step, ``μ_i = e^{θ_j} e^{off_i}``;
    ``log μ = η`` (or ``log ε`` where ``μ`` is clipped), so no ``log`` per step.
    The flat model without offset goes to :func:`_irls_levels`.
    """
    if not trend and zero_off:
        converged, disp, df = _irls_levels(
            y, ylogy, ly01, prior, lev, n, n_lev, mu, eta, logmu, w_last, s0, r0, theta,
            cov_jj, lv,
        )  # fmt: skip
        for j in range(n_lev):
            cov_tb[j] = 0.0
        return 0.0, math.nan, converged, disp, df
    for i in range(n):
        mu[i] = y[i] + 0.1
        eta[i] = ly01[i]  # log(y + 0.1)
        w_last[i] = prior[i] * mu[i]
    dev_old = _deviance(y, ylogy, mu, eta, prior, n)
    beta = 0.0
    cov_bb = math.nan
    for j in range(n_lev):
        theta[j] = 0.0
        cov_tb[j] = math.nan
        cov_jj[j] = math.nan
    converged = False
    for _ in range(25):
        for j in range(n_lev):
            s0[j] = 0.0
            s1[j] = 0.0
            r0[j] = 0.0
        s2 = 0.0
        r1 = 0.0
        for i in range(n):
            w = prior[i] * mu[i]
            w_last[i] = w
            z = eta[i] - off[i] + (y[i] - mu[i]) / mu[i]
            j = lev[i]
            s0[j] += w
            r0[j] += w * z
            if trend:
                s1[j] += w * t[i]
                s2 += w * t[i] * t[i]
                r1 += w * t[i] * z
        if trend:
            sigma = s2
            num = r1
            for j in range(n_lev):
                if s0[j] > 0.0:
                    sigma -= s1[j] * s1[j] / s0[j]
                    num -= s1[j] * r0[j] / s0[j]
            beta = num / sigma
            cov_bb = 1.0 / sigma
            for j in range(n_lev):
                if s0[j] > 0.0:
                    a = s1[j] / s0[j]
                    theta[j] = (r0[j] - s1[j] * beta) / s0[j]
                    cov_tb[j] = -a * cov_bb
                    cov_jj[j] = 1.0 / s0[j] + a * a * cov_bb
                else:
                    theta[j] = 0.0
                    cov_tb[j] = 0.0
                    cov_jj[j] = 0.0
        else:
            for j in range(n_lev):
                if s0[j] > 0.0:
                    theta[j] = r0[j] / s0[j]
                    cov_jj[j] = 1.0 / s0[j]
                else:
                    theta[j] = 0.0
                    cov_jj[j] = 0.0
                cov_tb[j] = 0.0
        if not trend:
            for j in range(n_lev):
                etheta[j] = np.exp(theta[j])
        for i in range(n):
            e = theta[lev[i]] + off[i]
            if trend:
                e += beta * t[i]
                v = np.exp(e)
            else:
                v = etheta[lev[i]] * eoff[i]
            eta[i] = e
            mu[i] = v if (v > _EPS or v != v) else _EPS  # R's max(exp(eta), eps); NaN stays
        for i in range(n):
            logmu[i] = eta[i] if mu[i] > _EPS else _LOG_EPS
        dev = _deviance(y, ylogy, mu, logmu, prior, n)
        done = abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-8
        bad = not math.isfinite(dev)
        dev_old = dev
        if done:
            converged = True
            break
        if bad:
            break
    n_ok = 0
    pearson = 0.0
    for i in range(n):
        if prior[i] > 0.0:
            n_ok += 1
            r = (y[i] - mu[i]) / mu[i]
            pearson += w_last[i] * r * r
    df = float(n_ok - (n_lev + (1 if trend else 0)))
    disp = pearson / df if df > 0.0 else math.nan
    return beta, cov_bb, converged, disp, df


@nb.njit(nogil=True, cache=True)
def _hat(i, lev, t, trend, w_last, cov_tb, cov_jj, cov_bb):  # type: ignore[no-untyped-def]
    j = lev[i]
    q = cov_jj[j]
    if trend:
        q += 2.0 * t[i] * cov_tb[j] + t[i] * t[i] * cov_bb
    return w_last[i] * q


@nb.njit(nogil=True, cache=True)
def _fit_reweighted(  # type: ignore[no-untyped-def]
    y, ylogy, ly01, y23, off, eoff, lev, t, n, n_lev, trend, zero_off, reweight, threshold,
    p_lev, t0, off0, prior, mu, eta, logmu, w_last, s0, s1, r0, theta, cov_tb, cov_jj, etheta, lv,
):  # fmt: skip
    """R ``algo.farrington.fitGLM.flexible`` and the prediction at the monitored week.

    Returns ``(eta0, se0, phi, t_slope, df, first_converged)``.
    """
    for i in range(n):
        prior[i] = 1.0
    beta, cov_bb, ok, disp, df = _irls(
        y, ylogy, ly01, off, eoff, prior, lev, t, n, n_lev, trend, zero_off,
        mu, eta, logmu, w_last, s0, s1, r0, theta, cov_tb, cov_jj, etheta, lv,
    )  # fmt: skip
    phi = disp if disp > 1.0 else 1.0  # fmax(disp, 1): NaN -> 1
    if reweight:
        # Anscombe residuals of the first fit -> weights (sum n); written into ``prior``
        total = 0.0
        per_level = not trend and zero_off  # then μ is one value per level: lv[3]
        if per_level:
            for j in range(n_lev):
                lv[6, j] = lv[3, j] ** (-1.0 / 6.0)
                lv[7, j] = math.sqrt(lv[3, j])
        for i in range(n):
            h = _hat(i, lev, t, trend, w_last, cov_tb, cov_jj, cov_bb)
            if per_level:
                raw = 1.5 * (y23[i] * lv[6, lev[i]] - lv[7, lev[i]])
            else:
                raw = 1.5 * (y23[i] * mu[i] ** (-1.0 / 6.0) - math.sqrt(mu[i]))
            den = phi * (1.0 - h)
            if den > 0.0:
                s = raw / math.sqrt(den)
            elif den == 0.0:
                s = math.nan if raw == 0.0 else math.copysign(math.inf, raw)
            else:
                s = math.nan
            term = 1.0 / (s * s) if s > threshold else 1.0
            prior[i] = term
            total += term
        gamma = n / total
        for i in range(n):
            prior[i] = gamma * prior[i]
        beta, cov_bb, _, disp, df = _irls(
            y, ylogy, ly01, off, eoff, prior, lev, t, n, n_lev, trend, zero_off,
            mu, eta, logmu, w_last, s0, s1, r0, theta, cov_tb, cov_jj, etheta, lv,
        )  # fmt: skip
        phi = disp if disp > 1.0 else 1.0
    eta0 = theta[p_lev] + off0
    var = cov_jj[p_lev]
    if trend:
        eta0 += beta * t0
        var += 2.0 * t0 * cov_tb[p_lev] + t0 * t0 * cov_bb
    if s0[p_lev] <= 0.0:
        eta0 = math.nan
    se0 = math.sqrt(var * disp) if var * disp >= 0.0 else math.nan
    t_slope = beta / math.sqrt(cov_bb * disp) if trend else math.nan
    return eta0, se0, phi, t_slope, df, ok


@nb.njit(nogil=True, cache=True)
def fit_all(  # type: ignore[no-untyped-def]
    y_all, log_pop, steps, ptr, used, lev_all, t_all, n_lev, p_lev, t0,
    trend, reweight, threshold, out,
):  # fmt: skip
    """Trend and flat fits of every row of ``y_all`` at every monitored week.

    Week ``steps[k]`` fits the weeks ``used[ptr[k]:ptr[k+1]]`` with levels
    ``lev_all[...]`` (0 … ``n_lev[k]-1``; the monitored week is at level
    ``p_lev[k]``) and centred times ``t_all[...]`` (``t0[k]`` at the monitored
    week); ``out[f, s, k]`` receives field ``f`` of :data:`OUT_FIELDS`.  The
    trend model is skipped (NaN) unless ``trend``.
    """
    n_s = y_all.shape[0]
    n_k = steps.shape[0]
    m = 1
    lmax = 1
    for k in range(n_k):
        m = max(m, ptr[k + 1] - ptr[k])
        lmax = max(lmax, n_lev[k])
    n_t = y_all.shape[1]
    # per series: y log y, log(y + 0.1), y^(2/3), exp(offset) of every week
    s_ylogy = np.empty(n_t)
    s_ly01 = np.empty(n_t)
    s_y23 = np.empty(n_t)
    s_eoff = np.empty(n_t)
    y = np.empty(m)
    ylogy = np.empty(m)
    ly01 = np.empty(m)
    y23 = np.empty(m)
    off = np.empty(m)
    eoff = np.empty(m)
    logmu = np.empty(m)
    prior = np.empty(m)
    mu = np.empty(m)
    eta = np.empty(m)
    w_last = np.empty(m)
    s0 = np.empty(lmax)
    s1 = np.empty(lmax)
    r0 = np.empty(lmax)
    theta = np.empty(lmax)
    cov_tb = np.empty(lmax)
    cov_jj = np.empty(lmax)
    etheta = np.empty(lmax)
    lv = np.empty((8, lmax))
    for s in range(n_s):
        zero_off = True
        for i in range(n_t):
            if log_pop[s, i] != 0.0:
                zero_off = False
        for i in range(n_t):
            v = y_all[s, i]
            s_ylogy[i] = v * math.log(v) if v > 0.0 else 0.0
            s_ly01[i] = math.log(v + 0.1)
            s_y23[i] = v ** (2.0 / 3.0)
            s_eoff[i] = math.exp(log_pop[s, i])
        for k in range(n_k):
            a = ptr[k]
            n = ptr[k + 1] - a
            lev = lev_all[a : a + n]
            t = t_all[a : a + n]
            ymax = -math.inf
            for i in range(n):
                u = used[a + i]
                y[i] = y_all[s, u]
                ylogy[i] = s_ylogy[u]
                ly01[i] = s_ly01[u]
                y23[i] = s_y23[u]
                off[i] = log_pop[s, u]
                eoff[i] = s_eoff[u]
                ymax = max(ymax, y[i])
            off0 = log_pop[s, steps[k]]
            if trend:
                e0, se0, phi, ts, df, ok = _fit_reweighted(
                    y, ylogy, ly01, y23, off, eoff, lev, t, n, n_lev[k], True, zero_off,
                    reweight, threshold, p_lev[k], t0[k], off0,
                    prior, mu, eta, logmu, w_last, s0, s1, r0, theta, cov_tb, cov_jj, etheta, lv,
                )  # fmt: skip
                out[0, s, k] = e0
                out[1, s, k] = se0
                out[2, s, k] = phi
                out[3, s, k] = ts
                out[4, s, k] = df
                out[5, s, k] = 1.0 if ok else 0.0
                v0 = np.exp(e0)
                within = v0 == v0 and max(v0, _EPS) <= ymax  # False for NaN
                out[6, s, k] = 1.0 if within else 0.0
            else:
                for f in range(7):
                    out[f, s, k] = math.nan
            e0, se0, phi, _, _, ok = _fit_reweighted(
                y, ylogy, ly01, y23, off, eoff, lev, t, n, n_lev[k], False, zero_off,
                reweight, threshold, p_lev[k], t0[k], off0,
                prior, mu, eta, logmu, w_last, s0, s1, r0, theta, cov_tb, cov_jj, etheta, lv,
            )  # fmt: skip
            out[7, s, k] = e0
            out[8, s, k] = se0
            out[9, s, k] = phi
            out[10, s, k] = 1.0 if ok else 0.0


def empty_out(n_series: int, n_steps: int) -> NDArray[np.float64]:
    """The output array of :func:`fit_all`."""
    return np.full((N_OUT, n_series, n_steps), np.nan)
