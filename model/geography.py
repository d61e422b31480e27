"""Germany's administrative geography, population projections and public-service staff tables.

The data ship with the package in ``model/data/germany/`` (origins, licences and the required
attributions are in ``model/data/SOURCES.md``). Loading reads the CSV files once per process,
runs a list of small named consistency checks and returns frozen dataclasses of tables plus
integer row arrays for the array-based model code.

Territorial status: Gemeindeverzeichnis GV100AD, Gebietsstand 30.11.2025; population on
31.12.2024 (Zensus-2022 basis), in persons; areas in km².
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.datafiles import display_name, read_csv
from model.errors import DataError

DESTATIS_POPULATION_2024 = 83_577_140
"""Population of Germany on 31.12.2024, persons, Zensus-2022 basis. Source: Destatis,
Gemeindeverzeichnis GV100AD (Gebietsstand 30.11.2025), equal to Destatis' published total."""

N_KREISE = 400
"""Kreise and kreisfreie Städte; unchanged since 1 July 2021 (Destatis GV100AD 30.11.2025)."""

N_LAENDER = 16
"""Länder of the Federal Republic (Grundgesetz, preamble)."""

LAND_CODES: Mapping[str, str] = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP", "08": "BW",
    "09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}  # fmt: skip
"""Land key (Amtlicher Gemeindeschlüssel, first two digits) -> ISO 3166-2:DE subdivision code."""

STADTSTAATEN = frozenset({"BE", "HH", "HB"})
"""The Stadtstaaten Berlin, Hamburg and Bremen: Länder that are cities, so Land and municipal
administration largely coincide (Bremen: with the city of Bremerhaven)."""

KEY_DIGITS: Mapping[str, int] = {"ags": 8, "verwaltung": 9, "kreis": 5, "land": 2}
"""Digits of each key (Destatis, Datensatzbeschreibung GV100AD): Land 2, Kreis 5 (Land,
Regierungsbezirk, Kreis), Gemeindeverband 9 (Kreis + 4), Gemeinde 8 (Kreis + 3)."""

KEY_NAMES: Mapping[str, str] = {
    "ags": "Gemeinde", "verwaltung": "Verwaltung", "kreis": "Kreis", "land": "Land",
}  # fmt: skip
"""Key column -> the unit it identifies, for messages."""

GERMANY_DIR = "germany"
GEMEINDEN_FILE = f"{GERMANY_DIR}/gemeinden.csv"
VERWALTUNGEN_FILE = f"{GERMANY_DIR}/verwaltungen.csv"
KREISE_FILE = f"{GERMANY_DIR}/kreise.csv"
LAENDER_FILE = f"{GERMANY_DIR}/laender.csv"

GEMEINDEN_COLUMNS = {
    "ags": "str", "name": "str", "typ": "str", "gemeindefrei": "bool", "land": "str",
    "kreis": "str", "verwaltung": "str", "population": "int64", "area_km2": "float64",
}  # fmt: skip
VERWALTUNGEN_COLUMNS = {
    "verwaltung": "str", "name": "str", "typ": "str", "kreis": "str", "land": "str",
    "n_gemeinden": "int64", "population": "int64",
}  # fmt: skip
KREISE_COLUMNS = {
    "kreis": "str", "name": "str", "typ": "str", "kreisfrei": "bool", "land": "str",
    "population": "int64", "area_km2": "float64",
}  # fmt: skip
LAENDER_COLUMNS = {
    "land": "str", "name": "str", "code": "str", "stadtstaat": "bool", "population": "int64",
}  # fmt: skip


