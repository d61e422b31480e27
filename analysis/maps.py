"""Choropleth maps of Kreise and Länder: one or several panels on one shared colour scale.

A map function takes values keyed by Kreis AGS (5 digits, e.g. ``"01001"``) or Land code
(2 digits, ``"01"`` … ``"16"``) and returns a matplotlib Figure; it never re-runs the model and
never touches pyplot. Several panels (typically one per scenario) share one colour scale
(the same :class:`matplotlib.colors.Normalize` object) and one colour bar, so equal colours
mean equal values across panels. Kreise or Länder without a value are drawn light grey and
hatched, with a legend entry, so a gap is never read as a low value. Every map carries the
BKG source note (:data:`analysis.geo.ATTRIBUTION`) in its bottom line and records it on the
figure for the report (:func:`analysis.style.figure_sources`).

Maps are drawn in ETRS89-LAEA Europe (EPSG:3035, equal-area) kilometres with aspect 1, so
Germany has its true proportions (about 640 km east–west, 870 km north–south).

Example::

    from analysis import maps
    fig = maps.kreis_map(frame[["baseline", "efa"]], label="Backlog (cases)")
    maps.save_figure(fig, "out/backlog_map", formats=("png", "svg"))
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis import geo, style
from analysis.style import (
    add_figure_source,
    figure_style,
    freeze_layout,
    new_figure,
    save_figure,
)
from model.errors import FoedsimError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.path import Path

__all__ = ["MapError", "kreis_map", "land_map", "choropleth", "save_figure", "SOURCE_TEXT"]

SOURCE_TEXT = (
    "Boundaries of Kreise and Länder: Bundesamt für Kartographie und Geodäsie (BKG), "
    "Verwaltungsgebiete 1:5 000 000 (VG5000), Stand 31.12.2023. "
    f"{geo.ATTRIBUTION}. Licence: Datenlizenz Deutschland – Namensnennung – Version 2.0, "
    "https://www.govdata.de/dl-de/by-2-0; BKG: https://www.bkg.bund.de"
)
"""Full attribution of the boundaries, for a report's sources section."""

PANEL_WIDTH_IN = 3.4
PANEL_HEIGHT_IN = 4.5
COLORBAR_WIDTH_IN = 1.3
NOTE_BAND_IN = 0.4
"""Bottom band for the source note and the no-data legend, inches."""
MAP_MARGIN_KM = 12.0
KREIS_EDGE_WIDTH = 0.25
LAND_EDGE_WIDTH = 0.6
LAND_BORDER_WIDTH = 0.8
MAX_COLUMNS = 3


class MapError(FoedsimError):
    """Values given to a map do not fit its keys (wrong key format, unknown key, not numbers)."""


PanelValues = pd.Series | pd.DataFrame | Mapping[str, pd.Series]


@functools.cache
def _paths(level: str) -> dict[str, Path]:
    """One compound path per key: every polygon and hole (holes by their reversed rings)."""
    from matplotlib.path import Path

    shapes = geo.load_kreise() if level == "kreis" else geo.load_laender()
    paths = {}
    for key, polygons in shapes.polygons.items():
        rings = [ring for polygon in polygons for ring in polygon]
        vertices = np.concatenate(rings)
        codes = np.full(len(vertices), Path.LINETO, dtype=Path.code_type)
        start = 0
        for ring in rings:
            codes[start] = Path.MOVETO
            codes[start + len(ring) - 1] = Path.CLOSEPOLY
            start += len(ring)
        paths[key] = Path(vertices, codes)
    return paths


def _panels(values: PanelValues) -> list[tuple[str | None, pd.Series]]:
    if isinstance(values, pd.DataFrame):
        return [(str(column), values[column]) for column in values.columns]
    if isinstance(values, pd.Series):
        return [(None if values.name is None else str(values.name), values)]
    if isinstance(values, Mapping):
        return [(str(name), series) for name, series in values.items()]
    raise MapError(f"map values: got {type(values).__name__}; allowed: a pandas Series, "
                   "a DataFrame (one column per panel) or a dict of Series")  # fmt: skip


