"""QGIS styles stored in the GeoPackage: QML written here, no QGIS needed at run time.

QGIS reads a layer's default style from the GeoPackage table ``layer_styles`` (the table its
"Save Style... > In Database" writes: one row per named style, ``useAsDefault`` marks the one
applied when the layer is opened). Colours, classes and words are those of the HTML maps
(:mod:`kibs_spatial.symbology`), so map and GIS agree:

- LISA: the classes of ``*_lisa_cl`` (HH, LL, LH, HL, ns, isolated, undefined);
- Gi*: the significance bins, legend "hot/cold spot 99/95/90 %";
- LQ: the fixed LQ classes of the maps (missing LQ shows as "no data" instead of vanishing);
- emerging hot spots (layer ``emerging_hotspots``, when the run has them): the 17 patterns of ``ehsa_pattern``
  in ArcGIS Pro's legend order and an ArcGIS-like palette (hot patterns red, cold blue, no pattern light grey;
  :data:`kibs_spatial.symbology.EHSA_ENTRIES`), one style per sector.

Every sector style is rule-based under one parent rule whose label names the sector and the
period, so the legend says what the layer shows ("732 specialized design, 2022: LISA clusters").
The long layer ``sector_results`` holds every sector and period on top of each other; its
parent rule keeps one sector's rows of the last period (``"ksic" = '732' AND "period" = '2022'``).

Labels: province outlines and promising locations are labelled with unique names (``부산 중구``,
not ``중구``; :func:`unique_name_expression`), the promising locations with their sectors too;
no labelled layer is an obstacle to the others' labels.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyogrio

from ..fields import describe
from ..symbology import (
    EHSA_ENTRIES,
    GANGNAM_ENTRY,
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_BREAKS,
    LQ_ENTRIES,
    NO_DATA_KEY,
    PROMISING_ENTRY,
    SIDO_ENTRY,
    SIDO_SHORT,
    LegendEntry,
)
from .tables import EMERGING_LAYER

if TYPE_CHECKING:
    from ..result import Sector

QGIS_VERSION = "3.22.16-Białowieża"  # the QGIS the styles were checked with (Debian 12)
OWNER = "kibs-spatial"
FILL_OPACITY = 0.85

# QGIS's own schema for the table (as QgsOgrProviderUtils::saveStyle creates it in a GeoPackage).
LAYER_STYLES_DDL = """CREATE TABLE "layer_styles" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "f_table_catalog" TEXT(256),
    "f_table_schema" TEXT(256),
    "f_table_name" TEXT(256),
    "f_geometry_column" TEXT(256),
    "styleName" TEXT(30),
    "styleQML" TEXT,
    "styleSLD" TEXT,
    "useAsDefault" BOOLEAN,
    "description" TEXT,
    "owner" TEXT(30),
    "ui" TEXT(30),
    "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


@dataclass(frozen=True)
class LayerStyle:
    """One named style of one layer: ``name`` (at most 30 characters, QGIS's column width) and its QML."""

    layer: str
    name: str
    qml: str
    description: str
    default: bool = False


def _rgba(colour: str, alpha: float = 1.0) -> str:
    colour = colour.lstrip("#")
    red, green, blue = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},{round(alpha * 255)}"


def _mm(pixels: float) -> str:
    """Leaflet line weights are CSS pixels (1/96 inch); QGIS wants millimetres."""
    return f"{pixels * 25.4 / 96:.2f}"


def _fill_symbol(name: str, entry: LegendEntry) -> ET.Element:
    symbol = ET.Element("symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    props = {
        "color": _rgba(entry.fill, FILL_OPACITY) if entry.fill else "0,0,0,0",
        "style": "solid" if entry.fill else "no",
        "outline_color": _rgba(entry.line),
        "outline_style": "dash" if entry.dash else "solid",
        "outline_width": _mm(entry.weight),
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }
    for key, value in props.items():
        ET.SubElement(layer, "prop", k=key, v=value)
    return symbol


@dataclass(frozen=True)
class LabelStyle:
    """How a layer is labelled: a QGIS expression, size, weight, colour, placement priority (0-10)."""

    expression: str
    size: float = 9.0
    bold: bool = False
    colour: str = "#000000"
    priority: int = 5
    placement: int = 1  # 1: over the centroid; 4: horizontal, anywhere inside the polygon


