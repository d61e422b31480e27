"""Places: values per Kreis and per Land for maps, and the profile of one Kreis ("Kommune 2030").

Per-place values come from the runs' per-agency and per-Land tables (docs/STAFFING.md,
model/results.py); for each run the value is computed from that run's rows, then reduced over
runs to the median (per scenario). Which agencies count for a Kreis: those located in it — its
Gemeinden or Verwaltungen, the Kreisverwaltung and the Jobcenter. Land offices and federal
agencies serve a whole Land or Germany and have no Kreis, so Kreis values leave them out; Land
values (from the ``weekly`` and ``staff`` tables) include Land offices but not the Bund.

Measures, with reasons:

- **Lead time** of a place: the mean over the applications decided there in the year, i.e. the
  agencies' lead times weighted by their completions (as the national KPI ``lead_time_weeks``).
  Running-case services have no lead time and do not count.
- **Staff gap** of a place, in % of the staff it needs: ``100 × (needed − available) /
  needed``, summed over its agencies first. A share, not FTE, so that large and small Kreise
  can be compared on one colour scale; positive means too few staff.

Needs tables: Kreis values and the profile need the ``full`` set (``agencies``,
``staff_agencies``); Land values the ``aggregates`` set (``weekly``, ``staff``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.compare import RUN_COLUMNS, CompareError, RunSet, summarise

STAFF_KPIS = ("staff_available_fte", "staff_needed_fte", "staff_gap_fte")
MAX_MEMBER_NAMES = 6
"""Member Gemeinden named per Verwaltung in the profile table (the rest are counted)."""
KREIS_TABLES = ("agencies", "staff_agencies")
LAND_TABLES = ("weekly", "staff")


def _weighted_lead(frame: pd.DataFrame, by: Sequence[str], lead: str = "lead_time_weeks",
                   weight: str = "completions") -> pd.DataFrame:  # fmt: skip
    """Completion-weighted mean lead time per group (rows without a lead time left out)."""
    rows = frame.dropna(subset=[lead])
    rows = rows.assign(_lead_sum=rows[lead] * rows[weight])
    sums = rows.groupby(list(by), observed=True)[["_lead_sum", weight]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = sums["_lead_sum"] / sums[weight].where(sums[weight] > 0)
    return value.rename("value").reset_index()


def _gap_share(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    sums = frame.groupby(list(by), observed=True)[["staff_gap_fte", "staff_needed_fte"]].sum()
    needed = sums["staff_needed_fte"].where(sums["staff_needed_fte"] > 0)
    return (100.0 * sums["staff_gap_fte"] / needed).rename("value").reset_index()


def _medians(per_run: pd.DataFrame, key: str, scenarios: Sequence[str]) -> pd.DataFrame:
    """Median over runs per place and scenario: index = place key, one column per scenario."""
    wide = per_run.groupby([key, "scenario"], observed=True)["value"].median().unstack("scenario")
    return wide.reindex(columns=[s for s in scenarios if s in wide.columns]).sort_index()


def kreis_lead_time(runs: RunSet, year: int) -> pd.DataFrame:
    """Lead time (weeks) per Kreis in ``year``: index Kreis AGS, one column per scenario."""
    rows = runs.table("agencies", ["kreis", "lead_time_weeks", "completions"],
                      where=lambda f: (f["year"] == year) & (f["kreis"].astype(str) != ""))
    return _medians(_weighted_lead(rows, [*RUN_COLUMNS, "kreis"]), "kreis", runs.scenarios)


def kreis_staff_gap(runs: RunSet, year: int) -> pd.DataFrame:
    """Staff gap in % of staff needed per Kreis in ``year`` (index AGS, column per scenario)."""
    rows = runs.table("staff_agencies", ["kreis", "staff_gap_fte", "staff_needed_fte"],
                      where=lambda f: (f["year"] == year) & (f["kreis"].astype(str) != ""))
    return _medians(_gap_share(rows, [*RUN_COLUMNS, "kreis"]), "kreis", runs.scenarios)


def land_lead_time(runs: RunSet, year: int) -> pd.DataFrame:
    """Lead time (weeks) per Land in ``year`` from the weekly table (Bund rows left out)."""
    rows = runs.table("weekly", ["land", "lead_time_weeks", "completions"],
                      where=lambda f: (f["year"] == year) & (f["land"].astype(str) != "00"))
    return _medians(_weighted_lead(rows, [*RUN_COLUMNS, "land"]), "land", runs.scenarios)


def land_staff_gap(runs: RunSet, year: int) -> pd.DataFrame:
    """Staff gap in % of staff needed per Land in ``year`` (Bund rows left out)."""
    rows = runs.table("staff", ["land", "staff_gap_fte", "staff_needed_fte"],
                      where=lambda f: (f["year"] == year) & (f["land"].astype(str) != "00"))
    return _medians(_gap_share(rows, [*RUN_COLUMNS, "land"]), "land", runs.scenarios)


# --- the Kreis profile -------------------------------------------------------------------------


@dataclass
class KreisProfile:
    """One Kreis in the runs: its agencies' staff and lead times, its Verwaltungen.

    Attributes:
        ags: 5-digit Kreis key.
        name: Kreis name (Destatis GV100AD).
        typ: Kreisfreie Stadt, Landkreis, ...
        land: Land name.
        population: Persons, 31.12.2024.
        n_gemeinden: Gemeinden in the Kreis.
        year: The profile's year.
        missing: Tables the runs lack for the profile (empty when complete).
        staff: Bands over runs of the Kreis's ``staff_available_fte``, ``staff_needed_fte``,
            ``staff_gap_fte`` per scenario and year (for :func:`analysis.figures.staff_figure`).
        by_level: Median staff available, needed, gap in ``year`` per scenario and level.
        lead_by_service: Bands of the Kreis's lead time per service in ``year``.
        units: One row per municipal administration (Verwaltung or Gemeinde): ``key``, ``name``,
            ``typ``, ``population``, ``n_gemeinden``, ``gemeinden`` (member names), and
            per scenario ``staff_available_fte:S``, ``staff_gap_fte:S``, ``lead_time_weeks:S``
            (medians over runs in ``year``).
    """

    ags: str
    name: str
    typ: str
    land: str
    population: int
    n_gemeinden: int
    year: int
    missing: list[str] = field(default_factory=list)
    staff: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_level: pd.DataFrame = field(default_factory=pd.DataFrame)
    lead_by_service: pd.DataFrame = field(default_factory=pd.DataFrame)
    units: pd.DataFrame = field(default_factory=pd.DataFrame)


def check_kreis(ags: str) -> str:
    """Return ``ags`` if it is one of the 400 Kreis keys, else raise a one-line error."""
    from model.geography import load_germany

    kreise = load_germany().kreise
    if ags not in kreise.index:
        hint = ""
        if isinstance(ags, str) and ags.isdigit() and len(ags) == 5:
            near = kreise.index[kreise.index.str.startswith(ags[:2])]
            hint = f" (Kreise of Land {ags[:2]}: {near[0]} … {near[-1]})" if len(near) else ""
        raise CompareError(f"--kreis {ags!r}: not a Kreis key{hint}; allowed: a 5-digit Kreis "
                           f"AGS, e.g. 01001 ({kreise.loc['01001', 'name']})")  # fmt: skip
    return ags


def _municipal_names(keys: pd.Series) -> pd.DataFrame:
    """Name, type, population and members of municipal agencies (Verwaltung or Gemeinde key)."""
    from model.geography import load_germany

    g = load_germany()
    rows = []
    for key in keys:
        if len(key) == 9 and key in g.verwaltungen.index:
            v = g.verwaltungen.loc[key]
            members = g.gemeinden[g.gemeinden["verwaltung"] == key]["name"].tolist()
            listed = ", ".join(members[:MAX_MEMBER_NAMES])
            if len(members) > MAX_MEMBER_NAMES:
                listed += f", … (+{len(members) - MAX_MEMBER_NAMES})"
            rows.append({"key": key, "name": v["name"], "typ": v["typ"],
                         "population": int(v["population"]), "n_gemeinden": int(v["n_gemeinden"]),
                         "gemeinden": listed if len(members) > 1 else ""})  # fmt: skip
        elif key in g.gemeinden.index:
            m = g.gemeinden.loc[key]
            rows.append({"key": key, "name": m["name"], "typ": m["typ"],
                         "population": int(m["population"]), "n_gemeinden": 1,
                         "gemeinden": ""})  # fmt: skip
        else:
            rows.append({"key": key, "name": key, "typ": "", "population": 0, "n_gemeinden": 0,
                         "gemeinden": ""})  # fmt: skip
    return pd.DataFrame(rows, columns=["key", "name", "typ", "population", "n_gemeinden",
                                       "gemeinden"])  # fmt: skip


def kreis_profile(runs: RunSet, ags: str, year: int) -> KreisProfile:
    """The profile of one Kreis in the runs.

    Args:
        runs: The runs (``full`` tables for the numbers; without them the profile has only the
            register facts and ``missing`` names the tables).
        ags: 5-digit Kreis key.
        year: The profile's year (e.g. 2030).

    Raises:
        CompareError: ``ags`` is not a Kreis key.
    """
    from model.geography import load_germany

    g = load_germany()
    check_kreis(ags)
    k = g.kreise.loc[ags]
    profile = KreisProfile(
        ags=ags, name=str(k["name"]), typ=str(k["typ"]),
        land=str(g.laender.loc[k["land"], "name"]), population=int(k["population"]),
        n_gemeinden=int((g.gemeinden["kreis"] == ags).sum()), year=year,
        missing=[t for t in KREIS_TABLES if not runs.has(t)],
    )  # fmt: skip
    if profile.missing:
        return profile
    in_kreis = lambda f: f["kreis"].astype(str) == ags  # noqa: E731
    staff = runs.table("staff_agencies", ["year", "agency_key", "level", *STAFF_KPIS[:2],
                                          "staff_gap_fte"], where=in_kreis)  # fmt: skip
    totals = staff.groupby([*RUN_COLUMNS, "year"], observed=True)[list(STAFF_KPIS)].sum()
    tidy = totals.reset_index().melt(id_vars=[*RUN_COLUMNS, "year"], var_name="kpi")
    profile.staff = summarise(tidy, ["scenario", "kpi", "year"])
    this_year = staff[staff["year"] == year]
    levels = this_year.groupby([*RUN_COLUMNS, "level"], observed=True)[list(STAFF_KPIS)].sum()
    profile.by_level = levels.groupby(["scenario", "level"], observed=True).median().drop(
        columns=["point", "replication", "seed"], errors="ignore").reset_index()  # fmt: skip
    cases = runs.table("agencies", ["agency_key", "level", "service_id", "lead_time_weeks",
                                    "completions"],
                       where=lambda f: in_kreis(f) & (f["year"] == year))  # fmt: skip
    lead = _weighted_lead(cases, [*RUN_COLUMNS, "service_id"])
    bands = summarise(lead, ["scenario", "service_id"])
    profile.lead_by_service = bands.assign(kpi="lead_time_weeks", level="all", year=year)
    profile.units = _unit_table(runs, this_year, cases)
    return profile


def _unit_table(runs: RunSet, staff: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    municipal = staff[staff["level"] == "gemeinde"]
    keys = pd.Series(sorted(set(municipal["agency_key"])), dtype=str)
    units = _municipal_names(keys).set_index("key")
    per_run_staff = municipal.groupby([*RUN_COLUMNS, "agency_key"], observed=True)[
        ["staff_available_fte", "staff_gap_fte"]].sum().reset_index()  # fmt: skip
    per_run_lead = _weighted_lead(cases[cases["level"] == "gemeinde"],
                                  [*RUN_COLUMNS, "agency_key"])  # fmt: skip
    for scenario in runs.scenarios:
        s_staff = per_run_staff[per_run_staff["scenario"] == scenario]
        med = s_staff.groupby("agency_key")[["staff_available_fte", "staff_gap_fte"]].median()
        for column in med.columns:
            units[f"{column}:{scenario}"] = med[column].reindex(units.index)
        s_lead = per_run_lead[per_run_lead["scenario"] == scenario]
        units[f"lead_time_weeks:{scenario}"] = s_lead.groupby("agency_key")["value"].median(
            ).reindex(units.index)  # fmt: skip
    return units.sort_values("population", ascending=False).reset_index()


def add_profile(report, profile: KreisProfile, scenarios: Sequence[str], lang: str) -> None:
    """Add the Kreis profile to a report: facts, a sentence, figures and tables.

    Args:
        report: An :class:`analysis.report.Report`.
        profile: From :func:`kreis_profile`.
        scenarios: The comparison's scenarios in order (colours, columns).
        lang: ``en`` or ``de``.
    """
    from analysis import figures, style
    from analysis.texts import T, fmt_number

    p = profile
    report.section(T("h_profile", lang).format(year=p.year, name=p.name, ags=p.ags))
    report.text(T("profile_facts", lang).format(
        typ=p.typ, land=p.land, population=fmt_number(p.population, lang),
        n_gemeinden=p.n_gemeinden))  # fmt: skip
    if p.missing:
        report.text(T("profile_missing", lang).format(tables=", ".join(p.missing)))
        return
    staff = p.staff[p.staff["year"] == p.year].set_index(["scenario", "kpi"])["median"]
    for scenario in scenarios:
        if (scenario, "staff_available_fte") in staff.index:
            report.text(T("profile_sentence", lang).format(
                year=p.year, scenario=scenario,
                available=fmt_number(staff[(scenario, "staff_available_fte")], lang, "FTE"),
                needed=fmt_number(staff[(scenario, "staff_needed_fte")], lang, "FTE"),
                gap=fmt_number(staff[(scenario, "staff_gap_fte")], lang, "FTE", signed=True)))
    fig = figures.staff_figure(p.staff, scenarios, lang=lang,
                               title=T("profile_staff_title", lang).format(name=p.name))
    report.figure(fig, alt=T("profile_staff_title", lang).format(name=p.name))
    levels = p.by_level.round({k: 1 for k in STAFF_KPIS})
    levels["level"] = levels["level"].map(lambda lv: style.label(lv, lang))
    levels = levels.rename(columns={"scenario": T("col_scenario", lang),
                                    "level": T("col_level", lang),
                                    **{k: style.label(k, lang) for k in STAFF_KPIS}})
    report.table(levels, caption=T("cap_levels", lang).format(year=p.year), index=False)
    if len(p.lead_by_service):
        from analysis.texts import service_name

        names = {s: service_name(s, lang, short=True) for s in set(p.lead_by_service["service_id"])}
        fig = figures.lead_time_by_service_figure(p.lead_by_service, scenarios, year=p.year,
                                                  lang=lang, service_names=names)
        report.figure(fig, alt=T("alt_lead", lang).format(year=p.year))
    if len(p.units):
        report.table(_unit_display(p, scenarios, lang),
                     caption=T("cap_units", lang).format(year=p.year), index=False)


def _unit_display(p: KreisProfile, scenarios: Sequence[str], lang: str) -> pd.DataFrame:
    from analysis.compare import baseline_of
    from analysis.texts import T

    base = baseline_of(scenarios)
    u = p.units
    out = pd.DataFrame({
        T("col_name", lang): u["name"], T("col_type", lang): u["typ"],
        T("col_members", lang): u["gemeinden"], T("col_population", lang): u["population"],
        T("col_available", lang).format(year=p.year, scenario=base):
            u[f"staff_available_fte:{base}"].round(1),
        T("col_gap", lang).format(year=p.year, scenario=base): u[f"staff_gap_fte:{base}"].round(1),
    })  # fmt: skip
    for scenario in scenarios:
        column = f"lead_time_weeks:{scenario}"
        if column in u:
            out[T("col_lead", lang).format(year=p.year, scenario=scenario)] = u[column].round(2)
    return out
