"""The run on a two-worker Dask LocalCluster gives exactly the single-process results."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kibs_spatial.analysis.distributed import check_scheduler, column_blocks, local_statistics_on
from kibs_spatial.analysis.settings import AnalysisConfig
from kibs_spatial.errors import InputError
from kibs_spatial.fields import LOCAL_FIELDS
from kibs_spatial.pipeline import run_analysis


def _config(**statistics) -> AnalysisConfig:
    config = AnalysisConfig()
    return dataclasses.replace(
        config, statistics=dataclasses.replace(config.statistics, permutations=199, **statistics),
        analysis=dataclasses.replace(config.analysis, sectors=("732", "701", "62"), periods=("2012", "2017", "2022")))


def test_a_run_on_two_workers_is_bit_identical_to_one_process():
    here = run_analysis(_config())
    there = run_analysis(_config(), scheduler="local:2")
    keys = ["region_code", "ksic", "period"]
    a, b = (r.table.sort_values(keys).reset_index(drop=True) for r in (here, there))
    for name in LOCAL_FIELDS:
        np.testing.assert_array_equal(a[name].to_numpy(), b[name].to_numpy(), err_msg=name)
    assert (a["promising"] == b["promising"]).all()
    for column in ("moran_i", "z_rand", "p_sim"):
        np.testing.assert_array_equal(here.global_moran[column].to_numpy(), there.global_moran[column].to_numpy())
    assert here.min_p == there.min_p


def test_column_blocks_cover_every_column_once_in_order():
    for k, workers in ((1, 2), (9, 2), (42, 2), (42, 5), (3, 8)):
        blocks = column_blocks(k, workers)
        assert [i for b in blocks for i in range(b.start, b.stop)] == list(range(k))
        assert len(blocks) <= 2 * workers and all(b.stop > b.start for b in blocks)


@pytest.mark.parametrize("spec", ["local:0", "local:x", "local", "tcp://", "http://host:8786", "dask"])
def test_bad_scheduler_specs_are_refused(spec):
    with pytest.raises(InputError, match="local:N .* or tcp://host:port"):
        check_scheduler(spec)
    with pytest.raises(InputError, match="scheduler"):
        run_analysis(_config(), scheduler=spec)


def test_pooled_fdr_is_refused_on_a_cluster():
    with pytest.raises(InputError, match="fdr_scope = 'all'"):
        local_statistics_on(None, None, np.zeros((3, 2)), fdr_scope="all")


def test_the_command_line_takes_a_scheduler(tmp_path, capsys):
    from kibs_spatial.cli import main

    (tmp_path / "a.toml").write_text('[analysis]\nsectors = ["732"]\nperiods = [2012, 2022]\n[statistics]\n'
                                     'permutations = 99\n[output]\nrasters = false\n', encoding="utf-8")
    assert main(["run", "--config", str(tmp_path / "a.toml"), "--output", str(tmp_path / "out"),
                 "--scheduler", "local:2"]) == 0
    assert "scheduler local:2: 2 worker(s)" in capsys.readouterr().err
    assert main(["run", "--config", str(tmp_path / "a.toml"), "--output", str(tmp_path / "o2"), "--quiet",
                 "--scheduler", "local:none"]) == 2
    assert "scheduler 'local:none': expected local:N" in capsys.readouterr().err
