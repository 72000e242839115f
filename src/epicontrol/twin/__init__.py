"""The twin outside ``core``: the workspace's city as agents and capacities; charts; files.

* :mod:`.city` — the store's city (or a generated one) as a
  :class:`~epicontrol.core.twin.ensemble.TwinCity`: population, area graph,
  capacities from facilities and staff records;
* :mod:`.charts` — PNG (matplotlib) and self-contained HTML (ECharts inline,
  or inline SVG) charts of one or two ensembles;
* :mod:`.output` — the ensembles' Arrow tables as Parquet and the JSON summary.
"""