def _geometry_values(level: str, panel: str, series: Any) -> dict[str, float]:
    """Check one panel's values and return them per boundary key (after key changes)."""
    what = f"{level} map, panel {panel!r}"
    if not isinstance(series, pd.Series):
        raise MapError(f"{what}: got {type(series).__name__}; allowed: a pandas Series")
    if not series.index.is_unique:
        repeated = sorted({str(k) for k in series.index[series.index.duplicated()]})[:5]
        raise MapError(f"{what}: keys repeat: {', '.join(repeated)}")
    try:
        numbers = pd.to_numeric(series, errors="raise").astype(float)
    except (TypeError, ValueError):
        raise MapError(f"{what}: values must be numbers (NaN for no data)") from None
    digits = geo.KEY_DIGITS[level]
    known = set(_paths(level))
    changes = geo.KREIS_KEY_CHANGES if level == "kreis" else {}
    out: dict[str, float] = {}
    for key, value in numbers.items():
        if not (isinstance(key, str) and len(key) == digits and key.isdigit()):
            raise MapError(f"{what}: key {key!r} is not a {digits}-digit string key; allowed: "
                           f"e.g. {min(known)!r} (read key columns with dtype=str)")  # fmt: skip
        parts = changes.get(key, (key,))
        if any(part not in known for part in parts):
            raise MapError(
                f"{what}: key {key!r} is not a {level} of the boundary file "
                f"(VG5000 31.12.2023); allowed: {min(known)} … {max(known)}"
            )
        if math.isinf(value):
            raise MapError(f"{what}: key {key!r}: value is infinite")
        for part in parts:
            out[part] = value
    return out


def _norm(all_values: list[float], vmin: float | None, vmax: float | None,
          center: float | None) -> tuple[Normalize, str]:  # fmt: skip
    """One norm for all panels, and the colour bar's ``extend`` (values clipped by limits)."""
    from matplotlib.colors import Normalize

    finite = np.asarray([v for v in all_values if not math.isnan(v)], dtype=float)
    data_lo = float(finite.min()) if finite.size else 0.0
    data_hi = float(finite.max()) if finite.size else 1.0
    lo = data_lo if vmin is None else float(vmin)
    hi = data_hi if vmax is None else float(vmax)
    if center is not None:
        half = max(abs(hi - center), abs(center - lo))
        lo, hi = center - half, center + half
    if hi <= lo:  # all equal: widen so the colour bar has a range
        pad = abs(lo) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    below, above = finite.size and data_lo < lo, finite.size and data_hi > hi
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (bool(below), bool(above)), "both"
    )
    return Normalize(vmin=lo, vmax=hi), extend


