"""Dated demand events (model/events.py, issue 16 item 4): the table's checks, the level change
and the surge worked out by hand on a small calendar, and the baseline's reform waves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from model.catalogue import CatalogueError, load_catalogue, shock_weekly_weights
from model.demand import Calendar
from model.events import COLUMNS, build_events, load_events
from model.runner import run_scenario
from model.scenario import load_scenario


def event_row(**values) -> dict:
    row = dict(event_id="e", service_id="einbuergerung", date="2024-01-10", factor_before="1.0",
               factor_after="2.0", factor_low="1.5", factor_high="2.5", surge_share="0.5",
               surge_low="0.1", surge_high="1.0", surge_weeks="4", profile="front_loaded",
               source="test")  # fmt: skip
    row.update(values)
    return row


def build(*rows: dict):
    return build_events(pd.DataFrame(list(rows), columns=list(COLUMNS)),
                        load_catalogue().services)  # fmt: skip


def test_packaged_events_load():
    t = load_events().table
    assert set(t["event_id"]) == {"wohngeld_plus", "starmodg", "ukraine_residence"}
    assert t.set_index("event_id").at["starmodg", "date"] == dt.date(2024, 6, 27)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service_id": "nonsense"}, "service_id 'nonsense' is not a recurring service"),
        ({"service_id": "epp200"}, "service_id 'epp200' is not a recurring service"),
        ({"profile": "spiky"}, "profile 'spiky'; allowed: flat, front_loaded"),
        ({"date": "2024-13-01"}, "date '2024-13-01'; allowed: a date YYYY-MM-DD"),
        ({"surge_weeks": "-2"}, "column 'surge_weeks' is '-2'; allowed: a number >= 0"),
        ({"factor_after": "3.0"}, "'factor_after' must lie in [factor_low, factor_high]"),
        ({"surge_share": "2.0"}, "'surge_share' must lie in [surge_low, surge_high]"),
        ({"source": ""}, "column 'source' is empty"),
    ],
)
def test_bad_rows_are_named(change, message):
    with pytest.raises(CatalogueError) as err:
        build(event_row(**change))
    assert str(err.value).startswith("model/data/demand_events.csv row 2: ")
    assert message in str(err.value)


def test_duplicate_event_named():
    with pytest.raises(CatalogueError, match="event_id 'e' appears twice"):
        build(event_row(), event_row())


def test_level_and_surge_by_hand():
    # weeks from Monday 2024-01-01; the event's Wednesday 10.1. lies in week 1
    cal = Calendar.from_dates(dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    services = ("wohngeld", "einbuergerung")
    season = np.ones((2, cal.n_weeks))
    shocks = np.zeros((2, cal.n_weeks))
    volume = np.array([1000.0, 520.0])
    build(event_row()).apply(services, volume, cal, season, shocks)
    assert season[0].tolist() == [1.0] * cal.n_weeks  # another service: untouched
    assert season[1, 0] == 1.0 and (season[1, 1:] == 2.0).all()
    # surge 0.5 x 520 = 260 cases over 4 weeks, front-loaded 4:3:2:1
    assert shocks[1, 1:5].tolist() == pytest.approx([104.0, 78.0, 52.0, 26.0], abs=1e-12)
    assert shocks[1, 0] == 0.0 and (shocks[1, 5:] == 0.0).all() and not shocks[0].any()


def test_event_before_the_start_keeps_only_the_rest_of_its_surge():
    cal = Calendar.from_dates(dt.date(2024, 1, 15), dt.date(2024, 3, 31))  # event in week -1
    season, shocks = np.ones((1, cal.n_weeks)), np.zeros((1, cal.n_weeks))
    build(event_row()).apply(("einbuergerung",), np.array([520.0]), cal, season, shocks)
    assert (season == 2.0).all()
    assert shocks[0, :3].tolist() == pytest.approx([78.0, 52.0, 26.0], abs=1e-12)


def test_surges_before_the_start_go_to_the_warm_up_weeks_by_hand():
    # start Monday 2024-03-11: the event of Wednesday 10.1. began in week -9 (Monday 8.1.)
    cal = Calendar.from_dates(dt.date(2024, 3, 11), dt.date(2024, 6, 30))
    events = build(event_row(surge_weeks="20", profile="flat"))
    services = ("wohngeld", "einbuergerung")
    volume = np.array([1000.0, 520.0])
    assert cal.week_of(dt.date(2024, 1, 10)) == -9
    # 0.5 x 520 = 260 cases over 20 weeks, flat: 13 a week; the 9 weeks before the start are
    # the last 9 of a 12-week warm-up; the other 11 weeks go to the run (apply)
    before = events.surges_before(services, volume, cal, 12)
    assert before.shape == (2, 12) and not before[0].any()
    assert before[1].tolist() == pytest.approx([0.0] * 3 + [13.0] * 9, abs=1e-12)
    season, shocks = np.ones((2, cal.n_weeks)), np.zeros((2, cal.n_weeks))
    events.apply(services, volume, cal, season, shocks)
    assert shocks[1, :11].tolist() == pytest.approx([13.0] * 11) and not shocks[1, 11:].any()
    # a shorter warm-up keeps only its weeks (the earlier cases are not simulated); none, none
    assert events.surges_before(services, volume, cal, 4)[1].tolist() == pytest.approx([13.0] * 4)
    assert events.surges_before(services, volume, cal, 0).shape == (2, 0)


@pytest.fixture(scope="module")
def waves():
    sc = load_scenario("scenarios/baseline.toml")
    sc = dataclasses.replace(sc, end=dt.date(2024, 12, 31))
    out = {}
    for ev in ("history", "none"):
        k = run_scenario(sc.with_parameters(demand_events=ev), seed=4, tables="kpis")
        k = k.tables["kpis"]
        nat = k[(k["level"] == "all") & (k["kpi"] == "arrivals_cases")]
        out[ev] = nat.pivot(index="service_id", columns="year", values="value")
        stock = k[(k["level"] == "all") & (k["kpi"] == "backlog_cases")]
        out[f"{ev}_backlog"] = stock.pivot(index="service_id", columns="year", values="value")
    return out


def test_baseline_has_the_reform_waves(waves):
    history, none = waves["history"], waves["none"]
    volume = load_catalogue().services.set_index("service_id")["volume_per_year"]
    events = load_events().table.set_index("event_id")
    # Wohngeld-Plus: the 2023 catch-up adds surge_share x the annual volume (Poisson noise:
    # sd ~ sqrt(2 million) ~ 1,400 cases per run)
    surge = events.at["wohngeld_plus", "surge_share"] * volume["wohngeld"]
    extra = history.at["wohngeld", 2023] - none.at["wohngeld", 2023]
    assert extra == pytest.approx(surge, abs=8000)
    assert history.at["wohngeld", 2024] == pytest.approx(none.at["wohngeld", 2024], rel=0.01)
    # StARModG (27.6.2024): more naturalisation applications in 2024, none before
    assert history.at["einbuergerung", 2023] == none.at["einbuergerung", 2023]
    assert history.at["einbuergerung", 2024] > 1.3 * none.at["einbuergerung", 2024]
    # Ukraine (from 4.3.2022): the surge's last weeks fall into 2023, its earlier ones into
    # the warm-up, whose open cases the offices hold at the start; 2024 is untouched
    ukraine = events.loc["ukraine_residence"]
    weights = shock_weekly_weights(ukraine["profile"], int(ukraine["surge_weeks"]))
    start = dt.date(2023, 1, 2)
    w0 = (ukraine["date"] - start).days // 7  # -44: week -44 holds 4.3.2022
    tail = ukraine["surge_share"] * volume["aufenthaltstitel"] * weights[-w0:].sum()
    extra = history.at["aufenthaltstitel", 2023] - none.at["aufenthaltstitel", 2023]
    assert extra == pytest.approx(tail, abs=3000)  # Poisson sd ~ sqrt(tail) ~ 80
    assert history.at["aufenthaltstitel", 2024] == none.at["aufenthaltstitel", 2024]
    backlog, backlog_none = waves["history_backlog"], waves["none_backlog"]
    assert backlog.at["aufenthaltstitel", 2023] > 1.1 * backlog_none.at["aufenthaltstitel", 2023]
    # the other services are untouched (same random numbers: common random numbers hold)
    others = [s for s in history.index
              if s not in ("wohngeld", "einbuergerung", "aufenthaltstitel", "all")]  # fmt: skip
    pd.testing.assert_frame_equal(history.loc[others], none.loc[others])
