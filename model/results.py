"""Result tables of a finished run: tidy pandas tables, KPI names from the KPI dictionary.

- ``weekly``: one row per week x (Land, level, service) group: arrivals, completions, backlog,
  lead time and its part at the office (``office_lead_time_weeks``: without the waits outside
  the office, :mod:`model.stages`), the applications waiting outside (``waiting_outside``, by
  Little's law), staff FTE, and completions whose lead time exceeded 4/8/12 weeks.
- ``agencies``: one row per year x (agency, service) pair (for maps), with the lead time and
  its part at the office.
- ``staff``: one row per year x (Land, level): persons, mean age, retirements, other leavers,
  hires, unfilled posts, staff available, needed and the gap (dynamic staff only).
- ``staff_agencies``: the same per year x agency (for maps; in the ``full`` set).
- ``costs``: one row per year x (Land, level, service): cost components, citizen visits, hours
  and CO2 (:mod:`model.costs`).
- ``kpis``: long table ``year, kpi, level, service_id, value`` for every KPI of
  :mod:`model.kpis` the engine computes, nationwide (``level = "all"``, ``service_id = "all"``),
  per level, per service and per level x service.

Running-case services (Bürgergeld, Sozialhilfe, ...) have no application lead time: their
backlog is reported as ``overdue_reviews_cases`` and they are left out of ``backlog_cases``,
``lead_time_weeks`` and the ``share_cases_lead_over_*`` KPIs; their arrivals, completions and
staff count in the volume and staff KPIs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.agencies import LEVELS
from model.costs import cost_kpis, cost_table
from model.engine import AGG_FIELDS, LEAD_THRESHOLDS_WEEKS, FederalModel
from model.kpis import KPI_BY_NAME
from model.staffing import AGE_OFFSET, LEVEL_TO_DESTATIS

F = {name: i for i, name in enumerate(AGG_FIELDS)}


def weekly_table(m: FederalModel) -> pd.DataFrame:
    """Weekly aggregates per (Land, level, service)."""
    groups = m.routing.groups
    n_w, _, n_g = m.weekly.shape
    weeks = pd.to_datetime(m.calendar.start) + pd.to_timedelta(7 * np.arange(n_w), unit="D")
    w = m.weekly
    completions = w[:, F["completions"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        lead = np.where(completions > 0, w[:, F["lead_sum"]] / completions, np.nan)
    running = _group_running(m)
    lead[:, running] = np.nan
    outside = outside_weeks_by_group(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the first pass at the office (queue, processing): what a complete application takes
        office_lead = np.where(completions > 0, w[:, F["office_lead_sum"]] / completions, np.nan)
    office_lead[:, running] = np.nan
    out = pd.DataFrame(
        {
            "week": np.repeat(weeks.values, n_g),
            "year": np.repeat(m.calendar.year, n_g),
            "land": np.tile(groups["land"].to_numpy(), n_w),
            "level": np.tile(groups["level"].to_numpy(), n_w),
            "service_id": np.tile(groups["service_id"].to_numpy(), n_w),
            "arrivals": w[:, F["arrivals"]].ravel().astype(np.int64),
            "completions": completions.ravel().astype(np.int64),
            "backlog": w[:, F["backlog"]].ravel().astype(np.int64),
            "lead_time_weeks": lead.ravel(),
            "office_lead_time_weeks": office_lead.ravel(),
            "waiting_outside": ((w[:, F["arrivals"]] - w[:, F["auto_completions"]])
                                * outside).ravel(),  # fmt: skip
            "staff_fte": w[:, F["staff_fte"]].ravel(),
        }
    )
    for limit in LEAD_THRESHOLDS_WEEKS:
        out[f"completions_lead_over_{limit:g}w"] = w[:, F[f"over_{limit:g}w"]].ravel()
    for col in ("land", "level", "service_id"):
        out[col] = out[col].astype("category")
    return out


def _group_running(m: FederalModel) -> np.ndarray:
    running_services = {m.routing.services[s] for s in np.unique(m.pair_service[m.running])}
    return m.routing.groups["service_id"].isin(running_services).to_numpy()


def agencies_table(m: FederalModel) -> pd.DataFrame:
    """Yearly results per (agency, service) pair."""
    ag = m.routing.agencies
    frames = []
    prev = None
    for year, snap in m.year_snapshots:
        arrivals = snap["arrivals"] - (prev["arrivals"] if prev else 0)
        completions = snap["completions"] - (prev["completions"] if prev else 0)
        lead_sum = snap["lead_sum"] - (prev["lead_sum"] if prev else 0)
        office_sum = snap["office_lead_sum"] - (prev["office_lead_sum"] if prev else 0)
        fte_weeks = snap["fte_weeks"] - (prev["fte_weeks"] if prev else 0)
        n_weeks = int(np.count_nonzero(m.calendar.year == year))
        with np.errstate(invalid="ignore", divide="ignore"):
            lead = np.where((completions > 0) & ~m.running, lead_sum / completions, np.nan)
            office = np.where((completions > 0) & ~m.running, office_sum / completions, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "agency_key": ag["key"].to_numpy()[m.pair_agency],
                    "level": ag["level"].to_numpy()[m.pair_agency],
                    "land": ag["land"].to_numpy()[m.pair_agency],
                    "kreis": ag["kreis"].to_numpy()[m.pair_agency],
                    "service_id": np.asarray(m.routing.services)[m.pair_service],
                    "arrivals": arrivals,
                    "completions": completions,
                    "backlog_year_end": snap["backlog"],
                    "lead_time_weeks": lead,
                    "office_lead_time_weeks": office,
                    "staff_fte": fte_weeks / n_weeks,
                }
            )
        )
        prev = snap
    out = pd.concat(frames, ignore_index=True)
    for col in ("agency_key", "level", "land", "kreis", "service_id"):
        out[col] = out[col].astype("category")
    return out


def kpi_table(m: FederalModel) -> pd.DataFrame:
    """The long KPI table (year x KPI x level x service)."""
    w = m.weekly  # (weeks, fields, groups)
    groups = m.routing.groups
    running = _group_running(m)
    years = m.calendar.year
    uniq_years = np.unique(years)
    last_week = np.array([np.flatnonzero(years == y)[-1] for y in uniq_years])
    year_idx = np.searchsorted(uniq_years, years)

    def year_sum(field: str) -> np.ndarray:  # (years, groups)
        out = np.zeros((len(uniq_years), w.shape[2]))
        np.add.at(out, year_idx, w[:, F[field]])
        return out

    n_weeks = np.bincount(year_idx).astype(np.float64)[:, None]
    sums = {f: year_sum(f) for f in AGG_FIELDS}
    app = (~running).astype(np.float64)
    run = running.astype(np.float64)
    backlog_end = w[last_week, F["backlog"]]
    used_minutes = year_sum_minutes(m, year_idx, len(uniq_years))
    outside = outside_weeks_by_group(m)  # mean outside wait per application (weeks)

    # Per group values whose breakdown sums are meaningful: numerators and denominators.
    parts = {
        "arrivals": sums["arrivals"],
        "completions": sums["completions"],
        "backlog_app": backlog_end * app,
        "overdue": backlog_end * run,
        "lead_sum_app": sums["lead_sum"] * app,
        "completions_app": sums["completions"] * app,
        "over_4w": sums["over_4w"] * app,
        "over_8w": sums["over_8w"] * app,
        "over_12w": sums["over_12w"] * app,
        "office_lead_app": sums["office_lead_sum"] * app,
        # automated decisions do not wait outside
        "outside_stock": (sums["arrivals"] - sums["auto_completions"]) * app * outside / n_weeks,
        "fte_mean": sums["staff_fte"] / n_weeks,
        "used_minutes": used_minutes,
        "available_minutes": sums["work_minutes"],
    }
    level = groups["level"].to_numpy()
    service = groups["service_id"].to_numpy()
    rows = []
    breakdowns = [("all", "all", np.ones(len(groups), bool))]
    breakdowns += [(lv, "all", level == lv) for lv in LEVELS if (level == lv).any()]
    for sid in m.routing.services:
        breakdowns.append(("all", sid, service == sid))
        breakdowns += [(lv, sid, (level == lv) & (service == sid)) for lv in LEVELS
                       if ((level == lv) & (service == sid)).any()]  # fmt: skip
    for lv, sid, mask in breakdowns:
        agg = {k: v[:, mask].sum(axis=1) for k, v in parts.items()}
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {
                "arrivals_cases": agg["arrivals"],
                "completions_cases": agg["completions"],
                "backlog_cases": agg["backlog_app"],
                "overdue_reviews_cases": agg["overdue"],
                "lead_time_weeks": agg["lead_sum_app"] / agg["completions_app"],
                "office_lead_time_weeks": agg["office_lead_app"] / agg["completions_app"],
                "waiting_outside_cases": agg["outside_stock"],
                "share_cases_lead_over_4w": agg["over_4w"] / agg["completions_app"],
                "share_cases_lead_over_8w": agg["over_8w"] / agg["completions_app"],
                "share_cases_lead_over_12w": agg["over_12w"] / agg["completions_app"],
                "staff_fte": agg["fte_mean"],
                "utilisation": agg["used_minutes"] / agg["available_minutes"],
            }
        for kpi, vals in values.items():
            rows.append(pd.DataFrame({"year": uniq_years, "kpi": kpi, "level": lv,
                                      "service_id": sid, "value": vals}))  # fmt: skip
    rows += _quantile_kpis(m, breakdowns, year_idx, uniq_years)
    rows += _staff_kpis(m)
    rows += _execution_kpis(m)
    rows += cost_kpis(m)
    out = pd.concat(rows, ignore_index=True)
    unknown = set(out["kpi"]) - set(KPI_BY_NAME)
    if unknown:  # a KPI must be defined in the dictionary before it is reported
        raise RuntimeError(f"KPIs missing from the KPI dictionary: {sorted(unknown)}")
    out = out.dropna(subset=["value"]).reset_index(drop=True)
    for col in ("kpi", "level", "service_id"):
        out[col] = out[col].astype("category")
    return out


QUANTILES = (("lead_time_median_weeks", 0.5), ("lead_time_p90_weeks", 0.9))
BISECTIONS = 32  # halvings of the search interval: 2**-32 of it, far below a minute


def lead_time_quantile(done: np.ndarray, office: np.ndarray, share: np.ndarray,
                       mean: np.ndarray, p: float) -> float:  # fmt: skip
    """The ``p`` quantile of the lead time over cells (pair-weeks or group-weeks) with
    ``done`` decisions each: a cell's decisions take its mean office time ``office`` and a
    share ``share`` of them also an exponential outside wait of mean ``mean`` (the rule of
    the over-threshold shares, :func:`model.kernel.share_over`). Bisection on the mixture's
    distribution function; NaN without decisions."""
    keep = done > 0
    c, q, s, mu = done[keep], office[keep], share[keep], mean[keep]
    total = c.sum()
    if total <= 0:
        return float("nan")
    staged = (s > 0) & (mu > 0)
    mu_safe = np.where(staged, mu, 1.0)

    def cdf(x: float) -> float:
        tail = np.where(staged, s * np.exp(-np.maximum(x - q, 0.0) / mu_safe), 0.0)
        return float((c * np.where(x >= q, 1.0 - tail, 0.0)).sum() / total)

    lo, hi = 0.0, float(q.max() + (mu[staged].max() * np.log(1.0 / (1.0 - p)) if staged.any()
                                     else 0.0)) + 1e-9  # fmt: skip
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        if cdf(mid) >= p:
            hi = mid
        else:
            lo = mid
    return hi


def outside_by_group(m: FederalModel) -> tuple[np.ndarray, np.ndarray]:
    """Per (Land, level, service) group: the outside-wait share and mean of its pairs (a
    group's pairs share them: one service, one level; a central platform's differ from its
    service's, ``remote_request_extra``); zero for a group without pairs."""
    n = len(m.routing.groups)
    share, mean = np.zeros(n), np.zeros(n)
    share[m.pair_group] = m.outside_share
    mean[m.pair_group] = m.outside_mean
    return share, mean


def _quantile_kpis(m: FederalModel, breakdowns, year_idx: np.ndarray,
                   uniq_years: np.ndarray) -> list[pd.DataFrame]:  # fmt: skip
    """Lead-time median and 90th percentile per service (all levels) and year, from the
    weekly group aggregates (a group-week's office time is its mean): the rule of
    :func:`lead_time_quantile`, bisected for all years and both quantiles at once."""
    w = m.weekly
    # automated decisions (a mass at automated_decision_weeks) apart from the queued ones
    auto = w[:, F["auto_completions"]]
    done = w[:, F["completions"]] - auto
    auto_weeks = m.automated_weeks
    share, _ = outside_by_group(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(done > 0, done, 1.0)
        office = np.where(done > 0, (w[:, F["office_lead_sum"]] - auto * auto_weeks) / safe,
                          0.0)  # fmt: skip
        # the outside wait of those that wait outside, with their returns' waits at the office
        # (lead - office = share x mean per decided application; model.kernel.advance_block)
        beyond = np.where(done > 0, (w[:, F["lead_sum"]] - auto * auto_weeks) / safe,
                          0.0) - office  # fmt: skip
        # (a group-week without decisions has none to spread: mean 0)
        mean = np.where((done > 0) & (share > 0), beyond / np.where(share > 0, share, 1.0),
                        0.0)  # fmt: skip
    running = _group_running(m)
    n_years = len(uniq_years)
    probs = np.array([p for _, p in QUANTILES])[:, None]  # (quantiles, 1)
    rows = []
    for lv, sid, mask in breakdowns:
        if sid == "all" or lv != "all":  # per service; a quantile over services says little
            continue
        mask = mask & ~running
        if not mask.any():
            continue
        s = share[mask]
        c = np.zeros((n_years, int(np.bincount(year_idx).max()), int(mask.sum())))
        q = np.zeros_like(c)
        mu = np.zeros_like(c)
        automated = np.zeros(n_years)
        for yi in range(n_years):  # pad years to the same number of weeks (with no cases)
            wk = np.flatnonzero(year_idx == yi)
            c[yi, : len(wk)], q[yi, : len(wk)] = done[wk][:, mask], office[wk][:, mask]
            mu[yi, : len(wk)] = mean[wk][:, mask]
            automated[yi] = auto[wk][:, mask].sum()
        staged = (s > 0) & (mu > 0)
        mu_safe = np.where(staged, mu, 1.0)
        total = c.sum(axis=(1, 2)) + automated  # (years,)
        # each year's search interval from that year's values only, so that a year's quantile
        # does not depend on later years (common random numbers across scenarios)
        reach = np.where(staged, mu, 0.0).max(axis=(1, 2)) * np.log(1.0 / (1.0 - probs.max()))
        lo = np.zeros((len(QUANTILES), n_years))
        top = np.maximum(q.max(axis=(1, 2)) + reach, np.where(automated > 0, auto_weeks, 0.0))
        hi = np.broadcast_to(top + 1e-9, lo.shape).copy()
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            x = mid[:, :, None, None]  # (quantiles, years, 1, 1)
            tail = np.where(staged, s * np.exp(-np.maximum(x - q, 0.0) / mu_safe), 0.0)
            cdf = (c * np.where(x >= q, 1.0 - tail, 0.0)).sum(axis=(2, 3))
            cdf = cdf + automated * (mid >= auto_weeks)
            with np.errstate(invalid="ignore", divide="ignore"):
                above = cdf / total >= probs
            hi = np.where(above, mid, hi)
            lo = np.where(above, lo, mid)
        hi[:, total <= 0] = np.nan
        for (name, _), v in zip(QUANTILES, hi, strict=True):
            rows.append(pd.DataFrame({"year": uniq_years, "kpi": name, "level": lv,
                                      "service_id": sid, "value": v}))  # fmt: skip
    return rows


def outside_weeks_by_group(m: FederalModel) -> np.ndarray:
    """Per (Land, level, service) group: the mean wait outside the office of an application,
    ``share x mean`` of its service (zero for running cases and services without stages)."""
    share, mean = outside_by_group(m)
    return share * mean


def year_sum_minutes(m: FederalModel, year_idx: np.ndarray, n_years: int) -> np.ndarray:
    """Staff minutes used per (year, group): completions x minutes per case."""
    # every pair of a group shares the service, hence the minutes per case
    minutes_by_group = np.zeros(m.weekly.shape[2])
    minutes_by_group[m.pair_group] = m.minutes
    out = np.zeros((n_years, m.weekly.shape[2]))
    np.add.at(out, year_idx, m.weekly[:, F["completions"]] * minutes_by_group)
    return out


STAFF_SUMS = ("persons_mid_year", "age_sum_mid_year", "retirements", "retirements_beamte",
              "other_leavers", "hires", "posts_year_end", "persons_year_end", "unfilled_posts",
              "unfilled_posts_fte", "staff_available_fte", "staff_needed_fte",
              "staff_shortfall_fte")  # fmt: skip


def _staff_sums(m: FederalModel) -> pd.DataFrame | None:
    """Yearly staff per agency as additive columns (``STAFF_SUMS``: counts, FTE and the age
    sum), which any breakdown can sum; None when staff are constant."""
    w = m.workforce
    if w is None:
        return None
    r, ag = w.record, m.routing.agencies
    n_years, n = r.persons_mid.shape
    weeks = np.bincount(np.searchsorted(m.model_years, m.calendar.year), minlength=n_years)
    unfilled = np.maximum(r.posts_end - r.persons_end, 0.0)
    available = r.fte_weeks / np.maximum(weeks, 1)[:, None]
    cols = {
        "persons_mid_year": r.persons_mid, "age_sum_mid_year": r.age_sum_mid,
        "retirements": r.retirements, "retirements_beamte": r.retirements_beamte,
        "other_leavers": r.leavers, "hires": r.hires, "posts_year_end": r.posts_end,
        "persons_year_end": r.persons_end, "unfilled_posts": unfilled,
        "unfilled_posts_fte": unfilled * w.fte_per_head,
        "staff_available_fte": available, "staff_needed_fte": r.fte_needed,
        "staff_shortfall_fte": np.maximum(r.fte_needed - available, 0.0),
    }  # fmt: skip
    return pd.DataFrame({
        "year": np.repeat(np.asarray(m.model_years), n),
        "agency_key": np.tile(ag["key"].to_numpy(), n_years),
        "level": np.tile(ag["level"].to_numpy(), n_years),
        "land": np.tile(ag["land"].to_numpy(), n_years),
        "kreis": np.tile(ag["kreis"].to_numpy(), n_years),
        **{k: v.ravel() for k, v in cols.items()},
    })  # fmt: skip


def _finish_staff(sums: pd.DataFrame, cats: tuple[str, ...]) -> pd.DataFrame:
    """Additive columns -> the published table: mean age and staff gap instead of the sums."""
    out = sums.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_age_mid_year"] = out["age_sum_mid_year"] / out["persons_mid_year"] + AGE_OFFSET
    out["staff_gap_fte"] = out["staff_needed_fte"] - out["staff_available_fte"]
    out = out.drop(columns="age_sum_mid_year")
    for col in cats:
        out[col] = out[col].astype("category")
    return out


def _staff_by_land_level(sums: pd.DataFrame) -> pd.DataFrame:
    out = sums.groupby(["year", "land", "level"], observed=True)[list(STAFF_SUMS)].sum()
    out = out.reset_index()
    out.insert(3, "destatis_level", out["level"].astype(str).map(LEVEL_TO_DESTATIS))
    return out


def staff_agencies_table(m: FederalModel) -> pd.DataFrame | None:
    """Yearly staff per agency (None when staff are constant)."""
    sums = _staff_sums(m)
    return None if sums is None else _finish_staff(sums, ("agency_key", "level", "land", "kreis"))


def staff_table(m: FederalModel) -> pd.DataFrame | None:
    """Yearly staff per (Land, level) (None when staff are constant)."""
    sums = _staff_sums(m)
    if sums is None:
        return None
    return _finish_staff(_staff_by_land_level(sums), ("land", "level", "destatis_level"))


def _staff_kpis(m: FederalModel) -> list[pd.DataFrame]:
    """Staff KPIs nationwide and per level (service_id ``all``)."""
    sums = _staff_sums(m)
    if sums is None:
        return []
    per = _staff_by_land_level(sums)
    frames = []
    for lv, part in [("all", per)] + [(lv, per[per["level"] == lv]) for lv in LEVELS]:
        if part.empty:
            continue
        y = part.groupby("year")[list(STAFF_SUMS)].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {
                "staff_persons": y["persons_mid_year"],
                "staff_mean_age_years": y["age_sum_mid_year"] / y["persons_mid_year"]
                + AGE_OFFSET,
                "retirements_persons": y["retirements"],
                "retirements_beamte_persons": y["retirements_beamte"],
                "other_leavers_persons": y["other_leavers"],
                "hires_persons": y["hires"],
                "unfilled_posts_fte": y["unfilled_posts_fte"],
                "staff_available_fte": y["staff_available_fte"],
                "staff_needed_fte": y["staff_needed_fte"],
                "staff_gap_fte": y["staff_needed_fte"] - y["staff_available_fte"],
                "staff_shortfall_fte": y["staff_shortfall_fte"],
            }  # fmt: skip
        if lv == "all":
            w = m.workforce
            values["applicants_persons"] = pd.Series(
                [float(w.applicants(i).sum()) for i in range(len(y))], index=y.index)
        for kpi, vals in values.items():
            frames.append(pd.DataFrame({"year": y.index.to_numpy(), "kpi": kpi, "level": lv,
                                        "service_id": "all", "value": vals.to_numpy()}))
    return frames


def _execution_kpis(m: FederalModel) -> list[pd.DataFrame]:
    """Execution KPIs (issue 6) nationwide, per level and per service: FTE freed for local
    tasks, automated share of cases, EfA adoption."""
    rt = m.execution
    if rt is None or not rt.records:
        return []
    r = rt.records
    groups = m.routing.groups
    level = groups["level"].to_numpy()
    service = groups["service_id"].to_numpy()
    years = np.asarray(m.model_years)
    breakdowns = [("all", "all", np.ones(len(groups), bool))]
    breakdowns += [(lv, "all", level == lv) for lv in LEVELS if (level == lv).any()]
    breakdowns += [("all", sid, service == sid) for sid in m.routing.services]
    frames = []
    for lv, sid, mask in breakdowns:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {
                "fte_freed_local_tasks": r["freed_fte"][:, mask].sum(axis=1),
                "automated_share": r["auto_num"][:, mask].sum(axis=1)
                / r["auto_den"][:, mask].sum(axis=1),
                "efa_adoption_share": np.where(r["efa_eligible"][:, mask].sum(axis=1) > 0,
                                               r["efa_joined"][:, mask].sum(axis=1)
                                               / r["efa_eligible"][:, mask].sum(axis=1),
                                               np.nan),
            }  # fmt: skip
        for kpi, vals in values.items():
            frames.append(pd.DataFrame({"year": years, "kpi": kpi, "level": lv,
                                        "service_id": sid, "value": vals}))  # fmt: skip
    return frames


def run_tables(m: FederalModel, which: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The tables named in ``which`` (``kpis``, ``weekly``, ``agencies``, ``staff``,
    ``staff_agencies``); staff tables are left out when staff are constant."""
    makers = {"kpis": kpi_table, "weekly": weekly_table, "agencies": agencies_table,
              "staff": staff_table, "staff_agencies": staff_agencies_table,
              "costs": cost_table}  # fmt: skip
    tables = {name: makers[name](m) for name in which}
    return {k: v for k, v in tables.items() if v is not None}


def fte_by_level(m: FederalModel) -> pd.Series:
    """Initial modelled FTE per executing level (for the plausibility check against Destatis)."""
    levels = m.routing.agencies["level"].to_numpy()[m.pair_agency]
    return pd.Series(m.own_fte).groupby(levels).sum()
