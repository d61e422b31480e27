"""Resource bounds before starting (issue 19, item 4).

A batch or a DES office is estimated (runs, time, memory, disk) before any work starts, and a
job above a documented limit of :mod:`model.bounds` is refused with exit code 2 and one line,
unless ``--allow-large`` confirms it. The estimates are checked by hand against the measured
constants, the refusals through the real command line: a design of millions of runs, a DES
office with a huge arrival rate and horizon, and a batch that would not fit on the disk.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from test_batch_fixture import ROOT, write_batch, write_tiny_scenario

import model.bounds as bounds
from cli.main import main
from model.batch.design import plan_batch
from model.batch.runner import run_batch
from model.batch.spec import load_batch
from model.bounds import (
    Estimate,
    ResourceLimitError,
    batch_estimate,
    check_limits,
    estimate_batch,
    expected_des_cases,
    weeks_of,
)
from model.des import office_from_dict
from model.des_spec import WORKING_MINUTES_PER_WEEK

HUGE_DESIGN = """
[batch]
name = "huge"
scenarios = ["tiny.toml"]
replications = 2

[design]
method = "lhs"
uncertainties = ["volume_scale"]
samples = 1_000_000
"""
SMALL = """
[batch]
name = "small"
scenarios = ["tiny.toml"]
replications = 3
base_seed = 4
"""
HUGE_OFFICE = """
[office]
name = "huge"
weeks = 50000

[arrivals]
rate_per_week = 1e8

[staff]
clerks = 5

[[steps]]
name = "decide"
minutes = 60.0
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    write_tiny_scenario(tmp_path)
    return tmp_path


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


# --- the estimates, by hand --------------------------------------------------------------------


def test_weeks_of_counts_the_engines_weeks():
    # Monday to Sunday is one week; a week counts if its Thursday is within the horizon
    assert weeks_of(dt.date(2023, 1, 2), dt.date(2023, 1, 8)) == 1
    assert weeks_of(dt.date(2023, 1, 2), dt.date(2023, 1, 11)) == 1
    assert weeks_of(dt.date(2023, 1, 2), dt.date(2023, 1, 12)) == 2
    assert weeks_of(dt.date(2023, 1, 2), dt.date(2035, 12, 31)) == bounds.REFERENCE_WEEKS


def test_expected_des_cases_follow_the_arrival_kinds():
    assert expected_des_cases("series", (3.0, 0.0, 5.0), 3) == 8
    assert expected_des_cases("rate_per_week", (120.0,), 10) == 1200
    # weekly rates repeat cyclically: 10 weeks of (1, 2, 3) = 3 cycles + the first week
    assert expected_des_cases("weekly_rates", (1.0, 2.0, 3.0), 10) == 3 * 6 + 1


def test_batch_estimate_by_hand():
    # 10 runs of a full horizon and 4 of half of it, verwaltung, kpis, on 2 workers
    est = batch_estimate("batch x", [("verwaltung", 678, 10), ("verwaltung", 339, 4)], "kpis", 2)
    seconds = 10 * 4.9 + 4 * 4.9 / 2
    assert est.runs == 14
    assert est.seconds == pytest.approx(seconds / 2)
    assert est.memory_mb == pytest.approx(400 + 2 * 503)
    assert est.disk_mb == pytest.approx(10 * 0.216 + 4 * 0.108)
    # an external cluster: time and memory unknown, disk still counted
    ext = batch_estimate("batch x", [("gemeinde", 678, 3)], "full", None, local=False)
    assert ext.seconds is None and ext.memory_mb is None
    assert ext.disk_mb == pytest.approx(3 * 58.2)
    assert "time unknown" in ext.describe() and "memory" not in ext.describe()
    # a single run never counts two workers' memory
    one = batch_estimate("batch x", [("gemeinde", 678, 1)], "kpis", 8)
    assert one.memory_mb == pytest.approx(400 + 674)


def test_office_estimate_sees_an_overloaded_office():
    def office(rate: float) -> dict:
        return {"office": {"name": "o", "weeks": 100}, "arrivals": {"rate_per_week": rate},
                "staff": {"clerks": 2}, "steps": [{"name": "s", "minutes": 60.0}]}  # fmt: skip

    # 2 clerks x 1,846 net working minutes a week (1,600 h a year over 52 weeks,
    # model.des_spec) = 61.5 one-hour cases a week
    capacity = 2 * WORKING_MINUTES_PER_WEEK / 60.0
    assert capacity == pytest.approx(61.54, abs=0.01)
    ok = bounds.office_estimate(office_from_dict(office(60.0), "<t>"), writes=False)
    over = bounds.office_estimate(office_from_dict(office(63.0), "<t>"), writes=True)
    assert ok.cases == 6000 and ok.disk_mb == 0
    assert ok.seconds == pytest.approx(6000 / bounds.DES_CASES_PER_SECOND)
    assert over.seconds == pytest.approx(6300 / bounds.DES_OVERLOADED_CASES_PER_SECOND)
    assert over.memory_mb == pytest.approx(bounds.DES_BASE_MB + 6300 * 600 / 1024**2)


