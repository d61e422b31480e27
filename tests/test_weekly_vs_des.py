"""The weekly engine against the case-level model (issue 4, item 4), fixed tolerances.

The office is docs/WEEKLY_VS_DES.md's acceptance office (10 clerks, 240 minutes per case),
20 replications on common arrival counts; the tolerances are the issue's and are never widened.
Before the within-week queueing term and the random capacity at high load, loads 0.9 and 1.0
failed by about -30 %.
"""

import pytest

from model.crosscheck import FTE_MINUTES_PER_WEEK, TOLERANCES, compare


@pytest.fixture(scope="module")
def table():
    return compare(clerks=10, minutes=240.0, replications=20).set_index("load")


def _within(table, load: float) -> None:
    row = table.loc[load]
    judged, tol = TOLERANCES[load]
    diff = row[f"{judged}_diff"]
    assert abs(diff) <= tol, f"load {load}: weekly vs case-level {judged} differs by {diff:+.1%}"


@pytest.mark.parametrize("load", [0.6, 0.9, 1.0, 1.2])
def test_weekly_engine_within_tolerance(table, load):
    _within(table, load)


def test_overload_backlog_matches_fluid_theory(table):
    # At load 1.2 both models' year-end open cases are (arrivals - capacity) x 52 weeks,
    # 0.2 x 10 x 1,846.15 / 240 x 52 = 800 cases, to within the random walk's spread.
    capacity = 10 * FTE_MINUTES_PER_WEEK / 240.0
    fluid = 0.2 * capacity * 52
    for column in ("des_backlog", "weekly_backlog"):
        assert table.loc[1.2, column] == pytest.approx(fluid, rel=0.05), column
