"""Build a scenario's routing, demand and service arrays from the packaged catalogue and
geography (the part of the model set-up that reads data)."""

from __future__ import annotations

import numpy as np

from model import agencies as ag
from model.catalogue import Catalogue
from model.demand import Calendar, DemandSpec, shock_schedule, weekly_seasonality
from model.demography import demand_index
from model.errors import ScenarioError
from model.events import load_events
from model.execution import Move, resolve_moves
from model.geography import Germany, municipal_units
from model.scenario import Scenario


def build_from_catalogue(
    scenario: Scenario, cat: Catalogue, g: Germany, cal: Calendar
) -> tuple[ag.Routing, DemandSpec, np.ndarray, np.ndarray, np.ndarray | None, list[Move]]:
    """Routing and demand of a scenario from the packaged catalogue and geography, and the
    scenario's execution moves (with their central platforms in the routing)."""
    p = scenario.parameters
    svc = cat.services.set_index("service_id")
    active = [
        sid for sid in svc.index
        if (bool(svc.at[sid, "baseline"]) or sid in shock_services(cat, scenario))
        and scenario.services.get(sid, {}).get("enabled", True)
    ]  # fmt: skip
    if not active:
        shown = scenario.files[-1] if scenario.files else scenario.name
        raise ScenarioError(f"{shown}: key 'services': no enabled service has demand (the "
                            "enabled ones are one-off programmes without a [shocks] entry); "
                            "allowed: at least one recurring service enabled or one programme "
                            "switched on")  # fmt: skip
    units = municipal_units(g, str(p["granularity"]))
    names = {sid: str(svc.at[sid, "name_de"]) for sid in active}
    moves = resolve_moves(scenario.files[-1] if scenario.files else scenario.name,
                          scenario.execution, cat.services, cat.execution,
                          list(g.laender["code"]), int(p["migration_weeks"]), active)  # fmt: skip
    targets = sorted({(m.service_id, m.land_row if m.mode == "central_land" else -1,
                       "land" if m.mode == "central_land" else "bund")
                      for m in moves if m.mode in ("central_land", "central_bund")})  # fmt: skip
    routing = ag.build_routing(g, units, cat.execution, active, names, targets)
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
    programmes = shock_weekly * factor[:, None]  # staffed; event surges are not
    level = warmup_shock = None
    if p["demand_events"] == "history":  # the reforms of 2022-25 (model/events.py)
        events = load_events()
        level = events.apply(tuple(active), volume, cal, season, shock_weekly)
        before = events.surges_before(tuple(active), volume, cal, int(p["warmup_weeks"]))
        warmup_shock = before * factor[:, None] if before.any() else None
    spec = DemandSpec(volume, season, shock_weekly * factor[:, None], shock_mask, factor,
                      programmes, level, warmup_shock)  # fmt: skip
    minutes = np.array([float(svc.at[sid, "minutes_per_case"]) for sid in active])
    running = np.array([svc.at[sid, "kind"] == "running_case" for sid in active])
    demography = None
    if p["demand_follows_demography"] == "projection":
        demography = demand_index([str(svc.at[sid, "scales_with"]) for sid in active],
                                  list(g.laender.index), [int(y) for y in np.unique(cal.year)],
                                  str(p["population_variant"]))  # fmt: skip
    return routing, spec, minutes, running, demography, moves


def shock_services(cat: Catalogue, scenario: Scenario) -> set[str]:
    by_id = cat.shocks.set_index("shock_id")
    return {str(by_id.at[s, "service_id"]) for s in scenario.shocks}
