"""Spatial autocorrelation statistics with honest inference.

Public API
----------
local_statistics(w, values, ...) -> LocalResults
    Local Moran's I (LISA) and Getis-Ord Gi* for many columns at once, with one set of
    conditional-permutation draws per unit shared by all columns (numba, thread-count
    independent), FDR-adjusted q-values, categories and hot/cold bins.
bivariate_local_moran(w, x, y, ...) -> BivariateLocalResults
global_moran(w, values, ...) -> list[GlobalMoranResult]
adjust_pvalues(p, method) -> np.ndarray
    Benjamini-Hochberg, Benjamini-Yekutieli, Bonferroni; NaN-aware; equals R's p.adjust.

See docs/STATISTICS.md for the formulas, the inference and how they differ from esda,
GeoDa and spdep.
"""

from .global_moran import GlobalMoranResult, global_moran, moran_table
from .inference import ALTERNATIVES, DEFAULT_SEED
from .local import (
    FDR_SCOPES,
    BivariateLocalResults,
    InferenceSettings,
    LocalResults,
    bivariate_local_moran,
    local_statistics,
)
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
]
