"""The seed's 12 criteria: packaged data, the rule by hand, anchor cases, errors, chart, CLI."""

from __future__ import annotations

import io
import itertools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import criteria as cr
from model.catalogue import Catalogue, load_catalogue
from model.datafiles import data_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tables() -> cr.CriteriaTables:
    return cr.load_criteria()


@pytest.fixture(scope="module")
def recs(tables) -> pd.DataFrame:
    return cr.recommend(tables).set_index("service_id")


# --- the packaged data -----------------------------------------------------------------------


def test_twelve_criteria_with_weights_in_their_ranges(tables):
    crit = tables.criteria
    assert len(crit) == 12 and crit["criterion_id"].is_unique
    assert set(crit["high_points_to"]) == {"local", "central"}
    assert (crit["weight_low"] <= crit["weight"]).all()
    assert (crit["weight"] <= crit["weight_high"]).all()
    assert crit["weight_reason"].str.startswith("assumption:").all()
    assert crit["source"].str.contains("Neuverortung von Leistungen").all()


def test_every_service_scored_on_every_criterion(tables):
    services = set(load_catalogue().service_ids)
    scores = tables.scores
    pairs = set(zip(scores["service_id"], scores["criterion_id"], strict=True))
    assert pairs == set(itertools.product(services, tables.criteria["criterion_id"]))
    assert len(scores) == len(pairs) == 12 * len(services)
    for column in ("score_today", "score_future"):
        assert scores[column].between(0, 4).all()
        assert (scores[column] == scores[column].round()).all()
    for column in ("reason_today", "reason_future"):
        text = scores[column].str.split(":", n=1).str[1].str.strip()
        assert (text.str.len() > 3).all(), column
        assert scores[column].str.match(r"^(src|derived|assumption):").all()


def test_derived_scores_follow_the_catalogue(tables):
    # By hand: personalausweis personal_contact 0.9 -> 4 x 0.9 = 3.6 -> 4; bauantrag
    # local_knowledge 0.9 -> 4; wohngeld automation 0.6 -> 2.4 -> 2; uvg discretion 0.3 -> 1.
    scores = tables.scores.set_index(["service_id", "criterion_id"])["score_today"]
    assert scores[("personalausweis", "contact_access")] == 4
    assert scores[("bauantrag", "local_knowledge")] == 4
    assert scores[("wohngeld", "automation_scale")] == 2
    assert scores[("uvg", "discretion")] == 1
    assert cr.derive_score(0.5) == 2 and cr.derive_score(0.625) == 3 and cr.derive_score(0.1) == 0
    derived = tables.scores[tables.scores["reason_today"].str.startswith("derived:")]
    assert set(derived["criterion_id"]) == set(
        tables.criteria.loc[tables.criteria["catalogue_column"] != "", "criterion_id"]
    )


# --- anchor cases (issue 7) ------------------------------------------------------------------


@pytest.mark.parametrize("service_id", ["kfz_zulassung", "kindergeld", "fuehrungszeugnis"])
def test_anchor_central(recs, service_id):
    assert recs.at[service_id, "recommendation"] == "central"
    assert recs.at[service_id, "front_office"] == "central"


@pytest.mark.parametrize("service_id", ["kindergeld", "fuehrungszeugnis"])
def test_anchor_already_central_today(recs, service_id):
    assert recs.at[service_id, "recommendation_today"] == "central"
    assert recs.at[service_id, "execution_today"] == "central"


@pytest.mark.parametrize("service_id", ["personalausweis", "reisepass"])
def test_anchor_identity_documents_back_office_central_counter_local(recs, service_id):
    assert recs.at[service_id, "recommendation"] == "central"
    assert recs.at[service_id, "front_office"] == "local"


def test_anchor_building_permit_local_by_the_local_knowledge_veto(recs):
    assert recs.at["bauantrag", "recommendation"] == "local"
    assert recs.at["bauantrag", "veto"] == "local_knowledge"
    assert recs.at["bauantrag", "reasons"].startswith("veto:")


def test_anchor_list_in_the_model_is_reproduced(tables):
    assert cr.anchor_problems(cr.recommend(tables)) == []
    broken = cr.recommend(tables)
    broken.loc[broken["service_id"] == "bauantrag", "recommendation"] = "central"
    assert cr.anchor_problems(broken) == ["bauantrag: recommendation is central, expected local"]


