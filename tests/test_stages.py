"""The path of a case outside the office (model/stages.py, issue 16): the stage table's checks,
the two numbers per service worked out by hand, the fixture's lead times and over-threshold
shares with outside waits, and the real baseline with and without them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import engine_fixture as fx
import numpy as np
import pandas as pd
import pytest

from model.catalogue import CatalogueError, load_catalogue, read_text_table
from model.engine import AGG_FIELDS, FederalModel
from model.errors import ScenarioError
from model.kernel import add_shares_over, share_over
from model.results import agencies_table, kpi_table, lead_time_quantile, weekly_table
from model.scenario import load_scenario
from model.stages import COLUMNS, build_stages, load_stages

F = {name: i for i, name in enumerate(AGG_FIELDS)}
FTE_MINUTES_WEEK = 1600 * 60 / 52
PROCESSING_WEEKS = fx.MINUTES / FTE_MINUTES_WEEK  # 0.052 weeks: the fixture's office time


def stage_row(**values) -> dict:
    row = dict(service_id="wohngeld", incomplete_share=0.5, incomplete_low=0.4,
               incomplete_high=0.6, request_rounds=2.0, rounds_low=1.0, rounds_high=3.0,
               consult_share=0.2, consult_weeks=5.0, consult_weeks_low=2.0,
               consult_weeks_high=8.0, file_based=1, source="test")  # fmt: skip
    row.update(values)
    return row


def build(*rows: dict):
    return build_stages(pd.DataFrame(list(rows), columns=list(COLUMNS)),
                        load_catalogue().services)  # fmt: skip


# --- the stage table -----------------------------------------------------------------------


def test_packaged_table_loads_and_covers_every_application():
    stages = load_stages()
    services = load_catalogue().services
    applications = set(services.loc[services["kind"] == "application", "service_id"])
    assert set(stages.table.index) == applications
    assert (stages.table["source"].str.len() > 10).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service_id": "nonsense"}, "unknown service_id 'nonsense'"),
        ({"incomplete_share": 1.5, "incomplete_high": 1.6}, "column 'incomplete_share' is '1.5'"),
        ({"consult_weeks": "x"}, "column 'consult_weeks' is 'x'"),
        ({"request_rounds": 4.0}, "'request_rounds' must lie in [rounds_low, rounds_high]"),
        ({"source": " "}, "column 'source' is empty"),
    ],
)
def test_bad_rows_are_named(change, message):
    with pytest.raises(CatalogueError) as err:
        build(stage_row(**change))
    text = str(err.value)
    assert text.startswith("model/data/case_stages.csv row 2")
    assert message in text


def test_running_cases_have_no_path():
    running = load_catalogue().services.query("kind != 'application'")["service_id"].iloc[0]
    with pytest.raises(CatalogueError, match=f"{running!r} is a running_case"):
        build(stage_row(service_id=running))


def test_duplicates_and_missing_columns_are_named():
    with pytest.raises(CatalogueError, match="'wohngeld' appears twice"):
        build(stage_row(), stage_row())
    raw = pd.DataFrame([stage_row()]).drop(columns=["consult_weeks"])
    with pytest.raises(CatalogueError, match="missing column.*consult_weeks"):
        build_stages(raw, load_catalogue().services)


def test_outside_waits_by_hand():
    stages = build(stage_row(), stage_row(service_id="meldung", incomplete_share=0.0,
                                          incomplete_low=0.0, consult_share=0.0))  # fmt: skip
    share, mean, returns = stages.outside_waits(["wohngeld", "meldung", "not_in_table"], 3.0)
    # wohngeld: s = 1 - 0.5 x 0.8 = 0.6; s x m = 0.5 x 2 x 3 + 0.2 x 5 = 4 weeks
    assert share[0] == pytest.approx(0.6, abs=1e-15)
    # the file comes back after each of 0.5 x 2 answered requests and 0.2 statements
    assert returns[0] == pytest.approx(1.2, abs=1e-15)
    assert returns[1:].tolist() == [0.0, 0.0]
    assert share[0] * mean[0] == pytest.approx(4.0, abs=1e-12)
    assert mean[0] == pytest.approx(4.0 / 0.6, abs=1e-12)
    # meldung waits nowhere; a service the table does not list neither
    assert share[1:].tolist() == mean[1:].tolist() == [0.0, 0.0]
    # the response time scales only the requests: 6 weeks instead of 3 adds 0.5 x 2 x 3
    share6, mean6, returns6 = stages.outside_waits(["wohngeld"], 6.0)
    assert returns6[0] == returns[0]  # the response time does not change how often
    assert share6[0] * mean6[0] == pytest.approx(7.0, abs=1e-12)


def test_packaged_rows_the_law_fixes():
    """Every naturalisation and gun licence is checked with other agencies (§ 37 (5) StAG,
    § 5 (5) WaffG): consult share 1, so every application waits outside."""
    t = load_stages().table
    assert t.at["einbuergerung", "consult_share"] == 1.0
    assert t.at["waffenbesitzkarte", "consult_share"] == 1.0
    share, _, _ = load_stages().outside_waits(["einbuergerung", "waffenbesitzkarte"], 3.0)
    assert share.tolist() == [1.0, 1.0]
    # the Gemeinde's consent to a building permit is deemed given after two months (§ 36 BauGB)
    assert t.at["bauantrag", "consult_weeks_high"] == pytest.approx(8.7, abs=0.05)


# --- the share over a threshold ------------------------------------------------------------


def test_share_over_formula():
    # office time over the threshold: every application is over it
    assert share_over(5.0, 4.0, 0.3, 2.0) == 1.0
    # no outside wait: none
    assert share_over(1.0, 4.0, 0.0, 0.0) == 0.0
    # else the waiting share whose exponential outside wait exceeds the remaining 3 weeks
    assert share_over(1.0, 4.0, 0.5, 3.0) == pytest.approx(0.5 * math.exp(-1.0), rel=1e-14)


def test_share_over_matches_exponential_sampling():
    rng = np.random.default_rng(3)
    n = 400_000
    waits = np.where(rng.random(n) < 0.6, rng.exponential(5.0, n), 0.0)
    for limit in (4.0, 8.0, 12.0):
        sampled = np.mean(1.5 + waits > limit)
        assert share_over(1.5, limit, 0.6, 5.0) == pytest.approx(sampled, abs=0.003)


@pytest.mark.parametrize("thresholds", [(4.0, 8.0, 12.0), (2.0, 3.0, 7.0, 8.0)])
def test_add_shares_over_equals_the_formula_per_threshold(thresholds):
    # the kernel chains the exponentials (one per distinct gap); the sum must equal done x
    # share_over per threshold, including office times above some thresholds and no outside
    # wait at all
    limits = np.asarray(thresholds)
    for office in (0.0, 1.5, 3.9, 4.0, 5.0, 7.5, 13.0):
        for s_out, m_out in ((0.6, 5.0), (0.2, 0.3), (0.0, 0.0), (1.0, 40.0)):
            weekly = np.zeros((2, 6 + limits.size, 3))
            add_shares_over(weekly, 1, np.uint64(2), 7.0, office, limits, s_out, m_out)
            want = [7.0 * share_over(office, x, s_out, m_out) for x in limits]
            np.testing.assert_allclose(weekly[1, 6:, 2], want, rtol=1e-13, atol=0)
            assert not weekly[0].any() and not weekly[1, :, :2].any()  # nothing elsewhere


# --- the fixture ---------------------------------------------------------------------------


OUTSIDE = np.array([[0.5], [4.0]])  # half the applications wait outside, 4 weeks on average
OUTSIDE_RETURNS = np.array([[0.5], [4.0], [1.5]])  # ... and their files come back 1.5 times


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_fixture_lead_time_rises_by_share_times_mean(kernel):
    plain = fx.fixture_model(kernel=kernel).run()
    staged = fx.fixture_model(outside=OUTSIDE, kernel=kernel).run()
    # the queue does not change: the waits outside use no office staff
    np.testing.assert_array_equal(plain.trace.completions, staged.trace.completions)
    np.testing.assert_array_equal(plain.trace.backlog, staged.trace.backlog)
    for t in range(staged.calendar.n_weeks):
        done = staged.trace.completions[t]
        extra = staged.trace.lead_sum[t] - plain.trace.lead_sum[t]
        np.testing.assert_allclose(extra, done * 0.5 * 4.0, rtol=1e-12)
    # B's office time is its processing (capacity 10 > 5 arrivals): 0.052 weeks
    b = weekly_table(staged).query("land == '02'").reset_index(drop=True)
    assert b["lead_time_weeks"].to_numpy() == pytest.approx(PROCESSING_WEEKS + 2.0, abs=1e-9)
    for limit in (4, 8, 12):
        want = 5 * 0.5 * math.exp(-(limit - PROCESSING_WEEKS) / 4.0)
        assert b[f"completions_lead_over_{limit}w"].to_numpy() == pytest.approx(want, rel=1e-9)
    kpis = kpi_table(staged)
    nat = kpis[(kpis["level"] == "all") & (kpis["service_id"] == "all")].set_index("kpi")
    plain_kpis = kpi_table(plain)
    plain_nat = plain_kpis[(plain_kpis["level"] == "all")
                           & (plain_kpis["service_id"] == "all")].set_index("kpi")  # fmt: skip
    assert nat.at["lead_time_weeks", "value"] == pytest.approx(
        plain_nat.at["lead_time_weeks", "value"] + 2.0, abs=1e-9)
    assert nat.at["office_lead_time_weeks", "value"] == pytest.approx(
        plain_nat.at["lead_time_weeks", "value"], abs=1e-9)
    # Little's law: 15 arrivals a week x 2 weeks of mean outside wait per application
    assert nat.at["waiting_outside_cases", "value"] == pytest.approx(30.0, abs=1e-9)
    assert plain_nat.at["waiting_outside_cases", "value"] == 0.0


@pytest.mark.parametrize("outside", [OUTSIDE, OUTSIDE_RETURNS])
def test_fixture_kernels_agree_with_outside_waits(outside):
    a = fx.fixture_model(outside=outside, kernel="numba").run()
    b = fx.fixture_model(outside=outside, kernel="numpy").run()
    np.testing.assert_allclose(a.weekly, b.weekly, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_returned_files_wait_the_first_pass_again(kernel):
    """Each of r returns per application adds the week's first-pass wait (office time minus
    processing) once more; the office's own part (the first pass) does not change."""
    plain = fx.fixture_model(outside=OUTSIDE, kernel=kernel).run()
    back = fx.fixture_model(outside=OUTSIDE_RETURNS, kernel=kernel).run()
    w0, w1 = plain.weekly, back.weekly
    np.testing.assert_array_equal(w0[:, F["completions"]], w1[:, F["completions"]])
    np.testing.assert_allclose(w0[:, F["office_lead_sum"]], w1[:, F["office_lead_sum"]],
                               rtol=1e-12)  # fmt: skip
    first_wait = w1[:, F["office_lead_sum"]] - w1[:, F["completions"]] * PROCESSING_WEEKS
    np.testing.assert_allclose(w1[:, F["lead_sum"]] - w0[:, F["lead_sum"]],
                               OUTSIDE_RETURNS[2, 0] * first_wait, rtol=1e-9, atol=1e-9)
    assert first_wait.sum() > 0  # the fixture's office does queue