def choropleth(level: str, values: PanelValues, *, label: str, lang: str = "en",
               title: str | None = None, cmap: str | None = None, vmin: float | None = None,
               vmax: float | None = None, center: float | None = None,
               ncols: int | None = None, note: str | None = None,
               land_borders: bool = True) -> Figure:  # fmt: skip
    """A choropleth map of Kreise or Länder; see :func:`kreis_map` and :func:`land_map`.

    Args:
        level: ``kreis`` or ``land``.
        values: One panel (a Series indexed by key) or several (a DataFrame with one column
            per panel, or a dict name -> Series). NaN or an absent key means no data.
        label: Colour-bar label (what the values are, with unit), e.g.
            ``analysis.style.label("backlog_cases", lang)``.
        lang: ``en`` or ``de`` for the words the map adds itself ("No data").
        title: Figure title above all panels.
        cmap: Colour map; default ``viridis``, or ``RdBu_r`` when ``center`` is given.
        vmin, vmax: Colour-scale limits; default the range of all panels' values. Values
            outside are drawn in the end colours and the colour bar gets arrows.
        center: Centre of a diverging scale (e.g. 0 for differences from the baseline); the
            limits are then made symmetric around it.
        ncols: Panels per row; default up to three.
        note: Data source of the values, printed before the BKG note.
        land_borders: On Kreis maps, draw Land borders on top.

    Returns:
        The figure (Agg canvas, no pyplot).

    Raises:
        MapError: A key is not of the level's format or not in the boundary file, keys
            repeat, or values are not numbers.
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Patch

    if level not in geo.KEY_DIGITS:
        raise MapError(f"map level {level!r}; allowed: {', '.join(geo.KEY_DIGITS)}")
    style.check_lang(lang)
    panels = _panels(values)
    if not panels:
        raise MapError(f"{level} map: no panels given")
    paths = _paths(level)
    panel_values = [_geometry_values(level, name or "1", s) for name, s in panels]
    norm, extend = _norm([v for pv in panel_values for v in pv.values()], vmin, vmax, center)
    cmap = cmap or (style.DIVERGING_CMAP if center is not None else style.SEQUENTIAL_CMAP)

    ncols = max(1, min(ncols or MAX_COLUMNS, len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    xmin, ymin, xmax, ymax = geo.load_laender().bounds()
    width_in = ncols * PANEL_WIDTH_IN + COLORBAR_WIDTH_IN
    height_in = nrows * PANEL_HEIGHT_IN + NOTE_BAND_IN + (0.4 if title else 0.0)
    band = NOTE_BAND_IN / height_in
    # White edges separate small Kreise on a sequential scale; on a diverging scale, whose
    # middle is near white, grey edges keep neighbours apart. Länder always get dark borders.
    if level == "land":
        edge_color, edge_width = style.BORDER_COLOR, LAND_EDGE_WIDTH
    else:
        edge_color = style.EDGE_COLOR if center is None else style.MISSING_EDGE_COLOR
        edge_width = KREIS_EDGE_WIDTH
    any_missing = False
    with figure_style():
        fig = new_figure(width_in, height_in, rect=(0.0, band, 1.0, 1.0 - band))
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, (name, _), present in zip(axes, panels, panel_values, strict=False):
            have = [k for k in paths if k in present and not math.isnan(present[k])]
            missing = [k for k in paths if k not in have]
            filled = PathCollection(
                [paths[k] for k in have],
                cmap=cmap,
                norm=norm,
                edgecolors=edge_color,
                linewidths=edge_width,
                gid="filled",
            )
            filled.set_array(np.array([present[k] for k in have], dtype=float))
            ax.add_collection(filled)
            if missing:
                any_missing = True
                ax.add_collection(
                    PathCollection(
                        [paths[k] for k in missing],
                        facecolors=style.MISSING_COLOR,
                        edgecolors=style.MISSING_EDGE_COLOR,
                        linewidths=edge_width,
                        hatch=style.MISSING_HATCH,
                        gid="missing",
                    )
                )
            if level == "kreis" and land_borders:
                ax.add_collection(
                    PathCollection(
                        list(_paths("land").values()),
                        facecolors="none",
                        edgecolors=style.BORDER_COLOR,
                        linewidths=LAND_BORDER_WIDTH,
                        gid="land_borders",
                    )
                )
            ax.set_xlim(xmin - MAP_MARGIN_KM, xmax + MAP_MARGIN_KM)
            ax.set_ylim(ymin - MAP_MARGIN_KM, ymax + MAP_MARGIN_KM)
            ax.set_aspect("equal")  # EPSG:3035 km: one km is one km in both directions
            ax.set_axis_off()
            if name is not None:
                ax.set_title(name)
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        fig.colorbar(
            ScalarMappable(norm=norm, cmap=cmap),
            ax=list(axes[: len(panels)]),
            label=label,
            extend=extend,
            shrink=0.75,
            aspect=25,
        )
        if title:
            fig.suptitle(title)
        source = f"{note} · {geo.ATTRIBUTION}" if note else geo.ATTRIBUTION
        fig.text(
            0.01,
            band / 2,
            source,
            fontsize="x-small",
            color=style.NOTE_COLOR,
            ha="left",
            va="center",
            gid="source_note",
        )
        if any_missing:
            swatch = Patch(
                facecolor=style.MISSING_COLOR,
                edgecolor=style.MISSING_EDGE_COLOR,
                hatch=style.MISSING_HATCH,
                label=style.label("no_data", lang),
            )
            fig.legend(
                handles=[swatch],
                loc="center right",
                bbox_to_anchor=(0.99, band / 2),
                bbox_transform=fig.transFigure,
                fontsize="small",
            )
    freeze_layout(fig)
    add_figure_source(fig, SOURCE_TEXT)
    return fig


def kreis_map(values: PanelValues, *, label: str, **options: Any) -> Figure:
    """A choropleth of the 400 Kreise, keyed by 5-digit Kreis AGS (``"01001"`` … ``"16077"``).

    Land borders are drawn on top. Options as in :func:`choropleth`.
    """
    return choropleth("kreis", values, label=label, **options)


def land_map(values: PanelValues, *, label: str, **options: Any) -> Figure:
    """A choropleth of the 16 Länder, keyed by 2-digit Land code (``"01"`` … ``"16"``).

    Options as in :func:`choropleth`.
    """
    return choropleth("land", values, label=label, **options)
