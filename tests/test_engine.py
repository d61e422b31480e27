"""The weekly engine: hand-checked FIFO fixture, conservation, determinism, scale, common random
numbers, the step plan and the agents.

The fixture (tests/engine_fixture.py) has fixed arrivals, so its results follow by hand from
the FIFO rule in model/processing.py; the other tests run the real baseline for half a year
(2023-01-02 to 2023-06-30) at ``verwaltung`` granularity.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import engine_fixture as fx
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from model.agencies import build_routing
from model.agents import AGENT_CLASS
from model.catalogue import load_catalogue
from model.engine import AGG_FIELDS, STEP_PLAN, FederalModel
from model.geography import load_germany, municipal_units
from model.processing import QueueState, step_queues
from model.results import kpi_table, run_tables, weekly_table
from model.runner import run_scenario
from model.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHORT_END = dt.date(2023, 6, 30)
ALL_TABLES = ("kpis", "weekly", "agencies", "staff", "staff_agencies", "costs")
F = {name: i for i, name in enumerate(AGG_FIELDS)}

# Fixture constants, derived here by hand (not read back from the model).
FTE_MINUTES_WEEK = 1600 * 60 / 52  # fte_hours_per_year x 60 / weeks_per_year
PROCESSING_WEEKS = fx.MINUTES / (FTE_MINUTES_WEEK * fx.PRODUCTIVITY)  # 96 min = 0.052 weeks


# --- helpers -------------------------------------------------------------------------------


@dataclasses.dataclass
class Recorded:
    """A finished model with what it started from and the cell arrivals it used."""

    model: FederalModel
    initial_backlog: np.ndarray  # per pair, after the warm-up
    cell_arrivals: np.ndarray  # (weeks, cells): the arrivals per demand cell, as drawn


def run_recorded(m: FederalModel) -> Recorded:
    """Run ``m`` week by week, keeping each week's per-cell arrivals."""
    b0 = m.queues.backlog.copy()
    while m.week < m.calendar.n_weeks:
        m.step()
    years = np.unique(m.calendar.year)
    return Recorded(m, b0, np.concatenate([m.cell_arrivals(int(y)) for y in years]))


def load_short() -> Scenario:
    """The baseline, ending 2023-06-30, at verwaltung granularity.

    Loaded from the repository root with a relative path, as the CLI does, so the scenario's
    ``files`` stay relative (run manifests refuse absolute paths).
    """
    with contextlib.chdir(ROOT):
        sc = load_scenario("scenarios/baseline.toml")
    return dataclasses.replace(sc, end=SHORT_END).with_parameters(granularity="verwaltung")


def national(kpis: pd.DataFrame, kpi: str, year: int | None = None) -> float:
    """A nationwide KPI (the first year unless given)."""
    sel = kpis[(kpis["level"] == "all") & (kpis["service_id"] == "all") & (kpis["kpi"] == kpi)]
    if year is not None:
        sel = sel[sel["year"] == year]
    return float(sel["value"].iloc[0])


def stack(trace_field: list[np.ndarray]) -> np.ndarray:
    """A Trace field as one (weeks, pairs) array."""
    return np.array(trace_field)


@pytest.fixture(scope="module")
def short() -> Scenario:
    return load_short()


@pytest.fixture(scope="module")
def traced(short) -> Recorded:
    """The short baseline, seed 1, traced."""
    return run_recorded(FederalModel(short, seed=1, trace=True))


@pytest.fixture(scope="module")
def traced_tables(traced) -> dict[str, pd.DataFrame]:
    return run_tables(traced.model, ALL_TABLES)


@pytest.fixture(scope="module")
def fixture_run() -> FederalModel:
    return fx.fixture_model().run()


# --- 1. hand-checked fixture ---------------------------------------------------------------


