"""Promising cluster locations: named, citable rule presets over the indicators and hot spot tests.

Presets (docs/CLUSTERS.md gives each one's source, parameters and what is interpretation):

- ``kiet``: the four criteria of KIET (2014) — specialisation, agglomeration, size, growth;
- ``uscmp-strong`` / ``uscmp-strong90``: the US Cluster Mapping Project's strong cluster
  (LQ at the 75th / 90th percentile);
- ``eco-stars``: European Cluster Observatory stars 0-3;
- ``lq-gi``: LQ x Gi* typology (cluster core, isolated specialisation, spillover halo, none).

Percentiles are taken per sector and period over the regions with employment > 0, with numpy's
default linear interpolation (Hyndman & Fan 1996, type 7). A criterion ``x >= P`` passes every
region tied at ``P``; ``x > P`` fails them. A missing value fails every criterion.

A criterion whose input the data do not have at all is *not applicable* (its column is empty) and
the preset decides on the others: growth in the first period (and with one period), establishments
when the tables have none (survey data). :func:`unavailable_criteria` says which, for the report.
A relative criterion (a percentile or a top share) is not applicable either when its values do not
vary over the percentile base (all identical, or all missing): every region would tie at the
percentile. A preset with no applicable criterion marks no location; :func:`degenerate_criteria`
says which criteria of which sectors were left out this way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import InputError

HOTSPOT = "Gi* bin >= {b} (q <= {q}) or LISA High-High"
GROWTH, ESTABLISHMENTS, LQ_TREND = "growth", "establishments", "lq trend"
INPUTS = (GROWTH, ESTABLISHMENTS, LQ_TREND)  # inputs a run may not have: growth needs two periods, the LQ trend
# the emerging hot spot analysis (at least [emerging] min_periods periods)
GROWTH_MEASURES = ("cagr", "lq-trend")
_BIN_Q = {1: "0.10", 2: "0.05", 3: "0.01"}
AGGLOMERATION = ("share", "hotspot", "share-or-hotspot", "share-and-hotspot", "none")
LQ_GI_TYPES = ("cluster core", "isolated specialisation", "spillover halo", "none")


@dataclass(frozen=True)
class KietRule:
    """KIET (2014) four criteria; every cut-off is an interpretation (none was published)."""

    name: ClassVar[str] = "kiet"
    per_sector: ClassVar[bool] = False  # thresholds are absolute: applied to every sector at once
    column: ClassVar[str] = "kiet"
    uses_statistics: ClassVar[bool] = True  # the hot-spot agglomeration criterion
    min_lq: float = 2.0
    agglomeration: str = "share-or-hotspot"
    min_share: float = 0.01
    min_gi_bin: int = 2
    min_employees: float = 500
    min_establishments: float = 20
    min_cagr: float = 0.0
    growth: str = "cagr"  # "cagr" from the first period, or "lq-trend": the LQ's Mann-Kendall trend over the periods
    min_lq_trend: float = 0.0  # lq-trend: Sen's slope of the LQ (per period) at least this, the trend positive
    lq_trend_alpha: float = 0.10  # lq-trend: and significant at this level

    @property
    def needs(self) -> dict[str, str]:
        return {GROWTH if self.growth == "cagr" else LQ_TREND: "kiet_pass_growth",
                ESTABLISHMENTS: "establishments >= min_establishments"}

    def apply(self, table: pd.DataFrame, available: frozenset[str] = frozenset(INPUTS)) -> pd.DataFrame:
        share = _ge(table["share"], self.min_share)
        hot = _hot(table, self.min_gi_bin)
        agglomeration = {
            "share": share, "hotspot": hot, "share-or-hotspot": share | hot, "share-and-hotspot": share & hot,
            "none": pd.Series(True, index=table.index),
        }[self.agglomeration]
        out = pd.DataFrame({
            "kiet_pass_lq": _ge(table["lq"], self.min_lq),
            "kiet_pass_agglomeration": agglomeration,
            "kiet_pass_size": _ge(table["employees"], self.min_employees) & (
                _ge(table["establishments"], self.min_establishments) if ESTABLISHMENTS in available else True),
            "kiet_pass_growth": self._growth(table, available),
        }, index=table.index)
        out["kiet"] = _all_applicable(out)
        return out

    def _growth(self, table: pd.DataFrame, available: frozenset[str]) -> pd.Series:
        """CAGR >= min_cagr, or an LQ trend with Sen's slope >= min_lq_trend, z > 0 and p <= lq_trend_alpha
        (a unit whose series is too short to test: not applicable)."""
        if self.growth == "cagr":
            return _ge(table["cagr"], self.min_cagr) if GROWTH in available else _not_applicable(table)
        if LQ_TREND not in available:
            return _not_applicable(table)
        rising = (_ge(table["lq_sen_slope"], self.min_lq_trend) & _gt(table["lq_trend_z"], 0.0)
                  & (table["lq_trend_p"] <= self.lq_trend_alpha).fillna(False))
        return rising.astype("boolean").mask(table["lq_trend_p"].isna())

    def verdict(self, columns: pd.DataFrame) -> pd.Series:
        return columns["kiet"]

    def describe(self) -> str:
        agg = {"share": f"share >= {self.min_share:.1%}", "hotspot": _hot_text(self.min_gi_bin),
               "share-or-hotspot": f"(share >= {self.min_share:.1%} or {_hot_text(self.min_gi_bin)})",
               "share-and-hotspot": f"share >= {self.min_share:.1%} and {_hot_text(self.min_gi_bin)}", "none": ""}[self.agglomeration]
        growth = (f"CAGR >= {self.min_cagr:.1%}" if self.growth == "cagr" else
                  f"LQ trend >= {self.min_lq_trend:g} per period (Sen's slope, Mann-Kendall p <= {self.lq_trend_alpha:g})")
        parts = [f"LQ >= {self.min_lq:g}", agg, f"employees >= {self.min_employees:g}",
                 f"establishments >= {self.min_establishments:g}", growth]
        return "kiet: " + " and ".join(p for p in parts if p)

    def check(self, where: str) -> None:
        _one_of(where, "agglomeration", self.agglomeration, AGGLOMERATION)
        _one_of(where, "growth", self.growth, GROWTH_MEASURES)
        _gi_bin(where, self.min_gi_bin)
        if not 0 < self.lq_trend_alpha < 1:
            raise InputError(f"{where}: lq_trend_alpha must lie between 0 and 1, e.g. 0.10; got {self.lq_trend_alpha}")


@dataclass(frozen=True)
class UscmpStrongRule:
    """US Cluster Mapping Project strong cluster: LQ >= P75 (or P90) and >= 1, size > P25."""

    name: ClassVar[str] = "uscmp-strong"
    per_sector: ClassVar[bool] = True  # percentiles are taken per sector
    column: ClassVar[str] = "uscmp_strong"
    uses_statistics: ClassVar[bool] = False
    needs: ClassVar[dict[str, str]] = {ESTABLISHMENTS: "uscmp_strong_pass_establishments"}
    lq_percentile: float = 75.0
    min_lq: float = 1.0
    employees_percentile: float = 25.0
    establishments_percentile: float = 25.0

    def apply(self, table: pd.DataFrame, available: frozenset[str] = frozenset(INPUTS)) -> pd.DataFrame:
        c = self.column
        base = _active(table)
        out = pd.DataFrame({
            f"{c}_pass_lq": _ge(table["lq"], _percentile(table["lq"], base, self.lq_percentile)) & _ge(table["lq"], self.min_lq),
            f"{c}_pass_employees": _gt(table["employees"], _percentile(table["employees"], base, self.employees_percentile)),
            f"{c}_pass_establishments": _gt(
                table["establishments"], _percentile(table["establishments"], base, self.establishments_percentile)),
        }, index=table.index)
        out = _within(out, base)
        if ESTABLISHMENTS not in available:
            out[f"{c}_pass_establishments"] = _not_applicable(table)
        out = _without_degenerate(out, table, base, self.relative_criteria())
        out[c] = _all_applicable(out)
        return out

    def relative_criteria(self) -> dict[str, tuple[str, str]]:
        """Criterion column -> (input, wording) of the percentile criteria."""
        c = self.column
        return {f"{c}_pass_lq": ("lq", f"LQ >= P{self.lq_percentile:g}"),
                f"{c}_pass_employees": ("employees", f"employees > P{self.employees_percentile:g}"),
                f"{c}_pass_establishments": ("establishments", f"establishments > P{self.establishments_percentile:g}")}

    def verdict(self, columns: pd.DataFrame) -> pd.Series:
        return columns[self.column]

    def describe(self) -> str:
        return (f"{self.name}: LQ >= P{self.lq_percentile:g} and LQ >= {self.min_lq:g}, employees > P{self.employees_percentile:g}, "
                f"establishments > P{self.establishments_percentile:g} (percentiles over regions with employment > 0)")

    def check(self, where: str) -> None:
        for key in ("lq_percentile", "employees_percentile", "establishments_percentile"):
            _percent(where, key, getattr(self, key))


@dataclass(frozen=True)
class UscmpStrong90Rule(UscmpStrongRule):
    name: ClassVar[str] = "uscmp-strong90"
    column: ClassVar[str] = "uscmp_strong90"
    needs: ClassVar[dict[str, str]] = {ESTABLISHMENTS: "uscmp_strong90_pass_establishments"}
    lq_percentile: float = 90.0


@dataclass(frozen=True)
class EcoStarsRule:
    """European Cluster Observatory stars: size, specialisation, focus; one star each."""

    name: ClassVar[str] = "eco-stars"
    per_sector: ClassVar[bool] = True  # percentiles are taken per sector
    column: ClassVar[str] = "eco_stars"
    uses_statistics: ClassVar[bool] = False
    needs: ClassVar[dict[str, str]] = {}
    size_top_percent: float = 10.0
    min_lq: float = 2.0
    focus_top_percent: float = 10.0
    min_stars: int = 2

    def apply(self, table: pd.DataFrame, available: frozenset[str] = frozenset(INPUTS)) -> pd.DataFrame:
        base = _active(table)
        focus = table["employees"] / table["total_employees"]
        out = pd.DataFrame({
            "eco_size": _ge(table["employees"], _percentile(table["employees"], base, 100 - self.size_top_percent)),
            "eco_specialisation": _ge(table["lq"], self.min_lq),
            "eco_focus": _ge(focus, _percentile(focus, base, 100 - self.focus_top_percent)),
        }, index=table.index)
        out = _without_degenerate(_within(out, base), table, base, self.relative_criteria())
        stars = out.sum(axis=1).astype("Int64")  # a star per criterion passed; not applicable ones give none
        out["eco_stars"] = stars.where(table["employees"].notna() & table["lq"].notna(), pd.NA)
        return out

    def relative_criteria(self) -> dict[str, tuple[str, str]]:
        """Criterion column -> (input, wording) of the top-share criteria."""
        return {"eco_size": ("employees", f"size (employees in the top {self.size_top_percent:g} %)"),
                "eco_focus": ("focus", f"focus (share of the region's employment in the top {self.focus_top_percent:g} %)")}

    def verdict(self, columns: pd.DataFrame) -> pd.Series:
        return (columns["eco_stars"] >= self.min_stars).fillna(False).astype(bool)

    def describe(self) -> str:
        return (f"eco-stars: >= {self.min_stars} of: employees in the top {self.size_top_percent:g} %, LQ >= {self.min_lq:g}, "
                f"sector share of the region's employment in the top {self.focus_top_percent:g} %")

    def check(self, where: str) -> None:
        for key in ("size_top_percent", "focus_top_percent"):
            _percent(where, key, getattr(self, key))
        if not isinstance(self.min_stars, int) or not 0 <= self.min_stars <= 3:
            raise InputError(f"{where}: min_stars must be an integer from 0 to 3; got {self.min_stars!r}")


@dataclass(frozen=True)
class LqGiRule:
    """LQ x Gi* typology: cluster core, isolated specialisation, spillover halo, none."""

    name: ClassVar[str] = "lq-gi"
    per_sector: ClassVar[bool] = False  # thresholds are absolute: applied to every sector at once
    column: ClassVar[str] = "lq_gi_type"
    uses_statistics: ClassVar[bool] = True
    needs: ClassVar[dict[str, str]] = {}
    min_lq: float = 2.0
    min_gi_bin: int = 2

    def apply(self, table: pd.DataFrame, available: frozenset[str] = frozenset(INPUTS)) -> pd.DataFrame:
        special = _ge(table["lq"], self.min_lq)
        hot = _ge(table["gi_bin"], self.min_gi_bin)
        kind = np.select([special & hot, special, hot], LQ_GI_TYPES[:3], "none").astype(object)
        kind[table["lq"].isna().to_numpy()] = None
        return pd.DataFrame({"lq_gi_type": kind}, index=table.index)

    def verdict(self, columns: pd.DataFrame) -> pd.Series:
        return columns["lq_gi_type"] == "cluster core"

    def describe(self) -> str:
        return f"lq-gi: cluster core = LQ >= {self.min_lq:g} and Gi* bin >= {self.min_gi_bin} (q <= {_BIN_Q[self.min_gi_bin]})"

    def check(self, where: str) -> None:
        _gi_bin(where, self.min_gi_bin)


PRESETS: dict[str, type] = {r.name: r for r in (KietRule, UscmpStrongRule, UscmpStrong90Rule, EcoStarsRule, LqGiRule)}


@dataclass(frozen=True)
class RulesConfig:
    """The presets a run applies (in order), the primary one (``promising``), and every preset's parameters."""

    presets: tuple[str, ...] = tuple(PRESETS)
    primary: str = "kiet"
    parameters: dict[str, Any] = field(default_factory=lambda: {name: cls() for name, cls in PRESETS.items()})

    def applied(self) -> list:
        return [self.parameters[name] for name in self.presets]

    def describe(self) -> str:
        return self.parameters[self.primary].describe()

    def as_dict(self) -> dict[str, object]:
        """Flat ``{"presets": ..., "primary": ..., "kiet.min_lq": ...}`` for the run metadata."""
        flat: dict[str, object] = {"presets": ",".join(self.presets), "primary": self.primary}
        for name in self.presets:
            flat.update({f"{name}.{k}": v for k, v in asdict(self.parameters[name]).items()})
        return flat


