"""Executors: serial, local processes and Dask behind one interface.

Every executor maps a function over tasks and yields ``(task, result)`` pairs as they finish,
in any order (EMA Workbench's evaluators, after its ``SequentialEvaluator`` and
``MultiprocessingEvaluator``). Tasks are drawn from the iterable lazily, at most
``max_in_flight`` at a time, so a batch of a million runs never holds a million tasks. A task
whose execution failed *outside* the function (a worker process killed, a Dask worker lost
too often) is yielded with the exception as its result; the function itself reports model
errors in its result (:func:`model.batch.worker.execute`).

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
import os
from collections.abc import Callable, Iterable, Iterator
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

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


class ProcessExecutor(Executor):
    """Local worker processes (``spawn``), one thread each.

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
        self._pool = None

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                   initializer=self._initializer)  # fmt: skip

    def map_unordered(self, fn, tasks):
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if self._pool is None:
            self._pool = self._new_pool()
        pending = iter(tasks)
        in_flight: dict[Any, Any] = {}
        exhausted = False
        try:
            while True:
                while not exhausted and len(in_flight) < self.max_in_flight:
                    task = next(pending, _END)
                    if task is _END:
                        exhausted = True
                        break
                    try:
                        in_flight[self._pool.submit(fn, task)] = task
                    except BrokenProcessPool as exc:  # broke since the last result
                        yield task, exc
                        self._pool = self._new_pool()
                if not in_flight:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    task = in_flight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool as exc:
                        result, broken = exc, True
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        result = exc
                    yield task, result
                if broken:
                    # A worker died (killed, out of memory): every task in flight is lost with
                    # the pool. Report them and carry on with a fresh pool.
                    for task in list(in_flight.values()):
                        yield task, BrokenProcessPool("a worker process died while this run "
                                                      "was queued or running")  # fmt: skip
                    in_flight.clear()
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
        finally:
            if in_flight:  # interrupted: cancel what has not started
                for future in in_flight:
                    future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


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
