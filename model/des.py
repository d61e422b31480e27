"""A case-level discrete-event model of one office (simpy).

The weekly engine (docs/ENGINE.md) treats an office's work as a fluid; this model follows every
case through an office described in a TOML file (``model/des_spec.py``, docs/DES.md): arrivals,
steps with random staff minutes, requests to the citizen, rework, automated decisions, case
classes with priorities and, in calendar mode, working hours. It serves three purposes: to
check the engine's lead-time rule against case-by-case queueing, to study one office in detail
(e.g. a Wohngeld office), and to check itself against queueing theory (:func:`erlang_c_wait`;
``tests/test_des_queueing.py``).

Time is in minutes. A week is ``spec.minutes_per_week`` long: 1,600 h x 60 / 52 ≈ 1,846.15
working minutes in ``working`` mode (staff work continuously, the engine's convention), 10,080
calendar minutes in ``calendar`` mode (week 0 starts on Monday 00:00; staff work only in their
working hours).

Randomness: everything about a case (arrival time, class, automation, which steps it needs,
every duration, rework and citizen wait) is drawn up front from named streams
(:func:`model.streams.make_stream`), one per purpose and step, in arrival order. Results are
therefore deterministic per seed, and two offices run with the same seed give the same case the
same draws wherever their descriptions agree (common random numbers).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time as clock
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import simpy

from model.des_spec import (
    MINUTES_PER_HOUR,
    OfficeSpec,
    Step,
    load_office,
    office_from_dict,
)
from model.streams import make_stream

__all__ = [
    "OfficeResult",
    "OfficeSpec",
    "erlang_c_wait",
    "load_office",
    "office_from_dict",
    "simulate_office",
]

MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
"""Unit conversion, min/day."""

PRIORITY_STRIDE = 2**40
"""Queue key = class priority x PRIORITY_STRIDE + case number: priority first, then original
arrival (case numbers follow arrival order). Exact in Python integers for up to 2**40 cases."""

SHIFT_TOLERANCE = 1e-6
"""Rounding tolerance at the edges of working hours (minutes)."""

Plan = list[tuple[float, float]]
"""A case's work: (staff minutes of one step execution, 0 for none; wait afterwards, minutes)."""


@dataclass
class OfficeResult:
    """The outcome of one simulated office.

    Attributes:
        spec: The office that was simulated.
        seed: The seed of the named random streams.
        cases: One row per arrived case: ``case`` (number in arrival order), ``class``,
            ``arrival``, ``start`` (first staff touch; NaN if never touched), ``end`` (NaN if
            open at the end), ``steps`` (step executions done, reworks and checks included),
            ``staff_minutes`` (staff minutes spent on it), ``automated``; times in minutes.
        weekly: One row per simulated week: ``week``, ``warmup``, ``arrivals``,
            ``completions``, ``backlog`` (open cases at the week's end), ``lead_sum_weeks`` and
            ``lead_time_weeks`` (sum and mean of arrival-to-end times of the week's completions,
            in weeks of the office's time convention).
        summary: Key figures after the warm-up (see :func:`summarise`).
        tasks: With ``record_tasks=True``, one row per finished step execution: ``case``,
            ``clerk``, ``queued`` (entered the queue), ``start``, ``end`` (minutes), ``minutes``
            (staff minutes); otherwise None.
    """

    spec: OfficeSpec
    seed: int
    cases: pd.DataFrame
    weekly: pd.DataFrame
    summary: dict[str, float]
    tasks: pd.DataFrame | None = None


