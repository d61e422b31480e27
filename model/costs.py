"""Costs by the Erfüllungsaufwand method and the citizen side of a finished run (issue 7;
docs/COSTS.md).

Everything here is computed after the run from what the model recorded: the weekly aggregates
per (Land, level, service) group (staff FTE, arrivals, completions), the execution records per
year and group (pairs by mode, agencies joining a platform, EfA adoption) and the resolved
moves (which platform goes live when, with which source agencies). Nothing here changes the
simulation, so cost parameters can be varied in batches without touching the workload.

**Administration (constant 2025 EUR).** Per group and model year:

- personnel = FTE-years x ``fte_hours_per_year`` x wage rate of the executing level
  (Leitfaden Erfüllungsaufwand, Stand 2025) + workplace costs (AGebV Sacheinzelkosten per FTE)
  + overhead (KGSt 20 % of personnel costs for Kommunen; AGebV 28.1 % of personnel plus
  workplace costs for the Bund; ranged assumptions for Länder and Jobcenter);
- IT (every IT parameter is a ranged assumption: no sourced per-service figure exists):
  decentral procedures cost a fixed amount per (agency, service) pair with work plus an amount
  per case; a central platform or an EfA service costs its build (once, in its go-live year,
  if that lies in the horizon), a yearly run cost and a variable cost per case. Each is quoted
  for a platform of ``it_platform_reference_cases`` cases a year and scales with
  ``(cases / reference) ^ it_platform_scale_exponent`` (economies of scale for exponents below
  1): build and run with the cases the platform is built for (its sources' cases in the first
  model year), the variable cost with the cases it completes. Agencies on an EfA service drop
  their own procedure;
- migration: a one-off cost per agency that hands a service to a platform or joins an EfA
  service (joins before the model's start are sunk).

Years with fewer or more than ``weeks_per_year`` weeks (a short horizon, ISO years with 53
weeks) carry their share of the yearly amounts. Discounted costs are ``total x (1 + r) ^ -(year
- price year)``.

**Citizens.** Applications (not running case-years) need visits unless made online. The online
share is the decentral share of the service's group (register, benefit, programme), raised by
EfA services and central platforms. An application made offline needs
``trips_per_offline_application`` visits to a local office (Gemeinde, Kreis, Jobcenter, a
city-state's offices) or a ``central_office_visit_share`` of them to a Land or federal office
without a counter; an in-person service needs at least one visit however it is made, at its
local front office once its back office is central. Visit time by the level of the office
visited (Leitfaden Wegezeiten: Gemeinde 15, Kreis 22, Land 59 min; Jobcenter and city-state
offices as Kreis, federal offices as Land); CO2 = visits x km x g CO2 per km.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.agencies import LEVELS
from model.engine import AGG_FIELDS

F = {name: i for i, name in enumerate(AGG_FIELDS)}

LEVEL_WAGE_GROUP: dict[str, str] = {
    "gemeinde": "kommunen", "kreis": "kommunen", "jobcenter": "sozialversicherung",
    "land": "laender", "bund": "bund",
}  # fmt: skip
"""Model level -> level of the Leitfaden's wage table (Jobcenter: Sozialversicherung)."""

OVERHEAD_ON_WORKPLACE: dict[str, bool] = {
    "kommunen": False, "laender": False, "sozialversicherung": False, "bund": True,
}  # fmt: skip
"""Whether a level's overhead rate applies to workplace costs too: AGebV Anlage 1 adds its
28.1 % to the direct costs (personnel and Sacheinzelkosten); KGSt's 20 % is a share of
personnel costs (FACTS.md B.2, B.3). Länder and Jobcenter follow the KGSt convention."""

