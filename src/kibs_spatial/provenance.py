"""What a result was made from: input file hashes and library versions for run metadata."""

from __future__ import annotations

import hashlib
import platform
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


def metadata_table(metadata: dict[str, object]):
    """The key/value table stored as ``run_metadata`` in a GeoPackage."""
    import pandas as pd

    return pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]})
