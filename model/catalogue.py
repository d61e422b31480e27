"""The service catalogue: which services exist, their volumes and minutes, and who executes them.

Four packaged files in ``model/data`` make up the catalogue (docs/CATALOGUE.md explains every
column and convention):

- ``services.csv``: one row per service (volume, staff minutes per case, scores, sources);
- ``execution_by_land.csv``: one row per (service, Land): the executing level there;
- ``seasonality.csv``: monthly factors per seasonal profile;
- ``demand_shocks.csv``: the switchable one-off programmes (Grundsteuer, Soforthilfe, ...).

:func:`load_catalogue` reads, parses and validates them once and caches the result. Validation
is a list of small named checks (``check_*``); each raises :class:`~model.errors.CatalogueError`
with one line naming the file, the row and what is allowed. The checks take plain DataFrames so
that tests can call them on deliberately broken copies.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.datafiles import data_path, display_name
from model.errors import CatalogueError, DataError

FTE_HOURS_PER_YEAR = 1600.0
"""Productive hours per full-time equivalent and year (h/FTE-year).

Source: Statistisches Bundesamt, Leitfaden zur Ermittlung und Darstellung des
Erfüllungsaufwands, Stand 2025: 1 Personenjahr = 200 working days x 8 h = 1,600 h
(calibration notes FACTS.md, section B.1). All derived minutes in services.csv use this convention.
Kept here on purpose; the parameter registry may take it over later.
"""

MINUTES_PER_HOUR = 60.0
"""Unit conversion, min/h."""

SEASONALITY_TOLERANCE = 1e-9
"""Largest allowed deviation of a profile's mean monthly factor from 1 (numerical tolerance)."""

LAENDER: tuple[str, ...] = tuple(f"{number:02d}" for number in range(1, 17))
"""The 16 Länder keys (Amtlicher Regionalschlüssel, 2 digits): 01 Schleswig-Holstein ... 16
Thüringen."""

KINDS = ("application", "running_case")
LEGISLATING_LEVELS = ("bund", "land", "kommune")
EXECUTING_LEVELS = ("gemeinde", "kreis", "land", "bund", "jobcenter")
# fmt: off
SCALES_WITH = (
    "population", "age_0", "age_0_17", "age_18_29", "age_20_66", "age_67plus", "age_80plus",
)
SHOCK_PROFILES = ("flat", "front_loaded")
SOURCE_PREFIXES = ("src:", "derived:", "assumption:")
BOOLEAN_WORDS = {"true": True, "false": False}
MONTHS = tuple(range(1, 13))

SERVICES_FILE = "services.csv"
EXECUTION_FILE = "execution_by_land.csv"
SEASONALITY_FILE = "seasonality.csv"
SHOCKS_FILE = "demand_shocks.csv"

SERVICE_COLUMNS = (
    "service_id", "name_de", "name_en", "kind", "baseline", "legislating_level",
    "volume_per_year", "volume_low", "volume_high", "volume_year", "volume_source",
    "scales_with", "minutes_per_case", "minutes_low", "minutes_high", "minutes_source",
    "seasonality", "automation_potential", "local_knowledge", "personal_contact", "discretion",
    "scores_reason", "in_person",
)
EXECUTION_COLUMNS = ("service_id", "land", "level", "large_town_threshold", "source")
SEASONALITY_COLUMNS = ("profile", "month", "factor", "reason")
SHOCK_COLUMNS = (
    "shock_id", "service_id", "total_cases", "duration_weeks", "profile", "historical_start",
    "automated_share", "source",
)

SCORE_COLUMNS = ("automation_potential", "local_knowledge", "personal_contact", "discretion")
_SERVICE_FLOATS = (
    "volume_per_year", "volume_low", "volume_high", "minutes_per_case", "minutes_low",
    "minutes_high", *SCORE_COLUMNS,
)
# fmt: on
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

