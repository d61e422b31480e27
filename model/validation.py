"""Validation against observed facts: facts files, metrics on a run's tables, judgement.

A *facts file* (TOML, e.g. ``validation/facts.toml``) lists ``[[fact]]`` tables. Each fact names
an observed figure (a range copied from its source), the scenario and seed to run, and the
model output to compare it with: a ``metric`` — a KPI of the ``kpis`` table or a column of
another run table, filtered by level, Land and service, over a year, a range of years or a
range of weeks, aggregated by ``sum``, ``mean``, ``last`` or ``max`` — optionally divided by
(``divide_by``) or reduced by (``subtract``) a second metric. Its *role* says how it is used:

- ``input``: the model reads it (a catalogue volume, an initial age): reported, not judged;
- ``calibrated``: something in the model was fitted to it (``fitted`` says what);
- ``held_out``: not used in fitting: the real test.

A judged fact passes when the simulated value lies in the observed range, widened only by an
explicit ``tolerance`` with its ``tolerance_reason`` (the model's own seed-to-seed noise, never
the size of a miss). A fact may carry ``known_gap``: a written reason why it fails today; a
failing fact without one fails the validation. Every key is described in
``validation/README.md``; bad input gives one line naming the file, the fact and the key.

:func:`validate` runs each (scenario, seed) once per call, whatever the number of facts on it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.agencies import LEVELS
from model.checks import choice, err, is_real, is_str, read_toml, unknown, whole
from model.errors import ScenarioError
from model.kpis import KPI_BY_NAME
from model.scenario import Scenario, load_scenario

ROLES: tuple[str, ...] = ("input", "calibrated", "held_out")
AGGREGATIONS: tuple[str, ...] = ("sum", "mean", "last", "max")
TABLES: dict[str, str] = {
    "kpis": "kpis",
    "weekly": "aggregates",
    "staff": "aggregates",
    "agencies": "full",
    "staff_agencies": "full",
}
"""Run table -> the smallest table set of :func:`model.runner.run_scenario` that has it."""
TABLE_SET_ORDER: tuple[str, ...] = ("kpis", "aggregates", "full")
NON_ADDITIVE_UNITS: tuple[str, ...] = ("1", "weeks", "years", "EUR/case")
"""KPI units that are means or shares: several rows of them are combined with a ``weight``,
never summed."""
NON_ADDITIVE_COLUMNS: tuple[str, ...] = ("mean_age_mid_year", "lead_time_weeks",
                                         "office_lead_time_weeks")
"""Table columns that are means (the other columns of the run tables are counts, FTE or sums)."""
LAND_KEY = re.compile(r"^\d\d$")
FACT_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")


@dataclass(frozen=True)
class Metric:
    """One model output reduced to a number.

    Attributes:
        kpi: KPI name (``kpis`` table), or None for a table column.
        table: Run table (``kpis`` for a KPI).
        column: Column of ``table`` (``value`` for a KPI).
        filters: Column -> allowed values (``level``, ``land``, ``service_id``); every value
            must occur in the run.
        period: ``("year", first, last)`` (inclusive years) or ``("week", first, last)``
            (dates; a week counts if its Monday lies in the range).
        aggregation: Over the period's time points: ``sum``, ``mean``, ``last``, ``max``.
        weight: KPI or column weighting a mean over the rows of one time point; None: sum.
        key: Where the metric sits in its fact (``metric``, ``divide_by``, ``subtract``).
        quantile_ratio: ``(lo, hi)``: instead of summing the rows of one time point, the
            ratio of their column's ``hi`` to its ``lo`` quantile (the spread of offices,
            e.g. the expected slowest over the fastest of 12 offices: ``[1/13, 12/13]``).
        staff_fte: ``(min, max)``: only rows whose ``staff_fte`` lies in this range (offices
            of an observed size).
    """

    kpi: str | None
    table: str
    column: str
    filters: dict[str, tuple[str, ...]]
    period: tuple[str, Any, Any]
    aggregation: str
    weight: str | None
    key: str
    quantile_ratio: tuple[float, float] | None = None
    staff_fte: tuple[float, float] | None = None


@dataclass(frozen=True)
class Fact:
    """One observed fact and the model output it is compared with (see the module docstring).

    Attributes:
        id: Unique name (lower case, digits, underscores).
        description: What the figure is, in one line.
        source: Where it comes from (table, outlet, date) and how the range was derived.
        role: ``input``, ``calibrated`` or ``held_out``.
        scenario: The scenario file (resolved against the facts file's folder).
        seed: Seed of the run.
        observed: ``(low, high)``, copied from the source.
        tolerance: Absolute widening of the observed range for judging (>= 0).
        tolerance_reason: Why the tolerance (required with a tolerance).
        known_gap: Why the fact fails today (None: it must pass).
        fitted: What was fitted to it (calibrated facts only).
        metric: The model output; None only with a known gap (not modelled yet).
        divide_by: Metric the output is divided by (a ratio), or None.
        subtract: Metric subtracted from the output (a change), or None.
        file: The facts file, as given (for messages).
    """

    id: str
    description: str
    source: str
    role: str
    scenario: Path
    seed: int
    observed: tuple[float, float]
    tolerance: float = 0.0
    tolerance_reason: str | None = None
    known_gap: str | None = None
    fitted: str | None = None
    metric: Metric | None = None
    divide_by: Metric | None = None
    subtract: Metric | None = None
    file: str = ""

    @property
    def judged(self) -> bool:
        """True unless the model reads the fact (role ``input``)."""
        return self.role != "input"

    @property
    def accepted(self) -> tuple[float, float]:
        """The range a simulated value must lie in: observed ± tolerance."""
        return (self.observed[0] - self.tolerance, self.observed[1] + self.tolerance)

    @property
    def where(self) -> str:
        """``FILE: fact 'ID'`` (the prefix of this fact's messages)."""
        return f"{self.file}: fact '{self.id}'"


# --- loading ----------------------------------------------------------------------------------
def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "must be a non-empty string"


def _observed(v: Any) -> str | None:
    if not (isinstance(v, list) and len(v) == 2 and all(is_real(x) for x in v)):
        return "must be a list of two numbers [low, high], copied from the source"
    return None if v[0] <= v[1] else "low must not exceed high"


def _tolerance(v: Any) -> str | None:
    return None if is_real(v) and v >= 0 else "must be a number >= 0"


def _table(v: Any) -> str | None:
    return None if isinstance(v, Mapping) else "must be a table"


FACT_KEYS: dict[str, Callable[[Any], str | None]] = {
    "id": is_str, "description": _text, "source": _text, "role": choice(ROLES),
    "scenario": _text, "seed": whole(0, 2**63 - 1), "observed": _observed,
    "tolerance": _tolerance, "tolerance_reason": _text, "known_gap": _text, "fitted": _text,
    "metric": _table, "divide_by": _table, "subtract": _table,
}  # fmt: skip
REQUIRED = ("id", "description", "source", "role", "scenario", "observed")
METRIC_KEYS: tuple[str, ...] = ("kpi", "table", "column", "level", "land", "service", "year",
                                "years", "weeks", "aggregation", "weight", "quantile_ratio",
                                "staff_fte")  # fmt: skip


def load_facts(path: str | Path, service_ids: Iterable[str] | None = None) -> list[Fact]:
    """Read and check a facts file; scenario files are loaded (checked) too.

    Args:
        path: The facts file.
        service_ids: Allowed service ids (default: the packaged catalogue's).

    Raises:
        ScenarioError: One line naming the file, the fact and the key.
    """
    path = Path(path)
    shown = str(path)
    data = read_toml(path, shown)
    for k in data:
        if k != "fact":
            raise unknown(shown, k, "table", k, ["fact"])
    entries = data.get("fact")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, Mapping)
                                                               for e in entries):  # fmt: skip
        raise err(shown, "fact", "must be one or more [[fact]] tables")
    if service_ids is None:
        from model.catalogue import load_catalogue

        service_ids = load_catalogue().service_ids
    services = tuple(service_ids)
    facts: list[Fact] = []
    seen: set[str] = set()
    scenarios: dict[Path, Scenario] = {}
    for n, entry in enumerate(entries, 1):
        fid = entry.get("id")
        where = f"{shown}: fact '{fid}'" if isinstance(fid, str) else f"{shown}: fact {n}"
        fact = _fact(entry, where, path, services)
        if fact.id in seen:
            raise err(where, "id", "is used by an earlier fact; ids must be unique")
        seen.add(fact.id)
        if fact.scenario not in scenarios:
            try:
                scenarios[fact.scenario] = load_scenario(fact.scenario)
            except ScenarioError as exc:
                raise err(where, "scenario", f"invalid scenario file: {exc}") from None
        facts.append(fact)
    return facts


