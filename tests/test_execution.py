"""Execution modes, migrations, EfA adoption and automation (issue 6)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from model.catalogue import load_catalogue
from model.engine import FederalModel
from model.errors import ScenarioError
from model.execution import select_services
from model.migration import ExecutionRuntime
from model.results import kpi_table
from model.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASE = load_scenario(SCENARIOS / "baseline.toml")


def only(sc, keep: set[str], **params):
    """The scenario with only the services ``keep`` switched on (and parameters set)."""
    services = {sid: {"enabled": sid in keep} for sid in load_catalogue().services["service_id"]}
    return dataclasses.replace(sc, services=services).with_parameters(**params)


def national(kpis, kpi: str, year: int, level: str = "all", service: str = "all") -> float:
    row = kpis[(kpis["kpi"] == kpi) & (kpis["year"] == year) & (kpis["level"] == level)
               & (kpis["service_id"] == service)]  # fmt: skip
    return float(row["value"].iloc[0]) if len(row) else float("nan")


def write(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "s.toml"
    f.write_text(f'[scenario]\nextends = "{SCENARIOS / "baseline.toml"}"\n' + body)
    return f


# --- scenario files ---
@pytest.mark.parametrize("body, words", [
    ('[[execution]]\nservices = ["kfz_zulassung"]\nmode = "cloud"\nstart = 2027-01-04\n',
     ["execution[1].mode", "must be one of"]),
    ('[[execution]]\nservices = ["kfz_zulasung"]\nmode = "central_bund"\nstart = 2027-01-04\n',
     ["execution[1].services", "unknown service", "kfz_zulassung"]),
    ('[[execution]]\nmode = "central_bund"\nstart = 2027-01-04\n',
     ["execution[1]", "exactly one of 'services'"]),
    ('[[execution]]\nselect = { local_knowledge = 0.2 }\nmode = "efa"\nstart = 2027-01-04\n',
     ["execution[1].select.local_knowledge", "unknown key", "local_knowledge_max"]),
    ('[[execution]]\nservices = ["kfz_zulassung"]\nmode = "central_bund"\n',
     ["execution[1].start", "is required"]),
    ('[[execution]]\nservices = ["kfz_zulassung"]\nmode = "central_land"\nstart = 2027-01-04\n'
     'migration_weeks = 52\n[[execution]]\nservices = ["kfz_zulassung"]\nmode = "central_bund"\n'
     'start = 2027-06-07\n', ["execution[2].start", "overlapping migration", "execution[1]"]),
    ('[[execution]]\nservices = ["kfz_zulassung"]\nmode = "central_bund"\nstart = 2027-01-04\n'
     'criteria_when = "future"\n', ["execution[1].criteria_when", "only with mode"]),
    ('[[execution]]\nselect = {}\nmode = "criteria"\nstart = 2027-01-04\n'
     'criteria_when = "tomorrow"\n', ["execution[1].criteria_when", "'today', 'future'"]),
])  # fmt: skip
def test_bad_execution_entries_give_one_line_errors(tmp_path, body, words):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write(tmp_path, body))
    message = str(exc.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "s.toml"))
    for word in words:
        assert word in message


def test_selection_rule_is_data():
    cat = load_catalogue()
    rule = {"local_knowledge_max": 0.2, "discretion_max": 0.3,
            "executing_level": ["gemeinde", "kreis"], "legislating_level": ["bund", "land"]}
    chosen = select_services(rule, cat.services, cat.execution)
    s = cat.services.set_index("service_id")
    assert "bauantrag" not in chosen and "hundesteuer" not in chosen  # local / own law
    assert "kfz_zulassung" in chosen and "wohngeld" in chosen
    for sid in chosen:
        assert s.at[sid, "local_knowledge"] <= 0.2 and s.at[sid, "discretion"] <= 0.3


# --- the runtime by hand ---
def test_automation_reduces_minutes_by_the_share_net_of_checks():
    params = {**BASE.parameters, "automation_check_share": 0.2,
              "automation_check_minutes_share": 0.25}  # fmt: skip
    rt = ExecutionRuntime([], np.array([100.0, 60.0]), np.array([0.5, 0.9]),
                          np.ones(2), np.zeros(2), params, seed=0)  # fmt: skip
    rt.automation[:] = [0.4, 0.0]
    # a = 0.4: 40 % of cases need no staff time except the 20 % of them checked at 25 %
    np.testing.assert_allclose(rt.minutes(), [100.0 * (1 - 0.4 + 0.4 * 0.2 * 0.25), 60.0])
    rt.rate[:] = 0.5  # half of the remaining gap to the potential in a year
    rt.automation[:] = 0.0
    rt.automate(1.0)
    np.testing.assert_allclose(rt.automation, [0.25, 0.45])


def test_central_minutes_carry_the_local_knowledge_penalty_and_front_office():
    params = {**BASE.parameters, "efa_intake_saving": 0.1}
    rt = ExecutionRuntime([], np.array([50.0, 50.0, 50.0]), np.zeros(3),
                          np.array([1.0, 1.0, 1.1 * 0.7]), np.zeros(3), params, 0)  # fmt: skip
    rt.mode[:] = [0, 1, 2]  # decentral, EfA, central platform
    np.testing.assert_allclose(rt.minutes(), [50.0, 45.0, 50.0 * 0.77])


def test_compiled_minutes_pass_equals_the_runtime_formula():
    """The engine's compiled pass sets the minutes of ExecutionRuntime.minutes bit for bit,
    and the processing weeks, cases per FTE-week and expected work from them."""
    from model.kernel import set_pair_minutes

    params = {**BASE.parameters, "efa_intake_saving": 0.1, "automation_check_share": 0.3,
              "automation_check_minutes_share": 0.4}  # fmt: skip
    rng = np.random.default_rng(3)
    n = 50
    rt = ExecutionRuntime([], rng.uniform(5, 300, n), rng.random(n), rng.uniform(0.6, 1.3, n),
                          np.zeros(n), params, 0)  # fmt: skip
    rt.mode[:] = rng.integers(0, 3, n)
    rt.automation[:] = rng.random(n) * 0.8
    cases = rng.uniform(0, 40, n)
    office = rng.lognormal(0.0, 0.2, n)
    out = [np.full(n, np.nan) for _ in range(4)]
    set_pair_minutes(rt.minutes0, rt.mode, rt.efa_factor(), rt.central_factor, rt.automation,
                     rt.check_share(), 1600 * 60 / 52, 0.9, cases, office, *out)  # fmt: skip
    want = rt.minutes()
    np.testing.assert_array_equal(out[0], want)
    # the office's own pace changes its processing, not the minutes its posts are sized to
    np.testing.assert_array_equal(out[1], want * office / (1600 * 60 / 52 * 0.9))
    np.testing.assert_array_equal(out[2], 1600 * 60 / 52 * 0.9 / (want * office))
    np.testing.assert_array_equal(out[3], cases * want)


# --- mechanisms at full scale (one service) ---
QUIET = dict(staff_model="constant", migration_productivity_dip=0.0, local_knowledge_penalty=0.0,
             automation_rate_decentral=0.0, automation_rate_central=0.0, warmup_weeks=13)


def kfz(mode: str | None, weeks: int = 26, **params) -> FederalModel:
    sc = only(BASE, {"kfz_zulassung"}, **{**QUIET, **params})
    sc = dataclasses.replace(sc, end=dt.date(2025, 12, 31))
    if mode:
        sc = dataclasses.replace(sc, execution=[{
            "services": ["kfz_zulassung"], "mode": mode, "start": dt.date(2024, 1, 1),
            "migration_weeks": weeks}])  # fmt: skip
    m = FederalModel(sc, seed=5)
    m.initial_backlog = m.queues.backlog.copy()  # the warm-up's queues (not in the counters)
    return m.run()


def test_moving_a_service_under_low_load_moves_only_who_does_the_work():
    dec, cen = kfz(None, utilisation_2023=0.5), kfz("central_bund", utilisation_2023=0.5)
    np.testing.assert_array_equal(dec.weekly[:, 0].sum(axis=1), cen.weekly[:, 0].sum(axis=1))
    done_dec, done_cen = dec.cum_completions.sum(), cen.cum_completions.sum()
    left = dec.queues.backlog.sum() + cen.queues.backlog.sum()
    assert abs(done_dec - done_cen) <= left  # only the last week's queues differ
    assert abs(done_dec - done_cen) / done_dec < 1e-4
    # staff minutes used = completions x minutes per case (unchanged: no penalty, no automation)
    assert cen.minutes.max() == dec.minutes.max() == cen.minutes.min()
    # after go-live the federal platform executes the cases; municipal offices have none
    t = cen.calendar.week_of(dt.date(2025, 6, 2))
    groups = cen.routing.groups
    bund = groups.index[groups["level"] == "bund"]
    assert cen.weekly[t, 0, bund].sum() == cen.weekly[t, 0].sum() > 0
    assert "bund" not in set(dec.routing.groups["level"])  # no platform in the decentral run


def test_cases_are_conserved_with_handover():
    # no parallel running: every office hands its open cases over at go-live (Berlin 1.1.2024)
    m = kfz("central_bund", weeks=0, utilisation_2023=0.97, parallel_running_weeks=0)
    handed = m.transfers_in.sum()
    assert handed > 0 and handed == m.transfers_out.sum()
    balance = m.initial_backlog + m.cum_arrivals + m.transfers_in - m.transfers_out
    np.testing.assert_allclose(balance, m.cum_completions + m.queues.backlog, atol=1e-6)


def test_under_overload_the_pooled_platform_completes_at_least_as_much():
    # pooling alone (queueing theory): the platform's IT is ready from its first wave here;
    # the readiness lag is tested below (test_platform_takes_applications_but_decides_none...)
    dec = kfz(None, utilisation_2023=0.99, volume_scale=1.05)
    cen = kfz("central_bund", utilisation_2023=0.99, volume_scale=1.05, platform_it_ready_weeks=0)
    assert cen.cum_completions.sum() >= dec.cum_completions.sum()


def test_central_move_frees_municipal_staff_and_keeps_a_front_office():
    sc = only(BASE, {"personalausweis"}, **{**QUIET, "front_office_share": 0.3})
    sc = dataclasses.replace(sc, end=dt.date(2025, 12, 31), execution=[{
        "services": ["personalausweis"], "mode": "central_bund", "start": dt.date(2024, 1, 1),
        "migration_weeks": 13}])  # fmt: skip
    m = FederalModel(sc, seed=1)
    before = m.base_fte.copy()
    m.run()
    local = m.pair_agency != m.pair_agency[m.routing.target_pairs[("personalausweis", -1,
                                                                   "bund")]]  # fmt: skip
    local = np.flatnonzero(local & (before > 0))
    np.testing.assert_allclose(m.base_fte[local], 0.3 * before[local])
    kpis = kpi_table(m)
    freed = national(kpis, "fte_freed_local_tasks", 2025)
    assert freed == pytest.approx(0.7 * before[local].sum(), rel=1e-9)


# --- the shipped scenarios ---
def short(name: str, end: int = 2029):
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    return FederalModel(dataclasses.replace(sc, end=dt.date(end, 12, 31)), seed=0).run()


@pytest.mark.parametrize("name", ["central_land", "central_bund_cloud", "dresdner_forderungen",
                                  "modernisierungsagenda_2025"])  # fmt: skip
def test_central_scenarios_move_cases_and_free_municipal_staff(name):
    m = short(name)
    kpis = kpi_table(m)
    assert national(kpis, "fte_freed_local_tasks", 2029) > 0
    assert national(kpis, "fte_freed_local_tasks", 2026) == 0
    groups = m.routing.groups
    central = groups["level"].isin(["land", "bund"]).to_numpy()
    before, after = m.calendar.week_of(dt.date(2026, 6, 1)), m.calendar.week_of(dt.date(2029, 6, 4))
    moved = m.weekly[after, 0, central].sum() - m.weekly[before, 0, central].sum()
    assert moved > 0  # more cases reach Land or federal offices after go-live
    assert m.transfers_in.sum() == m.transfers_out.sum()


def test_efa_use_in_2024_within_3_to_5_percent_and_rising():
    m = short("efa_platforms", end=2026)
    kpis = kpi_table(m)
    use = [national(kpis, "efa_adoption_share", y) for y in (2023, 2024, 2025, 2026)]
    assert 0.03 <= use[1] <= 0.05
    assert use == sorted(use) and use[-1] > use[0]


def test_crisis_programme_runs_on_the_platform_when_central():
    m = short("crisis_central", end=2028)
    groups = m.routing.groups
    bund = (groups["level"] == "bund") & groups["service_id"].isin(["ueberbrueckungshilfe",
                                                                     "epp200"])  # fmt: skip
    other = ~groups["level"].isin(["bund"]) & groups["service_id"].isin(["ueberbrueckungshilfe",
                                                                          "epp200"])  # fmt: skip
    assert m.weekly[:, 0, bund.to_numpy()].sum() > 1e6  # programme cases on the platforms
    assert m.weekly[:, 0, other.to_numpy()].sum() == 0


def test_a_lever_from_2030_leaves_every_output_before_2030_unchanged():
    """Replication k of two scenarios that differ only in a move starting in 2030 (no posts
    opened before it) gives identical outputs before 2030: common random numbers hold for
    demand, staff and capacity noise alike."""
    base = dataclasses.replace(BASE, end=dt.date(2030, 12, 31))
    move = dataclasses.replace(base, execution=[{
        "services": ["kfz_zulassung", "wohngeld"], "mode": "central_bund",
        "start": dt.date(2030, 1, 7), "migration_weeks": 26}])  # fmt: skip
    move = move.with_parameters(platform_recruit_lead_weeks=0)
    a, b = (kpi_table(FederalModel(sc, seed=11).run()) for sc in (base, move))
    key = ["year", "kpi", "level", "service_id"]
    before = a[a["year"] < 2030].merge(b[b["year"] < 2030], on=key, how="outer",
                                       suffixes=("_a", "_b"))  # fmt: skip
    # rows only in b: the platforms' (empty) Bund groups of the moved services
    extra = before[before["value_a"].isna()]
    assert set(extra["level"]) <= {"bund"} and (extra["value_b"].fillna(0) == 0).all()
    same = before.dropna(subset=["value_a"])
    np.testing.assert_allclose(same["value_b"], same["value_a"], rtol=1e-12, atol=1e-9)
    after = a[a["year"] == 2030].merge(b[b["year"] == 2030], on=key, suffixes=("_a", "_b"))
    assert not np.allclose(after["value_a"], after["value_b"])  # the lever acts from 2030


# --- a platform decides nothing until its IT is ready (issue 17, item 3) ----------------------


@pytest.fixture(scope="module")
def crisis_platform_weeks():
    """Weekly national arrivals and completions of the crisis platforms (crisis_central, to
    mid-2027, seed 0) for platform_it_ready_weeks 0 and 8, and the programme's first week."""
    from model.results import weekly_table

    sc = dataclasses.replace(load_scenario(SCENARIOS / "crisis_central.toml"),
                             end=dt.date(2027, 7, 4))  # fmt: skip
    out = {}
    for lag in (0, 8):
        m = FederalModel(sc.with_parameters(platform_it_ready_weeks=lag), seed=0).run()
        w = weekly_table(m)
        w = w[w["service_id"] == "epp200"].groupby("week")[["arrivals", "completions",
                                                            "backlog"]].sum()  # fmt: skip
        out[lag] = w
    first = out[0].index[out[0]["arrivals"] > 0][0]
    return out, first