Key = str | tuple[str, ...]
"""The column(s) that name a row in messages: ``"service_id"`` or ``("service_id", "land")``."""


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def fte_equivalent(cases_per_year: float, minutes_per_case: float) -> float:
    """Staff needed for a workload, in FTE.

    Args:
        cases_per_year: cases (or case-years) per year.
        minutes_per_case: staff minutes per case (or per case-year).

    Returns:
        ``cases_per_year * minutes_per_case / 60 / FTE_HOURS_PER_YEAR`` (FTE).
    """
    return cases_per_year * minutes_per_case / MINUTES_PER_HOUR / FTE_HOURS_PER_YEAR


def shock_weekly_weights(profile: str, duration_weeks: int) -> np.ndarray:
    """Share of a programme's cases arriving in each week; the shares sum to 1.

    ``flat`` spreads cases evenly. ``front_loaded`` declines linearly: week ``k`` (0-based) of
    ``n`` gets weight ``n - k``, so the first week carries about twice the average and the last
    week ``1/n`` of the first.

    Args:
        profile: ``"flat"`` or ``"front_loaded"``.
        duration_weeks: number of weeks the programme accepts applications (> 0).

    Returns:
        Array of ``duration_weeks`` shares.

    Raises:
        CatalogueError: unknown profile or non-positive duration.
    """
    if duration_weeks <= 0:
        raise CatalogueError(f"shock duration must be at least 1 week, got {duration_weeks}")
    if profile == "flat":
        weights = np.ones(duration_weeks)
    elif profile == "front_loaded":
        weights = np.arange(duration_weeks, 0, -1, dtype=float)
    else:
        raise CatalogueError(
            f"unknown shock profile '{profile}'; allowed: {', '.join(SHOCK_PROFILES)}"
        )
    return weights / weights.sum()


def _row_name(table: pd.DataFrame, index: object, key: Key) -> str:
    """How a message names a row, e.g. ``service_id 'wohngeld', land '05'``."""
    columns = (key,) if isinstance(key, str) else key
    return ", ".join(f"{column} '{table.at[index, column]}'" for column in columns)


def _fail(file: str, where: str, problem: str) -> CatalogueError:
    """A one-line catalogue error naming the packaged file."""
    return CatalogueError(f"{display_name(file)}: {where}: {problem}")


# --------------------------------------------------------------------------------------------
# Validation checks: each takes DataFrames, raises CatalogueError on the first problem
# --------------------------------------------------------------------------------------------


def check_columns(table: pd.DataFrame, file: str, expected: Sequence[str]) -> None:
    """The table has exactly the expected columns (missing and unknown ones are errors)."""
    missing = [column for column in expected if column not in table.columns]
    unknown = [column for column in table.columns if column not in expected]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(map(str, unknown))}")
        raise _fail(file, "header", f"{'; '.join(parts)}; allowed: {', '.join(expected)}")


def check_unique(table: pd.DataFrame, file: str, key: Key) -> None:
    """No two rows share the same key."""
    columns = [key] if isinstance(key, str) else list(key)
    duplicated = table.duplicated(subset=columns, keep="first")
    if duplicated.any():
        index = table.index[duplicated][0]
        raise _fail(
            file, _row_name(table, index, key), "appears more than once; allowed: one row per key"
        )


def check_snake_case(table: pd.DataFrame, file: str, column: str) -> None:
    """Identifiers are snake_case: lower-case letters, digits and single underscores."""
    for value in table[column]:
        if not isinstance(value, str) or not _SNAKE_CASE.match(value):
            raise _fail(
                file,
                f"{column} '{value}'",
                "is not snake_case; allowed: lower-case letters, digits and '_' "
                "(e.g. kfz_zulassung)",
            )


def check_allowed(
    table: pd.DataFrame, file: str, column: str, allowed: Iterable[str], key: Key
) -> None:
    """Every value of ``column`` is one of ``allowed``."""
    allowed = tuple(allowed)
    for index, value in table[column].items():
        if value not in allowed:
            raise _fail(
                file,
                _row_name(table, index, key),
                f"{column} '{value}' is not allowed; allowed: {', '.join(allowed)}",
            )


def check_scores(services: pd.DataFrame, file: str = SERVICES_FILE) -> None:
    """The four 0-1 scores lie in [0, 1]."""
    for column in SCORE_COLUMNS:
        for index, value in services[column].items():
            if not 0.0 <= value <= 1.0:
                raise _fail(
                    file,
                    _row_name(services, index, "service_id"),
                    f"{column} is {value}; allowed: 0 to 1",
                )


