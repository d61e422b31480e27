"""Replay of the Corona bridging aid (Überbrückungshilfen): central network against 400 Kreise.

The seed paper (PD-Impuls 10/2023) reports for the Überbrückungshilfen für die Wirtschaft more
than 2 million applications in 11 programme lines, processed by 21 Bewilligungsstellen with
7,100 registered case workers (63 billion EUR paid). :func:`bridging_aid_replay` runs the
programme case by case through the office model (``model/des.py``, working-time mode) twice,
with the same arrivals and the same total staff:

- ``central``: 21 offices, one per Land, the five most populous Länder split in two by Kreis key
  order (16 + 5 = 21; the rule is an assumption, see docs/REPLAY.md);
- ``decentral``: one office per Kreis (400).

Arrivals: the programme's total, duration and profile from ``demand_shocks.csv`` give weekly
shares (:func:`model.catalogue.shock_weekly_weights`); the national weekly counts are drawn
multinomially (the total is exact), then split over the Kreise by population (multinomial per
week). A central office receives the sum of its Kreise, so both variants see the same cases in
the same weeks. Staff: effective FTE = registered case workers x ``effective_fte_share``, split
over the offices by the population they serve. Each office gets ``ceil(fte)`` clerks (at least
1) of equal part-time share ``fte / ceil(fte)``, which keeps every office's FTE exact.

Every assumption is a row of :data:`ASSUMPTIONS` with its range and a one-line reason.
"""

from __future__ import annotations

import math
import time as clock
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.catalogue import load_catalogue, shock_weekly_weights
from model.des import office_from_dict, simulate_office
from model.des_spec import WORKING_MINUTES_PER_WEEK
from model.geography import load_germany
from model.streams import make_stream

__all__ = ["ASSUMPTIONS", "Assumption", "ReplayResult", "bridging_aid_replay", "central_office_of"]

PROGRAMME = "ueberbrueckungshilfe"
"""Row of demand_shocks.csv and services.csv replayed here."""

BEWILLIGUNGSSTELLEN = 21
"""Approval offices of the programme (offices). Source: seed paper, PD-Impuls 10/2023."""

REGISTERED_CASE_WORKERS = 7_100
"""Case workers registered in the programme's Fachverfahren (persons). Source: seed paper."""

VARIANTS = ("central", "decentral")


@dataclass(frozen=True)
class Assumption:
    """A named assumption: central value, plausible range, unit and a one-line reason."""

    value: float
    low: float
    high: float
    unit: str
    reason: str


ASSUMPTIONS: dict[str, Assumption] = {
    "effective_fte_share": Assumption(0.5, 0.3, 0.8, "FTE per registered case worker",
        "registered accounts include part-timers, staff seconded for peaks, team leads and "
        "quality checkers; few worked full time on the programme for two years"),
    "intake_minutes": Assumption(45.0, 20.0, 90.0, "staff minutes (exponential)",
        "formal check of the portal record: authorised prüfender Dritter, eligibility, "
        "plausibility flags, duplicates"),
    "missing_documents_share": Assumption(0.2, 0.1, 0.4, "share of cases",
        "filed only by prüfende Dritte (tax advisers, auditors) who check plausibility before "
        "filing (bdo circular via omnibusrevue.de, 2020), so requests are the exception"),
    "missing_documents_minutes": Assumption(20.0, 10.0, 40.0, "staff minutes (exponential)",
        "writing one request (Rückfrage) to the prüfender Dritter through the portal"),
    "reply_weeks": Assumption(2.0, 1.0, 4.0, "weeks (mean of an exponential wait)",
        "assumption: answer time of a tax adviser; the profession worked 'am Limit' "
        "(Bundessteuerberaterkammer in Deutsche Handwerks Zeitung, 31.7.2020)"),
    "payout_minutes": Assumption(15.0, 5.0, 30.0, "staff minutes (exponential)",
        "release of the payment under the four-eyes rule; the transfer itself is automated"),
    "decision_cv": Assumption(1.0, 0.5, 1.5, "coefficient of variation (lognormal)",
        "applications range from Soloselbständige to firms with millions of EUR fixed costs"),
    "drain_margin_weeks": Assumption(26.0, 13.0, 52.0, "weeks",
        "simulated after the last arrival week plus the fluid drain time of an overloaded "
        "programme, so that replies and queues can finish"),
    "split_laender": Assumption(5.0, 0.0, 5.0, "Länder with two offices",
        "21 offices = 16 Länder + 5: the five most populous Länder are split in two by Kreis "
        "key order (roughly Regierungsbezirke); the real list differs (NRW: 5 "
        "Bezirksregierungen)"),
}  # fmt: skip
"""The replay's assumptions; the decision step gets the rest of services.csv's minutes."""


