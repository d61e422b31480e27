"""The packaged Germany data: counts and totals against the published figures, and the checks."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pandas as pd
import pytest

from model import datafiles, geography
from model.errors import DataError
from model.geography import (
    DESTATIS_POPULATION_2024,
    check_germany,
    load_germany,
    load_projections,
    load_staff_tables,
    municipal_units,
)

# Kreise per Land, BKG VG5000 31.12.2023 and Destatis GV100AD (project data notes).
KREISE_PER_LAND = {
    "BY": 96, "NW": 53, "NI": 45, "BW": 44, "RP": 36, "HE": 26, "TH": 22, "BB": 18,
    "SH": 15, "ST": 14, "SN": 13, "MV": 8, "SL": 6, "HB": 2, "HH": 1, "BE": 1,
}  # fmt: skip
N_GEMEINDE_UNITS = 10_753  # 10,751 Gemeinden + 2 inhabited gemeindefreie Bezirke
N_VERWALTUNG_UNITS = 4_391  # 4,389 Gemeindeverbände with Gemeinden + the same 2 Bezirke
N_KREISFREI = 106  # 97 kreisfreie Städte + 9 Stadtkreise


@pytest.fixture(scope="module")
def germany() -> geography.Germany:
    return load_germany()


def corrupted(g: geography.Germany, **tables: pd.DataFrame) -> geography.Germany:
    """A copy of ``g`` with some tables replaced (and the row arrays rebuilt)."""
    names = ("gemeinden", "verwaltungen", "kreise", "laender")
    frames = {name: tables.get(name, getattr(g, name)).copy() for name in names}
    return geography.Germany.from_tables(**frames)


# --- geography ---------------------------------------------------------------------------------


def test_population_total_equals_destatis(germany):
    assert DESTATIS_POPULATION_2024 == 83_577_140
    assert germany.population_total == 83_577_140
    assert germany.kreise["population"].sum() == 83_577_140
    assert germany.laender["population"].sum() == 83_577_140
    assert germany.verwaltungen["population"].sum() == 83_577_140


def test_counts_of_kreise_and_laender(germany):
    assert len(germany.kreise) == 400
    assert len(germany.laender) == 16
    assert germany.kreise["kreisfrei"].sum() == N_KREISFREI
    codes = germany.laender["code"].to_numpy()[germany.kreis_land_row]
    assert pd.Series(codes).value_counts().to_dict() == KREISE_PER_LAND
    assert set(germany.laender.loc[germany.laender["stadtstaat"], "code"]) == {"BE", "HH", "HB"}


def test_gemeinden_and_their_largest_cities(germany):
    assert len(germany.gemeinden) == N_GEMEINDE_UNITS
    assert (~germany.gemeinden["gemeindefrei"]).sum() == 10_751
    free = germany.gemeinden[germany.gemeinden["gemeindefrei"]]
    assert free.index.tolist() == ["03351501", "03358501"]  # Lohheide, Osterheide
    assert free["population"].sum() == 917
    assert germany.gemeinden.loc["11000000", "population"] == 3_685_265  # Berlin
    assert germany.gemeinden.loc["02000000", "population"] == 1_862_565  # Hamburg
    assert (germany.gemeinden["population"] > 0).all()


def test_every_gemeinde_has_kreis_verwaltung_and_land(germany):
    gemeinden = germany.gemeinden
    for rows, table, column in (
        (germany.gemeinde_kreis_row, germany.kreise, "kreis"),
        (germany.gemeinde_verwaltung_row, germany.verwaltungen, "verwaltung"),
        (germany.gemeinde_land_row, germany.laender, "land"),
    ):
        assert rows.min() >= 0
        assert (table.index.to_numpy()[rows] == gemeinden[column].to_numpy()).all()
    assert (gemeinden.index.str[:5] == gemeinden["kreis"]).all()


def test_keys_unique_and_well_formed(germany):
    for table, digits in (
        (germany.gemeinden, 8),
        (germany.verwaltungen, 9),
        (germany.kreise, 5),
        (germany.laender, 2),
    ):
        assert table.index.is_unique
        assert table.index.str.fullmatch(rf"\d{{{digits}}}").all()
    assert germany.kreise.loc["09162", "name"].startswith("München")


def test_population_sums_by_kreis_and_land(germany):
    by_kreis = germany.gemeinden.groupby("kreis")["population"].sum()
    assert (by_kreis.reindex(germany.kreise.index) == germany.kreise["population"]).all()
    by_land = germany.gemeinden.groupby("land")["population"].sum()
    assert (by_land.reindex(germany.laender.index) == germany.laender["population"]).all()


def test_row_arrays_are_read_only(germany):
    with pytest.raises(ValueError):
        germany.gemeinde_kreis_row[0] = 1


# --- municipal units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granularity", "count"), [("gemeinde", N_GEMEINDE_UNITS), ("verwaltung", N_VERWALTUNG_UNITS)]
)
def test_municipal_units(germany, granularity, count):
    units = municipal_units(germany, granularity)
    table = units.table
    assert len(table) == count
    assert table["unit"].is_unique
    assert table["population"].sum() == DESTATIS_POPULATION_2024
    assert table["kreisfrei"].sum() == N_KREISFREI
    mapping = units.gemeinde_to_unit
    assert len(mapping) == len(germany.gemeinden)
    assert mapping.min() >= 0
    key = germany.gemeinden.index if granularity == "gemeinde" else germany.gemeinden["verwaltung"]
    assert (table["unit"].to_numpy()[mapping] == np.asarray(key)).all()
    population = np.bincount(mapping, weights=germany.gemeinde_population, minlength=count)
    assert (population.astype(np.int64) == table["population"].to_numpy()).all()
    assert (np.bincount(mapping, minlength=count) == table["n_gemeinden"].to_numpy()).all()
    assert {"unit", "name", "kreis", "land", "population", "kreisfrei"} <= set(table.columns)


def test_verwaltung_units_group_small_gemeinden(germany):
    table = municipal_units(germany, "verwaltung").table.set_index("unit")
    assert table["n_gemeinden"].max() > 30  # e.g. Ämter in Schleswig-Holstein
    assert (table.loc[table["kreisfrei"], "n_gemeinden"] == 1).all()


def test_unknown_granularity_lists_allowed_values(germany):
    with pytest.raises(ValueError, match="gemeinde, verwaltung"):
        municipal_units(germany, "kreis")


# --- checks catch corrupted data ---------------------------------------------------------------


def test_unknown_kreis_is_reported(germany):
    gemeinden = germany.gemeinden.copy()
    gemeinden.loc["01001000", "kreis"] = "01999"
    with pytest.raises(DataError) as caught:
        check_germany(corrupted(germany, gemeinden=gemeinden))
    message = str(caught.value)
    assert "model/data/germany/gemeinden.csv" in message
    assert "01001000 (Flensburg, Stadt) -> 01999" in message
    assert "model/data/germany/kreise.csv" in message
    assert "\n" not in message


def test_wrong_kreis_population_is_reported(germany):
    kreise = germany.kreise.copy()
    kreise.loc["09162", "population"] += 1
    with pytest.raises(DataError, match=r"kreise\.csv: population differs .*09162 \(München"):
        check_germany(corrupted(germany, kreise=kreise))


def test_population_total_off_is_reported(germany):
    gemeinden = germany.gemeinden.copy()
    kreise = germany.kreise.copy()
    laender = germany.laender.copy()
    verwaltungen = germany.verwaltungen.copy()
    gemeinden.loc["11000000", "population"] -= 5
    for table, key in ((kreise, "11000"), (laender, "11"), (verwaltungen, "110000000")):
        table.loc[key, "population"] -= 5
    g = corrupted(
        germany, gemeinden=gemeinden, kreise=kreise, laender=laender, verwaltungen=verwaltungen
    )
    with pytest.raises(DataError, match="83,577,135 persons, expected 83,577,140"):
        check_germany(g)


def test_duplicate_and_malformed_keys_are_reported(germany):
    kreise = pd.concat([germany.kreise, germany.kreise.iloc[[0]]])
    with pytest.raises(DataError, match=r"kreise\.csv: key kreis is not unique: 01001"):
        check_germany(corrupted(germany, kreise=kreise))
    gemeinden = germany.gemeinden.rename(index={"01001000": "1001000"})
    with pytest.raises(DataError, match=r"gemeinden\.csv: key ags must be 8 digits.*1001000"):
        check_germany(corrupted(germany, gemeinden=gemeinden))


def test_missing_kreis_changes_count(germany):
    kreise = germany.kreise.drop(index="16063")
    with pytest.raises(DataError, match="has 399 Kreise, expected 400"):
        check_germany(corrupted(germany, kreise=kreise))


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A writable copy of the packaged data, which the loaders then read."""
    shutil.copytree(datafiles.data_root() / "germany", tmp_path / "germany")
    monkeypatch.setattr(datafiles, "data_root", lambda: tmp_path)
    return tmp_path