ONLINE_GROUPS: dict[str, str] = {
    **dict.fromkeys(
        ("kfz_zulassung", "personalausweis", "reisepass", "meldung", "bauantrag", "gewerbe",
         "einbuergerung", "aufenthaltstitel", "eheschliessung", "geburt", "sterbefall",
         "fuehrerschein", "hundesteuer", "fuehrungszeugnis", "fischereischein",
         "waffenbesitzkarte"), "register"),
    **dict.fromkeys(
        ("wohngeld", "elterngeld", "bafoeg", "schueler_bafoeg", "uvg", "kindergeld",
         "kinderzuschlag", "buergergeld", "sgb2_widerspruch", "sozialhilfe", "asylblg",
         "schwerbehinderung"), "benefit"),
    **dict.fromkeys(
        ("grundsteuer_erklaerung", "epp200", "ueberbrueckungshilfe", "soforthilfe2020"),
        "programme"),
}  # fmt: skip
"""Service -> group of its decentral online share (registry ``online_share_<group>``):
registration, documents, civil status and permits; benefit applications; one-off programmes
and declarations made through online portals. Services not listed count as ``register`` (the
lowest share)."""

VISIT_LEVEL: dict[str, str] = {
    "gemeinde": "gemeinde", "kreis": "kreis", "jobcenter": "kreis", "land": "land",
    "bund": "land",
}  # fmt: skip
"""Executing level -> Leitfaden Wegezeit level of a visit. Jobcenter serve one Kreis area
(Kreis); the Leitfaden has no federal office, whose regional branches are taken as far as a
Land office (assumption). A city-state's Land-level office is its city's office (Kreis)."""

COMPONENTS: tuple[str, ...] = (
    "wage_eur", "overhead_eur", "workplace_eur", "it_decentral_eur", "it_platform_build_eur",
    "it_platform_run_eur", "it_platform_cases_eur", "it_efa_eur", "cost_migration_eur",
)  # fmt: skip
"""Cost components of the ``costs`` table (EUR, 2025 prices); they add up to the total."""


@dataclass(frozen=True)
class Platform:
    """A central platform or an EfA service as seen by the cost rules.

    Attributes:
        kind: ``central`` (a target pair that receives source agencies) or ``efa``.
        service: Service code.
        group: The platform's group (central) or -1 (EfA: costs go to its users' groups).
        golive_year: Index of the model year of go-live (0 if before the model's start).
        built_in_horizon: The go-live lies in the simulated period (its build is charged).
        sources: Source pairs (agencies that hand over or may join).
        size: Cases a year the platform is built for: the first model year's cases of its
            source groups (and, for a central platform, its own group), for a whole year.
    """

    kind: str
    service: int
    group: int
    golive_year: int
    built_in_horizon: bool
    sources: np.ndarray
    size: float = 0.0


def discount_factors(years: np.ndarray, rate: float, price_year: int) -> np.ndarray:
    """``(1 + rate) ^ -(year - price_year)`` per year (years before the price year compound
    up to it)."""
    return (1.0 + float(rate)) ** -(np.asarray(years, dtype=np.float64) - float(price_year))


def platform_scale(cases: np.ndarray | float, p: dict) -> np.ndarray:
    """``(cases / reference) ^ exponent``: a platform's cost relative to one of
    ``it_platform_reference_cases`` cases a year (0 for no cases)."""
    cases = np.asarray(cases, dtype=np.float64)
    ref = float(p["it_platform_reference_cases"])
    scaled = np.power(np.maximum(cases, 0.0) / ref, float(p["it_platform_scale_exponent"]))
    return np.where(cases > 0, scaled, 0.0)


def platform_variable_cost(cases: np.ndarray | float, p: dict) -> np.ndarray:
    """Variable IT cost of a platform per year (EUR) for its yearly cases:
    ``per_case x reference x (cases / reference) ^ exponent`` (0 for no cases)."""
    ref = float(p["it_platform_reference_cases"])
    return float(p["it_platform_per_case_eur"]) * ref * platform_scale(cases, p)