def erlang_c_wait(c: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue of the M/M/c queue (Erlang C), in the rates' time unit.

    Uses the Erlang B recursion ``B(k) = a B(k-1) / (k + a B(k-1))`` with ``a = λ/μ``, then
    ``C = c B / (c - a (1 - B))`` and ``Wq = C / (c μ - λ)``; stable for hundreds of servers.

    Args:
        c: Number of servers (>= 1).
        arrival_rate: λ, arrivals per time unit (> 0).
        service_rate: μ, services per time unit of one server (> 0).

    Returns:
        The mean wait before service starts.

    Raises:
        ValueError: If an argument is out of range or the queue is unstable (λ >= c μ).
    """
    if isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 1:
        raise ValueError(f"c must be a whole number >= 1, got {c!r}")
    if not (arrival_rate > 0 and service_rate > 0):
        raise ValueError("arrival_rate and service_rate must be > 0")
    a = arrival_rate / service_rate
    if a >= c:
        raise ValueError(f"unstable queue: offered load {a:g} >= {c} servers")
    blocking = 1.0
    for k in range(1, int(c) + 1):
        blocking = a * blocking / (k + a * blocking)
    wait_probability = c * blocking / (c - a * (1.0 - blocking))
    return wait_probability / (c * service_rate - arrival_rate)


# --- drawing every case up front -------------------------------------------------------------


def _arrival_times(spec: OfficeSpec, seed: int) -> np.ndarray:
    """Arrival times (minutes, sorted): counts per week, times uniform within the week.

    For Poisson arrivals this is exact: given its count, a Poisson process's points in an
    interval are uniform.
    """
    rng = make_stream(seed, "des/arrivals")
    weeks = spec.weeks
    if spec.arrival_kind == "series":
        counts = np.asarray(spec.arrival_values, dtype=np.int64)
    else:
        cycle = np.asarray(spec.arrival_values, dtype=float)
        rates = np.resize(cycle, weeks)  # weekly_rates repeat cyclically
        counts = rng.poisson(rates)
    week_of_case = np.repeat(np.arange(weeks), counts)
    times = (week_of_case + rng.random(week_of_case.size)) * spec.minutes_per_week
    return np.sort(times)


def _durations(step: Step, rng: np.random.Generator, size: int) -> np.ndarray:
    """Staff minutes of step executions."""
    if step.distribution == "fixed":
        return np.full(size, step.minutes)
    if step.distribution == "lognormal":
        sigma = math.sqrt(math.log1p(float(step.cv) ** 2))
        mu = math.log(step.minutes) - sigma**2 / 2  # mean = minutes
        return np.exp(mu + sigma * rng.standard_normal(size))
    return step.minutes * rng.standard_exponential(size)


@dataclass
class _Draws:
    """Everything random about the cases, as Python lists (fast to index in the event loop)."""

    arrival: list[float]
    class_index: np.ndarray
    key: list[int]
    automated: list[bool]
    checked: list[bool]
    steps: list[tuple[Any, ...]]


def _draw_cases(spec: OfficeSpec, seed: int) -> _Draws:
    arrival = _arrival_times(spec, seed)
    n = arrival.size
    if spec.classes:
        shares = np.cumsum([c.share for c in spec.classes])
        u = make_stream(seed, "des/classes").random(n)
        cls = np.minimum(np.searchsorted(shares, u, side="right"), len(spec.classes) - 1)
        prio = np.asarray([c.priority for c in spec.classes], dtype=np.int64)[cls]
    else:
        cls = np.zeros(n, dtype=np.int64)
        prio = np.zeros(n, dtype=np.int64)
    key = (prio * PRIORITY_STRIDE + np.arange(n, dtype=np.int64)).tolist()
    auto = spec.automation
    rng = make_stream(seed, "des/automation")
    automated = rng.random(n) < auto.share
    checked = automated & (rng.random(n) < auto.check_share)
    steps = []
    for step in spec.steps:
        service = make_stream(seed, f"des/service/{step.name}")
        need = None
        if step.probability < 1:
            need = make_stream(seed, f"des/branching/{step.name}").random(n) < step.probability
            need = need.tolist()
        first = _durations(step, service, n).tolist()  # drawn first: same with or without rework
        reworks = redo = reply = None
        if step.rework_probability > 0 and step.max_rework > 0:
            # repetitions R with P(R >= k) = p^k, capped: R = min(max, floor(log u / log p))
            u = 1.0 - make_stream(seed, f"des/rework/{step.name}").random(n)  # in (0, 1]
            counts = np.floor(np.log(u) / math.log(step.rework_probability))
            counts = np.minimum(counts, step.max_rework).astype(np.int64)
            offsets = np.concatenate(([0], np.cumsum(counts)))
            reworks = list(zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True))
            redo = _durations(step, service, int(offsets[-1])).tolist()
        if step.citizen_reply_weeks > 0:
            mean_wait = step.citizen_reply_weeks * spec.minutes_per_week
            reply = (mean_wait * make_stream(seed, f"des/citizen/{step.name}")
                     .standard_exponential(n)).tolist()  # fmt: skip
        steps.append((need, first, reworks, redo, reply))
    return _Draws(arrival.tolist(), cls, key, automated.tolist(), checked.tolist(), steps)


def _plan(d: _Draws, i: int, machine_minutes: float, check_minutes: float) -> Plan:
    """The staff tasks and waits of case ``i``, in order."""
    if d.automated[i]:
        plan = [(0.0, machine_minutes)]
        return plan + [(check_minutes, 0.0)] if d.checked[i] else plan
    plan = []
    for need, first, reworks, redo, reply in d.steps:
        if need is not None and not need[i]:
            continue
        plan.append((first[i], 0.0))
        if reworks is not None:
            first_redo, end_redo = reworks[i]
            plan.extend((m, 0.0) for m in redo[first_redo:end_redo])
        if reply is not None:
            plan[-1] = (plan[-1][0], reply[i])
    return plan


# --- the event loop ---


class _HeapQueue:
    """Put queue of a PriorityResource as a binary heap, ordered by request key, then FIFO.

    simpy's SortedQueue re-sorts its whole list on every request, which makes offices with long
    backlogs slow (O(queue length) per request). Resource only uses ``append``, ``[0]``,
    ``pop(0)``, ``len`` and ``remove`` (a cancelled request) of its put queue.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[Any, int, simpy.Event]] = []
        self._count = itertools.count()

    def append(self, request: Any) -> None:
        heapq.heappush(self._heap, (request.key, next(self._count), request))

    def __getitem__(self, index: int) -> simpy.Event:
        if index != 0:
            raise IndexError("only the first request of a priority queue is accessible")
        return self._heap[0][2]

    def pop(self, index: int = 0) -> simpy.Event:
        if index != 0:
            raise IndexError("only the first request of a priority queue can be popped")
        return heapq.heappop(self._heap)[2]

    def remove(self, request: simpy.Event) -> None:
        kept = [entry for entry in self._heap if entry[2] is not request]
        if len(kept) == len(self._heap):
            raise ValueError("request not in queue")
        heapq.heapify(kept)
        self._heap = kept

    def __len__(self) -> int:
        return len(self._heap)


