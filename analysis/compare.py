"""Scenario comparison: saved runs as tidy tables, medians and bands, paired differences.

:func:`open_runs` reads a batch folder (``runs/NAME`` written by ``foedsim batch``) or a single
run folder (``foedsim run``) into a :class:`RunSet`: one row per finished run (scenario, design
point, replication, seed) and the run tables on demand. :meth:`RunSet.kpis` gives the tidy
long table ``run × KPI × year × level × service``; :func:`summarise` reduces it over runs and
:func:`compare_table` adds the paired differences to the baseline. Nothing here runs the model.

Rules, with reasons:

- **Baseline.** The scenario named ``baseline`` if the runs have one, else the first scenario of
  the batch file (:func:`baseline_of`). Every other scenario is compared with it.
- **Median and band.** Over every run of a scenario (all replications and, with a design, all
  design points, so the band then covers the design's uncertainties as well as chance). With
  at least :data:`MIN_RUNS_FOR_QUANTILES` runs the band is the 5–95 % quantile range (pandas'
  linear interpolation); with fewer, empirical 5 % and 95 % quantiles would only interpolate
  between the two most extreme runs, so the band is the plain min–max and ``n`` is stated.
- **Paired differences.** Scenario minus baseline, run by run, matched on the design point and
  the replication seed: replication *k* of every scenario runs with the same seed and the same
  named random streams (docs/BATCHES.md), so the difference removes most of the chance that
  both share. The differences are summarised with the same median/band rule.

Example::

    from analysis import compare
    runs = compare.open_runs("runs/main")
    table = compare.compare_table(runs.kpis(), years=(2025, 2030, 2035),
                                  scenarios=runs.scenarios, baseline=runs.baseline)
    compare.write_comparison(table, "runs/main/comparison.md", fmt="md")
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.errors import FoedsimError
from model.kpis import KPI_BY_NAME, KPIS

BASELINE_NAME = "baseline"
"""Name of the scenario every other one is compared with (else the batch's first scenario)."""

MIN_RUNS_FOR_QUANTILES = 20
"""From this many runs on, bands are 5–95 % quantiles; below, min–max (issue 9)."""

BAND_QUANTILES = (0.05, 0.95)
DEFAULT_YEARS: tuple[int, ...] = (2025, 2030, 2035)

HEADLINE_KPIS: tuple[str, ...] = (
    "backlog_cases", "lead_time_weeks", "share_cases_lead_over_8w", "staff_fte",
    "staff_available_fte", "staff_needed_fte", "staff_gap_fte", "fte_freed_local_tasks",
    "automated_share", "efa_adoption_share", "cost_total_eur", "citizen_hours", "co2_tonnes",
)  # fmt: skip
"""KPIs of the default comparison (those a run lacks are left out)."""

RUN_COLUMNS = ("run_id", "scenario", "point", "replication", "seed")
KEY_COLUMNS = ("kpi", "level", "service_id", "year")
STAT_COLUMNS = ("n", "band", "median", "low", "high")
DIFF_COLUMNS = ("diff_n", "diff_median", "diff_low", "diff_high")

BAND_QUANTILE_TEXT = "5–95 %"
BAND_MINMAX_TEXT = "min–max"


class CompareError(FoedsimError):
    """Runs cannot be compared as asked (not a run folder, unknown KPI, year or level)."""


def band_kind(n: int) -> str:
    """``"5–95 %"`` for at least :data:`MIN_RUNS_FOR_QUANTILES` runs, else ``"min–max"``."""
    return BAND_QUANTILE_TEXT if n >= MIN_RUNS_FOR_QUANTILES else BAND_MINMAX_TEXT


# --- reading runs ------------------------------------------------------------------------------


@dataclass
class RunSet:
    """Finished runs of one batch (or one run), with their tables read on demand.

    Attributes:
        path: The batch or run folder (None for runs built in memory).
        kind: ``batch`` or ``run``.
        name: Batch name (or the run folder's name).
        runs: One row per finished run: ``run_id``, ``scenario``, ``point``, ``replication``,
            ``seed``, sorted by scenario order, point and replication.
        scenarios: Scenario names in the batch's order.
        scenario_info: Per scenario the resolved scenario as stored in the manifest
            (``description``, ``start``, ``end``, ``parameters``, ...).
        manifest: The batch manifest (or the run's manifest).
        tables: Tables that every run has (``kpis``, ``weekly``, ...).
        notes: Things a reader should know (failed runs, runs not yet summarised).
        reader: ``reader(run_id, table)`` returns one run's table.
    """

    path: Path | None
    kind: str
    name: str
    runs: pd.DataFrame
    scenarios: tuple[str, ...]
    scenario_info: dict[str, dict[str, Any]]
    manifest: dict[str, Any]
    tables: tuple[str, ...]
    reader: Callable[[str, str], pd.DataFrame] = field(repr=False)
    notes: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> str:
        """The scenario others are compared with (see :func:`baseline_of`)."""
        return baseline_of(self.scenarios)

    def runs_per_scenario(self) -> dict[str, int]:
        """Finished runs per scenario."""
        counts = self.runs.groupby("scenario")["run_id"].count()
        return {s: int(counts.get(s, 0)) for s in self.scenarios}

    def has(self, table: str) -> bool:
        """True if every run has ``table``."""
        return table in self.tables

    def table(self, name: str, columns: Sequence[str] | None = None,
              where: Callable[[pd.DataFrame], pd.Series] | None = None
              ) -> pd.DataFrame:  # fmt: skip
        """One table of every run, stacked, with the run columns in front.

        Args:
            name: Table name, e.g. ``"kpis"`` or ``"agencies"``.
            columns: Columns to keep (default all).
            where: Row filter applied to each run's table before stacking (keeps memory low
                for the large per-agency tables).

        Raises:
            CompareError: Not every run has the table.
        """
        if name not in self.tables:
            raise CompareError(f"{self.path or self.name}: the runs have no table {name!r} "
                               f"(they have: {', '.join(self.tables) or 'none'})")  # fmt: skip
        frames = []
        for run in self.runs.itertuples(index=False):
            frame = self.reader(run.run_id, name)
            if where is not None:
                frame = frame[where(frame)]
            if columns is not None:
                frame = frame[list(columns)]
            frame = frame.copy()
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype(str)
            for col in reversed(RUN_COLUMNS):
                frame.insert(0, col, getattr(run, col))
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=[*RUN_COLUMNS, *(columns or [])])
        return pd.concat(frames, ignore_index=True)

    def kpis(self, kpis: Iterable[str] | None = None, levels: Iterable[str] | None = None,
             services: Iterable[str] | None = None) -> pd.DataFrame:  # fmt: skip
        """The tidy KPI table: ``run_id, scenario, point, replication, seed, year, kpi, level,
        service_id, value`` (optionally only some KPIs, levels or services)."""
        sets = [(c, set(v)) for c, v in (("kpi", kpis), ("level", levels),
                                         ("service_id", services)) if v is not None]  # fmt: skip

        def where(frame: pd.DataFrame) -> pd.Series:
            mask = pd.Series(True, index=frame.index)
            for column, allowed in sets:
                mask &= frame[column].astype(str).isin(allowed)
            return mask

        return self.table("kpis", where=where if sets else None)


