"""The bundled demo run gives the pinned results (tests/data, written by scripts/pin_demo_run.py).

Guards every refactoring: the promising locations, the local and global statistics of the default
run (9,999 permutations, the default seed) must not move unless a change means them to, in which
case the pin is rewritten in the same commit, with the reason.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"
EXACT = ["lisa_cl", "gi_bin", "promising", "presets_agree", "st_gi_bin", "ehsa_pattern"]
CLOSE = ["lq", "lisa_i", "lisa_p", "lisa_q", "gi_z", "gi_p", "gi_q", "st_gi_z", "lq_trend_z"]


@pytest.fixture(scope="module")
def default_run(default_result):
    return default_result


def test_local_statistics_and_verdicts_are_the_pinned_ones(default_run):
    keys = ["region_code", "ksic", "period"]
    pinned = pd.read_csv(DATA / "pinned_demo_run.csv.gz", dtype={"region_code": str, "ksic": str, "period": str})
    table = default_run.table.set_index(keys).loc[pinned.set_index(keys).index]
    assert len(table) == len(pinned) == len(default_run.table)
    for column in EXACT:
        ours, pin = (frame[column].fillna("").astype(str).to_numpy() for frame in (table, pinned))
        assert (ours == pin).all(), f"{column}: {(ours != pin).sum()} rows differ"
    for column in CLOSE:
        np.testing.assert_allclose(table[column].to_numpy(float), pinned[column].to_numpy(float), rtol=1e-9, atol=1e-12,
                                   equal_nan=True, err_msg=column)
    assert int(default_run.latest()["promising"].sum()) == 109


def test_global_moran_is_the_pinned_one(default_run):
    pinned = pd.read_csv(DATA / "pinned_demo_moran.csv", dtype={"ksic": str, "period": str}).set_index(["ksic", "period"])
    ours = default_run.global_moran.set_index(["ksic", "period"]).loc[pinned.index]
    for column in pinned.columns:
        np.testing.assert_allclose(ours[column].to_numpy(float), pinned[column].to_numpy(float), rtol=1e-9,
                                   err_msg=column)
