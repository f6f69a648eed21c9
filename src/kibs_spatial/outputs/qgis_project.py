"""A QGIS project stored inside the run's GeoPackage: open the file, open the project, every layer is ready.

QGIS reads projects from a GeoPackage table ``qgis_projects`` (``name``, ``metadata``, ``content``:
the zipped ``.qgs`` as hexadecimal text, as QGIS's own "Project > Save To > GeoPackage" writes it)
and opens them with "Project > Open From > GeoPackage". The project is written here as XML, like
the styles (:mod:`.qgis_styles`), so QGIS is not needed at run time; CI opens it with PyQGIS.

What it holds (legend top to bottom):

- the promising locations of all sectors, labelled with unique names and their sectors (off);
- context, drawn over the maps: province outlines (labelled with short names) and the Gangnam area;
- one group per sector, named ``732 specialized design, 2022`` (the last period): its promising
  locations (labelled), and its LISA, Gi* and LQ maps, each a layer of ``sector_results`` filtered
  to that sector and period (``"ksic" = '732' AND "period" = '2022'``; edit the filter for another
  period), with the legend title naming the sector and the period; when the run has emerging hot spots,
  the sector's patterns over the periods (``emerging_hotspots`` filtered to the sector, off). Only the
  first sector's group is switched on;
- the wide ``regions`` layer (every sector's fields side by side), switched off.

Every layer carries the field registry's labels as aliases. Layer sources are relative
(``./kibs_clusters.gpkg|layername=...``), so the folder can be moved or sent. The title carries the
synthetic-data notice when the data are synthetic. The first view is the capital region.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
from pyproj import CRS

from ..crs import PROJECTED_CRS
from ..fields import AREA, LONG, PROMISING, REGIONS, SIDO
from ..result import AnalysisResult, Sector
from ..symbology import (
    GANGNAM_ENTRY,
    PROMISING_ENTRY,
    SIDO_ENTRY,
    SIDO_SHORT,
    unique_labels,
)
from .maps.web_geometry import core_box
from .qgis_styles import (
    OWNER,
    QGIS_VERSION,
    LabelStyle,
    emerging_styles,
    field_aliases,
    long_layer_styles,
    promising_label,
    province_label,
    sector_filter,
    sector_styles,
    sector_title,
    single_qml,
    with_aliases,
)
from .tables import EMERGING_LAYER, emerging_span

PROJECT_NAME = "kibs_clusters"
PROJECTS_DDL = "CREATE TABLE IF NOT EXISTS qgis_projects (name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
CAPITAL_MARGIN_M = 15000.0


@dataclass(frozen=True)
class ProjectLayer:
    """A layer of the project: legend name, GeoPackage table, QML style, subset filter, switched on or off."""

    name: str
    table: str
    qml: str
    subset: str = ""
    checked: bool = True


@dataclass(frozen=True)
class ProjectGroup:
    """A legend group of layers."""

    name: str
    layers: list[ProjectLayer] = field(default_factory=list)
    checked: bool = True
    expanded: bool = True


def unique_name_overrides(result: AnalysisResult) -> dict[str, str]:
    """Region code -> unique label for the units whose short name repeats (``26110`` -> ``부산 중구``)."""
    regions = result.regions
    labels = unique_labels(regions)
    names = regions["name_ko"].astype(str) if "name_ko" in regions.columns else [""] * len(regions)
    return {str(code): label for code, label, name in zip(regions["region_code"], labels, names) if label != name}


def project_title(result: AnalysisResult) -> str:
    """The project title: what and when, with the synthetic notice when the data are synthetic."""
    title = f"KIBS clusters, {result.last_period}"
    return f"{title} — {result.data.notice}" if result.data.synthetic else f"{title} — {result.data.label}"


def _context_group(tables: set[str]) -> ProjectGroup:
    context = ProjectGroup("Context")
    if SIDO in tables:
        context.layers.append(ProjectLayer("Provinces (sido)", SIDO, single_qml(SIDO_ENTRY, province_label(SIDO_SHORT))))
    if AREA in tables:
        context.layers.append(ProjectLayer("Gangnam area", AREA, single_qml(GANGNAM_ENTRY, LabelStyle('"name"', priority=4))))
    return context


def _sector_group(sector: Sector, period: str, names: Mapping[str, str], tables: set[str], first: bool,
                  emerging: str = "") -> ProjectGroup:
    """One sector's promising locations, its LISA, Gi* and LQ maps of ``period`` (only LISA switched on) and, with
    ``emerging`` (the periods, ``2012–2022``) and the layer in the file, its emerging hot spots (off)."""
    group = ProjectGroup(sector_title(sector, period), checked=first, expanded=first)
    if PROMISING in tables:
        group.layers.append(ProjectLayer(f"{sector.ksic} promising locations, {period}", PROMISING,
                                         single_qml(PROMISING_ENTRY, promising_label(names, False)),
                                         subset=sector_filter(sector)))
    for style, words in zip(long_layer_styles(LONG, sector, period), ("LISA clusters", "Gi* hot spots", "LQ")):
        group.layers.append(ProjectLayer(f"{sector.ksic} {words}, {period}", LONG, style.qml,
                                         subset=sector_filter(sector, period), checked=words == "LISA clusters"))
    if emerging and EMERGING_LAYER in tables:
        (style,) = emerging_styles(EMERGING_LAYER, [sector], emerging)
        group.layers.append(ProjectLayer(f"{sector.ksic} emerging hot spots, {emerging}", EMERGING_LAYER, style.qml,
                                         subset=sector_filter(sector), checked=False))
    return group


def project_tree(result: AnalysisResult, tables: set[str]) -> list[ProjectGroup | ProjectLayer]:
    """The project's legend, top first: layers and groups (see module docstring), only of tables in the file."""
    period, names = result.last_period, unique_name_overrides(result)
    tree: list[ProjectGroup | ProjectLayer] = []
    if PROMISING in tables:
        tree.append(ProjectLayer(f"Promising locations, all sectors, {period}", PROMISING,
                                 single_qml(PROMISING_ENTRY, promising_label(names, True)), checked=False))
    context = _context_group(tables)
    if context.layers:
        tree.append(context)
    span = emerging_span(result)
    tree += [_sector_group(sector, period, names, tables, i == 0, span) for i, sector in enumerate(result.sectors)]
    if result.sectors:
        first = sector_styles(REGIONS, f"{result.sectors[0].field_prefix}_", result.sectors[0], period)[0]
        tree.append(ProjectLayer(f"All sectors side by side, one row per unit, {period}", REGIONS, first.qml,
                                 checked=False))
    return tree


