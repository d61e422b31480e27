"""The case-level discrete-event model: descriptions, conservation, determinism, semantics, CLI."""

import math
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy

from model import des
from model.des import OfficeSpec, load_office, office_from_dict, simulate_office
from model.des_spec import CALENDAR_MINUTES_PER_WEEK, WORKING_MINUTES_PER_WEEK
from model.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
OFFICES = sorted((ROOT / "scenarios" / "offices").glob("*.toml"))
DAY = 24 * 60  # minutes


def office(**tables) -> dict:
    """A small valid working-time office; keyword arguments replace whole tables."""
    data = {
        "office": {"name": "fixture", "weeks": 20},
        "arrivals": {"rate_per_week": 50.0},
        "staff": {"clerks": 2},
        "steps": [{"name": "decide", "minutes": 30.0}],
    }
    data.update(tables)
    return data


def run(data: dict, seed: int = 1, **kwargs):
    return simulate_office(office_from_dict(data, "<test>"), seed, **kwargs)


# --- shipped descriptions --------------------------------------------------------------------


def test_examples_are_shipped():
    assert {p.name for p in OFFICES} >= {"wohngeld_office.toml", "mmc_example.toml"}


@pytest.mark.parametrize("path", OFFICES, ids=lambda p: p.name)
def test_example_validates_and_conserves_cases(path):
    spec = load_office(path)
    assert isinstance(spec, OfficeSpec) and spec.source == str(path)
    result = simulate_office(spec, seed=3)
    cases, weekly, s = result.cases, result.weekly, result.summary
    assert list(cases.columns) == [
        "case", "class", "arrival", "start", "end", "steps", "staff_minutes", "automated",
    ]  # fmt: skip
    finished = cases["end"].notna()
    # conservation: every arrived case is finished or open at the end
    assert s["cases"] == len(cases) == s["completed"] + s["backlog_end"]
    assert weekly["arrivals"].sum() == len(cases)
    assert weekly["completions"].sum() == finished.sum()
    assert weekly["backlog"].iloc[-1] == (~finished).sum()
    assert (weekly["backlog"] >= 0).all()
    assert len(weekly) == spec.weeks
    assert (cases.loc[finished, "end"] >= cases.loc[finished, "arrival"]).all()
    assert (cases["start"].dropna() >= cases.loc[cases["start"].notna(), "arrival"]).all()
    assert (cases["end"].dropna() <= spec.weeks * spec.minutes_per_week).all()
    assert cases["case"].is_monotonic_increasing and cases["arrival"].is_monotonic_increasing
    # weekly lead times are the completions' arrival-to-end times in the office's weeks
    lead = (cases.loc[finished, "end"] - cases.loc[finished, "arrival"]) / spec.minutes_per_week
    assert weekly["lead_sum_weeks"].sum() == pytest.approx(lead.sum())
    assert 0.3 < s["utilisation"] < 1.0


def test_wohngeld_staff_minutes_match_the_description():
    path = ROOT / "scenarios" / "offices" / "wohngeld_office.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["office"]["weeks"] = 600  # more cases
    spec = office_from_dict(data, str(path))
    cases = simulate_office(spec, seed=5).cases
    done = cases[cases["end"].notna()]
    se = done["staff_minutes"].std() / math.sqrt(len(done))
    assert abs(done["staff_minutes"].mean() - spec.expected_staff_minutes_per_case()) < 4 * se


# --- determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", OFFICES, ids=lambda p: p.name)
def test_same_seed_same_result_other_seed_differs(path):
    spec = load_office(path)
    a, b, c = simulate_office(spec, 7), simulate_office(spec, 7), simulate_office(spec, 8)
    pd.testing.assert_frame_equal(a.cases, b.cases)
    pd.testing.assert_frame_equal(a.weekly, b.weekly)
    assert not a.cases["arrival"].equals(c.cases["arrival"])
    assert not a.weekly["completions"].equals(c.weekly["completions"])


# --- bad descriptions ------------------------------------------------------------------------

