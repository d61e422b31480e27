"""The scenario-comparison report: one self-contained HTML file from saved runs.

:func:`build_report` turns a :class:`analysis.compare.RunSet` into an
:class:`analysis.report.Report`: what was run, key results as sentences computed from the
data, the KPI tables, the figures (:mod:`analysis.figures`), maps (:mod:`analysis.maps`),
optionally the profile of one Kreis (:mod:`analysis.kommune`), the assumptions the results
rest on, and the data sources with their attributions. Every part works from whatever the runs
hold: a figure or map whose KPIs or tables are absent is replaced by a visible note saying so.
Nothing here runs the model.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis import compare, figures, kommune, style
from analysis.report import Report
from analysis.texts import T, fmt_number, kpi_phrase, service_name
from model.kpis import KPI_BY_NAME

FOCUS_YEAR = 2030
"""The year the key sentences and maps speak about, if the runs reach it (issue 9)."""

SENTENCE_KPIS: tuple[tuple[str, str], ...] = (
    ("backlog_cases", "all"), ("lead_time_weeks", "all"), ("lead_time_weeks", "wohngeld"),
    ("staff_gap_fte", "all"), ("fte_freed_local_tasks", "all"), ("cost_total_eur", "all"),
    ("citizen_hours", "all"), ("co2_tonnes", "all"),
)  # fmt: skip
"""(KPI, service) pairs that get a key sentence when the runs have them."""

TIMESERIES_KPIS = ("backlog_cases", "staff_available_fte", "staff_needed_fte",
                   "fte_freed_local_tasks", "citizen_hours", "co2_tonnes")  # fmt: skip
COST_KPIS = (*figures.COST_COMPONENTS, "cost_total_eur")

ASSUMPTION_DRIVERS: dict[str, tuple[str, ...]] = {
    "backlog_cases": ("utilisation_2023", "volume_scale", "fungible_share", "service_time_cv",
                      "productivity_factor"),
    "lead_time_weeks": ("utilisation_2023", "volume_scale", "fungible_share", "service_time_cv",
                        "stationary_load_limit"),
    "staff_gap_fte": ("utilisation_2023", "productivity_growth", "retirement_age_employees",
                      "leaver_rate_employees", "matching_elasticity",
                      "public_employment_attractiveness"),
}  # fmt: skip
"""Registry parameters that enter a KPI's definition or its main mechanism (docs/ENGINE.md,
docs/STAFFING.md); the report shows each with its source or assumption and range."""

SOURCES_FILES = ("model/data/SOURCES.md", "model/data/criteria/SOURCES.md")


def focus_year(years: Sequence[int]) -> int:
    """:data:`FOCUS_YEAR` if among ``years``, else the last of them."""
    return FOCUS_YEAR if FOCUS_YEAR in years else max(years)


# --- sentences ---------------------------------------------------------------------------------


def _row(table: pd.DataFrame, kpi: str, service: str, year: int, scenario: str):
    hit = table[(table["kpi"] == kpi) & (table["service_id"] == service)
                & (table["year"] == year) & (table["scenario"] == scenario)]  # fmt: skip
    return hit.iloc[0] if len(hit) else None


def _verdict(kpi: str, low: float, high: float, n: int, lang: str) -> str:
    """Whether the paired differences' band lies below or above 0, and if that is better."""
    better = KPI_BY_NAME[kpi].better if kpi in KPI_BY_NAME else "neutral"
    if low == 0 == high:
        return T("identical", lang)
    if low <= 0 <= high:
        return T("straddles", lang)
    lower = high < 0
    # a min-max band is every pair; a 5-95 % band on one side is at least 95 % of them
    where = T("every_pair" if n < compare.MIN_RUNS_FOR_QUANTILES else "most_pairs", lang)
    key = "lower" if lower else "higher"
    if better != "neutral":
        key += "_better" if lower == (better == "lower") else "_worse"
    return T(key, lang).format(where=where)


