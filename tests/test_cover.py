"""Cover for municipal offices that lose their staff (model/cover.py, issue 16 item 6): the
rule worked out by hand, its invariants, and its effect on the baseline's stranded backlog."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from model.cover import office_cover
from model.runner import run_scenario
from model.scenario import load_scenario


def test_cover_by_hand():
    # Kreis 0: office 0 lost its clerk (factor 0), offices 1 and 2 are fully staffed.
    # Kreis 1: office 3 is short too but has only a short neighbour (4): nobody lends.
    municipal = np.array([True, True, True, True, True, False])
    kreis = np.array([0, 0, 0, 1, 1, 0])
    fte0 = np.array([0.2, 1.0, 3.0, 1.0, 1.0, 10.0])
    factor = np.array([0.0, 1.0, 1.0, 0.5, 0.6, 1.0])
    out = office_cover(municipal, kreis, fte0, factor, floor=0.75, productivity=0.8,
                       max_share=0.1)  # fmt: skip
    # office 0 needs 0.2 / 0.8 = 0.25 lent FTE; spare: 0.1 (office 1) + 0.3 (office 2)
    # = 0.4 >= 0.25, so it is back at factor 1; the lenders give 0.25 in the ratio 1 : 3
    assert out[0] == pytest.approx(1.0, abs=1e-12)
    assert out[1] == pytest.approx(1.0 - 0.0625, abs=1e-12)
    assert out[2] == pytest.approx(1.0 - 0.1875 / 3.0, abs=1e-12)
    assert out[3:5].tolist() == [0.5, 0.6]  # no lender in Kreis 1
    assert out[5] == 1.0  # the Kreis's own office neither lends nor borrows
    np.testing.assert_array_equal(factor, [0.0, 1.0, 1.0, 0.5, 0.6, 1.0])  # not mutated


def test_cover_rations_a_short_kreis():
    municipal = np.ones(3, dtype=bool)
    kreis = np.zeros(3, dtype=np.int64)
    fte0 = np.array([1.0, 1.0, 1.0])
    factor = np.array([0.0, 0.0, 1.0])
    out = office_cover(municipal, kreis, fte0, factor, floor=0.75, productivity=1.0,
                       max_share=0.1)  # fmt: skip
    # gaps 1 + 1, spare 0.1: each short office gets 0.05, the lender keeps 0.9
    assert out.tolist() == pytest.approx([0.05, 0.05, 0.9], abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_cover_invariants(seed):
    rng = np.random.default_rng(seed)
    n = 200
    municipal = rng.random(n) < 0.9
    kreis = rng.integers(0, 12, n)
    fte0 = rng.exponential(1.0, n) * (rng.random(n) < 0.95)
    factor = rng.uniform(0.0, 1.3, n)
    floor, prod, share = 0.75, 0.8, 0.1
    out = office_cover(municipal, kreis, fte0, factor, floor, prod, share)
    staffed = municipal & (fte0 > 0)
    np.testing.assert_array_equal(out[~staffed], factor[~staffed])
    short = staffed & (factor < floor)
    lender = staffed & (factor > floor)
    assert (out[short] >= factor[short] - 1e-12).all() and (out[short] <= 1.0 + 1e-12).all()
    assert (out[lender] <= factor[lender] + 1e-12).all()
    assert (out[lender] >= np.maximum(floor, (1 - share) * factor[lender]) - 1e-12).all()
    # per Kreis, what short offices gain is productivity x what the lenders give
    gained = np.bincount(kreis, np.where(short, (out - factor) * fte0, 0.0), minlength=12)
    given = np.bincount(kreis, np.where(lender, (factor - out) * fte0, 0.0), minlength=12)
    np.testing.assert_allclose(gained, prod * given, atol=1e-12)


def test_cover_lowers_the_stranded_backlog():
    sc = load_scenario("scenarios/baseline.toml")
    sc = dataclasses.replace(sc, end=dt.date(2024, 12, 31))
    backlog = {}
    for cover in ("kreis", "none"):
        # offices at the catalogue's pace: the queues of slow offices are not stranded
        k = run_scenario(sc.with_parameters(office_cover=cover, office_productivity_sd=0.0),
                         seed=1, tables="kpis")  # fmt: skip
        k = k.tables["kpis"]
        row = k[(k["kpi"] == "backlog_cases") & (k["level"] == "gemeinde")
                & (k["service_id"] == "all") & (k["year"] == 2024)]  # fmt: skip
        backlog[cover] = float(row["value"].iloc[0])
    # a third less (it was 0.6 while a backlog response covered whole agencies; with the
    # response per team, issue 16 item 3, more of the municipal backlog is not stranded)
    assert backlog["kreis"] < 0.67 * backlog["none"], backlog