# --- the real baseline ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_pair():
    """Half a year of the baseline at verwaltung granularity, with and without stages."""
    sc = load_scenario("scenarios/baseline.toml")
    # every automated case checked: none skips the queue (its lead has no outside wait)
    sc = dataclasses.replace(sc, end=dt.date(2023, 6, 30)).with_parameters(
        granularity="verwaltung", automation_check_share=1.0)
    staged = FederalModel(sc, seed=2).run()
    queue = FederalModel(sc.with_parameters(case_path="queue"), seed=2).run()
    return staged, queue


def test_queue_path_changes_only_the_outside_wait(baseline_pair):
    staged, queue = baseline_pair
    np.testing.assert_array_equal(staged.cum_completions, queue.cum_completions)
    np.testing.assert_array_equal(staged.queues.backlog, queue.queues.backlog)
    share, mean, returns = load_stages().outside_waits(staged.routing.services, 3.0)
    # the office's first pass is the queue path's whole lead time
    np.testing.assert_allclose(staged._cum_office, queue._cum_lead, rtol=1e-12, atol=1e-9)
    # beyond it: the outside waits, and each returned file's wait in the office's queue again
    # (its first pass's wait: office time minus processing). Processing times move a little
    # during the run (automation lowers minutes per case), so the cumulative check, which uses
    # the last ones, holds to 1e-3 rather than to rounding
    first_wait = staged._cum_office - staged.cum_completions * staged.processing_weeks
    extra = (staged.cum_completions * (share * mean)[staged.pair_service]
             + returns[staged.pair_service] * first_wait)  # fmt: skip
    np.testing.assert_allclose(staged._cum_lead - queue._cum_lead, extra, rtol=1e-3, atol=1e-6)
    assert (extra > staged.cum_completions * (share * mean)[staged.pair_service] + 1).sum() > 100
    assert not queue.service_outside.any()


