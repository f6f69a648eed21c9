"""The run's permutation tests on a Dask cluster, when one machine is not enough.

``--scheduler local:N`` starts a ``distributed.LocalCluster`` of ``N`` single-threaded worker
processes; ``--scheduler tcp://host:port`` uses a running cluster. The weights are sent to every
worker once (``Client.scatter(..., broadcast=True)``); the test matrix is cut into blocks of
whole columns (sector x period maps), each block is tested on a worker with the run's own
settings, and the blocks are put back in column order.

Bit-identical to the single-process run: unit ``i`` draws its permutations from the stream
``(seed, i)`` whichever columns it is tested with, so a column's counts, p-values and, with FDR
per map (``fdr_scope = "column"``), q-values and categories do not depend on the block it is in
(``tests/test_distributed.py`` compares every field). Pooled FDR (``fdr_scope = "all"``) needs
every p-value in one family before any q and is refused with a scheduler.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, replace

import numpy as np

from ..errors import InputError
from .statistics import global_moran, local_statistics
from .statistics.local import LocalResults

SCHEDULER_FORMS = "local:N (a cluster of N worker processes on this machine) or tcp://host:port"


def check_scheduler(spec: str) -> str:
    """``spec`` if it is ``local:N`` (N >= 1) or ``tcp://host:port``; else an :class:`InputError`."""
    if spec.startswith("tcp://") and ":" in spec[len("tcp://"):]:
        return spec
    if spec.startswith("local:") and spec[len("local:"):].isdigit() and int(spec[len("local:"):]) >= 1:
        return spec
    raise InputError(f"scheduler {spec!r}: expected {SCHEDULER_FORMS}")


@contextmanager
def connect(spec: str) -> Iterator[object]:
    """A ``distributed.Client`` for ``spec`` (see :func:`check_scheduler`), closed on exit with the
    cluster it started."""
    check_scheduler(spec)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("a scheduler needs Dask: pip install 'kibs-spatial[distributed]'") from None
    if spec.startswith("local:"):
        with LocalCluster(n_workers=int(spec[len("local:"):]), threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
    else:
        try:
            client = Client(spec, timeout=10)
        except OSError as error:
            raise InputError(f"scheduler {spec}: no Dask scheduler answers there ({error})") from None
        with client:
            yield client


def column_blocks(k: int, workers: int) -> list[slice]:
    """``k`` columns cut into at most ``2 * workers`` contiguous blocks of near-equal size."""
    parts = max(1, min(k, 2 * workers))
    edges = np.linspace(0, k, parts + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def broadcast(client, w):
    """``w`` on every worker of ``client``, sent once; the future stands for it in the calls below."""
    return client.scatter(w, broadcast=True, hash=False)


def local_statistics_on(client, w, values: np.ndarray, **settings) -> LocalResults:
    """:func:`~.statistics.local_statistics` of ``values`` with ``settings``, column blocks tested on
    the workers of ``client`` (``w``: the weights or their :func:`broadcast` future); the same result
    as one call in this process."""
    if settings.get("fdr_scope", "column") != "column":
        raise InputError("fdr_scope = 'all' pools every test into one FDR family and cannot be split over a "
                         "cluster; use fdr_scope = 'column' or run without a scheduler")
    return _joined(_on_blocks(client, local_statistics, w, values, settings))


def global_moran_on(client, w, values: np.ndarray, **settings) -> list:
    """:func:`~.statistics.global_moran` of every column, column blocks on the workers of ``client``."""
    return [result for part in _on_blocks(client, global_moran, w, values, settings) for result in part]


def _on_blocks(client, function, w, values: np.ndarray, settings: dict) -> list:
    """``function(w, block, **settings)`` of each column block, on the workers, in column order."""
    workers = len(client.scheduler_info()["workers"])
    futures = [client.submit(function, w, values[:, block], pure=False, **settings)
               for block in column_blocks(values.shape[1], workers)]
    return client.gather(futures)


def _joined(parts: list[LocalResults]) -> LocalResults:
    """The column blocks' results side by side (arrays joined along the columns)."""
    first = parts[0]
    arrays = {f.name: np.concatenate([getattr(p, f.name) for p in parts], axis=-1)
              for f in fields(LocalResults) if isinstance(getattr(first, f.name), np.ndarray)}
    return replace(first, **arrays)