GOOD = """
[office]
weeks = 10
[arrivals]
rate_per_week = 20.0
[staff]
clerks = 2
[[steps]]
name = "decide"
minutes = 30.0
"""

CALENDAR = GOOD.replace("weeks = 10", 'weeks = 10\ntime = "calendar"')
CLASSES = '[[classes]]\nname = "a"\nshare = 0.5\npriority = 0\n'
ALLOWED_OFFICE = "allowed: description, name, time, warmup_weeks, weeks"
ONE_OF = "give exactly one of rate_per_week, weekly_rates, series"
BAD_CASES = {
    "unknown_table": (
        GOOD + "[staf]\nclerks = 1\n",
        "key 'staf': unknown table (did you mean 'staff'?); allowed: arrivals, automation,",
    ),
    "unknown_key": (
        GOOD.replace("weeks = 10", "weeks = 10\nwarmup = 2"),
        f"key 'office.warmup': unknown key (did you mean 'warmup_weeks'?); {ALLOWED_OFFICE}",
    ),
    "unknown_step_key": (
        GOOD + "minuts = 3\n",
        "key 'steps[1].minuts': unknown key (did you mean 'minutes'?)",
    ),
    "wrong_type_clerks": (
        GOOD.replace("clerks = 2", 'clerks = "two"'),
        "key 'staff.clerks': must be a whole number",
    ),
    "wrong_type_weeks": (
        GOOD.replace("weeks = 10", "weeks = 10.5"),
        "key 'office.weeks': must be a whole number",
    ),
    "wrong_type_minutes": (
        GOOD.replace("minutes = 30.0", 'minutes = "30"'),
        "key 'steps[1].minutes': must be a number",
    ),
    "wrong_type_series": (
        GOOD.replace("rate_per_week = 20.0", "series = [1, 2.5]"),
        "key 'arrivals.series': entry 2 (2.5) must be a whole number",
    ),
    "out_of_range_probability": (
        GOOD + "probability = 1.5\n",
        "key 'steps[1].probability': must lie in [0, 1]",
    ),
    "out_of_range_minutes": (
        GOOD.replace("minutes = 30.0", "minutes = 0"),
        "key 'steps[1].minutes': must lie in (0, 1e+07]",
    ),
    "out_of_range_part_time": (
        GOOD.replace("clerks = 2", "part_time = [1.0, 1.5]"),
        "key 'staff.part_time': entry 2 (1.5) must lie in (0, 1]",
    ),
    "out_of_range_rework": (
        GOOD + "rework_probability = 1.0\n",
        "key 'steps[1].rework_probability': must lie in [0, 1)",
    ),
    "out_of_range_automation": (
        GOOD + "[automation]\nshare = -0.1\n",
        "key 'automation.share': must lie in [0, 1]",
    ),
    "bad_choice_time": (
        GOOD.replace("weeks = 10", 'weeks = 10\ntime = "office"'),
        "key 'office.time': must be one of 'working', 'calendar'",
    ),
    "bad_choice_distribution": (
        GOOD + 'distribution = "normal"\n',
        "key 'steps[1].distribution': must be one of 'exponential', 'fixed', 'lognormal'",
    ),
    "two_arrival_kinds": (
        GOOD.replace("rate_per_week = 20.0", "rate_per_week = 20.0\nseries = [1, 2]"),
        f"key 'arrivals': {ONE_OF}; found rate_per_week, series",
    ),
    "no_arrival_kind": (
        GOOD.replace("rate_per_week = 20.0", ""),
        f"key 'arrivals': {ONE_OF}; found none",
    ),
    "series_length": (
        GOOD.replace("rate_per_week = 20.0", "series = [1, 2, 3]"),
        "key 'arrivals.series': must have one count per simulated week: 10 (office.weeks), not 3",
    ),
    "clerks_and_part_time": (
        GOOD.replace("clerks = 2", "clerks = 2\npart_time = [1.0]"),
        "key 'staff': give exactly one of clerks, part_time; found clerks, part_time",
    ),
    "calendar_key_in_working_mode": (
        GOOD.replace("clerks = 2", "clerks = 2\ndays = 6"),
        "key 'staff.days': is used only with office.time = \"calendar\"",
    ),
    "day_too_long": (
        CALENDAR.replace("clerks = 2", "clerks = 2\nstart_hour = 20\nhours_per_day = 6"),
        "key 'staff.hours_per_day': start_hour + hours_per_day must not exceed 24",
    ),
    "shares_not_summing_to_1": (
        GOOD + CLASSES + CLASSES.replace('"a"', '"b"').replace("0.5", "0.4"),
        "key 'classes': shares must sum to 1; they sum to 0.9",
    ),
    "duplicate_class": (
        GOOD + CLASSES + CLASSES,
        "key 'classes[2].name': class 'a' is given twice",
    ),
    "class_without_priority": (
        GOOD + '[[classes]]\nname = "a"\nshare = 1.0\n',
        "key 'classes[1].priority': is required",
    ),
    "missing_steps": (GOOD.split("[[steps]]")[0], "key 'steps': is required"),
    "steps_not_array": (
        "steps = 3\n" + GOOD.split("[[steps]]")[0],
        "key 'steps': must be an array of tables",
    ),
    "step_without_minutes": (
        GOOD.replace("minutes = 30.0", ""),
        "key 'steps[1].minutes': is required",
    ),
    "duplicate_step": (
        GOOD + '[[steps]]\nname = "decide"\nminutes = 5.0\n',
        "key 'steps[2].name': step 'decide' is given twice",
    ),
    "lognormal_without_cv": (
        GOOD + 'distribution = "lognormal"\n',
        "key 'steps[1].cv': is required with distribution = \"lognormal\"",
    ),
    "cv_without_lognormal": (
        GOOD + "cv = 0.5\n",
        "key 'steps[1].cv': is used only with distribution = \"lognormal\"",
    ),
    "missing_office": (GOOD.replace("[office]\nweeks = 10\n", ""), "key 'office': is required"),
    "missing_weeks": (GOOD.replace("weeks = 10", 'name = "x"'), "key 'office.weeks': is required"),
    "warmup_too_long": (
        GOOD.replace("weeks = 10", "weeks = 10\nwarmup_weeks = 10"),
        "key 'office.warmup_weeks': must be less than office.weeks (10)",
    ),
    "check_without_minutes": (
        GOOD + "[automation]\nshare = 0.5\ncheck_share = 0.2\n",
        "key 'automation.check_minutes': is required when check_share > 0",
    ),
    "bad_toml": ("[office\nweeks = 1\n", "not valid TOML"),
}


