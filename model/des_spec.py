"""Office descriptions for the case-level discrete-event model (``model/des.py``).

An office description is a TOML file (docs/DES.md explains every key)::

    [office]
    name = "wohngeld_office"
    weeks = 104                 # simulated weeks, warm-up included
    warmup_weeks = 26           # discarded from the summary statistics (default 0)
    time = "calendar"           # or "working" (default)

    [arrivals]                  # exactly one of rate_per_week, weekly_rates, series
    rate_per_week = 120.0

    [staff]
    part_time = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]    # or clerks = 6
    days = 5                    # calendar mode only
    start_hour = 8.0
    hours_per_day = 7.7

    [[steps]]                   # in order; at least one
    name = "intake"
    minutes = 20.0
    distribution = "lognormal"
    cv = 0.5

    [automation]                # optional
    share = 0.1

    [[classes]]                 # optional
    name = "urgent"
    share = 0.2
    priority = 0

:func:`load_office` reads a file with the standard library (``tomllib``; nothing is evaluated
as code) and :func:`office_from_dict` validates parsed data. Both raise
:class:`~model.errors.ScenarioError` with one line naming the file, the key and what is allowed,
before anything runs. Array-of-table entries are named 1-based: ``steps[2].minutes`` is the
``minutes`` of the second ``[[steps]]`` table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.checks import (
    Check,
    check_table,
    choice,
    err,
    is_str,
    list_of,
    number,
    read_toml,
    unknown,
    whole,
)
from model.errors import ScenarioError
from model.parameters import REGISTRY

MINUTES_PER_HOUR = 60.0
"""Unit conversion, min/h."""

WORKING_MINUTES_PER_WEEK = (
    float(REGISTRY["fte_hours_per_year"].default)
    * MINUTES_PER_HOUR
    / float(REGISTRY["weeks_per_year"].default)
)
"""Working minutes of one FTE in a week (min/week): 1,600 h x 60 / 52 ≈ 1,846.15.

Source: the weekly engine's convention (parameters ``fte_hours_per_year``, Leitfaden
Erfüllungsaufwand, and ``weeks_per_year``), so that DES and engine results are comparable.
"""

CALENDAR_MINUTES_PER_WEEK = 7 * 24 * MINUTES_PER_HOUR
"""Minutes of a calendar week (min/week): 10,080. Week 0 starts on Monday 00:00."""

DEFAULT_DAYS = 5
"""Working days per week, counted from Monday (days/week). Assumption: Mon-Fri office week."""

DEFAULT_START_HOUR = 8.0
"""Start of the working day (h after midnight). Assumption, range 7-9 (flexitime core hours)."""

DEFAULT_HOURS_PER_DAY = 7.7
"""Working hours of a full-time clerk per day (h/day): 38.5 h/week / 5 days. Assumption, range
7.7-7.8 (collective agreements TV-L/TVöD: 38.5-39 h/week)."""

DEFAULT_MAX_REWORK = 3
"""Most repetitions of one step (repetitions/step). Assumption: a guard against endless loops."""

MAX_WEEKS = 100_000
"""Largest accepted simulation horizon (weeks); a guard against typos, not a model limit."""

MAX_CLERKS = 10_000
"""Largest accepted number of clerks in one office; a guard against typos."""

TIME_MODES = ("working", "calendar")
DISTRIBUTIONS = ("exponential", "fixed", "lognormal")
ARRIVAL_KINDS = ("rate_per_week", "weekly_rates", "series")
TOP_LEVEL = ("office", "arrivals", "staff", "steps", "automation", "classes")
SHARE_TOLERANCE = 1e-9
"""Largest allowed deviation of the class shares' sum from 1 (numerical tolerance)."""


# --- small named checks of single values -----------------------------------------------------


