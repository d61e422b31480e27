"""Worker deaths and interrupts (issue 19, items 7 and 8).

- A worker process that dies under ``--workers 2`` fails only the run it was running: the
  executor replaces the broken pool, runs the others again, and the batch exits with code 1;
  ``--resume`` then runs only that run, to the same summary as a serial batch.
- SIGINT or SIGTERM sent to the main process alone (``kill -INT PID``, ``timeout``, a
  scheduler), not to its process group, stops the workers, stores what finished, prints the
  ``--resume`` line and exits within seconds with 130 or 143, without a traceback and without
  leaving a worker alive; ``--resume`` finishes the batch.

The faults come from the test-only hook of :mod:`model.batch.worker` (``FOEDSIM_TEST_FAULT``):
``RUN_ID:exit`` makes the worker running that run exit at once, ``RUN_ID:hang`` makes it sleep
for an hour (so a worker is certainly busy when the signal arrives, and the batch cannot end
on its own). Batches run as real ``foedsim batch`` processes over the tiny scenario (about a
second a run); every wait polls for its condition with a generous deadline, for busy machines.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_batch_fixture import ROOT, die_on_three, write_batch, write_tiny_scenario

from model.batch.executors import ProcessExecutor, WorkerDiedError
from model.batch.runner import run_batch
from model.batch.spec import load_batch
from model.batch.store import BatchStore
from model.batch.worker import FAULT_ENV_VAR
from model.storage import read_run

N_RUNS = 5
BATCH = f"""
[batch]
name = "faults"
scenarios = ["tiny.toml"]
replications = {N_RUNS}
base_seed = 19
"""
DYING_RUN = "tiny-r002"
HUNG_RUN = "tiny-r001"
# Deadlines (s), generous for a machine kept busy by other processes.
BATCH_TIMEOUT_S = 300.0
STOP_WITHIN_S = 30.0


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The batch file and the folder of an uninterrupted serial run of it (the reference)."""
    folder = tmp_path_factory.mktemp("faults")
    write_tiny_scenario(folder)
    path = write_batch(folder, BATCH)
    reference = folder / "reference"
    report = run_batch(load_batch(path), reference)
    assert report.done == N_RUNS
    return path, reference


