"""The comparison's figures: one function per figure, taking tables and returning a Figure.

Every function takes a *bands* table — :func:`analysis.compare.summarise` output with the
columns ``scenario, kpi, year, n, band, median, low, high`` and, optionally, ``level`` and
``service_id`` (national rows are ``level == "all"`` and ``service_id == "all"``) — plus the
comparison's full scenario list (for colours that stay the same in every figure) and the label
language. Lines are medians over runs; shaded bands are the band of the table (min–max below
20 runs, else 5–95 %), drawn where a scenario has at least two runs. The note under each
figure says which band and how many runs.

A figure whose KPIs the table lacks raises :class:`FigureDataMissingError` naming them; the report
catches it and says "not in these runs" instead. Figures are built with :mod:`analysis.style`
(Agg canvas, no pyplot); save them with :func:`save_figure` (PNG and SVG, atomic).

Artist ids (``gid``) name what is drawn, for tests and for readers of the SVG:
``median:SCENARIO``, ``band:SCENARIO`` (``...:KPI`` where one axis shows several KPIs).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis import style
from analysis.style import figure_style, freeze_layout, new_figure, save_figure
from model.errors import FoedsimError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FigureDataMissingError", "timeseries_figure", "backlog_figure", "lead_time_by_service_figure",
    "staff_figure", "cost_figure", "fte_freed_figure", "citizen_figure", "criteria_chart",
    "save_figure", "COST_COMPONENTS",
]  # fmt: skip

COST_COMPONENTS: tuple[str, ...] = ("cost_personnel_eur", "cost_it_eur", "cost_migration_eur")
"""The parts of the cost breakdown, bottom to top (model/kpis.py)."""

BAND_ALPHA = 0.18
"""Opacity of a scenario's band: light enough for three overlapping bands to stay readable."""
TIMESERIES_SIZE_IN = (9.0, 4.8)
NOTE_BAND_IN = 0.35
EUR_PER_MILLION = 1e6
CRITERIA_HEIGHT_FACTOR = 1.4
"""Small multiples of the criteria chart are drawn this much taller than criteria_chart's
default, so that wrapped German criterion names do not overlap (layout constant)."""
SERVICE_LABEL_CHARS = 45
"""Service names on an axis are shortened to this many characters (layout constant)."""

WORDS: Mapping[str, Mapping[str, str]] = {
    "lines": {"en": "Lines: median over runs", "de": "Linien: Median über die Läufe"},
    "bands": {"en": "bands: {band} over {n} runs per scenario",
              "de": "Bänder: {band} über {n} Läufe je Szenario"},
    "minmax": {"en": "min–max", "de": "Minimum–Maximum"},
    "quantiles": {"en": "5–95 %", "de": "5–95 %"},
    "bars": {"en": "Bars: median over runs; whiskers: {band} over {n} runs",
             "de": "Balken: Median über die Läufe; Fehlerbalken: {band} über {n} Läufe"},
    "available": {"en": "available", "de": "verfügbar"},
    "needed": {"en": "needed", "de": "benötigt"},
    "staff_title": {"en": "Staff available and needed",
                    "de": "Verfügbares und benötigtes Personal"},
    "lead_title": {"en": "Lead time per service, {year}",
                   "de": "Bearbeitungsdauer je Leistung, {year}"},
    "cost_title": {"en": "Cost by kind, {period}", "de": "Kosten nach Art, {period}"},
    "cost_axis": {"en": "EUR million (2025 prices)", "de": "Mio. EUR (Preise 2025)"},
    "cost_total": {"en": "Total (median and band)", "de": "Gesamt (Median und Band)"},
    "cost_note": {"en": "Stacked medians of each kind; they need not add up to the median total",
                  "de": "Gestapelte Mediane je Art; sie ergeben nicht genau den Median der Summe"},
    "personnel": {"en": "Personnel", "de": "Personal"},
    "it": {"en": "IT", "de": "IT"},
    "migration": {"en": "Migration", "de": "Umstellung"},
    "citizen_title": {"en": "Citizens' time and CO₂ of trips",
                      "de": "Zeitaufwand und CO₂ der Bürger"},
}  # fmt: skip
"""Words the figures add beyond :data:`analysis.style.LABELS`."""