def hand_fifo_mean_wait(arrival_rate: float, capacity: float, week: int) -> float:
    """Mean wait of the cases completed in ``week`` for a queue that starts empty at time 0,
    with constant arrival rate > capacity (so the clerks are never idle).

    Fluid FIFO: case mass ``n`` arrives at ``n / arrival_rate`` and, served oldest first at a
    constant rate, completes at ``n / capacity``. The cases completed in week ``t`` are
    ``n`` in ``[capacity t, capacity (t + 1))``. Their waits are averaged on a fine grid
    (midpoint rule, exact for this linear integrand).
    """
    assert arrival_rate > capacity
    k = 1000
    n = capacity * week + (np.arange(int(capacity) * k) + 0.5) / k
    return float(np.mean(n / capacity - n / arrival_rate))


def test_fixture_initial_staff_and_capacity():
    m = fx.fixture_model()
    # own FTE = expected weekly work / (FTE minutes per week x productivity x utilisation)
    expected_work = np.array(fx.EXPECTED_PER_WEEK) * fx.MINUTES
    want_fte = expected_work / (FTE_MINUTES_WEEK * fx.PRODUCTIVITY * fx.UTILISATION)
    np.testing.assert_allclose(m.own_fte, want_fte, rtol=1e-12)
    np.testing.assert_allclose(m.own_fte, [0.416, 0.52], rtol=1e-12)
    # The fixture relies on whole-number capacities (see engine_fixture.py).
    np.testing.assert_allclose(m.own_fte * m.capacity_per_fte, fx.CAPACITY_PER_WEEK, rtol=1e-12)
    np.testing.assert_allclose(m.processing_weeks, [0.052, 0.052], rtol=1e-12)
    assert m.queues.backlog.tolist() == [0, 0]
    assert m.queues.credit.tolist() == [0.0, 0.0]
    assert m.calendar.n_weeks == 13


def test_fixed_arrivals_skip_the_warm_up():
    # At utilisation 0.999 a 26-week warm-up of Poisson arrivals would leave a backlog behind;
    # with fixed arrivals there is no warm-up, so the queues start empty.
    sc = fx.fixture_scenario(utilisation_2023=0.999, warmup_weeks=26)
    assert fx.fixture_model(scenario=sc).queues.backlog.tolist() == [0, 0]


def test_fixture_hand_checked_backlog_and_lead_times(fixture_run):
    m = fixture_run
    tr = m.trace
    n_weeks = m.calendar.n_weeks
    (a_in, b_in), (a_cap, b_cap) = fx.ARRIVALS_PER_WEEK, fx.CAPACITY_PER_WEEK
    assert b_cap > b_in  # B is never short of capacity
    for t in range(n_weeks):
        # A: 10 arrive, 8 are completed, the backlog grows by 2 a week.
        assert tr.arrivals[t].tolist() == [a_in, b_in]
        assert tr.completions[t].tolist() == [8, 5]
        assert tr.backlog[t].tolist() == [2 * (t + 1), 0]
        mean_lead = tr.lead_sum[t] / tr.completions[t]
        want_a = hand_fifo_mean_wait(a_in, a_cap, t) + PROCESSING_WEEKS
        assert want_a == pytest.approx((t + 0.5) * (1 - a_cap / a_in) + 0.052, abs=1e-12)
        assert abs(mean_lead[0] - want_a) <= 1e-9, (t, mean_lead[0], want_a)
        # B: capacity 10 > 5 arrivals: each case is done as it arrives; lead = processing time.
        assert abs(mean_lead[1] - PROCESSING_WEEKS) <= 1e-9, (t, mean_lead[1])
    assert m.queues.backlog.tolist() == [2 * n_weeks, 0]


def test_fixture_result_tables(fixture_run):
    m = fixture_run
    n = m.calendar.n_weeks
    weekly = weekly_table(m)
    a_rows = weekly[weekly["land"] == "01"].reset_index(drop=True)
    b_rows = weekly[weekly["land"] == "02"].reset_index(drop=True)
    assert len(a_rows) == len(b_rows) == n
    for t in range(n):
        want = hand_fifo_mean_wait(10, 8.0, t) + PROCESSING_WEEKS
        assert a_rows.at[t, "lead_time_weeks"] == pytest.approx(want, abs=1e-9)
        assert b_rows.at[t, "lead_time_weeks"] == pytest.approx(PROCESSING_WEEKS, abs=1e-9)
    assert a_rows["backlog"].tolist() == [2 * (t + 1) for t in range(n)]

    kpis = kpi_table(m)
    assert national(kpis, "arrivals_cases") == 15 * n
    assert national(kpis, "completions_cases") == 13 * n
    assert national(kpis, "backlog_cases") == 2 * n
    lead_total = sum(8 * (hand_fifo_mean_wait(10, 8.0, t) + PROCESSING_WEEKS) for t in range(n))
    lead_total += 5 * n * PROCESSING_WEEKS
    assert national(kpis, "lead_time_weeks") == pytest.approx(lead_total / (13 * n), abs=1e-9)
    # A uses all of its 8 cases of capacity, B 5 of its 10.
    assert national(kpis, "utilisation") == pytest.approx(13 / 18, rel=1e-12)
    assert national(kpis, "staff_fte") == pytest.approx(0.416 + 0.52, rel=1e-12)