@dataclass
class ReplayResult:
    """The outcome of one replay.

    Attributes:
        summary: One row per variant: ``offices``, ``clerks``, ``staff_fte``, ``cases``,
            ``completed``, ``open_end``, ``offered_load`` (staff minutes needed / available
            during the programme's weeks), lead times of completed cases ``lead_mean_weeks``,
            ``lead_median_weeks``, ``lead_p90_weeks``, ``lead_p99_weeks``,
            ``backlog_peak_cases`` (most open cases at a week's end) and ``backlog_peak_week``,
            ``last_completion_week``, ``office_lead_mean_min_weeks``,
            ``office_lead_mean_max_weeks`` and ``worst_office`` (by mean lead time),
            ``office_load_max`` and ``runtime_seconds``. Weeks count from the programme's
            start; a week is 1,846.15 working minutes.
        offices: One row per office: ``variant``, ``office``, ``population``, ``staff_fte``,
            ``clerks``, ``cases``, ``completed``, ``offered_load``, ``lead_mean_weeks``,
            ``lead_p90_weeks``, ``backlog_peak_cases``, ``last_completion_week``.
        weekly: One row per variant and week: ``arrivals``, ``completions``, ``backlog``.
        steps: The office steps used (list of dicts, as given to ``office_from_dict``).
        parameters: ``seed``, ``scale``, ``fte_share``, ``weeks``, ``minutes_per_case``.
    """

    summary: pd.DataFrame
    offices: pd.DataFrame
    weekly: pd.DataFrame
    steps: list[dict]
    parameters: dict[str, float]


def office_steps(minutes_per_case: float) -> list[dict]:
    """The steps of one application; the expected staff minutes equal ``minutes_per_case``.

    Intake check, request for missing documents (a share of cases; the prüfender Dritter
    replies after an exponential wait), decision (the rest of the minutes, lognormal) and
    payout release.

    Raises:
        ValueError: If the fixed steps leave no minutes for the decision.
    """
    a = {k: v.value for k, v in ASSUMPTIONS.items()}
    decision = (minutes_per_case - a["intake_minutes"] - a["payout_minutes"]
                - a["missing_documents_share"] * a["missing_documents_minutes"])  # fmt: skip
    if decision <= 0:
        raise ValueError(f"minutes_per_case {minutes_per_case:g} leave no time for the decision")
    return [
        {"name": "intake", "minutes": a["intake_minutes"]},
        {"name": "missing_documents", "minutes": a["missing_documents_minutes"],
         "probability": a["missing_documents_share"], "citizen_reply_weeks": a["reply_weeks"]},
        {"name": "decision", "minutes": decision, "distribution": "lognormal",
         "cv": a["decision_cv"]},
        {"name": "payout", "minutes": a["payout_minutes"]},
    ]  # fmt: skip


def central_office_of(kreise: pd.DataFrame, laender: pd.DataFrame, splits: int) -> np.ndarray:
    """Name of the central office serving each Kreis (row order of ``kreise``).

    One office per Land (named by its code, e.g. ``"HE"``); the ``splits`` most populous Länder
    get two (``"NW-1"``, ``"NW-2"``): Kreise in key order go to the first office while the
    midpoint of their cumulative population lies in the Land's first half.
    """
    code = laender["code"].reindex(kreise["land"]).to_numpy().astype(object)
    names = code.copy()
    for land in laender["population"].nlargest(splits).index:
        rows = np.flatnonzero(kreise["land"].to_numpy() == land)
        rows = rows[np.argsort(kreise.index.to_numpy()[rows])]
        pop = kreise["population"].to_numpy()[rows].astype(float)
        first = np.cumsum(pop) - pop / 2 < pop.sum() / 2
        names[rows] = [f"{code[r]}-{1 if f else 2}" for r, f in zip(rows, first, strict=True)]
    return names


def _part_time(fte: float) -> list[float]:
    """``ceil(fte)`` clerks (at least 1) of equal FTE share <= 1; the shares sum to ``fte``."""
    clerks = max(1, math.ceil(fte))
    return [fte / clerks] * clerks