def test_baseline_lead_times_are_weeks_where_documents_are_waited_for(baseline_pair):
    staged, queue = baseline_pair
    kpis = kpi_table(staged)
    lead = kpis[(kpis["kpi"] == "lead_time_weeks") & (kpis["level"] == "all")]
    lead = lead.set_index("service_id")["value"]
    for sid in ("wohngeld", "elterngeld", "einbuergerung", "aufenthaltstitel",
                "schwerbehinderung"):  # fmt: skip
        assert lead[sid] > 3.0, (sid, lead[sid])
    # counter services are decided in days, not months
    for sid in ("personalausweis", "meldung", "kfz_zulassung"):
        assert lead[sid] < 2.0, (sid, lead[sid])
    office = kpis[(kpis["kpi"] == "office_lead_time_weeks") & (kpis["level"] == "all")]
    office = office.set_index("service_id")["value"]
    # a complete application (office time only) is much faster than the average one
    for sid in ("wohngeld", "elterngeld", "einbuergerung", "schwerbehinderung"):
        assert office[sid] < 0.5 * lead[sid], (sid, office[sid], lead[sid])
    qk = kpi_table(queue)
    qlead = qk[(qk["kpi"] == "lead_time_weeks") & (qk["level"] == "all")]
    qlead = qlead.set_index("service_id")["value"]
    np.testing.assert_allclose(office.loc[qlead.index], qlead, rtol=1e-9)
    # per agency (for maps) the same split: the office part is the queue path's lead time
    ag, qag = agencies_table(staged), agencies_table(queue)
    np.testing.assert_allclose(ag["office_lead_time_weeks"], qag["lead_time_weeks"], rtol=1e-9,
                               equal_nan=True)  # fmt: skip
    decided = ag["lead_time_weeks"].notna()  # running cases and pairs without decisions: NaN
    assert decided.sum() > 1000
    assert (ag.loc[decided, "lead_time_weeks"]
            >= ag.loc[decided, "office_lead_time_weeks"] - 1e-12).all()  # fmt: skip


