"""Aberration detection over many series at once (an area × signal matrix).

Every detector is a function ``name(counts, dates, **params) -> DetectionResult``
where ``counts`` has shape ``(n_series, T)`` (a 1-D series is treated as one
row) and ``dates`` is a ``datetime64[D]`` array of length ``T`` (consecutive
days, or consecutive weeks for weekly detectors).  One module per algorithm.
"""
