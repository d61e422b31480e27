"""Where a service belongs: the seed paper's 12 criteria, scored per service, and a rule.

The seed paper (PD-Impuls 10/2023, slide "Neuverortung von Leistungen im föderalen System")
lists 12 criteria that argue for local or central execution of a service and draws each
criterion as a row on a local <-> central axis, ○ today and ● in future. Two packaged files hold
foedsim's reading of it (docs/CRITERIA.md explains every column):

- ``criteria/criteria.csv``: the 12 criteria with the seed's sentence, which end of the axis a
  high score points to, and a weight with its range and reason;
- ``criteria/scores.csv``: every catalogue service x criterion, a score today and in future on
  the scale 0 (the criterion's condition does not hold) ... 4 (holds fully), each with a reason.
  Today's score of the four criteria that the catalogue already describes is derived from it
  (``round(4 x value)``) and checked against it.

Every score and weight is an assumption by the foedsim developers, not a finding of the seed.

The rule (:func:`recommend`): a criterion's *position* on the axis is its score where a high
score points to ``central`` and ``4 - score`` where it points to ``local``; a service's score is
the weighted mean position (0 = clearly local ... 4 = clearly central); at or above
:attr:`Rule.threshold` the service is recommended for central execution. Two vetoes keep a
service local whatever its score: decisive local knowledge (the seed's planning-law criterion)
and an own task of the Kommune (the seed re-places the execution of federal and Land law only).
A service whose citizens must appear in person keeps a local front office.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.catalogue import SCORE_COLUMNS as CATALOGUE_SCORE_COLUMNS
from model.catalogue import SOURCE_PREFIXES, Catalogue, load_catalogue
from model.checks import suggest
from model.datafiles import data_path, display_name
from model.errors import DataError

CRITERIA_FILE = "criteria/criteria.csv"
SCORES_FILE = "criteria/scores.csv"
# fmt: off
CRITERIA_COLUMNS = (
    "criterion_id", "name_de", "name_en", "source", "seed_text", "high_points_to", "score_0",
    "score_4", "catalogue_column", "weight", "weight_low", "weight_high", "weight_reason",
)
SCORES_COLUMNS = (
    "service_id", "criterion_id", "score_today", "score_future", "reason_today", "reason_future",
)
# fmt: on
SCORE_MIN = 0
"""Lowest score: the criterion's condition does not hold for the service."""
SCORE_MAX = 4
"""Highest score: the condition holds fully. Also the axis: position 0 = clearly local,
4 = clearly central (a 5-point ordinal scale; assumption, chosen to match the seed's drawn axis)."""
SEED_CRITERIA_COUNT = 12
"""The seed slide lists 12 criteria (src: PD-Impuls 10/2023, 'Neuverortung von Leistungen')."""
AXIS_ENDS = ("local", "central")
LOCAL_LEVELS = ("gemeinde", "kreis", "jobcenter")
"""Executing levels counted as local (Kommunen; Jobcenter are local joint agencies)."""
CENTRAL_LEVELS = ("land", "bund")
WHEN = ("today", "future")
AXIS_WORDS = {"de": {"local": "lokal", "central": "zentral"},
              "en": {"local": "local", "central": "central"}}  # fmt: skip
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class CriteriaError(DataError):
    """The criteria or score table is inconsistent (one line: file, line, column, allowed)."""


@dataclass(frozen=True)
class Rule:
    """The decision rule; every number is a named assumption (docs/CRITERIA.md).

    Attributes:
        threshold: weighted score (0-4) at or above which a service goes central. Assumption:
            the neutral midpoint of the axis; range ``threshold_low``-``threshold_high``.
        threshold_low: low end of the threshold's range (used for ``robust``).
        threshold_high: high end of the threshold's range.
        veto_criterion: criterion whose score at or above ``veto_min_score`` keeps a service
            local. Seed: local knowledge or planning law -> "eher dezentral (kommunal)".
        veto_min_score: assumption: 3 of 4 ("mostly holds"); range 3-4.
        front_office_criterion: criterion whose future score at or above
            ``front_office_min_score`` keeps a local front office for a central service. Source:
            Deutscher Städtetag 30.6.2021, "in-person access must remain" (FACTS E).
        front_office_min_score: assumption: 3 of 4; range 3-4.
        own_task_levels: legislating levels (catalogue ``legislating_level``) whose services stay
            local: the seed re-places the execution (Vollzug) of federal and Land law, not the
            Kommunen's own affairs.
        n_reasons: how many deciding criteria a recommendation names besides a veto.
    """

    threshold: float = 2.0
    threshold_low: float = 1.75
    threshold_high: float = 2.25
    veto_criterion: str = "local_knowledge"
    veto_min_score: int = 3
    front_office_criterion: str = "contact_access"
    front_office_min_score: int = 3
    own_task_levels: tuple[str, ...] = ("kommune",)
    n_reasons: int = 3


