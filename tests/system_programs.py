"""Tests that compare with real programs from Debian's packages (R, QGIS, Chromium).

Locally a missing program skips the test; under CI (the environment variable ``CI`` is set,
and ``.ci/run`` installs the programs) it fails, so the comparison can never be skipped there.
"""

from __future__ import annotations

import os

import pytest


def require(available: bool, message: str) -> None:
    """Return if ``available``; otherwise skip, or fail when ``CI`` is set."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{message} -- required in CI (.ci/run installs it)")
    pytest.skip(message)
