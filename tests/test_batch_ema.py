"""EMA Workbench adapter (issue 8, point 8).

The mapping (plain data) and the model function are tested without ema_workbench; the EMA tests
(installed by the ``dev`` and ``ema`` extras, so CI runs them) drive the adapter through EMA's
own ``perform_experiments`` on a one-year, two-service scenario and compare every outcome with
a direct ``run_scenario`` of the sampled values and seeds."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from test_batch_fixture import write_tiny_scenario

from model.batch.ema import (
    FoedsimFunction,
    make_ema_model,
    mean_over_replications,
    outcome_specs,
    parameter_specs,
)
from model.batch.worker import kpi_columns
from model.errors import FoedsimError
from model.kpis import KPIS
from model.parameters import REGISTRY, Parameter, Registry
from model.runner import run_scenario
from model.scenario import load_scenario

HAVE_EMA = importlib.util.find_spec("ema_workbench") is not None


def test_registry_maps_to_ema_parameters():
    specs = {s["name"]: s for s in parameter_specs()}
    for p in REGISTRY.parameters:
        if p.role == "constant":
            assert p.name not in specs  # constants are not exposed
            continue
        if not p.is_categorical and p.low is None:
            assert p.name not in specs  # no range to sample
            continue
        s = specs[p.name]
        assert s["kind"] == p.role and s["default"] == p.default
        if p.is_categorical:
            assert s["type"] == "categorical" and s["categories"] == list(p.choices)
        else:
            assert (s["low"], s["high"]) == (p.low, p.high)
            assert s["type"] in ("integer", "real")
    # hand-checked examples from the registry
    assert specs["warmup_weeks"] == {"name": "warmup_weeks", "kind": "uncertainty",
                                     "type": "integer", "low": 13, "high": 52, "default": 26,
                                     "unit": "weeks"}  # fmt: skip
    assert specs["granularity"]["type"] == "categorical"
    assert specs["granularity"]["kind"] == "lever"
    assert specs["volume_scale"]["type"] == "real"


def test_whole_numbers_only_where_default_and_range_are_whole():
    def param(name, default, low, high):
        return Parameter(name, default, "1", "test", "uncertainty", "test",
                         assumption="test", low=low, high=high)  # fmt: skip

    registry = Registry((param("weeks", 26, 13, 52), param("age", 64, 63, 66.5),
                         param("share", 0.5, 0.0, 1.0)))  # fmt: skip
    types = {s["name"]: s["type"] for s in parameter_specs(registry)}
    assert types == {"weeks": "integer", "age": "real", "share": "real"}


def test_kpis_map_to_ema_outcomes():
    scalars = outcome_specs(["backlog_cases", "completions_cases", "arrivals_cases"], [2030])
    assert [(s["name"], s["kind"]) for s in scalars] == [
        ("backlog_cases_2030", "minimize"), ("completions_cases_2030", "maximize"),
        ("arrivals_cases_2030", "info")]  # fmt: skip
    series = outcome_specs()
    assert [s["name"] for s in series] == [k.name for k in KPIS]
    assert {s["type"] for s in series} == {"timeseries"}
    with pytest.raises(FoedsimError, match="unknown KPI"):
        outcome_specs(["backlog"])


def test_model_function_returns_the_outcomes_of_a_run(tmp_path):
    path = write_tiny_scenario(tmp_path)
    outcomes = outcome_specs(["backlog_cases"], [2023]) + outcome_specs(["staff_fte"])
    f = FoedsimFunction(path, outcomes)
    got = f(seed=4, volume_scale=np.float64(1.1), granularity="verwaltung")
    direct = run_scenario(load_scenario(path).with_parameters(volume_scale=1.1), seed=4)
    flat = kpi_columns(direct.tables["kpis"])
    assert got["backlog_cases_2023"] == flat["backlog_cases_2023"]
    assert np.array_equal(got["staff_fte"], [flat["staff_fte_2023"]])
    with pytest.raises(FoedsimError):  # values are validated like scenario files
        f(volume_scale=500.0)


def test_replications_are_averaged_element_wise():
    assert mean_over_replications([1.0, 2.0, 6.0]) == 3.0
    assert isinstance(mean_over_replications([1, 2]), float)
    series = mean_over_replications([np.array([1.0, 10.0]), np.array([3.0, 20.0])])
    assert np.array_equal(series, [2.0, 15.0])


def test_make_ema_model_without_the_package_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import now raises ImportError
    with pytest.raises(FoedsimError, match=r"pip install 'foedsim\[ema\]'"):
        make_ema_model(write_tiny_scenario(tmp_path))


needs_ema = pytest.mark.skipif(not HAVE_EMA, reason="ema_workbench not installed: "
                               "pip install -c constraints.txt -e '.[ema]'")  # fmt: skip


def _direct(path, seed, **values):
    """KPI columns of a direct run (the reference the EMA outcomes must equal)."""
    sc = load_scenario(path).with_parameters(**values)
    return kpi_columns(run_scenario(sc, seed=seed, tables="kpis").tables["kpis"])


@needs_ema
@pytest.mark.filterwarnings("ignore:ipyparallel not installed")
def test_ema_model_runs_experiments(tmp_path):
    import ema_workbench as ema

    path = write_tiny_scenario(tmp_path, end="2023-12-31")  # one year, two services
    seeds = [11, 12]
    model = make_ema_model(path, uncertainties=["volume_scale", "warmup_weeks"],
                           levers=["within_week_queueing"], kpis=["backlog_cases"],
                           years=[2023], replications=seeds)  # fmt: skip
    assert isinstance(model, ema.ReplicatorModel)
    assert model.outcomes["backlog_cases_2023"].kind == ema.ScalarOutcome.MINIMIZE
    experiments, outcomes = ema.perform_experiments(
        model, scenarios=2, policies=1, evaluator=ema.SequentialEvaluator(model))
    assert len(experiments) == 2 and set(outcomes) == {"backlog_cases_2023"}
    assert outcomes["backlog_cases_2023"].shape == (2,)
    # sampled values inside the registry's ranges and choices
    assert experiments["volume_scale"].between(0.8, 1.2).all()
    assert experiments["warmup_weeks"].between(13, 52).all()
    assert experiments["warmup_weeks"].dtype.kind == "i"  # an IntegerParameter: whole weeks
    assert set(experiments["within_week_queueing"]) <= {"erlang", "none"}
    # each outcome is the mean over the replication seeds of a direct run with the same values
    for i, row in experiments.iterrows():
        values = {"volume_scale": float(row["volume_scale"]),
                  "warmup_weeks": int(row["warmup_weeks"]),
                  "within_week_queueing": str(row["within_week_queueing"])}  # fmt: skip
        runs = [_direct(path, s, **values)["backlog_cases_2023"] for s in seeds]
        assert outcomes["backlog_cases_2023"][i] == pytest.approx(np.mean(runs), rel=1e-12)
    # the sampled values reached the model: different demand, different backlog
    assert outcomes["backlog_cases_2023"][0] != outcomes["backlog_cases_2023"][1]


@needs_ema
@pytest.mark.filterwarnings("ignore:ipyparallel not installed")
def test_ema_model_without_replications_runs_once_with_its_seed(tmp_path):
    import ema_workbench as ema

    path = write_tiny_scenario(tmp_path, end="2023-12-31")
    model = make_ema_model(path, uncertainties=["volume_scale"], levers=[],
                           kpis=["staff_fte"], seed=5)  # fmt: skip
    assert isinstance(model, ema.Model) and not isinstance(model, ema.ReplicatorModel)
    assert isinstance(model.outcomes["staff_fte"], ema.TimeSeriesOutcome)
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=1)
    assert outcomes["staff_fte"].shape == (1, 1)  # one experiment x one simulated year
    direct = _direct(path, 5, volume_scale=float(experiments["volume_scale"][0]))
    assert outcomes["staff_fte"][0, 0] == direct["staff_fte_2023"]


@needs_ema
def test_make_ema_model_rejects_bad_input_in_one_line(tmp_path):
    path = write_tiny_scenario(tmp_path, end="2023-12-31")
    with pytest.raises(FoedsimError, match="outcome year 2030 is outside the simulated years"):
        make_ema_model(path, kpis=["backlog_cases"], years=[2030])
    with pytest.raises(FoedsimError, match="'utilisation_2023' is not a registry lever"):
        make_ema_model(path, levers=["utilisation_2023"])
    with pytest.raises(FoedsimError, match="letters and digits only"):
        make_ema_model(path, name="foed-sim")
    with pytest.raises(FoedsimError, match="at least one seed"):
        make_ema_model(path, replications=[])
