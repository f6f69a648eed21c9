"""kibs_spatial: map KIBS industry clusters across regions with honest spatial statistics.

The Python API lives in :mod:`kibs_spatial.api` and is available here: ``kibs_spatial.hotspots``,
``.local_geary``, ``.weights``, ``.moran``, ``.geary``, ``.general_g``, ``.join_counts``,
``.correlogram``, ``.spatial_markov``, ``.run``, ``.load_boundaries``, ``.read_kosis``, ``.load_config``.
The names resolve on first use (PEP 562), so ``import kibs_spatial`` imports nothing heavy.

Examples
--------
>>> import kibs_spatial as ks
>>> ks.__version__
'0.1.0'
>>> callable(ks.hotspots)
True
"""

import importlib

__version__ = "0.1.0"

_API = (
    "Analysis", "correlogram", "geary", "general_g", "hotspots", "join_counts", "load_boundaries", "load_config",
    "local_geary", "moran", "read_kosis", "run", "spatial_markov", "weights",
)
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    """Load the API module on the first use of one of its names (then the name is an ordinary attribute)."""
    if name in _API:
        value = getattr(importlib.import_module("kibs_spatial.api"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kibs_spatial' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
