"""A hand-checkable two-agency fixture for the weekly engine (used by tests/test_engine.py).

One service ``svc`` (96 minutes per case), two municipal agencies in two Länder, one demand
cell each, so two work pairs and two (Land, level, service) groups:

========  ====  ==============  ==================  ===================  ================
agency    Land  cell population  expected cases/wk  fixed arrivals/wk    capacity/wk
========  ====  ==============  ==================  ===================  ================
A         01    4,000            4                   10                   8
B         02    5,000            5                   5                    10
========  ====  ==============  ==================  ===================  ================

Expected weekly cases are ``annual_volume x cell population / total Land population / 52``
= 832 x 4,000 / 16,000 / 52 = 4 for A and 832 x 5,000 / 16,000 / 52 = 5 for B. Staff are sized
at utilisation 0.5, so capacity = expected / 0.5: 8 and 10 cases a week. (One utilisation for
both agencies fixes capacity/expected at 2 everywhere, so A's fixed arrivals are a surge of
10 a week above its expected 4; B's arrivals equal its expected cases.)

The numbers are chosen so that every intermediate value is exact in binary floating point
(population shares 1/4 and 5/16; with 96 minutes, productivity 1 and 0.5 the staff round
trip FTE -> capacity gives exactly 8.0 and 10.0), so whole-case completions are not disturbed
by rounding. ``scale`` multiplies demand (volume and fixed arrivals), hence staff.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from model.agencies import Routing
from model.demand import Calendar, DemandSpec
from model.engine import FederalModel
from model.office import office_routing
from model.parameters import REGISTRY
from model.scenario import Scenario

START = dt.date(2023, 1, 2)
END = dt.date(2023, 3, 31)  # 13 weeks
MINUTES = 96.0
UTILISATION = 0.5
PRODUCTIVITY = 1.0
ANNUAL_VOLUME = 832.0
CELL_POPULATION = (4000.0, 5000.0)
LAND_POPULATION = (8000.0, 8000.0)
ARRIVALS_PER_WEEK = (10, 5)  # A, B
EXPECTED_PER_WEEK = (4.0, 5.0)
CAPACITY_PER_WEEK = (8.0, 10.0)


def fixture_scenario(**overrides) -> Scenario:
    """The fixture's scenario: registry defaults except no fungible staff, utilisation 0.5,
    offices at the catalogue's pace and the pure fluid FIFO rule (no within-week queueing
    term)."""
    params = REGISTRY.defaults()
    params.update(
        fungible_share=0.0,
        utilisation_2023=UTILISATION,
        productivity_factor=PRODUCTIVITY,
        within_week_queueing="none",  # the hand check is of the fluid FIFO rule itself
        office_productivity_sd=0.0,  # offices at the catalogue's pace (hand-checked numbers)
        staff_model="constant",  # known staff; the staffing module has its own tests
    )  # warmup_weeks stays at its default: fixed arrivals skip the warm-up
    params.update(overrides)
    return Scenario(
        name="engine_fixture",
        description="Two agencies, one service, fixed arrivals (tests/engine_fixture.py).",
        files=(),
        start=START,
        end=END,
        parameters=params,
    )


def fixture_routing() -> Routing:
    """Two municipal agencies (A in Land 01, B in Land 02), one service, one cell each."""
    return office_routing(CELL_POPULATION)


def fixture_model(
    scale: int = 1,
    arrivals: np.ndarray | None = None,
    scenario: Scenario | None = None,
    seed: int = 0,
    outside: np.ndarray | None = None,
    kernel: str = "numba",
) -> FederalModel:
    """The fixture model with tracing on (not yet run).

    Args:
        scale: Multiplier on demand: annual volume and fixed arrivals (staff follow).
        arrivals: Fixed arrivals (weeks x 2 cells) instead of the constant (10, 5) x scale.
        scenario: Instead of :func:`fixture_scenario`.
        seed: The model's seed (unused by fixed arrivals).
        outside: Shape (2, 1): the service's outside-wait share and mean (weeks), or None
            for none (see :mod:`model.stages`).
        kernel: ``"numba"`` or the ``"numpy"`` reference.
    """
    scenario = scenario or fixture_scenario()
    n_weeks = Calendar.from_dates(scenario.start, scenario.end).n_weeks
    if arrivals is None:
        arrivals = np.tile(np.array(ARRIVALS_PER_WEEK, dtype=np.int64) * scale, (n_weeks, 1))
    demand = DemandSpec(
        annual_volume=np.array([ANNUAL_VOLUME * scale]),
        season=np.ones((1, n_weeks)),
        shock_weekly=np.zeros((1, n_weeks)),
        shock_land_mask=np.ones((1, len(LAND_POPULATION)), dtype=bool),
        volume_factor=np.array([1.0]),
    )
    return FederalModel(
        scenario,
        seed,
        routing=fixture_routing(),
        demand=demand,
        minutes_per_case=np.array([MINUTES]),
        land_population=np.array(LAND_POPULATION),
        running_case=np.array([False]),
        arrivals=arrivals,
        trace=True,
        outside=outside,
        kernel=kernel,
    )
