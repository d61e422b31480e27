"""Run a batch: plan the runs, hand them to an executor, store results as they arrive.

:func:`run_batch` is what ``foedsim batch`` calls. A new batch writes its manifest first; a
resumed one (``resume=True``) checks that the batch file still defines the same runs, cleans
what an interruption left, writes the summary rows of runs that finished unrecorded and runs
only what has no complete run folder (failed runs are tried again). Summary rows are written
in chunks while the batch runs; the parent process holds at most one chunk, one bit per run
and the tasks in flight, whatever the batch size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import platform
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from model import __version__
from model.batch.design import RunPlan, plan_batch
from model.batch.executors import Executor, SerialExecutor
from model.batch.spec import BatchSpec
from model.batch.store import BATCH_FORMAT, BATCH_KIND, BatchExistsError, BatchStore
from model.batch.worker import RunResult, RunTask, execute, read_run_kpis, summary_row
from model.errors import FoedsimError, OutOfSpaceError
from model.storage import RECORDED_PACKAGES, git_commit

# Summary rows are written to disk every FLUSH_ROWS finished runs or FLUSH_SECONDS, whichever
# comes first: small enough that a crash loses nothing expensive (rows are rebuilt from the run
# folders anyway), large enough that a big batch does not make thousands of tiny files.
FLUSH_ROWS = 256
FLUSH_SECONDS = 30.0
BATCH_PACKAGES = (*RECORDED_PACKAGES, "numba", "SALib", "dask", "distributed")


class BatchInterruptedError(FoedsimError):
    """SIGINT (Ctrl-C) or SIGTERM stopped the batch; what finished is stored and ``--resume``
    continues it.

    Attributes:
        signum: The signal.
        exit_code: 128 + the signal's number, the shell's convention: 130 for SIGINT, 143 for
            SIGTERM.
    """

    exit_code = 128 + signal.SIGINT

    def __init__(self, message: str, signum: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.signum = int(signum)
        self.exit_code = 128 + self.signum


class StopSignal(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived while :func:`stop_on_signals` was active.

    A ``KeyboardInterrupt``, so that everything that cleans up after Ctrl-C (atomic writes, the
    serial executor) does so for SIGTERM too.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise :class:`StopSignal` in the main thread.

    SIGTERM (``kill PID``, ``timeout``, a scheduler ending a job) would otherwise end the
    process at once and leave its worker processes running; as a ``KeyboardInterrupt`` it
    stops the batch the way Ctrl-C does. After the first signal both are ignored until the
    block ends, so a second one cannot break the clean-up (which takes seconds). Only
    handlers still at Python's defaults are replaced, so an application's own handlers, or
    a SIGINT ignored by the shell that started a background job, are left alone. Outside the
    main thread, and inside another ``stop_on_signals`` block, it changes nothing. Usable as a
    decorator.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    previous = {signum: signal.getsignal(signum) for signum in defaults}
    replaced = [signum for signum, handler in defaults.items() if previous[signum] is handler]

    def stop(signum: int, _frame: object) -> None:
        for each in replaced:
            signal.signal(each, signal.SIG_IGN)
        raise StopSignal(signum)

    for signum in replaced:
        signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum in replaced:
            signal.signal(signum, previous[signum])


@dataclass
class Progress:
    """Counts and rate of a running batch, for progress lines.

    Attributes:
        total: Runs in the batch.
        done: Runs finished successfully (including earlier sessions).
        failed: Runs that failed in this session.
        started_done: Runs already finished when this session started.
        started: Clock value at the start of this session (s).
        clock: The clock (``time.monotonic``; tests pass their own).
    """

    total: int
    done: int = 0
    failed: int = 0
    started_done: int = 0
    started: float = 0.0
    clock: Callable[[], float] = time.monotonic

    def start(self, already_done: int) -> None:
        """Start timing a session that finds ``already_done`` runs finished."""
        self.done = self.started_done = already_done
        self.started = self.clock()

    def update(self, ok: bool) -> None:
        """Count one finished run."""
        if ok:
            self.done += 1
        else:
            self.failed += 1

    @property
    def finished_now(self) -> int:
        """Runs finished (or failed) in this session."""
        return self.done - self.started_done + self.failed

    def eta_seconds(self) -> float | None:
        """Seconds left at this session's rate, or None before the first run finishes."""
        n = self.finished_now
        if n == 0:
            return None
        rate = n / max(self.clock() - self.started, 1e-9)
        return (self.total - self.done - self.failed) / rate

    def line(self) -> str:
        """``12/40 runs done, 1 failed, 3.2 runs/min, ETA 0:08:45``."""
        elapsed = max(self.clock() - self.started, 1e-9)
        parts = [f"{self.done}/{self.total} runs done"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.finished_now:
            parts.append(f"{60 * self.finished_now / elapsed:.1f} runs/min")
        eta = self.eta_seconds()
        if eta is not None:
            parts.append(f"ETA {dt.timedelta(seconds=round(eta))}")
        return ", ".join(parts)


@dataclass(frozen=True)
class BatchReport:
    """What a batch session did.

    Attributes:
        path: The batch folder.
        total: Runs in the batch.
        done: Runs with a complete run folder and summary row.
        ran: Runs computed in this session.
        reused: Runs found finished (from an earlier session) and not computed again.
        failed: Runs that failed in this session (records in ``failures/``).
        seconds: Wall time of the session (s).
    """

    path: Path
    total: int
    done: int
    ran: int
    reused: int
    failed: int
    seconds: float


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def definition_hash(spec: BatchSpec, plan: RunPlan) -> str:
    """SHA-256 of what defines the runs: the file's contents, the resolved scenarios, the
    design points and the seeds. A resumed batch must have the same hash."""
    payload = {
        "definition": spec.definition,
        "scenarios": [sc.to_dict() for sc in spec.scenarios],
        "design": plan.design.to_dict(),
        "seeds": list(plan.seeds),
        "tables": spec.tables,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def batch_manifest(spec: BatchSpec, plan: RunPlan) -> dict[str, Any]:
    """The batch manifest: definition, provenance, design table and seeds."""
    return {
        "kind": BATCH_KIND,
        "batch_format": BATCH_FORMAT,
        "name": spec.name,
        "description": spec.description,
        "batch_file": Path(spec.file).name,
        "definition": spec.definition,
        "definition_sha256": definition_hash(spec, plan),
        "model": "foedsim",
        "model_version": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "packages": {name: _package_version(name) for name in BATCH_PACKAGES},
        "scenarios": [sc.to_dict() for sc in spec.scenarios],
        "tables": spec.tables,
        "replications": spec.replications,
        "base_seed": spec.base_seed,
        "seeds": list(plan.seeds),
        "design": plan.design.to_dict(),
        "n_runs": plan.n_runs,
        "sessions": [],
    }


def _session(executor: Executor, resumed: bool) -> dict[str, Any]:
    return {"started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "resumed": resumed, "git_commit": git_commit(), **executor.describe()}  # fmt: skip


def _open_store(out: Path, spec: BatchSpec, plan: RunPlan, resume: bool,
                session: dict[str, Any]) -> BatchStore:  # fmt: skip
    """Create the batch folder, or open it to resume; locked, with this session recorded."""
    manifest = batch_manifest(spec, plan)
    if not resume or not out.exists():
        store = BatchStore.create(out, {**manifest, "sessions": [session]})
        store.acquire_lock()
        return store
    store = BatchStore.open(out)
    store.acquire_lock()
    try:
        stored = store.manifest()
        if stored.get("definition_sha256") != manifest["definition_sha256"]:
            raise BatchExistsError(
                f"{out} holds batch {stored.get('name')!r} with another definition (the batch "
                "file, a scenario file, the design, the seeds or the parameter registry "
                "changed); start a new batch with another --out")
        stored["sessions"] = [*stored.get("sessions", []), session]
        store.write_manifest(stored)
    except BaseException:
        store.release_lock()
        raise
    return store


@stop_on_signals()
def run_batch(
    spec: BatchSpec,
    out: Path,
    executor: Executor | None = None,
    resume: bool = False,
    progress: Callable[[Progress], None] | None = None,
    run_fn: Callable[[RunTask], RunResult] = execute,
    flush_rows: int = FLUSH_ROWS,
    flush_seconds: float = FLUSH_SECONDS,
) -> BatchReport:
    """Run (or continue) a batch and store its results.

    Args:
        spec: The validated batch file (:func:`model.batch.spec.load_batch`).
        out: The batch folder, e.g. ``Path("runs/sensitivity_baseline")``.
        executor: Where runs execute (default: serially in this process).
        resume: Continue the batch in ``out`` (or start it if ``out`` does not exist).
        progress: Called with the counts after every finished run.
        run_fn: The function executed per run (:func:`model.batch.worker.execute`; tests
            pass a wrapper to inject failures).
        flush_rows: Write summary rows to disk after this many runs.
        flush_seconds: ... or after this many seconds.

    Returns:
        What the session did; ``failed`` > 0 means some runs need attention (``failures/``).

    Raises:
        BatchExistsError: ``out`` exists without ``resume``, or holds another batch.
        BatchLockedError: Another process is writing to ``out``.
        BatchInterruptedError: SIGINT (Ctrl-C) or SIGTERM (handled like SIGINT while the batch
            runs, :func:`stop_on_signals`): the executor's workers are stopped at once (runs
            in progress are abandoned), finished runs are stored, ``resume=True`` continues.
        OutOfSpaceError: The disk or the quota ran full. The run being written counts as
            failed (its half-written folder is removed) and the batch stops at once, since
            every further run would fail the same way; finished runs are stored and
            ``resume=True`` continues once space is freed.
    """
    executor = executor or SerialExecutor()
    t0 = time.perf_counter()
    out = Path(out)
    plan = plan_batch(spec)
    resume_hint = f"continue with: foedsim batch {spec.file} --out {out} --resume"
    try:
        store = _open_store(out, spec, plan, resume, _session(executor, resume))
    except OutOfSpaceError as exc:
        again = resume_hint if resume else f"run: foedsim batch {spec.file} --out {out}"
        raise OutOfSpaceError(f"{exc}; free space, then {again}") from None
    except KeyboardInterrupt as exc:
        raise BatchInterruptedError(f"interrupted before any run started; {resume_hint}",
                                    getattr(exc, "signum", signal.SIGINT)) from None  # fmt: skip
    tracker = Progress(plan.n_runs)
    buffer: list[dict[str, Any]] = []
    ran = failed = 0
    try:
        store.recover()
        done = store.summarised_indices(plan.n_runs)
        # Run folders that finished after the last summary chunk: read back, not recomputed.
        for run_id in store.complete_run_ids():
            i = plan.index_of(run_id)
            if i is not None and not done[i]:
                buffer.append(summary_row(plan.key(i), read_run_kpis(store.run_dir(run_id))))
                store.clear_failure(run_id)
                done[i] = True
                if len(buffer) >= flush_rows:
                    store.write_summary_part(buffer)
                    buffer = []
        reused = int(done.sum())
        store.write_summary_part(buffer)
        buffer = []
        tracker.start(reused)
        if progress:
            progress(tracker)

        def tasks():
            for key in plan.run_keys(skip=done):
                sc = spec.scenarios[key.scenario_index]
                yield RunTask(key, sc.with_parameters(**key.values) if key.values else sc,
                              spec.tables, str(store.run_dir(key.run_id).resolve()),
                              executor.pins_threads)  # fmt: skip

        last_flush = time.monotonic()
        for task, result in executor.map_unordered(run_fn, tasks()):
            if isinstance(result, KeyboardInterrupt):
                raise result
            if isinstance(result, BaseException):  # the executor lost the run
                result = RunResult(task.key, None, {"type": type(result).__name__,
                                   "message": str(result) or type(result).__name__,
                                   "traceback": _format(result)}, 0.0)  # fmt: skip
            full = not result.ok and result.error.get("type") == OutOfSpaceError.__name__
            if result.ok:
                buffer.append(result.row)
                store.clear_failure(task.key.run_id)
                ran += not result.reused
            else:
                record = {**task.key.inputs(), **result.error,
                          "scenario_files": list(task.scenario.files)}  # fmt: skip
                # With the disk full the record may not fit either; the run is retried on
                # resume whether or not it has one.
                with contextlib.suppress(OutOfSpaceError) if full else contextlib.nullcontext():
                    store.record_failure(record)
                failed += 1
            tracker.update(result.ok)
            if progress:
                progress(tracker)
            if full:
                raise OutOfSpaceError(f"{result.error['message']}; run {task.key.run_id} "
                                      "counts as failed")  # fmt: skip
            if len(buffer) >= flush_rows or time.monotonic() - last_flush > flush_seconds:
                store.write_summary_part(buffer)
                buffer, last_flush = [], time.monotonic()
        store.write_summary_part(buffer)
        buffer = []
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        # Stop the workers first: a run in progress may take hours, and its half-written
        # folder is cleaned up on resume.
        executor.terminate()
        with contextlib.suppress(OutOfSpaceError):  # rebuilt from the run folders on resume
            store.write_summary_part(buffer)
        buffer = []
        raise BatchInterruptedError(
            f"interrupted after {tracker.done}/{plan.n_runs} runs ({signal.Signals(signum).name})"
            f"; finished runs are stored in {out}; {resume_hint}", signum) from None
    except OutOfSpaceError as exc:
        raise OutOfSpaceError(
            f"{exc}; the batch stopped after {tracker.done}/{plan.n_runs} runs, finished runs "
            f"are stored in {out}; free space, then {resume_hint}"
        ) from None
    finally:
        try:
            # Rows that do not fit now are rebuilt from the run folders on resume.
            with contextlib.suppress(OutOfSpaceError):
                store.write_summary_part(buffer)
        finally:
            store.release_lock()
    try:
        store.merge_summary()
    except OutOfSpaceError as exc:
        raise OutOfSpaceError(
            f"{exc}; {tracker.done}/{plan.n_runs} runs are stored in {out} (the summary in "
            f"parts); free space, then {resume_hint}"
        ) from None
    return BatchReport(out, plan.n_runs, tracker.done, ran, reused, failed,
                       time.perf_counter() - t0)  # fmt: skip


def _format(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(exc))