@pytest.mark.parametrize("kind", sorted(BAD_CASES))
def test_bad_description_gives_one_line_naming_file_and_key(tmp_path, kind):
    text, expected = BAD_CASES[kind]
    path = tmp_path / f"{kind}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_office(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: "), msg
    assert expected in msg, msg


def test_good_fixture_is_good(tmp_path):
    # the bad cases above are variations of a valid file
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    spec = load_office(path)
    assert spec.name == "good" and spec.clerks == 2 and spec.time == "working"
    assert spec.minutes_per_week == pytest.approx(1600 * 60 / 52)


def test_missing_file():
    with pytest.raises(ScenarioError, match="no_such_office.toml: file not found"):
        load_office("no_such_office.toml")


def test_office_from_dict_names_its_source():
    with pytest.raises(ScenarioError, match=r"^<built in code>: key 'staff.clerks': must lie"):
        office_from_dict(office(staff={"clerks": 0}), "<built in code>")


# --- calendar time ---------------------------------------------------------------------------


def calendar_office(**changes) -> dict:
    data = office(
        office={"weeks": 60, "warmup_weeks": 4, "time": "calendar"},
        arrivals={"rate_per_week": 60.0},
        staff={
            "part_time": [1.0, 1.0, 0.5],
            "days": 5,
            "start_hour": 8.0,
            "hours_per_day": 7.7,
        },  # fmt: skip
        steps=[
            {"name": "intake", "minutes": 20.0},
            {
                "name": "decide",
                "minutes": 60.0,
                "distribution": "lognormal",
                "cv": 0.8,
                "rework_probability": 0.1,
            },
        ],  # fmt: skip
    )
    data.update(changes)
    return data