def parse_rules(values: dict[str, Any], where: Callable[[str], str]) -> RulesConfig:
    """The ``[rules]`` table of an analysis file; ``where(key)`` names a key's origin in error messages."""
    rules = RulesConfig()
    allowed = {"presets", "primary", *PRESETS}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise InputError(f"{where(unknown[0])}: unknown key(s) or preset(s) {', '.join(unknown)} in [rules]; "
                         f"known keys: presets, primary; known presets: {', '.join(PRESETS)}")
    presets = values.get("presets", list(rules.presets))
    if isinstance(presets, str):
        presets = [presets]
    if not isinstance(presets, (list, tuple)):
        raise InputError(f"{where('presets')} must be a list of names, e.g. [\"kiet\", \"lq-gi\"]; got {presets!r}")
    bad = [p for p in presets if p not in PRESETS]
    if bad or not presets:
        raise InputError(f"{where('presets')}: unknown preset(s) {', '.join(map(str, bad)) or '(none given)'}; "
                         f"known: {', '.join(PRESETS)}")
    presets = list(dict.fromkeys(presets))
    primary = values.get("primary", "kiet" if "kiet" in presets else presets[0])
    if primary not in presets:
        raise InputError(f"{where('primary')} = {primary!r} is not among the presets {', '.join(presets)}")
    parameters = dict(rules.parameters)
    for name, cls in PRESETS.items():
        if name in values:
            parameters[name] = _preset(cls, values[name], f"{where(name).replace('[rules] ', '[rules.')}]")
    return RulesConfig(tuple(presets), primary, parameters)