def _spatial_ref(parent: ET.Element, crs: CRS) -> None:
    ref = ET.SubElement(parent, "spatialrefsys")
    for tag, text in (("wkt", crs.to_wkt()), ("srid", str(crs.to_epsg() or 0)),
                      ("authid", f"EPSG:{crs.to_epsg()}"), ("description", crs.name), ("geographicflag", "false")):
        ET.SubElement(ref, tag).text = text


def _extent(parent: ET.Element, tag: str, box: Sequence[float]) -> None:
    element = ET.SubElement(parent, tag)
    for name, value in zip(("xmin", "ymin", "xmax", "ymax"), box):
        ET.SubElement(element, name).text = f"{value:.1f}"


def _style_children(qml: str) -> ET.Element:
    """The ``<qgis>`` element of a QML document (without its DOCTYPE line)."""
    return ET.fromstring(qml.split("\n", 1)[1])


def _layer_id(layer: ProjectLayer, index: int) -> str:
    return f"{layer.table}_{index:03d}_" + re.sub(r"[^0-9A-Za-z]+", "_", layer.name).strip("_")[:40]


def _source(file_name: str, layer: ProjectLayer) -> str:
    source = f"./{file_name}|layername={layer.table}"
    return source + (f"|subset={layer.subset}" if layer.subset else "")


def _map_layer(parent: ET.Element, layer: ProjectLayer, layer_id: str, file_name: str, crs: CRS,
               box: Sequence[float], aliases: Sequence[tuple[str, str]]) -> None:
    style = _style_children(with_aliases(layer.qml, aliases))
    element = ET.SubElement(parent, "maplayer", type="vector", geometry="Polygon", wkbType="MultiPolygon",
                            styleCategories="AllStyleCategories", labelsEnabled=style.get("labelsEnabled", "0"),
                            readOnly="0", hasScaleBasedVisibilityFlag="0", minScale="0", maxScale="0")
    _extent(element, "extent", box)
    ET.SubElement(element, "id").text = layer_id
    ET.SubElement(element, "datasource").text = _source(file_name, layer)
    ET.SubElement(element, "layername").text = layer.name
    _spatial_ref(ET.SubElement(element, "srs"), crs)
    ET.SubElement(element, "provider", encoding="UTF-8").text = "ogr"
    manager = ET.SubElement(element, "map-layer-style-manager", current=layer.name)
    ET.SubElement(manager, "map-layer-style", name=layer.name).append(_style_children(with_aliases(layer.qml, aliases)))
    for child in style:
        element.append(child)


def _tree_layer(parent: ET.Element, layer: ProjectLayer, layer_id: str, file_name: str) -> None:
    ET.SubElement(parent, "layer-tree-layer", id=layer_id, name=layer.name, source=_source(file_name, layer),
                  providerKey="ogr", checked="Qt::Checked" if layer.checked else "Qt::Unchecked", expanded="1")


