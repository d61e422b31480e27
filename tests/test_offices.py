"""Offices of one service differ (issue 16, item 3): each (agency, service) pair works at the
catalogue's minutes x its own lognormal pace factor (``office_productivity_sd``, averaged
over teams of ``office_team_fte``) while its posts follow the norm; a team under backlog
pressure works overtime, not its whole agency."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from model.engine import FederalModel
from model.results import agencies_table
from model.scenario import load_scenario

ONE_YEAR = dt.date(2023, 12, 31)


@pytest.fixture(scope="module")
def baseline():
    sc = load_scenario("scenarios/baseline.toml")
    return dataclasses.replace(sc, end=ONE_YEAR)


@pytest.fixture(scope="module")
def built(baseline):
    return FederalModel(baseline, seed=0)


def test_pace_factors_are_lognormal_with_mean_one_and_shrink_with_size(built):
    m = built
    sd = float(m.scenario.parameters["office_productivity_sd"])
    team = float(m.scenario.parameters["office_team_fte"])
    f = m.office_factor
    assert np.all(f > 0)
    small = m.own_fte <= team  # one team or less: the full spread
    log_small = np.log(f[small])
    assert small.sum() > 10_000
    # mean 1 (lognormal with mu = -sd^2 / 2): the norm minutes hold on average
    assert abs(f[small].mean() - 1.0) < 0.01
    assert abs(log_small.std() - sd) < 0.01
    assert abs(log_small.mean() + sd * sd / 2) < 0.01
    # a pair of many teams averages their paces: log-sd sd / sqrt(FTE / team)
    big = m.own_fte >= 10 * team
    assert big.sum() >= 20
    z = (np.log(f[big]) + 0.5 * (sd * sd * team / m.own_fte[big])) / (
        sd * np.sqrt(team / m.own_fte[big]))
    assert np.all(np.abs(z) < 5)
    assert 0.6 < z.std() < 1.4  # standard normal after scaling by the shrunk sd
    assert np.log(f[big]).std() < sd / 2


def test_posts_follow_the_norm_and_pace_sets_capacity(built):
    m = built
    per_fte = m.fte_minutes_week * m.productivity
    util = float(m.scenario.parameters["utilisation_2023"])
    # staff are sized to the catalogue's minutes, whatever the office's pace
    np.testing.assert_allclose(m.base_fte, m.expected_work / (per_fte * util), rtol=1e-12)
    # cases per FTE-week and processing weeks follow the office's own minutes
    np.testing.assert_allclose(m.capacity_per_fte, per_fte / (m.minutes * m.office_factor),
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(m.processing_weeks * m.capacity_per_fte, 1.0, rtol=1e-12)


def test_an_office_keeps_its_pace_in_every_scenario(baseline):
    """Common random numbers: the factor of (agency, service) depends on the seed, the agency
    and the service only, not on which other services a scenario moves or switches off."""
    a = FederalModel(baseline, seed=3)
    other = load_scenario("scenarios/central_land.toml")
    b = FederalModel(dataclasses.replace(other, end=ONE_YEAR), seed=3)

    def keyed(m):
        ag = m.routing.agencies
        return pd.Series(m.office_factor, index=pd.MultiIndex.from_arrays(
            [ag["level"].to_numpy()[m.pair_agency], ag["key"].to_numpy()[m.pair_agency],
             np.asarray(m.routing.services)[m.pair_service]]))  # fmt: skip

    fa, fb = keyed(a), keyed(b)
    common = fa.index.intersection(fb.index)
    assert len(common) > 0.9 * len(fa)
    np.testing.assert_array_equal(fa[common].to_numpy(), fb[common].to_numpy())
    c = FederalModel(baseline, seed=4)
    assert not np.array_equal(a.office_factor, c.office_factor)  # another seed, other draws


def test_no_spread_gives_the_catalogue_pace(baseline):
    m = FederalModel(baseline.with_parameters(office_productivity_sd=0.0), seed=0)
    np.testing.assert_array_equal(m.office_factor, 1.0)


def test_slow_offices_have_longer_lead_times(baseline):
    """The spread shows where planners look: among Wohngeld offices of one size, lead time
    rises with the office's minutes per case (rank correlation), and the slowest offices
    wait several times as long as the fastest."""
    m = FederalModel(baseline, seed=0).run()
    t = agencies_table(m)
    t = t.assign(pace=np.tile(m.office_factor, len(m.year_snapshots)))
    w = t[(t.service_id == "wohngeld") & (t.staff_fte >= 7) & (t.staff_fte <= 25)]
    assert len(w) > 50
    rho = w["pace"].rank().corr(w["lead_time_weeks"].rank())
    assert rho > 0.5, rho
    q = w["lead_time_weeks"].quantile([1 / 13, 12 / 13]).to_numpy()
    assert q[1] / q[0] > 2.0
    flat = FederalModel(baseline.with_parameters(office_productivity_sd=0.0), seed=0).run()
    t0 = agencies_table(flat)
    w0 = t0[(t0.service_id == "wohngeld") & (t0.staff_fte >= 7) & (t0.staff_fte <= 25)]
    q0 = w0["lead_time_weeks"].quantile([1 / 13, 12 / 13]).to_numpy()
    assert q[1] / q[0] > 1.5 * q0[1] / q0[0]


def test_backlog_response_is_the_team_not_the_agency(built):
    """Only the (agency, service) pair whose waiting work exceeds its usual stock by more than
    ``backlog_response_weeks`` of its own expected work gets ``backlog_extra_share`` more
    time; the agency's other teams do not."""
    m = built
    p = m.scenario.parameters
    extra, weeks = float(p["backlog_extra_share"]), float(p["backlog_response_weeks"])
    start = m._agency_pair_start
    n = np.diff(start)
    agency = int(np.flatnonzero((n >= 3) & (np.add.reduceat(m.expected_work, start[:-1])
                                            > 0)[: len(n)])[0])  # fmt: skip
    pairs = np.arange(start[agency], start[agency + 1])
    pairs = pairs[m.expected_work[pairs] > 0]
    pairs = pairs[np.argsort(-m.usual_stock_weeks[pairs], kind="stable")]  # a file-based one first
    assert m.usual_stock_weeks[pairs[0]] > 0
    saved = m.queues.backlog.copy()
    try:
        m.queues.backlog[:] = 0.0
        hot = pairs[0]
        usual = m.usual_stock_weeks[hot]
        m.queues.backlog[hot] = ((usual + weeks) * m.expected_work[hot] / m.minutes[hot]) * 1.01
        r = m._pair_backlog_response()
        assert r[hot] == pytest.approx(1.0 + extra)
        assert np.all(r[pairs[1:]] == 1.0)
        m.queues.backlog[hot] *= 0.98  # just under the threshold
        assert m._pair_backlog_response()[hot] == 1.0
    finally:
        m.queues.backlog[:] = saved


