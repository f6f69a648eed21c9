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
- ``grid-queen``, ``grid-rook`` — contiguity of square grid cells (a ``kibs-spatial grid`` layer) from
  their ``row`` and ``col`` (or their corners), in linear time: cells sharing a corner or an edge
  (queen), an edge (rook). Equal to queen/rook with ``tolerance=0`` on such cells.

Every value is checked when the spec is parsed: ``k`` is a whole number >= 1 (and below the number
of units when the weights are built), ``tolerance`` a finite distance >= 0, ``threshold`` a finite
distance > 0, each key at most once.

Islands (units with no neighbour) follow an explicit policy: ``keep`` leaves them without
neighbours and reports them (local statistics label them ``isolated``); ``nearest`` links each
island to its nearest unit (symmetric link) within ``max_link`` metres, and reports what it linked.

Contiguity is computed with shapely's STRtree ``dwithin`` query on the projected polygons (exact
gap distance, and much faster than buffering every polygon as ``libpysal.weights.fuzzy_contiguity``
does), straight into a sparse matrix (:class:`SparseWeights`: ``sparse``, ``id_order``), which is all
the statistics engine reads. The ``libpysal.weights.W`` keyed by region code (``RegionWeights.w``)
is made from it on first use only: libpysal takes about a second to import and building its
neighbour dictionaries is most of the time on large layers. Grid layers (``grid-queen``,
``grid-rook``) take their contiguity from the cells' row and column (:mod:`.grid_weights`), in
linear time, without touching the geometry.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from ..defaults import DEFAULT_WEIGHTS  # noqa: F401 - the default spec, re-exported
from ..errors import InputError
from .grid_weights import GRID_KINDS, grid_adjacency_of

if TYPE_CHECKING:
    import geopandas as gpd
    from libpysal.weights import W

ISLAND_POLICIES = ("keep", "nearest")