def test_resume_estimates_only_the_runs_still_to_do(folder):
    path = write_batch(folder, SMALL)
    spec = load_batch(path)
    out = folder / "out"
    assert estimate_batch(spec, plan_batch(spec), out, 2, resume=True).runs == 3
    run_batch(spec, out)
    assert estimate_batch(spec, plan_batch(spec), out, 2, resume=True).runs == 0
    assert estimate_batch(spec, plan_batch(spec), out, 2, resume=False).runs == 3


# --- the limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(("estimate", "problem"), [
    (Estimate("job", bounds.LIMIT_RUNS + 1, 10.0, 1.0, 1.0), "more than 100,000 runs"),
    (Estimate("job", 1, bounds.LIMIT_HOURS * 3600 + 1, 1.0, 1.0), "longer than 24 h"),
    (Estimate("job", 1, 1.0, 1e12, 1.0), "more memory than 80%"),
    (Estimate("job", 1, 1.0, 1.0, 1e15), "more disk than 90%"),
], ids=["runs", "time", "memory", "disk"])  # fmt: skip
def test_each_limit_refuses_and_the_flag_allows(tmp_path, estimate, problem):
    with pytest.raises(ResourceLimitError) as info:
        check_limits(estimate, tmp_path / "new" / "folder", allow=False)
    message = str(info.value)
    assert message.startswith("job: about ") and problem in message
    assert "--allow-large" in message and "Resource limits" in message
    check_limits(estimate, tmp_path, allow=True)  # confirmed: no error


def test_a_small_job_passes(tmp_path):
    check_limits(Estimate("job", 10, 60.0, 800.0, 2.0), tmp_path, allow=False)


# --- through the command line -------------------------------------------------------------------


def test_a_design_of_millions_of_runs_is_refused_before_anything_starts(folder, capsys):
    path = write_batch(folder, HUGE_DESIGN)
    out = folder / "out"
    t0 = time.monotonic()
    assert main(["batch", str(path), "--out", str(out), "--workers", "2"]) == 2
    err = one_line_error(capsys)
    assert "batch huge: about 2,000,000 runs" in err and "more than 100,000 runs" in err
    assert "--allow-large" in err
    assert not out.exists()  # nothing started, nothing left behind
    assert time.monotonic() - t0 < 60
    # --dry-run prints the estimate and says it would be refused, and exits 0
    assert main(["batch", str(path), "--out", str(out), "--dry-run"]) == 0
    assert "would be refused" in capsys.readouterr().out
    assert not out.exists()


def test_a_batch_that_would_fill_the_disk_is_refused(folder, capsys, monkeypatch):
    path = write_batch(folder, SMALL)
    monkeypatch.setattr(bounds, "free_disk_mb", lambda _path: 0.001)  # 1 kB free
    out = folder / "out"
    assert main(["batch", str(path), "--out", str(out), "--serial", "--quiet"]) == 2
    err = one_line_error(capsys)
    assert "more disk than 90% of the 0.001 MB free" in err
    assert not out.exists()
    # confirmed: it runs (the real disk has room)
    assert main(["batch", str(path), "--out", str(out), "--serial", "--quiet",
                 "--allow-large"]) == 0  # fmt: skip
    assert len(list((out / "runs").glob("*/manifest.json"))) == 3


def test_a_des_office_with_a_huge_arrival_rate_is_refused_at_once(tmp_path, capsys):
    office = tmp_path / "huge.toml"
    office.write_text(HUGE_OFFICE, encoding="utf-8")
    t0 = time.monotonic()
    assert main(["des", str(office)]) == 2
    assert time.monotonic() - t0 < 30  # no case was drawn
    err = one_line_error(capsys)
    assert "DES office huge: about 5,000,000,000,000 cases, 2,894 days" in err
    assert "longer than 24 h" in err and "more memory than" in err and "--allow-large" in err


def test_the_shipped_offices_and_batches_pass_the_limits(capsys):
    for office in sorted((ROOT / "scenarios" / "offices").glob("*.toml")):
        from model.des import load_office

        check_limits(bounds.office_estimate(load_office(office), writes=True), None, allow=False)
    for batch in sorted((ROOT / "scenarios" / "batches").glob("*.toml")):
        spec = load_batch(batch)
        estimate = estimate_batch(spec, plan_batch(spec), ROOT / "runs" / spec.name, 2)
        check_limits(estimate, None, allow=False)