def test_case_path_parameter_is_checked():
    sc = load_scenario("scenarios/baseline.toml")
    with pytest.raises(ScenarioError, match="'parameters.case_path': must be one of 'stages', "
                       "'queue'"):  # fmt: skip
        sc.with_parameters(case_path="dunno")


def test_stage_file_read_as_text_table():
    raw = read_text_table("case_stages.csv")
    assert list(raw.columns) == list(COLUMNS)


# --- the lead-time distribution ------------------------------------------------------------


def test_lead_time_quantiles_by_hand():
    one = np.array([1.0])
    # everyone waits outside, exponential with mean 2, after 1 week at the office
    assert lead_time_quantile(one, one, one, np.array([2.0]), 0.5) == pytest.approx(
        1 + 2 * math.log(2), abs=1e-6)
    assert lead_time_quantile(one, one, one, np.array([2.0]), 0.9) == pytest.approx(
        1 + 2 * math.log(10), abs=1e-6)
    # half wait outside: the median is the office time, the 90th percentile 1 + 2 ln 5
    half = np.array([0.5])
    assert lead_time_quantile(one, one, half, np.array([2.0]), 0.5) == pytest.approx(1.0,
                                                                                     abs=1e-6)
    assert lead_time_quantile(one, one, half, np.array([2.0]), 0.9) == pytest.approx(
        1 + 2 * math.log(5), abs=1e-6)
    # two cells without outside waits, 3 and 1 decisions at 1 and 5 weeks
    done, office, zero = np.array([3.0, 1.0]), np.array([1.0, 5.0]), np.zeros(2)
    assert lead_time_quantile(done, office, zero, zero, 0.5) == pytest.approx(1.0, abs=1e-6)
    assert lead_time_quantile(done, office, zero, zero, 0.9) == pytest.approx(5.0, abs=1e-6)
    assert math.isnan(lead_time_quantile(np.zeros(1), one, one, one, 0.5))


