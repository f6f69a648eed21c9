"""Shared fixtures: one analysis of the bundled demo data (99 permutations) for the writers' tests."""

import dataclasses

import pytest

from kibs_spatial.analysis.settings import AnalysisConfig
from kibs_spatial.pipeline import run_analysis


@pytest.fixture(scope="session")
def demo_result():
    """``run_analysis`` on the bundled boundaries and demo data, 99 permutations (writers only render it)."""
    config = AnalysisConfig()
    return run_analysis(dataclasses.replace(config, statistics=dataclasses.replace(config.statistics, permutations=99)))


@pytest.fixture(scope="session")
def default_result():
    """``run_analysis`` with every default (9,999 permutations): the run ``kibs-spatial run`` makes."""
    return run_analysis(AnalysisConfig())