OFFICE_KEYS: dict[str, Check] = {
    "name": is_str,
    "description": is_str,
    "weeks": whole(1, MAX_WEEKS),
    "warmup_weeks": whole(0, MAX_WEEKS),
    "time": choice(TIME_MODES),
}
ARRIVAL_KEYS: dict[str, Check] = {
    "rate_per_week": number(0.0, 1e9, lo_open=True),
    "weekly_rates": list_of(number(0.0, 1e9), "rates >= 0 (cases/week)"),
    "series": list_of(whole(0, 1_000_000_000), "whole case counts >= 0"),
}
STAFF_KEYS: dict[str, Check] = {
    "clerks": whole(1, MAX_CLERKS),
    "part_time": list_of(number(0.0, 1.0, lo_open=True), "FTE shares in (0, 1]"),
    "days": whole(1, 7),
    "start_hour": number(0.0, 24.0, hi_open=True),
    "hours_per_day": number(0.0, 24.0, lo_open=True),
}
CALENDAR_ONLY = ("days", "start_hour", "hours_per_day")
STEP_KEYS: dict[str, Check] = {
    "name": is_str,
    "minutes": number(0.0, 1e7, lo_open=True),
    "distribution": choice(DISTRIBUTIONS),
    "cv": number(0.0, 100.0, lo_open=True),
    "probability": number(0.0, 1.0),
    "citizen_reply_weeks": number(0.0, 1000.0),
    "rework_probability": number(0.0, 1.0, hi_open=True),
    "max_rework": whole(0, 100),
}
AUTOMATION_KEYS: dict[str, Check] = {
    "share": number(0.0, 1.0),
    "machine_minutes": number(0.0, 1e7),
    "check_share": number(0.0, 1.0),
    "check_minutes": number(0.0, 1e7, lo_open=True),
}
CLASS_KEYS: dict[str, Check] = {
    "name": is_str,
    "share": number(0.0, 1.0),
    "priority": whole(0, 1000),
}


# --- the validated description ---------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a case's path through the office.

    Attributes:
        name: Step name, unique within the office.
        minutes: Mean staff time of one execution (staff minutes).
        distribution: ``exponential``, ``fixed`` or ``lognormal``.
        cv: Coefficient of variation of a lognormal duration (1; None otherwise).
        probability: Share of cases that need the step (1).
        citizen_reply_weeks: Mean of the exponential wait for the citizen after the step, in
            weeks of the office's time convention (0: no wait).
        rework_probability: Probability that an execution is repeated (1).
        max_rework: Most repetitions of one step (executions = 1 + repetitions).
    """

    name: str
    minutes: float
    distribution: str = "exponential"
    cv: float | None = None
    probability: float = 1.0
    citizen_reply_weeks: float = 0.0
    rework_probability: float = 0.0
    max_rework: int = DEFAULT_MAX_REWORK


@dataclass(frozen=True)
class Automation:
    """Cases decided without staff.

    Attributes:
        share: Share of cases decided automatically (1).
        machine_minutes: Lead time of an automatic decision (minutes, any time of day).
        check_share: Share of automated cases that get a staff check (1).
        check_minutes: Staff time of one check (staff minutes, fixed).
    """

    share: float = 0.0
    machine_minutes: float = 0.0
    check_share: float = 0.0
    check_minutes: float = 0.0


@dataclass(frozen=True)
class CaseClass:
    """A class of cases with a share of arrivals and a priority (0 = served first)."""

    name: str
    share: float
    priority: int


@dataclass(frozen=True)
class OfficeSpec:
    """A validated office description.

    Attributes:
        name: Office name.
        description: One paragraph in plain words.
        source: Where it came from (file name as given, or a label for offices built in code).
        weeks: Simulated weeks, warm-up included.
        warmup_weeks: Leading weeks left out of the summary statistics.
        time: ``working`` (staff work continuously; a week is WORKING_MINUTES_PER_WEEK) or
            ``calendar`` (a week is 10,080 minutes; staff work only in their working hours).
        arrival_kind: ``rate_per_week``, ``weekly_rates`` or ``series``.
        arrival_values: The rate (cases/week) as a one-tuple, the weekly rates (cases/week,
            repeated cyclically over the weeks) or the recorded weekly counts (cases).
        fte: One FTE share per clerk (1 = full time).
        days: Working days per week, from Monday (calendar mode).
        start_hour: Start of the working day (h after midnight; calendar mode).
        hours_per_day: Working hours of a full-time clerk per day (h; calendar mode).
        steps: The steps, in order.
        automation: Automated decisions (share 0 = none).
        classes: Case classes (empty: one class, plain FIFO).
    """

    name: str
    description: str
    source: str
    weeks: int
    warmup_weeks: int
    time: str
    arrival_kind: str
    arrival_values: tuple[float, ...]
    fte: tuple[float, ...]
    days: int
    start_hour: float
    hours_per_day: float
    steps: tuple[Step, ...]
    automation: Automation
    classes: tuple[CaseClass, ...]

    @property
    def minutes_per_week(self) -> float:
        """Length of one simulated week in the office's time convention (minutes)."""
        if self.time == "calendar":
            return CALENDAR_MINUTES_PER_WEEK
        return WORKING_MINUTES_PER_WEEK

    @property
    def clerks(self) -> int:
        """Number of clerks (heads, whatever their FTE share)."""
        return len(self.fte)

    def staff_minutes_per_week(self) -> float:
        """Staff minutes available in one week (minutes/week), all clerks together."""
        if self.time == "calendar":
            per_fte = self.days * self.hours_per_day * MINUTES_PER_HOUR
        else:
            per_fte = WORKING_MINUTES_PER_WEEK
        return per_fte * sum(self.fte)

    def expected_staff_minutes_per_case(self) -> float:
        """Mean staff minutes one arriving case needs (staff minutes), reworks and checks in."""
        manual = 0.0
        for s in self.steps:
            p = s.rework_probability
            executions = sum(p**k for k in range(s.max_rework + 1))
            manual += s.probability * executions * s.minutes
        a = self.automation
        return (1.0 - a.share) * manual + a.share * a.check_share * a.check_minutes


