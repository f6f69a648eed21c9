"""Plain-language descriptions of a run's settings, for the page footers and the report.

The run metadata keep the technical values (``queen:tolerance=500``, ``statistics_fdr: bh``);
a planner reads sentences. Every function falls back to the technical value it does not know,
so a new setting never disappears from the pages.

>>> weights_phrase("queen:tolerance=500")
'units whose borders touch or come within 500 m of each other (queen contiguity)'
>>> fdr_phrase("bh", "column")
'Benjamini–Hochberg false discovery rate, per map (one sector and period at a time)'
"""

from __future__ import annotations

from collections.abc import Mapping

VARIABLES = {"lq": "the location quotient (LQ) of each sector", "employees": "the employees of each sector",
             "share": "each unit's share of the sector's national employees"}
FDR_METHODS = {"bh": "Benjamini–Hochberg false discovery rate", "by": "Benjamini–Yekutieli false discovery rate",
               "bonferroni": "Bonferroni correction", "none": "no correction for multiple testing"}
FDR_SCOPES = {"column": "per map (one sector and period at a time)", "all": "over all maps of the run together"}
ALTERNATIVES = {"two-sided": "two-sided (unusually high and unusually low alike)",
                "greater": "one-sided (unusually high only)", "less": "one-sided (unusually low only)"}


def _params(spec: str) -> tuple[str, dict[str, str]]:
    kind, _, rest = str(spec).partition(":")
    params = dict(item.partition("=")[::2] for item in rest.split(",") if "=" in item)
    return kind.strip().lower(), {k.strip(): v.strip() for k, v in params.items()}


def _metres(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value / 1000:g} km" if value >= 1000 else f"{value:g} m"


def weights_phrase(spec: str) -> str:
    """Which units count as neighbours, in words (the spec itself in parentheses where it is unknown)."""
    kind, p = _params(spec)
    if kind in ("queen", "rook"):
        touch = "touch" if kind == "queen" else "share a border segment"
        gap = f" or come within {_metres(p['tolerance'])} of each other" if p.get("tolerance", "0") not in ("0", "0.0") else ""
        return f"units whose borders {touch}{gap} ({kind} contiguity)"
    if kind == "knn":
        return f"each unit's {p.get('k', '?')} nearest units (k nearest neighbours)"
    if kind == "distance":
        return f"units within {_metres(p.get('threshold', '?'))} of each other (distance band)"
    if kind == "kernel":
        return (f"each unit's {p.get('k', '?')} nearest units, closer ones weighing more "
                f"({p.get('function', '')} kernel)").replace(" ( kernel)", " (kernel)")
    return str(spec)


def fdr_phrase(method: str, scope: str) -> str:
    """The correction for multiple testing and how far it reaches, in words."""
    words = FDR_METHODS.get(str(method), str(method))
    return words if str(method) == "none" else f"{words}, {FDR_SCOPES.get(str(scope), str(scope))}"


def _count(value: object) -> str:
    try:
        return f"{int(float(str(value))):,}"
    except ValueError:
        return str(value)


def significance_phrase(meta: Mapping[str, object]) -> str:
    """How significance is decided: permutations, seed, sides, correction, threshold, smallest p."""
    parts = []
    if "statistics_permutations" in meta:
        seed = f" (seed {meta['statistics_seed']})" if "statistics_seed" in meta else ""
        parts.append(f"{_count(meta['statistics_permutations'])} random permutations{seed}")
    if "statistics_alternative" in meta:
        parts.append(ALTERNATIVES.get(str(meta["statistics_alternative"]), str(meta["statistics_alternative"])))
    if "statistics_fdr" in meta:
        parts.append(fdr_phrase(str(meta["statistics_fdr"]), str(meta.get("statistics_fdr_scope", "column"))))
    if "statistics_alpha" in meta:
        parts.append(f"a unit counts as significant when q ≤ {meta['statistics_alpha']}")
    if "minimum_p" in meta:
        parts.append(f"smallest possible p {meta['minimum_p']}")
    return "; ".join(parts)


def run_facts(meta: Mapping[str, object], data_label: str) -> list[tuple[str, str]]:
    """``(topic, sentence)`` pairs describing a run for a general reader (see module docstring)."""
    facts = [("Data", data_label)]
    if "periods" in meta:
        facts.append(("Periods", str(meta["periods"]).replace(",", ", ")))
    if "tested_variable" in meta:
        variable = str(meta["tested_variable"])
        facts.append(("Tested", VARIABLES.get(variable, variable)))
    if "weights" in meta:
        islands = str(meta.get("weights_islands", "") or "")
        alone = f"; units without any neighbour are not tested ({islands})" if islands else ""
        facts.append(("Neighbours", weights_phrase(str(meta["weights"])) + alone))
    significance = significance_phrase(meta)
    if significance:
        facts.append(("Significance", significance))
    if "rule" in meta:
        facts.append(("Promising locations", str(meta["rule"])))
    return facts
