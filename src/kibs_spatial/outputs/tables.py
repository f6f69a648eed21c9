"""Small table writers: the run metadata as a key/value table, the neighbour graph as a GAL file, and the
emerging hot spot tables (the pattern of every unit and sector, the space-time Gi* of every period).

The emerging tables only select the columns the pipeline wrote (``ehsa_*``, ``lq_trend_*``, ``st_gi_*``);
without emerging hot spots in the result (``result.emerging is None``) they are None.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..files import atomic_path
from ..result import AnalysisResult
from ..symbology import EHSA_NAMES, EHSA_UNDEFINED

EMERGING_LAYER = "emerging_hotspots"
"""The GeoPackage layer of the patterns: a view of ``emerging_hotspots_table`` with the ``regions`` geometry."""
EMERGING_TABLE = f"{EMERGING_LAYER}_table"
EMERGING_FIELDS = ("region_code", "name_ko", "full_name_ko", "name_en", "sido_name", "capital_region", "ksic",
                   "sector", "sector_ko", "kind", "ehsa_pattern", "ehsa_code", "ehsa_trend_z", "ehsa_trend_p",
                   "ehsa_sen_slope", "lq_trend_z", "lq_trend_p", "lq_sen_slope", "periods_hot", "periods_cold",
                   "pattern_stability", "pattern_hinges_on")
"""The columns of the pattern layer, in order (then ``data_source``); the pattern stability only with ``--robustness``."""
SPACE_TIME_FIELDS = ("region_code", "ksic", "period", "st_gi_z", "st_gi_p", "st_gi_q", "st_gi_bin")
"""The columns of the space-time Gi* table (then ``data_source``)."""
_INTEGERS = ("ehsa_code", "periods_hot", "periods_cold")


def metadata_table(metadata: dict[str, object]) -> pd.DataFrame:
    """The key/value table stored as ``run_metadata`` in a GeoPackage."""
    return pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]})


def write_gal(w, path: str | Path) -> Path:
    """Write a ``libpysal.weights.W`` as a GAL file keyed by its ids (libpysal's GAL writer), atomically."""
    from libpysal import io as lps_io  # half a second to import; a W exists only when it is written

    path = Path(path)
    with atomic_path(path) as tmp:
        gal = lps_io.open(str(tmp), "w")
        try:
            gal.write(w)
        finally:
            gal.close()
    return path


def emerging_span(result: AnalysisResult) -> str:
    """``2012–2022``: the periods the emerging hot spots cover (empty without them)."""
    if result.emerging is None:
        return ""
    periods = result.emerging.periods
    return f"{periods[0]}–{periods[-1]}"


def emerging_table(result: AnalysisResult) -> pd.DataFrame | None:
    """One row per unit and sector: its emerging hot spot pattern and trends (the last period's rows of
    ``result.table``, which carry them), with the data source; None without emerging hot spots."""
    if result.emerging is None or "ehsa_pattern" not in result.table.columns:
        return None
    latest = result.latest()
    rows = latest[[c for c in EMERGING_FIELDS if c in latest.columns]].reset_index(drop=True)
    rows = rows.astype({c: "int64" for c in _INTEGERS if c in rows.columns})
    return rows.assign(data_source=result.data.label)


def space_time_table(result: AnalysisResult) -> pd.DataFrame | None:
    """One row per unit, sector and period: the space-time Gi* z, p, q and bin (``st_gi_bin``: 1 hot, -1 cold,
    0 neither, empty where there is no value), with the data source; None without emerging hot spots."""
    if result.emerging is None or "st_gi_z" not in result.table.columns:
        return None
    rows = result.table[list(SPACE_TIME_FIELDS)].sort_values(["ksic", "region_code", "period"], kind="stable")
    rows = rows.reset_index(drop=True).astype({"st_gi_bin": "Int64"})
    return rows.assign(data_source=result.data.label)


def pattern_counts(result: AnalysisResult) -> pd.DataFrame | None:
    """Units per emerging hot spot pattern (rows, in ArcGIS's legend order; ``undefined`` last when any unit is)
    and sector (columns, KSIC codes, in the run's order), with a ``total`` column; None without emerging hot spots."""
    table = emerging_table(result)
    if table is None:
        return None
    counts = pd.crosstab(table["ehsa_pattern"], table["ksic"])
    names = [name for _, name in EHSA_NAMES]
    names += [EHSA_UNDEFINED] if EHSA_UNDEFINED in counts.index else []
    names += sorted(set(counts.index) - set(names))  # nothing else is expected; shown rather than dropped
    counts = counts.reindex(index=names, columns=[s.ksic for s in result.sectors], fill_value=0)
    counts.index.name, counts.columns.name = "pattern", None
    return counts.assign(total=counts.sum(axis=1)).astype("int64")