def foedsim_batch(path: Path, out: Path, *options: str, fault: str | None = None,
                  wait: bool = True) -> subprocess.Popen | subprocess.CompletedProcess:  # fmt: skip
    """Run ``foedsim batch`` as a process of its own process group (so a signal sent to its pid
    reaches it alone, as from ``kill PID``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", FAULT_ENV_VAR)}
    if fault is not None:
        env[FAULT_ENV_VAR] = fault
    argv = [sys.executable, "-m", "cli", "batch", str(path), "--out", str(out), "--quiet",
            *options]  # fmt: skip
    if wait:
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=BATCH_TIMEOUT_S, start_new_session=True)  # fmt: skip
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip


def finished_runs(out: Path) -> set[str]:
    """Run folders with their manifest written (never the hidden temporary folder of a run
    still being written)."""
    runs = out / "runs"
    if not runs.is_dir():
        return set()
    return {p.parent.name for p in runs.glob("*/manifest.json")
            if not p.parent.name.startswith(".")}  # fmt: skip


def live_processes(pgid: int) -> list[str]:
    """Processes of the process group ``pgid`` that are still running (not zombies)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        fields = text[text.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            alive.append(text[:text.rindex(")") + 1])
    return alive


def assert_same_runs(out: Path, reference: Path, run_ids: set[str]) -> None:
    """The run folders ``run_ids`` hold the same tables in ``out`` as in ``reference``."""
    for run_id in sorted(run_ids):
        got, want = read_run(out / "runs" / run_id), read_run(reference / "runs" / run_id)
        assert got.tables == want.tables
        for name in got.tables:
            pd.testing.assert_frame_equal(got.table(name), want.table(name))


# --- item 7: a dying worker fails only its own run ---------------------------------------------


def kill_self_with_sigterm(x: int) -> int:
    """A task: a worker stopped by someone else's SIGTERM on 3 (its exit code cannot tell it
    apart from the workers the pool stops), squares anything else."""
    if x == 3:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(60)
    return x * x


def test_process_executor_fails_only_the_task_that_killed_its_worker():
    with ProcessExecutor(workers=2) as executor:
        results = dict(executor.map_unordered(die_on_three, range(8)))
        # the pool was replaced: the same executor goes on
        assert dict(executor.map_unordered(die_on_three, [4, 5])) == {4: 16, 5: 25}
    assert sorted(results) == list(range(8))  # every task reported once
    assert isinstance(results[3], WorkerDiedError)
    assert "exited with code 1" in str(results[3])
    assert {x: r for x, r in results.items() if x != 3} == {x: x * x for x in range(8) if x != 3}


def test_a_worker_death_no_exit_code_explains_fails_its_run_at_the_second_strike():
    # One worker: the run that was running is the only suspect at each breakdown; it is tried
    # again once (its exit code looks like the pool's own SIGTERM), then counts as failed.
    with ProcessExecutor(workers=1) as executor:
        results = dict(executor.map_unordered(kill_self_with_sigterm, range(6)))
    assert isinstance(results[3], WorkerDiedError) and "2 times" in str(results[3])
    assert {x: r for x, r in results.items() if x != 3} == {x: x * x for x in range(6) if x != 3}


def test_a_dying_worker_fails_only_its_own_run_and_resume_reruns_it(batch, tmp_path):
    path, reference = batch
    out = tmp_path / "died"
    proc = foedsim_batch(path, out, "--workers", "2", fault=f"{DYING_RUN}:exit")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"1 of {N_RUNS} runs failed" in proc.stderr and "--resume" in proc.stderr
    store = BatchStore.open(out)
    failures = store.failures()
    assert list(failures["run_id"]) == [DYING_RUN]
    assert failures["type"].iloc[0] == "WorkerDiedError"
    assert "exited with code 1" in failures["message"].iloc[0]
    # every other run finished, with the same results as the serial batch
    others = finished_runs(reference) - {DYING_RUN}
    assert finished_runs(out) == others
    want = BatchStore.open(reference).summary()
    pd.testing.assert_frame_equal(store.summary(),
                                  want[want["run_id"] != DYING_RUN].reset_index(drop=True))
    assert_same_runs(out, reference, others)

    # --resume (without the fault) runs the failed run only
    before = {run_id: (out / "runs" / run_id / "manifest.json").stat().st_mtime_ns
              for run_id in others}  # fmt: skip
    resumed = foedsim_batch(path, out, "--resume", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{N_RUNS}/{N_RUNS} runs done (1 run now, {N_RUNS - 1} found finished)" in resumed.stdout
    assert {run_id: (out / "runs" / run_id / "manifest.json").stat().st_mtime_ns
            for run_id in others} == before  # fmt: skip
    pd.testing.assert_frame_equal(BatchStore.open(out).summary(), want)
    assert BatchStore.open(out).failures().empty
    assert_same_runs(out, reference, finished_runs(reference))


# --- item 8: an interrupt to the main process alone ---------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_main_process_stops_the_workers_and_resume_finishes(batch, tmp_path,
                                                                             signum):  # fmt: skip
    path, reference = batch
    out = tmp_path / "interrupted"
    # One run hangs in its worker: the batch cannot end by itself, and a worker is busy
    # when the signal arrives (waiting for it, as shutdown(wait=True) did, would hang).
    proc = foedsim_batch(path, out, "--workers", "2", fault=f"{HUNG_RUN}:hang", wait=False)
    try:
        deadline = time.monotonic() + BATCH_TIMEOUT_S
        while not finished_runs(out):
            assert proc.poll() is None, f"batch ended before the signal: {proc.communicate()}"
            assert time.monotonic() < deadline, "batch made no progress"
            time.sleep(0.02)
        assert len(live_processes(proc.pid)) >= 3  # the batch and its two workers (at least)
        t0 = time.monotonic()
        os.kill(proc.pid, signum)  # the main process only, not its group
        try:
            _, err = proc.communicate(timeout=STOP_WITHIN_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no exit within {STOP_WITHIN_S} s of {signum.name}")
        seconds = time.monotonic() - t0
    finally:
        if proc.poll() is None:  # clean up after a failure: the whole group
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("foedsim: error: interrupted after") and signum.name in last
    assert f"--out {out} --resume" in last
    assert seconds < STOP_WITHIN_S
    # no worker is left running (the group's leader has exited; poll while they are reaped)
    deadline = time.monotonic() + STOP_WITHIN_S
    while live_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_processes(proc.pid) == []
    assert not (out / ".lock").exists()

    # resume (without the fault) keeps what finished and completes the batch
    finished = finished_runs(out)
    assert finished and HUNG_RUN not in finished
    report = run_batch(load_batch(path), out, resume=True)
    assert report.reused == len(finished) and report.ran == N_RUNS - len(finished)
    assert report.done == N_RUNS and report.failed == 0
    pd.testing.assert_frame_equal(BatchStore.open(out).summary(),
                                  BatchStore.open(reference).summary())  # fmt: skip
    assert_same_runs(out, reference, finished_runs(reference))


def test_run_batch_restores_the_signal_handlers(batch, tmp_path):
    path, _ = batch
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    run_batch(load_batch(path), tmp_path / "b")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
