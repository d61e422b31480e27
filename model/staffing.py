"""Staff decline: whole persons by age in every agency, exits, hiring from the Land's
working-age population, and learning curves (issue 5; docs/STAFFING.md).

Every agency holds its staff as persons (single years of age, Beamte or employee, hire week).
Four times a year (the first weeks of the quarters) :meth:`Workforce.step`

1. ages everyone by one year (first quarter only) and updates the staffing budget;
2. draws each person's exit (retirement or other leaving) with the quarterly hazard of their
   age and status (one Bernoulli draw per person = a binomial draw per age cell);
3. hires: the Land's applicants and vacancies meet in a matching function, and the hires are
   shared among the Land's agencies by an attractiveness rule (level, size); agencies that can
   work remotely (federal agencies) recruit in every Land;
4. turns persons into effective FTE (learning curve of new hires) and returns each agency's
   staff factor: effective FTE / initial FTE.

The engine multiplies each work pair's initial FTE by its agency's factor. All rates are
parameters of the registry (``module = "staffing"``); the data are Destatis 74111/74211 and the
population projections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from numba import njit

from model.demography import AGE_GROUPS
from model.geography import load_projections, load_staff_tables
from model.parameters import REGISTRY
from model.streams import make_stream

MIN_AGE, MAX_AGE = 18, 67
"""Youngest and oldest working age; everyone retires at ``MAX_AGE`` at the latest
(Regelaltersgrenze 67 for people born 1964 and later)."""
AGE_OFFSET = 1.0
"""A person's model age is their age in completed years on 1 January. Their mean exact age
on 30 June (the Destatis reference date) is one year more: ``model age + U(0, 1) + 0.5``.
Destatis mean ages are read as exact ages on 30 June; reported mean ages add this offset."""
INITIAL_AGE_OFFSET = 0.5
"""Initial model ages (1 January 2023) have the mean Destatis age of 30 June 2023 minus 0.5
(completed years): the mean exact age of public staff barely moves within a year (74111-0003,
Kommunen 45.0 in 2023 and 44.9 in 2024), as ageing and the flows (old out, young in) cancel,
so the mean exact age on 1 January is taken equal to that of 30 June."""
AGES = np.arange(MIN_AGE, MAX_AGE + 1)

LEVEL_TO_DESTATIS: dict[str, str] = {
    "gemeinde": "kommunen",
    "kreis": "kommunen",
    "jobcenter": "sozialversicherung",
    "land": "land",
    "bund": "bund",
}
"""Model level -> Destatis Beschäftigungsbereich (74111/74211). Jobcenter staff are mostly
Bundesagentur für Arbeit staff (Sozialversicherung); the ~25 % zugelassene kommunale Träger are
municipal staff — a named approximation (docs/STAFFING.md)."""

DESTATIS_LEVELS: tuple[str, ...] = ("kommunen", "land", "bund", "sozialversicherung")
REMOTE_LEVELS: tuple[str, ...] = ("bund",)
"""Levels whose agencies recruit in every Land (work that can be done remotely)."""
EAST_LANDS: tuple[str, ...] = ("12", "13", "14", "15", "16")
"""The eastern Flächenländer (for the optional regional age shift)."""
CALIBRATION_YEARS = (2023, 2024)
"""Destatis 74111-0001 headcount change (30.6. to 30.6.) the first model year reproduces."""
REFERENCE_LEVERS: dict[str, float] = {
    name: float(REGISTRY[name].default)
    for name in ("public_employment_attractiveness", "budget_growth", "retirement_age_shift")
}
"""The labour-market levers at which the recruitment share and level attractiveness are fitted
(their registry defaults, the status quo the 2023-24 observations come from); a scenario's
values then act as changes from there (:meth:`Workforce._calibrate`)."""
SHARE_55PLUS_2023 = 0.269
"""Share of public staff aged 55+ in 2023: 1.326 of 5.096 million (dbb Monitor öffentlicher
Dienst 2023; FACTS.md A.2). Fixes the spread of the initial age distributions."""


@dataclass(frozen=True)
class StaffSettings:
    """The staffing parameters of one scenario (registry names in brackets)."""

    fte_per_person: float  # staff_fte_per_person
    beamte_share: dict[str, float]  # beamte_share_<level>
    retirement_age_beamte: dict[str, float]  # 74211-0008 + retirement_age_shift
    retirement_age_employees: float  # retirement_age_employees + retirement_age_shift
    retirement_age_sd: float
    leaver_rate_employees: float
    leaver_rate_beamte: float
    vacancy_rate_2023: float
    budget_growth: float
    attractiveness: float  # public_employment_attractiveness
    matching_elasticity: float
    size_elasticity: float
    hire_age_mean: float
    hire_age_sd: float
    training_months: float  # learning_training_months
    full_months: float  # learning_full_months
    training_productivity: float  # learning_training_productivity
    productivity_growth: float
    age_shift_east: float  # staff_age_shift_east
    retirement_age_shift: float = 0.0  # already in the two retirement ages above

    @classmethod
    def from_parameters(cls, p: dict) -> StaffSettings:
        """Read the settings from a scenario's parameters and the packaged staff tables."""
        shift = float(p["retirement_age_shift"])
        ret = retirement_age_table()
        return cls(
            fte_per_person=float(p["staff_fte_per_person"]),
            beamte_share={lv: float(p[f"beamte_share_{lv}"]) for lv in DESTATIS_LEVELS},
            retirement_age_beamte={lv: ret[lv] + shift for lv in DESTATIS_LEVELS},
            retirement_age_employees=float(p["retirement_age_employees"]) + shift,
            retirement_age_sd=float(p["retirement_age_sd"]),
            leaver_rate_employees=float(p["leaver_rate_employees"]),
            leaver_rate_beamte=float(p["leaver_rate_beamte"]),
            vacancy_rate_2023=float(p["vacancy_rate_2023"]),
            budget_growth=float(p["budget_growth"]),
            attractiveness=float(p["public_employment_attractiveness"]),
            matching_elasticity=float(p["matching_elasticity"]),
            size_elasticity=float(p["hiring_size_elasticity"]),
            hire_age_mean=float(p["hire_age_mean"]),
            hire_age_sd=float(p["hire_age_sd"]),
            training_months=float(p["learning_training_months"]),
            full_months=float(p["learning_full_months"]),
            training_productivity=float(p["learning_training_productivity"]),
            productivity_growth=float(p["productivity_growth"]),
            age_shift_east=float(p["staff_age_shift_east"]),
            retirement_age_shift=shift,
        )