# --- the rule on a tiny table, by hand -------------------------------------------------------


def _tiny() -> tuple[cr.CriteriaTables, Catalogue]:
    """Two criteria: 'place' (high -> local, weight 3, range 2-4), 'auto' (high -> central,
    weight 1, range 0.5-2)."""
    criteria = pd.DataFrame({
        "criterion_id": ["place", "auto"], "name_de": ["Ort", "Automat"],
        "name_en": ["Place", "Auto"], "high_points_to": ["local", "central"],
        "catalogue_column": ["", ""], "weight": [3.0, 1.0], "weight_low": [2.0, 0.5],
        "weight_high": [4.0, 2.0],
    })  # fmt: skip
    rows = [  # service, criterion, today, future
        ("a", "place", 3, 1), ("a", "auto", 2, 4),
        ("b", "place", 1, 1), ("b", "auto", 0, 0),
        ("c", "place", 4, 4), ("c", "auto", 4, 4),
        ("d", "place", 0, 0), ("d", "auto", 4, 4),
    ]  # fmt: skip
    scores = pd.DataFrame(rows, columns=["service_id", "criterion_id", "score_today",
                                         "score_future"])  # fmt: skip
    services = pd.DataFrame({"service_id": list("abcd"), "name_en": list("ABCD"),
                             "legislating_level": ["bund", "bund", "land", "kommune"]})  # fmt: skip
    execution = pd.DataFrame({"service_id": list("abcd"),
                              "level": ["kreis", "bund", "gemeinde", "gemeinde"]})  # fmt: skip
    empty = pd.DataFrame()
    return cr.CriteriaTables(criteria, scores), Catalogue(services, execution, empty, empty)


def test_weighted_scores_by_hand():
    tiny, _ = _tiny()
    got = cr.weighted_scores(tiny.criteria, tiny.scores).set_index("service_id")
    # a today: positions 4-3 = 1 and 2 -> (3*1 + 1*2) / 4 = 1.25; future: 3 and 4 -> 13/4.
    assert got.at["a", "score_today"] == pytest.approx(1.25)
    assert got.at["a", "score_future"] == pytest.approx(3.25)
    # b: positions 3 and 0 -> 9/4; c: 0 and 4 -> 1; d: 4 and 4 -> 4.
    assert got["score_future"].tolist() == pytest.approx([3.25, 2.25, 1.0, 4.0])
    # Other weights: place 1, auto 1 -> a future (3 + 4) / 2.
    other = cr.weighted_scores(tiny.criteria, tiny.scores, {"place": 1.0})
    assert other["score_future"].iloc[0] == pytest.approx(3.5)


def test_recommendation_by_hand():
    tiny, catalogue = _tiny()
    rule = cr.Rule(veto_criterion="place", veto_min_score=3, front_office_criterion="place",
                   front_office_min_score=3, n_reasons=1)  # fmt: skip
    got = cr.recommend(tiny, rule, catalogue).set_index("service_id")
    assert got["recommendation"].tolist() == ["central", "central", "local", "local"]
    assert got["recommendation_today"].tolist() == ["local", "central", "local", "local"]
    assert got["veto"].tolist() == ["", "", "place", "own_task"]
    assert got["execution_today"].tolist() == ["local", "central", "local", "local"]
    # a: min over weights = place high (4), auto low (0.5): (4*3 + 0.5*4) / 4.5 = 3.111;
    # max = place low (2), auto high (2): (2*3 + 2*4) / 4 = 3.5 -> robust.
    assert got.at["a", "score_future_min"] == pytest.approx(14 / 4.5, abs=1e-4)
    assert got.at["a", "score_future_max"] == pytest.approx(3.5)
    # b: 2.25 >= 2 is central, but min = (2*3 + 2*0) / 4 = 1.5 < 2.25 -> not robust.
    assert got.at["b", "score_future_min"] == pytest.approx(1.5)
    assert got["robust"].tolist() == [True, False, True, True]
    # a is central; 'place' pulls 3 * (3 - 2) = 3, 'auto' 1 * (4 - 2) = 2 -> 'place' decides.
    assert got.at["a", "deciding_criteria"] == "place"
    assert got.at["a", "reasons"] == "Place 1/4 → central"
    assert got.at["c", "reasons"].startswith("veto: Place 4/4 → local")
    assert got.at["c", "front_office"] == "local" and got.at["a", "front_office"] == "central"


