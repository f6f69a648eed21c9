"""Open the QGIS project stored in a GeoPackage with PyQGIS (headless) and print what QGIS shows, as JSON.

Run with the system Python that has Debian's python3-qgis:
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 check_project.py FILE.gpkg PROJECT OUT_DIR
Reads ``geopackage:FILE.gpkg?projectName=PROJECT``; reports the title, the legend (groups and
layers, switched on or off), for every layer its validity, filter, feature count, renderer
(rules and their labels), labelling and field aliases; renders the layers switched on at the
project's first view and at the whole extent to OUT_DIR/project_view.png and project_all.png,
with the labels QGIS placed in each. No assertions here: tests/test_qgis.py asserts.
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def describe_tree(node) -> list:
    out = []
    for child in node.children():
        if isinstance(child, QgsLayerTreeGroup):
            out.append({"group": child.name(), "checked": child.isVisible(), "children": describe_tree(child)})
        elif isinstance(child, QgsLayerTreeLayer):
            out.append({"layer": child.name(), "checked": child.isVisible()})
    return out


def describe_renderer(renderer) -> dict:
    out = {"type": renderer.type()}
    if renderer.type() == "RuleRenderer":
        out["rules"] = [{"label": r.label(), "filter": r.filterExpression(),
                         "children": [{"label": c.label(), "colour": c.symbol().color().name()} for c in r.children()]}
                        for r in renderer.rootRule().children()]
    elif renderer.type() == "singleSymbol":
        out["outline"] = renderer.symbol().symbolLayer(0).strokeColor().name()
    return out


def describe_layer(layer) -> dict:
    info = {"valid": layer.isValid(), "source": layer.source(), "subset": layer.subsetString()}
    if not layer.isValid():
        return info
    fields = layer.fields()
    info.update(features=layer.featureCount(), crs=layer.crs().authid(), renderer=describe_renderer(layer.renderer()),
                labels=bool(layer.labelsEnabled()), fields=len(fields),
                aliased=sum(1 for i in range(len(fields)) if layer.attributeAlias(i)),
                aliases={fields[i].name(): layer.attributeAlias(i) for i in range(len(fields))})
    if layer.labelsEnabled() and layer.labeling() is not None:
        settings = layer.labeling().settings()
        info.update(label_expression=settings.fieldName, label_is_expression=settings.isExpression,
                    label_obstacle=settings.obstacleSettings().isObstacle())
    return info


def render(project, extent, png: str) -> dict:
    layers = project.layerTreeRoot().checkedLayers()
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(1200, 1000))
    settings.setExtent(extent)
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setFlag(QgsMapSettings.DrawLabeling, True)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(png, "PNG")
    results = job.takeLabelingResults()
    placed = results.labelsWithinRect(settings.visibleExtent()) if results is not None else []
    names = {layer.id(): layer.name() for layer in layers}
    by_layer = {}
    for label in placed:
        by_layer.setdefault(names.get(label.layerID, label.layerID), []).append(label.labelText)
    return {"png": png, "layers": [layer.name() for layer in layers], "labels": by_layer,
            "extent": [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()]}


def main() -> None:
    path, name, out_dir = sys.argv[1:4]
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    ok = project.read(f"geopackage:{path}?projectName={name}")
    layers = project.mapLayers().values()
    view = project.viewSettings().defaultViewExtent()
    full = QgsRectangle()
    for layer in layers:
        if layer.isValid():
            full.combineExtentWith(layer.extent())
    result = {"read": ok, "title": project.title(), "crs": project.crs().authid(),
              "tree": describe_tree(project.layerTreeRoot()),
              "layers": {layer.name(): describe_layer(layer) for layer in layers},
              "view": [view.xMinimum(), view.yMinimum(), view.xMaximum(), view.yMaximum()] if not view.isEmpty() else None,
              "render_view": render(project, view if not view.isEmpty() else full, os.path.join(out_dir, "project_view.png")),
              "render_all": render(project, full, os.path.join(out_dir, "project_all.png"))}
    print(json.dumps(result, ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main()
