"""Executors: serial, local processes and Dask behind one interface.

Every executor maps a function over tasks and yields ``(task, result)`` pairs as they finish,
in any order (EMA Workbench's evaluators, after its ``SequentialEvaluator`` and
``MultiprocessingEvaluator``). Tasks are drawn from the iterable lazily, at most
``max_in_flight`` at a time, so a batch of a million runs never holds a million tasks. A task
whose execution failed *outside* the function (its worker process died, a Dask worker lost
too often) is yielded with the exception as its result; tasks that were only in flight with it
are run again. The function itself reports model errors in its result
(:func:`model.batch.worker.execute`). :meth:`Executor.terminate` stops everything at once (an
interrupt): queued tasks are dropped and running ones abandoned.

The executor changes nothing in the results: every run's random numbers come from its seed
and named streams, so the same seeds give identical tables whichever executor ran them.

- :class:`SerialExecutor`: in this process, one run after the other; for debugging
  (breakpoints and tracebacks work as usual).
- :class:`ProcessExecutor`: local worker processes (the default; one per core). Workers are
  started with ``spawn`` (no fork of a process holding thread pools) and pin numpy's and
  Arrow's thread pools to one thread each.
- :class:`DaskExecutor`: a Dask ``distributed`` cluster: a local one (``--dask-local N``) or an
  existing scheduler (``--dask ADDRESS``, e.g. started by dask-jobqueue on Slurm or PBS). Dask
  starts its worker processes with OMP/MKL/OpenBLAS at one thread (its default
  ``distributed.nanny.pre-spawn-environ``); each task pins Arrow's pools as well.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from model.errors import FoedsimError

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """Cores this process may use (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class Executor(abc.ABC):
    """Base class: map a function over tasks, yielding ``(task, result)`` as they finish.

    Attributes:
        name: Short name for manifests and progress lines.
        workers: Runs that execute at the same time.
        pins_threads: True if tasks run in separate worker processes that should pin their
            thread pools to one thread (see :func:`model.batch.worker.pin_threads`).
    """

    name = "executor"
    pins_threads = False

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers

    @property
    def max_in_flight(self) -> int:
        """Tasks submitted but not finished at most: enough to keep every worker busy."""
        return 2 * self.workers

    @abc.abstractmethod
    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]
                      ) -> Iterator[tuple[T, R | BaseException]]:  # fmt: skip
        """Apply ``fn`` to every task; yield ``(task, result or exception)`` as each finishes."""

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for the batch manifest."""
        return {"executor": self.name, "workers": self.workers}

    def close(self) -> None:  # noqa: B027 - a hook: most executors have nothing to release
        """Release workers and clusters this executor started (default: nothing)."""

    def terminate(self) -> None:
        """Stop at once (an interrupt): drop queued tasks, stop running ones (default: close)."""
        self.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # Leaving on an error or an interrupt: nothing waits for the runs still in progress.
        if exc_type is None:
            self.close()
        else:
            self.terminate()


class SerialExecutor(Executor):
    """Runs every task in this process, in order (for debugging)."""

    name = "serial"

    def __init__(self) -> None:
        super().__init__(1)

    def map_unordered(self, fn, tasks):
        for task in tasks:
            try:
                result = fn(task)
            except Exception as exc:  # noqa: BLE001 - reported like a lost worker
                result = exc
            yield task, result


class WorkerDiedError(RuntimeError):
    """The worker process running a task died (killed, out of memory, a crash in C code)."""


# After a worker dies, the pool fails every task in flight and stops its other workers; this is
# how long (s) to wait for it to do so, so that every worker's exit code is known.
CRASH_SETTLE_SECONDS = 10.0
# A run that was running at this many pool breakdowns without being identified as the one that
# killed its worker counts as failed (bounds the retries when exit codes cannot tell).
MAX_CRASHES = 2
# On an interrupt, how long (s) a worker process gets to exit after SIGTERM before SIGKILL.
STOP_SECONDS = 5.0

# Set in each worker process by _init_worker: where _run_tracked reports starting and ending.
_task_log = None


def _init_worker(task_log: Any, initializer: Callable[[], None] | None) -> None:
    """Worker initializer of :class:`ProcessExecutor`: keep the task log, then the user's."""
    global _task_log
    _task_log = task_log
    if initializer is not None:
        initializer()


def _run_tracked(fn: Callable[[T], R], token: int, task: T) -> R:
    """Run ``fn(task)`` in a worker, telling the parent which process runs which task.

    The log is a ``SimpleQueue``: ``put`` writes to the pipe before it returns, so a worker
    that dies inside ``fn`` has already told that it was running ``token``.
    """
    pid = os.getpid()
    _task_log.put((token, pid, True))
    try:
        return fn(task)
    finally:
        _task_log.put((token, pid, False))


@dataclass(eq=False)  # compared and hashed by identity
class _Entry:
    """A task in the process executor's hands: its number, and the crashes it was running at."""

    token: int
    task: Any
    strikes: int = 0


