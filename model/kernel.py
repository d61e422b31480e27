"""The compiled weekly kernel: staffing, FIFO processing and recording for a block of pairs.

The same rules as the array reference in :mod:`model.processing` (``step_queues``) and
``FederalModel._advance_numpy``, written as one loop over agencies, weeks and the agency's
pairs and compiled with numba, so that no temporaries are made and an agency's few pairs stay
in the fastest cache through all weeks of a segment. A test runs both on the same inputs and
requires equal results; ``FederalModel(kernel="numpy")`` runs the reference for debugging.
Also here: the agencies' within-week waits, the counter-based normal numbers of the random
capacity, the alias scatter of the arrival sampler, the split into work units, and the
quarterly step's per-pair passes (the kernel's staff inputs, the agencies' backlog pressure,
the minutes per case of the execution modes), each with the floating-point operations and
summation order of its numpy form, so that results are the same to the bit.
"""

from __future__ import annotations

import statistics

import numpy as np
from numba import njit

from model.processing import TINY, WHOLE_CASE_TOLERANCE

N_THRESHOLDS = 3
UNITS_MULTIPLE = 4
"""The engine splits the pairs into a multiple of this many work units of about equal size,
so that 1, 2 or 4 threads get equal shares (a speed setting; the split, and with it the
rounding of the aggregates, does not depend on the number of threads)."""


WorkUnit = tuple[int, int, np.ndarray, np.ndarray, slice]
"""``(lo, hi, agency_start, group, groups)``: the pairs ``lo .. hi``, the unit-local first
pair of each of its agencies (and the unit's number of pairs), each pair's group counted
from the unit's first group, and the unit's range of groups."""


