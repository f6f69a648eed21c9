"""Spatial autocorrelation statistics with honest inference.

Public API
----------
local_statistics(w, values, ...) -> LocalResults
    Local Moran's I (LISA) and Getis-Ord Gi* for many columns at once, with one set of
    conditional-permutation draws per unit shared by all columns (numba, thread-count
    independent), FDR-adjusted q-values, categories and hot/cold bins.
    ``sequential=h``: Besag-Clifford sequential p-values (a unit stops drawing once its tests have h
    exceedances; see ``sequential``), with the permutations each test used in ``draws``.
bivariate_local_moran(w, x, y, ...) -> BivariateLocalResults
global_moran(w, values, ...) -> list[GlobalMoranResult]
    All columns simulated together, eight per pass under one shuffle (``quadratic_forms.tail_counts``).
adjust_pvalues(p, method) -> np.ndarray
    Benjamini-Hochberg, Benjamini-Yekutieli, Bonferroni; NaN-aware; equals R's p.adjust.
geary(w, values, ...) -> list[GearyResult]
    Global Geary's C (analytic and permutation inference).
local_geary(w, values, ...) -> LocalGearyResults
    Local Geary's c_i with the batched engine's conditional-permutation draws.
general_g(w, values, ...) -> list[GeneralGResult]
    Getis-Ord general G.
join_counts(w, binary_values, ...) -> list[JoinCountsResult]
    BB, WW and BW join counts of binary maps (e.g. promising / not).
contiguity_correlogram(w, values, ...), distance_correlogram(coords, values, bands, ...) -> MoranCorrelogram
    Moran's I by contiguity order or distance band, with a plot.

See docs/STATISTICS.md for the formulas, the inference and how they differ from esda,
GeoDa and spdep.
"""

from .correlogram import MoranCorrelogram, contiguity_correlogram, distance_correlogram
from .geary import GearyResult, geary, geary_table
from .general_g import GeneralGResult, general_g, general_g_table
from .global_moran import GlobalMoranResult, global_moran, moran_table
from .inference import ALTERNATIVES, DEFAULT_SEED
from .join_counts import JoinCountsResult, join_counts, join_counts_table
from .local import (
    FDR_SCOPES,
    BivariateLocalResults,
    InferenceSettings,
    LocalResults,
    bivariate_local_moran,
    local_statistics,
)
from .local_geary import LocalGearyResults, local_geary
from .multiple_testing import METHODS as FDR_METHODS
from .multiple_testing import adjust_pvalues

__all__ = [
    "ALTERNATIVES",
    "DEFAULT_SEED",
    "FDR_METHODS",
    "FDR_SCOPES",
    "BivariateLocalResults",
    "GlobalMoranResult",
    "InferenceSettings",
    "LocalResults",
    "adjust_pvalues",
    "bivariate_local_moran",
    "global_moran",
    "local_statistics",
    "moran_table",
    "GearyResult",
    "GeneralGResult",
    "JoinCountsResult",
    "LocalGearyResults",
    "MoranCorrelogram",
    "contiguity_correlogram",
    "distance_correlogram",
    "geary",
    "geary_table",
    "general_g",
    "general_g_table",
    "join_counts",
    "join_counts_table",
    "local_geary",
]