def _office_seed(seed: int, variant: str, office: str) -> int:
    """A seed per office, so offices of one run do not share draws case by case."""
    return int(make_stream(seed, f"replay/{variant}/{office}").integers(0, 2**62))


def _simulate(job: tuple[str, str, dict, int, float, int]) -> tuple[dict, np.ndarray, np.ndarray]:
    """Run one office; return its office row, lead times (weeks) and weekly totals.

    A top-level function of plain arguments, so that a process pool can call it.
    """
    variant, name, data, seed, population, duration = job
    spec = office_from_dict(data, f"<replay {variant} {name}>")
    result = simulate_office(spec, seed)
    cases, w = result.cases, result.weekly
    week = spec.minutes_per_week
    lead = ((cases["end"] - cases["arrival"]) / week).to_numpy()
    n = len(cases)
    need = n * spec.expected_staff_minutes_per_case()
    row = {
        "variant": variant, "office": name, "population": population,
        "staff_fte": sum(spec.fte), "clerks": spec.clerks, "cases": n,
        "completed": int(cases["end"].notna().sum()),
        "offered_load": need / (spec.staff_minutes_per_week() * duration),
        "lead_mean_weeks": float(np.nanmean(lead)) if n else math.nan,
        "lead_p90_weeks": float(np.nanquantile(lead, 0.9)) if n else math.nan,
        "backlog_peak_cases": int(w["backlog"].max()),
        "last_completion_week": float(np.nanmax(cases["end"], initial=0.0) / week),
    }  # fmt: skip
    return row, lead, w[["arrivals", "completions", "backlog"]].to_numpy().T


def _run_variant(variant: str, jobs: list[tuple], weeks: int, workers: int
                 ) -> tuple[dict, list[dict], pd.DataFrame]:  # fmt: skip
    """Simulate every office of one variant; return its summary row, office rows and weeks."""
    t0 = clock.perf_counter()
    if workers > 1:
        # largest offices first (they take longest), results back in office order
        order = sorted(range(len(jobs)), key=lambda i: -sum(jobs[i][2]["arrivals"]["series"]))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = dict(zip(order, pool.map(_simulate, [jobs[i] for i in order]), strict=True))
        outputs = [done[i] for i in range(len(jobs))]
    else:  # the serial path, for debugging and tests
        outputs = [_simulate(job) for job in jobs]
    runtime = clock.perf_counter() - t0
    rows = [row for row, _, _ in outputs]
    lead = np.concatenate([lead for _, lead, _ in outputs])
    weekly = sum(w for _, _, w in outputs)  # arrivals, completions, backlog x weeks
    backlog = weekly[2]
    offices = pd.DataFrame(rows)
    worst = offices.loc[offices["lead_mean_weeks"].idxmax()]
    fte = offices["staff_fte"].sum()
    summary = {
        "variant": variant, "offices": len(rows), "clerks": int(offices["clerks"].sum()),
        "staff_fte": float(fte), "cases": int(offices["cases"].sum()),
        "completed": int(offices["completed"].sum()),
        "open_end": int(offices["cases"].sum() - offices["completed"].sum()),
        "offered_load": float((offices["offered_load"] * offices["staff_fte"]).sum() / fte),
        "lead_mean_weeks": float(np.nanmean(lead)),
        "lead_median_weeks": float(np.nanquantile(lead, 0.5)),
        "lead_p90_weeks": float(np.nanquantile(lead, 0.9)),
        "lead_p99_weeks": float(np.nanquantile(lead, 0.99)),
        "backlog_peak_cases": int(backlog.max()), "backlog_peak_week": int(backlog.argmax()),
        "last_completion_week": float(offices["last_completion_week"].max()),
        "office_lead_mean_min_weeks": float(offices["lead_mean_weeks"].min()),
        "office_lead_mean_max_weeks": float(worst["lead_mean_weeks"]),
        "worst_office": worst["office"],
        "office_load_max": float(offices["offered_load"].max()),
        "runtime_seconds": runtime,
    }  # fmt: skip
    table = pd.DataFrame({"variant": variant, "week": np.arange(weeks), "arrivals": weekly[0],
                          "completions": weekly[1], "backlog": weekly[2]})  # fmt: skip
    return summary, rows, table