def baseline_of(scenarios: Sequence[str]) -> str:
    """``baseline`` if it is among the scenarios, else the first one.

    Raises:
        CompareError: No scenarios.
    """
    if not scenarios:
        raise CompareError("no scenarios to compare")
    return BASELINE_NAME if BASELINE_NAME in scenarios else scenarios[0]


def _sort_runs(runs: pd.DataFrame, scenarios: Sequence[str]) -> pd.DataFrame:
    order = {s: i for i, s in enumerate(scenarios)}
    runs = runs.assign(_o=runs["scenario"].map(order))
    return runs.sort_values(["_o", "point", "replication"]).drop(columns="_o").reset_index(
        drop=True)  # fmt: skip


def open_runs(path: str | os.PathLike[str]) -> RunSet:
    """Open a batch folder or a single run folder for comparison.

    Args:
        path: ``runs/NAME`` of ``foedsim batch`` or a run folder of ``foedsim run``.

    Returns:
        The runs. Runs of a batch are those with a summary row and a complete folder; failed
        runs and finished runs without a summary row are named in :attr:`RunSet.notes`.

    Raises:
        CompareError: The folder is neither, or holds no finished run.
    """
    from model.errors import DataError
    from model.storage import MANIFEST_NAME, read_run

    root = Path(path)
    manifest_file = root / MANIFEST_NAME
    if not manifest_file.is_file():
        raise CompareError(f"{root}: not a batch or run folder (no {MANIFEST_NAME}); allowed: "
                           "runs/NAME of foedsim batch or a run folder of foedsim run")  # fmt: skip
    try:
        kind = json.loads(manifest_file.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError) as exc:
        raise CompareError(f"{manifest_file} cannot be read: {exc}") from None
    try:
        if kind == "foedsim-batch":
            return _open_batch(root)
        run = read_run(root)
    except DataError as exc:
        raise CompareError(str(exc)) from None
    info = run.manifest["scenario"]
    runs = pd.DataFrame([{"run_id": root.name, "scenario": info["name"], "point": 0,
                          "replication": 0, "seed": int(run.manifest["seed"])}])  # fmt: skip
    return RunSet(root, "run", root.name, runs, (info["name"],), {info["name"]: info},
                  run.manifest, run.tables, lambda _run_id, table: run.table(table))  # fmt: skip


