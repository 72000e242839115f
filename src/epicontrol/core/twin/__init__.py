"""Digital twin (数字孪生): simulate the city forward and estimate transmissibility.

* :mod:`.serial_interval` — discretised serial-interval distributions
  (:func:`~.serial_interval.discr_si` as EpiEstim, moments, checks).
* :mod:`.rt` — :func:`~.rt.estimate_r`: the instantaneous reproduction number
  of Cori et al. (2013) on sliding windows, as EpiEstim ``estimate_R``
  (parametric, non-parametric and uncertain serial interval; local and
  imported cases).
* :mod:`.metapop` — metapopulation SEIR over districts coupled by a mobility
  matrix: deterministic ODE (:func:`~.metapop.simulate_ode`) and stochastic
  tau-leaping (:func:`~.metapop.simulate_tau_leap`), plus the analytic final
  size and growth rate used to check them.

The agent-based engine lives in further modules of this package.
"""