_SPEC_DEFAULTS: dict[str, dict[str, float | str]] = {
    "queen": {"tolerance": 500.0},
    "rook": {"tolerance": 500.0},
    "knn": {"k": 6},
    "distance": {"threshold": 20000.0},
    "kernel": {"k": 8, "function": "triangular"},
    **{kind: {} for kind in GRID_KINDS},
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
                takes = f"takes {', '.join(params)} as key=value" if params else "takes no options"
                raise InputError(f"bad weights option {item!r} in {text!r}; {kind} {takes}")
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


@dataclass(frozen=True, eq=False)
class SparseWeights:
    """A neighbour graph as a CSR matrix whose rows and columns follow ``id_order``.

    It offers what the statistics engine reads of a ``libpysal.weights.W`` (``sparse``, ``id_order``,
    ``n``), so a large layer is tested without libpysal's neighbour dictionaries; :meth:`to_w` makes
    the W when one is wanted (a GAL file, the Python API).
    """

    sparse: sp.csr_matrix
    id_order: list[str]

    @property
    def n(self) -> int:
        return len(self.id_order)

    def cardinalities(self) -> np.ndarray:
        """Neighbours per unit, in ``id_order`` (stored entries, as ``W.cardinalities`` counts them)."""
        return np.diff(self.sparse.indptr)

    def to_w(self) -> W:
        """The ``libpysal.weights.W`` with the same neighbours and weights (neighbours in matrix order)."""
        from libpysal.weights import W  # imported here: about a second, only when a W is wanted

        ids, indptr, indices, data = self.id_order, self.sparse.indptr, self.sparse.indices, self.sparse.data
        neighbors = {ids[i]: [ids[j] for j in indices[indptr[i]:indptr[i + 1]]] for i in range(self.n)}
        weights = {ids[i]: data[indptr[i]:indptr[i + 1]].tolist() for i in range(self.n)}
        return W(neighbors, weights, id_order=list(ids), silence_warnings=True)

    @classmethod
    def of(cls, w: W) -> "SparseWeights":
        """The matrix of a libpysal W, in its ``id_order``."""
        return cls(sp.csr_matrix(w.sparse, dtype=np.float64), [str(i) for i in w.id_order])


@dataclass(frozen=True, eq=False)
class RegionWeights:
    """Neighbour graph keyed by region code (``graph``), the libpysal ``W`` made from it on first use
    (``w``), and the report of how it was built.

    ``RegionWeights(w, report)`` with a libpysal W (as callers wrote it before the graph was sparse) is
    :meth:`from_w`: the W is kept as given and its matrix becomes the graph.
    """

    graph: SparseWeights
    report: ConnectivityReport

    def __post_init__(self) -> None:
        if not isinstance(self.graph, SparseWeights):  # a libpysal W (or anything with sparse and id_order)
            given = self.graph
            object.__setattr__(self, "graph", SparseWeights.of(given))
            self.__dict__["w"] = given

    @cached_property
    def w(self) -> W:
        """The graph as a ``libpysal.weights.W`` (made once, on first use)."""
        return self.graph.to_w()

    @classmethod
    def from_w(cls, w: W, report: ConnectivityReport) -> "RegionWeights":
        """Weights given as a libpysal W: ``w`` is kept as is (not rebuilt)."""
        return cls(w, report)  # __post_init__ keeps ``w`` in the cached property's slot: the caller's W, not a copy


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
    linked: dict[int, int] = {}
    if spec.kind in GRID_KINDS:
        matrix = grid_adjacency_of(regions, spec.kind, id_column)
    else:
        geoms = regions.geometry.values
        builders = {"queen": _contiguity, "rook": _contiguity, "knn": _knn, "distance": _distance_band, "kernel": _kernel}
        matrix = builders[spec.kind](geoms, spec)
    if island_policy == "nearest":
        matrix, linked = _link_islands(regions.geometry.values, matrix, max_link)
    graph = SparseWeights(matrix, ids)
    linked_codes = {ids[i]: ids[j] for i, j in linked.items()}
    return RegionWeights(graph, _graph_report(graph, str(spec), island_policy, linked_codes))


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


def _contiguity(geoms, spec: WeightsSpec) -> sp.csr_matrix:
    """Binary contiguity: polygons within ``tolerance`` metres (touching when 0); rook also needs a shared
    boundary of ``4 * tolerance`` metres (any length when 0)."""
    tol = float(spec.params["tolerance"])
    if tol < 0:
        raise InputError(f"weights tolerance must be >= 0 metres, got {tol}")
    tree = shapely.STRtree(geoms)
    if tol > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tol)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    upper = left < right
    left, right = left[upper], right[upper]
    if spec.kind == "rook":
        shared = _shared_boundary(geoms[left], geoms[right], tol)
        keep = shared >= max(4 * tol, 1e-9)
        left, right = left[keep], right[keep]
    return _symmetric(left, right, len(geoms))


def _symmetric(left: np.ndarray, right: np.ndarray, n: int) -> sp.csr_matrix:
    """Binary symmetric CSR matrix with the links ``left[k] - right[k]`` (each pair once), indices sorted."""
    rows = np.concatenate([left, right]).astype(np.int64)
    cols = np.concatenate([right, left]).astype(np.int64)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _shared_boundary(a, b, tol: float) -> np.ndarray:
    """Length of each ``a``'s boundary lying within ``tol`` of ``b`` (exact shared edge when tol=0)."""
    near_b = shapely.buffer(b, tol) if tol > 0 else b
    return shapely.length(shapely.intersection(shapely.boundary(a), near_b))


def _centroids(geoms) -> np.ndarray:
    points = shapely.point_on_surface(geoms)
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


def _from_libpysal(w, drop_self: bool = False) -> sp.csr_matrix:
    """CSR matrix of a libpysal W keyed 0..n-1 (its neighbour lists and weights as they are; the focal unit
    itself left out when ``drop_self``)."""
    rows, cols, data = [], [], []
    for i in range(w.n):
        for j, value in zip(w.neighbors[i], w.weights[i]):
            if not (drop_self and j == i):
                rows.append(i)
                cols.append(int(j))
                data.append(float(value))
    return sp.csr_matrix((np.asarray(data, dtype=np.float64), (np.asarray(rows, dtype=np.int64),
                                                               np.asarray(cols, dtype=np.int64))), shape=(w.n, w.n))


