"""QGIS styles stored in the GeoPackage: QML written here, no QGIS needed at run time.

QGIS reads a layer's default style from the GeoPackage table ``layer_styles`` (the table its
"Save Style... > In Database" writes: one row per named style, ``useAsDefault`` marks the one
applied when the layer is opened). Colours and classes are those of the HTML maps
(:mod:`kibs_spatial.symbology`), so map and GIS agree:

- LISA: categorised on ``*_lisa_cl`` (HH, LL, LH, HL, ns, isolated, undefined);
- Gi*: categorised on the significance bin, legend "hot/cold spot 99/95/90 %";
- LQ: categorised on the fixed LQ classes of the maps (an expression, so missing LQ shows as
  "no data" instead of vanishing).

The long layer ``sector_results`` holds every sector on top of each other, so its styles are
rule-based with one sector per style (``"ksic" = '732'``).
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pyogrio

from ..fields import describe
from ..result import Sector
from ..symbology import (
    GANGNAM_ENTRY,
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_BREAKS,
    LQ_ENTRIES,
    NO_DATA_KEY,
    PROMISING_ENTRY,
    SIDO_ENTRY,
    LegendEntry,
)

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


def _document(renderer: ET.Element, label_field: str | None = None) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling|Fields",
                      labelsEnabled="1" if label_field else "0")
    root.append(renderer)
    if label_field:
        root.append(_labeling(label_field))
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _labeling(field: str) -> ET.Element:
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(settings, "text-style", fieldName=field, isExpression="0", fontSize="9", fontSizeUnit="Point",
                         textColor="0,0,0,255", textOpacity="1", fontWeight="50", fontItalic="0", namedStyle="Regular")
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.9", bufferJoinStyle="128")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="3")
    ET.SubElement(settings, "placement", placement="1", centroidInside="1", centroidWhole="0", fitInPolygonOnly="0")
    ET.SubElement(settings, "rendering", obstacle="1", displayAll="0", labelPerPart="0", mergeLines="0",
                  scaleVisibility="0", fontLimitPixelSize="0", limitNumLabels="0")
    return labeling


def categorized_qml(attribute: str, entries: Sequence[LegendEntry], label_field: str | None = None) -> str:
    """A ``categorizedSymbol`` renderer on ``attribute`` (a field or an expression), one class per entry."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=attribute, symbollevels="0",
                          forceraster="0", enableorderby="0")
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, entry in enumerate(entries):
        ET.SubElement(categories, "category", render="true", symbol=str(i), value=entry.key, label=entry.label)
        symbols.append(_fill_symbol(str(i), entry))
    return _document(renderer, label_field)


def rule_based_qml(parent_filter: str, label: str, rules: Sequence[tuple[str, LegendEntry]]) -> str:
    """A ``RuleRenderer``: one parent rule (``parent_filter``) with one child rule per (filter, entry)."""
    renderer = ET.Element("renderer-v2", type="RuleRenderer", symbollevels="0", forceraster="0", enableorderby="0")
    root_rule = ET.SubElement(renderer, "rules", key="root")
    parent = ET.SubElement(root_rule, "rule", key="parent", filter=parent_filter, label=label)
    symbols = ET.SubElement(renderer, "symbols")
    for i, (condition, entry) in enumerate(rules):
        ET.SubElement(parent, "rule", key=f"rule{i}", symbol=str(i), filter=condition, label=entry.label)
        symbols.append(_fill_symbol(str(i), entry))
    return _document(renderer)


def single_qml(entry: LegendEntry, label_field: str | None = None) -> str:
    """A ``singleSymbol`` renderer (outlines such as the sido or the Gangnam area), optionally labelled."""
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0", enableorderby="0")
    ET.SubElement(renderer, "symbols").append(_fill_symbol("0", entry))
    return _document(renderer, label_field)


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


def sector_styles(layer: str, prefix: str, sector: Sector, *, default: bool = False) -> list[LayerStyle]:
    """LISA, Gi* and LQ styles of one sector on a wide layer whose fields are ``{prefix}lisa_cl`` etc."""
    about = f"{sector.name_en} (KSIC {sector.ksic})"
    return [
        LayerStyle(layer, f"{sector.ksic} LISA", categorized_qml(f"{prefix}lisa_cl", LISA_ENTRIES),
                   f"LISA clusters and outliers of {about}", default),
        LayerStyle(layer, f"{sector.ksic} Gi* hot spots", categorized_qml(gi_class_expression(f"{prefix}gi_bin"), GI_ENTRIES),
                   f"Getis-Ord Gi* hot and cold spots (99/95/90 %) of {about}"),
        LayerStyle(layer, f"{sector.ksic} LQ", categorized_qml(lq_class_expression(f"{prefix}lq"), LQ_ENTRIES),
                   f"Location quotient classes of {about}"),
    ]


def long_layer_styles(layer: str, sector: Sector, *, default: bool = False) -> list[LayerStyle]:
    """LISA and Gi* styles of one sector on the long layer (one row per region x sector)."""
    about = f"{sector.name_en} (KSIC {sector.ksic})"
    only = f"\"ksic\" = '{sector.ksic}'"
    return [
        LayerStyle(layer, f"{sector.ksic} LISA", rule_based_qml(only, about, _lisa_rules("lisa_cl")),
                   f"LISA clusters and outliers of {about} (rows of this sector only)", default),
        LayerStyle(layer, f"{sector.ksic} Gi* hot spots", rule_based_qml(only, about, _gi_rules("gi_bin")),
                   f"Getis-Ord Gi* hot and cold spots (99/95/90 %) of {about} (rows of this sector only)"),
    ]


def run_styles(sectors: Sequence[Sector]) -> list[LayerStyle]:
    """Every style of the ``kibs-spatial run`` GeoPackage; the first sector's LISA is the default."""
    styles: list[LayerStyle] = []
    for i, sector in enumerate(sectors):
        styles += sector_styles("regions", f"{sector.field_prefix}_", sector, default=i == 0)
        styles += long_layer_styles("sector_results", sector, default=i == 0)
    styles += [
        LayerStyle("promising_locations", "promising locations", single_qml(PROMISING_ENTRY, "name_ko"),
                   "Promising cluster locations (all sectors), labelled with the unit name", True),
        LayerStyle("gangnam_area", "Gangnam area", single_qml(GANGNAM_ENTRY, "name"),
                   "Outline of the Gangnam area ([contrast] area)", True),
        LayerStyle("sido", "sido outlines", single_qml(SIDO_ENTRY, "sido_name"), "Province (sido) outlines", True),
    ]
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
