"""The ``criteria`` execution mode (issue 7 item 3): the 12-criteria rule places services.

The anchor cases are checked where the mode decides, on the resolved moves (fast); one short
run checks that the shipped scenario runs and moves cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from model.catalogue import load_catalogue
from model.costs import cost_table
from model.criteria import ANCHORS
from model.engine import FederalModel
from model.execution import criteria_modes, resolve_moves
from model.geography import load_germany
from model.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CAT = load_catalogue()
LANDS = list(load_germany().laender["code"])


def moves_of(entries: list[dict]) -> dict[str, set[tuple[str, int]]]:
    """service -> {(mode, Land row)} of the resolved moves."""
    moves = resolve_moves("test", entries, CAT.services, CAT.execution, LANDS, 26,
                          CAT.services["service_id"])  # fmt: skip
    out: dict[str, set[tuple[str, int]]] = {}
    for mv in moves:
        out.setdefault(mv.service_id, set()).add((mv.mode, mv.land_row))
    return out


def levels_today(service_id: str) -> set[str]:
    return set(CAT.execution.loc[CAT.execution["service_id"] == service_id, "level"])


SHIPPED = load_scenario(SCENARIOS / "criteria_driven.toml")


@pytest.mark.parametrize("when", ["future", "today"])
def test_anchor_cases_move_or_stay_as_the_issue_requires(when):
    entries = [{**e, "criteria_when": when} for e in SHIPPED.execution]
    moved = moves_of(entries)
    every_land = {("central_bund", row) for row in range(16)}
    # vehicle registration and the back office of identity documents: one federal platform
    for sid in ("kfz_zulassung", "personalausweis", "reisepass"):
        assert moved[sid] == every_land, sid
    # ... and identity documents keep their local counter (the catalogue's in_person flag,
    # which the migration turns into a front office), vehicle registration does not
    in_person = CAT.services.set_index("service_id")["in_person"]
    assert in_person["personalausweis"] and in_person["reisepass"]
    assert not in_person["kfz_zulassung"]
    # building permits stay local
    assert "bauantrag" not in moved and levels_today("bauantrag") == {"kreis"}
    # Kindergeld and the certificate of good conduct are central today and stay so
    for sid in ("kindergeld", "fuehrungszeugnis"):
        assert sid not in moved and levels_today(sid) == {"bund"}, sid


def test_every_anchor_of_the_rule_is_honoured_by_the_mode():
    modes = criteria_modes(CAT.services, CAT.execution, "future")
    for anchor in ANCHORS:
        central_today = levels_today(anchor.service_id) <= {"land", "bund"}
        if anchor.recommendation == "local" or central_today:
            assert modes[anchor.service_id] == "unchanged", anchor.service_id
        else:
            assert modes[anchor.service_id].startswith("central_"), anchor.service_id


def test_legislating_level_decides_the_platform():
    modes = criteria_modes(CAT.services, CAT.execution, "future")
    leg = CAT.services.set_index("service_id")["legislating_level"]
    assert modes["fischereischein"] == "central_land" and leg["fischereischein"] == "land"
    for sid, mode in modes.items():
        if mode == "central_bund":
            assert leg[sid] == "bund", sid
        if mode == "central_land":
            assert leg[sid] == "land", sid
    assert modes["hundesteuer"] == "unchanged"  # the Kommune's own task


def test_criteria_driven_scenario_runs_and_moves_cases():
    sc = dataclasses.replace(SHIPPED, end=dt.date(2029, 12, 31))
    m = FederalModel(sc, seed=0).run()
    groups = m.routing.groups
    before, after = (m.calendar.week_of(dt.date(y, 9, 3)) for y in (2027, 2029))

    def arrivals(service: str, level: str, week: int = after) -> float:
        mask = ((groups["service_id"] == service) & (groups["level"] == level)).to_numpy()
        return float(m.weekly[week, 0, mask].sum())

    # agencies join as fast as the new platform's staff allow (migration_gate = capacity)
    assert arrivals("kfz_zulassung", "bund", before) == 0 < arrivals("kfz_zulassung", "bund")
    assert arrivals("kfz_zulassung", "kreis") < arrivals("kfz_zulassung", "kreis", before)
    assert arrivals("bauantrag", "kreis") > 0 and arrivals("bauantrag", "bund") == 0
    assert arrivals("fuehrungszeugnis", "bund") > 0
    costs = cost_table(m)
    moved = {mv.service_id for mv in (ms.move for ms in m.execution.moves)}
    by_service = costs.groupby("service_id", observed=True)["cost_migration_eur"].sum()
    assert all(by_service[s] > 0 for s in moved)
    assert np.all(by_service.drop(list(moved)) == 0.0)
    assert costs.loc[costs["year"] < 2028, "cost_migration_eur"].sum() == 0.0
