"""Paths of the data files shipped with the package (boundaries, synthetic demo data).

In a wheel the repository's ``data/`` folders are installed as ``kibs_spatial/_data``;
in a source checkout or an editable install they are read from the repository itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_data"
_REPOSITORY = Path(__file__).resolve().parents[2] / "data"


def data_path(*parts: str) -> Path:
    """Path of a bundled data file, e.g. ``data_path("boundaries", "kr_sigungu.gpkg")``."""
    for root in (_PACKAGED, _REPOSITORY):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"bundled data file {'/'.join(parts)} not found under {_PACKAGED} or {_REPOSITORY}; "
        "reinstall kibs-spatial or regenerate it with the scripts in scripts/"
    )
