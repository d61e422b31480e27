"""Sensitivity indices from a finished batch (SALib): Sobol and Morris, with confidence intervals.

The batch must have a ``sobol`` or ``morris`` design. For each scenario, KPI and year, the
output of a design point is the mean of the KPI over the point's replications (they share
seeds across points, so the mean removes the same noise everywhere), and the points are passed
to SALib in the design's order:

- Sobol (Saltelli/Jansen estimators, ``SALib.analyze.sobol``): first-order ``S1``, total
  ``ST`` and, when sampled, second-order ``S2`` indices; confidence intervals by bootstrap.
- Morris (``SALib.analyze.morris``): ``mu_star`` (mean absolute elementary effect), ``mu``
  (mean effect) and ``sigma`` (its spread: interactions, non-linearity); confidence interval
  of ``mu_star`` by bootstrap.

Morris elementary effects are SALib's: the change of the output divided by the step on the
unit-scaled grid, so ``mu_star`` is in KPI units per unit of the *scaled* parameter (its range
mapped to [0, 1]): a linear KPI ``a x`` on ``[low, high]`` has ``mu_star = |a| (high - low)``.

The result is a tidy table: ``scenario, kpi, year, parameter, index, value, conf, conf_level``
(``conf`` is the half-width of the interval, NaN where SALib gives none).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.batch.design import Design
from model.batch.store import BatchStore
from model.errors import FoedsimError

SENSITIVITY_METHODS = ("sobol", "morris")
COLUMNS = ("scenario", "kpi", "year", "parameter", "index", "value", "conf", "conf_level")


def analyze_design(
    design: Design,
    outputs: np.ndarray,
    resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Sensitivity indices of one output over a Sobol or Morris design.

    Args:
        design: The design (method, parameters, points).
        outputs: One output value per design point, in the design's order.
        resamples: Bootstrap resamples for the confidence intervals.
        conf_level: Confidence level of the intervals (e.g. 0.95).
        seed: Seed of the bootstrap.

    Returns:
        Rows ``parameter, index, value, conf, conf_level``.

    Raises:
        FoedsimError: The design is not Sobol or Morris, or outputs are missing.
    """
    if design.method not in SENSITIVITY_METHODS:
        raise FoedsimError(f"sensitivity indices need a sobol or morris design; this batch's "
                           f"design is {design.method!r}")  # fmt: skip
    y = np.asarray(outputs, dtype=float)
    if y.shape != (design.n_points,):
        raise FoedsimError(f"need one output per design point ({design.n_points}), "
                           f"got {y.shape}")  # fmt: skip
    if not np.isfinite(y).all():
        missing = int((~np.isfinite(y)).sum())
        raise FoedsimError(f"{missing} of {design.n_points} design points have no finite "
                           "result (failed or unfinished runs); finish the batch with --resume "
                           "first")  # fmt: skip
    problem = design.problem()
    names = list(design.names)
    rows: list[dict[str, Any]] = []

    def add(parameter: str, index: str, value: float, conf: float = np.nan) -> None:
        rows.append({"parameter": parameter, "index": index, "value": float(value),
                     "conf": float(conf), "conf_level": conf_level})  # fmt: skip

    if design.method == "sobol":
        from SALib.analyze import sobol

        second = bool(design.settings.get("second_order", False))
        res = sobol.analyze(problem, y, calc_second_order=second, num_resamples=resamples,
                            conf_level=conf_level, seed=seed)  # fmt: skip
        for i, name in enumerate(names):
            add(name, "S1", res["S1"][i], res["S1_conf"][i])
            add(name, "ST", res["ST"][i], res["ST_conf"][i])
        if second:
            for i, j in zip(*np.triu_indices(len(names), 1), strict=True):
                add(f"{names[i]}:{names[j]}", "S2", res["S2"][i, j], res["S2_conf"][i, j])
    else:
        from SALib.analyze import morris

        levels = int(design.settings.get("levels") or 4)
        res = morris.analyze(problem, design.points, y, num_resamples=resamples,
                             conf_level=conf_level, num_levels=levels, seed=seed)  # fmt: skip
        for i, name in enumerate(names):
            add(name, "mu_star", res["mu_star"][i], res["mu_star_conf"][i])
            add(name, "mu", res["mu"][i])
            add(name, "sigma", res["sigma"][i])
    return pd.DataFrame(rows)