def test_fifo_whole_capacity_credit_rule():
    # Whole cases, fractional capacity carried as credit: 2.5 cases/week complete 2, 3, 2, 3.
    st = QueueState.empty(1)
    done = []
    for t in range(6):
        flows = step_queues(st, float(t), np.array([10]), np.array([2.5]), np.array([0.0]))
        done.append(int(flows.completions[0]))
    assert done == [2, 3, 2, 3, 2, 3]
    # Idle capacity carries over up to one case only: 2.5 - 1 = 1.5 unused -> credit 1.
    st = QueueState.empty(1)
    step_queues(st, 0.0, np.array([1]), np.array([2.5]), np.array([0.0]))
    assert st.credit.tolist() == [1.0]
    # A tiny office (0.3 cases/week) that was idle does a rare case on arrival ...
    st = QueueState.empty(1)
    for t in range(4):  # idle weeks bank 0.3, 0.6, 0.9, 1.0 (capped)
        step_queues(st, float(t), np.array([0]), np.array([0.3]), np.array([0.0]))
    assert st.credit.tolist() == [1.0]
    flows = step_queues(st, 4.0, np.array([1]), np.array([0.3]), np.array([0.0]))
    assert flows.completions.tolist() == [1.0] and flows.lead_sum.tolist() == [0.0]
    # ... and an idle queue with a full credit and no arrivals does not change at all.
    before = (st.backlog.copy(), st.credit.copy())
    st.credit[:] = 1.0
    flows = step_queues(st, 5.0, np.array([0]), np.array([0.3]), np.array([0.0]))
    assert flows.completions.tolist() == [0.0] and st.credit.tolist() == [1.0]
    assert st.backlog.tolist() == before[0].tolist()


def test_fifo_exact_for_constant_fractional_capacity():
    # Fluid FIFO from empty, 3 cases/week arriving, 2.5/week completed: case mass n arrives
    # at n/3 and completes at n/2.5, so the first D cases wait D^2/2 (1/2.5 - 1/3) in all.
    a, c, weeks = 3, 2.5, 20
    st = QueueState.empty(1)
    lead, done = 0.0, 0
    for t in range(weeks):
        flows = step_queues(st, float(t), np.array([a]), np.array([c]), np.array([0.0]))
        lead += float(flows.lead_sum[0])
        done += int(flows.completions[0])
    assert done == 50  # = 2.5 x 20: whole and fluid completions coincide
    assert lead / done == pytest.approx(done / 2 * (1 / c - 1 / a), abs=1e-9)


# --- 2. conservation -----------------------------------------------------------------------