def _fact(entry: Mapping[str, Any], where: str, path: Path, services: tuple[str, ...]) -> Fact:
    for k, v in entry.items():
        if k not in FACT_KEYS:
            raise unknown(where, k, "key", k, FACT_KEYS)
        problem = FACT_KEYS[k](v)
        if problem:
            raise err(where, k, problem)
    for k in REQUIRED:
        if k not in entry:
            raise err(where, k, "is required")
    if not FACT_ID.match(entry["id"]):
        raise err(where, "id", "must use lower-case letters, digits and underscores")
    if "tolerance" in entry and "tolerance_reason" not in entry:
        raise err(where, "tolerance_reason", "is required with a tolerance (say where it "
                  "comes from, e.g. the seed-to-seed spread)")  # fmt: skip
    if ("fitted" in entry) != (entry["role"] == "calibrated"):
        raise err(where, "fitted", "is required for, and only for, role 'calibrated' (say "
                  "what was fitted to the fact)")  # fmt: skip
    if "metric" not in entry and "known_gap" not in entry:
        raise err(where, "metric", "is required (only a fact with a known_gap may lack one)")
    if "metric" not in entry and ("divide_by" in entry or "subtract" in entry):
        raise err(where, "metric", "is required with divide_by or subtract")
    if "divide_by" in entry and "subtract" in entry:
        raise err(where, "subtract", "give divide_by or subtract, not both")
    metrics = {k: _metric(entry[k], where, k, services)
               for k in ("metric", "divide_by", "subtract") if k in entry}  # fmt: skip
    scenario = Path(entry["scenario"])
    if not scenario.is_absolute():  # relative to the facts file; '..' folded for messages
        scenario = Path(os.path.normpath(path.parent / scenario))
    return Fact(
        id=entry["id"], description=entry["description"].strip(),
        source=entry["source"].strip(), role=entry["role"], scenario=scenario,
        seed=int(entry.get("seed", 0)), observed=(float(entry["observed"][0]),
                                                  float(entry["observed"][1])),
        tolerance=float(entry.get("tolerance", 0.0)),
        tolerance_reason=entry.get("tolerance_reason"), known_gap=entry.get("known_gap"),
        fitted=entry.get("fitted"), file=str(path), **metrics,
    )  # fmt: skip


