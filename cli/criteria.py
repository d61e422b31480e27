"""``foedsim criteria``: the seed's 12 criteria, the scores, the recommendation and the chart.

Also :func:`criteria_page`, the generated docs/CRITERIA.md (to be listed in ``cli.docs.PAGES``).
Heavy imports happen inside the functions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from model.errors import FoedsimError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

CHART_SUFFIXES = (".png", ".svg")
CHART_DPI = 150
"""Resolution of PNG charts (dots per inch; layout constant)."""
SUMMARY_COLUMNS = {
    "today": ("service_id", "name", "execution_today", "score_today", "recommendation_today"),
    "future": ("service_id", "name", "execution_today", "score_future", "score_future_min",
               "score_future_max", "recommendation", "front_office", "veto", "robust",
               "reasons"),
}  # fmt: skip
TEXT_DROPPED = ("name", "score_future_min", "score_future_max", "veto")
"""Columns left out of the terminal table to keep it readable (csv and md keep them)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``criteria`` sub-command to the command line's sub-parsers."""
    p = sub.add_parser(
        "criteria",
        help="the seed's 12 criteria: scores per service, central/local recommendation, chart",
        description="Print the weighted criteria scores and the recommendation (central or "
        "local) for every service, or one service's per-criterion scores; optionally draw "
        "the seed's chart (one row per criterion, ○ today, ● future). See docs/CRITERIA.md.",
    )
    p.add_argument("--service", metavar="ID", help="one service's per-criterion rows")
    p.add_argument("--when", choices=("today", "future", "both"), default="both",
                   help="scores today, in future, or both (default)")  # fmt: skip
    p.add_argument("--format", choices=("text", "csv", "md"), default="text")
    p.add_argument("--chart", metavar="FILE", help="also draw the chart to FILE.png or FILE.svg")
    p.add_argument("--lang", choices=("de", "en"), default="en",
                   help="language of names, reasons and chart labels")  # fmt: skip
    p.set_defaults(func=cmd_criteria)


def _columns(when: str) -> list[str]:
    if when == "both":
        return list(dict.fromkeys(SUMMARY_COLUMNS["today"] + SUMMARY_COLUMNS["future"]))
    return list(SUMMARY_COLUMNS[when])


def summary_table(recommendations: pd.DataFrame, when: str = "both") -> pd.DataFrame:
    """The per-service table ``foedsim criteria`` prints (columns chosen by ``when``)."""
    return recommendations[_columns(when)]


def service_table(table: pd.DataFrame, when: str = "both") -> pd.DataFrame:
    """A service's per-criterion table without the other time's columns."""
    if when == "both":
        return table
    other = "future" if when == "today" else "today"
    return table[[c for c in table.columns if not c.endswith(f"_{other}")]]


def _render(table: pd.DataFrame, fmt: str, max_width: int = 60) -> str:
    if fmt == "csv":
        return table.to_csv(index=False)
    from model.parameters import markdown_table

    rows = [{c: _cell(v) for c, v in row.items()} for row in table.to_dict("records")]
    if fmt == "md":
        return markdown_table(rows)
    from cli.main import format_table

    return format_table(rows, max_width=max_width) + "\n"


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _title(row: pd.Series, lang: str, with_name: bool) -> str:
    from model.criteria import AXIS_WORDS

    word = AXIS_WORDS[lang][row["recommendation"]]
    name = f" – {row['name']}" if with_name and row["name"] else ""
    scores = f"{row['score_today']:.2f} → {row['score_future']:.2f}"
    return f"{row['service_id']}{name}: {scores}, {word}"


def draw_chart(service_id: str | None, when: str, lang: str) -> Figure:
    """The seed's chart for one service (or all services as small multiples)."""
    from analysis.criteria_chart import criteria_figure
    from model.criteria import load_criteria, positions, recommend

    tables = load_criteria()
    recs = recommend(tables, lang=lang).set_index("service_id", drop=False)
    ids = [service_id] if service_id else list(recs.index)
    titles = {s: _title(recs.loc[s], lang, with_name=service_id is not None) for s in ids}
    return criteria_figure(positions(tables.criteria, tables.scores), tables.criteria, ids,
                           when=when, lang=lang, titles=titles)  # fmt: skip


def check_chart_path(path: Path) -> None:
    """Refuse a chart file that cannot be written, before any work is done.

    Raises:
        FoedsimError: the suffix is not .png or .svg, or the folder does not exist.
    """
    if path.suffix.lower() not in CHART_SUFFIXES:
        raise FoedsimError(f"--chart {path}: unknown file type '{path.suffix}'; allowed: "
                           f"{', '.join(CHART_SUFFIXES)}")  # fmt: skip
    if not path.parent.is_dir():
        raise FoedsimError(f"--chart {path}: folder '{path.parent}' does not exist; allowed: "
                           "a file in an existing folder")  # fmt: skip