@dataclass(frozen=True, eq=False)
class CriteriaTables:
    """The validated criteria and scores (treat the DataFrames as read-only; cached).

    Attributes:
        criteria: one row per criterion in the seed's order, columns ``CRITERIA_COLUMNS``
            (weights as floats).
        scores: one row per (service, criterion), columns ``SCORES_COLUMNS`` (scores as ints).
    """

    criteria: pd.DataFrame
    scores: pd.DataFrame


# --------------------------------------------------------------------------------------------
# Reading and checks: every problem is one line naming the file, the line and the column
# --------------------------------------------------------------------------------------------


def _bad(file: str, table: pd.DataFrame, index: int, key: Sequence[str], problem: str):
    """``FILE: line N (service_id 'x', criterion_id 'y'): PROBLEM``; line 1 is the header."""
    names = ", ".join(f"{column} '{table.at[index, column]}'" for column in key)
    return CriteriaError(f"{file}: line {index + 2} ({names}): {problem}")


def read_table(path: Path, shown: str, columns: Sequence[str]) -> pd.DataFrame:
    """Read a CSV file as text with exactly ``columns`` (a missing or unknown one is an error).

    Args:
        path: the file.
        shown: how messages name it, e.g. ``model/data/criteria/scores.csv``.
        columns: the required header, in any order.

    Returns:
        A DataFrame of strings (empty cells are ``""``); index 0 is line 2 of the file.

    Raises:
        CriteriaError: the file is missing, does not parse, or has the wrong columns.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    except FileNotFoundError:
        raise CriteriaError(f"{shown}: file not found") from None
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.ParserWarning) as error:
        raise CriteriaError(f"{shown}: cannot parse: {' '.join(str(error).split())}") from None
    missing = [column for column in columns if column not in table.columns]
    unknown = [str(column) for column in table.columns if column not in columns]
    if missing or unknown:
        parts = [f"missing column(s) {', '.join(missing)}"] if missing else []
        parts += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        raise CriteriaError(f"{shown}: line 1 (header): {'; '.join(parts)}; "
                            f"allowed: {', '.join(columns)}")  # fmt: skip
    return table.reset_index(drop=True)


def _check_values(table: pd.DataFrame, file: str, key: Sequence[str], column: str,
                  allowed: Sequence[str]) -> None:  # fmt: skip
    """Every value of ``column`` is one of ``allowed``."""
    for index, value in table[column].items():
        if value not in allowed:
            shown = ", ".join(repr(a) if a == "" else a for a in sorted(allowed))
            raise _bad(file, table, index, key,
                       f"column {column} '{value}' is not allowed; allowed: {shown}")  # fmt: skip


def _check_unique(table: pd.DataFrame, file: str, key: Sequence[str]) -> None:
    duplicated = table.duplicated(subset=list(key))
    if duplicated.any():
        index = int(table.index[duplicated][0])
        raise _bad(file, table, index, key, "repeats; allowed: one row per " + " and ".join(key))


def _check_text(table: pd.DataFrame, file: str, key: Sequence[str], column: str,
                prefixed: bool) -> None:  # fmt: skip
    """Non-empty one-line text; with ``prefixed``, starting with src:/derived:/assumption:."""
    for index, text in table[column].items():
        ok = bool(text.strip()) and "\n" not in text
        if ok and prefixed:
            ok = text.startswith(SOURCE_PREFIXES) and bool(text.split(":", 1)[1].strip())
        if not ok:
            need = "one line" + (f" starting with {', '.join(SOURCE_PREFIXES)}" if prefixed else "")
            problem = f"column {column} '{text}' is empty or malformed; allowed: {need}"
            raise _bad(file, table, index, key, problem)


def _to_numbers(table: pd.DataFrame, file: str, key: Sequence[str], columns: Sequence[str],
                whole: bool, lo: float, hi: float) -> pd.DataFrame:  # fmt: skip
    """Parse columns of a copy as numbers within ``[lo, hi]`` (whole numbers if ``whole``)."""
    table = table.copy()
    for column in columns:
        values = []
        for index, text in table[column].items():
            try:
                value = float(text)
                if not (math.isfinite(value) and lo <= value <= hi):
                    raise ValueError(text)
                if whole and not value.is_integer():
                    raise ValueError(text)
            except ValueError:
                kind = "a whole number" if whole else "a number"
                raise _bad(file, table, index, key, f"column {column} '{text}' is not allowed; "
                           f"allowed: {kind} {lo:g} to {hi:g}") from None  # fmt: skip
            values.append(int(value) if whole else value)
        table[column] = pd.Series(values, index=table.index, dtype=int if whole else float)
    return table


def check_criteria(raw: pd.DataFrame, file: str = display_name(CRITERIA_FILE),
                   catalogue_columns: Sequence[str] = CATALOGUE_SCORE_COLUMNS) -> pd.DataFrame:  # noqa: E501 # fmt: skip
    """Validate and type the criteria table.

    Args:
        raw: the text table (e.g. from :func:`read_table`).
        file: how messages name the file.
        catalogue_columns: catalogue columns a criterion may derive today's score from.

    Returns:
        The table with ``weight``, ``weight_low`` and ``weight_high`` as floats.

    Raises:
        CriteriaError: on the first problem.
    """
    key = ("criterion_id",)
    for index, value in raw["criterion_id"].items():
        if not _SNAKE_CASE.match(value):
            raise _bad(file, raw, index, key, "column criterion_id is not snake_case; allowed: "
                       "lower-case letters, digits and '_'")  # fmt: skip
    _check_unique(raw, file, key)
    for column in ("name_de", "name_en", "seed_text", "score_0", "score_4"):
        _check_text(raw, file, key, column, prefixed=False)
    for column in ("source", "weight_reason"):
        _check_text(raw, file, key, column, prefixed=True)
    _check_values(raw, file, key, "high_points_to", AXIS_ENDS)
    _check_values(raw, file, key, "catalogue_column", ("", *catalogue_columns))
    table = _to_numbers(raw, file, key, ("weight", "weight_low", "weight_high"), whole=False,
                        lo=0.0, hi=100.0)  # fmt: skip
    for index, row in table.iterrows():
        low, weight, high = row["weight_low"], row["weight"], row["weight_high"]
        if not (low <= weight <= high and weight > 0):
            raise _bad(file, table, index, key,
                       f"columns weight_low, weight, weight_high are {low:g}, {weight:g}, "
                       f"{high:g}; allowed: weight_low <= weight <= weight_high, "
                       "weight > 0")  # fmt: skip
    return table


def derive_score(value: float) -> int:
    """Today's score from a 0-1 catalogue value: ``4 x value`` rounded half up (0.9 -> 4)."""
    return int(math.floor(SCORE_MAX * value + 0.5))


