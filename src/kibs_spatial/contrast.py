"""Gangnam against the outlying areas: where each sector's employment sits relative to Gangnam.

The Gangnam area is a set of units (강남구 11680 + 서초구 11650 by default, MOIS codes), set in
the ``[contrast]`` section of the analysis file.
"""

from __future__ import annotations

import geopandas as gpd

from .errors import InputError

GANGNAM_DEFAULT = ("11680", "11650")


def gangnam_area(regions: gpd.GeoDataFrame, codes: tuple[str, ...] = GANGNAM_DEFAULT) -> gpd.GeoDataFrame:
    """One polygon, the union of the units in ``codes``, with ``name`` and ``region_codes`` fields."""
    missing = [c for c in codes if c not in set(regions["region_code"])]
    if missing:
        raise InputError(f"[contrast] area: unit code(s) {', '.join(missing)} are not in the boundary layer")
    members = regions[regions["region_code"].isin(codes)]
    names = " + ".join(members["name_ko"].astype(str)) if "name_ko" in members else " + ".join(codes)
    return gpd.GeoDataFrame(
        {"name": [f"Gangnam area ({names})"], "region_codes": [",".join(codes)]},
        geometry=[members.geometry.union_all()], crs=regions.crs,
    )