def test_corrupted_file_fails_loading(data_copy):
    path = data_copy / "germany" / "gemeinden.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",01001,010010000,", ",01999,010010000,", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"gemeinden\.csv: 1 row\(s\) name a Kreis that is not in"):
        load_germany.__wrapped__()


def test_missing_data_file_is_named(data_copy):
    (data_copy / "germany" / "kreise.csv").unlink()
    with pytest.raises(
        DataError, match=r"missing data file model/data/germany/kreise\.csv.*reinst"
    ):
        load_germany.__wrapped__()
    with pytest.raises(DataError, match=r"model/data/germany/nothing\.csv"):
        datafiles.data_path("germany", "nothing.csv")


def test_unparsable_file_and_missing_column_are_named(data_copy):
    path = data_copy / "germany" / "laender.csv"
    path.write_text("land,name,code,stadtstaat,population\n01,X,SH,False,many\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot parse data file model/data/germany/laender\.csv"):
        load_germany.__wrapped__()
    path.write_text("land,name,code,population\n01,X,SH,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"laender\.csv lacks column\(s\) stadtstaat"):
        load_germany.__wrapped__()


def test_keys_keep_leading_zeros(data_copy):
    table = datafiles.read_csv("germany/laender.csv", {"land": "str", "population": "int64"})
    assert table["land"].iloc[0] == "01"
    assert list(table.columns) == ["land", "population"]


def test_load_time_under_one_second():
    start = time.perf_counter()
    load_germany.__wrapped__()
    assert time.perf_counter() - start < 1.0


# --- projections -------------------------------------------------------------------------------


def test_projection_15kbv_complete():
    table = load_projections().laender_15kbv
    assert len(table) == 5 * 16 * 24
    assert set(table["variant"]) == {"G2L2W1", "G2L2W2", "G2L2W3", "G1L3W1", "G3L1W3"}
    assert (table["year"].min(), table["year"].max()) == (2022, 2045)
    assert not table.duplicated(["variant", "land", "year"]).any()
    # Germany 31.12.2022 (Zensus-2011 basis): 84.05-84.45 million by variant (Destatis 12421-0003).
    totals_2022 = table[table["year"] == 2022].groupby("variant")["population"].sum()
    assert totals_2022.between(84_000_000, 84_500_000).all()


def test_projection_16kbv_complete_and_working_age():
    table = load_projections().germany_16kbv_age
    assert len(table) == 21 * 101
    assert (table.groupby("year")["age"].apply(sorted) == [list(range(101))] * 21).all()
    working_age = table[table["age"].between(20, 66)].groupby("year")["population"].sum()
    assert working_age[2025] == pytest.approx(50.99e6, abs=0.05e6)
    assert working_age[2035] == pytest.approx(47.23e6, abs=0.05e6)


def test_projection_gap_is_reported(data_copy):
    path = data_copy / "germany" / "projection_germany_16kbv_age.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("2030,42,")]
    path.write_text("".join(kept), encoding="utf-8")
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(lines) - 1
    with pytest.raises(DataError, match=r"16kbv_age\.csv: 1 missing row\(s\).*'year': 2030"):
        load_projections.__wrapped__()


# --- staff -------------------------------------------------------------------------------------


def staff_value(table: pd.DataFrame, column: str, **where: object) -> object:
    rows = table
    for key, value in where.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, where
    return rows[column].iloc[0]


def test_staff_headcount():
    headcount = load_staff_tables().headcount
    assert staff_value(headcount, "headcount", year=2024, level="kommunen") == 1_799_500
    assert staff_value(headcount, "level_de", year=2024, level="kommunen") == "Kommunaler Bereich"
    assert sorted(headcount["year"].unique()) == list(range(2000, 2025))
    by_year = headcount.pivot(index="year", columns="level", values="headcount")
    parts = by_year[["bund", "land", "kommunen", "sozialversicherung"]].sum(axis=1)
    assert ((parts - by_year["total"]).abs() <= 100).all()  # GENESIS rounds to 0.1 thousand


def test_staff_mean_age_and_retirements():
    staff = load_staff_tables()
    mean_age = staff_value(
        staff.mean_age, "mean_age_years", year=2024, level="kommunen", status="total", sex="total"
    )
    assert mean_age == pytest.approx(44.9)
    assert staff_value(staff.retirements, "retired_beamte", year=2024, level="kommunen") == 6_435
    assert staff_value(staff.retirements, "retired_beamte", year=2024, level="total") == 55_890
    age = staff_value(
        staff.retirement_age, "mean_retirement_age_years", year=2024, level="kommunen"
    )
    assert age == pytest.approx(62.6)