def key_sentences(table: pd.DataFrame, scenarios: Sequence[str], baseline: str, year: int,
                  lang: str, first_year: int | None = None) -> list[str]:  # fmt: skip
    """Key results as sentences with the numbers of the comparison table.

    Args:
        table: :func:`analysis.compare.compare_table` output (national and per-service rows).
        scenarios: Scenario order.
        baseline: The baseline scenario.
        year: The year the sentences speak about (e.g. 2030).
        lang: ``en`` or ``de``.
        first_year: An earlier year for the baseline's trend (e.g. 2025), if in the table.

    Returns:
        One sentence per (KPI, service) of :data:`SENTENCE_KPIS` that the table has, for the
        baseline, and one per other scenario with its paired difference.
    """
    out = []
    for kpi, service in SENTENCE_KPIS:
        base = _row(table, kpi, service, year, baseline)
        if base is None:
            continue
        unit = KPI_BY_NAME[kpi].unit if kpi in KPI_BY_NAME else ""
        what = kpi_phrase(kpi, lang, service_name(service, lang) if service != "all" else None)
        num = functools.partial(fmt_number, lang=lang, unit=unit)
        values = {"year": year, "what": what, "value": num(base["median"]),
                  "band": T("band_" + ("q" if base["band"] == "5–95 %" else "mm"), lang),
                  "n": int(base["n"]), "low": num(base["low"], show_unit=False),
                  "high": num(base["high"]),
                  "baseline": baseline}  # fmt: skip
        sentence = T("baseline_sentence", lang).format(**values)
        earlier = _row(table, kpi, service, first_year, baseline) if first_year else None
        if earlier is not None and first_year != year:
            sentence += T("trend", lang).format(first=first_year, value=num(earlier["median"]))
        out.append(sentence + ".")
        for scenario in scenarios:
            if scenario == baseline:
                continue
            row = _row(table, kpi, service, year, scenario)
            if row is None or pd.isna(row["diff_n"]):
                continue
            band = T("band_" + ("q" if int(row["diff_n"]) >= compare.MIN_RUNS_FOR_QUANTILES
                                else "mm"), lang)  # fmt: skip
            out.append(T("scenario_sentence", lang).format(
                year=year, what=what, scenario=scenario, value=num(row["median"]),
                base_value=num(base["median"]), diff=num(row["diff_median"], signed=True),
                band=band, n=int(row["diff_n"]),
                low=num(row["diff_low"], signed=True, show_unit=False),
                high=num(row["diff_high"], signed=True),
                verdict=_verdict(kpi, row["diff_low"], row["diff_high"], int(row["diff_n"]),
                                 lang)) + ".")
    return out


# --- tables ------------------------------------------------------------------------------------