class FigureDataMissingError(FoedsimError):
    """The table lacks the KPIs (or rows) a figure needs.

    Attributes:
        missing: The KPIs that are absent.
    """

    def __init__(self, figure: str, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(f"{figure}: not in these runs: {', '.join(self.missing)}")


def word(key: str, lang: str) -> str:
    """A figure word (:data:`WORDS`) or a label of :mod:`analysis.style`."""
    style.check_lang(lang)
    return WORDS[key][lang] if key in WORDS else style.label(key, lang)


def _national(bands: pd.DataFrame) -> pd.DataFrame:
    mask = pd.Series(True, index=bands.index)
    for column in ("level", "service_id"):
        if column in bands:
            mask &= bands[column].astype(str) == "all"
    return bands[mask]


def _require(bands: pd.DataFrame, kpis: Sequence[str], figure: str, any_of: bool = False
             ) -> list[str]:  # fmt: skip
    have = set(bands["kpi"]) if "kpi" in bands and len(bands) else set()
    present = [k for k in kpis if k in have]
    missing = [k for k in kpis if k not in have]
    if (any_of and not present) or (not any_of and missing):
        raise FigureDataMissingError(figure, missing)
    return present


def _number_formatter(lang: str, scale: float = 1.0):
    """Tick labels with thousands separators and as many decimals as the tick step needs."""
    import math

    from matplotlib.ticker import Formatter

    class _Numbers(Formatter):
        def __call__(self, value: float, pos: int | None = None) -> str:
            ticks = list(self.axis.get_majorticklocs()) if self.axis is not None else []
            locs = [v / scale for v in ticks] if len(ticks) > 1 else [0.0, 1.0]
            step = min(abs(b - a) for a, b in zip(locs, locs[1:], strict=False)) or 1.0
            decimals = max(0, -math.floor(math.log10(step) + 1e-9))
            text = f"{value / scale:,.{decimals}f}"
            if lang == "de":
                text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
            return text.replace("-", "−")

    return _Numbers()


def band_note(bands: pd.DataFrame, lang: str, bars: bool = False) -> str:
    """"Lines: median over runs; bands: min–max over 3 runs per scenario" (in ``lang``)."""
    counts = sorted({int(n) for n in bands["n"]}) if len(bands) else [0]
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    kinds = set(bands["band"]) if "band" in bands and len(bands) else {"min–max"}
    band = word("minmax", lang) if kinds == {"min–max"} else (
        word("quantiles", lang) if kinds == {"5–95 %"} else
        f"{word('minmax', lang)} / {word('quantiles', lang)}")  # fmt: skip
    if bars:
        return word("bars", lang).format(band=band, n=n)
    return f"{word('lines', lang)}; {word('bands', lang).format(band=band, n=n)}"


def _rect(height_in: float) -> tuple[float, float, float, float]:
    """Layout area above the note line at the bottom."""
    return (0.0, NOTE_BAND_IN / height_in, 1.0, 1.0 - NOTE_BAND_IN / height_in)


def _note(fig: Figure, text: str, height_in: float) -> None:
    fig.text(0.01, NOTE_BAND_IN / 2 / height_in, text, fontsize="small", color=style.NOTE_COLOR,
             ha="left", va="center", gid="note")  # fmt: skip


def _draw_series(ax: Axes, rows: pd.DataFrame, look: Mapping[str, str], name: str, gid: str,
                 linestyle: str | None = None, label: str | None = None) -> None:  # fmt: skip
    rows = rows.sort_values("year")
    years = rows["year"].to_numpy(int)
    ax.plot(years, rows["median"].to_numpy(float), color=look["color"],
            linestyle=linestyle or look["linestyle"], label=label or name,
            gid=f"median:{gid}")  # fmt: skip
    if rows["n"].max() >= 2:
        ax.fill_between(years, rows["low"].to_numpy(float), rows["high"].to_numpy(float),
                        color=look["color"], alpha=BAND_ALPHA, linewidth=0,
                        gid=f"band:{gid}")  # fmt: skip


def _year_axis(ax: Axes, lang: str) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(style.label("year", lang))


def timeseries_figure(bands: pd.DataFrame, kpi: str, scenarios: Sequence[str], *,
                      lang: str = style.DEFAULT_LANG, title: str | None = None) -> Figure:
    """One national KPI over the years: a median line and a band per scenario.

    Args:
        bands: Bands table (see the module docstring).
        kpi: The KPI, e.g. ``backlog_cases``.
        scenarios: The comparison's scenarios in order (colours); those without rows are
            left out.
        lang: ``en`` or ``de``.
        title: Figure title (default: the KPI's label).

    Raises:
        FigureDataMissingError: The table has no rows of ``kpi``.
    """
    style.check_lang(lang)
    rows = _national(bands)
    _require(rows, [kpi], f"{kpi} over time")
    rows = rows[rows["kpi"] == kpi]
    looks = style.scenario_styles(list(scenarios))
    width, height = TIMESERIES_SIZE_IN
    with figure_style():
        fig = new_figure(width, height, rect=_rect(height))
        ax = fig.subplots()
        for name in scenarios:
            part = rows[rows["scenario"] == name]
            if len(part):
                _draw_series(ax, part, looks[name], name, name)
        _year_axis(ax, lang)
        ax.set_ylabel(style.label(kpi, lang))
        ax.yaxis.set_major_formatter(_number_formatter(lang))
        ax.set_title(title or style.label(kpi, lang), loc="left")
        ax.legend(title=style.label("scenario", lang))
        _note(fig, band_note(rows, lang), height)
    freeze_layout(fig)
    return fig


def backlog_figure(bands: pd.DataFrame, scenarios: Sequence[str], *,
                   lang: str = style.DEFAULT_LANG) -> Figure:  # fmt: skip
    """Backlog (open applications at year end) over time, bands per scenario."""
    return timeseries_figure(bands, "backlog_cases", scenarios, lang=lang)


def fte_freed_figure(bands: pd.DataFrame, scenarios: Sequence[str], *,
                     lang: str = style.DEFAULT_LANG) -> Figure:  # fmt: skip
    """Municipal FTE freed for local tasks over time, bands per scenario."""
    return timeseries_figure(bands, "fte_freed_local_tasks", scenarios, lang=lang)


def staff_figure(bands: pd.DataFrame, scenarios: Sequence[str], *,
                 lang: str = style.DEFAULT_LANG, title: str | None = None) -> Figure:  # fmt: skip
    """Staff available (solid) and needed (dashed) over time, bands per scenario.

    Raises:
        FigureDataMissingError: ``staff_available_fte`` or ``staff_needed_fte`` is absent.
    """
    from matplotlib.lines import Line2D

    style.check_lang(lang)
    rows = _national(bands)
    _require(rows, ["staff_available_fte", "staff_needed_fte"], "staff available vs needed")
    looks = style.scenario_styles(list(scenarios))
    width, height = TIMESERIES_SIZE_IN
    with figure_style():
        fig = new_figure(width, height, rect=_rect(height))
        ax = fig.subplots()
        shown = []
        for name in scenarios:
            for kpi, dash in (("staff_available_fte", "-"), ("staff_needed_fte", "--")):
                part = rows[(rows["scenario"] == name) & (rows["kpi"] == kpi)]
                if len(part):
                    _draw_series(ax, part, looks[name], name, f"{name}:{kpi}", linestyle=dash)
                    if name not in shown:
                        shown.append(name)
        handles = [Line2D([], [], color=looks[s]["color"], label=s) for s in shown]
        handles += [Line2D([], [], color="#444444", linestyle="-", label=word("available", lang)),
                    Line2D([], [], color="#444444", linestyle="--", label=word("needed", lang))]
        _year_axis(ax, lang)
        ax.set_ylabel(style.label("staff_fte", lang))
        ax.yaxis.set_major_formatter(_number_formatter(lang))
        ax.set_title(title or word("staff_title", lang), loc="left")
        ax.legend(handles=handles, ncols=2)
        _note(fig, band_note(rows[rows["kpi"].isin(["staff_available_fte", "staff_needed_fte"])],
                             lang), height)  # fmt: skip
    freeze_layout(fig)
    return fig


def citizen_figure(bands: pd.DataFrame, scenarios: Sequence[str], *,
                   lang: str = style.DEFAULT_LANG) -> Figure:  # fmt: skip
    """Citizens' hours and CO₂ of their trips over time: one panel each (those present).

    Raises:
        FigureDataMissingError: Neither ``citizen_hours`` nor ``co2_tonnes`` is present.
    """
    style.check_lang(lang)
    rows = _national(bands)
    kpis = _require(rows, ["citizen_hours", "co2_tonnes"], "citizen hours and CO2", any_of=True)
    looks = style.scenario_styles(list(scenarios))
    height = TIMESERIES_SIZE_IN[1]
    with figure_style():
        fig = new_figure(5.2 * len(kpis) + 0.5, height,
                         rect=_rect(height))  # fmt: skip
        axes = np.atleast_1d(fig.subplots(1, len(kpis)))
        for ax, kpi in zip(axes, kpis, strict=True):
            for name in scenarios:
                part = rows[(rows["scenario"] == name) & (rows["kpi"] == kpi)]
                if len(part):
                    _draw_series(ax, part, looks[name], name, f"{name}:{kpi}")
            _year_axis(ax, lang)
            ax.set_title(style.label(kpi, lang), loc="left")
            ax.yaxis.set_major_formatter(_number_formatter(lang))
        axes[0].legend(title=style.label("scenario", lang))
        fig.suptitle(word("citizen_title", lang))
        _note(fig, band_note(rows[rows["kpi"].isin(kpis)], lang), height)
    freeze_layout(fig)
    return fig


def lead_time_by_service_figure(bands: pd.DataFrame, scenarios: Sequence[str], *, year: int,
                                lang: str = style.DEFAULT_LANG,
                                service_names: Mapping[str, str] | None = None) -> Figure:
    """Lead time per service in one year: a bar per scenario with its band as whiskers.

    Args:
        bands: Bands table with ``service_id`` (rows with ``level == "all"`` and a service).
        scenarios: The comparison's scenarios in order.
        year: The year shown.
        lang: ``en`` or ``de``.
        service_names: service_id -> name for the axis (default: the id).

    Raises:
        FigureDataMissingError: No per-service ``lead_time_weeks`` rows for ``year``.
    """
    style.check_lang(lang)
    rows = bands[(bands["kpi"] == "lead_time_weeks") & (bands["year"] == year)]
    if "service_id" in rows:
        rows = rows[rows["service_id"].astype(str) != "all"]
    if "level" in rows:
        rows = rows[rows["level"].astype(str) == "all"]
    if rows.empty or "service_id" not in rows:
        raise FigureDataMissingError(f"lead time per service {year}", ["lead_time_weeks"])
    present = [s for s in scenarios if s in set(rows["scenario"])]
    order_by = present[0]
    ranking = rows[rows["scenario"] == order_by].sort_values("median", ascending=False)[
        "service_id"].tolist()  # longest lead time at the top
    services = ranking + sorted(set(rows["service_id"]) - set(ranking))
    looks = style.scenario_styles(list(scenarios))
    names = service_names or {}
    height = max(3.0, 1.2 + 0.22 * len(services) * max(1, len(present)) ** 0.5 + NOTE_BAND_IN)
    bar = 0.8 / len(present)
    with figure_style():
        fig = new_figure(10.0, height, rect=_rect(height))
        ax = fig.subplots()
        y = np.arange(len(services), dtype=float)
        for i, name in enumerate(present):
            part = rows[rows["scenario"] == name].set_index("service_id").reindex(services)
            med = part["median"].to_numpy(float)
            err = np.vstack([med - part["low"].to_numpy(float),
                             part["high"].to_numpy(float) - med])  # fmt: skip
            offset = (i - (len(present) - 1) / 2) * bar
            ax.barh(y + offset, med, height=bar, color=looks[name]["color"], label=name,
                    gid=f"bars:{name}")  # fmt: skip
            if np.nanmax(part["n"].to_numpy(float)) >= 2:
                ax.errorbar(med, y + offset, xerr=np.nan_to_num(err), fmt="none",
                            ecolor="#333333", elinewidth=0.9, capsize=2,
                            gid=f"whiskers:{name}")  # fmt: skip
        ax.set_yticks(y)
        ax.set_yticklabels([textwrap.shorten(names.get(s, s), SERVICE_LABEL_CHARS, placeholder="…")
                            for s in services])  # fmt: skip
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(style.label("lead_time_weeks", lang))
        ax.xaxis.set_major_formatter(_number_formatter(lang))
        ax.set_title(word("lead_title", lang).format(year=year), loc="left")
        if len(present) > 1:  # outside the bars, right of the axes
            ax.legend(title=style.label("scenario", lang), loc="upper left",
                      bbox_to_anchor=(1.01, 1.0))  # fmt: skip
        _note(fig, band_note(rows, lang, bars=True), height)
    freeze_layout(fig)
    return fig


def cost_figure(bands: pd.DataFrame, scenarios: Sequence[str], *, period: str,
                lang: str = style.DEFAULT_LANG) -> Figure:  # fmt: skip
    """Cost by kind (personnel, IT, migration) per scenario as stacked bars, EUR million.

    Args:
        bands: One row per scenario and cost KPI (a year's values, or totals over a period
            from :func:`analysis.compare.total_over_years`).
        scenarios: The comparison's scenarios in order.
        period: What the values cover, for the title (``"2023–2035"`` or ``"2030"``).
        lang: ``en`` or ``de``.

    Raises:
        FigureDataMissingError: None of the cost components is present.
    """
    style.check_lang(lang)
    rows = _national(bands)
    parts = _require(rows, list(COST_COMPONENTS), "cost breakdown", any_of=True)
    present = [s for s in scenarios if s in set(rows["scenario"])]
    # Greys with hatches for the kinds: the scenarios are the x axis, not colours here.
    shades = {"cost_personnel_eur": "#4d4d4d", "cost_it_eur": "#9a9a9a",
              "cost_migration_eur": "#d0d0d0"}  # fmt: skip
    hatches = {"cost_personnel_eur": "", "cost_it_eur": "..", "cost_migration_eur": "//"}
    height = 5.0
    with figure_style():
        fig = new_figure(max(5.5, 1.6 * len(present) + 3.0), height,
                         rect=_rect(height))  # fmt: skip
        ax = fig.subplots()
        x = np.arange(len(present), dtype=float)
        bottom = np.zeros(len(present))
        for kpi in parts:
            values = np.array([_median(rows, s, kpi) for s in present]) / EUR_PER_MILLION
            values = np.nan_to_num(values)
            ax.bar(x, values, bottom=bottom, width=0.6, color=shades[kpi], hatch=hatches[kpi],
                   edgecolor="white", label=word(kpi.split("_")[1], lang), gid=f"cost:{kpi}")
            bottom += values
        total = rows[rows["kpi"] == "cost_total_eur"]
        if len(total):
            t = total.set_index("scenario").reindex(present)
            med = t["median"].to_numpy(float) / EUR_PER_MILLION
            err = np.vstack([med - t["low"].to_numpy(float) / EUR_PER_MILLION,
                             t["high"].to_numpy(float) / EUR_PER_MILLION - med])  # fmt: skip
            ax.errorbar(x, med, yerr=np.nan_to_num(err), fmt="D", color="black", capsize=4,
                        markersize=4, label=word("cost_total", lang), gid="cost:total")  # fmt: skip
        ax.set_xticks(x)
        # slanted: long scenario names overlapped side by side (seen in the report)
        ax.set_xticklabels(present, rotation=20, ha="right", rotation_mode="anchor")
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(word("cost_axis", lang))
        ax.yaxis.set_major_formatter(_number_formatter(lang))
        ax.set_title(word("cost_title", lang).format(period=period), loc="left")
        # beside the bars: inside, the legend covered them (seen in the report)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        _note(fig, word("cost_note", lang), height)
    freeze_layout(fig)
    return fig


def _median(rows: pd.DataFrame, scenario: str, kpi: str) -> float:
    hit = rows[(rows["scenario"] == scenario) & (rows["kpi"] == kpi)]["median"]
    return float(hit.iloc[0]) if len(hit) else float("nan")


def criteria_chart(service_ids: Sequence[str] | None = None, *, lang: str = "de",
                   titles: Mapping[str, str] | None = None) -> Figure:  # fmt: skip
    """The seed paper's 12-criteria chart (○ today, ● future) for some services.

    Draws :func:`analysis.criteria_chart.criteria_figure` from the packaged criteria and
    scores (``model.criteria``) with the foedsim style; it does not depend on runs.

    Args:
        service_ids: Services to draw (default: those the criteria rule recommends to execute
            centrally in future).
        lang: ``de`` or ``en``.
        titles: service_id -> panel title (default: the catalogue's name).
    """
    from analysis.criteria_chart import criteria_figure
    from model.criteria import load_criteria, positions, recommend

    tables = load_criteria()
    if service_ids is None:
        advice = recommend(tables, lang=lang)
        service_ids = advice[advice["recommendation"] == "central"]["service_id"].tolist()[:8]
    if titles is None:
        advice = recommend(tables, lang=lang).set_index("service_id")["name"]
        titles = {s: str(advice.get(s, s)) or s for s in service_ids}
    with figure_style():
        fig = criteria_figure(positions(tables.criteria, tables.scores), tables.criteria,
                              list(service_ids), lang=lang, titles=titles)  # fmt: skip
    if len(service_ids) > 1:  # small multiples: room for two-line criterion labels
        width, height = fig.get_size_inches()
        fig.set_size_inches(width, height * CRITERIA_HEIGHT_FACTOR)
    style.add_figure_source(fig, "Criteria: PD – Berater der öffentlichen Hand, Föderale "
                            "Arbeitsteilung neu denken, PD-Impuls 10/2023, slide 'Neuverortung "
                            "von Leistungen im föderalen System'; scores and weights: foedsim "
                            "assumptions (model/data/criteria/SOURCES.md)")  # fmt: skip
    return fig