def _open_batch(root: Path) -> RunSet:
    from model.batch.store import BatchStore
    from model.storage import read_run

    store = BatchStore.open(root)
    manifest = store.manifest()
    scenarios = tuple(sc["name"] for sc in manifest.get("scenarios", []))
    info = {sc["name"]: sc for sc in manifest.get("scenarios", [])}
    summary = store.summary()
    complete = set(store.complete_run_ids())
    runs = summary[summary["run_id"].isin(complete)][list(RUN_COLUMNS)]
    notes = []
    unsummarised = len(complete - set(runs["run_id"]))
    if unsummarised:
        notes.append(f"{unsummarised} finished run(s) have no summary row yet and are left "
                     f"out (continue with foedsim batch ... --out {root} --resume)")  # fmt: skip
    n_failed = len(store.failures())
    if n_failed:
        notes.append(f"{n_failed} run(s) failed (records in {root / 'failures'}); they are "
                     "missing from the comparison")  # fmt: skip
    total = manifest.get("n_runs")
    if isinstance(total, int) and total > len(runs):
        notes.append(f"{len(runs)} of {total} runs of the batch are finished")
    if runs.empty:
        raise CompareError(f"{root}: the batch has no finished run yet")
    runs = _sort_runs(runs.astype({"point": int, "replication": int, "seed": "int64"}),
                      scenarios)  # fmt: skip
    tables: set[str] | None = None
    opened: dict[str, Any] = {}
    for run_id in runs["run_id"]:
        run = read_run(store.run_dir(run_id))
        opened[run_id] = run
        tables = set(run.tables) if tables is None else tables & set(run.tables)
    order = ("kpis", "weekly", "staff", "agencies", "staff_agencies")
    present = tuple(t for t in order if t in (tables or set()))
    present += tuple(sorted((tables or set()) - set(order)))
    return RunSet(root, "batch", str(manifest.get("name", root.name)), runs, scenarios, info,
                  manifest, present, lambda run_id, table: opened[run_id].table(table),
                  notes)  # fmt: skip


def runset_from_tables(runs: pd.DataFrame, tables: dict[str, dict[str, pd.DataFrame]], *,
                       scenarios: Sequence[str] | None = None,
                       descriptions: dict[str, str] | None = None,
                       name: str = "in-memory") -> RunSet:  # fmt: skip
    """A :class:`RunSet` from tables held in memory (tests, notebooks).

    Args:
        runs: ``run_id, scenario, point, replication, seed`` (point defaults to 0).
        tables: ``{run_id: {table name: frame}}``.
        scenarios: Scenario order (default: order of first appearance in ``runs``).
        descriptions: Scenario descriptions in plain words.
        name: A name for the set.
    """
    runs = runs.copy()
    if "point" not in runs:
        runs["point"] = 0
    scenarios = tuple(scenarios or dict.fromkeys(runs["scenario"]))
    present = set.intersection(*(set(tables[r]) for r in runs["run_id"])) if len(runs) else set()
    info = {s: {"name": s, "description": (descriptions or {}).get(s, "")} for s in scenarios}
    manifest = {"name": name, "scenarios": list(info.values())}
    return RunSet(None, "batch", name, _sort_runs(runs[list(RUN_COLUMNS)], scenarios), scenarios,
                  info, manifest, tuple(sorted(present)),
                  lambda run_id, table: tables[run_id][table])  # fmt: skip