class _PriorityResource(simpy.PriorityResource):
    """simpy's PriorityResource with a heap as its queue (same order: priority, then FIFO)."""

    PutQueue = _HeapQueue  # type: ignore[assignment]-----------------------------------------------------------------------


class _Office:
    """Simpy processes of one office; results are written into per-case lists."""

    def __init__(self, spec: OfficeSpec, draws: _Draws, record_tasks: bool) -> None:
        self.spec = spec
        self.draws = draws
        self.env = simpy.Environment()
        n = len(draws.arrival)
        self.start = [math.nan] * n
        self.end = [math.nan] * n
        self.staff_minutes = [0.0] * n
        self.executions = [0] * n
        self.tasks: list[tuple[int, int, float, float, float]] | None = [] if record_tasks else None
        self.warm_end = spec.warmup_weeks * spec.minutes_per_week
        self.busy_after_warmup = 0.0  # staff minutes of executions begun after the warm-up
        self.horizon = spec.weeks * spec.minutes_per_week

    def run(self) -> None:
        env = self.env
        if self.spec.time == "calendar":
            self._init_calendar()
            case: Callable[[int, Plan], Iterator[Any]] = self._case_calendar
        else:
            self._init_working()
            case = self._case_working
        env.process(self._source(case))
        env.run(until=self.horizon)

    def _source(self, case: Callable[[int, Plan], Iterator[Any]]) -> Iterator[Any]:
        env, d, a = self.env, self.draws, self.spec.automation
        timeout, process = env.timeout, env.process
        for i, t in enumerate(d.arrival):
            yield timeout(max(0.0, t - env.now))
            plan = _plan(d, i, a.machine_minutes, a.check_minutes)
            if any(m > 0 for m, _ in plan):
                process(case(i, plan))
            else:  # nothing for staff to do: the case ends after its waits
                done = t + sum(w for _, w in plan)
                self.end[i] = done if done <= self.horizon else math.nan

    def _begin(self, i: int, begun: float) -> None:
        if self.start[i] != self.start[i]:  # NaN: first staff touch
            self.start[i] = begun

    def _record(self, i: int, clerk: int, queued: float, begun: float, minutes: float) -> None:
        """Book a finished step execution."""
        self.staff_minutes[i] += minutes
        self.executions[i] += 1
        if begun >= self.warm_end:
            self.busy_after_warmup += minutes
        if self.tasks is not None:
            self.tasks.append((i, clerk, queued, begun, self.env.now, minutes))

    # Working mode: a PriorityResource with one request per step execution. A part-time clerk
    # works all the time at the speed of its FTE share, so its weekly output is share x
    # WORKING_MINUTES_PER_WEEK staff minutes.
    def _init_working(self) -> None:
        self.resource = _PriorityResource(self.env, capacity=self.spec.clerks)
        self.free = deque(range(self.spec.clerks))  # longest idle first
        self.slowness = [1.0 / f for f in self.spec.fte]

    def _case_working(self, i: int, plan: Plan) -> Iterator[Any]:
        env, request, release = self.env, self.resource.request, self.resource.release
        key = self.draws.key[i]
        for minutes, wait in plan:
            if minutes > 0:
                queued = env.now
                req = request(priority=key)
                yield req
                clerk = self.free.popleft()
                begun = env.now
                self._begin(i, begun)
                yield env.timeout(minutes * self.slowness[clerk])
                self.free.append(clerk)
                release(req)
                self._record(i, clerk, queued, begun, minutes)
            if wait > 0:
                yield env.timeout(wait)
        self.end[i] = env.now

    # Calendar mode: clerk processes take the first case from a priority queue while on duty.
    # A clerk finishes a step already begun, even past the end of the working day.
    def _init_calendar(self) -> None:
        spec = self.spec
        self.queue: list[tuple[int, int, float, simpy.Event, float]] = []
        self.idle: dict[int, simpy.Event] = {}  # insertion order = longest idle first
        self.day_start = spec.start_hour * MINUTES_PER_HOUR
        self.shift = [f * spec.hours_per_day * MINUTES_PER_HOUR for f in spec.fte]
        for clerk in range(spec.clerks):
            self.env.process(self._clerk(clerk))

    def working_window(self, clerk: int, t: float) -> tuple[float, float]:
        """The clerk's current or next working window ``(start, end)`` (minutes) at time t."""
        day = math.floor(t / MINUTES_PER_DAY)
        for d in range(day, day + 8):
            if d % 7 >= self.spec.days:
                continue
            begin = d * MINUTES_PER_DAY + self.day_start
            end = begin + self.shift[clerk]
            if t < end - SHIFT_TOLERANCE:
                return begin, end
        raise AssertionError("no working day within a week")  # days >= 1 is validated

    def _dispatch(self) -> None:
        for _ in range(min(len(self.queue), len(self.idle))):
            clerk = next(iter(self.idle))
            self.idle.pop(clerk).succeed()

    def _clerk(self, clerk: int) -> Iterator[Any]:
        env, queue = self.env, self.queue
        while True:
            begin, _ = self.working_window(clerk, env.now)
            if begin > env.now + SHIFT_TOLERANCE:
                self._dispatch()  # someone else may be on duty for the queue
                yield env.timeout(begin - env.now)
            elif queue:
                _, i, minutes, done, queued = heapq.heappop(queue)
                begun = env.now
                self._begin(i, begun)
                yield env.timeout(minutes)
                self._record(i, clerk, queued, begun, minutes)
                done.succeed()
            else:
                wake = self.idle[clerk] = env.event()
                yield wake

    def _case_calendar(self, i: int, plan: Plan) -> Iterator[Any]:
        env = self.env
        key = self.draws.key[i]
        for minutes, wait in plan:
            if minutes > 0:
                done = env.event()
                # keys are unique among waiting tasks: tuples never compare beyond them
                heapq.heappush(self.queue, (key, i, minutes, done, env.now))
                self._dispatch()
                yield done
            if wait > 0:
                yield env.timeout(wait)
        self.end[i] = env.now


