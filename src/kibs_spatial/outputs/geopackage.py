"""The GeoPackage: layers and tables written atomically, the long layer as a view, the field table.

GeoPackage 1.2, which every GDAL since 2.3 (and so every QGIS 3) opens without a version warning.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..crs import PROJECTED_CRS
from ..fields import DESCRIPTIONS, describe
from ..files import atomic_path

GPKG_VERSION = "1.2"
SKIPPED_LAYERS = ("layer_styles",)  # QGIS's own table, described in docs/OUTPUTS.md
_TYPES = {"object": "text", "str": "text", "bool": "boolean", "float64": "real", "float32": "real",
          "int64": "integer", "int32": "integer", "int16": "integer", "int8": "integer"}
_DESCRIPTION_COLUMNS = ["layer", "field", "type", "description", "unit"]
ARROW_VALUES = 500_000
"""Layers with at least this many values (rows x columns) go to GDAL through Arrow (pyarrow): 100,000 features
x 300 fields in 1.6 s instead of 5.5 s. Smaller ones do not, as importing pyarrow (0.08 s) would cost more than
it saves. Both paths write the same table (tests/test_outputs_geopackage.py compares them)."""


def write_geopackage(
    path: str | Path, layers: Mapping[str, pd.DataFrame], finish: Callable[[Path], None] | None = None,
) -> Path:
    """Write spatial (GeoDataFrame, reprojected to EPSG:5179) and plain tables into one GeoPackage.

    The file is GeoPackage 1.2, which every GDAL since 2.3 (and so every QGIS 3) opens without a
    version warning. ``finish(tmp)`` runs on the complete temporary file before it is renamed:
    the place to add views, field descriptions and QGIS styles.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            options = {} if tmp.exists() else {"dataset_options": {"VERSION": GPKG_VERSION}}
            if frame.size >= ARROW_VALUES:
                options["use_arrow"] = True
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_crs(PROJECTED_CRS).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", **options)
            else:
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", **options)
        if finish is not None:
            finish(tmp)
    return path


def add_spatial_view(gpkg: str | Path, name: str, table: str, geometry_layer: str, key: str) -> None:
    """Register ``name`` as a feature layer: the rows of ``table`` with the geometry of ``geometry_layer``.

    Joins on the column ``key`` of both (an SQL view following GDAL's convention for GeoPackage
    spatial views: the first column ``OGC_FID`` is the feature id). The view takes its geometry type,
    CRS and extent from ``geometry_layer``, so a long table repeats no geometry.
    """
    with closing(sqlite3.connect(gpkg)) as db, db:
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")') if row[1] != "fid"]
        geom, geom_type, srs_id, z, m = db.execute(
            "SELECT column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns WHERE table_name = ?",
            (geometry_layer,)).fetchone()
        selected = ", ".join(f't."{c}"' for c in columns)
        db.execute(
            f'CREATE VIEW "{name}" AS SELECT t.fid AS OGC_FID, {selected}, g."{geom}" AS "{geom}" '
            f'FROM "{table}" t LEFT JOIN "{geometry_layer}" g ON t."{key}" = g."{key}"')
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, "
            "min_x, min_y, max_x, max_y, srs_id) SELECT ?, 'features', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
            "min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents WHERE table_name = ?",
            (name, name, f"{table} with the geometry of {geometry_layer} (view)", geometry_layer))
        db.execute("INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, ?, ?)", (name, geom, geom_type, srs_id, z, m))


def field_table(gpkg: str | Path, sector_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per field of every layer and table in ``gpkg`` (plus this table's own fields).

    ``sector_names`` maps the wide layer's field prefixes (``s732``) to sector labels.
    """
    rows = []
    layers = [name for name, _ in pyogrio.list_layers(gpkg) if name not in SKIPPED_LAYERS and name != DESCRIPTIONS]
    for layer in [*layers, DESCRIPTIONS]:
        if layer == DESCRIPTIONS:
            columns = [(f, "text") for f in _DESCRIPTION_COLUMNS]
        else:
            info = pyogrio.read_info(gpkg, layer=layer)
            columns = [(f, _TYPES.get(str(t), str(t))) for f, t in zip(info["fields"], info["dtypes"])]
        for name, kind in columns:
            found = describe(layer, name, sector_names)
            rows.append({"layer": layer, "field": name, "type": kind,
                         "description": found.description if found else "", "unit": found.unit if found else ""})
    return pd.DataFrame(rows, columns=_DESCRIPTION_COLUMNS)


def undocumented(table: pd.DataFrame) -> list[str]:
    """``layer.field`` for every row of a :func:`field_table` without a description."""
    missing = table[table["description"] == ""]
    return [f"{layer}.{field}" for layer, field in zip(missing["layer"], missing["field"])]


def write_field_table(gpkg: str | Path, sector_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Add the ``field_descriptions`` table to ``gpkg`` (a non-spatial GeoPackage table)."""
    table = field_table(gpkg, sector_names)
    pyogrio.write_dataframe(table, gpkg, layer=DESCRIPTIONS, driver="GPKG")
    return table