def _names(v: Any) -> list[str] | None:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        return list(v)
    return None


def _metric(spec: Mapping[str, Any], where: str, key: str, services: tuple[str, ...]) -> Metric:
    for k in spec:
        if k not in METRIC_KEYS:
            raise unknown(where, f"{key}.{k}", "key", k, METRIC_KEYS)
    has_kpi, has_table = "kpi" in spec, "table" in spec
    if has_kpi == has_table:
        raise err(where, key, "give either kpi = NAME or table = NAME with column = NAME")
    filters: dict[str, tuple[str, ...]] = {}
    if has_kpi:
        kpi = spec["kpi"]
        if kpi not in KPI_BY_NAME:
            raise unknown(where, f"{key}.kpi", "KPI", str(kpi), KPI_BY_NAME)
        if "column" in spec:
            raise err(where, f"{key}.column", "only with table = NAME (a KPI is its own column)")
        if "land" in spec:
            raise err(where, f"{key}.land", "the kpis table has no Land breakdown; use "
                      "table = 'staff' or 'weekly'")  # fmt: skip
        table, column = "kpis", "value"
        levels, svc = ("all", *LEVELS), ("all", *services)
        filters = {"level": ("all",), "service_id": ("all",)}
    else:
        table = spec["table"]
        problem = choice(tuple(t for t in TABLES if t != "kpis"))(table)
        if problem:
            raise err(where, f"{key}.table", problem + " (for KPIs use kpi = NAME)")
        if _text(spec.get("column")):
            raise err(where, f"{key}.column", "is required with table: a column of that table")
        kpi, column = None, spec["column"]
        levels, svc = LEVELS, services
    for name, col, allowed in (("level", "level", levels), ("service", "service_id", svc)):
        if name in spec:
            values = _names(spec[name])
            if values is None:
                raise err(where, f"{key}.{name}", "must be a name or a list of names")
            for v in values:
                if v not in allowed:
                    raise unknown(where, f"{key}.{name}", name, v, allowed)
            filters[col] = tuple(values)
    if "land" in spec:
        values = _names(spec["land"])
        if values is None or not all(LAND_KEY.match(v) for v in values):
            raise err(where, f"{key}.land", "must be a Land key or a list of them (two digits, "
                      "'01' ... '16'; '00' for federal agencies)")  # fmt: skip
        filters["land"] = tuple(values)
    period = _period(spec, where, key)
    aggregation = spec.get("aggregation")
    if aggregation is not None and choice(AGGREGATIONS)(aggregation):
        raise err(where, f"{key}.aggregation", choice(AGGREGATIONS)(aggregation) or "")
    if aggregation is None:
        if period[0] == "week" or period[1] != period[2]:
            raise err(where, f"{key}.aggregation", "is required when the period covers several "
                      "time points; allowed: " + ", ".join(AGGREGATIONS))  # fmt: skip
        aggregation = "last"
    weight = spec.get("weight")
    if weight is not None:
        if not isinstance(weight, str):
            raise err(where, f"{key}.weight", "must be a KPI name (with kpi) or a column name")
        if has_kpi and weight not in KPI_BY_NAME:
            raise unknown(where, f"{key}.weight", "KPI", weight, KPI_BY_NAME)
    summed = has_kpi and weight is None and any(len(v) > 1 for v in filters.values())
    if summed and KPI_BY_NAME[kpi].unit in NON_ADDITIVE_UNITS:
        raise err(where, f"{key}.weight", f"is required: KPI '{kpi}' (unit "
                  f"{KPI_BY_NAME[kpi].unit}) is a mean or share and cannot be summed over "
                  "several levels or services; e.g. weight = 'staff_persons'")  # fmt: skip
    ratio = _pair(spec, "quantile_ratio", where, key, "two quantiles [lo, hi], 0 < lo < hi < 1",
                  lambda a, b: 0 < a < b < 1)  # fmt: skip
    staff = _pair(spec, "staff_fte", where, key, "[min, max] FTE, 0 <= min <= max",
                  lambda a, b: 0 <= a <= b)  # fmt: skip
    if ratio is not None and (has_kpi or weight is not None):
        raise err(where, f"{key}.quantile_ratio", "only with table = NAME and column = "
                  "NAME, without weight (quantiles over the table's rows, e.g. offices)")
    if staff is not None and has_kpi:
        raise err(where, f"{key}.staff_fte", "only with table = NAME (a table with a staff_fte "
                  "column, e.g. 'agencies')")  # fmt: skip
    return Metric(kpi, table, column, filters, period, aggregation, weight, key, ratio, staff)