def check_conservation(m: FederalModel, initial_backlog: np.ndarray) -> None:
    tr = m.trace
    arrivals, completions, backlog = stack(tr.arrivals), stack(tr.completions), stack(tr.backlog)
    cum_a, cum_c = stack(tr.cum_arrivals), stack(tr.cum_completions)
    t_in, t_out = stack(tr.transfers_in), stack(tr.transfers_out)
    assert arrivals.shape == (m.calendar.n_weeks, m.n_pairs)
    # Stock and flows: every pair, every week, exactly (integers).
    lhs = initial_backlog[None, :] + cum_a + t_in - t_out
    rhs = cum_c + backlog
    bad = np.argwhere(lhs != rhs)
    assert len(bad) == 0, f"conservation fails at (week, pair) {bad[:5].tolist()}"
    # The conservation counters agree with the weekly flows they accumulate.
    np.testing.assert_array_equal(cum_a, np.cumsum(arrivals, axis=0))
    np.testing.assert_array_equal(cum_c, np.cumsum(completions, axis=0))
    # Completions are never negative, never more than what was there to do.
    before = np.vstack([initial_backlog[None, :], backlog[:-1]])
    assert (completions >= 0).all()
    assert (completions <= before + arrivals).all()
    assert (backlog >= 0).all()
    # The weekly (Land, level, service) aggregates are sums of their pairs.
    group = m.routing.pairs["group"].to_numpy()
    n_groups = len(m.routing.groups)
    for name, per_pair in (("arrivals", arrivals), ("completions", completions),
                           ("backlog", backlog)):  # fmt: skip
        for t in range(m.calendar.n_weeks):
            want = np.bincount(group, per_pair[t], minlength=n_groups)
            np.testing.assert_array_equal(m.weekly[t, F[name]], want, err_msg=f"{name} week {t}")
    lead = stack(tr.lead_sum)
    for t in range(m.calendar.n_weeks):
        want = np.bincount(group, lead[t], minlength=n_groups)
        np.testing.assert_allclose(m.weekly[t, F["lead_sum"]], want, rtol=1e-12, atol=1e-9)
    # Totals over all groups and weeks equal the totals over all pairs and weeks.
    assert m.weekly[:, F["arrivals"]].sum() == arrivals.sum() == cum_a[-1].sum()
    assert m.weekly[:, F["completions"]].sum() == completions.sum() == cum_c[-1].sum()


def test_conservation_fixture(fixture_run):
    check_conservation(fixture_run, np.zeros(fixture_run.n_pairs, np.int64))


def test_conservation_real_run(traced):
    m = traced.model
    # The warm-up leaves queues near their steady state (not empty): it is the initial stock.
    assert traced.initial_backlog.sum() > 0
    check_conservation(m, traced.initial_backlog)
    # The pairs' arrivals are the routed cell arrivals.
    for t in range(m.calendar.n_weeks):
        routed = np.bincount(m.routing.cell_pair, traced.cell_arrivals[t], minlength=m.n_pairs)
        np.testing.assert_array_equal(m.trace.arrivals[t], routed)


# --- 3. determinism ------------------------------------------------------------------------


def test_same_seed_same_tables(short, traced_tables):
    # A fresh model with the same seed (and without the trace) gives identical tables.
    again = run_tables(FederalModel(short, seed=1).run(), ALL_TABLES)
    for name in ALL_TABLES:
        assert_frame_equal(again[name], traced_tables[name], check_exact=True, obj=name)


def test_threads_do_not_change_results(short, traced_tables):
    two = run_tables(FederalModel(short, seed=1, threads=2).run(), ALL_TABLES)
    for name in ALL_TABLES:
        assert_frame_equal(two[name], traced_tables[name], check_exact=True, obj=name)


def test_run_written_twice_same_manifest(short, tmp_path):
    first = run_scenario(short, seed=3, tables="full", out=tmp_path / "a")
    second = run_scenario(short, seed=3, tables="full", out=tmp_path / "b")
    manifests = []
    for out in (first.path, second.path):
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest.pop("created_at")
        manifests.append(manifest)
    assert manifests[0] == manifests[1]
    assert manifests[0]["seed"] == 3
    assert set(manifests[0]["tables"]) == set(ALL_TABLES)
    for name in ALL_TABLES:
        assert_frame_equal(first.tables[name], second.tables[name], check_exact=True)
        a = pd.read_parquet(first.path / f"{name}.parquet")
        b = pd.read_parquet(second.path / f"{name}.parquet")
        assert_frame_equal(a, b, check_exact=True)


def test_other_seed_other_arrivals(short, traced_tables):
    other = weekly_table(FederalModel(short, seed=2).run())["arrivals"].to_numpy()
    base = traced_tables["weekly"]["arrivals"].to_numpy()
    assert len(other) == len(base)
    assert np.mean(other != base) > 0.5  # most (week, group) cells differ
    assert other.sum() == pytest.approx(base.sum(), rel=0.01)  # the same demand, redrawn


