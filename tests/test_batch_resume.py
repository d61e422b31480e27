"""Resume (issue 8, point 5): a batch killed mid-way, or stopped with Ctrl-C, and resumed gives
the same summary as an uninterrupted one, computes nothing twice and leaves no duplicate or
partial rows.

The interrupted batch runs as a real ``foedsim batch`` process (serial, so that the kill lands
between or inside runs of this one process); it is killed as soon as a few run folders are
complete.
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
from test_batch_fixture import ROOT, write_batch, write_tiny_scenario

from model.batch.runner import run_batch
from model.batch.spec import load_batch
from model.batch.store import BatchStore

N_RUNS = 12
BATCH = f"""
[batch]
name = "resume"
scenarios = ["tiny.toml"]
replications = {N_RUNS // 3}
base_seed = 3
[design]
method = "factorial"
levels = 3
uncertainties = ["volume_scale"]
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The batch file and the summary of an uninterrupted run of it."""
    folder = tmp_path_factory.mktemp("resume")
    write_tiny_scenario(folder)
    path = write_batch(folder, BATCH)
    spec = load_batch(path)
    reference = folder / "reference"
    report = run_batch(spec, reference)
    assert report.done == N_RUNS
    return path, BatchStore.open(reference).summary()


def start_batch(path: Path, out: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "batch", str(path), "--out", str(out), "--serial",
         "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finished_manifests(out: Path) -> list[Path]:
    """The manifests of finished runs: a run folder's manifest, never one inside the hidden
    temporary folder (``.NAME.tmp-*``) of a run that is still being written (pathlib's ``*``
    matches names starting with a dot)."""
    runs = out / "runs"
    if not runs.is_dir():
        return []
    return [p for p in runs.glob("*/manifest.json") if not p.parent.name.startswith(".")]


def wait_for_runs(out: Path, n: int, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    """Wait until ``n`` run folders are complete (or fail if the process ends first)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        done = finished_manifests(out)
        if len(done) >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"batch ended before it could be interrupted: {proc.stderr.read()}")
        time.sleep(0.005)
    proc.kill()
    pytest.fail("batch made no progress")


def finished_run_times(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in finished_manifests(out)}


def check_resumed(path: Path, out: Path, reference: pd.DataFrame) -> None:
    before = finished_run_times(out)
    assert 0 < len(before) < N_RUNS, "the interruption must fall mid-way"
    report = run_batch(load_batch(path), out, resume=True)
    # nothing that finished is computed again; everything else is
    assert report.reused >= len(before)
    assert report.ran == N_RUNS - report.reused and report.done == N_RUNS
    after = finished_run_times(out)
    assert {k: after[k] for k in before} == before
    # the same summary as the uninterrupted batch: no duplicate, partial or missing rows
    summary = BatchStore.open(out).summary()
    pd.testing.assert_frame_equal(summary, reference)
    raw = pd.read_parquet(out / "summary")
    assert len(raw) == N_RUNS and raw["run_index"].is_unique
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]  # no temp folders
    assert not (out / ".lock").exists()


def test_killed_batch_resumes_to_the_same_summary(batch, tmp_path):
    path, reference = batch
    out = tmp_path / "killed"
    proc = start_batch(path, out)
    wait_for_runs(out, 3, proc)
    os.kill(proc.pid, signal.SIGKILL)  # no clean-up at all, possibly in the middle of a write
    proc.wait(timeout=30)
    assert (out / ".lock").exists()  # left behind by the killed process; resume takes it over
    check_resumed(path, out, reference)


def test_ctrl_c_stops_cleanly_and_resume_finishes(batch, tmp_path):
    path, reference = batch
    out = tmp_path / "interrupted"
    proc = start_batch(path, out)
    wait_for_runs(out, 2, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted after" in err and "--resume" in err
    assert len(err.strip().splitlines()) == 1  # one line, no traceback
    assert not (out / ".lock").exists()
    check_resumed(path, out, reference)