# --- what the run recorded, per (model year, group) -------------------------------------------
def _year_sums(m) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Yearly sums of the weekly aggregates and the weeks per model year."""
    years = np.asarray(m.model_years)
    idx = np.searchsorted(years, m.calendar.year)
    out = {}
    for name in ("arrivals", "completions", "staff_fte"):
        s = np.zeros((len(years), m.weekly.shape[2]))
        np.add.at(s, idx, m.weekly[:, F[name]])
        out[name] = s
    return out, np.bincount(idx, minlength=len(years)).astype(np.float64)


def _records(m, n_years: int) -> dict[str, np.ndarray]:
    """The execution records, or every pair decentral when the model has none (models built
    from a hand-made routing)."""
    rt = getattr(m, "execution", None)
    if rt is not None and rt.records:
        return rt.records
    pairs = np.bincount(m.pair_group, minlength=m.weekly.shape[2]).astype(np.float64)
    zero = np.zeros((n_years, len(pairs)))
    return {"pairs_decentral": np.tile(pairs, (n_years, 1)), "pairs_efa": zero,
            "pairs_platform": zero, "joined_platform": zero, "efa_joined": zero,
            "efa_eligible": zero}  # fmt: skip


def _year_of_week(m, week: int) -> tuple[int, bool]:
    """(model year index, within the horizon) of a go-live week (may lie outside)."""
    n = m.calendar.n_weeks
    if week < 0:
        return 0, False
    if week >= n:
        return len(m.model_years), False
    return int(np.searchsorted(m.model_years, m.calendar.year[week])), True


def platforms(m) -> list[Platform]:
    """The central platforms (targets that receive at least one source agency) and the EfA
    services of a run, from its resolved moves."""
    rt = getattr(m, "execution", None)
    if rt is None:
        return []
    sums, weeks = _year_sums(m)
    first_year = sums["arrivals"][0] * float(m.scenario.parameters["weeks_per_year"]) / weeks[0]

    def size(groups: np.ndarray) -> float:
        return float(first_year[np.unique(groups)].sum())

    central: dict[int, list] = {}
    efa: dict[int, list] = {}
    for ms in rt.moves:
        if ms.move.mode == "efa" and len(ms.sources):
            s = int(m.pair_service[ms.sources[0]])
            efa.setdefault(s, []).append(ms)
        elif ms.target >= 0 and len(ms.sources):
            central.setdefault(int(ms.target), []).append(ms)
    out = []
    for target, moves in sorted(central.items()):
        year, inside = _year_of_week(m, min(ms.start_week for ms in moves))
        sources = np.concatenate([ms.sources for ms in moves])
        groups = np.append(m.pair_group[sources], m.pair_group[target])
        out.append(Platform("central", int(m.pair_service[target]), int(m.pair_group[target]),
                            year, inside, sources, size(groups)))  # fmt: skip
    for s, moves in sorted(efa.items()):
        year, inside = _year_of_week(m, min(ms.start_week for ms in moves))
        sources = np.concatenate([ms.sources for ms in moves])
        out.append(Platform("efa", s, -1, year, inside, sources, size(m.pair_group[sources])))
    return out


def efa_joined_at_start(m) -> np.ndarray:
    """EfA users per group at the model's start (joined before it: their onboarding is sunk).

    The runtime's adoption before the start (``prestart_efa``) is deterministic in the seed,
    so it is replayed on a fresh runtime with the same moves (no model state is touched).
    """
    from model.migration import ExecutionRuntime

    rt = m.execution
    fresh = [type(ms)(ms.move, ms.sources, ms.target, ms.start_week, ms.end_week)
             for ms in rt.moves]  # fmt: skip
    replay = ExecutionRuntime(fresh, rt.minutes0, rt.potential, rt.central_factor,
                              rt.kept_share, rt.p, rt.seed)  # fmt: skip
    replay.prestart_efa(0)
    joined = replay.efa_joined & replay.efa_eligible
    return np.bincount(m.pair_group, joined, minlength=m.weekly.shape[2]).astype(np.float64)


# --- the cost table --------------------------------------------------------------------------
def _group_arrays(m, catalogue) -> dict[str, np.ndarray]:
    """Per group: level, service code, running-case flag, in-person flag, online group and
    whether its Land is a city-state."""
    from model.geography import load_germany

    groups = m.routing.groups
    services = list(m.routing.services)
    n_groups = len(groups)
    running = np.zeros(n_groups, dtype=bool)
    running[m.pair_group[m.running]] = True
    if catalogue is None:
        from model.catalogue import load_catalogue

        catalogue = load_catalogue()
    in_person = catalogue.services.set_index("service_id")["in_person"].astype(bool)
    city = load_germany().laender["stadtstaat"].astype(bool)
    sid = groups["service_id"].to_numpy()
    return {
        "level": groups["level"].to_numpy().astype(str),
        "service": np.array([services.index(s) for s in sid]),
        "running": running,
        "in_person": np.array([bool(in_person.get(s, False)) for s in sid]),
        "online_group": np.array([ONLINE_GROUPS.get(s, "register") for s in sid]),
        "city_state": np.array([bool(city.get(k, False)) for k in groups["land"]]),
    }


def _visit(level: np.ndarray, city_state: np.ndarray, p: dict) -> tuple[np.ndarray, ...]:
    """(minutes, km, local counter) of a visit to offices of these levels."""
    visit = np.array([VISIT_LEVEL[lv] for lv in level])
    visit = np.where(city_state & (visit == "land"), "kreis", visit)
    minutes = np.array([float(p[f"trip_minutes_{v}"]) for v in visit])
    km = np.array([float(p[f"trip_km_{v}"]) for v in visit])
    return minutes, km, visit != "land"


def _front_office(m, plat: Platform, p: dict) -> tuple[float, float]:
    """Population-weighted (minutes, km) of a visit to the front offices of a platform's
    source agencies (the offices that executed the service before)."""
    pop = np.bincount(m.routing.cell_pair, m.routing.cell_population, minlength=m.n_pairs)
    levels = np.array(LEVELS)[m.routing.pairs["level"].to_numpy()[plat.sources]]
    from model.geography import load_germany

    city = np.append(load_germany().laender["stadtstaat"].to_numpy(bool), False)  # + Bund
    land_row = m.routing.pairs["land_row"].to_numpy()[plat.sources]
    minutes, km, _ = _visit(levels, city[np.minimum(land_row, len(city) - 1)], p)
    w = pop[plat.sources]
    w = w if w.sum() > 0 else np.ones(len(w))
    return float(minutes @ w / w.sum()), float(km @ w / w.sum())


def cost_table(m, catalogue=None) -> pd.DataFrame:
    """Costs and the citizen side per model year and (Land, level, service) group.

    Args:
        m: A finished :class:`~model.engine.FederalModel`.
        catalogue: The catalogue the model was built from (default: the packaged one); for
            the in-person flags.

    Returns:
        One row per year x group: ``year, land, level, service_id``, ``staff_fte_years``,
        ``completions``, ``applications``, the :data:`COMPONENTS` (EUR), ``cost_personnel_eur``,
        ``cost_it_eur``, ``cost_migration_eur``, ``cost_total_eur``, ``cost_discounted_eur``,
        ``online_applications``, ``citizen_trips``, ``citizen_hours``, ``co2_tonnes``.
    """
    p = m.scenario.parameters
    sums, weeks = _year_sums(m)
    n_years, n_groups = sums["staff_fte"].shape
    years = np.asarray(m.model_years)
    share_of_year = (weeks / float(p["weeks_per_year"]))[:, None]
    g = _group_arrays(m, catalogue)
    r = _records(m, n_years)
    c: dict[str, np.ndarray] = {}

    # personnel: FTE-weeks / weeks per year = FTE-years
    fte_years = sums["staff_fte"] / float(p["weeks_per_year"])
    wage_group = np.array([LEVEL_WAGE_GROUP[lv] for lv in g["level"]])
    rate = np.array([float(p[f"wage_rate_{w}_eur_h"]) for w in wage_group])
    overhead = np.array([float(p[f"overhead_{w}"]) for w in wage_group])
    on_workplace = np.array([OVERHEAD_ON_WORKPLACE[w] for w in wage_group])
    c["wage_eur"] = fte_years * float(p["fte_hours_per_year"]) * rate
    c["workplace_eur"] = fte_years * float(p["workplace_cost_eur"])
    c["overhead_eur"] = overhead * (c["wage_eur"] + np.where(on_workplace, c["workplace_eur"], 0))

    # IT and migration
    plats = platforms(m)
    live = np.zeros((n_years, n_groups), dtype=bool)  # a central platform's group after go-live
    for pl in plats:
        if pl.kind == "central":
            live[pl.golive_year:, pl.group] = True
    local = r["pairs_decentral"] + r["pairs_efa"]
    with np.errstate(invalid="ignore", divide="ignore"):
        efa_share = np.where(local > 0, r["pairs_efa"] / local, 0.0)
    own_pairs = np.where(live, 0.0, r["pairs_decentral"] + r["pairs_platform"])
    own_cases = np.where(live, 0.0, sums["completions"] * (1.0 - efa_share))
    c["it_decentral_eur"] = (float(p["it_decentral_fixed_eur"]) * own_pairs * share_of_year
                             + float(p["it_decentral_per_case_eur"]) * own_cases)  # fmt: skip
    for key in ("it_platform_build_eur", "it_platform_run_eur", "it_platform_cases_eur",
                "it_efa_eur"):  # fmt: skip
        c[key] = np.zeros((n_years, n_groups))
    build, run = float(p["it_platform_build_eur"]), float(p["it_platform_run_eur"])
    for pl in plats:
        if pl.golive_year >= n_years:
            continue
        y0 = pl.golive_year
        scale = float(platform_scale(pl.size, p))
        if pl.kind == "central":
            gi = pl.group
            c["it_platform_build_eur"][y0, gi] += build * scale if pl.built_in_horizon else 0.0
            c["it_platform_run_eur"][y0:, gi] += run * scale * share_of_year[y0:, 0]
            c["it_platform_cases_eur"][y0:, gi] += platform_variable_cost(
                sums["completions"][y0:, gi], p)  # fmt: skip
            continue
        users = np.zeros(n_groups, dtype=bool)
        users[m.pair_group[pl.sources]] = True
        efa_cases = sums["completions"] * efa_share * users
        total = efa_cases.sum(axis=1)
        cost = run * scale * share_of_year[:, 0] + platform_variable_cost(total, p)
        cost[y0] += build * scale if pl.built_in_horizon else 0.0
        cost[:y0] = 0.0
        weight = np.where(total[:, None] > 0, efa_cases, r["efa_eligible"] * users)
        with np.errstate(invalid="ignore", divide="ignore"):
            weight = np.nan_to_num(weight / weight.sum(axis=1, keepdims=True))
        c["it_efa_eur"] += cost[:, None] * weight
    joins = r["joined_platform"].copy()
    if r["efa_eligible"].any():
        start = efa_joined_at_start(m)
        joins += np.diff(r["efa_joined"], axis=0, prepend=start[None, :])
    c["cost_migration_eur"] = float(p["migration_cost_per_agency_eur"]) * joins

    out = pd.DataFrame({
        "year": np.repeat(years, n_groups),
        "land": np.tile(m.routing.groups["land"].to_numpy(), n_years),
        "level": np.tile(g["level"], n_years),
        "service_id": np.tile(m.routing.groups["service_id"].to_numpy(), n_years),
        "staff_fte_years": fte_years.ravel(),
        "completions": sums["completions"].ravel(),
    })  # fmt: skip
    for key in COMPONENTS:
        out[key] = c[key].ravel()
    out["cost_personnel_eur"] = out[["wage_eur", "overhead_eur", "workplace_eur"]].sum(axis=1)
    out["cost_it_eur"] = out[["it_decentral_eur", "it_platform_build_eur", "it_platform_run_eur",
                              "it_platform_cases_eur", "it_efa_eur"]].sum(axis=1)  # fmt: skip
    out["cost_total_eur"] = out[["cost_personnel_eur", "cost_it_eur",
                                 "cost_migration_eur"]].sum(axis=1)  # fmt: skip
    factor = discount_factors(years, float(p["discount_rate"]), int(p["cost_price_year"]))
    out["cost_discounted_eur"] = out["cost_total_eur"] * np.repeat(factor, n_groups)
    for key, values in _citizen(m, g, sums, efa_share, live, plats, p).items():
        out[key] = values.ravel()
    for col in ("land", "level", "service_id"):
        out[col] = out[col].astype("category")
    return out


def _citizen(m, g: dict, sums: dict, efa_share: np.ndarray, live: np.ndarray,
             plats: list[Platform], p: dict) -> dict[str, np.ndarray]:  # fmt: skip
    """Applications, online applications, visits, citizen hours and CO2 per (year, group)."""
    apps = sums["arrivals"] * ~g["running"]
    base = np.array([float(p[f"online_share_{grp}"]) for grp in g["online_group"]])
    efa = np.maximum(base, float(p["online_share_efa"]))
    central = np.maximum(base, float(p["online_share_central"]))
    online = np.where(live, central, (1.0 - efa_share) * base + efa_share * efa)
    minutes, km, local = _visit(g["level"], g["city_state"], p)
    shape = apps.shape
    minutes, km = np.broadcast_to(minutes, shape).copy(), np.broadcast_to(km, shape).copy()
    reach = np.broadcast_to(np.where(local, 1.0, float(p["central_office_visit_share"])),
                            shape).copy()  # fmt: skip
    for pl in plats:  # in-person services keep a front office at the sources' level
        if pl.kind == "central" and g["in_person"][pl.group] and pl.golive_year < shape[0]:
            front_min, front_km = _front_office(m, pl, p)
            minutes[pl.golive_year:, pl.group] = front_min
            km[pl.golive_year:, pl.group] = front_km
            reach[pl.golive_year:, pl.group] = 1.0
    must = g["in_person"].astype(np.float64)  # one visit whatever the channel
    offline_visits = np.maximum(must, float(p["trips_per_offline_application"]) * reach)
    trips = apps * (online * must + (1.0 - online) * offline_visits)
    return {
        "applications": apps,
        "online_applications": apps * online,
        "citizen_trips": trips,
        "citizen_hours": trips * minutes / 60.0,
        "co2_tonnes": trips * km * float(p["trip_co2_g_per_km"]) / 1e6,
    }


# --- KPIs ------------------------------------------------------------------------------------
SUMMED_KPIS: tuple[str, ...] = (
    "cost_total_eur", "cost_personnel_eur", "cost_it_eur", "cost_migration_eur",
    "cost_discounted_eur", "citizen_hours", "citizen_trips", "co2_tonnes",
)  # fmt: skip


def kpis_from_costs(table: pd.DataFrame) -> list[pd.DataFrame]:
    """The cost and citizen KPIs (long format ``year, kpi, level, service_id, value``)
    nationwide, per level and per service from a :func:`cost_table`."""
    columns = [*SUMMED_KPIS, "completions", "applications", "online_applications"]
    t = table.assign(level=table["level"].astype(str), service_id=table["service_id"].astype(str))
    parts = [t.groupby("year")[columns].sum().assign(level="all", service_id="all"),
             t.groupby(["year", "level"])[columns].sum().reset_index("level")
             .assign(service_id="all"),
             t.groupby(["year", "service_id"])[columns].sum().reset_index("service_id")
             .assign(level="all")]  # fmt: skip
    y = pd.concat(parts).reset_index()
    level_order = {lv: i for i, lv in enumerate(("all", *LEVELS))}
    y = y.sort_values(["level", "service_id", "year"],
                      key=lambda c: c.map(level_order) if c.name == "level" else c)  # fmt: skip
    values = {k: y[k].to_numpy(float) for k in SUMMED_KPIS}
    for kpi, num, den in (("cost_per_case_eur", "cost_total_eur", "completions"),
                          ("online_share", "online_applications", "applications")):
        n, d = y[num].to_numpy(float), y[den].to_numpy(float)
        values[kpi] = np.divide(n, d, out=np.full(len(d), np.nan), where=d > 0)
    keys = {"year": y["year"].to_numpy(), "level": y["level"].to_numpy(),
            "service_id": y["service_id"].to_numpy()}  # fmt: skip
    return [pd.DataFrame({"year": keys["year"], "kpi": kpi, "level": keys["level"],
                          "service_id": keys["service_id"], "value": vals})
            for kpi, vals in values.items()]  # fmt: skip


def cost_kpis(m) -> list[pd.DataFrame]:
    """Cost and citizen KPIs of a finished run (for :func:`model.results.kpi_table`)."""
    return kpis_from_costs(cost_table(m))
