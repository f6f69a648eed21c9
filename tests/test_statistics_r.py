"""Live comparison with R: spdep's localmoran (conditional moments), localG and p.adjust.

Needs ``Rscript`` with the spdep package (Debian: r-base-core r-cran-spdep). Without them
the tests skip locally but FAIL when the environment variable CI is set.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from system_programs import require  # noqa: E402
from test_statistics_support import idw_knn_w, lattice_w, skewed_values, voronoi_w  # noqa: E402

from kibs_spatial.analysis.statistics import adjust_pvalues, local_statistics  # noqa: E402

SCRIPT = Path(__file__).parent / "r" / "localmoran_reference.R"

# From R 4.2 stats::p.adjust on P_FIXED (printed with 17 digits).
P_FIXED = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, np.nan, 0.5, 0.5, 0.9]
R_FIXED = {
    "bh": [0.011, 0.044, 0.0924, 0.0924, 0.0924, 0.11, 0.116285714285714284, 0.281875,
           np.nan, 0.55, 0.55, 0.9],
    "by": [0.033218650793650793, 0.132874603174603173, 0.279036666666666711,
           0.279036666666666711, 0.279036666666666711, 0.332186507936507947,
           0.351168594104308396, 0.851227926587301620, np.nan, 1.0, 1.0, 1.0],
    "bonferroni": [0.011, 0.088, 0.429, 0.451, 0.462, 0.66, 0.814, 1.0, np.nan, 1.0, 1.0, 1.0],
}
R_NAMES = {"bh": "BH", "by": "BY", "bonferroni": "bonferroni"}


def _require_r() -> str:
    rscript = shutil.which("Rscript")
    ok = rscript is not None and subprocess.run(
        [rscript, "-e", "quit(status = !requireNamespace('spdep', quietly = TRUE))"],
        capture_output=True,
    ).returncode == 0
    require(ok, "Rscript with spdep not available (apt-get install r-base-core r-cran-spdep)")
    return rscript


def _run_r(tmp_path: Path, w, values: np.ndarray, pvalues=None) -> dict[str, pd.DataFrame]:
    rscript = _require_r()
    pos = {uid: k for k, uid in enumerate(w.id_order)}
    edges = [
        (pos[i] + 1, pos[j] + 1, wt)
        for i in w.id_order
        for j, wt in zip(w.neighbors[i], w.weights[i], strict=True)
        if j != i and wt > 0
    ]
    pd.DataFrame(edges, columns=["from", "to", "weight"]).to_csv(tmp_path / "edges.csv", index=False)
    cols = [f"v{c}" for c in range(values.shape[1])]
    pd.DataFrame(values, columns=cols).to_csv(tmp_path / "values.csv", index=False, na_rep="NA",
                                              float_format="%.17g")
    if pvalues is not None:
        pd.DataFrame({"p": pvalues}).to_csv(tmp_path / "pvalues.csv", index=False, na_rep="NA",
                                            float_format="%.17g")
    run = subprocess.run([rscript, str(SCRIPT), str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = {name: pd.read_csv(tmp_path / f"{name}.csv") for name in ("localmoran", "localG")}
    if pvalues is not None:
        out["padjust"] = pd.read_csv(tmp_path / "padjust.csv")
    return out


def _as_matrix(frame: pd.DataFrame, field: str, n: int, k: int) -> np.ndarray:
    out = np.full((n, k), np.nan)
    for c in range(k):
        part = frame[frame["column"] == f"v{c}"]
        out[part["unit"].to_numpy() - 1, c] = part[field].to_numpy()
    return out


CASES = {
    "lattice": lambda: (lattice_w(12, 12), skewed_values(144, 3, 1)),
    "voronoi": lambda: (voronoi_w(150, 5), skewed_values(150, 3, 2)),
    "idw_knn_missing": lambda: (idw_knn_w(120, 5, 6), skewed_values(121, 3, 3)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_local_moran_and_gi_star_match_spdep(tmp_path, case):
    w, values = CASES[case]()
    if case == "idw_knn_missing":
        values[[3, 17, 40], 1] = np.nan  # missing units: dropped, neighbours' lags renormalised
        values[0:5, 2] = np.nan
    res = local_statistics(w, values, permutations=0)
    ref = _run_r(tmp_path, w, values)
    n, k = values.shape
    r_z = _as_matrix(ref["localmoran"], "Z", n, k)
    r_i = _as_matrix(ref["localmoran"], "Ii", n, k)
    r_g = _as_matrix(ref["localG"], "Z", n, k)
    defined = ~np.isnan(res.lisa_z)
    assert defined.sum() >= n * k - 11  # 8 missing cells + 1 island x 3 columns
    # where we report a statistic, R has the same one (to 1e-8)
    np.testing.assert_allclose(res.lisa_z[defined], r_z[defined], rtol=0, atol=1e-8)
    nv = res.n_valid[None, :].repeat(n, axis=0)
    np.testing.assert_allclose(res.lisa_i[defined], (r_i * (nv - 1) / nv)[defined], rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.gi_z[defined], r_g[defined], rtol=0, atol=1e-8)
    # where we report none, it is because of a missing value or an island
    undefined_cl = np.isin(res.lisa_cl, ["undefined", "isolated"])
    np.testing.assert_array_equal(~defined, undefined_cl)


def test_p_adjust_matches_r_live(tmp_path):
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.random(60) ** 3, [np.nan, 0.5, 0.5, 1.0, 0.0]])
    rng.shuffle(p)
    ref = _run_r(tmp_path, lattice_w(3, 3), skewed_values(9, 1, 0), pvalues=p)["padjust"]
    for method, r_name in R_NAMES.items():
        np.testing.assert_allclose(adjust_pvalues(p, method), ref[r_name].to_numpy(),
                                   rtol=1e-12, atol=1e-15, equal_nan=True)


@pytest.mark.parametrize("method", sorted(R_FIXED))
def test_p_adjust_matches_hard_coded_r_values(method):
    np.testing.assert_allclose(adjust_pvalues(P_FIXED, method), R_FIXED[method],
                               rtol=1e-12, equal_nan=True)
