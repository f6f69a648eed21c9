"""Open every layer of a GeoPackage with PyQGIS (headless) and print what QGIS sees, as JSON.

Run with the system Python that has Debian's python3-qgis:
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 check_gpkg.py FILE.gpkg RENDER_LAYER OUT.png
For every layer: validity, feature count, CRS, the default style QGIS applied (renderer type,
classification attribute, categories or rules, labels and whether they are obstacles), the field
aliases QGIS shows. RENDER_LAYER is drawn to OUT.png and
the image's pixel statistics are reported. No assertions here: tests/test_qgis.py asserts.
"""

import json
import os
import sys
from collections import Counter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProviderRegistry,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def describe_renderer(renderer) -> dict:
    out = {"type": renderer.type()}
    if renderer.type() == "categorizedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["categories"] = [
            {"value": str(c.value()), "label": c.label(), "colour": c.symbol().color().name()}
            for c in renderer.categories()
        ]
    elif renderer.type() == "RuleRenderer":
        out["rules"] = [
            {"filter": r.filterExpression(), "label": r.label(), "children": [
                {"filter": c.filterExpression(), "label": c.label(), "colour": c.symbol().color().name()}
                for c in r.children()]}
            for r in renderer.rootRule().children()
        ]
    elif renderer.type() == "singleSymbol":
        out["outline"] = renderer.symbol().symbolLayer(0).strokeColor().name()
    return out


def describe_layer(path: str, name: str) -> dict:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    info = {"valid": layer.isValid()}
    if not layer.isValid():
        return info
    fields = layer.fields()
    info.update(
        features=layer.featureCount(),
        crs=layer.crs().authid(),
        spatial=layer.isSpatial(),
        fields=[f.name() for f in fields],
        field_count=len(fields),
        aliased=sum(1 for i in range(len(fields)) if layer.attributeAlias(i)),
        aliases={fields[i].name(): layer.attributeAlias(i) for i in range(len(fields))},
    )
    if layer.isSpatial():
        info["renderer"] = describe_renderer(layer.renderer())
        info["labels"] = bool(layer.labelsEnabled())
        if layer.labelsEnabled() and layer.labeling() is not None:
            settings = layer.labeling().settings()
            info.update(label_field=settings.fieldName, label_is_expression=settings.isExpression,
                        label_obstacle=settings.obstacleSettings().isObstacle())
        count, _ids, names, _descriptions, _error = layer.listStylesInDatabase()
        info["stored_styles"] = list(names[:count])
    return info


def render(path: str, name: str, png: str) -> dict:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(500, 600))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "PNG")
    colours = Counter()
    reds = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            colour = QColor(image.pixel(x, y))
            colours[colour.name()] += 1
            reds += colour.red() > 190 and colour.green() < 110 and colour.blue() < 110
    total = sum(colours.values())
    return {"png": png, "width": image.width(), "height": image.height(),
            "non_white_fraction": 1 - colours["#ffffff"] / total, "red_fraction": reds / total,
            "top_colours": colours.most_common(12), "distinct_colours": len(colours)}


def main() -> None:
    path, render_layer, png = sys.argv[1:4]
    app = QgsApplication([], False)
    app.initQgis()
    metadata = QgsProviderRegistry.instance().providerMetadata("ogr")
    names = [sub.name() for sub in metadata.querySublayers(path)] if hasattr(metadata, "querySublayers") else []
    if not names:
        from osgeo import ogr
        ds = ogr.Open(path)
        names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    result = {"qgis": __import__("qgis.core", fromlist=["Qgis"]).Qgis.version(),
              "layers": {name: describe_layer(path, name) for name in names},
              "render": render(path, render_layer, png)}
    print(json.dumps(result))
    app.exitQgis()


if __name__ == "__main__":
    main()