# --- 4. scale ------------------------------------------------------------------------------


def test_fixture_doubling_demand_keeps_lead_times():
    one = fx.fixture_model(scale=1).run()
    two = fx.fixture_model(scale=2).run()
    np.testing.assert_allclose(two.own_fte, 2 * one.own_fte, rtol=1e-15)
    np.testing.assert_allclose(two.own_fte * two.capacity_per_fte, [16.0, 20.0], rtol=1e-12)
    np.testing.assert_array_equal(stack(two.trace.backlog), 2 * stack(one.trace.backlog))
    np.testing.assert_array_equal(stack(two.trace.completions), 2 * stack(one.trace.completions))
    lead_one = stack(one.trace.lead_sum) / stack(one.trace.completions)
    lead_two = stack(two.trace.lead_sum) / stack(two.trace.completions)
    np.testing.assert_allclose(lead_two, lead_one, rtol=1e-12, atol=0)


def test_doubling_volume_with_random_arrivals(short):
    # Staff are sized on expected demand, so volume_scale 2 doubles staff exactly and keeps
    # the utilisation. Lead times do NOT stay within 2 %: with Poisson arrivals at a fixed
    # utilisation, waits shrink as offices grow (economies of scale of queues; measured
    # 0.176 -> 0.122 weeks nationwide), so the test only asks that they shrink, and that
    # they stay above the pure processing time. Staff are constant here: whole persons
    # (dynamic staff) do not double exactly when FTE doubles (rounding, at least one person).
    kpis = {}
    for scale in (1.0, 2.0):
        sc = short.with_parameters(volume_scale=scale, staff_model="constant")
        kpis[scale] = [kpi_table(FederalModel(sc, seed=s).run()) for s in range(5)]

    def mean(scale: float, kpi: str) -> float:
        return float(np.mean([national(k, kpi) for k in kpis[scale]]))

    assert mean(2.0, "staff_fte") == pytest.approx(2 * mean(1.0, "staff_fte"), rel=1e-9)
    assert mean(2.0, "arrivals_cases") == pytest.approx(2 * mean(1.0, "arrivals_cases"), rel=0.02)
    assert mean(2.0, "completions_cases") == pytest.approx(
        2 * mean(1.0, "completions_cases"), rel=0.02
    )
    assert mean(2.0, "utilisation") == pytest.approx(mean(1.0, "utilisation"), rel=0.02)
    assert mean(2.0, "lead_time_weeks") < mean(1.0, "lead_time_weeks")


# --- 5. common random numbers --------------------------------------------------------------


def cells_by_service(rec: Recorded) -> dict[str, pd.DataFrame]:
    """Per service id: arrivals as a (weeks x draw unit) frame."""
    r = rec.model.routing
    out = {}
    for s, sid in enumerate(r.services):
        sel = np.flatnonzero(r.cell_service == s)
        out[sid] = pd.DataFrame(rec.cell_arrivals[:, sel], columns=r.cell_unit[sel])
    return out


def test_crn_one_off_programme(short, traced):
    opening = dt.date(2023, 4, 3)
    shock = dataclasses.replace(
        short, shocks={"ueberbrueckungshilfe": {"start": opening, "scale": 1.0}}
    )
    rec = run_recorded(FederalModel(shock, seed=1, trace=True))
    base, other = cells_by_service(traced), cells_by_service(rec)
    assert set(other) == set(base) | {"ueberbrueckungshilfe"}
    for sid, frame in base.items():
        assert_frame_equal(other[sid], frame, check_exact=True, obj=sid)
    # The programme's own service: nothing before it opens (as in the baseline, which has no
    # such service), then about 2 million / 104 weeks a week (flat profile).
    week0 = rec.model.calendar.week_of(opening)
    programme = other["ueberbrueckungshilfe"].to_numpy()
    assert 0 < week0 < rec.model.calendar.n_weeks
    assert programme[:week0].sum() == 0
    weeks_open = rec.model.calendar.n_weeks - week0
    assert programme[week0:].sum() == pytest.approx(2_000_000 / 104 * weeks_open, rel=0.02)