# --- statistics --------------------------------------------------------------------------------


def summarise(values: pd.DataFrame, by: Sequence[str], value: str = "value") -> pd.DataFrame:
    """Median and band of ``value`` over the rows of each group (see the module's rules).

    Args:
        values: A tidy table, one row per run and group.
        by: Group columns, e.g. ``["scenario", "kpi", "level", "service_id", "year"]``.
        value: The column to summarise.

    Returns:
        One row per group: the group columns, ``n`` (runs with a value), ``band``
        (``"5–95 %"`` or ``"min–max"``), ``median``, ``low``, ``high``.
    """
    by = list(by)
    clean = values.dropna(subset=[value])
    if clean.empty:
        return pd.DataFrame(columns=[*by, *STAT_COLUMNS])
    grouped = clean.groupby(by, sort=False, observed=True)[value]
    out = grouped.agg(n="count", median="median", lo="min", hi="max")
    q_low = grouped.quantile(BAND_QUANTILES[0])
    q_high = grouped.quantile(BAND_QUANTILES[1])
    enough = out["n"] >= MIN_RUNS_FOR_QUANTILES
    out["low"] = np.where(enough, q_low.reindex(out.index), out["lo"])
    out["high"] = np.where(enough, q_high.reindex(out.index), out["hi"])
    out["band"] = np.where(enough, BAND_QUANTILE_TEXT, BAND_MINMAX_TEXT)
    out["n"] = out["n"].astype(int)
    return out.reset_index()[[*by, *STAT_COLUMNS]]


def paired_differences(tidy: pd.DataFrame, baseline: str,
                       keys: Sequence[str] = KEY_COLUMNS) -> pd.DataFrame:  # fmt: skip
    """Scenario minus baseline, run by run, matched on design point and seed.

    Args:
        tidy: Tidy table with the run columns, ``keys`` and ``value``.
        baseline: The baseline scenario's name.
        keys: Columns that identify one quantity (KPI, level, service, year).

    Returns:
        ``scenario, point, seed, *keys, diff`` for every non-baseline run that has a baseline
        partner with the same point and seed (runs without one are left out).
    """
    match = ["point", "seed", *keys]
    base = tidy[tidy["scenario"] == baseline][[*match, "value"]]
    others = tidy[tidy["scenario"] != baseline][["scenario", *match, "value"]]
    if base.duplicated(subset=match).any():
        raise CompareError(f"baseline {baseline!r} has two runs with the same point and seed; "
                           "differences cannot be paired")  # fmt: skip
    joined = others.merge(base, on=match, how="inner", suffixes=("", "_baseline"))
    joined["diff"] = joined["value"] - joined["value_baseline"]
    return joined[["scenario", *match, "diff"]]


def compare_table(tidy: pd.DataFrame, *, scenarios: Sequence[str], baseline: str | None = None,
                  years: Sequence[int] | None = None) -> pd.DataFrame:  # fmt: skip
    """The comparison table: per KPI, level, service, year and scenario, the median and band
    over runs and the paired difference to the baseline.

    Args:
        tidy: From :meth:`RunSet.kpis` (possibly filtered).
        scenarios: Scenario order (rows follow it; the baseline's rows have no difference).
        baseline: Default :func:`baseline_of` ``(scenarios)``.
        years: Years to keep (default all).

    Returns:
        ``kpi, unit, level, service_id, year, scenario, n, band, median, low, high, diff_n,
        diff_median, diff_low, diff_high`` (differences NaN for the baseline).
    """
    baseline = baseline or baseline_of(scenarios)
    if years is not None:
        tidy = tidy[tidy["year"].isin(list(years))]
    by = ["scenario", *KEY_COLUMNS]
    stats = summarise(tidy, by)
    diffs = summarise(paired_differences(tidy, baseline), by, value="diff")
    diffs = diffs.rename(columns={"n": "diff_n", "median": "diff_median", "low": "diff_low",
                                  "high": "diff_high"}).drop(columns="band")  # fmt: skip
    out = stats.merge(diffs, on=by, how="left")
    out.insert(1, "unit", out["kpi"].map(lambda k: KPI_BY_NAME[k].unit if k in KPI_BY_NAME
                                         else ""))  # fmt: skip
    kpi_order = {k.name: i for i, k in enumerate(KPIS)}
    out["_k"] = out["kpi"].map(lambda k: kpi_order.get(k, len(kpi_order)))
    out["_s"] = out["scenario"].map({s: i for i, s in enumerate(scenarios)})
    out = out.sort_values(["_k", "kpi", "level", "service_id", "year", "_s"]).drop(
        columns=["_k", "_s"])  # fmt: skip
    out["diff_n"] = out["diff_n"].astype("Int64")
    columns = ["kpi", "unit", *KEY_COLUMNS[1:], "scenario", *STAT_COLUMNS, *DIFF_COLUMNS]
    return out[columns].reset_index(drop=True)


