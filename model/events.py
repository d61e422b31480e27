"""Dated demand events: the reforms of 2023-25 that changed a service's demand (issue 16).

A law that widens who may apply changes a service's demand from its date on. Each row of
``model/data/demand_events.csv`` gives, for one service,

- ``date``: the day the reform took effect (applications from the week containing it);
- ``factor_before`` and ``factor_after``: the service's weekly demand before and from that
  date as multiples of the catalogue's volume (whose ``volume_year`` says which law it
  counts), with the range ``factor_low`` .. ``factor_high`` of ``factor_after``;
- ``surge_share``, ``surge_weeks``, ``profile``: a one-off catch-up of people newly entitled,
  ``surge_share`` x the catalogue's annual volume spread over ``surge_weeks`` weeks from the
  date with a demand-shock profile (``flat`` or ``front_loaded``,
  :func:`model.catalogue.shock_weekly_weights`), with the range ``surge_low`` .. ``surge_high``;
- ``source``.

The level change multiplies the service's weekly seasonality factor (so the expected load of
the within-week queueing sees it); the surge is added to the service's nationwide weekly
shock cases and spread by population like the one-off programmes. Staff are not told: the
offices meet the new demand with the staff they had, and the staff model's hiring, the
fungible staff of an agency and the backlog do the rest. The parameter ``demand_events``
(``history``: the packaged events; ``none``) switches them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.catalogue import (
    SHOCK_PROFILES,
    CatalogueError,
    load_catalogue,
    read_text_table,
    shock_weekly_weights,
)
from model.demand import Calendar

EVENTS_FILE = "demand_events.csv"
COLUMNS: tuple[str, ...] = (
    "event_id", "service_id", "date", "factor_before", "factor_after", "factor_low",
    "factor_high", "surge_share", "surge_low", "surge_high", "surge_weeks", "profile", "source",
)  # fmt: skip
NUMBERS = ("factor_before", "factor_after", "factor_low", "factor_high", "surge_share",
           "surge_low", "surge_high", "surge_weeks")  # fmt: skip


@dataclass(frozen=True)
class DemandEvents:
    """The event table (one row per event, numeric columns float, ``date`` a date)."""

    table: pd.DataFrame

    def apply(self, services: tuple[str, ...] | list[str], volume: np.ndarray, cal: Calendar,
              season: np.ndarray, shock_weekly: np.ndarray) -> np.ndarray:  # fmt: skip
        """Apply the events of the run's services in place: ``season`` (n_services, n_weeks)
        times the level in force each week, ``shock_weekly`` plus the surges (cases a week,
        nationwide, before the scenario's volume factors). Services not in the run are
        skipped. Returns the level in force per service and week (1 without an event), which
        the budgeted posts follow (:meth:`model.engine.FederalModel.agency_workload`)."""
        level = np.ones_like(season)
        monday = np.array([cal.start + dt.timedelta(days=7 * w) for w in range(cal.n_weeks)])
        for _, e in self.table.iterrows():
            if e["service_id"] not in services:
                continue
            s = list(services).index(e["service_id"])
            w0 = cal.week_of(e["date"])
            after = monday + dt.timedelta(days=6) >= e["date"]  # the week containing it on
            step = np.where(after, e["factor_after"], e["factor_before"])
            season[s] *= step
            level[s] *= step
            _add_surge(shock_weekly[s], e, volume[s], w0, 0)
        return level

    def surges_before(self, services: tuple[str, ...] | list[str], volume: np.ndarray,
                      cal: Calendar, weeks: int) -> np.ndarray:  # fmt: skip
        """The surges' cases in the ``weeks`` weeks before the run's first week, shape
        (n_services, weeks), nationwide (the warm-up's weeks: column ``k`` is the week
        ``weeks - k`` weeks before the start).

        A reform that took effect before the start (residence titles for refugees from
        Ukraine from March 2022) left open cases on the start day; the warm-up
        (:meth:`model.engine.FederalModel._warm_up`) receives its cases in these weeks, so its
        queues hold them on 1.1.2023. Cases of weeks before the warm-up are not simulated (the
        warm-up's length is the parameter ``warmup_weeks``; lengthening it for an event would
        change every office's initial queue). The level change of an event before the start
        is not applied to the warm-up, which runs at the first weeks' demand.
        """
        out = np.zeros((len(services), max(0, int(weeks))))
        for _, e in self.table.iterrows():
            if e["service_id"] in services and weeks > 0:
                s = list(services).index(e["service_id"])
                # the warm-up's weeks are -weeks .. -1 of the run's calendar
                _add_surge(out[s], e, volume[s], cal.week_of(e["date"]), -int(weeks))
        return out


def _add_surge(row: np.ndarray, e: pd.Series, volume: float, w0: int, first: int) -> None:
    """Add event ``e``'s catch-up (``surge_share`` x ``volume`` over ``surge_weeks`` weeks
    from week ``w0``) to ``row``, whose column 0 is week ``first``; weeks outside ``row`` are
    dropped."""
    n = int(e["surge_weeks"])
    if e["surge_share"] <= 0 or n <= 0:
        return
    cases = e["surge_share"] * volume * shock_weekly_weights(e["profile"], n)
    lo, hi = max(w0, first), min(w0 + n, first + len(row))
    if hi > lo:
        row[lo - first : hi - first] += cases[lo - w0 : hi - w0]


def build_events(raw: pd.DataFrame, services: pd.DataFrame) -> DemandEvents:
    """Check the event table against the catalogue; one-line errors name the file, the row
    and the column, and what is allowed."""
    name = f"model/data/{EVENTS_FILE}"
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise CatalogueError(f"{name}: missing column(s) {', '.join(missing)}")
    baseline = dict(zip(services["service_id"], services["baseline"], strict=True))
    t = raw.copy().reset_index(drop=True).astype(object)
    dates = []
    for i, e in t.iterrows():
        row = i + 2
        if e["service_id"] not in baseline or not baseline[e["service_id"]]:
            raise CatalogueError(f"{name} row {row}: service_id {e['service_id']!r} is not a "
                                 "recurring service of services.csv; allowed: a service with "
                                 "baseline = true")  # fmt: skip
        if e["profile"] not in SHOCK_PROFILES:
            raise CatalogueError(f"{name} row {row}: profile {e['profile']!r}; allowed: "
                                 f"{', '.join(SHOCK_PROFILES)}")  # fmt: skip
        if not str(e["source"]).strip():
            raise CatalogueError(f"{name} row {row}: column 'source' is empty")
        try:
            dates.append(dt.date.fromisoformat(str(e["date"])))
        except ValueError:
            raise CatalogueError(f"{name} row {row}: date '{e['date']}'; allowed: a date "
                                 "YYYY-MM-DD") from None  # fmt: skip
        for col in NUMBERS:
            try:
                value = float(e[col])
            except (TypeError, ValueError):
                value = float("nan")
            if not np.isfinite(value) or value < 0:
                raise CatalogueError(f"{name} row {row}: column {col!r} is '{e[col]}'; "
                                     "allowed: a number >= 0")  # fmt: skip
            t.at[i, col] = value
        if not float(t.at[i, "factor_low"]) <= float(t.at[i, "factor_after"]) <= float(
                t.at[i, "factor_high"]):  # fmt: skip
            raise CatalogueError(f"{name} row {row}: 'factor_after' must lie in "
                                 "[factor_low, factor_high]")  # fmt: skip
        if not float(t.at[i, "surge_low"]) <= float(t.at[i, "surge_share"]) <= float(
                t.at[i, "surge_high"]):  # fmt: skip
            raise CatalogueError(f"{name} row {row}: 'surge_share' must lie in "
                                 "[surge_low, surge_high]")  # fmt: skip
    if t["event_id"].duplicated().any():
        eid = t.loc[t["event_id"].duplicated(), "event_id"].iloc[0]
        raise CatalogueError(f"{name}: event_id {eid!r} appears twice")
    t["date"] = dates
    for col in NUMBERS:
        t[col] = t[col].astype(np.float64)
    return DemandEvents(t)


@functools.lru_cache(maxsize=1)
def load_events() -> DemandEvents:
    """The packaged events, checked against the packaged catalogue (cached)."""
    return build_events(read_text_table(EVENTS_FILE), load_catalogue().services)