def _pair(spec: Mapping[str, Any], name: str, where: str, key: str, allowed: str,
          ok: Any) -> tuple[float, float] | None:  # fmt: skip
    """``spec[name]`` as two numbers satisfying ``ok(a, b)``, or None if not given."""
    if name not in spec:
        return None
    v = spec[name]
    if not (isinstance(v, list) and len(v) == 2 and all(is_real(x) for x in v)
            and ok(float(v[0]), float(v[1]))):  # fmt: skip
        raise err(where, f"{key}.{name}", f"must be {allowed}")
    return (float(v[0]), float(v[1]))


def _period(spec: Mapping[str, Any], where: str, key: str) -> tuple[str, Any, Any]:
    given = [k for k in ("year", "years", "weeks") if k in spec]
    if len(given) != 1:
        raise err(where, key, "give exactly one period: year = 2024, years = [2024, 2033] or "
                  "weeks = [2023-09-01, 2024-08-31]" + (f"; found {', '.join(given)}"
                                                       if given else ""))  # fmt: skip
    k = given[0]
    v = spec[k]
    if k == "year":
        problem = whole(2000, 2100)(v)
        if problem:
            raise err(where, f"{key}.year", problem)
        return ("year", v, v)
    if k == "years":
        ok = isinstance(v, list) and len(v) == 2 and not any(whole(2000, 2100)(x) for x in v)
        if not ok or v[0] > v[1]:
            raise err(where, f"{key}.years", "must be [first, last], whole years 2000-2100, "
                      "first <= last")  # fmt: skip
        return ("year", v[0], v[1])
    ok = isinstance(v, list) and len(v) == 2 and all(type(x) is dt.date for x in v)
    if not ok or v[0] > v[1]:
        raise err(where, f"{key}.weeks", "must be [first, last], two TOML dates (2023-09-01), "
                  "first <= last")  # fmt: skip
    if "table" in spec and spec["table"] != "weekly" or "kpi" in spec:
        raise err(where, f"{key}.weeks", "weeks are only in table = 'weekly'; use year or years")
    return ("week", v[0], v[1])