def test_crn_service_volume_lever(short, traced):
    sc = dataclasses.replace(short, services={"wohngeld": {"volume_factor": 1.5}})
    rec = run_recorded(FederalModel(sc, seed=1))
    base, other = cells_by_service(traced), cells_by_service(rec)
    assert set(other) == set(base)
    for sid, frame in base.items():
        if sid != "wohngeld":
            assert_frame_equal(other[sid], frame, check_exact=True, obj=sid)
    assert other["wohngeld"].to_numpy().sum() == pytest.approx(
        1.5 * base["wohngeld"].to_numpy().sum(), rel=0.02
    )


def test_crn_fungible_share(short):
    runs = {
        share: run_recorded(FederalModel(short.with_parameters(fungible_share=share), seed=4,
                                         trace=True))
        for share in (0.0, 0.2)
    }  # fmt: skip
    a, b = runs[0.0], runs[0.2]
    np.testing.assert_array_equal(a.cell_arrivals, b.cell_arrivals)
    np.testing.assert_array_equal(stack(a.model.trace.arrivals), stack(b.model.trace.arrivals))
    assert not np.array_equal(stack(a.model.trace.backlog), stack(b.model.trace.backlog))


# --- 6. step plan --------------------------------------------------------------------------


def test_plan_lists_step_plan_in_order():
    out = subprocess.run(
        [sys.executable, "-m", "cli", "plan"], cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == len(STEP_PLAN)
    for i, (line, (name, what)) in enumerate(zip(lines, STEP_PLAN, strict=True), 1):
        assert line == f"{i}. {name}: {what}"
    assert [name for name, _ in STEP_PLAN] == [
        "events", "intake", "staffing", "processing", "recording"
    ]  # fmt: skip


# --- 7. agents -----------------------------------------------------------------------------


def agent_by_key(m: FederalModel) -> dict[str, object]:
    return {a.key: a for a in m.agents}


def test_one_agent_per_agency(traced):
    m = traced.model
    ag = m.routing.agencies
    assert len(m.agents) == len(ag) == m.n_agencies
    assert {type(a) for a in m.agents} == set(AGENT_CLASS.values())
    rows = sorted(a.row for a in m.agents)
    assert rows == list(range(len(ag)))
    for a in m.agents:
        assert type(a) is AGENT_CLASS[ag["level"].iat[a.row]]
        assert a.level == ag["level"].iat[a.row]
    # Every pair belongs to exactly one agent.
    assert sum(len(m.agency_pairs(row)) for row in range(m.n_agencies)) == m.n_pairs


def test_agent_views_match_arrays(traced):
    m = traced.model
    services = np.asarray(m.routing.services)
    seen = 0
    for a in list(m.agents)[::25]:
        pairs = np.flatnonzero(m.pair_agency == a.row)
        want_fte = {services[m.pair_service[p]]: float(m.own_fte[p]) for p in pairs}
        want_backlog = {services[m.pair_service[p]]: int(m.queues.backlog[p]) for p in pairs}
        assert a.staff_fte == want_fte
        assert a.backlog == want_backlog
        seen += 1
    assert seen > 100


def test_city_states_and_kreisfreie_staedte(traced):
    m = traced.model
    ag = m.routing.agencies
    by_key = agent_by_key(m)
    # Berlin (Verwaltung key 110000000) is one administration acting as Gemeinde, Kreis and
    # Land: kfz_zulassung and einbuergerung are Land services in Berlin
    # (execution_by_land.csv), elterngeld a Kreis service, meldung a Gemeinde service.
    berlin = by_key["110000000"]
    assert type(berlin).__name__ == "MunicipalAdministration"
    assert {"kfz_zulassung", "einbuergerung", "elterngeld", "meldung"} <= set(berlin.staff_fte)
    assert not ((ag["land"] == "11") & ag["level"].isin(["land", "kreis"])).any()
    # All Berlin demand for kfz_zulassung reaches Berlin's pair.
    r = m.routing
    berlin_row = list(load_germany().laender.index).index("11")
    kfz = r.services.index("kfz_zulassung")
    cells = (r.cell_service == kfz) & (r.cell_land == berlin_row)
    assert cells.any()
    assert set(m.pair_agency[r.cell_pair[cells]]) == {berlin.row}
    # Flensburg (kreisfreie Stadt 01001) is its own Kreis: it registers vehicles itself.
    flensburg = by_key["010010000"]
    assert "kfz_zulassung" in flensburg.staff_fte
    assert flensburg.staff_fte["kfz_zulassung"] > 0
    assert "01001" not in set(ag.loc[ag["level"] == "kreis", "key"])
    # A kreisangehörige Gemeinde does not: its Kreis does (Kreis Dithmarschen, 01051).
    dithmarschen = by_key["01051"]
    assert type(dithmarschen).__name__ == "KreisAdministration"
    assert "kfz_zulassung" in dithmarschen.staff_fte


def test_city_state_routing_at_gemeinde_granularity():
    g, cat = load_germany(), load_catalogue()
    services = ["kfz_zulassung", "elterngeld", "meldung"]
    r = build_routing(g, municipal_units(g, "gemeinde"), cat.execution, services,
                      dict.fromkeys(services, "x"))  # fmt: skip
    keys = r.agencies["key"].tolist()
    berlin = keys.index("11000000")
    flensburg = keys.index("01001000")
    land_row = list(g.laender.index)
    pair_agency = r.pairs["agency"].to_numpy()[r.cell_pair]
    for sid in services:
        s = services.index(sid)
        in_berlin = (r.cell_service == s) & (r.cell_land == land_row.index("11"))
        assert set(pair_agency[in_berlin]) == {berlin}, sid
    kfz_agencies = set(pair_agency[r.cell_service == services.index("kfz_zulassung")])
    assert flensburg in kfz_agencies


def test_compiled_kernel_equals_numpy_reference(short):
    """The numba kernel and the numpy reference give the same run (counts exactly)."""
    a = FederalModel(short, seed=5, kernel="numba", block_size=5000).run()
    b = FederalModel(short, seed=5, kernel="numpy", block_size=5000).run()
    for name in ("backlog", "credit"):
        np.testing.assert_array_equal(getattr(a.queues, name), getattr(b.queues, name))
    np.testing.assert_array_equal(a.cum_completions, b.cum_completions)
    np.testing.assert_array_equal(a.cum_arrivals, b.cum_arrivals)
    busy = a.queues.backlog > 0
    np.testing.assert_allclose(a.queues.oldest[busy], b.queues.oldest[busy], rtol=1e-12)
    np.testing.assert_allclose(a.weekly, b.weekly, rtol=1e-9, atol=1e-6)
    assert len(a.blocks) > 1  # the block split is exercised


def test_staffing_quantities_equal_the_numpy_formulas():
    """The kernel's per-pair staff inputs (one compiled pass) equal the numpy formulas bit
    for bit, including an agency without staff and an agency without pairs."""
    from model.kernel import agency_backlog_pressed, staffing_quantities

    rng = np.random.default_rng(7)
    agency = np.array([0, 0, 0, 1, 1, 3, 4, 4, 4, 4])  # agency 2 has no pairs
    group = np.array([2, 0, 1, 2, 0, 1, 0, 2, 2, 1])
    own = rng.random(len(agency)) * 5.0
    own[[3, 4]] = 0.0  # agency 1 has no staff
    work = rng.random(len(agency)) * 900.0
    phi = 0.3
    n_ag, n_groups = 5, 3
    start = np.searchsorted(agency, np.arange(n_ag + 1))
    out = [np.full(len(agency), np.nan) for _ in range(4)] + [np.full(n_groups, np.nan)]
    staffing_quantities(own, work, start, group, phi, *out)
    fte_ag = np.bincount(agency, own, minlength=n_ag)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(fte_ag[agency] > 0, own / fte_ag[agency], 0.0)
    want = [own * (1.0 - phi), phi * fte_ag[agency],
            np.bincount(agency, work, minlength=n_ag)[agency], share,
            np.bincount(group, own, minlength=n_groups)]  # fmt: skip
    for got, expected in zip(out, want, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert out[3][3] == 0.0 and out[3][0] > 0.0
    # the agencies under backlog pressure (waiting work over two weeks of expected work)
    minutes = rng.random(len(agency)) * 60.0
    pressure = np.where(agency == 0, 1.5, 0.5)  # agency 0 over two weeks, the others under
    backlog = np.round(2.0 * work / minutes * pressure)
    waiting = np.bincount(agency, backlog * minutes, minlength=n_ag)
    expected = np.bincount(agency, work, minlength=n_ag)
    got = agency_backlog_pressed(backlog, minutes, work, start, 2.0)
    np.testing.assert_array_equal(got, waiting > 2.0 * expected)
    assert got.any() and not got.all()


def test_unknown_kernel_rejected(short):
    with pytest.raises(ValueError, match="unknown kernel"):
        FederalModel(short, seed=0, kernel="fortran")


def test_within_week_queueing_hand_checked():
    """Agency A of the fixture with the within-week term on: in week 0 its fluid wait is
    0.1 weeks, its M/M/1 wait at the expected load is 0.125 weeks (4 cases/week against
    8/week: lambda / (mu (mu - lambda)) = 4 / (8 x 4)); a completed case waits the larger."""
    from model.kernel import erlang_c_wait

    assert erlang_c_wait(1, 4.0, 8.0) == pytest.approx(0.125, rel=1e-12)
    # M/M/2 closed form: Wq = rho^2 / (mu (1 - rho^2)) with rho = lambda / (2 mu)
    assert erlang_c_wait(2, 6.0, 4.0) == pytest.approx(0.75**2 / (4.0 * (1 - 0.75**2)))
    m = fx.fixture_model(scenario=fx.fixture_scenario(within_week_queueing="erlang"))
    m.run()
    lead_a = m.trace.lead_sum[:, 0] / m.trace.completions[:, 0]
    assert lead_a[0] == pytest.approx(0.125 + PROCESSING_WEEKS, rel=1e-12)
    # later weeks: A's backlog-driven fluid wait (t + 0.5) x 0.2 exceeds 0.125
    for t in range(1, 5):
        assert lead_a[t] == pytest.approx((t + 0.5) * 0.2 + PROCESSING_WEEKS, rel=1e-9)
    # B: everything is done on arrival, so the within-week wait sets its lead time;
    # M/M/1 with 5 cases/week expected against 10/week: 5 / (10 x 5) = 0.1 weeks
    lead_b = m.trace.lead_sum[:, 1] / m.trace.completions[:, 1]
    np.testing.assert_allclose(lead_b, 0.1 + PROCESSING_WEEKS, rtol=1e-12)


def test_within_week_queueing_pools_with_scale():
    """Doubling demand and staff keeps the fluid part unchanged (see the scale test above)
    but shortens the within-week wait: a bigger office waits less at the same load (here
    B's 0.52 FTE become 1.04: one server twice as fast, M/M/1 wait 0.05 instead of 0.1)."""
    one = fx.fixture_model(scale=1, scenario=fx.fixture_scenario(within_week_queueing="erlang"))
    two = fx.fixture_model(scale=2, scenario=fx.fixture_scenario(within_week_queueing="erlang"))
    one.run()
    two.run()
    lead_one = one.trace.lead_sum[:, 1] / one.trace.completions[:, 1]
    lead_two = two.trace.lead_sum[:, 1] / two.trace.completions[:, 1]
    assert (lead_two < lead_one).all()


def test_a_finished_model_can_be_freed(short):
    """Nothing keeps a finished model alive (Mesa 3.3's class-level id counter per model did:
    a batch worker grew by ~90 MB a run)."""
    import gc
    import weakref

    m = FederalModel(short, seed=2).run()
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


def test_freeze_imports_once_per_process():
    """The command line and batch workers freeze their import-time objects once (in a process
    of its own here: freezing the test process would keep its garbage)."""
    code = ("import gc, model.runner as r\n"
            "assert gc.get_freeze_count() == 0\n"
            "r.freeze_imports(); n = gc.get_freeze_count()\n"
            "keep = [[] for _ in range(10)]; r.freeze_imports()\n"
            "assert gc.get_freeze_count() == n > 50000, n\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
