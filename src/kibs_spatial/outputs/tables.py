"""Small table writers: the run metadata as a key/value table, the neighbour graph as a GAL file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from libpysal import io as lps_io

from ..files import atomic_path


def metadata_table(metadata: dict[str, object]) -> pd.DataFrame:
    """The key/value table stored as ``run_metadata`` in a GeoPackage."""
    return pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]})


def write_gal(w, path: str | Path) -> Path:
    """Write a ``libpysal.weights.W`` as a GAL file keyed by its ids (libpysal's GAL writer), atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        gal = lps_io.open(str(tmp), "w")
        try:
            gal.write(w)
        finally:
            gal.close()
    return path
