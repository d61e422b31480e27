"""Scenario files: TOML that extends a baseline and overrides only what differs.

A scenario file has these tables (every key optional except where noted)::

    [scenario]
    name = "central_bund_cloud"       # defaults to the file name
    description = "..."
    extends = "baseline.toml"         # a path relative to this file, or an absolute one
    start = 2023-01-02                # TOML dates
    end = 2035-12-31

    [parameters]                      # any lever or uncertainty of the registry
    utilisation_2023 = 0.9

    [services.wohngeld]               # per service of the catalogue
    enabled = true
    volume_factor = 1.0

    [shocks.ueberbrueckungshilfe]     # switch on a one-off programme of the catalogue
    start = 2027-01-04
    scale = 1.0
    lands = ["NW", "BY"]              # optional: only these Länder (default: all)

    [[execution]]                     # move services to another execution mode (issue 6)
    services = ["kfz_zulassung"]      # or select = { local_knowledge_max = 0.2, ... }
    mode = "central_bund"             # see model/execution.py and docs/EXECUTION.md
    start = 2027-01-04

The loader reads files with the standard library (``tomllib``); nothing in a file is evaluated
as code. It validates everything before anything runs and raises :class:`ScenarioError` with
one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.checks import Check, check_table, is_bool, is_str, number, read_toml, unknown
from model.checks import err as _err
from model.errors import ScenarioError
from model.parameters import REGISTRY, Registry, Value

# The model's time frame: initial state is calibrated to 2023 (FACTS.md, Destatis 2023/24) and
# the population projections in model/data run to 2045.
EARLIEST_START = dt.date(2023, 1, 1)
LATEST_END = dt.date(2045, 12, 31)


def _is_date(v: Any) -> str | None:
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        return "must be a TOML date such as 2023-01-02"
    if not EARLIEST_START <= v <= LATEST_END:
        return f"must lie between {EARLIEST_START} and {LATEST_END}"
    return None


def _is_land_list(v: Any) -> str | None:
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        return None
    return 'must be a non-empty list of Land codes such as ["NW", "BY"]'


# Keys of each table and how to check their values. Later modules add tables here.
SCENARIO_KEYS: dict[str, Check] = {
    "name": is_str,
    "description": is_str,
    "extends": is_str,
    "start": _is_date,
    "end": _is_date,
}
SERVICE_KEYS: dict[str, Check] = {
    "enabled": is_bool,
    "volume_factor": number(0.0, 100.0),
}
SHOCK_KEYS: dict[str, Check] = {
    "start": _is_date,
    "scale": number(0.0, 100.0),
    "lands": _is_land_list,
}
TOP_LEVEL = ("scenario", "parameters", "services", "shocks", "execution")


@dataclass(frozen=True)
class Scenario:
    """A resolved, validated scenario.

    Attributes:
        name: Scenario name.
        description: One paragraph in plain words.
        files: The file chain that defined it, base first, as given (absolute or relative;
            :meth:`to_dict` turns them into what a manifest records, see
            :func:`model.storage.portable_path`).
        start: First simulated day.
        end: Last simulated day.
        parameters: Every registry parameter with its value in this scenario.
        services: Per-service settings ``{service_id: {key: value}}`` (only those set).
        shocks: Switched-on one-off programmes ``{shock_id: {"start": date, "scale": x}}``.
        execution: The ``[[execution]]`` entries, those of the files it extends first.
        file_sha256: SHA-256 of each file of ``files`` as read (hex), in the same order; empty
            for a scenario not read from files. Identifies a file whose path a manifest cannot
            record (one outside the current folder's tree is recorded by its name only).
    """

    name: str
    description: str
    files: tuple[str, ...]
    start: dt.date
    end: dt.date
    parameters: dict[str, Value]
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    shocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    execution: list[dict[str, Any]] = field(default_factory=list)
    file_sha256: tuple[str, ...] = ()

    def overrides(self) -> dict[str, Value]:
        """Return the parameters whose value differs from the registry default."""
        defaults = REGISTRY.defaults()
        return {k: v for k, v in self.parameters.items() if defaults[k] != v}

    def to_dict(self, file_hashes: bool = False) -> dict[str, Any]:
        """Return a JSON-ready dict (dates as ISO strings) for manifests.

        ``files`` holds what a manifest may record (never refused, never absolute): a relative
        path as given, an absolute one relative to the current folder where it lies below a
        folder it shares with it, else the file's name (:func:`model.storage.portable_path`).

        Args:
            file_hashes: Add ``file_sha256`` (see the attribute). Run manifests do; a batch's
                definition does not, so that editing a comment in a scenario file does not
                change the batch it belongs to.
        """

        def conv(v: Any) -> Any:
            if isinstance(v, dt.date):
                return v.isoformat()
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if isinstance(v, list):
                return [conv(x) for x in v]
            return v

        return conv(
            {
                "name": self.name,
                "description": self.description,
                "files": [_recorded_file(f) for f in self.files],
                "start": self.start,
                "end": self.end,
                "parameters": self.parameters,
                "services": self.services,
                "shocks": self.shocks,
                "execution": self.execution,
                **({"file_sha256": list(self.file_sha256)} if file_hashes else {}),
            }
        )

    def with_parameters(self, **values: Value) -> Scenario:
        """Return a copy with some parameters set, validated like a scenario file."""
        params = dict(self.parameters)
        for k, v in values.items():
            _check_parameter(f"<{self.name}>", f"parameters.{k}", k, v, REGISTRY)
            params[k] = v
        return Scenario(
            self.name, self.description, self.files, self.start, self.end, params,
            copy.deepcopy(self.services), copy.deepcopy(self.shocks),
            copy.deepcopy(self.execution), self.file_sha256,
        )  # fmt: skip


def _recorded_file(file: str) -> str:
    """A file of :attr:`Scenario.files` as a manifest records it (see :meth:`Scenario.to_dict`)."""
    from model.storage import path_problem, portable_path  # storage imports pandas

    if Path(file).expanduser().is_absolute():
        return portable_path(file)
    # Relative paths stay as given (a batch's are relative to its batch file, not to the
    # current folder); one that names the home folder is recorded by its file name.
    return Path(file).name if path_problem(file) else file


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _check_parameter(file: str, key: str, name: str, value: Any, registry: Registry) -> None:
    if name not in registry:
        settable = [p for p, d in registry.items() if d.role != "constant"]
        raise unknown(file, key, "parameter", name, settable)
    problem = registry[name].check_value(value)
    if problem:
        raise _err(file, key, problem)


def validate_file_contents(
    shown: str,
    data: Mapping[str, Any],
    service_ids: Iterable[str],
    shock_ids: Iterable[str],
    land_codes: Iterable[str] = (),
    registry: Registry = REGISTRY,
) -> None:
    """Validate the tables of one scenario file (before merging with what it extends).

    Args:
        shown: The file name used in messages.
        data: The parsed TOML.
        service_ids: Services of the catalogue.
        shock_ids: One-off programmes of the catalogue.
        land_codes: The 16 Land codes (SH, HH, ..., TH).
        registry: The parameter registry.

    Raises:
        ScenarioError: On the first problem found, naming file, key and what is allowed.
    """
    for k in data:
        if k not in TOP_LEVEL:
            raise unknown(shown, k, "table", k, TOP_LEVEL)
    check_table(shown, "scenario", data.get("scenario", {}), SCENARIO_KEYS)
    params = data.get("parameters", {})
    if not isinstance(params, Mapping):
        raise _err(shown, "parameters", "must be a table")
    for name, value in params.items():
        _check_parameter(shown, f"parameters.{name}", name, value, registry)
    for table, ids, keys, what in (
        ("services", set(service_ids), SERVICE_KEYS, "service"),
        ("shocks", set(shock_ids), SHOCK_KEYS, "one-off programme"),
    ):
        entries = data.get(table, {})
        if not isinstance(entries, Mapping):
            raise _err(shown, table, "must be a table of tables")
        for sid, settings in entries.items():
            if sid not in ids:
                raise unknown(shown, f"{table}.{sid}", what, sid, ids)
            check_table(shown, f"{table}.{sid}", settings, keys)
    if "execution" in data:
        from model.execution import validate_entries

        validate_entries(shown, data["execution"], service_ids, land_codes)
    codes = set(land_codes)
    for sid, settings in data.get("shocks", {}).items():
        for code in settings.get("lands", []):
            if code not in codes:
                raise unknown(shown, f"shocks.{sid}.lands", f"Land {code!r}", code, codes)


def _packaged_ids() -> tuple[list[str], list[str], list[str]]:
    from model.catalogue import load_catalogue
    from model.geography import load_germany

    cat = load_catalogue()
    lands = load_germany().laender["code"]
    return list(cat.services["service_id"]), list(cat.shocks["shock_id"]), list(lands)


def load_scenario(
    path: str | Path,
    service_ids: Iterable[str] | None = None,
    shock_ids: Iterable[str] | None = None,
    land_codes: Iterable[str] | None = None,
) -> Scenario:
    """Read, merge and validate a scenario file and everything it extends.

    Args:
        path: The scenario file.
        service_ids: Allowed services (default: the packaged catalogue).
        shock_ids: Allowed one-off programmes (default: the packaged catalogue).
        land_codes: Allowed Land codes (default: the packaged Länder table).

    Returns:
        The resolved scenario.

    Raises:
        ScenarioError: With one line naming file, key and what is allowed.
    """
    if service_ids is None or shock_ids is None or land_codes is None:
        pkg_services, pkg_shocks, pkg_lands = _packaged_ids()
        service_ids = pkg_services if service_ids is None else service_ids
        shock_ids = pkg_shocks if shock_ids is None else shock_ids
        land_codes = pkg_lands if land_codes is None else land_codes
    service_ids, shock_ids, land_codes = list(service_ids), list(shock_ids), list(land_codes)

    chain: list[tuple[str, dict[str, Any]]] = []
    hashes: list[str] = []
    seen: list[Path] = []
    path = Path(path)
    shown = str(path)
    while True:
        resolved = path.resolve()
        if resolved in seen:
            cycle = " -> ".join([c for c, _ in chain] + [shown])
            raise _err(chain[-1][0], "scenario.extends", f"cycle of extends: {cycle}")
        seen.append(resolved)
        data = read_toml(path, shown)
        validate_file_contents(shown, data, service_ids, shock_ids, land_codes)
        chain.append((shown, data))
        hashes.append(_sha256(path, shown))
        parent = data.get("scenario", {}).get("extends")
        if parent is None:
            break
        # Relative to this file, or absolute (also "~/..."): where the file lies is the
        # user's business; manifests record it without the absolute path (to_dict).
        parent_path = Path(parent).expanduser()
        nxt = path.parent / parent_path
        if not nxt.is_file():
            where = "" if parent_path.is_absolute() else f" next to {shown}"
            raise _err(shown, "scenario.extends", f"file {parent!r} not found{where}; "
                       "allowed: a scenario file, relative to this file or absolute")  # fmt: skip
        path, shown = nxt, str(Path(shown).parent / parent_path)

    merged: dict[str, Any] = {}
    execution: list[dict[str, Any]] = []
    for _, data in reversed(chain):
        merged = _deep_merge(merged, data)
        execution += copy.deepcopy(data.get("execution", []))  # appended, not replaced
    top_file = chain[0][0]
    meta = merged.get("scenario", {})
    start = meta.get("start", dt.date(2023, 1, 2))
    end = meta.get("end", dt.date(2035, 12, 31))
    if end <= start:
        raise _err(top_file, "scenario.end", f"must be after scenario.start ({start})")
    for sid, shock in merged.get("shocks", {}).items():
        if "start" not in shock:
            raise _err(top_file, f"shocks.{sid}.start", "is required: the date the programme opens")
        if not start <= shock["start"] <= end:
            within = f"must lie within the scenario ({start} to {end})"
            raise _err(top_file, f"shocks.{sid}.start", within)
    services = merged.get("services", {})
    if service_ids and all(services.get(s, {}).get("enabled", True) is False for s in service_ids):
        raise _err(top_file, "services", "every service is disabled (enabled = false): the "
                   "scenario has nothing to do; allowed: at least one enabled service")
    params = REGISTRY.defaults()
    params.update(merged.get("parameters", {}))
    if execution:
        _check_execution(top_file, execution, params, start, end)
    own = chain[0][1].get("scenario", {})  # name and description are not inherited
    return Scenario(
        name=own.get("name") or Path(top_file).stem,
        description=own.get("description", ""),
        files=tuple(s for s, _ in reversed(chain)),
        start=start,
        end=end,
        parameters=params,
        services=services,
        shocks={k: {"scale": 1.0, **v} for k, v in merged.get("shocks", {}).items()},
        execution=execution,
        file_sha256=tuple(reversed(hashes)),
    )


def _sha256(path: Path, shown: str) -> str:
    """SHA-256 (hex) of a file just read; a one-line error if it cannot be read again."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ScenarioError(f"{shown}: cannot be read ({exc.__class__.__name__}: {exc})") from None


def _check_execution(file: str, entries: list[dict[str, Any]], params: dict[str, Value],
                     start: dt.date, end: dt.date) -> None:  # fmt: skip
    """Overlapping migrations and go-live dates outside the scenario (needs the catalogue)."""
    from model.catalogue import load_catalogue
    from model.execution import resolve_moves
    from model.geography import load_germany

    for i, entry in enumerate(entries):
        if entry["start"] > end:
            raise _err(file, f"execution[{i + 1}].start", f"must not be after scenario.end ({end})")
    cat = load_catalogue()
    codes = list(load_germany().laender["code"])
    resolve_moves(file, entries, cat.services, cat.execution, codes,
                  int(params["migration_weeks"]), cat.services["service_id"])