def write_figure(fig: Figure, path: Path) -> Path:
    """Save a figure atomically (:func:`model.storage.atomic_path`)."""
    from model.storage import atomic_path

    check_chart_path(path)
    with atomic_path(path) as temp:
        fig.savefig(temp, format=path.suffix.lower()[1:], dpi=CHART_DPI)
    return path


def cmd_criteria(args: argparse.Namespace) -> int:
    """Print the criteria table (all services or one) and optionally write the chart."""
    from model.criteria import load_criteria, recommend, service_criteria_table

    if args.chart:
        check_chart_path(Path(args.chart))
    tables = load_criteria()
    recs = recommend(tables, lang=args.lang)
    if args.service:
        table = service_table(service_criteria_table(args.service, tables, args.lang), args.when)
        row = recs.set_index("service_id").loc[args.service]
        if args.format == "text":
            print(f"{args.service} – {row['name']}: score today {row['score_today']:.2f}, "
                  f"future {row['score_future']:.2f} (0 local … 4 central) → "
                  f"{row['recommendation']}, front office {row['front_office']}"
                  f"{'' if row['robust'] else ' (not robust to the weight ranges)'}")  # fmt: skip
            print(f"reasons: {row['reasons']}\n")
    else:
        table = summary_table(recs, args.when)
        if args.format == "text":
            table = table.drop(columns=[c for c in TEXT_DROPPED if c in table.columns])
    print(_render(table, args.format, max_width=70), end="")
    if args.chart:
        path = write_figure(draw_chart(args.service, args.when, args.lang), Path(args.chart))
        print(f"wrote {path}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------------
# docs/CRITERIA.md
# --------------------------------------------------------------------------------------------

_INTRO = """\
# Where a service belongs: the seed's 12 criteria

The seed paper, *Föderale Arbeitsteilung neu denken* (PD-Impuls 10/2023, Berlin, 19.10.2023),
has a slide **"Neuverortung von Leistungen im föderalen System"**. It lists 12 criteria, each
explained in one sentence ("Erläuterung"), and draws every criterion as a row on an axis from
*local* to *central*, with the legend "○ Heute ● Zukünftig" (today, future). foedsim turns the
slide into data and a rule:

- `model/data/criteria/criteria.csv`: the 12 criteria, the seed's sentence for each, which end
  of the axis a high score points to, and a weight with its range and reason;
- `model/data/criteria/scores.csv`: every catalogue service × criterion, a score today and in
  future with a one-line reason each;
- `model/criteria.py`: loading with checks, the rule, `recommend()`;
- `foedsim criteria`: the table, one service's rows, and the chart.

**All scores and weights are assumptions by the foedsim developers.** The seed gives the
criteria and their direction; it gives no scores, no weights and no rule. The recommendations
below are what these assumptions imply, not findings; change a score or a weight in the CSV
files and the recommendation follows.

```bash
foedsim criteria                                  # all services: scores, recommendation
foedsim criteria --service kfz_zulassung          # one service, one row per criterion
foedsim criteria --when future --format md        # csv and md for reuse
foedsim criteria --service bauantrag --chart bau.png --lang de   # the seed's chart
foedsim criteria --chart all.svg                  # small multiples, one panel per service
```
"""

_SCALE = """\
## The scale

Every score is a whole number from **0** (the criterion's condition does not hold for the
service) to **4** (it holds fully); 2 is "partly". The column `high_points_to` says which end of
the axis a high score argues for. On the chart and in the rule a score becomes a *position* on
the axis, 0 = clearly local … 4 = clearly central: the score itself where a high score points to
`central`, `4 − score` where it points to `local` (no local knowledge needed, score 0, is
position 4: nothing ties the service to the place). Each criterion is read as a two-sided axis,
as the seed draws it.

*Today* is the state of 2023/24 (the seed's "Heute"); *future* is the state expected around
2030 from what is decided or under way: the OZG-Änderungsgesetz (in force 24.7.2024),
Registermodernisierung, the federal and federal-Länder Modernisierungsagenden of 2025 and the
staff decline (FACTS D, E). A future score equal to today's says "unchanged" in its reason.

**Derived scores.** The catalogue (`model/data/services.csv`) already has four 0–1 scores.
Today's score of four criteria is derived from them as `round(4 × value)` (half up) and the
loader checks that they match: *Persönlicher Kontakt beim Zugang* ← `personal_contact`,
*Kenntnis der örtlichen Gegebenheiten* ← `local_knowledge`, *Automatisierung* ←
`automation_potential`, *Ermessen* ← `discretion`. Those catalogue values are themselves
assumptions (the starter scores of FACTS H). All other scores, and every future score, are
assumptions with a reason in `scores.csv`.
"""

_RULE = """\
## The rule

1. **Weighted score.** For each service, today and in future:
   `score = Σ weight_c × position_c / Σ weight_c` (0 = clearly local … 4 = clearly central).
2. **Threshold.** At or above **2.0**, the neutral middle of the axis, the service is
   recommended for **central** execution, below it for **local** execution. Assumption; range
   1.75–2.25.
3. **Veto: local knowledge.** A future score of **3 or more** on *Kenntnis der örtlichen
   Gegebenheiten / Gestaltung des örtlichen Zusammenlebens* keeps the service local, whatever
   its weighted score. The seed states this criterion most strongly ("entscheidenden Einfluss
   auf die Gestaltung des örtlichen Zusammenlebens (Planungsrecht) … eher dezentral
   (kommunal)"). The limit 3 is an assumption (range 3–4).
4. **Veto: own task of the Kommune.** A service whose law the Kommune sets itself
   (catalogue `legislating_level` = `kommune`, e.g. Hundesteuer) stays local: the seed and the
   Dresdner Forderungen re-place the execution (*Vollzug*) of federal and Land law, not the
   Kommunen's own affairs.
5. **Front office.** When a central service's future score on *Persönlicher Kontakt beim
   Zugang* is **3 or more** (citizens must appear in person: biometrics, identity check,
   ceremony), it keeps a **local front office**; only the back office moves. Source: Deutscher
   Städtetag, 30.6.2021: in-person access must remain (FACTS E). Limit 3 is an assumption.
6. **Reasons.** The deciding criteria are the veto (if any) and the three criteria that pull
   hardest towards the recommendation, `weight × (position − 2)`.
7. **Robustness.** `robust` says whether the future recommendation stays the same for every
   combination of weights within their ranges and every threshold in 1.75–2.25 (vetoes are
   robust by construction). `score_future_min` and `_max` are the exact extremes of the
   weighted score over the weight ranges.

"Central" means a Land or federal agency or platform; which of the two is left to the scenario
that applies the rule. "Local" means the Kommunen (Gemeinde, Kreis, Jobcenter).
`execution_today` says whether a service is executed locally, centrally or mixed across the
Länder today (from `model/data/execution_by_land.csv`).

### For scenarios

`model.criteria.recommend(tables=None, rule=Rule(), catalogue=None, lang="en")` returns one row
per service with `score_today`, `score_future`, `score_future_min`/`_max`,
`recommendation_today`, `recommendation` (central/local), `front_office`, `veto`, `robust`,
`deciding_criteria` and `reasons`; `weighted_scores(criteria, scores, weights=...)` recomputes
the scores with other weights (for batches over the weight ranges). A scenario mode `criteria`
(`scenarios/criteria_driven.toml`) that executes each service where the rule puts it needs the
execution modes of a later issue and is not built yet.
"""

_SOURCES = """\
## Sources

- Seed paper: PD – Berater der öffentlichen Hand, *Föderale Arbeitsteilung neu denken – für
  eine digital vernetzte Verwaltung von morgen. Plädoyer für eine neu gestaltete Zusammenarbeit
  zwischen Bund, Ländern und Kommunen*, PD-Impuls 10/2023, Berlin, 19.10.2023; slide
  "Neuverortung von Leistungen im föderalen System". The column `seed_text` of `criteria.csv`
  quotes its 12 explanatory sentences verbatim; the short German names are foedsim's
  condensation of them (the slide's own short labels are not in the text available to us).
- FACTS: the project's calibration notes (sections C.1, C.2, D, E, H), cited in the reasons.
"""


def criteria_page() -> str:
    """docs/CRITERIA.md, generated from the packaged criteria and scores.

    For ``cli.docs.PAGES`` (``"CRITERIA.md": criteria_page``), so that the page cannot drift.
    """
    from cli.docs import HEADER
    from model.criteria import ANCHORS, anchor_problems, load_criteria, recommend
    from model.parameters import markdown_table

    tables = load_criteria()
    crit = tables.criteria
    recs = recommend(tables, lang="en")
    criteria_rows = [{
        "#": str(i + 1), "criterion_id": r.criterion_id, "name (de)": r.name_de,
        "name (en)": r.name_en, "high score points to": r.high_points_to,
        "weight (range)": f"{r.weight:g} ({r.weight_low:g}–{r.weight_high:g})",
        "today derived from": f"`{r.catalogue_column}`" if r.catalogue_column else "",
    } for i, r in enumerate(crit.itertuples())]  # fmt: skip
    seed_lines = [f"{i + 1}. *{r.name_de}*: „{r.seed_text}“"
                  for i, r in enumerate(crit.itertuples())]  # fmt: skip
    scale_rows = [{"criterion_id": r.criterion_id, "score 0": r.score_0, "score 4": r.score_4}
                  for r in crit.itertuples()]  # fmt: skip
    weight_rows = [{"criterion_id": r.criterion_id, "weight": f"{r.weight:g}",
                    "range": f"{r.weight_low:g}–{r.weight_high:g}",
                    "why": r.weight_reason.removeprefix("assumption: ")}
                   for r in crit.itertuples()]  # fmt: skip
    by_id = recs.set_index("service_id")
    problems = anchor_problems(recs)
    anchor_rows = [{
        "service_id": a.service_id, "expected": a.recommendation + (
            ", front office local" if a.front_office == "local" and a.recommendation == "central"
            else "") + (f", {a.today} today" if a.today else ""),
        "result": f"{by_id.at[a.service_id, 'recommendation']}, front office "
                  f"{by_id.at[a.service_id, 'front_office']}, today "
                  f"{by_id.at[a.service_id, 'recommendation_today']}",
        "score today → future": f"{by_id.at[a.service_id, 'score_today']:.2f} → "
                                f"{by_id.at[a.service_id, 'score_future']:.2f}",
        "robust": _cell(bool(by_id.at[a.service_id, "robust"])),
        "basis": a.basis,
    } for a in ANCHORS]  # fmt: skip
    status = ("All anchor cases are reproduced (a test checks this)." if not problems else
              "**Anchor cases NOT reproduced:** " + "; ".join(problems))  # fmt: skip
    rec_rows = [{
        "service_id": r.service_id, "today executed": r.execution_today,
        "score today": f"{r.score_today:.2f}", "score future": f"{r.score_future:.2f}",
        "range (weights)": f"{r.score_future_min:.2f}–{r.score_future_max:.2f}",
        "recommendation": r.recommendation, "front office": r.front_office,
        "robust": _cell(bool(r.robust)), "deciding": r.reasons,
    } for r in recs.itertuples()]  # fmt: skip
    counts = recs["recommendation"].value_counts()
    moves = recs[(recs["execution_today"] != "central") & (recs["recommendation"] == "central")]
    fragile = recs.loc[~recs["robust"], "service_id"]
    fragile_anchors = [a.service_id for a in ANCHORS if a.service_id in set(fragile)]
    return "\n".join([
        HEADER.format(src="model/data/criteria/*.csv and model/criteria.py") + _INTRO,
        "## The 12 criteria\n",
        "In the seed's order (`criteria.csv`).\n",
        markdown_table(criteria_rows),
        "The seed's sentences (quoted from the slide's \"Erläuterung\"):\n",
        "\n".join(seed_lines) + "\n",
        "The seed gives a direction for 11 of the 12; for *Gleichwertige Lebensverhältnisse* it "
        "states the principle only, and foedsim reads it as favouring uniform (central) "
        "provision, with a low weight.\n",
        _SCALE,
        "What 0 and 4 mean for each criterion:\n",
        markdown_table(scale_rows),
        "## Weights\n",
        "The seed weighs nothing. foedsim's weights (assumptions; they sum to "
        f"{crit['weight'].sum():g}) give the criteria about *where the work is done* more "
        "weight than those about *which IT solution* to build (the seed says \"zentrale "
        "Lösungen\" for the IT criteria 8–12, which a central platform used by local offices "
        "would also satisfy).\n",
        markdown_table(weight_rows),
        _RULE,
        "## Anchor cases\n",
        "Cases the rule must reproduce (issue 7), all in the catalogue:\n",
        markdown_table(anchor_rows),
        status + (" Not robust to the weight and threshold ranges (their score range crosses "
                  "the threshold): " + ", ".join(f"`{a}`" for a in fragile_anchors) + ".\n"
                  if fragile_anchors else "\n"),
        "## Recommendations for all services\n",
        f"With the packaged scores and weights: {counts.get('central', 0)} services central, "
        f"{counts.get('local', 0)} local; {len(moves)} of those recommended central are "
        "executed locally or mixed today. Not robust to the weight and threshold ranges: "
        f"{', '.join(f'`{s}`' for s in fragile) or 'none'}. Regenerate with `foedsim docs`.\n",
        markdown_table(rec_rows),
        _SOURCES,
    ])  # fmt: skip
