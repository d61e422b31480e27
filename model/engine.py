"""The weekly engine: ``FederalModel``, a Mesa model of Germany's executing agencies.

Agencies are Mesa agents that know their row in columnar tables; the weekly flows run on numpy
arrays over all (agency, service) work pairs at once (no per-agent Python on the weekly path).
The step order is written once, in :data:`STEP_PLAN`, and printed by ``foedsim plan``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import mesa
import numpy as np

from model import agencies as ag
from model.agents import AGENT_CLASS
from model.build import build_from_catalogue
from model.catalogue import Catalogue, load_catalogue
from model.demand import (
    DRAW_AHEAD_YEARS,
    ArrivalSampler,
    Calendar,
    DemandSpec,
    DrawJob,
    cell_base_rates,
    cell_shock_shares,
)
from model.geography import Germany, load_germany
from model.kernel import (
    QUEUED_SHARE_MIN,
    WorkUnit,
    add_columns_to_rows,
    advance_block,
    agency_backlog_pressed,
    agency_waits,
    normal_draws,
    office_factors,
    staffing_quantities,
    work_units,
)
from model.migration import (
    CENTRAL,
    ExecutionRuntime,
    apply_redirects,
    quarter_step,
    setup_execution,
)
from model.processing import WHOLE_CASE_TOLERANCE, QueueState, step_queues
from model.scenario import Scenario
from model.staffing import StaffSettings, Workforce, working_age_population
from model.stages import load_stages
from model.streams import make_stream, stream_key

STEP_PLAN: tuple[tuple[str, str], ...] = (
    (
        "events",
        "run the dated events due this week: programme openings and closings, and in the "
        "first week of each quarter the execution modes (migration waves, handovers, EfA, "
        "automation; model/migration.py) and the staffing step (age, exits, hiring, learning "
        "curve; model/staffing.py)",
    ),  # fmt: skip
    (
        "intake",
        "take this week's arrivals per (service, draw unit) cell and route them to the "
        "executing agency's work pair",
    ),  # fmt: skip
    (
        "staffing",
        "pool each agency's fungible staff share and share it by work pressure "
        "(only agencies with work this week)",
    ),  # fmt: skip
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


TRACE_FIELDS = ("arrivals", "completions", "backlog", "lead_sum", "cum_arrivals",
                "cum_completions", "transfers_in", "transfers_out")  # fmt: skip


class Trace:
    """Per-pair, per-week arrays recorded for tests and debugging (small fixtures only).

    Each field is an array of shape (n_weeks, n_pairs): ``arrivals``, ``completions``,
    ``backlog`` (end of week), ``lead_sum``, the cumulative counters ``cum_arrivals`` and
    ``cum_completions``, and ``transfers_in`` / ``transfers_out`` (cumulative).
    """

    def __init__(self, n_weeks: int, n_pairs: int) -> None:
        for name in TRACE_FIELDS:
            setattr(self, name, np.zeros((n_weeks, n_pairs)))


# Weekly aggregate quantities (rows of the recording buffer).
AGG_FIELDS = ("arrivals", "completions", "backlog", "lead_sum", "staff_fte", "work_minutes",
              "over_4w", "over_8w", "over_12w", "office_lead_sum",
              "auto_completions")  # fmt: skip
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
        block_size: Work pairs processed together (a cache-size setting; results do not
            depend on it beyond floating-point rounding of the aggregates).
        kernel: ``"numba"`` (compiled weekly loop, the default) or ``"numpy"`` (the array
            reference, for debugging); both give the same results.
        demography: Demand index per service code, Land row and model year (the calendar's
            years in order), shape (n_services, 16, n_years) (see :mod:`model.demography`);
            None: demand does not change over the years.
        outside: Shape (2, n_services): per service code the share of applications that wait
            outside the office and their mean outside wait (weeks) (:mod:`model.stages`);
            None: from the stage table for models built from the catalogue with ``case_path
            = "stages"``, else no outside waits.
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
        block_size: int = 16384,
        kernel: str = "numba",
        demography: np.ndarray | None = None,
        outside: np.ndarray | None = None,
        office_stock: np.ndarray | None = None,
    ) -> None:
        super().__init__(rng=seed)
        self.scenario = scenario
        self.seed = int(seed)
        p = scenario.parameters
        self.calendar = Calendar.from_dates(scenario.start, scenario.end)
        self.events: list[tuple[int, str, Callable[[], None]]] = []
        moves = None
        if routing is None:
            catalogue = catalogue or load_catalogue()
            germany = germany or load_germany()
            routing, demand, minutes_per_case, running_case, demography, moves = (
                build_from_catalogue(scenario, catalogue, germany, self.calendar)
            )
            if p["case_path"] == "stages" and outside is None:
                outside = np.stack(load_stages().outside_waits(
                    routing.services, float(p["applicant_response_weeks"])))
            if office_stock is None:  # the office's open cases, whatever the case path
                office_stock = load_stages().office_stock_weeks(
                    routing.services, float(p["initial_office_stock_weeks"]))
            land_population = germany.laender["population"].to_numpy(np.float64)
        self.routing = routing
        self.cell_pair_now = routing.cell_pair.copy()  # changes when migrations redirect
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
        self.within_week_queueing = p["within_week_queueing"] == "erlang"
        self.load_limit = float(p["stationary_load_limit"])
        self.service_cv = float(p["service_time_cv"])
        self.noise_key = int(make_stream(int(seed), "capacity_noise").integers(0, 2**62))
        # waits outside the office (requests to the applicant, consultations; model/stages.py)
        if outside is None:
            outside = np.zeros((3, len(routing.services)))
        outside = np.asarray(outside, dtype=np.float64)
        if outside.shape[0] == 2:  # (share, mean): files do not come back to the office
            outside = np.vstack([outside, np.zeros((1, outside.shape[1]))])
        self.service_outside = outside  # (share, mean, returns) x service
        self.outside_share = self.service_outside[0][self.pair_service]
        self.outside_mean = self.service_outside[1][self.pair_service]
        self.outside_returns = self.service_outside[2][self.pair_service]
        r = routing
        self.threads = threads
        self.sampler = ArrivalSampler(self.seed, r.services, r.cell_service, threads=threads)
        self.base_rates = cell_base_rates(demand, r.cell_service, r.cell_population,
                                          self.land_population)  # fmt: skip
        self.shock_share = cell_shock_shares(demand, r.cell_service, r.cell_population,
                                             r.cell_land, self.land_population)  # fmt: skip
        self.model_years = [int(y) for y in np.unique(self.calendar.year)]
        self.demography = demography
        self.fixed_arrivals = None if arrivals is None else np.asarray(arrivals, dtype=np.int64)
        # The draws of the warm-up and of the first model years start now, in a background
        # thread, while the rest of the model is built (most of which holds the interpreter;
        # the draws mostly do not): they need only the seed, the cells and their rates.
        self._prefetch = ThreadPoolExecutor(1) if threads > 1 else None
        self._kernel_pool = ThreadPoolExecutor(threads) if threads > 1 else None
        self._pending: dict[int, tuple[np.ndarray, DrawJob]] = {}
        self._warmup_job: DrawJob | None = None
        warmup_weeks = int(p["warmup_weeks"])
        if self.fixed_arrivals is None:
            self._start_warm_up_draws(warmup_weeks)

        # Initial staff: expected baseline work per week (seasonality averages 1 over a year;
        # no one-off programmes) at the 2023 utilisation target.
        # expected cases per week at the reference volumes (updated by redirects)
        self.pair_weekly_cases = self._to_pairs(self.base_rates)
        self._pair_base_cases = self._to_pairs(self._base_for_year(self.model_years[0]))
        self._pair_shock_cases = self._to_pairs(self.shock_share)
        self.expected_work = self.pair_weekly_cases * self.minutes  # staff-minutes per week
        util = float(p["utilisation_2023"])
        self.own_fte = self.expected_work / (self.fte_minutes_week * self.productivity * util)
        self.office_factor = self._office_factors(routing, int(seed),
                                                  float(p["office_productivity_sd"]),
                                                  float(p["office_team_fte"]))  # fmt: skip
        self.processing_weeks = (self.minutes * self.office_factor
                                 / (self.fte_minutes_week * self.productivity))  # fmt: skip
        self.base_fte = self.own_fte.copy()  # initial staff, scaled by the staffing factor
        self.programme_fte = np.zeros(self.n_pairs)  # temporary staff of one-off programmes
        self.staff_factor = np.ones(self.n_agencies)
        self.pair_extra = np.ones(self.n_pairs)  # backlog response (_pair_backlog_response)
        # automated decisions (Dunkelverarbeitung) skip the queue (model.kernel.queued_share)
        self.dark_share = np.zeros(self.n_pairs)
        self._auto_carry = np.zeros(self.n_pairs)
        self.automated_weeks = float(p["automated_decision_weeks"])
        self.usual_stock_weeks = np.zeros(self.n_pairs)  # open cases an office holds as usual

        self.queues = QueueState.empty(self.n_pairs)
        self.cum_arrivals = np.zeros(self.n_pairs)
        self.cum_completions = np.zeros(self.n_pairs)
        self.transfers_in = np.zeros(self.n_pairs)
        self.transfers_out = np.zeros(self.n_pairs)

        self.pair_group = pairs["group"].to_numpy()
        self.n_groups = int(self.pair_group.max()) + 1 if self.n_pairs else 0
        # pairs are sorted by agency: each agency's pairs are one range
        self._agency_pair_start = np.searchsorted(self.pair_agency, np.arange(self.n_agencies + 1))
        self._keep_fte, self._pool_fte = np.zeros(self.n_pairs), np.zeros(self.n_pairs)
        self._agency_work, self._own_share = np.zeros(self.n_pairs), np.zeros(self.n_pairs)
        self._group_fte = np.zeros(self.n_groups)
        self.capacity_per_fte = (self.fte_minutes_week * self.productivity
                                 / (self.minutes * self.office_factor))  # fmt: skip
        if kernel not in ("numba", "numpy"):
            raise ValueError(f"unknown kernel {kernel!r}; allowed: 'numba', 'numpy'")
        self.kernel = kernel
        self.blocks = _agency_blocks(self.pair_agency, block_size)
        self.weekly = np.zeros((self.calendar.n_weeks, len(AGG_FIELDS), self.n_groups))
        self.year_snapshots: list[tuple[int, dict[str, np.ndarray]]] = []
        self._cum_lead = np.zeros(self.n_pairs)
        self._cum_office = np.zeros(self.n_pairs)
        self._cum_fte = np.zeros(self.n_pairs)
        self._schedule_programmes(float(p["programme_wind_down_weeks"]), util)
        # modes, migrations, automation (only for models built from the catalogue)
        self.planned_agencies = np.zeros(self.n_agencies, dtype=bool)
        self.execution: ExecutionRuntime | None = None
        if moves is not None:
            self.execution = setup_execution(self, catalogue, moves, util)
            if p["case_path"] == "stages":
                self._remote_requests(catalogue)
        self.workforce: Workforce | None = None
        if p["staff_model"] == "dynamic":
            self.workforce = self._make_workforce()
        if self.workforce is not None or self.execution is not None:
            self._schedule_staffing()

        self.week = 0
        self.trace = Trace(self.calendar.n_weeks, self.n_pairs) if trace else None

        levels = routing.agencies["level"].to_numpy()
        for row in range(self.n_agencies):
            AGENT_CLASS[levels[row]](self, row)

        # Last, the first compiled calls of this thread: until here it does not wait for the
        # background thread, which meanwhile loads the compiled functions (numba's one-off
        # set-up) and draws. Neither the modes nor the staff model above change what the
        # warm-up uses (the pairs' FTE, minutes and queues).
        self._staffing_changed()
        if self.fixed_arrivals is None:
            self._warm_up(warmup_weeks)
        if office_stock is not None:
            self._seed_office_stock(np.asarray(office_stock, dtype=np.float64))

    def _remote_requests(self, catalogue) -> None:
        """Central platforms ask applicants more often for what a local office knows: their
        request rounds are x (1 + ``remote_request_extra`` x the service's local_knowledge
        score); the pairs' outside waits and returns follow (:mod:`model.stages`)."""
        extra = float(self.scenario.parameters["remote_request_extra"])
        targets = np.unique([ms.target for ms in self.execution.moves
                             if ms.move.mode in CENTRAL and ms.target >= 0])  # fmt: skip
        if extra <= 0.0 or not len(targets):
            return
        local = catalogue.services.set_index("service_id")["local_knowledge"].astype(float)
        sids = [self.routing.services[s] for s in self.pair_service[targets]]
        factor = 1.0 + extra * local.reindex(sids).fillna(0.0).to_numpy()
        share, mean, returns = load_stages().outside_waits(
            sids, float(self.scenario.parameters["applicant_response_weeks"]), factor)
        self.outside_share[targets] = share
        self.outside_mean[targets] = mean
        self.outside_returns[targets] = returns

    def _seed_office_stock(self, weeks_per_service: np.ndarray) -> None:
        """Open cases on 1.1.2023: each pair holds at least ``weeks`` x its expected weekly
        intake of 2023 (Little's law: stock = intake x office time), the oldest having
        arrived ``weeks`` ago (FIFO); a larger queue left by the warm-up stays."""
        weeks = weeks_per_service[self.pair_service]
        self.usual_stock_weeks[:] = weeks
        stock = np.rint(weeks * self._pair_base_cases)
        q = self.queues
        more = stock > q.backlog
        # an empty queue's ``oldest`` is meaningless (the kernels leave it differently)
        oldest = np.where(q.backlog > 0, np.minimum(q.oldest, -weeks), -weeks)
        q.backlog[more] = stock[more]
        q.oldest[more] = oldest[more]

    # --- helpers -------------------------------------------------------------------------
    def _base_for_year(self, year: int) -> np.ndarray:
        """Expected cases per cell and week at seasonality 1 in a model year: the baseline
        rates times the demography index of the cell's service, Land and year."""
        if self.demography is None:
            return self.base_rates
        r = self.routing
        yi = self.model_years.index(year)
        return self.base_rates * self.demography[r.cell_service, r.cell_land, yi]

    def _to_pairs(self, per_cell: np.ndarray) -> np.ndarray:
        """Sum per-cell values to the pairs that execute the cells now."""
        return np.bincount(self.cell_pair_now, per_cell, minlength=self.n_pairs)

    def _cells_to_pairs(self, cell_arrivals: np.ndarray) -> np.ndarray:
        """Shape (n_weeks, n_cells) -> (n_weeks, n_pairs) arrivals (whole numbers).

        Each cell's counts are added to its pair in ``routing.cell_pair`` (a pair may have
        several cells, or none: a central platform before its migration). The result is a
        view of a pair-major (n_pairs, n_weeks) array, the layout the kernel reads (each
        pair's weeks contiguous).
        """
        cells = np.asarray(cell_arrivals, dtype=np.int64)
        out = np.zeros((self.n_pairs, cells.shape[0]), dtype=np.int32)
        add_columns_to_rows(cells, self.routing.cell_pair, out)
        return out.T

    def agency_pairs(self, row: int) -> np.ndarray:
        """Work pair indices of one agency."""
        return np.arange(self._agency_pair_start[row], self._agency_pair_start[row + 1])

    def schedule(self, day: dt.date | int, name: str, action: Callable[[], None]) -> None:
        """Schedule a dated event: ``action`` runs at the start of the week containing ``day``
        (or of week index ``day``).

        Mesa 3.3 has no dated events (3.5's ``schedule_event``), so foedsim keeps its own.
        """
        week = day if isinstance(day, int) else self.calendar.week_of(day)
        self.events.append((week, name, action))
        self.events.sort(key=lambda e: e[0])

    def set_own_fte(self, fte: np.ndarray) -> None:
        """Set every pair's initial FTE (e.g. a fixed office) and update what depends on it;
        with dynamic staff the workforce is rebuilt from it."""
        self.base_fte[:] = np.asarray(fte, dtype=np.float64)
        self.programme_fte[:] = 0.0
        self.staff_factor[:] = 1.0
        if self.workforce is not None:
            self.workforce = self._make_workforce()
        self._apply_staff()

    def _apply_staff(self) -> None:
        """own FTE = initial FTE x the agency's staffing factor x the pair's backlog response
        + programme staff."""
        self.own_fte[:] = (self.base_fte * self.staff_factor[self.pair_agency] * self.pair_extra
                           + self.programme_fte)  # fmt: skip
        self._staffing_changed()

    def agency_workload(self) -> np.ndarray:
        """Expected work per agency and model year relative to the first year (shape
        (n_years, n_agencies); 1 where an agency has no work): demography and the level of
        dated demand events in force (the year's mean; a reform known when the year's posts
        are budgeted, e.g. Düsseldorf's Wohngeld posts 30 -> 60 for Wohngeld-Plus,
        docs/LEADTIMES.md), not one-off surges."""
        years = self.model_years
        level = self.demand.event_level
        cal_year, cell_service = self.calendar.year, self.routing.cell_service
        work = []
        for y in years:
            per_cell = self._base_for_year(y)
            if level is not None:
                per_cell = per_cell * level[:, cal_year == y].mean(axis=1)[cell_service]
            work.append(np.bincount(self.pair_agency, self._to_pairs(per_cell) * self.minutes,
                                    minlength=self.n_agencies))  # fmt: skip
        work = np.stack(work)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(work[0] > 0, work / work[0], 1.0)

    def _make_workforce(self) -> Workforce:
        a = self.routing.agencies
        lands = np.array([int(k) - 1 if str(k).isdigit() else -1 for k in a["land"]])
        land_keys = tuple(f"{i + 1:02d}" for i in range(len(self.land_population)))
        wap = working_age_population(str(self.scenario.parameters["population_variant"]),
                                     land_keys, tuple(self.model_years))  # fmt: skip
        fte0 = np.bincount(self.pair_agency, self.base_fte, minlength=self.n_agencies)
        year_index = np.searchsorted(self.model_years, self.calendar.year)
        return Workforce(a["level"].to_numpy(), lands, a["population"].to_numpy(), fte0,
                         self.agency_workload(), wap, year_index,
                         StaffSettings.from_parameters(self.scenario.parameters),
                         self.seed, planned=self.planned_agencies)  # fmt: skip

    def _schedule_staffing(self) -> None:
        """The quarterly step in the first week of every quarter (Workforce.QUARTER_STARTS):
        modes and migrations (model/migration.py), then staff (model/staffing.py)."""
        years = self.calendar.year
        starts = []
        for y in self.model_years:
            first = int(np.flatnonzero(years == y)[0])
            starts += [(first + q, q) for q in Workforce.QUARTER_STARTS
                       if first + q < self.calendar.n_weeks and years[first + q] == y]
        ends = [t for t, _ in starts[1:]] + [self.calendar.n_weeks]
        for (t, q), end in zip(starts, ends, strict=True):

            def step(t=t, q=q, n=end - t) -> None:
                quarter_step(self, t, q, n)

            self.schedule(t, "quarter", step)

    def _office_factors(self, routing: ag.Routing, seed: int, sd: float,
                        team_fte: float) -> np.ndarray:  # fmt: skip
        """Each pair's factor on its actual staff minutes per case (lognormal, mean 1;
        :func:`model.kernel.office_factors`): offices of one service differ in pace while
        their posts follow the catalogue's norm. The spread is that of one team of
        ``office_team_fte``; a pair with more initial FTE is the sum of that many teams, whose
        paces average out, so its log-sd is ``office_productivity_sd`` / sqrt(FTE / team)
        (a national agency of thousands of FTE keeps close to the norm). The numbers come
        from the counter-based stream ``offices/<level>/<key>/<service>``, so an agency keeps
        its draw for a service whatever the scenario moves elsewhere; 1 everywhere when the
        sd is 0."""
        if sd <= 0.0 or self.n_pairs == 0:
            return np.ones(self.n_pairs)
        teams = np.maximum(self.own_fte / max(team_fte, 1e-12), 1.0)
        ag = routing.agencies
        names = (f"{lv}/{k}" for lv, k in zip(ag["level"], ag["key"], strict=True))
        agency_hash = np.array([stream_key(n) >> 24 for n in names], dtype=np.int64)
        service_hash = np.array([stream_key(s) >> 44 for s in routing.services], dtype=np.int64)
        key = int(make_stream(seed, "offices").integers(0, 2**62))
        return office_factors(key, agency_hash[self.pair_agency], service_hash[self.pair_service],
                              sd / np.sqrt(teams))  # fmt: skip

    def _backlog_response(self) -> np.ndarray:
        """Per agency: 1 + ``backlog_extra_share`` where the waiting work exceeds
        ``backlog_response_weeks`` of expected work, else 1. Present staff work overtime or
        shift time from tasks the model does not cover; an office without staff gets nothing.
        """
        p = self.scenario.parameters
        pressed = agency_backlog_pressed(self.queues.backlog, self.minutes, self.expected_work,
                                         self._agency_pair_start,
                                         float(p["backlog_response_weeks"]))  # fmt: skip
        return np.where(pressed, 1.0 + float(p["backlog_extra_share"]), 1.0)

    def _pair_backlog_response(self) -> np.ndarray:
        """Per pair: 1 + ``backlog_extra_share`` where the pair's waiting work exceeds its usual
        stock of open cases (``initial_office_stock_weeks`` for services decided on a file,
        the work in progress an office holds as normal) by more than
        ``backlog_response_weeks`` of its expected work, else 1. The team under pressure works
        overtime, not the whole agency: with offices of one agency differing in pace
        (``office_productivity_sd``), an agency-wide response would speed up the teams that
        have no backlog. An office without staff gets nothing (it multiplies the FTE)."""
        p = self.scenario.parameters
        weeks = self.usual_stock_weeks + float(p["backlog_response_weeks"])
        pressed = self.queues.backlog * self.minutes > weeks * self.expected_work
        return np.where(pressed, 1.0 + float(p["backlog_extra_share"]), 1.0)

    def _staffing_changed(self) -> None:
        """Recompute what depends on ``own_fte`` and ``expected_work`` (after hiring, exits,
        programme staff, new minutes per case): per pair the kept FTE ``own x (1 - phi)``, the
        agency's pool ``phi x agency FTE``, the agency's expected work and the pair's share
        of its agency's FTE; the FTE per group (:func:`model.kernel.staffing_quantities`)."""
        staffing_quantities(self.own_fte, self.expected_work, self._agency_pair_start,
                            self.pair_group, self.fungible_share, self._keep_fte,
                            self._pool_fte, self._agency_work, self._own_share,
                            self._group_fte)  # fmt: skip

    def _schedule_programmes(self, wind_down_weeks: float, utilisation: float) -> None:
        """Staff the one-off programmes: their pairs get FTE for the programme's mean weekly
        work (at the initial utilisation) from its first week until ``wind_down_weeks`` after
        its last (secondments and temporary hires; the catalogue has no programme staffing).
        The catch-up surges of dated demand events are not programmes: the offices meet them
        with the staff they have (:mod:`model.events`).
        """
        weekly = self.demand.programme_weekly
        if weekly is None:
            weekly = self.demand.shock_weekly
        if not weekly.any():
            return
        for s in np.flatnonzero(weekly.any(axis=1)):
            weeks = np.flatnonzero(weekly[s] > 0)
            cells = self.routing.cell_service == s
            # a cell's mean weekly programme cases: its share x the mean national cases
            mean_cases = self.shock_share[cells] * weekly[s, weeks].mean()
            name = self.routing.services[s]
            added: dict[str, np.ndarray] = {}

            def open_(cells=cells, mean_cases=mean_cases, added=added) -> None:
                # the pairs that execute the programme when it opens (after any migration)
                pair_cases = np.bincount(self.cell_pair_now[cells], mean_cases,
                                         minlength=self.n_pairs)  # fmt: skip
                fte = pair_cases * self.minutes / (self.fte_minutes_week * self.productivity
                                                   * utilisation)  # fmt: skip
                added["fte"] = fte
                self.programme_fte += fte
                self._apply_staff()

            def close(added=added) -> None:
                self.programme_fte = np.maximum(self.programme_fte - added.get("fte", 0.0), 0.0)
                self._apply_staff()

            self.schedule(int(weeks[0]), f"open programme {name}", open_)
            self.schedule(int(weeks[-1] + 1 + wind_down_weeks), f"close programme {name}", close)

    def _start_warm_up_draws(self, weeks: int) -> None:
        """Start drawing the warm-up's arrivals (:meth:`_warm_up`) and the first model years
        (:meth:`_draw_ahead`) in the background thread (without one, the warm-up's are drawn
        when it runs). The warm-up draws the first ``min(weeks, n_weeks)`` weeks' rates from
        streams of their own (``warmup/<service>/<year>``), straight into a pair-major array
        (each cell's counts added to its pair: the same numbers as drawing per cell)."""
        if weeks <= 0:
            return
        n = self._warm_up_draw_weeks(weeks)
        sampler = ArrivalSampler(self.seed, self.routing.services, self.routing.cell_service,
                                 prefix="warmup")  # fmt: skip
        season = self.demand.season[:, np.arange(n) % self.calendar.n_weeks]
        first_year = int(self.calendar.year[0])
        out = np.zeros((self.n_pairs, n), dtype=np.int32)
        self._warmup_job = sampler.job(first_year, self._base_for_year(first_year), season,
                                       self._warm_up_shock(weeks)[:, :n], self.shock_share,
                                       self.routing.cell_pair, out)  # fmt: skip
        if self._prefetch is not None:
            self._prefetch.submit(self._warmup_job.work, self._kernel_idle.wait)
            self._draw_ahead(0)

    def _warm_up(self, weeks: int) -> None:
        """Run ``weeks`` weeks before the start at the first weeks' rates; discard their flows.

        Queues then start near their steady state for the initial utilisation, not empty.
        The arrivals were drawn by :meth:`_start_warm_up_draws` (the main thread helps with
        what is left); a warm-up longer than the scenario repeats its weeks.
        """
        if weeks <= 0 or self._warmup_job is None:
            return
        n = self._warm_up_draw_weeks(weeks)
        drawn = self._warmup_job.result()  # (n_pairs, n), pair-major
        self._warmup_job = None
        cycle = np.arange(weeks) % n
        arrivals = (drawn if weeks == n else drawn[:, cycle]).T
        self.queues = QueueState.empty(self.n_pairs, t0=-float(weeks))
        season_w = self.demand.season[:, np.arange(weeks) % self.calendar.n_weeks].T
        self._advance(arrivals, -weeks, record=False, season=season_w,
                      shock=self._warm_up_shock(weeks).T)  # fmt: skip

    def _warm_up_shock(self, weeks: int) -> np.ndarray:
        """(n_services, weeks): the surges of events before the start, by warm-up week."""
        shock = self.demand.warmup_shock
        out = np.zeros((len(self.routing.services), weeks))
        if shock is not None:
            k = min(weeks, shock.shape[1])
            out[:, weeks - k:] = shock[:, shock.shape[1] - k:]
        return out

    def _warm_up_draw_weeks(self, weeks: int) -> int:
        """Warm-up weeks drawn: the scenario's weeks at most (a longer warm-up repeats them),
        all of them when events before the start add cases (their weeks do not repeat)."""
        if self.demand.warmup_shock is not None:
            return weeks
        return min(weeks, self.calendar.n_weeks)

    # --- intake ---------------------------------------------------------------------------
    def _year_arrivals(self, t: int) -> tuple[int, np.ndarray]:
        """Arrivals per pair for the model year starting at week ``t``: ``(end, array)``.

        With ``threads > 1`` the next :data:`~model.demand.DRAW_AHEAD_YEARS` years are drawn
        in a background thread while the cores are not busy with the weekly kernel, and the
        main thread helps with what is left when it needs a year. A year drawn ahead is used
        only if ``routing.cell_pair`` is still the one it was drawn with (else it is redrawn).
        """
        end = self._year_end(t)
        if self.fixed_arrivals is not None:
            return end, self._cells_to_pairs(self.fixed_arrivals[t:end])
        ahead = self._pending.pop(t, None)
        arrivals = None
        if ahead is not None:
            cell_pair, job = ahead
            drawn = job.result()
            if np.array_equal(cell_pair, self.routing.cell_pair):
                arrivals = drawn.T
        if arrivals is None:
            arrivals = self._draw(t, end)
        self._draw_ahead(end)
        return end, arrivals

    def _year_end(self, t: int) -> int:
        """The week after the model year that contains week ``t``."""
        return t + int(np.count_nonzero(self.calendar.year[t:] == self.calendar.year[t]))

    def _draw_ahead(self, t: int) -> None:
        """Start drawing the :data:`~model.demand.DRAW_AHEAD_YEARS` model years from week
        ``t`` on in the background thread (nothing without one, past the end, or for a year
        already being drawn). The thread draws between the kernel's segments (it waits while
        the kernel has the cores)."""
        if self._prefetch is None or self.fixed_arrivals is not None:
            return
        for _ in range(DRAW_AHEAD_YEARS):
            if t >= self.calendar.n_weeks:
                return
            if t not in self._pending:
                cell_pair = self.routing.cell_pair.copy()
                job = self._draw_job(t, self._year_end(t), cell_pair)
                self._pending[t] = (cell_pair, job)
                self._prefetch.submit(job.work, self._kernel_idle.wait)
            t = self._year_end(t)

    def _draw_job(self, t: int, end: int, cell_pair: np.ndarray) -> DrawJob:
        """The draws of weeks ``t .. end`` of one model year into a new pair-major array."""
        d = self.demand
        year = int(self.calendar.year[t])
        out = np.zeros((self.n_pairs, end - t), dtype=np.int32)
        return self.sampler.job(year, self._base_for_year(year), d.season[:, t:end],
                                d.shock_weekly[:, t:end], self.shock_share, cell_pair,
                                out)  # fmt: skip

    def _draw(self, t: int, end: int) -> np.ndarray:
        """Arrivals per pair in weeks ``t .. end`` of one model year, shape (weeks, pairs): a
        view of a pair-major int32 array into which the sampler adds each cell's draws
        directly (the same numbers as :meth:`_cells_to_pairs` of :meth:`_draw_cells`).
        Counts per pair and week stay far below 2**31 (all of Germany's cases of a service
        in a week are below 10**7)."""
        out = np.zeros((self.n_pairs, end - t), dtype=np.int32)
        d = self.demand
        year = int(self.calendar.year[t])
        self.sampler.draw_into(year, self._base_for_year(year), d.season[:, t:end],
                               d.shock_weekly[:, t:end], self.shock_share,
                               self.routing.cell_pair, out)  # fmt: skip
        return out.T

    @property
    def _kernel_idle(self) -> threading.Event:
        """Set while the weekly kernel is not running (background draws wait for it)."""
        if self._kernel_idle_event is None:
            self._kernel_idle_event = threading.Event()
            self._kernel_idle_event.set()
        return self._kernel_idle_event

    _kernel_idle_event: threading.Event | None = None

    def _draw_cells(self, t: int, end: int) -> np.ndarray:
        d = self.demand
        weeks = slice(t, end)
        year = int(self.calendar.year[t])
        return self.sampler.draw(year, self._base_for_year(year),
                                 d.season[:, weeks], d.shock_weekly[:, weeks],
                                 self.shock_share)  # fmt: skip

    def cell_arrivals(self, year: int) -> np.ndarray:
        """Arrivals per demand cell in the weeks of one model year, shape (weeks, cells).

        Redrawn from the year's named streams (identical to what the run used), for checks
        of common random numbers and for exporting the demand.
        """
        weeks = np.flatnonzero(self.calendar.year == year)
        if self.fixed_arrivals is not None:
            return self.fixed_arrivals[weeks]
        return self._draw_cells(int(weeks[0]), int(weeks[-1]) + 1)

    # --- the weekly step -----------------------------------------------------------------
    def _advance(
        self,
        arrivals: np.ndarray,
        t0: int,
        record: bool = True,
        season: np.ndarray | None = None,
        shock: np.ndarray | None = None,
    ) -> None:
        """Process weeks ``t0 .. t0 + len(arrivals)`` (no events inside), unit by unit.

        Each work unit is a contiguous range of whole agencies (:meth:`_block_layout`); the
        kernel takes its agencies one by one through all the weeks. Results do not depend on
        the number of threads; the block size only changes the rounding of the aggregates.

        Args:
            arrivals: Shape (n_weeks, n_pairs), arrivals per pair and week.
            t0: Index of the first week (its start time in weeks).
            record: Add the flows to the weekly aggregates and counters.
            season: Shape (n_weeks, n_services): seasonality of these weeks (for the expected
                load); default 1.
            shock: Shape (n_weeks, n_services): programme cases of these weeks; default 0.
        """
        n_services = len(self.routing.services)
        if season is None:
            season = np.ones((arrivals.shape[0], n_services))
        if shock is None:
            shock = np.zeros_like(season)
        season, shock = np.ascontiguousarray(season), np.ascontiguousarray(shock)
        if self.kernel == "numba":
            self._advance_compiled(arrivals, t0, record, season, shock)
        else:
            self._advance_numpy(arrivals, t0, record, season, shock)

    def _block_layout(self) -> list[WorkUnit]:
        """The kernel's work units (:func:`model.kernel.work_units`, at least one per block
        of ``block_size``; the split does not depend on the number of threads, so neither do
        the results), kept while the blocks and the pairs' agencies and groups stay the same.
        """
        key = (self.pair_agency, self.pair_group, self.blocks)
        if self._layout_key is None or any(a is not b for a, b in zip(key, self._layout_key,
                                                                      strict=True)):  # fmt: skip
            self._layout = work_units(self.pair_agency, self.pair_group, len(self.blocks))
            self._layout_key = key
        return self._layout

    _layout_key: tuple | None = None
    _layout: list[WorkUnit] = []

    def _queueing_inputs(self, sl: slice, starts: np.ndarray, season: np.ndarray,
                         shock: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Within-week waits and high-load flags (weeks x block agencies) for one block.

        ``starts``: the block-local first pair of each of its agencies (and the end).
        """
        n_weeks, n_ag = season.shape[0], len(starts) - 1
        wait = np.zeros((n_weeks, n_ag))
        high = np.zeros((n_weeks, n_ag), dtype=np.bool_)
        if self.within_week_queueing:
            agency_waits(season, shock, self._pair_base_cases[sl], self._pair_shock_cases[sl],
                         self.pair_service[sl], self.minutes[sl] * self.office_factor[sl],
                         self.own_fte[sl], starts,
                         self.fte_minutes_week, self.productivity, self.load_limit,
                         self.service_cv, wait, high)  # fmt: skip
        return wait, high

    def _advance_compiled(self, arrivals: np.ndarray, t0: int, record: bool,
                          season: np.ndarray, shock: np.ndarray) -> None:  # fmt: skip
        """:meth:`_advance` with the compiled kernel (:func:`model.kernel.advance_block`).

        Work units are independent (whole agencies), so with ``threads > 1`` they run in
        parallel threads (the kernel releases the GIL); each unit adds to its own aggregate
        buffer, and the buffers are summed in unit order, so results do not depend on the
        number of threads. Meanwhile background draws pause (:meth:`_draw_ahead`).
        """
        q = self.queues
        n_weeks = arrivals.shape[0]
        thresholds = np.asarray(LEAD_THRESHOLDS_WEEKS, dtype=np.float64)
        tracing = record and self.trace is not None
        by_pair = arrivals.T  # (n_pairs, n_weeks): a view when drawn pair-major
        layout = self._block_layout()

        def one(b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
            lo, hi, starts, local_group, groups = layout[b]
            sl = slice(lo, hi)
            # aggregates over the unit's range of groups only (a unit's agencies mostly
            # share Land and level, so its groups lie in a narrow range)
            n_groups = groups.stop - groups.start
            weekly = np.zeros((n_weeks, len(AGG_FIELDS), n_groups) if record else (0, 0, 0))
            buf = np.zeros((4, n_weeks, hi - lo)) if tracing else np.empty((0, 0, 0))
            cum_a = self.cum_arrivals[sl].copy() if tracing else None
            cum_c = self.cum_completions[sl].copy() if tracing else None
            wait, high = self._queueing_inputs(sl, starts, season, shock)
            advance_block(
                t0, by_pair[sl], q.backlog[sl], q.oldest[sl],
                q.credit[sl], self.minutes[sl], self.processing_weeks[sl],
                self.capacity_per_fte[sl], self._keep_fte[sl], self._pool_fte[sl],
                self.expected_work[sl], self._agency_work[sl], self._own_share[sl],
                self.own_fte[sl], starts, self.fungible_share,
                local_group, thresholds, weekly, self.cum_arrivals[sl],
                self.cum_completions[sl], self._cum_lead[sl], record, buf,
                wait, high, self.service_cv, self.noise_key, lo,
                self.outside_share[sl], self.outside_mean[sl], self.outside_returns[sl],
                self._cum_office[sl], self.dark_share[sl], self._auto_carry[sl],
                self.automated_weeks,
            )  # fmt: skip
            return weekly, buf, cum_a, cum_c

        if self._kernel_pool is not None and len(layout) > 1:
            self._kernel_idle.clear()  # background draws pause between services meanwhile
            try:
                results = list(self._kernel_pool.map(one, range(len(layout))))
            finally:
                self._kernel_idle.set()
        else:
            results = [one(b) for b in range(len(layout))]
        for (lo, hi, _, _, groups), (weekly, buf, cum_a, cum_c) in zip(layout, results,
                                                                      strict=True):  # fmt: skip
            if record:
                self.weekly[t0 : t0 + n_weeks, :, groups] += weekly
            if tracing:
                sl, weeks = slice(lo, hi), slice(t0, t0 + n_weeks)
                tr = self.trace
                tr.arrivals[weeks, sl], tr.completions[weeks, sl] = buf[0], buf[1]
                tr.backlog[weeks, sl], tr.lead_sum[weeks, sl] = buf[2], buf[3]
                tr.cum_arrivals[weeks, sl] = cum_a + np.cumsum(buf[0], axis=0)
                tr.cum_completions[weeks, sl] = cum_c + np.cumsum(buf[1], axis=0)
                tr.transfers_in[weeks, sl] = self.transfers_in[sl]
                tr.transfers_out[weeks, sl] = self.transfers_out[sl]

    def _advance_numpy(self, arrivals: np.ndarray, t0: int, record: bool,
                       season: np.ndarray, shock: np.ndarray) -> None:  # fmt: skip
        """:meth:`_advance` on numpy arrays: the reference for the compiled kernel."""
        arrivals = arrivals.astype(np.float64, copy=False)
        q = self.queues
        for lo, hi, starts, _, _ in self._block_layout():
            sl = slice(lo, hi)
            ag = self.pair_agency[sl] - self.pair_agency[lo]
            n_ag = int(ag[-1]) + 1
            minutes, proc = self.minutes[sl], self.processing_weeks[sl]
            cap_per_fte, work = self.capacity_per_fte[sl], self.expected_work[sl]
            keep, pool = self._keep_fte[sl], self._pool_fte[sl]
            agency_work, own_share = self._agency_work[sl], self._own_share[sl]
            own = self.own_fte[sl]
            group = self.pair_group[sl]
            sub = QueueState(q.backlog[sl].copy(), q.oldest[sl].copy(), q.credit[sl].copy())
            outside = (self.outside_share[sl], self.outside_mean[sl], self.outside_returns[sl])
            wait, high = self._queueing_inputs(sl, starts, season, shock)
            # automated decisions skip the queue; the queued cases carry the minutes
            dark = self.dark_share[sl]
            active = (dark > 0.0) & (cap_per_fte > 0.0)
            qs = np.where(active, np.maximum(1.0 - dark, QUEUED_SHARE_MIN), 1.0)
            carry = self._auto_carry[sl].copy()
            for i in range(arrivals.shape[0]):
                a = arrivals[i, sl]
                c = carry + a * dark
                auto = np.where(active, np.minimum(np.floor(c + WHOLE_CASE_TOLERANCE), a), 0.0)
                carry = np.where(active, np.maximum(c - auto, 0.0), carry)
                a = a - auto
                # staffing: the fungible pool follows expected plus waiting work
                if self.fungible_share > 0:
                    waiting = sub.backlog * (minutes / qs)
                    denom = agency_work + np.bincount(ag, waiting, minlength=n_ag)[ag]
                    with np.errstate(invalid="ignore", divide="ignore"):
                        share = np.where(denom > 0, (work + waiting) / denom, own_share)
                    fte = keep + pool * share
                else:
                    fte = own
                # processing
                capacity = fte * cap_per_fte * qs
                shift = None
                if high[i].any():
                    z = normal_draws(self.noise_key, lo, hi - lo, t0 + i)
                    shift = np.where(high[i][ag], self.service_cv * np.sqrt(capacity) * z, 0.0)
                flows = step_queues(sub, float(t0 + i), a, capacity, proc / qs, shift,
                                    wait[i][ag])  # fmt: skip
                office_lead = flows.lead_sum
                # returned files wait the first pass's queueing time again (model.stages)
                queue_wait = np.maximum(office_lead - flows.completions * (proc / qs), 0.0)
                flows.lead_sum = (office_lead + flows.completions * outside[0] * outside[1]
                                  + outside[2] * queue_wait)  # fmt: skip
                if record:
                    self._record(t0 + i, sl, group, a, flows, sub.backlog, office_lead, outside,
                                 auto)  # fmt: skip
            q.backlog[sl], q.oldest[sl], q.credit[sl] = sub.backlog, sub.oldest, sub.credit
            self._auto_carry[sl] = carry

    def _record(self, t: int, sl: slice, group: np.ndarray, arrivals: np.ndarray, flows,
                backlog: np.ndarray, office_lead: np.ndarray,
                outside: tuple[np.ndarray, np.ndarray, np.ndarray],
                auto: np.ndarray) -> None:  # fmt: skip
        n = self.n_groups
        done, lead = flows.completions, flows.lead_sum
        row = self.weekly[t]
        # automated decisions first, in the kernel's order of additions
        auto_lead = auto * self.automated_weeks
        row[0] += np.bincount(group, auto, minlength=n)
        row[1] += np.bincount(group, auto, minlength=n)
        row[3] += np.bincount(group, auto_lead, minlength=n)
        row[9] += np.bincount(group, auto_lead, minlength=n)
        row[10] += np.bincount(group, auto, minlength=n)
        self.cum_arrivals[sl] += auto
        self.cum_completions[sl] += auto
        self._cum_lead[sl] += auto_lead
        self._cum_office[sl] += auto_lead
        row[0] += np.bincount(group, arrivals, minlength=n)
        row[1] += np.bincount(group, done, minlength=n)
        row[2] += np.bincount(group, backlog, minlength=n)
        row[3] += np.bincount(group, lead, minlength=n)
        # completions whose lead time exceeds 4/8/12 weeks: without outside waits, those of
        # pairs whose mean lead time this week exceeds it; with them, the share of each pair's
        # completions over it (model.kernel.share_over)
        share, mean, _ = outside
        staged = share > 0.0
        row[9] += np.bincount(group, office_lead, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            office = np.where(done > 0, office_lead / np.where(done > 0, done, 1.0), 0.0)
            # the returns' waits (lead - office - outside) count with the outside wait of
            # those that wait outside (only they come back), as in the compiled kernel
            ok = staged & (done > 0)
            back = lead - office_lead - done * share * mean  # = returns x first-pass waits
            mean = mean + np.where(ok, back / np.where(ok, done * share, 1.0), 0.0)
        for i, limit in enumerate(LEAD_THRESHOLDS_WEEKS):
            tail = np.where(office > limit, 1.0,
                            share * np.exp(-(limit - office) / np.where(staged, mean, 1.0)))
            over = np.where(staged, done * tail, done * (lead > limit * done))
            over = np.where(staged & (done <= 0), 0.0, over)
            if over.any():
                row[6 + i] += np.bincount(group, over, minlength=n)
        self.cum_arrivals[sl] += arrivals
        self.cum_completions[sl] += done
        self._cum_lead[sl] += lead
        self._cum_office[sl] += office_lead
        if self.trace is not None:
            tr = self.trace
            tr.arrivals[t, sl] = arrivals + auto
            tr.completions[t, sl] = done + auto
            tr.backlog[t, sl] = backlog
            tr.lead_sum[t, sl] = lead + auto_lead
            tr.cum_arrivals[t, sl] = self.cum_arrivals[sl]
            tr.cum_completions[t, sl] = self.cum_completions[sl]
            tr.transfers_in[t, sl] = self.transfers_in[sl]
            tr.transfers_out[t, sl] = self.transfers_out[sl]

    def _end_of_weeks(self, t0: int, t1: int) -> None:
        """Per-week records that do not depend on the pairs' flows, and year-end snapshots."""
        self.weekly[t0:t1, 4] = self._group_fte
        self.weekly[t0:t1, 5] = self._group_fte * self.fte_minutes_week
        for _ in range(t1 - t0):  # week by week, so stepping and running add up alike
            self._cum_fte += self.own_fte
        t = t1 - 1
        if t1 == self.calendar.n_weeks or self.calendar.year[t1] != self.calendar.year[t]:
            self.year_snapshots.append(
                (int(self.calendar.year[t]), {
                    "arrivals": self.cum_arrivals.copy(),
                    "completions": self.cum_completions.copy(),
                    "backlog": self.queues.backlog.copy(),
                    "lead_sum": self._cum_lead.copy(),
                    "office_lead_sum": self._cum_office.copy(),
                    "fte_weeks": self._cum_fte.copy(),
                })
            )  # fmt: skip

    def _run_until(self, stop: int) -> None:
        """Advance from ``self.week`` to week ``stop``, in segments between dated events."""
        while self.week < stop:
            t = self.week
            while self.events and self.events[0][0] <= t:
                _, _, action = self.events.pop(0)
                action()
            if self._year is None or t >= self._year[0]:
                end, year_arrivals = self._year_arrivals(t)
                self._year = (end, apply_redirects(self, year_arrivals))
                self._year_start = t
                year = int(self.calendar.year[t])
                self._pair_base_cases = self._to_pairs(self._base_for_year(year))
            year_end, arrivals = self._year
            nxt = min(stop, year_end, self.events[0][0] if self.events else stop)
            seg = slice(t - self._year_start, nxt - self._year_start)
            d = self.demand
            self._advance(arrivals[seg], t, season=d.season[:, t:nxt].T,
                          shock=d.shock_weekly[:, t:nxt].T)  # fmt: skip
            self._end_of_weeks(t, nxt)
            self.week = nxt

    _year: tuple[int, np.ndarray] | None = None
    _year_start = 0

    def step(self) -> None:
        """Advance one week through :data:`STEP_PLAN`."""
        self._run_until(self.week + 1)

    def run_until(self, week: int) -> None:
        """Advance to week ``week`` (exclusive) in segments; the same results as stepping."""
        self._run_until(min(int(week), self.calendar.n_weeks))

    def run(self) -> FederalModel:
        """Run every week of the scenario; return self (tables via :mod:`model.results`).

        Weeks are processed in segments (a model year, or up to the next dated event) and
        within a segment block by block; the results equal those of stepping week by week.
        """
        self._run_until(self.calendar.n_weeks)
        for pool in (self._prefetch, self._kernel_pool):
            if pool is not None:
                pool.shutdown(wait=True)
        # Mesa 3.3 keeps a class-level counter of agent ids per model (``Agent._ids``, a
        # defaultdict keyed by the model), which holds every model alive: a batch worker grew by
        # ~90 MB a run. The model adds no agents after it has run, so its counter can go.
        mesa.Agent._ids.pop(self, None)
        return self


def _agency_blocks(pair_agency: np.ndarray, block_size: int) -> list[tuple[int, int]]:
    """Split pairs (sorted by agency) into ranges of about ``block_size`` whole agencies."""
    n = len(pair_agency)
    blocks, lo = [], 0
    while lo < n:
        hi = min(n, lo + block_size)
        if hi < n:  # extend to the end of the agency the cut falls into
            hi = int(np.searchsorted(pair_agency, pair_agency[hi - 1], side="right"))
        blocks.append((lo, hi))
        lo = hi
    return blocks