def check_ranges(services: pd.DataFrame, file: str = SERVICES_FILE) -> None:
    """low <= value <= high for the volume and the minutes."""
    for value_column, low_column, high_column in (
        ("volume_per_year", "volume_low", "volume_high"),
        ("minutes_per_case", "minutes_low", "minutes_high"),
    ):
        for index, row in services.iterrows():
            low, value, high = row[low_column], row[value_column], row[high_column]
            if not low <= value <= high:
                raise _fail(
                    file,
                    _row_name(services, index, "service_id"),
                    f"{low_column} <= {value_column} <= {high_column} is violated "
                    f"({low:g}, {value:g}, {high:g}); allowed: low <= value <= high",
                )


def check_positive(services: pd.DataFrame, file: str = SERVICES_FILE) -> None:
    """Baseline services have volumes > 0; every service has minutes > 0 and volumes >= 0."""
    for index, row in services.iterrows():
        where = _row_name(services, index, "service_id")
        for column in ("volume_per_year", "volume_low", "volume_high"):
            if row[column] < 0 or (row["baseline"] and row[column] <= 0):
                raise _fail(
                    file,
                    where,
                    f"{column} is {row[column]:g}; allowed: > 0 for baseline services, "
                    ">= 0 for programmes",
                )
        for column in ("minutes_per_case", "minutes_low", "minutes_high"):
            if row[column] <= 0:
                raise _fail(file, where, f"{column} is {row[column]:g}; allowed: > 0")


def check_sources(table: pd.DataFrame, file: str, columns: Sequence[str], key: Key) -> None:
    """Every source/reason field starts with ``src:``, ``derived:`` or ``assumption:``."""
    for column in columns:
        for index, value in table[column].items():
            if not isinstance(value, str) or not value.startswith(SOURCE_PREFIXES):
                raise _fail(
                    file,
                    _row_name(table, index, key),
                    f"{column} '{value}' has no source; allowed: text starting with "
                    f"{', '.join(SOURCE_PREFIXES)}",
                )


def check_execution_coverage(
    services: pd.DataFrame, execution: pd.DataFrame, file: str = EXECUTION_FILE
) -> None:
    """Every service has exactly one row for each of the 16 Länder, and no other rows."""
    key = ("service_id", "land")
    unknown_service = ~execution["service_id"].isin(set(services["service_id"])).to_numpy()
    unknown_land = ~execution["land"].isin(LAENDER).to_numpy()
    bad = np.flatnonzero(unknown_service | unknown_land)
    if len(bad):  # the first bad row, as a row-by-row check would report it
        index = execution.index[bad[0]]
        if unknown_service[bad[0]]:
            raise _fail(
                file,
                _row_name(execution, index, key),
                f"service is not in {display_name(SERVICES_FILE)}; allowed: its service_id values",
            )
        raise _fail(
            file, _row_name(execution, index, key), "unknown Land; allowed: 01 to 16 (2 digits)"
        )
    check_unique(execution, file, key)
    present = set(zip(execution["service_id"], execution["land"], strict=True))
    for service_id in services["service_id"]:
        for land in LAENDER:
            if (service_id, land) not in present:
                raise _fail(
                    file,
                    f"service_id '{service_id}', land '{land}'",
                    "has no row; allowed: exactly one row per service and Land (01 to 16)",
                )


def check_large_town_thresholds(execution: pd.DataFrame, file: str = EXECUTION_FILE) -> None:
    """A large-town threshold is a positive population and only given for Kreis-level rows."""
    key = ("service_id", "land")
    threshold = execution["large_town_threshold"]
    bad = threshold.notna() & ((execution["level"] != "kreis") | ~(threshold > 0))
    if bad.any():  # the first bad row
        first = int(bad.to_numpy().argmax())
        index, row = execution.index[first], execution.iloc[first]
        raise _fail(
            file,
            _row_name(execution, index, key),
            f"large_town_threshold {row['large_town_threshold']} with level '{row['level']}'; "
            "allowed: a positive population for level 'kreis', empty otherwise",
        )


