"""Costs by the Erfüllungsaufwand method and the citizen side (issue 7; model/costs.py).

Hand checks use the registry's defaults written out as numbers (Leitfaden 2025 wage rates,
KGSt 20 %, AGebV 28.1 %, AGebV Sacheinzelkosten 16,560 EUR, Wegezeiten 15/22/59 min), so that
a changed default or rule fails here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import engine_fixture as fx
import numpy as np
import pandas as pd
import pytest

from model.catalogue import load_catalogue
from model.costs import (
    COMPONENTS,
    cost_table,
    discount_factors,
    efa_joined_at_start,
    kpis_from_costs,
    platform_scale,
    platform_variable_cost,
)
from model.engine import AGG_FIELDS, FederalModel
from model.kpis import KPI_BY_NAME
from model.parameters import REGISTRY
from model.results import kpi_table
from model.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASE = load_scenario(SCENARIOS / "baseline.toml")
P = REGISTRY.defaults()
F = {name: i for i, name in enumerate(AGG_FIELDS)}


def national(kpis: pd.DataFrame, kpi: str, year: int, level="all", service="all") -> float:
    row = kpis[(kpis["kpi"] == kpi) & (kpis["year"] == year) & (kpis["level"] == level)
               & (kpis["service_id"] == service)]  # fmt: skip
    return float(row["value"].iloc[0]) if len(row) else float("nan")


# --- by hand -----------------------------------------------------------------------------------
def test_engine_fixture_costs_and_visits_by_hand():
    # two Gemeinde offices, 13 weeks of 2023, FTE 0.416 + 0.52, arrivals 15 and completions 13
    # a week (tests/engine_fixture.py); the fixture's service is not in the catalogue: not in
    # person, online share of the "register" group (5 %)
    m = fx.fixture_model().run()
    kpis = kpi_table(m)
    fte_years = (0.416 + 0.52) * 13 / 52
    personnel = fte_years * 1600 * 40.70 * 1.20 + fte_years * 16560
    it = 2 * 2500 * 13 / 52 + 0.5 * 13 * 13
    total = personnel + it
    assert national(kpis, "cost_personnel_eur", 2023) == pytest.approx(personnel, rel=1e-12)
    assert national(kpis, "cost_it_eur", 2023) == pytest.approx(it, rel=1e-12)
    assert national(kpis, "cost_migration_eur", 2023) == 0.0
    assert national(kpis, "cost_total_eur", 2023) == pytest.approx(total, rel=1e-12)
    assert national(kpis, "cost_discounted_eur", 2023) == pytest.approx(total * 1.02**2)
    assert national(kpis, "cost_per_case_eur", 2023) == pytest.approx(total / (13 * 13))
    assert national(kpis, "cost_total_eur", 2023, level="gemeinde") == pytest.approx(total)
    visits = 15 * 13 * (1 - 0.05) * 1.5
    assert national(kpis, "citizen_trips", 2023) == pytest.approx(visits)
    assert national(kpis, "citizen_hours", 2023) == pytest.approx(visits * 15 / 60)
    assert national(kpis, "co2_tonnes", 2023) == pytest.approx(visits * 4 * 105 / 1e6)
    assert national(kpis, "online_share", 2023) == pytest.approx(0.05)


def fake_model(lands: list[str], levels: list[str], fte: list[float], arrivals: list[float],
               service: str = "svc") -> SimpleNamespace:  # fmt: skip
    """A finished model of one year (52 weeks of 2025) with one pair per group, constant FTE
    and arrivals (= completions) per week, no execution modes."""
    n = len(levels)
    weekly = np.zeros((52, len(AGG_FIELDS), n))
    weekly[:, F["staff_fte"]] = fte
    weekly[:, F["arrivals"]] = arrivals
    weekly[:, F["completions"]] = arrivals
    groups = pd.DataFrame({"land": lands, "level": levels, "service_id": service})
    return SimpleNamespace(
        weekly=weekly, model_years=[2025], calendar=SimpleNamespace(year=np.full(52, 2025)),
        routing=SimpleNamespace(groups=groups, services=(service,)),
        pair_group=np.arange(n), pair_service=np.zeros(n, dtype=int),
        running=np.zeros(n, dtype=bool), execution=None,
        scenario=SimpleNamespace(parameters=dict(P)),
    )  # fmt: skip


def test_wage_levels_overheads_and_visits_by_hand():
    # Gemeinde (NRW), Jobcenter, a Land office in a Flächenland (Hessen) and in Berlin, Bund
    lands = ["05", "05", "06", "11", "00"]
    levels = ["gemeinde", "jobcenter", "land", "land", "bund"]
    m = fake_model(lands, levels, fte=[2.0, 3.0, 1.0, 1.0, 1.0], arrivals=[10.0] * 5)
    t = cost_table(m).set_index("level", append=True)
    personnel = t["cost_personnel_eur"].to_numpy()
    want = [
        2 * (1600 * 40.70 * 1.20 + 16560),  # Kommunen: KGSt 20 % on personnel
        3 * (1600 * 48.10 * 1.25 + 16560),  # Sozialversicherung: 25 % (assumption)
        1600 * 46.70 * 1.25 + 16560,  # Länder: 25 % (assumption)
        1600 * 46.70 * 1.25 + 16560,
        (1600 * 44.40 + 16560) * 1.281,  # Bund: AGebV 28.1 % on personnel and workplace
    ]
    np.testing.assert_allclose(personnel, want, rtol=1e-12)
    apps = 520.0
    offline = apps * 0.95 * 1.5  # register group: 5 % online, 1.5 visits per offline case
    visits = [offline, offline, offline * 0.1, offline, offline * 0.1]  # Land, Bund: 10 % go
    np.testing.assert_allclose(t["citizen_trips"], visits)
    minutes = [15, 22, 59, 22, 59]  # Jobcenter and a city-state's office as Kreis
    km = [4, 10, 44, 10, 44]
    np.testing.assert_allclose(t["citizen_hours"], np.array(visits) * minutes / 60)
    np.testing.assert_allclose(t["co2_tonnes"], np.array(visits) * km * 105 / 1e6)
    assert (t["cost_discounted_eur"] == t["cost_total_eur"]).all()  # 2025 is the price year


def test_in_person_service_needs_one_visit_even_online():
    m = fake_model(["05"], ["gemeinde"], fte=[1.0], arrivals=[10.0], service="personalausweis")
    t = cost_table(m)
    assert bool(load_catalogue().services.set_index("service_id").at["personalausweis",
                                                                    "in_person"])  # fmt: skip
    assert t["citizen_trips"].iloc[0] == pytest.approx(520 * (0.05 * 1 + 0.95 * 1.5))


def test_discounting_by_hand():
    np.testing.assert_allclose(discount_factors(np.array([2023, 2025, 2030]), 0.02, 2025),
                               [1.02**2, 1.0, 1.02**-5])  # fmt: skip
    np.testing.assert_allclose(discount_factors(np.array([2023, 2035]), 0.0, 2025), [1.0, 1.0])


def test_platform_cost_per_case_falls_with_volume():
    cases = np.array([1e4, 1e5, 1e6, 1e7, 3e7])
    per_case = platform_variable_cost(cases, P) / cases
    assert np.all(np.diff(per_case) < 0)
    assert per_case[2] == pytest.approx(0.3)  # the reference volume's per-case cost
    # with run cost (built for the same volume) the whole yearly IT cost per case falls too
    yearly = (P["it_platform_run_eur"] * platform_scale(cases, P)
              + platform_variable_cost(cases, P))  # fmt: skip
    assert np.all(np.diff(yearly / cases) < 0)
    flat = {**P, "it_platform_scale_exponent": 1.0}  # no economies of scale
    np.testing.assert_allclose(platform_variable_cost(cases, flat) / cases, 0.3)
    assert platform_variable_cost(0.0, P) == 0.0


# --- a central move against the baseline (short runs, three services) ---------------------------
QUIET = dict(staff_model="constant", fungible_share=0.0, warmup_weeks=13,
             within_week_queueing="none")  # no agency-level coupling between services
KEEP = {"kfz_zulassung", "personalausweis", "meldung"}


def three_services(execution: list | None) -> FederalModel:
    services = {sid: {"enabled": sid in KEEP} for sid in load_catalogue().services["service_id"]}
    sc = dataclasses.replace(BASE, services=services, end=dt.date(2025, 12, 31),
                             execution=execution or []).with_parameters(**QUIET)  # fmt: skip
    return FederalModel(sc, seed=3).run()


@pytest.fixture(scope="module")
def pair():
    move = [{"services": ["kfz_zulassung", "personalausweis"], "mode": "central_bund",
             "start": dt.date(2024, 1, 1), "migration_weeks": 13}]  # fmt: skip
    base, central = three_services(None), three_services(move)
    return base, cost_table(base), central, cost_table(central)


def by(table: pd.DataFrame, col: str, **where) -> float:
    mask = np.ones(len(table), dtype=bool)
    for key, value in where.items():
        mask &= (table[key].astype(str) == value).to_numpy() if isinstance(value, str) \
            else (table[key] == value).to_numpy()
    return float(table.loc[mask, col].sum())


def test_baseline_has_no_platform_or_migration_costs(pair):
    _, base, _, _ = pair
    for col in ("it_platform_build_eur", "it_platform_run_eur", "it_platform_cases_eur",
                "it_efa_eur", "cost_migration_eur"):  # fmt: skip
        assert base[col].sum() == 0.0, col
    parts = base[list(COMPONENTS)].sum(axis=1)
    np.testing.assert_allclose(parts, base["cost_total_eur"])


def test_migration_costs_only_where_services_moved(pair):
    _, base, m, central = pair
    sources = sum(len(ms.sources) for ms in m.execution.moves)
    assert sources > 400  # every Kfz office and every municipal unit
    # every source agency is charged once, in the year it joins, and only for moved services
    assert central["cost_migration_eur"].sum() == pytest.approx(20000.0 * sources)
    assert by(central, "cost_migration_eur", service_id="meldung") == 0.0
    assert by(central, "cost_migration_eur", year=2023) == 0.0
    # the untouched service costs exactly the same (constant staff, no fungible pool)
    for col in ("cost_personnel_eur", "cost_it_eur", "citizen_hours"):
        assert by(central, col, service_id="meldung") == pytest.approx(
            by(base, col, service_id="meldung"), rel=1e-12)  # fmt: skip
    # identical before go-live
    for col in ("cost_total_eur", "citizen_trips"):
        assert by(central, col, year=2023) == pytest.approx(by(base, col, year=2023), rel=1e-12)


def test_platform_build_once_in_go_live_year_sized_by_its_cases(pair):
    base_m, _, _, central = pair
    groups = base_m.routing.groups
    kfz = (groups["service_id"] == "kfz_zulassung").to_numpy()
    year_2023 = base_m.calendar.year == 2023
    size = base_m.weekly[year_2023][:, F["arrivals"]][:, kfz].sum()  # same draws in both runs
    want = 10e6 * (size / 1e6) ** 0.8
    got = by(central, "it_platform_build_eur", service_id="kfz_zulassung")
    assert got == pytest.approx(want, rel=1e-9)
    assert by(central, "it_platform_build_eur", service_id="kfz_zulassung", year=2024) == got
    assert by(central, "it_platform_build_eur", level="kreis") == 0.0
    # after the handover no Kfz office runs its own procedure any more
    assert by(central, "it_decentral_eur", service_id="kfz_zulassung", year=2025) == 0.0
    assert by(central, "it_platform_run_eur", service_id="kfz_zulassung", year=2025) > 0


def test_visits_go_to_the_front_office_of_a_central_in_person_service(pair):
    _, _, _, central = pair
    row = central[(central["year"] == 2025) & (central["level"] == "bund")
                  & (central["service_id"] == "personalausweis")]  # fmt: skip
    apps = float(row["applications"].iloc[0])
    assert apps > 5e6
    per_app = 0.7 * 1 + 0.3 * 1.5  # central online share 70 %; one visit online, 1.5 offline
    assert float(row["citizen_trips"].iloc[0]) == pytest.approx(apps * per_app)
    # every source was a municipal office: Gemeinde Wegezeit and distance
    assert float(row["citizen_hours"].iloc[0]) == pytest.approx(apps * per_app * 15 / 60)
    kfz = central[(central["year"] == 2025) & (central["level"] == "bund")
                  & (central["service_id"] == "kfz_zulassung")]  # fmt: skip
    kfz_apps = float(kfz["applications"].iloc[0])
    assert float(kfz["citizen_trips"].iloc[0]) == pytest.approx(kfz_apps * 0.3 * 1.5 * 0.1)


def test_kpis_add_up_across_breakdowns(pair):
    _, _, _, central = pair
    kpis = pd.concat(kpis_from_costs(central), ignore_index=True)
    assert set(kpis["kpi"]) <= set(KPI_BY_NAME)
    nat = kpis[(kpis["level"] == "all") & (kpis["service_id"] == "all")].pivot(
        index="year", columns="kpi", values="value")  # fmt: skip
    np.testing.assert_allclose(nat["cost_total_eur"], nat["cost_personnel_eur"]
                               + nat["cost_it_eur"] + nat["cost_migration_eur"])  # fmt: skip
    levels = kpis[(kpis["level"] != "all") & (kpis["kpi"] == "cost_total_eur")]
    np.testing.assert_allclose(levels.groupby("year")["value"].sum(), nat["cost_total_eur"])
    services = kpis[(kpis["service_id"] != "all") & (kpis["kpi"] == "citizen_hours")]
    np.testing.assert_allclose(services.groupby("year")["value"].sum(), nat["citizen_hours"])


# --- EfA -----------------------------------------------------------------------------------------
def test_efa_onboarding_before_the_start_is_sunk():
    sc = load_scenario(SCENARIOS / "efa_platforms.toml")
    sc = dataclasses.replace(sc, end=dt.date(2024, 12, 31)).with_parameters(**QUIET)
    m = FederalModel(sc, seed=0)
    rt = m.execution
    at_start = int((rt.efa_joined & rt.efa_eligible).sum())  # joined 2021-2022 (pre-start)
    m.run()
    assert efa_joined_at_start(m).sum() == at_start > 0  # replayed exactly
    table = cost_table(m)
    joined = int((m.execution.efa_joined & m.execution.efa_eligible).sum())
    assert table["cost_migration_eur"].sum() == pytest.approx(20000.0 * (joined - at_start))
    efa = {"wohngeld", "elterngeld", "uvg", "gewerbe", "bauantrag", "einbuergerung",
           "schwerbehinderung", "fuehrerschein", "waffenbesitzkarte"}  # fmt: skip
    is_efa = table["service_id"].astype(str).isin(efa)
    assert table.loc[~is_efa, "it_efa_eur"].sum() == 0.0
    assert table.loc[is_efa, "it_efa_eur"].sum() > 0.0
    assert table["it_platform_build_eur"].sum() == 0.0  # built in 2021: before the horizon
