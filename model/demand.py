"""Intake: weekly arrival rates and arrivals per demand cell (service x draw unit).

A service's demand is drawn on the finest units at which its executing agency varies within a
Land in today's execution table (:data:`model.agencies.DRAW_LEVELS`): municipal units for
Gemeinde-level services and for Kreis services that large towns execute themselves; Kreise for
the other Kreis and Jobcenter services; Länder for Land and Bund services. Scenarios only ever
move execution to a coarser level (Kreis -> Land -> Bund), so every executing agency's
arrivals are a sum of whole cells.

**Exactness and common random numbers.** Arrivals of a cell in a week are Poisson with the
cell's weekly rate, drawn independently per cell, which is exact in distribution (a Poisson
process's counts in disjoint weeks are independent Poisson; the cells' sums to any agency are
Poisson with the summed rate). Per-Gemeinde arrivals are the multinomial split of a cell's
count by population (mathematically defined, not materialised where no agency needs them).
Each (service, year) draws from its own stream ``arrivals/<service>/<year>`` (cells in
canonical order), independent of who executes it, so two scenarios with the same seed see
identical arrivals per (service, draw unit, week) wherever their levers differ only in
execution, staff, other services or other years. The granularity lever changes the draw units
themselves; arrivals then agree in distribution only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.catalogue import shock_weekly_weights
from model.kernel import add_columns_to_rows, scatter_by_alias
from model.streams import make_stream

DAYS_PER_WEEK = 7
THURSDAY = 3  # ISO weeks belong to the year and month of their Thursday (ISO 8601)


@dataclass(frozen=True)
class Calendar:
    """The model's weeks.

    Attributes:
        start: Monday of the first week.
        n_weeks: Number of weeks.
        year: Calendar year of each week (the year of its Thursday).
        month: Month 1-12 of each week (of its Thursday).
    """

    start: dt.date
    n_weeks: int
    year: np.ndarray
    month: np.ndarray

    @classmethod
    def from_dates(cls, start: dt.date, end: dt.date) -> Calendar:
        """Weeks from the Monday on or before ``start`` to the last week whose Thursday is on
        or before ``end`` (so every week belongs to a year within the scenario)."""
        monday = start - dt.timedelta(days=start.weekday())
        n_weeks = (end - monday - dt.timedelta(days=THURSDAY)).days // DAYS_PER_WEEK + 1
        thursdays = [
            monday + dt.timedelta(days=DAYS_PER_WEEK * w + THURSDAY) for w in range(n_weeks)
        ]
        return cls(
            start=monday,
            n_weeks=n_weeks,
            year=np.array([d.year for d in thursdays], dtype=np.int64),
            month=np.array([d.month for d in thursdays], dtype=np.int64),
        )

    def week_of(self, day: dt.date) -> int:
        """Index of the week containing ``day`` (may be <0 or >= n_weeks)."""
        return (day - self.start).days // DAYS_PER_WEEK

    def year_slices(self) -> list[tuple[int, slice]]:
        """``(year, slice of weeks)`` for each model year, in order."""
        out = []
        for year in np.unique(self.year):
            idx = np.flatnonzero(self.year == year)
            out.append((int(year), slice(int(idx[0]), int(idx[-1]) + 1)))
        return out


def weekly_seasonality(monthly: np.ndarray, cal: Calendar) -> np.ndarray:
    """Weekly factors from 12 monthly factors, normalised to mean 1 within each model year.

    Args:
        monthly: Shape (n_profiles, 12), factors per month.
        cal: The calendar.

    Returns:
        Shape (n_profiles, n_weeks).
    """
    weekly = monthly[:, cal.month - 1]
    for _, sl in cal.year_slices():
        weekly[:, sl] /= weekly[:, sl].mean(axis=1, keepdims=True)
    return weekly


@dataclass(frozen=True)
class DemandSpec:
    """Everything the intake needs, per service code.

    Attributes:
        annual_volume: Cases per year in Germany at the catalogue's reference (0 for services
            that only run as one-off programmes).
        season: Shape (n_services, n_weeks): weekly seasonality factor.
        shock_weekly: Shape (n_services, n_weeks): nationwide cases per week of switched-on
            one-off programmes (already scaled).
        shock_land_mask: Shape (n_services, 16): Länder in which the programme runs.
        volume_factor: Per-service multiplier (scenario ``volume_factor`` x ``volume_scale``).
        programme_weekly: The part of ``shock_weekly`` that belongs to one-off programmes,
            which get temporary staff (the engine's programme staffing); the catch-up surges
            of dated demand events (:mod:`model.events`) are not staffed. ``None``: all of
            ``shock_weekly``.
        event_level: Shape (n_services, n_weeks): the level of demand in force after dated
            demand events (already in ``season``; 1 without an event); ``None``: no events.
            Budgeted posts follow it (:meth:`model.engine.FederalModel.agency_workload`).
        warmup_shock: Shape (n_services, warm-up weeks): nationwide cases a week, in the
            warm-up before the start, of the surges of dated events that began before it
            (:meth:`model.events.DemandEvents.surges_before`, before the volume factors are
            applied like ``shock_weekly``); ``None``: none.
    """

    annual_volume: np.ndarray
    season: np.ndarray
    shock_weekly: np.ndarray
    shock_land_mask: np.ndarray
    volume_factor: np.ndarray
    programme_weekly: np.ndarray | None = None
    event_level: np.ndarray | None = None
    warmup_shock: np.ndarray | None = None


def cell_base_rates(
    spec: DemandSpec,
    cell_service: np.ndarray,
    cell_population: np.ndarray,
    land_population: np.ndarray,
) -> np.ndarray:
    """Expected cases per week per cell at seasonality 1 (baseline demand, no programmes).

    Args:
        spec: The demand specification.
        cell_service: Service code of each cell.
        cell_population: Population of each cell's draw unit (persons).
        land_population: Population per Land row (persons).
    """
    share = cell_population / land_population.sum()
    weeks_per_year = 52.0  # the catalogue's volumes are per year; a model year has 52 weeks
    return (spec.annual_volume * spec.volume_factor)[cell_service] * share / weeks_per_year


def cell_shock_shares(
    spec: DemandSpec,
    cell_service: np.ndarray,
    cell_population: np.ndarray,
    cell_land: np.ndarray,
    land_population: np.ndarray,
) -> np.ndarray:
    """Each cell's share of its service's programme cases (population share within the
    programme's Länder; 0 outside them)."""
    mask = spec.shock_land_mask.astype(np.float64)
    in_lands_pop = mask @ land_population
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            mask[cell_service, cell_land] > 0, cell_population / in_lands_pop[cell_service], 0.0
        )


def _alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for drawing indices with probabilities ``p`` (Vose's
    construction): draw k uniform in 0..n-1, keep k with probability ``prob[k]``, else take
    ``alias[k]`` — exact, O(1) per draw."""
    n = len(p)
    scaled = p * n
    prob = np.ones(n)
    alias = np.arange(n)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s_i, l_i = small.pop(), large.pop()
        prob[s_i], alias[s_i] = scaled[s_i], l_i
        scaled[l_i] -= 1.0 - scaled[s_i]
        (small if scaled[l_i] < 1.0 else large).append(l_i)
    return prob, alias


PIECE_DRAWS = 25_000
PIECE_CASES = 200_000
"""Weekly Poisson draws and scattered cases per piece of a service's draws (about a
millisecond each): a background thread drawing ahead can pause between pieces."""

DRAW_AHEAD_YEARS = 2
"""Model years the engine draws ahead in the background (memory: one int32 pairs x weeks
array per year, about 22 MB at ``gemeinde``)."""

SCATTER_BELOW = 12.0
"""Cells expecting fewer cases per week than this are sampled by the exact "yearly count, then
weeks" method (one uniform per case, placed by a compiled alias-table loop); others by weekly
Poisson draws. A speed choice only: both samplers are exact in distribution."""


class ArrivalSampler:
    """Draws arrivals per cell, one model year at a time, from named streams.

    Each (service, year) has its own stream ``{prefix}/{service}/{year}`` (and
    ``shock/{service}/{year}`` for one-off programmes), so a lever that changes one service's
    demand in one year leaves every other service and year untouched (common random numbers).

    Two exact samplers (a Poisson process's weekly counts are independent Poisson; given the
    year's total, they are multinomial with probabilities proportional to the weekly rates):

    - cells with a weekly rate of at least :data:`SCATTER_BELOW`: one Poisson draw per week;
    - smaller cells: one Poisson draw for the year's total, then each case's week drawn from the
      service's weekly profile.

    Args:
        seed: The run's seed.
        services: Service ids in code order.
        cell_service: Service code of each cell; a service's cells are contiguous.
        prefix: Stream name prefix (``arrivals`` for the run, ``warmup`` for the warm-up).
        threads: Services are drawn in parallel threads (numpy releases the GIL); results do
            not depend on the number of threads.
    """

    def __init__(self, seed: int, services: tuple[str, ...], cell_service: np.ndarray,
                 prefix: str = "arrivals", threads: int = 1) -> None:  # fmt: skip
        self.seed = seed
        self.services = services
        self.prefix = prefix
        self.threads = max(1, int(threads))
        bounds = np.searchsorted(cell_service, np.arange(len(services) + 1))
        if not np.array_equal(np.sort(cell_service, kind="stable"), cell_service):
            raise ValueError("cells of a service must be contiguous and in service order")
        self.slices = [slice(int(bounds[s]), int(bounds[s + 1])) for s in range(len(services))]

    def _draw_service(self, s: int, year: int, base: np.ndarray, season: np.ndarray,
                      shock: np.ndarray, shock_share: np.ndarray, rows: np.ndarray,
                      out: np.ndarray,
                      gate: Callable[[], object] | None = None) -> None:  # fmt: skip
        """Draw one service's arrivals and add them to ``out`` (rows ``rows``).

        The draws are made in pieces of about a millisecond each, with ``gate`` called
        between them (a background thread pauses there while the kernel runs); the pieces
        take the stream's numbers in the same order as single calls would, so the draws
        are the same with or without pieces (a test checks this).
        """
        sid = self.services[s]
        rng = make_stream(self.seed, f"{self.prefix}/{sid}/{year}")
        n = len(season)
        total = season.sum()
        pause = gate if gate is not None else _no_pause
        if total > 0:
            small = base * (total / n) < SCATTER_BELOW
            big = np.flatnonzero(~small)
            if len(big):
                lam = np.outer(season, base[big])  # weeks x cells, drawn in this order
                step = max(1, PIECE_DRAWS // len(big))
                for w in range(0, n, step):
                    pause()
                    add_columns_to_rows(rng.poisson(lam[w : w + step]), rows[big],
                                        out[:, w : w + step])  # fmt: skip
            idx = np.flatnonzero(small)
            if len(idx):
                pause()
                counts = rng.poisson(base[idx] * total)
                prob, alias = _alias_table(season / total)
                # cells in pieces of about PIECE_CASES cases: uniforms drawn piece by piece
                ends = np.searchsorted(np.cumsum(counts), np.arange(1, 1 + int(counts.sum())
                                                                    // PIECE_CASES)
                                       * PIECE_CASES)  # fmt: skip
                lo = 0
                for hi in [*(int(x) + 1 for x in ends), len(idx)]:
                    if hi <= lo:
                        continue
                    pause()
                    part = counts[lo:hi]
                    uniforms = rng.random(int(part.sum()))
                    scatter_by_alias(part, rows[idx[lo:hi]], uniforms, prob, alias, out)
                    lo = hi
        if shock.any():
            pause()
            # the run's programmes draw from shock/...; the warm-up's from warmup/shock/...
            name = f"shock/{sid}/{year}" if self.prefix == "arrivals" else \
                f"{self.prefix}/shock/{sid}/{year}"  # fmt: skip
            shock_rng = make_stream(self.seed, name)
            add_columns_to_rows(shock_rng.poisson(np.outer(shock, shock_share)), rows, out)

    def job(self, year: int, base: np.ndarray, season: np.ndarray, shock: np.ndarray,
            shock_share: np.ndarray, rows: np.ndarray, out: np.ndarray) -> DrawJob:  # fmt: skip
        """A draw of a block of weeks of one model year that threads can share (see
        :class:`DrawJob`); arguments as in :meth:`draw_into`."""
        return DrawJob(self, year, base, season, shock, shock_share, rows, out)

    def draw_into(self, year: int, base: np.ndarray, season: np.ndarray, shock: np.ndarray,
                  shock_share: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:  # fmt: skip
        """Draw arrivals for a block of weeks of one model year and add each cell's weekly
        counts to a row of ``out``.

        The draws are those of :meth:`draw` (same streams, same order); only where they are
        added differs: with ``rows`` the work pair of each cell, ``out`` receives the arrivals
        per pair directly (cells sharing a pair are summed), without a cells x weeks array.

        Args:
            year: The model year (names the streams).
            base: Expected cases per week per cell at seasonality 1.
            season: Shape (n_services, n_weeks): weekly seasonality factors of the block.
            shock: Shape (n_services, n_weeks): nationwide programme cases per week.
            shock_share: Each cell's share of its service's programme cases.
            rows: Row of ``out`` of each cell; cells of different services must not share a
                row (services are drawn in parallel threads).
            out: Shape (n_rows, n_weeks), integers: incremented in place.
        """
        job = self.job(year, base, season, shock, shock_share, rows, out)
        if self.threads > 1:
            with ThreadPoolExecutor(self.threads - 1) as pool:
                helpers = [pool.submit(job.work) for _ in range(self.threads - 1)]
                job.result()
                for h in helpers:
                    h.result()
        else:
            job.result()

    def draw(self, year: int, base: np.ndarray, season: np.ndarray, shock: np.ndarray,
             shock_share: np.ndarray) -> np.ndarray:  # fmt: skip
        """Draw arrivals per cell for a block of weeks of one model year (arguments as in
        :meth:`draw_into`; each cell is its own row).

        Returns:
            Shape (n_weeks, n_cells), int64 cases (a view of a cell-major array).
        """
        out = np.zeros((len(base), season.shape[1]), dtype=np.int64)
        self.draw_into(year, base, season, shock, shock_share, np.arange(len(base)), out)
        return out.T


def _no_pause() -> None:
    return None


class DrawJob:
    """One block of weeks being drawn, service by service, by any threads that call
    :meth:`work` (work sharing: each service is drawn once, by whichever thread takes it;
    services write to their own rows, so the result does not depend on who draws what).

    The engine lets a background thread work on next year's job while the cores are free and
    has the main thread help when it needs the year (:meth:`result`).
    """

    def __init__(self, sampler: ArrivalSampler, year: int, base: np.ndarray,
                 season: np.ndarray, shock: np.ndarray, shock_share: np.ndarray,
                 rows: np.ndarray, out: np.ndarray) -> None:  # fmt: skip
        self.sampler, self.year = sampler, year
        self.base, self.season, self.shock, self.shock_share = base, season, shock, shock_share
        self.rows = np.asarray(rows, dtype=np.int64)
        self.out = out
        # largest services first, so that threads finish at about the same time
        work = [float(base[sl].sum()) for sl in sampler.slices]
        self._order = sorted(range(len(sampler.services)), key=lambda s: -work[s])
        self._next = 0
        self._left = len(self._order)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._error: BaseException | None = None
        if not self._order:
            self._done.set()

    def work(self, gate: Callable[[], object] | None = None) -> None:
        """Draw services until none is left to start; ``gate`` is called before each (e.g. to
        wait while the weekly kernel has the cores)."""
        while True:
            if gate is not None:
                gate()
            with self._lock:
                if self._next >= len(self._order):
                    return
                s = self._order[self._next]
                self._next += 1
            try:
                sl = self.sampler.slices[s]
                self.sampler._draw_service(s, self.year, self.base[sl], self.season[s],
                                           self.shock[s], self.shock_share[sl],
                                           self.rows[sl], self.out, gate)  # fmt: skip
            except BaseException as exc:  # re-raised by result()
                self._error = exc
            finally:
                with self._lock:
                    self._left -= 1
                    if self._left == 0:
                        self._done.set()

    def result(self) -> np.ndarray:
        """Help with the services not yet started, wait for the others, return ``out``."""
        self.work()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self.out


def shock_schedule(
    shocks: pd.DataFrame,
    settings: dict[str, dict],
    services: tuple[str, ...],
    cal: Calendar,
    land_codes: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Weekly nationwide cases of the switched-on one-off programmes.

    A programme of ``total_cases`` over ``duration_weeks`` opens in the week of its scenario
    ``start`` date, with the catalogue's weekly profile (:func:`shock_weekly_weights`).

    Args:
        shocks: The catalogue's ``demand_shocks`` table.
        settings: The scenario's ``shocks`` table ``{shock_id: {start, scale, lands?}}``.
        services: Service ids in code order.
        cal: The calendar.
        land_codes: The 16 Land codes in Land-row order.

    Returns:
        ``(weekly, land_mask)`` with shapes (n_services, n_weeks) and (n_services, 16).
    """
    weekly = np.zeros((len(services), cal.n_weeks))
    mask = np.ones((len(services), len(land_codes)), dtype=bool)
    by_id = shocks.set_index("shock_id")
    for shock_id, cfg in settings.items():
        row = by_id.loc[shock_id]
        s = services.index(row["service_id"])
        n = int(row["duration_weeks"])
        scale = float(cfg.get("scale", 1.0))
        per_week = float(row["total_cases"]) * scale * shock_weekly_weights(row["profile"], n)
        w0 = cal.week_of(cfg["start"])
        lo, hi = max(w0, 0), min(w0 + n, cal.n_weeks)
        if hi > lo:
            weekly[s, lo:hi] += per_week[lo - w0 : hi - w0]
        if "lands" in cfg:
            mask[s] = [c in cfg["lands"] for c in land_codes]
    return weekly, mask
