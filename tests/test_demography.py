"""Demand follows demography (issue 5, item 5): the index against hand computations from the
packaged projection files, and the engine's arrivals following it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.demography import REFERENCE_YEAR, demand_index, group_share_index, land_index

ROOT = Path(__file__).resolve().parents[1]
GERMANY = ROOT / "model" / "data" / "germany"
LANDS = [f"{i:02d}" for i in range(1, 17)]


def test_reference_year_is_one():
    idx = demand_index(["population", "age_67plus", "age_0"], LANDS, [REFERENCE_YEAR], "G2L2W2")
    np.testing.assert_allclose(idx, 1.0, rtol=1e-12)


def test_land_index_by_hand():
    # Bavaria (09), moderate variant: mid-year 2030 over mid-year 2023, straight from the CSV.
    t = pd.read_csv(GERMANY / "projection_laender_15kbv.csv", dtype={"land": str})
    t = t[(t["variant"] == "G2L2W2") & (t["land"] == "09")].set_index("year")["population"]
    by_hand = (t[2029] + t[2030]) / (t[2022] + t[2023])
    assert land_index("G2L2W2", LANDS, [2030])[8, 0] == pytest.approx(by_hand, rel=1e-12)


def test_group_share_index_by_hand():
    # Share of people 67+ in 2035 over its 2025 value (2023 is held at 2025: the 16th kBV
    # starts on 31.12.2025).
    t = pd.read_csv(GERMANY / "projection_germany_16kbv_age.csv")
    wide = t.pivot(index="year", columns="age", values="population")
    share = wide.loc[:, 67:].sum(axis=1) / wide.sum(axis=1)
    assert group_share_index(["age_67plus"], [2035])[0, 0] == pytest.approx(
        share[2035] / share[2025], rel=1e-12
    )
    # the 67+ share rises and the 20-66 share falls over the horizon (the mission's premise)
    old, work = group_share_index(["age_67plus", "age_20_66"], [2035])[:, 0]
    assert old > 1.05 and work < 0.97


def test_index_is_land_times_group():
    idx = demand_index(["age_80plus"], LANDS, [2031], "G2L2W3")
    expected = (
        land_index("G2L2W3", LANDS, [2031])[:, 0] * group_share_index(["age_80plus"], [2031])[0, 0]
    )
    np.testing.assert_allclose(idx[0, :, 0], expected, rtol=1e-12)


def test_variants_differ_and_unknown_group_rejected():
    low = land_index("G2L2W1", LANDS, [2035]).sum()
    high = land_index("G2L2W3", LANDS, [2035]).sum()
    assert high > low
    with pytest.raises(ValueError, match="unknown population groups"):
        demand_index(["age_99"], LANDS, [2030], "G2L2W2")


def test_engine_arrivals_follow_the_index():
    """Yearly Sozialhilfe case-years (people 67+) follow the index; with 'constant' they don't."""
    import dataclasses
    import datetime as dt

    from model.engine import FederalModel
    from model.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    sc = dataclasses.replace(sc, start=dt.date(2034, 1, 2), end=dt.date(2034, 12, 31))
    m = FederalModel(sc.with_parameters(warmup_weeks=0), seed=3)
    m_const = FederalModel(
        sc.with_parameters(warmup_weeks=0, demand_follows_demography="constant"), seed=3
    )
    s = m.routing.services.index("sozialhilfe")
    cells = m.routing.cell_service == s
    drawn = m.cell_arrivals(2034)[:, cells].sum()
    drawn_const = m_const.cell_arrivals(2034)[:, cells].sum()
    # expected: the 2023 rate times the index, per cell, over the year's 52 weeks
    expected = (m._base_for_year(2034)[cells] * 52).sum()
    expected_const = (m_const.base_rates[cells] * 52).sum()
    assert expected / expected_const > 1.15  # more people 67+ by 2034
    assert drawn == pytest.approx(expected, rel=0.01)  # Poisson noise ~0.1 %
    assert drawn_const == pytest.approx(expected_const, rel=0.01)
