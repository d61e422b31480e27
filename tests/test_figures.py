"""Figure functions (issue 9 item 2) on hand-made tables: lines, bands, bars, labels, skips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import compare, figures
from analysis.figures import FigureDataMissingError

SCENARIOS = ["baseline", "central"]
YEARS = (2025, 2026, 2027)


def tidy(kpi_values: dict[str, dict[str, list[float]]], years=YEARS, service="all"):
    """kpi -> scenario -> three replications' values in the first year; later years add
    10 per year, so a band is [min, max] of the three values plus 10 x years."""
    rows = []
    for kpi, per_scenario in kpi_values.items():
        for scenario, values in per_scenario.items():
            for r, v in enumerate(values):
                for i, year in enumerate(years):
                    rows.append({"run_id": f"{scenario}-r{r}", "scenario": scenario,
                                 "point": 0, "replication": r, "seed": 100 + r, "year": year,
                                 "kpi": kpi, "level": "all", "service_id": service,
                                 "value": v + 10.0 * i})  # fmt: skip
    return pd.DataFrame(rows)


def bands_of(frame: pd.DataFrame) -> pd.DataFrame:
    return compare.summarise(frame, ["scenario", "kpi", "level", "service_id", "year"])


def by_gid(fig, prefix: str, kind: str = "lines"):
    out = []
    for ax in fig.axes:
        items = ax.lines if kind == "lines" else ax.collections
        out += [a for a in items if (a.get_gid() or "").startswith(prefix)]
    return out


BACKLOG = {"backlog_cases": {"baseline": [100.0, 140.0, 120.0], "central": [80.0, 90.0, 85.0]}}


def test_timeseries_has_a_median_line_and_a_band_per_scenario():
    fig = figures.backlog_figure(bands_of(tidy(BACKLOG)), SCENARIOS, lang="en")
    lines = by_gid(fig, "median:")
    assert [line.get_label() for line in lines] == SCENARIOS
    assert lines[0].get_ydata().tolist() == [120.0, 130.0, 140.0]  # the middle run per year
    bands = by_gid(fig, "band:", "collections")
    assert len(bands) == 2
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == 100.0 and ys.max() == 160.0  # min 100 in 2025, max 140 + 20 in 2027
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Backlog (cases)" and ax.get_xlabel() == "Year"
    notes = [t.get_text() for t in fig.texts if t.get_gid() == "note"]
    assert notes == ["Lines: median over runs; bands: min–max over 3 runs per scenario"]


def test_labels_follow_the_language():
    fig = figures.backlog_figure(bands_of(tidy(BACKLOG)), SCENARIOS, lang="de")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Rückstand (Fälle)" and ax.get_xlabel() == "Jahr"
    assert "Minimum–Maximum über 3 Läufe" in fig.texts[0].get_text()
    big = {"backlog_cases": {"baseline": [10_000.0, 14_000.0, 12_000.0]}}
    for lang, separator in (("de", "."), ("en", ",")):
        ax = figures.backlog_figure(bands_of(tidy(big)), SCENARIOS, lang=lang).axes[0]
        ax.figure.canvas.draw()
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert ticks and all(separator in t and t.endswith("00") for t in ticks), ticks


def test_a_single_run_gets_a_line_but_no_band():
    frame = tidy({"backlog_cases": {"baseline": [100.0]}})
    fig = figures.backlog_figure(bands_of(frame), SCENARIOS)
    assert len(by_gid(fig, "median:")) == 1 and by_gid(fig, "band:", "collections") == []


def test_colours_stay_with_the_scenario_list():
    only_central = tidy({"backlog_cases": {"central": [1.0, 2.0, 3.0]}})
    fig = figures.backlog_figure(bands_of(only_central), SCENARIOS)
    assert by_gid(fig, "median:")[0].get_color() == figures.style.OKABE_ITO[1]


def test_staff_figure_draws_available_and_needed_per_scenario():
    values = {"staff_available_fte": {"baseline": [10.0, 11.0, 12.0], "central": [9.0] * 3},
              "staff_needed_fte": {"baseline": [13.0, 13.0, 13.0], "central": [12.0] * 3}}
    fig = figures.staff_figure(bands_of(tidy(values)), SCENARIOS, lang="de")
    lines = by_gid(fig, "median:")
    assert len(lines) == 4 and len(by_gid(fig, "band:", "collections")) == 4
    styles = {line.get_gid(): line.get_linestyle() for line in lines}
    assert styles["median:baseline:staff_needed_fte"] == "--"
    assert styles["median:central:staff_available_fte"] == "-"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["baseline", "central", "verfügbar", "benötigt"]


def test_lead_time_per_service_has_one_bar_per_service_and_scenario():
    frame = pd.concat([
        tidy({"lead_time_weeks": {"baseline": [2.0, 3.0, 4.0], "central": [1.0, 1.5, 2.0]}},
             service="wohngeld"),
        tidy({"lead_time_weeks": {"baseline": [6.0, 7.0, 8.0], "central": [5.0, 5.0, 5.0]}},
             service="bauantrag"),
    ])  # fmt: skip
    fig = figures.lead_time_by_service_figure(
        bands_of(frame), SCENARIOS, year=2025, lang="en",
        service_names={"wohngeld": "Housing benefit", "bauantrag": "Building permit"})
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == 4
    widths = sorted(round(b.get_width(), 6) for b in bars)
    assert widths == [1.5, 3.0, 5.0, 7.0]  # medians
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Building permit", "Housing benefit"]  # longest lead time on top
    assert ax.get_title(loc="left") == "Lead time per service, 2025"
    with pytest.raises(FigureDataMissingError):
        figures.lead_time_by_service_figure(bands_of(frame), SCENARIOS, year=2030)


def test_cost_figure_stacks_the_kinds_present_in_million_eur():
    values = {"cost_personnel_eur": {"baseline": [3e6, 4e6, 5e6], "central": [2e6] * 3},
              "cost_it_eur": {"baseline": [1e6] * 3, "central": [2e6, 2e6, 2e6]}}
    bands = bands_of(tidy(values, years=(2030,)))
    fig = figures.cost_figure(bands, SCENARIOS, period="2030", lang="en")
    ax = fig.axes[0]
    heights = [(p.get_x(), round(p.get_y(), 6), round(p.get_height(), 6)) for p in ax.patches]
    # baseline: personnel 4 (median) then IT 1 on top of it; central: 2 then 2 on top
    assert sorted(h[1:] for h in heights) == [(0.0, 2.0), (0.0, 4.0), (2.0, 2.0), (4.0, 1.0)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Personnel", "IT"]
    with pytest.raises(FigureDataMissingError, match="cost_migration_eur"):
        figures.cost_figure(bands_of(tidy(BACKLOG)), SCENARIOS, period="2030")


def test_missing_kpis_raise_a_named_error_not_a_crash():
    bands = bands_of(tidy(BACKLOG))
    for make, kpi in [(figures.fte_freed_figure, "fte_freed_local_tasks"),
                      (figures.staff_figure, "staff_available_fte"),
                      (figures.citizen_figure, "co2_tonnes")]:  # fmt: skip
        with pytest.raises(FigureDataMissingError) as info:
            make(bands, SCENARIOS)
        assert kpi in info.value.missing and "not in these runs" in str(info.value)


def test_citizen_figure_draws_the_panels_present():
    values = {"co2_tonnes": {"baseline": [5.0, 6.0, 7.0], "central": [4.0, 4.0, 4.0]}}
    fig = figures.citizen_figure(bands_of(tidy(values)), SCENARIOS, lang="de")
    assert len(fig.axes) == 1 and fig.axes[0].get_title(loc="left") == "CO₂ der Wege (t)"
    both = {**values, "citizen_hours": {"baseline": [1.0, 2.0, 3.0]}}
    assert len(figures.citizen_figure(bands_of(tidy(both)), SCENARIOS).axes) == 2


def test_criteria_chart_has_twelve_rows_per_service_in_german():
    fig = figures.criteria_chart(["wohngeld", "bauantrag"], lang="de")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2
    today = [line for line in panels[0].lines if line.get_gid() == "today"][0]
    assert len(today.get_ydata()) == 12
    assert [t.get_text() for t in panels[0].get_xticklabels()][0] == "lokal"
    assert figures.style.figure_sources(fig)  # attribution travels with the figure


def test_save_figure_writes_png_and_svg(tmp_path):
    fig = figures.backlog_figure(bands_of(tidy(BACKLOG)), SCENARIOS)
    written = figures.save_figure(fig, tmp_path / "backlog", formats=("png", "svg"))
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert written[0].read_bytes()[:4] == b"\x89PNG" and b"<svg" in written[1].read_bytes()
    assert np.all([p.stat().st_size > 1000 for p in written])