def check_scores(raw: pd.DataFrame, criteria: pd.DataFrame, service_ids: Sequence[str],
                 file: str = display_name(SCORES_FILE),
                 catalogue_values: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    """Validate and type the score table against the criteria and the services.

    Args:
        raw: the text table.
        criteria: the checked criteria table (:func:`check_criteria`).
        service_ids: every service that must be scored (the catalogue's).
        file: how messages name the file.
        catalogue_values: catalogue rows indexed by service_id with the 0-1 columns named in
            ``criteria.catalogue_column``; when given, a ``derived:`` score must equal
            :func:`derive_score` of the catalogue value.

    Returns:
        The table with ``score_today`` and ``score_future`` as ints.

    Raises:
        CriteriaError: on the first problem: an unknown or missing service or criterion, a
            repeated pair, a score outside 0-4, an empty reason, a derived score that does not
            match the catalogue.
    """
    key = ("service_id", "criterion_id")
    _check_values(raw, file, key, "service_id", tuple(service_ids))
    _check_values(raw, file, key, "criterion_id", tuple(criteria["criterion_id"]))
    _check_unique(raw, file, key)
    present = set(zip(raw["service_id"], raw["criterion_id"], strict=True))
    for service_id in service_ids:
        for criterion_id in criteria["criterion_id"]:
            if (service_id, criterion_id) not in present:
                raise CriteriaError(f"{file}: service_id '{service_id}', criterion_id "
                                    f"'{criterion_id}': has no row; allowed: exactly one row "
                                    "per service and criterion")  # fmt: skip
    table = _to_numbers(raw, file, key, ("score_today", "score_future"), whole=True,
                        lo=SCORE_MIN, hi=SCORE_MAX)  # fmt: skip
    for column in ("reason_today", "reason_future"):
        _check_text(table, file, key, column, prefixed=True)
    derived_from = dict(zip(criteria["criterion_id"], criteria["catalogue_column"], strict=True))
    for index, row in table.iterrows():
        if not row["reason_today"].startswith("derived:"):
            continue
        column = derived_from[row["criterion_id"]]
        if not column:
            raise _bad(file, table, index, key, "column reason_today says derived but the "
                       "criterion has no catalogue_column; allowed: 'assumption:' or "
                       "'src:'")  # fmt: skip
        if catalogue_values is None:
            continue
        value = float(catalogue_values.at[row["service_id"], column])
        if row["score_today"] != derive_score(value):
            raise _bad(file, table, index, key,
                       f"column score_today {row['score_today']} does not match the catalogue "
                       f"({column} {value:g}); allowed: {derive_score(value)} (4 x value, "
                       "rounded) or a reason_today starting with 'assumption:'")  # fmt: skip
    return table


def load_criteria_files(criteria_path: Path, scores_path: Path, catalogue: Catalogue,
                        shown: tuple[str, str] | None = None) -> CriteriaTables:  # fmt: skip
    """Read and validate a criteria file and a score file (tests use broken copies).

    Args:
        criteria_path: the criteria CSV.
        scores_path: the scores CSV.
        catalogue: the service catalogue the scores refer to.
        shown: how messages name the two files (default: their paths).

    Returns:
        The validated tables.
    """
    shown_criteria, shown_scores = shown or (str(criteria_path), str(scores_path))
    raw = read_table(criteria_path, shown_criteria, CRITERIA_COLUMNS)
    criteria = check_criteria(raw, shown_criteria)
    if len(criteria) != SEED_CRITERIA_COUNT:
        raise CriteriaError(f"{shown_criteria}: has {len(criteria)} criteria; allowed: exactly "
                            f"{SEED_CRITERIA_COUNT} (the seed slide's criteria)")  # fmt: skip
    raw = read_table(scores_path, shown_scores, SCORES_COLUMNS)
    values = catalogue.services.set_index("service_id")
    scores = check_scores(raw, criteria, catalogue.service_ids, shown_scores, values)
    return CriteriaTables(criteria=criteria, scores=scores)


@functools.cache
def load_criteria() -> CriteriaTables:
    """The packaged criteria and scores, validated against the catalogue (cached)."""
    return load_criteria_files(
        data_path(*CRITERIA_FILE.split("/")), data_path(*SCORES_FILE.split("/")),
        load_catalogue(), shown=(display_name(CRITERIA_FILE), display_name(SCORES_FILE)),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# The rule
# --------------------------------------------------------------------------------------------


def positions(criteria: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Scores as positions on the local (0) <-> central (4) axis, in the criteria's order.

    Args:
        criteria: criteria table (``criterion_id``, ``high_points_to``, ``weight``).
        scores: score table (``service_id``, ``criterion_id``, ``score_today``,
            ``score_future``).

    Returns:
        One row per (service, criterion), services in the order of ``scores``, criteria in the
        order of ``criteria``: ``service_id``, ``criterion_id``, ``weight``, ``score_today``,
        ``score_future``, ``position_today``, ``position_future``. A position is the score where
        a high score points to ``central``, else ``4 - score``.
    """
    services = list(dict.fromkeys(scores["service_id"]))
    order = pd.MultiIndex.from_product([services, list(criteria["criterion_id"])],
                                       names=["service_id", "criterion_id"])  # fmt: skip
    table = scores.set_index(["service_id", "criterion_id"])[["score_today", "score_future"]]
    table = table.reindex(order).join(
        criteria.set_index("criterion_id")[["high_points_to", "weight"]], on="criterion_id"
    ).reset_index()  # fmt: skip
    flip = table.pop("high_points_to").to_numpy() == "local"
    for when in WHEN:
        score = table[f"score_{when}"].to_numpy()
        table[f"position_{when}"] = np.where(flip, SCORE_MAX - score, score).astype(int)
    return table[["service_id", "criterion_id", "weight", "score_today", "score_future",
                  "position_today", "position_future"]]  # fmt: skip


def _position_matrix(criteria: pd.DataFrame, scores: pd.DataFrame, when: str) -> np.ndarray:
    """services (order of ``scores``) x criteria (order of ``criteria``) positions."""
    n = len(criteria)
    return positions(criteria, scores)[f"position_{when}"].to_numpy(float).reshape(-1, n)


def weighted_scores(criteria: pd.DataFrame, scores: pd.DataFrame,
                    weights: Mapping[str, float] | None = None) -> pd.DataFrame:  # fmt: skip
    """Each service's weighted mean position today and in future (0 local ... 4 central).

    ``score = sum_c(weight_c x position_c) / sum_c(weight_c)``.

    Args:
        criteria: criteria table.
        scores: score table.
        weights: criterion_id -> weight, overriding the table's ``weight`` column (e.g. for
            sensitivity runs); criteria not named keep their weight.

    Returns:
        ``service_id``, ``score_today``, ``score_future``, services in the order of ``scores``.
    """
    w = np.array([float((weights or {}).get(c, wt)) for c, wt in
                  zip(criteria["criterion_id"], criteria["weight"], strict=True)])  # fmt: skip
    out: dict[str, object] = {"service_id": list(dict.fromkeys(scores["service_id"]))}
    for when in WHEN:
        out[f"score_{when}"] = _position_matrix(criteria, scores, when) @ w / w.sum()
    return pd.DataFrame(out)


def score_bounds(pos: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, ...]:
    """Smallest and largest weighted mean of each row of ``pos`` over weights in [low, high].

    The weighted mean is largest when the criteria with the highest positions take their high
    weight and the rest their low weight (and the reverse for the smallest), so trying, for each
    k, "the k highest positions at one end, the others at the other end" is exact.

    Args:
        pos: services x criteria positions.
        low: low weight per criterion.
        high: high weight per criterion.

    Returns:
        ``(minimum, maximum)``, one value per row.
    """
    n_rows, n = pos.shape
    smallest, largest = np.full(n_rows, np.inf), np.full(n_rows, -np.inf)
    for row in range(n_rows):
        ranked = np.argsort(-pos[row], kind="stable")
        for k in range(n + 1):
            top = np.zeros(n, dtype=bool)
            top[ranked[:k]] = True
            for w in (np.where(top, high, low), np.where(top, low, high)):
                value = pos[row] @ w / w.sum()
                smallest[row], largest[row] = min(smallest[row], value), max(largest[row], value)
    return smallest, largest


def _reason_text(name: str, score: int, toward: str, lang: str) -> str:
    return f"{name} {score}/{SCORE_MAX} → {AXIS_WORDS[lang][toward]}"


def execution_class(levels: set[str]) -> str:
    """``local``, ``central`` or ``mixed`` for the executing levels of one service ("" if none)."""
    if not levels:
        return ""
    if levels <= set(LOCAL_LEVELS):
        return "local"
    return "central" if levels <= set(CENTRAL_LEVELS) else "mixed"


def recommend(tables: CriteriaTables | None = None, rule: Rule | None = None,
              catalogue: Catalogue | None = None, lang: str = "en") -> pd.DataFrame:  # fmt: skip
    """Apply the rule to every scored service.

    Args:
        tables: criteria and scores (default: the packaged ones).
        rule: the rule's settings (default :class:`Rule`).
        catalogue: for names, today's executing levels and the legislating level (default: the
            packaged catalogue; services it lacks get empty names and no own-task veto).
        lang: ``"de"`` or ``"en"`` for names and reasons.

    Returns:
        One row per service: ``service_id``, ``name``, ``execution_today`` (local, central or
        mixed across the Länder), ``score_today``, ``score_future`` (0 local ... 4 central),
        ``score_future_min``/``_max`` (over the weight ranges), ``recommendation_today``,
        ``recommendation`` (future; ``central`` or ``local``), ``front_office`` (``local`` when
        citizens must appear in person, else as the recommendation), ``veto`` (the veto that
        decided the future recommendation, or ""), ``robust`` (same future recommendation for
        every weight and threshold in their ranges), ``deciding_criteria`` (ids) and
        ``reasons`` (text).
    """
    tables = tables or load_criteria()
    rule = rule or Rule()
    catalogue = catalogue or load_catalogue()
    criteria, scores = tables.criteria, tables.scores
    criterion_ids = list(criteria["criterion_id"])
    weighted = weighted_scores(criteria, scores)
    pos = _position_matrix(criteria, scores, "future")
    low, high = score_bounds(pos, criteria["weight_low"].to_numpy(float),
                             criteria["weight_high"].to_numpy(float))  # fmt: skip
    by_pair = scores.set_index(["service_id", "criterion_id"])
    names = criteria.set_index("criterion_id")[f"name_{lang}"]
    weight = criteria["weight"].to_numpy(float)
    services = catalogue.services.set_index("service_id")
    levels = catalogue.execution.groupby("service_id")["level"].agg(set)
    own_task = ("eigene Aufgabe der Kommune (kein Vollzug von Bundes- oder Landesrecht)"
                if lang == "de" else "own task of the Kommune (not Vollzug of federal or Land law)")  # noqa: E501 # fmt: skip

    def score(service_id: str, criterion_id: str, when: str) -> int | None:
        if (service_id, criterion_id) not in by_pair.index:
            return None
        return int(by_pair.at[(service_id, criterion_id), f"score_{when}"])

    def veto_of(service_id: str, when: str) -> tuple[str, str]:
        """(veto id, reason) or ("", "")."""
        local = score(service_id, rule.veto_criterion, when)
        if local is not None and local >= rule.veto_min_score:
            text = _reason_text(names[rule.veto_criterion], local, "local", lang)
            return rule.veto_criterion, f"veto: {text}"
        if services["legislating_level"].get(service_id, "") in rule.own_task_levels:
            return "own_task", f"veto: {own_task}"
        return "", ""

    rows = []
    for i, (service_id, today, future) in enumerate(weighted.itertuples(index=False)):
        veto, veto_reason = veto_of(service_id, "future")
        central = future >= rule.threshold and not veto
        toward, sign = ("central", 1.0) if central else ("local", -1.0)
        pull = dict(zip(criterion_ids, sign * weight * (pos[i] - rule.threshold), strict=True))
        deciding = sorted((c for c in criterion_ids if pull[c] > 0 and c != veto),
                          key=lambda c: -pull[c])[: rule.n_reasons]  # fmt: skip
        reasons = [veto_reason] if veto else []
        reasons += [_reason_text(names[c], score(service_id, c, "future"), toward, lang)
                    for c in deciding]  # fmt: skip
        contact = score(service_id, rule.front_office_criterion, "future")
        in_person = contact is not None and contact >= rule.front_office_min_score
        robust = bool(veto) or bool(low[i] >= rule.threshold_high if central
                                    else high[i] < rule.threshold_low)  # fmt: skip
        central_today = today >= rule.threshold and not veto_of(service_id, "today")[0]
        rows.append({
            "service_id": service_id,
            "name": services[f"name_{lang}"].get(service_id, ""),
            "execution_today": execution_class(levels.get(service_id, set())),
            "score_today": round(float(today), 4),
            "score_future": round(float(future), 4),
            "score_future_min": round(float(low[i]), 4),
            "score_future_max": round(float(high[i]), 4),
            "recommendation_today": "central" if central_today else "local",
            "recommendation": toward,
            "front_office": "local" if in_person or not central else "central",
            "veto": veto,
            "robust": robust,
            "deciding_criteria": ",".join(([veto] if veto else []) + deciding),
            "reasons": "; ".join(reasons),
        })  # fmt: skip
    return pd.DataFrame(rows)


def service_criteria_table(service_id: str, tables: CriteriaTables | None = None,
                           lang: str = "en") -> pd.DataFrame:  # fmt: skip
    """One service's rows, one per criterion, for printing.

    Returns:
        ``criterion_id``, ``criterion`` (name in ``lang``), ``high_points_to``, ``weight``,
        ``score_today``, ``score_future``, ``position_today``, ``position_future``,
        ``reason_today``, ``reason_future``.

    Raises:
        CriteriaError: the service is not scored (the message lists the scored ones).
    """
    tables = tables or load_criteria()
    scored = list(dict.fromkeys(tables.scores["service_id"]))
    if service_id not in scored:
        hint = suggest(service_id, scored)
        raise CriteriaError(f"service '{service_id}' has no criteria scores{hint}; "
                            f"allowed: {', '.join(scored)}")  # fmt: skip
    table = positions(tables.criteria, tables.scores)
    table = table[table["service_id"] == service_id].drop(columns="service_id")
    crit = tables.criteria.set_index("criterion_id")
    table.insert(1, "criterion", table["criterion_id"].map(crit[f"name_{lang}"]))
    direction = table["criterion_id"].map(crit["high_points_to"]).map(AXIS_WORDS[lang])
    table.insert(2, "high_points_to", direction)
    reasons = tables.scores.set_index(["service_id", "criterion_id"])
    for when in WHEN:
        table[f"reason_{when}"] = [reasons.at[(service_id, c), f"reason_{when}"]
                                   for c in table["criterion_id"]]  # fmt: skip
    return table.reset_index(drop=True)


@dataclass(frozen=True)
class Anchor:
    """A case the rule must reproduce (issue 7, item 3).

    Attributes:
        service_id: the catalogue service.
        recommendation: expected future recommendation, ``central`` or ``local``.
        front_office: expected front office, ``central`` or ``local``.
        today: expected recommendation today ("" = not part of the anchor).
        basis: why this is an anchor.
    """

    service_id: str
    recommendation: str
    front_office: str
    today: str
    basis: str


ANCHORS: tuple[Anchor, ...] = (
    Anchor("kfz_zulassung", "central", "central", "",
           "Föderale Modernisierungsagenda 12/2025: registration via a federal platform (FACTS E)"),
    Anchor("personalausweis", "central", "local", "",
           "back office of identity documents central, the counter stays local (Dresdner "
           "Forderungen; DST 2021: in-person access must remain; FACTS E)"),
    Anchor("reisepass", "central", "local", "", "as personalausweis (identity documents)"),
    Anchor("bauantrag", "local", "local", "",
           "seed: local knowledge and planning law -> 'eher dezentral (kommunal)'"),
    Anchor("kindergeld", "central", "central", "central",
           "already central today (Familienkasse of the BA, FACTS C.1)"),
    Anchor("fuehrungszeugnis", "central", "central", "central",
           "already central today (Bundesamt für Justiz, FACTS C.1)"),
)  # fmt: skip
"""The anchor cases; tests and docs/CRITERIA.md check the rule against them."""


def anchor_problems(recommendations: pd.DataFrame) -> list[str]:
    """Anchors the recommendations miss, one line each (empty when all are reproduced)."""
    table = recommendations.set_index("service_id")
    problems = []
    for anchor in ANCHORS:
        if anchor.service_id not in table.index:
            problems.append(f"{anchor.service_id}: not scored")
            continue
        row = table.loc[anchor.service_id]
        expected = {"recommendation": anchor.recommendation, "front_office": anchor.front_office,
                    "recommendation_today": anchor.today}  # fmt: skip
        for column, value in expected.items():
            if value and row[column] != value:
                problems.append(f"{anchor.service_id}: {column} is {row[column]}, expected {value}")
    return problems
