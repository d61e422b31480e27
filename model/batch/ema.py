"""foedsim as an EMA Workbench model (optional extra: ``pip install 'foedsim[ema]'``).

The EMA Workbench (Kwakkel 2017, ``ema-workbench`` 2.5 on PyPI, Python >= 3.9) explores models
under deep uncertainty with the vocabulary this project already uses: *uncertainties* and
*levers* (the parameter registry's roles) and *outcomes* (the KPI dictionary). This adapter
maps them onto EMA's parameter and outcome classes; EMA's own samplers, evaluators and analyses
(PRIM, feature scoring, MORDM) then work on foedsim unchanged.

The mapping is plain data first (:func:`parameter_specs`, :func:`outcome_specs`), so it can be
inspected and tested without the package; :func:`make_ema_model` turns it into EMA objects and
imports ``ema_workbench`` only when called. Importing this module never needs it.

- A registry ``uncertainty`` becomes an uncertainty, a ``lever`` a lever; ``constant``\\ s are
  not exposed. Whole-number parameters (default and range whole, e.g. weeks) become
  ``IntegerParameter``, other numbers
  ``RealParameter`` over the registry's ``low``-``high`` range, choices ``CategoricalParameter``.
- A KPI becomes a ``ScalarOutcome`` per year (``KPI_YEAR``, nationwide value, the same names as
  the batch summary) with kind MINIMIZE, MAXIMIZE or INFO from the KPI's ``better``, or a
  ``TimeSeriesOutcome`` (one value per simulated year).
- Seeds: without replications, a plain ``Model`` runs each experiment once with the constant
  ``seed``. With replications, a ``ReplicatorModel`` passes one ``seed`` per replication (e.g.
  from :func:`model.batch.design.replication_seeds`, as in batches: common random numbers) and
  each outcome is the mean over the replications (per year for time series), as in
  :mod:`model.batch.sensitivity`; ``ScalarOutcome`` must be one number per experiment for EMA's
  PRIM and optimisation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model.batch.spec import is_integer_parameter
from model.errors import FoedsimError
from model.kpis import KPIS
from model.parameters import REGISTRY, Parameter, Registry

EMA_ROLES = {"uncertainty": "uncertainty", "lever": "lever"}
OUTCOME_KIND = {"lower": "minimize", "higher": "maximize", "neutral": "info"}


def _spec(p: Parameter) -> dict[str, Any] | None:
    """One registry parameter as an EMA parameter spec (None if EMA cannot vary it)."""
    base = {"name": p.name, "kind": EMA_ROLES[p.role], "default": p.default, "unit": p.unit}
    if p.is_categorical:
        return {**base, "type": "categorical", "categories": list(p.choices or ())}
    if p.low is None or p.high is None:
        return None  # a numeric lever without a plausible range: set it in scenario files
    if is_integer_parameter(p):
        return {**base, "type": "integer", "low": int(p.low), "high": int(p.high)}
    return {**base, "type": "real", "low": float(p.low), "high": float(p.high)}


def parameter_specs(registry: Registry = REGISTRY) -> list[dict[str, Any]]:
    """The registry's uncertainties and levers as EMA parameter specs (plain dicts).

    Returns:
        One dict per parameter, in registry order: ``name``, ``kind`` (``uncertainty`` or
        ``lever``), ``type`` (``real``, ``integer`` or ``categorical``), ``low``/``high`` or
        ``categories``, ``default``, ``unit``.
    """
    specs = []
    for p in registry.parameters:
        if p.role in EMA_ROLES:
            spec = _spec(p)
            if spec is not None:
                specs.append(spec)
    return specs


def outcome_specs(kpis: Sequence[str] | None = None, years: Sequence[int] | None = None
                  ) -> list[dict[str, Any]]:  # fmt: skip
    """KPIs of the KPI dictionary as EMA outcome specs (plain dicts).

    Args:
        kpis: KPI names (default: every KPI of the dictionary).
        years: Scalar outcomes ``KPI_YEAR`` for these years; None gives one time series
            outcome per KPI instead.

    Returns:
        One dict per outcome: ``name``, ``kpi``, ``year`` (None for a time series), ``type``
        (``scalar`` or ``timeseries``), ``kind`` (``minimize``, ``maximize`` or ``info``),
        ``unit``.

    Raises:
        FoedsimError: An unknown KPI name.
    """
    by_name = {k.name: k for k in KPIS}
    names = list(kpis) if kpis is not None else list(by_name)
    for name in names:
        if name not in by_name:
            raise FoedsimError(f"unknown KPI {name!r}; see `foedsim kpis`")
    specs = []
    for name in names:
        kpi = by_name[name]
        kind = OUTCOME_KIND[kpi.better]
        if years is None:
            specs.append({"name": name, "kpi": name, "year": None, "type": "timeseries",
                          "kind": "info", "unit": kpi.unit})  # fmt: skip
        else:
            for year in years:
                specs.append({"name": f"{name}_{year}", "kpi": name, "year": int(year),
                              "type": "scalar", "kind": kind, "unit": kpi.unit})  # fmt: skip
    return specs


class FoedsimFunction:
    """A picklable callable ``f(seed=0, **parameters) -> {outcome: value}`` for EMA's models.

    Args:
        scenario: Scenario file whose values the parameters override.
        outcomes: From :func:`outcome_specs`.
        end: Optional last simulated day (a shorter horizon than the scenario's).
        threads: Threads for drawing arrivals inside one run.
    """

    def __init__(self, scenario: str | Path, outcomes: list[dict[str, Any]],
                 end: dt.date | None = None, threads: int = 1) -> None:  # fmt: skip
        self.scenario = str(scenario)
        self.outcomes = outcomes
        self.end = end
        self.threads = threads

    def __call__(self, seed: int = 0, **parameters: Any) -> dict[str, Any]:
        """Run the scenario with ``parameters`` and ``seed``; return the outcomes.

        Raises:
            FoedsimError: A value outside the parameter's bounds or choices.
        """
        import numpy as np

        from model.batch.worker import kpi_columns
        from model.runner import run_scenario

        sc = _load(self.scenario, self.end)
        values = {k: (v.item() if hasattr(v, "item") else v) for k, v in parameters.items()}
        sc = sc.with_parameters(**values)
        kpis = run_scenario(sc, seed=int(seed), tables="kpis", threads=self.threads).tables["kpis"]
        flat = kpi_columns(kpis)
        out: dict[str, Any] = {}
        for spec in self.outcomes:
            if spec["type"] == "scalar":
                out[spec["name"]] = flat.get(spec["name"], float("nan"))
            else:
                prefix = f"{spec['kpi']}_"
                series = [v for k, v in flat.items()
                          if k.startswith(prefix) and k[len(prefix):].isdigit()]  # fmt: skip
                out[spec["name"]] = np.array(series)
        return out


def _load(scenario: str | Path, end: dt.date | None) -> Any:
    from model.scenario import load_scenario

    sc = load_scenario(scenario)
    if end is not None:
        sc = dataclasses.replace(sc, end=end)
    return sc


def mean_over_replications(values: Sequence[Any]) -> Any:
    """One outcome's replications (numbers, or equally long arrays) averaged element-wise.

    A module-level function (not a lambda) so that EMA's multiprocessing evaluator can pickle
    the outcomes that use it.
    """
    import numpy as np

    mean = np.mean(np.asarray(values, dtype=float), axis=0)
    return float(mean) if mean.ndim == 0 else mean


def make_ema_model(
    scenario: str | Path,
    uncertainties: Sequence[str] | None = None,
    levers: Sequence[str] | None = None,
    kpis: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    replications: Sequence[int] | None = None,
    end: dt.date | None = None,
    name: str = "foedsim",
    seed: int = 0,
) -> Any:
    """An EMA Workbench model of foedsim.

    Args:
        scenario: The scenario file the sampled values override.
        uncertainties: Registry uncertainties to expose (default: all with a range).
        levers: Registry levers to expose (default: all with a range or choices).
        kpis: Outcome KPIs (default: all).
        years: Scalar outcomes for these years (within the simulated years); None for one
            time series per KPI.
        replications: Seeds (e.g. ``replication_seeds(base_seed, n)``); None for one run per
            experiment with ``seed`` (a plain ``Model``), else a ``ReplicatorModel`` whose
            outcomes are the means over the replications.
        end: Optional shorter horizon (last simulated day).
        name: EMA model name (letters and digits only).
        seed: The seed of every run when ``replications`` is None (an EMA ``Constant``).

    Returns:
        An ``ema_workbench.Model`` or ``ReplicatorModel``.

    Raises:
        FoedsimError: ema_workbench is not installed, the scenario file is invalid, a name is
            not in the registry, a year is outside the simulated years, or replications is
            empty.
    """
    try:
        import ema_workbench as ema
    except ImportError:
        raise FoedsimError("the EMA adapter needs ema-workbench: pip install 'foedsim[ema]' "
                           "(or pip install 'ema-workbench>=2.5,<4')") from None  # fmt: skip
    if not name.isalnum():
        raise FoedsimError(f"EMA model name {name!r}: letters and digits only")
    sc = _load(scenario, end)  # fail early, with the scenario loader's one-line errors
    first, last = sc.start.year, sc.end.year
    for year in years or ():
        if not first <= int(year) <= last:
            raise FoedsimError(f"outcome year {year} is outside the simulated years "
                               f"{first}-{last} of {scenario}")  # fmt: skip
    if replications is not None and len(replications) == 0:
        raise FoedsimError("replications: give at least one seed (or None for one run)")
    specs = {s["name"]: s for s in parameter_specs()}
    chosen = {"uncertainty": uncertainties, "lever": levers}
    params: dict[str, list[Any]] = {"uncertainty": [], "lever": []}
    for kind, names in chosen.items():
        pool = [s for s in specs.values() if s["kind"] == kind]
        selected = list(names) if names is not None else [s["name"] for s in pool]
        for n in selected:
            if n not in specs or specs[n]["kind"] != kind:
                raise FoedsimError(f"{n!r} is not a registry {kind} with a range; see "
                                   "`foedsim params`")  # fmt: skip
            params[kind].append(_ema_parameter(ema, specs[n]))
    outcomes = outcome_specs(kpis, years)
    function = FoedsimFunction(Path(scenario).resolve(), outcomes, end=end)
    replicated = replications is not None
    if replicated:
        model = ema.ReplicatorModel(name, function=function)
        model.replications = [{"seed": int(s)} for s in replications]
    else:
        model = ema.Model(name, function=function)
        model.constants = [ema.Constant("seed", int(seed))]
    model.uncertainties = params["uncertainty"]
    model.levers = params["lever"]
    model.outcomes = [_ema_outcome(ema, s, replicated) for s in outcomes]
    return model


def _ema_parameter(ema: Any, spec: dict[str, Any]) -> Any:
    if spec["type"] == "categorical":
        return ema.CategoricalParameter(spec["name"], spec["categories"])
    if spec["type"] == "integer":
        return ema.IntegerParameter(spec["name"], spec["low"], spec["high"])
    return ema.RealParameter(spec["name"], spec["low"], spec["high"])


def _ema_outcome(ema: Any, spec: dict[str, Any], replicated: bool) -> Any:
    function = mean_over_replications if replicated else None
    if spec["type"] == "timeseries":
        return ema.TimeSeriesOutcome(spec["name"], function=function)
    kind = {"minimize": ema.ScalarOutcome.MINIMIZE, "maximize": ema.ScalarOutcome.MAXIMIZE,
            "info": ema.ScalarOutcome.INFO}[spec["kind"]]  # fmt: skip
    return ema.ScalarOutcome(spec["name"], kind=kind, function=function)