def test_fixture_lead_time_quantiles():
    staged = fx.fixture_model(outside=OUTSIDE).run()
    k = kpi_table(staged)
    svc = k[(k["service_id"] == "svc") & (k["level"] == "all")].set_index("kpi")["value"]
    med, p90 = svc["lead_time_median_weeks"], svc["lead_time_p90_weeks"]
    mean = svc["lead_time_weeks"]
    assert svc["office_lead_time_weeks"] <= med < mean < p90  # half the cases wait nowhere
    # B's cases (a third of the decisions) have office time 0.052 weeks; a 90th percentile of
    # the mixture lies beyond the outside wait's own: 4 ln 5 = 6.4 weeks after the office
    assert p90 > PROCESSING_WEEKS + 4 * math.log(5) - 1e-9


# --- the baseline of 2023-24 as observed in direction (issue 16, "Done when") ----------------

FILE_SERVICES = ("wohngeld", "elterngeld", "einbuergerung", "aufenthaltstitel",
                 "schwerbehinderung")  # fmt: skip


@pytest.fixture(scope="module")
def two_years():
    """The baseline 2023-24 at verwaltung granularity, seed 0: the model right after set-up
    (its queues on 1.1.2023) and the run's KPI and weekly tables."""
    sc = load_scenario("scenarios/baseline.toml")
    sc = dataclasses.replace(sc, end=dt.date(2024, 12, 29))
    m = FederalModel(sc, seed=0)
    start = m.queues.backlog.copy()
    m.run()
    return m, start, kpi_table(m), weekly_table(m)


def national_kpi(kpis: pd.DataFrame, kpi: str, sid: str, year: int) -> float:
    row = kpis[(kpis["kpi"] == kpi) & (kpis["level"] == "all") & (kpis["service_id"] == sid)
               & (kpis["year"] == year)]  # fmt: skip
    return float(row["value"].iloc[0])


def test_offices_start_2023_with_open_cases(two_years):
    """Non-zero open cases on 1.1.2023: at least the initial stock (2 weeks of intake, less
    rounding in tiny offices) for file-based services; counter services hold only the
    warm-up's queue (offices at utilisation 1 keep some)."""
    m, start, _, _ = two_years
    services = list(m.routing.services)
    weekly = m._pair_base_cases
    for sid in FILE_SERVICES:
        pairs = m.pair_service == services.index(sid)
        assert start[pairs].sum() > 1.8 * weekly[pairs].sum(), sid
    meldung = m.pair_service == services.index("meldung")
    assert start[meldung].sum() < 1.5 * weekly[meldung].sum()


