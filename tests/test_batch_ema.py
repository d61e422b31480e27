"""EMA Workbench adapter (issue 8, point 8). ema_workbench needs Python >= 3.12, so without it
the mapping (plain data) and the model function are tested, and the EMA test is skipped."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from test_batch_fixture import write_tiny_scenario

from model.batch.ema import FoedsimFunction, make_ema_model, outcome_specs, parameter_specs
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


@pytest.mark.skipif(HAVE_EMA, reason="ema_workbench is installed")
def test_make_ema_model_without_the_package_is_a_one_line_error(tmp_path):
    with pytest.raises(FoedsimError, match="pip install ema_workbench"):
        make_ema_model(write_tiny_scenario(tmp_path))


@pytest.mark.skipif(not HAVE_EMA, reason="ema_workbench needs Python >= 3.12; not installed")
def test_ema_model_runs_experiments(tmp_path):
    from ema_workbench import SequentialEvaluator

    model = make_ema_model(write_tiny_scenario(tmp_path), uncertainties=["volume_scale"],
                           levers=[], kpis=["backlog_cases"], years=[2023],
                           replications=[0, 1])  # fmt: skip
    assert [u.name for u in model.uncertainties] == ["volume_scale"]
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=2)
    assert len(experiments) == 2 and "backlog_cases_2023" in outcomes
