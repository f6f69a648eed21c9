"""Promising cluster locations: a configurable rule over the indicators and the hot spot tests.

The ``threshold`` rule marks region ``i`` promising for sector ``s`` when all of these hold:

- specialisation: ``LQ_is >= min_lq``;
- size: ``employees >= min_employees`` and ``establishments >= min_establishments``;
- growth: ``CAGR_is >= min_cagr`` (skipped when ``min_cagr`` is None; a missing CAGR fails);
- agglomeration, only if ``require_hotspot``: a significant Gi* hot spot or LISA High-High.

It is an interpretation in the spirit of the KIET 2014 study, whose exact cut-offs were never
published; every threshold is a parameter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class ThresholdRule:
    min_lq: float = 2.0
    min_employees: float = 500
    min_establishments: float = 20
    min_cagr: float | None = 0.0
    require_hotspot: bool = False

    def describe(self) -> str:
        parts = [f"LQ >= {self.min_lq:g}", f"employees >= {self.min_employees:g}", f"establishments >= {self.min_establishments:g}"]
        if self.min_cagr is not None:
            parts.append(f"CAGR >= {self.min_cagr:.1%}")
        if self.require_hotspot:
            parts.append("Gi* hot spot or LISA HH")
        return " and ".join(parts)

    def as_dict(self) -> dict:
        return asdict(self)


def mark_promising(results: pd.DataFrame, rule: ThresholdRule) -> pd.DataFrame:
    """Add ``pass_lq``, ``pass_size``, ``pass_growth``, ``pass_agglomeration`` and ``promising``."""
    out = results.copy()
    out["pass_lq"] = out["lq"] >= rule.min_lq
    out["pass_size"] = (out["employees"] >= rule.min_employees) & (out["establishments"] >= rule.min_establishments)
    out["pass_growth"] = True if rule.min_cagr is None else (out["cagr"] >= rule.min_cagr)
    hot = (out["gi_bin"] > 0) | (out["lisa_cl"] == "HH")
    out["pass_agglomeration"] = hot if rule.require_hotspot else True
    criteria = ["pass_lq", "pass_size", "pass_growth", "pass_agglomeration"]
    out[criteria] = out[criteria].fillna(False).astype(bool)
    out["promising"] = out[criteria].all(axis=1)
    return out