def test_score_bounds_match_brute_force_over_the_weight_box():
    rng = np.random.default_rng(7)
    pos = rng.integers(0, 5, size=(20, 5)).astype(float)
    low = rng.uniform(0.1, 1.0, 5)
    high = low + rng.uniform(0.0, 2.0, 5)
    smallest, largest = cr.score_bounds(pos, low, high)
    corners = np.array(list(itertools.product(*zip(low, high, strict=True))))
    values = pos @ corners.T / corners.sum(axis=1)
    assert smallest == pytest.approx(values.min(axis=1))
    assert largest == pytest.approx(values.max(axis=1))


# --- broken files: one line naming file, line and column -------------------------------------


@pytest.fixture()
def copies(tmp_path):
    paths = []
    for name in ("criteria.csv", "scores.csv"):
        target = tmp_path / name
        shutil.copy(data_path("criteria", name), target)
        paths.append(target)
    return paths


def _edit(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def _error(copies) -> str:
    with pytest.raises(cr.CriteriaError) as info:
        cr.load_criteria_files(*copies, load_catalogue())
    message = str(info.value)
    assert "\n" not in message and "allowed" in message, message
    return message


def test_score_out_of_range_names_file_line_and_column(copies):
    # Line 3 is wohngeld x local_knowledge (header, contact_access, local_knowledge).
    _edit(copies[1], 3, "wohngeld,local_knowledge,1,1,", "wohngeld,local_knowledge,1,5,")
    message = _error(copies)
    assert message.startswith(f"{copies[1]}: line 3 (service_id 'wohngeld', criterion_id "
                              "'local_knowledge'): column score_future '5'")  # fmt: skip
    assert "whole number 0 to 4" in message


def test_empty_reason_is_refused(copies):
    _edit(copies[1], 4, "assumption: queries by letter or phone; a visit is the exception", "")
    message = _error(copies)
    assert "line 4" in message and "column reason_today" in message


def test_derived_score_must_match_the_catalogue(copies):
    _edit(copies[1], 3, "wohngeld,local_knowledge,1,", "wohngeld,local_knowledge,2,")
    message = _error(copies)
    assert "line 3" in message and "score_today 2 does not match" in message
    assert "allowed: 1" in message


def test_missing_pair_and_unknown_criterion(copies):
    _edit(copies[1], 2, "wohngeld,contact_access", "wohngeld,contact_acess")
    message = _error(copies)
    assert "line 2" in message and "column criterion_id 'contact_acess'" in message
    _edit(copies[1], 2, "wohngeld,contact_acess", "elterngeld,local_knowledge")
    assert "repeats" in _error(copies)


def test_weight_outside_its_range_and_bad_direction(copies):
    _edit(copies[0], 2, ",local,", ",left,")
    message = _error(copies)
    assert message == (f"{copies[0]}: line 2 (criterion_id 'contact_access'): column "
                       "high_points_to 'left' is not allowed; allowed: central, local")
    _edit(copies[0], 2, ",left,", ",local,")
    _edit(copies[0], 2, ",personal_contact,1,0.5,1.5,", ",personal_contact,2,0.5,1.5,")
    assert "columns weight_low, weight, weight_high are 0.5, 2, 1.5" in _error(copies)


def test_missing_column_is_named(copies):
    text = copies[1].read_text(encoding="utf-8").replace("reason_future", "why_future", 1)
    copies[1].write_text(text, encoding="utf-8")
    message = _error(copies)
    assert "line 1 (header)" in message and "missing column(s) reason_future" in message
    assert "unknown column(s) why_future" in message


# --- the chart -------------------------------------------------------------------------------


def _markers(ax):
    lines = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    return lines


def test_chart_has_twelve_rows_and_both_marker_kinds(tables):
    from analysis.criteria_chart import criteria_figure

    pos = cr.positions(tables.criteria, tables.scores)
    fig = criteria_figure(pos, tables.criteria, ["personalausweis"], lang="de")
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ax.get_yticks()) == 12 and labels[0] == "Persönlicher Kontakt beim Zugang"
    assert [t.get_text() for t in ax.get_xticklabels()][::4] == ["lokal", "zentral"]
    markers = _markers(ax)
    assert markers["today"].get_markerfacecolor() == "none"  # ○ open
    assert markers["future"].get_markerfacecolor() != "none"  # ● filled
    # Positions: contact_access score today 4 (local-pointing) -> x = 0; future 3 -> x = 1.
    assert markers["today"].get_xdata()[0] == 0 and markers["future"].get_xdata()[0] == 1
    assert len(markers["future"].get_ydata()) == 12
    only_today = criteria_figure(pos, tables.criteria, ["kfz_zulassung"], when="today")
    assert set(_markers(only_today.axes[0])) == {"today"}