def total_over_years(tidy: pd.DataFrame, first: int | None = None,
                     last: int | None = None) -> pd.DataFrame:  # fmt: skip
    """Each run's sum of a KPI over the years ``first``–``last`` (for flows such as costs).

    Only meaningful for KPIs aggregated as ``year_sum`` (model/kpis.py). The result has the
    tidy columns with ``year`` set to ``last``, so it can be summarised like one year.
    """
    years = tidy["year"]
    keys = [*RUN_COLUMNS, "kpi", "level", "service_id"]
    if tidy.empty:
        return pd.DataFrame(columns=[*keys, "year", "value"])
    first = int(years.min()) if first is None else first
    last = int(years.max()) if last is None else last
    part = tidy[(years >= first) & (years <= last)]
    out = part.groupby(keys, sort=False, observed=True)["value"].sum(min_count=1).reset_index()
    out.insert(len(keys), "year", last)
    return out


# --- choosing what to compare ------------------------------------------------------------------


def choose_kpis(available: Iterable[str], wanted: Sequence[str] | None) -> list[str]:
    """The KPIs to show: ``wanted`` (``["all"]`` for every one), else :data:`HEADLINE_KPIS`.

    Raises:
        CompareError: A wanted KPI is unknown (close names suggested) or not in the runs.
    """
    have = set(available)
    ordered = [k.name for k in KPIS if k.name in have] + sorted(have - set(KPI_BY_NAME))
    if not wanted:
        return [k for k in HEADLINE_KPIS if k in have] or ordered
    if list(wanted) == ["all"]:
        return ordered
    for name in wanted:
        if name not in KPI_BY_NAME and name not in have:
            close = difflib.get_close_matches(name, list(KPI_BY_NAME), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise CompareError(f"--kpis: unknown KPI {name!r}{hint}; see foedsim kpis")
        if name not in have:
            raise CompareError(f"--kpis: KPI {name!r} is not in these runs; they have: "
                               f"{', '.join(ordered)}")  # fmt: skip
    return list(dict.fromkeys(wanted))


def choose_years(available: Iterable[int], wanted: Sequence[int] | None,
                 strict: bool = True) -> list[int]:  # fmt: skip
    """The years to show: ``wanted`` (default :data:`DEFAULT_YEARS`) that the runs cover.

    Args:
        available: Years in the runs.
        wanted: Years asked for.
        strict: Raise if an asked-for year is missing; else keep those present, or the last
            simulated year if none is.

    Raises:
        CompareError: (strict) a year is not in the runs.
    """
    have = sorted({int(y) for y in available})
    if not have:
        raise CompareError("the runs hold no yearly KPIs")
    asked = list(wanted) if wanted else list(DEFAULT_YEARS)
    missing = [y for y in asked if y not in have]
    if missing and strict and wanted:
        raise CompareError(f"--years: {', '.join(map(str, missing))} not in the runs; they "
                           f"cover {have[0]}–{have[-1]}")  # fmt: skip
    kept = [y for y in asked if y in have]
    return kept or [have[-1]]


def check_choice(option: str, value: str, available: Iterable[str]) -> str:
    """Return ``value`` if the runs have it, else raise naming what they have."""
    have = sorted({str(v) for v in available})
    if value not in have:
        raise CompareError(f"{option}: {value!r} is not in these runs; allowed: "
                           f"{', '.join(have)}")  # fmt: skip
    return value


# --- output ------------------------------------------------------------------------------------


def _number(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    number = float(value)
    text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.4g}"
    return text.replace("-", "−", 1) if text.startswith("-") else text


def display_rows(table: pd.DataFrame) -> list[dict[str, str]]:
    """The comparison as rows of text for the terminal and Markdown (repeated keys blank)."""
    rows = []
    last: tuple[Any, ...] = ()
    for r in table.itertuples(index=False):
        key = (r.kpi, r.level, r.service_id, r.year)
        same = key == last
        last = key
        where = "" if (r.level, r.service_id) == ("all", "all") else f"{r.level}/{r.service_id}"
        has_diff = r.diff_n is not pd.NA and not pd.isna(r.diff_n)
        rows.append({
            "kpi": "" if same else r.kpi + (f" [{where}]" if where else ""),
            "unit": "" if same else r.unit,
            "year": "" if same else str(r.year),
            "scenario": r.scenario,
            "n": str(r.n),
            "median": _number(r.median),
            "band": f"{_number(r.low)} – {_number(r.high)} ({r.band})",
            "Δ median": _number(r.diff_median) if has_diff else "",
            "Δ band": (f"{_number(r.diff_low)} – {_number(r.diff_high)} (n={r.diff_n})"
                       if has_diff else ""),
        })  # fmt: skip
    return rows


def header_lines(table: pd.DataFrame, baseline: str) -> list[str]:
    """Lines explaining the table: baseline, runs, band rule, pairing."""
    counts = sorted({int(n) for n in table["n"]})
    runs = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return [
        f"Baseline: {baseline}. Runs per scenario: {runs}.",
        f"Band: {BAND_QUANTILE_TEXT} quantiles over runs with n ≥ {MIN_RUNS_FOR_QUANTILES}, "
        f"{BAND_MINMAX_TEXT} with fewer (n per row).",
        "Δ: scenario minus baseline, paired run by run on design point and seed.",
    ]


def format_text(table: pd.DataFrame, baseline: str) -> str:
    """A fixed-width terminal table with its explanation above."""
    rows = display_rows(table)
    if not rows:
        return "(no rows)\n"
    cols = list(rows[0])
    numeric = {"n", "median", "Δ median"}
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}

    def line(cells: dict[str, str]) -> str:
        parts = [cells[c].rjust(widths[c]) if c in numeric else cells[c].ljust(widths[c])
                 for c in cols]  # fmt: skip
        return "  ".join(parts).rstrip()

    out = header_lines(table, baseline) + ["", line({c: c for c in cols}),
                                           line({c: "-" * widths[c] for c in cols})]  # fmt: skip
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