def apply_rules(results: pd.DataFrame, rules: RulesConfig, first_period: str | None = None,
                establishments: bool = True) -> pd.DataFrame:
    """Add each applied preset's columns, ``promising`` (the primary preset) and ``presets_agree``.

    Every preset is applied per sector and period (``ksic``, ``period``), so its percentiles are per
    sector and period. In ``first_period`` growth is not available; with ``establishments`` False
    the tables have no establishment counts (see the module docstring).
    """
    out = results.copy()
    verdicts = []
    for rule in rules.applied():
        keys = [k for k in (("ksic", "period") if rule.per_sector else ("period",)) if k in out.columns] or [
            pd.Series(0, index=out.index)]
        parts = []
        for key, part in out.groupby(keys, sort=False):
            period = part["period"].iloc[0] if "period" in part.columns else None
            trend = "lq_trend_p" in part.columns and part["lq_trend_p"].notna().any()
            available = frozenset(i for i in INPUTS if not (i == GROWTH and period == first_period)
                                  and not (i == ESTABLISHMENTS and not establishments) and not (i == LQ_TREND and not trend))
            parts.append(rule.apply(part, available))
        columns = pd.concat(parts).loc[out.index]
        out = pd.concat([out.drop(columns=[c for c in columns if c in out]), columns], axis=1)
        verdict = rule.verdict(columns).fillna(False).astype(bool)
        verdicts.append(verdict)
        if rule.name == rules.primary:
            out["promising"] = verdict
    out["presets_agree"] = np.sum(verdicts, axis=0).astype(int)
    return out