# --- evaluation -------------------------------------------------------------------------------
class NoOutputError(Exception):
    """The run has no output for a metric (not modelled yet, or not in this scenario)."""


def _select(metric: Metric, tables: Mapping[str, pd.DataFrame], fact: Fact,
            kpi: str | None) -> pd.DataFrame:  # fmt: skip
    """Rows of ``metric`` (with ``kpi`` in place of its own) in its period, filters applied."""
    table = tables.get(metric.table)
    if table is None:
        raise NoOutputError(f"table '{metric.table}' is not in the run")
    rows = table
    if kpi is not None:
        rows = rows[rows["kpi"] == kpi]
        if rows.empty:
            raise NoOutputError(f"KPI '{kpi}' has no rows in the run")
    for col, values in metric.filters.items():
        if col not in rows.columns:
            name = "service" if col == "service_id" else col
            raise err(fact.where, f"{metric.key}.{name}",
                      f"table '{metric.table}' has no column '{col}'")  # fmt: skip
        present = set(rows[col].astype(str).unique())
        missing = [v for v in values if v not in present]
        if missing:
            raise NoOutputError(f"{metric.table} has no rows with {col} {', '.join(missing)}"
                           + (f" for KPI '{kpi}'" if kpi else ""))  # fmt: skip
        rows = rows[rows[col].isin(values)]
    kind, first, last = metric.period
    if kind == "year":
        years = rows["year"]
        wanted = set(range(first, last + 1))
        have = set(years.unique())
        if not wanted <= have:
            span = f"{min(have)}-{max(have)}" if have else "none"
            raise NoOutputError(f"years {_span(sorted(wanted - have))} are not in the run "
                           f"(years {span})")  # fmt: skip
        return rows[years.isin(wanted)]
    weeks = rows["week"]
    rows = rows[(weeks >= pd.Timestamp(first)) & (weeks <= pd.Timestamp(last))]
    if rows.empty:
        raise NoOutputError(f"no weeks of the run start between {first} and {last}")
    return rows


def _span(values: Sequence[int]) -> str:
    return f"{values[0]}" if len(values) == 1 else f"{values[0]}-{values[-1]}"


def metric_value(metric: Metric, tables: Mapping[str, pd.DataFrame], fact: Fact) -> float:
    """Evaluate one metric on a run's tables.

    Rows of one time point (year or week) are summed, or averaged with ``weight``; the time
    points of the period are then aggregated (sum, mean, last, max).

    Raises:
        NoOutputError: The run does not have the output.
        ScenarioError: The metric names a column the table does not have, or sums a mean.
    """
    rows = _select(metric, tables, fact, metric.kpi)
    time = "week" if metric.period[0] == "week" else "year"
    if metric.column not in rows.columns:
        allowed = ", ".join(c for c in rows.columns if c not in ("year", "week"))
        raise err(fact.where, f"{metric.key}.column", f"table '{metric.table}' has no column "
                  f"'{metric.column}'; allowed: {allowed}")  # fmt: skip
    if metric.staff_fte is not None:
        if "staff_fte" not in rows.columns:
            raise err(fact.where, f"{metric.key}.staff_fte", f"table '{metric.table}' has no "
                      "column 'staff_fte'")  # fmt: skip
        lo, hi = metric.staff_fte
        rows = rows[(rows["staff_fte"] >= lo) & (rows["staff_fte"] <= hi)]
    values = rows[metric.column].astype(np.float64)
    if metric.quantile_ratio is not None:
        lo, hi = metric.quantile_ratio
        ok = values.notna().to_numpy()
        if not ok.any():
            raise NoOutputError("no rows with a value in the period and staff range")
        by_t = values[ok].groupby(rows[time].to_numpy()[ok])
        series = by_t.quantile(hi) / by_t.quantile(lo)
    elif metric.weight is not None:
        if metric.kpi is not None:
            wrows = _select(metric, tables, fact, metric.weight)
            keys = ["year", "level", "service_id"]
            merged = rows[keys].merge(wrows[[*keys, "value"]], on=keys, how="left")
            weights = merged["value"].to_numpy(np.float64)
        else:
            if metric.weight not in rows.columns:
                raise err(fact.where, f"{metric.key}.weight", f"table '{metric.table}' has no "
                          f"column '{metric.weight}'")  # fmt: skip
            weights = rows[metric.weight].to_numpy(np.float64)
        if np.isnan(weights).any():
            raise NoOutputError(f"weight '{metric.weight}' is missing for some rows")
        frame = pd.DataFrame({"t": rows[time].to_numpy(), "vw": values.to_numpy() * weights,
                              "w": weights})  # fmt: skip
        g = frame.groupby("t").sum()
        if (g["w"] == 0).any():
            raise NoOutputError(f"weight '{metric.weight}' sums to 0")
        series = g["vw"] / g["w"]
    else:
        counts = rows.groupby(time).size()
        non_additive = (
            metric.kpi is not None and KPI_BY_NAME[metric.kpi].unit in NON_ADDITIVE_UNITS
        ) or metric.column in NON_ADDITIVE_COLUMNS
        if non_additive and (counts > 1).any():
            name = metric.kpi or metric.column
            raise err(fact.where, f"{metric.key}.weight", f"is required: '{name}' is a mean "
                      f"and {int(counts.max())} rows match one time point; give a weight or "
                      "narrower filters")  # fmt: skip
        series = values.groupby(rows[time].to_numpy()).sum()
    series = series.sort_index()
    if metric.aggregation == "sum":
        return float(series.sum())
    if metric.aggregation == "mean":
        return float(series.mean())
    if metric.aggregation == "max":
        return float(series.max())
    return float(series.iloc[-1])


