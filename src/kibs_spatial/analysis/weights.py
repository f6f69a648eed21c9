"""Spatial weights for region polygons: contiguity with a gap tolerance, kNN, distance band, kernel.

A weights spec is a short string, ``kind[:key=value,...]``:

- ``queen:tolerance=500`` — neighbours are units whose polygons lie within ``tolerance`` metres
  of each other (0 = they must touch). The tolerance bridges the slivers and overlaps left by
  simplifying polygons one by one, and narrow straits crossed by bridges.
- ``rook:tolerance=500`` — as queen, but the units must share at least ``4 * tolerance`` metres
  of boundary (a corner contact is not enough). With ``tolerance=0`` plain libpysal rook.
- ``knn:k=6`` — the k nearest units by centroid distance.
- ``distance:threshold=20000`` — every unit whose centroid lies within the threshold (metres).
- ``kernel:k=8,function=triangular`` — adaptive kernel weights over the k nearest centroids
  (libpysal ``Kernel``; the focal unit's own weight is dropped); functions: triangular, uniform,
  quadratic, quartic, gaussian.

Every value is checked when the spec is parsed: ``k`` is a whole number >= 1 (and below the number
of units when the weights are built), ``tolerance`` a finite distance >= 0, ``threshold`` a finite
distance > 0, each key at most once.

Islands (units with no neighbour) follow an explicit policy: ``keep`` leaves them without
neighbours and reports them (local statistics label them ``isolated``); ``nearest`` links each
island to its nearest unit (symmetric link) within ``max_link`` metres, and reports what it linked.

Contiguity is computed with shapely's STRtree ``dwithin`` query on the projected polygons (exact
gap distance, and much faster than buffering every polygon as ``libpysal.weights.fuzzy_contiguity``
does); the result is an ordinary ``libpysal.weights.W`` keyed by region code.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from libpysal import weights as lps

from ..defaults import DEFAULT_WEIGHTS  # noqa: F401 - the default spec, re-exported
from ..errors import InputError

ISLAND_POLICIES = ("keep", "nearest")

_SPEC_DEFAULTS: dict[str, dict[str, float | str]] = {
    "queen": {"tolerance": 500.0},
    "rook": {"tolerance": 500.0},
    "knn": {"k": 6},
    "distance": {"threshold": 20000.0},
    "kernel": {"k": 8, "function": "triangular"},
}
KERNEL_FUNCTIONS = ("triangular", "uniform", "quadratic", "quartic", "gaussian")
MIN_UNITS = 3
"""Fewer units than this cannot be tested: a local statistic needs the focal unit and two others."""


@dataclass(frozen=True)
class WeightsSpec:
    kind: str
    params: dict[str, float | str] = field(default_factory=dict)

    def __str__(self) -> str:
        args = ",".join(f"{k}={_format_param(v)}" for k, v in self.params.items())
        return f"{self.kind}:{args}" if args else self.kind

    @classmethod
    def parse(cls, text: str) -> "WeightsSpec":
        """Parse ``"queen:tolerance=500"``; unknown kinds or keys raise ``InputError``."""
        kind, _, rest = text.strip().partition(":")
        kind = kind.lower()
        if kind not in _SPEC_DEFAULTS:
            raise InputError(f"unknown weights kind {kind!r} in {text!r}; use one of {', '.join(_SPEC_DEFAULTS)}")
        params = dict(_SPEC_DEFAULTS[kind])
        given: set[str] = set()
        for item in filter(None, (p.strip() for p in rest.split(","))):
            key, sep, value = (part.strip() for part in item.partition("="))
            if not sep or key not in params:
                raise InputError(
                    f"bad weights option {item!r} in {text!r}; {kind} takes {', '.join(params)} as key=value"
                )
            if key in given:
                raise InputError(f"weights option {key} appears twice in {text!r}; give it once")
            given.add(key)
            params[key] = _value(kind, key, value, text)
        return cls(kind, params)


@dataclass(frozen=True)
class ConnectivityReport:
    """What a neighbour graph looks like: the facts to check before trusting a LISA map."""

    spec: str
    island_policy: str
    units: int
    links: int  # undirected neighbour pairs
    components: int
    component_sizes: list[int]
    islands: list[str]
    linked_islands: dict[str, str]  # island -> unit it was linked to under the "nearest" policy
    mean_neighbors: float
    min_neighbors: int
    max_neighbors: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    def to_text(self, names: dict[str, str] | None = None) -> str:
        label = (lambda c: f"{c} {names[c]}" if names and c in names else c)
        lines = [
            f"weights            {self.spec} (islands: {self.island_policy})",
            f"units              {self.units}",
            f"neighbour pairs    {self.links}",
            f"components         {self.components} (sizes {', '.join(map(str, self.component_sizes))})",
            f"neighbours/unit    mean {self.mean_neighbors:.2f}, min {self.min_neighbors}, max {self.max_neighbors}",
            f"islands            {len(self.islands)}" + (f": {', '.join(map(label, self.islands))}" if self.islands else ""),
        ]
        for island, target in self.linked_islands.items():
            lines.append(f"linked island      {label(island)} -> {label(target)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class RegionWeights:
    """A libpysal ``W`` keyed by region code, with the report of how it was built."""

    w: lps.W
    report: ConnectivityReport


def build_weights(
    regions: gpd.GeoDataFrame,
    spec: str | WeightsSpec = DEFAULT_WEIGHTS,
    *,
    id_column: str = "region_code",
    island_policy: str = "keep",
    max_link: float = 50_000.0,
) -> RegionWeights:
    """Build weights over ``regions`` (projected CRS in metres) keyed by ``id_column``."""
    spec = spec if isinstance(spec, WeightsSpec) else WeightsSpec.parse(spec)
    if island_policy not in ISLAND_POLICIES:
        raise InputError(f"unknown island policy {island_policy!r}; use one of {', '.join(ISLAND_POLICIES)}")
    _check_regions(regions, id_column)
    if len(regions) < MIN_UNITS:
        source = regions.attrs.get("source", "the region layer")
        raise InputError(f"{source}: {len(regions)} unit(s); spatial weights and the statistics on them need at least "
                         f"{MIN_UNITS} units — use a layer with more units")
    ids = regions[id_column].astype(str).tolist()
    geoms = regions.geometry.values
    builders = {"queen": _contiguity, "rook": _contiguity, "knn": _knn, "distance": _distance_band, "kernel": _kernel}
    neighbors, wvalues = builders[spec.kind](geoms, spec)
    linked: dict[str, str] = {}
    if island_policy == "nearest":
        linked = _link_islands(geoms, neighbors, wvalues, max_link)
    w = _to_w(neighbors, wvalues, ids)
    linked_codes = {ids[i]: ids[j] for i, j in linked.items()}
    return RegionWeights(w, _report(w, str(spec), island_policy, linked_codes))


def _check_regions(regions: gpd.GeoDataFrame, id_column: str) -> None:
    if id_column not in regions.columns:
        raise InputError(f"the region layer has no column {id_column!r}; columns: {', '.join(map(str, regions.columns))}")
    if regions.crs is None or not regions.crs.is_projected:
        raise InputError("weights need a projected CRS in metres (e.g. EPSG:5179); reproject the region layer first")
    dup = regions[id_column][regions[id_column].duplicated()].astype(str).unique().tolist()
    if dup:
        raise InputError(f"region ids in column {id_column!r} are not unique: {', '.join(dup[:10])}")
    empty = regions[regions.geometry.is_empty | regions.geometry.isna()][id_column].astype(str).tolist()
    if empty:
        raise InputError(f"regions without geometry: {', '.join(empty[:10])}")


def _contiguity(geoms, spec: WeightsSpec):
    tol = float(spec.params["tolerance"])
    if tol < 0:
        raise InputError(f"weights tolerance must be >= 0 metres, got {tol}")
    tree = shapely.STRtree(geoms)
    if tol > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tol)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    pairs = {(int(i), int(j)) for i, j in zip(left, right) if i < j}
    if spec.kind == "rook":
        pairs = {(i, j) for i, j in pairs if _shared_boundary(geoms[i], geoms[j], tol) >= max(4 * tol, 1e-9)}
    neighbors: dict[int, list[int]] = {i: [] for i in range(len(geoms))}
    for i, j in sorted(pairs):
        neighbors[i].append(j)
        neighbors[j].append(i)
    return neighbors, {i: [1.0] * len(n) for i, n in neighbors.items()}


def _shared_boundary(a, b, tol: float) -> float:
    """Length of ``a``'s boundary lying within ``tol`` of ``b`` (exact shared edge when tol=0)."""
    near_b = b.buffer(tol) if tol > 0 else b
    return shapely.intersection(a.boundary, near_b).length