def test_lead_times_of_weeks_to_months_and_complete_ones_faster(two_years):
    _, _, kpis, _ = two_years
    for year in (2023, 2024):
        for sid in FILE_SERVICES:
            lead = national_kpi(kpis, "lead_time_weeks", sid, year)
            office = national_kpi(kpis, "office_lead_time_weeks", sid, year)
            assert 4.0 < lead < 52.0, (sid, year, lead)
            # a complete application (the office's first pass) is much faster than the mean
            assert office < 0.5 * lead, (sid, year, office, lead)


def test_wohngeld_plus_and_naturalisation_waves_are_visible(two_years):
    m, start, kpis, weekly = two_years
    # Wohngeld-Plus (1.1.2023): the catch-up makes 2023's lead time longer than 2024's (by
    # less than before offices differed in pace: slow offices stay slow in 2024)
    assert (national_kpi(kpis, "lead_time_weeks", "wohngeld", 2023)
            > 1.15 * national_kpi(kpis, "lead_time_weeks", "wohngeld", 2024))  # fmt: skip
    w = weekly[weekly["service_id"] == "wohngeld"].groupby("week")[["arrivals", "backlog"]].sum()
    q1 = w.loc["2023-01-02":"2023-03-27"]
    q3 = w.loc["2023-07-03":"2023-09-25"]
    assert q1["arrivals"].mean() > 1.3 * q3["arrivals"].mean()
    # the wave piles up on the stock of 1.1.2023 and is worked off during the year
    stock = start[m.pair_service == list(m.routing.services).index("wohngeld")].sum()
    assert q1["backlog"].max() > 3.0 * stock
    assert w["backlog"].iloc[-1] < 0.5 * q1["backlog"].max()
    # StARModG (27.6.2024): more applications and a backlog that grows
    for kpi, factor in (("arrivals_cases", 1.3), ("backlog_cases", 3.0)):
        assert (national_kpi(kpis, kpi, "einbuergerung", 2024)
                > factor * national_kpi(kpis, kpi, "einbuergerung", 2023)), kpi  # fmt: skip


def test_central_platforms_ask_applicants_more_often():
    """remote_request_extra: a central platform's request rounds are x (1 + extra x the
    service's local_knowledge); its outside wait and returns grow by hand, the decentral
    pairs' stay the service's (issue 17, item 3)."""
    sc = load_scenario("scenarios/central_land.toml").with_parameters(remote_request_extra=1.5)
    m = FederalModel(sc, seed=0)
    services = load_catalogue().services.set_index("service_id")
    table = load_stages().table
    targets = np.unique([ms.target for ms in m.execution.moves if ms.target >= 0])
    assert len(targets) > 0
    response = float(sc.parameters["applicant_response_weeks"])
    checked = 0
    for tg in targets:
        sid = m.routing.services[m.pair_service[tg]]
        if sid not in table.index or table.at[sid, "incomplete_share"] == 0:
            continue
        row, local = table.loc[sid], float(services.at[sid, "local_knowledge"])
        rounds = row["request_rounds"] * (1.0 + 1.5 * local)
        wait = row["incomplete_share"] * rounds * response + row["consult_share"] * row[
            "consult_weeks"]  # fmt: skip
        assert m.outside_share[tg] * m.outside_mean[tg] == pytest.approx(wait, rel=1e-12)
        assert m.outside_returns[tg] == pytest.approx(
            row["incomplete_share"] * rounds + row["consult_share"], rel=1e-12)
        # the service's decentral offices keep the table's rounds
        same = (m.pair_service == m.pair_service[tg]) & ~np.isin(np.arange(m.n_pairs), targets)
        s0, m0, _ = load_stages().outside_waits([sid], response)
        np.testing.assert_allclose(m.outside_share[same] * m.outside_mean[same], (s0 * m0)[0])
        checked += local > 0
    assert checked > 0  # some moved service has local knowledge, so the test can fail