def degenerate_criteria(results: pd.DataFrame, rules: RulesConfig) -> list[str]:
    """One sentence per applied preset's relative criterion that was not applicable in some sectors (of the
    periods in ``results``) because its values do not vary over the regions with employment."""
    notes = []
    keys = [k for k in ("ksic", "period") if k in results.columns]
    for rule in rules.applied():
        relative = getattr(rule, "relative_criteria", dict)()
        for column, (source, wording) in relative.items():
            if source != "focus" and (source not in results.columns or results[source].isna().all()):
                continue  # not in the tables at all: said by unavailable_criteria
            flat = [str(key[0]) if isinstance(key, tuple) else str(key) for key, part in results.groupby(keys, sort=False)
                    if not _varies(_input(part, source), _active(part))]
            if flat:
                sectors = ", ".join(dict.fromkeys(flat))
                notes.append(f"{rule.name}: {wording} not applicable for {sectors} — its values do not vary over the "
                             "regions with employment (all identical or missing)")
    return notes


def unavailable_criteria(rules: RulesConfig, missing: set[str]) -> list[str]:
    """One sentence per applied preset criterion that the run could not apply (``missing`` inputs)."""
    why = {GROWTH: "growth is not available (it needs two periods; in the first period it never is)",
           ESTABLISHMENTS: "the tables have no establishment counts",
           LQ_TREND: "the LQ trend comes from the emerging hot spot analysis, which needs [emerging] enabled and at "
                     "least min_periods periods"}
    return [f"{rule.name}: {criterion} not applied — {why[need]}" for rule in rules.applied()
            for need, criterion in rule.needs.items() if need in missing]


