"""Tests of the raster surfaces (kibs_spatial.outputs.rasters): reopen the COGs and compare with the polygons;
the colour table, category names and QGIS style sidecars."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import Polygon, box
from system_programs import require

from kibs_spatial.analysis.sectors import SECTORS_BY_CODE
from kibs_spatial.errors import InputError
from kibs_spatial.outputs.rasters import (
    CLASS_NODATA,
    FLOAT_NODATA,
    write_sector_rasters,
)
from kibs_spatial.result import DataSource
from kibs_spatial.symbology import DENSITY_BOUNDS, GI_ENTRIES, LQ_BREAKS

SECTOR = SECTORS_BY_CODE["62"]
X0, Y0 = 900_000.0, 1_700_000.0  # EPSG:5179 metres, a multiple of 1 km


@pytest.fixture(scope="module")
def regions() -> gpd.GeoDataFrame:
    """Three units over 400 x 300 km (big enough for overviews): two boxes and a triangle."""
    geometry = [
        box(X0, Y0, X0 + 200_000, Y0 + 300_000),                                    # 60,000 km²
        box(X0 + 200_000, Y0, X0 + 400_000, Y0 + 150_000),                          # 30,000 km²
        Polygon([(X0 + 200_000, Y0 + 150_000), (X0 + 400_000, Y0 + 150_000), (X0 + 400_000, Y0 + 300_000)]),  # 15,000 km²
    ]
    return gpd.GeoDataFrame({"region_code": ["A", "B", "C"]}, geometry=geometry, crs="EPSG:5179")


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return pd.DataFrame({
        "region_code": ["A", "B", "C"], "ksic": SECTOR.ksic,
        "employees": [120_000.0, 15_000.0, np.nan], "lq": [1.5, 0.25, np.nan], "gi_bin": [3, -2, 0],
    })


# Hand-computed: employees / area in km²; the Gi* class is the bin + 3.
EXPECTED = {"A": {"density": 2.0, "lq": 1.5, "gi_class": 6}, "B": {"density": 0.5, "lq": 0.25, "gi_class": 1},
            "C": {"density": None, "lq": None, "gi_class": 3}}
LAYERS = ["density", "lq", "gi_class"]


def write(regions, results, out, *, synthetic=True, metadata=None):
    """The writer on the parts of a run result it reads."""
    result = SimpleNamespace(regions=regions, latest=lambda: results, sectors=(SECTOR,), last_period="2022",
                             data=DataSource(synthetic, "test"), metadata=metadata or {})
    return write_sector_rasters(result, out)


@pytest.fixture(scope="module")
def written(tmp_path_factory, regions, results):
    out = tmp_path_factory.mktemp("rasters")
    paths = write(regions, results, out, metadata={"data_note": "SYNTHETIC demo data", "tool": "kibs_spatial test"})
    return {p.name: p for p in paths}


def test_file_names_and_sidecars(written):
    assert sorted(written) == ["sector_62_density_synthetic.tif", "sector_62_gi_class_synthetic.tif",
                               "sector_62_lq_synthetic.tif"]
    folder = next(iter(written.values())).parent
    sidecars = sorted(p.name for p in folder.iterdir() if p.name not in written)
    assert sidecars == ["sector_62_density_synthetic.qml", "sector_62_gi_class_synthetic.qml",
                        "sector_62_gi_class_synthetic.tif.aux.xml", "sector_62_lq_synthetic.qml"]  # nothing else left


@pytest.mark.parametrize("layer", LAYERS)
def test_cog_structure_and_metadata(written, layer):
    with rasterio.open(written[f"sector_62_{layer}_synthetic.tif"]) as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.crs.to_epsg() == 5179
        assert ds.res == (1000.0, 1000.0)
        assert ds.bounds == (X0, Y0, X0 + 400_000, Y0 + 300_000)
        assert ds.nodata == (CLASS_NODATA if layer == "gi_class" else FLOAT_NODATA)
        assert ds.overviews(1), "expected internal overviews"
        assert ds.block_shapes[0] == (256, 256)
        assert "KSIC 62" in ds.descriptions[0]
        tags = ds.tags()
        assert tags["DATA_NOTE"] == "SYNTHETIC demo data" and tags["TOOL"] == "kibs_spatial test"
        assert tags["KIBS_LAYER"] == layer and tags["KIBS_SECTOR"] == "62" and tags["KIBS_SYNTHETIC"] == "yes"
        assert tags["KIBS_PERIOD"] == "2022" and ds.descriptions[0].endswith(", 2022")


def _cell_centres(ds, rng, n):
    rows, cols = rng.integers(0, ds.height, n), rng.integers(0, ds.width, n)
    xs, ys = rasterio.transform.xy(ds.transform, rows, cols)
    return rows, cols, np.asarray(xs), np.asarray(ys)


@pytest.mark.parametrize("layer", LAYERS)
def test_sampled_cells_match_the_polygon_holding_their_centre(written, regions, layer):
    rng = np.random.default_rng(7)
    with rasterio.open(written[f"sector_62_{layer}_synthetic.tif"]) as ds:
        band = ds.read(1)
        rows, cols, xs, ys = _cell_centres(ds, rng, 2000)
        nodata = ds.nodata
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs="EPSG:5179")
    hits = gpd.sjoin(points, regions, predicate="within", how="left")
    hits = hits[~hits.index.duplicated()]  # no overlaps here; a centre on an edge may touch none
    checked = 0
    for i, code in enumerate(hits["region_code"]):
        value = band[rows[i], cols[i]]
        if not isinstance(code, str):
            on_edge = regions.boundary.distance(points.geometry.iloc[i]).min() < 1e-6
            assert value == nodata or on_edge
            continue
        expected = EXPECTED[code][layer]
        if expected is None:
            assert value == nodata
        else:
            assert value == pytest.approx(expected, rel=1e-6)
        checked += 1
    assert checked > 1500


def test_every_unit_value_appears_with_its_area(written):
    """Count of cells per value = unit area in km² (cells of 1 km², edges on the grid)."""
    with rasterio.open(written["sector_62_density_synthetic.tif"]) as ds:
        band = ds.read(1)
    assert (band == np.float32(2.0)).sum() == 60_000
    assert (band == np.float32(0.5)).sum() == 30_000
    # Unit C (missing employees) and the triangle outside every unit are nodata.
    assert (band == FLOAT_NODATA).sum() == 30_000
    with rasterio.open(written["sector_62_gi_class_synthetic.tif"]) as ds:
        classes = ds.read(1)
    # Unit C (not significant: class 3) is 15,000 km²; cells on its diagonal edge count when their centre is inside.
    assert (classes == 3).sum() == pytest.approx(15_000, abs=250)
    assert (classes == CLASS_NODATA).sum() == pytest.approx(15_000, abs=250)


def test_gi_classes_carry_a_colour_table_and_their_names(written):
    path = written["sector_62_gi_class_synthetic.tif"]
    with rasterio.open(path) as ds:
        assert ds.dtypes[0] == "uint8"
        colours = ds.colormap(1)
    by_value = {int(e.key) + 3: e for e in GI_ENTRIES if e.key != "na"}
    for value, entry in by_value.items():
        assert "#%02x%02x%02x" % colours[value][:3] == entry.fill
    assert colours[CLASS_NODATA][3] == 0  # nodata transparent
    ogr = shutil.which("gdalinfo")
    require(ogr is not None, "gdalinfo not installed (apt-get install gdal-bin)")
    info = subprocess.run([ogr, str(path)], check=True, capture_output=True, text=True).stdout
    names = info[info.index("Categories:"):].splitlines()[1:8]
    assert [line.split(":", 1)[1].strip() for line in names] == [by_value[v].label for v in range(7)]
    assert "Color Table" in info


def _qml(path) -> ET.Element:
    return ET.fromstring(path.with_suffix(".qml").read_text(encoding="utf-8").split("\n", 1)[1])


def test_qgis_styles_beside_the_rasters(written):
    density = _qml(written["sector_62_density_synthetic.tif"]).find("pipe/rasterrenderer")
    assert density.get("type") == "singlebandpseudocolor"
    shader = density.find("rastershader/colorrampshader")
    bounds = [float(i.get("value")) for i in shader.iter("item")]
    assert shader.get("colorRampType") == "DISCRETE" and bounds == [*DENSITY_BOUNDS, float("inf")]
    assert all(b / a == pytest.approx(10) for a, b in zip(bounds[:-2], bounds[1:-1]))  # one class per decade: log scale
    lq = _qml(written["sector_62_lq_synthetic.tif"]).find("pipe/rasterrenderer/rastershader/colorrampshader")
    assert [float(i.get("value")) for i in lq.iter("item")] == [*LQ_BREAKS, float("inf")]
    gi = _qml(written["sector_62_gi_class_synthetic.tif"]).find("pipe/rasterrenderer")
    assert gi.get("type") == "paletted"
    assert [(e.get("value"), e.get("label")) for e in gi.iter("paletteEntry")][:2] == [
        ("0", "cold spot 99 %"), ("1", "cold spot 95 %")]


def test_missing_result_rows_are_nodata(tmp_path, regions, results):
    paths = write(regions, results[results["region_code"] != "A"], tmp_path, synthetic=False)
    assert all("_synthetic" not in p.name for p in paths)
    with rasterio.open(tmp_path / "sector_62_lq.tif") as ds:
        assert ds.tags()["KIBS_SYNTHETIC"] == "no"
        row, col = ds.index(X0 + 100_500, Y0 + 150_500)
        assert ds.read(1)[row, col] == FLOAT_NODATA


def test_duplicate_result_rows_are_refused(tmp_path, regions, results):
    with pytest.raises(InputError, match="several rows for sector 62"):
        write(regions, pd.concat([results, results.iloc[:1]]), tmp_path)


def test_bundled_regions_cells_match_their_polygons(tmp_path):
    """On the real si-gun-gu: each sampled cell holds the value of a unit containing its centre."""
    from kibs_spatial.io.boundaries import load_bundled_regions

    regions = load_bundled_regions().reset_index(drop=True)
    values = np.arange(len(regions), dtype=float) + 0.5
    results = pd.DataFrame({"region_code": regions["region_code"].astype(str), "ksic": SECTOR.ksic,
                            "employees": 1000.0, "lq": values, "gi_bin": 0})
    path = next(p for p in write(regions, results, tmp_path)
                if p.name.endswith("_lq_synthetic.tif"))
    with rasterio.open(path) as ds:
        band = ds.read(1)
        inside = np.argwhere(band != ds.nodata)
        pick = inside[np.random.default_rng(3).choice(len(inside), 500, replace=False)]
        xs, ys = rasterio.transform.xy(ds.transform, pick[:, 0], pick[:, 1])
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs="EPSG:5179")
    hits = gpd.sjoin(points, regions[["region_code", "geometry"]], predicate="within")
    lq_by_code = dict(zip(results["region_code"], values))
    for i in range(len(points)):
        containing = hits.loc[hits.index == i, "region_code"]
        cell = float(band[pick[i, 0], pick[i, 1]])
        assert len(containing) >= 1
        assert cell in {np.float32(lq_by_code[c]) for c in containing}