def test_chart_small_multiples_one_panel_per_service(tables):
    from analysis.criteria_chart import criteria_figure

    pos = cr.positions(tables.criteria, tables.scores)
    ids = ["wohngeld", "bauantrag", "kindergeld", "meldung", "gewerbe"]
    fig = criteria_figure(pos, tables.criteria, ids, ncols=2, lang="en")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5 and len(fig.axes) == 6
    assert all(len(ax.get_yticks()) == 12 for ax in visible)
    assert [ax.get_title(loc="left") for ax in visible] == ids


# --- the command line and the generated page --------------------------------------------------


def test_cli_prints_the_table_and_writes_the_chart(tmp_path, capsys):
    from cli.main import main

    assert main(["criteria", "--format", "csv", "--when", "future"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(table) == len(load_catalogue().service_ids)
    assert table.set_index("service_id").at["bauantrag", "recommendation"] == "local"
    assert "score_today" not in table.columns

    png = tmp_path / "bau.png"
    assert main(["criteria", "--service", "bauantrag", "--chart", str(png), "--lang", "de"]) == 0
    out = capsys.readouterr()
    assert "bauantrag" in out.out and "veto" in out.out and "wrote" in out.err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["bau.png"]  # no temporary file left
    svg = tmp_path / "kfz.svg"
    assert main(["criteria", "--service", "kfz_zulassung", "--chart", str(svg)]) == 0
    assert "<svg" in svg.read_text(encoding="utf-8")[:500]


@pytest.mark.parametrize("args, words", [
    (["--service", "wohngld"], ["wohngld", "did you mean 'wohngeld'", "allowed"]),
    (["--chart", "x.jpg"], ["x.jpg", ".png, .svg"]),
])  # fmt: skip
def test_cli_errors_are_one_line(capsys, args, words):
    from cli.main import main

    assert main(["criteria", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and all(word in err for word in words), err


def test_docs_page_is_current():
    from cli.criteria import criteria_page

    committed = (ROOT / "docs" / "CRITERIA.md").read_text(encoding="utf-8")
    assert committed == criteria_page(), "docs/CRITERIA.md is stale: regenerate it"


def test_changing_one_weight_moves_only_the_services_it_should():
    """Raise one criterion's weight: a service's recommendation may change only if its
    weighted score, recomputed by hand with the new weight, crosses the threshold (vetoed and
    own-task services never move). Done for every criterion; some must move services."""
    tables = cr.load_criteria()
    rule = cr.Rule()
    before = cr.recommend(tables, rule).set_index("service_id")
    pos_all = cr.positions(tables.criteria, tables.scores)
    total = float(tables.criteria["weight"].sum())
    any_moved = False
    for cid in tables.criteria["criterion_id"]:
        crit = tables.criteria.copy()
        row = crit.index[crit["criterion_id"] == cid][0]
        old_w, new_w = float(crit.at[row, "weight"]), 6.0  # far above any range: a strong push
        crit.loc[row, "weight"] = new_w
        after = cr.recommend(cr.CriteriaTables(crit, tables.scores), rule)
        after = after.set_index("service_id")
        pos = pos_all[pos_all["criterion_id"] == cid].set_index("service_id")["position_future"]
        moved = set(before.index[before["recommendation"] != after["recommendation"]])
        expected = set()
        for sid in before.index:
            if before.at[sid, "veto"]:
                continue
            score = (before.at[sid, "score_future"] * total + (new_w - old_w) * pos[sid]) \
                / (total - old_w + new_w)
            if (score >= rule.threshold) != (before.at[sid, "recommendation"] == "central"):
                expected.add(sid)
        assert moved == expected, cid
        assert (after["veto"] == before["veto"]).all(), cid
        any_moved |= bool(moved)
    assert any_moved  # the pushes are strong enough to move some services
