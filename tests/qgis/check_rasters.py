"""Open the run's rasters with PyQGIS (headless) and print what QGIS shows, as JSON.

Run with the system Python that has Debian's python3-qgis:
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 check_rasters.py RASTER_DIR OUT_DIR
For every GeoTIFF: validity, the renderer QGIS applied when loading it (from the ``.qml`` beside
it), the legend entries; each is drawn to OUT_DIR/<name>.png and the number of distinct colours
of the drawing is reported. No assertions here: tests/test_qgis.py asserts.
"""

import json
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def draw(layer, png: str) -> int:
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(500, 500))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "PNG")
    colours = Counter(QColor(image.pixel(x, y)).name() for y in range(0, 500, 2) for x in range(0, 500, 2))
    return sum(1 for n in colours.values() if n > 20)  # colours of more than a few pixels (no edge blends)


def main() -> None:
    folder, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    app = QgsApplication([], False)
    app.initQgis()
    result = {}
    for path in sorted(folder.glob("*.tif")):
        layer = QgsRasterLayer(str(path), path.stem)
        info = {"valid": layer.isValid()}
        if layer.isValid():
            renderer = layer.renderer()
            info.update(renderer=renderer.type(), crs=layer.crs().authid(),
                        legend=[label for label, _ in renderer.legendSymbologyItems()],
                        colours=draw(layer, str(out_dir / f"{path.stem}.png")))
        result[path.name] = info
    print(json.dumps(result, ensure_ascii=False), flush=True)
    os._exit(0)  # QGIS 3.22 may crash tearing down raster providers at exit; everything is printed by now


if __name__ == "__main__":
    main()
