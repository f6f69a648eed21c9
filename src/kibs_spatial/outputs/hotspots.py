"""The ``kibs-spatial hotspots`` GeoPackage: the tested layer, the global Moran table, the run metadata."""

from __future__ import annotations

from pathlib import Path

from ..fields import METADATA, MORAN
from ..result import HotspotResult
from .geopackage import write_geopackage
from .qgis_styles import hotspot_styles, write_layer_styles
from .tables import metadata_table


def write_hotspots(result: HotspotResult, output: str | Path, layer_name: str = "hotspots") -> Path:
    """Write the result layer, the global Moran table and the run metadata into one GeoPackage.

    The layer gets a QGIS style per column (LISA, Gi*), the first column's LISA as default.
    """
    return write_geopackage(output, {
        layer_name: result.layer,
        MORAN: result.global_moran,
        METADATA: metadata_table(result.metadata),
    }, lambda tmp: write_layer_styles(tmp, hotspot_styles(layer_name, result.columns)))
