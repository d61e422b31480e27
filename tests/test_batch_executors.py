"""Executors (issue 8, point 3): serial, local processes and a local Dask cluster give identical
tables for the same seeds; processes draw tasks lazily, pin their thread pools and survive a
worker that dies.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from test_batch_fixture import die_on_three, thread_settings, write_batch, write_tiny_scenario

from model.batch.executors import (
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
)
from model.batch.runner import run_batch
from model.batch.spec import load_batch
from model.batch.store import BatchStore
from model.errors import FoedsimError
from model.storage import read_run

BATCH = """
[batch]
name = "executors"
scenarios = ["tiny.toml"]
replications = 2
base_seed = 21
[design]
method = "lhs"
samples = 2
uncertainties = ["volume_scale", "fungible_share"]
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    folder = tmp_path_factory.mktemp("executors")
    write_tiny_scenario(folder)
    return load_batch(write_batch(folder, BATCH))


@pytest.fixture(scope="module")
def serial_result(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "b"
    report = run_batch(spec, out, executor=SerialExecutor())
    assert report.done == 4
    return out


def assert_same_results(a, b):
    sa, sb = BatchStore.open(a).summary(), BatchStore.open(b).summary()
    pd.testing.assert_frame_equal(sa, sb)
    for run_id in sa["run_id"]:
        ra, rb = read_run(a / "runs" / run_id), read_run(b / "runs" / run_id)
        assert ra.tables == rb.tables
        for name in ra.tables:
            pd.testing.assert_frame_equal(ra.table(name), rb.table(name))


def test_local_processes_give_identical_tables(spec, serial_result, tmp_path):
    with ProcessExecutor(workers=2) as executor:
        report = run_batch(spec, tmp_path / "p", executor=executor)
    assert report.done == 4
    assert_same_results(serial_result, tmp_path / "p")


def test_dask_local_cluster_gives_identical_tables(spec, serial_result, tmp_path):
    pytest.importorskip("distributed")
    with DaskExecutor(local_workers=2) as executor:
        assert executor.workers == 2
        report = run_batch(spec, tmp_path / "d", executor=executor)
        sessions = BatchStore.open(tmp_path / "d").manifest()["sessions"]
    assert report.done == 4
    assert sessions[0]["executor"] == "dask" and sessions[0]["cluster"] == "local"
    assert_same_results(serial_result, tmp_path / "d")


def test_process_executor_draws_tasks_lazily_and_survives_a_dead_worker():
    pulled = []

    def tasks():
        for x in itertools.count():
            if x == 8:
                return
            pulled.append(x)
            yield x

    with ProcessExecutor(workers=2) as executor:
        results = executor.map_unordered(die_on_three, tasks())
        first_task, first = next(results)
        assert len(pulled) <= executor.max_in_flight  # never the whole iterable at once
        rest = dict([(first_task, first), *results])
        # the pool was replaced: the same executor goes on
        assert dict(executor.map_unordered(die_on_three, [4, 5])) == {4: 16, 5: 25}
    assert sorted(rest) == list(range(8))  # every task reported once
    assert isinstance(rest[3], Exception)  # the run that killed its worker is reported
    # runs queued with it may be lost too (reported as failures); the others are right
    assert all(r == x * x for x, r in rest.items() if not isinstance(r, Exception))


def test_worker_processes_pin_their_thread_pools():
    with ProcessExecutor(workers=1) as executor:
        ((_, (omp, arrow_cpus)),) = list(executor.map_unordered(thread_settings, [0]))
    assert (omp, arrow_cpus) == ("1", 1)


def test_make_executor_choices():
    assert isinstance(make_executor(serial=True), SerialExecutor)
    default = make_executor()
    assert isinstance(default, ProcessExecutor) and default.workers >= 1
    assert make_executor(workers=3).workers == 3
    with pytest.raises(FoedsimError, match="choose one"):
        make_executor(serial=True, workers=2)
    with pytest.raises(FoedsimError, match="at least 1"):
        make_executor(workers=0)