def _centroids(geoms) -> np.ndarray:
    points = shapely.point_on_surface(geoms)
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


def _from_libpysal(w: lps.W):
    neighbors = {i: [int(j) for j in w.neighbors[i]] for i in range(w.n)}
    return neighbors, {i: [float(v) for v in w.weights[i]] for i in range(w.n)}


def _knn(geoms, spec: WeightsSpec):
    k = _k_below_units(spec, len(geoms))
    return _from_libpysal(lps.KNN(_centroids(geoms), k=k, ids=list(range(len(geoms)))))


def _k_below_units(spec: WeightsSpec, units: int) -> int:
    k = int(spec.params["k"])
    if not 1 <= k < units:
        raise InputError(f"{spec.kind} needs 1 <= k < number of units ({units}), got k={k} in {str(spec)!r}; "
                         f"use a smaller k")
    return k


def _distance_band(geoms, spec: WeightsSpec):
    threshold = float(spec.params["threshold"])
    w = lps.DistanceBand(_centroids(geoms), threshold=threshold, binary=True, ids=list(range(len(geoms))), silence_warnings=True)
    return _from_libpysal(w)


def _kernel(geoms, spec: WeightsSpec):
    k = _k_below_units(spec, len(geoms))
    w = lps.Kernel(_centroids(geoms), k=k, function=str(spec.params["function"]), fixed=False, diagonal=False, ids=list(range(len(geoms))))
    neighbors, wvalues = _from_libpysal(w)
    for i in neighbors:  # libpysal's kernel lists the focal unit itself; a neighbour graph does not
        keep = [n != i for n in neighbors[i]]
        neighbors[i] = [n for n, ok in zip(neighbors[i], keep) if ok]
        wvalues[i] = [v for v, ok in zip(wvalues[i], keep) if ok]
    return neighbors, wvalues