def test_calendar_work_only_in_working_hours():
    data = calendar_office()
    result = run(data, seed=2, record_tasks=True)
    tasks, spec = result.tasks, office_from_dict(data, "<test>")
    assert len(tasks) > 5000
    share = np.asarray(spec.fte)[tasks["clerk"].to_numpy()]
    day = np.floor(tasks["start"] / DAY)
    opens = day * DAY + 8 * 60
    closes = opens + share * 7.7 * 60
    weekday = (day % 7) < 5
    begun_in_hours = weekday & (tasks["start"] >= opens - 1e-6) & (tasks["start"] < closes)
    assert begun_in_hours.all(), tasks[~begun_in_hours].head()
    # a step is finished after closing only if it was begun before closing the same day, and
    # without pause: end = start + staff minutes (full speed in calendar mode)
    assert np.allclose(tasks["end"] - tasks["start"], tasks["minutes"])
    late = tasks["end"] > closes
    assert late.any()  # the rule is exercised
    assert (tasks.loc[late, "start"] < closes[late]).all()
    # part-time clerk (share 0.5) never starts after 8:00 + 3.85 h
    part = tasks[tasks["clerk"] == 2]
    assert ((part["start"] % DAY) < 8 * 60 + 0.5 * 7.7 * 60).all()
    # the cases: every completion outside working hours is the end of a step begun in them
    cases = result.cases
    last_task_end = tasks.groupby("case")["end"].max()
    done = cases[cases["end"].notna() & ~cases["automated"]].set_index("case")
    assert np.allclose(done["end"], last_task_end.reindex(done.index))


def test_saturday_arrival_waits_for_monday():
    data = calendar_office(arrivals={"rate_per_week": 15.0})  # light load: queues are short
    cases = run(data, seed=4).cases
    minute_of_week = cases["arrival"] % CALENDAR_MINUTES_PER_WEEK
    saturday = (minute_of_week >= 5 * DAY) & (minute_of_week < 6 * DAY)
    weekend = cases[saturday & cases["start"].notna()]
    assert len(weekend) > 50
    monday_opening = (cases.loc[weekend.index, "arrival"] // CALENDAR_MINUTES_PER_WEEK + 1) * (
        CALENDAR_MINUTES_PER_WEEK
    ) + 8 * 60
    assert (weekend["start"] >= monday_opening - 1e-6).all()
    # and the office opens on time: the first of them is started at 8:00 sharp
    assert np.isclose(weekend["start"], monday_opening).any()


# --- steps, automation, classes, arrivals ----------------------------------------------------


def test_automation_reduces_staff_minutes_by_its_share_net_of_checks():
    share, check_share, check_minutes = 0.4, 0.25, 12.0
    steps = [{"name": "intake", "minutes": 20.0},
             {"name": "decide", "minutes": 80.0, "probability": 0.8}]  # fmt: skip
    # load: 100 cases/week x 84 min / (6 x 1,846 min/week) = 0.76
    base = office(office={"weeks": 300}, arrivals={"rate_per_week": 100.0},
                  staff={"clerks": 6}, steps=steps)  # fmt: skip
    auto = {
        **base,
        "automation": {
            "share": share,
            "machine_minutes": 3.0,
            "check_share": check_share,
            "check_minutes": check_minutes,
        },
    }
    without, with_ = run(base, seed=9).cases, run(auto, seed=9).cases
    assert len(without) == len(with_) > 25_000  # same arrivals (common random numbers)
    keep = without["end"].notna() & with_["end"].notna()
    m0, m1 = without.loc[keep, "staff_minutes"], with_.loc[keep, "staff_minutes"]
    expected = (1 - share) * m0.mean() + share * check_share * check_minutes
    se = math.sqrt(m1.var() / len(m1) + (1 - share) ** 2 * m0.var() / len(m0))
    assert abs(m1.mean() - expected) < 4 * se, (m1.mean(), expected, se)
    assert m1.mean() < 0.7 * m0.mean()  # the effect is far outside the sampling error
    # automated cases: no staff time unless checked; lead time = machine minutes without check
    auto_cases = with_[with_["automated"]]
    assert abs(auto_cases.shape[0] / len(with_) - share) < 0.01
    unchecked = auto_cases[auto_cases["staff_minutes"] == 0]
    assert unchecked["start"].isna().all()
    assert np.allclose((unchecked["end"] - unchecked["arrival"]).dropna(), 3.0)
    checked = auto_cases[auto_cases["staff_minutes"] > 0]
    assert np.allclose(checked["staff_minutes"], check_minutes)
    assert abs(len(checked) / len(auto_cases) - check_share) < 0.03


