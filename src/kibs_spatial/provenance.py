"""What a result was made from: library versions, time, settings and input hashes for run metadata."""

from __future__ import annotations

import hashlib
import platform
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import __version__

LIBRARIES = ["numpy", "pandas", "scipy", "shapely", "pyproj", "pyogrio", "geopandas", "libpysal", "esda", "numba", "folium", "mapclassify"]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def software_versions() -> dict[str, str]:
    """``version_<library>`` for the tool, Python and every library the results depend on."""
    versions = {"tool": f"kibs-spatial {__version__}", "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[f"version_{name}"] = version(name)
        except PackageNotFoundError:
            versions[f"version_{name}"] = "not installed"
    return versions


def stamp() -> dict[str, str]:
    """The tool and library versions (:func:`software_versions`) and ``run_at_utc``."""
    return {**software_versions(), "run_at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def inference_metadata(weights, statistics, report, min_p: float) -> dict[str, object]:
    """The weights and statistics settings of a run, and what the neighbour graph turned out to be.

    ``weights`` and ``statistics`` are the run's ``WeightsConfig`` and ``StatisticsConfig``,
    ``report`` the weights' ``ConnectivityReport``.
    """
    return {
        "weights": weights.spec,
        "island_policy": weights.islands,
        "weights_components": report.components,
        "weights_islands": ",".join(report.islands),
        **{f"statistics_{k}": v for k, v in vars(statistics).items()},
        "minimum_p": min_p,
        "gi_variant": "Gi* (focal unit included)",
    }
