"""User boundary files: encodings of shapefile DBFs, TopoJSON, files without a CRS, repairs."""

import os

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from kibs_spatial.errors import InputError
from kibs_spatial.io.boundary_files import read_boundary_file

NAMES = ["강남구", "서초구"]


def _layer(crs="EPSG:5186"):
    return gpd.GeoDataFrame({"code": ["11680", "11650"], "name": NAMES},  # shapefile fields: 10 characters at most
                            geometry=[box(200000, 540000, 201000, 541000), box(201000, 540000, 202000, 541000)], crs=crs)


def _shapefile(tmp_path, encoding, cpg=True, prj=True):
    path = tmp_path / f"units_{encoding}.shp"
    _layer().to_file(path, encoding=encoding, engine="pyogrio")
    if not cpg:
        os.remove(path.with_suffix(".cpg"))
    if not prj:
        os.remove(path.with_suffix(".prj"))
    return path


@pytest.mark.parametrize("encoding", ["cp949", "utf-8"])
@pytest.mark.parametrize("cpg", [True, False])
def test_shapefile_names_in_both_encodings_with_or_without_cpg(tmp_path, encoding, cpg):
    regions = read_boundary_file(_shapefile(tmp_path, encoding, cpg=cpg), id_column="code")
    assert regions["name"].tolist() == NAMES
    assert regions.crs.to_epsg() == 5179
    if not cpg:
        assert regions.attrs["encoding"] == encoding


def test_named_encoding_overrides_detection(tmp_path):
    path = _shapefile(tmp_path, "cp949", cpg=False)
    assert read_boundary_file(path, id_column="code", encoding="euc-kr")["name"].tolist() == NAMES
    with pytest.raises(InputError, match="cannot be decoded as utf-8.*boundary_encoding"):
        read_boundary_file(path, id_column="code", encoding="utf-8")


def test_reprojection_from_a_named_crs(tmp_path):
    regions = read_boundary_file(_shapefile(tmp_path, "utf-8"), id_column="code")
    # 1 km squares in EPSG:5186 (TM at 127 E, scale 1) measured in EPSG:5179 (TM at 127.5 E, scale 0.9996):
    # area scale ~ (0.9996 * (1 + (0.5 deg * cos 37.5 deg)^2 / 2))^2 = 0.99925
    assert regions.geometry.area.tolist() == pytest.approx([999_250, 999_250], rel=1e-4)
    assert 900_000 < regions.geometry.iloc[0].centroid.x < 1_000_000  # 5179 false easting 1 000 000 near 127.5 E


def test_file_without_crs_is_an_error_unless_named(tmp_path):
    path = _shapefile(tmp_path, "utf-8", prj=False)
    with pytest.raises(InputError, match=r"units_utf-8.shp: the boundary file has no CRS.*boundary-crs"):
        read_boundary_file(path, id_column="code")
    named = read_boundary_file(path, id_column="code", source_crs="EPSG:5186")
    expected = read_boundary_file(_shapefile(tmp_path, "cp949"), id_column="code")
    assert named.geometry.iloc[0].equals_exact(expected.geometry.iloc[0], 1e-6)
    with pytest.raises(InputError, match="cannot understand the CRS 'EPSG:99999999'"):
        read_boundary_file(path, id_column="code", source_crs="EPSG:99999999")


TOPOJSON = """{"type":"Topology","transform":{"scale":[0.001,0.001],"translate":[127.0,37.0]},
"objects":{"units":{"type":"GeometryCollection","geometries":[
{"type":"Polygon","arcs":[[0,1]],"properties":{"region_code":"11680","name":"강남구"}},
{"type":"Polygon","arcs":[[-1,2]],"properties":{"region_code":"11650","name":"서초구"}}]}},
"arcs":[[[0,0],[0,100]],[[0,100],[-100,0],[0,-100],[100,0]],[[0,0],[100,0],[0,100],[-100,0]]]}"""


def test_topojson_is_read_and_needs_its_crs(tmp_path):
    path = tmp_path / "units.topojson"
    path.write_text(TOPOJSON, encoding="utf-8")
    with pytest.raises(InputError, match="TopoJSON carries no CRS"):
        read_boundary_file(path)
    regions = read_boundary_file(path, source_crs="EPSG:4326")
    assert regions["region_code"].tolist() == ["11680", "11650"] and regions["name"].tolist() == NAMES
    # two squares of 0.1 x 0.1 degree sharing the 127 E meridian: ~8.9 km x ~11.1 km at 37 N
    areas = regions.geometry.area / 1e6
    assert all(95 < a < 105 for a in areas)
    assert regions.geometry.iloc[0].touches(regions.geometry.iloc[1]) or regions.geometry.iloc[0].intersects(regions.geometry.iloc[1])


def test_invalid_polygons_are_repaired_and_counted(tmp_path):
    bowtie = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])
    layer = gpd.GeoDataFrame({"region_code": ["1", "2"]}, geometry=[bowtie, box(2000, 0, 3000, 1000)], crs="EPSG:5179")
    path = tmp_path / "bad.gpkg"
    layer.to_file(path, engine="pyogrio")
    regions = read_boundary_file(path)
    assert regions.attrs["repaired"] == 1 and regions.geometry.is_valid.all()
    assert regions.geometry.iloc[0].area == pytest.approx(500_000)


@pytest.mark.parametrize("content, message", [(None, "boundary file not found"), (b"", "the boundary file is empty"),
                                              (b"not a geo file", "cannot read the boundary file")])
def test_missing_empty_or_unreadable_file(tmp_path, content, message):
    path = tmp_path / "units.geojson"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_boundary_file(path)
