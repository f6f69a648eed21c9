"""Writing results: atomic files, the GeoPackage, CSV tables.

Every output is first written to a temporary file in the target folder and then renamed over
the target (``os.replace``), so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

TARGET_CRS = "EPSG:5179"
GPKG_VERSION = "1.2"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part" + path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            if leftover.exists():
                leftover.unlink()


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
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_crs(TARGET_CRS).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", **options)
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


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV with a BOM, so that spreadsheet programs show Korean correctly."""
    path = Path(path)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