def preset_verdicts(results: pd.DataFrame, rules: RulesConfig) -> pd.DataFrame:
    """One boolean column per applied preset (named after the preset): does it mark the row promising."""
    return pd.DataFrame({rule.name: rule.verdict(results).fillna(False).astype(bool) for rule in rules.applied()},
                        index=results.index)


def _preset(cls: type, values: Any, where: str):
    if not isinstance(values, dict):
        raise InputError(f"{where}: expected a table of parameters")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
    defaults = cls()
    for key, value in values.items():
        default = getattr(defaults, key)
        if isinstance(default, str):
            ok = isinstance(value, str)
        elif type(default) is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            kind = {str: "text", int: "a whole number"}.get(type(default), "a number")
            raise InputError(f"{where}: {key} must be {kind}, like {default!r}; got {value!r}")
        if isinstance(value, float) and not np.isfinite(value):
            raise InputError(f"{where}: {key} must be a finite number, like {default!r}; got {value!r}")
    rule = replace(defaults, **{k: float(v) if isinstance(getattr(defaults, k), float) else v for k, v in values.items()})
    rule.check(where)
    return rule


def _not_applicable(table: pd.DataFrame) -> pd.Series:
    return pd.Series(pd.NA, index=table.index, dtype="boolean")


def _all_applicable(criteria: pd.DataFrame) -> pd.Series:
    """All criteria pass, leaving out the not applicable ones (a whole column of NA); with none applicable, none
    passes."""
    applicable = [c for c in criteria.columns if criteria[c].notna().any() or not len(criteria)]
    if not applicable:
        return pd.Series(False, index=criteria.index)
    return criteria[applicable].astype(bool).all(axis=1)