class _Pool:
    """A ``ProcessPoolExecutor`` plus the record of which task each of its workers runs."""

    def __init__(self, workers: int, initializer: Callable[[], None] | None) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")
        self.task_log = ctx.SimpleQueue()
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                            initializer=_init_worker,
                                            initargs=(self.task_log, initializer))  # fmt: skip
        # The pool's worker processes by pid, for their exit codes and to stop them. The pool
        # keeps them in this dict (private, but the only way before Python 3.14's
        # terminate_workers()); it drops the reference on shutdown, so keep our own now.
        processes = getattr(self.executor, "_processes", None)
        self.processes: dict[int, Any] = {} if processes is None else processes
        self.running: dict[int, int] = {}  # token -> pid of the worker running it

    def submit(self, fn: Callable[[Any], Any], entry: _Entry) -> Any:
        return self.executor.submit(_run_tracked, fn, entry.token, entry.task)

    def read_log(self) -> None:
        """Bring :attr:`running` up to date with what the workers reported."""
        while not self.task_log.empty():
            token, pid, starting = self.task_log.get()
            if starting:
                self.running[token] = pid
            else:
                self.running.pop(token, None)

    def exit_codes(self) -> dict[int, int | None]:
        """Each worker's exit code (None while it runs), by pid."""
        return {pid: process.exitcode for pid, process in list(self.processes.items())}

    def settle(self, timeout_s: float) -> dict[int, int | None]:
        """Wait until every worker of a broken pool has exited; return their exit codes."""
        deadline = time.monotonic() + timeout_s
        codes = self.exit_codes()
        while any(code is None for code in codes.values()) and time.monotonic() < deadline:
            time.sleep(0.01)
            codes = self.exit_codes()
        self.read_log()
        return codes

    def discard(self) -> None:
        """Drop a broken pool (its manager thread finishes stopping its workers)."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.task_log.close()

    def stop(self) -> None:
        """Stop now: cancel what has not started, terminate the workers (SIGKILL if stuck)."""
        processes = list(self.processes.values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(OSError, ValueError):
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                if process.is_alive():
                    process.kill()
                    process.join(STOP_SECONDS)
        self.task_log.close()

    def close(self) -> None:
        """Normal end: let the workers finish and exit."""
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.task_log.close()


def _broken(future: Any) -> bool:
    """True if a finished future failed because its pool broke (or was cancelled with it)."""
    from concurrent.futures.process import BrokenProcessPool

    return future.cancelled() or isinstance(future.exception(), BrokenProcessPool)


def _death(code: int | None) -> str:
    if code is None:
        return "died"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


class ProcessExecutor(Executor):
    """Local worker processes (``spawn``), one thread each.

    A worker that dies (killed, out of memory, a crash in C code) breaks Python's process pool
    and with it every task in flight. The executor then replaces the pool and decides which
    task killed the worker, from what each worker reported when it started and ended a task
    and from the workers' exit codes:

    1. A task whose worker process ended on its own while running it (any exit other than the
       SIGTERM the pool sends to the workers it stops after a death) is yielded as failed
       (:class:`WorkerDiedError`).
    2. If no task can be blamed that way (e.g. a worker stopped by someone else's SIGTERM),
       the tasks that were running (all in flight, if none had started) get a strike; a task
       fails at its :data:`MAX_CRASHES`-th strike.
    3. Every other task lost with the pool is submitted again to the new pool, ahead of new
       tasks. Tasks that had not started yet are never blamed.

    Args:
        workers: Worker processes (default: every core this process may use).
        initializer: Run once in each worker before its first task (default: ignore Ctrl-C,
            pin thread pools).
    """

    name = "processes"
    pins_threads = True

    def __init__(self, workers: int | None = None,
                 initializer: Callable[[], None] | None = None) -> None:  # fmt: skip
        super().__init__(workers or available_cores())
        if initializer is None:
            from model.batch.worker import ignore_sigint

            initializer = ignore_sigint
        self._initializer = initializer
        self._pool: _Pool | None = None

    def map_unordered(self, fn, tasks):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pending = iter(tasks)
        retry: deque[_Entry] = deque()  # lost with a broken pool: submitted again first
        in_flight: dict[Any, _Entry] = {}
        tokens = itertools.count()
        exhausted = False
        try:
            while True:
                if self._pool is None:
                    self._pool = _Pool(self.workers, self._initializer)
                while len(in_flight) < self.max_in_flight:
                    if retry:
                        entry = retry.popleft()
                    elif exhausted:
                        break
                    else:
                        task = next(pending, _END)
                        if task is _END:
                            exhausted = True
                            break
                        entry = _Entry(next(tokens), task)
                    try:
                        in_flight[self._pool.submit(fn, entry)] = entry
                    except BrokenProcessPool:  # a worker died since the last result
                        retry.appendleft(entry)
                        if not in_flight:  # nothing to blame: start afresh
                            self._pool.discard()
                            self._pool = _Pool(self.workers, self._initializer)
                            continue
                        break  # the futures in flight report it below
                if not in_flight:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                if any(_broken(f) for f in done):
                    # The pool is broken: let it fail every future still in flight.
                    wait(in_flight, timeout=CRASH_SETTLE_SECONDS)
                    done = set(in_flight)
                lost: list[_Entry] = []
                for future in done:
                    entry = in_flight.pop(future)
                    if not future.done() or _broken(future):
                        lost.append(entry)
                        continue
                    try:
                        result = future.result()
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        result = exc
                    yield entry.task, result
                if lost:
                    failed = self._after_crash(lost)
                    retry.extendleft(reversed([e for e in lost if e not in failed]))
                    for entry, error in failed.items():
                        yield entry.task, error
        finally:
            if in_flight:  # the caller stopped early (an interrupt): stop the runs in flight
                self.terminate()

    def _after_crash(self, lost: list[_Entry]) -> dict[_Entry, WorkerDiedError]:
        """Replace the broken pool; return the lost tasks that count as failed (see the class)."""
        pool, self._pool = self._pool, None
        codes = pool.settle(CRASH_SETTLE_SECONDS)
        pool.discard()
        running = {e: pool.running[e.token] for e in lost if e.token in pool.running}
        failed = {}
        for entry, pid in running.items():
            code = codes.get(pid)
            if code is not None and code != -signal.SIGTERM:
                failed[entry] = WorkerDiedError(f"the worker process running this run "
                                                f"{_death(code)}")  # fmt: skip
        if failed:
            return failed
        for entry in list(running) or lost:
            entry.strikes += 1
            if entry.strikes >= MAX_CRASHES:
                failed[entry] = WorkerDiedError(
                    f"a worker process died {entry.strikes} times while this run was running "
                    "or queued (which run killed it could not be told)")  # fmt: skip
        return failed

    def terminate(self) -> None:
        """Stop at once: cancel queued tasks and terminate the worker processes."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class DaskExecutor(Executor):
    """A Dask ``distributed`` cluster: a local one or an existing scheduler.

    Args:
        address: Scheduler address (``tcp://host:8786``) of a running cluster; None starts a
            local cluster of ``local_workers`` processes with one thread each.
        local_workers: Worker processes of the local cluster.

    Raises:
        FoedsimError: dask.distributed is not installed, or the scheduler cannot be reached.
    """

    name = "dask"
    pins_threads = True

    def __init__(self, address: str | None = None, local_workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise FoedsimError("the Dask executor needs dask.distributed: "
                               "pip install 'foedsim[dask]'") from None  # fmt: skip
        import logging

        self.address = address
        self._cluster = None
        self._client = None
        try:
            if address is None:
                # One thread per worker process: a run holds the GIL most of the time, and
                # the workers' numpy and Arrow pools are pinned to one thread as well.
                self._cluster = LocalCluster(n_workers=local_workers or available_cores(),
                                             threads_per_worker=1, processes=True,
                                             dashboard_address=None,
                                             silence_logs=logging.WARNING)  # fmt: skip
                self._client = Client(self._cluster)
            else:
                self._client = Client(address, timeout="30s")
        except OSError as exc:
            self.close()
            raise FoedsimError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        super().__init__(self._threads())

    def _threads(self) -> int:
        """Worker threads the cluster has now (a dask-jobqueue cluster grows as jobs start)."""
        return max(1, sum(self._client.nthreads().values()))

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers,
                "cluster": "local" if self.address is None else "external"}  # fmt: skip

    def map_unordered(self, fn, tasks):
        from distributed import as_completed

        pending = iter(tasks)
        by_key: dict[str, Any] = {}
        queue = as_completed()

        def submit_one() -> bool:
            task = next(pending, _END)
            if task is _END:
                return False
            future = self._client.submit(fn, task, pure=False)
            by_key[future.key] = task
            queue.add(future)
            return True

        def fill() -> None:
            # Runs in flight follow the cluster's size now: workers may join or leave.
            self.workers = self._threads()
            while len(by_key) < self.max_in_flight:
                if not submit_one():
                    break

        fill()
        try:
            for future in queue:
                task = by_key.pop(future.key)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after retries
                    result = exc
                future.release()
                yield task, result
                fill()
        finally:
            for future in list(queue.futures):
                future.cancel()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


_END = object()


def make_executor(serial: bool = False, workers: int | None = None,
                  dask_local: int | None = None, dask: str | None = None) -> Executor:  # fmt: skip
    """The executor the command-line options ask for (local processes by default).

    Args:
        serial: Run in this process.
        workers: Local worker processes (default: every core).
        dask_local: Start a local Dask cluster with this many workers.
        dask: Connect to the Dask scheduler at this address.
    """
    chosen = [serial, workers is not None, dask_local is not None, dask is not None]
    if sum(chosen) > 1:
        raise FoedsimError("choose one of --serial, --workers, --dask-local, --dask")
    for value, option in ((workers, "--workers"), (dask_local, "--dask-local")):
        if value is not None and value < 1:
            raise FoedsimError(f"{option} must be at least 1, got {value}")
    if serial:
        return SerialExecutor()
    if dask_local is not None or dask is not None:
        return DaskExecutor(address=dask, local_workers=dask_local)
    return ProcessExecutor(workers)