def _jobs(variant: str, groups: pd.Series, arrivals: np.ndarray, population: np.ndarray,
          fte_total: float, steps: list[dict], weeks: int, seed: int) -> list[tuple]:  # fmt: skip
    """One job per office of a variant: its description, seed and population served."""
    duration = arrivals.shape[0]
    jobs = []
    for name, members in groups.groupby(groups, sort=True).groups.items():
        idx = groups.index.get_indexer(members)
        counts = np.zeros(weeks, dtype=np.int64)
        counts[:duration] = arrivals[:, idx].sum(axis=1)
        pop = float(population[idx].sum())
        data = {
            "office": {"name": str(name), "weeks": weeks, "time": "working"},
            "arrivals": {"series": counts.tolist()},
            "staff": {"part_time": _part_time(fte_total * pop / population.sum())},
            "steps": steps,
        }
        jobs.append((variant, str(name), data, _office_seed(seed, variant, str(name)), pop,
                     duration))  # fmt: skip
    return jobs


def bridging_aid_replay(
    seed: int,
    scale: float = 1.0,
    fte_share: float | None = None,
    variants: tuple[str, ...] = VARIANTS,
    workers: int = 1,
) -> ReplayResult:
    """Replay the bridging aid case by case, centrally (21 offices) and decentrally (400 Kreise).

    Args:
        seed: Seed of the named random streams (a non-negative integer).
        scale: Share of the programme's cases and of the staff that is simulated (0 < scale
            <= 1); 1.0 is the acceptance size (2 million cases), tests use <= 0.02.
        fte_share: Effective FTE per registered case worker (1); default
            ``ASSUMPTIONS["effective_fte_share"]``.
        variants: Which of ``"central"``, ``"decentral"`` to run.
        workers: Processes that simulate offices in parallel (1: serial, in this process).
            Results do not depend on it: every office has its own seed.

    Returns:
        Summary per variant, office table, weekly totals, steps and parameters.

    Raises:
        ValueError: If ``scale``, ``fte_share`` or ``workers`` is out of range or a variant is
            unknown.
    """
    share = ASSUMPTIONS["effective_fte_share"].value if fte_share is None else fte_share
    if not 0 < scale <= 1 or not 0 < share <= 1 or workers < 1:
        raise ValueError(f"need 0 < scale <= 1, 0 < fte_share <= 1, workers >= 1; got {scale}, "
                         f"{share}, {workers}")  # fmt: skip
    if unknown := set(variants) - set(VARIANTS):
        raise ValueError(f"unknown variants {sorted(unknown)}; allowed: {', '.join(VARIANTS)}")
    catalogue, germany = load_catalogue(), load_germany()
    shock = catalogue.shocks.set_index("shock_id").loc[PROGRAMME]
    minutes = float(catalogue.service(shock["service_id"])["minutes_per_case"])
    duration = int(shock["duration_weeks"])
    total = round(int(shock["total_cases"]) * scale)
    fte_total = REGISTERED_CASE_WORKERS * share * scale
    steps = office_steps(minutes)
    load = total * minutes / (fte_total * WORKING_MINUTES_PER_WEEK * duration)
    margin = ASSUMPTIONS["drain_margin_weeks"].value
    weeks = duration + math.ceil(max(0.0, load - 1.0) * duration + margin)

    kreise, laender = germany.kreise, germany.laender
    population = kreise["population"].to_numpy().astype(float)
    rng = make_stream(seed, "replay/arrivals")
    national = rng.multinomial(total, shock_weekly_weights(shock["profile"], duration))
    arrivals = rng.multinomial(national, population / population.sum())  # weeks x Kreise
    splits = int(ASSUMPTIONS["split_laender"].value)
    groups = {
        "central": pd.Series(central_office_of(kreise, laender, splits), index=kreise.index),
        "decentral": pd.Series(kreise.index.to_numpy(), index=kreise.index),
    }
    summaries, offices, weekly = [], [], []
    for variant in variants:
        jobs = _jobs(variant, groups[variant], arrivals, population, fte_total, steps, weeks,
                     seed)  # fmt: skip
        row, rows, table = _run_variant(variant, jobs, weeks, workers)
        summaries.append(row)
        offices.extend(rows)
        weekly.append(table)
    parameters = {"seed": seed, "scale": scale, "fte_share": share, "weeks": weeks,
                  "minutes_per_case": minutes}  # fmt: skip
    return ReplayResult(pd.DataFrame(summaries), pd.DataFrame(offices),
                        pd.concat(weekly, ignore_index=True), steps, parameters)  # fmt: skip