def check_seasonality_profiles(seasonality: pd.DataFrame, file: str = SEASONALITY_FILE) -> None:
    """Each profile has months 1-12 once, factors >= 0, and a mean factor of 1."""
    check_unique(seasonality, file, ("profile", "month"))
    for profile, rows in seasonality.groupby("profile", sort=False):
        if sorted(rows["month"]) != list(MONTHS):
            raise _fail(
                file,
                f"profile '{profile}'",
                f"has months {sorted(rows['month'].tolist())}; allowed: each of 1 to 12 once",
            )
        if (rows["factor"] < 0).any():
            raise _fail(file, f"profile '{profile}'", "has a negative factor; allowed: >= 0")
        mean = float(rows["factor"].mean())
        if abs(mean - 1.0) > SEASONALITY_TOLERANCE:
            raise _fail(
                file,
                f"profile '{profile}'",
                f"factors average {mean:.12f}; allowed: an average of exactly 1 "
                f"(within {SEASONALITY_TOLERANCE:g})",
            )


def check_shocks(shocks: pd.DataFrame, services: pd.DataFrame, file: str = SHOCKS_FILE) -> None:
    """Each shock names an existing programme (baseline false) and has a positive size."""
    baseline = dict(zip(services["service_id"], services["baseline"], strict=True))
    programmes = sorted(sid for sid, is_baseline in baseline.items() if not is_baseline)
    for index, row in shocks.iterrows():
        where = _row_name(shocks, index, "shock_id")
        if row["service_id"] not in baseline or baseline[row["service_id"]]:
            raise _fail(
                file,
                where,
                f"service_id '{row['service_id']}' is not a one-off programme in "
                f"{display_name(SERVICES_FILE)}; allowed: {', '.join(programmes)}",
            )
        if row["total_cases"] <= 0 or row["duration_weeks"] <= 0:
            raise _fail(
                file, where, "total_cases and duration_weeks must be positive; allowed: > 0"
            )
        if not 0.0 <= row["automated_share"] <= 1.0:
            raise _fail(file, where, f"automated_share {row['automated_share']}; allowed: 0-1")
        try:
            dt.date.fromisoformat(row["historical_start"])
        except (TypeError, ValueError):
            raise _fail(
                file,
                where,
                f"historical_start '{row['historical_start']}'; allowed: a date YYYY-MM-DD",
            ) from None


def check_shock_totals(
    shocks: pd.DataFrame, services: pd.DataFrame, file: str = SHOCKS_FILE
) -> None:
    """A shock's total lies within its programme's volume range in services.csv."""
    by_id = services.set_index("service_id")
    for index, row in shocks.iterrows():
        service = by_id.loc[row["service_id"]]
        if not service["volume_low"] <= row["total_cases"] <= service["volume_high"]:
            raise _fail(
                file,
                _row_name(shocks, index, "shock_id"),
                f"total_cases {row['total_cases']:g} is outside the programme's volume range "
                f"{service['volume_low']:g} to {service['volume_high']:g} in "
                f"{display_name(SERVICES_FILE)}; allowed: within that range",
            )


# --------------------------------------------------------------------------------------------
# Parsing: raw text tables -> typed tables (a cell that does not parse is a one-line error)
# --------------------------------------------------------------------------------------------


def _numbers(
    table: pd.DataFrame, file: str, columns: Iterable[str], key: Key, kind: type
) -> pd.DataFrame:
    """Convert text columns of a copy to finite floats or ints; name the first bad cell."""
    table = table.copy()
    for column in columns:
        converted = []
        for index, text in table[column].items():
            try:
                number = float(text)
                if not math.isfinite(number):
                    raise ValueError(text)
                if kind is int:
                    if not number.is_integer():
                        raise ValueError(text)
                    number = int(number)
            except (TypeError, ValueError):
                word = "a whole number" if kind is int else "a finite number"
                raise _fail(
                    file,
                    _row_name(table, index, key),
                    f"{column} '{text}' does not parse; allowed: {word}",
                ) from None
            converted.append(number)
        table[column] = pd.Series(converted, index=table.index, dtype=kind)
    return table