def _knn(geoms, spec: WeightsSpec) -> sp.csr_matrix:
    from libpysal.weights import KNN

    k = _k_below_units(spec, len(geoms))
    return _from_libpysal(KNN(_centroids(geoms), k=k, ids=list(range(len(geoms)))))


def _k_below_units(spec: WeightsSpec, units: int) -> int:
    k = int(spec.params["k"])
    if not 1 <= k < units:
        raise InputError(f"{spec.kind} needs 1 <= k < number of units ({units}), got k={k} in {str(spec)!r}; "
                         f"use a smaller k")
    return k


def _distance_band(geoms, spec: WeightsSpec) -> sp.csr_matrix:
    from libpysal.weights import DistanceBand

    threshold = float(spec.params["threshold"])
    w = DistanceBand(_centroids(geoms), threshold=threshold, binary=True, ids=list(range(len(geoms))), silence_warnings=True)
    return _from_libpysal(w)


def _kernel(geoms, spec: WeightsSpec) -> sp.csr_matrix:
    from libpysal.weights import Kernel

    k = _k_below_units(spec, len(geoms))
    w = Kernel(_centroids(geoms), k=k, function=str(spec.params["function"]), fixed=False, diagonal=False, ids=list(range(len(geoms))))
    return _from_libpysal(w, drop_self=True)  # libpysal's kernel lists the focal unit itself; a neighbour graph does not


def _link_islands(geoms, matrix: sp.csr_matrix, max_link: float) -> tuple[sp.csr_matrix, dict[int, int]]:
    """Link each unit without neighbours to its nearest unit within ``max_link`` metres: the matrix with the links
    added both ways with weight 1 (a weight already stored between the two is kept), and island -> unit linked.

    Two islands nearest to each other are linked once (each is reported as linked to the other)."""
    islands = np.flatnonzero(np.diff(matrix.indptr) == 0)
    if not len(islands):
        return matrix, {}
    tree = shapely.STRtree(geoms)
    linked: dict[int, int] = {}
    for i in islands:
        others, dist = tree.query_nearest(geoms[i], exclusive=True, return_distance=True, all_matches=False)
        if len(others) and dist[0] <= max_link:
            linked[int(i)] = int(others[0])
    if not linked:
        return matrix, {}
    links = _symmetric(np.fromiter(linked, np.int64), np.fromiter(linked.values(), np.int64), matrix.shape[0])
    stored = matrix.astype(bool).astype(np.float64)
    combined = (matrix + links - links.multiply(stored)).tocsr()  # 1 where only the link is, the stored weight elsewhere
    combined.sort_indices()
    return combined, linked


def _graph_report(graph: SparseWeights, spec: str, policy: str, linked: dict[str, str]) -> ConnectivityReport:
    """The connectivity report of a sparse graph (as :func:`_report` gives for a libpysal W)."""
    counts = graph.cardinalities()
    components, labels = connected_components(graph.sparse, directed=True, connection="weak")
    sizes = sorted(np.bincount(labels, minlength=components).tolist(), reverse=True)
    return ConnectivityReport(
        spec=spec,
        island_policy=policy,
        units=graph.n,
        links=int(counts.sum() // 2),
        components=int(components),
        component_sizes=sizes,
        islands=[graph.id_order[i] for i in np.flatnonzero(counts == 0)],
        linked_islands=linked,
        mean_neighbors=float(counts.mean()),
        min_neighbors=int(counts.min()),
        max_neighbors=int(counts.max()),
    )


def _report(w: W, spec: str, policy: str, linked: dict[str, str]) -> ConnectivityReport:
    """The connectivity report of a libpysal W (weights given by the caller)."""
    return _graph_report(SparseWeights.of(w), spec, policy, linked)


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