def work_units(pair_agency: np.ndarray, pair_group: np.ndarray, at_least: int) -> list[WorkUnit]:
    """Split the pairs (sorted by agency) at agency boundaries into a multiple of
    :data:`UNITS_MULTIPLE` units of about equal size, at least ``at_least`` of them."""
    n_pairs = len(pair_agency)
    n_units = -(-max(at_least, 1) // UNITS_MULTIPLE) * UNITS_MULTIPLE
    cuts = np.flatnonzero(np.diff(pair_agency)) + 1  # agency boundaries
    want = np.arange(1, n_units) * n_pairs / n_units
    inner = np.unique(cuts[np.minimum(np.searchsorted(cuts, want), len(cuts) - 1)]) if len(
        cuts) else cuts  # fmt: skip
    edges = [0, *(int(c) for c in inner), n_pairs]
    units = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        ag, group = pair_agency[lo:hi] - pair_agency[lo], pair_group[lo:hi]
        first, last = int(group.min()), int(group.max())
        starts = np.searchsorted(ag, np.arange(int(ag[-1]) + 2)).astype(np.int64)
        units.append((lo, hi, starts, (group - first).astype(np.int64), slice(first, last + 1)))
    return units


@njit(cache=True, nogil=True)
def advance_block(
    t0: int,
    arrivals: np.ndarray,
    backlog: np.ndarray,
    oldest: np.ndarray,
    credit: np.ndarray,
    minutes: np.ndarray,
    processing_weeks: np.ndarray,
    capacity_per_fte: np.ndarray,
    keep_fte: np.ndarray,
    pool_fte: np.ndarray,
    expected_work: np.ndarray,
    agency_work: np.ndarray,
    own_share: np.ndarray,
    own_fte: np.ndarray,
    agency_start: np.ndarray,
    fungible_share: float,
    group: np.ndarray,
    thresholds: np.ndarray,
    weekly: np.ndarray,
    cum_arrivals: np.ndarray,
    cum_completions: np.ndarray,
    cum_lead: np.ndarray,
    record: bool,
    trace: np.ndarray,
    within_wait: np.ndarray,
    high_load: np.ndarray,
    noise_sd: float,
    noise_key: int,
    pair_offset: int,
    outside_share: np.ndarray,
    outside_mean: np.ndarray,
    outside_returns: np.ndarray,
    cum_office: np.ndarray,
    dark: np.ndarray,
    auto_carry: np.ndarray,
    auto_weeks: float,
) -> None:  # pragma: no cover - compiled; checked against the numpy reference in tests
    """Advance one block of pairs through ``arrivals.shape[1]`` weeks (mutates the state).

    The loop runs agency by agency and, within an agency, week by week over its pairs: the
    pairs of one agency are coupled only through the agency's fungible staff, so each agency
    can go through all weeks while its few pairs stay in the fastest cache. Every sum is
    taken in the same order as in a week-by-week loop over all pairs (for a given week and
    group, pairs in index order), so the results do not depend on this order.

    Args:
        t0: Index (and start time, weeks) of the first week.
        arrivals: Shape (n_pairs, n_weeks) arrivals of the block's pairs (pair-major).
        backlog, oldest, credit: Queue state (see :class:`model.processing.QueueState`).
        minutes, processing_weeks, capacity_per_fte: Per pair, per case.
        keep_fte, pool_fte, expected_work, agency_work, own_share, own_fte: Staffing
            quantities per pair (see ``FederalModel._staffing_changed``).
        agency_start: Shape (n_agencies + 1,): first block-local pair of each agency of the
            block (pairs are sorted by agency), and the number of pairs at the end.
        fungible_share: Share of FTE pooled within an agency.
        group: Each pair's (Land, level, service) group: its index on ``weekly``'s last axis.
        thresholds: Lead-time thresholds (weeks) for the ``over_*w`` aggregates.
        weekly: Shape (n_weeks, n_fields, n_groups): aggregates to add to (fields as in
            ``model.engine.AGG_FIELDS``).
        cum_arrivals, cum_completions, cum_lead: Cumulative counters per pair.
        record: Add to ``weekly`` and the counters (False during the warm-up).
        trace: Shape (4, n_weeks, n_pairs) per-pair arrivals, completions, backlog and lead
            sums, or shape (0, 0, 0) for none.
        within_wait: Shape (n_weeks, n_agencies): the within-week waiting time (weeks) of
            each agency (see :func:`agency_waits`); a completed case waits at least this long.
        high_load: Shape (n_weeks, n_agencies): agencies at or above the stationary load
            limit, whose busy weeks get a random capacity.
        noise_sd: Service-time coefficient of variation: a busy week's capacity has standard
            deviation ``noise_sd * sqrt(capacity)`` cases.
        noise_key: Stream key of the capacity noise (from the seed).
        pair_offset: Global index of the block's first pair (the noise is keyed by pair and
            week, so it does not depend on blocks or threads).
        outside_share, outside_mean: Per pair, the share of applications that wait outside
            the office (for the applicant or another agency) and their mean outside wait
            (weeks); see :mod:`model.stages` and :func:`share_over`.
        outside_returns: Per pair, the mean number of times an application's file comes
            back to the office after waiting outside (answers, statements); each return
            waits the office's queueing time of the week again (the first pass's wait, FIFO).
        cum_office: Cumulative office lead sums per pair (first pass: queue and processing).
        dark: Per pair, the share of its arrivals decided automatically without a clerk
            (automation share x (1 - checked share)); they skip the queue while the pair's
            procedure runs (``capacity_per_fte > 0``), and the queue's cases carry the
            pair's minutes (:func:`queued_share`).
        auto_carry: Per pair, the fraction of an automated case carried to the next week
            (state; whole cases are split off, :func:`split_automated`).
        auto_weeks: Lead time of an automated decision (``automated_decision_weeks``).
    """
    n_weeks = arrivals.shape[1]
    n_agencies = agency_start.shape[0] - 1
    do_trace = trace.shape[0] > 0
    n_thresholds = thresholds.shape[0]
    lowest_threshold = thresholds[0]
    # per pair and constant over the block: the queued share and the queued case's minutes
    # (hoisted out of the pair-week loop; the same values, so the same bits, as inside it)
    n_pairs = arrivals.shape[0]
    queued = np.empty(n_pairs)
    queued_minutes = np.empty(n_pairs)
    queued_processing = np.empty(n_pairs)
    for p in range(n_pairs):
        queued[p] = queued_share(dark[p], capacity_per_fte[p])
        queued_minutes[p] = minutes[p] / queued[p]
        queued_processing[p] = processing_weeks[p] / queued[p]
    for g in range(n_agencies):
        # unsigned pair indices: the compiler then drops the negative-index wraparound of
        # every array access (about 10 % of the loop's time)
        first, last = np.uint64(agency_start[g]), np.uint64(agency_start[g + 1])
        for i in range(n_weeks):
            t = float(t0 + i)
            waiting_agency = 0.0
            if fungible_share > 0.0:
                for p in range(first, last):
                    waiting_agency += backlog[p] * queued_minutes[p]
            wait_floor = within_wait[i, g]
            busy_noise = high_load[i, g]
            for p in range(first, last):
                a = float(arrivals[p, i])
                qs = queued[p]
                auto = 0.0
                if qs < 1.0:  # automated decisions skip the queue (issue 16, item 5)
                    auto, auto_carry[p] = split_automated(a, dark[p], auto_carry[p])
                    a -= auto
                    if auto > 0.0:
                        if record:
                            grp = np.uint64(group[p])
                            weekly[i, 0, grp] += auto
                            weekly[i, 1, grp] += auto
                            weekly[i, 3, grp] += auto * auto_weeks
                            weekly[i, 9, grp] += auto * auto_weeks
                            weekly[i, 10, grp] += auto
                            cum_arrivals[p] += auto
                            cum_completions[p] += auto
                            cum_lead[p] += auto * auto_weeks
                            cum_office[p] += auto * auto_weeks
                        if do_trace:
                            trace[0, i, p] = auto
                            trace[1, i, p] = auto
                            trace[3, i, p] = auto * auto_weeks
                b0 = backlog[p]
                if fungible_share > 0.0:
                    waiting = b0 * queued_minutes[p]
                    denom = agency_work[p] + waiting_agency
                    share = (expected_work[p] + waiting) / denom if denom > 0.0 else own_share[p]
                    fte = keep_fte[p] + pool_fte[p] * share
                else:
                    fte = own_fte[p]
                capacity = fte * capacity_per_fte[p] * qs
                # --- the FIFO rule of model.processing.step_queues, per pair ---
                c0 = credit[p]
                avail = c0 + capacity
                if b0 == 0.0 and a == 0.0:
                    # nothing to do: only idle capacity is banked; no flows, so nothing is
                    # recorded (the aggregates, counters and trace would only add zeros)
                    credit[p] = min(avail, 1.0)
                    continue
                inv_rate = 1.0 / max(capacity, TINY)
                total = b0 + a
                whole = avail
                if busy_noise and total > np.floor(avail + WHOLE_CASE_TOLERANCE):
                    z = normal_draw(noise_key, pair_offset + np.int64(p), t0 + i)
                    whole = avail + noise_sd * np.sqrt(capacity) * z
                cap_whole = np.floor(max(whole, 0.0) + WHOLE_CASE_TOLERANCE)
                done = min(total, cap_whole)
                left = total - done
                credit[p] = min(max(whole - done, 0.0), 1.0)
                head = c0 * inv_rate
                k1 = min(done, b0)
                k2 = done - k1
                span = t - oldest[p]
                frac = k1 / b0 if b0 > 0.0 else 0.0
                lead = k1 * (span - head - 0.5 * span * frac + 0.5 * k1 * inv_rate)
                f0 = k1 * inv_rate - head
                inv_a = 0.0  # with k2 = 0 only k2 * inv_a = 0 is used below
                if k2 > 0.0:
                    # positive part of the wait a0 + slope j over the new arrivals [0, k2)
                    inv_a = 1.0 / a
                    slope = inv_rate - inv_a
                    f1 = f0 + slope * k2
                    if f0 >= 0.0 and f1 >= 0.0:
                        wait_new = 0.5 * k2 * (f0 + f1)
                    elif f0 <= 0.0 and f1 <= 0.0:
                        wait_new = 0.0
                    else:
                        p0 = max(f0, 0.0)
                        p1 = max(f1, 0.0)
                        wait_new = k2 * (p0 * p0 - p1 * p1) / (2.0 * (f0 - f1))
                    lead += wait_new
                floor_wait = wait_floor * done
                if floor_wait > lead:
                    lead = floor_wait
                queue_wait = lead  # the first pass's waiting (sum over the decided cases)
                lead += done * queued_processing[p]
                office_lead = lead
                s_out = outside_share[p]
                m_out = outside_mean[p]
                lead += done * s_out * m_out + outside_returns[p] * queue_wait
                if b0 > k1:
                    oldest[p] = oldest[p] + frac * span
                else:
                    oldest[p] = t + k2 * inv_a
                backlog[p] = left
                if record:
                    grp = np.uint64(group[p])
                    weekly[i, 0, grp] += a
                    weekly[i, 1, grp] += done
                    weekly[i, 2, grp] += left
                    weekly[i, 3, grp] += lead
                    weekly[i, 9, grp] += office_lead
                    if s_out > 0.0:
                        if done > 0.0:
                            q_mean = office_lead / done
                            # the returns' waits count with the outside wait of those that
                            # wait outside (only they come back)
                            m_eff = m_out + outside_returns[p] * queue_wait / (done * s_out)
                            add_shares_over(weekly, i, grp, done, q_mean, thresholds,
                                            s_out, m_eff)
                    elif lead > lowest_threshold * done:  # mean lead over the lowest threshold
                        for k in range(n_thresholds):
                            if lead > thresholds[k] * done:
                                weekly[i, 6 + k, grp] += done
                    cum_arrivals[p] += a
                    cum_completions[p] += done
                    cum_lead[p] += lead
                    cum_office[p] += office_lead
                if do_trace:
                    trace[0, i, p] = a + auto
                    trace[1, i, p] = done + auto
                    trace[2, i, p] = left
                    trace[3, i, p] = lead + auto * auto_weeks


QUEUED_SHARE_MIN = 1e-6
"""Smallest share of a pair's arrivals that is taken to queue (a numerical guard: with every
case automated and none checked, the queue's minutes per case would be infinite)."""


@njit(cache=True, nogil=True)
def queued_share(dark: float, capacity_per_fte: float) -> float:  # pragma: no cover - compiled
    """Share of a pair's arrivals that queue for a clerk: ``1 - dark`` while its procedure
    runs, 1 while it decides nothing (a platform before its IT is ready: every case waits).
    The queued cases carry all the pair's staff minutes, so a queued case takes ``minutes /
    share`` (checked automated cases and manual ones), and the pair's work is unchanged."""
    if dark <= 0.0 or capacity_per_fte <= 0.0:
        return 1.0
    return max(1.0 - dark, QUEUED_SHARE_MIN)


@njit(cache=True, nogil=True)
def split_automated(arrivals: float, dark: float, carry: float) -> tuple[float, float]:
    """Whole automated cases of a pair-week and the carried fraction: ``carry + arrivals x
    dark`` rounded down (at most the arrivals), the rest carried (deterministic, so common
    random numbers hold; exact in expectation)."""  # pragma: no cover - compiled
    c = carry + arrivals * dark
    auto = min(np.floor(c + WHOLE_CASE_TOLERANCE), arrivals)
    return auto, max(c - auto, 0.0)


@njit(cache=True, nogil=True)
def share_over(office_weeks: float, threshold: float, outside_share: float,
               outside_mean: float) -> float:  # pragma: no cover - compiled; tested
    """Share of a pair-week's decided applications whose lead time exceeds ``threshold``:
    every one spends the week's mean office time ``office_weeks`` (queue and processing), a
    share ``outside_share`` also waits outside for an exponential time of mean
    ``outside_mean`` (:mod:`model.stages`)."""
    if office_weeks > threshold:
        return 1.0
    if outside_share <= 0.0 or outside_mean <= 0.0:
        return 0.0
    return outside_share * np.exp(-(threshold - office_weeks) / outside_mean)


@njit(cache=True, nogil=True)
def add_shares_over(weekly: np.ndarray, i: int, grp: np.uint64, done: float, office_weeks: float,
                    thresholds: np.ndarray, outside_share: float,
                    outside_mean: float) -> None:  # pragma: no cover - compiled; tested
    """Add ``done`` x :func:`share_over` for every threshold (ascending) to ``weekly[i, 6 + k,
    grp]``, with one exponential for the first threshold above ``office_weeks`` and one per
    distinct gap between thresholds after it (``exp(-(b - q)/m) = exp(-(a - q)/m) x exp(-(b -
    a)/m)``): 2 instead of 3 for 4/8/12 weeks, the weekly kernel's costliest line. Equal to
    the per-threshold formula to rounding (about 1e-16 relative)."""
    have_tail = False
    tail = 0.0
    previous = 0.0
    gap = -1.0
    step = 0.0
    for k in range(thresholds.shape[0]):
        limit = thresholds[k]
        if office_weeks > limit:
            weekly[i, 6 + k, grp] += done
        elif outside_share > 0.0 and outside_mean > 0.0:
            if not have_tail:
                tail = outside_share * np.exp(-(limit - office_weeks) / outside_mean)
                have_tail = True
            else:
                if limit - previous != gap:
                    gap = limit - previous
                    step = np.exp(-gap / outside_mean)
                tail *= step
            weekly[i, 6 + k, grp] += done * tail
        previous = limit


MASK64 = 0xFFFFFFFFFFFFFFFF


@njit(cache=True, nogil=True)
def _mix(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """SplitMix64 finaliser (Steele, Lea and Flood 2014): a stable 64-bit hash."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


NORMAL_TABLE_SIZE = 4096
_NORMAL_TABLE = np.array(
    [
        statistics.NormalDist().inv_cdf((k + 0.5) / NORMAL_TABLE_SIZE)
        for k in range(NORMAL_TABLE_SIZE)
    ]
    + [statistics.NormalDist().inv_cdf(1.0 - 0.25 / NORMAL_TABLE_SIZE)]
)
"""Standard normal quantiles at the centres of 4,096 equal-probability bins (plus one beyond
the last centre), interpolated linearly: a fast inverse normal CDF accurate to about 1e-3
in the body, used for the random capacity of busy weeks."""


@njit(cache=True, nogil=True)
def normal_draw(key: int, pair: int, week: int) -> float:  # pragma: no cover - compiled
    """A standard normal number that depends only on (key, pair, week): counter-based, so it
    is the same whatever the block, thread or order of evaluation (a hashed uniform through
    the tabulated inverse normal CDF)."""
    h = _mix(np.uint64(key) ^ _mix(np.uint64(pair) + np.uint64(1 << 40) * np.uint64(week + 4096)))
    x = (h >> np.uint64(11)) * (1.0 / 9007199254740992.0) * NORMAL_TABLE_SIZE - 0.5
    if x <= 0.0:
        return _NORMAL_TABLE[0]
    k = int(x)
    f = x - k
    return _NORMAL_TABLE[k] * (1.0 - f) + _NORMAL_TABLE[k + 1] * f


@njit(cache=True, nogil=True)
def office_factors(key: int, agency_hash: np.ndarray, service_hash: np.ndarray,
                   sd: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled; fmt: skip
    """Each pair's factor on its staff minutes per case, lognormal with mean 1 and log-sd
    ``sd`` (per pair): ``exp(sd z - sd^2 / 2)``, ``z`` a counter-based normal number of
    (key, agency hash, service hash), so that a given agency and service get the same number
    in every scenario and whatever the pairs' order (``office_productivity_sd``)."""
    out = np.empty(agency_hash.shape[0])
    for p in range(agency_hash.shape[0]):
        z = normal_draw(key, agency_hash[p], service_hash[p])
        out[p] = np.exp(sd[p] * z - 0.5 * sd[p] * sd[p])
    return out


ERLANG_MAX_SERVERS = 100
"""Servers beyond which the probability of waiting is taken from a 100-server office at the
same load (it only falls with more servers, and the waits are then short anyway)."""


@njit(cache=True, nogil=True)
def erlang_c_wait(c: int, arrival_rate: float, service_rate: float) -> float:  # pragma: no cover
    """Mean wait in queue of an M/M/c queue (Erlang C), via the Erlang B recursion; 0 when
    unstable. With more than :data:`ERLANG_MAX_SERVERS` servers the waiting probability of
    that many servers at the same load is used (an upper bound)."""
    if arrival_rate <= 0.0 or service_rate <= 0.0:
        return 0.0
    rho = arrival_rate / (c * service_rate)
    if rho >= 1.0:
        return 0.0
    k_max = min(c, ERLANG_MAX_SERVERS)
    a = rho * k_max
    b = 1.0
    for k in range(1, k_max + 1):
        b = a * b / (k + a * b)
    wait_prob = b / (1.0 - rho * (1.0 - b))
    return wait_prob / (c * service_rate - arrival_rate)


@njit(cache=True, nogil=True)
def _wait_of(fte: float, work: float, cases: float, fte_minutes_week: float, productivity: float,
             load_limit: float, factor: float) -> tuple[float, bool]:  # pragma: no cover
    """One agency's within-week wait and high-load flag (see :func:`agency_waits`)."""
    if cases <= 0.0:
        return 0.0, False
    capacity_minutes = fte * fte_minutes_week * productivity
    if capacity_minutes <= 0.0:
        return 0.0, True
    rho = work / capacity_minutes
    c = max(1, int(np.floor(fte + 0.5)))
    weeks_per_case = work / cases / (fte_minutes_week * productivity)
    per_server = (fte / c) / weeks_per_case  # cases per week per server
    lam = min(cases, load_limit * c * per_server)
    return factor * erlang_c_wait(c, lam, per_server), rho >= load_limit


@njit(cache=True, nogil=True)
def agency_waits(
    season: np.ndarray,
    shock: np.ndarray,
    base_cases: np.ndarray,
    shock_cases: np.ndarray,
    service: np.ndarray,
    minutes: np.ndarray,
    own_fte: np.ndarray,
    agency_start: np.ndarray,
    fte_minutes_week: float,
    productivity: float,
    load_limit: float,
    service_cv: float,
    within_wait: np.ndarray,
    high_load: np.ndarray,
) -> None:  # pragma: no cover - compiled; checked against Erlang C in tests
    """Each agency's within-week waiting time and high-load flag, week by week.

    The agency's clerks are pooled servers (``c = max(1, round(FTE))``, each working at
    FTE/c) serving its expected cases of the week (mixed services; mean staff minutes per
    case); the wait is the stationary M/M/c wait (Erlang C) times the Allen-Cunneen factor
    (1 + cv^2) / 2, at the expected load capped at ``load_limit``. At or above the limit the
    agency is flagged: its busy weeks get a random capacity instead.

    Args:
        season: Shape (n_weeks, n_services): each service's seasonality factor per week.
        shock: Shape (n_weeks, n_services): nationwide one-off programme cases per week.
        base_cases: Expected cases per week of each pair at seasonality 1.
        shock_cases: Each pair's share of its service's programme cases.
        service: Service code of each pair.
        minutes: Staff minutes per case per pair.
        own_fte: FTE per pair.
        agency_start: Shape (n_agencies + 1,): first pair of each agency (pairs sorted by
            agency), and the number of pairs at the end.
        fte_minutes_week: Working minutes of one FTE per week.
        productivity: ``productivity_factor``.
        load_limit: ``stationary_load_limit``.
        service_cv: ``service_time_cv``.
        within_wait: Output, shape (n_weeks, n_agencies), weeks.
        high_load: Output, shape (n_weeks, n_agencies).
    """
    n_weeks = season.shape[0]
    n_agencies = agency_start.shape[0] - 1
    factor = 0.5 * (1.0 + service_cv * service_cv)
    for i in range(n_weeks):
        if i > 0:  # the expected load only changes with the month or a programme's week
            same = True
            for k in range(season.shape[1]):
                if season[i, k] != season[i - 1, k] or shock[i, k] != shock[i - 1, k]:
                    same = False
                    break
            if same:
                within_wait[i, :] = within_wait[i - 1, :]
                high_load[i, :] = high_load[i - 1, :]
                continue
        for g in range(n_agencies):
            fte = 0.0
            work = 0.0
            cases = 0.0
            # unsigned indices: no negative-index wraparound (halves this loop's time)
            for p in range(np.uint64(agency_start[g]), np.uint64(agency_start[g + 1])):
                fte += own_fte[p]
                s = np.uint64(service[p])
                expected = base_cases[p] * season[i, s] + shock_cases[p] * shock[i, s]
                work += expected * minutes[p]
                cases += expected
            within_wait[i, g], high_load[i, g] = _wait_of(
                fte, work, cases, fte_minutes_week, productivity, load_limit, factor
            )


@njit(cache=True, nogil=True)
def normal_draws(key: int, first_pair: int, n: int, week: int) -> np.ndarray:  # pragma: no cover
    """:func:`normal_draw` for pairs ``first_pair .. first_pair + n - 1`` (numpy reference)."""
    out = np.empty(n)
    for p in range(n):
        out[p] = normal_draw(key, first_pair + p, week)
    return out


@njit(cache=True, nogil=True)
def scatter_by_alias(
    counts: np.ndarray,
    rows: np.ndarray,
    uniforms: np.ndarray,
    prob: np.ndarray,
    alias: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled; checked against the Poisson law in tests
    """Place each cell's cases in weeks by Walker's alias method (one uniform per case: its
    integer part picks a week, its fractional part accepts it or takes the alias).

    Args:
        counts: Cases of each cell in the year.
        rows: Row of each cell in ``out``.
        uniforms: ``counts.sum()`` uniform(0, 1) numbers.
        prob, alias: The alias table of the weekly probabilities.
        out: Shape (n_rows, n_weeks) (row-major per cell or pair): incremented in place.
    """
    n = prob.shape[0]
    pos = 0
    for c in range(counts.shape[0]):
        row = np.uint64(rows[c])  # unsigned indices: no negative-index wraparound
        for _ in range(counts[c]):
            x = uniforms[pos] * n
            k = np.uint64(x)
            if k >= n:
                k = np.uint64(n - 1)
            week = k if x - k < prob[k] else np.uint64(alias[k])
            out[row, week] += 1
            pos += 1


@njit(cache=True, nogil=True)
def add_columns_to_rows(values: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:
    """``out[rows[c], :] += values[:, c]`` for every column ``c`` (several columns may share a
    row): weeks x cells counts added into a row-major (rows x weeks) array.
    """  # pragma: no cover - compiled
    n_weeks, n_cols = values.shape
    for c in range(n_cols):
        r = rows[c]
        for i in range(n_weeks):
            out[r, i] += values[i, c]


@njit(cache=True, nogil=True)
def staffing_quantities(
    own_fte: np.ndarray,
    expected_work: np.ndarray,
    agency_start: np.ndarray,
    group: np.ndarray,
    fungible_share: float,
    keep_fte: np.ndarray,
    pool_fte: np.ndarray,
    agency_work: np.ndarray,
    own_share: np.ndarray,
    group_fte: np.ndarray,
) -> None:  # pragma: no cover - compiled; checked against the numpy formulas in tests
    """What the kernel needs of each pair's staff, after the staff changed (in one pass;
    ``FederalModel._staffing_changed``): the kept FTE ``own x (1 - phi)``, the agency's pool
    ``phi x agency FTE``, the agency's expected work, the pair's share of its agency's FTE
    (0 in an agency without staff) and the FTE per group (``group_fte`` is overwritten).
    Sums run in pair order, as ``np.bincount`` does, so the numbers equal its.

    Args:
        own_fte, expected_work: Per pair (pairs sorted by agency).
        agency_start: Shape (n_agencies + 1,): first pair of each agency, and the number of
            pairs at the end.
        group: Each pair's group (index into ``group_fte``).
        fungible_share: ``phi``, the share of FTE pooled within an agency.
        keep_fte, pool_fte, agency_work, own_share: Outputs per pair.
        group_fte: Output per group.
    """
    keep = 1.0 - fungible_share
    group_fte[:] = 0.0
    for g in range(agency_start.shape[0] - 1):
        first, last = np.uint64(agency_start[g]), np.uint64(agency_start[g + 1])
        fte = 0.0
        work = 0.0
        for p in range(first, last):
            fte += own_fte[p]
            work += expected_work[p]
            group_fte[np.uint64(group[p])] += own_fte[p]
        for p in range(first, last):
            keep_fte[p] = own_fte[p] * keep
            pool_fte[p] = fungible_share * fte
            agency_work[p] = work
            own_share[p] = own_fte[p] / fte if fte > 0.0 else 0.0


@njit(cache=True, nogil=True)
def agency_backlog_pressed(
    backlog: np.ndarray,
    minutes: np.ndarray,
    expected_work: np.ndarray,
    agency_start: np.ndarray,
    weeks: float,
) -> np.ndarray:  # pragma: no cover - compiled; checked against the numpy formula in tests
    """Per agency: True where its waiting work (backlog x minutes per case, summed over its
    pairs) exceeds ``weeks`` weeks of its expected work (``FederalModel._backlog_response``).
    Sums run in pair order, as ``np.bincount`` does, so the comparison equals its."""
    n_agencies = agency_start.shape[0] - 1
    out = np.zeros(n_agencies, dtype=np.bool_)
    for g in range(n_agencies):
        waiting = 0.0
        work = 0.0
        for p in range(np.uint64(agency_start[g]), np.uint64(agency_start[g + 1])):
            waiting += backlog[p] * minutes[p]
            work += expected_work[p]
        out[g] = waiting > weeks * work
    return out


@njit(cache=True, nogil=True)
def set_pair_minutes(
    minutes0: np.ndarray,
    mode: np.ndarray,
    efa_factor: float,
    central_factor: np.ndarray,
    automation: np.ndarray,
    check: float,
    fte_minutes_week: float,
    productivity: float,
    weekly_cases: np.ndarray,
    office_factor: np.ndarray,
    minutes: np.ndarray,
    processing_weeks: np.ndarray,
    capacity_per_fte: np.ndarray,
    expected_work: np.ndarray,
) -> None:  # pragma: no cover - compiled; checked against ExecutionRuntime.minutes in tests
    """Every pair's staff minutes per case now and what depends on them, in one pass: minutes
    = catalogue minutes x mode factor x (1 - a + a x check), a = automation share (the formula
    of ``ExecutionRuntime.minutes``, with the same floating-point operations), then the
    processing weeks per case, the cases per FTE-week and the expected work per week.

    Args:
        minutes0: Catalogue minutes per case per pair.
        mode: Per pair: 0 decentral, 1 EfA, 2 central platform.
        efa_factor: Mode factor of EfA pairs (1 - ``efa_intake_saving``).
        central_factor: Mode factor of each pair on a central platform.
        automation: Automation share per pair.
        check: Share of an automated case's minutes still spent (checked share x check
            minutes share).
        fte_minutes_week, productivity: Working minutes of one FTE per week; productivity.
        weekly_cases: Expected cases per week per pair.
        office_factor: Per pair, the office's factor on its actual minutes per case
            (``office_productivity_sd``): it lengthens the processing and lowers the cases
            per FTE-week, not the minutes the posts are sized to.
        minutes, processing_weeks, capacity_per_fte, expected_work: Outputs per pair.
    """
    per_fte = fte_minutes_week * productivity
    for p in range(minutes0.shape[0]):
        m = mode[p]
        factor = efa_factor if m == 1 else (central_factor[p] if m == 2 else 1.0)
        a = automation[p]
        x = minutes0[p] * factor * (1.0 - a + a * check)
        minutes[p] = x
        processing_weeks[p] = x * office_factor[p] / per_fte
        capacity_per_fte[p] = per_fte / (x * office_factor[p])
        expected_work[p] = weekly_cases[p] * x
