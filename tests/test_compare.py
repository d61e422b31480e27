"""The comparison table (issue 9 item 1): medians, bands, paired differences, formats.

Hand-made tables with numbers checked by hand; one single run folder written with
model.storage.write_run (no model run). The end-to-end test on a real tiny batch is in
tests/test_report_content.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import compare
from analysis.compare import CompareError
from cli.main import main

SEEDS = (11, 22, 33)


def tidy(values: dict[str, list[float]], kpi: str = "backlog_cases", year: int = 2030,
         seeds=SEEDS, points=None) -> pd.DataFrame:  # fmt: skip
    """One row per run: scenario -> values in replication order (seed k for value k)."""
    rows = []
    for scenario, vals in values.items():
        for r, v in enumerate(vals):
            rows.append({"run_id": f"{scenario}-r{r}", "scenario": scenario,
                         "point": 0 if points is None else points[r], "replication": r,
                         "seed": seeds[r], "year": year, "kpi": kpi, "level": "all",
                         "service_id": "all", "value": v})  # fmt: skip
    return pd.DataFrame(rows)


def test_three_runs_give_min_max_band_and_the_middle_run_as_median():
    table = compare.compare_table(tidy({"baseline": [1.0, 5.0, 3.0], "x": [2.0, 9.0, 4.0]}),
                                  scenarios=["baseline", "x"])  # fmt: skip
    base, x = table.iloc[0], table.iloc[1]
    assert (base["scenario"], base["n"], base["band"]) == ("baseline", 3, "min–max")
    assert (base["median"], base["low"], base["high"]) == (3.0, 1.0, 5.0)
    assert (x["median"], x["low"], x["high"]) == (4.0, 2.0, 9.0)
    # paired by seed: 2-1, 9-5, 4-3 = 1, 4, 1
    assert (x["diff_n"], x["diff_median"], x["diff_low"], x["diff_high"]) == (3, 1.0, 1.0, 4.0)
    assert pd.isna(base["diff_median"]) and base["unit"] == "cases"


def test_differences_pair_by_seed_not_by_row_order():
    frame = tidy({"baseline": [10.0, 20.0, 30.0], "x": [11.0, 22.0, 33.0]})
    shuffled = frame.sample(frac=1.0, random_state=3)
    diffs = compare.paired_differences(shuffled, "baseline")
    assert dict(zip(diffs["seed"], diffs["diff"], strict=True)) == {11: 1.0, 22: 2.0, 33: 3.0}
    # unpaired, the median difference of these rows would still be 2, but the band differs:
    row = compare.compare_table(shuffled, scenarios=["baseline", "x"]).iloc[1]
    assert (row["diff_low"], row["diff_high"]) == (1.0, 3.0)


def test_a_run_without_a_baseline_partner_is_left_out_of_the_differences():
    frame = tidy({"baseline": [1.0, 2.0], "x": [5.0, 7.0, 100.0]}, seeds=(1, 2, 3))
    row = compare.compare_table(frame, scenarios=["baseline", "x"]).iloc[1]
    assert row["n"] == 3 and row["diff_n"] == 2 and row["diff_high"] == 5.0  # 7-2


def test_design_points_pair_within_their_point():
    seeds = (5, 5, 6, 6)
    frame = tidy({"baseline": [1.0, 10.0, 2.0, 20.0], "x": [2.0, 12.0, 4.0, 23.0]},
                 seeds=seeds, points=[0, 1, 0, 1])  # fmt: skip
    diffs = compare.paired_differences(frame, "baseline").sort_values(["point", "seed"])
    assert diffs["diff"].tolist() == [1.0, 2.0, 2.0, 3.0]


def test_twenty_runs_or_more_give_the_5_95_quantile_band():
    values = [float(v) for v in range(25)]
    seeds = tuple(range(100, 125))
    stats = compare.summarise(tidy({"baseline": values}, seeds=seeds), ["scenario"])
    row = stats.iloc[0]
    # linear interpolation: position 0.05 x 24 = 1.2 and 0.95 x 24 = 22.8
    assert row["band"] == "5–95 %" and row["n"] == 25
    assert row["low"] == pytest.approx(1.2) and row["high"] == pytest.approx(22.8)
    assert row["median"] == 12.0
    nineteen = compare.summarise(tidy({"b": values[:19]}, seeds=seeds[:19]), ["scenario"])
    assert nineteen.iloc[0]["band"] == "min–max" and nineteen.iloc[0]["high"] == 18.0


def test_missing_values_do_not_count_as_runs():
    stats = compare.summarise(tidy({"b": [1.0, np.nan, 3.0]}), ["scenario"])
    assert stats.iloc[0]["n"] == 2 and stats.iloc[0]["median"] == 2.0


def test_baseline_is_named_baseline_else_the_first_scenario():
    assert compare.baseline_of(["efa", "baseline", "central"]) == "baseline"
    assert compare.baseline_of(["efa", "central"]) == "efa"
    with pytest.raises(CompareError):
        compare.baseline_of([])
    table = compare.compare_table(tidy({"efa": [1.0, 2.0, 3.0], "central": [2.0, 2.0, 2.0]}),
                                  scenarios=["efa", "central"])  # fmt: skip
    assert table.iloc[1]["diff_median"] == 0.0  # 1, 0, -1 around efa


def test_total_over_years_sums_each_run():
    frame = pd.concat([tidy({"b": [1.0, 2.0, 3.0]}, year=y, kpi="cost_total_eur")
                       for y in (2030, 2031, 2032)])  # fmt: skip
    total = compare.total_over_years(frame, 2031, 2032)
    assert total.sort_values("seed")["value"].tolist() == [2.0, 4.0, 6.0]
    assert set(total["year"]) == {2032}


def test_text_markdown_and_csv_state_the_band_and_n():
    table = compare.compare_table(tidy({"baseline": [1.0, 5.0, 3.0], "x": [2.0, 9.0, 4.0]}),
                                  scenarios=["baseline", "x"])  # fmt: skip
    text = compare.format_text(table, "baseline")
    assert "min–max with fewer" in text and "1 – 5 (min–max)" in text and "(n=3)" in text
    md = compare.format_markdown(table, "baseline")
    assert md.count("| backlog_cases |") == 1 and "| kpi | unit | year | scenario |" in md
    assert "| x | 3 | 4 | 2 – 9 (min–max) | 1 | 1 – 4 (n=3) |" in md
    back = pd.read_csv(io.StringIO(compare.format_csv(table)))
    assert back["median"].tolist() == [3.0, 4.0] and back["band"].tolist() == ["min–max"] * 2


def test_markdown_escapes_scenario_names(tmp_path):
    """A scenario name is the user's text: Markdown passes raw HTML through, so --format md
    writes it as entities, and a pipe cannot break the table (issue 19, item 9)."""
    evil = "<img src=x onerror=alert(1)>|x&y"
    table = compare.compare_table(tidy({"baseline": [1.0, 2.0, 3.0], evil: [2.0, 3.0, 4.0]}),
                                  scenarios=["baseline", evil])  # fmt: skip
    md = compare.format_markdown(table, "baseline")
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;\\|x&amp;y" in md
    cells = {line.replace("\\|", "").count("|") for line in md.splitlines()
             if line.startswith("|")}  # fmt: skip
    assert len(cells) == 1  # every row has the header's number of cells


def test_write_comparison_is_atomic(tmp_path):
    table = compare.compare_table(tidy({"baseline": [1.0, 2.0, 3.0]}), scenarios=["baseline"])
    path = compare.write_comparison(table, tmp_path / "sub" / "c.md", "md", "baseline")
    assert path.read_text(encoding="utf-8").startswith("Baseline: baseline.")
    assert [p.name for p in path.parent.iterdir()] == ["c.md"]


def test_choices_give_one_line_errors():
    assert compare.choose_kpis(["backlog_cases", "arrivals_cases"], None) == ["backlog_cases"]
    assert compare.choose_kpis(["backlog_cases", "arrivals_cases"], ["all"]) == [
        "arrivals_cases", "backlog_cases"]  # dictionary order
    with pytest.raises(CompareError, match="did you mean backlog_cases"):
        compare.choose_kpis(["backlog_cases"], ["backlog_case"])
    with pytest.raises(CompareError, match="not in these runs"):
        compare.choose_kpis(["backlog_cases"], ["co2_tonnes"])
    assert compare.choose_years([2023, 2024], None) == [2024]  # default years absent: last
    assert compare.choose_years(range(2023, 2036), None) == [2025, 2030, 2035]
    with pytest.raises(CompareError, match="cover 2023–2024"):
        compare.choose_years([2023, 2024], [2030])


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A single run folder with a hand-made kpis table (written like foedsim run does)."""
    from model.storage import make_manifest, write_run

    kpis = pd.DataFrame({
        "year": [2025, 2030, 2025, 2030, 2030],
        "kpi": ["backlog_cases", "backlog_cases", "lead_time_weeks", "lead_time_weeks",
                "lead_time_weeks"],
        "level": ["all", "all", "all", "all", "kreis"],
        "service_id": ["all", "all", "all", "all", "wohngeld"],
        "value": [100.0, 150.0, 2.0, 2.5, 4.0],
    })  # fmt: skip
    scenario = {"name": "baseline", "description": "hand-made", "start": "2023-01-02",
                "end": "2035-12-31", "parameters": {}}  # fmt: skip
    out = tmp_path_factory.mktemp("run") / "one"
    write_run(out, {"kpis": kpis}, make_manifest(scenario, 7, ["kpis"]))
    return out