def test_high_priority_class_waits_less_under_load():
    classes = [{"name": "urgent", "share": 0.3, "priority": 0},
               {"name": "normal", "share": 0.7, "priority": 1}]  # fmt: skip
    # load 0.9: 2 clerks x 1,846 min/week x 0.9 / 30 min
    data = office(office={"weeks": 200, "warmup_weeks": 10},
                  arrivals={"rate_per_week": 2 * WORKING_MINUTES_PER_WEEK * 0.9 / 30},
                  classes=classes)  # fmt: skip
    cases = run(data, seed=3).cases
    wait = (cases["start"] - cases["arrival"]).groupby(cases["class"], observed=True).mean()
    assert wait["urgent"] < 0.5 * wait["normal"], wait
    assert abs((cases["class"] == "urgent").mean() - 0.3) < 0.01


def test_heap_queue_serves_like_simpys_sorted_queue(monkeypatch):
    # model.des replaces simpy's re-sorted list by a heap (speed with long backlogs); the order
    # must stay the same: priority, then original arrival. Overloaded, so queues are long.
    classes = [{"name": "a", "share": 0.5, "priority": 1},
               {"name": "b", "share": 0.5, "priority": 0}]  # fmt: skip
    steps = [{"name": "s1", "minutes": 30.0}, {"name": "s2", "minutes": 20.0,
              "probability": 0.5, "citizen_reply_weeks": 0.5}]  # fmt: skip
    data = office(arrivals={"rate_per_week": 160.0}, classes=classes, steps=steps)
    heap = run(data, seed=4).cases
    monkeypatch.setattr(des._PriorityResource, "PutQueue", simpy.resources.resource.SortedQueue)
    pd.testing.assert_frame_equal(heap, run(data, seed=4).cases)
    assert heap["end"].isna().sum() > 500


@pytest.mark.parametrize("time", ["working", "calendar"])
def test_returning_case_queues_by_original_arrival(time):
    # After the citizen's reply a case re-enters the queue in the place of its first arrival:
    # whenever the one clerk starts a task, no waiting task belongs to an older case.
    steps = [{"name": "request_documents", "minutes": 20.0, "citizen_reply_weeks": 0.2},
             {"name": "decide", "minutes": 40.0, "probability": 0.7}]  # fmt: skip
    capacity = WORKING_MINUTES_PER_WEEK if time == "working" else 5 * 7.7 * 60  # min/week
    rate = 0.9 * capacity / (20.0 + 0.7 * 40.0)  # load 0.9
    data = office(office={"weeks": 30, "time": time}, arrivals={"rate_per_week": rate},
                  staff={"clerks": 1}, steps=steps)  # fmt: skip
    tasks = run(data, seed=8, record_tasks=True).tasks
    assert (tasks["start"] > tasks["queued"]).mean() > 0.5  # there were queues
    queued, start, case = (tasks[c].to_numpy() for c in ("queued", "start", "case"))
    waiting = (queued[None, :] <= start[:, None]) & (start[None, :] > start[:, None])
    older = case[None, :] < case[:, None]
    assert not (waiting & older).any()
    returning = tasks.groupby("case")["queued"].transform("rank") > 1  # second step, later
    assert returning.sum() > 100