# --- automated cases do not queue (issue 16, item 5) ------------------------------------------

EPP = """[scenario]
name = "epp_2023"
description = "The Energiepreispauschale for students as it happened, 2023 (test)."
extends = "{base}"
end = 2023-06-30

[shocks.epp200]
start = 2023-03-15
"""


def test_an_automated_programme_decides_within_days(tmp_path):
    """The one-off payment to students (automated_share 1 in demand_shocks.csv): the
    unchecked share of applications is decided at automated_decision_weeks without queueing,
    so its median lead time is that and the first weeks' decisions are in the hundreds of
    thousands; the checked share queues for clerks; cases are conserved."""
    from pathlib import Path

    from model.engine import AGG_FIELDS
    from model.results import kpi_table

    base = Path("scenarios/baseline.toml").resolve()
    (tmp_path / "epp.toml").write_text(EPP.format(base=base), encoding="utf-8")
    sc = load_scenario(tmp_path / "epp.toml")
    m = FederalModel(sc, seed=0).run()
    F = {name: i for i, name in enumerate(AGG_FIELDS)}
    g = np.flatnonzero(m.routing.groups["service_id"].to_numpy() == "epp200")
    arrivals = m.weekly[:, F["arrivals"], g].sum()
    auto = m.weekly[:, F["auto_completions"], g].sum()
    check = float(sc.parameters["automation_check_share"])
    assert arrivals > 1_000_000
    assert auto == pytest.approx(arrivals * (1.0 - check), rel=1e-3)  # whole cases, carried
    first = m.calendar.week_of(dt.date(2023, 3, 13))
    assert m.weekly[first, F["completions"], g].sum() > 100_000
    k = kpi_table(m)
    row = k[(k.kpi == "lead_time_median_weeks") & (k.service_id == "epp200") & (k.year == 2023)]
    assert float(row["value"].iloc[0]) == pytest.approx(
        float(sc.parameters["automated_decision_weeks"]), abs=1e-6)
    # conservation: arrivals = completions + open cases, per pair
    pairs = m.pair_service == list(m.routing.services).index("epp200")
    np.testing.assert_allclose(m.cum_arrivals[pairs],
                               m.cum_completions[pairs] + m.queues.backlog[pairs])  # fmt: skip
    # without automation every application queues: much slower
    manual = FederalModel(sc.with_parameters(automation_check_share=1.0), seed=0).run()
    assert manual.weekly[:, F["auto_completions"], g].sum() == 0
    km = kpi_table(manual)
    slow = km[(km.kpi == "lead_time_weeks") & (km.service_id == "epp200") & (km.year == 2023)]
    fast = k[(k.kpi == "lead_time_weeks") & (k.service_id == "epp200") & (k.year == 2023)]
    assert float(fast["value"].iloc[0]) < 0.7 * float(slow["value"].iloc[0])