# --- data -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def retirement_age_table(year: int = 2024) -> dict[str, float]:
    """Mean retirement age of Beamte per Destatis level (74211-0008). For the Bund the civil
    Beamte and judges (without soldiers and the Post/railway successors)."""
    t = load_staff_tables().retirement_age
    t = t[t["year"] == year].set_index("level")["mean_retirement_age_years"]
    out = {lv: float(t[lv]) for lv in DESTATIS_LEVELS}
    out["bund"] = float(t["bund_beamte_richter"])
    return out


@lru_cache(maxsize=8)
def mean_age_table(year: int = 2023) -> dict[tuple[str, str], float]:
    """Mean age per (Destatis level, status) from 74111-0003 (both sexes)."""
    t = load_staff_tables().mean_age
    t = t[(t["year"] == year) & (t["sex"] == "total")]
    return {(r.level, r.status): float(r.mean_age_years) for r in t.itertuples()}


@lru_cache(maxsize=1)
def headcount_table() -> pd.DataFrame:
    """Destatis 74111-0001 headcount, wide: year x level."""
    t = load_staff_tables().headcount
    return t.pivot(index="year", columns="level", values="headcount")


def observed_growth(level: str) -> float:
    """Headcount change of a Destatis level over :data:`CALIBRATION_YEARS` (a share)."""
    h = headcount_table()
    y0, y1 = CALIBRATION_YEARS
    return float(h.at[y1, level] / h.at[y0, level] - 1.0)


# --- distributions ----------------------------------------------------------------------------
BISECTION_STEPS = 40
"""Halvings of the interval when fitting the initial age distributions (a numerical setting:
40 narrow a Beta mean in (0, 1) to 1e-12 and a concentration in [1, 60] to 6e-11)."""

_BETA_X = (AGES - MIN_AGE + 0.5) / (MAX_AGE - MIN_AGE + 1)  # each age's place in (0, 1)
_BETA_LOG_X, _BETA_LOG_1MX = np.log(_BETA_X), np.log1p(-_BETA_X)


def _beta_pmf(mean01: float, kappa: float, survival: np.ndarray) -> np.ndarray:
    a, b = mean01 * kappa, (1.0 - mean01) * kappa
    logp = (a - 1.0) * _BETA_LOG_X + (b - 1.0) * _BETA_LOG_1MX
    p = np.exp(logp - logp.max()) * survival
    return p / p.sum()


def survival(hazard: np.ndarray) -> np.ndarray:
    """Share of an entry cohort still in service at each age 18..67 (start of the year of
    age), given a yearly retirement hazard per age."""
    return np.concatenate(([1.0], np.cumprod(1.0 - hazard)[:-1]))


def age_pmf(mean_age: float, kappa: float, surv: np.ndarray | None = None) -> np.ndarray:
    """Initial ages 18..67: a discretised Beta shape times the survival to each age under
    the retirement hazard (so that few people start beyond their retirement age), with the
    given mean (found by bisection) and concentration ``kappa`` (higher = narrower)."""
    surv = np.ones(len(AGES)) if surv is None else surv
    lo, hi = 1e-4, 1 - 1e-4
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        if float(_beta_pmf(mid, kappa, surv) @ AGES) < mean_age:
            lo = mid
        else:
            hi = mid
    return _beta_pmf(0.5 * (lo + hi), kappa, surv)