def test_a_single_run_folder_opens_as_one_run(run_folder):
    runs = compare.open_runs(run_folder)
    assert runs.kind == "run" and runs.scenarios == ("baseline",) and runs.tables == ("kpis",)
    table = compare.compare_table(runs.kpis(levels=["all"]), scenarios=runs.scenarios)
    assert table[table["kpi"] == "backlog_cases"]["median"].tolist() == [100.0, 150.0]
    assert set(table["n"]) == {1}


def test_not_a_run_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(CompareError, match="not a batch or run folder"):
        compare.open_runs(tmp_path)


def test_cli_compare_formats_and_options(run_folder, capsys, tmp_path):
    assert main(["compare", str(run_folder), "--years", "2030", "--format", "csv"]) == 0
    back = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert back["kpi"].tolist() == ["backlog_cases", "lead_time_weeks"]
    assert back["median"].tolist() == [150.0, 2.5]
    assert main(["compare", str(run_folder), "--level", "kreis", "--service", "wohngeld",
                 "--kpis", "lead_time_weeks", "--years", "2030"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "lead_time_weeks [kreis/wohngeld]" in out and "4 – 4 (min–max)" in out
    target = tmp_path / "cmp.md"
    assert main(["compare", str(run_folder), "--format", "md", "--out", str(target)]) == 0
    assert "| backlog_cases |" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("argv, message", [
    (["--level", "land"], "--level: 'land' is not in these runs; allowed: all, kreis"),
    (["--kpis", "backlog"], "unknown KPI 'backlog'"),
    (["--years", "2040"], "--years: 2040 not in the runs"),
])  # fmt: skip
def test_cli_compare_bad_options_exit_2_with_one_line(run_folder, capsys, argv, message):
    assert main(["compare", str(run_folder), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
