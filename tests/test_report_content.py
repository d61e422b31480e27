"""The comparison report's content (issue 9 items 3-5): sentences with numbers from the data,
tables, skipped figures, maps, sources, the Kreis profile; and a tiny real batch end to end.

Hand-made runs are built in memory (analysis.compare.runset_from_tables) with numbers checked
by hand below; the end-to-end tests run the real model on two services for one year.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_batch_fixture import write_batch, write_tiny_scenario

from analysis import compare
from analysis.comparison_report import attributions, build_report
from cli.main import main

SEEDS = (101, 202, 303)
# Wohngeld lead time 2030 per replication: baseline 3.0, 3.4, 3.2 -> median 3.2, min-max 3-3.4;
# central 2.0, 2.6, 2.1 -> median 2.1; paired differences -1.0, -0.8, -1.1 -> median -1,
# min-max -1.1 to -0.8.
WOHNGELD_2030 = {"baseline": (3.0, 3.4, 3.2), "central": (2.0, 2.6, 2.1)}


def kpis_table(scenario: str, r: int) -> pd.DataFrame:
    rows = []
    for year, grow in ((2025, 0.0), (2030, 1.0)):
        lead_wg = WOHNGELD_2030[scenario][r] - (1.0 - grow)  # 2025 one week shorter
        values = {("backlog_cases", "all"): 1000.0 * (1 + grow) + 10 * r,
                  ("lead_time_weeks", "all"): 2.0 + grow,
                  ("lead_time_weeks", "wohngeld"): lead_wg,
                  ("staff_available_fte", "all"): 90.0 + r,
                  ("staff_needed_fte", "all"): 95.0,
                  ("staff_gap_fte", "all"): 5.0 - r}  # fmt: skip
        rows += [{"year": year, "kpi": k, "level": "all", "service_id": s, "value": v}
                 for (k, s), v in values.items()]  # fmt: skip
    return pd.DataFrame(rows)


def staff_agencies_table(r: int) -> pd.DataFrame:
    """Flensburg (01001): its Verwaltung 40+r FTE of 44 needed, its Jobcenter 20 of 21; and
    Kiel (01002), which must not count."""
    rows = []
    for year in (2025, 2030):
        for key, level, kreis, available, needed in (
                ("010010000", "gemeinde", "01001", 40.0 + r, 44.0),
                ("JC-01001", "jobcenter", "01001", 20.0, 21.0),
                ("010020000", "gemeinde", "01002", 999.0, 999.0)):  # fmt: skip
            rows.append({"year": year, "agency_key": key, "level": level, "land": "01",
                         "kreis": kreis, "staff_available_fte": available,
                         "staff_needed_fte": needed, "staff_gap_fte": needed - available})
    return pd.DataFrame(rows)


def agencies_table() -> pd.DataFrame:
    """Flensburg's Verwaltung: Wohngeld 100 cases at 2 weeks, Bauantrag 300 at 4 weeks, so its
    lead time is (200 + 1200) / 400 = 3.5 weeks."""
    return pd.DataFrame({
        "year": [2030, 2030, 2030], "agency_key": ["010010000", "010010000", "010020000"],
        "level": ["gemeinde"] * 3, "land": ["01"] * 3, "kreis": ["01001", "01001", "01002"],
        "service_id": ["wohngeld", "bauantrag", "wohngeld"], "completions": [100, 300, 50],
        "lead_time_weeks": [2.0, 4.0, 9.0]})  # fmt: skip


def staff_table(r: int) -> pd.DataFrame:
    lands = [f"{i:02d}" for i in range(1, 17)]
    return pd.DataFrame({"year": 2030, "land": lands, "level": "kreis",
                         "staff_gap_fte": [float(i - 8) for i in range(16)],
                         "staff_needed_fte": 100.0})  # fmt: skip


def hand_made(full: bool = False) -> compare.RunSet:
    runs, tables = [], {}
    for scenario in ("baseline", "central"):
        for r, seed in enumerate(SEEDS):
            run_id = f"{scenario}-r{r:03d}"
            runs.append({"run_id": run_id, "scenario": scenario, "replication": r, "seed": seed})
            tables[run_id] = {"kpis": kpis_table(scenario, r)}
            if full:
                tables[run_id].update(agencies=agencies_table(), staff=staff_table(r),
                                      staff_agencies=staff_agencies_table(r))
    return compare.runset_from_tables(pd.DataFrame(runs), tables, descriptions={
        "baseline": "Decentral status quo.", "central": "Everything on one federal platform."})


def page_text(report) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", report.to_html()))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def english() -> str:
    return squash(page_text(build_report(hand_made(), lang="en", maps=False)))


def test_sentences_carry_the_hand_computed_numbers(english):
    assert ("By 2030 the median lead time (Housing benefit (Wohngeld)) is 3.2 weeks in the "
            "baseline (min–max over 3 runs: 3 to 3.4 weeks), compared with 2.2 weeks in "
            "2025.") in english  # fmt: skip
    assert ("By 2030 the median lead time (Housing benefit (Wohngeld)) is 2.1 weeks in "
            "scenario 'central' vs 3.2 weeks in the baseline: a paired difference of −1 weeks "
            "(min–max over 3 pairs: −1.1 to −0.8 weeks); lower in every pair, which is "
            "better.") in english  # fmt: skip
    # backlog 2030: 2000, 2010, 2020 in both scenarios -> differences all 0
    assert "is 2,010 cases in the baseline (min–max over 3 runs: 2,000 to 2,020 cases)" in english
    assert "a paired difference of 0 cases" in english and "the same in every pair" in english


def test_german_sentences_use_german_numbers():
    text = squash(page_text(build_report(hand_made(), lang="de", maps=False)))
    assert ("Bis 2030 beträgt der Median der Bearbeitungsdauer (Wohngeld) im Szenario "
            "'central' 2,1 Wochen, in der Basis 3,2 Wochen: gepaarte Differenz −1 Wochen "
            "(Minimum–Maximum über 3 Paare: −1,1 bis −0,8 Wochen)") in text  # fmt: skip


def test_what_was_run_tables_and_skipped_figures(english):
    assert "baseline (baseline): Decentral status quo. (3 runs)" in english
    assert "central: Everything on one federal platform. (3 runs)" in english
    assert "Replications: 3 seed(s) (101, 202, 303)" in english
    # the KPI table cell: staff available 2030 = 90, 91, 92 -> median 91 (90 – 92)
    assert "91 (90 – 92)" in english
    assert "Not in these runs: cost_personnel_eur, cost_it_eur, cost_migration_eur" in english
    assert "Not in these runs: fte_freed_local_tasks (figure skipped)" in english
    assert "Scenario settings" not in english  # hand-made scenarios have no parameters


def test_sources_and_assumptions(english):
    for attribution in attributions():
        assert attribution in english
    assert len(attributions()) >= 3 and "GV100AD" in english
    assert "utilisation_2023" in english and "The bands show chance only" in english
    assert "Service catalogue:" in english


def test_maps_and_kreis_profile_from_full_tables():
    report = build_report(hand_made(full=True), lang="en", kreis="01001")
    text = squash(page_text(report))
    assert "Not in these runs: the table 'weekly'" in text  # Land lead time needs it
    assert text.count("Staff gap (% of staff needed) per") >= 2  # Land and Kreis maps drawn
    assert "GeoBasis-DE / BKG" in text  # the maps' attribution reached the sources
    assert "Kommune 2030: Flensburg, Stadt (01001)" in text
    # 40+r + 20 available (median 61), 44 + 21 = 65 needed; Kiel's 999 left out
    assert ("By 2030 the agencies here have 61 FTE available and need 65 FTE in scenario "
            "'baseline' (median over runs; gap +4 FTE).") in text  # fmt: skip
    units = text[text.index("Gemeinden and Verwaltungen, 2030"):]
    assert "Flensburg, Stadt" in units and "3.5" in units and "Kiel" not in units


def test_kreis_profile_without_full_tables_says_so():
    text = squash(page_text(build_report(hand_made(), lang="en", maps=False, kreis="03241")))
    assert "Kommune 2030: Region Hannover (03241)" in text
    assert "need the tables agencies, staff_agencies" in text


def test_unknown_kreis_is_a_one_line_error():
    with pytest.raises(compare.CompareError, match="not a Kreis key"):
        build_report(hand_made(), kreis="99999", maps=False)


# --- end to end: a tiny real batch -------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_batch(tmp_path_factory) -> Path:
    """Two scenarios x two replications, two services, 2023 only, KPI tables (serial)."""
    from model.batch.runner import run_batch
    from model.batch.spec import load_batch

    folder = tmp_path_factory.mktemp("cmp")
    write_tiny_scenario(folder, "baseline", end="2023-12-31")
    write_tiny_scenario(folder, "faster", end="2023-12-31", parameters={"fungible_share": 0.3})
    batch = write_batch(folder, """
        [batch]
        scenarios = ["baseline.toml", "faster.toml"]
        replications = 2
        tables = "kpis"
    """)
    run_batch(load_batch(batch), folder / "out")
    return folder / "out"


def test_end_to_end_compare_and_report(tiny_batch, capsys):
    assert main(["compare", str(tiny_batch), "--kpis", "lead_time_weeks"]) == 0
    out = capsys.readouterr().out
    assert "lead_time_weeks" in out and "faster" in out and "(n=2)" in out
    target = tiny_batch / "r" / "report.html"
    assert main(["report", str(tiny_batch), "--out", str(target), "--lang", "en",
                 "--kreis", "01001"]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == f"wrote {target}"
    page = squash(html.unescape(re.sub(r"<[^>]+>", " ", target.read_text(encoding="utf-8"))))
    table = compare.compare_table(compare.open_runs(tiny_batch).kpis(
        kpis=["lead_time_weeks"], levels=["all"], services=["all"]),
        scenarios=["baseline", "faster"])  # fmt: skip
    faster = table[table["scenario"] == "faster"].iloc[0]
    from analysis.texts import fmt_number

    assert (f"is {fmt_number(faster['median'], 'en', 'weeks')} in scenario 'faster'") in page
    assert "Not in these runs: the table 'weekly'" in page
    assert "need the tables agencies, staff_agencies" in page
    assert "fungible_share" in page  # the lever that differs, with its assumption
    assert "<script" not in target.read_text(encoding="utf-8")


def test_main_job_resumes_and_restarts_on_a_new_definition(tmp_path):
    from cli.compare import run_main_comparison

    scenarios = tmp_path / "scenarios"
    (scenarios / "batches").mkdir(parents=True)
    write_tiny_scenario(scenarios, "baseline", end="2023-03-31")
    batch = scenarios / "batches" / "main_comparison.toml"
    batch.write_text('[batch]\nname = "main"\nscenarios = ["../baseline.toml"]\n'
                     'replications = 1\ntables = "kpis"\n', encoding="utf-8")  # fmt: skip
    out = tmp_path / "runs" / "main"
    rc, report = run_main_comparison(scenarios, out, serial=True)
    assert rc == 0 and report == out / "report.html" and report.is_file()
    run_manifest = out / "runs" / "baseline-r000" / "manifest.json"
    first = run_manifest.read_text(encoding="utf-8")
    assert run_main_comparison(scenarios, out, serial=True)[0] == 0
    assert run_manifest.read_text(encoding="utf-8") == first  # not computed again
    sessions = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sessions"]
    assert [s["resumed"] for s in sessions] == [True, True]
    batch.write_text(batch.read_text(encoding="utf-8").replace("replications = 1",
                                                               "replications = 2"))
    assert run_main_comparison(scenarios, out, serial=True)[0] == 0
    assert (tmp_path / "runs" / "main.previous" / "runs" / "baseline-r000").is_dir()
    assert len(list((out / "runs").iterdir())) == 2


def test_with_twenty_pairs_or_more_the_verdict_speaks_of_95_percent_of_pairs():
    from analysis.comparison_report import key_sentences

    rows = []
    for scenario, shift in (("baseline", 0.0), ("central", -50.0)):
        for r in range(25):  # central lower by 50 in every pair, noise shared by seed
            rows.append({"run_id": f"{scenario}-{r}", "scenario": scenario, "point": 0,
                         "replication": r, "seed": r, "year": 2030, "kpi": "backlog_cases",
                         "level": "all", "service_id": "all", "value": 1000.0 + r + shift})
    table = compare.compare_table(pd.DataFrame(rows), scenarios=["baseline", "central"])
    sentences = key_sentences(table, ["baseline", "central"], "baseline", 2030, "en")
    assert "(5–95 % over 25 runs: 1,001 to 1,023 cases)" in sentences[0]  # 1000 + 1.2, + 22.8
    assert sentences[1].endswith("(5–95 % over 25 pairs: −50 to −50 cases); lower in at least "
                                 "95 % of the pairs, which is better.")  # fmt: skip
