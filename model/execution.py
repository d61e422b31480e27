"""Who executes what: execution modes per service, migrations and automation (issue 6;
docs/EXECUTION.md).

A scenario moves services with ``[[execution]]`` entries::

    [[execution]]
    services = ["kfz_zulassung"]          # or: select = { local_knowledge_max = 0.2, ... }
    mode = "central_bund"                 # decentral | efa | central_land | central_bund |
                                          # legislating_level | criteria
    start = 2027-01-04                    # go-live: the first migration wave
    migration_weeks = 52                  # optional (default: registry migration_weeks)
    lands = ["BY", "NW"]                  # optional: only these Länder (default: all)
    criteria_when = "future"              # mode criteria only: "today" or "future" scores

This module validates the entries (one-line errors naming file, key and what is allowed) and
resolves them into :class:`Move` objects per (service, Land); :mod:`model.migration` runs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.checks import Check, check_table, choice, is_str, list_of, number, unknown, whole
from model.checks import err as _err

MODES: tuple[str, ...] = ("decentral", "efa", "central_land", "central_bund", "legislating_level",
                          "criteria")  # fmt: skip
"""Execution modes a scenario can set (``legislating_level``: the service follows its
legislating level — Bund → central_bund, Land → central_land, Kommune → decentral;
``criteria``: the seed's 12-criteria rule (:func:`model.criteria.recommend`) decides, see
:func:`criteria_modes`)."""
CRITERIA_WHEN: tuple[str, ...] = ("today", "future")
"""Which scores the ``criteria`` mode applies (default ``future``: the seed's ● marks)."""

SELECT_KEYS: dict[str, Check] = {
    "local_knowledge_max": number(0.0, 1.0),
    "discretion_max": number(0.0, 1.0),
    "personal_contact_max": number(0.0, 1.0),
    "automation_potential_min": number(0.0, 1.0),
    "legislating_level": list_of(choice(("bund", "land", "kommune")), "legislating levels"),
    "executing_level": list_of(choice(("gemeinde", "kreis", "jobcenter", "land", "bund")),
                               "executing levels"),  # fmt: skip
    "kind": list_of(choice(("application", "running_case")), "kinds"),
    "exclude": list_of(is_str, "service ids"),
    "baseline_only": lambda v: None if isinstance(v, bool) else "must be true or false",
}
"""Keys of an entry's ``select`` table: services whose catalogue scores and levels pass every
given condition are moved (the rule is written in the scenario file, not in code)."""


def _is_date(v: Any) -> str | None:
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        return "must be a TOML date such as 2027-01-04"
    return None


ENTRY_KEYS: dict[str, Check] = {
    "services": list_of(is_str, "service ids"),
    "select": lambda v: None if isinstance(v, Mapping) else "must be a table",
    "mode": choice(MODES),
    "start": _is_date,
    "migration_weeks": whole(0, 520),
    "lands": list_of(is_str, "Land codes"),
    "description": is_str,
    "criteria_when": choice(CRITERIA_WHEN),
}


@dataclass(frozen=True)
class Move:
    """One service moving to a mode in one Land.

    Attributes:
        service_id: The service.
        land_row: The Land (row 0-15 of the Länder table).
        mode: ``efa``, ``central_land``, ``central_bund`` or ``decentral`` (resolved).
        start: Go-live date.
        migration_weeks: Weeks over which the agencies join (central modes: their new cases go
            to the platform, wave by wave; the remaining backlog is handed over at the end).
        entry: Index of the scenario entry (for messages).
    """

    service_id: str
    land_row: int
    mode: str
    start: dt.date
    migration_weeks: int
    entry: int


def validate_entries(shown: str, entries: Any, service_ids: Iterable[str],
                     land_codes: Iterable[str]) -> None:  # fmt: skip
    """Check the ``execution`` entries of one scenario file.

    Raises:
        ScenarioError: On the first problem, naming file, key and what is allowed.
    """
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise _err(shown, "execution", "must be an array of tables ([[execution]] entries)")
    ids, codes = set(service_ids), set(land_codes)
    for i, entry in enumerate(entries):
        key = f"execution[{i + 1}]"
        check_table(shown, key, entry, ENTRY_KEYS)
        for required in ("mode", "start"):
            if required not in entry:
                raise _err(shown, f"{key}.{required}", "is required")
        if "criteria_when" in entry and entry["mode"] != "criteria":
            raise _err(shown, f"{key}.criteria_when", "is allowed only with mode = \"criteria\"")
        if ("services" in entry) == ("select" in entry):
            raise _err(shown, key, "needs exactly one of 'services' (a list) or 'select' (a rule)")
        for sid in entry.get("services", []):
            if sid not in ids:
                raise unknown(shown, f"{key}.services", "service", sid, ids)
        if "select" in entry:
            check_table(shown, f"{key}.select", entry["select"], SELECT_KEYS)
            for sid in entry["select"].get("exclude", []):
                if sid not in ids:
                    raise unknown(shown, f"{key}.select.exclude", "service", sid, ids)
        for code in entry.get("lands", []):
            if code not in codes:
                raise unknown(shown, f"{key}.lands", f"Land {code!r}", code, codes)


def select_services(rule: Mapping[str, Any], services: pd.DataFrame,
                    execution: pd.DataFrame) -> list[str]:  # fmt: skip
    """Service ids passing every condition of a ``select`` rule (catalogue order)."""
    s = services.set_index("service_id")
    keep = pd.Series(True, index=s.index)
    for col, op in (("local_knowledge", "max"), ("discretion", "max"),
                    ("personal_contact", "max"), ("automation_potential", "min")):  # fmt: skip
        limit = rule.get(f"{col}_{op}")
        if limit is not None:
            keep &= (s[col] <= limit) if op == "max" else (s[col] >= limit)
    if "legislating_level" in rule:
        keep &= s["legislating_level"].isin(rule["legislating_level"])
    if "kind" in rule:
        keep &= s["kind"].isin(rule["kind"])
    if "executing_level" in rule:
        levels = execution.groupby("service_id")["level"].agg(set)
        wanted = set(rule["executing_level"])
        keep &= np.array([bool(levels.get(sid, set()) & wanted) for sid in s.index])
    if rule.get("baseline_only", True):
        keep &= s["baseline"].astype(bool)
    keep &= ~s.index.isin(rule.get("exclude", []))
    return [sid for sid in s.index if keep[sid]]


def criteria_modes(services: pd.DataFrame, execution: pd.DataFrame,
                   when: str = "future") -> dict[str, str]:  # fmt: skip
    """The mode the 12-criteria rule gives each scored service (the ``criteria`` mode).

    A service the rule recommends for central execution (``recommendation`` for ``future``,
    ``recommendation_today`` for ``today``) goes to the central platform of its legislating
    level (Bund law → ``central_bund``, Land law → ``central_land``), unless every Land
    executes it centrally already (at Land or Bund level: it stays where it is, e.g. Kindergeld,
    BAföG). A service recommended for local execution stays as it is (services only ever move
    to a coarser level). An in-person service keeps its local front office through the
    catalogue's ``in_person`` flag, as in every central mode.

    Args:
        services: Catalogue services (``service_id``, ``legislating_level``, names, ...).
        execution: Catalogue execution table (``service_id``, ``land``, ``level``).
        when: ``today`` or ``future`` scores.

    Returns:
        ``{service_id: mode}`` with modes ``central_bund``, ``central_land`` or ``unchanged``
        (no move).
    """
    from model.catalogue import Catalogue
    from model.criteria import execution_class, recommend

    catalogue = Catalogue(services=services, execution=execution, seasonality=pd.DataFrame(),
                          shocks=pd.DataFrame())  # fmt: skip
    table = recommend(catalogue=catalogue)
    column = "recommendation" if when == "future" else "recommendation_today"
    leg = services.set_index("service_id")["legislating_level"]
    levels = execution.groupby("service_id")["level"].agg(set)
    out = {}
    for sid, rec in zip(table["service_id"], table[column], strict=True):
        central_today = execution_class(levels.get(sid, set())) == "central"
        if rec == "central" and not central_today:
            out[sid] = {"bund": "central_bund", "land": "central_land"}.get(leg[sid], "unchanged")
        else:
            out[sid] = "unchanged"
    return out


def resolve_moves(shown: str, entries: list[Mapping[str, Any]], services: pd.DataFrame,
                  execution: pd.DataFrame, land_codes: list[str], default_weeks: int,
                  active: Iterable[str]) -> list[Move]:  # fmt: skip
    """Turn ``[[execution]]`` entries into moves per (service, Land), in entry order.

    Services that are not active in the scenario are skipped; a move to where the service is
    executed already (e.g. ``central_bund`` for Kindergeld) is kept and does nothing. Mode
    ``criteria`` resolves per service through :func:`criteria_modes`; services it leaves
    unchanged get no move. Two moves
    of one service in one Land must not overlap: the later may start only after the earlier's
    migration has ended.

    Raises:
        ScenarioError: Overlapping migrations (naming both entries).
    """
    active = set(active)
    leg = services.set_index("service_id")["legislating_level"]
    moves: list[Move] = []
    by_rule: dict[str, dict[str, str]] = {}
    for i, entry in enumerate(entries):
        sids = entry.get("services") or select_services(entry["select"], services, execution)
        lands = entry.get("lands") or land_codes
        weeks = int(entry.get("migration_weeks", default_weeks))
        for sid in sids:
            if sid not in active:
                continue
            mode = entry["mode"]
            if mode == "legislating_level":
                mode = {"bund": "central_bund", "land": "central_land"}.get(leg[sid], "decentral")
            elif mode == "criteria":
                when = entry.get("criteria_when", "future")
                if when not in by_rule:
                    by_rule[when] = criteria_modes(services, execution, when)
                mode = by_rule[when].get(sid, "unchanged")
                if mode == "unchanged":
                    continue
            for code in lands:
                moves.append(Move(sid, land_codes.index(code), mode, entry["start"], weeks, i))
    by_key: dict[tuple[str, int], Move] = {}
    for m in sorted(moves, key=lambda m: (m.service_id, m.land_row, m.start)):
        prev = by_key.get((m.service_id, m.land_row))
        if prev is not None and m.start < prev.start + dt.timedelta(weeks=prev.migration_weeks):
            raise _err(shown, f"execution[{m.entry + 1}].start",
                       f"overlapping migration: {m.service_id} in {land_codes[m.land_row]} "
                       f"already migrates from {prev.start} for {prev.migration_weeks} weeks "
                       f"(execution[{prev.entry + 1}]); start after that")  # fmt: skip
        by_key[(m.service_id, m.land_row)] = m
    return moves