def _readonly(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    values.setflags(write=False)
    return values


def _positions(index: pd.Index, keys: pd.Series) -> np.ndarray:
    """Row position in ``index`` of every key (the first, if repeated); -1 where unknown."""
    if not index.is_unique:  # reported by check_keys; positions must not fail before that
        first = ~index.duplicated()
        found = index[first].get_indexer(keys.to_numpy())
        return np.where(found >= 0, np.flatnonzero(first)[found], -1)
    return index.get_indexer(keys.to_numpy())


def _rows(keys: pd.Series, table: pd.DataFrame) -> np.ndarray:
    """Row position in ``table`` (indexed by key) of every key; -1 where the key is unknown."""
    return _readonly(_positions(table.index, keys).astype(np.int64))


@dataclass(frozen=True, eq=False)
class Germany:
    """Gemeinden, Verwaltungen, Kreise and Länder with their populations (31.12.2024).

    Each table is indexed by its key (``ags``, ``verwaltung``, ``kreis``, ``land``; strings with
    leading zeros) and sorted by it. The ``*_row`` arrays give, for each row of one table, the
    row position (``iloc``) of its parent in another, for array arithmetic without joins.
    The object is shared through a cache: copy a table before changing it.

    Attributes:
        gemeinden: one row per Gemeinde (and inhabited gemeindefreies Gebiet): ``name``, ``typ``,
            ``gemeindefrei``, ``land``, ``kreis``, ``verwaltung``, ``population`` (persons),
            ``area_km2``.
        verwaltungen: administrative units running municipal offices (Gemeindeverbände and
            verbandsfreie Gemeinden): ``name``, ``typ``, ``kreis``, ``land``, ``n_gemeinden``,
            ``population`` (persons).
        kreise: ``name``, ``typ``, ``kreisfrei``, ``land``, ``population`` (persons),
            ``area_km2``.
        laender: ``name``, ``code`` (SH … TH), ``stadtstaat``, ``population`` (persons).
        gemeinde_kreis_row: for each Gemeinde, its Kreis's row in ``kreise``.
        gemeinde_verwaltung_row: for each Gemeinde, its Verwaltung's row in ``verwaltungen``.
        gemeinde_land_row: for each Gemeinde, its Land's row in ``laender``.
        verwaltung_kreis_row: for each Verwaltung, its Kreis's row in ``kreise``.
        kreis_land_row: for each Kreis, its Land's row in ``laender``.
    """

    gemeinden: pd.DataFrame
    verwaltungen: pd.DataFrame
    kreise: pd.DataFrame
    laender: pd.DataFrame
    gemeinde_kreis_row: np.ndarray
    gemeinde_verwaltung_row: np.ndarray
    gemeinde_land_row: np.ndarray
    verwaltung_kreis_row: np.ndarray
    kreis_land_row: np.ndarray

    @classmethod
    def from_tables(
        cls,
        gemeinden: pd.DataFrame,
        verwaltungen: pd.DataFrame,
        kreise: pd.DataFrame,
        laender: pd.DataFrame,
    ) -> Germany:
        """Build from key-indexed tables; unknown parent keys get row -1 (see checks)."""
        return cls(
            gemeinden=gemeinden,
            verwaltungen=verwaltungen,
            kreise=kreise,
            laender=laender,
            gemeinde_kreis_row=_rows(gemeinden["kreis"], kreise),
            gemeinde_verwaltung_row=_rows(gemeinden["verwaltung"], verwaltungen),
            gemeinde_land_row=_rows(gemeinden["land"], laender),
            verwaltung_kreis_row=_rows(verwaltungen["kreis"], kreise),
            kreis_land_row=_rows(kreise["land"], laender),
        )

    @property
    def gemeinde_population(self) -> np.ndarray:
        """Population of each Gemeinde, persons, 31.12.2024 (int64, row order of gemeinden)."""
        return self.gemeinden["population"].to_numpy()

    @property
    def population_total(self) -> int:
        """Population of Germany, persons, 31.12.2024 (sum over Gemeinden)."""
        return int(self.gemeinden["population"].sum())


# --- checks -----------------------------------------------------------------------------------


def _examples(items: Sequence[str], limit: int = 3) -> str:
    """The first ``limit`` items, and how many more there are."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _fail(relpath: str, what: str) -> DataError:
    return DataError(f"{display_name(*relpath.split('/'))}: {what}")


def _labels(table: pd.DataFrame, mask: np.ndarray, detail: pd.Series | None = None) -> list[str]:
    """'key (name)' for the masked rows, with ``-> detail`` if given."""
    rows = table[mask]
    labels = [f"{key} ({name})" for key, name in zip(rows.index, rows["name"], strict=True)]
    if detail is not None:
        labels = [f"{label} -> {value}" for label, value in zip(labels, detail[mask], strict=True)]
    return labels


def check_table_sizes(g: Germany) -> None:
    """Exactly 400 Kreise and 16 Länder; at least one Gemeinde and Verwaltung."""
    if len(g.kreise) != N_KREISE:
        raise _fail(KREISE_FILE, f"has {len(g.kreise)} Kreise, expected {N_KREISE}")
    if len(g.laender) != N_LAENDER:
        raise _fail(LAENDER_FILE, f"has {len(g.laender)} Länder, expected {N_LAENDER}")
    if len(g.gemeinden) == 0:
        raise _fail(GEMEINDEN_FILE, "has no Gemeinden")
    if len(g.verwaltungen) == 0:
        raise _fail(VERWALTUNGEN_FILE, "has no Verwaltungen")


def _check_key_column(relpath: str, what: str, values: pd.Series, key: str) -> None:
    if not pd.api.types.is_string_dtype(values):
        raise _fail(relpath, f"{what} must hold text keys (leading zeros), found {values.dtype}")
    well_formed = values.str.fullmatch(rf"\d{{{KEY_DIGITS[key]}}}").fillna(False).to_numpy(bool)
    bad = [str(v) for v in values[~well_formed]]
    if bad:
        raise _fail(relpath, f"{what} must be {KEY_DIGITS[key]} digits, found {_examples(bad)}")


def check_keys(g: Germany) -> None:
    """Every key is unique in its table and has the right number of digits."""
    for relpath, table, key, parents in (
        (GEMEINDEN_FILE, g.gemeinden, "ags", ("verwaltung", "kreis", "land")),
        (VERWALTUNGEN_FILE, g.verwaltungen, "verwaltung", ("kreis", "land")),
        (KREISE_FILE, g.kreise, "kreis", ("land",)),
        (LAENDER_FILE, g.laender, "land", ()),
    ):
        _check_key_column(relpath, f"key {key}", table.index.to_series(), key)
        duplicated = table.index[table.index.duplicated()].unique()
        if len(duplicated):
            raise _fail(relpath, f"key {key} is not unique: {_examples(list(duplicated))}")
        for parent in parents:
            _check_key_column(relpath, f"column {parent}", table[parent], parent)


def check_land_codes(g: Germany) -> None:
    """Länder carry their ISO code (SH … TH) and the city-state flag (BE, HH, HB)."""
    expected = g.laender.index.map(LAND_CODES)
    wrong = expected.to_numpy() != g.laender["code"].to_numpy()
    if wrong.any():
        found = g.laender["code"] + ", expected " + pd.Series(expected, index=g.laender.index)
        raise _fail(LAENDER_FILE, f"wrong code: {_examples(_labels(g.laender, wrong, found))}")
    wrong = g.laender["code"].isin(STADTSTAATEN).to_numpy() != g.laender["stadtstaat"].to_numpy()
    if wrong.any():
        raise _fail(
            LAENDER_FILE, f"wrong stadtstaat flag for {_examples(_labels(g.laender, wrong))}"
        )


def check_parents_exist(g: Germany) -> None:
    """Every Gemeinde's Kreis, Verwaltung and Land exist, as do the Kreis and Land of every
    Verwaltung and the Land of every Kreis."""
    kreise = (g.kreise, KREISE_FILE)
    verwaltungen = (g.verwaltungen, VERWALTUNGEN_FILE)
    laender = (g.laender, LAENDER_FILE)
    for relpath, table, rows, parent, (parent_table, parent_file) in (
        (GEMEINDEN_FILE, g.gemeinden, g.gemeinde_kreis_row, "kreis", kreise),
        (GEMEINDEN_FILE, g.gemeinden, g.gemeinde_verwaltung_row, "verwaltung", verwaltungen),
        (GEMEINDEN_FILE, g.gemeinden, g.gemeinde_land_row, "land", laender),
        (VERWALTUNGEN_FILE, g.verwaltungen, g.verwaltung_kreis_row, "kreis", kreise),
        (KREISE_FILE, g.kreise, g.kreis_land_row, "land", laender),
    ):
        # Looked up afresh rather than trusting the arrays, so a changed table cannot hide.
        expected = _positions(parent_table.index, table[parent])
        unknown = expected == -1
        if unknown.any():
            listed = _examples(_labels(table, unknown, table[parent]))
            raise _fail(
                relpath,
                f"{int(unknown.sum())} row(s) name a {KEY_NAMES[parent]} that is not in "
                f"{display_name(*parent_file.split('/'))}: {listed}",
            )
        if len(rows) != len(table) or not np.array_equal(rows, expected):
            raise _fail(relpath, f"the {parent} row array does not match the table; rebuild it")


def check_key_hierarchy(g: Germany) -> None:
    """Keys nest: a Gemeinde's AGS starts with its Kreis key, which starts with its Land key;
    a Verwaltung's key starts with its Kreis key (its offices serve Gemeinden of one Kreis)."""
    for relpath, table, key_digits, parent in (
        (GEMEINDEN_FILE, g.gemeinden, 5, "kreis"),
        (GEMEINDEN_FILE, g.gemeinden, 5, "verwaltung"),
        (GEMEINDEN_FILE, g.gemeinden, 2, "land"),
        (VERWALTUNGEN_FILE, g.verwaltungen, 5, "kreis"),
        (VERWALTUNGEN_FILE, g.verwaltungen, 2, "land"),
        (KREISE_FILE, g.kreise, 2, "land"),
    ):
        own = table.index.str[:key_digits].to_numpy()
        theirs = table[parent].str[:key_digits].to_numpy()
        wrong = own != theirs
        if wrong.any():
            listed = _examples(_labels(table, wrong, table[parent]))
            raise _fail(relpath, f"{parent} does not match the key's first digits: {listed}")


def check_population_total(g: Germany) -> None:
    """Gemeinde populations are non-negative and add up to the Destatis total."""
    negative = (g.gemeinden["population"] < 0).to_numpy()
    if negative.any():
        listed = _examples(_labels(g.gemeinden, negative, g.gemeinden["population"]))
        raise _fail(GEMEINDEN_FILE, f"negative population: {listed}")
    if g.population_total != DESTATIS_POPULATION_2024:
        raise _fail(
            GEMEINDEN_FILE,
            f"population sums to {g.population_total:,} persons, expected "
            f"{DESTATIS_POPULATION_2024:,} (Destatis, 31.12.2024)",
        )


def _check_sums(
    g: Germany, relpath: str, table: pd.DataFrame, column: str, rows: np.ndarray
) -> None:
    """``table[column]`` equals the sum over the Gemeinden whose row array points to it."""
    counting = column == "n_gemeinden"
    weights = None if counting else g.gemeinde_population
    total = "number" if counting else "sum"
    sums = np.bincount(rows, weights=weights, minlength=len(table)).astype(np.int64)
    wrong = table[column].to_numpy() != sums
    if wrong.any():
        found = [f"{v:,} vs {total} {s:,}" for v, s in zip(table[column], sums, strict=True)]
        listed = _examples(_labels(table, wrong, pd.Series(found, index=table.index)))
        raise _fail(relpath, f"{column} differs from the {total} over its Gemeinden: {listed}")


def check_population_sums(g: Germany) -> None:
    """Each Kreis, Land and Verwaltung population equals the sum over its Gemeinden, and each
    Verwaltung's n_gemeinden equals its number of Gemeinden."""
    _check_sums(g, KREISE_FILE, g.kreise, "population", g.gemeinde_kreis_row)
    _check_sums(g, LAENDER_FILE, g.laender, "population", g.gemeinde_land_row)
    _check_sums(g, VERWALTUNGEN_FILE, g.verwaltungen, "population", g.gemeinde_verwaltung_row)
    _check_sums(g, VERWALTUNGEN_FILE, g.verwaltungen, "n_gemeinden", g.gemeinde_verwaltung_row)


GERMANY_CHECKS: tuple[tuple[str, Callable[[Germany], None]], ...] = (
    ("keys unique and well-formed", check_keys),
    ("table sizes", check_table_sizes),
    ("Land codes", check_land_codes),
    ("parents exist", check_parents_exist),
    ("key hierarchy", check_key_hierarchy),
    ("population total", check_population_total),
    ("population sums", check_population_sums),
)
"""The checks :func:`check_germany` runs, in order (later checks rely on earlier ones)."""


def check_germany(g: Germany) -> None:
    """Run every check in :data:`GERMANY_CHECKS`.

    Raises:
        DataError: at the first failing check, naming the file and what is wrong.
    """
    for _name, check in GERMANY_CHECKS:
        check(g)


@functools.lru_cache(maxsize=1)
def load_germany() -> Germany:
    """Read and check the packaged Gemeinden, Verwaltungen, Kreise and Länder (cached).

    Returns:
        The checked :class:`Germany`; the same object on every call in a process.

    Raises:
        DataError: a file is missing or malformed, or a check fails.
    """
    g = Germany.from_tables(
        gemeinden=read_csv(GEMEINDEN_FILE, GEMEINDEN_COLUMNS).set_index("ags"),
        verwaltungen=read_csv(VERWALTUNGEN_FILE, VERWALTUNGEN_COLUMNS).set_index("verwaltung"),
        kreise=read_csv(KREISE_FILE, KREISE_COLUMNS).set_index("kreis"),
        laender=read_csv(LAENDER_FILE, LAENDER_COLUMNS).set_index("land"),
    )
    check_germany(g)
    return g


# --- municipal administrations ----------------------------------------------------------------

GRANULARITIES = ("gemeinde", "verwaltung")
"""How municipal administrations are cut: every inhabited Gemeinde, or every administrative
unit (Amt, Verbandsgemeinde, Verwaltungsgemeinschaft, … or verbandsfreie Gemeinde)."""


@dataclass(frozen=True, eq=False)
class MunicipalUnits:
    """The municipal administrations the model makes agents of.

    Attributes:
        granularity: one of :data:`GRANULARITIES`.
        table: one row per unit (row position = agent row), sorted by ``unit``: ``unit`` (AGS
            or Verwaltung key), ``name``, ``typ``, ``kreis``, ``land``, ``population``
            (persons, 31.12.2024), ``n_gemeinden``, ``kreisfrei`` (the unit is or lies in a
            kreisfreie Stadt).
        gemeinde_to_unit: for each row of ``Germany.gemeinden``, the row of its unit in
            ``table`` (-1 for an uninhabited Gemeinde at granularity ``"gemeinde"``).
    """

    granularity: str
    table: pd.DataFrame
    gemeinde_to_unit: np.ndarray


def municipal_units(g: Germany, granularity: str) -> MunicipalUnits:
    """The municipal administrations at the given granularity.

    Args:
        g: the geography, e.g. from :func:`load_germany`.
        granularity: ``"gemeinde"`` (every inhabited Gemeinde) or ``"verwaltung"`` (every
            administrative unit; Gemeinden of an Amt etc. share its offices).

    Returns:
        The unit table and the Gemeinde -> unit row mapping.

    Raises:
        ValueError: unknown granularity.
    """
    if granularity == "gemeinde":
        inhabited = (g.gemeinden["population"] > 0).to_numpy()
        units = g.gemeinden[inhabited]
        kreis_row = g.gemeinde_kreis_row[inhabited]
        n_gemeinden = np.ones(len(units), dtype=np.int64)
        gemeinde_to_unit = np.where(inhabited, np.cumsum(inhabited) - 1, -1)
    elif granularity == "verwaltung":
        units = g.verwaltungen
        kreis_row = g.verwaltung_kreis_row
        n_gemeinden = units["n_gemeinden"].to_numpy()
        gemeinde_to_unit = g.gemeinde_verwaltung_row
    else:
        raise ValueError(
            f"unknown granularity {granularity!r}; allowed: {', '.join(GRANULARITIES)}"
        )
    table = pd.DataFrame(
        {
            "unit": units.index.to_numpy(),
            "name": units["name"].to_numpy(),
            "typ": units["typ"].to_numpy(),
            "kreis": units["kreis"].to_numpy(),
            "land": units["land"].to_numpy(),
            "population": units["population"].to_numpy(),
            "n_gemeinden": n_gemeinden,
            "kreisfrei": g.kreise["kreisfrei"].to_numpy()[kreis_row],
        }
    )
    return MunicipalUnits(granularity, table, _readonly(gemeinde_to_unit.astype(np.int64)))


# --- projections ------------------------------------------------------------------------------

PROJECTION_15KBV_FILE = f"{GERMANY_DIR}/projection_laender_15kbv.csv"
PROJECTION_16KBV_FILE = f"{GERMANY_DIR}/projection_germany_16kbv_age.csv"

VARIANTS_15KBV = ("G2L2W1", "G2L2W2", "G2L2W3", "G1L3W1", "G3L1W3")
"""Variants of the 15th koordinierte Bevölkerungsvorausberechnung (Destatis 12421-0003)."""

YEARS_15KBV = range(2022, 2046)
"""Years packaged from the 15th kBV (31.12. of each year); the model horizon, see SOURCES.md."""

YEARS_16KBV = range(2025, 2046)
"""Years packaged from the 16th kBV, variant G2L2W2 (31.12. of each year)."""

AGES_16KBV = range(0, 101)
"""Single years of age in 12421-0002; 100 stands for 100 and older."""


@dataclass(frozen=True, eq=False)
class Projections:
    """Destatis population projections (persons on 31.12. of ``year``).

    Attributes:
        laender_15kbv: 15th kBV (Zensus-2011 basis) by Land: ``variant``, ``land``, ``year``,
            ``population``.
        germany_16kbv_age: 16th kBV, variant G2L2W2, Germany only: ``year``, ``age``,
            ``population``.
    """

    laender_15kbv: pd.DataFrame
    germany_16kbv_age: pd.DataFrame


def _check_complete_grid(relpath: str, table: pd.DataFrame, dims: Mapping[str, Sequence]) -> None:
    """Every combination of ``dims`` occurs exactly once in ``table``, and nothing else."""
    columns = list(dims)
    duplicated = table.duplicated(columns)
    if duplicated.any():
        row = table[duplicated].iloc[0]
        raise _fail(relpath, f"duplicate row for {', '.join(f'{c}={row[c]}' for c in columns)}")
    expected = pd.MultiIndex.from_product([list(v) for v in dims.values()], names=columns)
    found = pd.MultiIndex.from_frame(table[columns])
    for label, difference in (
        ("missing", expected.difference(found)),
        ("unexpected", found.difference(expected)),
    ):
        if len(difference):
            listed = _examples([str(dict(zip(columns, t, strict=True))) for t in difference])
            raise _fail(relpath, f"{len(difference)} {label} row(s): {listed}")


def _check_positive(relpath: str, table: pd.DataFrame, column: str) -> None:
    if not (table[column] > 0).all():
        raise _fail(relpath, f"{column} must be positive, found {table[column].min()}")


@functools.lru_cache(maxsize=1)
def load_projections() -> Projections:
    """Read and check the packaged population projections (cached).

    Raises:
        DataError: a file is missing or malformed, or a (variant, Land, year) or (year, age) is
            missing or repeated.
    """
    laender = read_csv(
        PROJECTION_15KBV_FILE,
        {"variant": "str", "land": "str", "year": "int64", "population": "int64"},
    )
    _check_complete_grid(
        PROJECTION_15KBV_FILE,
        laender,
        {"variant": VARIANTS_15KBV, "land": sorted(LAND_CODES), "year": YEARS_15KBV},
    )
    _check_positive(PROJECTION_15KBV_FILE, laender, "population")
    ages = read_csv(PROJECTION_16KBV_FILE, {"year": "int64", "age": "int64", "population": "int64"})
    _check_complete_grid(PROJECTION_16KBV_FILE, ages, {"year": YEARS_16KBV, "age": AGES_16KBV})
    _check_positive(PROJECTION_16KBV_FILE, ages, "population")
    return Projections(laender_15kbv=laender, germany_16kbv_age=ages)


# --- public-service staff ---------------------------------------------------------------------

STAFF_LEVELS: Mapping[str, str] = {
    "total": "Insgesamt",
    "bund": "Bundesbereich",
    "land": "Landesbereich",
    "kommunen": "Kommunaler Bereich",
    "sozialversicherung": "Sozialversicherung",
}
"""Level code -> Destatis Beschäftigungsbereich / Körperschaftsebene (74111, 74211)."""

STAFF_SUBLEVELS: Mapping[str, str] = {
    "bund_beamte_richter": "Bundesbeamte und -richter",
    "bund_berufssoldaten": "Berufssoldaten",
    "bund_einrichtungen": "Rechtlich selbständige Einrichtungen des Bundes",
    "bund_eisenbahnvermoegen": "Bundeseisenbahnvermögen",
    "bund_postnachfolger": "Postnachfolgeunternehmen",
    "land_schuldienst": "Schuldienst des Landesbereichs",
    "land_vollzugsdienst": "Vollzugsdienst des Landesbereichs",
    "land_uebrige": "Übrige Landesbereiche",
}
"""Sub-levels (Gliederungsebene 2) of Bund and Land in 74211-0003/-0008."""

STAFF_STATUS: Mapping[str, str] = {
    "total": "Insgesamt",
    "beamte": "Beamte, Richter, Berufs- und Zeitsoldaten",
    "arbeitnehmer": "Arbeitnehmer",
}
"""Dienstverhältnis in 74111-0003."""

STAFF_SEX: Mapping[str, str] = {"total": "Insgesamt", "male": "männlich", "female": "weiblich"}
"""Geschlecht in 74111-0003."""

HEADCOUNT_FILE = f"{GERMANY_DIR}/staff_headcount_74111-0001.csv"
MEAN_AGE_FILE = f"{GERMANY_DIR}/staff_mean_age_74111-0003.csv"
RETIREMENTS_FILE = f"{GERMANY_DIR}/staff_retirements_beamte_74211-0003.csv"
RETIREMENT_AGE_FILE = f"{GERMANY_DIR}/staff_retirement_age_74211-0008.csv"


@dataclass(frozen=True, eq=False)
class StaffTables:
    """Public-service personnel statistics for Germany as a whole (Destatis GENESIS).

    Attributes:
        headcount: 74111-0001, persons employed on 30 June (full- and part-time, headcount, not
            FTE): ``year``, ``level``, ``level_de``, ``headcount``.
        mean_age: 74111-0003, mean age in years on 30 June: ``year``, ``level``, ``level_de``,
            ``status``, ``status_de``, ``sex``, ``sex_de``, ``mean_age_years``.
        retirements: 74211-0003, Beamte (incl. Richter, Berufssoldaten) newly receiving a
            pension in ``year``, persons: ``year``, ``level``, ``level_de``, ``depth``
            (0 total, 1 level, 2 sub-level), ``retired_beamte``.
        retirement_age: 74211-0008, mean age at retirement of those Beamte, years: ``year``,
            ``level``, ``level_de``, ``depth``, ``mean_retirement_age_years``.
    """

    headcount: pd.DataFrame
    mean_age: pd.DataFrame
    retirements: pd.DataFrame
    retirement_age: pd.DataFrame


def _check_labels(
    relpath: str, table: pd.DataFrame, column: str, labels: Mapping[str, str]
) -> None:
    """``column`` holds known codes and ``column_de`` their German labels."""
    expected = table[column].map(labels)
    wrong = (expected != table[f"{column}_de"]).to_numpy()
    if wrong.any():
        found = table[wrong].iloc[0]
        raise _fail(
            relpath,
            f"{column} {found[column]!r} with label {found[f'{column}_de']!r} is not one of "
            f"{', '.join(labels)} with its Destatis label",
        )


def _years(table: pd.DataFrame) -> range:
    return range(int(table["year"].min()), int(table["year"].max()) + 1)


@functools.lru_cache(maxsize=1)
def load_staff_tables() -> StaffTables:
    """Read and check the packaged staff tables (cached).

    Raises:
        DataError: a file is missing or malformed, a level code is unknown, or a year × level
            (× status × sex) combination is missing or repeated.
    """
    level = {"year": "int64", "level": "str", "level_de": "str"}
    headcount = read_csv(HEADCOUNT_FILE, {**level, "headcount": "int64"})
    mean_age = read_csv(
        MEAN_AGE_FILE,
        {**level, "status": "str", "status_de": "str", "sex": "str", "sex_de": "str",
         "mean_age_years": "float64"},
    )  # fmt: skip
    retirements = read_csv(RETIREMENTS_FILE, {**level, "depth": "int64", "retired_beamte": "int64"})
    retirement_age = read_csv(
        RETIREMENT_AGE_FILE, {**level, "depth": "int64", "mean_retirement_age_years": "float64"}
    )
    all_levels = {**STAFF_LEVELS, **STAFF_SUBLEVELS}
    for relpath, table, levels, extra in (
        (HEADCOUNT_FILE, headcount, STAFF_LEVELS, {}),
        (MEAN_AGE_FILE, mean_age, STAFF_LEVELS, {"status": STAFF_STATUS, "sex": STAFF_SEX}),
        (RETIREMENTS_FILE, retirements, all_levels, {}),
        (RETIREMENT_AGE_FILE, retirement_age, all_levels, {}),
    ):
        _check_labels(relpath, table, "level", levels)
        for column, labels in extra.items():
            _check_labels(relpath, table, column, labels)
        dims = {"year": _years(table), "level": list(levels)}
        dims |= {column: list(labels) for column, labels in extra.items()}
        _check_complete_grid(relpath, table, dims)
        _check_positive(relpath, table, table.columns[-1])
    return StaffTables(headcount, mean_age, retirements, retirement_age)
