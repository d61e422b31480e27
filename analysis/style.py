"""One look for every foedsim figure: print-friendly style, scenario colours, labels, saving.

Every figure function in ``analysis`` builds its figure inside :func:`figure_style` and with
:func:`new_figure`, so all figures share fonts, sizes, colours and line widths, and all are
drawn with matplotlib's Agg (PNG) and SVG back ends only: no pyplot, no GUI back end, no global
state. Importing this module does nothing beyond defining constants (matplotlib itself is
imported lazily inside the functions).

Choices, with reasons:

- **Palette.** Scenarios get the Okabe–Ito colours (Okabe & Ito 2008, "Color Universal
  Design"; also Wong 2011, Nature Methods 8:441), which stay distinguishable under the common
  colour-vision deficiencies. Yellow is last because it is weak on white paper. Colours are
  assigned by position in the list of scenario names a caller passes, so the same list gives
  the same colours in every figure; beyond eight scenarios the colours repeat with another
  line style, so every (colour, line style) pair stays unique and survives greyscale printing.
- **Colour maps.** Sequential values use ``viridis`` (perceptually uniform, colour-blind safe,
  readable in greyscale); signed differences use ``RdBu_r`` (ColorBrewer RdBu, marked
  colour-blind safe by ColorBrewer) with limits symmetric around the centre.
- **Sizes.** Fonts of 11–13 pt at figure widths of 7–13 inches stay readable when a figure
  fills a 16:9 slide or half an A4 page; lines are 1.8 pt.
- **Output.** Text in SVG is stored as paths (no font needed to view it), SVG ids are derived
  from a fixed salt and files carry no creation date, so the same figure gives the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type hints only
    from matplotlib.figure import Figure

LANGS: tuple[str, ...] = ("en", "de")
"""Languages of the labels: English and German."""

DEFAULT_LANG = "en"

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (weak on white paper: last)
)
"""Scenario colours in assignment order (Okabe & Ito 2008)."""

LINE_STYLES: tuple[str, ...] = ("-", "--", ":", "-.")
"""Line styles; the n-th round of eight scenarios uses the n-th style."""

MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
"""Markers in the same order as the colours (for scatter plots and printed lines)."""

SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
MISSING_COLOR = "#d9d9d9"
"""Fill of areas without a value (hatched as well, so it is not read as a low value)."""
MISSING_HATCH = "////"
EDGE_COLOR = "#ffffff"
MISSING_EDGE_COLOR = "#9a9a9a"
BORDER_COLOR = "#333333"
NOTE_COLOR = "#555555"

BASE_FONT_PT = 11.0
SAVE_DPI = 200
"""PNG resolution: a 10-inch figure becomes 2000 px, sharp on a projector and on paper."""

STYLE_RC: Mapping[str, Any] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "font.family": "DejaVu Sans",  # ships with matplotlib, so every machine renders the same
    "font.size": BASE_FONT_PT,
    "axes.titlesize": BASE_FONT_PT + 2,
    "axes.titleweight": "bold",
    "axes.labelsize": BASE_FONT_PT + 1,
    "xtick.labelsize": BASE_FONT_PT,
    "ytick.labelsize": BASE_FONT_PT,
    "legend.fontsize": BASE_FONT_PT,
    "legend.frameon": False,
    "figure.titlesize": BASE_FONT_PT + 3,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.8,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.9,
    "lines.linewidth": 1.8,
    "lines.markersize": 5.0,
    "hatch.linewidth": 0.6,
    "hatch.color": "#888888",
    "image.cmap": SEQUENTIAL_CMAP,
    "svg.fonttype": "path",
    "svg.hashsalt": "foedsim",
    "savefig.dpi": SAVE_DPI,
    "pdf.fonttype": 42,
}
"""The rcParams every figure is built and saved with (plus the colour cycle, set in _rc()
because matplotlib's cycler is imported lazily)."""

LABELS: Mapping[str, Mapping[str, str]] = {
    # --- KPIs (names as in model/kpis.py; units in brackets) --------------------------------
    "arrivals_cases": {"en": "New cases", "de": "Neue Fälle"},
    "completions_cases": {"en": "Completed cases", "de": "Erledigte Fälle"},
    "backlog_cases": {"en": "Backlog (cases)", "de": "Rückstand (Fälle)"},
    "overdue_reviews_cases": {
        "en": "Overdue reviews (case-years)", "de": "Überfällige Prüfungen (Falljahre)"},
    "lead_time_weeks": {"en": "Lead time (weeks)", "de": "Bearbeitungsdauer (Wochen)"},
    "office_lead_time_weeks": {"en": "Lead time at the office (weeks)",
                               "de": "Bearbeitungsdauer im Amt (Wochen)"},
    "lead_time_median_weeks": {"en": "Median lead time (weeks)",
                               "de": "Median der Bearbeitungsdauer (Wochen)"},
    "lead_time_p90_weeks": {"en": "Lead time, 90th percentile (weeks)",
                            "de": "Bearbeitungsdauer, 90. Perzentil (Wochen)"},
    "waiting_outside_cases": {"en": "Applications waiting for documents or statements",
                              "de": "Anträge, die auf Unterlagen oder Stellungnahmen warten"},
    "share_cases_lead_over_4w": {
        "en": "Share of cases, lead time > 4 weeks",
        "de": "Anteil Fälle mit Bearbeitungsdauer > 4 Wochen"},
    "share_cases_lead_over_8w": {
        "en": "Share of cases, lead time > 8 weeks",
        "de": "Anteil Fälle mit Bearbeitungsdauer > 8 Wochen"},
    "share_cases_lead_over_12w": {
        "en": "Share of cases, lead time > 12 weeks",
        "de": "Anteil Fälle mit Bearbeitungsdauer > 12 Wochen"},
    "staff_fte": {"en": "Staff (FTE)", "de": "Personal (VZÄ)"},
    "utilisation": {"en": "Utilisation", "de": "Auslastung"},
    "staff_persons": {"en": "Staff (persons)", "de": "Personal (Köpfe)"},
    "staff_mean_age_years": {
        "en": "Mean staff age (years)", "de": "Durchschnittsalter des Personals (Jahre)"},
    "retirements_persons": {"en": "Retirements (persons)", "de": "Ruhestandseintritte (Personen)"},
    "other_leavers_persons": {"en": "Other leavers (persons)", "de": "Sonstige Abgänge (Personen)"},
    "retirements_beamte_persons": {
        "en": "Retirements of Beamte (persons)", "de": "Ruhestandseintritte Beamte (Personen)"},
    "hires_persons": {"en": "Hires (persons)", "de": "Einstellungen (Personen)"},
    "applicants_persons": {"en": "Applicants (persons)", "de": "Bewerber (Personen)"},
    "staff_available_fte": {"en": "Staff available (FTE)", "de": "Verfügbares Personal (VZÄ)"},
    "staff_shortfall_fte": {
        "en": "Staff shortfall (FTE)", "de": "Ungedeckter Personalbedarf (VZÄ)"},
    "unfilled_posts_fte": {"en": "Unfilled posts (FTE)", "de": "Unbesetzte Stellen (VZÄ)"},
    "staff_needed_fte": {"en": "Staff needed (FTE)", "de": "Personalbedarf (VZÄ)"},
    "staff_gap_fte": {"en": "Staff gap (FTE)", "de": "Personallücke (VZÄ)"},
    "fte_freed_local_tasks": {
        "en": "FTE freed for local tasks", "de": "Für örtliche Aufgaben frei gewordene VZÄ"},
    "automated_share": {
        "en": "Share decided automatically", "de": "Anteil vollautomatisiert entschieden"},
    "efa_adoption_share": {"en": "EfA adoption share", "de": "Anteil Nachnutzung EfA"},
    "cost_total_eur": {
        "en": "Total cost (EUR, 2025 prices)", "de": "Erfüllungsaufwand gesamt (EUR, Preise 2025)"},
    "cost_personnel_eur": {
        "en": "Personnel cost (EUR, 2025 prices)", "de": "Personalkosten (EUR, Preise 2025)"},
    "cost_it_eur": {"en": "IT cost (EUR, 2025 prices)", "de": "IT-Kosten (EUR, Preise 2025)"},
    "cost_migration_eur": {
        "en": "Migration cost (EUR, 2025 prices)", "de": "Umstellungskosten (EUR, Preise 2025)"},
    "cost_discounted_eur": {
        "en": "Discounted cost (EUR, present value 2025)",
        "de": "Diskontierte Kosten (EUR, Barwert 2025)"},
    "cost_per_case_eur": {"en": "Cost per case (EUR)", "de": "Kosten je Fall (EUR)"},
    "citizen_hours": {"en": "Citizens' time (hours)", "de": "Zeitaufwand der Bürger (Stunden)"},
    "co2_tonnes": {"en": "CO₂ of trips (t)", "de": "CO₂ der Wege (t)"},
    "citizen_trips": {"en": "Citizens' visits to offices", "de": "Behördengänge der Bürger"},
    "online_share": {"en": "Share of applications made online", "de": "Anteil Online-Anträge"},
    # --- executing levels (model/agencies.py LEVELS) ----------------------------------------
    "gemeinde": {"en": "Municipal (Gemeinde/Verwaltung)", "de": "Gemeinde/Verwaltung"},
    "kreis": {"en": "Kreis (district)", "de": "Kreis"},
    "jobcenter": {"en": "Jobcenter", "de": "Jobcenter"},
    "land": {"en": "Land (state)", "de": "Land"},
    "bund": {"en": "Bund (federal)", "de": "Bund"},
    # --- axis titles and figure words -------------------------------------------------------
    "year": {"en": "Year", "de": "Jahr"},
    "week": {"en": "Week", "de": "Woche"},
    "scenario": {"en": "Scenario", "de": "Szenario"},
    "level": {"en": "Executing level", "de": "Vollzugsebene"},
    "service": {"en": "Service", "de": "Leistung"},
    "value": {"en": "Value", "de": "Wert"},
    "median": {"en": "Median", "de": "Median"},
    "band": {"en": "5–95 % of runs", "de": "5–95 % der Läufe"},
    "difference": {"en": "Difference from baseline", "de": "Differenz zur Basis"},
    "baseline": {"en": "Baseline", "de": "Basis"},
    "no_data": {"en": "No data", "de": "Keine Daten"},
    "source": {"en": "Source", "de": "Quelle"},
    "sources": {"en": "Sources and attributions", "de": "Quellen und Namensnennungen"},
    "contents": {"en": "Contents", "de": "Inhalt"},
}  # fmt: skip
"""Label per key and language. KPI keys are the names of model/kpis.py (a test keeps the two in
step); levels are those of model/agencies.py."""


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a known label language, else raise ValueError naming them."""
    if lang not in LANGS:
        raise ValueError(f"language {lang!r} is not supported; allowed: {', '.join(LANGS)}")
    return lang


def label(key: str, lang: str = DEFAULT_LANG) -> str:
    """Human label of a KPI, level or axis title.

    Args:
        key: A KPI name (``backlog_cases``), a level (``kreis``) or an axis word (``year``).
        lang: ``en`` or ``de``.

    Returns:
        The label in that language.

    Raises:
        KeyError: The key has no label (the message names the close matches).
        ValueError: The language is not ``en`` or ``de``.
    """
    check_lang(lang)
    try:
        return LABELS[key][lang]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(key, LABELS, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"no label for {key!r}{hint}; add it to analysis.style.LABELS") from None


def scenario_styles(names: Sequence[str]) -> dict[str, dict[str, str]]:
    """Colour, line style and marker per scenario, fixed by the scenarios' order.

    Args:
        names: Scenario names in the order of the comparison (baseline first, by convention).
            Call it with the full list of a comparison, not with a subset, so that a scenario
            keeps its colour across all figures of one report.

    Returns:
        ``{name: {"color": ..., "linestyle": ..., "marker": ...}}``.

    Raises:
        ValueError: A name repeats, or there are more scenarios than colour × line-style pairs.
    """
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if list(names).count(n) > 1})
        raise ValueError(f"scenario names repeat: {', '.join(repeated)}")
    limit = len(OKABE_ITO) * len(LINE_STYLES)
    if len(names) > limit:
        raise ValueError(f"{len(names)} scenarios in one figure; at most {limit} are told apart")
    return {
        name: {
            "color": OKABE_ITO[i % len(OKABE_ITO)],
            "linestyle": LINE_STYLES[i // len(OKABE_ITO)],
            "marker": MARKERS[i % len(MARKERS)],
        }
        for i, name in enumerate(names)
    }


def scenario_colors(names: Sequence[str]) -> dict[str, str]:
    """Colour per scenario, fixed by the scenarios' order (see :func:`scenario_styles`)."""
    return {name: style["color"] for name, style in scenario_styles(names).items()}


def _rc() -> dict[str, Any]:
    from cycler import cycler

    rc = dict(STYLE_RC)
    rc["axes.prop_cycle"] = cycler(color=list(OKABE_ITO))
    return rc


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Context in which figures are built, drawn and saved with the foedsim style.

    Most properties are fixed when an artist is made; a few (SVG font type and id salt, DPI)
    are read when the figure is drawn, so :func:`save_figure` and the report apply the style
    again when they render.
    """
    import matplotlib

    with matplotlib.rc_context(_rc()):
        yield


def new_figure(width_in: float, height_in: float, *, rect: tuple[float, ...] | None = None
               ) -> Figure:  # fmt: skip
    """A new figure with constrained layout and its own Agg canvas (no pyplot, no GUI).

    Call it inside :func:`figure_style`.

    Args:
        width_in: Width in inches.
        height_in: Height in inches.
        rect: Part of the figure the layout may fill, ``(left, bottom, width, height)`` in
            figure fractions (leaves room for notes placed with ``fig.text``).

    Returns:
        The figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = ConstrainedLayoutEngine(rect=rect) if rect else ConstrainedLayoutEngine()
    fig = Figure(figsize=(width_in, height_in), layout=engine)
    FigureCanvasAgg(fig)
    return fig


def freeze_layout(fig: Figure) -> None:
    """Run the constrained layout once and keep it, so every later draw is identical.

    Matplotlib re-runs constrained layout on every draw, and with equal-aspect axes and a
    shared colour bar (maps) each run moves the axes by a fraction of a point, so two saves
    of the same figure would differ. Figure functions call this last; afterwards the layout
    no longer adapts to artists added to the figure.
    """
    with figure_style():
        fig.draw_without_rendering()
    fig.set_layout_engine("none")


# Matplotlib writes its name and a web address into PNG and SVG files and a date into SVG
# files; none of it belongs in a reproducible, offline figure.
_PNG_METADATA = {"Software": None}
_SVG_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


def figure_bytes(fig: Figure, fmt: str, dpi: int | None = None) -> bytes:
    """Render a figure to PNG or SVG bytes with the foedsim style and no metadata noise.

    Args:
        fig: The figure.
        fmt: ``png`` or ``svg``.
        dpi: PNG resolution; default :data:`SAVE_DPI`.

    Returns:
        The file's bytes.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure format {fmt!r} is not supported; allowed: png, svg")
    buffer = io.BytesIO()
    metadata = _PNG_METADATA if fmt == "png" else _SVG_METADATA
    with figure_style():
        fig.savefig(buffer, format=fmt, dpi=dpi or SAVE_DPI, metadata=metadata)
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike[str], *, formats: Sequence[str] = (),
                dpi: int | None = None) -> list[Path]:  # fmt: skip
    """Save a figure as PNG and/or SVG, each file written atomically.

    Args:
        fig: The figure.
        path: File name. With a ``.png`` or ``.svg`` suffix and no ``formats``, that one
            format is written; with ``formats``, the suffix is replaced by each format's.
        formats: Formats to write, e.g. ``("png", "svg")``.
        dpi: PNG resolution; default :data:`SAVE_DPI`.

    Returns:
        The files written.

    Raises:
        ValueError: No format given and the suffix is not ``.png`` or ``.svg``.
    """
    target = Path(path)
    if not formats:
        suffix = target.suffix.lower().lstrip(".")
        if suffix not in ("png", "svg"):
            raise ValueError(f"{target}: give a .png or .svg file name, or formats=('png', 'svg')")
        formats = (suffix,)
    from model.storage import atomic_write_bytes

    written = []
    for fmt in formats:
        out = target.with_suffix(f".{fmt}")
        written.append(atomic_write_bytes(out, figure_bytes(fig, fmt, dpi)))
    return written


SOURCES_ATTRIBUTE = "foedsim_sources"
"""Name of the figure attribute listing the attributions a figure needs (a tuple of strings).
Figure functions add to it with :func:`add_figure_source`; the report collects it into its
sources section, so an attribution cannot get lost on the way from a map to a report."""


def add_figure_source(fig: Figure, text: str) -> None:
    """Record an attribution that any publication of ``fig`` must carry."""
    current = tuple(getattr(fig, SOURCES_ATTRIBUTE, ()))
    if text not in current:
        setattr(fig, SOURCES_ATTRIBUTE, (*current, text))


def figure_sources(fig: Figure) -> tuple[str, ...]:
    """The attributions recorded on ``fig`` with :func:`add_figure_source`."""
    return tuple(getattr(fig, SOURCES_ATTRIBUTE, ()))