def test_plain_fifo_single_clerk_serves_in_arrival_order():
    data = office(staff={"clerks": 1}, arrivals={"rate_per_week": 55.0})  # load ~0.9
    cases = run(data, seed=1).cases.dropna(subset=["start"])
    assert cases["start"].is_monotonic_increasing
    assert (cases["start"] > cases["arrival"]).any()  # there was a queue


def test_rework_and_citizen_reply():
    steps = [{"name": "check", "minutes": 10.0, "distribution": "fixed",
              "rework_probability": 0.5, "max_rework": 3, "citizen_reply_weeks": 1.0},
             {"name": "notice", "minutes": 5.0, "distribution": "fixed"}]  # fmt: skip
    data = office(office={"weeks": 400}, staff={"clerks": 40}, steps=steps)  # no queueing
    cases = run(data, seed=2).cases
    done = cases[cases["end"].notna()]
    executions = done["steps"] - 1  # of the first step
    assert executions.between(1, 4).all()
    assert executions.mean() == pytest.approx(1 + 0.5 + 0.25 + 0.125, abs=0.02)
    assert np.allclose(done["staff_minutes"], 10.0 * executions + 5.0)
    # lead time = staff minutes + the citizen's exponential wait (mean one working week)
    reply = done["end"] - done["arrival"] - done["staff_minutes"]
    assert (reply > -1e-6).all()
    se = reply.std() / math.sqrt(len(reply))
    assert abs(reply.mean() - WORKING_MINUTES_PER_WEEK) < 4 * se


def test_step_probability_and_part_time_speed_in_working_mode():
    steps = [{"name": "a", "minutes": 10.0, "distribution": "fixed", "probability": 0.3}]
    data = office(staff={"part_time": [1.0, 0.5]}, steps=steps)
    result = run(data, seed=6, record_tasks=True)
    cases, tasks = result.cases, result.tasks
    assert abs((cases["steps"] > 0).mean() - 0.3) < 0.03
    idle = cases[cases["steps"] == 0]  # nothing to do: the case ends on arrival
    assert (idle["end"] == idle["arrival"]).all() and idle["start"].isna().all()
    wall = (tasks["end"] - tasks["start"]).groupby(tasks["clerk"]).mean()
    assert wall[0] == pytest.approx(10.0) and wall[1] == pytest.approx(20.0)


@pytest.mark.parametrize("time", ["working", "calendar"])
def test_series_arrivals_reproduce_recorded_counts(time):
    series = [0, 5, 17, 3, 0, 40, 1, 12]
    data = office(office={"weeks": len(series), "time": time},
                  arrivals={"series": series})  # fmt: skip
    weekly = run(data, seed=5).weekly
    assert weekly["arrivals"].tolist() == series


def test_weekly_rates_repeat_cyclically():
    data = office(office={"weeks": 400}, arrivals={"weekly_rates": [10.0, 90.0]},
                  staff={"clerks": 3})  # fmt: skip
    arrivals = run(data, seed=5).weekly["arrivals"].to_numpy()
    assert arrivals[0::2].mean() == pytest.approx(10.0, abs=1.5)
    assert arrivals[1::2].mean() == pytest.approx(90.0, abs=4.0)


# --- command line ----------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "des", *args],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip


def test_cli_des_prints_summary_and_writes_tables(tmp_path):
    proc = cli("scenarios/offices/mmc_example.toml", "--seed", "1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    for words in ("cases arrived", "cases completed", "lead time mean / median / p90",
                  "backlog at the end", "staff utilisation", "cases/s"):  # fmt: skip
        assert words in proc.stdout
    cases = pd.read_parquet(tmp_path / "cases.parquet")
    weekly = pd.read_parquet(tmp_path / "weekly.parquet")
    assert len(weekly) == 260 and weekly["arrivals"].sum() == len(cases)


def test_cli_des_bad_file_exit_2_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("clerks = 2", "clerks = -1"), encoding="utf-8")
    proc = cli(str(path), "--seed", "1")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"foedsim: error: {path}: key 'staff.clerks': must lie between 1 and 10000"]