def _document(renderer: ET.Element, label: LabelStyle | None = None) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling|Fields",
                      labelsEnabled="1" if label else "0")
    root.append(renderer)
    if label:
        root.append(_labeling(label))
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _labeling(label: LabelStyle) -> ET.Element:
    """Simple labelling: buffered text, not an obstacle to other layers' labels (polygons cover the map)."""
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(settings, "text-style", fieldName=label.expression, isExpression="1", fontSize=f"{label.size:g}",
                         fontSizeUnit="Point", textColor=_rgba(label.colour), textOpacity="1",
                         fontWeight="75" if label.bold else "50", fontItalic="0",
                         namedStyle="Bold" if label.bold else "Regular", multilineHeight="1")
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="1", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.9", bufferJoinStyle="128")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="1")
    ET.SubElement(settings, "placement", placement=str(label.placement), centroidInside="1", centroidWhole="0",
                  fitInPolygonOnly="0", priority=str(label.priority), polygonPlacementFlags="2")
    ET.SubElement(settings, "rendering", obstacle="0", obstacleType="1", obstacleFactor="0", displayAll="0",
                  labelPerPart="0", mergeLines="0", scaleVisibility="0", fontLimitPixelSize="0", limitNumLabels="0",
                  upsidedownLabels="0", drawLabels="1", zIndex=str(label.priority))
    return labeling


