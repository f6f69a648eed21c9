"""Neighbour graphs on the bundled si-gun-gu layer and on small hand-made layers."""

import json

import geopandas as gpd
import pytest
from libpysal.io import open as open_gal
from shapely.geometry import box

from kibs_spatial.analysis.weights import WeightsSpec, build_weights
from kibs_spatial.cli import main
from kibs_spatial.errors import InputError
from kibs_spatial.io.boundaries import load_bundled_regions
from kibs_spatial.outputs.tables import write_gal

GANGNAM = "11680"
GANGNAM_NEIGHBOURS = {"서초구", "송파구", "성동구", "광진구", "용산구", "수정구"}


@pytest.fixture(scope="module")
def regions():
    return load_bundled_regions("sigungu")


@pytest.fixture(scope="module")
def default_weights(regions):
    return build_weights(regions)


def _names(regions, codes):
    return set(regions.set_index("region_code").loc[list(codes), "name_ko"])


def test_gangnam_has_exactly_its_real_neighbours(regions, default_weights):
    neighbours = default_weights.w.neighbors[GANGNAM]
    assert _names(regions, neighbours) == GANGNAM_NEIGHBOURS
    suji = regions.set_index("region_code").loc["41131"]
    assert suji["parent_city"] == "성남시" and "41131" in neighbours


def test_three_components_mainland_jeju_ulleung(regions, default_weights):
    report = default_weights.report
    assert report.components == 3
    assert report.units == len(regions) >= 250
    labels = dict(zip(default_weights.w.id_order, default_weights.w.component_labels))
    jeju = {c for c in labels if c.startswith("50")}
    assert {labels[c] for c in jeju} == {labels["50110"]} and len(jeju) == 2
    assert report.islands == ["47940"]  # Ulleung-gun, kept and reported under the default policy
    # bridged islands are joined to the mainland
    mainland = labels["11680"]
    for bridged in ("26200", "48310", "48840"):  # Yeongdo-gu, Geoje-si, Namhae-gun
        assert labels[bridged] == mainland


def test_plain_contiguity_is_broken_by_slivers(regions):
    touching = build_weights(regions, "queen:tolerance=0")
    assert touching.report.components >= 10  # why the default has a tolerance
    assert {"26200", "48310", "48840"} <= set(touching.report.islands)


def test_nearest_island_policy_links_and_reports(regions):
    linked = build_weights(regions, island_policy="nearest", max_link=200_000)
    assert linked.report.islands == []
    target = linked.report.linked_islands["47940"]
    assert linked.w.neighbors["47940"] == [target] and "47940" in linked.w.neighbors[target]
    capped = build_weights(regions, island_policy="nearest", max_link=10_000)
    assert capped.report.islands == ["47940"] and capped.report.linked_islands == {}


def test_rook_drops_corner_contacts():
    squares = gpd.GeoDataFrame({"region_code": ["a", "b", "c", "d"]},
                               geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(0, 1000, 1000, 2000), box(1000, 1000, 2000, 2000)],
                               crs="EPSG:5179")
    queen = build_weights(squares, "queen:tolerance=0").w
    rook = build_weights(squares, "rook:tolerance=0").w
    assert sorted(queen.neighbors["a"]) == ["b", "c", "d"]
    assert sorted(rook.neighbors["a"]) == ["b", "c"]
    gap = squares.assign(geometry=squares.geometry.scale(0.98, 0.98))  # 20 m gaps between squares
    assert sorted(build_weights(gap, "rook:tolerance=50").w.neighbors["a"]) == ["b", "c"]
    assert build_weights(gap, "queen:tolerance=0").report.islands == ["a", "b", "c", "d"]


def test_knn_distance_kernel(regions):
    knn = build_weights(regions, "knn:k=4")
    assert knn.report.min_neighbors == 4  # kNN gives every unit at least k neighbours
    band = build_weights(regions, "distance:threshold=15000")
    assert band.report.units == len(regions)
    kernel = build_weights(regions, "kernel:k=6")
    assert all(unit not in kernel.w.neighbors[unit] for unit in kernel.w.id_order)


@pytest.mark.parametrize("spec", ["hexagon", "queen:tol=5", "knn:k=many"])
def test_bad_specs(spec):
    with pytest.raises(InputError):
        WeightsSpec.parse(spec)


def test_spec_round_trip():
    assert str(WeightsSpec.parse("queen")) == "queen:tolerance=500"
    assert str(WeightsSpec.parse("knn:k=8")) == "knn:k=8"


def test_gal_file_keyed_by_region_code(tmp_path, default_weights):
    path = write_gal(default_weights.w, tmp_path / "w.gal")
    reread = open_gal(str(path)).read()
    assert set(reread.neighbors[GANGNAM]) == set(default_weights.w.neighbors[GANGNAM])
    assert reread.n == default_weights.w.n


def test_weights_command(tmp_path, capsys):
    assert main(["weights", "--json", "--output", str(tmp_path / "sgg.gal")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["components"] == 3 and report["islands"] == ["47940"]
    assert report["min_neighbors"] == 0 and report["units"] >= 250
    assert (tmp_path / "sgg.gal").read_text().startswith(f"{report['units']}\n")
    assert main(["weights"]) == 0
    text = capsys.readouterr().out
    assert "components         3" in text and "47940 경상북도 울릉군" in text
