"""The service catalogue: packaged data, anchor facts, and every validation check failing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from model import catalogue as cg
from model.errors import CatalogueError, DataError

PROGRAMMES = {"grundsteuer_erklaerung", "epp200", "ueberbrueckungshilfe", "soforthilfe2020"}
CITY_STATES = {"02", "04", "11"}  # Hamburg, Bremen, Berlin


@pytest.fixture(scope="module")
def cat() -> cg.Catalogue:
    return cg.load_catalogue()


def raises(check, *args, file: str, key: str) -> str:
    """Run a check that must fail; the one-line message names the file, the key and what is
    allowed."""
    with pytest.raises(CatalogueError) as info:
        check(*args)
    message = str(info.value)
    assert f"model/data/{file}" in message, message
    assert key in message, message
    assert "allowed" in message, message
    assert "\n" not in message
    return message


# --- the packaged catalogue ----------------------------------------------------------------


def test_catalogue_error_is_a_data_error():
    assert issubclass(CatalogueError, DataError)


def test_sizes(cat):
    assert len(cat.service_ids) >= 25
    assert len(cat.baseline_service_ids) >= 24
    assert len(cat.baseline_service_ids) + len(cat.programme_service_ids) == len(cat.service_ids)


def test_one_off_programmes_are_rows_but_not_baseline(cat):
    assert set(cat.programme_service_ids) == PROGRAMMES
    assert PROGRAMMES.isdisjoint(cat.baseline_service_ids)
    assert set(cat.shocks["service_id"]) == PROGRAMMES


def test_every_service_has_one_level_in_every_land(cat):
    assert len(cat.execution) == 16 * len(cat.service_ids)
    for service_id in cat.service_ids:
        for land in cg.LAENDER:
            assert cat.level_of(service_id, land) in cg.EXECUTING_LEVELS


@pytest.mark.parametrize("service_id", ["kindergeld", "kinderzuschlag", "fuehrungszeugnis"])
def test_federal_services_run_by_the_bund_everywhere(cat, service_id):
    assert {cat.level_of(service_id, land) for land in cg.LAENDER} == {"bund"}


@pytest.mark.parametrize("service_id", ["buergergeld", "sgb2_widerspruch"])
def test_sgb2_runs_in_the_jobcenter(cat, service_id):
    assert {cat.level_of(service_id, land) for land in cg.LAENDER} == {"jobcenter"}


def test_kfz_zulassung_is_a_kreis_service(cat):
    # Berlin (LABO) and Hamburg (LBV) run it in a Land-wide agency (city-state convention).
    for land in cg.LAENDER:
        expected = "land" if land in {"02", "11"} else "kreis"
        assert cat.level_of("kfz_zulassung", land) == expected, land


@pytest.mark.parametrize("service_id", ["personalausweis", "reisepass", "meldung", "geburt"])
def test_citizen_office_services_run_in_the_gemeinde(cat, service_id):
    assert {cat.level_of(service_id, land) for land in cg.LAENDER} == {"gemeinde"}


def test_known_differences_between_laender(cat):
    assert cat.level_of("elterngeld", "08") == "land"  # BW: L-Bank
    assert cat.level_of("elterngeld", "09") == "land"  # BY: ZBFS
    assert cat.level_of("elterngeld", "05") == "kreis"  # NW: Kommunen
    assert cat.level_of("schwerbehinderung", "08") == "kreis"  # BW: Landratsämter
    assert cat.level_of("schwerbehinderung", "09") == "land"  # BY: ZBFS
    assert {cat.level_of("bafoeg", land) for land in cg.LAENDER} == {"land"}
    assert cat.level_of("schueler_bafoeg", "03") == "kreis"
    assert cat.level_of("einbuergerung", "11") == "land"  # Berlin: LEA since 2024
    assert cat.level_of("einbuergerung", "06") == "land"  # Hessen: Regierungspräsidien
    assert cat.level_of("wohngeld", "05") == "gemeinde"  # NW
    assert cat.large_town_threshold("bauantrag", "08") == 20000  # BW Große Kreisstädte
    assert cat.large_town_threshold("kfz_zulassung", "08") is None


def test_large_town_thresholds_only_on_kreis_rows(cat):
    rows = cat.execution.dropna(subset=["large_town_threshold"])
    assert not rows.empty
    assert set(rows["level"]) == {"kreis"}
    assert (rows["large_town_threshold"] > 0).all()


def test_in_person_services(cat):
    in_person = set(cat.services.loc[cat.services["in_person"], "service_id"])
    assert {"personalausweis", "reisepass", "eheschliessung"} <= in_person
    assert "kfz_zulassung" not in in_person


def test_every_source_names_its_kind(cat):
    for column in ("volume_source", "minutes_source", "scores_reason"):
        assert cat.services[column].str.startswith(cg.SOURCE_PREFIXES).all(), column
    assert cat.execution["source"].str.startswith(cg.SOURCE_PREFIXES).all()


def test_fte_hours_follow_the_leitfaden():
    assert cg.FTE_HOURS_PER_YEAR == 1600.0


# --- seasonality and shocks ----------------------------------------------------------------


def test_seasonality_profiles_average_one(cat):
    for profile in cat.seasonality["profile"].unique():
        factors = cat.monthly_seasonality(profile)
        assert factors.shape == (12,)
        assert abs(factors.mean() - 1.0) <= 1e-9, profile


def test_services_use_known_profiles(cat):
    assert set(cat.services["seasonality"]) <= set(cat.seasonality["profile"])
    assert "flat" in set(cat.seasonality["profile"])


def test_weekly_seasonality_follows_iso_weeks(cat):
    assert cat.weekly_seasonality("flat", 2025).shape == (52,)
    weekly = cat.weekly_seasonality("id_documents", 2026)
    assert weekly.shape == (53,)  # 2026 has an ISO week 53
    assert weekly.mean() == pytest.approx(1.0, abs=1e-12)
    assert weekly[23] > weekly[50]  # June above December


def test_unknown_profile_is_reported(cat):
    raises(cat.monthly_seasonality, "monsoon", file="seasonality.csv", key="monsoon")


@pytest.mark.parametrize("shock_id", ["soforthilfe2020", "ueberbrueckungshilfe"])
def test_shock_weeks_add_up_to_the_total(cat, shock_id):
    row = cat.shock(shock_id)
    cases = cat.shock_weekly_cases(shock_id)
    assert cases.shape == (row["duration_weeks"],)
    assert cases.sum() == pytest.approx(row["total_cases"])


def test_shock_profiles_by_hand():
    np.testing.assert_allclose(cg.shock_weekly_weights("flat", 4), [0.25] * 4)
    # front_loaded over 4 weeks: weights 4, 3, 2, 1 out of 10
    np.testing.assert_allclose(cg.shock_weekly_weights("front_loaded", 4), [0.4, 0.3, 0.2, 0.1])
    with pytest.raises(CatalogueError, match="front_loaded"):
        cg.shock_weekly_weights("sudden", 4)


# --- summary -------------------------------------------------------------------------------


def test_summary_fte_by_hand(cat):
    summary = cat.summary().set_index("service_id")
    wohngeld = cat.service("wohngeld")
    assert (wohngeld["volume_per_year"], wohngeld["minutes_per_case"]) == (1_600_000, 240)
    # 1.6 million cases x 240 min / 60 min/h / 1,600 h/FTE = 4,000 FTE
    assert summary.at["wohngeld", "fte"] == pytest.approx(4000.0)
    # low: 1.2 million x 180 min / 60 / 1,600 = 2,250 FTE
    assert summary.at["wohngeld", "fte_low"] == pytest.approx(2250.0)
    assert summary.at["wohngeld", "levels"] == "kreis 14, gemeinde 2"
    assert list(summary.index) == list(cat.service_ids)


def test_unknown_service_or_land_is_reported(cat):
    raises(cat.level_of, "wohngeld", "17", file="execution_by_land.csv", key="'17'")


def test_text_tables_rebuild_the_same_catalogue(cat):
    tables = [
        cg.read_text_table(name)
        for name in (cg.SERVICES_FILE, cg.EXECUTION_FILE, cg.SEASONALITY_FILE, cg.SHOCKS_FILE)
    ]
    rebuilt = cg.build_catalogue(*tables)
    pd.testing.assert_frame_equal(rebuilt.services, cat.services)
    pd.testing.assert_frame_equal(rebuilt.execution, cat.execution)


# --- every check fires on a deliberately broken copy ---------------------------------------


def test_missing_column(cat):
    broken = cat.services.drop(columns=["kind"])
    raises(
        cg.check_columns,
        broken,
        "services.csv",
        cg.SERVICE_COLUMNS,
        file="services.csv",
        key="kind",
    )


def test_unknown_column(cat):
    broken = cat.execution.assign(note="x")
    raises(
        cg.check_columns,
        broken,
        "execution_by_land.csv",
        cg.EXECUTION_COLUMNS,
        file="execution_by_land.csv",
        key="note",
    )


def test_duplicate_id(cat):
    broken = pd.concat([cat.services, cat.services.iloc[[0]]], ignore_index=True)
    raises(
        cg.check_unique,
        broken,
        "services.csv",
        "service_id",
        file="services.csv",
        key="service_id 'wohngeld'",
    )


def test_id_not_snake_case(cat):
    broken = cat.services.copy()
    broken.loc[0, "service_id"] = "Wohn-Geld"
    raises(
        cg.check_snake_case,
        broken,
        "services.csv",
        "service_id",
        file="services.csv",
        key="Wohn-Geld",
    )


def test_kind_not_allowed(cat):
    broken = cat.services.copy()
    broken.loc[broken["service_id"] == "uvg", "kind"] = "stock"
    message = raises(
        cg.check_allowed,
        broken,
        "services.csv",
        "kind",
        cg.KINDS,
        "service_id",
        file="services.csv",
        key="service_id 'uvg'",
    )
    assert "application, running_case" in message


def test_level_not_allowed(cat):
    broken = cat.execution.copy()
    broken.loc[0, "level"] = "bezirk"
    raises(
        cg.check_allowed,
        broken,
        "execution_by_land.csv",
        "level",
        cg.EXECUTING_LEVELS,
        ("service_id", "land"),
        file="execution_by_land.csv",
        key="land '01'",
    )


def test_scales_with_not_allowed(cat):
    broken = cat.services.copy()
    broken.loc[0, "scales_with"] = "dogs"
    raises(
        cg.check_allowed,
        broken,
        "services.csv",
        "scales_with",
        cg.SCALES_WITH,
        "service_id",
        file="services.csv",
        key="dogs",
    )


def test_unknown_seasonality_profile_in_services(cat):
    broken = cat.services.copy()
    broken.loc[0, "seasonality"] = "monsoon"
    bad = dataclasses.replace(cat, services=broken)
    raises(cg.validate_catalogue, bad, file="services.csv", key="monsoon")


def test_score_out_of_range(cat):
    broken = cat.services.copy()
    broken.loc[0, "discretion"] = 1.5
    raises(cg.check_scores, broken, file="services.csv", key="service_id 'wohngeld'")


def test_low_above_value(cat):
    broken = cat.services.copy()
    broken.loc[0, "minutes_low"] = 500.0
    raises(cg.check_ranges, broken, file="services.csv", key="minutes_low")


def test_baseline_volume_must_be_positive(cat):
    broken = cat.services.copy()
    broken.loc[0, ["volume_per_year", "volume_low"]] = 0.0
    raises(cg.check_positive, broken, file="services.csv", key="service_id 'wohngeld'")


def test_minutes_must_be_positive(cat):
    broken = cat.services.copy()
    broken.loc[broken["service_id"] == "epp200", ["minutes_per_case", "minutes_low"]] = 0.0
    raises(cg.check_positive, broken, file="services.csv", key="service_id 'epp200'")


def test_source_without_prefix(cat):
    broken = cat.services.copy()
    broken.loc[0, "minutes_source"] = "we think so"
    raises(
        cg.check_sources,
        broken,
        "services.csv",
        ("minutes_source",),
        "service_id",
        file="services.csv",
        key="service_id 'wohngeld'",
    )


def test_missing_land_row(cat):
    broken = cat.execution.drop(index=cat.execution.index[5])
    raises(
        cg.check_execution_coverage,
        cat.services,
        broken,
        file="execution_by_land.csv",
        key="land '06'",
    )


def test_duplicate_land_row(cat):
    broken = pd.concat([cat.execution, cat.execution.iloc[[3]]], ignore_index=True)
    raises(
        cg.check_execution_coverage,
        cat.services,
        broken,
        file="execution_by_land.csv",
        key="land '04'",
    )


def test_unknown_land(cat):
    broken = cat.execution.copy()
    broken.loc[0, "land"] = "1"
    raises(
        cg.check_execution_coverage,
        cat.services,
        broken,
        file="execution_by_land.csv",
        key="land '1'",
    )


def test_execution_row_for_unknown_service(cat):
    broken = cat.execution.copy()
    broken.loc[0, "service_id"] = "kita"
    raises(
        cg.check_execution_coverage,
        cat.services,
        broken,
        file="execution_by_land.csv",
        key="service_id 'kita'",
    )


def test_threshold_only_for_kreis(cat):
    broken = cat.execution.copy()
    row = broken.index[(broken["service_id"] == "personalausweis") & (broken["land"] == "08")]
    broken.loc[row, "large_town_threshold"] = 20000
    raises(
        cg.check_large_town_thresholds,
        broken,
        file="execution_by_land.csv",
        key="service_id 'personalausweis', land '08'",
    )


def test_seasonality_missing_month(cat):
    broken = cat.seasonality.drop(index=cat.seasonality.index[0])
    raises(cg.check_seasonality_profiles, broken, file="seasonality.csv", key="profile 'flat'")


def test_seasonality_mean_not_one(cat):
    broken = cat.seasonality.copy()
    broken.loc[0, "factor"] = 1.2
    raises(cg.check_seasonality_profiles, broken, file="seasonality.csv", key="profile 'flat'")


def test_shock_for_unknown_service(cat):
    broken = cat.shocks.copy()
    broken.loc[0, "service_id"] = "grundsteuer"
    message = raises(
        cg.check_shocks,
        broken,
        cat.services,
        file="demand_shocks.csv",
        key="shock_id 'grundsteuer_erklaerung'",
    )
    assert "epp200" in message


def test_shock_on_baseline_service(cat):
    broken = cat.shocks.copy()
    broken.loc[0, "service_id"] = "wohngeld"
    raises(cg.check_shocks, broken, cat.services, file="demand_shocks.csv", key="wohngeld")


def test_shock_with_bad_date(cat):
    broken = cat.shocks.copy()
    broken.loc[0, "historical_start"] = "July 2022"
    raises(cg.check_shocks, broken, cat.services, file="demand_shocks.csv", key="July 2022")


def test_shock_total_outside_programme_range(cat):
    broken = cat.shocks.copy()
    broken.loc[0, "total_cases"] = 1
    raises(
        cg.check_shock_totals,
        broken,
        cat.services,
        file="demand_shocks.csv",
        key="shock_id 'grundsteuer_erklaerung'",
    )


def test_shock_profile_not_allowed(cat):
    broken = cat.shocks.copy()
    broken.loc[0, "profile"] = "sudden"
    raises(
        cg.check_allowed,
        broken,
        "demand_shocks.csv",
        "profile",
        cg.SHOCK_PROFILES,
        "shock_id",
        file="demand_shocks.csv",
        key="sudden",
    )


def test_cell_that_is_not_a_number():
    raw = cg.read_text_table(cg.SERVICES_FILE)
    raw.loc[raw["service_id"] == "gewerbe", "minutes_per_case"] = "about 40"
    raises(cg.parse_services, raw, file="services.csv", key="service_id 'gewerbe'")


def test_cell_that_is_not_a_boolean():
    raw = cg.read_text_table(cg.SERVICES_FILE)
    raw.loc[0, "in_person"] = "yes"
    raises(cg.parse_services, raw, file="services.csv", key="in_person")


def test_validate_catalogue_runs_the_checks(cat):
    cg.validate_catalogue(cat)  # the packaged catalogue passes
    broken = cat.execution.iloc[1:]
    bad = dataclasses.replace(cat, execution=broken)
    raises(cg.validate_catalogue, bad, file="execution_by_land.csv", key="land '01'")
