"""One office in the weekly engine: the same routine as Germany, on a single work pair.

Used to check the weekly engine against the case-level simpy model (:mod:`model.des`) and
queueing theory: one agency, one service, one demand cell, Poisson arrivals at a constant
weekly rate, a given number of FTE and minutes per case, no fungible staff, no warm-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.agencies import DRAW_LEVELS, LEVELS, Routing
from model.demand import Calendar, DemandSpec
from model.engine import FederalModel
from model.parameters import REGISTRY
from model.scenario import Scenario

START = dt.date(2023, 1, 2)
OFFICE_POPULATION = 100_000.0  # any population: the single cell takes all demand
WEEKS_PER_YEAR = 52.0  # the catalogue convention: volumes per year of 52 weeks


@dataclass(frozen=True)
class OfficeOutcome:
    """What one weekly-engine office run gives.

    Attributes:
        weekly: Per week ``arrivals``, ``completions``, ``backlog``, ``lead_sum``.
        mean_lead_time_weeks: Case-weighted mean lead time over all completions.
        final_backlog: Cases waiting at the end.
    """

    weekly: pd.DataFrame
    mean_lead_time_weeks: float
    final_backlog: float


def office_routing(populations: tuple[float, ...] = (OFFICE_POPULATION,)) -> Routing:
    """One service executed by ``len(populations)`` municipal agencies, each in its own Land
    (rows 0, 1, ...) with one demand cell of the given population."""
    n = len(populations)
    gemeinde = LEVELS.index("gemeinde")
    keys = [chr(ord("A") + i) for i in range(n)]
    lands = [f"{i + 1:02d}" for i in range(n)]
    return Routing(
        agencies=pd.DataFrame(
            {
                "key": keys,
                "name": [f"Agency {k}" for k in keys],
                "level": "gemeinde",
                "land": lands,
                "kreis": [f"{land}001" for land in lands],
                "unit_row": range(n),
                "population": [int(p) for p in populations],
            }
        ),  # fmt: skip
        services=("svc",),
        cell_service=np.zeros(n, dtype=np.int64),
        cell_unit=np.arange(n),
        cell_population=np.array(populations, dtype=np.float64),
        cell_land=np.arange(n),
        cell_pair=np.arange(n),
        pairs=pd.DataFrame(
            {
                "agency": range(n),
                "service": 0,
                "land_row": range(n),
                "level": gemeinde,
                "group": range(n),
            }
        ),  # fmt: skip
        groups=pd.DataFrame({"land": lands, "level": "gemeinde", "service_id": "svc"}),
        draw_level=np.array([DRAW_LEVELS.index("unit")]),
    )


def run_weekly_office(
    arrival_rate_per_week: float,
    fte: float,
    minutes_per_case: float,
    weeks: int,
    seed: int,
    kernel: str = "numba",
    arrivals: np.ndarray | None = None,
) -> OfficeOutcome:
    """Run one office through the weekly engine.

    Args:
        arrival_rate_per_week: Poisson arrivals per week (constant).
        fte: Staff (FTE) on the service.
        minutes_per_case: Staff minutes per case.
        weeks: Weeks to simulate, starting with an empty queue.
        seed: Seed of the arrival streams.
        kernel: The engine's kernel.
        arrivals: Fixed weekly arrival counts (length ``weeks``) instead of Poisson draws, e.g.
            the same counts a case-level run used (common random numbers across the models).
    """
    end = START + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)
    params = REGISTRY.defaults()
    # one office with fixed staff and its own given minutes per case (as in the DES): no
    # spread of pace between offices (office_productivity_sd)
    params.update(fungible_share=0.0, warmup_weeks=0, productivity_factor=1.0,
                  staff_model="constant", office_productivity_sd=0.0)  # fmt: skip
    scenario = Scenario("office", "One office (model/office.py).", (), START, end, params)
    n_weeks = Calendar.from_dates(START, end).n_weeks
    demand = DemandSpec(
        annual_volume=np.array([arrival_rate_per_week * WEEKS_PER_YEAR]),
        season=np.ones((1, n_weeks)),
        shock_weekly=np.zeros((1, n_weeks)),
        shock_land_mask=np.ones((1, 1), dtype=bool),
        volume_factor=np.array([1.0]),
    )
    model = FederalModel(
        scenario, seed, routing=office_routing(), demand=demand,
        minutes_per_case=np.array([minutes_per_case]),
        land_population=np.array([OFFICE_POPULATION]), running_case=np.array([False]),
        kernel=kernel,
        arrivals=None if arrivals is None else np.asarray(arrivals, dtype=np.int64)[:, None],
    )  # fmt: skip
    model.set_own_fte(np.array([fte]))
    model.run()
    w = model.weekly[:, :4, 0]
    weekly = pd.DataFrame(w, columns=["arrivals", "completions", "backlog", "lead_sum"])
    done = weekly["completions"].sum()
    return OfficeOutcome(
        weekly=weekly,
        mean_lead_time_weeks=float(weekly["lead_sum"].sum() / done) if done else float("nan"),
        final_backlog=float(model.queues.backlog[0]),
    )