def _booleans(table: pd.DataFrame, file: str, columns: Iterable[str], key: Key) -> pd.DataFrame:
    """Convert ``true``/``false`` text columns to bool."""
    table = table.copy()
    for column in columns:
        check_allowed(table, file, column, BOOLEAN_WORDS, key)
        table[column] = table[column].map(BOOLEAN_WORDS).astype(bool)
    return table


def parse_services(raw: pd.DataFrame) -> pd.DataFrame:
    """Type the text table of services.csv (floats, ints, booleans)."""
    check_columns(raw, SERVICES_FILE, SERVICE_COLUMNS)
    table = _numbers(raw, SERVICES_FILE, _SERVICE_FLOATS, "service_id", float)
    table = _numbers(table, SERVICES_FILE, ("volume_year",), "service_id", int)
    return _booleans(table, SERVICES_FILE, ("baseline", "in_person"), "service_id")


def parse_execution(raw: pd.DataFrame) -> pd.DataFrame:
    """Type the text table of execution_by_land.csv (threshold as nullable integer)."""
    check_columns(raw, EXECUTION_FILE, EXECUTION_COLUMNS)
    table = raw.copy()
    filled = table["large_town_threshold"] != ""
    typed = _numbers(
        table[filled], EXECUTION_FILE, ("large_town_threshold",), ("service_id", "land"), int
    )
    thresholds = pd.Series(pd.NA, index=table.index, dtype="Int64")
    thresholds[filled] = typed["large_town_threshold"]
    table["large_town_threshold"] = thresholds
    return table


def parse_seasonality(raw: pd.DataFrame) -> pd.DataFrame:
    """Type the text table of seasonality.csv."""
    check_columns(raw, SEASONALITY_FILE, SEASONALITY_COLUMNS)
    table = _numbers(raw, SEASONALITY_FILE, ("month",), ("profile", "month"), int)
    return _numbers(table, SEASONALITY_FILE, ("factor",), ("profile", "month"), float)