def _link_islands(geoms, neighbors, wvalues, max_link: float) -> dict[int, int]:
    """Link each unit without neighbours to its nearest unit within ``max_link`` metres."""
    tree = shapely.STRtree(geoms)
    linked: dict[int, int] = {}
    for i in [i for i, n in neighbors.items() if not n]:
        others, dist = tree.query_nearest(geoms[i], exclusive=True, return_distance=True, all_matches=False)
        if len(others) and dist[0] <= max_link:
            j = int(others[0])
            for a, b in ((i, j), (j, i)):
                neighbors[a].append(b)
                wvalues[a].append(1.0)
            linked[i] = j
    return linked


def _to_w(neighbors, wvalues, ids: list[str]) -> lps.W:
    named = {ids[i]: [ids[j] for j in n] for i, n in neighbors.items()}
    named_w = {ids[i]: list(v) for i, v in wvalues.items()}
    return lps.W(named, named_w, id_order=ids, silence_warnings=True)


def _report(w: lps.W, spec: str, policy: str, linked: dict[str, str]) -> ConnectivityReport:
    counts = np.array([w.cardinalities[i] for i in w.id_order])
    labels = w.component_labels
    sizes = sorted(np.bincount(labels).tolist(), reverse=True)
    return ConnectivityReport(
        spec=spec,
        island_policy=policy,
        units=w.n,
        links=int(counts.sum() // 2),
        components=int(w.n_components),
        component_sizes=sizes,
        islands=[str(i) for i in w.islands],
        linked_islands=linked,
        mean_neighbors=float(counts.mean()),
        min_neighbors=int(counts.min()),
        max_neighbors=int(counts.max()),
    )


def _value(kind: str, key: str, value: str, text: str) -> float | int | str:
    """A spec value checked for its key: ``k`` a whole number >= 1, distances finite and >= 0 (> 0 for a
    threshold), ``function`` a known kernel."""
    if key == "function":
        if value.lower() not in KERNEL_FUNCTIONS:
            raise InputError(f"unknown kernel function {value!r} in {text!r}; use one of {', '.join(KERNEL_FUNCTIONS)}")
        return value.lower()
    if key == "k":
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise InputError(f"{kind} option k={value} in {text!r} must be a whole number >= 1, e.g. k={_SPEC_DEFAULTS[kind]['k']}")
        return int(value)
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"weights option value {value!r} in {text!r} is not a number") from None
    positive = key == "threshold"
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise InputError(f"{kind} option {key}={value} in {text!r} must be a finite distance in metres "
                         f"{'> 0' if positive else '>= 0'}, e.g. {key}={_format_param(float(_SPEC_DEFAULTS[kind][key]))}")
    return number


def _format_param(value: float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
