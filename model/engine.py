"""The weekly engine: ``FederalModel``, a Mesa model of Germany's executing agencies.

Agencies are Mesa agents that know their row in columnar tables; the weekly flows run on numpy
arrays over all (agency, service) work pairs at once (no per-agent Python on the weekly path).
The step order is written once, in :data:`STEP_PLAN`, and printed by ``foedsim plan``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd

from model import agencies as ag
from model.catalogue import Catalogue, load_catalogue
from model.demand import (
    ArrivalSampler,
    Calendar,
    DemandSpec,
    cell_base_rates,
    cell_shock_shares,
    shock_schedule,
    weekly_seasonality,
)
from model.geography import Germany, load_germany, municipal_units
from model.processing import QueueState, fungible_fte, step_queues
from model.scenario import Scenario

STEP_PLAN: tuple[tuple[str, str], ...] = (
    ("events", "run the dated events due this week (programme openings, reforms)"),
    (
        "intake",
        "take this week's arrivals per (service, draw unit) cell and route them to the "
        "executing agency's work pair",
    ),  # fmt: skip
    ("staffing", "pool each agency's fungible staff share and share it by work pressure"),
    (
        "processing",
        "turn FTE into capacity; complete whole cases FIFO; carry backlog; sum lead times",
    ),  # fmt: skip
    (
        "recording",
        "add the week's flows to the (Land, level, service) aggregates and the "
        "conservation counters",
    ),  # fmt: skip
)
"""The weekly step, in order: (module, what it does)."""


def step_plan_text() -> str:
    """The step plan as numbered lines (for ``foedsim plan`` and docs/ODD.md)."""
    return "\n".join(f"{i}. {name}: {what}" for i, (name, what) in enumerate(STEP_PLAN, 1))


class Agency(mesa.Agent):
    """An executing agency; its state lives in the model's arrays at ``row``.

    Args:
        model: The model.
        row: Row in ``model.routing.agencies``.
    """

    level = "agency"

    def __init__(self, model: FederalModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def _info(self) -> pd.Series:
        return self.model.routing.agencies.iloc[self.row]

    @property
    def name(self) -> str:
        """Official name."""
        return str(self._info["name"])

    @property
    def key(self) -> str:
        """AGS / Verwaltung / Kreis key, or a synthetic key for Land and federal offices."""
        return str(self._info["key"])

    @property
    def population(self) -> int:
        """Persons living in the agency's territory (31.12.2024)."""
        return int(self._info["population"])

    def _per_service(self, values: np.ndarray) -> dict[str, float]:
        m = self.model
        pairs = m.agency_pairs(self.row)
        return {m.routing.services[m.pair_service[p]]: float(values[p]) for p in pairs}

    @property
    def staff_fte(self) -> dict[str, float]:
        """FTE per service (own staff, before pooling)."""
        return self._per_service(self.model.own_fte)

    @property
    def backlog(self) -> dict[str, int]:
        """Waiting cases per service."""
        return {k: int(v) for k, v in self._per_service(self.model.queues.backlog).items()}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key} {self.name!r}>"


class MunicipalAdministration(Agency):
    """A Gemeinde, Amt, Verbandsgemeinde, ... office (a kreisfreie Stadt is also its Kreis)."""

    level = "gemeinde"


class KreisAdministration(Agency):
    """A Landkreis / Kreis administration."""

    level = "kreis"


class Jobcenter(Agency):
    """A Jobcenter (Bürgergeld; BA and Kommune)."""

    level = "jobcenter"


class LandOffice(Agency):
    """A Land office executing one service for its Land."""

    level = "land"


class FederalAgency(Agency):
    """A federal agency executing one service nationwide."""

    level = "bund"


AGENT_CLASS = {
    "gemeinde": MunicipalAdministration,
    "kreis": KreisAdministration,
    "jobcenter": Jobcenter,
    "land": LandOffice,
    "bund": FederalAgency,
}


@dataclass
class Trace:
    """Per-pair, per-week arrays recorded for tests and debugging (small fixtures only)."""

    arrivals: list[np.ndarray] = field(default_factory=list)
    completions: list[np.ndarray] = field(default_factory=list)
    backlog: list[np.ndarray] = field(default_factory=list)
    lead_sum: list[np.ndarray] = field(default_factory=list)
    cum_arrivals: list[np.ndarray] = field(default_factory=list)
    cum_completions: list[np.ndarray] = field(default_factory=list)
    transfers_in: list[np.ndarray] = field(default_factory=list)
    transfers_out: list[np.ndarray] = field(default_factory=list)