def sql_text(value: str) -> str:
    """``value`` as a quoted QGIS expression string (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def unique_name_expression(names: Mapping[str, str]) -> str:
    """QGIS expression of a unit's unique label: ``names`` (region code -> label) where the short name
    repeats (:func:`kibs_spatial.symbology.unique_labels`), else ``name_ko``."""
    return lookup_expression('"region_code"', names, '"name_ko"')


def lookup_expression(key: str, table: Mapping[str, str], fallback: str) -> str:
    """QGIS expression: ``table[key]`` where ``key`` is one of its keys, else ``fallback``."""
    if not table:
        return fallback
    pairs = ", ".join(f"{sql_text(k)}, {sql_text(v)}" for k, v in sorted(table.items()))
    return f"coalesce(map_get(map({pairs}), {key}), {fallback})"


def promising_label_expression(names: Mapping[str, str], with_sectors: bool) -> str:
    """The unique name of a promising location and, ``with_sectors``, every sector it is promising in
    (the layer's rows of that unit, so the copies of one unit carry one label)."""
    name = unique_name_expression(names)
    if not with_sectors:
        return name
    sectors = ("aggregate(layer:=@layer_id, aggregate:='concatenate_unique', expression:=\"ksic\", "
               "filter:=\"region_code\" = attribute(@parent, 'region_code'), concatenator:=', ')")
    return f"{name} || '\\n' || {sectors}"


def categorized_qml(attribute: str, entries: Sequence[LegendEntry], label: LabelStyle | None = None) -> str:
    """A ``categorizedSymbol`` renderer on ``attribute`` (a field or an expression), one class per entry."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=attribute, symbollevels="0",
                          forceraster="0", enableorderby="0")
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, entry in enumerate(entries):
        ET.SubElement(categories, "category", render="true", symbol=str(i), value=entry.key, label=entry.label)
        symbols.append(_fill_symbol(str(i), entry))
    return _document(renderer, label)


def rule_based_qml(parent_filter: str, label: str, rules: Sequence[tuple[str, LegendEntry]]) -> str:
    """A ``RuleRenderer``: one parent rule (``parent_filter``, none if empty; ``label`` is the legend title)
    with one child rule per (filter, entry)."""
    renderer = ET.Element("renderer-v2", type="RuleRenderer", symbollevels="0", forceraster="0", enableorderby="0")
    root_rule = ET.SubElement(renderer, "rules", key="root")
    parent = ET.SubElement(root_rule, "rule", key="parent", label=label)
    if parent_filter:
        parent.set("filter", parent_filter)
    symbols = ET.SubElement(renderer, "symbols")
    for i, (condition, entry) in enumerate(rules):
        ET.SubElement(parent, "rule", key=f"rule{i}", symbol=str(i), filter=condition, label=entry.label)
        symbols.append(_fill_symbol(str(i), entry))
    return _document(renderer)


def single_qml(entry: LegendEntry, label: LabelStyle | None = None) -> str:
    """A ``singleSymbol`` renderer (outlines such as the sido or the Gangnam area), optionally labelled."""
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0", enableorderby="0")
    ET.SubElement(renderer, "symbols").append(_fill_symbol("0", entry))
    return _document(renderer, label)


def lq_class_expression(field: str) -> str:
    """QGIS expression giving the maps' LQ class key (``'0'``..``'5'``, ``'na'``) of ``field``."""
    cases = " ".join(f"WHEN \"{field}\" <= {bound} THEN '{i}'" for i, bound in enumerate(LQ_BREAKS))
    return f"CASE WHEN \"{field}\" IS NULL THEN '{NO_DATA_KEY}' {cases} ELSE '{len(LQ_BREAKS)}' END"


def gi_class_expression(field: str) -> str:
    """QGIS expression giving the maps' Gi* class key (``'-3'``..``'3'``, ``'na'``) of ``field``."""
    return f"coalesce(to_string(to_int(\"{field}\")), '{NO_DATA_KEY}')"


def _lisa_rules(field: str) -> list[tuple[str, LegendEntry]]:
    return [(f"\"{field}\" = '{e.key}'" if e.key != "undefined" else f"coalesce(\"{field}\", 'undefined') = 'undefined'", e)
            for e in LISA_ENTRIES]


def _gi_rules(field: str) -> list[tuple[str, LegendEntry]]:
    return [(f"{gi_class_expression(field)} = '{e.key}'", e) for e in GI_ENTRIES]


def _lq_rules(field: str) -> list[tuple[str, LegendEntry]]:
    return [(f"{lq_class_expression(field)} = '{e.key}'", e) for e in LQ_ENTRIES]


THEMES = (("LISA", "LISA clusters and outliers", _lisa_rules, "lisa_cl"),
          ("Gi* hot spots", "Gi* hot and cold spots", _gi_rules, "gi_bin"),
          ("LQ", "location quotient (LQ)", _lq_rules, "lq"))
"""(style name after the sector code, legend words, rules, field) of every sector style."""


def sector_title(sector: Sector, period: str) -> str:
    """``732 specialized design, 2022``: what a sector layer or style shows."""
    return f"{sector.ksic} {sector.name_en}, {period}"


def sector_filter(sector: Sector, period: str | None = None) -> str:
    """The rows of one sector (and period) in the long layer."""
    only = f"\"ksic\" = {sql_text(sector.ksic)}"
    return only + (f" AND \"period\" = {sql_text(period)}" if period is not None else "")


def sector_styles(layer: str, prefix: str, sector: Sector, period: str, *, default: bool = False) -> list[LayerStyle]:
    """LISA, Gi* and LQ styles of one sector on a wide layer whose fields are ``{prefix}lisa_cl`` etc. (the last period)."""
    about = sector_title(sector, period)
    return [LayerStyle(layer, f"{sector.ksic} {short}", rule_based_qml("", f"{about}: {words}", rules(f"{prefix}{field}")),
                       f"{words} of {sector.name_en} (KSIC {sector.ksic}), {period}", default and short == "LISA")
            for short, words, rules, field in THEMES]


EMERGING_WORDS = "emerging hot spots"
EMERGING_STYLE = "emerging"


def ehsa_rules(field: str = "ehsa_pattern") -> list[tuple[str, LegendEntry]]:
    """One rule per pattern of :data:`~kibs_spatial.symbology.EHSA_ENTRIES` on the pattern names of ``field``;
    the last (no data) takes ``undefined`` and empty values."""
    rules = [(f"\"{field}\" = {sql_text(e.label)}", e) for e in EHSA_ENTRIES[:-1]]
    known = ", ".join(sql_text(e.label) for e in EHSA_ENTRIES[:-1])
    return rules + [(f"\"{field}\" IS NULL OR \"{field}\" NOT IN ({known})", EHSA_ENTRIES[-1])]


def emerging_title(sector: Sector, span: str) -> str:
    """``732 specialized design, 2012–2022: emerging hot spots``: the legend title of a sector's pattern map."""
    return f"{sector.ksic} {sector.name_en}, {span}: {EMERGING_WORDS}"


def emerging_styles(layer: str, sectors: Sequence[Sector], span: str) -> list[LayerStyle]:
    """The emerging hot spot style of each sector on ``layer`` (one row per unit and sector); the first is the
    default. ``span`` names the periods (``2012–2022``)."""
    return [LayerStyle(layer, f"{sector.ksic} {EMERGING_STYLE}",
                       rule_based_qml(sector_filter(sector), emerging_title(sector, span), ehsa_rules()),
                       f"Emerging hot spot patterns of {sector.name_en} (KSIC {sector.ksic}), {span} (rows of this "
                       "sector only)", i == 0)
            for i, sector in enumerate(sectors)]


def long_layer_styles(layer: str, sector: Sector, period: str, *, default: bool = False) -> list[LayerStyle]:
    """LISA, Gi* and LQ styles of one sector and period on the long layer (one row per region x sector x period)."""
    about = sector_title(sector, period)
    only = sector_filter(sector, period)
    return [LayerStyle(layer, f"{sector.ksic} {short}", rule_based_qml(only, f"{about}: {words}", rules(field)),
                       f"{words} of {sector.name_en} (KSIC {sector.ksic}), {period} (rows of this sector and period only)",
                       default and short == "LISA")
            for short, words, rules, field in THEMES]


PROVINCE_LABEL = LabelStyle("\"sido_name\"", size=11, bold=True, colour="#404040", priority=3, placement=1)


def province_label(short_names: Mapping[str, str]) -> LabelStyle:
    """Province labels with the usual short names (``서울``, ``경남``)."""
    return dataclasses.replace(PROVINCE_LABEL, expression=lookup_expression('"sido_name"', short_names, '"sido_name"'))


def promising_label(names: Mapping[str, str], with_sectors: bool) -> LabelStyle:
    """Promising locations: bold unique names (and sectors), placed before every other label."""
    return LabelStyle(promising_label_expression(names, with_sectors), size=9, bold=True, priority=9, placement=4)


def run_styles(sectors: Sequence[Sector], period: str = "", names: Mapping[str, str] | None = None,
               emerging: str = "") -> list[LayerStyle]:
    """Every style of the ``kibs-spatial run`` GeoPackage; the first sector's LISA is the default.

    ``period`` is the last period (the one the wide layer holds), ``names`` the unique labels of units
    whose short name repeats (region code -> label), ``emerging`` the periods of the emerging hot spots
    (``2012–2022``; empty: the run has none, no style for them).
    """
    names = dict(names or {})
    styles: list[LayerStyle] = []
    for i, sector in enumerate(sectors):
        styles += sector_styles("regions", f"{sector.field_prefix}_", sector, period, default=i == 0)
        styles += long_layer_styles("sector_results", sector, period, default=i == 0)
    styles += [
        LayerStyle("promising_locations", "promising locations", single_qml(PROMISING_ENTRY, promising_label(names, True)),
                   f"Promising cluster locations, {period}, all sectors: labelled with the unit and its sectors", True),
        LayerStyle("gangnam_area", "Gangnam area", single_qml(GANGNAM_ENTRY, LabelStyle('"name"', priority=4)),
                   "Outline of the Gangnam area ([contrast] area)", True),
        LayerStyle("sido", "sido outlines", single_qml(SIDO_ENTRY, province_label(SIDO_SHORT)),
                   "Province (sido) outlines", True),
    ]
    if emerging:
        styles += emerging_styles(EMERGING_LAYER, sectors, emerging)
    return styles


def hotspot_styles(layer: str, columns: Sequence[str]) -> list[LayerStyle]:
    """LISA and Gi* styles for ``kibs-spatial hotspots`` output; the first column's LISA is the default."""
    styles = []
    for i, column in enumerate(columns):
        styles += [
            LayerStyle(layer, f"{column[:24]} LISA", categorized_qml(f"{column}_lisa_cl", LISA_ENTRIES),
                       f"LISA clusters and outliers of {column}", i == 0),
            LayerStyle(layer, f"{column[:24]} Gi*", categorized_qml(gi_class_expression(f"{column}_gi_bin"), GI_ENTRIES),
                       f"Getis-Ord Gi* hot and cold spots (99/95/90 %) of {column}"),
        ]
    return styles


def with_aliases(qml: str, aliases: Sequence[tuple[str, str]]) -> str:
    """``qml`` with an ``<aliases>`` block: the label QGIS shows for each field (attribute table, forms)."""
    root = ET.fromstring(qml.split("\n", 1)[1])
    block = ET.Element("aliases")
    for index, (field, alias) in enumerate(aliases):
        ET.SubElement(block, "alias", field=field, index=str(index), name=alias)
    root.insert(list(root).index(root.find("blendMode")), block)
    ET.indent(root)
    return qml.split("\n", 1)[0] + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def field_aliases(gpkg: str | Path, layer: str, sector_names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(field, label)`` of every field of ``layer`` from the field registry (the name where it has none)."""
    aliases = []
    for name in pyogrio.read_info(gpkg, layer=layer)["fields"]:
        found = describe(layer, name, dict(sector_names or {}))
        aliases.append((name, found.label if found else name))
    return aliases


def write_layer_styles(gpkg: str | Path, styles: Sequence[LayerStyle], sector_names: Mapping[str, str] | None = None) -> int:
    """Store ``styles`` in the ``layer_styles`` table of ``gpkg``, registered as a GeoPackage attributes table.

    Every style carries the field aliases of its layer (:func:`field_aliases`). Styles of layers that
    are not in the file are skipped; returns the number of rows written.
    """
    with closing(sqlite3.connect(gpkg)) as db:
        geometry = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        present = {row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")}
    aliases = {layer: field_aliases(gpkg, layer, sector_names) for layer in {s.layer for s in styles} & present}
    rows = [
        ("", "", s.layer, geometry.get(s.layer, ""), s.name, with_aliases(s.qml, aliases[s.layer]), "", s.default,
         s.description, OWNER, "")
        for s in styles if s.layer in present
    ]
    with closing(sqlite3.connect(gpkg)) as db, db:
        if "layer_styles" not in present:
            db.execute(LAYER_STYLES_DDL)
            db.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
        db.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
            "styleQML, styleSLD, useAsDefault, description, owner, ui) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


# --- raster styles: QML sidecars QGIS loads with the GeoTIFFs (<name>.qml beside <name>.tif) ---------


def _raster_document(renderer: ET.Element) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories")
    pipe = ET.SubElement(root, "pipe")
    provider = ET.SubElement(pipe, "provider")
    ET.SubElement(provider, "resampling", enabled="false", zoomedInResamplingMethod="nearestNeighbour",
                  zoomedOutResamplingMethod="nearestNeighbour", maxOversampling="2")
    pipe.append(renderer)
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", grayscaleMode="0", colorizeOn="0")
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def raster_classes_qml(bounds: Sequence[float], entries: Sequence[LegendEntry]) -> str:
    """A single-band pseudocolour style with discrete classes: ``entries[i]`` up to ``bounds[i]``, the last above."""
    lowest, highest = bounds[0] / 10 if bounds[0] > 0 else bounds[0] - 1, bounds[-1] * 10
    renderer = ET.Element("rasterrenderer", type="singlebandpseudocolor", band="1", opacity="1", alphaBand="-1",
                          classificationMin=f"{lowest:g}", classificationMax=f"{highest:g}", nodataColor="")
    ET.SubElement(renderer, "rasterTransparency")
    origin = ET.SubElement(renderer, "minMaxOrigin")
    ET.SubElement(origin, "limits").text = "None"
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader", colorRampType="DISCRETE",
                           classificationMode="1", clip="0", minimumValue=f"{lowest:g}", maximumValue=f"{highest:g}")
    for bound, entry in zip([*bounds, float("inf")], entries):
        ET.SubElement(shader, "item", value="inf" if bound == float("inf") else f"{bound:g}", label=entry.label,
                      color=entry.fill or "#ffffff", alpha="255")
    return _raster_document(renderer)


def raster_paletted_qml(values: Sequence[int], entries: Sequence[LegendEntry]) -> str:
    """A paletted style: cell value ``values[i]`` drawn and labelled as ``entries[i]``."""
    renderer = ET.Element("rasterrenderer", type="paletted", band="1", opacity="1", alphaBand="-1", nodataColor="")
    ET.SubElement(renderer, "rasterTransparency")
    ET.SubElement(ET.SubElement(renderer, "minMaxOrigin"), "limits").text = "None"
    palette = ET.SubElement(renderer, "colorPalette")
    for value, entry in zip(values, entries):
        ET.SubElement(palette, "paletteEntry", value=str(value), color=entry.fill or "#ffffff", alpha="255",
                      label=entry.label)
    return _raster_document(renderer)