def fact_value(fact: Fact, tables: Mapping[str, pd.DataFrame]) -> float:
    """The simulated value of a fact (metric, ratio or difference).

    Raises:
        NoOutputError: The run does not have the output (or the fact has no metric).
    """
    if fact.metric is None:
        raise NoOutputError("no model output is named for this fact")
    value = metric_value(fact.metric, tables, fact)
    if fact.divide_by is not None:
        denominator = metric_value(fact.divide_by, tables, fact)
        if denominator == 0:
            raise NoOutputError("the denominator (divide_by) is 0")
        return value / denominator
    if fact.subtract is not None:
        return value - metric_value(fact.subtract, tables, fact)
    return value


@dataclass(frozen=True)
class FactResult:
    """The outcome for one fact.

    Attributes:
        fact: The fact.
        simulated: The simulated value (None: no output).
        status: ``pass``, ``FAIL``, ``known gap``, ``pass (known gap)`` (a known gap that
            passes now: remove ``known_gap``) or ``input`` (not judged).
        note: Why (the missing output, or how far off).
    """

    fact: Fact
    simulated: float | None
    status: str
    note: str = ""

    @property
    def failed(self) -> bool:
        """True if this fact fails the validation."""
        return self.status == "FAIL"


def judge(fact: Fact, tables: Mapping[str, pd.DataFrame]) -> FactResult:
    """Compare a fact with a run's tables."""
    try:
        value: float | None = fact_value(fact, tables)
    except NoOutputError as exc:
        value, note = None, f"no output: {exc}"
    else:
        lo, hi = fact.accepted
        inside = bool(lo <= value <= hi)
        note = "" if inside else (f"simulated {fmt_simulated(fact, value)} is outside "
                                  f"{fmt_observed(fact)}")  # fmt: skip
    if not fact.judged:
        return FactResult(fact, value, "input", note)
    if value is not None and not note:
        return FactResult(fact, value, "pass (known gap)" if fact.known_gap else "pass")
    return FactResult(fact, value, "known gap" if fact.known_gap else "FAIL", note)


# --- runs -------------------------------------------------------------------------------------
Runner = Callable[[Scenario, int, str], Mapping[str, pd.DataFrame]]


def _default_runner(scenario: Scenario, seed: int, tables: str) -> Mapping[str, pd.DataFrame]:
    from model.runner import run_scenario

    return run_scenario(scenario, seed=seed, tables=tables).tables