def display_tables(table: pd.DataFrame, scenarios: Sequence[str], years: Sequence[int],
                   lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Two tables for reading: medians with bands, and paired differences, one column a year.

    Cells are text: ``median (low – high)``. Rows: KPI × scenario (national values).
    """
    nat = table[(table["level"] == "all") & (table["service_id"] == "all")]
    values, diffs = [], []
    for kpi in dict.fromkeys(nat["kpi"]):
        unit = KPI_BY_NAME[kpi].unit if kpi in KPI_BY_NAME else ""
        for scenario in scenarios:
            rows = nat[(nat["kpi"] == kpi) & (nat["scenario"] == scenario)].set_index("year")
            if rows.empty:
                continue
            head = {T("col_kpi", lang): style.label(kpi, lang) if kpi in style.LABELS else kpi,
                    T("col_scenario", lang): scenario, "n": int(rows["n"].max())}  # fmt: skip
            cells, dcells = dict(head), dict(head)
            for y in years:
                if y in rows.index:
                    r = rows.loc[y]
                    num = functools.partial(fmt_number, lang=lang, unit=unit, show_unit=False)
                    cells[str(y)] = f"{num(r['median'])} ({num(r['low'])} – {num(r['high'])})"
                    if not pd.isna(r["diff_n"]):
                        d = functools.partial(num, signed=True)
                        dcells[str(y)] = (f"{d(r['diff_median'])} ({d(r['diff_low'])} – "
                                          f"{d(r['diff_high'])})")  # fmt: skip
            values.append(cells)
            if len(dcells) > len(head):
                diffs.append(dcells)
    return pd.DataFrame(values), pd.DataFrame(diffs)


# --- the report --------------------------------------------------------------------------------


def _figure(report: Report, heading: str, make, alt: str, lang: str) -> None:
    report.section(heading, level=3)
    try:
        fig = make()
    except figures.FigureDataMissingError as exc:
        report.text(T("missing_kpis", lang).format(kpis=", ".join(exc.missing)))
        return
    report.figure(fig, alt=alt)


def _what_was_run(report: Report, runs: compare.RunSet, lang: str) -> None:
    m = runs.manifest
    report.section(T("h_run", lang))
    counts = runs.runs_per_scenario()
    items = []
    for name in runs.scenarios:
        info = runs.scenario_info.get(name, {})
        marker = T("is_baseline", lang) if name == runs.baseline else ""
        items.append(f"{name}{marker}: {info.get('description') or T('no_description', lang)} "
                     f"({T('runs_n', lang).format(n=counts.get(name, 0))})")  # fmt: skip
    report.text(T("scenarios_intro", lang)).bullets(items)
    facts = []
    seeds = list(dict.fromkeys(runs.runs.sort_values("replication")["seed"].astype(int)))
    facts.append(T("replications", lang).format(
        n=len(seeds), seeds=", ".join(map(str, seeds[:6])) + (", …" if len(seeds) > 6 else "")))
    first = runs.scenario_info.get(runs.baseline, {})
    if first.get("start"):
        facts.append(T("horizon", lang).format(start=first["start"], end=first.get("end", "")))
    design = m.get("design") or {}
    if design.get("method") and design.get("method") != "none":
        facts.append(T("design", lang).format(method=design["method"], n=len(design.get(
            "points", [])), names=", ".join(design.get("parameters", []))))  # fmt: skip
    facts.append(T("tables", lang).format(tables=", ".join(runs.tables)))
    if m.get("model_version"):
        facts.append(T("versions", lang).format(
            version=m["model_version"], commit=(m.get("git_commit") or "?")[:12],
            python=m.get("python", "?"), packages=", ".join(
                f"{k} {v}" for k, v in (m.get("packages") or {}).items() if v)))  # fmt: skip
    facts += runs.notes
    report.bullets(facts)


def _figures(report: Report, runs: compare.RunSet, tidy: pd.DataFrame, year: int,
             lang: str) -> None:  # fmt: skip
    scenarios = list(runs.scenarios)
    nat = tidy[(tidy["level"] == "all") & (tidy["service_id"] == "all")]
    bands = compare.summarise(nat[nat["kpi"].isin(TIMESERIES_KPIS)],
                              ["scenario", "kpi", "level", "service_id", "year"])  # fmt: skip
    per_service = tidy[(tidy["level"] == "all") & (tidy["kpi"] == "lead_time_weeks")
                       & (tidy["year"] == year) & (tidy["service_id"] != "all")]  # fmt: skip
    lead = compare.summarise(per_service, ["scenario", "kpi", "level", "service_id", "year"])
    costs = compare.total_over_years(nat[nat["kpi"].isin(COST_KPIS)]) if len(nat) else nat
    period = f"{int(nat['year'].min())}–{int(nat['year'].max())}" if len(nat) else ""
    cost_bands = compare.summarise(costs, ["scenario", "kpi", "level", "service_id", "year"])
    names = {s: service_name(s, lang, short=True) for s in set(per_service["service_id"])}
    report.section(T("h_figures", lang))
    _figure(report, style.label("backlog_cases", lang),
            lambda: figures.backlog_figure(bands, scenarios, lang=lang),
            T("alt_timeseries", lang).format(what=style.label("backlog_cases", lang)), lang)
    _figure(report, T("h_lead_service", lang).format(year=year),
            lambda: figures.lead_time_by_service_figure(lead, scenarios, year=year, lang=lang,
                                                        service_names=names),
            T("alt_lead", lang).format(year=year), lang)  # fmt: skip
    _figure(report, figures.word("staff_title", lang),
            lambda: figures.staff_figure(bands, scenarios, lang=lang),
            T("alt_staff", lang), lang)  # fmt: skip
    _figure(report, T("h_cost", lang),
            lambda: figures.cost_figure(cost_bands, scenarios, period=period, lang=lang),
            T("alt_cost", lang), lang)  # fmt: skip
    _figure(report, style.label("fte_freed_local_tasks", lang),
            lambda: figures.fte_freed_figure(bands, scenarios, lang=lang),
            T("alt_timeseries", lang).format(what=style.label("fte_freed_local_tasks", lang)),
            lang)  # fmt: skip
    _figure(report, figures.word("citizen_title", lang),
            lambda: figures.citizen_figure(bands, scenarios, lang=lang),
            T("alt_citizen", lang), lang)  # fmt: skip
    report.section(T("h_criteria", lang), level=3).text(T("criteria_text", lang))
    report.figure(figures.criteria_chart(lang=lang), alt=T("alt_criteria", lang))


def _maps(report: Report, runs: compare.RunSet, year: int, lang: str) -> None:
    from analysis import maps

    report.section(T("h_maps", lang).format(year=year))
    report.text(T("maps_text", lang))
    # A one-panel map is narrow: its bottom line keeps only the BKG note, which must show.
    note = T("map_note", lang) if len(runs.scenarios) > 1 else None
    panels = [
        ("land", kommune.LAND_TABLES[0], kommune.land_lead_time, "lead_time_weeks"),
        ("land", kommune.LAND_TABLES[1], kommune.land_staff_gap, "gap_share"),
        ("kreis", kommune.KREIS_TABLES[0], kommune.kreis_lead_time, "lead_time_weeks"),
        ("kreis", kommune.KREIS_TABLES[1], kommune.kreis_staff_gap, "gap_share"),
    ]
    for level, table, values_of, what in panels:
        label = style.label(what, lang) if what in style.LABELS else T(what, lang)
        heading = T(f"h_map_{level}", lang).format(what=label)
        report.section(heading, level=3)
        if not runs.has(table):
            report.text(T("missing_table", lang).format(table=table))
            continue
        values = values_of(runs, year)
        draw = maps.kreis_map if level == "kreis" else maps.land_map
        center = 0.0 if what == "gap_share" else None
        fig = draw(values, label=label, lang=lang, note=note, center=center, title=str(year))
        report.figure(fig, alt=T("alt_map", lang).format(what=label, level=level, year=year))


def _assumptions(report: Report, runs: compare.RunSet, kpis: Sequence[str], lang: str) -> None:
    from model.catalogue import load_catalogue
    from model.parameters import REGISTRY

    report.section(T("h_assumptions", lang))
    design = (runs.manifest.get("design") or {}).get("method", "none")
    report.text(T("bands_chance" if design in ("none", None) else "bands_design", lang))
    base = runs.scenario_info.get(runs.baseline, {}).get("parameters", {})
    changed = []
    for name in runs.scenarios:
        params = runs.scenario_info.get(name, {}).get("parameters", {})
        for key in sorted(set(params) | set(base)):
            if name != runs.baseline and params.get(key) != base.get(key):
                p = REGISTRY.get(key)
                changed.append({T("col_scenario", lang): name, T("col_param", lang): key,
                                T("col_value", lang): str(params.get(key)),
                                T("col_base_value", lang): str(base.get(key)),
                                T("col_provenance", lang): p.provenance if p else ""})
    if changed:
        report.table(pd.DataFrame(changed), caption=T("cap_levers", lang), index=False)
    drivers: dict[str, list[str]] = {}
    for kpi, names in ASSUMPTION_DRIVERS.items():
        if kpi in kpis:
            for key in names:
                if key in REGISTRY:
                    drivers.setdefault(key, []).append(kpi)
    drivers = [{T("col_param", lang): key, T("col_kpis", lang): ", ".join(used),
                T("col_value", lang): str(base.get(key, REGISTRY[key].default)),
                T("col_range", lang): "" if REGISTRY[key].low is None
                else f"{REGISTRY[key].low}–{REGISTRY[key].high}",
                T("col_provenance", lang): REGISTRY[key].provenance}
               for key, used in drivers.items()]  # fmt: skip
    if drivers:
        report.text(T("drivers_text", lang))
        report.table(pd.DataFrame(drivers), caption=T("cap_drivers", lang), index=False)
    services = load_catalogue().services
    vol = services[services["volume_source"].str.startswith("assumption")]["service_id"]
    mins = services[services["minutes_source"].str.startswith("assumption")]["service_id"]
    report.text(T("catalogue_text", lang).format(
        n_vol=len(vol), n_min=len(mins), n=len(services),
        vol=", ".join(service_name(s, lang) for s in vol)))  # fmt: skip
    uncertain = [p for p in REGISTRY.values() if p.role == "uncertainty" and p.assumption]
    report.text(T("uncertain_text", lang).format(n=len(uncertain), names=", ".join(
        p.name for p in uncertain)))  # fmt: skip


def attributions(root: Path | None = None) -> list[str]:
    """The required attributions of the packaged data (``> Datenquelle: ...`` lines)."""
    root = root or Path(__file__).resolve().parents[1]
    out = []
    for rel in SOURCES_FILES:
        file = root / rel
        if file.is_file():
            out += [line[2:].strip() for line in file.read_text(encoding="utf-8").splitlines()
                    if line.startswith("> ") and "dl-de" in line]  # fmt: skip
    return out


def build_report(runs: compare.RunSet, *, lang: str = style.DEFAULT_LANG,
                 years: Sequence[int] | None = None, kreis: str | None = None,
                 maps: bool = True) -> Report:  # fmt: skip
    """The comparison report for a set of runs.

    Args:
        runs: From :func:`analysis.compare.open_runs`.
        lang: ``en`` or ``de``.
        years: Years of the tables (default 2025, 2030, 2035, those the runs cover).
        kreis: 5-digit Kreis key: add that Kreis's profile.
        maps: Draw the maps (tests of other parts switch them off to stay fast).

    Returns:
        The report; write it with ``Report.write``.
    """
    style.check_lang(lang)
    if kreis is not None:
        kommune.check_kreis(kreis)
    tidy = runs.kpis()
    years = compare.choose_years(tidy["year"], years, strict=False)
    year = focus_year(years)
    kpis = compare.choose_kpis(tidy["kpi"], None)
    wanted = tidy["kpi"].isin(kpis) & (tidy["level"] == "all") & (
        (tidy["service_id"] == "all") | ((tidy["kpi"] == "lead_time_weeks")
                                         & (tidy["service_id"] == "wohngeld")))  # fmt: skip
    table = compare.compare_table(tidy[wanted], scenarios=runs.scenarios,
                                  baseline=runs.baseline, years=years)  # fmt: skip
    from model import __version__

    report = Report(T("title", lang).format(name=runs.name), lang=lang,
                    subtitle=T("subtitle", lang).format(version=__version__, n=len(runs.runs),
                                                        k=len(runs.scenarios)))  # fmt: skip
    report.text(T("intro", lang).format(baseline=runs.baseline))
    _what_was_run(report, runs, lang)
    report.section(T("h_results", lang))
    report.bullets(key_sentences(table, runs.scenarios, runs.baseline, year, lang,
                                 first_year=min(years)))  # fmt: skip
    values, diffs = display_tables(table, runs.scenarios, years, lang)
    report.section(T("h_tables", lang)).text(T("tables_text", lang).format(
        baseline=runs.baseline, n=compare.MIN_RUNS_FOR_QUANTILES))  # fmt: skip
    report.table(values, caption=T("cap_values", lang), index=False)
    if len(diffs):
        report.table(diffs, caption=T("cap_diffs", lang).format(baseline=runs.baseline),
                     index=False)  # fmt: skip
    _figures(report, runs, tidy, year, lang)
    if maps:
        _maps(report, runs, year, lang)
    if kreis is not None:
        kommune.add_profile(report, kommune.kreis_profile(runs, kreis, year), runs.scenarios,
                            lang)  # fmt: skip
    _assumptions(report, runs, kpis, lang)
    where = runs.path.as_posix() if runs.path is not None else runs.name
    report.source(T("source_runs", lang).format(path=where))
    for text in attributions():
        report.source(text)
    report.source(T("source_catalogue", lang))
    return report


def write_report(path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
                 lang: str = style.DEFAULT_LANG, kreis: str | None = None) -> Path:  # fmt: skip
    """Build the report of the runs in ``path`` and write it (default ``PATH/report.html``).

    Returns:
        The file written.
    """
    runs = compare.open_runs(path)
    target = Path(out) if out else Path(path) / "report.html"
    return build_report(runs, lang=lang, kreis=kreis).write(target)
