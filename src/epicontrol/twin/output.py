"""Files of a twin run or comparison: Parquet tables and a JSON summary per ensemble.

Layout of one ensemble's directory::

    summary.json        EnsembleResult.to_dict(): scenario, city, outcomes, daily bands
    runs.parquet        one row per run: seed and every outcome
    daily.parquet       one row per run and day: every daily series
    districts.parquet   one row per run, day and district: new infections, hospital, ICU
    bands.parquet       one row per series and day: mean, 5 % and 95 % across runs

``epicontrol twin run`` writes them under ``--out``; ``twin compare`` under
``--out/a`` and ``--out/b``, next to ``comparison.json`` and the charts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ..core.twin.ensemble import EnsembleResult


def write_ensemble(result: EnsembleResult, out_dir: Path) -> dict[str, str]:
    """Write the ensemble's tables and summary under ``out_dir``; returns name → path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for name, table in (
        ("runs", result.runs_table()),
        ("daily", result.daily_table()),
        ("districts", result.district_table()),
        ("bands", result.bands_table()),
    ):
        path = out_dir / f"{name}.parquet"
        pq.write_table(table, path)
        files[name] = str(path)
    files["summary"] = str(write_json(out_dir / "summary.json", result.to_dict()))
    return files


def write_json(path: Path, doc: Any) -> Path:
    """``doc`` as indented UTF-8 JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return path