def md_escape(text: str) -> str:
    """Text for a Markdown cell or line: HTML's special characters as entities (a scenario
    name is the user's text, and Markdown passes raw HTML through), pipes and line breaks
    escaped so that the table keeps its shape."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def format_markdown(table: pd.DataFrame, baseline: str) -> str:
    """A Markdown table with its explanation above (every cell escaped, :func:`md_escape`)."""
    rows = display_rows(table)
    lines = [f"{md_escape(line)}  " for line in header_lines(table, baseline)] + [""]
    if not rows:
        return "\n".join(lines + ["(no rows)"]) + "\n"
    cols = list(rows[0])
    right = {"n", "median", "Δ median"}
    lines.append("| " + " | ".join(md_escape(c) for c in cols) + " |")
    lines.append("|" + "|".join("---:" if c in right else "---" for c in cols) + "|")
    for r in rows:
        lines.append("| " + " | ".join(md_escape(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def format_csv(table: pd.DataFrame) -> str:
    """The tidy comparison table as CSV (every column, full precision)."""
    return table.to_csv(index=False, lineterminator="\n")


def format_comparison(table: pd.DataFrame, fmt: str, baseline: str) -> str:
    """``text``, ``md`` or ``csv``."""
    if fmt == "text":
        return format_text(table, baseline)
    if fmt == "md":
        return format_markdown(table, baseline)
    if fmt == "csv":
        return format_csv(table)
    raise CompareError(f"--format {fmt!r}; allowed: text, csv, md")


def write_comparison(table: pd.DataFrame, path: str | os.PathLike[str], fmt: str,
                     baseline: str) -> Path:  # fmt: skip
    """Write the comparison atomically (all or nothing); creates the folder.

    Returns:
        The path written.
    """
    from model.storage import atomic_write_bytes

    target = Path(path)
    data = format_comparison(table, fmt, baseline).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(target, data)