# Weekly aggregate quantities (rows of the recording buffer).
AGG_FIELDS = ("arrivals", "completions", "backlog", "lead_sum", "staff_fte", "work_minutes",
              "over_4w", "over_8w", "over_12w")  # fmt: skip
LEAD_THRESHOLDS_WEEKS = (4.0, 8.0, 12.0)  # the KPI dictionary's share_cases_lead_over_*w


class FederalModel(mesa.Model):
    """Germany's executing agencies processing their cases week by week.

    Args:
        scenario: The resolved scenario.
        seed: Seed of all named random streams.
        catalogue: Service catalogue (default: the packaged one).
        germany: Geography (default: the packaged one).
        trace: Record per-pair weekly arrays (tests; memory grows with pairs x weeks).
        routing: Pre-built routing (tests use tiny hand-made ones).
        demand: Pre-built demand specification matching ``routing`` (tests).
        minutes_per_case: Per service code (with ``routing``).
        land_population: Persons per Land row (with ``routing``).
        running_case: Per service code, True for running-case services (with ``routing``).
        threads: Threads for drawing arrivals (results do not depend on it).
        arrivals: Fixed arrivals, shape (n_weeks, n_cells), instead of random draws (hand-
            checked fixtures, replays of recorded series); the warm-up is then skipped.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        catalogue: Catalogue | None = None,
        germany: Germany | None = None,
        trace: bool = False,
        routing: ag.Routing | None = None,
        demand: DemandSpec | None = None,
        minutes_per_case: np.ndarray | None = None,
        land_population: np.ndarray | None = None,
        running_case: np.ndarray | None = None,
        threads: int = 1,
        arrivals: np.ndarray | None = None,
    ) -> None:
        super().__init__(rng=seed)
        self.scenario = scenario
        self.seed = int(seed)
        p = scenario.parameters
        self.calendar = Calendar.from_dates(scenario.start, scenario.end)
        self.events: list[tuple[int, str, Callable[[], None]]] = []
        if routing is None:
            catalogue = catalogue or load_catalogue()
            germany = germany or load_germany()
            routing, demand, minutes_per_case, running_case = _build_from_catalogue(
                scenario, catalogue, germany, self.calendar
            )
            land_population = germany.laender["population"].to_numpy(np.float64)
        self.routing = routing
        self.demand = demand
        self.land_population = np.asarray(land_population, dtype=np.float64)
        pairs = routing.pairs
        self.n_pairs = len(pairs)
        self.pair_agency = pairs["agency"].to_numpy()
        self.pair_service = pairs["service"].to_numpy()
        self.n_agencies = len(routing.agencies)
        self.minutes = np.asarray(minutes_per_case, dtype=np.float64)[self.pair_service]
        self.running = np.asarray(running_case, dtype=bool)[self.pair_service]
        fte_minutes_year = float(p["fte_hours_per_year"]) * 60.0
        self.fte_minutes_week = fte_minutes_year / float(p["weeks_per_year"])
        self.productivity = float(p["productivity_factor"])
        self.fungible_share = float(p["fungible_share"])
        self.processing_weeks = self.minutes / (self.fte_minutes_week * self.productivity)
        r = routing
        self.threads = threads
        self.sampler = ArrivalSampler(self.seed, r.services, r.cell_service, threads=threads)
        self.base_rates = cell_base_rates(demand, r.cell_service, r.cell_population,
                                          self.land_population)  # fmt: skip
        self.shock_share = cell_shock_shares(demand, r.cell_service, r.cell_population,
                                             r.cell_land, self.land_population)  # fmt: skip

        # Initial staff: expected baseline work per week (seasonality averages 1 over a year;
        # no one-off programmes) at the 2023 utilisation target.
        weekly_cases = self._to_pairs(self.base_rates)
        self.expected_work = weekly_cases * self.minutes  # staff-minutes per week
        util = float(p["utilisation_2023"])
        self.own_fte = self.expected_work / (self.fte_minutes_week * self.productivity * util)

        self.queues = QueueState.empty(self.n_pairs)
        self.cum_arrivals = np.zeros(self.n_pairs, np.int64)
        self.cum_completions = np.zeros(self.n_pairs, np.int64)
        self.transfers_in = np.zeros(self.n_pairs, np.int64)
        self.transfers_out = np.zeros(self.n_pairs, np.int64)
        self.fixed_arrivals = None if arrivals is None else np.asarray(arrivals, dtype=np.int64)
        if self.fixed_arrivals is None:
            self._warm_up(int(p["warmup_weeks"]))

        starts = np.flatnonzero(np.r_[True, np.diff(pairs["group"].to_numpy()) != 0])
        self._group_starts = starts
        self._buf = np.zeros((len(AGG_FIELDS), self.n_pairs))
        self.weekly = np.zeros((self.calendar.n_weeks, len(AGG_FIELDS), len(starts)))
        self.year_snapshots: list[tuple[int, dict[str, np.ndarray]]] = []
        self._cum_lead = np.zeros(self.n_pairs)
        self._cum_fte = np.zeros(self.n_pairs)
        self._year_arrivals: np.ndarray | None = None
        self._year_start = 0
        self.week = 0
        self.trace = Trace() if trace else None

        self._agency_pair_order = np.argsort(self.pair_agency, kind="stable")
        self._agency_pair_start = np.searchsorted(self.pair_agency[self._agency_pair_order],
                                                  np.arange(self.n_agencies + 1))  # fmt: skip
        levels = routing.agencies["level"].to_numpy()
        for row in range(self.n_agencies):
            AGENT_CLASS[levels[row]](self, row)

    # --- helpers -------------------------------------------------------------------------
    def _to_pairs(self, per_cell: np.ndarray) -> np.ndarray:
        return np.bincount(self.routing.cell_pair, per_cell, minlength=self.n_pairs)

    def agency_pairs(self, row: int) -> np.ndarray:
        """Work pair indices of one agency."""
        lo, hi = self._agency_pair_start[row], self._agency_pair_start[row + 1]
        return self._agency_pair_order[lo:hi]

    def schedule(self, day: dt.date, name: str, action: Callable[[], None]) -> None:
        """Schedule a dated event: ``action`` runs at the start of the week containing ``day``.

        Mesa 3.3 has no dated events (3.5's ``schedule_event``), so foedsim keeps its own.
        """
        self.events.append((self.calendar.week_of(day), name, action))
        self.events.sort(key=lambda e: e[0])

    def _warm_up(self, weeks: int) -> None:
        """Run ``weeks`` weeks before the start at the first weeks' rates; discard their flows.

        Queues then start near their steady state for the initial utilisation, not empty.
        """
        if weeks <= 0:
            return
        n = min(weeks, self.calendar.n_weeks)
        sampler = ArrivalSampler(self.seed, self.routing.services, self.routing.cell_service,
                                 prefix="warmup", threads=self.threads)  # fmt: skip
        season = self.demand.season[:, :n]
        arrivals = sampler.draw(int(self.calendar.year[0]), self.base_rates, season,
                                np.zeros_like(season), self.shock_share)  # fmt: skip
        self.queues = QueueState.empty(self.n_pairs, t0=-float(weeks))
        for i in range(weeks):
            a = np.bincount(self.routing.cell_pair, arrivals[i % n], minlength=self.n_pairs)
            a = a.astype(np.int64)
            cap = self._capacity(self.own_fte)
            step_queues(self.queues, float(i - weeks), a, cap, self.processing_weeks)

    def _capacity(self, fte: np.ndarray) -> np.ndarray:
        return fte * self.fte_minutes_week * self.productivity / self.minutes

    # --- the weekly step -----------------------------------------------------------------
    def step(self) -> None:
        """Advance one week through :data:`STEP_PLAN`."""
        t = self.week
        # events
        while self.events and self.events[0][0] <= t:
            _, _, action = self.events.pop(0)
            action()
        # intake: arrivals are drawn a model year at a time (one call per service stream).
        if self.fixed_arrivals is not None:
            cell_arrivals = self.fixed_arrivals[t]
        else:
            if self._year_arrivals is None or t - self._year_start >= len(self._year_arrivals):
                self._draw_year(t)
            cell_arrivals = self._year_arrivals[t - self._year_start]
        arrivals = np.bincount(self.routing.cell_pair, cell_arrivals, minlength=self.n_pairs)
        arrivals = arrivals.astype(np.int64)
        # staffing
        work = self.expected_work + self.queues.backlog * self.minutes
        fte = fungible_fte(self.own_fte, self.pair_agency, self.n_agencies, work,
                           self.fungible_share)  # fmt: skip
        # processing
        flows = step_queues(self.queues, float(t), arrivals, self._capacity(fte),
                            self.processing_weeks)  # fmt: skip
        # recording
        self.cum_arrivals += arrivals
        self.cum_completions += flows.completions
        self._record(t, arrivals, flows.completions, flows.lead_sum, fte)
        self.week += 1

    def _draw_year(self, t: int) -> None:
        year = self.calendar.year[t]
        end = t + int(np.count_nonzero(self.calendar.year[t:] == year))
        d = self.demand
        weeks = slice(t, end)
        self._year_arrivals = self.sampler.draw(
            int(year), self.base_rates, d.season[:, weeks], d.shock_weekly[:, weeks],
            self.shock_share,
        )  # fmt: skip
        self._year_start = t

    def _record(self, t: int, arrivals, completions, lead_sum, fte) -> None:
        buf = self._buf
        buf[0] = arrivals
        buf[1] = completions
        buf[2] = self.queues.backlog
        buf[3] = lead_sum
        buf[4] = fte
        np.multiply(fte, self.fte_minutes_week, out=buf[5])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_lead = lead_sum / completions
        for i, limit in enumerate(LEAD_THRESHOLDS_WEEKS):
            np.multiply(completions, mean_lead > limit, out=buf[6 + i])
        self.weekly[t] = np.add.reduceat(buf, self._group_starts, axis=1)
        self._cum_lead += lead_sum
        self._cum_fte += fte
        last_week_of_year = t + 1 == self.calendar.n_weeks or (
            self.calendar.year[t + 1] != self.calendar.year[t]
        )
        if last_week_of_year:
            self.year_snapshots.append(
                (int(self.calendar.year[t]), {
                    "arrivals": self.cum_arrivals.copy(),
                    "completions": self.cum_completions.copy(),
                    "backlog": self.queues.backlog.copy(),
                    "lead_sum": self._cum_lead.copy(),
                    "fte_weeks": self._cum_fte.copy(),
                })
            )  # fmt: skip
        if self.trace is not None:
            tr = self.trace
            tr.arrivals.append(arrivals.copy())
            tr.completions.append(completions.copy())
            tr.backlog.append(self.queues.backlog.copy())
            tr.lead_sum.append(lead_sum.copy())
            tr.cum_arrivals.append(self.cum_arrivals.copy())
            tr.cum_completions.append(self.cum_completions.copy())
            tr.transfers_in.append(self.transfers_in.copy())
            tr.transfers_out.append(self.transfers_out.copy())

    def run(self) -> FederalModel:
        """Run every week of the scenario; return self (tables via :mod:`model.results`)."""
        while self.week < self.calendar.n_weeks:
            self.step()
        return self


def _build_from_catalogue(
    scenario: Scenario, cat: Catalogue, g: Germany, cal: Calendar
) -> tuple[ag.Routing, DemandSpec, np.ndarray, np.ndarray]:
    """Routing and demand of a scenario from the packaged catalogue and geography."""
    p = scenario.parameters
    svc = cat.services.set_index("service_id")
    active = [
        sid for sid in svc.index
        if (bool(svc.at[sid, "baseline"]) or sid in _shock_services(cat, scenario))
        and scenario.services.get(sid, {}).get("enabled", True)
    ]  # fmt: skip
    units = municipal_units(g, str(p["granularity"]))
    names = {sid: str(svc.at[sid, "name_de"]) for sid in active}
    routing = ag.build_routing(g, units, cat.execution, active, names)
    profiles = cat.seasonality.pivot(index="profile", columns="month", values="factor")
    monthly = profiles.loc[[svc.at[sid, "seasonality"] for sid in active]].to_numpy(np.float64)
    season = weekly_seasonality(monthly, cal)
    volume = np.array([float(svc.at[sid, "volume_per_year"]) if bool(svc.at[sid, "baseline"])
                       else 0.0 for sid in active])  # fmt: skip
    factor = np.array([float(scenario.services.get(sid, {}).get("volume_factor", 1.0))
                       for sid in active]) * float(p["volume_scale"])  # fmt: skip
    land_codes = list(g.laender["code"])
    shock_weekly, shock_mask = shock_schedule(cat.shocks, scenario.shocks, tuple(active), cal,
                                              land_codes)  # fmt: skip
    spec = DemandSpec(volume, season, shock_weekly * factor[:, None], shock_mask, factor)
    minutes = np.array([float(svc.at[sid, "minutes_per_case"]) for sid in active])
    running = np.array([svc.at[sid, "kind"] == "running_case" for sid in active])
    return routing, spec, minutes, running


def _shock_services(cat: Catalogue, scenario: Scenario) -> set[str]:
    by_id = cat.shocks.set_index("shock_id")
    return {str(by_id.at[s, "service_id"]) for s in scenario.shocks}