def test_platform_takes_applications_but_decides_none_until_ready(crisis_platform_weeks):
    out, first = crisis_platform_weeks
    ready, at_once = out[8], out[0]
    weeks = list(ready.index)
    i = weeks.index(first)
    # the same applications arrive (common random numbers), from the programme's first week
    np.testing.assert_array_equal(ready["arrivals"], at_once["arrivals"])
    # without a lag the platform decides from its first week; with 8 weeks, nothing until then
    assert at_once["completions"].iloc[i:i + 2].sum() > 0
    assert ready["completions"].iloc[i:i + 8].sum() == 0
    assert ready["completions"].iloc[i + 8] > 0
    # the waiting applications are decided later, not lost: arrivals = decided + waiting
    for w in (ready, at_once):
        assert w["arrivals"].sum() == w["completions"].sum() + w["backlog"].iloc[-1]
    assert ready["backlog"].iloc[i + 7] > 0.9 * ready["arrivals"].iloc[i:i + 8].sum()


def test_readiness_lag_lengthens_the_crisis_lead_time():
    sc = dataclasses.replace(load_scenario(SCENARIOS / "crisis_central.toml"),
                             end=dt.date(2027, 12, 26))  # fmt: skip
    lead = {}
    for lag in (0, 8):
        k = kpi_table(FederalModel(sc.with_parameters(platform_it_ready_weeks=lag), seed=0).run())
        row = k[(k["kpi"] == "lead_time_weeks") & (k["level"] == "all")
                & (k["service_id"] == "epp200") & (k["year"] == 2027)]  # fmt: skip
        lead[lag] = float(row["value"].iloc[0])
    assert lead[8] > lead[0] + 4.0, lead