# --- validation ------------------------------------------------------------------------------


def _array_of_tables(file: str, key: str, value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise err(file, key, f"must be an array of tables: one or more [[{key}]] tables")
    return value


def _required(file: str, key: str, table: Mapping[str, Any], name: str, what: str) -> Any:
    if name not in table:
        raise err(file, f"{key}.{name}", f"is required: {what}")
    return table[name]


def _check_office(file: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if "office" not in data:
        raise err(file, "office", "is required: an [office] table with at least weeks")
    office = check_table(file, "office", data["office"], OFFICE_KEYS)
    weeks = _required(file, "office", office, "weeks", "the simulated weeks (warm-up included)")
    if office.get("warmup_weeks", 0) >= weeks:
        raise err(file, "office.warmup_weeks", f"must be less than office.weeks ({weeks})")
    return office


def _check_arrivals(file: str, data: Mapping[str, Any], weeks: int) -> tuple[str, tuple]:
    if "arrivals" not in data:
        raise err(file, "arrivals", "is required: one of " + ", ".join(ARRIVAL_KINDS))
    arrivals = check_table(file, "arrivals", data["arrivals"], ARRIVAL_KEYS)
    given = [k for k in ARRIVAL_KINDS if k in arrivals]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        problem = f"give exactly one of {', '.join(ARRIVAL_KINDS)}; found {found}"
        raise err(file, "arrivals", problem)
    kind = given[0]
    value = arrivals[kind]
    if kind == "series" and len(value) != weeks:
        problem = (
            f"must have one count per simulated week: {weeks} (office.weeks), not {len(value)}"
        )
        raise err(file, "arrivals.series", problem)
    if kind == "weekly_rates" and not any(value):
        raise err(file, "arrivals.weekly_rates", "must contain at least one rate above 0")
    values = tuple(float(x) for x in value) if isinstance(value, list) else (float(value),)
    return kind, values


def _check_staff(file: str, data: Mapping[str, Any], time: str) -> dict[str, Any]:
    if "staff" not in data:
        raise err(file, "staff", "is required: a [staff] table with clerks or part_time")
    staff = check_table(file, "staff", data["staff"], STAFF_KEYS)
    given = [k for k in ("clerks", "part_time") if k in staff]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise err(file, "staff", f"give exactly one of clerks, part_time; found {found}")
    if time != "calendar":
        for k in CALENDAR_ONLY:
            if k in staff:
                raise err(file, f"staff.{k}", 'is used only with office.time = "calendar"')
    start = staff.get("start_hour", DEFAULT_START_HOUR)
    hours = staff.get("hours_per_day", DEFAULT_HOURS_PER_DAY)
    if start + hours > 24.0:
        raise err(file, "staff.hours_per_day", "start_hour + hours_per_day must not exceed 24")
    if "part_time" in staff and len(staff["part_time"]) > MAX_CLERKS:
        raise err(file, "staff.part_time", f"must list at most {MAX_CLERKS} clerks")
    return staff


def _check_steps(file: str, data: Mapping[str, Any]) -> tuple[Step, ...]:
    if "steps" not in data:
        raise err(file, "steps", "is required: one or more [[steps]] tables with name, minutes")
    steps: list[Step] = []
    for i, raw in enumerate(_array_of_tables(file, "steps", data["steps"]), start=1):
        key = f"steps[{i}]"
        s = check_table(file, key, raw, STEP_KEYS)
        name = _required(file, key, s, "name", "the step's name")
        minutes = _required(file, key, s, "minutes", "mean staff minutes of the step")
        if name in {x.name for x in steps}:
            raise err(file, f"{key}.name", f"step {name!r} is given twice; names must differ")
        dist = s.get("distribution", "exponential")
        if dist == "lognormal" and "cv" not in s:
            raise err(file, f"{key}.cv", 'is required with distribution = "lognormal"')
        if dist != "lognormal" and "cv" in s:
            raise err(file, f"{key}.cv", 'is used only with distribution = "lognormal"')
        steps.append(Step(name=name, minutes=float(minutes), distribution=dist,
                          cv=float(s["cv"]) if "cv" in s else None,
                          probability=float(s.get("probability", 1.0)),
                          citizen_reply_weeks=float(s.get("citizen_reply_weeks", 0.0)),
                          rework_probability=float(s.get("rework_probability", 0.0)),
                          max_rework=int(s.get("max_rework", DEFAULT_MAX_REWORK))))  # fmt: skip
    return tuple(steps)


def _check_automation(file: str, data: Mapping[str, Any]) -> Automation:
    a = check_table(file, "automation", data.get("automation", {}), AUTOMATION_KEYS)
    if a.get("check_share", 0.0) > 0 and "check_minutes" not in a:
        raise err(file, "automation.check_minutes", "is required when check_share > 0")
    return Automation(share=float(a.get("share", 0.0)),
                      machine_minutes=float(a.get("machine_minutes", 0.0)),
                      check_share=float(a.get("check_share", 0.0)),
                      check_minutes=float(a.get("check_minutes", 0.0)))  # fmt: skip


def _check_classes(file: str, data: Mapping[str, Any]) -> tuple[CaseClass, ...]:
    if "classes" not in data:
        return ()
    classes: list[CaseClass] = []
    for i, raw in enumerate(_array_of_tables(file, "classes", data["classes"]), start=1):
        key = f"classes[{i}]"
        c = check_table(file, key, raw, CLASS_KEYS)
        name = _required(file, key, c, "name", "the class's name")
        share = _required(file, key, c, "share", "the class's share of arrivals")
        priority = _required(file, key, c, "priority", "0 = served first")
        if name in {x.name for x in classes}:
            raise err(file, f"{key}.name", f"class {name!r} is given twice; names must differ")
        classes.append(CaseClass(name, float(share), int(priority)))
    total = math.fsum(c.share for c in classes)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise err(file, "classes", f"shares must sum to 1; they sum to {total:g}")
    return tuple(classes)


def office_from_dict(data: Mapping[str, Any], source: str) -> OfficeSpec:
    """Validate a parsed office description and return it as an :class:`OfficeSpec`.

    Args:
        data: The description as nested dicts and lists (the shape of the TOML file).
        source: Name used in messages (the file name, or a label for offices built in code).

    Returns:
        The validated office.

    Raises:
        ScenarioError: On the first problem found, naming source, key and what is allowed.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: must be a table of tables")
    for k in data:
        if k not in TOP_LEVEL:
            raise unknown(source, k, "table", k, TOP_LEVEL)
    office = _check_office(source, data)
    time = office.get("time", "working")
    kind, values = _check_arrivals(source, data, office["weeks"])
    staff = _check_staff(source, data, time)
    if "part_time" in staff:
        fte = tuple(float(x) for x in staff["part_time"])
    else:
        fte = (1.0,) * int(staff["clerks"])
    return OfficeSpec(
        name=office.get("name") or Path(source).stem,
        description=office.get("description", ""),
        source=source,
        weeks=int(office["weeks"]),
        warmup_weeks=int(office.get("warmup_weeks", 0)),
        time=time,
        arrival_kind=kind,
        arrival_values=values,
        fte=fte,
        days=int(staff.get("days", DEFAULT_DAYS)),
        start_hour=float(staff.get("start_hour", DEFAULT_START_HOUR)),
        hours_per_day=float(staff.get("hours_per_day", DEFAULT_HOURS_PER_DAY)),
        steps=_check_steps(source, data),
        automation=_check_automation(source, data),
        classes=_check_classes(source, data),
    )


def load_office(path: str | Path) -> OfficeSpec:
    """Read and validate an office description file.

    Args:
        path: The TOML file.

    Returns:
        The validated office (``source`` is the path as given).

    Raises:
        ScenarioError: With one line naming the file, the key and what is allowed.
    """
    shown = str(path)
    return office_from_dict(read_toml(Path(path), shown), shown)