# --- tables ----------------------------------------------------------------------------------


def _weekly(spec: OfficeSpec, cases: pd.DataFrame) -> pd.DataFrame:
    week_len, weeks = spec.minutes_per_week, spec.weeks
    arrival_week = np.minimum((cases["arrival"].to_numpy() // week_len).astype(np.int64), weeks - 1)
    end = cases["end"].to_numpy()
    done = ~np.isnan(end)
    end_week = np.minimum((end[done] // week_len).astype(np.int64), weeks - 1)
    lead = (end[done] - cases["arrival"].to_numpy()[done]) / week_len
    arrivals = np.bincount(arrival_week, minlength=weeks)
    completions = np.bincount(end_week, minlength=weeks)
    lead_sum = np.bincount(end_week, weights=lead, minlength=weeks).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lead_mean = np.where(completions > 0, lead_sum / completions, np.nan)
    return pd.DataFrame({
        "week": np.arange(weeks),
        "warmup": np.arange(weeks) < spec.warmup_weeks,
        "arrivals": arrivals,
        "completions": completions,
        "backlog": np.cumsum(arrivals) - np.cumsum(completions),
        "lead_sum_weeks": lead_sum,
        "lead_time_weeks": lead_mean,
    })  # fmt: skip


def summarise(spec: OfficeSpec, cases: pd.DataFrame, busy_minutes: float) -> dict[str, float]:
    """Key figures of a run; statistics cover the cases arriving after the warm-up.

    Args:
        spec: The office.
        cases: The cases table of :class:`OfficeResult`.
        busy_minutes: Staff minutes of step executions begun after the warm-up.

    Returns:
        ``cases`` (all arrivals), ``cases_after_warmup``, ``completed_after_warmup``,
        ``completed`` (all cases), ``automated_share``, ``wait_mean_minutes`` (arrival to
        first staff touch), ``lead_mean_weeks``, ``lead_median_weeks``, ``lead_p90_weeks``
        (arrival to end of completed cases, in weeks of the office's time), ``backlog_end``
        (cases open at the end; cases = completed + backlog_end),
        ``staff_minutes_per_case`` (mean over completed cases) and ``utilisation`` (busy staff
        minutes / available staff minutes after the warm-up; can slightly exceed 1 in calendar
        mode because begun steps are finished after closing time).
    """
    after = cases[cases["arrival"] >= spec.warmup_weeks * spec.minutes_per_week]
    done = after[after["end"].notna()]
    lead = (done["end"] - done["arrival"]).to_numpy() / spec.minutes_per_week
    wait = (after["start"] - after["arrival"]).dropna()
    weeks_after = spec.weeks - spec.warmup_weeks
    available = spec.staff_minutes_per_week() * weeks_after

    def stat(values: np.ndarray, q: float | None = None) -> float:
        if values.size == 0:
            return math.nan
        return float(np.mean(values) if q is None else np.quantile(values, q))

    return {
        "cases": float(len(cases)),
        "cases_after_warmup": float(len(after)),
        "completed_after_warmup": float(len(done)),
        "completed": float(cases["end"].notna().sum()),
        "automated_share": float(after["automated"].mean()) if len(after) else math.nan,
        "wait_mean_minutes": stat(wait.to_numpy()),
        "lead_mean_weeks": stat(lead),
        "lead_median_weeks": stat(lead, 0.5),
        "lead_p90_weeks": stat(lead, 0.9),
        "backlog_end": float(cases["end"].isna().sum()),
        "staff_minutes_per_case": stat(done["staff_minutes"].to_numpy()),
        "utilisation": busy_minutes / available if available > 0 else math.nan,
    }


def simulate_office(spec: OfficeSpec, seed: int, record_tasks: bool = False) -> OfficeResult:
    """Simulate an office case by case.

    Args:
        spec: The validated office (:func:`load_office`, :func:`office_from_dict`).
        seed: Seed of the named random streams (a non-negative integer).
        record_tasks: Also return one row per step execution (slower; for tests and
            inspection).

    Returns:
        Cases, weekly table and summary. Every arrived case is either finished (``end`` set)
        or open at the end of the last simulated week.
    """
    t0 = clock.perf_counter()
    draws = _draw_cases(spec, seed)
    office = _Office(spec, draws, record_tasks)
    office.run()
    names = [c.name for c in spec.classes] or ["all"]
    cases = pd.DataFrame({
        "case": np.arange(len(draws.arrival), dtype=np.int64),
        "class": pd.Categorical.from_codes(draws.class_index, categories=names),
        "arrival": np.asarray(draws.arrival, dtype=float),
        "start": np.asarray(office.start, dtype=float),
        "end": np.asarray(office.end, dtype=float),
        "steps": np.asarray(office.executions, dtype=np.int64),
        "staff_minutes": np.asarray(office.staff_minutes, dtype=float),
        "automated": np.asarray(draws.automated, dtype=bool),
    })  # fmt: skip
    tasks = None
    if office.tasks is not None:
        columns = ["case", "clerk", "queued", "start", "end", "minutes"]
        tasks = pd.DataFrame(office.tasks, columns=columns)
    summary = summarise(spec, cases, office.busy_after_warmup)
    elapsed = clock.perf_counter() - t0
    summary["runtime_seconds"] = elapsed
    summary["cases_per_second"] = len(cases) / elapsed if elapsed > 0 else math.nan
    return OfficeResult(spec, seed, cases, _weekly(spec, cases), summary, tasks)