@lru_cache(maxsize=32)
def age_concentration(surv: tuple[float, ...]) -> float:
    """The Beta concentration at which the all-levels 2023 mean age (74111-0003), with the
    given survival, has :data:`SHARE_55PLUS_2023` of staff aged 55 or older."""
    mean = mean_age_table()[("total", "total")]
    sv = np.asarray(surv)
    lo, hi = 1.0, 60.0
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        pmf = age_pmf(mean - INITIAL_AGE_OFFSET, mid, sv)
        share = float(pmf[AGES >= 55].sum() + 0.5 * pmf[AGES == 54].sum())
        # a wider distribution (lower kappa) has more mass at 55+
        if share > SHARE_55PLUS_2023:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def retirement_hazard(mean_age: float, sd: float) -> np.ndarray:
    """Yearly retirement hazard per model age 18..67 (completed years on 1 January):
    ``P(A = a | A >= a)``.

    The exact retirement age R is normal with the given mean and spread. A person whose exact
    age on 1 January is ``a + f`` (f uniform in [0, 1)) retires in the year in which R falls,
    i.e. at model age ``A = floor(R - f)``; ``R - f`` is taken as normal with mean
    ``mean - 0.5`` and variance ``sd^2 + 1/12``. Mass below 50 retires at 50 (early
    disability), mass from 67 at 67, the legal maximum.
    """
    edges = np.arange(MIN_AGE, MAX_AGE + 2, dtype=np.float64)
    cdf = _normal_cdf((edges - (mean_age - 0.5)) / math.sqrt(max(sd, 1e-9) ** 2 + 1 / 12))
    pmf = np.diff(cdf)
    pmf[AGES < 50] = 0.0
    pmf[AGES == 50] = cdf[51 - MIN_AGE]  # everything below 51
    pmf[-1] = 1.0 - cdf[-2]
    survive = np.concatenate(([1.0], 1.0 - np.cumsum(pmf)[:-1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.where(survive > 1e-12, pmf / survive, 1.0)
    h[-1] = 1.0
    return np.clip(h, 0.0, 1.0)


def learning_productivity(months: np.ndarray, s: StaffSettings) -> np.ndarray:
    """Productivity of a person ``months`` after their hire: ``training_productivity`` during
    training, rising linearly to 1 at ``full_months`` (FACTS.md C.2, Düsseldorf)."""
    m = np.asarray(months, dtype=np.float64)
    ramp = s.training_productivity + (1.0 - s.training_productivity) * (
        (m - s.training_months) / max(s.full_months - s.training_months, 1e-9)
    )
    p = np.where(m < s.training_months, s.training_productivity, np.minimum(ramp, 1.0))
    return np.where(m >= s.full_months, 1.0, p)


@lru_cache(maxsize=16)
def working_age_population(variant: str, land_keys: tuple[str, ...],
                           years: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """Working-age population (20-66) per Land and year, shape (n_lands, n_years).

    The 16th kBV's national population aged 20-66 (its base is the census-based 2024
    population; moderate variant) shared out by the Länder's 15th-kBV populations of the
    scenario's variant, divided by the 15th-kBV national total of the moderate variant
    G2L2W2 — so another migration variant scales the pool by the ratio of the variant
    totals. A named approximation: age by Land is not in the data. Mid-year values (mean of
    the 31.12. values of the year before and the year); before the 16th kBV's first year the
    national 20-66 count follows the moderate 15th-kBV total at the first year's 20-66 share.
    """
    t = load_projections().laender_15kbv

    def lands(v: str) -> pd.DataFrame:
        x = t[t["variant"] == v].pivot(index="land", columns="year", values="population")
        return x.astype(np.float64)

    var, moderate = lands(variant).loc[list(land_keys)], lands("G2L2W2")

    def mid(frame: pd.DataFrame, y: int) -> pd.Series:
        return 0.5 * (frame[y - 1] + frame[y])

    a = load_projections().germany_16kbv_age
    wide = a.pivot(index="year", columns="age", values="population").astype(np.float64)
    lo, hi = AGE_GROUPS["age_20_66"]
    wap16 = wide.loc[:, lo:hi].sum(axis=1)
    first = int(wide.index.min())

    def national(y: int) -> float:
        if y - 1 >= first:
            return float(0.5 * (wap16[y - 1] + wap16[y]))
        if y >= first:
            return float(wap16[y])
        scale = float(mid(moderate, y).sum() / moderate[first].sum())
        return float(wap16[first]) * scale

    return np.stack([national(y) * mid(var, y).to_numpy() / float(mid(moderate, y).sum())
                     for y in years], axis=1)  # fmt: skip


def hire_age_pmf(mean: float, sd: float) -> np.ndarray:
    """Model ages of new hires: their exact age at hire is normal with the given mean and
    spread (trainees and lateral entrants; an assumption, docs/STAFFING.md), read in completed
    years (mean - 0.5) and cut to 18..60."""
    edges = np.arange(MIN_AGE, MAX_AGE + 2, dtype=np.float64)
    pmf = np.diff(_normal_cdf((edges - (mean - 0.5)) / max(sd, 1e-9)))
    pmf[AGES > 60] = 0.0
    return pmf / pmf.sum()


@njit(cache=True, nogil=True)
def exit_pass(
    agency: np.ndarray,
    age: np.ndarray,
    beamte: np.ndarray,
    hired: np.ndarray,
    n: int,
    dlevel: np.ndarray,
    q_retire: np.ndarray,
    q_leave: np.ndarray,
    u: np.ndarray,
    recent_after: float,
    exits: np.ndarray,
    heads: np.ndarray,
    recent: np.ndarray,
    mid_heads: np.ndarray,
    mid_age_sum: np.ndarray,
) -> tuple[int, int]:  # pragma: no cover - compiled
    """The person pass of :meth:`Workforce.step` as one loop: exit draws, counts per agency,
    and the survivors moved to the front of the person arrays in place (in their order), so
    that no per-person temporaries are made and nothing is copied (a quarter's few exits
    would otherwise cost a copy of every person array).

    A person exits if ``u < p_ret + (1 - p_ret) * p_leave`` (retires, or else leaves
    otherwise), as a retirement if ``u < p_ret``: the probabilities of
    :meth:`Workforce._exit_probability` with the same floating-point operations, so the draws
    decide exactly as the array form would. Counts and the age sum are added in person order,
    as ``np.bincount`` adds them.

    Args:
        agency, age, beamte, hired: The person arrays (live persons ``0 .. n - 1``);
            compacted in place.
        n: Number of live persons.
        dlevel: Destatis level row per agency.
        q_retire: Quarterly retirement probability per (level, status, age) cell, flattened.
        q_leave: Quarterly probability of leaving otherwise per status (employee, Beamter).
        u: One uniform(0, 1) number per person, or empty: no one leaves.
        recent_after: Staying persons hired after this week are listed in ``recent``.
        exits: Output, shape (n_agencies, 3), incremented: retirements of employees, of
            Beamte, other leavers.
        heads: Output, shape (n_agencies,), incremented: persons staying.
        recent: Output, at least ``n`` long: the new index of every staying person hired
            after ``recent_after``, ascending.
        mid_heads, mid_age_sum: Output, shape (n_agencies,) or empty (not recorded),
            incremented: persons and their ages before the exits.

    Returns:
        The number of persons staying and the number of entries written to ``recent``.
    """
    n_ages = MAX_AGE - MIN_AGE + 1
    draw = u.shape[0] > 0
    count_mid = mid_heads.shape[0] > 0
    kept = 0
    n_recent = 0
    for i in range(n):
        a = np.uint64(agency[i])  # unsigned indices: no negative-index wraparound
        if count_mid:
            mid_heads[a] += 1
            mid_age_sum[a] += age[i]
        if draw:
            status = np.int64(beamte[i])
            cell = np.uint64((dlevel[a] * 2 + status) * n_ages + min(age[i], MAX_AGE) - MIN_AGE)
            p_ret = q_retire[cell]
            if u[i] < p_ret + (1.0 - p_ret) * q_leave[status]:  # retire, or else leave
                exits[a, status if u[i] < p_ret else 2] += 1
                continue
        agency[kept], age[kept], beamte[kept], hired[kept] = agency[i], age[i], beamte[i], hired[i]
        heads[a] += 1
        if hired[kept] > recent_after:
            recent[n_recent] = kept
            n_recent += 1
        kept += 1
    return kept, n_recent


# --- the workforce ------------------------------------------------------------------------------
@dataclass
class YearRecord:
    """Per model year and agency (arrays of shape (n_years, n_agencies))."""

    retirements: np.ndarray
    retirements_beamte: np.ndarray
    leavers: np.ndarray
    hires: np.ndarray
    fte_weeks: np.ndarray
    persons_mid: np.ndarray
    age_sum_mid: np.ndarray
    persons_end: np.ndarray
    posts_end: np.ndarray
    fte_needed: np.ndarray

    @classmethod
    def zeros(cls, n_years: int, n_agencies: int) -> YearRecord:
        return cls(*(np.zeros((n_years, n_agencies)) for _ in range(10)))


class Workforce:
    """Staff of all agencies as whole persons.

    Args:
        levels: Model level per agency (``gemeinde``, ``kreis``, ``jobcenter``, ``land``,
            ``bund``).
        lands: Land row (0..15) per agency; -1 for agencies that recruit in every Land.
        population: Population served per agency (for the size part of attractiveness).
        fte0: Initial FTE per agency (the engine's calibrated staff).
        workload: Expected work per agency and model year relative to the first year, shape
            (n_years, n_agencies).
        wap: Working-age population per Land and model year, shape (16, n_years).
        year_of_week: Model year index of every week.
        settings: The scenario's staffing parameters.
        seed: Seed of the named streams ``staff/...``.
        hiring: Hire (False: no one is hired; tests).
        exits: Draw exits (False: no one leaves; tests).
        planned: Per agency, True for a central platform that a scenario creates: it starts
            without staff and without posts; :meth:`open_posts` opens its posts (sized on
            ``fte0``) before its go-live, and it then hires like everyone else.

    The persons are held in arrays with spare room at the end: exits close the gaps in place
    (in order) and hires are written after the live persons, so a quarter copies no person
    array. :attr:`p_agency`, :attr:`p_age`, :attr:`p_beamte` and :attr:`p_hired` are views of
    the live persons (writable in place).
    """

    QUARTER_STARTS = (0, 13, 26, 39)
    """Weeks of the model year at which :meth:`step` runs."""
    MID_YEAR_WEEK = 26
    """The step whose start is recorded as 30 June (the Destatis reference date)."""

    def __init__(self, levels: np.ndarray, lands: np.ndarray, population: np.ndarray,
                 fte0: np.ndarray, workload: np.ndarray, wap: np.ndarray,
                 year_of_week: np.ndarray, settings: StaffSettings, seed: int,
                 hiring: bool = True, exits: bool = True,
                 planned: np.ndarray | None = None) -> None:  # fmt: skip
        s = self.settings = settings
        self.seed, self.hiring, self.exits = int(seed), hiring, exits
        self.level = np.asarray(levels)
        self.dlevel = np.array([DESTATIS_LEVELS.index(LEVEL_TO_DESTATIS[v]) for v in self.level])
        self.land = np.asarray(lands, dtype=np.int64)
        self.remote = self.land < 0
        self.n = len(self.level)
        self.fte0 = np.asarray(fte0, dtype=np.float64)
        self.workload = np.asarray(workload, dtype=np.float64)
        self.wap = np.asarray(wap, dtype=np.float64)
        self.n_lands = self.wap.shape[0]
        self.year_of_week = np.asarray(year_of_week)
        self.n_years = int(self.year_of_week.max()) + 1
        heads = np.where(self.fte0 > 0, np.maximum(1, np.rint(self.fte0 / s.fte_per_person)), 0)
        self.planned = np.zeros(self.n, bool) if planned is None else np.asarray(planned, bool)
        self.post_base = heads.astype(np.int64)  # posts at 2023 workload, before vacancies
        self.heads0 = np.where(self.planned, 0, self.post_base)
        self.post_open = np.where(self.planned, 0.0, 1.0)
        # FTE needed to hold the 2023 utilisation at 2023 demand (moves with migrations)
        self.needed_base = np.where(self.planned, 0.0, self.fte0)
        # initial FTE freed for local tasks by migrations (model/migration.py); the persons
        # stay, their time for the freed share goes to work the model does not cover
        self.freed_base = np.zeros(self.n)
        # staff minutes per case now over those the FTE were sized on (automation, EfA)
        self.needed_scale = np.ones(self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.fte_per_head = np.where(heads > 0, self.fte0 / heads, 0.0)
        pop = np.asarray(population, dtype=np.float64)
        size = np.ones(self.n)
        for lv in np.unique(self.level):
            m = self.level == lv
            # the median over today's agencies: a scenario's new platforms do not shift it
            today = m & ~self.planned
            med = float(np.median(pop[today])) if today.any() else 1.0
            size[m] = (np.maximum(pop[m], 1.0) / max(med, 1.0)) ** s.size_elasticity
        self.size_attr = size
        self.beamte_share = np.array([s.beamte_share[lv] for lv in DESTATIS_LEVELS])
        self.hazard = self._hazards(0.0)  # (level, status, age)
        # the calibration's retirements: at the lever retirement_age_shift's default
        # and the initial staff's ages (the staff of 2023 are as observed, whatever the lever)
        back = REFERENCE_LEVERS["retirement_age_shift"] - s.retirement_age_shift
        self.hazard_ref = self._hazards(back)
        self.q_retire_ref = (1.0 - (1.0 - self.hazard_ref) ** 0.25).ravel()
        self.leave_rate = np.array([s.leaver_rate_employees, s.leaver_rate_beamte])
        # quarterly probabilities, flattened by (level, status, age) for one gather per step
        self.q_retire = (1.0 - (1.0 - self.hazard) ** 0.25).ravel()
        self.q_leave = 1.0 - (1.0 - self.leave_rate) ** 0.25
        self.hire_pmf = hire_age_pmf(s.hire_age_mean, s.hire_age_sd)
        self.record = YearRecord.zeros(self.n_years, self.n)
        self.level_growth = np.array([observed_growth(lv) for lv in DESTATIS_LEVELS])
        self._init_persons()
        self.factor = np.ones(self.n)
        self.posts = self._posts(0)
        self.level_attr = np.ones(len(DESTATIS_LEVELS))
        self.recruitment_share = 0.0
        if hiring:
            self._calibrate()

    # --- set-up ---------------------------------------------------------------------------
    def _init_persons(self) -> None:
        s = self.settings
        rng = make_stream(self.seed, "staff/init")
        agency = np.repeat(np.arange(self.n), self.heads0)
        beamte = rng.random(len(agency)) < self.beamte_share[self.dlevel[agency]]
        age = np.empty(len(agency), dtype=np.int64)
        # one spread for all: fitted on the all-levels mean with a mixed survival (a third
        # Beamte, roughly the national status mix of FACTS.md A.1)
        ref = self.hazard_ref
        mix = survival(1.0 - (1.0 - ref[:, 0].mean(axis=0)) ** (2 / 3)
                       * (1.0 - ref[:, 1].mean(axis=0)) ** (1 / 3))  # fmt: skip
        kappa = age_concentration(tuple(np.round(mix, 12)))
        means = mean_age_table()
        east = np.zeros(self.n, bool)
        east[self.land >= 0] = np.isin(self.land[self.land >= 0] + 1,
                                       [int(k) for k in EAST_LANDS])  # fmt: skip
        for li, lv in enumerate(DESTATIS_LEVELS):
            for st, status in ((False, "arbeitnehmer"), (True, "beamte")):
                for is_east in (False, True):
                    m = (self.dlevel[agency] == li) & (beamte == st) & (east[agency] == is_east)
                    if m.any():
                        mean = means[(lv, status)] - INITIAL_AGE_OFFSET
                        mean += s.age_shift_east if is_east else 0.0
                        pmf = age_pmf(mean, kappa, survival(ref[li, int(st)]))
                        age[m] = rng.choice(AGES, size=int(m.sum()), p=pmf)
        self._agency, self._age, self._beamte = agency, age, beamte
        self._hired = np.full(len(agency), -1e9)
        self.n_persons = len(agency)

    @property
    def p_agency(self) -> np.ndarray:
        """Agency row of each person."""
        return self._agency[: self.n_persons]

    @property
    def p_age(self) -> np.ndarray:
        """Model age of each person (completed years on 1 January)."""
        return self._age[: self.n_persons]

    @property
    def p_beamte(self) -> np.ndarray:
        """True for a Beamter, False for an employee."""
        return self._beamte[: self.n_persons]

    @property
    def p_hired(self) -> np.ndarray:
        """Week of each person's hire (-1e9 for the initial staff)."""
        return self._hired[: self.n_persons]

    def _append_persons(self, agency: np.ndarray, age: np.ndarray, beamte: np.ndarray,
                        hired: float) -> None:  # fmt: skip
        """Add persons after the live ones; when the arrays are full, move everyone to arrays
        twice the size (so that appending costs O(1) per person on average)."""
        lo, hi = self.n_persons, self.n_persons + len(agency)
        if hi > len(self._agency):
            size = max(hi, 2 * len(self._agency))
            for name in ("_agency", "_age", "_beamte", "_hired"):
                old = getattr(self, name)
                new = np.empty(size, dtype=old.dtype)
                new[:lo] = old[:lo]
                setattr(self, name, new)
        self._agency[lo:hi], self._age[lo:hi], self._beamte[lo:hi] = agency, age, beamte
        self._hired[lo:hi] = hired
        self.n_persons = hi

    def _posts(self, yi: int, reference: bool = False) -> np.ndarray:
        """Budgeted posts per agency in model year ``yi`` (whole posts): initial persons x
        (1 + vacancy rate) x the agency's workload index x (1 + budget growth)^years, and from
        the second model year on x (1 + the observed headcount change of its Destatis level in
        :data:`CALIBRATION_YEARS`), the post growth that came with that change (vacancies did
        not fall while headcount rose: dbb counts 551,500 unfilled posts in 2023 and 572,900
        in 2024). ``reference``: at the lever ``budget_growth``'s default (the calibration's
        world, :meth:`_calibrate`)."""
        s = self.settings
        growth = REFERENCE_LEVERS["budget_growth"] if reference else s.budget_growth
        step = np.where(yi >= 1, 1.0 + self.level_growth[self.dlevel], 1.0)
        budget = (self.post_base * self.post_open * (1.0 + s.vacancy_rate_2023)
                  * self.workload[yi] * (1.0 + growth) ** yi * step)  # fmt: skip
        return np.rint(budget).astype(np.int64)

    def open_posts(self, agencies: np.ndarray, t: int) -> None:
        """Open the posts of planned platforms (from week ``t``): they hire from now on."""
        self.post_open[agencies] = 1.0
        self.posts = self._posts(int(self.year_of_week[t]))

    def expand(self, agencies: np.ndarray, extra_fte: np.ndarray, t: int) -> None:
        """An existing agency takes over work (a central platform in an office that exists
        today): its initial FTE and posts grow by ``extra_fte``; it hires for them."""
        for a, extra in zip(agencies, extra_fte, strict=True):
            if extra <= 0:
                continue
            per_head = self.fte_per_head[a] if self.fte_per_head[a] > 0 else \
                self.settings.fte_per_person
            self.fte0[a] += extra
            self.post_base[a] += max(1, round(extra / per_head))
        self.posts = self._posts(int(self.year_of_week[t]))

    def _hazards(self, shift: float) -> np.ndarray:
        """Yearly retirement hazards (level, status, age) with the retirement ages moved by
        ``shift`` years beyond the scenario's."""
        s = self.settings
        return np.stack([
            np.stack([retirement_hazard(s.retirement_age_employees + shift, s.retirement_age_sd),
                      retirement_hazard(s.retirement_age_beamte[lv] + shift,
                                        s.retirement_age_sd)])
            for lv in DESTATIS_LEVELS
        ])  # fmt: skip

    def _exit_probability(self, older: int = 0,
                          reference: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Quarterly probabilities of retiring and of leaving otherwise, per person (as if
        everyone were ``older`` years older; ``reference``: at the default retirement ages,
        for :meth:`_calibrate`)."""
        cell = (self.dlevel[self.p_agency] * 2 + self.p_beamte) * len(AGES)
        cell += np.minimum(self.p_age + older, MAX_AGE) - MIN_AGE
        q_retire = self.q_retire_ref if reference else self.q_retire
        return q_retire[cell], self.q_leave[self.p_beamte.view(np.int8)]

    def _claims(self, vac: np.ndarray) -> np.ndarray:
        return vac * self.level_attr[self.dlevel] * self.size_attr

    def _expected_hires(self, vac: np.ndarray, yi: int, share: float,
                        attractiveness: float | None = None) -> np.ndarray:  # fmt: skip
        """Expected hires per agency in one quarter (continuous), capped at the vacancies.

        Per Land: hires = (applicants)^eta x (vacancies)^(1-eta) / 4, at most the vacancies,
        shared by claims (vacancies x attractiveness); remote agencies' vacancies and claims
        count in every Land in proportion to its working-age population. ``attractiveness``:
        instead of the scenario's ``public_employment_attractiveness``.
        """
        s = self.settings
        attr = s.attractiveness if attractiveness is None else attractiveness
        eta = s.matching_elasticity
        wap = self.wap[:, yi]
        w = wap / wap.sum()
        local = ~self.remote
        claims = self._claims(vac.astype(np.float64))
        lidx = self.land[local]
        nl = self.n_lands
        vac_l = np.bincount(lidx, vac[local], minlength=nl) + w * vac[self.remote].sum()
        claim_l = np.bincount(lidx, claims[local], minlength=nl) + w * claims[self.remote].sum()
        applicants = share * attr * wap
        hires_l = np.minimum(vac_l, applicants**eta * vac_l ** (1.0 - eta) / 4.0)
        out = np.zeros(self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(claim_l > 0, hires_l / claim_l, 0.0)
        out[local] = claims[local] * rate[lidx]
        out[self.remote] = claims[self.remote] * float(rate @ w)
        return np.minimum(out, vac)

    def _calibrate(self) -> None:
        """Fit the recruitment share and the level attractiveness so that the expected
        headcount of each Destatis level changes from mid-2023 to mid-2024 as observed in
        74111-0001 (:data:`CALIBRATION_YEARS`): a deterministic expected-value pass over the
        first six quarters: initial persons leave with their own quarterly hazards (so the
        oldest leave first; one year older from 1 January 2024), hires with the leaver rate of
        their status mix.

        The fit is made at the labour-market levers' defaults (:data:`REFERENCE_LEVERS`: the
        world the observed 2023-24 figures come from), not at the scenario's values, so that a
        lever stays a change from the observed labour market: ``public_employment_
        attractiveness = 0.8`` means 20 % fewer applicants than observed, not a refit share
        that gives the observed headcount anyway (issue 17)."""
        heads0 = self.heads0.astype(np.float64)
        p_ret, p_leave = self._exit_probability(reference=True)
        p_exit = p_ret + (1.0 - p_ret) * p_leave  # per quarter
        b = self.beamte_share[self.dlevel]
        hire_exit = 1.0 - (1.0 - (b * self.leave_rate[1] + (1 - b) * self.leave_rate[0])) ** 0.25
        # ... and one year older from the fifth quarter on (1 January 2024)
        r2, l2 = self._exit_probability(older=1, reference=True)
        p_exit2 = r2 + (1.0 - r2) * l2
        alive4 = (1.0 - p_exit) ** 4
        initial_exits = [np.bincount(self.p_agency, p_exit * (1.0 - p_exit) ** q if q < 4
                                     else alive4 * p_exit2 * (1.0 - p_exit2) ** (q - 4),
                                     minlength=self.n) for q in range(6)]  # fmt: skip
        nl = len(DESTATIS_LEVELS)
        posts = [self._posts(0, reference=True),
                 self._posts(min(1, self.n_years - 1), reference=True)]
        share, attr = 1e-3, np.ones(nl)
        for _ in range(100):
            self.level_attr = attr
            heads, hired = heads0.copy(), np.zeros(self.n)
            hires_l, exits_l, mid = np.zeros(nl), np.zeros(nl), np.zeros(nl)
            for q in range(6):
                if q == 2:
                    mid = np.bincount(self.dlevel, heads, minlength=nl)
                exits = initial_exits[q] + hired * hire_exit
                hired -= hired * hire_exit
                heads = heads - exits
                vac = np.maximum(posts[q // 4] - heads, 0.0)
                hires = self._expected_hires(vac, 0, share,
                                             REFERENCE_LEVERS["public_employment_attractiveness"])
                heads, hired = heads + hires, hired + hires
                if q >= 2:
                    hires_l += np.bincount(self.dlevel, hires, minlength=nl)
                    exits_l += np.bincount(self.dlevel, exits, minlength=nl)
            target = np.maximum(exits_l + self.level_growth * mid, 0.0)
            ok = (mid > 0) & (hires_l > 0)
            ratio = np.where(ok, target / np.maximum(hires_l, 1e-12), 1.0)
            if np.all(np.abs(ratio[ok] - 1.0) < 1e-5):
                break
            total = target[ok].sum() / hires_l[ok].sum()
            # at most every working-age person applies: where the vacancies cap the hires (a
            # tiny scenario), the target is out of reach and the share stops at that bound
            share = min(share * total ** (1.0 / max(self.settings.matching_elasticity, 1e-3)),
                        1.0)  # fmt: skip
            attr = attr * np.where(ok, ratio / total, 1.0)
            attr = attr / attr[ok].mean()
        self.level_attr = attr
        self.recruitment_share = share

    # --- the quarterly step ---------------------------------------------------------------
    def step(self, t: int, week_in_year: int, weeks: int) -> np.ndarray:
        """Run one staffing step at week ``t``; return each agency's staff factor (effective
        FTE / initial FTE, times productivity growth) for the next ``weeks`` weeks."""
        yi = int(self.year_of_week[t])
        rec = self.record
        n = self.n_persons
        if week_in_year == 0:
            if t > 0:
                self.p_age[:] += 1
            self.posts = self._posts(yi)
        # the learning curve: only recent hires are below full productivity (mid-step time)
        mid = t + 0.5 * weeks
        recent_after = mid - self.settings.full_months * 52.0 / 12.0
        draw = self.exits and n > 0
        u = make_stream(self.seed, f"staff/exits/{t}").random(n) if draw else np.empty(0)
        at_mid_year = week_in_year == self.MID_YEAR_WEEK
        mid_heads = np.zeros(self.n if at_mid_year else 0, dtype=np.int64)
        mid_age_sum = np.zeros(self.n if at_mid_year else 0)
        # per agency: retirements (employees, Beamte) and other leavers; persons staying
        exit_counts = np.zeros((self.n, 3), dtype=np.int64)
        heads = np.zeros(self.n, dtype=np.int64)
        recent = np.empty(n, dtype=np.int64)
        self.n_persons, n_recent = exit_pass(
            self._agency, self._age, self._beamte, self._hired, n, self.dlevel, self.q_retire,
            self.q_leave, u, recent_after, exit_counts, heads, recent, mid_heads, mid_age_sum,
        )  # fmt: skip
        recent = recent[:n_recent]
        if at_mid_year:
            rec.persons_mid[yi], rec.age_sum_mid[yi] = mid_heads, mid_age_sum
        if draw:
            rec.retirements[yi] += exit_counts[:, 0] + exit_counts[:, 1]
            rec.retirements_beamte[yi] += exit_counts[:, 1]
            rec.leavers[yi] += exit_counts[:, 2]
        if self.hiring:
            first = self.n_persons
            heads += self._hire(t, yi, heads)
            if t > recent_after:  # the new hires (at the end) are still learning
                recent = np.concatenate([recent, np.arange(first, self.n_persons)])
        months = (mid - self._hired[recent]) * 12.0 / 52.0
        loss = 1.0 - learning_productivity(months, self.settings)
        persons = heads - np.bincount(self._agency[recent], loss, minlength=self.n)
        eff = persons * self.fte_per_head
        with np.errstate(invalid="ignore", divide="ignore"):
            on_model = np.where(self.fte0 > 0, 1.0 - self.freed_base / self.fte0, 1.0)
        # persons' FTE after the learning curve, on the modelled services
        rec.fte_weeks[yi] += eff * np.clip(on_model, 0.0, 1.0) * weeks
        growth = (1.0 + self.settings.productivity_growth) ** yi
        with np.errstate(invalid="ignore", divide="ignore"):
            self.factor = np.where(self.fte0 > 0, eff / self.fte0, 1.0) * growth
        rec.persons_end[yi], rec.posts_end[yi] = heads, self.posts
        rec.fte_needed[yi] = self.needed_base * self.needed_scale * self.workload[yi] / growth
        return self.factor

    def _hire(self, t: int, yi: int, heads: np.ndarray) -> np.ndarray:
        """Hire at week ``t``; return the hires per agency."""
        vac = np.maximum(self.posts - heads, 0)
        expected = self._expected_hires(vac, yi, self.recruitment_share)
        rng = make_stream(self.seed, f"staff/hiring/{t}")
        whole = np.floor(expected)
        n = (whole + (rng.random(self.n) < expected - whole)).astype(np.int64)
        n = np.minimum(n, vac)
        if not n.any():
            return n
        agency = np.repeat(np.arange(self.n), n)
        # status and age from streams of their own, so that an agency added by a scenario
        # (a platform, at the end of the table) shifts no one else's draws
        traits = make_stream(self.seed, f"staff/hires/{t}")
        beamte = traits.random(len(agency)) < self.beamte_share[self.dlevel[agency]]
        age = traits.choice(AGES, size=len(agency), p=self.hire_pmf)
        self.record.hires[yi] += n
        self._append_persons(agency, age, beamte, float(t))
        return n

    def applicants(self, yi: int) -> np.ndarray:
        """Applicants per Land in model year ``yi``: recruitment share x attractiveness x
        working-age population."""
        return self.recruitment_share * self.settings.attractiveness * self.wap[:, yi]