def _input(table: pd.DataFrame, source: str) -> pd.Series:
    """The values a relative criterion ranks: a column, or ``focus`` (the sector's share of the region's employment)."""
    if source == "focus":
        return table["employees"] / table["total_employees"]
    return table[source]


def _varies(values: pd.Series, base: pd.Series) -> bool:
    """At least two different values over the percentile base."""
    known = pd.to_numeric(values[base & values.notna()], errors="coerce").dropna()
    return len(known) > 1 and float(known.max()) > float(known.min())


def _without_degenerate(criteria: pd.DataFrame, table: pd.DataFrame, base: pd.Series,
                        relative: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """``criteria`` with every relative criterion whose values do not vary made not applicable."""
    for column, (source, _) in relative.items():
        if column in criteria.columns and criteria[column].notna().any() and not _varies(_input(table, source), base):
            criteria[column] = _not_applicable(table)
    return criteria


def _active(table: pd.DataFrame) -> pd.Series:
    """The percentile base: regions with employment > 0 in the sector."""
    return (table["employees"] > 0).fillna(False).astype(bool)


def _within(criteria: pd.DataFrame, base: pd.Series) -> pd.DataFrame:
    """Criteria that only regions of the percentile base can pass."""
    return pd.DataFrame(criteria.to_numpy() & base.to_numpy()[:, None], index=criteria.index, columns=criteria.columns)


def _percentile(values: pd.Series, base: pd.Series, q: float) -> float:
    known = values[base & values.notna()]
    return float(np.percentile(known.to_numpy(dtype=float), q)) if len(known) else np.nan


def _ge(values: pd.Series, threshold: float) -> pd.Series:
    return (values >= threshold).fillna(False).astype(bool)


def _gt(values: pd.Series, threshold: float) -> pd.Series:
    return (values > threshold).fillna(False).astype(bool)


def _hot(table: pd.DataFrame, min_gi_bin: int) -> pd.Series:
    return _ge(table["gi_bin"], min_gi_bin) | (table["lisa_cl"] == "HH").fillna(False).astype(bool)


def _hot_text(min_gi_bin: int) -> str:
    return HOTSPOT.format(b=min_gi_bin, q=_BIN_Q[min_gi_bin])


def _one_of(where: str, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(f"{where}: {key} must be one of {', '.join(choices)}; got {value!r}")


def _gi_bin(where: str, value: int) -> None:
    if value not in (1, 2, 3):
        raise InputError(f"{where}: min_gi_bin must be 1, 2 or 3 (hot spot at q <= 0.10, 0.05, 0.01); got {value!r}")


def _percent(where: str, key: str, value: float) -> None:
    if not 0 < value < 100:
        raise InputError(f"{where}: {key} must be between 0 and 100; got {value!r}")
