"""One run of a batch, as executed in a worker: run, write the run folder, reduce to a row.

:func:`execute` is what every executor calls (serial, local processes, Dask). It never raises
for a failing model run: the error and its traceback come back in the result, so one bad run
does not stop a batch. It is idempotent: a run whose folder is already complete (a resumed
batch, a task Dask re-ran after losing a worker) is read back instead of computed again.

This module imports nothing heavy at import time: a fresh worker process first pins its thread
pools (:func:`pin_threads`), then imports numpy and the model.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from model.batch.design import RunKey
    from model.scenario import Scenario

# Thread pools of the numerical libraries, one thread per worker process: with N workers on N
# cores, more threads only oversubscribe the cores. Read by the libraries at import time.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
_pinned = False

# Test-only fault injection, read by worker processes (never by the serial path), so that the
# tests of worker deaths and interrupts (tests/test_batch_faults.py) can kill or stall the worker
# of one given run. Never set it outside tests. Values: "RUN_ID:exit" (the worker running
# RUN_ID exits at once with code 1, as if killed) or "RUN_ID:hang" (it sleeps for an hour).
FAULT_ENV_VAR = "FOEDSIM_TEST_FAULT"


def pin_threads() -> None:
    """Pin numpy's BLAS/OpenMP and Arrow's thread pools to one thread in this process.

    Call it first thing in a worker process (the process executor's initializer does), before
    numpy is imported; calling it again is harmless. Arrow's pools are set directly.
    """
    global _pinned
    if _pinned:
        return
    for var in THREAD_ENV_VARS:
        os.environ[var] = "1"
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    _pinned = True


def ignore_sigint() -> None:
    """Worker initializer: pin thread pools and leave Ctrl-C to the parent process.

    Ctrl-C in a terminal reaches every process of the group. The parent decides what happens:
    it stops the workers itself (:meth:`model.batch.executors.Executor.terminate`) after
    storing what finished; a worker that died of the same signal first would break the pool
    and could have its run recorded as failed.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pin_threads()


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable).

    Attributes:
        key: The run's identity and inputs.
        scenario: The scenario with the design point's values set.
        tables: Table set to keep (``kpis``, ``aggregates`` or ``full``).
        run_dir: The run folder to write (absolute, so any worker can find it).
        pin_threads: Pin thread pools first (processes and Dask workers, not the serial path).
    """

    key: RunKey
    scenario: Scenario
    tables: str
    run_dir: str
    pin_threads: bool = False


@dataclass(frozen=True)
class RunResult:
    """What a worker sends back: a summary row, or an error.

    Attributes:
        key: The run.
        row: Inputs plus nationwide KPIs (None on failure).
        error: ``type``, ``message`` and ``traceback`` of the failure (None on success).
        seconds: Wall time in the worker (s).
        reused: True if the run folder already existed and was read back.
    """

    key: RunKey
    row: dict[str, Any] | None
    error: dict[str, str] | None
    seconds: float
    reused: bool = False

    @property
    def ok(self) -> bool:
        """True for a successful run."""
        return self.error is None


def kpi_columns(kpis: pd.DataFrame) -> dict[str, float]:
    """The nationwide KPIs of a run as ``{f"{kpi}_{year}": value}``.

    Args:
        kpis: The run's ``kpis`` table (``year, kpi, level, service_id, value``).

    Returns:
        One entry per KPI and year for ``level == "all"`` and ``service_id == "all"``, sorted
        by KPI then year, so every run of a batch has the same columns in the same order.
    """
    nat = kpis[(kpis["level"] == "all") & (kpis["service_id"] == "all")]
    pairs = sorted(zip(nat["kpi"].astype(str), nat["year"].astype(int), nat["value"],
                       strict=True))  # fmt: skip
    return {f"{kpi}_{year}": float(value) for kpi, year, value in pairs}


def summary_row(key: RunKey, kpis: pd.DataFrame) -> dict[str, Any]:
    """A run's row of the batch summary: its inputs, then its nationwide KPIs."""
    return {**key.inputs(), **kpi_columns(kpis)}


def read_run_kpis(run_dir: Path) -> pd.DataFrame:
    """The ``kpis`` table of a complete run folder."""
    from model.storage import read_run

    return read_run(run_dir).table("kpis")


def is_complete(run_dir: Path) -> bool:
    """True if ``run_dir`` is a complete run folder (its manifest is written last)."""
    from model.storage import MANIFEST_NAME

    return (run_dir / MANIFEST_NAME).is_file()


def _inject_fault(run_id: str) -> None:
    """Kill or stall this worker process if :data:`FAULT_ENV_VAR` names ``run_id`` (tests)."""
    fault = os.environ.get(FAULT_ENV_VAR)
    if not fault:
        return
    target, _, action = fault.rpartition(":")
    if target != run_id:
        return
    if action == "exit":
        os._exit(1)
    if action == "hang":
        time.sleep(3600)


def execute(task: RunTask) -> RunResult:
    """Run one run of a batch (or read it back if its folder is complete).

    Args:
        task: The run.

    Returns:
        The run's summary row, or its error with traceback. ``KeyboardInterrupt`` and other
        ``BaseException``\\ s are not caught.
    """
    if task.pin_threads:
        pin_threads()
        _inject_fault(task.key.run_id)
    t0 = time.perf_counter()
    run_dir = Path(task.run_dir)
    try:
        from model.runner import freeze_imports, run_scenario
        from model.storage import RunExistsError

        if task.pin_threads:  # a worker process of its own: its imports live as long as it
            freeze_imports()

        if is_complete(run_dir):
            kpis, reused = read_run_kpis(run_dir), True
        else:
            try:
                outcome = run_scenario(task.scenario, seed=task.key.seed, tables=task.tables,
                                       out=run_dir)  # fmt: skip
                kpis, reused = outcome.tables["kpis"], False
                del outcome  # the model (up to ~0.5 GB) goes before the row is built
            except RunExistsError:  # another worker finished the same run meanwhile
                kpis, reused = read_run_kpis(run_dir), True
        row = summary_row(task.key, kpis)
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded, the batch goes on
        error = {"type": type(exc).__name__, "message": str(exc),
                 "traceback": traceback.format_exc()}  # fmt: skip
        return RunResult(task.key, None, error, time.perf_counter() - t0)
    return RunResult(task.key, row, None, time.perf_counter() - t0, reused)