def point_outputs(summary: pd.DataFrame, column: str, n_points: int) -> np.ndarray:
    """Mean of ``column`` over replications for each design point (NaN where none finished).

    Args:
        summary: Summary rows of one scenario (``point`` and ``column`` columns).
        column: A ``KPI_YEAR`` column.
        n_points: Points in the design.
    """
    means = summary.groupby("point")[column].mean()
    out = np.full(n_points, np.nan)
    idx = means.index.to_numpy(dtype=int)
    out[idx] = means.to_numpy(dtype=float)
    return out


def sensitivity_table(
    batch_dir: Path,
    kpis: Sequence[str],
    years: Sequence[int] | None = None,
    scenarios: Sequence[str] | None = None,
    resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Sensitivity indices of a finished batch for chosen KPIs and years.

    Args:
        batch_dir: The batch folder (``runs/NAME``).
        kpis: KPI names (nationwide values are used).
        years: Years (default: the last simulated year).
        scenarios: Scenario names (default: every scenario of the batch).
        resamples: Bootstrap resamples for the confidence intervals.
        conf_level: Confidence level (e.g. 0.95).
        seed: Seed of the bootstrap.

    Returns:
        The tidy table described in the module docstring.

    Raises:
        FoedsimError: No such KPI, year or scenario in the batch; the design is not Sobol or
            Morris; or runs are missing.
    """
    if not 0 < conf_level < 1 or resamples < 1:
        raise FoedsimError(f"need 0 < conf_level < 1 and resamples >= 1, got {conf_level} "
                           f"and {resamples}")  # fmt: skip
    store = BatchStore.open(Path(batch_dir))
    manifest = store.manifest()
    method = (manifest.get("design") or {}).get("method")
    if method not in SENSITIVITY_METHODS:  # checked before the design is read: a batch
        # without a design stores no sample to read (it crashed here before)
        what = f"is {method!r}" if method and method != "none" else "is none (scenarios x " \
            "replications only)"
        raise FoedsimError(f"{batch_dir}: sensitivity indices need a sobol or morris design; "
                           f"this batch's design {what} (docs/BATCHES.md)")  # fmt: skip
    design = Design.from_dict(manifest["design"])
    summary = store.summary()
    if summary.empty:
        raise FoedsimError(f"{batch_dir}: no finished runs yet")
    all_scenarios = [sc["name"] for sc in manifest["scenarios"]]
    chosen = list(scenarios) if scenarios else all_scenarios
    for name in chosen:
        if name not in all_scenarios:
            raise FoedsimError(f"{batch_dir}: no scenario {name!r}; the batch has "
                               f"{', '.join(all_scenarios)}")  # fmt: skip
    kpi_years = _kpi_years(summary)
    available_years = sorted({y for ys in kpi_years.values() for y in ys})
    chosen_years = list(years) if years else available_years[-1:]
    frames = []
    for kpi in kpis:
        if kpi not in kpi_years:
            raise FoedsimError(f"{batch_dir}: no KPI {kpi!r} in the summary; it has "
                               f"{', '.join(sorted(kpi_years))}")  # fmt: skip
        for year in chosen_years:
            if year not in kpi_years[kpi]:
                raise FoedsimError(f"{batch_dir}: KPI {kpi!r} has no year {year}; it has "
                                   f"{min(kpi_years[kpi])}-{max(kpi_years[kpi])}")  # fmt: skip
            for name in chosen:
                rows = summary[summary["scenario"] == name]
                y = point_outputs(rows, f"{kpi}_{year}", design.n_points)
                table = analyze_design(design, y, resamples, conf_level, seed)
                table.insert(0, "year", year)
                table.insert(0, "kpi", kpi)
                table.insert(0, "scenario", name)
                frames.append(table)
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def _kpi_years(summary: pd.DataFrame) -> dict[str, set[int]]:
    """``{kpi: {years}}`` from the summary's ``KPI_YEAR`` columns."""
    out: dict[str, set[int]] = {}
    for col in summary.columns:
        head, _, year = str(col).rpartition("_")
        if head and len(year) == 4 and year.isdigit():
            out.setdefault(head, set()).add(int(year))
    return out