@dataclass
class RunCache:
    """Runs per (scenario file, seed), each made once with the largest table set asked for.

    Attributes:
        runner: ``runner(scenario, seed, table_set) -> tables`` (default: run the model).
        progress: Called as ``progress(scenario_file, seed)`` before each run.
        runs: ``(scenario file, seed) -> (table set, tables)`` made so far.
    """

    runner: Runner = _default_runner
    progress: Callable[[Path, int], None] | None = None
    runs: dict[tuple[Path, int], tuple[str, Mapping[str, pd.DataFrame]]] = field(
        default_factory=dict
    )

    def tables(self, scenario: Path, seed: int, table_set: str) -> Mapping[str, pd.DataFrame]:
        """The tables of one run, running it if no run with at least ``table_set`` exists."""
        key = (scenario.resolve(), seed)
        have = self.runs.get(key)
        if have and TABLE_SET_ORDER.index(have[0]) >= TABLE_SET_ORDER.index(table_set):
            return have[1]
        if self.progress:
            self.progress(scenario, seed)
        result = self.runner(load_scenario(scenario), seed, table_set)
        self.runs[key] = (table_set, result)
        return result


def table_set(facts: Iterable[Fact]) -> str:
    """The smallest table set that has every table the facts' metrics read."""
    need = [TABLES[m.table] for f in facts for m in (f.metric, f.divide_by, f.subtract)
            if m is not None]  # fmt: skip
    return max(need, key=TABLE_SET_ORDER.index, default="kpis")


def validate(facts: Sequence[Fact], seed: int | None = None,
             cache: RunCache | None = None) -> list[FactResult]:  # fmt: skip
    """Run each (scenario, seed) the facts name once and judge every fact.

    Args:
        facts: Facts from :func:`load_facts`.
        seed: Run every fact with this seed instead of its own.
        cache: Runs to reuse (a new one by default).
    """
    cache = cache or RunCache()
    groups: dict[tuple[Path, int], list[int]] = {}
    for i, f in enumerate(facts):
        key = (f.scenario.resolve(), f.seed if seed is None else seed)
        groups.setdefault(key, []).append(i)
    results: list[FactResult | None] = [None] * len(facts)
    for (_, run_seed), members in groups.items():
        group = [facts[i] for i in members]
        modelled = [f for f in group if f.metric is not None]
        tables = (cache.tables(group[0].scenario, run_seed, table_set(modelled))
                  if modelled else {})  # fmt: skip
        for i, f in zip(members, group, strict=True):
            results[i] = judge(f, tables)
    return [r for r in results if r is not None]


# --- formatting -------------------------------------------------------------------------------
def decimals(lo: float, hi: float) -> int:
    """Decimals that show ``lo`` and ``hi`` with 4 significant digits, more until they differ
    (at most 6 more); 0 from 10,000 on."""
    big = max(abs(lo), abs(hi))
    if big >= 10_000 or big == 0 or not math.isfinite(big):
        return 0
    d = max(0, 3 - math.floor(math.log10(big)))
    while lo != hi and f"{lo:.{d}f}" == f"{hi:.{d}f}" and d < 12:
        d += 1
    return d


def fmt_value(x: float, d: int | None = None) -> str:
    """A number with ``d`` decimals (default: 4 significant digits); thousands separators."""
    if not math.isfinite(x):
        return str(x)
    d = decimals(x, x) if d is None else d
    return f"{x:,.{d}f}" if d == 0 else f"{x:.{d}f}"


def fmt_range(lo: float, hi: float) -> tuple[str, int]:
    """``lo–hi`` (or one number) and the decimals used; common trailing zeros dropped."""
    d = decimals(lo, hi)
    a, b = fmt_value(lo, d), fmt_value(hi, d)
    while d > 0 and a.endswith("0") and b.endswith("0"):
        d -= 1
        a, b = fmt_value(lo, d), fmt_value(hi, d)
    return (a if a == b else f"{a}–{b}"), d


def fmt_observed(fact: Fact) -> str:
    """The observed range, with the tolerance if there is one."""
    text = fmt_range(*fact.observed)[0]
    return text + (f" ± {fmt_tolerance(fact.tolerance)}" if fact.tolerance else "")


def fmt_tolerance(x: float) -> str:
    """A tolerance (or spread) with two significant digits."""
    if x == 0 or not math.isfinite(x):
        return fmt_value(x, 0)
    d = 1 - math.floor(math.log10(abs(x)))
    return fmt_value(round(x, d), max(d, 0))


def fmt_simulated(fact: Fact, x: float) -> str:
    """A simulated value with the decimals of the fact's observed range, more where it would
    otherwise print like a bound it differs from."""
    d = fmt_range(*fact.observed)[1]
    lo, hi = fact.accepted
    for _ in range(4):
        text = fmt_value(x, d)
        if (x == lo or text != fmt_value(lo, d)) and (x == hi or text != fmt_value(hi, d)):
            break
        d += 1
    return fmt_value(x, d)