def parse_shocks(raw: pd.DataFrame) -> pd.DataFrame:
    """Type the text table of demand_shocks.csv."""
    check_columns(raw, SHOCKS_FILE, SHOCK_COLUMNS)
    typed = _numbers(raw, SHOCKS_FILE, ("total_cases", "duration_weeks"), "shock_id", int)
    return _numbers(typed, SHOCKS_FILE, ("automated_share",), "shock_id", float)


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The validated service catalogue. Treat the DataFrames as read-only (the object is cached).

    Attributes:
        services: one row per service, columns ``SERVICE_COLUMNS`` (typed).
        execution: one row per (service, Land), columns ``EXECUTION_COLUMNS``.
        seasonality: 12 rows per profile, columns ``SEASONALITY_COLUMNS``.
        shocks: one row per switchable one-off programme, columns ``SHOCK_COLUMNS``.
    """

    services: pd.DataFrame
    execution: pd.DataFrame
    seasonality: pd.DataFrame
    shocks: pd.DataFrame

    @property
    def service_ids(self) -> tuple[str, ...]:
        """All service ids, in file order (baseline services and programmes)."""
        return tuple(self.services["service_id"])

    @property
    def baseline_service_ids(self) -> tuple[str, ...]:
        """Services that make up the recurring baseline demand."""
        return tuple(self.services.loc[self.services["baseline"], "service_id"])

    @property
    def programme_service_ids(self) -> tuple[str, ...]:
        """One-off programmes (``baseline`` false); they enter only through demand shocks."""
        return tuple(self.services.loc[~self.services["baseline"], "service_id"])

    @functools.cached_property
    def _levels(self) -> dict[tuple[str, str], tuple[str, int | None]]:
        thresholds = self.execution["large_town_threshold"]
        return {
            (service_id, land): (level, None if pd.isna(threshold) else int(threshold))
            for service_id, land, level, threshold in zip(
                self.execution["service_id"],
                self.execution["land"],
                self.execution["level"],
                thresholds,
                strict=True,
            )
        }

    def service(self, service_id: str) -> pd.Series:
        """The services.csv row of one service.

        Raises:
            CatalogueError: unknown service id.
        """
        rows = self.services.loc[self.services["service_id"] == service_id]
        if rows.empty:
            raise _fail(SERVICES_FILE, f"service_id '{service_id}'", "no such service")
        return rows.iloc[0]

    def level_of(self, service_id: str, land: str) -> str:
        """The level that executes ``service_id`` in ``land`` (``"01"`` ... ``"16"``)."""
        return self._execution_row(service_id, land)[0]

    def large_town_threshold(self, service_id: str, land: str) -> int | None:
        """Population from which kreisangehörige Gemeinden execute a Kreis service themselves."""
        return self._execution_row(service_id, land)[1]

    def _execution_row(self, service_id: str, land: str) -> tuple[str, int | None]:
        try:
            return self._levels[(service_id, land)]
        except KeyError:
            raise _fail(
                EXECUTION_FILE,
                f"service_id '{service_id}', land '{land}'",
                "no such row; allowed: a service of services.csv and a Land 01 to 16",
            ) from None

    def levels_by_land(self) -> pd.DataFrame:
        """Executing level as a table: one row per service, one column per Land."""
        table = self.execution.pivot(index="service_id", columns="land", values="level")
        return table.reindex(index=list(self.service_ids), columns=list(LAENDER))

    def monthly_seasonality(self, profile: str) -> np.ndarray:
        """The 12 monthly factors (January first) of a profile; they average 1."""
        rows = self.seasonality.loc[self.seasonality["profile"] == profile]
        if rows.empty:
            profiles = ", ".join(self.seasonality["profile"].unique())
            raise _fail(
                SEASONALITY_FILE, f"profile '{profile}'", f"no such profile; allowed: {profiles}"
            )
        return rows.sort_values("month")["factor"].to_numpy(dtype=float)

    def weekly_seasonality(self, profile: str, year: int) -> np.ndarray:
        """Weekly factors for the ISO weeks of ``year`` (52 or 53), averaging exactly 1.

        Each ISO week takes the factor of the month its Thursday falls in (the ISO rule that
        assigns weeks to years); the factors are then rescaled to mean 1 so that a yearly volume
        spread as ``volume / n_weeks * factor`` adds up to the yearly volume.
        """
        monthly = self.monthly_seasonality(profile)
        n_weeks = dt.date(year, 12, 28).isocalendar().week
        months = [dt.date.fromisocalendar(year, week, 4).month for week in range(1, n_weeks + 1)]
        weekly = monthly[np.asarray(months) - 1]
        return weekly / weekly.mean()

    def shock(self, shock_id: str) -> pd.Series:
        """The demand_shocks.csv row of one shock."""
        rows = self.shocks.loc[self.shocks["shock_id"] == shock_id]
        if rows.empty:
            allowed = ", ".join(self.shocks["shock_id"])
            raise _fail(SHOCKS_FILE, f"shock_id '{shock_id}'", f"no such shock; allowed: {allowed}")
        return rows.iloc[0]

    def shock_weekly_cases(self, shock_id: str) -> np.ndarray:
        """Cases arriving in each week of a programme (sums to ``total_cases``)."""
        row = self.shock(shock_id)
        weights = shock_weekly_weights(row["profile"], int(row["duration_weeks"]))
        return float(row["total_cases"]) * weights

    def summary(self) -> pd.DataFrame:
        """One row per service: kind, volume, minutes, FTE-equivalent (with range) and levels.

        ``fte`` = volume_per_year x minutes_per_case / 60 / 1,600 h; ``fte_low`` and
        ``fte_high`` combine the low and high ends. For programmes the volume is the programme
        total, so their FTE is the staff-years of the whole programme. ``levels`` counts the
        Länder per executing level, e.g. ``kreis 13, land 3``.
        """
        counts = self.execution.groupby("service_id")["level"].agg(
            lambda levels: ", ".join(
                f"{level} {count}" for level, count in levels.value_counts().items()
            )
        )
        services = self.services
        return pd.DataFrame(
            {
                "service_id": services["service_id"],
                "name_en": services["name_en"],
                "kind": services["kind"],
                "baseline": services["baseline"],
                "legislating_level": services["legislating_level"],
                "volume_per_year": services["volume_per_year"],
                "minutes_per_case": services["minutes_per_case"],
                "fte": fte_equivalent(services["volume_per_year"], services["minutes_per_case"]),
                "fte_low": fte_equivalent(services["volume_low"], services["minutes_low"]),
                "fte_high": fte_equivalent(services["volume_high"], services["minutes_high"]),
                "levels": services["service_id"].map(counts),
            }
        ).reset_index(drop=True)


def validate_catalogue(cat: Catalogue) -> None:
    """Run every named check on a catalogue; raise CatalogueError on the first problem."""
    services, execution = cat.services, cat.execution
    check_columns(services, SERVICES_FILE, SERVICE_COLUMNS)
    check_columns(execution, EXECUTION_FILE, EXECUTION_COLUMNS)
    check_columns(cat.seasonality, SEASONALITY_FILE, SEASONALITY_COLUMNS)
    check_columns(cat.shocks, SHOCKS_FILE, SHOCK_COLUMNS)

    check_snake_case(services, SERVICES_FILE, "service_id")
    check_unique(services, SERVICES_FILE, "service_id")
    check_allowed(services, SERVICES_FILE, "kind", KINDS, "service_id")
    check_allowed(services, SERVICES_FILE, "legislating_level", LEGISLATING_LEVELS, "service_id")
    check_allowed(services, SERVICES_FILE, "scales_with", SCALES_WITH, "service_id")
    profiles = tuple(cat.seasonality["profile"].unique())
    check_allowed(services, SERVICES_FILE, "seasonality", profiles, "service_id")
    check_scores(services)
    check_ranges(services)
    check_positive(services)
    check_sources(
        services,
        SERVICES_FILE,
        ("volume_source", "minutes_source", "scores_reason"),
        "service_id",
    )

    check_execution_coverage(services, execution)
    check_allowed(execution, EXECUTION_FILE, "level", EXECUTING_LEVELS, ("service_id", "land"))
    check_large_town_thresholds(execution)
    check_sources(execution, EXECUTION_FILE, ("source",), ("service_id", "land"))

    check_seasonality_profiles(cat.seasonality)
    check_sources(cat.seasonality, SEASONALITY_FILE, ("reason",), ("profile", "month"))

    check_snake_case(cat.shocks, SHOCKS_FILE, "shock_id")
    check_unique(cat.shocks, SHOCKS_FILE, "shock_id")
    check_allowed(cat.shocks, SHOCKS_FILE, "profile", SHOCK_PROFILES, "shock_id")
    check_shocks(cat.shocks, services)
    check_shock_totals(cat.shocks, services)
    check_sources(cat.shocks, SHOCKS_FILE, ("source",), "shock_id")


def build_catalogue(
    services: pd.DataFrame,
    execution: pd.DataFrame,
    seasonality: pd.DataFrame,
    shocks: pd.DataFrame,
) -> Catalogue:
    """Parse four text tables (all cells ``str``) into a validated :class:`Catalogue`."""
    cat = Catalogue(
        services=parse_services(services),
        execution=parse_execution(execution),
        seasonality=parse_seasonality(seasonality),
        shocks=parse_shocks(shocks),
    )
    validate_catalogue(cat)
    return cat


def read_text_table(file: str) -> pd.DataFrame:
    """Read a packaged catalogue CSV with every cell as text (empty cells as ``""``)."""
    try:
        return pd.read_csv(data_path(file), dtype=str, keep_default_na=False)
    except DataError as error:
        raise CatalogueError(str(error)) from error
    except (OSError, ValueError, pd.errors.ParserError) as error:
        message = " ".join(str(error).split())
        raise CatalogueError(f"{display_name(file)}: cannot be read: {message}") from error


@functools.lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Read and validate the packaged catalogue (cached: files are read once per process).

    Raises:
        CatalogueError: a file is missing, does not parse or fails a check.
    """
    return build_catalogue(
        read_text_table(SERVICES_FILE),
        read_text_table(EXECUTION_FILE),
        read_text_table(SEASONALITY_FILE),
        read_text_table(SHOCKS_FILE),
    )