def project_xml(tree: Sequence[ProjectGroup | ProjectLayer], *, file_name: str, title: str, abstract: str,
                box: Sequence[float], view: Sequence[float], aliases: Mapping[str, Sequence[tuple[str, str]]]) -> str:
    """The ``.qgs`` document: the legend ``tree``, every layer from ``file_name`` (relative), in EPSG:5179.

    ``box`` is the layers' extent, ``view`` the first view (xmin, ymin, xmax, ymax in metres);
    ``aliases`` maps each table to its ``(field, label)`` pairs.
    """
    crs = CRS.from_user_input(PROJECTED_CRS)
    root = ET.Element("qgis", version=QGIS_VERSION, projectname=title)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    _spatial_ref(ET.SubElement(root, "projectCrs"), crs)
    legend = ET.SubElement(root, "layer-tree-group")
    layers = ET.SubElement(root, "projectlayers")
    order = []
    for node in tree:
        members = node.layers if isinstance(node, ProjectGroup) else [node]
        target = legend if isinstance(node, ProjectLayer) else ET.SubElement(
            legend, "layer-tree-group", name=node.name, checked="Qt::Checked" if node.checked else "Qt::Unchecked",
            expanded="1" if node.expanded else "0")
        for layer in members:
            layer_id = _layer_id(layer, len(order))
            order.append(layer_id)
            _tree_layer(target, layer, layer_id, file_name)
            _map_layer(layers, layer, layer_id, file_name, crs, box, aliases.get(layer.table, ()))
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    _extent(canvas, "extent", view)
    ET.SubElement(canvas, "rotation").text = "0"
    _spatial_ref(ET.SubElement(canvas, "destinationsrs"), crs)
    settings = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0")
    ET.SubElement(settings, "Scales")
    default = ET.SubElement(settings, "DefaultViewExtent", **{k: f"{v:.1f}" for k, v in zip(
        ("xmin", "ymin", "xmax", "ymax"), view)})
    _spatial_ref(default, crs)
    metadata = ET.SubElement(root, "projectMetadata")
    ET.SubElement(metadata, "title").text = title
    ET.SubElement(metadata, "abstract").text = abstract
    ET.SubElement(metadata, "author").text = OWNER
    properties = ET.SubElement(root, "properties")
    ET.SubElement(ET.SubElement(properties, "Paths"), "Absolute", type="bool").text = "false"
    ET.SubElement(ET.SubElement(properties, "SpatialRefSys"), "ProjectionsEnabled", type="int").text = "1"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _first_view(result: AnalysisResult) -> tuple[float, float, float, float]:
    """The capital region (without outlying islands), or every unit when no unit is flagged."""
    regions = result.regions.to_crs(PROJECTED_CRS)
    flags = regions["capital_region"].fillna(False).astype(bool) if "capital_region" in regions.columns else None
    chosen = regions[flags.to_numpy()] if flags is not None and flags.any() else regions
    points = chosen.geometry.representative_point()
    west, south, east, north = core_box(points.x.to_numpy(), points.y.to_numpy())
    return west - CAPITAL_MARGIN_M, south - CAPITAL_MARGIN_M, east + CAPITAL_MARGIN_M, north + CAPITAL_MARGIN_M


def store_project(gpkg: str | Path, qgs: str, name: str = PROJECT_NAME) -> None:
    """Store ``qgs`` in ``gpkg``'s ``qgis_projects`` table the way QGIS does (zipped, hexadecimal text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.qgs", qgs)
    metadata = json.dumps({"last_modified_time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                           "last_modified_user": OWNER})
    with closing(sqlite3.connect(gpkg)) as db, db:
        db.execute(PROJECTS_DDL)
        db.execute("INSERT OR REPLACE INTO qgis_projects VALUES (?, ?, ?)", (name, metadata, buffer.getvalue().hex()))


def write_qgis_project(gpkg: str | Path, file_name: str, result: AnalysisResult,
                       sector_names: Mapping[str, str] | None = None) -> str:
    """Build the project of ``result`` over the GeoPackage ``gpkg`` (named ``file_name`` once written) and
    store it in the file; return the ``.qgs`` text."""
    with closing(sqlite3.connect(gpkg)) as db:
        tables = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
    tree = project_tree(result, tables)
    used = {layer.table for node in tree for layer in (node.layers if isinstance(node, ProjectGroup) else [node])}
    aliases = {table: field_aliases(gpkg, table, sector_names) for table in used}
    box = tuple(gpd.GeoSeries(result.regions.geometry, crs=result.regions.crs).to_crs(PROJECTED_CRS).total_bounds)
    abstract = " ".join(part for part in (result.data.notice, f"Data: {result.data.label}.",
                                          str(result.metadata.get("boundary_attribution", ""))) if part)
    qgs = project_xml(tree, file_name=file_name, title=project_title(result), abstract=abstract, box=box,
                      view=_first_view(result), aliases=aliases)
    store_project(gpkg, qgs)
    return qgs


def read_project(gpkg: str | Path, name: str = PROJECT_NAME) -> str:
    """The ``.qgs`` text of the project ``name`` stored in ``gpkg``."""
    with closing(sqlite3.connect(gpkg)) as db:
        (content,) = db.execute("SELECT content FROM qgis_projects WHERE name = ?", (name,)).fetchone()
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(content))) as archive:
        return archive.read(archive.namelist()[0]).decode("utf-8")


def retarget_project(gpkg: str | Path, name: str = PROJECT_NAME) -> None:
    """Point the stored project's layers at ``gpkg``'s current file name (after the file was renamed)."""
    file_name = Path(gpkg).name
    qgs = re.sub(r"\./[^|<>\"/]+?\.gpkg\|", lambda _: f"./{file_name}|", read_project(gpkg, name))
    store_project(gpkg, qgs, name)
