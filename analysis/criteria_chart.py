"""The seed paper's criteria chart: one row per criterion on a local <-> central axis.

The seed slide "Neuverortung von Leistungen im föderalen System" (PD-Impuls 10/2023) draws each
of its 12 criteria as a row between "lokal" and "zentral", with ○ for today and ● for the
future. :func:`criteria_figure` draws the same for one service or, as small multiples, for many.
It takes tables and returns a matplotlib Figure (Agg canvas, no pyplot state); it computes
nothing itself: positions come from ``model.criteria.positions``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

AXIS_MAX = 4
"""The axis runs from 0 (clearly local) to 4 (clearly central), as model.criteria.SCORE_MAX."""
WORDS = {
    "de": {"local": "lokal", "central": "zentral", "today": "Heute", "future": "Zukünftig"},
    "en": {"local": "local", "central": "central", "today": "today", "future": "future"},
}
COLOR = "#1f4e79"
ARROW_COLOR = "#7f7f7f"
LABEL_WIDTH = 34
"""Characters per line of a criterion label before it wraps."""
LABEL_COLUMN_RATIO = 1.5
"""Width of the first panel column (with labels) relative to the others (layout constant)."""


def _draw_panel(ax, rows: pd.DataFrame, when: str, labels: Sequence[str] | None,
                title: str) -> None:  # fmt: skip
    """One service: 12 rows, ○ today, ● future, an arrow where they differ."""
    y = list(range(len(rows)))
    today = rows["position_today"].to_numpy(float)
    future = rows["position_future"].to_numpy(float)
    ax.axvline(AXIS_MAX / 2, color="#d0d0d0", lw=0.8, ls="--", zorder=0)
    for row in y:
        ax.axhline(row, color="#eeeeee", lw=0.6, zorder=0)
    if when == "both":
        for row, start, end in zip(y, today, future, strict=True):
            if start != end:
                ax.annotate("", xy=(end, row), xytext=(start, row), zorder=1,
                            arrowprops={"arrowstyle": "-|>", "color": ARROW_COLOR, "lw": 1.0,
                                        "shrinkA": 5, "shrinkB": 4})  # fmt: skip
    if when in ("today", "both"):
        ax.plot(today, y, ls="none", marker="o", ms=9, mfc="none", mec=COLOR, mew=1.4,
                zorder=2, gid="today")  # fmt: skip
    if when in ("future", "both"):
        ax.plot(future, y, ls="none", marker="o", ms=6, mfc=COLOR, mec=COLOR, zorder=3,
                gid="future")  # fmt: skip
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(-0.4, AXIS_MAX + 0.4)
    ax.set_yticks(y)
    ax.set_yticklabels(labels if labels is not None else [], fontsize=7.5)
    ax.tick_params(axis="y", length=0)
    ax.set_title(title, fontsize=8.5, loc="left")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def criteria_figure(positions: pd.DataFrame, criteria: pd.DataFrame,
                    service_ids: Sequence[str] | None = None, *, when: str = "both",
                    lang: str = "de", titles: Mapping[str, str] | None = None,
                    ncols: int = 4) -> Figure:  # fmt: skip
    """Draw the seed's chart for one service or small multiples for several.

    Args:
        positions: one row per (service, criterion) with ``service_id``, ``criterion_id``,
            ``position_today``, ``position_future`` (0 local ... 4 central), e.g.
            ``model.criteria.positions(criteria, scores)``.
        criteria: the criteria table (``criterion_id``, ``name_de``, ``name_en``); its order is
            the row order, top to bottom.
        service_ids: services to draw (default: all in ``positions``, in its order).
        when: ``"today"`` (○ only), ``"future"`` (● only) or ``"both"`` (○, ● and an arrow).
        lang: ``"de"`` (lokal/zentral, Heute/Zukünftig) or ``"en"``.
        titles: service_id -> panel title (default: the service id).
        ncols: panels per row when drawing several services.

    Returns:
        The figure: one panel per service, each with one row per criterion. Today's markers are
        a line with ``gid='today'`` (open circles), the future's ``gid='future'`` (filled).

    Raises:
        ValueError: unknown ``when`` or ``lang``, a service without rows, or a service missing a
            criterion.
    """
    if when not in ("today", "future", "both") or lang not in WORDS:
        raise ValueError(f"when must be today, future or both and lang de or en; got {when}, "
                         f"{lang}")  # fmt: skip
    words = WORDS[lang]
    order = list(criteria["criterion_id"])
    labels = [textwrap.fill(name, LABEL_WIDTH) for name in criteria[f"name_{lang}"]]
    service_ids = list(service_ids or dict.fromkeys(positions["service_id"]))
    panels = []
    for service_id in service_ids:
        rows = positions[positions["service_id"] == service_id].set_index("criterion_id")
        if set(order) - set(rows.index):
            raise ValueError(f"service {service_id!r} lacks criteria rows in the positions table")
        panels.append(rows.loc[order])
    ncols = min(ncols, len(panels)) if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(2.4 + 2.9 * ncols, 0.6 + 3.2 * nrows) if len(panels) > 1
                 else (8.0, 5.2), layout="constrained")  # fmt: skip
    FigureCanvasAgg(fig)
    # The first column carries the criterion labels: widen it so that all plot areas match.
    ratios = [LABEL_COLUMN_RATIO] + [1.0] * (ncols - 1) if ncols > 1 else [1.0]
    axes = fig.subplots(nrows, ncols, squeeze=False, width_ratios=ratios)
    titles = titles or {}
    for k, ax in enumerate(axes.flat):
        if k >= len(panels):
            ax.set_visible(False)
            continue
        first_column = k % ncols == 0
        _draw_panel(ax, panels[k], when, labels if first_column else None,
                    titles.get(service_ids[k], service_ids[k]))  # fmt: skip
        ax.set_xticks(range(AXIS_MAX + 1))
        ax.set_xticklabels([words["local"], "", "", "", words["central"]], fontsize=8)
    handles = []
    if when in ("today", "both"):
        handles.append(Line2D([], [], ls="none", marker="o", ms=9, mfc="none", mec=COLOR,
                              mew=1.4, label=words['today']))  # fmt: skip
    if when in ("future", "both"):
        handles.append(Line2D([], [], ls="none", marker="o", ms=6, mfc=COLOR, mec=COLOR,
                              label=words['future']))  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False,
               fontsize=8)  # fmt: skip
    return fig
