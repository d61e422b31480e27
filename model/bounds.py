"""Resource bounds: what a batch or a DES office would cost, estimated before it starts.

``foedsim batch`` and ``foedsim des`` estimate the runs, the wall time, the memory and the disk
of the job before any work starts, print the estimate (``--dry-run`` too) and refuse a job
above a limit of :data:`LIMITS` with exit code 2 and one line naming the estimate, the limit
and the flag that starts it anyway (``--allow-large``). The hard guards of the file formats
(``MAX_RUNS`` of batch files, ``MAX_WEEKS`` and ``MAX_CLERKS`` of office files) still apply:
they catch typos, these limits catch jobs that are valid but larger than meant.

The estimates are first-order, from costs measured with the project's benchmarks on the
2-core development machine (the constants below name their command and date): a run's time
and disk grow with its simulated weeks, a DES office's time and memory with its cases. They
are meant to tell a 2-minute job from a 2-week one, not to time a job: a faster machine, other
scenarios or a loaded machine change them by tens of percent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from model.errors import FoedsimError

if TYPE_CHECKING:
    from model.batch.design import RunPlan
    from model.batch.spec import BatchSpec
    from model.des_spec import OfficeSpec

ALLOW_FLAG = "--allow-large"

# --- limits (assumptions: what a job may cost before the user has to confirm it) ------------

LIMIT_RUNS = 100_000
"""Runs of one batch (runs). Assumption: a large Sobol study (N = 4,096 over 12 parameters,
first order: 57,344 runs) stays below; a typo in ``samples`` does not."""

LIMIT_HOURS = 24.0
"""Estimated wall time (hours). Assumption: a job longer than a day on this machine is worth a
second look (a cluster, fewer runs); range 8-72 hours by taste."""

MEMORY_SHARE = 0.8
"""Share of the machine's available memory a job may take (share). Assumption: the rest is
left to the operating system and other programs; above it the job swaps or is killed."""

DISK_SHARE = 0.9
"""Share of the free disk space at the output folder a job may fill (share). Assumption: the
last tenth stays free, since a full disk stops every program writing to it."""

# --- costs of a weekly run (measured) --------------------------------------------------------

REFERENCE_WEEKS = 678
"""Simulated weeks of the benchmark runs (weeks): 2023-01-02 to 2035-12-31."""

RUN_SECONDS = {"verwaltung": 4.9, "gemeinde": 6.0}
"""Wall time of one run of REFERENCE_WEEKS in one worker, by granularity (s/run). Measured:
``python benchmarks/bench_batch.py --runs 4 --workers 2 --tables kpis SCENARIO`` with
scenarios/baseline.toml and baseline_gemeinde.toml, 2026-12-07: steady 24.6 and 20.0 runs per
minute on 2 workers. Scenarios with other execution modes run within about ±20 % of it
(docs/PERFORMANCE.md)."""

WORKER_PEAK_MB = {
    ("verwaltung", "kpis"): 503.0, ("verwaltung", "aggregates"): 557.0,
    ("verwaltung", "full"): 618.0,
    ("gemeinde", "kpis"): 674.0, ("gemeinde", "aggregates"): 703.0, ("gemeinde", "full"): 865.0,
}  # fmt: skip
"""Peak resident memory of one worker process, by granularity and tables (MB). Measured with
the same command (``--tables`` each of kpis, aggregates, full), 2026-12-07."""

RUN_DISK_MB = {
    ("verwaltung", "kpis"): 0.216, ("verwaltung", "aggregates"): 17.1,
    ("verwaltung", "full"): 36.4,
    ("gemeinde", "kpis"): 0.217, ("gemeinde", "aggregates"): 17.1, ("gemeinde", "full"): 58.2,
}  # fmt: skip
"""Disk of one run folder of REFERENCE_WEEKS with its summary row, by granularity and tables
(MB per run). Measured with the same command, 2026-12-07."""

MAIN_PROCESS_MB = 400.0
"""Resident memory of the batch's own process beside its workers (MB). Assumption from its
imports and summary buffer (about the engine's process before its model, docs/PERFORMANCE.md);
range 300-600 MB."""

# --- costs of a DES office (measured) --------------------------------------------------------

DES_CASES_PER_SECOND = 60_000.0
"""Cases per second of an office that keeps up with its demand (cases/s). Measured:
``python benchmarks/bench_des.py --reps 1 --cases N`` for N = 200,000 and 2,000,000 at load
0.8: 83,900 and 69,600 cases/s, 2026-12-07; rounded down since offices with several steps
and classes are slower (docs/DES.md: 58,000 cases/s for wohngeld_office)."""

DES_OVERLOADED_CASES_PER_SECOND = 20_000.0
"""Cases per second of an office whose demand exceeds its staff (cases/s): its backlog grows
all the time, and every waiting case is an event in the queue. Measured with ``--load 1.2``:
48,900 cases/s at 200,000 cases and 28,000 at 1,000,000, 2026-12-07; it keeps falling with
the backlog, so the estimate takes 20,000."""

DES_BYTES_PER_CASE = 600.0
"""Memory per case of a DES run (bytes/case): its draws, its event records and its result
table. Measured with the same command as the peak RSS difference over the cases: 412 bytes at
load 0.8 ((933 - 191) MB over 1.8 million cases), 611 at load 1.2 ((727 - 238) MB over 0.8
million), 2026-12-07; the estimate takes the larger."""

DES_BASE_MB = 200.0
"""Resident memory of a DES process before its cases (MB): Python, numpy, pandas, simpy.
Measured: 191 MB at 200,000 cases (the cases' share is under 0.1 GB)."""

DES_DISK_BYTES_PER_CASE = 60.0
"""Disk of ``--out`` per case (bytes/case): cases.parquet (8 columns). Assumption from the
column types (five 8-byte columns, compressed about 1:1 since times are random); range 30-80."""

MB = 1024.0**2


@dataclass(frozen=True)
class Estimate:
    """What a job would cost.

    Attributes:
        what: The job, for messages (``batch sens``, ``DES office wohngeld``).
        runs: Runs still to do (1 for a DES office).
        cases: Cases to simulate (DES; None for a batch).
        seconds: Estimated wall time (s); None if unknown (an external Dask cluster).
        memory_mb: Estimated peak memory on this machine (MB); None if unknown.
        disk_mb: Estimated disk the outputs take (MB).
    """

    what: str
    runs: int
    seconds: float | None
    memory_mb: float | None
    disk_mb: float
    cases: int | None = None

    def describe(self) -> str:
        """One line: ``about 120 runs, 5 min, 1.1 GB memory, 26 MB disk`` (cases, not runs, for a
        DES office)."""
        if self.cases is None:
            parts = [f"{self.runs:,} run{'s' if self.runs != 1 else ''}"]
        else:
            parts = [f"{self.cases:,} cases"]
        parts.append("time unknown" if self.seconds is None else _duration(self.seconds))
        if self.memory_mb is not None:
            parts.append(f"{_size(self.memory_mb)} memory")
        parts.append(f"{_size(self.disk_mb)} disk")
        return "about " + ", ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def _size(mb: float) -> str:
    if mb < 1024:
        return f"{mb:.3g} MB"
    if mb < 1024**2:
        return f"{mb / 1024:.3g} GB"
    return f"{mb / 1024**2:.3g} TB"


class ResourceLimitError(FoedsimError):
    """A job's estimate exceeds a limit of :mod:`model.bounds` (exit code 2).

    The message names the estimate, the limit it exceeds and the flag that starts it anyway.
    """


# --- what this machine has -------------------------------------------------------------------


def available_memory_mb() -> float | None:
    """Memory available to new processes now (MB): ``MemAvailable`` of /proc/meminfo, else the
    physical memory; None where neither can be read."""
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) / 1024.0  # kB
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MB
    except (ValueError, OSError, AttributeError):
        return None


def free_disk_mb(path: Path) -> float | None:
    """Free space (MB) on the file system that holds ``path`` (its nearest existing folder)."""
    folder = Path(os.path.abspath(path))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free / MB
    except OSError:
        return None


# --- estimates -------------------------------------------------------------------------------


def run_cost(granularity: str, tables: str, weeks: int) -> tuple[float, float, float]:
    """(seconds in one worker, worker peak MB, disk MB) of one weekly run."""
    gran = granularity if granularity in RUN_SECONDS else "gemeinde"  # the dearer, if unknown
    scale = weeks / REFERENCE_WEEKS
    return (RUN_SECONDS[gran] * scale, WORKER_PEAK_MB[gran, tables],
            RUN_DISK_MB[gran, tables] * scale)  # fmt: skip


def batch_estimate(what: str, runs: Iterable[tuple[str, int, int]], tables: str,
                   workers: int | None, local: bool = True) -> Estimate:  # fmt: skip
    """Estimate a batch from its runs still to do.

    Args:
        what: The job, for messages.
        runs: ``(granularity, weeks, count)`` per scenario: ``count`` runs still to do.
        tables: The batch's table set.
        workers: Worker processes (or threads of a cluster); None if unknown.
        local: The workers run on this machine (their memory counts here).
    """
    n = seconds = disk = 0.0
    peak = 0.0
    for granularity, weeks, count in runs:
        s, mb, d = run_cost(granularity, tables, weeks)
        n += count
        seconds += s * count
        disk += d * count
        peak = max(peak, mb)
    wall = None if workers is None else seconds / max(1, min(workers, max(1, int(n))))
    memory = None
    if local and workers is not None:
        memory = MAIN_PROCESS_MB + (min(workers, int(n)) * peak if n else 0.0)
    return Estimate(what, int(n), wall, memory, disk)


def des_estimate(what: str, cases: int, overloaded: bool, writes: bool) -> Estimate:
    """Estimate a DES office of ``cases`` expected cases."""
    speed = DES_OVERLOADED_CASES_PER_SECOND if overloaded else DES_CASES_PER_SECOND
    memory = DES_BASE_MB + cases * DES_BYTES_PER_CASE / MB
    disk = cases * DES_DISK_BYTES_PER_CASE / MB if writes else 0.0
    return Estimate(what, 1, cases / speed, memory, disk, cases=cases)


def office_estimate(spec: OfficeSpec, writes: bool) -> Estimate:
    """Estimate a DES office: its expected cases, and whether its demand exceeds its staff."""
    cases = expected_des_cases(spec.arrival_kind, spec.arrival_values, spec.weeks)
    demand = cases / spec.weeks * spec.expected_staff_minutes_per_case()  # minutes/week
    return des_estimate(f"DES office {spec.name}", cases,
                        overloaded=demand > spec.staff_minutes_per_week(), writes=writes)


def check_limits(estimate: Estimate, out: Path | None, allow: bool) -> None:
    """Refuse ``estimate`` above a limit unless ``allow`` (the user's ``--allow-large``).

    Raises:
        ResourceLimitError: One line: the job, its estimate, the limit and the flag.
    """
    if allow:
        return
    problems = []
    if estimate.runs > LIMIT_RUNS:
        problems.append(f"more than {LIMIT_RUNS:,} runs")
    if estimate.seconds is not None and estimate.seconds > LIMIT_HOURS * 3600:
        problems.append(f"longer than {LIMIT_HOURS:g} h")
    memory = available_memory_mb()
    known = estimate.memory_mb is not None and memory is not None
    if known and estimate.memory_mb > MEMORY_SHARE * memory:
        problems.append(f"more memory than {MEMORY_SHARE:.0%} of the {_size(memory)} available")
    free = None if out is None or estimate.disk_mb == 0 else free_disk_mb(out)
    if free is not None and estimate.disk_mb > DISK_SHARE * free:
        problems.append(f"more disk than {DISK_SHARE:.0%} of the {_size(free)} free at {out}")
    if problems:
        raise ResourceLimitError(
            f"{estimate.what}: {estimate.describe()}: {'; '.join(problems)} (limits in "
            f"docs/BATCHES.md, 'Resource limits'); make it smaller, or start it anyway with "
            f"{ALLOW_FLAG}")  # fmt: skip


def expected_des_cases(kind: str, values: tuple[float, ...], weeks: int) -> int:
    """Expected arriving cases of a DES office: the series' sum, or the weekly rates (repeated
    cyclically over the weeks, as :func:`model.des` draws them) summed over ``weeks``."""
    if kind == "series":
        return int(sum(values))
    full, rest = divmod(weeks, len(values))
    return int(math.ceil(full * sum(values) + sum(values[:rest])))


def weeks_of(start: dt.date, end: dt.date) -> int:
    """Simulated weeks from ``start`` to ``end``, as the engine's calendar counts them
    (:meth:`model.demand.Calendar.from_dates`), at least 1."""
    from model.demand import Calendar

    return max(1, Calendar.from_dates(start, end).n_weeks)


def estimate_batch(spec: BatchSpec, plan: RunPlan, out: Path, workers: int | None,
                   local: bool = True, resume: bool = False) -> Estimate:  # fmt: skip
    """Estimate a batch file's runs still to do (all, or those without a complete run folder
    in ``out`` when resuming).

    Args:
        spec: The validated batch file.
        plan: Its run plan.
        out: The batch folder.
        workers: Worker processes; None if unknown (an external cluster).
        local: The workers run on this machine.
        resume: Leave out the runs whose folders in ``out`` are complete.
    """
    from model.batch.store import BatchStore

    done: dict[str, int] = {}
    if resume:
        for run_id in BatchStore(out).complete_run_ids():
            index = plan.index_of(run_id)
            if index is not None:
                name = plan.key(index).scenario
                done[name] = done.get(name, 0) + 1
    per_scenario = plan.design.n_points * len(plan.seeds)
    rows = [(str(sc.parameters.get("granularity", "verwaltung")), weeks_of(sc.start, sc.end),
             per_scenario - done.get(sc.name, 0)) for sc in spec.scenarios]  # fmt: skip
    return batch_estimate(f"batch {spec.name}", rows, spec.tables, workers, local)
