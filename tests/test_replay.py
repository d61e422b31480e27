"""The bridging-aid replay (model/replay.py): conservation, equal staff and arrivals, determinism,
pooling. Runs at scale <= 0.02 (at most 40,000 of the 2 million applications)."""

import math

import numpy as np
import pandas as pd
import pytest

from model import replay
from model.des import office_from_dict
from model.des_spec import WORKING_MINUTES_PER_WEEK
from model.geography import load_germany
from model.replay import ASSUMPTIONS, bridging_aid_replay

SCALE = 0.02
CASES = round(2_000_000 * SCALE)  # demand_shocks.csv: 2,000,000 applications
FTE = 7_100 * 0.5 * SCALE  # registered case workers x effective FTE share x scale = 71
FTE_TOLERANCE = 1e-9  # relative: the part-time shares keep each office's FTE exact


@pytest.fixture(scope="module")
def result():
    return bridging_aid_replay(seed=1, scale=SCALE)


def variant(result, name):
    return result.summary.set_index("variant").loc[name]


def test_assumptions_have_ranges_and_reasons():
    for name, a in ASSUMPTIONS.items():
        assert a.low <= a.value <= a.high, name
        assert a.unit and len(a.reason) > 20, name


def test_steps_add_up_to_the_catalogue_minutes():
    # 45 intake + 0.2 x 20 request + 296 decision + 15 payout = 360 (services.csv)
    steps = replay.office_steps(360.0)
    spec = office_from_dict({"office": {"weeks": 1}, "arrivals": {"rate_per_week": 1.0},
                             "staff": {"clerks": 1}, "steps": steps}, "<test>")  # fmt: skip
    assert spec.expected_staff_minutes_per_case() == pytest.approx(360.0)
    assert [s["name"] for s in steps] == ["intake", "missing_documents", "decision", "payout"]
    assert steps[2]["minutes"] == pytest.approx(296.0)
    with pytest.raises(ValueError, match="no time for the decision"):
        replay.office_steps(60.0)


def test_part_time_rule_keeps_fte():
    assert replay._part_time(0.18) == [0.18]
    assert replay._part_time(2.4) == pytest.approx([0.8, 0.8, 0.8])
    assert replay._part_time(3.0) == [1.0, 1.0, 1.0]
    for fte in (0.01, 0.99, 1.0, 1.01, 57.3):
        shares = replay._part_time(fte)
        assert math.fsum(shares) == pytest.approx(fte, rel=FTE_TOLERANCE)
        assert all(0 < s <= 1 for s in shares)


def test_central_offices_are_21_with_the_five_largest_laender_split():
    g = load_germany()
    names = replay.central_office_of(g.kreise, g.laender, splits=5)
    assert len(set(names)) == 21
    split = {n.split("-")[0] for n in names if "-" in n}
    largest = set(g.laender.nlargest(5, "population")["code"])
    assert split == largest == {"NW", "BY", "BW", "NI", "HE"}
    pop = pd.Series(g.kreise["population"].to_numpy(), index=names).groupby(level=0).sum()
    for code in split:
        first = pop[f"{code}-1"] / (pop[f"{code}-1"] + pop[f"{code}-2"])
        assert 0.4 < first < 0.6, code  # halves by population, to one Kreis


def test_conservation(result):
    for name in ("central", "decentral"):
        row = variant(result, name)
        assert row["cases"] == CASES
        assert row["completed"] + row["open_end"] == CASES
        weekly = result.weekly[result.weekly["variant"] == name]
        assert weekly["arrivals"].sum() == CASES
        assert weekly["completions"].sum() == row["completed"]
        backlog = (weekly["arrivals"].cumsum() - weekly["completions"].cumsum()).to_numpy()
        np.testing.assert_array_equal(weekly["backlog"].to_numpy(), backlog)
        assert backlog[-1] == row["open_end"]
        assert row["backlog_peak_cases"] == backlog.max()
    offices = result.offices.groupby("variant")["cases"].sum()
    assert (offices == CASES).all()


def test_same_staff_and_same_arrivals(result):
    central, decentral = variant(result, "central"), variant(result, "decentral")
    assert central["staff_fte"] == pytest.approx(FTE, rel=FTE_TOLERANCE)
    assert decentral["staff_fte"] == pytest.approx(FTE, rel=FTE_TOLERANCE)
    assert (central["offices"], decentral["offices"]) == (21, 400)
    weekly = result.weekly.pivot(index="week", columns="variant", values="arrivals")
    np.testing.assert_array_equal(weekly["central"], weekly["decentral"])  # week by week
    assert (weekly.loc[104:] == 0).all().all()  # 104 programme weeks, then only the drain


def test_offered_load_by_hand(result):
    # 40,000 x 360 min / (104 weeks x 71 FTE x 1,846.15 min/week) = 1.056
    load = CASES * 360.0 / (104 * FTE * WORKING_MINUTES_PER_WEEK)
    assert load == pytest.approx(1.0563, abs=1e-4)
    for name in ("central", "decentral"):
        assert variant(result, name)["offered_load"] == pytest.approx(load, rel=1e-9)


def test_deterministic_per_seed():
    a, b = (bridging_aid_replay(seed=3, scale=0.005) for _ in range(2))
    c = bridging_aid_replay(seed=4, scale=0.005)
    drop = ["runtime_seconds"]
    pd.testing.assert_frame_equal(a.summary.drop(columns=drop), b.summary.drop(columns=drop))
    pd.testing.assert_frame_equal(a.offices, b.offices)
    pd.testing.assert_frame_equal(a.weekly, b.weekly)
    assert not a.weekly["arrivals"].equals(c.weekly["arrivals"])


def test_parallel_equals_serial():
    serial = bridging_aid_replay(seed=2, scale=0.005, variants=("central",))
    parallel = bridging_aid_replay(seed=2, scale=0.005, variants=("central",), workers=2)
    pd.testing.assert_frame_equal(serial.offices, parallel.offices)
    pd.testing.assert_frame_equal(serial.weekly, parallel.weekly)


@pytest.mark.parametrize("fte_share", [0.5, 0.8])
def test_pooling_central_not_slower(result, fte_share):
    # With equal total staff and equal loads, one queue served by c clerks waits less than
    # c/k-clerk queues each fed 1/k of the arrivals (pooling; e.g. Erlang C: M/M/2 at load
    # 0.8 waits 1.8 services, two M/M/1 wait 4). At scale 0.02 the Kreise are single clerks of
    # about 0.2 FTE, so the gap is much larger than at scale 1.
    run = result if fte_share == 0.5 else bridging_aid_replay(1, SCALE, fte_share)
    central, decentral = variant(run, "central"), variant(run, "decentral")
    assert central["lead_mean_weeks"] <= decentral["lead_mean_weeks"]
    assert central["backlog_peak_cases"] <= decentral["backlog_peak_cases"]


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scale"):
        bridging_aid_replay(1, scale=0.0)
    with pytest.raises(ValueError, match="unknown variants"):
        bridging_aid_replay(1, scale=0.001, variants=("federal",))
